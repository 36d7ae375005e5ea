//! One assessed answers file: the inputs every assessment export shares (scores, plan and
//! the 12-month check are computed once, by `hicp-core`).

use hicp_core::assessment::findings::FindingsPlan;
use hicp_core::assessment::plan::{Horizon, PlanItem, plan};
use hicp_core::assessment::rsp::{RspReport, rsp};
use hicp_core::assessment::{Answers, Date, Scores, score};
use hicp_core::catalog::Catalog;
use std::collections::BTreeMap;

/// Where an action of the plan stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrackStatus {
    #[default]
    Open,
    InProgress,
    Done,
    RiskAccepted,
}

impl TrackStatus {
    /// In plain words, as every export shows it.
    pub fn words(self) -> &'static str {
        match self {
            TrackStatus::Open => "open",
            TrackStatus::InProgress => "in progress",
            TrackStatus::Done => "done",
            TrackStatus::RiskAccepted => "risk accepted",
        }
    }
}

/// How an organization tracks one action of its plan: set on the web app's plan board. An
/// answers file has none (the command line tracks nothing), so the exports then show the
/// computed due date, the owners named on the answers, and "open".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tracking {
    pub owner: Option<String>,
    pub due_on: Option<Date>,
    pub status: TrackStatus,
    /// Why the risk was accepted (or any note on the status).
    pub reason: Option<String>,
}

/// An answers file assessed against a catalog on a date.
pub struct Assessed<'a> {
    pub catalog: &'a Catalog,
    pub answers: &'a Answers,
    pub as_of: Date,
    pub scores: Scores,
    pub plan: Vec<PlanItem>,
    pub rsp: RspReport,
    /// The tracking of the plan's actions, by action id (empty: nothing tracked).
    pub tracking: BTreeMap<String, Tracking>,
    /// The organization's ranked open scan findings, when the export is made with them (the
    /// web app's open assessment, `--findings` on the command line): the workbook's
    /// findings sheet, the findings CSV and the OSCAL results carry them. `None`: none given
    /// (a closed snapshot keeps none).
    pub findings: Option<FindingsPlan>,
}

impl<'a> Assessed<'a> {
    pub fn new(catalog: &'a Catalog, answers: &'a Answers, as_of: Date) -> Self {
        let scores = score(catalog, answers);
        let plan = plan(catalog, &scores);
        let rsp = rsp(catalog, answers, as_of);
        Assessed {
            catalog,
            answers,
            as_of,
            scores,
            plan,
            rsp,
            tracking: BTreeMap::new(),
            findings: None,
        }
    }

    /// The same, with the plan's tracking (action id -> tracking).
    pub fn with_tracking(mut self, tracking: BTreeMap<String, Tracking>) -> Self {
        self.tracking = tracking;
        self
    }

    /// The same, with the ranked open scan findings.
    pub fn with_findings(mut self, findings: Option<FindingsPlan>) -> Self {
        self.findings = findings;
        self
    }

    /// The tracking of a plan item, if it has any.
    pub fn tracking_of(&self, item: &PlanItem) -> Option<&Tracking> {
        self.tracking.get(item.action.as_str())
    }

    /// When a plan item is due: the date set on the plan board, else the end of its horizon.
    pub fn due(&self, item: &PlanItem) -> Date {
        self.tracking_of(item)
            .and_then(|t| t.due_on)
            .unwrap_or_else(|| deadline(self.as_of, item.horizon))
    }

    /// Who owns a plan item: the owner set on the plan board, else the owners named on the
    /// answers of its sub-practice.
    pub fn action_owners(&self, item: &PlanItem) -> Vec<String> {
        match self.tracking_of(item).and_then(|t| t.owner.clone()) {
            Some(o) => vec![o],
            None => self.owners(item.sub_practice.as_str()),
        }
    }

    /// Where a plan item stands ("open" unless tracked otherwise).
    pub fn status(&self, item: &PlanItem) -> TrackStatus {
        self.tracking_of(item)
            .map_or(TrackStatus::Open, |t| t.status)
    }

    /// The note on a plan item's status (why a risk was accepted), or "".
    pub fn status_note(&self, item: &PlanItem) -> &str {
        self.tracking_of(item)
            .and_then(|t| t.reason.as_deref())
            .unwrap_or("")
    }

    /// The organization's name, or a neutral stand-in.
    pub fn org_name(&self) -> &str {
        self.answers
            .profile
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or("Unnamed organization")
    }

    /// Where the tier came from, in words: the file's `tier`, or the sizing of its profile.
    pub fn tier_source(&self) -> String {
        match (self.answers.tier_override, self.answers.sizing.tier) {
            (Some(t), Some(s)) if t != s => format!("set in the file (the profile suggests {s})"),
            (Some(_), _) => "set in the file".to_owned(),
            (None, _) => "from the profile".to_owned(),
        }
    }

    /// The owners named on the open criteria of a sub-practice, in criterion order, once each.
    pub fn owners(&self, sub_practice: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if let Some(sp) = self.catalog.sub_practice(sub_practice) {
            for c in &sp.criteria {
                if let Some(o) = self
                    .answers
                    .criteria
                    .get(c.id.as_str())
                    .and_then(|a| a.owner.clone())
                    && !out.contains(&o)
                {
                    out.push(o);
                }
            }
        }
        out
    }
}

/// The day an action is due: the end of its horizon, counted from the assessment date.
pub fn deadline(as_of: Date, horizon: Horizon) -> Date {
    let d = match horizon {
        Horizon::Days30 => as_of.add_days(30),
        Horizon::Days90 => as_of.add_days(90),
        Horizon::Months12 => as_of.add_years(1),
    };
    d.unwrap_or(as_of)
}

/// A plan figure (gain, credit, priority) as exports show it: two decimal places.
pub(crate) fn two_places(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
