//! The installation's accounts, for installation administrators: reset a password,
//! turn off someone's two-step sign-in, disable or enable an account.

use super::render;
use crate::AppState;
use crate::error::{AppError, problem_words};
use crate::pages::history::when;
use crate::session::Auth;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::Response;
use hicp_app::{Emailed, Error};
use serde::Deserialize;

pub struct UserRow {
    pub name: String,
    pub email: String,
    pub admin: bool,
    pub disabled: bool,
    pub created: String,
    pub must_change: bool,
    pub mfa: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    csrf: String,
    user_name: String,
    users: Vec<UserRow>,
    /// A temporary password, shown once, and whose it is.
    temporary: String,
    temporary_for: String,
    /// Resets can email a one-time link.
    by_email: bool,
    message: String,
    message_class: String,
}

async fn page(
    state: &AppState,
    auth: &Auth,
    temporary: (String, String),
    message: (String, bool),
) -> Result<Response, AppError> {
    let admin = state.app.installation_admin(auth.principal())?;
    let users = state
        .app
        .users(&admin)
        .await?
        .into_iter()
        .map(|u| UserRow {
            name: u.display_name,
            email: u.email,
            admin: u.is_admin,
            disabled: u.disabled_at.is_some(),
            created: when(Some(u.created_at)),
            must_change: u.must_change_password,
            mfa: u.totp_secret.is_some(),
        })
        .collect();
    render(&UsersPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        users,
        temporary: temporary.0,
        temporary_for: temporary.1,
        by_email: state.app.settings().mail.is_configured(),
        message_class: if message.1 {
            "flash".into()
        } else {
            "error".into()
        },
        message: message.0,
    })
}

pub async fn users(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    page(&state, &auth, Default::default(), Default::default()).await
}

#[derive(Deserialize)]
pub struct AccountForm {
    email: String,
}

#[derive(Deserialize)]
pub struct ResetForm {
    email: String,
    /// `link` (email a one-time link; needs mail) or `temporary` (the default).
    #[serde(default)]
    how: String,
}

pub async fn reset_password(
    State(state): State<AppState>,
    auth: Auth,
    Form(f): Form<ResetForm>,
) -> Result<Response, AppError> {
    let admin = state.app.installation_admin(auth.principal())?;
    if f.how == "link" && state.app.settings().mail.is_configured() {
        let email = f.email.trim().to_lowercase();
        let message = match state.app.send_reset_link(&admin, &f.email).await? {
            Emailed::Sent => (
                format!(
                    "A link to choose a new password is on its way to {email}. It works once, for {} hours; when they use it, their sessions end. Until then their password is unchanged.",
                    hicp_app::LINK_HOURS
                ),
                true,
            ),
            Emailed::Failed(_) => (
                format!(
                    "The email to {email} could not be sent, so nothing changed. Check the mail server (its answer is in the audit log), or reset with a temporary password instead."
                ),
                false,
            ),
        };
        return page(&state, &auth, Default::default(), message).await;
    }
    let temporary = state.app.reset_password(&admin, &f.email).await?;
    page(
        &state,
        &auth,
        (temporary, f.email.trim().to_lowercase()),
        Default::default(),
    )
    .await
}

async fn set_disabled(
    state: AppState,
    auth: Auth,
    email: &str,
    disabled: bool,
) -> Result<Response, AppError> {
    let admin = state.app.installation_admin(auth.principal())?;
    let message = match state
        .app
        .set_account_disabled(&admin, email, disabled)
        .await
    {
        Ok(u) if disabled => (
            format!("{} is disabled; their sessions have ended.", u.email),
            true,
        ),
        Ok(u) => (format!("{} can sign in again.", u.email), true),
        Err(Error::Invalid { field, problem }) => (problem_words(field, &problem), false),
        Err(e) => return Err(e.into()),
    };
    page(&state, &auth, Default::default(), message).await
}

pub async fn disable(
    State(state): State<AppState>,
    auth: Auth,
    Form(f): Form<AccountForm>,
) -> Result<Response, AppError> {
    set_disabled(state, auth, &f.email, true).await
}

pub async fn enable(
    State(state): State<AppState>,
    auth: Auth,
    Form(f): Form<AccountForm>,
) -> Result<Response, AppError> {
    set_disabled(state, auth, &f.email, false).await
}

pub struct LogRow {
    pub seq: i64,
    pub at: String,
    pub who: String,
    pub org: String,
    pub what: String,
    pub field: String,
    pub new_value: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct LogPage {
    csrf: String,
    user_name: String,
    entries: Vec<LogRow>,
    older: String,
}

#[derive(Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    before: Option<i64>,
}

/// The installation-wide audit log: every organization's changes and every account event.
pub async fn audit(
    State(state): State<AppState>,
    auth: Auth,
    axum::extract::Query(q): axum::extract::Query<LogQuery>,
) -> Result<Response, AppError> {
    let admin = state.app.installation_admin(auth.principal())?;
    let page = crate::pages::audit::PAGE;
    let mut rows = state
        .app
        .installation_audit_log(&admin, q.before, page + 1)
        .await?;
    let more = rows.len() > page as usize;
    rows.truncate(page as usize);
    let ids: Vec<hicp_app::UserId> = rows.iter().filter_map(|r| r.user_id.clone()).collect();
    let names = state.app.user_names(&ids).await?;
    let orgs: std::collections::HashMap<String, String> = state
        .app
        .organizations(auth.principal())
        .await?
        .into_iter()
        .map(|(o, _)| (o.id.to_string(), o.name))
        .collect();
    let older = match (more, rows.last()) {
        (true, Some(last)) => format!("before={}", last.seq),
        _ => String::new(),
    };
    let entries = rows
        .into_iter()
        .map(|r| LogRow {
            seq: r.seq,
            at: when(Some(r.at)),
            who: r.user_id.as_ref().map_or_else(
                || "the system".to_owned(),
                |u| {
                    names
                        .get(u)
                        .cloned()
                        .unwrap_or_else(|| "a deleted account".into())
                },
            ),
            org: r
                .org_id
                .as_ref()
                .map(|o| {
                    orgs.get(o.as_str())
                        .cloned()
                        .unwrap_or_else(|| "(deleted)".into())
                })
                .unwrap_or_default(),
            what: crate::pages::audit::describe(&r.entity, &r.entity_id),
            field: r.field.replace('_', " "),
            new_value: r.new_value.unwrap_or_default(),
        })
        .collect();
    render(&LogPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        entries,
        older,
    })
}

/// Turns off the two-step sign-in of someone who lost their authenticator and their
/// recovery codes; their sessions end.
pub async fn reset_mfa(
    State(state): State<AppState>,
    auth: Auth,
    Form(f): Form<AccountForm>,
) -> Result<Response, AppError> {
    let admin = state.app.installation_admin(auth.principal())?;
    state.app.reset_totp(&admin, &f.email).await?;
    let message = format!(
        "Two-step sign-in is off for {}; their sessions have ended. They can set it up again under Account.",
        f.email.trim().to_lowercase()
    );
    page(&state, &auth, Default::default(), (message, true)).await
}
