//! Single sign-on: sign-ins under way and linked identities.

use super::UserRow;
use crate::db::{Conn, from_millis, now, on_conn, to_millis};
use crate::{OffsetDateTime, Result, SsoLogin, User, UserId};

impl<M> Conn<M> {
    /// Keeps a single sign-on under way until the provider sends the browser back.
    pub async fn create_sso_login(&mut self, new: &SsoLogin) -> Result<()> {
        on_conn!(self, c => {
            crate::sql::query(
                "INSERT INTO sso_logins (state_hash, provider, nonce, pkce_verifier, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(new.state_hash.clone())
            .bind(new.provider.clone())
            .bind(new.nonce.clone())
            .bind(new.pkce_verifier.clone())
            .bind(to_millis(new.expires_at))
            .execute(&mut *c)
            .await?;
            Ok(())
        })
    }

    /// Takes (reads and deletes) the sign-in under way with this state hash: each is used
    /// at most once. Expired ones are returned too; the caller refuses them.
    pub async fn take_sso_login(&mut self, state_hash: &str) -> Result<Option<SsoLogin>> {
        on_conn!(self, c => {
            let row: Option<(String, String, String, String, i64)> = crate::sql::query_as(
                "DELETE FROM sso_logins WHERE state_hash = $1 \
                 RETURNING state_hash, provider, nonce, pkce_verifier, expires_at",
            )
            .bind(state_hash.to_owned())
            .fetch_optional(&mut *c)
            .await?;
            Ok(row.map(|(state_hash, provider, nonce, pkce_verifier, expires_at)| SsoLogin {
                state_hash,
                provider,
                nonce,
                pkce_verifier,
                expires_at: from_millis(expires_at),
            }))
        })
    }

    /// Deletes sign-ins under way that expired before `now`. Returns how many.
    pub async fn prune_sso_logins(&mut self, now: OffsetDateTime) -> Result<u64> {
        on_conn!(self, c => {
            let done = crate::sql::query("DELETE FROM sso_logins WHERE expires_at <= $1")
                .bind(to_millis(now))
                .execute(&mut *c)
                .await?;
            Ok(done.rows_affected())
        })
    }

    /// The account a provider's subject signs in to.
    pub async fn user_by_identity(
        &mut self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<User>> {
        on_conn!(self, c => {
            let row: Option<UserRow> = crate::sql::query_as(concat!(
                "SELECT ", user_cols!(), " FROM users WHERE id = \
                 (SELECT user_id FROM user_identities WHERE provider = $1 AND subject = $2)"
            ))
            .bind(provider.to_owned())
            .bind(subject.to_owned())
            .fetch_optional(&mut *c)
            .await?;
            Ok(row.map(User::from))
        })
    }

    /// Links a provider's subject to an account, from now on.
    pub async fn link_identity(
        &mut self,
        provider: &str,
        subject: &str,
        user: &UserId,
    ) -> Result<()> {
        on_conn!(self, c => {
            crate::sql::query(
                "INSERT INTO user_identities (provider, subject, user_id, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(provider.to_owned())
            .bind(subject.to_owned())
            .bind(user.as_str().to_owned())
            .bind(to_millis(now()))
            .execute(&mut *c)
            .await?;
            Ok(())
        })
    }

    /// The providers an account is linked to, by name.
    pub async fn identities_of(&mut self, user: &UserId) -> Result<Vec<String>> {
        on_conn!(self, c => {
            let rows: Vec<(String,)> = crate::sql::query_as(
                "SELECT provider FROM user_identities WHERE user_id = $1 ORDER BY provider",
            )
            .bind(user.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            Ok(rows.into_iter().map(|(p,)| p).collect())
        })
    }
}
