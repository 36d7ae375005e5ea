//! One-time links sent by email: joining an organization as a new person, and a password
//! reset by an administrator.

use crate::db::{Conn, InTx, from_millis, on_conn, to_millis};
use crate::{LinkPurpose, OffsetDateTime, OneTimeLink, OrgId, Result, StoreError, UserId};

macro_rules! link_cols {
    () => {
        "token_hash, purpose, email, user_id, org_id, display_name, created_by, created_at, expires_at, used_at, withdrawn_at"
    };
}

crate::sql::row! {
    struct LinkRow {
        token_hash: String,
        purpose: String,
        email: String,
        user_id: Option<String>,
        org_id: Option<String>,
        display_name: Option<String>,
        created_by: Option<String>,
        created_at: i64,
        expires_at: i64,
        used_at: Option<i64>,
        withdrawn_at: Option<i64>,
    }
}

impl TryFrom<LinkRow> for OneTimeLink {
    type Error = StoreError;
    fn try_from(r: LinkRow) -> Result<OneTimeLink> {
        let purpose = match r.purpose.as_str() {
            "join" => LinkPurpose::Join,
            "reset" => LinkPurpose::Reset,
            other => {
                return Err(StoreError::Invalid(format!(
                    "stored link purpose {other:?}"
                )));
            }
        };
        Ok(OneTimeLink {
            token_hash: r.token_hash,
            purpose,
            email: r.email,
            user_id: r.user_id.map(UserId::from),
            org_id: r.org_id.map(OrgId::from),
            display_name: r.display_name,
            created_by: r.created_by.map(UserId::from),
            created_at: from_millis(r.created_at),
            expires_at: from_millis(r.expires_at),
            used_at: r.used_at.map(from_millis),
            withdrawn_at: r.withdrawn_at.map(from_millis),
        })
    }
}

impl<M> Conn<M> {
    /// The link whose secret has SHA-256 `token_hash`, used or not.
    pub async fn one_time_link(&mut self, token_hash: &str) -> Result<Option<OneTimeLink>> {
        on_conn!(self, c => {
            let row: Option<LinkRow> = crate::sql::query_as(concat!(
                "SELECT ", link_cols!(), " FROM one_time_links WHERE token_hash = $1"
            ))
            .bind(token_hash.to_owned())
            .fetch_optional(&mut *c)
            .await?;
            row.map(OneTimeLink::try_from).transpose()
        })
    }

    /// Deletes a link (one whose email could not be sent). Returns whether it existed.
    pub async fn delete_one_time_link(&mut self, token_hash: &str) -> Result<bool> {
        on_conn!(self, c => {
            let done = crate::sql::query("DELETE FROM one_time_links WHERE token_hash = $1")
                .bind(token_hash.to_owned())
                .execute(&mut *c)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }

    /// Forgets links that expired before `before` (used or not). Returns how many.
    pub async fn prune_one_time_links(&mut self, before: OffsetDateTime) -> Result<u64> {
        on_conn!(self, c => {
            let done = crate::sql::query("DELETE FROM one_time_links WHERE expires_at <= $1")
                .bind(to_millis(before))
                .execute(&mut *c)
                .await?;
            Ok(done.rows_affected())
        })
    }
}

impl Conn<InTx> {
    /// Keeps a new link. An unused link of the same purpose for the same email (and, for
    /// joining, the same organization) is withdrawn: only the newest one works.
    pub async fn create_one_time_link(&mut self, link: &OneTimeLink) -> Result<()> {
        on_conn!(self, tx, pg => {
            crate::sql::query(
                "DELETE FROM one_time_links WHERE purpose = $1 AND email = $2 \
                 AND used_at IS NULL AND (org_id = $3 OR (org_id IS NULL AND $3 IS NULL))",
            )
            .bind(link.purpose.as_str())
            .bind(link.email.clone())
            .bind(link.org_id.as_ref().map(|o| o.as_str().to_owned()))
            .execute(&mut *tx)
            .await?;
            crate::sql::query(
                "INSERT INTO one_time_links (token_hash, purpose, email, user_id, org_id, \
                 display_name, created_by, created_at, expires_at, used_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)",
            )
            .bind(link.token_hash.clone())
            .bind(link.purpose.as_str())
            .bind(link.email.clone())
            .bind(link.user_id.as_ref().map(|u| u.as_str().to_owned()))
            .bind(link.org_id.as_ref().map(|o| o.as_str().to_owned()))
            .bind(link.display_name.clone())
            .bind(link.created_by.as_ref().map(|u| u.as_str().to_owned()))
            .bind(to_millis(link.created_at))
            .bind(to_millis(link.expires_at))
            .execute(&mut *tx)
            .await?;
            Ok(())
        })
    }

    /// Uses up the link: marks it used at `now` if it is unused, not withdrawn and not
    /// expired, and returns it. `None`: unknown, used, withdrawn or expired (read it to tell
    /// which). However many try at once, one gets it.
    pub async fn use_one_time_link(
        &mut self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Option<OneTimeLink>> {
        on_conn!(self, tx, pg => {
            let row: Option<LinkRow> = crate::sql::query_as(concat!(
                "UPDATE one_time_links SET used_at = $2 \
                 WHERE token_hash = $1 AND used_at IS NULL AND withdrawn_at IS NULL \
                 AND expires_at > $2 \
                 RETURNING ", link_cols!()
            ))
            .bind(token_hash.to_owned())
            .bind(to_millis(now))
            .fetch_optional(&mut *tx)
            .await?;
            row.map(OneTimeLink::try_from).transpose()
        })
    }

    /// Withdraws the unused join links of `email` to `org` (its invitation was withdrawn):
    /// they stop working, and forget the name the admin typed. The rows stay until pruned,
    /// so that the link's page can say why it does nothing. Returns how many.
    pub async fn withdraw_join_links(
        &mut self,
        org: &OrgId,
        email: &str,
        at: OffsetDateTime,
    ) -> Result<u64> {
        let email = email.trim().to_lowercase();
        on_conn!(self, tx, pg => {
            let done = crate::sql::query(
                "UPDATE one_time_links SET withdrawn_at = $3, display_name = NULL \
                 WHERE purpose = 'join' AND org_id = $1 AND email = $2 \
                 AND used_at IS NULL AND withdrawn_at IS NULL",
            )
            .bind(org.as_str().to_owned())
            .bind(email)
            .bind(to_millis(at))
            .execute(&mut *tx)
            .await?;
            Ok(done.rows_affected())
        })
    }
}
