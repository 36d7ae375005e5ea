//! Readiness for the HIPAA Security Rule changes HHS proposed in January 2025: which proposed
//! requirements the open assessment's answers already cover. Our derived view of a proposed
//! rule (never HHS's), computed by `hicp_core::assessment::readiness`; see
//! docs/nprm-readiness.md.

use super::assess::dom_id;
use super::render;
use crate::AppState;
use crate::error::AppError;
use crate::session::Auth;
use crate::view::{org_ctx, view};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use hicp_core::assessment::Status;
use hicp_core::assessment::readiness::{Readiness, readiness};
use hicp_core::catalog::Provenance;

pub struct CriterionRow {
    pub id: String,
    /// Where the question is asked: its practice page and sub-practice anchor.
    pub href: String,
    pub text: String,
    pub answer: &'static str,
    /// Shows part of the requirement only.
    pub part: bool,
}

pub struct RequirementRow {
    pub title: String,
    pub summary: String,
    pub source: String,
    pub unverified: bool,
    pub readiness: &'static str,
    /// `covered`, `partly`, ...: a CSS hook only; people read `readiness`.
    pub class: &'static str,
    pub criteria: Vec<CriterionRow>,
    pub also_check: String,
}

#[derive(Template)]
#[template(path = "readiness.html")]
struct ReadinessPage {
    csrf: String,
    user_name: String,
    org_id: String,
    /// The navigation links the proposed-rule readiness page (the catalog has the rule).
    nprm: bool,
    org_name: String,
    tier: String,
    label: &'static str,
    rule_title: String,
    rule_citation: String,
    rule_status: String,
    counts: String,
    rows: Vec<RequirementRow>,
}

/// An answer in the questionnaire's words.
fn answer_words(s: Option<Status>) -> &'static str {
    match s {
        None => "not answered yet",
        Some(Status::NotStarted) => "not started",
        Some(Status::Partial) => "partly",
        Some(Status::Largely) => "largely",
        Some(Status::Implemented) => "yes, in place",
        Some(Status::NotApplicable) => "does not apply",
    }
}

pub async fn readiness_page(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let view = view(&state, &ctx).await?;
    let a = &view.answers;
    let c = state.catalog();
    // A catalog without the proposed rule (a custom one) has no such page.
    let Some(v) = readiness(c, a) else {
        return Err(AppError::NotFound);
    };
    let org_id = ctx.org.id.to_string();
    let rows = v
        .requirements
        .iter()
        .map(|r| {
            let q = r.requirement;
            RequirementRow {
                title: q.title.clone(),
                summary: q.summary.clone(),
                source: q.source.clone(),
                unverified: q.provenance == Provenance::Unverified,
                readiness: r.readiness.words(),
                class: r.readiness.name(),
                criteria: r
                    .criteria
                    .iter()
                    .filter_map(|e| {
                        let (sp, criterion) = c.criterion(e.id.as_str())?;
                        let text = criterion.text.clone();
                        Some(CriterionRow {
                            id: e.id.to_string(),
                            href: format!(
                                "/orgs/{org_id}/practices/{}#sp-{}",
                                sp.practice,
                                dom_id(sp.id.as_str())
                            ),
                            text,
                            answer: answer_words(e.status),
                            part: !e.full,
                        })
                    })
                    .collect(),
                also_check: q.also_check.clone().unwrap_or_default(),
            }
        })
        .collect();
    render(&ReadinessPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        org_name: ctx.org.name.clone(),
        tier: ctx.tier.name().into(),
        org_id,
        nprm: crate::pages::readiness::offered(&state),
        label: hicp_interop::assessment_json::READINESS_LABEL,
        rule_title: v.rule.title.clone(),
        rule_citation: v.rule.citation.clone(),
        rule_status: v.rule.status.clone(),
        counts: Readiness::ALL
            .iter()
            .filter(|r| v.count(**r) > 0)
            .map(|r| format!("{} {}", v.count(*r), r.words()))
            .collect::<Vec<_>>()
            .join(", "),
        rows,
    })
}

/// Whether the page exists: the loaded catalog has the proposed rule (a custom catalog may
/// not). The organization's navigation links the page only then.
pub fn offered(state: &AppState) -> bool {
    state.catalog().references.proposed_rule.is_some()
}
