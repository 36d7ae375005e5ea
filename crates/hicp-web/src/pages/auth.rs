//! First-run setup, sign in, sign out.

use super::render;
use crate::AppState;
use crate::auth::{dummy_hash, hash_password, password_problem, verify_password};
use crate::error::AppError;
use crate::session::{self, PRE_CSRF_COOKIE, SESSION_COOKIE, pre_session_token, set_cookie};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use hicp_store::{NewUser, OffsetDateTime};
use serde::Deserialize;
use time::Duration;

/// Failed sign-ins allowed per email in [`LOCKOUT_WINDOW_MINUTES`] before sign-in is refused.
pub const MAX_FAILURES: u64 = 5;
pub const LOCKOUT_WINDOW_MINUTES: i64 = 15;

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

async fn has_users(state: &AppState) -> Result<bool, AppError> {
    Ok(state
        .store
        .count_users()
        .await
        .map_err(AppError::internal)?
        > 0)
}

pub async fn setup_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if has_users(&state).await? {
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
    if has_users(&state).await? {
        return Ok(Redirect::to("/login").into_response());
    }
    let email = f.email.trim().to_lowercase();
    let name = f.display_name.trim().to_owned();
    let problem = if name.is_empty() {
        Some("Enter your name.".to_owned())
    } else if !email.contains('@') {
        Some("Enter an email address.".to_owned())
    } else {
        password_problem(&f.password)
    };
    if let Some(error) = problem {
        let (csrf, _) = pre_session_token(&headers);
        return render(&SetupPage {
            csrf,
            user_name: String::new(),
            error,
            display_name: name,
            email,
        });
    }
    let password = f.password;
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    let user = state
        .store
        .create_user(&NewUser {
            email: &email,
            display_name: &name,
            password_hash: &hash,
            is_admin: true,
        })
        .await
        .map_err(AppError::internal)?;
    let cookie = session::start(&state, &user).await?;
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/orgs/new")).into_response())
}

pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if !has_users(&state).await? {
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
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    let email = f.email.trim().to_lowercase();
    let key = format!("email:{email}");
    let now = OffsetDateTime::now_utc();
    let since = now - Duration::minutes(LOCKOUT_WINDOW_MINUTES);
    let failures = state
        .store
        .count_login_failures(&key, since)
        .await
        .map_err(AppError::internal)?;
    let (csrf, _) = pre_session_token(&headers);
    let refuse = |error: String, email: String| {
        render(&LoginPage {
            csrf: csrf.clone(),
            user_name: String::new(),
            error,
            email,
        })
    };
    if failures >= MAX_FAILURES {
        return refuse(
            format!(
                "Too many failed attempts. Wait {LOCKOUT_WINDOW_MINUTES} minutes, or ask an administrator to reset your password."
            ),
            email,
        );
    }
    let user = state
        .store
        .user_by_email(&email)
        .await
        .map_err(AppError::internal)?;
    let hash = user
        .as_ref()
        .map_or_else(|| dummy_hash().to_owned(), |u| u.password_hash.clone());
    let password = f.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(AppError::internal)?;
    match user {
        Some(user) if ok => {
            state
                .store
                .clear_login_failures(&key)
                .await
                .map_err(AppError::internal)?;
            let cookie = session::start(&state, &user).await?;
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response())
        }
        _ => {
            state
                .store
                .record_login_failure(&key, now)
                .await
                .map_err(AppError::internal)?;
            refuse(
                "That email and password do not match an account.".to_owned(),
                email,
            )
        }
    }
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(token) = session::cookie(&headers, SESSION_COOKIE) {
        let digest = crate::auth::token_digest(token);
        state
            .store
            .delete_session(&digest)
            .await
            .map_err(AppError::internal)?;
    }
    let gone = set_cookie(&state, SESSION_COOKIE, "", Some(0));
    Ok(([(header::SET_COOKIE, gone)], Redirect::to("/login")).into_response())
}
