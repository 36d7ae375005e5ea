//! Evidence: adding it (a multipart form), deleting it and downloading it.

use super::views::{CriterionView, criterion_view, evidence_view};
use super::{dom_id, opt};
use crate::AppState;
use crate::error::{AppError, problem_words};
use crate::pages::render;
use crate::session::Auth;
use crate::view::form_date;
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use hicp_app::{Edit, Error, EvidenceContent, EvidenceUpload, Read, allowed_type};
use serde::Deserialize;

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

pub async fn add_evidence(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path(org): Path<String>,
    mut form: Multipart,
) -> Result<Response, AppError> {
    let access = state.app.org_access::<Edit>(auth.principal(), &org).await?;
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
            state.max_upload_mb()
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
    let Some((_, c)) = state.catalog().criterion(&criterion) else {
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
    let access = state.app.org_access::<Edit>(auth.principal(), &org).await?;
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
    let access = state.app.org_access::<Read>(auth.principal(), &org).await?;
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

#[derive(Template)]
#[template(path = "evidence_form.html")]
struct EvidenceForm {
    csrf: String,
    org_id: String,
    criterion: String,
    dom: String,
    max_upload_mb: usize,
}

#[derive(Template)]
#[template(path = "evidence_new.html")]
struct EvidencePage {
    csrf: String,
    user_name: String,
    org_id: String,
    nprm: bool,
    org_name: String,
    criterion: String,
    dom: String,
    max_upload_mb: usize,
    question: String,
    practice: u8,
    sub_practice_dom: String,
}

/// The form to add evidence to one question: a fragment for htmx (the questionnaire loads
/// it when its "Add evidence" section opens), a page of its own without script.
pub async fn evidence_form(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path((org, criterion)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let access = crate::view::access_at::<Edit>(&state, &auth, &org).await?;
    let Some((sp, c)) = state.catalog().criterion(&criterion) else {
        return Err(AppError::NotFound);
    };
    let max_upload_mb = state.max_upload_mb();
    if headers.contains_key("hx-request") {
        return render(&EvidenceForm {
            csrf: auth.csrf(),
            org_id: org,
            dom: dom_id(&criterion),
            criterion,
            max_upload_mb,
        });
    }
    render(&EvidencePage {
        csrf: auth.csrf(),
        user_name: auth.user().display_name.clone(),
        nprm: crate::pages::readiness::offered(&state),
        org_name: access.org().name.clone(),
        org_id: org,
        dom: dom_id(&criterion),
        question: c.text.clone(),
        practice: sp.practice,
        sub_practice_dom: dom_id(sp.id.as_str()),
        criterion,
        max_upload_mb,
    })
}
