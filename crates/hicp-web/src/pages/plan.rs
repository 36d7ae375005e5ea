//! The action plan board: the engine's ranked actions, each tracked with owner, due date
//! and status.

use super::orgs::Opt;
use crate::AppState;
use crate::error::{AppError, escape, problem_words};
use crate::pages::assess::dom_id;
use crate::pages::render;
use crate::session::Auth;
use crate::view::{OrgCtx, org_ctx, view};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use hicp_app::{ActionInput, ActionStatus, ActionTrack, Current, Edit, Error};
use hicp_core::assessment::plan::Horizon;
use hicp_core::assessment::scoring::show;
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

/// The answer labels of the questionnaire, for the statuses named in the plan's detail.
const ANSWER_WORDS: [(&str, &str); 5] = [
    ("not_started", "not started"),
    ("partial", "partly"),
    ("largely", "largely"),
    ("implemented", "in place"),
    ("not_applicable", "does not apply"),
];

/// The engine's detailed reason with its internal status names put into words.
pub fn specialist_why(why: &str) -> String {
    let mut out = why.to_owned();
    for (raw, words) in ANSWER_WORDS {
        out = out.replace(&format!(" {raw}"), &format!(" ({words})"));
    }
    out
}

/// Why an action is where it is, in plain words for an office manager: what it protects
/// against, what it is worth, what is still open. The engine's arithmetic stays in the
/// specialist detail.
pub fn plain_why(
    catalog: &hicp_core::catalog::Catalog,
    i: &hicp_core::assessment::plan::PlanItem,
) -> String {
    let name = |id: &str| catalog.threat(id).map_or(id.to_owned(), |t| t.name.clone());
    let mut gains: Vec<&(String, f64)> = i.threat_gains.iter().filter(|(_, g)| *g > 0.0).collect();
    gains.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let threats: Vec<String> = gains.iter().take(3).map(|(t, _)| name(t)).collect();
    let mut s = if threats.is_empty() {
        format!("This closes a gap in {} {}.", i.sub_practice, i.title)
    } else {
        format!(
            "It protects you against {}. Doing it raises your overall score by about {} points.",
            list(&threats),
            show(Some(i.gain))
        )
    };
    if !i.key_threats.is_empty() {
        let keys: Vec<String> = i.key_threats.iter().map(|(t, _)| name(t)).collect();
        s.push_str(&format!(
            " It is one of the main defences against {}, so it ranks higher.",
            list(&keys)
        ));
    }
    if !i.essential.is_empty() {
        s.push_str(" It also meets an essential HHS cybersecurity goal.");
    }
    s.push_str(match i.effort.name() {
        "low" => " It takes little effort.",
        "high" => " It takes a lot of effort, so it may be split over time.",
        _ => " It takes a moderate effort.",
    });
    if !i.after.is_empty() {
        let after: Vec<String> = i.after.iter().map(|a| a.to_string()).collect();
        s.push_str(&format!(" Do {} first: this builds on it.", list(&after)));
    }
    let open = i.unmet.len();
    if open > 0 {
        s.push_str(&format!(
            " {} {} of this sub-practice {} not fully in place yet.",
            open,
            if open == 1 { "question" } else { "questions" },
            if open == 1 { "is" } else { "are" }
        ));
    }
    s
}

fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// An action's owner and due date as the board and its form show them (empty: not set).
fn owner_and_due(t: Option<&ActionTrack>) -> (String, String) {
    (
        t.and_then(|t| t.owner.clone()).unwrap_or_default(),
        t.and_then(|t| t.due_on)
            .map(|d| d.to_string())
            .unwrap_or_default(),
    )
}

pub struct ItemView {
    pub rank: usize,
    pub dom: String,
    pub sub_practice: String,
    pub title: String,
    /// The older edition the title follows ("2018"), or empty.
    pub edition: String,
    pub action: String,
    pub text: String,
    pub effort: String,
    pub cost: String,
    pub horizon: String,
    pub why: String,
    pub owner: String,
    pub due_on: String,
    pub status_label: String,
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    csrf: String,
    user_name: String,
    org_id: String,
    /// The navigation links the proposed-rule readiness page (the catalog has the rule).
    nprm: bool,
    org_name: String,
    items: Vec<ItemView>,
    total: usize,
    horizons: Vec<Opt>,
    statuses: Vec<Opt>,
    findings: FindingsView,
}

