//! The `/api/v1` operations. Each one authorizes through the application layer and calls
//! one use case (or reads), like the pages do.

use super::{ApiError, ApiResult, Caller, FieldError, JsonBody, List, Page, Problem};
use crate::AppState;
use crate::pages::reports::{Export, export};
use crate::view::view_for;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use hicp_app::{
    Answer, AnswerInput, Edit, Evidence, EvidenceContent, EvidenceKind, EvidenceUpload,
    ImportOutcome, Organization, Read, Snapshot, allowed_type,
};
use hicp_core::assessment::{OrgType, Profile, Status};
use hicp_interop::assessment::Assessed;
use hicp_interop::assessment_json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orgs", get(list_orgs).post(create_org))
        .route("/api/v1/orgs/{org}/answers", get(list_answers))
        .route("/api/v1/orgs/{org}/answers/{criterion}", put(save_answer))
        .route("/api/v1/orgs/{org}/answers-file", put(import_answers_file))
        .route(
            "/api/v1/orgs/{org}/snapshots",
            get(list_snapshots).post(close_snapshot),
        )
        .route(
            "/api/v1/orgs/{org}/evidence",
            get(list_evidence).post(upload_evidence),
        )
        .route(
            "/api/v1/orgs/{org}/evidence/{id}",
            get(download_evidence).delete(delete_evidence),
        )
        .route("/api/v1/orgs/{org}/evidence-imports", post(import_evidence))
        .route("/api/v1/orgs/{org}/scores", get(scores))
        .route("/api/v1/orgs/{org}/plan", get(plan))
        .route("/api/v1/orgs/{org}/plan/findings", get(plan_findings))
        .route("/api/v1/orgs/{org}/readiness", get(readiness))
        .route("/api/v1/orgs/{org}/reports/{format}", get(report))
        .route(
            "/api/v1/orgs/{org}/snapshots/{id}/reports/{format}",
            get(snapshot_report),
        )
}

use hicp_app::rfc3339;

// ---------------------------------------------------------------------------------------
// Organizations
// ---------------------------------------------------------------------------------------

/// An organization the caller can see.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgOut {
    pub id: String,
    pub name: String,
    /// `small`, `medium` or `large`.
    pub tier: String,
    /// Why that tier.
    pub tier_reason: Option<String>,
    /// The caller's role: `admin`, `assessor` or `viewer`.
    pub role: String,
}

fn org_out(o: Organization, role: hicp_app::Role) -> OrgOut {
    OrgOut {
        id: o.id.to_string(),
        name: o.name,
        tier: o
            .tier
            .unwrap_or(hicp_core::catalog::Tier::Small)
            .to_string(),
        tier_reason: o.tier_reason,
        role: role.to_string(),
    }
}

/// The sizing interview's answers (every field optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileIn {
    /// `physician-practice`, `hospital`, `post-acute`, `payer`, `device-manufacturer`,
    /// `business-associate` or `other`.
    pub org_type: Option<String>,
    pub physicians: Option<u32>,
    pub staffed_beds: Option<u32>,
    pub workforce: Option<u32>,
    pub it_assets: Option<u32>,
    pub it_staff: Option<u32>,
    pub security_staff: Option<u32>,
    pub sites: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    pub name: String,
    #[serde(default)]
    pub profile: Option<ProfileIn>,
}

