//! Locks a use case takes before it changes things.

use super::{OpenAssessmentCols, OrgRow};
use crate::db::{Conn, InTx, on_conn};
use crate::{LockedOrganization, OrgId, Organization, Result};

crate::sql::row! {
    /// [`Conn::lock_organization`]'s row.
    struct LockedRow {
        #[sqlx(flatten)]
        org: OrgRow,
        #[sqlx(flatten)]
        open: OpenAssessmentCols,
    }
}

impl Conn<InTx> {
    /// Reads an organization with its open assessment (on SQLite in one statement) and, on
    /// PostgreSQL, locks the organization's row until the transaction ends: `exclusive`
    /// (`FOR UPDATE`) for a change that must see no concurrent change of the organization's
    /// assessments (closing one), `FOR NO KEY UPDATE` for the others. The second is not
    /// shared: every change moves the organization's revision (an UPDATE of the row, by the
    /// audit trigger of migration 0010), and two shared holders that both upgrade would
    /// deadlock. So the changes of one organization take turns. On SQLite a write
    /// transaction already excludes every other writer.
    ///
    /// The open assessment is the one when the lock was taken: a change that closes or
    /// creates one in this transaction reads it again. Until this transaction closes it, the
    /// store's changes to it do not read it again (`Conn::open_held`): a close elsewhere
    /// waits for this lock.
    pub async fn lock_organization(
        &mut self,
        id: &OrgId,
        exclusive: bool,
    ) -> Result<Option<LockedOrganization>> {
        let locked: Option<LockedOrganization> = on_conn!(self, tx, pg => {
            if pg {
                // Lock first, then read in a statement of its own: in READ COMMITTED a
                // statement that waited for the lock would re-check the organization's new
                // row but join the open assessment as it was before the wait (one a close
                // in between has just replaced).
                let lock = if exclusive {
                    "SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE"
                } else {
                    "SELECT 1 FROM organizations WHERE id = $1 FOR NO KEY UPDATE"
                };
                let found: Option<(i32,)> = crate::sql::query_as(lock)
                    .bind(id.as_str().to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
                if found.is_none() {
                    return Ok(None);
                }
            }
            let row: Option<LockedRow> = crate::sql::query_as(concat!(
                "SELECT ", org_cols!(), ", ", open_assessment_cols!(),
                " FROM organizations o \
                 LEFT JOIN assessments a ON a.org_id = o.id AND a.status = 'open' \
                 WHERE o.id = $1"
            ))
            .bind(id.as_str().to_owned())
            .fetch_optional(&mut *tx)
            .await?;
            row.map(|r| {
                let open_assessment = r.open.into_assessment(r.org.id.clone())?;
                Ok::<_, crate::StoreError>(LockedOrganization {
                    org: Organization::try_from(r.org)?,
                    open_assessment,
                })
            })
            .transpose()
        })?;
        if let Some(open) = locked.as_ref().and_then(|l| l.open_assessment.as_ref()) {
            self.open_held = Some((open.id.clone(), id.clone()));
        }
        Ok(locked)
    }

    /// Serializes the transactions that decide on the installation as a whole (the
    /// first-run setup) until this one ends: a PostgreSQL advisory lock; on SQLite a write
    /// transaction already excludes every other writer.
    pub async fn lock_installation(&mut self) -> Result<()> {
        on_conn!(self, tx, pg => {
            if pg {
                crate::sql::query("SELECT pg_advisory_xact_lock(405405405)")
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
                crate::sql::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(405_405_406_i64)
                    .execute(&mut *tx)
                    .await?;
            } else {
                // A write statement, even one that changes nothing, takes SQLite's write
                // lock now: a read first would let two attempts count the same failures.
                crate::sql::query("DELETE FROM login_failures WHERE 1 = 0")
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(())
        })
    }
}
