//! Organizations, memberships and invitations.

use super::{AuditBatch, INSERT_AUDIT, MemberRow, OrgRoleRow, OrgRow, parse_role};
use crate::db::{Conn, InTx, from_millis, now, on_conn, to_millis};
use crate::{
    Invitation, Member, NewOrganization, OrgId, Organization, OrganizationUpdate, Result, Role,
    StoreError, Tier, UserId,
};

impl<M> Conn<M> {
    pub async fn organization(&mut self, id: &OrgId) -> Result<Option<Organization>> {
        on_conn!(self, c => {
            let row: Option<OrgRow> =
                crate::sql::query_as(concat!("SELECT ", org_cols!(), " FROM organizations o WHERE o.id = $1"))
                    .bind(id.as_str().to_owned())
                    .fetch_optional(&mut *c)
                    .await?;
            row.map(Organization::try_from).transpose()
        })
    }

    /// Every organization (for installation administrators), by name.
    pub async fn list_organizations(&mut self) -> Result<Vec<Organization>> {
        on_conn!(self, c => {
            let rows: Vec<OrgRow> =
                crate::sql::query_as(concat!("SELECT ", org_cols!(), " FROM organizations o ORDER BY o.name, o.id"))
                    .fetch_all(&mut *c)
                    .await?;
            rows.into_iter().map(Organization::try_from).collect()
        })
    }

    /// The organizations `user` is a member of, with the user's role in each, by name.
    pub async fn organizations_for_user(
        &mut self,
        user: &UserId,
    ) -> Result<Vec<(Organization, Role)>> {
        on_conn!(self, c => {
            let rows: Vec<OrgRoleRow> = crate::sql::query_as(concat!(
                "SELECT ", org_cols!(), ", m.role FROM organizations o \
                 JOIN memberships m ON m.org_id = o.id WHERE m.user_id = $1 ORDER BY o.name, o.id"
            ))
            .bind(user.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            rows.into_iter()
                .map(|r| Ok((Organization::try_from(r.org)?, parse_role(&r.role)?)))
                .collect()
        })
    }

    /// The role of `user` in `org`, or `None` when they are not a member.
    pub async fn role_of(&mut self, user: &UserId, org: &OrgId) -> Result<Option<Role>> {
        on_conn!(self, c => {
            let row: Option<(String,)> =
                crate::sql::query_as("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
                    .bind(org.as_str().to_owned())
                    .bind(user.as_str().to_owned())
                    .fetch_optional(&mut *c)
                    .await?;
            row.map(|(r,)| parse_role(&r)).transpose()
        })
    }

    /// The members of `org`, by email.
    pub async fn members(&mut self, org: &OrgId) -> Result<Vec<Member>> {
        on_conn!(self, c => {
            let rows: Vec<MemberRow> = crate::sql::query_as(
                "SELECT u.id AS user_id, u.email, u.display_name, m.role FROM memberships m \
                 JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY u.email",
            )
            .bind(org.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok(Member {
                        role: parse_role(&r.role)?,
                        user_id: UserId::from(r.user_id),
                        email: r.email,
                        display_name: r.display_name,
                    })
                })
                .collect()
        })
    }
}

impl<M> Conn<M> {
    /// The invitations to `org` nobody has answered yet, by email.
    pub async fn invitations_for_org(&mut self, org: &OrgId) -> Result<Vec<Invitation>> {
        on_conn!(self, c => {
            let rows: Vec<(String, String, String, Option<String>, i64)> = crate::sql::query_as(
                "SELECT org_id, email, role, invited_by, created_at FROM invitations \
                 WHERE org_id = $1 ORDER BY email",
            )
            .bind(org.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            rows.into_iter().map(invitation_of).collect()
        })
    }

    /// The invitations waiting for `email`, with each organization's name.
    pub async fn invitations_for_email(
        &mut self,
        email: &str,
    ) -> Result<Vec<(Invitation, String)>> {
        let email = email.trim().to_lowercase();
        on_conn!(self, c => {
            let rows: Vec<(String, String, String, Option<String>, i64, String)> = crate::sql::query_as(
                "SELECT i.org_id, i.email, i.role, i.invited_by, i.created_at, o.name \
                 FROM invitations i JOIN organizations o ON o.id = i.org_id \
                 WHERE i.email = $1 ORDER BY o.name",
            )
            .bind(email)
            .fetch_all(&mut *c)
            .await?;
            rows.into_iter()
                .map(|(a, b, r, d, e, name)| Ok((invitation_of((a, b, r, d, e))?, name)))
                .collect()
        })
    }
}

fn invitation_of(
    (org, email, role, by, at): (String, String, String, Option<String>, i64),
) -> Result<Invitation> {
    Ok(Invitation {
        org_id: OrgId::from(org),
        email,
        role: parse_role(&role)?,
        invited_by: by.map(UserId::from),
        created_at: from_millis(at),
    })
}

impl Conn<InTx> {
    /// Creates an organization and makes `creator` its admin, in one transaction.
    pub async fn create_organization(
        &mut self,
        new: &NewOrganization<'_>,
        creator: &UserId,
    ) -> Result<Organization> {
        let id = OrgId::generate();
        let at = to_millis(now());
        let mut audit = AuditBatch::new(
            at,
            Some(creator),
            Some(id.as_str()),
            "organization",
            id.to_string(),
        );
        audit.event("created", None, Some(new.name.to_owned()));
        audit.field("tier", None, new.tier.map(|t| t.name().to_owned()));
        let mut member_audit = AuditBatch::new(
            at,
            Some(creator),
            Some(id.as_str()),
            "membership",
            creator.to_string(),
        );
        member_audit.event("role", None, Some(Role::Admin.as_str().to_owned()));
        on_conn!(self, tx, pg => {
            let row: OrgRow = crate::sql::query_as(
                "INSERT INTO organizations \
                 (id, name, profile_json, tier, tier_reason, tier_overridden, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                 RETURNING id, name, profile_json, tier, tier_reason, tier_overridden, require_mfa, threat_weights_json, created_at, updated_at, revision",
            )
            .bind(id.as_str().to_owned())
            .bind(new.name.to_owned())
            .bind(new.profile_json.map(str::to_owned))
            .bind(new.tier.map(Tier::name))
            .bind(new.tier_reason.map(str::to_owned))
            .bind(new.tier_overridden)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            crate::sql::query(
                "INSERT INTO memberships (org_id, user_id, role, granted_at) VALUES ($1, $2, 'admin', $3)",
            )
            .bind(id.as_str().to_owned())
            .bind(creator.as_str().to_owned())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            write_audit!(tx, audit);
            write_audit!(tx, member_audit);
            let mut row = row;
            row.revision = revision_in!(tx, id.as_str());
            Organization::try_from(row)
        })
    }

