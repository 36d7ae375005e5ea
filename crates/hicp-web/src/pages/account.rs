//! The signed-in person's own settings: personal API tokens.

use super::render;
use crate::AppState;
use crate::error::{AppError, problem_words};
use crate::pages::history::when;
use crate::session::Auth;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
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
        .tokens(&auth.principal)
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
        user_name: auth.user.display_name.clone(),
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
        .create_token(&auth.principal, &f.name, read_only)
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
    if state.app.revoke_token(&auth.principal, &id).await? {
        Ok(Redirect::to("/account/tokens").into_response())
    } else {
        Err(AppError::NotFound)
    }
}
