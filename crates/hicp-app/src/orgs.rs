//! Organizations: creating one, its size tier and threat weights, and what a user sees.

use crate::access::{InstallationAdmin, Manage, OrgAccess, Principal};
use crate::error::{Error, Problem, Result};
use crate::{App, Level};
use hicp_core::assessment::{OrgType, Profile, classify};
use hicp_core::catalog::Tier;
use hicp_store::{
    AuditEntry, AuditFilter, LockedOrganization, NewAssessment, NewOrganization, Organization,
    OrganizationUpdate, Role, Tx,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The sizing interview's answers as stored with an organization (JSON).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredProfile {
    pub org_type: Option<String>,
    pub physicians: Option<u32>,
    pub staffed_beds: Option<u32>,
    pub workforce: Option<u32>,
    pub it_assets: Option<u32>,
    pub it_staff: Option<u32>,
    pub security_staff: Option<u32>,
    pub sites: Option<u32>,
}

impl StoredProfile {
    pub(crate) fn of(org: &Organization) -> StoredProfile {
        org.profile_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default()
    }

    pub(crate) fn from_profile(p: &Profile) -> StoredProfile {
        StoredProfile {
            org_type: p.org_type.map(|t| t.name().to_owned()),
            physicians: p.physicians,
            staffed_beds: p.staffed_beds,
            workforce: p.workforce,
            it_assets: p.it_assets,
            it_staff: p.it_staff,
            security_staff: p.security_staff,
            sites: p.sites,
        }
    }
}

/// An organization's sizing profile (its name included).
pub fn profile_of(org: &Organization) -> Profile {
    let p = StoredProfile::of(org);
    Profile {
        name: Some(org.name.clone()),
        org_type: p.org_type.as_deref().and_then(OrgType::from_name),
        physicians: p.physicians,
        staffed_beds: p.staffed_beds,
        workforce: p.workforce,
        it_assets: p.it_assets,
        it_staff: p.it_staff,
        security_staff: p.security_staff,
        sites: p.sites,
    }
}

/// An organization's threat weights (threat id to weight; missing threats weigh 1).
pub fn threat_weights_of(org: &Organization) -> BTreeMap<String, f64> {
    org.threat_weights_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default()
}

/// How a tier was chosen, for the reason kept with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TierSource {
    /// By the sizing rules.
    Rules,
    /// Chosen by a person.
    ByHand,
    /// Set by an imported answers file.
    Import,
}

impl App {
    /// The organizations `who` can see, with their role in each, by name.
    pub async fn organizations(&self, who: &Principal) -> Result<Vec<(Organization, Role)>> {
        let store = self.store();
        if who.user().is_admin {
            Ok(store
                .list_organizations()
                .await?
                .into_iter()
                .map(|o| (o, Role::Admin))
                .collect())
        } else {
            Ok(store.organizations_for_user(&who.user().id).await?)
        }
    }

