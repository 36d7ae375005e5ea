//! Importing an answers file (the YAML that `hicp assess` reads) into the open assessment.

use crate::access::{Edit, OrgAccess};
use crate::assessment::{EvidenceUpload, add_evidence_in, open_assessment};
use crate::error::{Error, Result};
use crate::orgs::{StoredProfile, TierSource, set_tier_in, set_weights_in, threat_weights_of};
use crate::{App, today};
use hicp_core::assessment::parse;
use hicp_core::catalog::Tier;
use hicp_store::{
    AnswerInput, Conflict, EvidenceContent, NewAuditEntry, OrganizationUpdate, Role, StoreError,
};
use std::collections::HashSet;

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportOutcome {
    /// Answers written.
    pub changed: usize,
    /// Answers the file gives as they already were.
    pub same: usize,
    /// Criteria another person changed while the file was read (their answer was kept).
    pub conflicts: Vec<String>,
    /// The tier before, when the file changed it.
    pub tier_changed_from: Option<Tier>,
    /// The tier now.
    pub tier: Option<Tier>,
    /// Sub-practices of other tiers opted in.
    pub opted_in: usize,
    /// Evidence entries added (web links, or where the evidence is kept).
    pub links_added: usize,
    /// The file's organization profile replaced the organization's (admins only).
    pub profile_changed: bool,
    /// The file's threat weights replaced the organization's.
    pub weights_changed: bool,
    /// The file's threat weights differ but were not taken (only an admin sets them).
    pub weights_ignored: bool,
}

