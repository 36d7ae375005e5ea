//! Multifactor sign-in with TOTP (RFC 6238): enrolment, the second step of sign-in,
//! recovery codes, and the policies that require it.

use crate::App;
use crate::access::{InstallationAdmin, Manage, OrgAccess, Principal};
use crate::accounts::{random_token, token_digest};
use crate::error::{Error, Problem, Result};
use hicp_store::{OffsetDateTime, User};
use totp_rs::{Builder, Secret, Totp};

/// Recovery codes made at enrolment, each usable once instead of a code.
pub const RECOVERY_CODES: usize = 10;
const ISSUER: &str = "HICP Toolkit";

/// A TOTP secret being enrolled: what the authenticator app needs.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The secret in base32, for typing by hand.
    pub secret: String,
    /// The `otpauth://` URL a QR code carries.
    pub url: String,
}

/// The authenticator of a base32 secret: SHA-1, 6 digits, 30-second steps, one step of
/// clock skew either way (what every authenticator app expects).
fn totp(secret_base32: &str, account: &str) -> Result<Totp> {
    let secret = Secret::try_from_base32(secret_base32)
        .map_err(|_| Error::Internal("a stored TOTP secret is not base32".into()))?;
    Builder::new()
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| Error::Internal(format!("TOTP: {e}")))
}

fn enrolment(secret: &str, user: &User) -> Result<Enrolment> {
    let url = totp(secret, &user.email)?
        .to_url()
        .map_err(|e| Error::Internal(format!("TOTP URL: {e}")))?;
    Ok(Enrolment {
        secret: secret.to_owned(),
        url,
    })
}

/// The time step a code matches now, if it does. Codes are digits; spaces are forgiven.
fn matching_step(t: &Totp, code: &str) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    t.check_current(&code).and_then(|s| i64::try_from(s).ok())
}