/// The organizations the caller can see, by name.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "organizations", params(Page),
    responses(
        (status = 200, body = List<OrgOut>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_orgs(
    State(state): State<AppState>,
    Caller(who): Caller,
    page: Page,
) -> ApiResult<axum::Json<List<OrgOut>>> {
    let orgs = state.app.organizations(&who).await?;
    Ok(axum::Json(page.apply(
        orgs.into_iter().map(|(o, r)| org_out(o, r)).collect(),
    )))
}

/// Creates an organization (installation administrators). Its tier comes from the profile.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "organizations", request_body = NewOrg,
    responses(
        (status = 201, body = OrgOut),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_org(
    State(state): State<AppState>,
    Caller(who): Caller,
    JsonBody(body): JsonBody<NewOrg>,
) -> ApiResult<Response> {
    let admin = state.app.installation_admin(&who)?;
    let p = body.profile.unwrap_or_default();
    let org_type = match p.org_type.as_deref() {
        None => None,
        Some(t) => Some(OrgType::from_name(t).ok_or_else(|| {
            ApiError::from(hicp_app::Error::Invalid {
                field: "org_type",
                problem: hicp_app::Problem::Unknown,
            })
        })?),
    };
    let profile = Profile {
        name: Some(body.name.clone()),
        org_type,
        physicians: p.physicians,
        staffed_beds: p.staffed_beds,
        workforce: p.workforce,
        it_assets: p.it_assets,
        it_staff: p.it_staff,
        security_staff: p.security_staff,
        sites: p.sites,
    };
    let org = state
        .app
        .create_organization(&admin, &body.name, &profile)
        .await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/orgs/{}", org.id))],
        axum::Json(org_out(org, hicp_app::Role::Admin)),
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------

/// The answer to one criterion of the open assessment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerOut {
    pub criterion: String,
    /// `not_started`, `partial`, `largely`, `implemented` or `not_applicable`.
    pub status: String,
    /// Name it when saving; 0 means "never answered".
    pub version: i64,
    pub notes: Option<String>,
    pub owner: Option<String>,
    /// `YYYY-MM-DD`.
    pub in_place_since: Option<String>,
    pub na_reason: Option<String>,
    /// RFC 3339; absent when never answered.
    pub updated_at: Option<String>,
}

impl AnswerOut {
    pub fn from_stored(a: &Answer) -> AnswerOut {
        AnswerOut {
            criterion: a.criterion_id.to_string(),
            status: a.status.to_string(),
            version: a.version,
            notes: a.notes.clone(),
            owner: a.owner.clone(),
            in_place_since: a.in_place_since.map(|d| d.to_string()),
            na_reason: a.na_reason.clone(),
            updated_at: Some(rfc3339(a.updated_at)),
        }
    }
}

/// The answer statuses (for the document; the use case checks the value).
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum StatusName {
    NotStarted,
    Partial,
    Largely,
    Implemented,
    NotApplicable,
}

/// A new answer for one criterion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerIn {
    /// `not_started`, `partial`, `largely`, `implemented` or `not_applicable`.
    #[schema(value_type = StatusName)]
    pub status: String,
    /// The version this answer is based on (0: never answered).
    pub version: i64,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    /// `YYYY-MM-DD`, not in the future.
    #[serde(default)]
    pub in_place_since: Option<String>,
    /// Required with `not_applicable`.
    #[serde(default)]
    pub na_reason: Option<String>,
}

/// Every criterion in scope of the open assessment, with its answer (by criterion id).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/answers", tag = "answers",
    params(("org" = String, Path, description = "Organization id"), Page),
    responses(
        (status = 200, body = List<AnswerOut>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_answers(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(org): Path<String>,
    page: Page,
) -> ApiResult<axum::Json<List<AnswerOut>>> {
    let access = state.app.org_access::<Read>(&who, &org).await?;
    let v = view_for(&state, &access).await?;
    let (cur, domain) = (&v.current, &v.answers);
    let mut out: Vec<AnswerOut> = domain
        .scope(state.catalog())
        .iter()
        .flat_map(|s| &s.criteria)
        .map(
            |c| match cur.answers.iter().find(|a| a.criterion_id == c.id) {
                Some(a) => AnswerOut::from_stored(a),
                None => AnswerOut {
                    criterion: c.id.to_string(),
                    status: Status::NotStarted.name().into(),
                    version: 0,
                    notes: None,
                    owner: None,
                    in_place_since: None,
                    na_reason: None,
                    updated_at: None,
                },
            },
        )
        .collect();
    out.sort_by(|a, b| a.criterion.cmp(&b.criterion));
    Ok(axum::Json(page.apply(out)))
}

/// Saves the answer to one criterion if `version` is still the current one.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/answers/{criterion}", tag = "answers",
    params(("org" = String, Path, description = "Organization id"), ("criterion" = String, Path, description = "Criterion id, e.g. 1.S.A.c1")),
    request_body = AnswerIn,
    responses(
        (status = 200, body = AnswerOut),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Stale version: `current` holds the answer as it is now", body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn save_answer(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path((org, criterion)): Path<(String, String)>,
    JsonBody(body): JsonBody<AnswerIn>,
) -> ApiResult<axum::Json<AnswerOut>> {
    let access = state.app.org_access::<Edit>(&who, &org).await?;
    let in_place_since = match body.in_place_since.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(hicp_core::assessment::Date::parse(s).ok().ok_or_else(|| {
            ApiError::from(hicp_app::Error::Invalid {
                field: "in_place_since",
                problem: hicp_app::Problem::Malformed,
            })
        })?),
    };
    let status = hicp_core::assessment::Status::from_name(&body.status).ok_or_else(|| {
        ApiError::from(hicp_app::Error::Invalid {
            field: "status",
            problem: hicp_app::Problem::Malformed,
        })
    })?;
    let clean = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let input = AnswerInput {
        status,
        na_reason: clean(body.na_reason),
        notes: clean(body.notes),
        owner: clean(body.owner),
        in_place_since,
    };
    let saved = state
        .app
        .save_answer(&access, &criterion, &input, body.version)
        .await?;
    Ok(axum::Json(AnswerOut::from_stored(&saved.answer)))
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportSummary {
    pub changed: usize,
    pub same: usize,
    /// Criteria someone else changed during the import (their answer was kept).
    pub conflicts: Vec<String>,
    /// The tier before, when the file changed it.
    pub tier_changed_from: Option<String>,
    pub tier: Option<String>,
    pub opted_in: usize,
    /// Evidence entries added: web links, or where the evidence is kept.
    pub links_added: usize,
    /// The file's organization profile now applies (admins only).
    pub profile_changed: bool,
    pub weights_changed: bool,
    pub weights_ignored: bool,
}

impl From<ImportOutcome> for ImportSummary {
    fn from(o: ImportOutcome) -> ImportSummary {
        ImportSummary {
            changed: o.changed,
            same: o.same,
            conflicts: o.conflicts,
            tier_changed_from: o.tier_changed_from.map(|t| t.name().to_owned()),
            tier: o.tier.map(|t| t.name().to_owned()),
            opted_in: o.opted_in,
            links_added: o.links_added,
            profile_changed: o.profile_changed,
            weights_changed: o.weights_changed,
            weights_ignored: o.weights_ignored,
        }
    }
}

/// Imports a YAML answers file (the one `hicp assess` reads) into the open assessment,
/// all or nothing.
#[utoipa::path(put, path = "/api/v1/orgs/{org}/answers-file", tag = "answers",
    params(("org" = String, Path, description = "Organization id")),
    request_body(content = String, content_type = "application/yaml", description = "The answers file"),
    responses(
        (status = 200, body = ImportSummary),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file is invalid: each problem with its line and column; nothing was applied", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn import_answers_file(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<axum::Json<ImportSummary>> {
    let access = state.app.org_access::<Edit>(&who, &org).await?;
    let yaml = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            [
                "application/yaml",
                "application/x-yaml",
                "text/yaml",
                "text/plain",
            ]
            .iter()
            .any(|t| ct.starts_with(t))
        });
    if !yaml {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send the answers file as application/yaml.",
        ));
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        let mut p = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-answers-file",
            "The file is not UTF-8 text.",
        );
        p.0.errors.push(FieldError {
            field: "body".into(),
            line: None,
            column: None,
            message: "not UTF-8".into(),
        });
        return Err(p);
    };
    let out = state
        .app
        .import_answers(&access, "answers-file", text)
        .await?;
    Ok(axum::Json(out.into()))
}

