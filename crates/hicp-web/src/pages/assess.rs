//! The questionnaire: one page per practice, each answer saved as it is given, and evidence.

use super::orgs::Opt;
use super::render;
use crate::AppState;
use crate::error::{AppError, escape, problem_words};
use crate::session::Auth;
use crate::view::{OrgCtx, form_date, org_ctx};
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use hicp_app::{
    Answer, AnswerInput, Current, Edit, Error, Evidence, EvidenceContent, EvidenceKind,
    EvidenceUpload, Problem, Read, allowed_type,
};
use hicp_core::assessment::Status;
use hicp_core::catalog::{Provenance, SubPractice};
use serde::Deserialize;
use std::collections::HashMap;

pub(crate) const STATUS_LABELS: [(Status, &str); 5] = [
    (Status::NotStarted, "Not started"),
    (Status::Partial, "Partly"),
    (Status::Largely, "Largely"),
    (Status::Implemented, "Yes, in place"),
    (Status::NotApplicable, "Does not apply"),
];

/// An answer's status as the questionnaire words it.
pub fn answer_label(status: Status) -> &'static str {
    STATUS_LABELS
        .iter()
        .find(|(s, _)| *s == status)
        .map_or("", |(_, l)| l)
}

/// An id safe in HTML ids and CSS selectors (criterion ids contain dots).
pub fn dom_id(id: &str) -> String {
    id.replace('.', "-")
}

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

#[derive(Template)]
#[template(path = "practice.html")]
struct PracticePage {
    csrf: String,
    user_name: String,
    org_id: String,
    org_name: String,
    tier: String,
    number: u8,
    practice_name: String,
    /// As [`SubView::edition`], for the practice's name.
    practice_edition: String,
    practice_name_unverified: bool,
    /// The edition the catalog presents ("2023").
    catalog_edition: String,
    /// The older edition some name on the page follows ("2018"), for the note that explains
    /// the label; empty when none does.
    older_edition: String,
    practice_summary: String,
    tabs: Vec<Tab>,
    subs: Vec<SubView>,
    optional: Vec<OptionalView>,
    can_edit: bool,
    overall_answered: usize,
    overall_total: usize,
    next_practice: Option<u8>,
    max_upload_mb: usize,
    message: String,
    message_class: String,
}

#[derive(Template)]
#[template(path = "evidence_list.html")]
struct EvidenceFragment {
    csrf: String,
    can_edit: bool,
    org_id: String,
    c: CriterionView,
    message: String,
    message_class: String,
}