    /// Creates an organization with its first (open) assessment; the tier comes from the
    /// sizing rules. The creator becomes its admin.
    pub async fn create_organization(
        &self,
        admin: &InstallationAdmin,
        name: &str,
        profile: &Profile,
    ) -> Result<Organization> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid("name", Problem::Required));
        }
        let Some(creator) = admin.user() else {
            // Organizations belong to someone who can sign in and manage them.
            return Err(Error::Forbidden);
        };
        let mut profile = profile.clone();
        profile.name = Some(name.to_owned());
        let sizing = classify(&profile);
        let tier = sizing.tier.unwrap_or(Tier::Small);
        let profile_json = serde_json::to_string(&StoredProfile::from_profile(&profile))
            .map_err(|e| Error::Internal(e.to_string()))?;
        let mut tx = self.store().begin().await?;
        let org = tx
            .create_organization(
                &NewOrganization {
                    name,
                    profile_json: Some(&profile_json),
                    tier: Some(tier),
                    tier_reason: Some(&sizing.explanation),
                    tier_overridden: false,
                },
                &creator.id,
            )
            .await?;
        tx.create_assessment(&NewAssessment {
            org_id: &org.id,
            name: "Assessment",
            tier,
            created_by: &creator.id,
        })
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    /// Sets the organization's size tier. It is an override when the sizing rules say
    /// otherwise.
    pub async fn set_tier(
        &self,
        access: &OrgAccess<Manage>,
        tier: Tier,
        source: TierSource,
    ) -> Result<Organization> {
        let mut tx = self.store().begin().await?;
        let org = self.lock_org(&mut tx, access, true).await?.org;
        let org = set_tier_in(&mut tx, &access.with_org(org), tier, source).await?;
        tx.commit().await?;
        Ok(org)
    }

    /// Saves the organization's name and sizing profile. A tier that follows the sizing
    /// rules follows the new profile (resizing the organization); a tier chosen by hand or
    /// by an import stays, with its reason restated against the new profile.
    pub async fn update_profile(
        &self,
        access: &OrgAccess<Manage>,
        name: &str,
        profile: &Profile,
    ) -> Result<Organization> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::invalid("name", Problem::Required));
        }
        let mut profile = profile.clone();
        profile.name = Some(name.to_owned());
        let json = serde_json::to_string(&StoredProfile::from_profile(&profile))
            .map_err(|e| Error::Internal(e.to_string()))?;
        let mut tx = self.store().begin().await?;
        // Exclusive: the tier may change, which must not interleave with a close.
        let org = self.lock_org(&mut tx, access, true).await?.org;
        let org = tx
            .update_organization(
                &org.id,
                &OrganizationUpdate {
                    name,
                    profile_json: Some(&json),
                    tier: org.tier,
                    tier_reason: org.tier_reason.as_deref(),
                    tier_overridden: org.tier_overridden,
                },
                &access.user().id,
            )
            .await?;
        let access = access.with_org(org);
        let (tier, source) = if access.org().tier_overridden {
            (access.tier(), TierSource::ByHand)
        } else {
            (
                classify(&profile_of(access.org()))
                    .tier
                    .unwrap_or(Tier::Small),
                TierSource::Rules,
            )
        };
        let org = set_tier_in(&mut tx, &access, tier, source).await?;
        tx.commit().await?;
        Ok(org)
    }

    /// Sets how much each threat counts in the overall score and the plan (1 is the
    /// default; as in an answers file, above 0 and at most 10).
    pub async fn set_threat_weights(
        &self,
        access: &OrgAccess<Manage>,
        weights: &BTreeMap<String, f64>,
    ) -> Result<()> {
        for (id, w) in weights {
            if self.catalog().threat(id).is_none() {
                return Err(Error::invalid("threat_weights", Problem::Unknown));
            }
            if !hicp_core::assessment::weight_allowed(*w) {
                return Err(Error::invalid("threat_weights", Problem::Malformed));
            }
        }
        let mut tx = self.store().begin().await?;
        set_weights_in(&mut tx, access, weights).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The organization's audit log, newest first, optionally only one user's changes or
    /// one kind of record (`before`: entries older than this seq).
    pub async fn audit_log(
        &self,
        access: &OrgAccess<Manage>,
        user: Option<&hicp_store::UserId>,
        entity: Option<&str>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        Ok(self
            .store()
            .audit_log(&AuditFilter {
                org_id: Some(access.org_id()),
                user_id: user,
                entity,
                entity_id: None,
                before_seq: before,
                limit: Some(limit),
            })
            .await?)
    }

    /// Re-reads the organization inside `tx` with its open assessment, locking it (see
    /// `Tx::lock_organization`).
    pub(crate) async fn lock_org<L: Level>(
        &self,
        tx: &mut Tx,
        access: &OrgAccess<L>,
        exclusive: bool,
    ) -> Result<LockedOrganization> {
        tx.lock_organization(access.org_id(), exclusive)
            .await?
            .ok_or(Error::NotFound)
    }
}

pub(crate) async fn set_weights_in<L: Level>(
    tx: &mut Tx,
    access: &OrgAccess<L>,
    weights: &BTreeMap<String, f64>,
) -> Result<()> {
    // Weights of 1 are the default: keep only the others, so "all default" is NULL.
    let kept: BTreeMap<&String, &f64> = weights
        .iter()
        .filter(|(_, w)| **w != hicp_core::assessment::answers::DEFAULT_WEIGHT)
        .collect();
    let json = if kept.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&kept).map_err(|e| Error::Internal(e.to_string()))?)
    };
    if json == access.org().threat_weights_json {
        return Ok(());
    }
    tx.set_threat_weights(access.org_id(), json.as_deref(), &access.user().id)
        .await?;
    Ok(())
}

pub(crate) async fn set_tier_in<L: Level>(
    tx: &mut Tx,
    access: &OrgAccess<L>,
    tier: Tier,
    source: TierSource,
) -> Result<Organization> {
    let org = access.org();
    let sizing = classify(&profile_of(org));
    let overridden = source != TierSource::Rules && sizing.tier != Some(tier);
    let reason = if overridden {
        let how = match source {
            TierSource::Import => "by an imported answers file",
            _ => "by hand",
        };
        format!(
            "Set to {} {how}. The sizing rules said: {}",
            tier.name(),
            sizing.explanation
        )
    } else {
        sizing.explanation.clone()
    };
    Ok(tx
        .update_organization(
            &org.id,
            &OrganizationUpdate {
                name: &org.name,
                profile_json: org.profile_json.as_deref(),
                tier: Some(tier),
                tier_reason: Some(&reason),
                tier_overridden: overridden,
            },
            &access.user().id,
        )
        .await?)
}
