//! What a use case can refuse, as values: the adapters (web pages, API, CLI) choose the words.

use hicp_core::assessment::AnswersError;
use hicp_core::catalog::Tier;
use hicp_store::{ActionTrack, Answer, StoreError};

/// Why a use case did nothing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing does not exist, or the caller may not know of it (another tenant's
    /// organization answers the same as one that does not exist).
    #[error("not found")]
    NotFound,
    /// The caller can see it, but their role (or a read-only token) does not allow this.
    #[error("forbidden")]
    Forbidden,
    /// A value is not acceptable.
    #[error("invalid {field}: {problem:?}")]
    Invalid {
        field: &'static str,
        problem: Problem,
    },
    /// An answers file that does not validate; nothing was applied.
    #[error("{0}")]
    InvalidFile(AnswersError),
    /// A technical evidence file (`field`: `file`, or `kev` for the KEV catalog) that cannot
    /// be read; nothing was stored.
    #[error("{field}: {error}")]
    InvalidEvidence {
        field: &'static str,
        error: hicp_evidence::Error,
    },
    /// An answers file for another tier, imported by someone who may not resize.
    #[error("the file is for a {file:?} organization, the organization is {org:?}")]
    TierNeedsAdmin { file: Tier, org: Tier },
    /// The version named is not the current one: someone else saved first, or the version
    /// never existed. Carries the current value (`None`: nothing saved yet).
    #[error("stale version")]
    Stale(Box<Current>),
    /// The assessment is a closed snapshot.
    #[error("the assessment is closed")]
    AssessmentClosed,
    /// First-run setup was already done.
    #[error("setup is already done")]
    SetupDone,
    /// Too many failed sign-ins: try again after this many seconds.
    #[error("too many failed attempts")]
    Throttled { retry_after_seconds: u64 },
    /// The password is right, but the account is disabled.
    #[error("the account is disabled")]
    AccountDisabled,
    /// The organization requires a second factor and the account has none.
    #[error("the organization requires multifactor sign-in")]
    MfaRequired,
    /// The email and password do not match an account.
    #[error("email and password do not match")]
    BadCredentials,
    /// A single sign-on that did not sign anyone in.
    #[error("single sign-on refused: {0:?}")]
    SsoRefused(SsoRefusal),
    /// A one-time link that does nothing, and why.
    #[error("one-time link refused: {0:?}")]
    LinkRefused(crate::LinkRefusal),
    /// Storage failed; the source says why (logged, never shown).
    #[error("storage failed")]
    Store(#[source] StoreError),
    /// Something that should not happen (a failed random generator, a panicked worker).
    #[error("internal error: {0}")]
    Internal(String),
}

/// The current value after a stale save.
#[derive(Debug, Clone, PartialEq)]
pub enum Current {
    Answer(Option<Answer>),
    Action(Option<ActionTrack>),
}

/// Why a single sign-on did not sign anyone in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoRefusal {
    /// The browser came back without a sign-in we started, or after ten minutes, or twice.
    NotStarted,
    /// The provider said no (the person cancelled, or the provider refused); its error code.
    Denied(String),
    /// The provider could not be reached or its answer failed a check (logged, not shown).
    ProviderFailed(String),
    /// The provider gave no email it vouches for.
    NoVerifiedEmail,
    /// The email's domain is not one this provider may sign in.
    DomainNotAllowed,
    /// No account has this email, and the provider may not create accounts.
    NoAccount,
}

/// What is wrong with a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// It must be given.
    Required,
    /// It is not of the right form (an email, a link, a status).
    Malformed,
    /// A date that is after today.
    InFuture,
    /// Fewer characters than `min`.
    TooShort { min: usize },
    /// More than `max` characters or bytes.
    TooLong { max: usize },
    /// A file type that is not accepted.
    TypeNotAllowed,
    /// No such id in the catalog.
    Unknown,
    /// A sub-practice that already applies to the organization's tier (or an email that
    /// already has an account).
    AlreadyApplies,
    /// A sub-practice that cannot be added to the organization's tier.
    NotOptional,
    /// A password that is common, breached, repetitive or made of the account's name.
    Common,
    /// Not the right value (the current password).
    Wrong,
    /// The organization would be left without an admin.
    LastAdmin,
    /// Not allowed on one's own account (disabling it).
    Own,
    /// Requiring a second factor before using one oneself.
    MfaFirst,
    /// A health system inside a health system: a site cannot have sites of its own, and a
    /// health system cannot be a site.
    Nested,
}

impl Error {
    pub(crate) fn invalid(field: &'static str, problem: Problem) -> Error {
        Error::Invalid { field, problem }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        match e {
            StoreError::NotFound => Error::NotFound,
            StoreError::AssessmentClosed => Error::AssessmentClosed,
            StoreError::Conflict(hicp_store::Conflict::Answer(a)) => {
                Error::Stale(Box::new(Current::Answer(Some(*a))))
            }
            StoreError::Conflict(hicp_store::Conflict::Action(a)) => {
                Error::Stale(Box::new(Current::Action(Some(*a))))
            }
            e => Error::Store(e),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
