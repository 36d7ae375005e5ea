//! The store's operations. Every body is written once and compiled for both backends by
//! `on_conn!`; the SQL is portable (`$n` placeholders, `RETURNING`, `ON CONFLICT`).

use sha2::{Digest, Sha256};

use crate::db::{Conn, InTx, from_millis, now, on_conn, opt_date_text, parse_opt_date, to_millis};
use crate::{ActionId, CriterionId};
use crate::{
    ActionInput, ActionStatus, ActionTrack, Answer, AnswerInput, ApiToken, Assessment,
    AssessmentId, AssessmentStatus, AuditEntry, AuditFilter, Conflict, Evidence, EvidenceContent,
    EvidenceFile, EvidenceId, EvidenceKind, Member, NewApiToken, NewAssessment, NewAuditEntry,
    NewEvidence, NewOrganization, NewSession, NewUser, OffsetDateTime, OrgId, Organization,
    OrganizationUpdate, Result, Role, Session, Status, StoreError, Tier, TokenId, User, UserId,
};
use crate::{EmailDomain, Invitation, LoginFailures, SsoLogin};

// ---------------------------------------------------------------------------------------
// Rows as stored
// ---------------------------------------------------------------------------------------

macro_rules! user_cols {
    () => {
        "id, email, display_name, password_hash, is_admin, created_at, disabled_at, must_change_password, totp_secret, totp_pending, totp_last_step"
    };
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    email: String,
    display_name: String,
    password_hash: String,
    is_admin: bool,
    created_at: i64,
    disabled_at: Option<i64>,
    must_change_password: bool,
    totp_secret: Option<String>,
    totp_pending: Option<String>,
    totp_last_step: Option<i64>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> User {
        User {
            id: UserId::from(r.id),
            email: r.email,
            display_name: r.display_name,
            password_hash: r.password_hash,
            is_admin: r.is_admin,
            created_at: from_millis(r.created_at),
            disabled_at: r.disabled_at.map(from_millis),
            must_change_password: r.must_change_password,
            totp_secret: r.totp_secret,
            totp_pending: r.totp_pending,
            totp_last_step: r.totp_last_step,
        }
    }
}

fn parse_tier(s: &str) -> Result<Tier> {
    Tier::from_name(s).ok_or_else(|| StoreError::Invalid(format!("stored tier {s:?}")))
}

fn parse_criterion(s: &str) -> Result<CriterionId> {
    CriterionId::parse(s).ok_or_else(|| StoreError::Invalid(format!("stored criterion id {s:?}")))
}

fn parse_action(s: &str) -> Result<ActionId> {
    ActionId::parse(s).ok_or_else(|| StoreError::Invalid(format!("stored action id {s:?}")))
}

fn parse_status(s: &str) -> Result<Status> {
    Status::from_name(s).ok_or_else(|| StoreError::Invalid(format!("stored answer status {s:?}")))
}