impl App {
    /// Imports an answers file into the open assessment, all or nothing: an invalid file
    /// (`InvalidFile`, with every problem located) or a refusal changes nothing, and so
    /// does a failure halfway. A file of another tier changes the organization's tier, and
    /// its profile and threat weights replace the organization's; all three need an admin
    /// (a tier change by anyone else is refused; profile and weights are then left alone).
    pub async fn import_answers(
        &self,
        access: &OrgAccess<Edit>,
        file_name: &str,
        text: &str,
    ) -> Result<ImportOutcome> {
        let catalog = self.catalog();
        let a = parse(file_name, text, catalog, today()).map_err(Error::InvalidFile)?;
        let mut out = ImportOutcome::default();
        let mut tx = self.store().begin().await?;
        // Exclusive: an import may change the tier, and must not interleave with a close.
        let locked = self.lock_org(&mut tx, access, true).await?;
        let access = access.with_org(locked.org);
        let by = &access.user().id.clone();

        // An admin's import also brings the file's profile (what the tier is decided on).
        let file_profile = StoredProfile::from_profile(&a.profile);
        let mut profile_changed = false;
        let access = if access.role() == Role::Admin
            && file_profile != StoredProfile::default()
            && file_profile != StoredProfile::of(access.org())
        {
            let json =
                serde_json::to_string(&file_profile).map_err(|e| Error::Internal(e.to_string()))?;
            let org = access.org();
            let org = tx
                .update_organization(
                    &org.id,
                    &OrganizationUpdate {
                        name: &org.name,
                        profile_json: Some(&json),
                        tier: org.tier,
                        tier_reason: org.tier_reason.as_deref(),
                        tier_overridden: org.tier_overridden,
                    },
                    by,
                )
                .await?;
            profile_changed = true;
            out.profile_changed = true;
            access.with_org(org)
        } else {
            access
        };
        if a.tier != access.tier() && access.role() != Role::Admin {
            return Err(Error::TierNeedsAdmin {
                file: a.tier,
                org: access.tier(),
            });
        }
        let access = if a.tier != access.tier() || profile_changed {
            let org = set_tier_in(&mut tx, &access, a.tier, TierSource::Import).await?;
            if a.tier != access.tier() {
                out.tier_changed_from = Some(access.tier());
            }
            access.with_org(org)
        } else {
            access
        };
        out.tier = Some(access.tier());
        // The file's weights, as the organization's would read: every threat, default 1.
        let mut current_weights = a.threat_weights.clone();
        for w in current_weights.values_mut() {
            *w = hicp_core::assessment::answers::DEFAULT_WEIGHT;
        }
        current_weights.extend(threat_weights_of(access.org()));
        if current_weights != a.threat_weights {
            if access.role() == Role::Admin {
                set_weights_in(&mut tx, &access, &a.threat_weights).await?;
                out.weights_changed = true;
            } else {
                out.weights_ignored = true;
            }
        }

        let assessment = open_assessment(&mut tx, &access, locked.open_assessment).await?;
        let opted: HashSet<String> = tx
            .opted_in_sub_practices(&assessment.id)
            .await?
            .into_iter()
            .collect();
        for sp in &a.opt_in {
            if !opted.contains(sp.as_str())
                && tx
                    .set_sub_practice(&assessment.id, sp.as_str(), true, by)
                    .await?
            {
                out.opted_in += 1;
            }
        }

        let rows = tx.answers(&assessment.id).await?;
        for (id, ca) in &a.criteria {
            let input = AnswerInput {
                status: ca.status,
                na_reason: ca.reason.clone(),
                notes: ca.notes.clone(),
                owner: ca.owner.clone(),
                in_place_since: ca.in_place_since,
            };
            let current = rows.iter().find(|r| r.criterion_id.as_str() == id);
            let unchanged = match current {
                Some(r) => {
                    r.status == input.status
                        && r.na_reason == input.na_reason
                        && r.notes == input.notes
                        && r.owner == input.owner
                        && r.in_place_since == input.in_place_since
                }
                // The file answers it, even if only "not started": that is an answer, and
                // an unanswered question is not the same as one not started.
                None => false,
            };
            if unchanged {
                out.same += 1;
                continue;
            }
            match tx
                .save_answer(
                    &assessment.id,
                    // The file was read against this catalog: its ids are the catalog's.
                    self.catalog().criterion_id(id).ok_or(Error::NotFound)?,
                    &input,
                    by,
                    current.map_or(0, |r| r.version),
                )
                .await
            {
                Ok(_) => out.changed += 1,
                // PostgreSQL: a save that committed after our read of the answers.
                Err(StoreError::Conflict(Conflict::Answer(_))) => out.conflicts.push(id.clone()),
                Err(e) => return Err(e.into()),
            }
        }

        // Evidence: each entry is added once. A web link is stored as a link; another
        // location (a file name, "the binder in the office") as a reference to where the
        // evidence is kept, so that the dates the 12-month check reads come along. A file
        // name that an export wrote for an uploaded file is that file, already here.
        let existing = tx.evidence_for_assessment(&assessment.id).await?;
        for (id, ca) in &a.criteria {
            for e in &ca.evidence {
                let Some(location) = e
                    .location
                    .as_deref()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                else {
                    continue;
                };
                let known = existing.iter().any(|x| {
                    x.criterion_id.as_ref().is_some_and(|c| c.as_str() == id)
                        && (x.url.as_deref() == Some(location)
                            || (x.title == e.title && x.file_name.is_some()))
                });
                if known || e.title.trim().is_empty() {
                    continue;
                }
                add_evidence_in(
                    &mut tx,
                    &access,
                    &assessment,
                    self.catalog(),
                    EvidenceUpload {
                        criterion: Some(id.clone()),
                        action: None,
                        title: e.title.clone(),
                        content: EvidenceContent::Link {
                            url: location.to_owned(),
                        },
                        collected_on: e.collected,
                        valid_until: e.valid_until,
                    },
                )
                .await?;
                out.links_added += 1;
            }
        }
        let summary = format!("{} changed, {} already the same", out.changed, out.same);
        tx.record_audit(&NewAuditEntry {
            user_id: Some(by),
            org_id: Some(access.org_id()),
            entity: "import",
            entity_id: assessment.id.as_str(),
            field: "answers_file",
            old_value: None,
            new_value: Some(&format!("{file_name}: {summary}")),
        })
        .await?;
        tx.commit().await?;
        Ok(out)
    }
}