// ---------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------

/// A closed assessment (a dated snapshot) and its scores at closing.
#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotOut {
    pub id: String,
    /// RFC 3339.
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    pub tier: String,
    /// Overall score at closing (0 to 100), if scored.
    pub overall: Option<f64>,
    pub answered: Option<usize>,
    pub total: Option<usize>,
}

fn snapshot_out(a: &hicp_app::Assessment) -> SnapshotOut {
    let s = Snapshot::parse(a.snapshot_json.as_deref());
    SnapshotOut {
        id: a.id.to_string(),
        closed_at: a.closed_at.map(rfc3339),
        closed_by: a.closed_by.as_ref().map(ToString::to_string),
        tier: a.tier.to_string(),
        overall: s.as_ref().and_then(|s| s.overall),
        answered: s.as_ref().map(|s| s.answered),
        total: s.as_ref().map(|s| s.total),
    }
}

/// A close that was done, and the assessment open now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Closed {
    pub snapshot: SnapshotOut,
    /// The id of the new open assessment.
    pub next: String,
}

/// The organization's snapshots, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/snapshots", tag = "snapshots",
    params(("org" = String, Path, description = "Organization id"), Page),
    responses(
        (status = 200, body = List<SnapshotOut>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_snapshots(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(org): Path<String>,
    page: Page,
) -> ApiResult<axum::Json<List<SnapshotOut>>> {
    let access = state.app.org_access::<Read>(&who, &org).await?;
    let all = state.app.snapshots(&access).await?;
    Ok(axum::Json(
        page.apply(all.iter().map(snapshot_out).collect()),
    ))
}

/// Closes the open assessment as a dated snapshot and opens the next one with the same
/// answers.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/snapshots", tag = "snapshots",
    params(("org" = String, Path, description = "Organization id")),
    responses(
        (status = 201, body = Closed),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn close_snapshot(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(org): Path<String>,
) -> ApiResult<Response> {
    let access = state.app.org_access::<Edit>(&who, &org).await?;
    let closed = state.app.close_assessment(&access, None).await?;
    let Some(snapshot) = closed.snapshot else {
        return Err(ApiError::internal(&hicp_app::Error::Internal(
            "a close without a snapshot".into(),
        )));
    };
    Ok((
        StatusCode::CREATED,
        axum::Json(Closed {
            snapshot: snapshot_out(&snapshot),
            next: closed.next.id.to_string(),
        }),
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------
// Evidence
// ---------------------------------------------------------------------------------------

/// A piece of the organization's evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceOut {
    pub id: String,
    pub criterion: Option<String>,
    pub action: Option<String>,
    pub title: String,
    /// `file` or `link`.
    pub kind: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub size: i64,
    pub sha256: Option<String>,
    pub url: Option<String>,
    pub collected_on: Option<String>,
    pub valid_until: Option<String>,
    /// RFC 3339.
    pub added_at: String,
}

fn evidence_out(e: &Evidence) -> EvidenceOut {
    EvidenceOut {
        id: e.id.to_string(),
        criterion: e.criterion_id.as_ref().map(|c| c.to_string()),
        action: e.action_id.as_ref().map(|a| a.to_string()),
        title: e.title.clone(),
        kind: match e.kind {
            EvidenceKind::File => "file".into(),
            EvidenceKind::Link => "link".into(),
        },
        file_name: e.file_name.clone(),
        content_type: e.content_type.clone(),
        size: e.size,
        sha256: e.sha256.clone(),
        url: e.url.clone(),
        collected_on: e.collected_on.map(|d| d.to_string()),
        valid_until: e.valid_until.map(|d| d.to_string()),
        added_at: rfc3339(e.added_at),
    }
}

/// The multipart form of an upload.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct EvidenceForm {
    /// The criterion it supports.
    criterion: String,
    /// What it is.
    title: String,
    /// The file (PDF, PNG, JPEG, text, CSV or an Office document) ...
    #[schema(value_type = Option<String>, format = Binary)]
    file: Option<Vec<u8>>,
    /// ... or a link (https://...).
    url: Option<String>,
    /// `YYYY-MM-DD`.
    collected_on: Option<String>,
    /// `YYYY-MM-DD`.
    valid_until: Option<String>,
}

/// The organization's evidence, oldest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/evidence", tag = "evidence",
    params(("org" = String, Path, description = "Organization id"), Page),
    responses(
        (status = 200, body = List<EvidenceOut>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_evidence(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(org): Path<String>,
    page: Page,
) -> ApiResult<axum::Json<List<EvidenceOut>>> {
    let access = state.app.org_access::<Read>(&who, &org).await?;
    let v = view_for(&state, &access).await?;
    Ok(axum::Json(page.apply(
        v.current.evidence.iter().map(evidence_out).collect(),
    )))
}

fn form_problem(field: &str, message: &str) -> ApiError {
    ApiError::bad_field(
        StatusCode::UNPROCESSABLE_ENTITY,
        field,
        format!("{field}: {message}"),
    )
}

/// Adds a file or a link as evidence on a criterion (multipart form).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/evidence", tag = "evidence",
    params(("org" = String, Path, description = "Organization id")),
    request_body(content = EvidenceForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = EvidenceOut),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn upload_evidence(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(org): Path<String>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Response> {
    let access = state.app.org_access::<Edit>(&who, &org).await?;
    let mut form = form.map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send the evidence as multipart/form-data.",
        )
    })?;
    let unreadable = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-body",
            "The form cannot be read (or the file is too large).",
        )
    };
    let (mut criterion, mut title, mut url, mut collected, mut valid) =
        (None, String::new(), None, None, None);
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = form.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("upload").to_owned();
            let bytes = field.bytes().await.map_err(|_| unreadable())?;
            if !bytes.is_empty() {
                file = Some((file_name, bytes.to_vec()));
            }
            continue;
        }
        let value = field.text().await.map_err(|_| unreadable())?;
        let value = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        match name.as_str() {
            "criterion" => criterion = value,
            "title" => title = value.unwrap_or_default(),
            "url" => url = value,
            "collected_on" => collected = value,
            "valid_until" => valid = value,
            _ => {}
        }
    }
    let date = |field: &str, v: Option<String>| -> Result<Option<hicp_app::Date>, ApiError> {
        match v {
            None => Ok(None),
            Some(s) => hicp_core::assessment::Date::parse(&s)
                .ok()
                .map(Some)
                .ok_or_else(|| form_problem(field, "a date (YYYY-MM-DD)")),
        }
    };
    let content = match (file, url) {
        (Some((file_name, bytes)), _) => EvidenceContent::File {
            content_type: allowed_type(&file_name).unwrap_or_default().into(),
            file_name,
            bytes,
            sha256: None,
        },
        (None, Some(url)) => EvidenceContent::Link { url },
        (None, None) => return Err(form_problem("file", "give a file or a url")),
    };
    if criterion.is_none() {
        return Err(form_problem("criterion", "required"));
    }
    let added = state
        .app
        .add_evidence(
            &access,
            EvidenceUpload {
                criterion,
                action: None,
                title,
                content,
                collected_on: date("collected_on", collected)?,
                valid_until: date("valid_until", valid)?,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(evidence_out(&added))).into_response())
}

