//! Storage for the HICP web application: one API over SQLite and PostgreSQL.
//!
//! This is the only crate in the workspace that knows SQL. [`Store`] is chosen from a URL
//! (`sqlite://path?mode=rwc` or `postgres://...`), each backend has its own migrations
//! (`migrations/sqlite`, `migrations/postgres`), and `tests/conformance.rs` runs the same
//! suite against both.
//!
//! What lives here, and why it all lives in the database (several stateless servers may
//! share one PostgreSQL database):
//!
//! - users (with an argon2id PHC string computed by the caller: hashing is not the store's
//!   job), organizations and per-organization roles;
//! - sessions (keyed by a hash of the cookie value, with the CSRF token) and failed-login
//!   records for rate limiting;
//! - assessments, answers per criterion, opted-in sub-practices, evidence (bytes and
//!   SHA-256 in the database), plan action tracking;
//! - an append-only audit log. Every write method that changes assessment data records its
//!   audit entries in the same transaction.
//!
//! Answers and plan actions carry a `version`. A save names the version it was based on
//! (`0` for "this row does not exist yet"); if the row has moved on, the save fails with
//! [`StoreError::Conflict`] carrying the current row, and nothing is written.
//!
//! Times are [`OffsetDateTime`] in UTC with millisecond precision (stored as Unix
//! milliseconds); calendar dates are [`Date`] (stored as `YYYY-MM-DD` text). Both are
//! stored identically on both backends.

mod db;
mod one_shot;
mod ops;
mod sql;

use std::fmt;

/// An open finding of an organization's latest scan of a host, as the action plan ranks
/// it: the store keeps only open ones.
pub use hicp_core::assessment::findings::{Finding, Severity};
pub use hicp_core::assessment::{Date, Status};
pub use hicp_core::catalog::{ActionId, CriterionId, Tier};
pub use time::OffsetDateTime;

pub use db::{Autocommit, Conn, InTx, SchemaStatus, Store, Tx, redact};
pub use ops::sha256_hex;

// ---------------------------------------------------------------------------------------
// Ids
// ---------------------------------------------------------------------------------------

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// A new random id (UUID v7: time-ordered).
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }

            /// Wraps an id read from elsewhere (a URL, a form). The store answers
            /// `NotFound` or `None` for ids that do not exist.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }
    };
}

uuid_id!(
    /// A user account.
    UserId
);
uuid_id!(
    /// An organization (a clinic, a hospital, a consultant's client).
    OrgId
);
uuid_id!(
    /// One assessment of one organization.
    AssessmentId
);
uuid_id!(
    /// One piece of evidence (a file or a link).
    EvidenceId
);
uuid_id!(
    /// One personal API token.
    TokenId
);

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is neither `sqlite:` nor `postgres:`/`postgresql:`.
    #[error("unsupported database URL (expected sqlite:... or postgres://...): {0}")]
    UnsupportedUrl(String),
    /// The row named does not exist.
    #[error("not found")]
    NotFound,
    /// A unique value is already taken (an email, an open assessment of an organization).
    #[error("already exists: {0}")]
    Duplicate(String),
    /// A referenced row (user, organization, assessment) does not exist.
    #[error("a referenced record does not exist: {0}")]
    InvalidReference(String),
    /// The value is not acceptable (a SHA-256 that does not match the bytes, a bad role).
    #[error("invalid value: {0}")]
    Invalid(String),
    /// The assessment is closed: it is a snapshot and can no longer change.
    #[error("the assessment is closed")]
    AssessmentClosed,
    /// Someone else saved this row first. Carries the row as it is now.
    #[error("changed by someone else: {0}")]
    Conflict(Conflict),
    #[error("migration failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("database error")]
    Sqlite(#[source] rusqlite::Error),
}

/// The current row, when an optimistic save lost the race.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    Answer(Box<Answer>),
    Action(Box<ActionTrack>),
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conflict::Answer(a) => write!(
                f,
                "answer {} is now at version {}",
                a.criterion_id, a.version
            ),
            Conflict::Action(a) => {
                write!(f, "action {} is now at version {}", a.action_id, a.version)
            }
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

// ---------------------------------------------------------------------------------------
// Users, organizations, roles
// ---------------------------------------------------------------------------------------

