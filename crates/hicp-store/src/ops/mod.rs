//! The store's operations. Every body is written once and compiled for both backends by
//! `on_conn!`; the SQL is portable (`$n` placeholders, `RETURNING`, `ON CONFLICT`).
//!
//! This file has the rows as stored, the audit records of a change and the macros the
//! operations share; the operations are in one file per kind of record.

use crate::db::{from_millis, parse_opt_date};
use crate::{
    ActionId, ActionStatus, ActionTrack, Answer, Assessment, AssessmentId, AssessmentStatus,
    AuditEntry, CriterionId, Evidence, EvidenceId, EvidenceKind, OrgId, Organization, Result, Role,
    Session, Status, StoreError, Tier, User, UserId,
};

pub use evidence::sha256_hex;

// ---------------------------------------------------------------------------------------
// Rows as stored
// ---------------------------------------------------------------------------------------

macro_rules! user_cols {
    () => {
        "id, email, display_name, password_hash, is_admin, created_at, disabled_at, must_change_password, totp_secret, totp_pending, totp_last_step"
    };
}

crate::sql::row! {
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
        "o.id, o.name, o.profile_json, o.tier, o.tier_reason, o.tier_overridden, o.require_mfa, o.threat_weights_json, o.created_at, o.updated_at, o.revision"
    };
}

crate::sql::row! {
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
        revision: i64,
    }
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
            revision: r.revision,
        })
    }
}

crate::sql::row! {
    struct OrgRoleRow {
        #[sqlx(flatten)]
        org: OrgRow,
        role: String,
    }
}

crate::sql::row! {
    struct MemberRow {
        user_id: String,
        email: String,
        display_name: String,
        role: String,
    }
}

fn parse_role(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| StoreError::Invalid(format!("stored role {s:?}")))
}

macro_rules! session_cols {
    () => {
        "id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, mfa_pending, sso_provider, idp_mfa"
    };
}

