//! Outgoing email over SMTP: the adapter of the application's mail port
//! ([`hicp_app::Mailer`]), and the words of the emails it sends.
//!
//! The server is named by a URL (`--smtp-url`), as `lettre` reads it:
//! - `smtps://user:password@host:465`: TLS from the first byte;
//! - `smtp://user:password@host:587?tls=required`: STARTTLS, refused without it;
//! - `smtp://host:25`: no TLS (a relay on the same host or network only).
//!
//! TLS is rustls (aws-lc-rs) with the system's root certificates; no OpenSSL.

use hicp_app::{Mail, MailError, Mailer, Notice, SendFuture};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

/// How long one email may take, connection included.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// Why the mail settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The SMTP URL does not parse (its text is not repeated: it may hold a password).
    #[error(
        "--smtp-url: not an SMTP server address we can use ({0}); for example smtps://USER:PASSWORD@HOST:465"
    )]
    Url(String),
    #[error("--mail-from: '{0}' is not an email address (e.g. HICP Toolkit <hicp@example.org>)")]
    From(String),
}

/// Sends email through one SMTP server.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// A mailer for the server at `url` (see the crate's documentation), sending as `from`
    /// (`hicp@example.org` or `HICP Toolkit <hicp@example.org>`). Nothing is connected yet.
    pub fn new(url: &str, from: &str) -> Result<SmtpMailer, ConfigError> {
        let from: Mailbox = from
            .trim()
            .parse()
            .map_err(|_| ConfigError::From(from.to_owned()))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.trim())
            .map_err(|e| ConfigError::Url(e.to_string()))?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        Ok(SmtpMailer { transport, from })
    }

    async fn deliver(&self, mail: &Mail) -> Result<(), MailError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| MailError(format!("'{}' is not an email address", mail.to)))?;
        let (subject, body) = words(&mail.notice);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| MailError(format!("the email could not be made: {e}")))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError(format!("the mail server did not take it: {e}")))
    }
}

impl Mailer for SmtpMailer {
    fn send<'a>(&'a self, mail: &'a Mail) -> SendFuture<'a> {
        Box::pin(self.deliver(mail))
    }
}

/// The subject and plain-text body of an email.
pub fn words(notice: &Notice) -> (String, String) {
    match notice {
        Notice::JoinLink {
            org_name,
            role,
            invited_by,
            link,
            expires_hours,
        } => (
            format!("You are invited to {org_name} on HICP Toolkit"),
            format!(
                "Hello,\n\n\
                 {invited_by} invites you to join {org_name} on HICP Toolkit as {role}.\n\n\
                 To accept, open this link, choose your password and join:\n\n\
                 {link}\n\n\
                 The link works once, for {expires_hours} hours. If you did not expect this \
                 invitation, you can ignore this email: nothing happens without you.\n"
            ),
        ),
        Notice::Invitation {
            org_name,
            role,
            invited_by,
            sign_in,
        } => (
            format!("You are invited to {org_name} on HICP Toolkit"),
            format!(
                "Hello,\n\n\
                 {invited_by} invites you to join {org_name} on HICP Toolkit as {role}.\n\n\
                 Sign in with your account; the invitation waits on your home page, where \
                 you can accept or decline it:\n\n\
                 {sign_in}\n\n\
                 If you did not expect this invitation, you can ignore this email: nothing \
                 happens without you.\n"
            ),
        ),
        Notice::ResetLink {
            link,
            expires_hours,
        } => (
            "Choose a new password for HICP Toolkit".to_owned(),
            format!(
                "Hello,\n\n\
                 An administrator of HICP Toolkit reset your password. Open this link to \
                 choose a new one:\n\n\
                 {link}\n\n\
                 The link works once, for {expires_hours} hours. When you use it, every \
                 session of your account ends. Until then your password is unchanged.\n"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_are_named_and_the_url_is_not_repeated() {
        let e = SmtpMailer::new("smtp://", "hicp@example.org")
            .err()
            .expect("refused");
        assert!(e.to_string().starts_with("--smtp-url: "), "{e}");
        let e = SmtpMailer::new("smtp://127.0.0.1:2525", "not an address")
            .err()
            .expect("refused");
        assert!(e.to_string().contains("--mail-from"), "{e}");
        assert!(SmtpMailer::new("smtp://127.0.0.1:2525", "HICP <hicp@example.org>").is_ok());
    }

    #[test]
    fn every_notice_has_its_link_on_a_line_of_its_own() {
        let (subject, body) = words(&Notice::JoinLink {
            org_name: "Maple Clinic".into(),
            role: "viewer".into(),
            invited_by: "Dana".into(),
            link: "https://hicp.example/link/abc".into(),
            expires_hours: 72,
        });
        assert!(subject.contains("Maple Clinic"));
        assert!(body.contains("\n\nhttps://hicp.example/link/abc\n\n"));
        let (_, body) = words(&Notice::ResetLink {
            link: "https://hicp.example/link/xyz".into(),
            expires_hours: 72,
        });
        assert!(body.contains("\n\nhttps://hicp.example/link/xyz\n\n"));
    }
}