/// A user account. `email` is stored trimmed and lower-cased and is unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    /// Argon2id PHC string, computed by the caller.
    pub password_hash: String,
    /// Installation administrator: may create organizations and manage every one.
    pub is_admin: bool,
    pub created_at: OffsetDateTime,
    /// When the account was disabled; a disabled account cannot sign in.
    pub disabled_at: Option<OffsetDateTime>,
    /// The password was set by an administrator: it must be changed at the next sign-in.
    pub must_change_password: bool,
    /// The TOTP secret (base32) when multifactor sign-in is on.
    pub totp_secret: Option<String>,
    /// A TOTP secret being enrolled, not yet confirmed by a code.
    pub totp_pending: Option<String>,
    /// The last TOTP time step accepted: a code is accepted once.
    pub totp_last_step: Option<i64>,
}

/// Failed sign-ins for one key (an account or a client address) in a time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginFailures {
    pub count: u64,
    pub first: Option<OffsetDateTime>,
    pub last: Option<OffsetDateTime>,
}

#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub is_admin: bool,
    /// The password was chosen by someone else: it must be changed at the first sign-in.
    pub must_change_password: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    /// The sizing interview's answers, as JSON text (the web app owns the shape).
    pub profile_json: Option<String>,
    /// The size tier, once sized.
    pub tier: Option<Tier>,
    /// Why that tier, as text or JSON.
    pub tier_reason: Option<String>,
    /// The tier was chosen by a person rather than by the sizing rules.
    pub tier_overridden: bool,
    /// Members must sign in with a second factor to see it.
    pub require_mfa: bool,
    /// Threat weights as JSON (threat id to weight); `None`: every threat counts 1.
    pub threat_weights_json: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Moves with every change to anything of the organization (its settings, its open
    /// assessment, evidence, plan, snapshots, sites), in the change's transaction: computed
    /// views are cached by it.
    pub revision: i64,
}

#[derive(Debug, Clone)]
pub struct NewOrganization<'a> {
    pub name: &'a str,
    pub profile_json: Option<&'a str>,
    pub tier: Option<Tier>,
    pub tier_reason: Option<&'a str>,
    pub tier_overridden: bool,
}

/// The new profile and tier of an organization (every field is written).
#[derive(Debug, Clone)]
pub struct OrganizationUpdate<'a> {
    pub name: &'a str,
    pub profile_json: Option<&'a str>,
    pub tier: Option<Tier>,
    pub tier_reason: Option<&'a str>,
    pub tier_overridden: bool,
}

/// An invitation to an organization, waiting for the person to accept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub org_id: OrgId,
    /// Lower-cased, as the admin typed it.
    pub email: String,
    pub role: Role,
    pub invited_by: Option<UserId>,
    pub created_at: OffsetDateTime,
}

/// One of an organization's email domains, with its latest check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailDomain {
    pub org_id: OrgId,
    /// Lower case, without a trailing dot.
    pub domain: String,
    pub dkim_selectors: Vec<String>,
    pub added_at: OffsetDateTime,
    pub checked_at: Option<OffsetDateTime>,
    /// The latest check's report, as JSON (hicp-email's `Report`).
    pub check_json: Option<String>,
}

/// One host of a scan, and when it was scanned: the findings of a scan are kept per host
/// and kind of scanner (`nessus`, `openvas`, `qualys`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedHost {
    pub scanner_kind: String,
    pub host: String,
    pub scanned_on: Date,
    pub source_sha256: String,
}

/// The KEV catalog an organization imported last: what its open findings are flagged
/// against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevList {
    /// The catalog's own version (`catalogVersion`), when it gives one.
    pub version: Option<String>,
    pub source_sha256: String,
    /// The CVE ids it lists.
    pub cves: Vec<String>,
}

