//! Request handlers, one module per area. Handlers are thin: check access, call the application layer
//! and the domain, render a template.

pub mod account;
pub mod admin;
pub mod assess;
pub mod audit;
pub mod auth;
pub mod dashboard;
pub mod email;
pub mod evidence_import;
pub mod find;
pub mod help;
pub mod history;
pub mod interchange;
pub mod links;
pub mod mfa;
pub mod orgs;
pub mod plan;
pub mod portfolio;
pub mod readiness;
pub mod reports;

use crate::AppState;
use crate::error::AppError;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// Liveness and database reachability, for load balancers.
pub async fn health(State(state): State<AppState>) -> Response {
    match state.app.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

/// Renders a template into a response.
pub fn render(t: &impl Template) -> Result<Response, AppError> {
    t.render()
        .map(|html| Html(html).into_response())
        .map_err(AppError::internal)
}
