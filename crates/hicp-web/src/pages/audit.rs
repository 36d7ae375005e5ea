//! The audit log of an organization, for its admins: who changed what, when, from what to
//! what. Filters by person and by kind of record, newest first, a page at a time.

use super::orgs::Opt;
use super::render;
use crate::AppState;
use crate::error::AppError;
use crate::session::Auth;
use crate::view::org_ctx;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use hicp_app::{Manage, UserId};
use serde::Deserialize;
use std::collections::HashMap;

/// Entries per page.
pub const PAGE: u32 = 50;
/// Longer values are cut in the table.
const MAX_VALUE_CHARS: usize = 200;

/// The kinds of record, with words for the filter.
const ENTITIES: [(&str, &str); 8] = [
    ("answer", "Answers"),
    ("evidence", "Evidence"),
    ("action", "Action plan"),
    ("sub_practice", "Sub-practices added or removed"),
    ("assessment", "Assessments (closing, snapshots)"),
    ("import", "Imported files"),
    ("organization", "Organization and tier"),
    ("membership", "People and roles"),
];

pub struct EntryView {
    pub seq: i64,
    pub at: String,
    /// ISO 8601, for `<time datetime>` (shown in the reader's time zone by the script).
    pub at_iso: String,
    pub who: String,
    pub what: String,
    pub field: String,
    pub old_value: String,
    pub new_value: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    csrf: String,
    user_name: String,
    org_id: String,
    /// The navigation links the proposed-rule readiness page (the catalog has the rule).
    nprm: bool,
    org_name: String,
    /// The reader may see the log (admins); others get a page that says who can.
    allowed: bool,
    users: Vec<Opt>,
    entities: Vec<Opt>,
    entries: Vec<EntryView>,
    /// The query string of the next (older) page, if there is one.
    older: String,
    filtered: bool,
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    user: String,
    #[serde(default)]
    entity: String,
    #[serde(default)]
    before: Option<i64>,
}

fn cut(v: Option<&str>) -> String {
    match v {
        None => "(none)".into(),
        Some(s) if s.chars().count() > MAX_VALUE_CHARS => {
            let mut t: String = s.chars().take(MAX_VALUE_CHARS).collect();
            t.push('…');
            t
        }
        Some(s) => s.to_owned(),
    }
}

/// A recorded value in words: statuses of answers and plan actions, yes and no; other
/// values as they were typed.
pub fn value_words(field: &str, v: String) -> String {
    let words = match (field, v.as_str()) {
        ("status", "not_started") => "not started",
        ("status", "partial") => "partly",
        ("status", "largely") => "largely",
        ("status", "implemented") => "in place",
        ("status", "not_applicable") => "does not apply",
        ("status", "open") => "open",
        ("status", "in_progress") => "in progress",
        ("status", "done") => "done",
        ("status", "risk_accepted") => "risk accepted",
        (_, "true") => "yes",
        (_, "false") => "no",
        _ => return v,
    };
    words.to_owned()
}

