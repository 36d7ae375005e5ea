//! View-models of the questionnaire: what a criterion, a sub-practice and a piece of evidence show.

use super::{STATUS_LABELS, dom_id};
use crate::pages::orgs::Opt;
use hicp_app::{Answer, Evidence, EvidenceKind};

pub struct EvidenceView {
    pub id: String,
    pub title: String,
    pub is_file: bool,
    pub file_name: String,
    pub size: String,
    pub sha_short: String,
    pub url: String,
    /// A web address (shown as a link); otherwise where the evidence is kept (shown as text).
    pub web: bool,
    pub collected_on: String,
    pub valid_until: String,
}

pub struct CriterionView {
    pub id: String,
    pub dom: String,
    pub text: String,
    pub guidance: Option<String>,
    pub statuses: Vec<Opt>,
    /// No answer yet: no status is chosen (as opposed to one answered "not started").
    pub unanswered: bool,
    pub version: i64,
    pub na_reason: String,
    pub notes: String,
    pub owner: String,
    pub in_place_since: String,
    pub has_details: bool,
    pub evidence: Vec<EvidenceView>,
}

pub struct SubView {
    pub id: String,
    pub dom: String,
    pub title: String,
    pub unverified: bool,
    /// The older edition the title was checked against ("2018"); empty when it follows the
    /// catalog's edition or is unverified.
    pub edition: String,
    pub summary: String,
    pub criteria: Vec<CriterionView>,
    /// Added by choice (it does not apply to the tier by itself).
    pub opted_in: bool,
}

/// A sub-practice of another tier that the organization may add to its assessment.
pub struct OptionalView {
    pub id: String,
    pub title: String,
    /// As [`SubView::edition`].
    pub edition: String,
    pub summary: String,
    pub volume: String,
    pub criteria: usize,
}

pub struct Tab {
    pub number: u8,
    pub name: String,
    pub answered: usize,
    pub total: usize,
}

fn size_text(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

pub(super) fn evidence_view(e: &Evidence) -> EvidenceView {
    EvidenceView {
        id: e.id.to_string(),
        title: e.title.clone(),
        is_file: e.kind == EvidenceKind::File,
        file_name: e.file_name.clone().unwrap_or_default(),
        size: size_text(e.size),
        sha_short: e
            .sha256
            .as_deref()
            .map(|s| s[..12.min(s.len())].to_owned())
            .unwrap_or_default(),
        url: e.url.clone().unwrap_or_default(),
        web: e
            .url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://") || u.starts_with("http://")),
        collected_on: e.collected_on.map(|d| d.to_string()).unwrap_or_default(),
        valid_until: e.valid_until.map(|d| d.to_string()).unwrap_or_default(),
    }
}

pub(super) fn criterion_view(
    c: &hicp_core::catalog::Criterion,
    answer: Option<&Answer>,
    evidence: Vec<EvidenceView>,
) -> CriterionView {
    // Without an answer, no status is chosen: "Not started" is an answer of its own.
    let status = answer.map(|a| a.status);
    let text = |f: Option<&String>| f.cloned().unwrap_or_default();
    let na_reason = text(answer.and_then(|a| a.na_reason.as_ref()));
    let notes = text(answer.and_then(|a| a.notes.as_ref()));
    let owner = text(answer.and_then(|a| a.owner.as_ref()));
    let in_place_since = answer
        .and_then(|a| a.in_place_since)
        .map(|d| d.to_string())
        .unwrap_or_default();
    CriterionView {
        id: c.id.to_string(),
        dom: dom_id(c.id.as_str()),
        text: c.text.clone(),
        guidance: c.guidance.clone(),
        statuses: STATUS_LABELS
            .iter()
            .map(|(s, l)| Opt {
                value: s.name().into(),
                label: (*l).into(),
                selected: Some(*s) == status,
            })
            .collect(),
        unanswered: answer.is_none(),
        version: answer.map_or(0, |a| a.version),
        has_details: !(na_reason.is_empty()
            && notes.is_empty()
            && owner.is_empty()
            && in_place_since.is_empty()),
        na_reason,
        notes,
        owner,
        in_place_since,
        evidence,
    }
}