/// The multipart form of an evidence import.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct EvidenceImportForm {
    /// The scanner, compliance, inventory or DMARC file (its kind is told from the content).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// A CISA KEV catalog (JSON or CSV) to flag findings whose CVEs are known exploited.
    #[schema(value_type = Option<String>, format = Binary)]
    kev: Option<Vec<u8>>,
    /// Insist on a kind: `auto` (the default), `nessus`, `openvas`, `qualys`, `xccdf`,
    /// `mscp`, `inventory`, `kev` or `dmarc-report`.
    kind: Option<String>,
}

/// Where the file came from.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ImportSourceOut {
    file: Option<String>,
    /// SHA-256 of the file, lower-case hex.
    sha256: String,
    /// The tool and layout recognized, e.g. "Nessus v2 XML".
    scanner: String,
    /// When the tool produced the file, as the file says.
    generated: Option<String>,
}

/// A vulnerability reported for one host and port.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ImportFindingOut {
    host: String,
    port: Option<u16>,
    protocol: Option<String>,
    title: String,
    /// `critical`, `high`, `medium`, `low` or `info`.
    severity: String,
    /// Every CVE id the record names.
    cves: Vec<String>,
    cvss3: Option<f64>,
    /// `YYYY-MM-DD`.
    first_seen: Option<String>,
    /// `YYYY-MM-DD`.
    last_seen: Option<String>,
    /// One of its CVEs is in the KEV catalog given (false without one).
    kev: bool,
    /// `open` or `fixed`, when the export says.
    state: Option<String>,
    /// `YYYY-MM-DD`: when the vendor's fix was published, where the scanner says.
    patch_published: Option<String>,
    /// The scanner's check id (plugin, NVT, QID).
    check: Option<String>,
}

