//! The signed-in person's own settings: password, sessions and personal API tokens.

use super::render;
use crate::AppState;
use crate::error::{AppError, problem_words};
use crate::pages::history::when;
use crate::session::{self, Auth, SESSION_COOKIE, set_cookie};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use hicp_app::Error;
use serde::Deserialize;

pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub access: String,
    pub created: String,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    csrf: String,
    user_name: String,
    tokens: Vec<TokenRow>,
    secret: String,
    message: String,
    message_class: String,
}

async fn page(
    state: &AppState,
    auth: &Auth,
    secret: String,
    message: String,
    ok: bool,
) -> Result<Response, AppError> {
    let tokens = state
        .app
        .tokens(auth.principal())
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id.to_string(),
            name: t.name,
            access: if t.read_only {
                "read-only"
            } else {
                "read and write"
            }
            .into(),
            created: when(Some(t.created_at)),
            last_used: t
                .last_used_at
                .map_or_else(|| "never".to_owned(), |t| when(Some(t))),
        })
        .collect();
    render(&TokensPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        tokens,
        secret,
        message,
        message_class: if ok { "flash".into() } else { "error".into() },
    })
}

pub async fn tokens(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    page(&state, &auth, String::new(), String::new(), true).await
}

#[derive(Deserialize)]
pub struct NewTokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    read_only: Option<String>,
}

pub async fn create_token(
    State(state): State<AppState>,
    auth: Auth,
    Form(f): Form<NewTokenForm>,
) -> Result<Response, AppError> {
    let read_only = f.read_only.is_some();
    match state
        .app
        .create_token(auth.principal(), &f.name, read_only)
        .await
    {
        Ok(made) => page(&state, &auth, made.secret, String::new(), true).await,
        Err(Error::Invalid { field, problem }) => {
            page(
                &state,
                &auth,
                String::new(),
                problem_words(field, &problem),
                false,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    if state.app.revoke_token(auth.principal(), &id).await? {
        Ok(Redirect::to("/account/tokens").into_response())
    } else {
        Err(AppError::NotFound)
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    csrf: String,
    user_name: String,
    email: String,
    must_change: bool,
    is_admin: bool,
    min_chars: usize,
    message: String,
    message_class: String,
}

fn account_page(auth: &Auth, message: String, ok: bool) -> Result<Response, AppError> {
    render(&AccountPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        email: auth.user().email.clone(),
        must_change: auth.user().must_change_password,
        is_admin: auth.user().is_admin,
        min_chars: hicp_app::MIN_PASSWORD_CHARS,
        message_class: if ok { "flash".into() } else { "error".into() },
        message,
    })
}

#[derive(Deserialize)]
pub struct AccountQuery {
    #[serde(default)]
    changed: Option<String>,
}

/// The signed-in person's account: password, sessions, tokens.
pub async fn account(auth: Auth, Query(q): Query<AccountQuery>) -> Result<Response, AppError> {
    let message = if q.changed.is_some() {
        "Your password is changed. Your other sessions have ended.".to_owned()
    } else {
        String::new()
    };
    account_page(&auth, message, true)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    if f.new_password != f.confirm_password {
        return account_page(&auth, "The two new passwords differ.".into(), false);
    }
    let secret = session::cookie(&headers, SESSION_COOKIE).unwrap_or_default();
    match state
        .app
        .change_password(
            auth.principal(),
            secret,
            &f.current_password,
            &f.new_password,
        )
        .await
    {
        Ok(()) => Ok(Redirect::to("/account?changed=1").into_response()),
        Err(Error::Invalid { field, problem }) => {
            account_page(&auth, problem_words(field, &problem), false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Ends every session of the user, this one too: they sign in again.
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Response, AppError> {
    state.app.sign_out_everywhere(auth.principal()).await?;
    let gone = set_cookie(&state, SESSION_COOKIE, "", Some(0));
    Ok(([(header::SET_COOKIE, gone)], Redirect::to("/login")).into_response())
}
