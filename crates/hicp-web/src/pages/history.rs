//! History: close the current assessment as a dated snapshot (the next one starts with the
//! same answers), list the snapshots, and compare any two, or one with the current answers.

use super::dashboard::shown;
use super::orgs::Opt;
use super::render;
use crate::AppState;
use crate::error::AppError;
use crate::session::Auth;
use crate::view::org_ctx;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use hicp_app::{Edit, OffsetDateTime, ScoreLine, Snapshot, UserId};
use hicp_core::assessment::scoring::{round1, show};
use serde::Deserialize;

/// One line of a comparison: a score before and after, and the change in numbers and words.
pub struct ChangeRow {
    pub label: String,
    pub before: String,
    pub after: String,
    pub change: String,
    pub words: String,
    /// `better`, `worse` or `same`, for the page's colours.
    pub class: String,
}

pub fn change_row(label: &str, before: Option<f64>, after: Option<f64>) -> ChangeRow {
    let (change, words, class) = match (before, after) {
        (Some(b), Some(a)) => {
            // Compared as shown (one decimal), so the words agree with the numbers.
            let d = round1(round1(a) - round1(b));
            if d > 0.0 {
                (format!("+{d:.1}"), "better".to_owned(), "better")
            } else if d < 0.0 {
                (format!("{d:.1}"), "worse".to_owned(), "worse")
            } else {
                ("0".into(), "no change".into(), "same")
            }
        }
        (None, Some(a)) => (
            format!("+{}", show(Some(a))),
            "scored for the first time".into(),
            "better",
        ),
        (Some(_), None) => ("".into(), "no longer scored".into(), "same"),
        (None, None) => ("".into(), "not scored".into(), "same"),
    };
    ChangeRow {
        label: label.to_owned(),
        before: shown(before),
        after: shown(after),
        change,
        words,
        class: class.into(),
    }
}

/// Changes of each line of `after` (and those only in `before`), matched by key.
pub fn compare_lines(before: &[ScoreLine], after: &[ScoreLine]) -> Vec<ChangeRow> {
    let mut rows: Vec<ChangeRow> = after
        .iter()
        .map(|a| {
            let b = before.iter().find(|b| b.key == a.key).and_then(|b| b.score);
            change_row(&a.name, b, a.score)
        })
        .collect();
    for b in before {
        if !after.iter().any(|a| a.key == b.key) {
            rows.push(change_row(&b.name, b.score, None));
        }
    }
    rows
}

pub fn when(t: Option<OffsetDateTime>) -> String {
    t.map_or_else(String::new, |t| {
        format!(
            "{} {:02}:{:02} UTC",
            t.date(),
            t.time().hour(),
            t.time().minute()
        )
    })
}

/// An instant as ISO 8601 (RFC 3339), for `<time datetime>`; the page's script shows it in
/// the reader's time zone.
pub fn iso(t: Option<OffsetDateTime>) -> String {
    t.and_then(|t| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
    .unwrap_or_default()
}

pub struct SnapshotRow {
    pub id: String,
    pub closed_at: String,
    pub closed_at_iso: String,
    pub closed_by: String,
    pub overall: String,
    pub answered: String,
}

/// An answer that differs between two assessments.
pub struct AnswerChange {
    pub criterion: String,
    pub text: String,
    pub before: String,
    pub after: String,
}

/// The answers that differ between two assessments (by criterion, in catalog order): a
/// status changed, or a question answered on one side only.
fn answer_changes(
    catalog: &hicp_core::catalog::Catalog,
    before: &[hicp_app::Answer],
    after: &[hicp_app::Answer],
) -> Vec<AnswerChange> {
    use std::collections::BTreeMap;
    let by_id = |rows: &[hicp_app::Answer]| -> BTreeMap<String, hicp_core::assessment::Status> {
        rows.iter()
            .map(|a| (a.criterion_id.to_string(), a.status))
            .collect()
    };
    let (b, a) = (by_id(before), by_id(after));
    let words = |s: Option<&hicp_core::assessment::Status>| {
        s.map_or("not answered yet", |s| super::assess::answer_label(*s))
            .to_owned()
    };
    let mut out = Vec::new();
    for sp in &catalog.sub_practices {
        for c in &sp.criteria {
            let id = c.id.as_str();
            let (x, y) = (b.get(id), a.get(id));
            if x != y {
                out.push(AnswerChange {
                    criterion: id.to_owned(),
                    text: c.text.clone(),
                    before: words(x),
                    after: words(y),
                });
            }
        }
    }
    out
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    csrf: String,
    user_name: String,
    org_id: String,
    /// The navigation links the proposed-rule readiness page (the catalog has the rule).
    nprm: bool,
    org_name: String,
    can_edit: bool,
    message: String,
    current_id: String,
    current_overall: String,
    current_answered: String,
    snapshots: Vec<SnapshotRow>,
    from_options: Vec<Opt>,
    to_options: Vec<Opt>,
    comparing: String,
    overall_rows: Vec<ChangeRow>,
    practice_rows: Vec<ChangeRow>,
    threat_rows: Vec<ChangeRow>,
    answer_rows: Vec<AnswerChange>,
    /// A close was sent without its confirmation.
    confirm_missing: bool,
}

#[derive(Deserialize, Default)]
pub struct HistoryQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    closed: Option<String>,
    #[serde(default)]
    confirm: Option<String>,
}

