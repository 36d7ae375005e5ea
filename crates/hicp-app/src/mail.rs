//! Outbound email: the port the use cases send through ([`Mailer`]), and what they send
//! ([`Notice`], facts only: the adapter, e.g. `hicp-mail`'s SMTP mailer, chooses the words).
//!
//! Mail is sent after the use case's transaction has committed, never inside it: a slow or
//! failing mail server neither holds the database nor undoes a change. A failure is a value
//! of the outcome (and audited), not an error of the use case.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// How long a one-time link works.
pub const LINK_HOURS: i64 = 72;

/// What an email says, as facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// To a person without an account: a one-time link to choose a password and join.
    JoinLink {
        org_name: String,
        role: String,
        invited_by: String,
        link: String,
        expires_hours: i64,
    },
    /// To an existing account: an invitation waits on their home page.
    Invitation {
        org_name: String,
        role: String,
        invited_by: String,
        sign_in: String,
    },
    /// An administrator reset the password: a one-time link to choose a new one.
    ResetLink { link: String, expires_hours: i64 },
}

/// One email to one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub notice: Notice,
}

/// Why an email was not sent (the mail server's words, for the log and the audit).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MailError(pub String);

/// A boxed future, so that a mailer can sit behind `dyn`.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + 'a>>;

/// The outbound port: sends one email, or says why not.
pub trait Mailer: Send + Sync + 'static {
    fn send<'a>(&'a self, mail: &'a Mail) -> SendFuture<'a>;
}

/// The installation's outgoing mail: a mailer and the address people reach the server at
/// (for links), or nothing (then nothing is emailed, and invitations and resets work as
/// without mail). Cheap to clone.
#[derive(Clone, Default)]
pub struct Outbox(Option<(Arc<dyn Mailer>, String)>);

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some((_, url)) => write!(f, "Outbox(mail, links to {url})"),
            None => f.write_str("Outbox(none)"),
        }
    }
}

impl Outbox {
    /// Mail through `mailer`; links point into `public_url` (no trailing `/` needed).
    pub fn new(mailer: Arc<dyn Mailer>, public_url: &str) -> Outbox {
        Outbox(Some((mailer, public_url.trim_end_matches('/').to_owned())))
    }

    /// Whether mail is configured.
    pub fn is_configured(&self) -> bool {
        self.0.is_some()
    }

    pub(crate) fn mailer(&self) -> Option<&dyn Mailer> {
        self.0.as_ref().map(|(m, _)| m.as_ref())
    }

    /// The address of `path` on this server.
    pub(crate) fn url(&self, path: &str) -> String {
        match &self.0 {
            Some((_, base)) => format!("{base}{path}"),
            None => path.to_owned(),
        }
    }
}

/// The path of a one-time link's page.
pub fn link_path(token: &str) -> String {
    format!("/link/{token}")
}
