//! One-time links from email: a new person chooses a password and joins, or someone whose
//! password an administrator reset chooses a new one. Opening the link (GET) only shows
//! the form, since mail scanners open links too; the form sends the link's secret back in a
//! field, and only that POST uses it up.

use super::render;
use crate::AppState;
use crate::error::{AppError, problem_words};
use crate::session::{self, PRE_CSRF_COOKIE, pre_session_token, session_cookie, set_cookie};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hicp_app::{Error, LinkRefusal, LinkView};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "link.html")]
struct LinkPage {
    csrf: String,
    user_name: String,
    token: String,
    /// Joining: the organization and role; empty for a reset.
    org_name: String,
    role: String,
    email: String,
    name: String,
    min_chars: usize,
    error: String,
}

#[derive(Template)]
#[template(path = "link_refused.html")]
struct RefusedPage {
    csrf: String,
    user_name: String,
    title: String,
    message: String,
}

/// The page of a link that does nothing, in plain words.
fn refused(why: LinkRefusal) -> Result<Response, AppError> {
    let (status, title, message) = match why {
        LinkRefusal::Unknown => (
            StatusCode::NOT_FOUND,
            "This link does not work",
            "This link is not one we know. Check that the whole link was copied from the email. If a newer email came, use the link in that one: it replaces the older one.",
        ),
        LinkRefusal::Used => (
            StatusCode::GONE,
            "This link was already used",
            "Each link works only once, and this one has been used. If you chose your password with it, sign in with that password. Otherwise ask the person who sent it for a new one.",
        ),
        LinkRefusal::Expired => (
            StatusCode::GONE,
            "This link has expired",
            "Links work for a limited time, and this one is too old. Ask the person who sent it to send a new one.",
        ),
        LinkRefusal::Withdrawn => (
            StatusCode::GONE,
            "This invitation was withdrawn",
            "The organization no longer invites this email. Ask its administrators if you think that is a mistake.",
        ),
        LinkRefusal::AccountExists => (
            StatusCode::CONFLICT,
            "This email has an account now",
            "Sign in with that account: the invitation waits on your home page, where you can accept it.",
        ),
        LinkRefusal::Disabled => (
            StatusCode::FORBIDDEN,
            "This account is disabled",
            "The account this link is for is disabled. Ask an administrator if you need it again.",
        ),
    };
    let mut page = render(&RefusedPage {
        csrf: String::new(),
        user_name: String::new(),
        title: title.to_owned(),
        message: message.to_owned(),
    })?;
    *page.status_mut() = status;
    Ok(page)
}

/// The CSRF token for the form: the session's if someone is signed in in this browser,
/// else a pre-sign-in one (and its cookie, if new).
async fn form_token(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(String, Option<String>), AppError> {
    if let Some(auth) = session::current(state, headers, None).await? {
        return Ok((auth.csrf().to_owned(), None));
    }
    Ok(pre_session_token(headers))
}

async fn form(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    name: Option<String>,
    error: String,
) -> Result<Response, AppError> {
    let view = match state.app.one_time_link(token).await {
        Ok(v) => v,
        Err(Error::LinkRefused(why)) => return refused(why),
        Err(e) => return Err(e.into()),
    };
    let (csrf, new_cookie) = form_token(state, headers).await?;
    let page = match view {
        LinkView::Join {
            email,
            name: typed,
            org_name,
            role,
        } => LinkPage {
            csrf,
            user_name: String::new(),
            token: token.to_owned(),
            org_name,
            role: role.to_string(),
            email,
            name: name.unwrap_or(typed),
            min_chars: hicp_app::MIN_PASSWORD_CHARS,
            error,
        },
        LinkView::Reset { email, with_mfa } => LinkPage {
            csrf,
            user_name: String::new(),
            token: token.to_owned(),
            org_name: String::new(),
            role: String::new(),
            email,
            name: String::new(),
            min_chars: if with_mfa {
                hicp_app::MIN_PASSWORD_CHARS_WITH_MFA
            } else {
                hicp_app::MIN_PASSWORD_CHARS
            },
            error,
        },
    };
    let mut response = render(&page)?;
    if let Some(t) = new_cookie {
        response.headers_mut().insert(
            header::SET_COOKIE,
            set_cookie(state, PRE_CSRF_COOKIE, &t, Some(3600)),
        );
    }
    Ok(response)
}

/// `GET /link/{token}`: the form, or why the link does nothing.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    form(&state, &headers, &token, None, String::new()).await
}

#[derive(Deserialize)]
pub struct LinkForm {
    token: String,
    #[serde(default)]
    display_name: String,
    password: String,
    confirm_password: String,
}

/// `POST /link`: uses the link; on success the person is signed in.
pub async fn use_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LinkForm>,
) -> Result<Response, AppError> {
    let name = Some(f.display_name.clone());
    if f.password != f.confirm_password {
        let error = "The two passwords differ.".to_owned();
        return form(&state, &headers, &f.token, name, error).await;
    }
    match state
        .app
        .use_one_time_link(&f.token, &f.display_name, &f.password)
        .await
    {
        Ok(used) => {
            let to = if used.signed_in.session.mfa_pending {
                "/login/mfa".to_owned()
            } else if let Some(org) = &used.joined {
                format!("/orgs/{org}")
            } else {
                "/".to_owned()
            };
            let cookie = session_cookie(&state, &used.signed_in.secret);
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response())
        }
        Err(Error::LinkRefused(why)) => refused(why),
        Err(Error::Invalid { field, problem }) => {
            let error = problem_words(field, &problem);
            form(&state, &headers, &f.token, name, error).await
        }
        Err(e) => Err(e.into()),
    }
}
