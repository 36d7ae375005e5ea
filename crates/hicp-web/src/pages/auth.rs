//! First-run setup, sign in, sign out.

use super::render;
use crate::AppState;
use crate::error::{AppError, problem_words};
use crate::session::{
    self, ClientAddr, PRE_CSRF_COOKIE, SESSION_COOKIE, pre_session_token, session_cookie,
    set_cookie,
};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hicp_app::Error;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    csrf: String,
    user_name: String,
    error: String,
    display_name: String,
    email: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    user_name: String,
    error: String,
    email: String,
    /// Identity providers: (id, name).
    sso: Vec<(String, String)>,
}

/// The sign-in page, with `error` shown and `email` filled in.
fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    error: String,
    email: String,
) -> Result<Response, AppError> {
    let (csrf, new_cookie) = pre_session_token(headers);
    let page = render(&LoginPage {
        csrf,
        user_name: String::new(),
        error,
        email,
        sso: state.app.settings().sso.list(),
    })?;
    Ok(with_pre_cookie(state, new_cookie, page))
}

/// A pre-sign-in page with its CSRF cookie.
fn with_pre_cookie(state: &AppState, new_cookie: Option<String>, page: Response) -> Response {
    match new_cookie {
        Some(t) => (
            [(
                header::SET_COOKIE,
                set_cookie(state, PRE_CSRF_COOKIE, &t, Some(3600)),
            )],
            page,
        )
            .into_response(),
        None => page,
    }
}

pub async fn setup_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if !state.app.setup_due().await? {
        return Ok(Redirect::to("/login").into_response());
    }
    let (csrf, new_cookie) = pre_session_token(&headers);
    let page = render(&SetupPage {
        csrf,
        user_name: String::new(),
        error: String::new(),
        display_name: String::new(),
        email: String::new(),
    })?;
    Ok(with_pre_cookie(&state, new_cookie, page))
}

#[derive(Deserialize)]
pub struct SetupForm {
    display_name: String,
    email: String,
    password: String,
}

