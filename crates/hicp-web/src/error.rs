//! One error type for handlers, turned into a page without leaking internals, and the
//! words for what the application layer refuses.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use hicp_app::{Error, Problem};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// Signed in, but this user may not do this here.
    #[error("forbidden")]
    Forbidden,
    /// The organization requires two-step sign-in and this account has none.
    #[error("multifactor sign-in required")]
    MfaRequired,
    /// A state-changing request without the right CSRF token, or from another site.
    #[error("csrf: {0}")]
    Csrf(&'static str),
    /// A change sent from a page whose session has ended (expired, or signed out
    /// elsewhere): the page keeps the input and offers to sign in again.
    #[error("signed out")]
    SignedOut,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Someone else changed it first (shown in words).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A part of the product this server was built without (a cargo feature turned off),
    /// named in words: "PDF reports".
    #[cfg_attr(feature = "pdf", allow(dead_code))]
    #[error("not built: {0}")]
    NotBuilt(&'static str),
    /// The cause, with its chain of sources; logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn internal(e: impl std::error::Error) -> AppError {
        AppError::Internal(chain(&e))
    }
}

/// An error and its sources, "outer: inner: innermost", for the log.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        cur = inner.source();
    }
    s
}

/// The words for a refused value of form field `field`.
pub fn problem_words(field: &str, problem: &Problem) -> String {
    let label = match field {
        "na_reason" => "Why it does not apply",
        "in_place_since" => "In place since",
        "collected_on" => "Collected on",
        "valid_until" => "Valid until",
        "display_name" => "Name",
        "email" => "Email",
        "password" => "Password",
        "title" => "What is it?",
        "url" => "Link",
        "file" => "File",
        "status" => "Answer",
        "reason" => "Reason",
        "evidence" => "Proof",
        "criterion" => "Criterion",
        "sub_practice" => "Sub-practice",
        "name" => "Name",
        "threat_weights" => "Threat weights",
        "parent" => "Health system",
        other => other,
    };
    let what = match (field, problem) {
        ("na_reason", Problem::Required) => "say why it does not apply.".to_owned(),
        ("reason", Problem::Required) => "accepting a risk needs a reason.".to_owned(),
        ("evidence", Problem::Required) => {
            "say what proves it is done (a link, or where the proof is kept).".to_owned()
        }
        ("email", Problem::AlreadyApplies) => "an account with this email exists.".to_owned(),
        ("url", Problem::Malformed) => "the link must start with https:// or http://.".to_owned(),
        ("email", Problem::Malformed) => "enter an email address.".to_owned(),
        ("password", Problem::Common) => {
            "this password is too easy to guess: it is on a list of common or leaked passwords, repeats one character, or contains your email's name. A few unrelated words make a good one.".to_owned()
        }
        ("current_password", Problem::Wrong) => "your current password is not right.".to_owned(),
        ("code", Problem::Wrong) => {
            "that code is not right, or was already used. Codes change every 30 seconds: use the current one.".to_owned()
        }
        (_, Problem::Common) => "this value is too easy to guess.".to_owned(),
        (_, Problem::Wrong) => "this is not right.".to_owned(),
        (_, Problem::LastAdmin) => {
            "the organization must keep at least one admin: make someone else admin first.".to_owned()
        }
        ("parent", Problem::Own) => "an organization cannot be its own site.".to_owned(),
        (_, Problem::Own) => "you cannot do this to your own account.".to_owned(),
        (_, Problem::Nested) => {
            "a member site cannot have sites of its own, and a health system with sites cannot be a site.".to_owned()
        }
        (_, Problem::MfaFirst) => {
            "turn on two-step sign-in for your own account first (under Account), so that you are not locked out.".to_owned()
        }
        (_, Problem::Required) => "this is required.".to_owned(),
        (_, Problem::Malformed) => "this is not a value we understand.".to_owned(),
        (_, Problem::InFuture) => "this date is in the future.".to_owned(),
        (_, Problem::TooShort { min }) => {
            format!("use at least {min} characters; a short sentence is easy to remember.")
        }
        ("file", Problem::TooLong { max }) => {
            format!("the file is larger than {} MB.", max / (1024 * 1024))
        }
        (_, Problem::TooLong { max }) => format!("use at most {max} characters."),
        (_, Problem::TypeNotAllowed) => {
            "that file type is not accepted. Use PDF, PNG, JPEG, text, CSV or an Office document."
                .to_owned()
        }
        (_, Problem::Unknown) => "unknown.".to_owned(),
        (_, Problem::AlreadyApplies) => {
            "it already applies to an organization of this size.".to_owned()
        }
        (_, Problem::NotOptional) => {
            "it cannot be added to an organization of this size.".to_owned()
        }
    };
    format!("{label}: {what}")
}

