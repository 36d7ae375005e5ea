//! The HICP Toolkit web application: the only crate that knows HTTP and HTML.
//!
//! Server-rendered pages (askama) with htmx for saving answers as they are given. Every
//! action goes through the application layer ([`hicp_app::App`]); state lives in the
//! database, never in process memory, so several servers can share one PostgreSQL database.

mod api;
mod assets;
pub mod charts;
mod error;
mod etag;
mod pages;
mod prerender;
mod security;
mod session;
mod view;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use hicp_app::App;
use hicp_core::catalog::Catalog;
use std::sync::Arc;

pub use api::openapi_document;
pub use error::AppError;

/// Settings of the web front (the application's own are in [`hicp_app::Settings`]).
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Mark cookies `Secure` (set when users reach the server over HTTPS, e.g. behind a proxy).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed; from anyone else it is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The address people reach the server at (no trailing `/`), for single sign-on's
    /// return addresses. Needed only with identity providers.
    pub public_url: Option<String>,
}

/// Responses made from an open assessment, by (organization, revision, day, kind): see
/// `pages::reports::per_revision`.
type ExportCache = moka::future::Cache<
    (String, i64, hicp_core::assessment::Date, &'static str),
    Arc<pages::reports::ExportFile>,
>;

/// What every handler can reach.
pub struct Inner {
    pub app: App,
    pub config: Config,
    exports: ExportCache,
    pages: prerender::PageCache,
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
    pub fn new(app: App, config: Config) -> AppState {
        // Exports share the memory bound of the computed views: as much again, at most.
        let exports = moka::future::Cache::builder()
            .max_capacity(app.settings().view_cache_bytes)
            .weigher(|_, f: &Arc<pages::reports::ExportFile>| f.weight())
            .build();
        // And pages as much again.
        let pages = prerender::cache(app.settings().view_cache_bytes);
        AppState(Arc::new(Inner {
            app,
            config,
            exports,
            pages,
        }))
    }

    pub fn catalog(&self) -> &Catalog {
        self.app.catalog()
    }

    /// Largest evidence upload, in bytes.
    pub fn max_upload_bytes(&self) -> usize {
        self.app.settings().max_upload_bytes
    }

    /// The same, in whole megabytes, as pages say it.
    pub fn max_upload_mb(&self) -> usize {
        self.max_upload_bytes() / (1024 * 1024)
    }
}

pub fn router(state: AppState) -> Router {
    let upload_limit = state.max_upload_bytes() + 64 * 1024;
    let app = Router::new()
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
        .route("/login/sso/{provider}", get(pages::auth::sso_start))
        .route(
            "/login/sso/{provider}/callback",
            get(pages::auth::sso_callback),
        )
        .route(
            "/login/mfa",
            get(pages::mfa::second_step_form).post(pages::mfa::second_step),
        )
        .route("/logout", post(pages::auth::logout))
        .route("/link/{token}", get(pages::links::show))
        .route("/link", post(pages::links::use_link))
        .route("/", get(pages::orgs::home))
        .route(
            "/invitations/{org}/{answer}",
            post(pages::orgs::answer_invitation),
        )
        .route("/account", get(pages::account::account))
        .route("/account/password", post(pages::account::change_password))
        .route("/account/mfa", get(pages::mfa::mfa))
        .route("/account/mfa/start", post(pages::mfa::start))
        .route("/account/mfa/confirm", post(pages::mfa::confirm))
        .route("/account/mfa/disable", post(pages::mfa::disable))
        .route(
            "/account/sign-out-everywhere",
            post(pages::account::sign_out_everywhere),
        )
        .route("/admin/users", get(pages::admin::users))
        .route("/admin/audit", get(pages::admin::audit))
        .route(
            "/admin/users/reset-password",
            post(pages::admin::reset_password),
        )
        .route("/admin/users/reset-mfa", post(pages::admin::reset_mfa))
        .route("/admin/users/disable", post(pages::admin::disable))
        .route("/admin/users/enable", post(pages::admin::enable))
        .route(
            "/account/tokens",
            get(pages::account::tokens).post(pages::account::create_token),
        )
        .route(
            "/account/tokens/{id}/revoke",
            post(pages::account::revoke_token),
        )
        .route("/help/glossary", get(pages::help::glossary))
        .route("/portfolio", get(pages::portfolio::portfolio))
        .route("/portfolio.csv", get(pages::portfolio::portfolio_csv))
        .route(
            "/orgs/new",
            get(pages::orgs::new_form).post(pages::orgs::create),
        )
        .route("/orgs/{org}", get(pages::dashboard::dashboard))
        .route(
            "/orgs/{org}/settings",
            get(pages::orgs::settings).post(pages::orgs::update),
        )
        .route("/orgs/{org}/settings/mfa", post(pages::mfa::org_policy))
        .route(
            "/orgs/{org}/settings/weights",
            post(pages::orgs::update_weights),
        )
        .route(
            "/orgs/{org}/settings/profile",
            post(pages::orgs::update_profile),
        )
        .route(
            "/orgs/{org}/settings/parent",
            post(pages::portfolio::set_parent),
        )
        .route("/orgs/{org}/staff", get(pages::dashboard::staff))
        .route(
            "/orgs/{org}/readiness",
            get(pages::readiness::readiness_page),
        )
        .route(
            "/orgs/{org}/members",
            get(pages::orgs::members).post(pages::orgs::add_member),
        )
        .route(
            "/orgs/{org}/invitations/withdraw",
            post(pages::orgs::withdraw_invitation),
        )
        .route(
            "/orgs/{org}/members/{user}/role",
            post(pages::orgs::set_member_role),
        )
        .route("/orgs/{org}/practices/{n}", get(pages::assess::practice))
        .route("/orgs/{org}/search", get(pages::find::search))
        .route(
            "/orgs/{org}/next-unanswered",
            get(pages::find::next_unanswered),
        )
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
        .route(
            "/orgs/{org}/criteria/{criterion}/evidence",
            get(pages::assess::evidence_form),
        )
        .route(
            "/orgs/{org}/evidence/{id}/delete",
            post(pages::assess::delete_evidence),
        )
        .route("/orgs/{org}/plan", get(pages::plan::board))
        .route(
            "/orgs/{org}/download/{format}",
            get(pages::reports::download),
        )
        .route(
            "/orgs/{org}/plan/{action}",
            get(pages::plan::track_form).post(pages::plan::save_action),
        )
        .route("/orgs/{org}/plan/{action}/rank", get(pages::plan::rank))
        .route(
            "/orgs/{org}/history",
            get(pages::history::history).post(pages::history::close),
        )
        .route(
            "/orgs/{org}/history/{snapshot}/{format}",
            get(pages::reports::snapshot_download),
        )
        .route("/orgs/{org}/export.yaml", get(pages::interchange::export))
        .route(
            "/orgs/{org}/import",
            get(pages::interchange::import_form).post(pages::interchange::import),
        )
        .route(
            "/orgs/{org}/evidence-import",
            get(pages::evidence_import::form)
                .post(pages::evidence_import::import)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/orgs/{org}/evidence-import/accept",
            post(pages::evidence_import::accept),
        )
        .route(
            "/orgs/{org}/email",
            get(pages::email::domains).post(pages::email::save),
        )
        .route(
            "/orgs/{org}/email/{domain}/check",
            post(pages::email::check),
        )
        .route(
            "/orgs/{org}/email/{domain}/remove",
            post(pages::email::remove),
        )
        .route("/orgs/{org}/audit", get(pages::audit::audit))
        .route(
            "/orgs/{org}/sub-practices/{sp}",
            post(pages::assess::set_sub_practice),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::csrf,
        ))
        // The API reads no cookies (tokens only), so it is outside the CSRF check.
        .merge(api::router().layer(DefaultBodyLimit::max(upload_limit)));
    // The layers every response goes through, composed into one stack and applied once:
    // each `Router::layer` call boxes every route again, and a request clones its route's
    // boxes (ten nested boxes cost a /healthz request half its instructions). In a
    // ServiceBuilder the first layer runs first.
    app.layer(
        tower::ServiceBuilder::new()
            // Request ids: taken from `x-request-id` or made (UUID), put in the request's
            // log span, and sent back.
            .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(
                tower_http::request_id::MakeRequestUuid,
            ))
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
            .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
            // gzip for clients that accept it. Pages carry a CSRF token, so each page shows
            // it masked afresh (`session::masked`): compressed sizes then reveal nothing of
            // it (BREACH).
            .layer(tower_http::compression::CompressionLayer::new())
            .layer(axum::middleware::map_response(security::headers)),
    )
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
    // The peer address feeds sign-in throttling per client (see `session::ClientAddr`).
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
