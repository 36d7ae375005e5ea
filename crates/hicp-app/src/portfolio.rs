//! Many organizations at once: the portfolio (every organization a user can see, scored
//! side by side, for consultants and health systems) and a health system's roll-up of its
//! member sites, weighted by size.
//!
//! Weighting (see `docs/portfolio.md`): a site counts in proportion to its workforce (the
//! people who use its systems, from its sizing profile); a site whose profile gives no
//! workforce counts as one person. A site with no score yet (nothing in scope) is left out
//! of that score's roll-up.

use crate::access::{Manage, OrgAccess, Principal, Read, tier_of};
use crate::error::{Error, Problem, Result};
use crate::orgs::StoredProfile;
use crate::{App, Level, today};
use hicp_core::assessment::{Answers, Progress, Scores, classify, score};
use hicp_core::catalog::Tier;
use hicp_store::{ActionStatus, OffsetDateTime, Organization, Role};
use std::collections::HashMap;

/// One threat's score.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreatLine {
    pub id: String,
    pub name: String,
    pub score: Option<f64>,
}

/// An organization scored for the portfolio or a roll-up.
#[derive(Clone, Debug)]
pub struct OrgSummary {
    pub org: Organization,
    /// The viewer's role in it (for a roll-up: in the health system).
    pub role: Role,
    pub tier: Tier,
    pub overall: Option<f64>,
    /// Per threat, in the catalog's order.
    pub threats: Vec<ThreatLine>,
    /// Questions answered of those in scope.
    pub progress: Progress,
    /// Plan actions whose due date (set on the plan board) has passed and that are neither
    /// done nor accepted as a risk.
    pub overdue: usize,
    /// When anything of it last changed (its newest audit log entry).
    pub last_change: Option<OffsetDateTime>,
    /// Its size weight in a roll-up: its workforce, else 1.
    pub weight: f64,
    /// The health system it belongs to, if any.
    pub parent: Option<Organization>,
}

/// A health system's member sites and their scores rolled up, weighted by size.
#[derive(Clone, Debug)]
pub struct RollUp {
    pub sites: Vec<OrgSummary>,
    pub overall: Option<f64>,
    pub threats: Vec<ThreatLine>,
    pub progress: Progress,
    pub overdue: usize,
    /// The sum of the sites' weights.
    pub total_weight: f64,
}

/// The size weight of an organization in a roll-up: its workforce, else 1.
pub fn size_weight(org: &Organization) -> f64 {
    match StoredProfile::of(org).workforce {
        Some(w) if w > 0 => f64::from(w),
        _ => 1.0,
    }
}

/// The weighted mean of the scores that exist, or none when none does.
fn weighted(values: impl Iterator<Item = (f64, Option<f64>)>) -> Option<f64> {
    let (mut sum, mut weights) = (0.0, 0.0);
    for (w, s) in values {
        if let Some(s) = s {
            sum += w * s;
            weights += w;
        }
    }
    (weights > 0.0).then(|| sum / weights)
}

impl App {
    /// Scores one organization's open assessment (its computed view).
    async fn summary(&self, org: Organization, role: Role) -> Result<OrgSummary> {
        let catalog = self.catalog();
        let tier = tier_of(&org);
        let Some(assessment) = self.store().current_assessment(&org.id).await? else {
            // An organization made before assessments were opened with it: nothing answered.
            let mut answers = Answers::blank(catalog, tier);
            answers.profile = crate::orgs::profile_of(&org);
            answers.sizing = classify(&answers.profile);
            let scores = score(catalog, &answers);
            let mut c = self.store().conn().await?;
            return Ok(OrgSummary {
                role,
                tier,
                overall: scores.overall,
                threats: threat_lines(&scores),
                progress: answers.progress(catalog),
                overdue: 0,
                last_change: c.last_change(&org.id).await?,
                weight: size_weight(&org),
                parent: c.parent_of(&org.id).await?,
                org,
            });
        };
        let view = self.view_of(&org, assessment).await?;
        let tracks: HashMap<_, _> = view.tracks.iter().map(|t| (&t.action_id, t)).collect();
        let today = today();
        let overdue = self
            .plan_of(&view)
            .iter()
            .filter_map(|i| tracks.get(&i.action))
            .filter(|t| {
                matches!(t.status, ActionStatus::Open | ActionStatus::InProgress)
                    && t.due_on.is_some_and(|d| d < today)
            })
            .count();
        Ok(OrgSummary {
            role,
            tier,
            overall: view.scores.overall,
            threats: threat_lines(&view.scores),
            progress: view.progress.all(),
            overdue,
            last_change: view.last_change,
            weight: size_weight(&org),
            parent: view.parent.clone(),
            org,
        })
    }

