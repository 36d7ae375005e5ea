//! Who may do what. A use case takes a context that only this module can make, so an
//! adapter that forgot to check a role does not compile.

use crate::App;
use crate::error::{Error, Result};
use hicp_core::catalog::Tier;
use hicp_store::{Assessment, OrgId, OrgVisit, Organization, Role, Session, User};
use std::marker::PhantomData;

/// A signed-in user (through a session or an API token).
#[derive(Clone, Debug)]
pub struct Principal {
    user: User,
    read_only: bool,
    idp_mfa: bool,
}

impl Principal {
    pub(crate) fn new(user: User, read_only: bool) -> Principal {
        Principal {
            user,
            read_only,
            idp_mfa: false,
        }
    }

    /// Signed in through an identity provider that vouches for a second factor.
    pub(crate) fn with_idp_mfa(mut self, idp_mfa: bool) -> Principal {
        self.idp_mfa = idp_mfa;
        self
    }

    pub fn user(&self) -> &User {
        &self.user
    }

    /// Signed in with a read-only API token: never allowed to change anything.
    pub fn read_only(&self) -> bool {
        self.read_only
    }
}

mod sealed {
    pub trait Sealed {}
}

/// What a context allows: [`Read`], [`Edit`] or [`Manage`].
pub trait Level: sealed::Sealed {
    /// The least role that has this level.
    const LEAST: Role;
}

/// See the organization's assessment, plan and reports (every member).
pub enum Read {}
/// Change answers, evidence and the plan (assessors and admins).
pub enum Edit {}
/// Change the organization itself: its tier, weights and members (admins).
pub enum Manage {}

impl sealed::Sealed for Read {}
impl sealed::Sealed for Edit {}
impl sealed::Sealed for Manage {}
impl Level for Read {
    const LEAST: Role = Role::Viewer;
}
impl Level for Edit {
    const LEAST: Role = Role::Assessor;
}
impl Level for Manage {
    const LEAST: Role = Role::Admin;
}

fn rank(r: Role) -> u8 {
    match r {
        Role::Viewer => 1,
        Role::Assessor => 2,
        Role::Admin => 3,
    }
}

/// Proof that a principal may act at level `L` on one organization.
#[derive(Debug)]
pub struct OrgAccess<L> {
    principal: Principal,
    org: Organization,
    role: Role,
    level: PhantomData<fn() -> L>,
}

// By hand: a derived `Clone` would ask `L: Clone` of the level markers.
impl<L> Clone for OrgAccess<L> {
    fn clone(&self) -> Self {
        OrgAccess {
            principal: self.principal.clone(),
            org: self.org.clone(),
            role: self.role,
            level: PhantomData,
        }
    }
}

impl<L: Level> OrgAccess<L> {
    pub fn org(&self) -> &Organization {
        &self.org
    }

    pub fn org_id(&self) -> &OrgId {
        &self.org.id
    }

    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    pub fn user(&self) -> &User {
        &self.principal.user
    }

    /// The caller's effective role (a read-only token is a viewer).
    pub fn role(&self) -> Role {
        self.role
    }

    pub fn can_edit(&self) -> bool {
        rank(self.role) >= rank(Role::Assessor)
    }

    pub fn can_manage(&self) -> bool {
        self.role == Role::Admin
    }

    /// The organization's size tier (small until it has one).
    pub fn tier(&self) -> Tier {
        tier_of(&self.org)
    }

    /// The same access at another level, if the role allows it.
    pub fn at<M: Level>(&self) -> Result<OrgAccess<M>> {
        if rank(self.role) < rank(M::LEAST) {
            return Err(Error::Forbidden);
        }
        Ok(OrgAccess {
            principal: self.principal.clone(),
            org: self.org.clone(),
            role: self.role,
            level: PhantomData,
        })
    }

    /// The same access with the organization as it was re-read inside a transaction.
    pub(crate) fn with_org(&self, org: Organization) -> OrgAccess<L> {
        OrgAccess {
            principal: self.principal.clone(),
            org,
            role: self.role,
            level: PhantomData,
        }
    }
}

