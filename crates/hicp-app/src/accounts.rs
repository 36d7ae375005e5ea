//! Accounts: first-run setup, sign-in with throttling, sessions, members.

use crate::App;
use crate::access::{InstallationAdmin, Manage, OrgAccess, Principal};
use crate::error::{Error, Problem, Result};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use hicp_store::{NewSession, NewUser, OffsetDateTime, Role, Session, User};
use time::Duration;

/// Shortest password we accept; long passphrases beat complexity rules (NIST SP 800-63B).
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Failed sign-ins allowed per email in [`LOCKOUT_WINDOW_MINUTES`] before sign-in is refused.
pub const MAX_FAILURES: u64 = 5;
pub const LOCKOUT_WINDOW_MINUTES: i64 = 15;

/// Why a new password is refused, if it is.
pub fn password_problem(password: &str) -> Option<Problem> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        Some(Problem::TooShort {
            min: MIN_PASSWORD_CHARS,
        })
    } else if n > MAX_PASSWORD_CHARS {
        Some(Problem::TooLong {
            max: MAX_PASSWORD_CHARS,
        })
    } else {
        None
    }
}

/// An argon2id PHC string (default parameters: 19 MiB, 2 passes, 1 lane). CPU-heavy: the
/// use cases run it on a blocking thread.
pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| Error::Internal("could not hash the password".into()))
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash nobody's password matches, verified when the email is unknown so that a wrong
/// email takes as long as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password, only for timing").unwrap_or_default())
}

/// 32 random bytes, hex-encoded: session secrets and CSRF tokens.
pub fn random_token() -> Result<String> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf)
        .map_err(|_| Error::Internal("the system random number generator failed".into()))?;
    Ok(hex::encode(buf))
}

/// What the database keeps of a secret token: its SHA-256, so a leaked table gives none.
pub fn token_digest(token: &str) -> String {
    hicp_store::sha256_hex(token.as_bytes())
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("worker failed: {e}")))
}

fn check_new_account(email: &str, name: &str, password: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    if name.trim().is_empty() {
        return Err(Error::invalid("display_name", Problem::Required));
    }
    if !email.contains('@') || email.chars().any(char::is_whitespace) {
        return Err(Error::invalid("email", Problem::Malformed));
    }
    if let Some(p) = password_problem(password) {
        return Err(Error::invalid("password", p));
    }
    Ok(email)
}

/// A new session: the secret for the cookie (shown once) and the session as stored.
pub struct SignedIn {
    pub secret: String,
    pub session: Session,
    pub user: User,
}

/// The result of adding someone to an organization.
#[derive(Debug)]
pub struct MemberAdded {
    pub user: User,
    pub role: Role,
    /// A new account was made for them.
    pub created: bool,
}

impl App {
    /// Whether first-run setup is still due (no account exists).
    pub async fn setup_due(&self) -> Result<bool> {
        Ok(self.store().count_users().await? == 0)
    }

    /// First-run setup: creates the first installation administrator and signs them in.
    /// Exactly one setup succeeds, however many run at once; the others get `SetupDone`.
    pub async fn setup(&self, email: &str, name: &str, password: &str) -> Result<SignedIn> {
        let email = check_new_account(email, name, password)?;
        let password = password.to_owned();
        let hash = blocking(move || hash_password(&password)).await??;
        let mut tx = self.store().begin().await?;
        tx.lock_installation().await?;
        if tx.count_users().await? > 0 {
            return Err(Error::SetupDone);
        }
        let user = tx
            .create_user(&NewUser {
                email: &email,
                display_name: name.trim(),
                password_hash: &hash,
                is_admin: true,
            })
            .await?;
        let signed_in = self.open_session(&mut tx, user).await?;
        tx.commit().await?;
        Ok(signed_in)
    }

    /// Creates an account from the command line (or by an installation admin). The first
    /// account of an installation is always an administrator: someone has to manage it.
    pub async fn create_user(
        &self,
        _admin: &InstallationAdmin,
        email: &str,
        name: &str,
        password: &str,
        is_admin: bool,
    ) -> Result<User> {
        let email = check_new_account(email, name, password)?;
        let password = password.to_owned();
        let hash = blocking(move || hash_password(&password)).await??;
        let mut tx = self.store().begin().await?;
        tx.lock_installation().await?;
        if tx.user_by_email(&email).await?.is_some() {
            return Err(Error::invalid("email", Problem::AlreadyApplies));
        }
        let first = tx.count_users().await? == 0;
        let user = tx
            .create_user(&NewUser {
                email: &email,
                display_name: name.trim(),
                password_hash: &hash,
                is_admin: is_admin || first,
            })
            .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Signs in with email and password. After [`MAX_FAILURES`] failures for an email in
    /// [`LOCKOUT_WINDOW_MINUTES`], sign-in is refused (`Throttled`) without checking.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<SignedIn> {
        let email = email.trim().to_lowercase();
        let key = format!("email:{email}");
        let now = OffsetDateTime::now_utc();
        let since = now - Duration::minutes(LOCKOUT_WINDOW_MINUTES);
        let store = self.store();
        if store.count_login_failures(&key, since).await? >= MAX_FAILURES {
            return Err(Error::Throttled);
        }
        let user = store.user_by_email(&email).await?;
        let hash = user
            .as_ref()
            .map_or_else(|| dummy_hash().to_owned(), |u| u.password_hash.clone());
        let password = password.to_owned();
        let ok = blocking(move || verify_password(&password, &hash)).await?;
        match user {
            Some(user) if ok => {
                let mut tx = store.begin().await?;
                tx.clear_login_failures(&key).await?;
                let signed_in = self.open_session(&mut tx, user).await?;
                tx.commit().await?;
                Ok(signed_in)
            }
            _ => {
                store.record_login_failure(&key, now).await?;
                Err(Error::BadCredentials)
            }
        }
    }

