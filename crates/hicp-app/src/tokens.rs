//! Personal API tokens: made and revoked by their owner (or made for someone by the
//! operator at the command line), stored hashed, read-only or read-write.

use crate::App;
use crate::access::{InstallationAdmin, Principal};
use crate::accounts::{random_token, token_digest};
use crate::error::{Error, Problem, Result};
use hicp_store::{ApiToken, NewApiToken, OffsetDateTime, TokenId};
use time::Duration;

/// What every token starts with, so that a leaked one is easy to recognize.
pub const TOKEN_PREFIX: &str = "hicp_";

/// A token just made: the secret is shown this once and never stored.
#[derive(Debug)]
pub struct NewToken {
    pub secret: String,
    pub token: ApiToken,
}

impl App {
    /// Makes a token for the signed-in user.
    pub async fn create_token(
        &self,
        who: &Principal,
        name: &str,
        read_only: bool,
    ) -> Result<NewToken> {
        if who.read_only() {
            // A read-only token must not mint a read-write one.
            return Err(Error::Forbidden);
        }
        self.make_token(&who.user().id, None, name, read_only).await
    }

    /// Makes a token for the account `email` (the operator at the command line).
    pub async fn create_token_for(
        &self,
        admin: &InstallationAdmin,
        email: &str,
        name: &str,
        read_only: bool,
    ) -> Result<NewToken> {
        let Some(user) = self.store().user_by_email(email).await? else {
            return Err(Error::invalid("email", Problem::Unknown));
        };
        self.make_token(&user.id, admin.user().map(|u| &u.id), name, read_only)
            .await
    }

    async fn make_token(
        &self,
        user: &hicp_store::UserId,
        by: Option<&hicp_store::UserId>,
        name: &str,
        read_only: bool,
    ) -> Result<NewToken> {
        let name = name.trim();
        let name = if name.is_empty() { "API token" } else { name };
        if name.chars().count() > 100 {
            return Err(Error::invalid("name", Problem::TooLong { max: 100 }));
        }
        let secret = format!("{TOKEN_PREFIX}{}", random_token()?);
        let mut tx = self.store().begin().await?;
        let token = tx
            .create_api_token(
                &NewApiToken {
                    user_id: user,
                    name,
                    token_hash: &token_digest(&secret),
                    read_only,
                },
                by,
            )
            .await?;
        tx.commit().await?;
        Ok(NewToken { secret, token })
    }

    /// The signed-in user's tokens, newest first.
    pub async fn tokens(&self, who: &Principal) -> Result<Vec<ApiToken>> {
        Ok(self.store().api_tokens(&who.user().id).await?)
    }

    /// Revokes one of the signed-in user's tokens. Returns whether it existed.
    pub async fn revoke_token(&self, who: &Principal, id: &str) -> Result<bool> {
        if who.read_only() {
            return Err(Error::Forbidden);
        }
        let mut tx = self.store().begin().await?;
        let done = tx
            .delete_api_token(&who.user().id, &TokenId::new(id))
            .await?;
        tx.commit().await?;
        Ok(done)
    }

    /// The principal a token stands for, if it is a live token. "Last used" is written at
    /// most once a minute.
    pub async fn token_principal(&self, secret: &str) -> Result<Option<Principal>> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let mut c = self.store().conn().await?;
        let Some((token, user)) = c.api_token_by_hash(&token_digest(secret)).await? else {
            return Ok(None);
        };
        let now = OffsetDateTime::now_utc();
        if token
            .last_used_at
            .is_none_or(|t| now - t > Duration::minutes(1))
        {
            c.touch_api_token(&token.id, now).await?;
        }
        Ok(Some(Principal::new(user, token.read_only)))
    }
}
