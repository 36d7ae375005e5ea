//! Invitations and password resets by email, with one-time links (when mail is configured).
//!
//! - Inviting an email sends a new person a link to choose a password and join, and an
//!   existing account a notice that an invitation waits on its home page. The admin's
//!   answer is the same either way: nothing about accounts elsewhere is revealed.
//! - An installation admin's reset can send a link instead of making a temporary password.
//! - A link's secret is kept as its SHA-256, works once and expires after
//!   [`LINK_HOURS`]. The email goes out after the change has committed; if it cannot be
//!   sent, the link is withdrawn, the failure audited and returned as a value.

use crate::App;
use crate::access::{InstallationAdmin, Manage, OrgAccess};
use crate::accounts::blocking;
use crate::accounts::{SignedIn, hash_password, password_problem, random_token, token_digest};
use crate::error::{Error, Problem, Result};
use crate::mail::{LINK_HOURS, Mail, MailError, Notice, link_path};
use hicp_store::{
    LinkPurpose, NewAuditEntry, NewUser, OffsetDateTime, OneTimeLink, OrgId, Role, User, UserId,
};
use time::Duration;

/// Whether an email went out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Emailed {
    Sent,
    /// Not sent (the mail server's words); what the email was for is not in effect.
    Failed(MailError),
}

/// The answer to an invitation: the same whether or not the email has an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invited {
    /// Without mail: an email without an account got one with the first password typed.
    InPerson,
    /// With mail: the invitation stands and the email says so (or could not be sent; the
    /// invitation stands, and inviting again sends a new email).
    ByEmail(Emailed),
}

/// Why a one-time link does nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// No such link (mistyped, or withdrawn by a newer one).
    Unknown,
    /// It was already used.
    Used,
    /// It expired.
    Expired,
    /// The organization's admins took the invitation back.
    Withdrawn,
    /// The email has an account by now: sign in and accept the invitation on the home page.
    AccountExists,
    /// The account is disabled.
    Disabled,
}

/// What a link's page shows before it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkView {
    /// Choose a password and join `org_name` as `role`; `name` is what the admin typed.
    Join {
        email: String,
        name: String,
        org_name: String,
        role: Role,
    },
    /// Choose a new password for `email` (at least 8 characters `with_mfa`, else 15).
    Reset { email: String, with_mfa: bool },
}

/// What using a link did: a session is open (`signed_in`; with two-step sign-in, half open
/// until the code) and, for a join, the organization joined.
pub struct LinkUsed {
    pub signed_in: SignedIn,
    pub joined: Option<OrgId>,
}

fn audit<'a>(
    by: Option<&'a UserId>,
    org: Option<&'a OrgId>,
    entity: &'a str,
    id: &'a str,
    field: &'a str,
    what: &'a str,
) -> NewAuditEntry<'a> {
    NewAuditEntry {
        user_id: by,
        org_id: org,
        entity,
        entity_id: id,
        field,
        old_value: None,
        new_value: Some(what),
    }
}

