//! The REST API under `/api/v1`: JSON over the same use cases as the pages.
//!
//! - Authentication: a personal API token, `Authorization: Bearer hicp_...`. No cookies are
//!   read, so there is no CSRF to guard against.
//! - Errors: problem details (RFC 9457), one body shape for every error.
//! - Concurrency: answers carry a `version`; a stale one gets 409 with the current value.
//! - The OpenAPI 3.1 document is generated from this code (`utoipa`) and served at
//!   `/api/v1/openapi.json`, with a browsable reference at `/api/v1/docs`.

mod v1;

use crate::AppState;
use crate::error::{AppError, chain, problem_words};
use axum::Router;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hicp_app::{Current, Error, Principal};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/docs", get(docs_page))
        .merge(v1::routes())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "HICP Toolkit API",
        description = "Assess a healthcare organization against the Health Industry Cybersecurity Practices (HICP): organizations, answers, evidence, snapshots, scores, the action plan and reports. Authenticate with a personal API token: `Authorization: Bearer hicp_...`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(
        v1::list_orgs,
        v1::create_org,
        v1::list_answers,
        v1::save_answer,
        v1::import_answers_file,
        v1::scores,
        v1::plan,
        v1::plan_findings,
        v1::readiness,
        v1::list_snapshots,
        v1::close_snapshot,
        v1::list_evidence,
        v1::upload_evidence,
        v1::import_evidence,
        v1::download_evidence,
        v1::delete_evidence,
        v1::report,
        v1::snapshot_report,
    ),
    components(schemas(crate::pages::reports::Export, v1::StatusName)),
    modifiers(&Finish),
    security(("token" = [])),
    tags((name = "organizations"), (name = "answers"), (name = "results"), (name = "snapshots"), (name = "evidence"), (name = "reports"))
)]
pub struct ApiDoc;

/// What the annotations leave out: the bearer scheme, and a description for every response
/// (OpenAPI requires one) in the same words wherever the status is the same.
struct Finish;

impl Modify for Finish {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        for item in openapi.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
            ];
            for op in ops.into_iter().flatten() {
                for (code, r) in op.responses.responses.iter_mut() {
                    if let utoipa::openapi::RefOr::T(r) = r
                        && r.description.is_empty()
                    {
                        r.description = response_words(code).to_owned();
                    }
                }
            }
        }
    }
}

fn response_words(code: &str) -> &'static str {
    match code {
        "200" => "Done.",
        "201" => "Created.",
        "204" => "Done; nothing to return.",
        "400" => "The request cannot be read: `errors` says where.",
        "401" => "No API token, or not a live one.",
        "403" => "Your role, or a read-only token, does not allow this.",
        "404" => "No such thing, or no access to it (the same answer).",
        "409" => "Someone else changed it first, or the assessment was closed meanwhile.",
        "413" => "The upload is too large.",
        "415" => "The body is not of the content type this operation takes.",
        "422" => "A value is not acceptable: `errors` says which.",
        _ => "See the status code.",
    }
}

/// The OpenAPI 3.1 document of the API.
pub fn openapi_document() -> serde_json::Value {
    serde_json::to_value(ApiDoc::openapi()).unwrap_or_default()
}

async fn openapi_json() -> Response {
    match ApiDoc::openapi().to_pretty_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => ApiError::internal(&e).into_response(),
    }
}

/// The browsable reference: Swagger UI, vendored and served from our own assets.
async fn docs_page() -> Response {
    let html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
        <title>HICP Toolkit API</title>\
        <link rel=\"stylesheet\" href=\"/assets/vendor/swagger-ui.css\"></head>\
        <body><div id=\"swagger-ui\"></div>\
        <script src=\"/assets/vendor/swagger-ui-bundle.js\"></script>\
        <script src=\"/assets/api-docs.js\"></script></body></html>";
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // Swagger UI styles some elements inline.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
            ),
        ],
        html,
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------
// Problem details
// ---------------------------------------------------------------------------------------

/// An error, as RFC 9457 problem details (`application/problem+json`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, in words.
    pub detail: String,
    /// With 409: the current value (the answer as it is now, or null if there is none).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub current: Option<serde_json::Value>,
    /// With 400 and 422: each problem, located.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One located problem of a request or an uploaded file.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldError {
    /// The field (for a file: the YAML path of the value).
    pub field: String,
    /// 1-based line in the file, when the problem is in a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based column in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    pub message: String,
}

/// An error of the API: problem details, boxed (they are large and errors are rare).
#[derive(Debug)]
pub struct ApiError(pub Box<Problem>);

