//! Locks a use case takes before it changes things.

use super::OrgRow;
use crate::db::{Conn, InTx, on_conn};
use crate::{OrgId, Organization, Result};

impl Conn<InTx> {
    /// Reads an organization and, on PostgreSQL, locks its row until the transaction ends:
    /// `exclusive` (`FOR UPDATE`) for a change that must see no concurrent change of the
    /// organization's assessments (closing one), `FOR NO KEY UPDATE` for the others. The
    /// second is not shared: every change moves the organization's revision (an UPDATE of
    /// the row, by the audit trigger of migration 0010), and two shared holders that both
    /// upgrade would deadlock. So the changes of one organization take turns. On SQLite a
    /// write transaction already excludes every other writer.
    pub async fn lock_organization(
        &mut self,
        id: &OrgId,
        exclusive: bool,
    ) -> Result<Option<Organization>> {
        on_conn!(self, tx, pg => {
            let sql = match (pg, exclusive) {
                (false, _) => concat!("SELECT ", org_cols!(), " FROM organizations o WHERE o.id = $1"),
                (true, true) => concat!("SELECT ", org_cols!(), " FROM organizations o WHERE o.id = $1 FOR UPDATE"),
                (true, false) => concat!("SELECT ", org_cols!(), " FROM organizations o WHERE o.id = $1 FOR NO KEY UPDATE"),
            };
            let row: Option<OrgRow> = sqlx::query_as(sql)
                .bind(id.as_str().to_owned())
                .fetch_optional(&mut *tx)
                .await?;
            row.map(Organization::try_from).transpose()
        })
    }

    /// Serializes the transactions that decide on the installation as a whole (the
    /// first-run setup) until this one ends: a PostgreSQL advisory lock; on SQLite a write
    /// transaction already excludes every other writer.
    pub async fn lock_installation(&mut self) -> Result<()> {
        on_conn!(self, tx, pg => {
            if pg {
                sqlx::query("SELECT pg_advisory_xact_lock(405405405)")
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(())
        })
    }

    /// Serializes sign-in attempts' reservations (see `hicp-app`'s throttling) until this
    /// transaction ends, so that counting and recording failures cannot interleave.
    pub async fn lock_sign_in(&mut self) -> Result<()> {
        on_conn!(self, tx, pg => {
            if pg {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(405_405_406_i64)
                    .execute(&mut *tx)
                    .await?;
            } else {
                // A write statement, even one that changes nothing, takes SQLite's write
                // lock now: a read first would let two attempts count the same failures.
                sqlx::query("DELETE FROM login_failures WHERE 1 = 0")
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(())
        })
    }
}