impl App {
    /// Invites by email (mail configured): see [`App::add_member`].
    pub(crate) async fn invite_by_email(
        &self,
        access: &OrgAccess<Manage>,
        email: &str,
        name: &str,
        role: Role,
    ) -> Result<Invited> {
        let outbox = self.settings().mail.clone();
        let Some(mailer) = outbox.mailer() else {
            return Err(Error::Internal("mail is not configured".into()));
        };
        let now = OffsetDateTime::now_utc();
        let token = random_token()?;
        let by = access.user().id.clone();
        let org = access.org_id().clone();
        let entity_id = format!("invitation:{email}");
        let mut tx = self.store().begin().await?;
        tx.lock_installation().await?;
        let exists = tx.user_by_email(email).await?.is_some();
        tx.invite(&org, email, role, &by).await?;
        if !exists {
            tx.create_one_time_link(&OneTimeLink {
                token_hash: token_digest(&token),
                purpose: LinkPurpose::Join,
                email: email.to_owned(),
                user_id: None,
                org_id: Some(org.clone()),
                display_name: Some(name.trim().to_owned()),
                created_by: Some(by.clone()),
                created_at: now,
                expires_at: now + Duration::hours(LINK_HOURS),
                used_at: None,
                withdrawn_at: None,
            })
            .await?;
        }
        tx.commit().await?;
        let (org_name, invited_by) = (
            access.org().name.clone(),
            access.user().display_name.clone(),
        );
        let notice = if exists {
            Notice::Invitation {
                org_name,
                role: role.to_string(),
                invited_by,
                sign_in: outbox.url("/login"),
            }
        } else {
            Notice::JoinLink {
                org_name,
                role: role.to_string(),
                invited_by,
                link: outbox.url(&link_path(&token)),
                expires_hours: LINK_HOURS,
            }
        };
        let sent = mailer
            .send(&Mail {
                to: email.to_owned(),
                notice,
            })
            .await;
        // The organization's log says the same whether or not the email has an account.
        let what = match &sent {
            Ok(()) => "invitation email sent".to_owned(),
            Err(e) => format!("invitation email not sent: {e}"),
        };
        if sent.is_err() && !exists {
            // Nobody has the link; withdraw it rather than leave it waiting.
            self.store()
                .delete_one_time_link(&token_digest(&token))
                .await?;
        }
        self.store()
            .record_audit(&audit(
                Some(&by),
                Some(&org),
                "membership",
                &entity_id,
                "email",
                &what,
            ))
            .await?;
        Ok(Invited::ByEmail(match sent {
            Ok(()) => Emailed::Sent,
            Err(e) => Emailed::Failed(e),
        }))
    }