/// The result of one configuration rule.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ImportRuleOut {
    rule: String,
    /// `pass`, `fail`, `notapplicable`, `error` or `unknown`.
    result: String,
    /// HICP sub-practice ids the rule carries or the mapping gives it.
    hicp: Vec<String>,
    /// Present (true) when mSCP records an exemption.
    exempt: Option<bool>,
}

/// One inventory item.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ImportAssetOut {
    name: Option<String>,
    ip: Option<String>,
    mac: Option<String>,
    category: Option<String>,
    medical_device: bool,
    id: Option<String>,
    manufacturer: Option<String>,
    model: Option<String>,
    os: Option<String>,
    owner: Option<String>,
    location: Option<String>,
}

/// What the file says about one criterion (or sub-practice): a suggestion only.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ImportObservationOut {
    id: String,
    observation: String,
    /// An answer status, or null.
    suggested_status: Option<String>,
}

/// Something in the file that could not be read as expected, and where.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ImportWarningOut {
    /// A line, row, byte, element or key.
    at: String,
    message: String,
}

/// One sending source of DMARC aggregate reports.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct DmarcSourceOut {
    source_ip: String,
    count: u64,
    spf_pass: u64,
    spf_fail: u64,
    dkim_pass: u64,
    dkim_fail: u64,
    /// Messages per disposition applied (`none`, `quarantine`, `reject`).
    disposition: std::collections::BTreeMap<String, u64>,
    fails_both: bool,
}