impl ApiError {
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> ApiError {
        ApiError(Box::new(Problem {
            kind: format!("urn:hicp:problem:{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            current: None,
            errors: Vec::new(),
        }))
    }

    pub fn internal(e: &dyn std::error::Error) -> ApiError {
        tracing::error!(error = %chain(e), "request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side; nothing was changed by the part that failed.",
        )
    }

    fn bad_field(status: StatusCode, field: &str, message: String) -> ApiError {
        let mut p = ApiError::new(status, "invalid-value", message.clone());
        p.0.errors.push(FieldError {
            field: field.to_owned(),
            line: None,
            column: None,
            message,
        });
        p
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = (status, axum::Json(&*self.0)).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        match e {
            Error::NotFound => ApiError::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "No such thing, or no access to it.",
            ),
            Error::Forbidden => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Your role or token does not allow this.",
            ),
            Error::Invalid { field, problem } => ApiError::bad_field(
                StatusCode::UNPROCESSABLE_ENTITY,
                field,
                problem_words(field, &problem),
            ),
            Error::InvalidFile(e) => {
                let mut p = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-answers-file",
                    format!(
                        "The answers file has {} problem(s); nothing was imported.",
                        e.diagnostics.len()
                    ),
                );
                p.0.errors = e
                    .diagnostics
                    .iter()
                    .map(|d| FieldError {
                        field: d.field.clone(),
                        line: (d.line > 0).then_some(d.line),
                        column: (d.column > 0).then_some(d.column),
                        message: d.message.clone(),
                    })
                    .collect();
                p
            }
            Error::InvalidEvidence { field, error } => ApiError::bad_field(
                StatusCode::UNPROCESSABLE_ENTITY,
                field,
                crate::error::evidence_words(field, &error),
            ),
            Error::TierNeedsAdmin { file, org } => ApiError::new(
                StatusCode::FORBIDDEN,
                "tier-needs-admin",
                format!(
                    "The file is for a {} organization and this one is {}: only an admin may change the tier.",
                    file.name(),
                    org.name()
                ),
            ),
            Error::Stale(current) => {
                let mut p = ApiError::new(
                    StatusCode::CONFLICT,
                    "stale-version",
                    "Someone else saved first, or the version is unknown: the current value is in `current`.",
                );
                p.0.current = Some(match *current {
                    Current::Answer(a) => a.map_or(serde_json::Value::Null, |a| {
                        serde_json::to_value(v1::AnswerOut::from_stored(&a)).unwrap_or_default()
                    }),
                    Current::Action(a) => a.map_or(serde_json::Value::Null, |a| {
                        serde_json::json!({"action": a.action_id.as_str(), "status": a.status.as_str(), "version": a.version})
                    }),
                });
                p
            }
            Error::AssessmentClosed => ApiError::new(
                StatusCode::CONFLICT,
                "assessment-closed",
                "The assessment was closed; try again on the new one.",
            ),
            Error::SetupDone
            | Error::Throttled { .. }
            | Error::BadCredentials
            | Error::AccountDisabled
            | Error::SsoRefused(_)
            | Error::LinkRefused(_)
            | Error::MfaRequired => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string())
            }
            e @ (Error::Store(_) | Error::Internal(_)) => ApiError::internal(&e),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        match e {
            AppError::NotFound => Error::NotFound.into(),
            AppError::Forbidden | AppError::Csrf(_) | AppError::SignedOut => {
                Error::Forbidden.into()
            }
            AppError::MfaRequired => Error::MfaRequired.into(),
            AppError::BadRequest(m) => ApiError::new(StatusCode::BAD_REQUEST, "bad-request", m),
            AppError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            AppError::NotBuilt(what) => ApiError::new(
                StatusCode::NOT_IMPLEMENTED,
                "not-built",
                crate::error::not_built_words(what),
            ),
            e @ AppError::Internal(_) => ApiError::internal(&e),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

// ---------------------------------------------------------------------------------------
// Authentication and common extractors
// ---------------------------------------------------------------------------------------

/// The principal of a request with a valid API token.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthorized = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Send a personal API token: Authorization: Bearer hicp_...",
            )
        };
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(unauthorized)?;
        match state.app.token_principal(secret).await? {
            Some(p) => Ok(Caller(p)),
            None => Err(unauthorized()),
        }
    }
}

/// `?limit=&offset=` of a list (limit 1 to 500, default 100).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct Page {
    /// How many items at most (1 to 500; default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// How many items to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<u32>,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Query(q) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad-query",
                    "The query string cannot be read.",
                )
            })?;
        let num = |name: &str, min: u32, max: u32| -> Result<Option<u32>, ApiError> {
            match q.get(name) {
                None => Ok(None),
                Some(v) => match v.parse::<u32>() {
                    Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
                    _ => Err(ApiError::bad_field(
                        StatusCode::BAD_REQUEST,
                        name,
                        format!("{name}: a whole number from {min} to {max}."),
                    )),
                },
            }
        };
        Ok(Page {
            limit: num("limit", 1, 500)?,
            offset: num("offset", 0, u32::MAX)?,
        })
    }
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T: ToSchema> {
    pub items: Vec<T>,
    /// How many there are in all.
    pub total: usize,
    pub limit: u32,
    pub offset: u32,
}

impl Page {
    pub fn apply<T: ToSchema>(self, all: Vec<T>) -> List<T> {
        let limit = self.limit.unwrap_or(100);
        let offset = self.offset.unwrap_or(0);
        let total = all.len();
        let items = all
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        List {
            items,
            total,
            limit,
            offset,
        }
    }
}

/// A JSON body, refused with problem details (not axum's plain text) when it is not one.
pub struct JsonBody<T>(pub T);

impl<T: serde::de::DeserializeOwned> axum::extract::FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Send the body as application/json.",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad-body",
                    "The body cannot be read.",
                )
            })?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            let mut p = ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad-json",
                format!("The body is not the JSON expected: {e}"),
            );
            p.0.errors.push(FieldError {
                field: "body".into(),
                line: Some(e.line() as u64),
                column: Some(e.column() as u64),
                message: e.to_string(),
            });
            p
        })
    }
}
