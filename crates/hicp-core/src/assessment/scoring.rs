//! Scoring: criterion -> sub-practice -> practice -> threat -> overall, each 0-100, plus
//! coverage of NIST CSF 2.0, the HPH CPGs and the HIPAA Security Rule. See docs/scoring.md.
//!
//! Scores keep full precision here; presentation rounds them (see [`round1`]).

use super::answers::{Answers, Status};
use crate::catalog::{Catalog, CpgTier, HipaaKind, SubPracticeId};
use std::collections::HashMap;

/// A score rounded to one decimal, for display.
pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Shows a score as `72.5`, or `n/a` when nothing in it can be scored.
pub fn show(score: Option<f64>) -> String {
    score.map_or_else(|| "n/a".to_owned(), |s| format!("{:.1}", round1(s)))
}

/// The mean of the values, or `None` when there are none.
pub fn mean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values
        .into_iter()
        .fold((0.0, 0u32), |(s, n), v| (s + v, n + 1));
    // Clamped: rounding must never take a mean of scores past 100.
    (n > 0).then(|| (sum / f64::from(n)).clamp(0.0, 100.0))
}

#[derive(Clone, Debug, PartialEq)]
pub struct CriterionScore {
    pub id: String,
    pub status: Status,
    /// 0-100; `None` when not applicable.
    pub score: Option<f64>,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SubPracticeScore {
    pub id: SubPracticeId,
    pub practice: u8,
    pub title: String,
    pub opted_in: bool,
    /// Mean of the applicable criteria; `None` when every criterion is not applicable.
    pub score: Option<f64>,
    pub criteria: Vec<CriterionScore>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PracticeScore {
    pub number: u8,
    pub name: String,
    /// Mean of its scored sub-practices in scope.
    pub score: Option<f64>,
    pub sub_practices: Vec<(SubPracticeId, Option<f64>)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ThreatScore {
    pub id: String,
    pub number: u8,
    pub name: String,
    pub weight: f64,
    /// Mean of the scores of the practices that mitigate it (the catalog's matrix).
    pub score: Option<f64>,
    pub practices: Vec<(u8, Option<f64>)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsfLevel {
    Function,
    Category,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CsfScore {
    pub id: String,
    pub name: String,
    pub level: CsfLevel,
    /// Mean of the scored in-scope sub-practices mapped to it; `None` when none is.
    pub score: Option<f64>,
    pub sub_practices: Vec<SubPracticeId>,
}

/// How well a CPG goal or a HIPAA standard is met by the sub-practices mapped to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Coverage {
    /// Nothing mapped to it is in scope (or everything mapped is not applicable).
    NotInScope,
    /// Every mapped sub-practice scores 0.
    NotMet,
    Partly,
    /// Every mapped sub-practice scores at least [`MET_AT`].
    Met,
}

/// The sub-practice score from which a mapped goal or standard counts as met.
pub const MET_AT: f64 = 75.0;

impl Coverage {
    pub fn name(self) -> &'static str {
        match self {
            Coverage::NotInScope => "not_in_scope",
            Coverage::NotMet => "not_met",
            Coverage::Partly => "partly",
            Coverage::Met => "met",
        }
    }

    pub fn of(scores: &[f64]) -> Coverage {
        if scores.is_empty() {
            Coverage::NotInScope
        } else if scores.iter().all(|s| *s >= MET_AT) {
            Coverage::Met
        } else if scores.iter().all(|s| *s <= 0.0) {
            Coverage::NotMet
        } else {
            Coverage::Partly
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MappedScore {
    /// A CPG goal id (E1) or a HIPAA standard citation (164.308(a)(1)(i)).
    pub id: String,
    pub name: String,
    pub status: Coverage,
    pub score: Option<f64>,
    pub sub_practices: Vec<(SubPracticeId, Option<f64>)>,
}

/// The scored assessment.
#[derive(Clone, Debug, PartialEq)]
pub struct Scores {
    pub sub_practices: Vec<SubPracticeScore>,
    pub practices: Vec<PracticeScore>,
    pub threats: Vec<ThreatScore>,
    /// Weighted mean of the threat scores.
    pub overall: Option<f64>,
    pub csf: Vec<CsfScore>,
    pub cpg: Vec<MappedScore>,
    pub hipaa: Vec<MappedScore>,
}

impl Scores {
    pub fn sub_practice(&self, id: &str) -> Option<&SubPracticeScore> {
        self.sub_practices.iter().find(|s| s.id.as_str() == id)
    }

    pub fn practice(&self, number: u8) -> Option<&PracticeScore> {
        self.practices.iter().find(|p| p.number == number)
    }

    pub fn threat(&self, id: &str) -> Option<&ThreatScore> {
        self.threats.iter().find(|t| t.id == id)
    }

    /// The CSF 2.0 categories of `function` that a sub-practice in scope maps to, with their
    /// scores: `PR.AA 50.0, PR.DS n/a`. Every report shows it beside the function's score.
    pub fn csf_categories_covered(&self, function: &str) -> String {
        self.csf
            .iter()
            .filter(|x| {
                x.level == CsfLevel::Category
                    && csf_function(&x.id) == function
                    && !x.sub_practices.is_empty()
            })
            .map(|x| format!("{} {}", x.id, show(x.score)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Scores `answers` against `catalog`.
pub fn score(catalog: &Catalog, answers: &Answers) -> Scores {
    let scope = answers.scope(catalog);
    let sub_practices: Vec<SubPracticeScore> = scope
        .iter()
        .map(|sp| {
            let criteria: Vec<CriterionScore> = sp
                .criteria
                .iter()
                .map(|c| {
                    let a = answers.criteria.get(c.id.as_str());
                    let status = a.map_or(Status::NotStarted, |a| a.status);
                    CriterionScore {
                        id: c.id.to_string(),
                        status,
                        score: status.credit().map(|x| x * 100.0),
                        reason: a.and_then(|a| a.reason.clone()),
                    }
                })
                .collect();
            SubPracticeScore {
                id: sp.id.clone(),
                practice: sp.practice,
                title: sp.title.clone(),
                opted_in: !catalog.applies(answers.tier, sp),
                score: mean(criteria.iter().filter_map(|c| c.score)),
                criteria,
            }
        })
        .collect();

    let practices: Vec<PracticeScore> = catalog
        .practices
        .iter()
        .map(|p| {
            let subs: Vec<(SubPracticeId, Option<f64>)> = sub_practices
                .iter()
                .filter(|s| s.practice == p.number)
                .map(|s| (s.id.clone(), s.score))
                .collect();
            PracticeScore {
                number: p.number,
                name: p.name.clone(),
                score: mean(subs.iter().filter_map(|s| s.1)),
                sub_practices: subs,
            }
        })
        .collect();

    let threats: Vec<ThreatScore> = catalog
        .threats
        .iter()
        .map(|t| {
            let ps: Vec<(u8, Option<f64>)> = catalog
                .practices
                .iter()
                .filter(|p| p.threats.contains(&t.id))
                .map(|p| {
                    (
                        p.number,
                        practices
                            .iter()
                            .find(|x| x.number == p.number)
                            .and_then(|x| x.score),
                    )
                })
                .collect();
            ThreatScore {
                id: t.id.to_string(),
                number: t.number,
                name: t.name.clone(),
                weight: answers.weight(t.id.as_str()),
                score: mean(ps.iter().filter_map(|p| p.1)),
                practices: ps,
            }
        })
        .collect();

    let overall = weighted_overall(&threats);

    let scored =
        |pred: &dyn Fn(&crate::catalog::SubPractice) -> bool| -> Vec<(SubPracticeId, Option<f64>)> {
            // `scope` and `sub_practices` are in the same order: no lookup by id needed.
            scope
                .iter()
                .zip(&sub_practices)
                .filter(|(sp, _)| pred(sp))
                .map(|(_, s)| (s.id.clone(), s.score))
                .collect()
        };

    let c20 = &catalog.references.csf20;
    let mut csf = Vec::new();
    for f in &c20.functions {
        let subs = scored(&|sp| sp.csf20.iter().any(|r| csf_function(&r.id) == f.id));
        csf.push(csf_score(&f.id, &f.name, CsfLevel::Function, subs));
        for c in c20
            .categories
            .iter()
            .filter(|c| csf_function(&c.id) == f.id)
        {
            let subs = scored(&|sp| {
                sp.csf20
                    .iter()
                    .any(|r| csf_category(&r.id) == Some(c.id.as_str()))
            });
            csf.push(csf_score(&c.id, &c.name, CsfLevel::Category, subs));
        }
    }

    let cpg = catalog
        .references
        .cpg_goals
        .iter()
        .map(|g| {
            let subs = scored(&|sp| sp.cpg.refs.contains(&g.id));
            let tier = match g.tier {
                CpgTier::Essential => "essential",
                CpgTier::Enhanced => "enhanced",
            };
            mapped(&g.id, &format!("{} ({tier})", g.title), subs)
        })
        .collect();

    let hipaa = hipaa_standards(catalog)
        .into_iter()
        .map(|(std, name, members)| {
            let subs = scored(&|sp| sp.hipaa.refs.iter().any(|r| members.contains(r)));
            mapped(&std, &name, subs)
        })
        .collect();

    Scores {
        sub_practices,
        practices,
        threats,
        overall,
        csf,
        cpg,
        hipaa,
    }
}

/// Moves `scores` to those of `answers`, when they differ from the answers `scores` were
/// made from in the answer to `criterion` only (same scope, tier and weights): what a saved
/// answer changes. Re-scores that criterion's sub-practice and, when its score moved, what
/// contains it: its practice, that practice's threats, the overall score, and the CSF, CPG
/// and HIPAA rows that map it. In place, as a save's view is changed in place: a copy of
/// every score, with its names and ids, was most of a save's allocation. The result equals
/// [`score`]'s (`tests/assessment_scoring.rs` holds it to that).
pub fn rescore(answers: &Answers, scores: &mut Scores, criterion: &str) {
    // A criterion's id is its sub-practice's id and `.c<n>` (the catalog loader checks it):
    // no search through every criterion.
    let Some((sub_practice, _)) = criterion.rsplit_once('.') else {
        return;
    };
    let Some(sp) = scores
        .sub_practices
        .iter_mut()
        .find(|sp| sp.id.as_str() == sub_practice)
    else {
        // Not in scope: nothing scored depends on it.
        return;
    };
    let a = answers.criteria.get(criterion);
    let status = a.map_or(Status::NotStarted, |a| a.status);
    if let Some(c) = sp.criteria.iter_mut().find(|c| c.id == criterion) {
        c.status = status;
        c.score = status.credit().map(|x| x * 100.0);
        c.reason = a.and_then(|a| a.reason.clone());
    }
    let new = mean(sp.criteria.iter().filter_map(|c| c.score));
    if new == sp.score {
        return;
    }
    sp.score = new;
    let (id, number) = (sp.id.clone(), sp.practice);
    let Scores {
        sub_practices,
        practices,
        threats,
        overall,
        csf,
        cpg,
        hipaa,
    } = scores;
    if let Some(p) = practices.iter_mut().find(|p| p.number == number) {
        for entry in p.sub_practices.iter_mut().filter(|e| e.0 == id) {
            entry.1 = new;
        }
        p.score = mean(p.sub_practices.iter().filter_map(|e| e.1));
        for t in threats.iter_mut() {
            if let Some(entry) = t.practices.iter_mut().find(|e| e.0 == number) {
                entry.1 = p.score;
                t.score = mean(t.practices.iter().filter_map(|e| e.1));
            }
        }
    }
    *overall = weighted_overall(threats);
    // A CSF row holds ids only: its mean needs each member's score, looked up by id.
    let by_id: HashMap<&str, Option<f64>> = sub_practices
        .iter()
        .map(|x| (x.id.as_str(), x.score))
        .collect();
    let score_of = |sub: &SubPracticeId| by_id.get(sub.as_str()).copied().flatten();
    for c in csf.iter_mut().filter(|c| c.sub_practices.contains(&id)) {
        c.score = mean(c.sub_practices.iter().filter_map(score_of));
    }
    for m in cpg.iter_mut().chain(hipaa.iter_mut()) {
        if m.sub_practices.iter().any(|e| e.0 == id) {
            let subs = std::mem::take(&mut m.sub_practices)
                .into_iter()
                .map(|(x, v)| if x == id { (x, new) } else { (x, v) })
                .collect();
            *m = mapped(&m.id, &m.name, subs);
        }
    }
}

/// Sum of weight x score over the scored threats, divided by the sum of their weights.
pub fn weighted_overall(threats: &[ThreatScore]) -> Option<f64> {
    let (sum, weights) = threats
        .iter()
        .filter_map(|t| t.score.map(|s| (s * t.weight, t.weight)))
        .fold((0.0, 0.0), |(a, b), (s, w)| (a + s, b + w));
    (weights > 0.0).then(|| (sum / weights).clamp(0.0, 100.0))
}

fn csf_score(
    id: &str,
    name: &str,
    level: CsfLevel,
    subs: Vec<(SubPracticeId, Option<f64>)>,
) -> CsfScore {
    CsfScore {
        id: id.to_owned(),
        name: name.to_owned(),
        level,
        score: mean(subs.iter().filter_map(|s| s.1)),
        sub_practices: subs.into_iter().map(|s| s.0).collect(),
    }
}

fn mapped(id: &str, name: &str, subs: Vec<(SubPracticeId, Option<f64>)>) -> MappedScore {
    let values: Vec<f64> = subs.iter().filter_map(|s| s.1).collect();
    MappedScore {
        id: id.to_owned(),
        name: name.to_owned(),
        status: Coverage::of(&values),
        score: mean(values.iter().copied()),
        sub_practices: subs,
    }
}

/// `PR.AA-01` -> `PR`; `RC` -> `RC`.
pub fn csf_function(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

/// `PR.AA-01` -> `PR.AA`; `PR.AA` -> `PR.AA`; `RC` -> none.
pub fn csf_category(id: &str) -> Option<&str> {
    id.contains('.').then(|| id.split('-').next().unwrap_or(id))
}

/// Each HIPAA standard: its citation, name, and the citations that belong to it (itself and
/// the implementation specifications listed after it).
pub fn hipaa_standards(catalog: &Catalog) -> Vec<(String, String, Vec<String>)> {
    let mut out: Vec<(String, String, Vec<String>)> = Vec::new();
    for e in &catalog.references.hipaa {
        if e.kind == HipaaKind::Standard {
            out.push((e.citation.clone(), e.name.clone(), vec![e.citation.clone()]));
        } else if let Some(last) = out.last_mut() {
            last.2.push(e.citation.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_needs_everything_at_75_to_be_met() {
        assert_eq!(Coverage::of(&[]), Coverage::NotInScope);
        assert_eq!(Coverage::of(&[0.0, 0.0]), Coverage::NotMet);
        assert_eq!(Coverage::of(&[75.0, 100.0]), Coverage::Met);
        assert_eq!(Coverage::of(&[100.0, 50.0]), Coverage::Partly);
    }

    #[test]
    fn a_functions_covered_categories_leave_out_the_unmapped_and_other_functions() {
        let id = |s: &str| SubPracticeId::parse(s).expect("a sub-practice id").0;
        let csf = |id_: &str, level, score, subs: Vec<SubPracticeId>| CsfScore {
            id: id_.to_owned(),
            name: String::new(),
            level,
            score,
            sub_practices: subs,
        };
        let scores = Scores {
            sub_practices: vec![],
            practices: vec![],
            threats: vec![],
            overall: None,
            csf: vec![
                csf("PR", CsfLevel::Function, Some(60.0), vec![id("1.S.A")]),
                csf("PR.AA", CsfLevel::Category, Some(50.04), vec![id("1.S.A")]),
                csf("PR.AT", CsfLevel::Category, None, vec![]),
                csf("PR.DS", CsfLevel::Category, None, vec![id("4.S.A")]),
                csf("ID.AM", CsfLevel::Category, Some(10.0), vec![id("5.S.A")]),
            ],
            cpg: vec![],
            hipaa: vec![],
        };
        assert_eq!(scores.csf_categories_covered("PR"), "PR.AA 50.0, PR.DS n/a");
        assert_eq!(scores.csf_categories_covered("ID"), "ID.AM 10.0");
        assert_eq!(scores.csf_categories_covered("RC"), "");
    }

    #[test]
    fn csf_ids_split_into_function_and_category() {
        assert_eq!(csf_function("PR.AA-01"), "PR");
        assert_eq!(csf_category("PR.AA-01"), Some("PR.AA"));
        assert_eq!(csf_category("PR.AA"), Some("PR.AA"));
        assert_eq!(csf_category("RC"), None);
    }

    #[test]
    fn mean_of_nothing_is_none() {
        assert_eq!(mean([]), None);
        assert_eq!(mean([50.0, 100.0]), Some(75.0));
    }
}