/// The DMARC part of an import.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct DmarcOut {
    org_name: Option<String>,
    domain: Option<String>,
    policy: Option<String>,
    begin: Option<String>,
    end: Option<String>,
    sources: Vec<DmarcSourceOut>,
}

/// A KEV catalog's version and size.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct KevCatalogOut {
    version: Option<String>,
    entries: u64,
}

/// What an evidence import read, the JSON of `hicp evidence import --format json`, and the
/// evidence stored.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct EvidenceImportOut {
    /// The kind read: `nessus`, `openvas`, `qualys`, `xccdf`, `mscp`, `inventory` or
    /// `dmarc-report`.
    kind: String,
    source: ImportSourceOut,
    /// Records read: rows, ReportItems, results, rules.
    records: u64,
    findings: Vec<ImportFindingOut>,
    compliance: Vec<ImportRuleOut>,
    assets: Vec<ImportAssetOut>,
    criteria: Vec<ImportObservationOut>,
    warnings: Vec<ImportWarningOut>,
    /// For a DMARC aggregate report.
    dmarc: Option<DmarcOut>,
    /// For a KEV catalog imported as the file: its version and entry count.
    kev_catalog: Option<KevCatalogOut>,
    /// The evidence stored: the file, once per criterion of the assessment it informs (or
    /// once, on no criterion); none for a KEV catalog.
    evidence: Vec<EvidenceOut>,
    /// A KEV catalog kept as the organization's (imported as the file, or given as `kev`):
    /// its stored open findings were flagged against it.
    kev_kept: Option<KevKeptOut>,
    /// For a scan: the KEV catalog its findings were flagged against: `given` (the `kev`
    /// field) or `stored` (the one the organization imported last); absent: none.
    kev_used: Option<String>,
}

/// A KEV catalog kept as the organization's, and what it changed.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct KevKeptOut {
    version: Option<String>,
    /// CVE ids it lists.
    entries: u64,
    /// Stored open findings whose KEV flag changed.
    reflagged: u64,
    /// Stored open findings known exploited now.
    listed: u64,
}