/// The most findings the page lists; the rest are counted (the API and CLI give them all).
const FINDINGS_SHOWN: usize = 50;

/// The findings part of the plan: open scan findings that are known exploited or past HICP
/// Table 8, first to fix first.
pub struct FindingsView {
    /// The organization has open findings from scans.
    pub any: bool,
    pub summary: String,
    pub timeframes: String,
    pub rows: Vec<hicp_report::model::FindingRow>,
    pub more: usize,
}

fn findings_view(p: &hicp_core::assessment::findings::FindingsPlan) -> FindingsView {
    let rows = p
        .items
        .iter()
        .take(FINDINGS_SHOWN)
        .map(hicp_report::model::finding_row)
        .collect();
    FindingsView {
        any: p.open > 0,
        summary: p.summary(),
        timeframes: p.timeframes.words(),
        more: p.items.len().saturating_sub(FINDINGS_SHOWN),
        rows,
    }
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
    // Only the filters the page offers make pages worth keeping; anything else is shown
    // (as no match) but not kept, so odd queries cannot crowd the cache.
    let known = (q.horizon.is_empty() || Horizon::ALL.iter().any(|h| h.name() == q.horizon))
        && (q.status.is_empty() || STATUS_LABELS.iter().any(|(s, _)| s.as_str() == q.status));
    let page = format!("plan?horizon={}&status={}", q.horizon, q.status);
    crate::prerender::page(&state, &auth, &ctx, page, async {
        Ok((plan_page(&state, &ctx, &q).await?, known))
    })
    .await
}

/// The plan board, with slots for the token and the user's name.
async fn plan_page(state: &AppState, ctx: &OrgCtx, q: &PlanQuery) -> Result<PlanPage, AppError> {
    let v = view(state, ctx).await?;
    let items = state.app.plan_of(&v);
    let tracks: HashMap<&ActionId, &ActionTrack> =
        v.tracks.iter().map(|t| (&t.action_id, t)).collect();
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
            let (owner, due_on) = owner_and_due(t.copied());
            Some(ItemView {
                rank: i.rank,
                dom: dom_id(i.action.as_str()),
                sub_practice: i.sub_practice.to_string(),
                title: i.title.clone(),
                edition: state
                    .catalog()
                    .sub_practice(i.sub_practice.as_str())
                    .and_then(|sp| state.catalog().older_edition(sp.title_edition.as_ref()))
                    .unwrap_or_default()
                    .to_owned(),
                action: i.action.to_string(),
                text: i.text.clone(),
                effort: i.effort.name().into(),
                cost: i.cost.clone(),
                horizon: i.horizon.label().into(),
                why: plain_why(state.catalog(), i),
                owner,
                due_on,
                status_label: status_label(status).to_owned(),
            })
        })
        .collect();
    let horizons = std::iter::once(Opt {
        value: String::new(),
        label: "All horizons".into(),
        selected: q.horizon.is_empty(),
    })
    .chain(Horizon::ALL.into_iter().map(|h| Opt {
        value: h.name().into(),
        label: h.label().into(),
        selected: q.horizon == h.name(),
    }))
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
    Ok(PlanPage {
        csrf: crate::prerender::csrf_slot(),
        user_name: crate::prerender::user_slot(),
        org_id: ctx.org.id.to_string(),
        nprm: crate::pages::readiness::offered(state),
        org_name: ctx.org.name.clone(),
        items: views,
        total,
        horizons,
        statuses,
        findings: findings_view(&v.findings),
    })
}

/// The tracking form of one action: owner, due date, status, reason (disabled for those
/// who may only read).
#[derive(Template)]
#[template(path = "plan_track_form.html")]
struct TrackForm {
    csrf: String,
    org_id: String,
    action: String,
    dom: String,
    can_edit: bool,
    owner: String,
    due_on: String,
    reason: String,
    version: i64,
    statuses: Vec<Opt>,
}

/// How an action's rank is computed, for specialists: the engine's arithmetic in words, or
/// (`None`) that the action is not in the plan now.
#[derive(Template)]
#[template(path = "plan_rank.html")]
struct RankDetail {
    detail: Option<String>,
}

/// The plan's item for `action` in the view `v`, if the action is in the plan now.
fn plan_item<'v>(
    state: &AppState,
    v: &'v hicp_app::AssessmentView,
    action: &ActionId,
) -> Option<&'v hicp_core::assessment::plan::PlanItem> {
    state.app.plan_of(v).iter().find(|i| &i.action == action)
}