    async fn open_session(&self, tx: &mut hicp_store::Tx, user: User) -> Result<SignedIn> {
        let secret = random_token()?;
        let csrf = random_token()?;
        let expires = OffsetDateTime::now_utc() + Duration::hours(self.settings().session_hours);
        let session = tx
            .create_session(&NewSession {
                id_hash: &token_digest(&secret),
                user_id: &user.id,
                csrf_token: &csrf,
                expires_at: expires,
            })
            .await?;
        Ok(SignedIn {
            secret,
            session,
            user,
        })
    }

    /// The principal of a live session, by the secret its cookie holds. The expiry slides,
    /// written at most once a minute to spare the database.
    pub async fn session(&self, secret: &str) -> Result<Option<(Principal, Session)>> {
        let now = OffsetDateTime::now_utc();
        let digest = token_digest(secret);
        let mut c = self.store().conn().await?;
        let Some(session) = c.session(&digest, now).await? else {
            return Ok(None);
        };
        let Some(user) = c.user(&session.user_id).await? else {
            return Ok(None);
        };
        if now - session.last_seen_at > Duration::minutes(1) {
            let expires = now + Duration::hours(self.settings().session_hours);
            c.touch_session(&digest, now, expires).await?;
        }
        Ok(Some((Principal::new(user, false), session)))
    }

    /// Ends the session whose cookie holds `secret`.
    pub async fn sign_out(&self, secret: &str) -> Result<()> {
        self.store().delete_session(&token_digest(secret)).await?;
        Ok(())
    }

    /// Display names of users, for "changed by" lines (unknown ids are left out).
    pub async fn user_names(
        &self,
        ids: &[hicp_store::UserId],
    ) -> Result<std::collections::HashMap<hicp_store::UserId, String>> {
        let mut c = self.store().conn().await?;
        let mut names = std::collections::HashMap::new();
        for id in ids {
            if !names.contains_key(id)
                && let Some(u) = c.user(id).await?
            {
                names.insert(id.clone(), u.display_name);
            }
        }
        Ok(names)
    }

    /// Every account, by email (for the command line).
    pub async fn users(&self, _admin: &InstallationAdmin) -> Result<Vec<User>> {
        Ok(self.store().list_users().await?)
    }

    /// The members of an organization, by email.
    pub async fn members<L: crate::Level>(
        &self,
        access: &OrgAccess<L>,
    ) -> Result<Vec<hicp_store::Member>> {
        Ok(self.store().members(access.org_id()).await?)
    }

    /// Gives `email` the role `role` in the organization; an unknown email gets a new
    /// account with `first_password`.
    pub async fn add_member(
        &self,
        access: &OrgAccess<Manage>,
        email: &str,
        name: &str,
        role: Role,
        first_password: &str,
    ) -> Result<MemberAdded> {
        let email = email.trim().to_lowercase();
        if !email.contains('@') || email.chars().any(char::is_whitespace) {
            return Err(Error::invalid("email", Problem::Malformed));
        }
        let existing = self.store().user_by_email(&email).await?;
        let hash = if existing.is_none() {
            let email = check_new_account(&email, name, first_password)?;
            let password = first_password.to_owned();
            Some((email, blocking(move || hash_password(&password)).await??))
        } else {
            None
        };
        let mut tx = self.store().begin().await?;
        let (user, created) = match (tx.user_by_email(&email).await?, hash) {
            (Some(u), _) => (u, false),
            (None, Some((email, hash))) => {
                let u = tx
                    .create_user(&NewUser {
                        email: &email,
                        display_name: name.trim(),
                        password_hash: &hash,
                        is_admin: false,
                    })
                    .await?;
                (u, true)
            }
            // The account was deleted between the two reads: ask again.
            (None, None) => return Err(Error::NotFound),
        };
        tx.grant_role(access.org_id(), &user.id, role, &access.user().id)
            .await?;
        tx.commit().await?;
        Ok(MemberAdded {
            user,
            role,
            created,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery staple", &h));
        assert!(!verify_password("correct horse battery stapler", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert_eq!(
            password_problem("short"),
            Some(Problem::TooShort { min: 12 })
        );
        assert!(password_problem("a long enough passphrase").is_none());
    }

    #[test]
    fn tokens_are_random_and_digested() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_digest("x").len(), 64);
    }
}
