//! Recognized security practices (Public Law 116-321, HITECH §13412): HHS shall consider whether
//! recognized security practices were in place for not less than the previous 12 months.
//!
//! Our rule (docs/scoring.md): a sub-practice is in place from the day its last applicable
//! criterion became `implemented`. A criterion's date is its `in_place_since`, or else the
//! earliest `collected` date of its evidence. It counts once that day is 12 months or more
//! before the as-of date. This is evidence bookkeeping, not legal advice.

use super::answers::{Answers, Status};
use super::date::Date;
use crate::catalog::{Catalog, SubPracticeId};

#[derive(Clone, Debug, PartialEq)]
pub struct RspStatus {
    pub sub_practice: SubPracticeId,
    pub practice: u8,
    /// The day every applicable criterion was in place; `None` if one is not (or has no date).
    pub since: Option<Date>,
    /// `since` plus 12 months: the day it reaches 12 months in place.
    pub qualifies_on: Option<Date>,
    pub in_place_12_months: bool,
    /// Why it does not qualify yet, or remarks such as expired evidence.
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RspReport {
    pub as_of: Date,
    pub sub_practices: Vec<RspStatus>,
    /// Practice numbers whose every scored sub-practice in scope qualifies today.
    pub practices_qualifying: Vec<u8>,
}

pub fn rsp(catalog: &Catalog, answers: &Answers, as_of: Date) -> RspReport {
    let mut out = Vec::new();
    for sp in answers.scope(catalog) {
        let mut notes = Vec::new();
        let mut open = Vec::new();
        let mut dates = Vec::new();
        let mut complete = true;
        let mut applicable = 0;
        for c in &sp.criteria {
            let a = answers.answer(c.id.as_str());
            match a.status {
                Status::NotApplicable => continue,
                Status::Implemented => {}
                other => {
                    complete = false;
                    open.push(format!("{} {other}", c.id));
                    continue;
                }
            }
            applicable += 1;
            let from_evidence = a.evidence.iter().filter_map(|e| e.collected).min();
            match a.in_place_since.or(from_evidence) {
                Some(d) => dates.push(d),
                None => {
                    complete = false;
                    notes.push(format!("{} has no in_place_since or evidence date", c.id));
                }
            }
            if !a.evidence.is_empty()
                && a.evidence
                    .iter()
                    .all(|e| e.valid_until.is_some_and(|u| u < as_of))
            {
                notes.push(format!("{}: all evidence expired", c.id));
            }
        }
        if !open.is_empty() {
            notes.insert(0, format!("not implemented: {}", open.join(", ")));
        }
        if applicable == 0 && complete {
            notes.push("every criterion is not applicable".to_owned());
            complete = false;
        }
        let since = if complete {
            dates.into_iter().max()
        } else {
            None
        };
        let qualifies_on = since.and_then(|d| d.add_years(1));
        let in_place_12_months = qualifies_on.is_some_and(|q| q <= as_of);
        out.push(RspStatus {
            sub_practice: sp.id.clone(),
            practice: sp.practice,
            since,
            qualifies_on,
            in_place_12_months,
            notes,
        });
    }
    let practices_qualifying = catalog
        .practices
        .iter()
        .map(|p| p.number)
        .filter(|n| {
            let mine: Vec<&RspStatus> = out.iter().filter(|s| s.practice == *n).collect();
            let counted: Vec<&&RspStatus> = mine
                .iter()
                .filter(|s| {
                    !s.notes
                        .iter()
                        .any(|x| x == "every criterion is not applicable")
                })
                .collect();
            !counted.is_empty() && counted.iter().all(|s| s.in_place_12_months)
        })
        .collect();
    RspReport {
        as_of,
        sub_practices: out,
        practices_qualifying,
    }
}
