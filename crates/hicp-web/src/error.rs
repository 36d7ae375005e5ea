//! One error type for handlers, turned into a page without leaking internals.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// Signed in, but this user may not do this here.
    #[error("forbidden")]
    Forbidden,
    /// A state-changing request without the right CSRF token, or from another site.
    #[error("csrf: {0}")]
    Csrf(&'static str),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn internal(e: impl std::fmt::Display) -> AppError {
        AppError::Internal(e.to_string())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "This page does not exist, or you have no access to it.".to_owned(),
            ),
            // Same words as not found: a user of another organization learns nothing of it.
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "You do not have access to this.".to_owned(),
            ),
            AppError::Csrf(m) => (StatusCode::FORBIDDEN, (*m).to_owned()),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            AppError::Internal(e) => {
                tracing::error!(error = %e, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. Your saved work is safe; please try again."
                        .to_owned(),
                )
            }
        };
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{code}</title>\
             <link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body><main><h1>{code}</h1>\
             <p>{msg}</p><p><a href=\"/\">Back to the start page</a></p></main></body></html>",
            code = status.as_u16(),
            msg = escape(&message)
        );
        (status, Html(body)).into_response()
    }
}

/// HTML-escapes text for the few places that build HTML outside templates (one
/// implementation, shared with the reports).
pub use hicp_report::escape;