    /// Replaces the name, profile and tier of an organization.
    pub async fn update_organization(
        &mut self,
        id: &OrgId,
        update: &OrganizationUpdate<'_>,
        by: &UserId,
    ) -> Result<Organization> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let old: Option<OrgRow> =
                crate::sql::query_as(concat!("SELECT ", org_cols!(), " FROM organizations o WHERE o.id = $1"))
                    .bind(id.as_str().to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(old) = old else {
                return Err(StoreError::NotFound);
            };
            let row: OrgRow = crate::sql::query_as(
                "UPDATE organizations SET name = $2, profile_json = $3, tier = $4, \
                 tier_reason = $5, tier_overridden = $6, updated_at = $7 WHERE id = $1 \
                 RETURNING id, name, profile_json, tier, tier_reason, tier_overridden, require_mfa, threat_weights_json, created_at, updated_at, revision",
            )
            .bind(id.as_str().to_owned())
            .bind(update.name.to_owned())
            .bind(update.profile_json.map(str::to_owned))
            .bind(update.tier.map(Tier::name))
            .bind(update.tier_reason.map(str::to_owned))
            .bind(update.tier_overridden)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            let mut audit = AuditBatch::new(at, Some(by), Some(id.as_str()), "organization", id.to_string());
            audit.field("name", Some(old.name), Some(row.name.clone()));
            audit.field("profile", old.profile_json, row.profile_json.clone());
            audit.field("tier", old.tier, row.tier.clone());
            audit.field("tier_reason", old.tier_reason, row.tier_reason.clone());
            audit.field(
                "tier_overridden",
                Some(old.tier_overridden.to_string()),
                Some(row.tier_overridden.to_string()),
            );
            write_audit!(tx, audit);
            let mut row = row;
            row.revision = revision_in!(tx, id.as_str());
            Organization::try_from(row)
        })
    }

    /// The organization's revision as this transaction sees it (see `Organization::revision`).
    pub async fn revision(&mut self, id: &OrgId) -> Result<i64> {
        on_conn!(self, tx => Ok(revision_in!(tx, id.as_str())))
    }

    /// Gives `user` the role `role` in `org` (replacing any previous role).
    pub async fn grant_role(
        &mut self,
        org: &OrgId,
        user: &UserId,
        role: Role,
        by: &UserId,
    ) -> Result<()> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let old: Option<(String,)> =
                crate::sql::query_as("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
                    .bind(org.as_str().to_owned())
                    .bind(user.as_str().to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
            crate::sql::query(
                "INSERT INTO memberships (org_id, user_id, role, granted_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role, granted_at = excluded.granted_at",
            )
            .bind(org.as_str().to_owned())
            .bind(user.as_str().to_owned())
            .bind(role.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let mut audit = AuditBatch::new(at, Some(by), Some(org.as_str()), "membership", user.to_string());
            audit.field("role", old.map(|(r,)| r), Some(role.as_str().to_owned()));
            write_audit!(tx, audit);
            Ok(())
        })
    }

