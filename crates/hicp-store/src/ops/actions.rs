//! Plan actions.

use super::{ActionRow, AuditBatch, INSERT_AUDIT, collect};
use crate::db::{Conn, InTx, now, on_conn, opt_date_text, to_millis};
use crate::{ActionId, ActionInput, ActionTrack, Conflict, OrgId, Result, StoreError, UserId};

impl<M> Conn<M> {
    pub async fn action(
        &mut self,
        org: &OrgId,
        action_id: &ActionId,
    ) -> Result<Option<ActionTrack>> {
        on_conn!(self, c => {
            let row: Option<ActionRow> = crate::sql::query_as(concat!(
                "SELECT ", action_cols!(), " FROM action_tracking WHERE org_id = $1 AND action_id = $2"
            ))
            .bind(org.as_str().to_owned())
            .bind(action_id.as_str())
            .fetch_optional(&mut *c)
            .await?;
            row.map(ActionTrack::try_from).transpose()
        })
    }

    /// Every tracked action of `org`, by action id.
    pub async fn actions(&mut self, org: &OrgId) -> Result<Vec<ActionTrack>> {
        on_conn!(self, c => {
            let rows: Vec<ActionRow> = crate::sql::query_as(concat!(
                "SELECT ", action_cols!(), " FROM action_tracking WHERE org_id = $1 ORDER BY action_id"
            ))
            .bind(org.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            collect(rows)
        })
    }
}

impl Conn<InTx> {
    /// Saves the tracking of one plan action of `org`, if it is still at
    /// `expected_version` (`0`: not tracked yet); the same rule as `save_answer`.
    pub async fn save_action(
        &mut self,
        org: &OrgId,
        action_id: &ActionId,
        input: &ActionInput,
        by: &UserId,
        expected_version: i64,
    ) -> Result<ActionTrack> {
        let at = to_millis(now());
        let due = opt_date_text(input.due_on);
        on_conn!(self, tx, pg => {
            let (old, saved) = save_versioned!(
                tx, pg, expected_version, ActionRow => ActionTrack, Conflict::Action,
                select: concat!(
                    "SELECT ", action_cols!(), " FROM action_tracking WHERE org_id = $1 AND action_id = $2"
                ),
                key: [org.as_str().to_owned(), action_id.as_str()],
                insert: concat!(
                    "INSERT INTO action_tracking (org_id, action_id, owner, due_on, status, reason, \
                     updated_by, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1) \
                     ON CONFLICT (org_id, action_id) DO NOTHING RETURNING ",
                    action_cols!()
                ),
                update: concat!(
                    "UPDATE action_tracking SET owner = $3, due_on = $4, status = $5, reason = $6, \
                     updated_by = $7, updated_at = $8, version = version + 1 \
                     WHERE org_id = $1 AND action_id = $2 AND version = $9 RETURNING ",
                    action_cols!()
                ),
                values: [
                    input.owner.clone(),
                    due.clone(),
                    input.status.as_str(),
                    input.reason.clone(),
                    by.as_str().to_owned(),
                    at,
                ],
            );
            let mut audit = AuditBatch::new(at, Some(by), Some(org.as_str()), "action", action_id.to_string());
            let (o_owner, o_due, o_status, o_reason) = match old {
                Some(o) => (o.owner, o.due_on, Some(o.status), o.reason),
                None => (None, None, None, None),
            };
            audit.field("owner", o_owner, saved.owner.clone());
            audit.field("due_on", o_due, saved.due_on.clone());
            audit.field("status", o_status, Some(saved.status.clone()));
            audit.field("reason", o_reason, saved.reason.clone());
            write_audit!(tx, audit);
            ActionTrack::try_from(saved)
        })
    }
}
