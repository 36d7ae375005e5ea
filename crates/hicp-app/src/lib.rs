//! The application layer of HICP Toolkit: every user action is one use case here.
//!
//! - Each use case runs as **one transaction** ([`hicp_store::Tx`]): it makes all of its
//!   changes or none, and it reads what it decides on inside that transaction.
//! - Each takes a typed context that proves the caller's right to act
//!   ([`OrgAccess`] at a [`Level`], [`InstallationAdmin`]); only this crate makes them.
//! - Results and refusals are values ([`Error`], outcome structs), not sentences: web
//!   pages, the REST API and the CLI are thin adapters that choose the words.
//!
//! Only this crate calls the store, apart from the binary's database upkeep (`migrate`,
//! `backup`, `restore`) and opening the database.

mod access;
mod accounts;
mod assessment;
mod email;
mod error;
mod evidence_import;
mod import;
mod links;
mod mail;
mod mfa;
mod orgs;
mod portfolio;
mod snapshots;
mod sso;
mod tokens;
mod views;

pub use access::{Edit, InstallationAdmin, Level, Manage, OrgAccess, Principal, Read, Visit};
pub use accounts::{
    FIRST_DELAY_SECONDS, FREE_FAILURES, MAX_ADDRESS_FAILURES, MAX_PASSWORD_CHARS,
    MIN_PASSWORD_CHARS, MIN_PASSWORD_CHARS_WITH_MFA, SignedIn, THROTTLE_WINDOW_MINUTES,
    hash_password, password_problem, random_bytes, random_token, throttle_wait, token_digest,
};
pub use assessment::{
    ALLOWED_UPLOADS, Current as CurrentAssessment, EvidenceUpload, Saved, allowed_type,
};
pub use email::{DnsSource, EmailChecked, EmailDomainView, checked_on, report_text};
pub use error::{Current, Error, Problem, Result, SsoRefusal};
pub use evidence_import::{
    Accept, Accepted, EvidenceFileUpload, EvidenceImported, FindingsKept, KevKept, KevUsed,
    Suggestion,
};
pub use import::ImportOutcome;
pub use links::{Emailed, Invited, LinkRefusal, LinkUsed, LinkView};
pub use mail::{LINK_HOURS, Mail, MailError, Mailer, Notice, Outbox, SendFuture, link_path};
pub use mfa::{Enrolment, RECOVERY_CODES};
pub use orgs::{TierSource, profile_of, threat_weights_of};
pub use portfolio::{OrgSummary, RollUp, ThreatLine, size_weight};
pub use snapshots::{Closed, ScoreLine, Snapshot, TrackedAction, snapshot_of};
pub use sso::{SSO_LOGIN_MINUTES, SsoProviders, SsoStart};
pub use tokens::{NewToken, TOKEN_PREFIX};
pub use views::AssessmentView;

/// The stored values the adapters read (re-exported so that they need not know the store).
pub use hicp_store::{
    ActionInput, ActionStatus, ActionTrack, Answer, AnswerInput, ApiToken, Assessment,
    AssessmentId, AssessmentStatus, AuditEntry, Date, EmailDomain, Evidence, EvidenceContent,
    EvidenceFile, EvidenceId, EvidenceKind, Invitation, Member, OffsetDateTime, OrgId,
    Organization, Role, Session, TokenId, User, UserId,
};

use hicp_core::catalog::Catalog;
use hicp_store::Store;
use std::sync::Arc;

/// Settings of the application.
#[derive(Clone, Debug)]
pub struct Settings {
    /// A session ends after this many minutes without activity...
    pub session_idle_minutes: i64,
    /// ...and at the latest this many hours after sign-in.
    pub session_lifetime_hours: i64,
    /// Every organization of the installation requires two-step sign-in.
    pub require_mfa: bool,
    /// Largest evidence file, in bytes.
    pub max_upload_bytes: usize,
    /// Identity providers people may sign in with (none: passwords only).
    pub sso: SsoProviders,
    /// Where the email domain check reads DNS (none by default).
    pub dns: DnsSource,
    /// The most the cache of computed views holds, in (estimated) bytes.
    pub view_cache_bytes: u64,

    /// Outgoing mail for invitations and password resets (none by default: invitations
    /// then carry a first password given in person, resets a temporary password).
    pub mail: Outbox,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_idle_minutes: 12 * 60,
            session_lifetime_hours: 7 * 24,
            require_mfa: false,
            max_upload_bytes: 10 * 1024 * 1024,
            sso: SsoProviders::default(),
            dns: DnsSource::none(),
            view_cache_bytes: 64 * 1024 * 1024,
            mail: Outbox::default(),
        }
    }
}

struct Inner {
    store: Store,
    catalog: Catalog,
    settings: Settings,
    views: views::ViewCache,
}

/// The application: the store, the catalog and the settings. Cheap to clone.
#[derive(Clone)]
pub struct App(Arc<Inner>);

impl App {
    pub fn new(store: Store, catalog: Catalog, settings: Settings) -> App {
        App(Arc::new(Inner {
            store,
            catalog,
            views: views::ViewCache::new(settings.view_cache_bytes),
            settings,
        }))
    }

    pub fn catalog(&self) -> &Catalog {
        &self.0.catalog
    }

    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    pub(crate) fn store(&self) -> &Store {
        &self.0.store
    }

    pub(crate) fn views(&self) -> &views::ViewCache {
        &self.0.views
    }

    /// Whether the database answers (for health checks).
    pub async fn ping(&self) -> Result<()> {
        Ok(self.store().ping().await?)
    }
}

/// Today (UTC).
pub fn today() -> Date {
    date_of(OffsetDateTime::now_utc())
}

/// A moment as RFC 3339 text (`2026-03-01T09:00:00Z`), as the API and the CLI's JSON give it.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The calendar date (UTC) of a moment.
pub fn date_of(t: OffsetDateTime) -> Date {
    let d = t.to_offset(time::UtcOffset::UTC).date();
    Date::new(d.year(), u8::from(d.month()), d.day()).expect("a timestamp has a calendar date")
}
