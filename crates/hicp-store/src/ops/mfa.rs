//! Multifactor sign-in.

use super::{AuditBatch, INSERT_AUDIT};
use crate::db::{Conn, InTx, now, on_conn, to_millis};
use crate::{OrgId, Result, StoreError, UserId};

impl<M> Conn<M> {
    /// Sets (or clears) the TOTP secret being enrolled.
    pub async fn set_totp_pending(&mut self, id: &UserId, secret: Option<&str>) -> Result<()> {
        on_conn!(self, c => {
            let done = crate::sql::query("UPDATE users SET totp_pending = $2 WHERE id = $1")
                .bind(id.as_str().to_owned())
                .bind(secret.map(str::to_owned))
                .execute(&mut *c)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
    }

    /// Accepts TOTP time step `step` for the user once: true if it is later than every
    /// step accepted before (a code cannot be replayed), and records it.
    pub async fn use_totp_step(&mut self, id: &UserId, step: i64) -> Result<bool> {
        on_conn!(self, c => {
            let done = crate::sql::query(
                "UPDATE users SET totp_last_step = $2 \
                 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
            )
            .bind(id.as_str().to_owned())
            .bind(step)
            .execute(&mut *c)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Uses up one recovery code (by its digest): true if it was there and unused.
    pub async fn use_recovery_code(&mut self, id: &UserId, code_hash: &str) -> Result<bool> {
        let at = to_millis(now());
        on_conn!(self, c => {
            let done = crate::sql::query(
                "UPDATE recovery_codes SET used_at = $3 \
                 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            )
            .bind(id.as_str().to_owned())
            .bind(code_hash.to_owned())
            .bind(at)
            .execute(&mut *c)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// How many unused recovery codes the user has.
    pub async fn recovery_codes_left(&mut self, id: &UserId) -> Result<u64> {
        on_conn!(self, c => {
            let (n,): (i64,) = crate::sql::query_as(
                "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
            )
            .bind(id.as_str().to_owned())
            .fetch_one(&mut *c)
            .await?;
            Ok(n.max(0) as u64)
        })
    }

    /// The second factor of a session is done.
    pub async fn complete_mfa(&mut self, id_hash: &str) -> Result<()> {
        on_conn!(self, c => {
            crate::sql::query("UPDATE sessions SET mfa_pending = FALSE WHERE id_hash = $1")
                .bind(id_hash.to_owned())
                .execute(&mut *c)
                .await?;
            Ok(())
        })
    }
}

impl Conn<InTx> {
    /// Turns TOTP on with `secret` (accepted at `step`) and replaces the recovery codes
    /// with these digests. Audited.
    pub async fn enable_totp(
        &mut self,
        id: &UserId,
        secret: &str,
        step: i64,
        recovery_hashes: &[String],
    ) -> Result<()> {
        let at = to_millis(now());
        let mut audit = AuditBatch::new(at, Some(id), None, "user", id.to_string());
        audit.event("mfa", None, Some("TOTP turned on".to_owned()));
        on_conn!(self, tx, pg => {
            let done = crate::sql::query(
                "UPDATE users SET totp_secret = $2, totp_pending = NULL, totp_last_step = $3 WHERE id = $1",
            )
            .bind(id.as_str().to_owned())
            .bind(secret.to_owned())
            .bind(step)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            crate::sql::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(id.as_str().to_owned())
                .execute(&mut *tx)
                .await?;
            for h in recovery_hashes {
                crate::sql::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(id.as_str().to_owned())
                    .bind(h.clone())
                    .execute(&mut *tx)
                    .await?;
            }
            write_audit!(tx, audit);
            Ok(())
        })
    }

    /// Turns TOTP off (by the user or by an administrator `by`) and forgets the recovery
    /// codes. Audited.
    pub async fn disable_totp(&mut self, id: &UserId, by: &UserId) -> Result<()> {
        let at = to_millis(now());
        let mut audit = AuditBatch::new(at, Some(by), None, "user", id.to_string());
        audit.event(
            "mfa",
            Some("TOTP on".to_owned()),
            Some("TOTP turned off".to_owned()),
        );
        on_conn!(self, tx, pg => {
            let done = crate::sql::query(
                "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL WHERE id = $1",
            )
            .bind(id.as_str().to_owned())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            crate::sql::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(id.as_str().to_owned())
                .execute(&mut *tx)
                .await?;
            write_audit!(tx, audit);
            Ok(())
        })
    }

    /// Whether members of an organization must sign in with a second factor. Audited.
    pub async fn set_require_mfa(
        &mut self,
        org: &OrgId,
        required: bool,
        by: &UserId,
    ) -> Result<()> {
        let at = to_millis(now());
        let mut audit = AuditBatch::new(
            at,
            Some(by),
            Some(org.as_str()),
            "organization",
            org.to_string(),
        );
        audit.event("require_mfa", None, Some(required.to_string()));
        on_conn!(self, tx, pg => {
            let done = crate::sql::query("UPDATE organizations SET require_mfa = $2 WHERE id = $1")
                .bind(org.as_str().to_owned())
                .bind(required)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            write_audit!(tx, audit);
            Ok(())
        })
    }
}
