//! Two-step sign-in (TOTP): the second step of signing in, turning it on and off under
//! Account, and an organization's policy that requires it.

use super::render;
use crate::AppState;
use crate::error::{AppError, problem_words};
use crate::session::{self, Auth, SESSION_COOKIE, pre_session_token};
use crate::view::org_ctx;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hicp_app::{Enrolment, Error, Manage};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login_mfa.html")]
struct SecondStepPage {
    csrf: String,
    user_name: String,
    error: String,
}

/// The second step of sign-in: the code from the authenticator app.
pub async fn second_step_form(headers: HeaderMap) -> Result<Response, AppError> {
    if session::cookie(&headers, SESSION_COOKIE).is_none() {
        return Ok(Redirect::to("/login").into_response());
    }
    let (csrf, _) = pre_session_token(&headers);
    render(&SecondStepPage {
        csrf,
        user_name: String::new(),
        error: String::new(),
    })
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

pub async fn second_step(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Result<Response, AppError> {
    let Some(secret) = session::cookie(&headers, SESSION_COOKIE) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let (error, retry_after) = match state.app.second_factor(secret, &f.code).await {
        Ok(user) => {
            let to = if user.must_change_password {
                "/account"
            } else {
                "/"
            };
            return Ok(Redirect::to(to).into_response());
        }
        // No half-open session: sign in again.
        Err(Error::NotFound) => return Ok(Redirect::to("/login").into_response()),
        Err(Error::Invalid { field, problem }) => (problem_words(field, &problem), None),
        Err(Error::Throttled {
            retry_after_seconds,
        }) => (
            "Too many wrong codes. Wait a little and try again.".to_owned(),
            Some(retry_after_seconds),
        ),
        Err(e) => return Err(e.into()),
    };
    let (csrf, _) = pre_session_token(&headers);
    let mut page = render(&SecondStepPage {
        csrf,
        user_name: String::new(),
        error: capitalized(&error),
    })?;
    if let Some(secs) = retry_after {
        *page.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        page.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    Ok(page)
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "account_mfa.html")]
struct MfaPage {
    csrf: String,
    user_name: String,
    enabled: bool,
    codes_left: u64,
    /// Enrolment in progress: the QR code (SVG) and the secret to type by hand.
    qr_svg: String,
    secret: String,
    /// Recovery codes, shown once after turning it on.
    recovery: Vec<String>,
    message: String,
    message_class: String,
}

/// The QR code of an `otpauth://` URL, as inline SVG (no script, no external image).
fn qr_svg(url: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::new(url.as_bytes()).map_err(AppError::internal)?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

async fn mfa_page(
    state: &AppState,
    auth: &Auth,
    enrolment: Option<Enrolment>,
    recovery: Vec<String>,
    message: (String, bool),
) -> Result<Response, AppError> {
    let user = state.app.current_user(auth.principal()).await?;
    let (qr_svg, secret) = match &enrolment {
        Some(e) => (self::qr_svg(&e.url)?, e.secret.clone()),
        None => (String::new(), String::new()),
    };
    render(&MfaPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        enabled: user.totp_secret.is_some(),
        codes_left: state.app.recovery_codes_left(auth.principal()).await?,
        qr_svg,
        secret,
        recovery,
        message_class: if message.1 {
            "flash".into()
        } else {
            "error".into()
        },
        message: message.0,
    })
}

pub async fn mfa(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    let pending = state.app.pending_totp(auth.principal()).await?;
    mfa_page(&state, &auth, pending, Vec::new(), Default::default()).await
}

/// Starts enrolment: a new secret and its QR code.
pub async fn start(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    let e = state.app.start_totp(auth.principal()).await?;
    mfa_page(&state, &auth, Some(e), Vec::new(), Default::default()).await
}

pub async fn confirm(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> Result<Response, AppError> {
    let secret = session::cookie(&headers, SESSION_COOKIE).unwrap_or_default();
    match state
        .app
        .confirm_totp(auth.principal(), secret, &f.code)
        .await
    {
        Ok(codes) => {
            let message = "Two-step sign-in is on. Your other sessions have ended.".to_owned();
            mfa_page(&state, &auth, None, codes, (message, true)).await
        }
        Err(Error::Invalid { field, problem }) => {
            let pending = state.app.pending_totp(auth.principal()).await?;
            let message = capitalized(&problem_words(field, &problem));
            mfa_page(&state, &auth, pending, Vec::new(), (message, false)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
}

pub async fn disable(
    State(state): State<AppState>,
    auth: Auth,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let message = match state
        .app
        .disable_totp(auth.principal(), &f.current_password)
        .await
    {
        Ok(()) => ("Two-step sign-in is off.".to_owned(), true),
        Err(Error::Invalid { field, problem }) => {
            (capitalized(&problem_words(field, &problem)), false)
        }
        Err(e) => return Err(e.into()),
    };
    mfa_page(&state, &auth, None, Vec::new(), message).await
}

#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    require_mfa: Option<String>,
}

/// An organization's admins require two-step sign-in of its members (or stop).
pub async fn org_policy(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
    Form(f): Form<PolicyForm>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let access = ctx.access.at::<Manage>()?;
    match state
        .app
        .set_require_mfa(&access, f.require_mfa.is_some())
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/orgs/{}/settings", ctx.org.id)).into_response()),
        Err(Error::Invalid { field, problem }) => Err(AppError::BadRequest(capitalized(
            &problem_words(field, &problem),
        ))),
        Err(e) => Err(e.into()),
    }
}
