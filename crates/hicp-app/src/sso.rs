//! Single sign-on through an organization's identity provider (OpenID Connect).
//!
//! A sign-in has two use cases: [`App::sso_start`] keeps what the answer must match and
//! says where to send the browser; [`App::sso_finish`] takes the browser's answer, has the
//! provider confirm who it is, and opens a session for the account of that identity:
//! - an identity already linked signs in to its account;
//! - else a verified email of one of the provider's domains links the account with that
//!   email, or creates one when the provider may (`new_accounts`);
//! - anything else is refused, with the reason as a value.
//!
//! A provider with a role mapping also decides, at every sign-in, the person's role in the
//! organizations the mapping names.

use crate::App;
use crate::accounts::{SignedIn, random_token, token_digest};
use crate::error::{Error, Result, SsoRefusal};
use hicp_oidc::Provider;
use hicp_store::{NewAuditEntry, NewUser, OffsetDateTime, OrgId, Role, SsoLogin, User};
use std::sync::Arc;
use time::Duration;

/// How long a browser may take at the provider.
pub const SSO_LOGIN_MINUTES: i64 = 10;

/// The configured identity providers. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct SsoProviders(Arc<Vec<Provider>>);

impl SsoProviders {
    pub fn new(providers: Vec<Provider>) -> SsoProviders {
        SsoProviders(Arc::new(providers))
    }

    /// Id and name of each provider, for sign-in buttons.
    pub fn list(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|p| (p.config().id.clone(), p.config().name.clone()))
            .collect()
    }

    fn get(&self, id: &str) -> Option<&Provider> {
        self.0.iter().find(|p| p.config().id == id)
    }
}

/// Where to send the browser, and the `state` it must bring back (the adapter also keeps it
/// in the browser, to check that the answer comes to the browser that started).
pub struct SsoStart {
    pub url: String,
    pub state: String,
}

impl App {
    /// Begins a sign-in with `provider`; the provider will send the browser to `redirect_uri`.
    pub async fn sso_start(&self, provider: &str, redirect_uri: &str) -> Result<SsoStart> {
        let p = self.settings().sso.get(provider).ok_or(Error::NotFound)?;
        let start = p
            .start(redirect_uri)
            .await
            .map_err(|e| Error::SsoRefused(SsoRefusal::ProviderFailed(e.to_string())))?;
        let now = OffsetDateTime::now_utc();
        let mut tx = self.store().begin().await?;
        tx.prune_sso_logins(now).await?;
        tx.create_sso_login(&SsoLogin {
            state_hash: token_digest(&start.state),
            provider: provider.to_owned(),
            nonce: start.nonce,
            pkce_verifier: start.pkce_verifier,
            expires_at: now + Duration::minutes(SSO_LOGIN_MINUTES),
        })
        .await?;
        tx.commit().await?;
        Ok(SsoStart {
            url: start.url,
            state: start.state,
        })
    }

    /// Ends a sign-in with `provider`: `state` and `code` are what the browser brought back
    /// to `redirect_uri`. The sign-in under way is used up first, in a transaction of its
    /// own, so that an answer can never be replayed, even when what follows fails.
    pub async fn sso_finish(
        &self,
        provider: &str,
        state: &str,
        code: &str,
        redirect_uri: &str,
    ) -> Result<SignedIn> {
        let p = self.settings().sso.get(provider).ok_or(Error::NotFound)?;
        let login = self.store().take_sso_login(&token_digest(state)).await?;
        let login = match login {
            Some(l) if l.provider == provider && l.expires_at > OffsetDateTime::now_utc() => l,
            _ => return Err(Error::SsoRefused(SsoRefusal::NotStarted)),
        };
        let identity = p
            .finish(redirect_uri, code, &login.nonce, &login.pkce_verifier)
            .await
            .map_err(|e| Error::SsoRefused(SsoRefusal::ProviderFailed(e.to_string())))?;
        let config = p.config();
        let mut tx = self.store().begin().await?;
        tx.lock_installation().await?;
        let (user, how) = match resolve_account(&mut tx, config, &identity).await? {
            Ok(found) => found,
            Err((email, why)) => {
                let what = match why {
                    SsoRefusal::NoVerifiedEmail => "refused: no verified email",
                    SsoRefusal::DomainNotAllowed => "refused: email domain not allowed",
                    _ => "refused: no account",
                };
                let id = email.map_or_else(|| "(unknown)".to_owned(), |e| format!("email:{e}"));
                let what = format!("{what} ({provider})");
                tx.record_audit(&sso_audit(None, &id, &what)).await?;
                tx.commit().await?;
                return Err(Error::SsoRefused(why));
            }
        };
        if user.disabled_at.is_some() {
            let what = format!("refused: disabled ({provider})");
            tx.record_audit(&sso_audit(Some(&user), user.id.as_str(), &what))
                .await?;
            tx.commit().await?;
            return Err(Error::AccountDisabled);
        }
        if let Some(mapping) = &config.roles {
            apply_roles(&mut tx, mapping, &identity.groups, &user).await?;
        }
        // A provider that enforces a second factor stands for ours; otherwise an account
        // with one still gives its code.
        let mfa_pending = !config.trust_mfa && user.totp_secret.is_some();
        let secret = random_token()?;
        let csrf = random_token()?;
        let now = OffsetDateTime::now_utc();
        let session = tx
            .create_session(&hicp_store::NewSession {
                id_hash: &token_digest(&secret),
                user_id: &user.id,
                csrf_token: &csrf,
                expires_at: self.session_expiry(now, now),
                mfa_pending,
                sso_provider: Some(provider),
                idp_mfa: config.trust_mfa,
            })
            .await?;
        let what = format!("{how} with single sign-on ({provider})");
        tx.record_audit(&sso_audit(Some(&user), user.id.as_str(), &what))
            .await?;
        tx.commit().await?;
        Ok(SignedIn {
            secret,
            session,
            user,
        })
    }
}

