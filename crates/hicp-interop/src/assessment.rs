//! One assessed answers file: the inputs every assessment export shares (scores, plan and
//! the 12-month check are computed once, by `hicp-core`).

use hicp_core::assessment::plan::{Horizon, PlanItem, plan};
use hicp_core::assessment::rsp::{RspReport, rsp};
use hicp_core::assessment::{Answers, Date, Scores, score};
use hicp_core::catalog::Catalog;

/// An answers file assessed against a catalog on a date.
pub struct Assessed<'a> {
    pub catalog: &'a Catalog,
    pub answers: &'a Answers,
    pub as_of: Date,
    pub scores: Scores,
    pub plan: Vec<PlanItem>,
    pub rsp: RspReport,
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
        }
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