macro_rules! org_cols {
    () => {
        "o.id, o.name, o.profile_json, o.tier, o.tier_reason, o.tier_overridden, o.require_mfa, o.threat_weights_json, o.created_at, o.updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: String,
    name: String,
    profile_json: Option<String>,
    tier: Option<String>,
    tier_reason: Option<String>,
    tier_overridden: bool,
    require_mfa: bool,
    threat_weights_json: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<OrgRow> for Organization {
    type Error = StoreError;
    fn try_from(r: OrgRow) -> Result<Organization> {
        Ok(Organization {
            id: OrgId::from(r.id),
            name: r.name,
            profile_json: r.profile_json,
            tier: r.tier.as_deref().map(parse_tier).transpose()?,
            tier_reason: r.tier_reason,
            tier_overridden: r.tier_overridden,
            require_mfa: r.require_mfa,
            threat_weights_json: r.threat_weights_json,
            created_at: from_millis(r.created_at),
            updated_at: from_millis(r.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct OrgRoleRow {
    #[sqlx(flatten)]
    org: OrgRow,
    role: String,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    user_id: String,
    email: String,
    display_name: String,
    role: String,
}

fn parse_role(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| StoreError::Invalid(format!("stored role {s:?}")))
}

macro_rules! session_cols {
    () => {
        "id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, mfa_pending, sso_provider, idp_mfa"
    };
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id_hash: String,
    user_id: String,
    csrf_token: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    mfa_pending: bool,
    sso_provider: Option<String>,
    idp_mfa: bool,
}

impl From<SessionRow> for Session {
    fn from(r: SessionRow) -> Session {
        Session {
            id_hash: r.id_hash,
            user_id: UserId::from(r.user_id),
            csrf_token: r.csrf_token,
            created_at: from_millis(r.created_at),
            last_seen_at: from_millis(r.last_seen_at),
            expires_at: from_millis(r.expires_at),
            mfa_pending: r.mfa_pending,
            sso_provider: r.sso_provider,
            idp_mfa: r.idp_mfa,
        }
    }
}

macro_rules! assessment_cols {
    () => {
        "id, org_id, name, tier, status, created_by, created_at, closed_at, closed_by, snapshot_json"
    };
}

#[derive(sqlx::FromRow)]
struct AssessmentRow {
    id: String,
    org_id: String,
    name: String,
    tier: String,
    status: String,
    created_by: Option<String>,
    created_at: i64,
    closed_at: Option<i64>,
    closed_by: Option<String>,
    snapshot_json: Option<String>,
}

impl TryFrom<AssessmentRow> for Assessment {
    type Error = StoreError;
    fn try_from(r: AssessmentRow) -> Result<Assessment> {
        let status = match r.status.as_str() {
            "open" => AssessmentStatus::Open,
            "closed" => AssessmentStatus::Closed,
            other => {
                return Err(StoreError::Invalid(format!(
                    "stored assessment status {other:?}"
                )));
            }
        };
        Ok(Assessment {
            id: AssessmentId::from(r.id),
            org_id: OrgId::from(r.org_id),
            name: r.name,
            tier: parse_tier(&r.tier)?,
            status,
            created_by: r.created_by.map(UserId::from),
            created_at: from_millis(r.created_at),
            closed_at: r.closed_at.map(from_millis),
            closed_by: r.closed_by.map(UserId::from),
            snapshot_json: r.snapshot_json,
        })
    }
}

macro_rules! answer_cols {
    () => {
        "assessment_id, criterion_id, status, na_reason, notes, owner, in_place_since, updated_by, updated_at, version"
    };
}

#[derive(sqlx::FromRow)]
struct AnswerRow {
    assessment_id: String,
    criterion_id: String,
    status: String,
    na_reason: Option<String>,
    notes: Option<String>,
    owner: Option<String>,
    in_place_since: Option<String>,
    updated_by: Option<String>,
    updated_at: i64,
    version: i64,
}

impl TryFrom<AnswerRow> for Answer {
    type Error = StoreError;
    fn try_from(r: AnswerRow) -> Result<Answer> {
        Ok(Answer {
            assessment_id: AssessmentId::from(r.assessment_id),
            criterion_id: parse_criterion(&r.criterion_id)?,
            status: parse_status(&r.status)?,
            na_reason: r.na_reason,
            notes: r.notes,
            owner: r.owner,
            in_place_since: parse_opt_date(r.in_place_since)?,
            updated_by: r.updated_by.map(UserId::from),
            updated_at: from_millis(r.updated_at),
            version: r.version,
        })
    }
}

macro_rules! evidence_cols {
    () => {
        "id, org_id, assessment_id, criterion_id, action_id, title, kind, file_name, content_type, size, sha256, url, collected_on, valid_until, added_by, added_at"
    };
}

#[derive(sqlx::FromRow)]
struct EvidenceRow {
    id: String,
    org_id: String,
    assessment_id: String,
    criterion_id: Option<String>,
    action_id: Option<String>,
    title: String,
    kind: String,
    file_name: Option<String>,
    content_type: Option<String>,
    size: i64,
    sha256: Option<String>,
    url: Option<String>,
    collected_on: Option<String>,
    valid_until: Option<String>,
    added_by: Option<String>,
    added_at: i64,
}

impl TryFrom<EvidenceRow> for Evidence {
    type Error = StoreError;
    fn try_from(r: EvidenceRow) -> Result<Evidence> {
        let kind = match r.kind.as_str() {
            "file" => EvidenceKind::File,
            "link" => EvidenceKind::Link,
            other => {
                return Err(StoreError::Invalid(format!(
                    "stored evidence kind {other:?}"
                )));
            }
        };
        Ok(Evidence {
            id: EvidenceId::from(r.id),
            org_id: OrgId::from(r.org_id),
            assessment_id: AssessmentId::from(r.assessment_id),
            criterion_id: r.criterion_id.as_deref().map(parse_criterion).transpose()?,
            action_id: r.action_id.as_deref().map(parse_action).transpose()?,
            title: r.title,
            kind,
            file_name: r.file_name,
            content_type: r.content_type,
            size: r.size,
            sha256: r.sha256,
            url: r.url,
            collected_on: parse_opt_date(r.collected_on)?,
            valid_until: parse_opt_date(r.valid_until)?,
            added_by: r.added_by.map(UserId::from),
            added_at: from_millis(r.added_at),
        })
    }
}

/// The condition "evidence of assessment `$1`" (see `Conn::evidence_for_assessment`).
macro_rules! evidence_of_assessment {
    () => {
        "(org_id = (SELECT org_id FROM assessments WHERE id = $1 AND status = 'open') \
         OR id IN (SELECT evidence_id FROM snapshot_evidence WHERE assessment_id = $1))"
    };
}

#[derive(sqlx::FromRow)]
struct EvidenceFileRow {
    file_name: Option<String>,
    content_type: Option<String>,
    sha256: Option<String>,
    bytes: Vec<u8>,
}

macro_rules! action_cols {
    () => {
        "org_id, action_id, owner, due_on, status, reason, updated_by, updated_at, version"
    };
}

#[derive(sqlx::FromRow)]
struct ActionRow {
    org_id: String,
    action_id: String,
    owner: Option<String>,
    due_on: Option<String>,
    status: String,
    reason: Option<String>,
    updated_by: Option<String>,
    updated_at: i64,
    version: i64,
}

impl TryFrom<ActionRow> for ActionTrack {
    type Error = StoreError;
    fn try_from(r: ActionRow) -> Result<ActionTrack> {
        Ok(ActionTrack {
            org_id: OrgId::from(r.org_id),
            action_id: parse_action(&r.action_id)?,
            owner: r.owner,
            due_on: parse_opt_date(r.due_on)?,
            status: ActionStatus::parse(&r.status).ok_or_else(|| {
                StoreError::Invalid(format!("stored action status {:?}", r.status))
            })?,
            reason: r.reason,
            updated_by: r.updated_by.map(UserId::from),
            updated_at: from_millis(r.updated_at),
            version: r.version,
        })
    }
}

macro_rules! audit_cols {
    () => {
        "seq, at, user_id, org_id, entity, entity_id, field, old_value, new_value"
    };
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    seq: i64,
    at: i64,
    user_id: Option<String>,
    org_id: Option<String>,
    entity: String,
    entity_id: String,
    field: String,
    old_value: Option<String>,
    new_value: Option<String>,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> AuditEntry {
        AuditEntry {
            seq: r.seq,
            at: from_millis(r.at),
            user_id: r.user_id.map(UserId::from),
            org_id: r.org_id.map(OrgId::from),
            entity: r.entity,
            entity_id: r.entity_id,
            field: r.field,
            old_value: r.old_value,
            new_value: r.new_value,
        }
    }
}

fn collect<R, T>(rows: Vec<R>) -> Result<Vec<T>>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}

// ---------------------------------------------------------------------------------------
// Audit records written inside the transaction of the change they describe
// ---------------------------------------------------------------------------------------

const INSERT_AUDIT: &str = "INSERT INTO audit_log \
    (at, user_id, org_id, entity, entity_id, field, old_value, new_value) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Collects the audit records of one change.
struct AuditBatch {
    at: i64,
    user_id: Option<String>,
    org_id: Option<String>,
    entity: &'static str,
    entity_id: String,
    records: Vec<(&'static str, Option<String>, Option<String>)>,
}

impl AuditBatch {
    fn new(
        at: i64,
        user_id: Option<&UserId>,
        org_id: Option<&str>,
        entity: &'static str,
        entity_id: String,
    ) -> AuditBatch {
        AuditBatch {
            at,
            user_id: user_id.map(|u| u.as_str().to_owned()),
            org_id: org_id.map(str::to_owned),
            entity,
            entity_id,
            records: Vec::new(),
        }
    }

    /// Records `field` when its value changed.
    fn field(&mut self, field: &'static str, old: Option<String>, new: Option<String>) {
        if old != new {
            self.records.push((field, old, new));
        }
    }

    /// Records an event whatever the values.
    fn event(&mut self, field: &'static str, old: Option<String>, new: Option<String>) {
        self.records.push((field, old, new));
    }
}

/// Writes an `AuditBatch` with the transaction `$tx`.
macro_rules! write_audit {
    ($tx:ident, $batch:expr) => {{
        let batch: &AuditBatch = &$batch;
        for (field, old, new) in &batch.records {
            sqlx::query(INSERT_AUDIT)
                .bind(batch.at)
                .bind(batch.user_id.clone())
                .bind(batch.org_id.clone())
                .bind(batch.entity)
                .bind(batch.entity_id.clone())
                .bind(*field)
                .bind(old.clone())
                .bind(new.clone())
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// Returns the organization of an assessment that may still change, in the transaction
/// `$tx`: `NotFound` when it does not exist, `AssessmentClosed` when it is a snapshot.
///
/// On PostgreSQL the row is read `FOR SHARE`: a change waits for a close in progress and
/// then sees it, instead of writing into an assessment that has just become a snapshot.
macro_rules! open_assessment_org {
    ($tx:ident, $pg:ident, $id:expr) => {{
        let sql = if $pg {
            "SELECT org_id, status FROM assessments WHERE id = $1 FOR SHARE"
        } else {
            "SELECT org_id, status FROM assessments WHERE id = $1"
        };
        let row: Option<(String, String)> = sqlx::query_as(sql)
            .bind($id.as_str().to_owned())
            .fetch_optional(&mut *$tx)
            .await?;
        match row {
            None => return Err(StoreError::NotFound),
            Some((_, status)) if status != "open" => return Err(StoreError::AssessmentClosed),
            Some((org, _)) => org,
        }
    }};
}

fn normalize_email(email: &str) -> Result<String> {
    let e = email.trim().to_lowercase();
    if e.is_empty() || !e.contains('@') || e.chars().any(char::is_whitespace) {
        return Err(StoreError::Invalid(format!(
            "not an email address: {email:?}"
        )));
    }
    Ok(e)
}

// ---------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------

impl<M> Conn<M> {
    pub async fn user(&mut self, id: &UserId) -> Result<Option<User>> {
        on_conn!(self, c => {
            let row: Option<UserRow> =
                sqlx::query_as(concat!("SELECT ", user_cols!(), " FROM users WHERE id = $1"))
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
                sqlx::query_as(concat!("SELECT ", user_cols!(), " FROM users WHERE email = $1"))
                    .bind(email)
                    .fetch_optional(&mut *c)
                    .await?;
            Ok(row.map(User::from))
        })
    }

    /// How many users exist (0 means the first-run setup page is due).
    pub async fn count_users(&mut self) -> Result<u64> {
        on_conn!(self, c => {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
                .fetch_one(&mut *c)
                .await?;
            Ok(n.max(0) as u64)
        })
    }

    /// Every user, by email.
    pub async fn list_users(&mut self) -> Result<Vec<User>> {
        on_conn!(self, c => {
            let rows: Vec<UserRow> =
                sqlx::query_as(concat!("SELECT ", user_cols!(), " FROM users ORDER BY email"))
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
            let row: UserRow = sqlx::query_as(concat!(
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
            let done = sqlx::query(
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
            let done = sqlx::query("UPDATE users SET disabled_at = $2 WHERE id = $1")
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

// ---------------------------------------------------------------------------------------
// Multifactor sign-in
// ---------------------------------------------------------------------------------------

impl<M> Conn<M> {
    /// Sets (or clears) the TOTP secret being enrolled.
    pub async fn set_totp_pending(&mut self, id: &UserId, secret: Option<&str>) -> Result<()> {
        on_conn!(self, c => {
            let done = sqlx::query("UPDATE users SET totp_pending = $2 WHERE id = $1")
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
            let done = sqlx::query(
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
            let done = sqlx::query(
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
            let (n,): (i64,) = sqlx::query_as(
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
            sqlx::query("UPDATE sessions SET mfa_pending = FALSE WHERE id_hash = $1")
                .bind(id_hash.to_owned())
                .execute(&mut *c)
                .await?;
            Ok(())
        })
    }
}

impl<M> Conn<M> {
    /// The invitations to `org` nobody has answered yet, by email.
    pub async fn invitations_for_org(&mut self, org: &OrgId) -> Result<Vec<Invitation>> {
        on_conn!(self, c => {
            let rows: Vec<(String, String, String, Option<String>, i64)> = sqlx::query_as(
                "SELECT org_id, email, role, invited_by, created_at FROM invitations \
                 WHERE org_id = $1 ORDER BY email",
            )
            .bind(org.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            rows.into_iter().map(invitation_of).collect()
        })
    }

    /// The invitations waiting for `email`, with each organization's name.
    pub async fn invitations_for_email(
        &mut self,
        email: &str,
    ) -> Result<Vec<(Invitation, String)>> {
        let email = email.trim().to_lowercase();
        on_conn!(self, c => {
            let rows: Vec<(String, String, String, Option<String>, i64, String)> = sqlx::query_as(
                "SELECT i.org_id, i.email, i.role, i.invited_by, i.created_at, o.name \
                 FROM invitations i JOIN organizations o ON o.id = i.org_id \
                 WHERE i.email = $1 ORDER BY o.name",
            )
            .bind(email)
            .fetch_all(&mut *c)
            .await?;
            rows.into_iter()
                .map(|(a, b, r, d, e, name)| Ok((invitation_of((a, b, r, d, e))?, name)))
                .collect()
        })
    }
}

fn invitation_of(
    (org, email, role, by, at): (String, String, String, Option<String>, i64),
) -> Result<Invitation> {
    Ok(Invitation {
        org_id: OrgId::from(org),
        email,
        role: parse_role(&role)?,
        invited_by: by.map(UserId::from),
        created_at: from_millis(at),
    })
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
            let done = sqlx::query(
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
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(id.as_str().to_owned())
                .execute(&mut *tx)
                .await?;
            for h in recovery_hashes {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
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
            let done = sqlx::query(
                "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL WHERE id = $1",
            )
            .bind(id.as_str().to_owned())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
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
            let done = sqlx::query("UPDATE organizations SET require_mfa = $2 WHERE id = $1")
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

// ---------------------------------------------------------------------------------------
// Organizations and memberships
// ---------------------------------------------------------------------------------------

impl<M> Conn<M> {
    pub async fn organization(&mut self, id: &OrgId) -> Result<Option<Organization>> {
        on_conn!(self, c => {
            let row: Option<OrgRow> =
                sqlx::query_as(concat!("SELECT ", org_cols!(), " FROM organizations o WHERE o.id = $1"))
                    .bind(id.as_str().to_owned())
                    .fetch_optional(&mut *c)
                    .await?;
            row.map(Organization::try_from).transpose()
        })
    }

    /// Every organization (for installation administrators), by name.
    pub async fn list_organizations(&mut self) -> Result<Vec<Organization>> {
        on_conn!(self, c => {
            let rows: Vec<OrgRow> =
                sqlx::query_as(concat!("SELECT ", org_cols!(), " FROM organizations o ORDER BY o.name, o.id"))
                    .fetch_all(&mut *c)
                    .await?;
            rows.into_iter().map(Organization::try_from).collect()
        })
    }

    /// The organizations `user` is a member of, with the user's role in each, by name.
    pub async fn organizations_for_user(
        &mut self,
        user: &UserId,
    ) -> Result<Vec<(Organization, Role)>> {
        on_conn!(self, c => {
            let rows: Vec<OrgRoleRow> = sqlx::query_as(concat!(
                "SELECT ", org_cols!(), ", m.role FROM organizations o \
                 JOIN memberships m ON m.org_id = o.id WHERE m.user_id = $1 ORDER BY o.name, o.id"
            ))
            .bind(user.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            rows.into_iter()
                .map(|r| Ok((Organization::try_from(r.org)?, parse_role(&r.role)?)))
                .collect()
        })
    }

    /// The role of `user` in `org`, or `None` when they are not a member.
    pub async fn role_of(&mut self, user: &UserId, org: &OrgId) -> Result<Option<Role>> {
        on_conn!(self, c => {
            let row: Option<(String,)> =
                sqlx::query_as("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
                    .bind(org.as_str().to_owned())
                    .bind(user.as_str().to_owned())
                    .fetch_optional(&mut *c)
                    .await?;
            row.map(|(r,)| parse_role(&r)).transpose()
        })
    }

    /// The members of `org`, by email.
    pub async fn members(&mut self, org: &OrgId) -> Result<Vec<Member>> {
        on_conn!(self, c => {
            let rows: Vec<MemberRow> = sqlx::query_as(
                "SELECT u.id AS user_id, u.email, u.display_name, m.role FROM memberships m \
                 JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY u.email",
            )
            .bind(org.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok(Member {
                        role: parse_role(&r.role)?,
                        user_id: UserId::from(r.user_id),
                        email: r.email,
                        display_name: r.display_name,
                    })
                })
                .collect()
        })
    }
}

impl<M> Conn<M> {
    /// The health system `site` belongs to, if any.
    pub async fn parent_of(&mut self, site: &OrgId) -> Result<Option<Organization>> {
        on_conn!(self, c => {
            let row: Option<OrgRow> = sqlx::query_as(concat!(
                "SELECT ", org_cols!(), " FROM org_sites s JOIN organizations o ON o.id = s.parent_id \
                 WHERE s.site_id = $1"
            ))
            .bind(site.as_str().to_owned())
            .fetch_optional(&mut *c)
            .await?;
            row.map(Organization::try_from).transpose()
        })
    }

    /// The member sites of the health system `parent`, by name.
    pub async fn sites_of(&mut self, parent: &OrgId) -> Result<Vec<Organization>> {
        on_conn!(self, c => {
            let rows: Vec<OrgRow> = sqlx::query_as(concat!(
                "SELECT ", org_cols!(), " FROM org_sites s JOIN organizations o ON o.id = s.site_id \
                 WHERE s.parent_id = $1 ORDER BY o.name, o.id"
            ))
            .bind(parent.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            rows.into_iter().map(Organization::try_from).collect()
        })
    }

    /// When anything of `org` last changed: its newest audit log entry.
    pub async fn last_change(&mut self, org: &OrgId) -> Result<Option<OffsetDateTime>> {
        on_conn!(self, c => {
            let row: (Option<i64>,) =
                sqlx::query_as("SELECT MAX(at) FROM audit_log WHERE org_id = $1")
                    .bind(org.as_str().to_owned())
                    .fetch_one(&mut *c)
                    .await?;
            Ok(row.0.map(from_millis))
        })
    }
}

impl Conn<InTx> {
    /// Makes `site` a member site of the health system `parent`, or (`None`) of none;
    /// audited on the site. Whether the pair makes sense is the caller's to check.
    pub async fn set_parent(
        &mut self,
        site: &OrgId,
        parent: Option<&OrgId>,
        by: &UserId,
    ) -> Result<()> {
        let at = to_millis(now());
        on_conn!(self, tx => {
            let old: Option<(String,)> =
                sqlx::query_as("SELECT parent_id FROM org_sites WHERE site_id = $1")
                    .bind(site.as_str().to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
            sqlx::query("DELETE FROM org_sites WHERE site_id = $1")
                .bind(site.as_str().to_owned())
                .execute(&mut *tx)
                .await?;
            if let Some(p) = parent {
                sqlx::query("INSERT INTO org_sites (site_id, parent_id) VALUES ($1, $2)")
                    .bind(site.as_str().to_owned())
                    .bind(p.as_str().to_owned())
                    .execute(&mut *tx)
                    .await?;
            }
            let mut audit =
                AuditBatch::new(at, Some(by), Some(site.as_str()), "organization", site.to_string());
            audit.field("parent", old.map(|o| o.0), parent.map(|p| p.to_string()));
            write_audit!(tx, audit);
            Ok(())
        })
    }
}

impl Conn<InTx> {
    /// Creates an organization and makes `creator` its admin, in one transaction.
    pub async fn create_organization(
        &mut self,
        new: &NewOrganization<'_>,
        creator: &UserId,
    ) -> Result<Organization> {
        let id = OrgId::generate();
        let at = to_millis(now());
        let mut audit = AuditBatch::new(
            at,
            Some(creator),
            Some(id.as_str()),
            "organization",
            id.to_string(),
        );
        audit.event("created", None, Some(new.name.to_owned()));
        audit.field("tier", None, new.tier.map(|t| t.name().to_owned()));
        let mut member_audit = AuditBatch::new(
            at,
            Some(creator),
            Some(id.as_str()),
            "membership",
            creator.to_string(),
        );
        member_audit.event("role", None, Some(Role::Admin.as_str().to_owned()));
        on_conn!(self, tx, pg => {
            let row: OrgRow = sqlx::query_as(
                "INSERT INTO organizations \
                 (id, name, profile_json, tier, tier_reason, tier_overridden, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                 RETURNING id, name, profile_json, tier, tier_reason, tier_overridden, require_mfa, threat_weights_json, created_at, updated_at",
            )
            .bind(id.as_str().to_owned())
            .bind(new.name.to_owned())
            .bind(new.profile_json.map(str::to_owned))
            .bind(new.tier.map(Tier::name))
            .bind(new.tier_reason.map(str::to_owned))
            .bind(new.tier_overridden)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO memberships (org_id, user_id, role, granted_at) VALUES ($1, $2, 'admin', $3)",
            )
            .bind(id.as_str().to_owned())
            .bind(creator.as_str().to_owned())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            write_audit!(tx, audit);
            write_audit!(tx, member_audit);
            Organization::try_from(row)
        })
    }

    /// Replaces the name, profile and tier of an organization.
    pub async fn update_organization(
        &mut self,
        id: &OrgId,
        update: &OrganizationUpdate<'_>,
        by: &UserId,
    ) -> Result<Organization> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let old: Option<OrgRow> =
                sqlx::query_as(concat!("SELECT ", org_cols!(), " FROM organizations o WHERE o.id = $1"))
                    .bind(id.as_str().to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(old) = old else {
                return Err(StoreError::NotFound);
            };
            let row: OrgRow = sqlx::query_as(
                "UPDATE organizations SET name = $2, profile_json = $3, tier = $4, \
                 tier_reason = $5, tier_overridden = $6, updated_at = $7 WHERE id = $1 \
                 RETURNING id, name, profile_json, tier, tier_reason, tier_overridden, require_mfa, threat_weights_json, created_at, updated_at",
            )
            .bind(id.as_str().to_owned())
            .bind(update.name.to_owned())
            .bind(update.profile_json.map(str::to_owned))
            .bind(update.tier.map(Tier::name))
            .bind(update.tier_reason.map(str::to_owned))
            .bind(update.tier_overridden)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            let mut audit = AuditBatch::new(at, Some(by), Some(id.as_str()), "organization", id.to_string());
            audit.field("name", Some(old.name), Some(row.name.clone()));
            audit.field("profile", old.profile_json, row.profile_json.clone());
            audit.field("tier", old.tier, row.tier.clone());
            audit.field("tier_reason", old.tier_reason, row.tier_reason.clone());
            audit.field(
                "tier_overridden",
                Some(old.tier_overridden.to_string()),
                Some(row.tier_overridden.to_string()),
            );
            write_audit!(tx, audit);
            Organization::try_from(row)
        })
    }

    /// Gives `user` the role `role` in `org` (replacing any previous role).
    pub async fn grant_role(
        &mut self,
        org: &OrgId,
        user: &UserId,
        role: Role,
        by: &UserId,
    ) -> Result<()> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let old: Option<(String,)> =
                sqlx::query_as("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
                    .bind(org.as_str().to_owned())
                    .bind(user.as_str().to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
            sqlx::query(
                "INSERT INTO memberships (org_id, user_id, role, granted_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role, granted_at = excluded.granted_at",
            )
            .bind(org.as_str().to_owned())
            .bind(user.as_str().to_owned())
            .bind(role.as_str())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let mut audit = AuditBatch::new(at, Some(by), Some(org.as_str()), "membership", user.to_string());
            audit.field("role", old.map(|(r,)| r), Some(role.as_str().to_owned()));
            write_audit!(tx, audit);
            Ok(())
        })
    }

    /// Invites `email` to `org` with `role` (again: the role is updated). Audited.
    pub async fn invite(
        &mut self,
        org: &OrgId,
        email: &str,
        role: Role,
        by: &UserId,
    ) -> Result<()> {
        let at = to_millis(now());
        let email = email.trim().to_lowercase();
        on_conn!(self, tx, pg => {
            sqlx::query(
                "INSERT INTO invitations (org_id, email, role, invited_by, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (org_id, email) DO UPDATE SET role = excluded.role, invited_by = excluded.invited_by, created_at = excluded.created_at",
            )
            .bind(org.as_str().to_owned())
            .bind(email.clone())
            .bind(role.as_str())
            .bind(by.as_str().to_owned())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let mut audit = AuditBatch::new(at, Some(by), Some(org.as_str()), "membership", format!("invitation:{email}"));
            audit.event("invited", None, Some(role.as_str().to_owned()));
            write_audit!(tx, audit);
            Ok(())
        })
    }

    /// Takes back (or, for the person, uses up) the invitation of `email` to `org`.
    pub async fn take_invitation(
        &mut self,
        org: &OrgId,
        email: &str,
    ) -> Result<Option<Invitation>> {
        let email = email.trim().to_lowercase();
        on_conn!(self, tx, pg => {
            let row: Option<(String, String, String, Option<String>, i64)> = sqlx::query_as(
                "DELETE FROM invitations WHERE org_id = $1 AND email = $2 \
                 RETURNING org_id, email, role, invited_by, created_at",
            )
            .bind(org.as_str().to_owned())
            .bind(email)
            .fetch_optional(&mut *tx)
            .await?;
            row.map(invitation_of).transpose()
        })
    }

    pub async fn revoke_role(&mut self, org: &OrgId, user: &UserId, by: &UserId) -> Result<bool> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let old: Option<(String,)> = sqlx::query_as(
                "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2 RETURNING role",
            )
            .bind(org.as_str().to_owned())
            .bind(user.as_str().to_owned())
            .fetch_optional(&mut *tx)
            .await?;
            let Some((old,)) = old else {
                return Ok(false);
            };
            let mut audit = AuditBatch::new(at, Some(by), Some(org.as_str()), "membership", user.to_string());
            audit.event("role", Some(old), None);
            write_audit!(tx, audit);
            Ok(true)
        })
    }
}

// ---------------------------------------------------------------------------------------
// Sessions and login throttling
// ---------------------------------------------------------------------------------------

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

    /// Keeps a single sign-on under way until the provider sends the browser back.
    pub async fn create_sso_login(&mut self, new: &SsoLogin) -> Result<()> {
        on_conn!(self, c => {
            sqlx::query(
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
            let row: Option<(String, String, String, String, i64)> = sqlx::query_as(
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
            let done = sqlx::query("DELETE FROM sso_logins WHERE expires_at <= $1")
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
            let row: Option<UserRow> = sqlx::query_as(concat!(
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
            sqlx::query(
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
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT provider FROM user_identities WHERE user_id = $1 ORDER BY provider",
            )
            .bind(user.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            Ok(rows.into_iter().map(|(p,)| p).collect())
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

// ---------------------------------------------------------------------------------------
// API tokens
// ---------------------------------------------------------------------------------------

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: String,
    user_id: String,
    name: String,
    read_only: bool,
    created_at: i64,
    last_used_at: Option<i64>,
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
            let rows: Vec<TokenRow> = sqlx::query_as(
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
            let row: Option<TokenRow> = sqlx::query_as(
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
                sqlx::query_as(concat!("SELECT ", user_cols!(), " FROM users WHERE id = $1"))
                    .bind(row.user_id.clone())
                    .fetch_optional(&mut *c)
                    .await?;
            Ok(user.map(|u| (ApiToken::from(row), User::from(u))))
        })
    }

    /// Records that a token was used at `at`.
    pub async fn touch_api_token(&mut self, id: &TokenId, at: OffsetDateTime) -> Result<()> {
        on_conn!(self, c => {
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
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
            let row: TokenRow = sqlx::query_as(
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
            let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
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

// ---------------------------------------------------------------------------------------
// Assessments and sub-practices
// ---------------------------------------------------------------------------------------

impl<M> Conn<M> {
    pub async fn assessment(&mut self, id: &AssessmentId) -> Result<Option<Assessment>> {
        on_conn!(self, c => {
            let row: Option<AssessmentRow> =
                sqlx::query_as(concat!("SELECT ", assessment_cols!(), " FROM assessments WHERE id = $1"))
                    .bind(id.as_str().to_owned())
                    .fetch_optional(&mut *c)
                    .await?;
            row.map(Assessment::try_from).transpose()
        })
    }

    /// The assessments of `org`, newest first.
    pub async fn assessments_for_org(&mut self, org: &OrgId) -> Result<Vec<Assessment>> {
        on_conn!(self, c => {
            let rows: Vec<AssessmentRow> = sqlx::query_as(concat!(
                "SELECT ", assessment_cols!(),
                " FROM assessments WHERE org_id = $1 ORDER BY created_at DESC, id DESC"
            ))
            .bind(org.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            collect(rows)
        })
    }

    /// The open assessment of `org`, if any.
    pub async fn current_assessment(&mut self, org: &OrgId) -> Result<Option<Assessment>> {
        on_conn!(self, c => {
            let row: Option<AssessmentRow> = sqlx::query_as(concat!(
                "SELECT ", assessment_cols!(),
                " FROM assessments WHERE org_id = $1 AND status = 'open'"
            ))
            .bind(org.as_str().to_owned())
            .fetch_optional(&mut *c)
            .await?;
            row.map(Assessment::try_from).transpose()
        })
    }

    /// The sub-practices opted into an assessment, sorted.
    pub async fn opted_in_sub_practices(
        &mut self,
        assessment: &AssessmentId,
    ) -> Result<Vec<String>> {
        on_conn!(self, c => {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT sub_practice_id FROM assessment_sub_practices WHERE assessment_id = $1 ORDER BY sub_practice_id",
            )
            .bind(assessment.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            Ok(rows.into_iter().map(|(s,)| s).collect())
        })
    }
}

impl Conn<InTx> {
    /// Starts an assessment. An organization has at most one open assessment: starting a
    /// second is `Duplicate`. An unknown organization is `InvalidReference`.
    pub async fn create_assessment(&mut self, new: &NewAssessment<'_>) -> Result<Assessment> {
        let id = AssessmentId::generate();
        let at = to_millis(now());
        let mut audit = AuditBatch::new(
            at,
            Some(new.created_by),
            Some(new.org_id.as_str()),
            "assessment",
            id.to_string(),
        );
        audit.event("created", None, Some(new.name.to_owned()));
        audit.event("tier", None, Some(new.tier.name().to_owned()));
        on_conn!(self, tx, pg => {
            let row: AssessmentRow = sqlx::query_as(concat!(
                "INSERT INTO assessments (id, org_id, name, tier, status, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, 'open', $5, $6) RETURNING ",
                assessment_cols!()
            ))
            .bind(id.as_str().to_owned())
            .bind(new.org_id.as_str().to_owned())
            .bind(new.name.to_owned())
            .bind(new.tier.name())
            .bind(new.created_by.as_str().to_owned())
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            write_audit!(tx, audit);
            Assessment::try_from(row)
        })
    }

    /// Sets the tier of an open assessment: the organization was resized while it was
    /// open, and the assessment is scored (and closed) at the new tier.
    pub async fn set_assessment_tier(&mut self, id: &AssessmentId, tier: Tier) -> Result<()> {
        on_conn!(self, c => {
            sqlx::query("UPDATE assessments SET tier = $2 WHERE id = $1 AND status = 'open'")
                .bind(id.as_str().to_owned())
                .bind(tier.name())
                .execute(&mut *c)
                .await?;
            Ok(())
        })
    }

    /// Closes an open assessment as a dated snapshot, storing `snapshot_json` (the scored
    /// result) and which evidence of the organization was in place. Its answers and
    /// sub-practices can no longer change. Closing a closed assessment is `AssessmentClosed`.
    pub async fn close_assessment(
        &mut self,
        id: &AssessmentId,
        snapshot_json: &str,
        by: &UserId,
    ) -> Result<Assessment> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let org = open_assessment_org!(tx, pg, id);
            let row: Option<AssessmentRow> = sqlx::query_as(concat!(
                "UPDATE assessments SET status = 'closed', closed_at = $2, closed_by = $3, snapshot_json = $4 \
                 WHERE id = $1 AND status = 'open' RETURNING ",
                assessment_cols!()
            ))
            .bind(id.as_str().to_owned())
            .bind(at)
            .bind(by.as_str().to_owned())
            .bind(snapshot_json.to_owned())
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                return Err(StoreError::AssessmentClosed);
            };
            let mut audit = AuditBatch::new(at, Some(by), Some(&org), "assessment", id.to_string());
            audit.event("status", Some("open".into()), Some("closed".into()));
            sqlx::query(
                "INSERT INTO snapshot_evidence (assessment_id, evidence_id) \
                 SELECT $1, id FROM evidence WHERE org_id = $2",
            )
            .bind(id.as_str().to_owned())
            .bind(org.clone())
            .execute(&mut *tx)
            .await?;
            write_audit!(tx, audit);
            Assessment::try_from(row)
        })
    }

    /// Opts a sub-practice in (`true`) or out (`false`) of an open assessment. Returns
    /// whether anything changed.
    pub async fn set_sub_practice(
        &mut self,
        assessment: &AssessmentId,
        sub_practice_id: &str,
        opted_in: bool,
        by: &UserId,
    ) -> Result<bool> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let org = open_assessment_org!(tx, pg, assessment);
            let done = if opted_in {
                sqlx::query(
                    "INSERT INTO assessment_sub_practices (assessment_id, sub_practice_id, opted_in_by, opted_in_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (assessment_id, sub_practice_id) DO NOTHING",
                )
                .bind(assessment.as_str().to_owned())
                .bind(sub_practice_id.to_owned())
                .bind(by.as_str().to_owned())
                .bind(at)
                .execute(&mut *tx)
                .await?
            } else {
                sqlx::query(
                    "DELETE FROM assessment_sub_practices WHERE assessment_id = $1 AND sub_practice_id = $2",
                )
                .bind(assessment.as_str().to_owned())
                .bind(sub_practice_id.to_owned())
                .execute(&mut *tx)
                .await?
            };
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            let mut audit = AuditBatch::new(
                at,
                Some(by),
                Some(&org),
                "sub_practice",
                format!("{assessment}/{sub_practice_id}"),
            );
            audit.event(
                "opted_in",
                Some((!opted_in).to_string()),
                Some(opted_in.to_string()),
            );
            write_audit!(tx, audit);
            Ok(true)
        })
    }

    /// Starts an open assessment from an earlier one of the same organization (the
    /// yearly reassessment): copies its answers (keeping their versions, so that a form
    /// opened before the copy is still known to be stale after it) and its opted-in
    /// sub-practices, leaving alone any criterion `to` has already answered. Evidence
    /// belongs to the organization and needs no copy. Returns how many answers were copied.
    /// One audit entry records the copy.
    pub async fn copy_answers(
        &mut self,
        from: &AssessmentId,
        to: &AssessmentId,
        by: &UserId,
    ) -> Result<u64> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let org = open_assessment_org!(tx, pg, to);
            let source: Option<(String,)> =
                sqlx::query_as("SELECT org_id FROM assessments WHERE id = $1")
                    .bind(from.as_str().to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
            match source {
                None => return Err(StoreError::NotFound),
                Some((source_org,)) if source_org != org => {
                    return Err(StoreError::Invalid(
                        "answers can only be copied within one organization".into(),
                    ));
                }
                Some(_) => {}
            }
            let copied = sqlx::query(
                "INSERT INTO answers (assessment_id, criterion_id, status, na_reason, notes, owner, \
                 in_place_since, updated_by, updated_at, version) \
                 SELECT $2, criterion_id, status, na_reason, notes, owner, in_place_since, $3, $4, version \
                 FROM answers WHERE assessment_id = $1 \
                 ON CONFLICT (assessment_id, criterion_id) DO NOTHING",
            )
            .bind(from.as_str().to_owned())
            .bind(to.as_str().to_owned())
            .bind(by.as_str().to_owned())
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query(
                "INSERT INTO assessment_sub_practices (assessment_id, sub_practice_id, opted_in_by, opted_in_at) \
                 SELECT $2, sub_practice_id, $3, $4 FROM assessment_sub_practices WHERE assessment_id = $1 \
                 ON CONFLICT (assessment_id, sub_practice_id) DO NOTHING",
            )
            .bind(from.as_str().to_owned())
            .bind(to.as_str().to_owned())
            .bind(by.as_str().to_owned())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let mut audit = AuditBatch::new(at, Some(by), Some(&org), "assessment", to.to_string());
            audit.event(
                "copied_answers_from",
                None,
                Some(format!("{from} ({copied} answers)")),
            );
            write_audit!(tx, audit);
            Ok(copied)
        })
    }
}

impl Conn<InTx> {
    /// Reads an organization and, on PostgreSQL, locks its row until the transaction ends:
    /// `exclusive` (`FOR UPDATE`) for a change that must see no concurrent change of the
    /// organization's assessments (closing one), shared (`FOR SHARE`) for the others. On
    /// SQLite a write transaction already excludes every other writer.
    pub async fn lock_organization(
        &mut self,
        id: &OrgId,
        exclusive: bool,
    ) -> Result<Option<Organization>> {
        on_conn!(self, tx, pg => {
            let sql = match (pg, exclusive) {
                (false, _) => concat!("SELECT ", org_cols!(), " FROM organizations o WHERE o.id = $1"),
                (true, true) => concat!("SELECT ", org_cols!(), " FROM organizations o WHERE o.id = $1 FOR UPDATE"),
                (true, false) => concat!("SELECT ", org_cols!(), " FROM organizations o WHERE o.id = $1 FOR SHARE"),
            };
            let row: Option<OrgRow> = sqlx::query_as(sql)
                .bind(id.as_str().to_owned())
                .fetch_optional(&mut *tx)
                .await?;
            row.map(Organization::try_from).transpose()
        })
    }

    /// Serializes the transactions that decide on the installation as a whole (the
    /// first-run setup) until this one ends: a PostgreSQL advisory lock; on SQLite a write
    /// transaction already excludes every other writer.
    pub async fn lock_installation(&mut self) -> Result<()> {
        on_conn!(self, tx, pg => {
            if pg {
                sqlx::query("SELECT pg_advisory_xact_lock(405405405)")
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
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(405_405_406_i64)
                    .execute(&mut *tx)
                    .await?;
            } else {
                // A write statement, even one that changes nothing, takes SQLite's write
                // lock now: a read first would let two attempts count the same failures.
                sqlx::query("DELETE FROM login_failures WHERE 1 = 0")
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(())
        })
    }

    /// Sets an organization's threat weights (JSON, threat id to weight; `None`: all 1).
    pub async fn set_threat_weights(
        &mut self,
        id: &OrgId,
        weights_json: Option<&str>,
        by: &UserId,
    ) -> Result<()> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let old: Option<(Option<String>,)> =
                sqlx::query_as("SELECT threat_weights_json FROM organizations WHERE id = $1")
                    .bind(id.as_str().to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((old,)) = old else {
                return Err(StoreError::NotFound);
            };
            sqlx::query("UPDATE organizations SET threat_weights_json = $2, updated_at = $3 WHERE id = $1")
                .bind(id.as_str().to_owned())
                .bind(weights_json.map(str::to_owned))
                .bind(at)
                .execute(&mut *tx)
                .await?;
            let mut audit = AuditBatch::new(at, Some(by), Some(id.as_str()), "organization", id.to_string());
            audit.field("threat_weights", old, weights_json.map(str::to_owned));
            write_audit!(tx, audit);
            Ok(())
        })
    }
}

// ---------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------

impl<M> Conn<M> {
    pub async fn answer(
        &mut self,
        assessment: &AssessmentId,
        criterion_id: &CriterionId,
    ) -> Result<Option<Answer>> {
        on_conn!(self, c => {
            let row: Option<AnswerRow> = sqlx::query_as(concat!(
                "SELECT ", answer_cols!(), " FROM answers WHERE assessment_id = $1 AND criterion_id = $2"
            ))
            .bind(assessment.as_str().to_owned())
            .bind(criterion_id.as_str())
            .fetch_optional(&mut *c)
            .await?;
            row.map(Answer::try_from).transpose()
        })
    }

    /// Every answer of an assessment, by criterion id.
    pub async fn answers(&mut self, assessment: &AssessmentId) -> Result<Vec<Answer>> {
        on_conn!(self, c => {
            let rows: Vec<AnswerRow> = sqlx::query_as(concat!(
                "SELECT ", answer_cols!(), " FROM answers WHERE assessment_id = $1 ORDER BY criterion_id"
            ))
            .bind(assessment.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            collect(rows)
        })
    }
}

impl Conn<InTx> {
    /// Saves the answer to one criterion, if it is still at `expected_version` (`0`: there
    /// is no answer yet). Otherwise nothing is written and the error is
    /// `Conflict(Conflict::Answer(current))`; an `expected_version` above 0 for an answer
    /// that does not exist is `NotFound`. The saved answer has version
    /// `expected_version + 1`. Changed fields are audited in the same transaction.
    pub async fn save_answer(
        &mut self,
        assessment: &AssessmentId,
        criterion_id: &CriterionId,
        input: &AnswerInput,
        by: &UserId,
        expected_version: i64,
    ) -> Result<Answer> {
        let at = to_millis(now());
        let since = opt_date_text(input.in_place_since);
        on_conn!(self, tx, pg => {
            let org = open_assessment_org!(tx, pg, assessment);
            let old: Option<AnswerRow> = sqlx::query_as(concat!(
                "SELECT ", answer_cols!(), " FROM answers WHERE assessment_id = $1 AND criterion_id = $2"
            ))
            .bind(assessment.as_str().to_owned())
            .bind(criterion_id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            match &old {
                Some(row) if row.version != expected_version => {
                    let current = Answer::try_from(old.expect("matched Some"))?;
                    return Err(StoreError::Conflict(Conflict::Answer(Box::new(current))));
                }
                None if expected_version != 0 => return Err(StoreError::NotFound),
                _ => {}
            }
            let saved: Option<AnswerRow> = if expected_version == 0 {
                sqlx::query_as(concat!(
                    "INSERT INTO answers (assessment_id, criterion_id, status, na_reason, notes, owner, \
                     in_place_since, updated_by, updated_at, version) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1) \
                     ON CONFLICT (assessment_id, criterion_id) DO NOTHING RETURNING ",
                    answer_cols!()
                ))
                .bind(assessment.as_str().to_owned())
                .bind(criterion_id.as_str())
                .bind(input.status.name())
                .bind(input.na_reason.clone())
                .bind(input.notes.clone())
                .bind(input.owner.clone())
                .bind(since.clone())
                .bind(by.as_str().to_owned())
                .bind(at)
                .fetch_optional(&mut *tx)
                .await?
            } else {
                sqlx::query_as(concat!(
                    "UPDATE answers SET status = $3, na_reason = $4, notes = $5, owner = $6, \
                     in_place_since = $7, updated_by = $8, updated_at = $9, version = version + 1 \
                     WHERE assessment_id = $1 AND criterion_id = $2 AND version = $10 RETURNING ",
                    answer_cols!()
                ))
                .bind(assessment.as_str().to_owned())
                .bind(criterion_id.as_str())
                .bind(input.status.name())
                .bind(input.na_reason.clone())
                .bind(input.notes.clone())
                .bind(input.owner.clone())
                .bind(since.clone())
                .bind(by.as_str().to_owned())
                .bind(at)
                .bind(expected_version)
                .fetch_optional(&mut *tx)
                .await?
            };
            let Some(saved) = saved else {
                // PostgreSQL: another writer committed between our read and our write.
                let current: AnswerRow = sqlx::query_as(concat!(
                    "SELECT ", answer_cols!(), " FROM answers WHERE assessment_id = $1 AND criterion_id = $2"
                ))
                .bind(assessment.as_str().to_owned())
                .bind(criterion_id.as_str())
                .fetch_one(&mut *tx)
                .await?;
                let current = Answer::try_from(current)?;
                return Err(StoreError::Conflict(Conflict::Answer(Box::new(current))));
            };
            let mut audit = AuditBatch::new(
                at,
                Some(by),
                Some(&org),
                "answer",
                format!("{assessment}/{criterion_id}"),
            );
            let (o_status, o_na, o_notes, o_owner, o_since) = match old {
                Some(o) => (Some(o.status), o.na_reason, o.notes, o.owner, o.in_place_since),
                None => (None, None, None, None, None),
            };
            audit.field("status", o_status, Some(saved.status.clone()));
            audit.field("na_reason", o_na, saved.na_reason.clone());
            audit.field("notes", o_notes, saved.notes.clone());
            audit.field("owner", o_owner, saved.owner.clone());
            audit.field("in_place_since", o_since, saved.in_place_since.clone());
            write_audit!(tx, audit);
            Answer::try_from(saved)
        })
    }
}

// ---------------------------------------------------------------------------------------
// Evidence
// ---------------------------------------------------------------------------------------

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl<M> Conn<M> {
    /// Evidence metadata by id.
    pub async fn evidence(&mut self, id: &EvidenceId) -> Result<Option<Evidence>> {
        on_conn!(self, c => {
            let row: Option<EvidenceRow> =
                sqlx::query_as(concat!("SELECT ", evidence_cols!(), " FROM evidence WHERE id = $1"))
                    .bind(id.as_str().to_owned())
                    .fetch_optional(&mut *c)
                    .await?;
            row.map(Evidence::try_from).transpose()
        })
    }

    /// The evidence of an assessment, oldest first: for the open one, every piece of the
    /// organization's evidence; for a snapshot, what was in place when it was closed.
    pub async fn evidence_for_assessment(
        &mut self,
        assessment: &AssessmentId,
    ) -> Result<Vec<Evidence>> {
        on_conn!(self, c => {
            let rows: Vec<EvidenceRow> = sqlx::query_as(concat!(
                "SELECT ", evidence_cols!(), " FROM evidence WHERE ", evidence_of_assessment!(), " ORDER BY added_at, id"
            ))
            .bind(assessment.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            collect(rows)
        })
    }

    /// The evidence attached to one criterion of an assessment, oldest first (which
    /// evidence: as [`Conn::evidence_for_assessment`]).
    pub async fn evidence_for_criterion(
        &mut self,
        assessment: &AssessmentId,
        criterion_id: &CriterionId,
    ) -> Result<Vec<Evidence>> {
        on_conn!(self, c => {
            let rows: Vec<EvidenceRow> = sqlx::query_as(concat!(
                "SELECT ", evidence_cols!(),
                " FROM evidence WHERE criterion_id = $2 AND ", evidence_of_assessment!(), " ORDER BY added_at, id"
            ))
            .bind(assessment.as_str().to_owned())
            .bind(criterion_id.as_str())
            .fetch_all(&mut *c)
            .await?;
            collect(rows)
        })
    }

    /// The bytes of a file evidence (`None` for a link or an unknown id).
    pub async fn evidence_file(&mut self, id: &EvidenceId) -> Result<Option<EvidenceFile>> {
        on_conn!(self, c => {
            let row: Option<EvidenceFileRow> = sqlx::query_as(
                "SELECT e.file_name, e.content_type, e.sha256, b.bytes FROM evidence e \
                 JOIN evidence_blobs b ON b.evidence_id = e.id WHERE e.id = $1",
            )
            .bind(id.as_str().to_owned())
            .fetch_optional(&mut *c)
            .await?;
            Ok(row.map(|r| EvidenceFile {
                file_name: r.file_name.unwrap_or_default(),
                content_type: r.content_type.unwrap_or_default(),
                sha256: r.sha256.unwrap_or_default(),
                bytes: r.bytes,
            }))
        })
    }
}

impl Conn<InTx> {
    /// Adds evidence to an open assessment. File bytes are stored in the database with
    /// their SHA-256 (computed here; a different `sha256` given by the caller is
    /// `Invalid`). Size limits and allowed types are the caller's policy.
    pub async fn add_evidence(&mut self, new: &NewEvidence<'_>) -> Result<Evidence> {
        let id = EvidenceId::generate();
        let at = to_millis(now());
        let (kind, file_name, content_type, size, sha, url, bytes) = match &new.content {
            EvidenceContent::File {
                file_name,
                content_type,
                bytes,
                sha256,
            } => {
                let computed = sha256_hex(bytes);
                if let Some(given) = sha256
                    && !given.eq_ignore_ascii_case(&computed)
                {
                    return Err(StoreError::Invalid(format!(
                        "SHA-256 {given} does not match the file ({computed})"
                    )));
                }
                let size = i64::try_from(bytes.len())
                    .map_err(|_| StoreError::Invalid("file too large".into()))?;
                (
                    "file",
                    Some(file_name.clone()),
                    Some(content_type.clone()),
                    size,
                    Some(computed),
                    None,
                    Some(bytes.clone()),
                )
            }
            EvidenceContent::Link { url } => ("link", None, None, 0, None, Some(url.clone()), None),
        };
        on_conn!(self, tx, pg => {
            let org = open_assessment_org!(tx, pg, new.assessment_id);
            let row: EvidenceRow = sqlx::query_as(concat!(
                "INSERT INTO evidence (id, assessment_id, criterion_id, action_id, title, kind, file_name, \
                 content_type, size, sha256, url, collected_on, valid_until, added_by, added_at, org_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING ",
                evidence_cols!()
            ))
            .bind(id.as_str().to_owned())
            .bind(new.assessment_id.as_str().to_owned())
            .bind(new.criterion_id.map(CriterionId::as_str))
            .bind(new.action_id.map(ActionId::as_str))
            .bind(new.title.to_owned())
            .bind(kind)
            .bind(file_name.clone())
            .bind(content_type.clone())
            .bind(size)
            .bind(sha.clone())
            .bind(url.clone())
            .bind(opt_date_text(new.collected_on))
            .bind(opt_date_text(new.valid_until))
            .bind(new.added_by.as_str().to_owned())
            .bind(at)
            .bind(org.clone())
            .fetch_one(&mut *tx)
            .await?;
            if let Some(bytes) = &bytes {
                sqlx::query("INSERT INTO evidence_blobs (evidence_id, bytes) VALUES ($1, $2)")
                    .bind(id.as_str().to_owned())
                    .bind(bytes.clone())
                    .execute(&mut *tx)
                    .await?;
            }
            let mut audit = AuditBatch::new(at, Some(new.added_by), Some(&org), "evidence", id.to_string());
            let described = match (&file_name, &url, &sha) {
                (Some(f), _, Some(s)) => format!("{f} (sha256 {s})"),
                (_, Some(u), _) => u.clone(),
                _ => new.title.to_owned(),
            };
            audit.event("added", None, Some(described));
            if let Some(c) = new.criterion_id {
                audit.event("criterion", None, Some(c.to_string()));
            }
            if let Some(a) = new.action_id {
                audit.event("action", None, Some(a.to_string()));
            }
            write_audit!(tx, audit);
            Evidence::try_from(row)
        })
    }

    /// Removes evidence (from the organization, and from the snapshots that recorded it:
    /// a file uploaded by mistake may hold patient data). The audit log keeps its name and
    /// SHA-256. Returns whether it existed.
    pub async fn delete_evidence(&mut self, id: &EvidenceId, by: &UserId) -> Result<bool> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let row: Option<EvidenceRow> =
                sqlx::query_as(concat!("SELECT ", evidence_cols!(), " FROM evidence WHERE id = $1"))
                    .bind(id.as_str().to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(row) = row else {
                return Ok(false);
            };
            let org = row.org_id.clone();
            sqlx::query("DELETE FROM evidence WHERE id = $1")
                .bind(id.as_str().to_owned())
                .execute(&mut *tx)
                .await?;
            let mut audit = AuditBatch::new(at, Some(by), Some(&org), "evidence", id.to_string());
            let described = match (row.file_name, row.url, row.sha256) {
                (Some(f), _, Some(s)) => format!("{f} (sha256 {s})"),
                (_, Some(u), _) => u,
                _ => row.title,
            };
            audit.event("deleted", Some(described), None);
            write_audit!(tx, audit);
            Ok(true)
        })
    }
}

// ---------------------------------------------------------------------------------------
// Plan actions
// ---------------------------------------------------------------------------------------

impl<M> Conn<M> {
    pub async fn action(
        &mut self,
        org: &OrgId,
        action_id: &ActionId,
    ) -> Result<Option<ActionTrack>> {
        on_conn!(self, c => {
            let row: Option<ActionRow> = sqlx::query_as(concat!(
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
            let rows: Vec<ActionRow> = sqlx::query_as(concat!(
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
            let old: Option<ActionRow> = sqlx::query_as(concat!(
                "SELECT ", action_cols!(), " FROM action_tracking WHERE org_id = $1 AND action_id = $2"
            ))
            .bind(org.as_str().to_owned())
            .bind(action_id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            match &old {
                Some(row) if row.version != expected_version => {
                    let current = ActionTrack::try_from(old.expect("matched Some"))?;
                    return Err(StoreError::Conflict(Conflict::Action(Box::new(current))));
                }
                None if expected_version != 0 => return Err(StoreError::NotFound),
                _ => {}
            }
            let saved: Option<ActionRow> = if expected_version == 0 {
                sqlx::query_as(concat!(
                    "INSERT INTO action_tracking (org_id, action_id, owner, due_on, status, reason, \
                     updated_by, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1) \
                     ON CONFLICT (org_id, action_id) DO NOTHING RETURNING ",
                    action_cols!()
                ))
                .bind(org.as_str().to_owned())
                .bind(action_id.as_str())
                .bind(input.owner.clone())
                .bind(due.clone())
                .bind(input.status.as_str())
                .bind(input.reason.clone())
                .bind(by.as_str().to_owned())
                .bind(at)
                .fetch_optional(&mut *tx)
                .await?
            } else {
                sqlx::query_as(concat!(
                    "UPDATE action_tracking SET owner = $3, due_on = $4, status = $5, reason = $6, \
                     updated_by = $7, updated_at = $8, version = version + 1 \
                     WHERE org_id = $1 AND action_id = $2 AND version = $9 RETURNING ",
                    action_cols!()
                ))
                .bind(org.as_str().to_owned())
                .bind(action_id.as_str())
                .bind(input.owner.clone())
                .bind(due.clone())
                .bind(input.status.as_str())
                .bind(input.reason.clone())
                .bind(by.as_str().to_owned())
                .bind(at)
                .bind(expected_version)
                .fetch_optional(&mut *tx)
                .await?
            };
            let Some(saved) = saved else {
                let current: ActionRow = sqlx::query_as(concat!(
                    "SELECT ", action_cols!(), " FROM action_tracking WHERE org_id = $1 AND action_id = $2"
                ))
                .bind(org.as_str().to_owned())
                .bind(action_id.as_str())
                .fetch_one(&mut *tx)
                .await?;
                let current = ActionTrack::try_from(current)?;
                return Err(StoreError::Conflict(Conflict::Action(Box::new(current))));
            };
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

// ---------------------------------------------------------------------------------------
// Audit log
// ---------------------------------------------------------------------------------------

impl<M> Conn<M> {
    /// Appends one entry to the audit log (for events the store does not record itself,
    /// e.g. an import or a login).
    pub async fn record_audit(&mut self, entry: &NewAuditEntry<'_>) -> Result<AuditEntry> {
        let at = to_millis(now());
        on_conn!(self, c => {
            let row: AuditRow = sqlx::query_as(concat!(
                "INSERT INTO audit_log (at, user_id, org_id, entity, entity_id, field, old_value, new_value) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
                audit_cols!()
            ))
            .bind(at)
            .bind(entry.user_id.map(|u| u.as_str().to_owned()))
            .bind(entry.org_id.map(|o| o.as_str().to_owned()))
            .bind(entry.entity.to_owned())
            .bind(entry.entity_id.to_owned())
            .bind(entry.field.to_owned())
            .bind(entry.old_value.map(str::to_owned))
            .bind(entry.new_value.map(str::to_owned))
            .fetch_one(&mut *c)
            .await?;
            Ok(AuditEntry::from(row))
        })
    }

    /// Audit entries matching `filter`, newest first.
    pub async fn audit_log(&mut self, filter: &AuditFilter<'_>) -> Result<Vec<AuditEntry>> {
        let limit = i64::from(filter.limit.unwrap_or(100).clamp(1, 1000));
        // Only the filters given become SQL, so that each can use its index.
        on_conn!(self, c => {
            let mut q = query_builder(&*c, concat!("SELECT ", audit_cols!(), " FROM audit_log WHERE 1 = 1"));
            if let Some(org) = filter.org_id {
                q.push(" AND org_id = ").push_bind(org.as_str().to_owned());
            }
            if let Some(user) = filter.user_id {
                q.push(" AND user_id = ").push_bind(user.as_str().to_owned());
            }
            if let Some(entity) = filter.entity {
                q.push(" AND entity = ").push_bind(entity.to_owned());
            }
            if let Some(entity_id) = filter.entity_id {
                q.push(" AND entity_id = ").push_bind(entity_id.to_owned());
            }
            if let Some(before) = filter.before_seq {
                q.push(" AND seq < ").push_bind(before);
            }
            q.push(" ORDER BY seq DESC LIMIT ").push_bind(limit);
            let rows: Vec<AuditRow> = q.build_query_as().fetch_all(&mut *c).await?;
            Ok(rows.into_iter().map(AuditEntry::from).collect())
        })
    }
}

/// A query builder for the backend of connection `_c` (its only use is to name the type).
fn query_builder<C>(_c: &C, init: &str) -> sqlx::QueryBuilder<C::Database>
where
    C: sqlx::Connection,
    <C::Database as sqlx::Database>::Arguments: Default,
{
    sqlx::QueryBuilder::new(init)
}

// ---------------------------------------------------------------------------------------
// Email domains
// ---------------------------------------------------------------------------------------

type EmailDomainRow = (String, String, String, i64, Option<i64>, Option<String>);

fn email_domain_of((org, domain, selectors, added, checked, json): EmailDomainRow) -> EmailDomain {
    EmailDomain {
        org_id: OrgId::from(org),
        domain,
        dkim_selectors: selectors.split_whitespace().map(str::to_owned).collect(),
        added_at: from_millis(added),
        checked_at: checked.map(from_millis),
        check_json: json,
    }
}

impl<M> Conn<M> {
    /// The email domains of `org`, by name.
    pub async fn email_domains(&mut self, org: &OrgId) -> Result<Vec<EmailDomain>> {
        on_conn!(self, c => {
            let rows: Vec<EmailDomainRow> = sqlx::query_as(
                "SELECT org_id, domain, dkim_selectors, added_at, checked_at, check_json \
                 FROM email_domains WHERE org_id = $1 ORDER BY domain",
            )
            .bind(org.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            Ok(rows.into_iter().map(email_domain_of).collect())
        })
    }
}

impl Conn<InTx> {
    /// Adds an email domain to `org`, or sets the DKIM selectors of one it has. Audited;
    /// returns whether anything changed.
    pub async fn save_email_domain(
        &mut self,
        org: &OrgId,
        domain: &str,
        dkim_selectors: &[String],
        by: &UserId,
    ) -> Result<bool> {
        let at = to_millis(now());
        let selectors = dkim_selectors.join(" ");
        on_conn!(self, tx, pg => {
            let old: Option<(String,)> = sqlx::query_as(
                "SELECT dkim_selectors FROM email_domains WHERE org_id = $1 AND domain = $2",
            )
            .bind(org.as_str().to_owned())
            .bind(domain.to_owned())
            .fetch_optional(&mut *tx)
            .await?;
            let mut audit = AuditBatch::new(at, Some(by), Some(org.as_str()), "email_domain", domain.to_owned());
            match &old {
                Some((s,)) if *s == selectors => return Ok(false),
                Some(_) => {
                    sqlx::query(
                        "UPDATE email_domains SET dkim_selectors = $3 WHERE org_id = $1 AND domain = $2",
                    )
                    .bind(org.as_str().to_owned())
                    .bind(domain.to_owned())
                    .bind(selectors.clone())
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query(
                        "INSERT INTO email_domains (org_id, domain, dkim_selectors, added_by, added_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(org.as_str().to_owned())
                    .bind(domain.to_owned())
                    .bind(selectors.clone())
                    .bind(by.as_str().to_owned())
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    audit.event("added", None, Some(domain.to_owned()));
                }
            }
            audit.field("dkim_selectors", old.map(|(s,)| s), Some(selectors));
            write_audit!(tx, audit);
            Ok(true)
        })
    }

    /// Removes an email domain of `org`. Audited; returns whether it was there.
    pub async fn remove_email_domain(
        &mut self,
        org: &OrgId,
        domain: &str,
        by: &UserId,
    ) -> Result<bool> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let done = sqlx::query("DELETE FROM email_domains WHERE org_id = $1 AND domain = $2")
                .bind(org.as_str().to_owned())
                .bind(domain.to_owned())
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            let mut audit = AuditBatch::new(at, Some(by), Some(org.as_str()), "email_domain", domain.to_owned());
            audit.event("removed", Some(domain.to_owned()), None);
            write_audit!(tx, audit);
            Ok(true)
        })
    }

    /// Keeps the latest check of an email domain of `org` (`summary`, in words, goes to the
    /// audit log). Returns whether the domain is there.
    pub async fn record_email_check(
        &mut self,
        org: &OrgId,
        domain: &str,
        check_json: &str,
        summary: &str,
        by: &UserId,
    ) -> Result<bool> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let done = sqlx::query(
                "UPDATE email_domains SET checked_at = $3, check_json = $4 WHERE org_id = $1 AND domain = $2",
            )
            .bind(org.as_str().to_owned())
            .bind(domain.to_owned())
            .bind(at)
            .bind(check_json.to_owned())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            let mut audit = AuditBatch::new(at, Some(by), Some(org.as_str()), "email_domain", domain.to_owned());
            audit.event("checked", None, Some(summary.to_owned()));
            write_audit!(tx, audit);
            Ok(true)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized() {
        assert_eq!(
            normalize_email("  Alice@Example.ORG ").unwrap(),
            "alice@example.org"
        );
        assert!(normalize_email("").is_err());
        assert!(normalize_email("no-at-sign").is_err());
        assert!(normalize_email("a b@c").is_err());
    }

    #[test]
    fn sha256_is_lower_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