/// What a record is, in words: the criterion of an answer, the sub-practice opted in.
pub fn describe(entity: &str, id: &str) -> String {
    let tail = id.rsplit_once('/').map_or(id, |(_, t)| t);
    match entity {
        "answer" => format!("Answer {tail}"),
        "sub_practice" => format!("Sub-practice {tail}"),
        "action" => format!("Action {id}"),
        "evidence" => "Evidence".into(),
        "assessment" => "Assessment".into(),
        "import" => "Import".into(),
        "organization" => "Organization".into(),
        "membership" => match id.strip_prefix("invitation:") {
            Some(email) => format!("Invitation of {email}"),
            None => "Role".into(),
        },
        "email_domain" => format!("Email domain {id}"),
        "user" => "Account".into(),
        other => other.to_owned(),
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub async fn audit(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let Ok(access) = ctx.access.at::<Manage>() else {
        // A proper page, with the organization's navigation, rather than a bare refusal.
        let page = render(&AuditPage {
            csrf: auth.csrf().to_owned(),
            user_name: auth.user().display_name.clone(),
            org_id: ctx.org.id.to_string(),
            nprm: crate::pages::readiness::offered(&state),
            org_name: ctx.org.name.clone(),
            allowed: false,
            users: Vec::new(),
            entities: Vec::new(),
            entries: Vec::new(),
            older: String::new(),
            filtered: false,
        })?;
        return Ok((axum::http::StatusCode::FORBIDDEN, page).into_response());
    };
    let members = state.app.members(&access).await?;
    let user = (!q.user.is_empty()).then(|| UserId::new(q.user.clone()));
    let entity = ENTITIES
        .iter()
        .find(|(e, _)| *e == q.entity)
        .map(|(e, _)| *e);
    let mut rows = state
        .app
        .audit_log(&access, user.as_ref(), entity, q.before, PAGE + 1)
        .await?;
    let more = rows.len() > PAGE as usize;
    rows.truncate(PAGE as usize);

    // Members are known; others (former members, installation admins) are looked up.
    let mut names: HashMap<UserId, String> = members
        .iter()
        .map(|m| (m.user_id.clone(), m.display_name.clone()))
        .collect();
    let others: Vec<UserId> = rows
        .iter()
        .filter_map(|r| r.user_id.clone())
        .filter(|u| !names.contains_key(u))
        .collect();
    names.extend(state.app.user_names(&others).await?);
    let mut entries = Vec::with_capacity(rows.len());
    for r in &rows {
        let who = match &r.user_id {
            None => "the system".to_owned(),
            Some(u) => names
                .get(u)
                .cloned()
                .unwrap_or_else(|| "a deleted account".to_owned()),
        };
        entries.push(EntryView {
            seq: r.seq,
            at: super::history::when(Some(r.at)),
            who,
            what: describe(&r.entity, &r.entity_id),
            field: r.field.replace('_', " "),
            old_value: value_words(&r.field, cut(r.old_value.as_deref())),
            new_value: value_words(&r.field, cut(r.new_value.as_deref())),
            at_iso: super::history::iso(Some(r.at)),
        });
    }
    let older = match (more, rows.last()) {
        (true, Some(last)) => format!(
            "user={}&entity={}&before={}",
            encode(&q.user),
            encode(entity.unwrap_or_default()),
            last.seq
        ),
        _ => String::new(),
    };
    let mut users: Vec<Opt> = members
        .iter()
        .map(|m| Opt {
            value: m.user_id.to_string(),
            label: format!("{} ({})", m.display_name, m.email),
            selected: m.user_id.as_str() == q.user,
        })
        .collect();
    users.insert(
        0,
        Opt {
            value: String::new(),
            label: "Anyone".into(),
            selected: q.user.is_empty(),
        },
    );
    let mut entities: Vec<Opt> = ENTITIES
        .iter()
        .map(|(e, l)| Opt {
            value: (*e).into(),
            label: (*l).into(),
            selected: entity == Some(*e),
        })
        .collect();
    entities.insert(
        0,
        Opt {
            value: String::new(),
            label: "Everything".into(),
            selected: entity.is_none(),
        },
    );
    render(&AuditPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        org_id: ctx.org.id.to_string(),
        nprm: crate::pages::readiness::offered(&state),
        org_name: ctx.org.name.clone(),
        allowed: true,
        users,
        entities,
        entries,
        older,
        filtered: user.is_some() || entity.is_some() || q.before.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_named_in_words_and_values_cut() {
        assert_eq!(describe("answer", "0190-aa/1.S.A.c1"), "Answer 1.S.A.c1");
        assert_eq!(
            describe("sub_practice", "0190-aa/1.M.B"),
            "Sub-practice 1.M.B"
        );
        assert_eq!(
            describe("membership", "invitation:nora@clinic.example"),
            "Invitation of nora@clinic.example"
        );
        assert_eq!(describe("membership", "0190-aa"), "Role");
        assert_eq!(cut(None), "(none)");
        assert_eq!(
            cut(Some(&"x".repeat(300))).chars().count(),
            MAX_VALUE_CHARS + 1
        );
        assert_eq!(encode("a b&c"), "a%20b%26c");
        assert_eq!(value_words("status", "not_started".into()), "not started");
        assert_eq!(value_words("status", "in_progress".into()), "in progress");
        assert_eq!(value_words("tier_overridden", "true".into()), "yes");
        assert_eq!(value_words("notes", "not_started".into()), "not_started");
    }
}
