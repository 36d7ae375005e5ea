//! Sessions and login throttling.

use super::{OpenAssessmentCols, OrgRow, SessionRow, UserRow, parse_role};
use crate::db::{Conn, from_millis, now, on_conn, to_millis};
use crate::{
    LoginFailures, NewSession, OffsetDateTime, OrgId, OrgVisit, Organization, Result, Session,
    User, UserId, Visit,
};

crate::sql::row! {
    /// A visit's one row: the session, its user (`u_`), the role (`m_`), the organization
    /// (`o_`) and its open assessment (`a_`); the last three are NULL when absent.
    struct VisitRow {
        #[sqlx(flatten)]
        session: SessionRow,
        u_id: String,
        u_email: String,
        u_display_name: String,
        u_password_hash: String,
        u_is_admin: bool,
        u_created_at: i64,
        u_disabled_at: Option<i64>,
        u_must_change_password: bool,
        u_totp_secret: Option<String>,
        u_totp_pending: Option<String>,
        u_totp_last_step: Option<i64>,
        m_role: Option<String>,
        o_id: Option<String>,
        o_name: Option<String>,
        o_profile_json: Option<String>,
        o_tier: Option<String>,
        o_tier_reason: Option<String>,
        o_tier_overridden: Option<bool>,
        o_require_mfa: Option<bool>,
        o_threat_weights_json: Option<String>,
        o_created_at: Option<i64>,
        o_updated_at: Option<i64>,
        o_revision: Option<i64>,
        #[sqlx(flatten)]
        open: OpenAssessmentCols,
    }
}

const VISIT_SQL: &str = concat!(
    "SELECT s.id_hash, s.user_id, s.csrf_token, s.created_at, s.last_seen_at, \
    s.expires_at, s.mfa_pending, s.sso_provider, s.idp_mfa, \
    u.id AS u_id, u.email AS u_email, u.display_name AS u_display_name, \
    u.password_hash AS u_password_hash, u.is_admin AS u_is_admin, u.created_at AS u_created_at, \
    u.disabled_at AS u_disabled_at, u.must_change_password AS u_must_change_password, \
    u.totp_secret AS u_totp_secret, u.totp_pending AS u_totp_pending, \
    u.totp_last_step AS u_totp_last_step, \
    m.role AS m_role, \
    o.id AS o_id, o.name AS o_name, o.profile_json AS o_profile_json, o.tier AS o_tier, \
    o.tier_reason AS o_tier_reason, o.tier_overridden AS o_tier_overridden, \
    o.require_mfa AS o_require_mfa, o.threat_weights_json AS o_threat_weights_json, \
    o.created_at AS o_created_at, o.updated_at AS o_updated_at, o.revision AS o_revision, \
    ",
    open_assessment_cols!(),
    " \
    FROM sessions s JOIN users u ON u.id = s.user_id \
    LEFT JOIN organizations o ON o.id = $3 \
    LEFT JOIN memberships m ON m.org_id = o.id AND m.user_id = u.id \
    LEFT JOIN assessments a ON a.org_id = o.id AND a.status = 'open' \
    WHERE s.id_hash = $1 AND s.expires_at > $2"
);

impl VisitRow {
    fn into_visit(self) -> Result<Visit> {
        let user = User::from(UserRow {
            id: self.u_id,
            email: self.u_email,
            display_name: self.u_display_name,
            password_hash: self.u_password_hash,
            is_admin: self.u_is_admin,
            created_at: self.u_created_at,
            disabled_at: self.u_disabled_at,
            must_change_password: self.u_must_change_password,
            totp_secret: self.u_totp_secret,
            totp_pending: self.u_totp_pending,
            totp_last_step: self.u_totp_last_step,
        });
        let org = match self.o_id {
            None => None,
            Some(id) => {
                let org = Organization::try_from(OrgRow {
                    id: id.clone(),
                    name: self.o_name.unwrap_or_default(),
                    profile_json: self.o_profile_json,
                    tier: self.o_tier,
                    tier_reason: self.o_tier_reason,
                    tier_overridden: self.o_tier_overridden.unwrap_or_default(),
                    require_mfa: self.o_require_mfa.unwrap_or_default(),
                    threat_weights_json: self.o_threat_weights_json,
                    created_at: self.o_created_at.unwrap_or_default(),
                    updated_at: self.o_updated_at.unwrap_or_default(),
                    revision: self.o_revision.unwrap_or_default(),
                })?;
                let assessment = self.open.into_assessment(id)?;
                Some(OrgVisit {
                    org,
                    role: self.m_role.as_deref().map(parse_role).transpose()?,
                    assessment,
                })
            }
        };
        Ok(Visit {
            session: Session::from(self.session),
            user,
            org,
        })
    }
}

impl<M> Conn<M> {
    pub async fn create_session(&mut self, new: &NewSession<'_>) -> Result<Session> {
        let at = to_millis(now());
        on_conn!(self, c => {
            let row: SessionRow = crate::sql::query_as(concat!(
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
            let row: Option<SessionRow> = crate::sql::query_as(concat!(
                "SELECT ", session_cols!(), " FROM sessions WHERE id_hash = $1 AND expires_at > $2"
            ))
            .bind(id_hash.to_owned())
            .bind(to_millis(now))
            .fetch_optional(&mut *c)
            .await?;
            Ok(row.map(Session::from))
        })
    }

    /// The live session with this id hash, its user and, with `org`, the user's place in
    /// that organization and its open assessment: one query.
    pub async fn visit(
        &mut self,
        id_hash: &str,
        now: OffsetDateTime,
        org: Option<&OrgId>,
    ) -> Result<Option<Visit>> {
        on_conn!(self, c => {
            let row: Option<VisitRow> = crate::sql::query_as(VISIT_SQL)
                .bind(id_hash.to_owned())
                .bind(to_millis(now))
                .bind(org.map(|o| o.as_str().to_owned()))
                .fetch_optional(&mut *c)
                .await?;
            row.map(VisitRow::into_visit).transpose()
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
            let done = crate::sql::query(
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
            let done = crate::sql::query("DELETE FROM sessions WHERE id_hash = $1")
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
            let done = crate::sql::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
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
            let done = crate::sql::query("DELETE FROM sessions WHERE expires_at <= $1")
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
                crate::sql::query_as("INSERT INTO login_failures (key, at) VALUES ($1, $2) RETURNING id")
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
            crate::sql::query("DELETE FROM login_failures WHERE id = $1")
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
            let (count, first, last): (i64, Option<i64>, Option<i64>) = crate::sql::query_as(
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
            let done = crate::sql::query("DELETE FROM login_failures WHERE key = $1")
                .bind(key.to_owned())
                .execute(&mut *c)
                .await?;
            Ok(done.rows_affected())
        })
    }

    /// Forgets failed logins older than `before` (housekeeping).
    pub async fn prune_login_failures(&mut self, before: OffsetDateTime) -> Result<u64> {
        on_conn!(self, c => {
            let done = crate::sql::query("DELETE FROM login_failures WHERE at < $1")
                .bind(to_millis(before))
                .execute(&mut *c)
                .await?;
            Ok(done.rows_affected())
        })
    }
}
