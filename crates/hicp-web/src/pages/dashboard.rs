//! The dashboard (scores, charts, goals, top actions) and the page for clinicians and staff.

use super::render;
use crate::AppState;
use crate::charts::{Bar, bar_chart_with_id};
use crate::error::AppError;
use crate::session::Auth;
use crate::view::{OrgCtx, org_ctx, view};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use hicp_core::assessment::Progress;
use hicp_core::assessment::scoring::show;

pub struct Row {
    pub label: String,
    pub value: String,
    /// "118 of 187 answered": the questions behind the score.
    pub answered: String,
}

pub struct TopAction {
    pub sub_practice: String,
    pub text: String,
    pub effort: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    csrf: String,
    user_name: String,
    org_id: String,
    /// The navigation links the proposed-rule readiness page (the catalog has the rule).
    nprm: bool,
    org_name: String,
    tier: String,
    overall: String,
    answered: usize,
    total: usize,
    unanswered: usize,
    threat_chart: String,
    threat_rows: Vec<Row>,
    practice_chart: String,
    practice_rows: Vec<Row>,
    cpg_rows: Vec<Row>,
    top: Vec<TopAction>,
    changes: String,
    change_rows: Vec<super::history::ChangeRow>,
    /// A health system's member sites, rolled up.
    roll_up: Option<super::portfolio::RollUpView>,
    all_answered: bool,
    /// The server can make the PDF report (cargo feature `pdf`).
    pdf: bool,
}

/// A score as every output shows it (one decimal, [`show`]), or words when there is none.
pub(crate) fn shown(score: Option<f64>) -> String {
    score.map_or("not scored yet".into(), |s| show(Some(s)))
}

fn answered_words(p: Progress) -> String {
    format!("{} of {} answered", p.answered, p.total)
}

#[derive(serde::Deserialize, Default)]
pub struct DashboardQuery {
    /// Came from "next question not answered yet" with none left.
    #[serde(default)]
    all_answered: Option<String>,
}

pub async fn dashboard(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
    axum::extract::Query(q): axum::extract::Query<DashboardQuery>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let all_answered = q.all_answered.is_some();
    let page = format!("dashboard?all_answered={all_answered}");
    crate::prerender::page(
        &state,
        &auth,
        &ctx,
        page,
        dashboard_page(&state, &ctx, all_answered),
    )
    .await
}

/// The dashboard, with slots for the token and the user's name; kept unless it shows a
/// health system's roll-up.
async fn dashboard_page(
    state: &AppState,
    ctx: &OrgCtx,
    all_answered: bool,
) -> Result<(DashboardPage, bool), AppError> {
    let v = view(state, ctx).await?;
    let (a, scores, items) = (&v.answers, &v.scores, state.app.plan_of(&v));
    // Every answer counts as answered, "not started" included.
    let by_practice = &v.progress;
    let progress = by_practice.all();
    let threat_bars: Vec<(Bar, Progress)> = scores
        .threats
        .iter()
        .map(|t| {
            (
                Bar {
                    label: t.name.clone(),
                    score: t.score,
                },
                by_practice.threat(state.catalog(), &t.id),
            )
        })
        .collect();
    let practice_bars: Vec<(Bar, Progress)> = scores
        .practices
        .iter()
        .filter(|p| p.score.is_some() || !p.sub_practices.is_empty())
        .map(|p| {
            (
                Bar {
                    label: format!("{}. {}", p.number, p.name),
                    score: p.score,
                },
                by_practice.practice(p.number),
            )
        })
        .collect();
    let rows = |bars: &[(Bar, Progress)]| {
        bars.iter()
            .map(|(b, p)| Row {
                label: b.label.clone(),
                value: shown(b.score),
                answered: answered_words(*p),
            })
            .collect()
    };
    let bars = |bars: &[(Bar, Progress)]| -> Vec<Bar> {
        bars.iter()
            .map(|(b, _)| Bar {
                label: b.label.clone(),
                score: b.score,
            })
            .collect()
    };
    // What changed since the last closed snapshot: overall and per threat.
    let mut change_rows = Vec::new();
    let changes = match &v.last_snapshot {
        None => "This is the first assessment; changes will show here once an assessment has been closed as a snapshot (on the History page).".to_owned(),
        Some(snap) => match hicp_app::Snapshot::parse(snap.snapshot_json.as_deref()) {
            None => "The last snapshot could not be read.".to_owned(),
            Some(before) => {
                let now = hicp_app::snapshot_of(state.catalog(), a, scores);
                change_rows.push(super::history::change_row(
                    "Overall",
                    before.overall,
                    now.overall,
                ));
                change_rows.extend(super::history::compare_lines(&before.threats, &now.threats));
                format!(
                    "Since the snapshot of {}. Scores are out of 100; + means better, - means worse.",
                    super::history::when(snap.closed_at)
                )
            }
        },
    };
    let roll_up = if v.has_sites {
        super::portfolio::roll_up_of(state, ctx).await?
    } else {
        None
    };
    let keep = roll_up.is_none();
    let page = DashboardPage {
        csrf: crate::prerender::csrf_slot(),
        user_name: crate::prerender::user_slot(),
        org_id: ctx.org.id.to_string(),
        nprm: crate::pages::readiness::offered(state),
        org_name: ctx.org.name.clone(),
        tier: ctx.tier.name().into(),
        overall: shown(scores.overall),
        answered: progress.answered,
        total: progress.total,
        unanswered: progress.unanswered(),
        // Each chart has ids of its own for its title and description.
        threat_chart: bar_chart_with_id(
            "threat-chart",
            "Coverage of the five threats, 0 to 100",
            &bars(&threat_bars),
        ),
        threat_rows: rows(&threat_bars),
        practice_chart: bar_chart_with_id(
            "practice-chart",
            "Practice scores, 0 to 100",
            &bars(&practice_bars),
        ),
        practice_rows: rows(&practice_bars),
        cpg_rows: scores
            .cpg
            .iter()
            .map(|g| Row {
                label: format!("{} {}", g.id, g.name),
                value: g.status.name().replace('_', " "),
                answered: String::new(),
            })
            .collect(),
        top: items
            .iter()
            .take(5)
            .map(|i| TopAction {
                sub_practice: i.sub_practice.to_string(),
                text: i.text.clone(),
                effort: i.effort.name().into(),
            })
            .collect(),
        changes,
        change_rows,
        roll_up,
        all_answered: all_answered && progress.unanswered() == 0,
        pdf: cfg!(feature = "pdf"),
    };
    Ok((page, keep))
}

pub struct ThreatView {
    pub name: String,
    pub summary: String,
    pub patients: String,
    pub tips: Vec<String>,
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage {
    csrf: String,
    user_name: String,
    org_id: String,
    /// The navigation links the proposed-rule readiness page (the catalog has the rule).
    nprm: bool,
    threats: Vec<ThreatView>,
}

pub async fn staff(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    render(&StaffPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        org_id: ctx.org.id.to_string(),
        nprm: crate::pages::readiness::offered(&state),
        threats: state
            .catalog()
            .threats
            .iter()
            .map(|t| ThreatView {
                name: t.name.clone(),
                summary: t.summary.clone(),
                patients: t.impact_patients.clone(),
                tips: t.tips.clone(),
            })
            .collect(),
    })
}
