//! The portfolio (every organization the user can see, side by side, sortable without
//! JavaScript and downloadable as CSV), a health system's roll-up of its member sites, and
//! choosing the health system an organization belongs to.

use super::render;
use crate::AppState;
use crate::error::{AppError, problem_words};
use crate::session::Auth;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use hicp_app::{Error, Manage, OrgSummary, RollUp};
use hicp_core::assessment::scoring::show;
use serde::Deserialize;
use std::cmp::Ordering;

/// A column of the portfolio that can be sorted on.
pub struct SortLink {
    pub label: String,
    /// The link that sorts on it (the other way round when it is the current sort).
    pub href: String,
    /// `ascending`/`descending` on the current sort column, for `aria-sort`; else empty.
    pub aria_sort: String,
    pub arrow: String,
}

pub struct PortfolioRow {
    pub id: String,
    pub name: String,
    pub parent: String,
    pub tier: String,
    pub overall: String,
    pub threats: Vec<String>,
    pub answered: String,
    pub overdue: usize,
    pub last_change: String,
    /// ISO 8601 for `<time datetime>`.
    pub last_change_iso: String,
}

#[derive(Template)]
#[template(path = "portfolio.html")]
struct PortfolioPage {
    csrf: String,
    user_name: String,
    columns: Vec<SortLink>,
    rows: Vec<PortfolioRow>,
    csv_href: String,
}

#[derive(Deserialize, Default)]
pub struct SortQuery {
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
}

/// The columns: key, label. Threat columns are `threat-<id>`.
fn columns(state: &AppState) -> Vec<(String, String)> {
    let mut cols = vec![
        ("name".to_owned(), "Organization".to_owned()),
        ("tier".to_owned(), "Size tier".to_owned()),
        ("overall".to_owned(), "Overall score".to_owned()),
    ];
    for t in &state.catalog().threats {
        cols.push((format!("threat-{}", t.id), t.name.clone()));
    }
    cols.push(("answered".to_owned(), "Answered".to_owned()));
    cols.push(("overdue".to_owned(), "Overdue plan actions".to_owned()));
    cols.push(("changed".to_owned(), "Last change".to_owned()));
    cols
}

fn share(s: &OrgSummary) -> f64 {
    if s.progress.total == 0 {
        0.0
    } else {
        s.progress.answered as f64 / s.progress.total as f64
    }
}

/// Scores without a value sort below every value.
fn by_score(a: Option<f64>, b: Option<f64>) -> Ordering {
    a.unwrap_or(-1.0).total_cmp(&b.unwrap_or(-1.0))
}

fn threat_score(s: &OrgSummary, id: &str) -> Option<f64> {
    s.threats.iter().find(|t| t.id == id).and_then(|t| t.score)
}

/// Sorts the portfolio; an unknown column sorts by name. Ties are broken by name.
fn sort(rows: &mut [OrgSummary], key: &str, descending: bool) {
    rows.sort_by(|a, b| {
        let o = match key {
            "tier" => a.tier.cmp(&b.tier),
            "overall" => by_score(a.overall, b.overall),
            "answered" => share(a).total_cmp(&share(b)),
            "overdue" => a.overdue.cmp(&b.overdue),
            "changed" => a.last_change.cmp(&b.last_change),
            k if k.starts_with("threat-") => {
                let id = &k["threat-".len()..];
                by_score(threat_score(a, id), threat_score(b, id))
            }
            _ => Ordering::Equal,
        };
        let o = if descending { o.reverse() } else { o };
        o.then_with(|| a.org.name.to_lowercase().cmp(&b.org.name.to_lowercase()))
    });
}

fn answered(s: &OrgSummary) -> String {
    format!(
        "{} of {} ({:.0}%)",
        s.progress.answered,
        s.progress.total,
        share(s) * 100.0
    )
}

use super::history::iso;

/// The sorted portfolio of the signed-in user, and the sort as chosen.
async fn sorted(
    state: &AppState,
    auth: &Auth,
    q: &SortQuery,
) -> Result<(Vec<OrgSummary>, String, bool), AppError> {
    let mut rows = state.app.portfolio(auth.principal()).await?;
    let cols = columns(state);
    let key = if cols.iter().any(|(k, _)| *k == q.sort) {
        q.sort.clone()
    } else {
        "name".to_owned()
    };
    let descending = q.dir == "desc";
    sort(&mut rows, &key, descending);
    Ok((rows, key, descending))
}

pub async fn portfolio(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<SortQuery>,
) -> Result<Response, AppError> {
    let (rows, key, descending) = sorted(&state, &auth, &q).await?;
    let columns = columns(&state)
        .into_iter()
        .map(|(k, label)| {
            let current = k == key;
            // A click on the current column turns the order round; a new column starts
            // with the order that reads best (scores: best first would hide the gaps, so
            // lowest first; names A to Z).
            let dir = if current && !descending {
                "desc"
            } else {
                "asc"
            };
            SortLink {
                href: format!("/portfolio?sort={k}&dir={dir}"),
                aria_sort: if current {
                    if descending {
                        "descending"
                    } else {
                        "ascending"
                    }
                    .to_owned()
                } else {
                    String::new()
                },
                arrow: if current {
                    if descending { "↓" } else { "↑" }.to_owned()
                } else {
                    String::new()
                },
                label,
            }
        })
        .collect();
    render(&PortfolioPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        columns,
        csv_href: format!(
            "/portfolio.csv?sort={key}&dir={}",
            if descending { "desc" } else { "asc" }
        ),
        rows: rows
            .iter()
            .map(|s| PortfolioRow {
                id: s.org.id.to_string(),
                name: s.org.name.clone(),
                parent: s
                    .parent
                    .as_ref()
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                tier: s.tier.name().into(),
                overall: show(s.overall),
                threats: s.threats.iter().map(|t| show(t.score)).collect(),
                answered: answered(s),
                overdue: s.overdue,
                last_change: super::history::when(s.last_change),
                last_change_iso: iso(s.last_change),
            })
            .collect(),
    })
}

