//! Readiness for the HIPAA Security Rule changes HHS proposed in January 2025 (the NPRM): which
//! proposed requirements the answers already cover. A derived view of a proposed rule, built on
//! our own mapping of requirements to criteria; never HHS's, and not a compliance determination.
//! The rules are in docs/nprm-readiness.md.

use super::answers::{Answers, Status};
use crate::catalog::{Catalog, CriterionId, ProposedRequirement, ProposedRule};

/// How far the answers show a proposed requirement is met.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Readiness {
    /// No criterion mapped to it is part of this assessment.
    NotInScope,
    /// None of the criteria that would show it has been answered yet.
    Unanswered,
    /// The answers show none of it in place.
    NotCovered,
    /// Some of it is in place, or only criteria that show part of it are.
    Partly,
    /// Every criterion that shows it is answered "in place" (or "does not apply").
    Covered,
}

impl Readiness {
    /// The stable name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Readiness::NotInScope => "not_in_scope",
            Readiness::Unanswered => "unanswered",
            Readiness::NotCovered => "not_covered",
            Readiness::Partly => "partly",
            Readiness::Covered => "covered",
        }
    }

    /// In plain words, for people.
    pub fn words(self) -> &'static str {
        match self {
            Readiness::NotInScope => "not part of this assessment",
            Readiness::Unanswered => "not answered yet",
            Readiness::NotCovered => "not covered yet",
            Readiness::Partly => "partly covered",
            Readiness::Covered => "covered",
        }
    }

    pub const ALL: [Readiness; 5] = [
        Readiness::Covered,
        Readiness::Partly,
        Readiness::NotCovered,
        Readiness::Unanswered,
        Readiness::NotInScope,
    ];
}

/// One criterion that evidences a requirement, as answered.
#[derive(Clone, Debug, PartialEq)]
pub struct CriterionEvidence {
    pub id: CriterionId,
    /// `true` for a criterion that shows the whole requirement (with the others listed as
    /// evidence); `false` for one that shows part of it only.
    pub full: bool,
    /// `None` when it has not been answered.
    pub status: Option<Status>,
}

/// One proposed requirement and how far the answers cover it.
#[derive(Clone, Debug)]
pub struct RequirementReadiness<'c> {
    pub requirement: &'c ProposedRequirement,
    pub readiness: Readiness,
    /// The mapped criteria that are part of this assessment, evidence first.
    pub criteria: Vec<CriterionEvidence>,
}

/// The readiness view: the rule, and each of its requirements.
#[derive(Clone, Debug)]
pub struct ReadinessView<'c> {
    pub rule: &'c ProposedRule,
    pub requirements: Vec<RequirementReadiness<'c>>,
}

impl ReadinessView<'_> {
    /// How many requirements are at `r`.
    pub fn count(&self, r: Readiness) -> usize {
        self.requirements
            .iter()
            .filter(|x| x.readiness == r)
            .count()
    }
}

/// The readiness of every proposed requirement, or `None` when the catalog has no proposed
/// rule. Only criteria in the assessment's scope count (the organization's tier and the
/// sub-practices it added by choice).
pub fn readiness<'c>(catalog: &'c Catalog, answers: &Answers) -> Option<ReadinessView<'c>> {
    let rule = catalog.references.proposed_rule.as_ref()?;
    let in_scope = |id: &CriterionId| {
        catalog
            .sub_practice_of_criterion(id.as_str())
            .is_some_and(|sp| answers.in_scope(catalog, sp))
    };
    let requirements = rule
        .requirements
        .iter()
        .map(|req| {
            let criteria: Vec<CriterionEvidence> = req
                .evidence
                .iter()
                .map(|c| (c, true))
                .chain(req.related.iter().map(|c| (c, false)))
                .filter(|(c, _)| in_scope(c))
                .map(|(c, full)| CriterionEvidence {
                    id: c.clone(),
                    full,
                    status: answers
                        .is_answered(c.as_str())
                        .then(|| answers.status(c.as_str())),
                })
                .collect();
            RequirementReadiness {
                requirement: req,
                readiness: judge(&criteria),
                criteria,
            }
        })
        .collect();
    Some(ReadinessView { rule, requirements })
}

/// The rules of docs/nprm-readiness.md, over the in-scope criteria of one requirement.
fn judge(criteria: &[CriterionEvidence]) -> Readiness {
    if criteria.is_empty() {
        return Readiness::NotInScope;
    }
    let answered: Vec<Status> = criteria.iter().filter_map(|c| c.status).collect();
    if answered.is_empty() {
        return Readiness::Unanswered;
    }
    let full: Vec<&CriterionEvidence> = criteria.iter().filter(|c| c.full).collect();
    let covered = !full.is_empty()
        && full.iter().all(|c| {
            matches!(
                c.status,
                Some(Status::Implemented) | Some(Status::NotApplicable)
            )
        })
        && full.iter().any(|c| c.status == Some(Status::Implemented));
    if covered {
        Readiness::Covered
    } else if answered.iter().any(|s| s.credit().is_some_and(|x| x > 0.0)) {
        Readiness::Partly
    } else {
        Readiness::NotCovered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(full: bool, status: Option<Status>) -> CriterionEvidence {
        CriterionEvidence {
            id: CriterionId::new("1.S.A.c1".into()),
            full,
            status,
        }
    }

    #[test]
    fn the_rules() {
        use Status::*;
        assert_eq!(judge(&[]), Readiness::NotInScope);
        assert_eq!(
            judge(&[c(true, None), c(false, None)]),
            Readiness::Unanswered
        );
        assert_eq!(
            judge(&[c(true, Some(Implemented)), c(true, Some(NotApplicable))]),
            Readiness::Covered
        );
        // Related criteria never hold back or make up a cover.
        assert_eq!(
            judge(&[c(true, Some(Implemented)), c(false, Some(NotStarted))]),
            Readiness::Covered
        );
        assert_eq!(
            judge(&[c(false, Some(Implemented))]),
            Readiness::Partly,
            "related criteria alone show part of it at most"
        );
        // Every evidence criterion must be answered.
        assert_eq!(
            judge(&[c(true, Some(Implemented)), c(true, None)]),
            Readiness::Partly
        );
        assert_eq!(
            judge(&[c(true, Some(Largely)), c(true, Some(Implemented))]),
            Readiness::Partly
        );
        assert_eq!(
            judge(&[c(true, Some(NotStarted)), c(true, None)]),
            Readiness::NotCovered
        );
        // "Does not apply" everywhere shows nothing in place.
        assert_eq!(
            judge(&[c(true, Some(NotApplicable))]),
            Readiness::NotCovered
        );
    }
}