/// A recovery code as typed: lower case, without spaces or dashes.
fn normalized(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl App {
    /// Starts (or restarts) TOTP enrolment: a new secret, kept apart until confirmed.
    pub async fn start_totp(&self, who: &Principal) -> Result<Enrolment> {
        if who.read_only() {
            return Err(Error::Forbidden);
        }
        let mut bytes = [0u8; 20];
        getrandom::fill(&mut bytes)
            .map_err(|_| Error::Internal("the system random number generator failed".into()))?;
        let secret = Secret::from(bytes).to_base32();
        self.store()
            .set_totp_pending(&who.user().id, Some(&secret))
            .await?;
        enrolment(&secret, who.user())
    }

    /// The enrolment in progress, if any (re-read from the database, so any server can
    /// show it).
    pub async fn pending_totp(&self, who: &Principal) -> Result<Option<Enrolment>> {
        let user = self
            .store()
            .user(&who.user().id)
            .await?
            .ok_or(Error::NotFound)?;
        user.totp_pending
            .as_deref()
            .map(|s| enrolment(s, &user))
            .transpose()
    }

    /// Confirms enrolment with a code from the authenticator. Returns the recovery codes,
    /// shown only this once. Other sessions of the user end.
    pub async fn confirm_totp(
        &self,
        who: &Principal,
        session_secret: &str,
        code: &str,
    ) -> Result<Vec<String>> {
        let user = self
            .store()
            .user(&who.user().id)
            .await?
            .ok_or(Error::NotFound)?;
        let Some(pending) = user.totp_pending.clone() else {
            return Err(Error::invalid("code", Problem::Required));
        };
        let Some(step) = matching_step(&totp(&pending, &user.email)?, code) else {
            return Err(Error::invalid("code", Problem::Wrong));
        };
        let codes: Vec<String> = (0..RECOVERY_CODES)
            .map(|_| random_token().map(|t| t[..16].to_owned()))
            .collect::<Result<_>>()?;
        let digests: Vec<String> = codes.iter().map(|c| token_digest(c)).collect();
        let mut tx = self.store().begin().await?;
        tx.enable_totp(&user.id, &pending, step, &digests).await?;
        tx.delete_user_sessions(&user.id, Some(&token_digest(session_secret)))
            .await?;
        tx.commit().await?;
        // Grouped in fours for reading aloud or writing down.
        Ok(codes
            .into_iter()
            .map(|c| {
                c.as_bytes()
                    .chunks(4)
                    .map(|g| String::from_utf8_lossy(g).into_owned())
                    .collect::<Vec<_>>()
                    .join("-")
            })
            .collect())
    }

    /// Turns TOTP off for the signed-in user; the password is required.
    pub async fn disable_totp(&self, who: &Principal, password: &str) -> Result<()> {
        if who.read_only() {
            return Err(Error::Forbidden);
        }
        if !self.password_matches(who.user(), password).await? {
            return Err(Error::invalid("current_password", Problem::Wrong));
        }
        let mut tx = self.store().begin().await?;
        tx.disable_totp(&who.user().id, &who.user().id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An installation administrator turns TOTP off for someone who lost their
    /// authenticator and their recovery codes. Their sessions end.
    pub async fn reset_totp(&self, admin: &InstallationAdmin, email: &str) -> Result<()> {
        let user = self
            .store()
            .user_by_email(email)
            .await?
            .ok_or(Error::NotFound)?;
        let by = admin.user().map_or(&user.id, |u| &u.id).clone();
        let mut tx = self.store().begin().await?;
        tx.disable_totp(&user.id, &by).await?;
        tx.delete_user_sessions(&user.id, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The second step of sign-in: a code from the authenticator (each accepted once) or
    /// an unused recovery code completes the half-open session of `session_secret`.
    /// Attempts are throttled like passwords, per account.
    pub async fn second_factor(&self, session_secret: &str, code: &str) -> Result<User> {
        let digest = token_digest(session_secret);
        let now = OffsetDateTime::now_utc();
        let store = self.store();
        let session = store
            .session(&digest, now)
            .await?
            .filter(|s| s.mfa_pending)
            .ok_or(Error::NotFound)?;
        let user = store.user(&session.user_id).await?.ok_or(Error::NotFound)?;
        let Some(secret) = user.totp_secret.clone() else {
            return Err(Error::NotFound);
        };
        let key = format!("mfa:{}", user.id);
        self.reserve_attempt(&key, None).await?;
        // Using up the code and opening the session commit together: a code is never spent
        // on a session that stays half open.
        let mut tx = store.begin().await?;
        let accepted = match matching_step(&totp(&secret, &user.email)?, code) {
            Some(step) => tx.use_totp_step(&user.id, step).await?,
            None => {
                let typed = normalized(code);
                typed.len() == 16
                    && tx
                        .use_recovery_code(&user.id, &token_digest(&typed))
                        .await?
            }
        };
        if !accepted {
            return Err(Error::invalid("code", Problem::Wrong));
        }
        // The right code: the reserved attempt and earlier failures are forgiven.
        tx.clear_login_failures(&key).await?;
        tx.complete_mfa(&digest).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// How many unused recovery codes the signed-in user has.
    pub async fn recovery_codes_left(&self, who: &Principal) -> Result<u64> {
        Ok(self.store().recovery_codes_left(&who.user().id).await?)
    }

    /// Whether the organization's members must sign in with a second factor. Its admin
    /// can only require it once they use one themselves, so they are not locked out.
    pub async fn set_require_mfa(&self, access: &OrgAccess<Manage>, required: bool) -> Result<()> {
        if required && access.user().totp_secret.is_none() {
            return Err(Error::invalid("require_mfa", Problem::MfaFirst));
        }
        let mut tx = self.store().begin().await?;
        tx.set_require_mfa(access.org_id(), required, &access.user().id)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_their_step_and_recovery_codes_normalize() {
        let secret = Secret::from([7u8; 20]).to_base32();
        let t = totp(&secret, "dana@clinic.example").unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let code = t.generate(now).to_string();
        assert_eq!(matching_step(&t, &code), Some((now / 30) as i64));
        assert_eq!(
            matching_step(&t, "12 34"),
            None.or(matching_step(&t, "1234"))
        );
        assert!(
            t.to_url()
                .unwrap()
                .starts_with("otpauth://totp/HICP%20Toolkit:")
        );
        assert_eq!(normalized("ABCD-ef12 3456-7890"), "abcdef1234567890");
    }
}