/// Imports a scanner, compliance, inventory or DMARC file (multipart form): it is stored
/// as dated evidence on each criterion of the open assessment that it informs, and the
/// import is audited. No answer changes: `criteria` holds suggestions only. A CISA KEV
/// catalog as the file (or as `kev`) is kept as the organization's KEV catalog instead: its
/// stored open findings, and those of scans imported later, are flagged against it.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/evidence-imports", tag = "evidence",
    params(("org" = String, Path, description = "Organization id")),
    request_body(content = EvidenceImportForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = EvidenceImportOut),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file cannot be read (`errors` names the field and says why); nothing was stored", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn import_evidence(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(org): Path<String>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Response> {
    let access = state.app.org_access::<Edit>(&who, &org).await?;
    let mut form = form.map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Send the file as multipart/form-data.",
        )
    })?;
    let (file, kev, kind) = crate::pages::evidence_import::read_form(&state, &mut form).await?;
    let kind = match kind.as_deref() {
        None => hicp_evidence::Kind::Auto,
        Some(k) => match hicp_evidence::Kind::from_name(k) {
            Some(k) => k,
            None => return Err(form_problem("kind", "not a kind of file we import")),
        },
    };
    let Some((file_name, bytes)) = file else {
        return Err(form_problem("file", "required"));
    };
    let out = state
        .app
        .import_evidence(
            &access,
            hicp_app::EvidenceFileUpload {
                file_name,
                bytes,
                kind,
                kev,
            },
        )
        .await?;
    let mut body = serde_json::to_value(&out.import).map_err(|e| ApiError::internal(&e))?;
    body["evidence"] =
        serde_json::to_value(out.evidence.iter().map(evidence_out).collect::<Vec<_>>())
            .map_err(|e| ApiError::internal(&e))?;
    if let Some(k) = &out.kev_kept {
        body["kev_kept"] = serde_json::json!({
            "version": k.version,
            "entries": k.entries,
            "reflagged": k.reflagged,
            "listed": k.listed,
        });
    }
    if let Some(used) = &out.kev_used {
        body["kev_used"] = serde_json::json!(match used {
            hicp_app::KevUsed::Given { .. } => "given",
            hicp_app::KevUsed::Stored { .. } => "stored",
        });
    }
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// A file's bytes (with its content type), or a link's record as JSON. Files stored by an
/// evidence import are XML, CSV, gzip, zip or (binary property lists, UTF-16 text) octets.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/evidence/{id}", tag = "evidence",
    params(("org" = String, Path, description = "Organization id"), ("id" = String, Path, description = "Evidence id")),
    responses(
        (status = 200, description = "The file, as uploaded (header X-Evidence-SHA256); for a link, its record",
            content(
                (EvidenceOut = "application/json"),
                (Vec<u8> = "application/pdf"),
                (Vec<u8> = "image/png"),
                (Vec<u8> = "image/jpeg"),
                (String = "text/plain"),
                (String = "text/csv"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
                (String = "application/xml"),
                (Vec<u8> = "application/gzip"),
                (Vec<u8> = "application/zip"),
                (Vec<u8> = "application/octet-stream"),
            )),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn download_evidence(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path((org, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let access = state.app.org_access::<Read>(&who, &org).await?;
    let (meta, file) = state.app.evidence_file(&access, &id).await?;
    let Some(file) = file else {
        return Ok(axum::Json(evidence_out(&meta)).into_response());
    };
    Ok(crate::pages::assess::evidence_download(file))
}

/// Deletes a piece of evidence (audited with its SHA-256).
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/evidence/{id}", tag = "evidence",
    params(("org" = String, Path, description = "Organization id"), ("id" = String, Path, description = "Evidence id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_evidence(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path((org, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let access = state.app.org_access::<Edit>(&who, &org).await?;
    if state.app.delete_evidence(&access, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(hicp_app::Error::NotFound.into())
    }
}

// ---------------------------------------------------------------------------------------
// Results and reports
// ---------------------------------------------------------------------------------------

/// The scores: the same JSON as `hicp assess --format json` for the same answers.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/scores", tag = "results",
    params(("org" = String, Path, description = "Organization id")),
    responses(
        (status = 200, body = Object, description = "As `hicp assess --format json`"),
        (status = 304, description = "Not modified: the `ETag` named in `If-None-Match` is still current (it moves with every change to the organization)"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn scores(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(org): Path<String>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    assessed_json(
        &state,
        &who,
        &org,
        &headers,
        "api-scores",
        assessment_json::assessment,
    )
    .await
}

/// The open assessment, scored and planned, in one of the CLI's JSON shapes (`kind`), made
/// once per revision of the organization.
async fn assessed_json(
    state: &AppState,
    who: &hicp_app::Principal,
    org: &str,
    headers: &axum::http::HeaderMap,
    kind: &'static str,
    shape: fn(&Assessed) -> serde_json::Value,
) -> ApiResult<Response> {
    let access = state.app.org_access::<Read>(who, org).await?;
    Ok(
        crate::pages::reports::per_revision(state, &access, headers, kind, async {
            let v = view_for(state, &access).await?;
            let assessed = Assessed::new(state.catalog(), &v.answers, hicp_app::today());
            crate::pages::reports::ExportFile::json(&shape(&assessed))
        })
        .await?,
    )
}

/// The action plan: the same JSON as `hicp plan --format json` for the same answers.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/plan", tag = "results",
    params(("org" = String, Path, description = "Organization id")),
    responses(
        (status = 200, body = Vec<Object>, description = "As `hicp plan --format json`"),
        (status = 304, description = "Not modified: the `ETag` named in `If-None-Match` is still current (it moves with every change to the organization)"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn plan(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(org): Path<String>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    assessed_json(
        &state,
        &who,
        &org,
        &headers,
        "api-plan",
        assessment_json::plan,
    )
    .await
}

/// The findings part of the action plan: the organization's open findings from its latest
/// vulnerability scans (imported with `evidence-imports`) that CISA lists as known exploited
/// (KEV) or that are past HICP Table 8's timeframe for their severity, KEV first, then most
/// overdue. The same JSON as the `findings` of `hicp plan --findings FILE --format json`.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/plan/findings", tag = "results",
    params(("org" = String, Path, description = "Organization id")),
    responses(
        (status = 200, body = Object, description = "As the `findings` of `hicp plan --findings FILE --format json`"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn plan_findings(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(org): Path<String>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let access = state.app.org_access::<Read>(&who, &org).await?;
    let p = state.app.findings_plan(&access).await?;
    Ok(axum::Json(assessment_json::findings(&p)))
}

/// Readiness for the HIPAA Security Rule changes HHS proposed in January 2025: the same JSON
/// as `hicp assess --nprm --format json` for the same answers. Our derived view of a proposed
/// rule, not HHS's (see docs/nprm-readiness.md); 404 when the catalog has no proposed rule.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/readiness", tag = "results",
    params(("org" = String, Path, description = "Organization id")),
    responses(
        (status = 200, body = Object, description = "As `hicp assess --nprm --format json`"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readiness(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path(org): Path<String>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let access = state.app.org_access::<Read>(&who, &org).await?;
    let v = view_for(&state, &access).await?;
    let assessed = Assessed::new(state.catalog(), &v.answers, hicp_app::today());
    match assessment_json::readiness(&assessed) {
        Some(v) => Ok(axum::Json(v)),
        None => Err(hicp_app::Error::NotFound.into()),
    }
}

/// A report or export of the open assessment: `html`, `pdf`, `oscal-ap`, `oscal-ar`,
/// `oscal-poam`, `xlsx`, `csv` (the action plan) or `findings-csv` (the open scan findings
/// to fix first, as on the plan page; the workbook and the OSCAL results carry them too once
/// a scan left open findings).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/reports/{format}", tag = "reports",
    params(("org" = String, Path, description = "Organization id"),
           ("format" = Export, Path, description = "html, pdf, oscal-ap, oscal-ar, oscal-poam, xlsx, csv or findings-csv")),
    responses(
        (status = 200, description = "The file",
            content(
                (String = "text/html"),
                (Vec<u8> = "application/pdf"),
                (Object = "application/json"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (String = "text/csv"),
            )),
        (status = 304, description = "Not modified: the `ETag` named in `If-None-Match` is still this file's (it moves with every change to the organization)"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn report(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path((org, format)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    let access = state.app.org_access::<Read>(&who, &org).await?;
    let Some(what) = Export::from_api_name(&format) else {
        return Err(hicp_app::Error::NotFound.into());
    };
    Ok(export(&state, &access, &headers, what).await?)
}

/// A report or export of a closed snapshot, read-only, as of the day it was closed (with
/// the evidence that was in place then). Formats as for the open assessment, but for
/// `findings-csv` (404: a snapshot keeps no scan findings).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/snapshots/{id}/reports/{format}", tag = "snapshots",
    params(("org" = String, Path, description = "Organization id"),
           ("id" = String, Path, description = "Snapshot id"),
           ("format" = Export, Path, description = "html, pdf, oscal-ap, oscal-ar, oscal-poam, xlsx or csv")),
    responses(
        (status = 200, description = "The file",
            content(
                (String = "text/html"),
                (Vec<u8> = "application/pdf"),
                (Object = "application/json"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (String = "text/csv"),
            )),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn snapshot_report(
    State(state): State<AppState>,
    Caller(who): Caller,
    Path((org, id, format)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let access = state.app.org_access::<Read>(&who, &org).await?;
    let Some(what) = Export::from_api_name(&format) else {
        return Err(hicp_app::Error::NotFound.into());
    };
    Ok(crate::pages::reports::snapshot_export(&state, &access, &id, what).await?)
}