    /// Every organization `who` can see, scored (by name). Organizations that ask for a
    /// second sign-in step this account does not have are left out, as their pages are.
    pub async fn portfolio(&self, who: &Principal) -> Result<Vec<OrgSummary>> {
        let mut out = Vec::new();
        for (org, _) in self.organizations(who).await? {
            let access = match self.org_access::<Read>(who, org.id.as_str()).await {
                Ok(a) => a,
                Err(Error::MfaRequired | Error::NotFound | Error::Forbidden) => continue,
                Err(e) => return Err(e),
            };
            out.push(self.summary(access.org().clone(), access.role()).await?);
        }
        Ok(out)
    }

    /// The roll-up of a health system's member sites, or `None` when it has none. Whoever
    /// may read the health system sees its sites' scores here (not their answers).
    pub async fn roll_up<L: Level>(&self, access: &OrgAccess<L>) -> Result<Option<RollUp>> {
        let orgs = self.store().sites_of(access.org_id()).await?;
        if orgs.is_empty() {
            return Ok(None);
        }
        let mut sites = Vec::new();
        for org in orgs {
            sites.push(self.summary(org, access.role()).await?);
        }
        let overall = weighted(sites.iter().map(|s| (s.weight, s.overall)));
        let threats = self
            .catalog()
            .threats
            .iter()
            .map(|t| ThreatLine {
                id: t.id.to_string(),
                name: t.name.clone(),
                score: weighted(sites.iter().map(|s| {
                    (
                        s.weight,
                        s.threats
                            .iter()
                            .find(|l| l.id == t.id.as_str())
                            .and_then(|l| l.score),
                    )
                })),
            })
            .collect();
        let progress = sites.iter().fold(Progress::default(), |mut p, s| {
            p.answered += s.progress.answered;
            p.total += s.progress.total;
            p
        });
        Ok(Some(RollUp {
            overall,
            threats,
            progress,
            overdue: sites.iter().map(|s| s.overdue).sum(),
            total_weight: sites.iter().map(|s| s.weight).sum(),
            sites,
        }))
    }

    /// The health system an organization belongs to, if any.
    pub async fn parent_of<L: Level>(&self, access: &OrgAccess<L>) -> Result<Option<Organization>> {
        Ok(self.store().parent_of(access.org_id()).await?)
    }

    /// Makes the organization of `site` a member site of the health system of `parent`
    /// (admin of both), or of none. One level only: a health system is no site, and a site
    /// has no sites of its own.
    pub async fn set_parent(
        &self,
        site: &OrgAccess<Manage>,
        parent: Option<&OrgAccess<Manage>>,
    ) -> Result<()> {
        let mut tx = self.store().begin().await?;
        tx.lock_organization(site.org_id(), true).await?;
        if let Some(p) = parent {
            if p.org_id() == site.org_id() {
                return Err(Error::invalid("parent", Problem::Own));
            }
            tx.lock_organization(p.org_id(), true).await?;
            if tx.parent_of(p.org_id()).await?.is_some()
                || !tx.sites_of(site.org_id()).await?.is_empty()
            {
                return Err(Error::invalid("parent", Problem::Nested));
            }
        }
        tx.set_parent(site.org_id(), parent.map(|p| p.org_id()), &site.user().id)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn threat_lines(scores: &Scores) -> Vec<ThreatLine> {
    scores
        .threats
        .iter()
        .map(|t| ThreatLine {
            id: t.id.clone(),
            name: t.name.clone(),
            score: t.score,
        })
        .collect()
}
