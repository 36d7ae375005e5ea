//! The HICP catalog: the five threats, the ten practices and their sub-practices by size
//! tier, with criteria, actions and mappings to NIST CSF, HPH CPGs and the HIPAA Security Rule.
//!
//! [`load`] turns catalog files (text) into a validated [`Catalog`]; the queries below
//! never fail on a loaded catalog because every reference in it resolves.

mod diagnostic;
mod dto;
mod ids;
mod load;
mod model;

pub use diagnostic::{CatalogError, Diagnostic, nearest};
pub use ids::{ActionId, CriterionId, SubPracticeId, ThreatId, Tier};
pub use load::{SourceFile, load};
pub use model::*;

/// Which sub-practices to list.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only those that apply to an organization of this size (its required tiers).
    pub tier: Option<Tier>,
    pub practice: Option<u8>,
    pub threat: Option<ThreatId>,
}

impl Catalog {
    pub fn sub_practice(&self, id: &str) -> Option<&SubPractice> {
        self.sub_practice_index
            .get(id)
            .map(|&i| &self.sub_practices[i])
    }

    /// The sub-practice a criterion belongs to.
    pub fn sub_practice_of_criterion(&self, criterion: &str) -> Option<&SubPractice> {
        self.criterion_index
            .get(criterion)
            .map(|&i| &self.sub_practices[i])
    }

    /// A criterion named by text, with the sub-practice it belongs to.
    pub fn criterion(&self, criterion: &str) -> Option<(&SubPractice, &Criterion)> {
        let sp = self.sub_practice_of_criterion(criterion)?;
        Some((sp, sp.criteria.iter().find(|c| c.id.as_str() == criterion)?))
    }

    /// The catalog's id of a criterion named by text.
    pub fn criterion_id(&self, criterion: &str) -> Option<&CriterionId> {
        self.criterion(criterion).map(|(_, c)| &c.id)
    }

    /// A plan action named by text, with the sub-practice it belongs to.
    pub fn action(&self, action: &str) -> Option<(&SubPractice, &Action)> {
        let (sub_practice, _) = action.rsplit_once('.')?;
        let sp = self.sub_practice(sub_practice)?;
        Some((sp, sp.actions.iter().find(|a| a.id.as_str() == action)?))
    }

    /// The catalog's id of a plan action named by text.
    pub fn action_id(&self, action: &str) -> Option<&ActionId> {
        self.action(action).map(|(_, a)| &a.id)
    }

    /// The older edition a verified title or name follows, when it was checked against another
    /// edition's text than the one the catalog presents (`Some("2018")`: show it "as in the 2018
    /// edition"). `None` when it follows the catalog's edition, or when it is not verified (an
    /// unverified title carries the "unverified" label instead).
    pub fn older_edition<'a>(&self, checked_against: Option<&'a String>) -> Option<&'a str> {
        checked_against
            .filter(|e| **e != self.meta.edition)
            .map(String::as_str)
    }

    pub fn practice(&self, number: u8) -> Option<&Practice> {
        self.practices.iter().find(|p| p.number == number)
    }

    /// A threat by id (`ransomware`) or number (`2`, `T2`).
    pub fn threat(&self, key: &str) -> Option<&Threat> {
        let number = key
            .strip_prefix(['T', 't'])
            .unwrap_or(key)
            .parse::<u8>()
            .ok();
        self.threats
            .iter()
            .find(|t| t.id.as_str() == key || Some(t.number) == number)
    }

    /// The threats a sub-practice mitigates: those of its practice (HICP's matrix is per practice).
    pub fn threats_of(&self, sp: &SubPractice) -> &[ThreatId] {
        self.practice(sp.practice)
            .map_or(&[], |p| p.threats.as_slice())
    }

    /// Whether `sp` applies to an organization of size `tier` without opting in.
    pub fn applies(&self, tier: Tier, sp: &SubPractice) -> bool {
        self.meta
            .tiers
            .rules
            .get(&tier)
            .is_some_and(|r| r.required.contains(&sp.tier))
    }

    /// Whether an organization of size `tier` may opt in to `sp`.
    pub fn optional_for(&self, tier: Tier, sp: &SubPractice) -> bool {
        self.meta
            .tiers
            .rules
            .get(&tier)
            .is_some_and(|r| r.optional.contains(&sp.tier))
    }

    pub fn list(&self, filter: &Filter) -> Vec<&SubPractice> {
        self.sub_practices
            .iter()
            .filter(|s| filter.tier.is_none_or(|t| self.applies(t, s)))
            .filter(|s| filter.practice.is_none_or(|p| s.practice == p))
            .filter(|s| {
                filter
                    .threat
                    .as_ref()
                    .is_none_or(|t| self.threats_of(s).contains(t))
            })
            .collect()
    }

    /// Sub-practices whose id, title, summary, criteria or actions contain every word of
    /// `query` (case-insensitive), best matches (id and title hits) first.
    pub fn search(&self, query: &str) -> Vec<&SubPractice> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(u8, &SubPractice)> = self
            .sub_practices
            .iter()
            .filter_map(|s| {
                let head = format!("{} {}", s.id, s.title).to_lowercase();
                let mut body = format!("{head} {}", s.summary);
                for c in &s.criteria {
                    body.push(' ');
                    body.push_str(&c.text);
                }
                for a in &s.actions {
                    body.push(' ');
                    body.push_str(&a.text);
                }
                let body = body.to_lowercase();
                if !words.iter().all(|w| body.contains(w.as_str())) {
                    return None;
                }
                let rank = if words.iter().all(|w| head.contains(w.as_str())) {
                    0
                } else {
                    1
                };
                Some((rank, s))
            })
            .collect();
        hits.sort_by_key(|(rank, _)| *rank);
        hits.into_iter().map(|(_, s)| s).collect()
    }

    /// The name of a CSF 2.0 function or category, or the summary of a subcategory.
    pub fn csf20_label(&self, id: &str) -> Option<&str> {
        let c = &self.references.csf20;
        c.functions
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.name.as_str())
            .or_else(|| {
                c.categories
                    .iter()
                    .find(|x| x.id == id)
                    .map(|x| x.name.as_str())
            })
            .or_else(|| {
                c.subcategories
                    .iter()
                    .find(|x| x.id == id)
                    .map(|x| x.summary.as_str())
            })
    }

    pub fn cpg_goal(&self, id: &str) -> Option<&CpgGoal> {
        self.references.cpg_goals.iter().find(|g| g.id == id)
    }

    pub fn hipaa_entry(&self, citation: &str) -> Option<&HipaaEntry> {
        self.references
            .hipaa
            .iter()
            .find(|h| h.citation == citation)
    }

    pub fn parameter(&self, id: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.id == id)
    }
}
