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
use axum::extract::State;
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
    let (csrf, new_cookie) = pre_session_token(&headers);
    let page = render(&LoginPage {
        csrf,
        user_name: String::new(),
        error: String::new(),
        email: String::new(),
    })?;
    Ok(with_pre_cookie(&state, new_cookie, page))
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
    let (csrf, _) = pre_session_token(&headers);
    let mut page = render(&LoginPage {
        csrf,
        user_name: String::new(),
        error,
        email: f.email.trim().to_lowercase(),
    })?;
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