const CURRENT: &str = "current";

pub async fn history(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let current = state.app.current_snapshot(&ctx.access).await?;
    let closed = state.app.snapshots(&ctx.access).await?;
    let closers: Vec<UserId> = closed.iter().filter_map(|a| a.closed_by.clone()).collect();
    let names = state.app.user_names(&closers).await?;
    let mut rows = Vec::new();
    for a in &closed {
        let by = a
            .closed_by
            .as_ref()
            .and_then(|u| names.get(u).cloned())
            .unwrap_or_else(|| "someone".into());
        let snap = Snapshot::parse(a.snapshot_json.as_deref());
        rows.push(SnapshotRow {
            id: a.id.to_string(),
            closed_at: when(a.closed_at),
            closed_at_iso: iso(a.closed_at),
            closed_by: by,
            overall: snap.as_ref().map_or("unknown".into(), |s| shown(s.overall)),
            answered: snap
                .as_ref()
                .map_or(String::new(), |s| format!("{} of {}", s.answered, s.total)),
        });
    }

    // What to compare: by default the newest snapshot with the current answers.
    let pick = |v: &str, default: &str| -> String {
        if v == CURRENT || closed.iter().any(|a| a.id.as_str() == v) {
            v.to_owned()
        } else {
            default.to_owned()
        }
    };
    let newest = closed.first().map_or(CURRENT, |a| a.id.as_str());
    let from = pick(&q.from, newest);
    let to = pick(&q.to, CURRENT);
    let label_of = |id: &str| -> String {
        if id == CURRENT {
            "the current assessment".into()
        } else {
            closed
                .iter()
                .find(|a| a.id.as_str() == id)
                .map_or(String::new(), |a| {
                    format!("the snapshot of {}", when(a.closed_at))
                })
        }
    };
    let snap_of = |id: &str| -> Option<Snapshot> {
        if id == CURRENT {
            Some(current.clone())
        } else {
            closed
                .iter()
                .find(|a| a.id.as_str() == id)
                .and_then(|a| Snapshot::parse(a.snapshot_json.as_deref()))
        }
    };
    let options = |selected: &str| -> Vec<Opt> {
        let mut v: Vec<Opt> = closed
            .iter()
            .map(|a| Opt {
                value: a.id.to_string(),
                label: format!("Snapshot of {}", when(a.closed_at)),
                selected: a.id.as_str() == selected,
            })
            .collect();
        v.insert(
            0,
            Opt {
                value: CURRENT.into(),
                label: "Current assessment (not closed yet)".into(),
                selected: selected == CURRENT,
            },
        );
        v
    };
    let (mut overall_rows, mut practice_rows, mut threat_rows) = (vec![], vec![], vec![]);
    let mut comparing = String::new();
    if !closed.is_empty()
        && let (Some(b), Some(a)) = (snap_of(&from), snap_of(&to))
    {
        comparing = format!("From {} to {}.", label_of(&from), label_of(&to));
        overall_rows.push(change_row("Overall", b.overall, a.overall));
        practice_rows = compare_lines(&b.practices, &a.practices);
        threat_rows = compare_lines(&b.threats, &a.threats);
    }
    // Which answers changed: the rows of the two assessments.
    let mut answer_rows = Vec::new();
    if !closed.is_empty() && from != to {
        let rows_of = async |id: &str| -> Result<Vec<hicp_app::Answer>, AppError> {
            let a = if id == CURRENT {
                ctx.assessment.clone()
            } else {
                state.app.assessment_by_id(&ctx.access, id).await?
            };
            Ok(state.app.assessment(&ctx.access, &a).await?.answers)
        };
        let (b, a) = (rows_of(&from).await?, rows_of(&to).await?);
        answer_rows = answer_changes(state.catalog(), &b, &a);
    }
    render(&HistoryPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        org_id: ctx.org.id.to_string(),
        nprm: crate::pages::readiness::offered(&state),
        org_name: ctx.org.name.clone(),
        can_edit: ctx.can_edit(),
        message: if q.closed.is_some() {
            "The assessment was closed as a snapshot. A new assessment has started with the same answers: update what has changed since.".into()
        } else {
            String::new()
        },
        current_id: ctx.assessment.id.to_string(),
        current_overall: shown(current.overall),
        current_answered: format!("{} of {}", current.answered, current.total),
        snapshots: rows,
        from_options: options(&from),
        to_options: options(&to),
        comparing,
        overall_rows,
        practice_rows,
        threat_rows,
        answer_rows,
        confirm_missing: q.confirm.is_some(),
    })
}

