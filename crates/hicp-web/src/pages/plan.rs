//! The action plan board: the engine's ranked actions, each tracked with owner, due date
//! and status.

use super::orgs::Opt;
use super::render;
use crate::AppState;
use crate::error::{AppError, escape, problem_words};
use crate::pages::assess::dom_id;
use crate::session::Auth;
use crate::view::{answers, org_ctx};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use hicp_app::{ActionInput, ActionStatus, ActionTrack, Current, Edit, Error};
use hicp_core::assessment::plan::{Horizon, plan};
use hicp_core::assessment::score;
use hicp_core::catalog::ActionId;
use serde::Deserialize;
use std::collections::HashMap;

const STATUS_LABELS: [(ActionStatus, &str); 4] = [
    (ActionStatus::Open, "Open"),
    (ActionStatus::InProgress, "In progress"),
    (ActionStatus::Done, "Done"),
    (ActionStatus::RiskAccepted, "Risk accepted"),
];

fn status_label(status: ActionStatus) -> &'static str {
    STATUS_LABELS
        .iter()
        .find(|(s, _)| *s == status)
        .map_or("Open", |(_, l)| l)
}

pub struct ItemView {
    pub rank: usize,
    pub dom: String,
    pub sub_practice: String,
    pub title: String,
    pub action: String,
    pub text: String,
    pub effort: String,
    pub cost: String,
    pub horizon: String,
    pub why: String,
    pub owner: String,
    pub due_on: String,
    pub reason: String,
    pub version: i64,
    pub status_label: String,
    pub statuses: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    csrf: String,
    user_name: String,
    org_id: String,
    org_name: String,
    can_edit: bool,
    items: Vec<ItemView>,
    total: usize,
    horizons: Vec<Opt>,
    statuses: Vec<Opt>,
}

#[derive(Deserialize, Default)]
pub struct PlanQuery {
    #[serde(default)]
    horizon: String,
    #[serde(default)]
    status: String,
}

pub async fn board(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
    Query(q): Query<PlanQuery>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let a = answers(&state, &ctx).await?;
    let scores = score(state.catalog(), &a);
    let items = plan(state.catalog(), &scores);
    let tracks: HashMap<ActionId, ActionTrack> = state
        .app
        .action_tracks(&ctx.access)
        .await?
        .into_iter()
        .map(|t| (t.action_id.clone(), t))
        .collect();
    let total = items.len();
    let views = items
        .iter()
        .filter(|i| q.horizon.is_empty() || i.horizon.name() == q.horizon)
        .filter_map(|i| {
            let t = tracks.get(&i.action);
            let status = t.map_or(ActionStatus::Open, |t| t.status);
            if !q.status.is_empty() && status.as_str() != q.status {
                return None;
            }
            Some(ItemView {
                rank: i.rank,
                dom: dom_id(i.action.as_str()),
                sub_practice: i.sub_practice.to_string(),
                title: i.title.clone(),
                action: i.action.to_string(),
                text: i.text.clone(),
                effort: i.effort.name().into(),
                cost: i.cost.clone(),
                horizon: i.horizon.label().into(),
                why: i.why.clone(),
                owner: t.and_then(|t| t.owner.clone()).unwrap_or_default(),
                due_on: t
                    .and_then(|t| t.due_on)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                reason: t.and_then(|t| t.reason.clone()).unwrap_or_default(),
                version: t.map_or(0, |t| t.version),
                status_label: status_label(status).to_owned(),
                statuses: STATUS_LABELS
                    .iter()
                    .map(|(s, l)| Opt {
                        value: s.as_str().into(),
                        label: (*l).into(),
                        selected: *s == status,
                    })
                    .collect(),
            })
        })
        .collect();
    let horizons = std::iter::once(Opt {
        value: String::new(),
        label: "All horizons".into(),
        selected: q.horizon.is_empty(),
    })
    .chain(
        [Horizon::Days30, Horizon::Days90, Horizon::Months12]
            .into_iter()
            .map(|h| Opt {
                value: h.name().into(),
                label: h.label().into(),
                selected: q.horizon == h.name(),
            }),
    )
    .collect();
    let statuses = std::iter::once(Opt {
        value: String::new(),
        label: "Any status".into(),
        selected: q.status.is_empty(),
    })
    .chain(STATUS_LABELS.iter().map(|(s, l)| Opt {
        value: s.as_str().into(),
        label: (*l).into(),
        selected: q.status == s.as_str(),
    }))
    .collect();
    render(&PlanPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user.display_name.clone(),
        org_id: ctx.org.id.to_string(),
        org_name: ctx.org.name.clone(),
        can_edit: ctx.can_edit(),
        items: views,
        total,
        horizons,
        statuses,
    })
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    version: i64,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    evidence: String,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn fragment(dom: &str, class: &str, message: &str, version: Option<i64>) -> Response {
    let mut html = format!(
        "<div id=\"track-{dom}\" class=\"{class}\" role=\"status\" aria-live=\"polite\">{}</div>",
        escape(message)
    );
    if let Some(v) = version {
        html.push_str(&format!("<input type=\"hidden\" name=\"version\" id=\"aversion-{dom}\" value=\"{v}\" hx-swap-oob=\"true\">"));
    }
    Html(html).into_response()
}

pub async fn save_action(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path((org, action)): Path<(String, String)>,
    Form(f): Form<ActionForm>,
) -> Result<Response, AppError> {
    let access = state.app.org_access::<Edit>(&auth.principal, &org).await?;
    let dom = dom_id(&action);
    let htmx = headers.contains_key("hx-request");
    let fail = |m: String| {
        if htmx {
            Ok(fragment(&dom, "error", &m, None))
        } else {
            Err(AppError::BadRequest(m))
        }
    };
    let Some(status) = ActionStatus::parse(&f.status) else {
        return fail("Not saved: choose a status.".into());
    };
    let due_on = match crate::view::form_date("Due", &f.due_on, true) {
        Ok(d) => d,
        Err(e) => return fail(format!("Not saved: {e}")),
    };
    let input = ActionInput {
        owner: opt(&f.owner),
        due_on,
        status,
        reason: opt(&f.reason),
    };
    match state
        .app
        .save_action(
            &access,
            &action,
            &input,
            f.version,
            opt(&f.evidence).as_deref(),
        )
        .await
    {
        Ok(saved) if htmx => Ok(fragment(&dom, "saved", "Saved.", Some(saved.version))),
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{org}/plan#action-{dom}")).into_response()),
        Err(Error::Invalid { field, problem }) => {
            fail(format!("Not saved: {}", problem_words(field, &problem)))
        }
        Err(Error::Stale(current)) if htmx => {
            let (words, version) = match *current {
                Current::Action(Some(t)) => (
                    format!(
                        "now: {}, owner {}",
                        status_label(t.status).to_lowercase(),
                        t.owner.as_deref().unwrap_or("none")
                    ),
                    Some(t.version),
                ),
                _ => ("it is not tracked yet".to_owned(), Some(0)),
            };
            let m = format!(
                "Not saved: someone else changed this action meanwhile ({words}). Save again to replace it with yours, or reload to see theirs."
            );
            Ok(fragment(&dom, "error", &m, version))
        }
        Err(e) => Err(e.into()),
    }
}
