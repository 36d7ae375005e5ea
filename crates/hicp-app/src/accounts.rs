//! Accounts: first-run setup, sign-in with throttling, sessions, members.

use crate::App;
use crate::access::{InstallationAdmin, Manage, OrgAccess, Principal, Visit};
use crate::error::{Error, Problem, Result};
use crate::links::Invited;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use hicp_store::{
    LoginFailures, NewSession, NewUser, OffsetDateTime, OrgId, Role, Session, User, UserId,
};
use std::net::IpAddr;
use time::Duration;

/// Shortest password we accept when it is the only factor (NIST SP 800-63B-4: 15).
pub const MIN_PASSWORD_CHARS: usize = 15;
/// Shortest password we accept from an account with a second factor (NIST: 8).
pub const MIN_PASSWORD_CHARS_WITH_MFA: usize = 8;
/// Longest password we accept (NIST SP 800-63B-4: at least 64 must be allowed).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Sign-in throttling (NIST SP 800-63B-4 rate limiting). Failures are counted per account
/// and per client address over [`THROTTLE_WINDOW_MINUTES`].
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;
/// Failures an account may have in the window before each further attempt must wait.
pub const FREE_FAILURES: u64 = 5;
/// The first wait after [`FREE_FAILURES`]; it doubles with every further failure, up to
/// the window. The lock is soft: a stranger cannot keep a real user out for longer.
pub const FIRST_DELAY_SECONDS: i64 = 30;
/// Failures one client address may have in the window, over all accounts (stops spraying).
pub const MAX_ADDRESS_FAILURES: u64 = 30;

/// Common and breached passwords (see `data/SOURCES.md`), lower-cased.
static COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

fn is_common(password: &str) -> bool {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| COMMON_PASSWORDS.lines().collect())
        .contains(password.to_lowercase().as_str())
}

/// Why a new password is refused, if it is. `email` is the account's: a password made of
/// its name is as guessable as a common one. `with_mfa`: the account has a second factor.
pub fn password_problem(password: &str, email: &str, with_mfa: bool) -> Option<Problem> {
    let min = if with_mfa {
        MIN_PASSWORD_CHARS_WITH_MFA
    } else {
        MIN_PASSWORD_CHARS
    };
    let n = password.chars().count();
    let lower = password.to_lowercase();
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    let mut chars = password.chars();
    let first = chars.next();
    if n < min {
        Some(Problem::TooShort { min })
    } else if n > MAX_PASSWORD_CHARS {
        Some(Problem::TooLong {
            max: MAX_PASSWORD_CHARS,
        })
    } else if is_common(password)
        || chars.all(|c| Some(c) == first)
        || (local.chars().count() >= 4 && lower.contains(&local))
    {
        Some(Problem::Common)
    } else {
        None
    }
}

/// How long a sign-in attempt must wait, given the failures before it in the window: for
/// its account, and for its client address.
pub fn throttle_wait(
    account: LoginFailures,
    address: LoginFailures,
    now: OffsetDateTime,
) -> Option<Duration> {
    let window = Duration::minutes(THROTTLE_WINDOW_MINUTES);
    let mut ready = now;
    if account.count >= FREE_FAILURES
        && let Some(last) = account.last
    {
        let doublings = (account.count - FREE_FAILURES).min(16) as u32;
        let delay = (Duration::seconds(FIRST_DELAY_SECONDS) * 2_i32.pow(doublings)).min(window);
        ready = ready.max(last + delay);
    }
    if address.count >= MAX_ADDRESS_FAILURES
        && let Some(first) = address.first
    {
        ready = ready.max(first + window);
    }
    (ready > now).then(|| ready - now)
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
    Ok(hex::encode(random_bytes(32)?))
}

/// `n` bytes from the system's random number generator.
pub fn random_bytes(n: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf)
        .map_err(|_| Error::Internal("the system random number generator failed".into()))?;
    Ok(buf)
}

/// What the database keeps of a secret token: its SHA-256, so a leaked table gives none.
pub fn token_digest(token: &str) -> String {
    hicp_store::sha256_hex(token.as_bytes())
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("worker failed: {e}")))
}