/// A user's role in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Manages users and the organization.
    Admin,
    /// Edits answers, evidence and the plan.
    Assessor,
    /// Reads only.
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Assessor => "assessor",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "assessor" => Some(Role::Assessor),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    /// Admins and assessors may change assessment data.
    pub fn can_edit(self) -> bool {
        matches!(self, Role::Admin | Role::Assessor)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A member of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

// ---------------------------------------------------------------------------------------
// Sessions and login throttling
// ---------------------------------------------------------------------------------------

/// What a signed-in request needs to be authorized, read in one round trip: a live
/// session, its user and, when the request names an organization, the user's place in it.
#[derive(Debug, Clone)]
pub struct Visit {
    pub session: Session,
    pub user: User,
    /// `None` when no organization was asked for or it does not exist.
    pub org: Option<OrgVisit>,
}

/// An organization as a write transaction locked it ([`Tx::lock_organization`]).
#[derive(Debug, Clone)]
pub struct LockedOrganization {
    pub org: Organization,
    /// Its open assessment when the lock was taken, if it had one.
    pub open_assessment: Option<Assessment>,
}

/// An organization as a visit reads it.
#[derive(Debug, Clone)]
pub struct OrgVisit {
    pub org: Organization,
    /// The user's role in it (`None`: not a member).
    pub role: Option<Role>,
    /// Its open assessment, if it has one.
    pub assessment: Option<Assessment>,
}

/// A login session. The cookie carries a random secret; the store only sees its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id_hash: String,
    pub user_id: UserId,
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// The password was right, the second factor is still due.
    pub mfa_pending: bool,
    /// Opened through this single sign-on provider (by its id).
    pub sso_provider: Option<String>,
    /// That provider vouches for a second factor.
    pub idp_mfa: bool,
}

#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub user_id: &'a UserId,
    pub csrf_token: &'a str,
    pub expires_at: OffsetDateTime,
    pub mfa_pending: bool,
    pub sso_provider: Option<&'a str>,
    pub idp_mfa: bool,
}

/// A single sign-on under way at an identity provider (see migration 0007).
#[derive(Debug, Clone)]
pub struct SsoLogin {
    /// SHA-256 of the `state` the browser brings back.
    pub state_hash: String,
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub expires_at: OffsetDateTime,
}

/// What a one-time link is for (see migration 0012).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// A new person chooses a password and joins the organization that invited them.
    Join,
    /// A person whose password an administrator reset chooses a new one.
    Reset,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Join => "join",
            LinkPurpose::Reset => "reset",
        }
    }
}

/// A one-time link sent by email (the store keeps only the SHA-256 of its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeLink {
    pub token_hash: String,
    pub purpose: LinkPurpose,
    /// Lower-cased.
    pub email: String,
    /// The account whose password a reset link sets.
    pub user_id: Option<UserId>,
    /// The organization a join link joins.
    pub org_id: Option<OrgId>,
    /// The name the inviting admin typed, for the account a join link makes.
    pub display_name: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
    /// When the invitation of a join link was withdrawn: the link no longer works.
    pub withdrawn_at: Option<OffsetDateTime>,
}

/// A personal API token (the store keeps only the SHA-256 of its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    /// May only read, whatever the user's roles.
    pub read_only: bool,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone)]
pub struct NewApiToken<'a> {
    pub user_id: &'a UserId,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub read_only: bool,
}

// ---------------------------------------------------------------------------------------
// Assessments, answers, sub-practices
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssessmentStatus {
    Open,
    /// Closed as a dated snapshot; its answers can no longer change.
    Closed,
}

impl AssessmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AssessmentStatus::Open => "open",
            AssessmentStatus::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub id: AssessmentId,
    pub org_id: OrgId,
    pub name: String,
    /// The tier the assessment started from.
    pub tier: Tier,
    pub status: AssessmentStatus,
    pub created_by: Option<UserId>,
    pub created_at: OffsetDateTime,
    pub closed_at: Option<OffsetDateTime>,
    pub closed_by: Option<UserId>,
    /// The scored result at closing time, as JSON text (the web app owns the shape).
    pub snapshot_json: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewAssessment<'a> {
    pub org_id: &'a OrgId,
    pub name: &'a str,
    pub tier: Tier,
    pub created_by: &'a UserId,
}

/// The answer to one criterion of one assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub assessment_id: AssessmentId,
    pub criterion_id: CriterionId,
    pub status: Status,
    pub na_reason: Option<String>,
    pub notes: Option<String>,
    pub owner: Option<String>,
    pub in_place_since: Option<Date>,
    pub updated_by: Option<UserId>,
    pub updated_at: OffsetDateTime,
    /// Starts at 1 and grows by one on every save.
    pub version: i64,
}

/// What a user sets when answering a criterion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerInput {
    pub status: Status,
    pub na_reason: Option<String>,
    pub notes: Option<String>,
    pub owner: Option<String>,
    pub in_place_since: Option<Date>,
}