pub(crate) fn tier_of(org: &Organization) -> Tier {
    org.tier.unwrap_or(Tier::Small)
}

/// Proof that the caller runs the installation: a signed-in installation administrator,
/// or the operator at the command line (who holds the database anyway).
#[derive(Clone, Debug)]
pub struct InstallationAdmin {
    principal: Option<Principal>,
}

impl InstallationAdmin {
    /// The signed-in administrator (`None`: the operator at the command line).
    pub fn user(&self) -> Option<&User> {
        self.principal.as_ref().map(|p| &p.user)
    }
}

/// A signed-in request: the session's principal and, when the request named an
/// organization, what the session's query read of it (see [`App::visit`]).
#[derive(Clone, Debug)]
pub struct Visit {
    pub principal: Principal,
    pub session: Session,
    /// The organization asked for, and what was read of it (`None`: it does not exist).
    pub(crate) org: Option<(OrgId, Option<OrgVisit>)>,
}

impl App {
    /// The access of `who` to organization `org` at level `L`. Outsiders get `NotFound`
    /// (they learn nothing, not even that it exists); members below `L` get `Forbidden`.
    pub async fn org_access<L: Level>(&self, who: &Principal, org: &str) -> Result<OrgAccess<L>> {
        let id = OrgId::new(org);
        let mut c = self.store().conn().await?;
        let role = if who.user.is_admin {
            Some(Role::Admin)
        } else {
            c.role_of(&who.user.id, &id).await?
        };
        if role.is_none() {
            return Err(Error::NotFound);
        }
        let org = c.organization(&id).await?;
        self.decide_access(who, role, org)
    }

    /// The access of a visit's principal to the organization the visit read with the
    /// session (see [`App::visit`]), with its open assessment: no further query. `None`
    /// when the visit did not read `org`.
    pub fn org_access_of_visit<L: Level>(
        &self,
        visit: &Visit,
        org: &str,
    ) -> Option<Result<(OrgAccess<L>, Option<Assessment>)>> {
        let (id, read) = visit.org.as_ref()?;
        if id.as_str() != org {
            return None;
        }
        let Some(read) = read else {
            return Some(Err(Error::NotFound));
        };
        let role = if visit.principal.user.is_admin {
            Some(Role::Admin)
        } else {
            read.role
        };
        Some(
            self.decide_access(&visit.principal, role, Some(read.org.clone()))
                .map(|access| (access, read.assessment.clone())),
        )
    }

    /// Whether `who`, with `role` in `org` (as read), may see it at level `L`.
    fn decide_access<L: Level>(
        &self,
        who: &Principal,
        role: Option<Role>,
        org: Option<Organization>,
    ) -> Result<OrgAccess<L>> {
        let (Some(mut role), Some(org)) = (role, org) else {
            return Err(Error::NotFound);
        };
        if who.read_only {
            role = Role::Viewer;
        }
        // The organization's policy: its members (installation admins too) sign in with a
        // second factor. The account decides, so an API token of such an account works.
        if (org.require_mfa || self.settings().require_mfa)
            && who.user.totp_secret.is_none()
            && !who.idp_mfa
        {
            return Err(Error::MfaRequired);
        }
        OrgAccess::<Read> {
            principal: who.clone(),
            org,
            role,
            level: PhantomData,
        }
        .at::<L>()
    }

    /// `who` as an installation administrator, if they are one (and not on a read-only token).
    pub fn installation_admin(&self, who: &Principal) -> Result<InstallationAdmin> {
        if who.user.is_admin && !who.read_only {
            Ok(InstallationAdmin {
                principal: Some(who.clone()),
            })
        } else {
            Err(Error::Forbidden)
        }
    }

    /// The operator at the command line: whoever runs `hicp admin` holds the database.
    pub fn operator(&self) -> InstallationAdmin {
        InstallationAdmin { principal: None }
    }
}