    /// An organization's admin withdraws the invitation of `email`, not yet answered: the
    /// person can no longer accept it, and an emailed link for it stops working (its page
    /// says the invitation was withdrawn). Audited. Only this organization's invitations
    /// are read, so the answer says nothing about accounts: [`Error::NotFound`] when the
    /// organization has no invitation for that email.
    pub async fn withdraw_invitation(&self, access: &OrgAccess<Manage>, email: &str) -> Result<()> {
        let email = email.trim().to_lowercase();
        if email.is_empty() {
            return Err(Error::invalid("email", Problem::Required));
        }
        let mut tx = self.store().begin().await?;
        let taken = tx
            .withdraw_invitation(access.org_id(), &email, &access.user().id)
            .await?;
        if taken.is_none() {
            return Err(Error::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// An installation administrator resets someone's password by email: a one-time link
    /// to choose a new one. Nothing changes until the link is used (then every session of
    /// the account ends); a newer link withdraws an older one. Needs mail.
    pub async fn send_reset_link(&self, admin: &InstallationAdmin, email: &str) -> Result<Emailed> {
        let outbox = self.settings().mail.clone();
        let Some(mailer) = outbox.mailer() else {
            return Err(Error::Internal("mail is not configured".into()));
        };
        let email = email.trim().to_lowercase();
        let user = self
            .store()
            .user_by_email(&email)
            .await?
            .ok_or(Error::NotFound)?;
        let by = admin.user().map_or(&user.id, |u| &u.id).clone();
        let now = OffsetDateTime::now_utc();
        let token = random_token()?;
        let mut tx = self.store().begin().await?;
        tx.create_one_time_link(&OneTimeLink {
            token_hash: token_digest(&token),
            purpose: LinkPurpose::Reset,
            email: user.email.clone(),
            user_id: Some(user.id.clone()),
            org_id: None,
            display_name: None,
            created_by: Some(by.clone()),
            created_at: now,
            expires_at: now + Duration::hours(LINK_HOURS),
            used_at: None,
            withdrawn_at: None,
        })
        .await?;
        tx.commit().await?;
        let sent = mailer
            .send(&Mail {
                to: user.email.clone(),
                notice: Notice::ResetLink {
                    link: outbox.url(&link_path(&token)),
                    expires_hours: LINK_HOURS,
                },
            })
            .await;
        let what = match &sent {
            Ok(()) => "reset link emailed".to_owned(),
            Err(e) => {
                self.store()
                    .delete_one_time_link(&token_digest(&token))
                    .await?;
                format!("reset link not sent: {e}")
            }
        };
        self.store()
            .record_audit(&audit(
                Some(&by),
                None,
                "user",
                user.id.as_str(),
                "password_reset",
                &what,
            ))
            .await?;
        Ok(match sent {
            Ok(()) => Emailed::Sent,
            Err(e) => Emailed::Failed(e),
        })
    }

    /// What the page of a one-time link shows, without using it up (mail scanners open
    /// links too).
    pub async fn one_time_link(&self, token: &str) -> Result<LinkView> {
        let link = self
            .store()
            .one_time_link(&token_digest(token))
            .await?
            .ok_or(Error::LinkRefused(LinkRefusal::Unknown))?;
        if link.withdrawn_at.is_some() {
            return Err(Error::LinkRefused(LinkRefusal::Withdrawn));
        }
        if link.used_at.is_some() {
            return Err(Error::LinkRefused(LinkRefusal::Used));
        }
        if link.expires_at <= OffsetDateTime::now_utc() {
            return Err(Error::LinkRefused(LinkRefusal::Expired));
        }
        match (link.purpose, &link.org_id) {
            (LinkPurpose::Join, Some(org)) => {
                let org = self
                    .store()
                    .organization(org)
                    .await?
                    .ok_or(Error::LinkRefused(LinkRefusal::Withdrawn))?;
                let invitation = self
                    .store()
                    .invitations_for_org(&org.id)
                    .await?
                    .into_iter()
                    .find(|i| i.email == link.email)
                    .ok_or(Error::LinkRefused(LinkRefusal::Withdrawn))?;
                Ok(LinkView::Join {
                    email: link.email,
                    name: link.display_name.unwrap_or_default(),
                    org_name: org.name,
                    role: invitation.role,
                })
            }
            _ => {
                let user = match &link.user_id {
                    Some(id) => self.store().user(id).await?,
                    None => None,
                };
                Ok(LinkView::Reset {
                    email: link.email,
                    with_mfa: user.is_some_and(|u| u.totp_secret.is_some()),
                })
            }
        }
    }

    /// Uses a one-time link: sets the password (the same rules as everywhere), and
    ///
    /// - for a join: makes the account with the name given, joins the organization with
    ///   the role of its invitation, and signs in;
    /// - for a reset: ends every session of the account, forgives its failed sign-ins and
    ///   signs in (with two-step sign-in, the code is still due).
    ///
    /// The link is used up in the same transaction, so a refused password leaves it working,
    /// and of two uses at once one wins.
    pub async fn use_one_time_link(
        &self,
        token: &str,
        name: &str,
        password: &str,
    ) -> Result<LinkUsed> {
        let digest = token_digest(token);
        // The rules need the account's email (and whether it has a second factor) first.
        let peek = self
            .store()
            .one_time_link(&digest)
            .await?
            .ok_or(Error::LinkRefused(LinkRefusal::Unknown))?;
        if peek.withdrawn_at.is_some() {
            return Err(self.refuse_link(&peek, LinkRefusal::Withdrawn).await?);
        }
        if peek.used_at.is_some() {
            return Err(self.refuse_link(&peek, LinkRefusal::Used).await?);
        }
        if peek.expires_at <= OffsetDateTime::now_utc() {
            return Err(self.refuse_link(&peek, LinkRefusal::Expired).await?);
        }
        let target = match peek.purpose {
            LinkPurpose::Reset => match &peek.user_id {
                Some(id) => self.store().user(id).await?,
                None => None,
            },
            LinkPurpose::Join => None,
        };
        let with_mfa = target.as_ref().is_some_and(|u| u.totp_secret.is_some());
        if peek.purpose == LinkPurpose::Join && name.trim().is_empty() {
            return Err(Error::invalid("display_name", Problem::Required));
        }
        if let Some(p) = password_problem(password, &peek.email, with_mfa) {
            return Err(Error::invalid("password", p));
        }
        let pw = password.to_owned();
        let hash = blocking(move || hash_password(&pw)).await??;
        let now = OffsetDateTime::now_utc();
        let mut tx = self.store().begin().await?;
        tx.lock_installation().await?;
        let Some(link) = tx.use_one_time_link(&digest, now).await? else {
            drop(tx);
            return Err(self.refusal_of(&digest, &peek).await?);
        };
        let (user, joined) = match link.purpose {
            LinkPurpose::Join => {
                let org = link
                    .org_id
                    .clone()
                    .ok_or(Error::LinkRefused(LinkRefusal::Withdrawn))?;
                if tx.user_by_email(&link.email).await?.is_some() {
                    drop(tx);
                    return Err(self.refuse_link(&link, LinkRefusal::AccountExists).await?);
                }
                let Some(invitation) = tx.take_invitation(&org, &link.email).await? else {
                    drop(tx);
                    return Err(self.refuse_link(&link, LinkRefusal::Withdrawn).await?);
                };
                let user = tx
                    .create_user(&NewUser {
                        email: &link.email,
                        display_name: name.trim(),
                        password_hash: &hash,
                        is_admin: false,
                        must_change_password: false,
                    })
                    .await?;
                // Audited as any accepted invitation is (the role granted): the
                // organization's log does not say whether the person had an account.
                tx.grant_role(&org, &user.id, invitation.role, &user.id)
                    .await?;
                (user, Some(org))
            }
            LinkPurpose::Reset => {
                let user: User = match &link.user_id {
                    Some(id) => tx.user(id).await?,
                    None => None,
                }
                .ok_or(Error::LinkRefused(LinkRefusal::Unknown))?;
                if user.disabled_at.is_some() {
                    drop(tx);
                    return Err(self.refuse_link(&link, LinkRefusal::Disabled).await?);
                }
                tx.set_password_hash(&user.id, &hash, false, &user.id)
                    .await?;
                tx.delete_user_sessions(&user.id, None).await?;
                tx.clear_login_failures(&format!("email:{}", user.email))
                    .await?;
                (user, None)
            }
        };
        tx.record_audit(&audit(
            Some(&user.id),
            None,
            "user",
            user.id.as_str(),
            "one_time_link",
            match link.purpose {
                LinkPurpose::Join => "used: account made, password chosen",
                LinkPurpose::Reset => "used: new password chosen, every session ended",
            },
        ))
        .await?;
        let mfa_pending = user.totp_secret.is_some();
        let signed_in = self.open_session(&mut tx, user, mfa_pending).await?;
        tx.commit().await?;
        Ok(LinkUsed { signed_in, joined })
    }

    /// Why a link could not be used up (it was used or expired meanwhile), audited.
    async fn refusal_of(&self, digest: &str, peek: &OneTimeLink) -> Result<Error> {
        let now_link = self.store().one_time_link(digest).await?;
        let why = match now_link {
            None => LinkRefusal::Unknown,
            Some(l) if l.withdrawn_at.is_some() => LinkRefusal::Withdrawn,
            Some(l) if l.used_at.is_some() => LinkRefusal::Used,
            Some(_) => LinkRefusal::Expired,
        };
        self.refuse_link(peek, why).await
    }

    /// Audits a refused use of a link and returns the refusal.
    async fn refuse_link(&self, link: &OneTimeLink, why: LinkRefusal) -> Result<Error> {
        let what = match why {
            LinkRefusal::Unknown => "refused: unknown",
            LinkRefusal::Used => "refused: already used",
            LinkRefusal::Expired => "refused: expired",
            LinkRefusal::Withdrawn => "refused: invitation withdrawn",
            LinkRefusal::AccountExists => "refused: the email has an account now",
            LinkRefusal::Disabled => "refused: disabled",
        };
        let id = link
            .user_id
            .as_ref()
            .map_or_else(|| format!("email:{}", link.email), |u| u.to_string());
        self.store()
            .record_audit(&audit(
                link.user_id.as_ref(),
                None,
                "user",
                &id,
                "one_time_link",
                what,
            ))
            .await?;
        Ok(Error::LinkRefused(why))
    }
}