impl AnswerInput {
    /// Just a status: no reason, notes, owner or date.
    pub fn new(status: Status) -> AnswerInput {
        AnswerInput {
            status,
            na_reason: None,
            notes: None,
            owner: None,
            in_place_since: None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Evidence
// ---------------------------------------------------------------------------------------

/// What a piece of evidence is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceContent {
    /// An uploaded file. Its bytes are stored in the database.
    File {
        file_name: String,
        content_type: String,
        bytes: Vec<u8>,
        /// Lower-case hex SHA-256 computed by the caller; the store computes it anyway
        /// and rejects a mismatch.
        sha256: Option<String>,
    },
    /// A link to where the evidence lives.
    Link { url: String },
}

#[derive(Debug, Clone)]
pub struct NewEvidence<'a> {
    pub assessment_id: &'a AssessmentId,
    /// The criterion it supports, if any.
    pub criterion_id: Option<&'a CriterionId>,
    /// The plan action it supports, if any (e.g. when the action was marked done).
    pub action_id: Option<&'a ActionId>,
    pub title: &'a str,
    pub content: EvidenceContent,
    pub collected_on: Option<Date>,
    pub valid_until: Option<Date>,
    pub added_by: &'a UserId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceKind {
    File,
    Link,
}

/// Evidence metadata (the bytes are fetched separately with `Store::evidence_file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub id: EvidenceId,
    /// Evidence belongs to the organization: it stays with its criterion from one
    /// assessment to the next.
    pub org_id: OrgId,
    /// The assessment during which it was added.
    pub assessment_id: AssessmentId,
    pub criterion_id: Option<CriterionId>,
    pub action_id: Option<ActionId>,
    pub title: String,
    pub kind: EvidenceKind,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    /// Bytes (0 for links).
    pub size: i64,
    pub sha256: Option<String>,
    pub url: Option<String>,
    pub collected_on: Option<Date>,
    pub valid_until: Option<Date>,
    pub added_by: Option<UserId>,
    pub added_at: OffsetDateTime,
}

/// The stored bytes of a file evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFile {
    pub file_name: String,
    pub content_type: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

// ---------------------------------------------------------------------------------------
// Plan actions
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionStatus {
    Open,
    InProgress,
    Done,
    /// Requires a reason.
    RiskAccepted,
}

impl ActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::InProgress => "in_progress",
            ActionStatus::Done => "done",
            ActionStatus::RiskAccepted => "risk_accepted",
        }
    }

    pub fn parse(s: &str) -> Option<ActionStatus> {
        match s {
            "open" => Some(ActionStatus::Open),
            "in_progress" => Some(ActionStatus::InProgress),
            "done" => Some(ActionStatus::Done),
            "risk_accepted" => Some(ActionStatus::RiskAccepted),
            _ => None,
        }
    }
}

impl fmt::Display for ActionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The tracking of one catalog action for one organization. It belongs to the
/// organization, not to an assessment, so that work in progress carries over to the next
/// assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionTrack {
    pub org_id: OrgId,
    pub action_id: ActionId,
    pub owner: Option<String>,
    pub due_on: Option<Date>,
    pub status: ActionStatus,
    pub reason: Option<String>,
    pub updated_by: Option<UserId>,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionInput {
    pub owner: Option<String>,
    pub due_on: Option<Date>,
    pub status: ActionStatus,
    pub reason: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Audit log
// ---------------------------------------------------------------------------------------

/// One recorded change: who changed which field of what, from what to what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Increases with every entry: the order of the log.
    pub seq: i64,
    pub at: OffsetDateTime,
    pub user_id: Option<UserId>,
    pub org_id: Option<OrgId>,
    /// `user`, `organization`, `membership`, `assessment`, `answer`, `sub_practice`,
    /// `evidence`, `action`, or anything the caller records.
    pub entity: String,
    pub entity_id: String,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewAuditEntry<'a> {
    pub user_id: Option<&'a UserId>,
    pub org_id: Option<&'a OrgId>,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub field: &'a str,
    pub old_value: Option<&'a str>,
    pub new_value: Option<&'a str>,
}

/// Which audit entries to list (newest first). `None` fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter<'a> {
    pub org_id: Option<&'a OrgId>,
    pub user_id: Option<&'a UserId>,
    pub entity: Option<&'a str>,
    pub entity_id: Option<&'a str>,
    /// Only entries with a smaller `seq` (for paging).
    pub before_seq: Option<i64>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
}