impl RankDetail {
    fn of(item: Option<&hicp_core::assessment::plan::PlanItem>) -> Self {
        RankDetail {
            detail: item.map(|i| specialist_why(&i.why)),
        }
    }
}

/// The tracking form as a page of its own, for browsers without script, with why the
/// action is in the plan when it is.
#[derive(Template)]
#[template(path = "plan_track.html")]
struct TrackPage {
    csrf: String,
    user_name: String,
    org_id: String,
    nprm: bool,
    org_name: String,
    sub_practice: String,
    title: String,
    text: String,
    form: TrackForm,
    /// Why the action is in the plan, in plain words (`None`: it is not in the plan now).
    why: Option<String>,
    rank: RankDetail,
}

/// The form to track one action of the plan: a fragment for htmx (the board loads it when
/// the action's tracking section opens, which keeps the board small), a page of its own
/// without script.
pub async fn track_form(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path((org, action)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let Some((sp, a)) = state.catalog().action(&action) else {
        return Err(AppError::NotFound);
    };
    let v = view(&state, &ctx).await?;
    let t = v.tracks.iter().find(|t| t.action_id == a.id);
    let status = t.map_or(ActionStatus::Open, |t| t.status);
    let (owner, due_on) = owner_and_due(t);
    let form = TrackForm {
        csrf: auth.csrf(),
        org_id: org,
        dom: dom_id(&action),
        action,
        can_edit: ctx.can_edit(),
        owner,
        due_on,
        reason: t.and_then(|t| t.reason.clone()).unwrap_or_default(),
        version: t.map_or(0, |t| t.version),
        statuses: STATUS_LABELS
            .iter()
            .map(|(s, l)| Opt {
                value: s.as_str().into(),
                label: (*l).into(),
                selected: *s == status,
            })
            .collect(),
    };
    if headers.contains_key("hx-request") {
        return render(&form);
    }
    let item = plan_item(&state, &v, &a.id);
    render(&TrackPage {
        csrf: form.csrf.clone(),
        user_name: auth.user().display_name.clone(),
        org_id: form.org_id.clone(),
        nprm: crate::pages::readiness::offered(&state),
        org_name: ctx.org.name.clone(),
        sub_practice: sp.id.to_string(),
        title: sp.title.clone(),
        text: a.text.clone(),
        form,
        why: item.map(|i| plain_why(state.catalog(), i)),
        rank: RankDetail::of(item),
    })
}

/// How an action's rank is computed: the board loads it (htmx) when its section opens, as
/// it is long and for few readers. Without script it is part of the action's own page.
pub async fn rank(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path((org, action)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let Some((_, a)) = state.catalog().action(&action) else {
        return Err(AppError::NotFound);
    };
    if !headers.contains_key("hx-request") {
        return Ok(Redirect::to(&format!("/orgs/{org}/plan/{action}#rank")).into_response());
    }
    let v = view(&state, &ctx).await?;
    render(&RankDetail::of(plan_item(&state, &v, &a.id)))
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
    Html(fragment_html(dom, class, message, version)).into_response()
}

fn fragment_html(dom: &str, class: &str, message: &str, version: Option<i64>) -> String {
    let mut html = format!(
        "<div id=\"track-{dom}\" class=\"{class}\" role=\"status\" aria-live=\"polite\">{}</div>",
        escape(message)
    );
    if let Some(v) = version {
        html.push_str(&format!("<input type=\"hidden\" name=\"version\" id=\"aversion-{dom}\" value=\"{v}\" hx-swap-oob=\"true\">"));
    }
    html
}

pub async fn save_action(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path((org, action)): Path<(String, String)>,
    Form(f): Form<ActionForm>,
) -> Result<Response, AppError> {
    let access = state.app.org_access::<Edit>(auth.principal(), &org).await?;
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
        Ok(saved) if htmx => {
            let mut html = fragment_html(&dom, "saved", "Saved.", Some(saved.version));
            // The folded summary line follows what was saved.
            html.push_str(&format!(
                "<summary id=\"summary-{dom}\" hx-swap-oob=\"true\">Owner: {} · Due: {} · Status: {}</summary>",
                escape(saved.owner.as_deref().unwrap_or("nobody yet")),
                saved.due_on.map_or("not set".to_owned(), |d| d.to_string()),
                status_label(saved.status)
            ));
            Ok(Html(html).into_response())
        }
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