pub async fn setup(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<SetupForm>,
) -> Result<Response, AppError> {
    match state
        .app
        .setup(&f.email, &f.display_name, &f.password)
        .await
    {
        Ok(signed_in) => {
            let cookie = session_cookie(&state, &signed_in.secret);
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/orgs/new")).into_response())
        }
        // Someone else finished setup first: this person signs in like everyone else.
        Err(Error::SetupDone) => Ok(Redirect::to("/login").into_response()),
        Err(Error::Invalid { field, problem }) => {
            let (csrf, _) = pre_session_token(&headers);
            render(&SetupPage {
                csrf,
                user_name: String::new(),
                error: problem_words(field, &problem),
                display_name: f.display_name.trim().to_owned(),
                email: f.email.trim().to_lowercase(),
            })
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if state.app.setup_due().await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    login_page(&state, &headers, String::new(), String::new())
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    let mut retry_after = None;
    let error = match state.app.sign_in(&f.email, &f.password, client).await {
        Ok(signed_in) => {
            let to = if signed_in.session.mfa_pending {
                "/login/mfa"
            } else if signed_in.user.must_change_password {
                "/account"
            } else {
                "/"
            };
            let cookie = session_cookie(&state, &signed_in.secret);
            return Ok(([(header::SET_COOKIE, cookie)], Redirect::to(to)).into_response());
        }
        Err(Error::Throttled {
            retry_after_seconds,
        }) => {
            retry_after = Some(retry_after_seconds);
            format!(
                "Too many failed attempts. Try again in {}. If you forgot your password, ask an administrator to reset it.",
                wait_words(retry_after_seconds)
            )
        }
        Err(Error::BadCredentials) => "That email and password do not match an account.".to_owned(),
        Err(Error::AccountDisabled) => {
            "This account is disabled. Ask an administrator if you need it again.".to_owned()
        }
        Err(e) => return Err(e.into()),
    };
    let mut page = login_page(&state, &headers, error, f.email.trim().to_lowercase())?;
    if let Some(secs) = retry_after {
        *page.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        page.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    Ok(page)
}

/// "40 seconds", "3 minutes".
fn wait_words(seconds: u64) -> String {
    match seconds {
        0..=1 => "a second".to_owned(),
        2..=90 => format!("{seconds} seconds"),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(secret) = session::cookie(&headers, SESSION_COOKIE) {
        state.app.sign_out(secret).await?;
    }
    let gone = set_cookie(&state, SESSION_COOKIE, "", Some(0));
    Ok(([(header::SET_COOKIE, gone)], Redirect::to("/login")).into_response())
}

/// The cookie that ties a single sign-on to the browser that started it (it holds the
/// `state` the provider must send back).
pub const SSO_COOKIE: &str = "hicp_sso";

/// Where `provider` sends the browser back to.
fn sso_return_address(state: &AppState, provider: &str) -> Result<String, AppError> {
    let base = state
        .config
        .public_url
        .as_deref()
        .ok_or(AppError::NotFound)?;
    Ok(format!("{base}/login/sso/{provider}/callback"))
}

/// Starts a sign-in with an identity provider (a link on the sign-in page). A GET: it
/// changes nothing but a sign-in under way, which only this browser can finish.
pub async fn sso_start(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let back = sso_return_address(&state, &provider)?;
    match state.app.sso_start(&provider, &back).await {
        Ok(start) => {
            let cookie = set_cookie(
                &state,
                SSO_COOKIE,
                &start.state,
                Some(hicp_app::SSO_LOGIN_MINUTES * 60),
            );
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&start.url)).into_response())
        }
        Err(Error::SsoRefused(why)) => {
            if let hicp_app::SsoRefusal::ProviderFailed(detail) = &why {
                tracing::warn!(provider = %provider, error = %detail, "single sign-on could not start");
            }
            let mut page = login_page(
                &state,
                &headers,
                sso_words(&state, &provider, &why),
                String::new(),
            )?;
            *page.status_mut() = StatusCode::BAD_GATEWAY;
            Ok(page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct SsoAnswer {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

/// Where an identity provider sends the browser back: the sign-in ends here.
pub async fn sso_callback(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    Query(answer): Query<SsoAnswer>,
) -> Result<Response, AppError> {
    let back = sso_return_address(&state, &provider)?;
    let gone = set_cookie(&state, SSO_COOKIE, "", Some(0));
    let started = session::cookie(&headers, SSO_COOKIE);
    let result = match (&answer.error, &answer.state, &answer.code) {
        (Some(code), _, _) => Err(Error::SsoRefused(hicp_app::SsoRefusal::Denied(
            code.clone(),
        ))),
        // The answer must come to the browser that asked: otherwise someone could sign a
        // victim in to the attacker's account.
        (None, Some(s), Some(code)) if started.is_some_and(|c| session::same_token(c, s)) => {
            state.app.sso_finish(&provider, s, code, &back).await
        }
        _ => Err(Error::SsoRefused(hicp_app::SsoRefusal::NotStarted)),
    };
    let (status, error) = match result {
        Ok(signed_in) => {
            let to = if signed_in.session.mfa_pending {
                "/login/mfa"
            } else {
                "/"
            };
            let cookie = session_cookie(&state, &signed_in.secret);
            let mut r = Redirect::to(to).into_response();
            r.headers_mut().append(header::SET_COOKIE, cookie);
            r.headers_mut().append(header::SET_COOKIE, gone);
            return Ok(r);
        }
        Err(Error::SsoRefused(why)) => {
            if let hicp_app::SsoRefusal::ProviderFailed(detail) = &why {
                tracing::warn!(provider = %provider, error = %detail, "single sign-on failed");
            }
            let status = match why {
                hicp_app::SsoRefusal::ProviderFailed(_) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::FORBIDDEN,
            };
            (status, sso_words(&state, &provider, &why))
        }
        Err(Error::AccountDisabled) => (
            StatusCode::FORBIDDEN,
            "This account is disabled. Ask an administrator if you need it again.".to_owned(),
        ),
        Err(e) => return Err(e.into()),
    };
    let mut page = login_page(&state, &headers, error, String::new())?;
    *page.status_mut() = status;
    page.headers_mut().append(header::SET_COOKIE, gone);
    Ok(page)
}

/// Why a single sign-on failed, in words for the person signing in.
fn sso_words(state: &AppState, provider: &str, why: &hicp_app::SsoRefusal) -> String {
    use hicp_app::SsoRefusal as R;
    let name = state
        .app
        .settings()
        .sso
        .list()
        .into_iter()
        .find(|(id, _)| id == provider)
        .map_or_else(|| provider.to_owned(), |(_, n)| n);
    match why {
        R::NotStarted => {
            "That sign-in link has expired or was already used. Please start again.".to_owned()
        }
        R::Denied(code) if code == "access_denied" => {
            format!("The sign-in at {name} was cancelled.")
        }
        R::Denied(code) => format!("{name} did not sign you in (it answered \"{code}\")."),
        R::ProviderFailed(_) => format!(
            "We could not complete the sign-in with {name}. Try again in a moment; if it keeps failing, tell your administrator."
        ),
        R::NoVerifiedEmail => format!(
            "{name} did not confirm an email address for you, so we cannot tell which account is yours. Ask your administrator."
        ),
        R::DomainNotAllowed => format!(
            "Your email address is not one this installation accepts from {name}. Ask your administrator."
        ),
        R::NoAccount => format!(
            "There is no account for you yet. Ask an administrator to invite your email address, then sign in with {name} again."
        ),
    }
}