/// The words for a technical evidence file that cannot be read (`field`: `file` or `kev`).
pub fn evidence_words(field: &str, error: &hicp_evidence::Error) -> String {
    let which = if field == "kev" {
        "The KEV catalog"
    } else {
        "The file"
    };
    let what = match error {
        hicp_evidence::Error::Empty => "is empty.".to_owned(),
        hicp_evidence::Error::Unrecognized(why) => format!(
            "is not a kind of file we can read ({why}). We read Nessus, Tenable, Greenbone/OpenVAS and Qualys scans, XCCDF and mSCP compliance results, asset inventories (CSV) and DMARC aggregate reports."
        ),
        hicp_evidence::Error::WrongKind { expected, found } => {
            format!("is {found}, not {expected}.")
        }
        other => format!("cannot be read: {other}."),
    };
    format!("{which} {what}")
}

impl From<Error> for AppError {
    fn from(e: Error) -> AppError {
        match e {
            Error::NotFound => AppError::NotFound,
            Error::Forbidden => AppError::Forbidden,
            Error::Invalid { field, problem } => AppError::BadRequest(problem_words(field, &problem)),
            Error::InvalidFile(e) => AppError::BadRequest(e.to_string()),
            Error::InvalidEvidence { field, error } => {
                AppError::BadRequest(evidence_words(field, &error))
            }
            Error::TierNeedsAdmin { file, org } => AppError::BadRequest(format!(
                "The file is for a {} organization, but this one is set up as {}: ask an admin to import it.",
                file.name(),
                org.name()
            )),
            Error::Stale(_) => AppError::Conflict(
                "Someone else changed this while you were editing. Reload the page to see their change."
                    .into(),
            ),
            Error::AssessmentClosed => AppError::Conflict(
                "This assessment is closed and can no longer change.".into(),
            ),
            Error::SetupDone => AppError::Conflict("Setup is already done.".into()),
            Error::Throttled { .. } => AppError::BadRequest("Too many failed attempts.".into()),
            Error::AccountDisabled => AppError::Forbidden,
            Error::MfaRequired => AppError::MfaRequired,
            Error::BadCredentials => {
                AppError::BadRequest("That email and password do not match an account.".into())
            }
            // The sign-in page words these itself; elsewhere it cannot happen.
            Error::SsoRefused(_) => AppError::Forbidden,
            // The link's page words these itself.
            Error::LinkRefused(_) => AppError::NotFound,
            e @ (Error::Store(_) | Error::Internal(_)) => AppError::internal(e),
        }
    }
}

impl AppError {
    /// A short name of the refusal, sent as the `X-Hicp-Refusal` header so that the page's
    /// script can say why a save failed (and offer to sign in again) without parsing words.
    pub fn refusal(&self) -> &'static str {
        match self {
            AppError::NotFound => "not-found",
            AppError::Forbidden => "forbidden",
            AppError::MfaRequired => "mfa-required",
            AppError::Csrf(_) => "csrf",
            AppError::SignedOut => "signed-out",
            AppError::BadRequest(_) => "bad-request",
            AppError::Conflict(_) => "conflict",
            AppError::NotBuilt(_) => "not-built",
            AppError::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "This page does not exist, or you have no access to it.".to_owned(),
            ),
            // Same words as not found: a user of another organization learns nothing of it.
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "You do not have access to this.".to_owned(),
            ),
            AppError::MfaRequired => (
                StatusCode::FORBIDDEN,
                "This organization asks everyone to sign in in two steps. Turn on two-step sign-in under Account, then come back."
                    .to_owned(),
            ),
            AppError::Csrf(m) => (StatusCode::FORBIDDEN, (*m).to_owned()),
            AppError::SignedOut => (
                StatusCode::FORBIDDEN,
                "You are signed out (your session ended), so this was not saved. Sign in again, then go back to the page, reload it and enter the change again."
                    .to_owned(),
            ),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            AppError::Conflict(m) => (StatusCode::CONFLICT, m.clone()),
            AppError::NotBuilt(what) => (StatusCode::NOT_IMPLEMENTED, not_built_words(what)),
            AppError::Internal(e) => {
                // The request's span carries its id, so the log line names the request.
                tracing::error!(error = %e, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. Your saved work is safe; please try again."
                        .to_owned(),
                )
            }
        };
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{code}</title>\
             <link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body><main><h1>{code}</h1>\
             <p>{msg}</p><p><a href=\"/\">Back to the start page</a></p></main></body></html>",
            code = status.as_u16(),
            msg = escape(&message)
        );
        (status, [("x-hicp-refusal", self.refusal())], Html(body)).into_response()
    }
}

/// The words for a part of the product this server was built without.
pub fn not_built_words(what: &str) -> String {
    format!(
        "This server was built without {what} (cargo feature `pdf` of hicp-web). The HTML report has the same content and prints to PDF from the browser."
    )
}

/// HTML-escapes text for the few places that build HTML outside templates (one
/// implementation, shared with the reports).
pub use hicp_report::escape;

#[cfg(test)]
mod tests {
    use super::*;

    /// A part the server was built without is a plain 501 that names the missing part,
    /// not a 500 or a 404.
    #[test]
    fn not_built_is_501_with_words() {
        let r = AppError::NotBuilt("PDF reports").into_response();
        assert_eq!(r.status(), StatusCode::NOT_IMPLEMENTED);
        assert_eq!(r.headers()["x-hicp-refusal"], "not-built");
        assert!(not_built_words("PDF reports").contains("built without PDF reports"));
    }
}