crate::sql::row! {
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

crate::sql::row! {
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
}

/// The columns of an organization's open assessment joined to a row as `a` (`LEFT JOIN
/// assessments a ON a.org_id = o.id AND a.status = 'open'`), named `a_…`.
macro_rules! open_assessment_cols {
    () => {
        "a.id AS a_id, a.name AS a_name, a.tier AS a_tier, a.status AS a_status, \
         a.created_by AS a_created_by, a.created_at AS a_created_at, a.closed_at AS a_closed_at, \
         a.closed_by AS a_closed_by"
    };
}

crate::sql::row! {
    /// [`open_assessment_cols!`] as read: all NULL when the organization has no open assessment.
    struct OpenAssessmentCols {
        a_id: Option<String>,
        a_name: Option<String>,
        a_tier: Option<String>,
        a_status: Option<String>,
        a_created_by: Option<String>,
        a_created_at: Option<i64>,
        a_closed_at: Option<i64>,
        a_closed_by: Option<String>,
    }
}

impl OpenAssessmentCols {
    /// The open assessment of organization `org_id`, if the join found one.
    fn into_assessment(self, org_id: String) -> Result<Option<Assessment>> {
        let Some(id) = self.a_id else {
            return Ok(None);
        };
        Assessment::try_from(AssessmentRow {
            id,
            org_id,
            name: self.a_name.unwrap_or_default(),
            tier: self.a_tier.unwrap_or_default(),
            status: self.a_status.unwrap_or_default(),
            created_by: self.a_created_by,
            created_at: self.a_created_at.unwrap_or_default(),
            closed_at: self.a_closed_at,
            closed_by: self.a_closed_by,
            // An open assessment has no snapshot.
            snapshot_json: None,
        })
        .map(Some)
    }
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

crate::sql::row! {
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

crate::sql::row! {
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

crate::sql::row! {
    struct EvidenceFileRow {
        file_name: Option<String>,
        content_type: Option<String>,
        sha256: Option<String>,
        bytes: Vec<u8>,
    }
}

macro_rules! action_cols {
    () => {
        "org_id, action_id, owner, due_on, status, reason, updated_by, updated_at, version"
    };
}

crate::sql::row! {
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

crate::sql::row! {
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

/// The most audit records one statement inserts: an answer's usual change (status and
/// notes, say) in one; a change of five fields takes two.
const AUDIT_ROWS_PER_INSERT: usize = 4;

/// `INSERT INTO audit_log` of 1 to [`AUDIT_ROWS_PER_INSERT`] records (index 0: one): a
/// change's records go in one statement, not one round trip each (saving an answer audits
/// two or more fields).
static INSERT_AUDIT: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    (1..=AUDIT_ROWS_PER_INSERT)
        .map(|n| {
            let rows: Vec<String> = (0..n)
                .map(|r| {
                    let p: Vec<String> = (1..=8).map(|i| format!("${}", r * 8 + i)).collect();
                    format!("({})", p.join(", "))
                })
                .collect();
            format!(
                "INSERT INTO audit_log \
                 (at, user_id, org_id, entity, entity_id, field, old_value, new_value) VALUES {}",
                rows.join(", ")
            )
        })
        .collect()
});

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

/// The organization's revision as the transaction `$tx` sees it, after the audit entries
/// it wrote (which move it): what a change returns.
macro_rules! revision_in {
    ($tx:ident, $org:expr) => {{
        let (r,): (i64,) = crate::sql::query_as("SELECT revision FROM organizations WHERE id = $1")
            .bind($org.to_owned())
            .fetch_one(&mut *$tx)
            .await?;
        r
    }};
}

/// Writes an `AuditBatch` with the transaction `$tx`.
macro_rules! write_audit {
    ($tx:ident, $batch:expr) => {{
        let batch: &AuditBatch = &$batch;
        for chunk in batch.records.chunks(INSERT_AUDIT.len()) {
            let mut q = crate::sql::query(INSERT_AUDIT[chunk.len() - 1].as_str());
            for (field, old, new) in chunk {
                q = q
                    .bind(batch.at)
                    .bind(batch.user_id.clone())
                    .bind(batch.org_id.clone())
                    .bind(batch.entity)
                    .bind(batch.entity_id.clone())
                    .bind(*field)
                    .bind(old.clone())
                    .bind(new.clone());
            }
            q.execute(&mut *$tx).await?;
        }
    }};
}

/// Returns the organization of an assessment that may still change, in the transaction
/// `$tx`: `NotFound` when it does not exist, `AssessmentClosed` when it is a snapshot.
/// `$held` is the connection's `open_held`: an assessment known to stay open in this
/// transaction is not read again.
///
/// On PostgreSQL the row is read `FOR SHARE`: a change waits for a close in progress and
/// then sees it, instead of writing into an assessment that has just become a snapshot.
macro_rules! open_assessment_org {
    ($tx:ident, $pg:ident, $id:expr, $held:expr) => {{
        match $held {
            Some((held, org)) if held.as_str() == $id.as_str() => org.as_str().to_owned(),
            _ => {
                let sql = if $pg {
                    "SELECT org_id, status FROM assessments WHERE id = $1 FOR SHARE"
                } else {
                    "SELECT org_id, status FROM assessments WHERE id = $1"
                };
                let row: Option<(String, String)> = crate::sql::query_as(sql)
                    .bind($id.as_str().to_owned())
                    .fetch_optional(&mut *$tx)
                    .await?;
                match row {
                    None => return Err(StoreError::NotFound),
                    Some((_, status)) if status != "open" => {
                        return Err(StoreError::AssessmentClosed);
                    }
                    Some((org, _)) => org,
                }
            }
        }
    }};
}

/// The optimistic save of one versioned row, in the transaction `$tx`; evaluates to
/// `(old, saved)`, the row before (`None`: there was none) and after.
///
/// Reads the row by its `key` (`select`), then inserts it when `$expected` is 0 (`insert`,
/// version 1, `ON CONFLICT ... DO NOTHING`) or updates it where it is still at `$expected`
/// (`update`, `version = version + 1`). Both statements get the `key` values, then the
/// `values`; `update` gets `$expected` last. A row at another version is
/// `Conflict($conflict(current))`, where `current` is the row as `$domain`; an
/// `$expected` above 0 for a row that does not exist is `NotFound`.
///
/// On PostgreSQL the read and the write are one statement (one round trip): the write in a
/// `WITH` beside the read, which sees the row as it was before; the write's own guard
/// (version, `ON CONFLICT`) keeps it from changing a row at another version.
macro_rules! save_versioned {
    (
        $tx:ident, $pg:ident, $expected:expr, $row:ty => $domain:ty, $conflict:path,
        select: $select:expr,
        key: [$($key:expr),* $(,)?],
        insert: $insert:expr,
        update: $update:expr,
        values: [$($value:expr),* $(,)?] $(,)?
    ) => {{
        // The write, alone (SQLite) or in one statement with the read (PostgreSQL); the
        // update also binds `$expected`.
        let (write, read_and_write) = if $expected == 0 {
            ($insert, concat!(
                "WITH old AS (", $select, "), new AS (", $insert, ")",
                " SELECT false AS is_new, old.* FROM old UNION ALL SELECT true AS is_new, new.* FROM new"
            ))
        } else {
            ($update, concat!(
                "WITH old AS (", $select, "), new AS (", $update, ")",
                " SELECT false AS is_new, old.* FROM old UNION ALL SELECT true AS is_new, new.* FROM new"
            ))
        };
        let (old, saved): (Option<$row>, Option<$row>) = if $pg {
            let mut q = crate::sql::query_as::<crate::sql::Tagged<$row>>(read_and_write)
                $(.bind($key))*
                $(.bind($value))*;
            if $expected != 0 {
                q = q.bind($expected);
            }
            let (mut old, mut saved) = (None, None);
            for t in q.fetch_all(&mut *$tx).await? {
                if t.is_new { saved = Some(t.row) } else { old = Some(t.row) }
            }
            (old, saved)
        } else {
            let old: Option<$row> = crate::sql::query_as($select)
                $(.bind($key))*
                .fetch_optional(&mut *$tx)
                .await?;
            let writes = match &old {
                Some(row) => row.version == $expected,
                None => $expected == 0,
            };
            let saved: Option<$row> = if writes {
                let mut q = crate::sql::query_as(write)
                    $(.bind($key))*
                    $(.bind($value))*;
                if $expected != 0 {
                    q = q.bind($expected);
                }
                q.fetch_optional(&mut *$tx).await?
            } else {
                None
            };
            (old, saved)
        };
        match (old, saved) {
            (Some(row), _) if row.version != $expected => {
                let current = <$domain>::try_from(row)?;
                return Err(StoreError::Conflict($conflict(Box::new(current))));
            }
            (None, _) if $expected != 0 => return Err(StoreError::NotFound),
            (old, Some(saved)) => (old, saved),
            (_, None) => {
                // PostgreSQL: another writer committed between our read and our write.
                let current: $row = crate::sql::query_as($select)
                    $(.bind($key))*
                    .fetch_one(&mut *$tx)
                    .await?;
                let current = <$domain>::try_from(current)?;
                return Err(StoreError::Conflict($conflict(Box::new(current))));
            }
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

// Declared after the macros above, which they use.
mod actions;
mod answers;
mod assessments;
mod audit;
mod email_domains;
mod evidence;
mod findings;
mod links;
mod locks;
mod mfa;
mod organizations;
mod sessions;
mod sites;
mod sso;
mod tokens;
mod users;

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