fn size_text(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

fn evidence_view(e: &Evidence) -> EvidenceView {
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

fn criterion_view(
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

fn in_scope<'c>(state: &'c AppState, ctx: &OrgCtx, opted: &[String]) -> Vec<&'c SubPractice> {
    state
        .catalog()
        .sub_practices
        .iter()
        .filter(|s| {
            state.catalog().applies(ctx.tier, s) || opted.iter().any(|o| o == s.id.as_str())
        })
        .collect()
}

pub async fn practice(
    State(state): State<AppState>,
    auth: Auth,
    Path((org, n)): Path<(String, u8)>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let Some(practice) = state.catalog().practice(n) else {
        return Err(AppError::NotFound);
    };
    let cur = state.app.assessment(&ctx.access, &ctx.assessment).await?;
    let by_criterion: HashMap<&str, &Answer> = cur
        .answers
        .iter()
        .map(|a| (a.criterion_id.as_str(), a))
        .collect();
    let evidence = &cur.evidence;
    let opted = &cur.opted_in;
    let scope = in_scope(&state, &ctx, opted);

    // Any stored answer counts, "not started" included.
    let answered = |s: &SubPractice| {
        s.criteria
            .iter()
            .filter(|c| by_criterion.contains_key(c.id.as_str()))
            .count()
    };
    let tabs: Vec<Tab> = state
        .catalog()
        .practices
        .iter()
        .map(|p| {
            let subs = scope.iter().filter(|s| s.practice == p.number);
            let (mut a, mut t) = (0, 0);
            for s in subs {
                a += answered(s);
                t += s.criteria.len();
            }
            Tab {
                number: p.number,
                name: p.name.clone(),
                answered: a,
                total: t,
            }
        })
        .collect();
    let older = |e: Option<&String>| {
        state
            .catalog()
            .older_edition(e)
            .unwrap_or_default()
            .to_owned()
    };
    let subs: Vec<SubView> = scope
        .iter()
        .filter(|s| s.practice == n)
        .map(|s| SubView {
            id: s.id.to_string(),
            dom: dom_id(s.id.as_str()),
            title: s.title.clone(),
            unverified: s.title_provenance == Provenance::Unverified,
            edition: older(s.title_edition.as_ref()),
            summary: s.summary.clone(),
            criteria: s
                .criteria
                .iter()
                .map(|c| {
                    let ev = evidence
                        .iter()
                        .filter(|e| e.criterion_id.as_ref() == Some(&c.id))
                        .map(evidence_view)
                        .collect();
                    criterion_view(c, by_criterion.get(c.id.as_str()).copied(), ev)
                })
                .collect(),
            opted_in: !state.catalog().applies(ctx.tier, s),
        })
        .collect();
    let optional = state
        .catalog()
        .sub_practices
        .iter()
        .filter(|s| {
            s.practice == n
                && !state.catalog().applies(ctx.tier, s)
                && state.catalog().optional_for(ctx.tier, s)
                && !opted.iter().any(|o| o == s.id.as_str())
        })
        .map(|s| OptionalView {
            id: s.id.to_string(),
            title: s.title.clone(),
            edition: older(s.title_edition.as_ref()),
            summary: s.summary.clone(),
            volume: format!("meant for {} organizations", s.tier.name()),
            criteria: s.criteria.len(),
        })
        .collect::<Vec<OptionalView>>();
    let practice_edition = older(practice.name_edition.as_ref());
    let older_edition = std::iter::once(&practice_edition)
        .chain(subs.iter().map(|s| &s.edition))
        .chain(optional.iter().map(|o| &o.edition))
        .find(|e| !e.is_empty())
        .cloned()
        .unwrap_or_default();
    render(&PracticePage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user.display_name.clone(),
        org_id: ctx.org.id.to_string(),
        org_name: ctx.org.name.clone(),
        tier: ctx.tier.name().into(),
        number: n,
        practice_name: practice.name.clone(),
        practice_edition,
        practice_name_unverified: practice.name_provenance == Provenance::Unverified,
        catalog_edition: state.catalog().meta.edition.clone(),
        older_edition,
        practice_summary: practice.summary.clone(),
        overall_answered: tabs.iter().map(|t| t.answered).sum(),
        overall_total: tabs.iter().map(|t| t.total).sum(),
        next_practice: state
            .catalog()
            .practices
            .iter()
            .map(|p| p.number)
            .find(|m| *m > n),
        tabs,
        subs,
        optional,
        can_edit: ctx.can_edit(),
        max_upload_mb: state.max_upload_bytes() / (1024 * 1024),
        message: String::new(),
        message_class: String::new(),
    })
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    na_reason: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    in_place_since: String,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn status_fragment(dom: &str, class: &str, message: &str, version: Option<i64>) -> Response {
    Html(status_html(dom, class, message, version)).into_response()
}

fn status_html(dom: &str, class: &str, message: &str, version: Option<i64>) -> String {
    let mut html = format!(
        "<div id=\"status-{dom}\" class=\"{class}\" aria-live=\"polite\" role=\"status\">{}</div>",
        escape(message)
    );
    if let Some(v) = version {
        html.push_str(&format!(
            "<input type=\"hidden\" name=\"version\" id=\"version-{dom}\" value=\"{v}\" hx-swap-oob=\"true\">"
        ));
    }
    html
}

pub async fn save_answer(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path((org, criterion)): Path<(String, String)>,
    Form(f): Form<AnswerForm>,
) -> Result<Response, AppError> {
    let access = state.app.org_access::<Edit>(&auth.principal, &org).await?;
    let Some(sp) = state.catalog().sub_practice_of_criterion(&criterion) else {
        return Err(AppError::NotFound);
    };
    let dom = dom_id(&criterion);
    let htmx = headers.contains_key("hx-request");
    let fail = |message: String| -> Result<Response, AppError> {
        if htmx {
            Ok(status_fragment(&dom, "error", &message, None))
        } else {
            Err(AppError::BadRequest(message))
        }
    };
    let Some(status) = Status::from_name(&f.status) else {
        return fail("Choose an answer first.".into());
    };
    let in_place_since = match form_date("In place since", &f.in_place_since, false) {
        Ok(d) => d,
        Err(e) => return fail(format!("Not saved: {e}")),
    };
    let input = AnswerInput {
        status,
        na_reason: opt(&f.na_reason),
        notes: opt(&f.notes),
        owner: opt(&f.owner),
        in_place_since,
    };
    match state
        .app
        .save_answer(&access, &criterion, &input, f.version)
        .await
    {
        Ok(saved) if htmx => {
            let at = saved.updated_at.time();
            let iso = saved
                .updated_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            let mut html = status_html(&dom, "saved", "", Some(saved.version)).replacen(
                "\"></div>",
                &format!(
                    "\">Saved at <time datetime=\"{iso}\">{:02}:{:02} UTC</time>.</div>",
                    at.hour(),
                    at.minute()
                ),
                1,
            );
            // The question is answered now: its "Not answered yet" mark goes, and the
            // progress counts of the page follow.
            html.push_str(&format!(
                "<span id=\"unanswered-{dom}\" hx-swap-oob=\"true\"></span>"
            ));
            let a = crate::view::answers_for(&state, &access).await?;
            let all = a.progress(state.catalog());
            let this = a.practice_progress(state.catalog(), sp.practice);
            html.push_str(&format!(
                "<span id=\"progress-all\" hx-swap-oob=\"true\">{}</span><span id=\"progress-p{}\" hx-swap-oob=\"true\">{}</span>",
                all.answered, sp.practice, this.answered
            ));
            Ok(Html(html).into_response())
        }
        Ok(_) => Ok(Redirect::to(&format!(
            "/orgs/{org}/practices/{}#sp-{}",
            sp.practice,
            dom_id(sp.id.as_str())
        ))
        .into_response()),
        Err(Error::Stale(current)) => {
            let Current::Answer(current) = *current else {
                return Err(AppError::internal(Error::Internal(
                    "stale answer without an answer".into(),
                )));
            };
            let message = stale_answer_words(&state, current.as_ref()).await?;
            let version = current.as_ref().map_or(0, |c| c.version);
            if htmx {
                Ok(status_fragment(&dom, "error", &message, Some(version)))
            } else {
                Err(AppError::Conflict(message))
            }
        }
        Err(Error::Invalid { field, problem }) => {
            fail(format!("Not saved: {}", problem_words(field, &problem)))
        }
        Err(Error::AssessmentClosed) => {
            fail("This assessment is closed and can no longer change.".into())
        }
        Err(e) => Err(e.into()),
    }
}

/// What a person sees when their save lost to someone else's.
async fn stale_answer_words(
    state: &AppState,
    current: Option<&Answer>,
) -> Result<String, AppError> {
    let Some(current) = current else {
        return Ok("Not saved: this answer changed since the page was opened. Reload the page and answer again.".into());
    };
    let names = state.app.user_names(current.updated_by.as_slice()).await?;
    let who = current
        .updated_by
        .as_ref()
        .and_then(|u| names.get(u).cloned())
        .unwrap_or_else(|| "someone".into());
    let label = STATUS_LABELS
        .iter()
        .find(|(s, _)| *s == current.status)
        .map_or(current.status.name(), |(_, l)| l);
    let notes = current
        .notes
        .as_deref()
        .map(|n| format!(" Their notes: \"{n}\"."))
        .unwrap_or_default();
    Ok(format!(
        "Not saved: {who} changed this answer while you were editing. Their answer: \"{label}\".{notes} \
         Change any field again to replace it with yours, or reload the page to see theirs."
    ))
}

pub async fn add_evidence(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path(org): Path<String>,
    mut form: Multipart,
) -> Result<Response, AppError> {
    let access = state.app.org_access::<Edit>(&auth.principal, &org).await?;
    let (mut criterion, mut title, mut url, mut collected, mut valid) = (
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    );
    let mut file: Option<(String, Vec<u8>)> = None;
    let too_big = || {
        AppError::BadRequest(format!(
            "The file is larger than {} MB.",
            state.max_upload_bytes() / (1024 * 1024)
        ))
    };
    while let Some(field) = form.next_field().await.map_err(|_| too_big())? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(|_| too_big())?;
            if !file_name.is_empty() && !bytes.is_empty() {
                if bytes.len() > state.max_upload_bytes() {
                    return Err(too_big());
                }
                file = Some((file_name, bytes.to_vec()));
            }
        } else {
            let value = field
                .text()
                .await
                .map_err(|_| AppError::BadRequest("The form could not be read.".into()))?;
            match name.as_str() {
                "criterion" => criterion = value,
                "title" => title = value,
                "url" => url = value,
                "collected_on" => collected = value,
                "valid_until" => valid = value,
                _ => {}
            }
        }
    }
    let Some(c) = state
        .catalog()
        .sub_practice_of_criterion(&criterion)
        .and_then(|s| s.criteria.iter().find(|c| c.id.as_str() == criterion))
    else {
        return Err(AppError::BadRequest("criterion: unknown criterion.".into()));
    };
    let content = match (file, opt(&url)) {
        (Some((file_name, bytes)), _) => Ok(EvidenceContent::File {
            content_type: allowed_type(&file_name).unwrap_or_default().into(),
            file_name,
            bytes,
            sha256: None,
        }),
        (None, Some(u)) => Ok(EvidenceContent::Link { url: u }),
        (None, None) => Err("Not added: choose a file or give a link.".to_owned()),
    };
    let dates = form_date("Collected on", &collected, false)
        .and_then(|c| form_date("Valid until", &valid, true).map(|v| (c, v)));
    let message = match (content, dates) {
        (Err(m), _) => m,
        (_, Err(e)) => format!("Not added: {e}"),
        (Ok(content), Ok((collected_on, valid_until))) => {
            let upload = EvidenceUpload {
                criterion: Some(c.id.to_string()),
                action: None,
                title: title.trim().to_owned(),
                content,
                collected_on,
                valid_until,
            };
            match state.app.add_evidence(&access, upload).await {
                Ok(_) => "Evidence added.".to_owned(),
                Err(Error::Invalid { field, problem }) => {
                    format!("Not added: {}", problem_words(field, &problem))
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let added = message == "Evidence added.";
    if !headers.contains_key("hx-request") {
        // Without JavaScript: back to the question, or the reason on a page of its own.
        if !added {
            return Err(AppError::BadRequest(message));
        }
        let sp = state
            .catalog()
            .sub_practice_of_criterion(c.id.as_str())
            .expect("the criterion was found in a sub-practice");
        return Ok(Redirect::to(&format!(
            "/orgs/{}/practices/{}#evidence-{}",
            access.org_id(),
            sp.practice,
            dom_id(c.id.as_str())
        ))
        .into_response());
    }
    let assessment = state.app.current_assessment(&access).await?;
    let cur = state.app.assessment(&access, &assessment).await?;
    let evidence = cur
        .evidence
        .iter()
        .filter(|e| e.criterion_id.as_ref() == Some(&c.id))
        .map(evidence_view)
        .collect();
    let answer = cur.answers.iter().find(|a| a.criterion_id == c.id);
    let class = if added { "saved" } else { "error" };
    render(&EvidenceFragment {
        csrf: auth.csrf().to_owned(),
        can_edit: true,
        org_id: access.org_id().to_string(),
        c: criterion_view(c, answer, evidence),
        message,
        message_class: class.into(),
    })
}

#[derive(Deserialize)]
pub struct DeleteEvidenceForm {
    /// The criterion the evidence was shown on: where to come back to.
    #[serde(default)]
    criterion: String,
}

/// Deletes a piece of evidence (a file uploaded by mistake, with patient data in it, must
/// go at once). The store audits the deletion with the file's SHA-256.
pub async fn delete_evidence(
    State(state): State<AppState>,
    auth: Auth,
    Path((org, id)): Path<(String, String)>,
    Form(f): Form<DeleteEvidenceForm>,
) -> Result<Response, AppError> {
    let access = state.app.org_access::<Edit>(&auth.principal, &org).await?;
    if !state.app.delete_evidence(&access, &id).await? {
        return Err(AppError::NotFound);
    }
    let back = match state.catalog().sub_practice_of_criterion(&f.criterion) {
        Some(sp) => format!(
            "/orgs/{}/practices/{}#evidence-{}",
            access.org_id(),
            sp.practice,
            dom_id(&f.criterion)
        ),
        None => format!("/orgs/{}", access.org_id()),
    };
    Ok(Redirect::to(&back).into_response())
}

pub async fn download_evidence(
    State(state): State<AppState>,
    auth: Auth,
    Path((org, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let access = state.app.org_access::<Read>(&auth.principal, &org).await?;
    let (_, Some(file)) = state.app.evidence_file(&access, &id).await? else {
        return Err(AppError::NotFound);
    };
    Ok(evidence_download(file))
}

/// A stored evidence file as a download: its own (accepted) content type, a plain file
/// name, and its SHA-256 so that the receiver can check it. The pages and the API serve
/// evidence through this one function.
pub(crate) fn evidence_download(file: hicp_app::EvidenceFile) -> Response {
    let safe_name: String = file
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, file.content_type),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe_name}\""),
            ),
            (
                header::HeaderName::from_static("x-evidence-sha256"),
                file.sha256,
            ),
        ],
        file.bytes,
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct SubPracticeForm {
    /// `true` to add the sub-practice to the assessment, `false` to remove it.
    opted_in: String,
}

/// Adds a sub-practice of another tier to the assessment, or removes one added before.
/// Its answers stay stored, so removing and adding again loses nothing.
pub async fn set_sub_practice(
    State(state): State<AppState>,
    auth: Auth,
    Path((org, sp)): Path<(String, String)>,
    Form(f): Form<SubPracticeForm>,
) -> Result<Response, AppError> {
    let access = state.app.org_access::<Edit>(&auth.principal, &org).await?;
    let Some(s) = state.catalog().sub_practice(&sp) else {
        return Err(AppError::NotFound);
    };
    let opt_in = match f.opted_in.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest("opted_in: true or false.".into())),
    };
    let tier = access.tier().name();
    match state.app.set_sub_practice(&access, &sp, opt_in).await {
        Ok(_) => {}
        Err(Error::Invalid {
            problem: Problem::AlreadyApplies,
            ..
        }) => {
            return Err(AppError::BadRequest(format!(
                "{} already applies to a {tier} organization.",
                s.id
            )));
        }
        Err(Error::Invalid {
            problem: Problem::NotOptional,
            ..
        }) => {
            return Err(AppError::BadRequest(format!(
                "{} cannot be added to a {tier} organization's assessment.",
                s.id
            )));
        }
        Err(e) => return Err(e.into()),
    }
    let anchor = if opt_in {
        format!("#sp-{}", dom_id(s.id.as_str()))
    } else {
        "#optional".into()
    };
    Ok(Redirect::to(&format!("/orgs/{org}/practices/{}{anchor}", s.practice)).into_response())
}