/// The portfolio as CSV, in the order shown; cells are made inert for spreadsheets.
pub async fn portfolio_csv(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<SortQuery>,
) -> Result<Response, AppError> {
    let (rows, _, _) = sorted(&state, &auth, &q).await?;
    let score = |s: Option<f64>| s.map(|v| show(Some(v))).unwrap_or_default();
    let mut header: Vec<String> = vec![
        "organization".into(),
        "health_system".into(),
        "tier".into(),
        "overall".into(),
    ];
    for t in &state.catalog().threats {
        header.push(format!("threat_{}", t.id));
    }
    header.extend(
        [
            "answered",
            "in_scope",
            "overdue_actions",
            "last_change_utc",
            "size_weight",
        ]
        .map(String::from),
    );
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|s| {
            let mut r = vec![
                s.org.name.clone(),
                s.parent
                    .as_ref()
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                s.tier.name().to_owned(),
                score(s.overall),
            ];
            r.extend(s.threats.iter().map(|t| score(t.score)));
            r.push(s.progress.answered.to_string());
            r.push(s.progress.total.to_string());
            r.push(s.overdue.to_string());
            r.push(iso(s.last_change));
            r.push(format!("{:.0}", s.weight));
            r
        })
        .collect();
    let mut out = Vec::new();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    hicp_interop::sheets::table_csv(&header, &table, &mut out).map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"hicp-portfolio.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

/// One line of a roll-up table.
pub struct SiteRow {
    pub id: String,
    pub name: String,
    pub weight: String,
    pub overall: String,
    pub answered: String,
    pub overdue: usize,
}

/// A health system's roll-up, ready for the dashboard.
pub struct RollUpView {
    pub sites: Vec<SiteRow>,
    pub overall: String,
    pub answered: String,
    pub overdue: usize,
    pub total_weight: String,
    /// Threat name and rolled-up score.
    pub threats: Vec<(String, String)>,
}

pub fn roll_up_view(r: &RollUp) -> RollUpView {
    let people = |w: f64| format!("{w:.0}");
    RollUpView {
        sites: r
            .sites
            .iter()
            .map(|s| SiteRow {
                id: s.org.id.to_string(),
                name: s.org.name.clone(),
                weight: people(s.weight),
                overall: show(s.overall),
                answered: answered(s),
                overdue: s.overdue,
            })
            .collect(),
        overall: show(r.overall),
        answered: format!("{} of {}", r.progress.answered, r.progress.total),
        overdue: r.overdue,
        total_weight: people(r.total_weight),
        threats: r
            .threats
            .iter()
            .map(|t| (t.name.clone(), show(t.score)))
            .collect(),
    }
}

#[derive(Deserialize)]
pub struct ParentForm {
    /// An organization id, or empty for none.
    #[serde(default)]
    parent: String,
}

/// Makes the organization a member site of a health system (admin of both), or of none.
pub async fn set_parent(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
    Form(f): Form<ParentForm>,
) -> Result<Response, AppError> {
    let site = state
        .app
        .org_access::<Manage>(auth.principal(), &org)
        .await?;
    let parent = match f.parent.trim() {
        "" => None,
        p => Some(
            state
                .app
                .org_access::<Manage>(auth.principal(), p)
                .await
                .map_err(|e| match e {
                    Error::NotFound | Error::Forbidden => AppError::BadRequest(
                        "Health system: choose one of the organizations you are an admin of."
                            .into(),
                    ),
                    e => e.into(),
                })?,
        ),
    };
    match state.app.set_parent(&site, parent.as_ref()).await {
        Ok(()) => Ok(Redirect::to(&format!("/orgs/{org}/settings?saved=1#system")).into_response()),
        Err(Error::Invalid { field, problem }) => {
            Err(AppError::BadRequest(problem_words(field, &problem)))
        }
        Err(e) => Err(e.into()),
    }
}

/// The health system choices of an organization's settings page: the organizations the
/// user is an admin of, but itself.
pub async fn parent_choices(
    state: &AppState,
    auth: &Auth,
    ctx: &crate::view::OrgCtx,
) -> Result<(Vec<super::orgs::Opt>, String), AppError> {
    let current = state.app.parent_of(&ctx.access).await?;
    let mut opts = vec![super::orgs::Opt {
        value: String::new(),
        label: "None: it stands on its own".into(),
        selected: current.is_none(),
    }];
    for (o, role) in state.app.organizations(auth.principal()).await? {
        if o.id == ctx.org.id || role != hicp_app::Role::Admin {
            continue;
        }
        opts.push(super::orgs::Opt {
            selected: current.as_ref().is_some_and(|c| c.id == o.id),
            value: o.id.to_string(),
            label: o.name,
        });
    }
    Ok((opts, current.map(|c| c.name).unwrap_or_default()))
}

/// The roll-up of the organization's sites, if it has any (for its dashboard).
pub async fn roll_up_of(
    state: &AppState,
    ctx: &crate::view::OrgCtx,
) -> Result<Option<RollUpView>, AppError> {
    Ok(state
        .app
        .roll_up(&ctx.access)
        .await?
        .as_ref()
        .map(roll_up_view))
}
