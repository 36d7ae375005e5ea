//! Sessions and login throttling.

use super::SessionRow;
use crate::db::{Conn, from_millis, now, on_conn, to_millis};
use crate::{LoginFailures, NewSession, OffsetDateTime, Result, Session, UserId};

impl<M> Conn<M> {
    pub async fn create_session(&mut self, new: &NewSession<'_>) -> Result<Session> {
        let at = to_millis(now());
        on_conn!(self, c => {
            let row: SessionRow = sqlx::query_as(concat!(
                "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, mfa_pending, sso_provider, idp_mfa) \
                 VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8) RETURNING ",
                session_cols!()
            ))
            .bind(new.id_hash.to_owned())
            .bind(new.user_id.as_str().to_owned())
            .bind(new.csrf_token.to_owned())
            .bind(at)
            .bind(to_millis(new.expires_at))
            .bind(new.mfa_pending)
            .bind(new.sso_provider.map(str::to_owned))
            .bind(new.idp_mfa)
            .fetch_one(&mut *c)
            .await?;
            Ok(Session::from(row))
        })
    }

    /// The session with this id hash if it has not expired at `now`.
    pub async fn session(&mut self, id_hash: &str, now: OffsetDateTime) -> Result<Option<Session>> {
        on_conn!(self, c => {
            let row: Option<SessionRow> = sqlx::query_as(concat!(
                "SELECT ", session_cols!(), " FROM sessions WHERE id_hash = $1 AND expires_at > $2"
            ))
            .bind(id_hash.to_owned())
            .bind(to_millis(now))
            .fetch_optional(&mut *c)
            .await?;
            Ok(row.map(Session::from))
        })
    }

    /// Records activity on a live session and moves its expiry. Returns false when the
    /// session does not exist or has expired at `now`.
    pub async fn touch_session(
        &mut self,
        id_hash: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<bool> {
        on_conn!(self, c => {
            let done = sqlx::query(
                "UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id_hash = $1 AND expires_at > $2",
            )
            .bind(id_hash.to_owned())
            .bind(to_millis(now))
            .bind(to_millis(expires_at))
            .execute(&mut *c)
            .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Logs a session out. Returns whether it existed.
    pub async fn delete_session(&mut self, id_hash: &str) -> Result<bool> {
        on_conn!(self, c => {
            let done = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash.to_owned())
                .execute(&mut *c)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Logs a user out everywhere (after a password change). Returns how many sessions.
    pub async fn delete_user_sessions(
        &mut self,
        user: &UserId,
        except: Option<&str>,
    ) -> Result<u64> {
        on_conn!(self, c => {
            let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
                .bind(user.as_str().to_owned())
                .bind(except.unwrap_or("").to_owned())
                .execute(&mut *c)
                .await?;
            Ok(done.rows_affected())
        })
    }

    /// Removes sessions expired at `now`. Returns how many.
    pub async fn delete_expired_sessions(&mut self, now: OffsetDateTime) -> Result<u64> {
        on_conn!(self, c => {
            let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(to_millis(now))
                .execute(&mut *c)
                .await?;
            Ok(done.rows_affected())
        })
    }

    /// Records a failed login for `key` (e.g. `email:alice@x` or `ip:192.0.2.1`).
    pub async fn record_login_failure(&mut self, key: &str, at: OffsetDateTime) -> Result<i64> {
        on_conn!(self, c => {
            let (id,): (i64,) =
                sqlx::query_as("INSERT INTO login_failures (key, at) VALUES ($1, $2) RETURNING id")
                    .bind(key.to_owned())
                    .bind(to_millis(at))
                    .fetch_one(&mut *c)
                    .await?;
            Ok(id)
        })
    }

    /// Forgets one failed login (a reserved attempt that turned out right).
    pub async fn delete_login_failure(&mut self, id: i64) -> Result<()> {
        on_conn!(self, c => {
            sqlx::query("DELETE FROM login_failures WHERE id = $1")
                .bind(id)
                .execute(&mut *c)
                .await?;
            Ok(())
        })
    }

    /// The failed logins for `key` at or after `since`: how many, the first and the last.
    pub async fn login_failures(
        &mut self,
        key: &str,
        since: OffsetDateTime,
    ) -> Result<LoginFailures> {
        on_conn!(self, c => {
            let (count, first, last): (i64, Option<i64>, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), MIN(at), MAX(at) FROM login_failures WHERE key = $1 AND at >= $2",
            )
            .bind(key.to_owned())
            .bind(to_millis(since))
            .fetch_one(&mut *c)
            .await?;
            Ok(LoginFailures {
                count: count.max(0) as u64,
                first: first.map(from_millis),
                last: last.map(from_millis),
            })
        })
    }

    /// Forgets the failed logins of `key` (after a successful login).
    pub async fn clear_login_failures(&mut self, key: &str) -> Result<u64> {
        on_conn!(self, c => {
            let done = sqlx::query("DELETE FROM login_failures WHERE key = $1")
                .bind(key.to_owned())
                .execute(&mut *c)
                .await?;
            Ok(done.rows_affected())
        })
    }

    /// Forgets failed logins older than `before` (housekeeping).
    pub async fn prune_login_failures(&mut self, before: OffsetDateTime) -> Result<u64> {
        on_conn!(self, c => {
            let done = sqlx::query("DELETE FROM login_failures WHERE at < $1")
                .bind(to_millis(before))
                .execute(&mut *c)
                .await?;
            Ok(done.rows_affected())
        })
    }
}
