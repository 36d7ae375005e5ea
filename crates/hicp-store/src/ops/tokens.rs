//! API tokens.

use super::{AuditBatch, INSERT_AUDIT, UserRow};
use crate::db::{Conn, InTx, from_millis, now, on_conn, to_millis};
use crate::{ApiToken, NewApiToken, OffsetDateTime, Result, TokenId, User, UserId};

crate::sql::row! {
    struct TokenRow {
        id: String,
        user_id: String,
        name: String,
        read_only: bool,
        created_at: i64,
        last_used_at: Option<i64>,
    }
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> ApiToken {
        ApiToken {
            id: TokenId::from(r.id),
            user_id: UserId::from(r.user_id),
            name: r.name,
            read_only: r.read_only,
            created_at: from_millis(r.created_at),
            last_used_at: r.last_used_at.map(from_millis),
        }
    }
}

impl<M> Conn<M> {
    /// The tokens of a user, newest first.
    pub async fn api_tokens(&mut self, user: &UserId) -> Result<Vec<ApiToken>> {
        on_conn!(self, c => {
            let rows: Vec<TokenRow> = crate::sql::query_as(
                "SELECT id, user_id, name, read_only, created_at, last_used_at FROM api_tokens \
                 WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
            )
            .bind(user.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            Ok(rows.into_iter().map(ApiToken::from).collect())
        })
    }

    /// The token whose secret has SHA-256 `token_hash`, with its user.
    pub async fn api_token_by_hash(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<(ApiToken, User)>> {
        on_conn!(self, c => {
            let row: Option<TokenRow> = crate::sql::query_as(
                "SELECT id, user_id, name, read_only, created_at, last_used_at FROM api_tokens \
                 WHERE token_hash = $1",
            )
            .bind(token_hash.to_owned())
            .fetch_optional(&mut *c)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let user: Option<UserRow> =
                crate::sql::query_as(concat!("SELECT ", user_cols!(), " FROM users WHERE id = $1"))
                    .bind(row.user_id.clone())
                    .fetch_optional(&mut *c)
                    .await?;
            Ok(user.map(|u| (ApiToken::from(row), User::from(u))))
        })
    }

    /// Records that a token was used at `at`.
    pub async fn touch_api_token(&mut self, id: &TokenId, at: OffsetDateTime) -> Result<()> {
        on_conn!(self, c => {
            crate::sql::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(id.as_str().to_owned())
                .bind(to_millis(at))
                .execute(&mut *c)
                .await?;
            Ok(())
        })
    }
}

impl Conn<InTx> {
    /// Creates a token for a user (audited; the secret never reaches the store).
    pub async fn create_api_token(
        &mut self,
        new: &NewApiToken<'_>,
        by: Option<&UserId>,
    ) -> Result<ApiToken> {
        let id = TokenId::generate();
        let at = to_millis(now());
        let mut audit = AuditBatch::new(
            at,
            by.or(Some(new.user_id)),
            None,
            "api_token",
            id.to_string(),
        );
        audit.event(
            "created",
            None,
            Some(format!(
                "{} ({})",
                new.name,
                if new.read_only {
                    "read-only"
                } else {
                    "read-write"
                }
            )),
        );
        on_conn!(self, tx, pg => {
            let row: TokenRow = crate::sql::query_as(
                "INSERT INTO api_tokens (id, user_id, name, token_hash, read_only, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 RETURNING id, user_id, name, read_only, created_at, last_used_at",
            )
            .bind(id.as_str().to_owned())
            .bind(new.user_id.as_str().to_owned())
            .bind(new.name.to_owned())
            .bind(new.token_hash.to_owned())
            .bind(new.read_only)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            write_audit!(tx, audit);
            Ok(ApiToken::from(row))
        })
    }

    /// Revokes (deletes) one of `user`'s tokens. Returns whether it existed.
    pub async fn delete_api_token(&mut self, user: &UserId, id: &TokenId) -> Result<bool> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let done = crate::sql::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
                .bind(id.as_str().to_owned())
                .bind(user.as_str().to_owned())
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            let mut audit = AuditBatch::new(at, Some(user), None, "api_token", id.to_string());
            audit.event("revoked", None, None);
            write_audit!(tx, audit);
            Ok(true)
        })
    }
}