#[derive(Deserialize)]
pub struct CloseForm {
    /// The id of the assessment the user saw, so a double submit closes only once.
    #[serde(default)]
    assessment: String,
    /// The box "I understand..." is ticked (closing cannot be undone).
    #[serde(default)]
    confirm: Option<String>,
}

/// Closes the open assessment as a snapshot and starts the next one with its answers.
pub async fn close(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
    Form(f): Form<CloseForm>,
) -> Result<Response, AppError> {
    let access = state.app.org_access::<Edit>(auth.principal(), &org).await?;
    if f.confirm.as_deref() != Some("yes") {
        // Closing cannot be undone: it needs the box ticked (works without JavaScript).
        return Ok(Redirect::to(&format!("/orgs/{org}/history?confirm=1#close")).into_response());
    }
    let seen = Some(f.assessment.as_str()).filter(|s| !s.is_empty());
    // Closed now, or already closed by this or another request: either way the next
    // assessment is open.
    state.app.close_assessment(&access, seen).await?;
    Ok(Redirect::to(&format!("/orgs/{org}/history?closed=1")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(key: &str, score: Option<f64>) -> ScoreLine {
        ScoreLine {
            key: key.into(),
            name: format!("Practice {key}"),
            score,
        }
    }

    #[test]
    fn changes_are_given_in_numbers_and_words() {
        let r = change_row("Overall", Some(40.2), Some(55.4));
        assert_eq!((r.before.as_str(), r.after.as_str()), ("40.2", "55.4"));
        assert_eq!((r.change.as_str(), r.words.as_str()), ("+15.2", "better"));
        let r = change_row("Overall", Some(60.0), Some(45.0));
        assert_eq!((r.change.as_str(), r.words.as_str()), ("-15.0", "worse"));
        // Rounded as the report and the CLI round: 11.66 shows as 11.7 everywhere.
        let r = change_row("Overall", Some(11.66), Some(11.66));
        assert_eq!(r.after, show(Some(11.66)));
        assert_eq!(r.after, "11.7");
        // Equal as shown: no change, even if the hidden decimals moved.
        let r = change_row("Overall", Some(50.24), Some(50.21));
        assert_eq!((r.change.as_str(), r.words.as_str()), ("0", "no change"));
        assert_eq!(
            change_row("x", None, Some(20.0)).words,
            "scored for the first time"
        );
        assert_eq!(change_row("x", Some(20.0), None).words, "no longer scored");
    }

    #[test]
    fn lines_are_matched_by_key() {
        let before = [line("1", Some(10.0)), line("2", Some(50.0))];
        let after = [line("1", Some(30.0)), line("3", None)];
        let rows = compare_lines(&before, &after);
        let words: Vec<&str> = rows.iter().map(|r| r.words.as_str()).collect();
        assert_eq!(words, ["better", "not scored", "no longer scored"]);
        assert_eq!(rows[2].label, "Practice 2");
    }

    #[test]
    fn snapshots_read_back_and_bad_json_is_none() {
        let s = Snapshot {
            version: 1,
            tier: "small".into(),
            overall: Some(12.5),
            answered: 3,
            total: 67,
            practices: vec![line("1", Some(25.0))],
            threats: vec![],
            tracking: vec![],
        };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(Snapshot::parse(Some(&json)), Some(s));
        assert_eq!(Snapshot::parse(Some("{")), None);
        assert_eq!(Snapshot::parse(None), None);
    }
}