/// The account `identity` signs in to, and how it was found; or why there is none (with
/// the email, if the provider gave one).
async fn resolve_account(
    tx: &mut hicp_store::Tx,
    config: &hicp_oidc::ProviderConfig,
    identity: &hicp_oidc::Identity,
) -> Result<Result<(User, &'static str), (Option<String>, SsoRefusal)>> {
    if let Some(user) = tx.user_by_identity(&config.id, &identity.subject).await? {
        return Ok(Ok((user, "signed in")));
    }
    let email = match &identity.email {
        Some(e) if identity.email_verified => e.clone(),
        other => return Ok(Err((other.clone(), SsoRefusal::NoVerifiedEmail))),
    };
    if !config.allows(&email) {
        return Ok(Err((Some(email), SsoRefusal::DomainNotAllowed)));
    }
    let (user, how) = match tx.user_by_email(&email).await? {
        Some(user) => (user, "signed in; identity linked to the account"),
        None if config.new_accounts => {
            let local = email.split('@').next().unwrap_or(&email);
            let name = identity
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .unwrap_or(local);
            let user = tx
                .create_user(&NewUser {
                    email: &email,
                    display_name: name,
                    // No password: this account signs in through its provider (an
                    // installation admin can still give it one).
                    password_hash: "",
                    is_admin: false,
                    must_change_password: false,
                })
                .await?;
            (user, "signed in; account created")
        }
        None => return Ok(Err((Some(email), SsoRefusal::NoAccount))),
    };
    tx.link_identity(&config.id, &identity.subject, &user.id)
        .await?;
    Ok(Ok((user, how)))
}

/// Gives `user` the role their groups give in each organization the mapping names (the
/// highest, when several do), and takes their place away where none does; but never
/// leaves an organization without an admin. An organization that does not exist is
/// skipped (the mapping may be written before it is created).
async fn apply_roles(
    tx: &mut hicp_store::Tx,
    mapping: &hicp_oidc::RoleMapping,
    groups: &[String],
    user: &User,
) -> Result<()> {
    let mut orgs: Vec<&str> = mapping.rules.iter().map(|r| r.org.as_str()).collect();
    orgs.sort_unstable();
    orgs.dedup();
    for org in orgs {
        let org = OrgId::new(org);
        if tx.organization(&org).await?.is_none() {
            continue;
        }
        // `Role` orders Admin first: the smallest is the highest.
        let wanted = mapping
            .rules
            .iter()
            .filter(|r| r.org == org.as_str() && groups.contains(&r.group))
            .filter_map(|r| Role::parse(&r.role))
            .min();
        tx.lock_organization(&org, true).await?;
        let current = tx.role_of(&user.id, &org).await?;
        if wanted == current {
            continue;
        }
        if current == Some(Role::Admin) {
            let members = tx.members(&org).await?;
            if members.iter().filter(|m| m.role == Role::Admin).count() == 1 {
                continue;
            }
        }
        match wanted {
            Some(role) => tx.grant_role(&org, &user.id, role, &user.id).await?,
            None => {
                tx.revoke_role(&org, &user.id, &user.id).await?;
            }
        }
    }
    Ok(())
}

fn sso_audit<'a>(user: Option<&'a User>, entity_id: &'a str, what: &'a str) -> NewAuditEntry<'a> {
    NewAuditEntry {
        user_id: user.map(|u| &u.id),
        org_id: None,
        entity: "user",
        entity_id,
        field: "sign_in",
        old_value: None,
        new_value: Some(what),
    }
}
