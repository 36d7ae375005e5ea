//! The HICP Toolkit web application: the only crate that knows HTTP and HTML.
//!
//! Server-rendered pages (askama) with htmx for saving answers as they are given. State
//! lives in the database ([`hicp_store::Store`]), never in process memory, so several
//! servers can share one PostgreSQL database.

mod assets;
pub mod auth;
pub mod charts;
mod error;
mod pages;
mod security;
mod session;
mod view;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use hicp_core::catalog::Catalog;
use hicp_store::Store;
use std::sync::Arc;

pub use error::AppError;

/// Settings of a running server.
#[derive(Clone, Debug)]
pub struct Config {
    /// Mark cookies `Secure` (set when users reach the server over HTTPS, e.g. behind a proxy).
    pub secure_cookies: bool,
    /// Largest evidence upload, in bytes.
    pub max_upload_bytes: usize,
    /// A session ends after this many hours without activity.
    pub session_hours: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: false,
            max_upload_bytes: 10 * 1024 * 1024,
            session_hours: 12,
        }
    }
}

/// Evidence file types we accept: documents, images and plain exports. Executables, HTML
/// and scripts are refused because a download could run in a user's browser or machine.
pub const ALLOWED_UPLOADS: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("txt", "text/plain"),
    ("csv", "text/csv"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
];

/// What every handler can reach.
pub struct Inner {
    pub store: Store,
    pub catalog: Catalog,
    pub config: Config,
}

/// Shared by every request; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(store: Store, catalog: Catalog, config: Config) -> AppState {
        AppState(Arc::new(Inner {
            store,
            catalog,
            config,
        }))
    }
}

pub fn router(state: AppState) -> Router {
    let upload_limit = state.config.max_upload_bytes + 64 * 1024;
    let mut app = Router::new()
        .route("/healthz", get(pages::health))
        .route("/assets/{*path}", get(assets::serve))
        .route(
            "/setup",
            get(pages::auth::setup_form).post(pages::auth::setup),
        )
        .route(
            "/login",
            get(pages::auth::login_form).post(pages::auth::login),
        )
        .route("/logout", post(pages::auth::logout))
        .route("/", get(pages::orgs::home))
        .route(
            "/orgs/new",
            get(pages::orgs::new_form).post(pages::orgs::create),
        )
        .route("/orgs/{org}", get(pages::dashboard::dashboard))
        .route(
            "/orgs/{org}/settings",
            get(pages::orgs::settings).post(pages::orgs::update),
        )
        .route("/orgs/{org}/staff", get(pages::dashboard::staff))
        .route(
            "/orgs/{org}/members",
            get(pages::orgs::members).post(pages::orgs::add_member),
        )
        .route("/orgs/{org}/practices/{n}", get(pages::assess::practice))
        .route(
            "/orgs/{org}/answers/{criterion}",
            post(pages::assess::save_answer),
        )
        .route(
            "/orgs/{org}/evidence",
            post(pages::assess::add_evidence).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/orgs/{org}/evidence/{id}",
            get(pages::assess::download_evidence),
        )
        .route("/orgs/{org}/plan", get(pages::plan::board))
        .route(
            "/orgs/{org}/download/{format}",
            get(pages::reports::download),
        )
        .route("/orgs/{org}/plan/{action}", post(pages::plan::save_action))
        .route(
            "/orgs/{org}/history",
            get(pages::history::history).post(pages::history::close),
        )
        .route("/orgs/{org}/export.yaml", get(pages::interchange::export))
        .route(
            "/orgs/{org}/import",
            get(pages::interchange::import_form).post(pages::interchange::import),
        )
        .route("/orgs/{org}/audit", get(pages::audit::audit))
        .route(
            "/orgs/{org}/sub-practices/{sp}",
            post(pages::assess::set_sub_practice),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::csrf,
        ));
    for layer in security::layers() {
        app = app.layer(layer);
    }
    // Request ids: taken from `x-request-id` or made (UUID), put in the request's log span,
    // and sent back. The last layer added runs first.
    app.layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(
                    tower_http::trace::DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Micros),
                ),
        )
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(
            tower_http::request_id::MakeRequestUuid,
        ))
        .with_state(state)
}

/// The log span of a request: method, path (never the query) and request id.
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