/// The name and email of someone invited, checked; the email lower-cased.
fn check_invitee(email: &str, name: &str) -> Result<String> {
    let email = email.trim().to_lowercase();
    if name.trim().is_empty() {
        return Err(Error::invalid("display_name", Problem::Required));
    }
    if !email.contains('@') || email.chars().any(char::is_whitespace) {
        return Err(Error::invalid("email", Problem::Malformed));
    }
    Ok(email)
}

fn check_new_account(email: &str, name: &str, password: &str) -> Result<String> {
    let email = check_invitee(email, name)?;
    if let Some(p) = password_problem(password, &email, false) {
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
                must_change_password: false,
            })
            .await?;
        let signed_in = self.open_session(&mut tx, user, false).await?;
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
                must_change_password: false,
            })
            .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Signs in with email and password, from `client` (the address the request came
    /// from, if known). The attempt is reserved before the password is checked: counted as
    /// a failure, in a transaction that serializes reservations, so that a burst of
    /// parallel guesses cannot slip past the limits. A refused attempt (`Throttled`) is
    /// not checked and not counted.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<SignedIn> {
        let email = email.trim().to_lowercase();
        let account_key = format!("email:{email}");
        let address_key = client.map(|ip| format!("ip:{ip}"));
        let store = self.store();

        let (reserved, account) = self
            .reserve_attempt(&account_key, address_key.as_deref())
            .await?;
        let user = store.user_by_email(&email).await?;

        let hash = user
            .as_ref()
            .map_or_else(|| dummy_hash().to_owned(), |u| u.password_hash.clone());
        let password = password.to_owned();
        let ok = blocking(move || verify_password(&password, &hash)).await?;
        let user = match user {
            Some(user) if ok => user,
            other => {
                let what = if account.count + 1 == FREE_FAILURES {
                    "failed; further attempts are delayed"
                } else {
                    "failed"
                };
                self.audit_sign_in(other.as_ref().map(|u| &u.id), &email, what)
                    .await?;
                return Err(Error::BadCredentials);
            }
        };
        if user.disabled_at.is_some() {
            self.audit_sign_in(Some(&user.id), &email, "refused: disabled")
                .await?;
            return Err(Error::AccountDisabled);
        }
        let mut tx = store.begin().await?;
        // The right password: the reservation was no failure, and earlier ones are forgiven.
        tx.clear_login_failures(&account_key).await?;
        for id in reserved.into_iter().skip(1) {
            tx.delete_login_failure(id).await?;
        }
        // With a second factor, the session is only half open until its code is given.
        let mfa_pending = user.totp_secret.is_some();
        let signed_in = self.open_session(&mut tx, user, mfa_pending).await?;
        tx.record_audit(&hicp_store::NewAuditEntry {
            user_id: Some(&signed_in.user.id),
            org_id: None,
            entity: "user",
            entity_id: signed_in.user.id.as_str(),
            field: "sign_in",
            old_value: None,
            new_value: Some(if mfa_pending {
                "password accepted; second factor due"
            } else {
                "signed in"
            }),
        })
        .await?;
        tx.commit().await?;
        Ok(signed_in)
    }

    /// Reserves one attempt against the throttling of `key` (and of `address`, if known):
    /// counted as a failure, in a transaction that serializes reservations, so that a
    /// burst of parallel attempts cannot slip past the limits. A refused attempt is not
    /// counted. Returns the reserved failure ids (`key`'s first) and `key`'s failures
    /// before this attempt.
    pub(crate) async fn reserve_attempt(
        &self,
        key: &str,
        address: Option<&str>,
    ) -> Result<(Vec<i64>, LoginFailures)> {
        let now = OffsetDateTime::now_utc();
        let since = now - Duration::minutes(THROTTLE_WINDOW_MINUTES);
        let mut tx = self.store().begin().await?;
        tx.lock_sign_in().await?;
        let account = tx.login_failures(key, since).await?;
        let from_address = match address {
            Some(k) => tx.login_failures(k, since).await?,
            None => LoginFailures::default(),
        };
        if let Some(wait) = throttle_wait(account, from_address, now) {
            return Err(Error::Throttled {
                retry_after_seconds: wait.whole_seconds().max(1) as u64,
            });
        }
        let mut reserved = vec![tx.record_login_failure(key, now).await?];
        if let Some(k) = address {
            reserved.push(tx.record_login_failure(k, now).await?);
        }
        tx.commit().await?;
        Ok((reserved, account))
    }

    async fn audit_sign_in(&self, user: Option<&UserId>, email: &str, what: &str) -> Result<()> {
        let id = user.map_or_else(|| format!("email:{email}"), |u| u.to_string());
        self.store()
            .record_audit(&hicp_store::NewAuditEntry {
                user_id: user,
                org_id: None,
                entity: "user",
                entity_id: &id,
                field: "sign_in",
                old_value: None,
                new_value: Some(what),
            })
            .await?;
        Ok(())
    }

    pub(crate) async fn open_session(
        &self,
        tx: &mut hicp_store::Tx,
        user: User,
        mfa_pending: bool,
    ) -> Result<SignedIn> {
        let secret = random_token()?;
        let csrf = random_token()?;
        let now = OffsetDateTime::now_utc();
        let session = tx
            .create_session(&NewSession {
                id_hash: &token_digest(&secret),
                user_id: &user.id,
                csrf_token: &csrf,
                expires_at: self.session_expiry(now, now),
                mfa_pending,
                sso_provider: None,
                idp_mfa: false,
            })
            .await?;
        Ok(SignedIn {
            secret,
            session,
            user,
        })
    }

    /// When a session used at `now` ends: after the idle timeout, but never later than its
    /// absolute lifetime from `created`.
    pub(crate) fn session_expiry(
        &self,
        created: OffsetDateTime,
        now: OffsetDateTime,
    ) -> OffsetDateTime {
        let s = self.settings();
        (now + Duration::minutes(s.session_idle_minutes))
            .min(created + Duration::hours(s.session_lifetime_hours))
    }

    /// The principal of a live session, by the secret its cookie holds. The idle expiry
    /// slides (written at most once a minute to spare the database) up to the session's
    /// absolute lifetime. A disabled account has no live session.
    pub async fn session(&self, secret: &str) -> Result<Option<(Principal, Session)>> {
        Ok(self
            .visit(secret, None)
            .await?
            .map(|v| (v.principal, v.session)))
    }

    /// The live session of `secret` as [`App::session`] finds it and, with `org`, the
    /// user's place in that organization and its open assessment, all in one query: a page
    /// of an organization is authorized in one round trip ([`App::org_access_of_visit`]).
    pub async fn visit(&self, secret: &str, org: Option<&str>) -> Result<Option<Visit>> {
        let now = OffsetDateTime::now_utc();
        let digest = token_digest(secret);
        let org_id = org.map(OrgId::new);
        let mut c = self.store().conn().await?;
        let Some(found) = c.visit(&digest, now, org_id.as_ref()).await? else {
            return Ok(None);
        };
        let (session, user) = (found.session, found.user);
        if session.mfa_pending || user.disabled_at.is_some() {
            return Ok(None);
        }
        if now - session.last_seen_at > Duration::minutes(1) {
            let expires = self.session_expiry(session.created_at, now);
            c.touch_session(&digest, now, expires).await?;
        }
        let principal = Principal::new(user, false).with_idp_mfa(session.idp_mfa);
        Ok(Some(Visit {
            principal,
            session,
            org: org_id.map(|id| (id, found.org)),
        }))
    }

    /// The signed-in user's account as it is now in the database.
    pub async fn current_user(&self, who: &Principal) -> Result<User> {
        self.store()
            .user(&who.user().id)
            .await?
            .ok_or(Error::NotFound)
    }

    /// Whether `password` is the user's (argon2 on a blocking thread).
    pub(crate) async fn password_matches(&self, user: &User, password: &str) -> Result<bool> {
        let (password, hash) = (password.to_owned(), user.password_hash.clone());
        blocking(move || verify_password(&password, &hash)).await
    }

    /// Ends the session whose cookie holds `secret`.
    pub async fn sign_out(&self, secret: &str) -> Result<()> {
        self.store().delete_session(&token_digest(secret)).await?;
        Ok(())
    }

    /// Ends every session of the signed-in user, this one included ("sign out everywhere").
    pub async fn sign_out_everywhere(&self, who: &Principal) -> Result<u64> {
        let mut tx = self.store().begin().await?;
        let n = tx.delete_user_sessions(&who.user().id, None).await?;
        tx.record_audit(&hicp_store::NewAuditEntry {
            user_id: Some(&who.user().id),
            org_id: None,
            entity: "user",
            entity_id: who.user().id.as_str(),
            field: "sessions",
            old_value: None,
            new_value: Some("signed out everywhere"),
        })
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Changes the signed-in user's own password; the current one is required. Every
    /// other session of the user ends; the one of `session_secret` stays.
    pub async fn change_password(
        &self,
        who: &Principal,
        session_secret: &str,
        current: &str,
        new: &str,
    ) -> Result<()> {
        if who.read_only() {
            return Err(Error::Forbidden);
        }
        let user = who.user().clone();
        if let Some(p) = password_problem(new, &user.email, user.totp_secret.is_some()) {
            return Err(Error::invalid("password", p));
        }
        let (current, new) = (current.to_owned(), new.to_owned());
        let old_hash = user.password_hash.clone();
        let (ok, hash) = blocking(move || {
            let ok = verify_password(&current, &old_hash);
            (ok, if ok { Some(hash_password(&new)) } else { None })
        })
        .await?;
        let Some(hash) = hash.filter(|_| ok) else {
            return Err(Error::invalid("current_password", Problem::Wrong));
        };
        let mut tx = self.store().begin().await?;
        tx.set_password_hash(&user.id, &hash?, false, &user.id)
            .await?;
        tx.delete_user_sessions(&user.id, Some(&token_digest(session_secret)))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An installation administrator resets someone's password: a temporary password,
    /// returned once, that must be changed at the next sign-in. Every session of the
    /// account ends.
    pub async fn reset_password(&self, admin: &InstallationAdmin, email: &str) -> Result<String> {
        let user = self
            .store()
            .user_by_email(email)
            .await?
            .ok_or(Error::NotFound)?;
        // 20 characters of an alphabet without look-alikes: about 100 bits.
        let temporary = temporary_password()?;
        let t = temporary.clone();
        let hash = blocking(move || hash_password(&t)).await??;
        let by = admin.user().map_or(&user.id, |u| &u.id).clone();
        let mut tx = self.store().begin().await?;
        tx.set_password_hash(&user.id, &hash, true, &by).await?;
        tx.delete_user_sessions(&user.id, None).await?;
        tx.clear_login_failures(&format!("email:{}", user.email))
            .await?;
        tx.commit().await?;
        Ok(temporary)
    }

    /// Disables an account (its sessions and API use end at once) or enables it again.
    /// An administrator cannot disable their own account.
    pub async fn set_account_disabled(
        &self,
        admin: &InstallationAdmin,
        email: &str,
        disabled: bool,
    ) -> Result<User> {
        let user = self
            .store()
            .user_by_email(email)
            .await?
            .ok_or(Error::NotFound)?;
        if disabled && admin.user().is_some_and(|u| u.id == user.id) {
            return Err(Error::invalid("email", Problem::Own));
        }
        let by = admin.user().map_or(&user.id, |u| &u.id).clone();
        let mut tx = self.store().begin().await?;
        tx.set_user_disabled(&user.id, disabled, &by).await?;
        if disabled {
            tx.delete_user_sessions(&user.id, None).await?;
        }
        let user = tx.user(&user.id).await?.ok_or(Error::NotFound)?;
        tx.commit().await?;
        Ok(user)
    }

    /// Forgets expired sessions, failures older than the throttling window and single
    /// sign-ons that were never finished.
    pub async fn prune(&self) -> Result<(u64, u64)> {
        let now = OffsetDateTime::now_utc();
        let mut c = self.store().conn().await?;
        let sessions = c.delete_expired_sessions(now).await?;
        let failures = c
            .prune_login_failures(now - Duration::minutes(THROTTLE_WINDOW_MINUTES))
            .await?;
        c.prune_sso_logins(now).await?;
        // Used and expired links are kept a week, so that a late click is told why.
        c.prune_one_time_links(now - Duration::days(7)).await?;
        Ok((sessions, failures))
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

    /// The installation's whole audit log (every organization, and accounts: sign-ins,
    /// resets, two-step sign-in), newest first, a page at a time.
    pub async fn installation_audit_log(
        &self,
        _admin: &InstallationAdmin,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<hicp_store::AuditEntry>> {
        Ok(self
            .store()
            .audit_log(&hicp_store::AuditFilter {
                before_seq: before,
                limit: Some(limit),
                ..Default::default()
            })
            .await?)
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

    /// Changes a member's role, or removes them (`None`). The organization always keeps
    /// at least one admin.
    pub async fn set_member_role(
        &self,
        access: &OrgAccess<Manage>,
        user: &UserId,
        role: Option<Role>,
    ) -> Result<()> {
        let mut tx = self.store().begin().await?;
        tx.lock_organization(access.org_id(), true).await?;
        let members = tx.members(access.org_id()).await?;
        let Some(member) = members.iter().find(|m| &m.user_id == user) else {
            return Err(Error::NotFound);
        };
        let admins = members.iter().filter(|m| m.role == Role::Admin).count();
        if member.role == Role::Admin && role != Some(Role::Admin) && admins == 1 {
            return Err(Error::invalid("role", Problem::LastAdmin));
        }
        match role {
            Some(r) => {
                tx.grant_role(access.org_id(), user, r, &access.user().id)
                    .await?
            }
            None => {
                tx.revoke_role(access.org_id(), user, &access.user().id)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Invites `email` to the organization with `role`. Nothing about accounts elsewhere
    /// is revealed, whatever the email: the checks and the answer are the same. Either way,
    /// the person joins only by accepting.
    ///
    /// - With mail configured, `first_password` is not used: a new person gets an email
    ///   with a one-time link to choose a password and join (the account is made then, with
    ///   `name`), an existing account an email that an invitation waits on its home page.
    /// - Without mail, an email without an account gets one, with `name` and
    ///   `first_password` (which the admin gives them in person, and which they must change
    ///   at the first sign-in); an email with one keeps its own name and password.
    pub async fn add_member(
        &self,
        access: &OrgAccess<Manage>,
        email: &str,
        name: &str,
        role: Role,
        first_password: &str,
    ) -> Result<Invited> {
        if self.settings().mail.is_configured() {
            let email = check_invitee(email, name)?;
            return self.invite_by_email(access, &email, name, role).await;
        }
        let email = check_new_account(email, name, first_password)?;
        let password = first_password.to_owned();
        // Hashed whether or not it is used, so that both cases take as long.
        let hash = blocking(move || hash_password(&password)).await??;
        let mut tx = self.store().begin().await?;
        tx.lock_installation().await?;
        if tx.user_by_email(&email).await?.is_none() {
            tx.create_user(&NewUser {
                email: &email,
                display_name: name.trim(),
                password_hash: &hash,
                is_admin: false,
                must_change_password: true,
            })
            .await?;
        }
        tx.invite(access.org_id(), &email, role, &access.user().id)
            .await?;
        tx.commit().await?;
        Ok(Invited::InPerson)
    }

    /// The invitations of the organization nobody has answered yet.
    pub async fn pending_invitations(
        &self,
        access: &OrgAccess<Manage>,
    ) -> Result<Vec<hicp_store::Invitation>> {
        Ok(self.store().invitations_for_org(access.org_id()).await?)
    }

    /// The invitations waiting for the signed-in user, with each organization's name.
    pub async fn my_invitations(
        &self,
        who: &Principal,
    ) -> Result<Vec<(hicp_store::Invitation, String)>> {
        Ok(self
            .store()
            .invitations_for_email(&who.user().email)
            .await?)
    }

    /// Accepts (joins with the role offered) or declines an invitation to `org`.
    pub async fn answer_invitation(&self, who: &Principal, org: &str, accept: bool) -> Result<()> {
        if who.read_only() {
            return Err(Error::Forbidden);
        }
        let org = hicp_store::OrgId::new(org);
        let user = who.user();
        let mut tx = self.store().begin().await?;
        let Some(invitation) = tx.take_invitation(&org, &user.email).await? else {
            return Err(Error::NotFound);
        };
        if accept {
            tx.grant_role(&org, &user.id, invitation.role, &user.id)
                .await?;
        } else {
            // Accepting is audited by the role granted; declining needs its own entry.
            tx.record_audit(&hicp_store::NewAuditEntry {
                user_id: Some(&user.id),
                org_id: Some(&org),
                entity: "membership",
                entity_id: &format!("invitation:{}", invitation.email),
                field: "declined",
                old_value: Some(invitation.role.as_str()),
                new_value: None,
            })
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// A temporary password: 20 characters from an alphabet without look-alikes.
fn temporary_password() -> Result<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut buf = [0u8; 20];
    getrandom::fill(&mut buf)
        .map_err(|_| Error::Internal("the system random number generator failed".into()))?;
    // 256 is not a multiple of 31: the small bias costs a fraction of a bit.
    Ok(buf
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
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
    fn passwords_follow_nist_800_63b_4() {
        let email = "dana.lee@clinic.example";
        assert_eq!(
            password_problem("fourteen chars", email, false),
            Some(Problem::TooShort { min: 15 })
        );
        assert!(password_problem("a long enough passphrase", email, false).is_none());
        // With a second factor, 8 characters will do.
        assert!(password_problem("tulip-42", email, true).is_none());
        assert_eq!(
            password_problem("tulip-4", email, true),
            Some(Problem::TooShort { min: 8 })
        );
        // 64 characters and more are accepted; composition is never required.
        assert!(
            password_problem(&"correct horse battery staple ".repeat(3), email, false).is_none()
        );
        assert_eq!(
            password_problem(&"x".repeat(257), email, false),
            Some(Problem::TooLong { max: 256 })
        );
        for weak in [
            "123456789987654321",      // on the list
            "QAZWSXEDCRFVTGB",         // on the list, whatever the case
            "aaaaaaaaaaaaaaaaaaaa",    // one character
            "dana.lee is my password", // the account's own name
        ] {
            assert_eq!(
                password_problem(weak, email, false),
                Some(Problem::Common),
                "{weak}"
            );
        }
    }

    #[test]
    fn throttling_delays_grow_and_addresses_are_capped() {
        let now = OffsetDateTime::now_utc();
        let none = LoginFailures::default();
        let account = |count, ago: i64| LoginFailures {
            count,
            first: Some(now - Duration::minutes(10)),
            last: Some(now - Duration::seconds(ago)),
        };
        assert_eq!(throttle_wait(account(4, 0), none, now), None);
        assert_eq!(
            throttle_wait(account(5, 0), none, now),
            Some(Duration::seconds(30))
        );
        assert_eq!(
            throttle_wait(account(7, 20), none, now),
            Some(Duration::seconds(100))
        );
        assert_eq!(throttle_wait(account(5, 31), none, now), None);
        // The longest wait is the window, however many failures.
        assert_eq!(
            throttle_wait(account(60, 0), none, now),
            Some(Duration::minutes(THROTTLE_WINDOW_MINUTES))
        );
        let address = LoginFailures {
            count: MAX_ADDRESS_FAILURES,
            first: Some(now - Duration::minutes(14)),
            last: Some(now),
        };
        assert_eq!(
            throttle_wait(none, address, now),
            Some(Duration::minutes(1))
        );
    }

    #[test]
    fn tokens_are_random_and_digested() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_digest("x").len(), 64);
    }
}