    /// Invites `email` to `org` with `role` (again: the role is updated). Audited.
    pub async fn invite(
        &mut self,
        org: &OrgId,
        email: &str,
        role: Role,
        by: &UserId,
    ) -> Result<()> {
        let at = to_millis(now());
        let email = email.trim().to_lowercase();
        on_conn!(self, tx, pg => {
            crate::sql::query(
                "INSERT INTO invitations (org_id, email, role, invited_by, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (org_id, email) DO UPDATE SET role = excluded.role, invited_by = excluded.invited_by, created_at = excluded.created_at",
            )
            .bind(org.as_str().to_owned())
            .bind(email.clone())
            .bind(role.as_str())
            .bind(by.as_str().to_owned())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let mut audit = AuditBatch::new(at, Some(by), Some(org.as_str()), "membership", format!("invitation:{email}"));
            audit.event("invited", None, Some(role.as_str().to_owned()));
            write_audit!(tx, audit);
            Ok(())
        })
    }

    /// Takes back (or, for the person, uses up) the invitation of `email` to `org`.
    pub async fn take_invitation(
        &mut self,
        org: &OrgId,
        email: &str,
    ) -> Result<Option<Invitation>> {
        let email = email.trim().to_lowercase();
        on_conn!(self, tx, pg => {
            let row: Option<(String, String, String, Option<String>, i64)> = crate::sql::query_as(
                "DELETE FROM invitations WHERE org_id = $1 AND email = $2 \
                 RETURNING org_id, email, role, invited_by, created_at",
            )
            .bind(org.as_str().to_owned())
            .bind(email)
            .fetch_optional(&mut *tx)
            .await?;
            row.map(invitation_of).transpose()
        })
    }

    /// An admin withdraws the invitation of `email` to `org`, with its unused join links
    /// (see [`Conn::withdraw_join_links`]), audited. `None`: there was none.
    pub async fn withdraw_invitation(
        &mut self,
        org: &OrgId,
        email: &str,
        by: &UserId,
    ) -> Result<Option<Invitation>> {
        let when = now();
        let Some(invitation) = self.take_invitation(org, email).await? else {
            return Ok(None);
        };
        self.withdraw_join_links(org, &invitation.email, when)
            .await?;
        let at = to_millis(when);
        on_conn!(self, tx, pg => {
            let mut audit = AuditBatch::new(at, Some(by), Some(org.as_str()), "membership", format!("invitation:{}", invitation.email));
            audit.event("withdrawn", Some(invitation.role.as_str().to_owned()), None);
            write_audit!(tx, audit);
            Ok(Some(invitation))
        })
    }

    pub async fn revoke_role(&mut self, org: &OrgId, user: &UserId, by: &UserId) -> Result<bool> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let old: Option<(String,)> = crate::sql::query_as(
                "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2 RETURNING role",
            )
            .bind(org.as_str().to_owned())
            .bind(user.as_str().to_owned())
            .fetch_optional(&mut *tx)
            .await?;
            let Some((old,)) = old else {
                return Ok(false);
            };
            let mut audit = AuditBatch::new(at, Some(by), Some(org.as_str()), "membership", user.to_string());
            audit.event("role", Some(old), None);
            write_audit!(tx, audit);
            Ok(true)
        })
    }

    /// Sets an organization's threat weights (JSON, threat id to weight; `None`: all 1).
    pub async fn set_threat_weights(
        &mut self,
        id: &OrgId,
        weights_json: Option<&str>,
        by: &UserId,
    ) -> Result<()> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let old: Option<(Option<String>,)> =
                crate::sql::query_as("SELECT threat_weights_json FROM organizations WHERE id = $1")
                    .bind(id.as_str().to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((old,)) = old else {
                return Err(StoreError::NotFound);
            };
            crate::sql::query("UPDATE organizations SET threat_weights_json = $2, updated_at = $3 WHERE id = $1")
                .bind(id.as_str().to_owned())
                .bind(weights_json.map(str::to_owned))
                .bind(at)
                .execute(&mut *tx)
                .await?;
            let mut audit = AuditBatch::new(at, Some(by), Some(id.as_str()), "organization", id.to_string());
            audit.field("threat_weights", old, weights_json.map(str::to_owned));
            write_audit!(tx, audit);
            Ok(())
        })
    }
}
