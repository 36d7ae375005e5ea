//! Health systems and their member sites.

use super::{AuditBatch, INSERT_AUDIT, OrgRow};
use crate::db::{Conn, InTx, from_millis, now, on_conn, to_millis};
use crate::{OffsetDateTime, OrgId, Organization, Result, UserId};

impl<M> Conn<M> {
    /// The health system `site` belongs to, if any.
    pub async fn parent_of(&mut self, site: &OrgId) -> Result<Option<Organization>> {
        on_conn!(self, c => {
            let row: Option<OrgRow> = crate::sql::query_as(concat!(
                "SELECT ", org_cols!(), " FROM org_sites s JOIN organizations o ON o.id = s.parent_id \
                 WHERE s.site_id = $1"
            ))
            .bind(site.as_str().to_owned())
            .fetch_optional(&mut *c)
            .await?;
            row.map(Organization::try_from).transpose()
        })
    }

    /// The member sites of the health system `parent`, by name.
    pub async fn sites_of(&mut self, parent: &OrgId) -> Result<Vec<Organization>> {
        on_conn!(self, c => {
            let rows: Vec<OrgRow> = crate::sql::query_as(concat!(
                "SELECT ", org_cols!(), " FROM org_sites s JOIN organizations o ON o.id = s.site_id \
                 WHERE s.parent_id = $1 ORDER BY o.name, o.id"
            ))
            .bind(parent.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            rows.into_iter().map(Organization::try_from).collect()
        })
    }

    /// When anything of `org` last changed: its newest audit log entry.
    pub async fn last_change(&mut self, org: &OrgId) -> Result<Option<OffsetDateTime>> {
        on_conn!(self, c => {
            let row: (Option<i64>,) =
                crate::sql::query_as("SELECT MAX(at) FROM audit_log WHERE org_id = $1")
                    .bind(org.as_str().to_owned())
                    .fetch_one(&mut *c)
                    .await?;
            Ok(row.0.map(from_millis))
        })
    }
}

impl Conn<InTx> {
    /// Makes `site` a member site of the health system `parent`, or (`None`) of none;
    /// audited on the site. Whether the pair makes sense is the caller's to check.
    pub async fn set_parent(
        &mut self,
        site: &OrgId,
        parent: Option<&OrgId>,
        by: &UserId,
    ) -> Result<()> {
        let at = to_millis(now());
        on_conn!(self, tx => {
            let old: Option<(String,)> =
                crate::sql::query_as("SELECT parent_id FROM org_sites WHERE site_id = $1")
                    .bind(site.as_str().to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
            crate::sql::query("DELETE FROM org_sites WHERE site_id = $1")
                .bind(site.as_str().to_owned())
                .execute(&mut *tx)
                .await?;
            if let Some(p) = parent {
                crate::sql::query("INSERT INTO org_sites (site_id, parent_id) VALUES ($1, $2)")
                    .bind(site.as_str().to_owned())
                    .bind(p.as_str().to_owned())
                    .execute(&mut *tx)
                    .await?;
            }
            let mut audit =
                AuditBatch::new(at, Some(by), Some(site.as_str()), "organization", site.to_string());
            audit.field("parent", old.map(|o| o.0), parent.map(|p| p.to_string()));
            write_audit!(tx, audit);
            Ok(())
        })
    }
}
