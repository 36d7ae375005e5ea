//! Users.

use super::{AuditBatch, INSERT_AUDIT, UserRow, normalize_email};
use crate::db::{Conn, InTx, now, on_conn, to_millis};
use crate::{NewUser, Result, StoreError, User, UserId};

impl<M> Conn<M> {
    pub async fn user(&mut self, id: &UserId) -> Result<Option<User>> {
        on_conn!(self, c => {
            let row: Option<UserRow> =
                crate::sql::query_as(concat!("SELECT ", user_cols!(), " FROM users WHERE id = $1"))
                    .bind(id.as_str().to_owned())
                    .fetch_optional(&mut *c)
                    .await?;
            Ok(row.map(User::from))
        })
    }

    /// Finds a user by email (trimmed and compared lower-cased).
    pub async fn user_by_email(&mut self, email: &str) -> Result<Option<User>> {
        let email = email.trim().to_lowercase();
        on_conn!(self, c => {
            let row: Option<UserRow> =
                crate::sql::query_as(concat!("SELECT ", user_cols!(), " FROM users WHERE email = $1"))
                    .bind(email)
                    .fetch_optional(&mut *c)
                    .await?;
            Ok(row.map(User::from))
        })
    }

    /// How many users exist (0 means the first-run setup page is due).
    pub async fn count_users(&mut self) -> Result<u64> {
        on_conn!(self, c => {
            let (n,): (i64,) = crate::sql::query_as("SELECT COUNT(*) FROM users")
                .fetch_one(&mut *c)
                .await?;
            Ok(n.max(0) as u64)
        })
    }

    /// Every user, by email.
    pub async fn list_users(&mut self) -> Result<Vec<User>> {
        on_conn!(self, c => {
            let rows: Vec<UserRow> =
                crate::sql::query_as(concat!("SELECT ", user_cols!(), " FROM users ORDER BY email"))
                    .fetch_all(&mut *c)
                    .await?;
            Ok(rows.into_iter().map(User::from).collect())
        })
    }
}

impl Conn<InTx> {
    /// Creates a user. The email is trimmed and lower-cased; a taken email is `Duplicate`.
    pub async fn create_user(&mut self, new: &NewUser<'_>) -> Result<User> {
        let email = normalize_email(new.email)?;
        let id = UserId::generate();
        let at = to_millis(now());
        let mut audit = AuditBatch::new(at, None, None, "user", id.to_string());
        audit.event("created", None, Some(email.clone()));
        if new.is_admin {
            audit.event("is_admin", None, Some("true".into()));
        }
        on_conn!(self, tx, pg => {
            let row: UserRow = crate::sql::query_as(concat!(
                "INSERT INTO users (id, email, display_name, password_hash, is_admin, created_at, must_change_password) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ",
                user_cols!()
            ))
            .bind(id.as_str().to_owned())
            .bind(email.clone())
            .bind(new.display_name.to_owned())
            .bind(new.password_hash.to_owned())
            .bind(new.is_admin)
            .bind(at)
            .bind(new.must_change_password)
            .fetch_one(&mut *tx)
            .await?;
            write_audit!(tx, audit);
            Ok(User::from(row))
        })
    }

    /// Replaces a user's password hash (a PHC string computed by the caller).
    pub async fn set_password_hash(
        &mut self,
        id: &UserId,
        password_hash: &str,
        must_change: bool,
        by: &UserId,
    ) -> Result<()> {
        let at = to_millis(now());
        let mut audit = AuditBatch::new(at, Some(by), None, "user", id.to_string());
        audit.event(
            if must_change {
                "password_reset"
            } else {
                "password"
            },
            None,
            None,
        );
        on_conn!(self, tx, pg => {
            let done = crate::sql::query(
                "UPDATE users SET password_hash = $2, must_change_password = $3 WHERE id = $1",
            )
                .bind(id.as_str().to_owned())
                .bind(password_hash.to_owned())
                .bind(must_change)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            write_audit!(tx, audit);
            Ok(())
        })
    }

    /// Disables an account (it cannot sign in) or enables it again. Audited.
    pub async fn set_user_disabled(
        &mut self,
        id: &UserId,
        disabled: bool,
        by: &UserId,
    ) -> Result<()> {
        let at = to_millis(now());
        let mut audit = AuditBatch::new(at, Some(by), None, "user", id.to_string());
        audit.event(if disabled { "disabled" } else { "enabled" }, None, None);
        on_conn!(self, tx, pg => {
            let done = crate::sql::query("UPDATE users SET disabled_at = $2 WHERE id = $1")
                .bind(id.as_str().to_owned())
                .bind(disabled.then_some(at))
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
