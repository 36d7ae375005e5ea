//! The organization list, creating an organization (the sizing interview), and its settings.

use super::render;
use crate::AppState;
use crate::error::{AppError, problem_words};
use crate::session::Auth;
use crate::view::org_ctx;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use hicp_app::{Emailed, Error, Invited, Manage, Role, TierSource, profile_of};
use hicp_core::assessment::{OrgType, Profile, classify};
use hicp_core::catalog::Tier;
use serde::Deserialize;

/// An `<option>` of a `<select>`.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub tier: String,
    pub role: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    csrf: String,
    user_name: String,
    orgs: Vec<OrgRow>,
    can_create: bool,
    /// Invitations waiting for this person: organization id, name and role offered.
    invitations: Vec<OrgRow>,
}

pub async fn home(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    let orgs: Vec<OrgRow> = state
        .app
        .organizations(auth.principal())
        .await?
        .into_iter()
        .map(|(o, r)| OrgRow {
            id: o.id.to_string(),
            name: o.name,
            tier: o.tier.map(|t| t.to_string()).unwrap_or_default(),
            role: r.to_string(),
        })
        .collect();
    let invitations = state
        .app
        .my_invitations(auth.principal())
        .await?
        .into_iter()
        .map(|(i, name)| OrgRow {
            id: i.org_id.to_string(),
            name,
            tier: String::new(),
            role: i.role.to_string(),
        })
        .collect::<Vec<OrgRow>>();
    // Someone with one organization and nothing to decide goes straight to it.
    if let [only] = orgs.as_slice()
        && invitations.is_empty()
        && !auth.user().is_admin
    {
        return Ok(Redirect::to(&format!("/orgs/{}", only.id)).into_response());
    }
    render(&HomePage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        orgs,
        can_create: auth.user().is_admin,
        invitations,
    })
}

/// Accepts or declines an invitation (the path's last part: `accept` or `decline`).
pub async fn answer_invitation(
    State(state): State<AppState>,
    auth: Auth,
    Path((org, answer)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let accept = match answer.as_str() {
        "accept" => true,
        "decline" => false,
        _ => return Err(AppError::NotFound),
    };
    state
        .app
        .answer_invitation(auth.principal(), &org, accept)
        .await?;
    let to = if accept {
        format!("/orgs/{org}")
    } else {
        "/".to_owned()
    };
    Ok(Redirect::to(&to).into_response())
}

/// The sizing interview, as typed (numbers stay text so a wrong entry can be shown back).
#[derive(Default, Deserialize)]
pub struct OrgForm {
    pub name: String,
    #[serde(default)]
    pub org_type: String,
    #[serde(default)]
    pub physicians: String,
    #[serde(default)]
    pub staffed_beds: String,
    #[serde(default)]
    pub workforce: String,
    #[serde(default)]
    pub it_assets: String,
    #[serde(default)]
    pub it_staff: String,
    #[serde(default)]
    pub security_staff: String,
    #[serde(default)]
    pub sites: String,
}

const ORG_TYPE_LABELS: [(&str, &str); 7] = [
    ("physician-practice", "Physician practice or clinic"),
    ("hospital", "Hospital or health system"),
    ("post-acute", "Post-acute or long-term care"),
    ("payer", "Health plan or payer"),
    ("device-manufacturer", "Medical device manufacturer"),
    (
        "business-associate",
        "Business associate (billing, IT, other services)",
    ),
    ("other", "Other"),
];

#[derive(Template)]
#[template(path = "org_new.html")]
struct NewOrgPage {
    csrf: String,
    user_name: String,
    error: String,
    form: OrgForm,
    org_types: Vec<Opt>,
}

fn new_page(auth: &Auth, form: OrgForm, error: String) -> NewOrgPage {
    let org_types = ORG_TYPE_LABELS
        .iter()
        .map(|(v, l)| Opt {
            value: (*v).into(),
            label: (*l).into(),
            selected: form.org_type == *v,
        })
        .collect();
    NewOrgPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        error,
        form,
        org_types,
    }
}

pub async fn new_form(auth: Auth) -> Result<Response, AppError> {
    if !auth.user().is_admin {
        return Err(AppError::Forbidden);
    }
    render(&new_page(&auth, OrgForm::default(), String::new()))
}

/// Parses a count field; names the field in the error.
fn count(label: &str, s: &str) -> Result<Option<u32>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<u32>()
        .map(Some)
        .map_err(|_| format!("{label}: enter a whole number (or leave it empty), not \"{s}\"."))
}

fn profile(f: &OrgForm) -> Result<Profile, String> {
    let org_type = match f.org_type.as_str() {
        "" => None,
        t => match OrgType::from_name(t) {
            Some(t) => Some(t),
            None => return Err("Choose the kind of organization from the list.".into()),
        },
    };
    Ok(Profile {
        name: Some(f.name.trim().to_owned()),
        org_type,
        physicians: count("Physicians and other providers", &f.physicians)?,
        staffed_beds: count("Staffed beds", &f.staffed_beds)?,
        workforce: count("People working there", &f.workforce)?,
        it_assets: count("Computers and devices", &f.it_assets)?,
        it_staff: count("Employees whose job is IT", &f.it_staff)?,
        security_staff: count("Employees whose job is cybersecurity", &f.security_staff)?,
        sites: count("Sites", &f.sites)?,
    })
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Form(f): Form<OrgForm>,
) -> Result<Response, AppError> {
    let admin = state.app.installation_admin(auth.principal())?;
    let profile = match (f.name.trim().is_empty(), profile(&f)) {
        (true, _) => return render(&new_page(&auth, f, "Enter the organization's name.".into())),
        (_, Err(e)) => return render(&new_page(&auth, f, e)),
        (_, Ok(p)) => p,
    };
    let org = state
        .app
        .create_organization(&admin, &f.name, &profile)
        .await?;
    Ok(Redirect::to(&format!("/orgs/{}/settings?created=1", org.id)).into_response())
}

#[derive(Template)]
#[template(path = "org_settings.html")]
struct SettingsPage {
    csrf: String,
    user_name: String,
    org_id: String,
    /// The navigation links the proposed-rule readiness page (the catalog has the rule).
    nprm: bool,
    org_name: String,
    tier: String,
    suggested: String,
    explanation: String,
    overridden: bool,
    can_edit: bool,
    created: bool,
    saved: bool,
    tiers: Vec<Opt>,
    require_mfa: bool,
    /// The health systems it can belong to (for admins), and the one it belongs to.
    parents: Vec<Opt>,
    parent_name: String,
    /// The profile as stored, or as typed when it was refused.
    form: OrgForm,
    org_types: Vec<Opt>,
    profile_error: String,
    /// How much each threat counts (1 is HICP's even weighting).
    weights: Vec<WeightRow>,
    weights_error: String,
}

pub struct WeightRow {
    pub id: String,
    pub name: String,
    pub value: String,
}

/// The profile form of an organization as stored.
fn form_of(org: &hicp_app::Organization) -> OrgForm {
    let p = profile_of(org);
    let n = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
    OrgForm {
        name: org.name.clone(),
        org_type: p.org_type.map(|t| t.name().to_owned()).unwrap_or_default(),
        physicians: n(p.physicians),
        staffed_beds: n(p.staffed_beds),
        workforce: n(p.workforce),
        it_assets: n(p.it_assets),
        it_staff: n(p.it_staff),
        security_staff: n(p.security_staff),
        sites: n(p.sites),
    }
}

fn org_type_options(selected: &str) -> Vec<Opt> {
    ORG_TYPE_LABELS
        .iter()
        .map(|(v, l)| Opt {
            value: (*v).into(),
            label: (*l).into(),
            selected: selected == *v,
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    saved: Option<String>,
}

pub async fn settings(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
    Query(q): Query<SettingsQuery>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    settings_page(&state, &auth, &ctx, &q, None, String::new(), String::new()).await
}

async fn settings_page(
    state: &AppState,
    auth: &Auth,
    ctx: &crate::view::OrgCtx,
    q: &SettingsQuery,
    form: Option<OrgForm>,
    profile_error: String,
    weights_error: String,
) -> Result<Response, AppError> {
    let form = form.unwrap_or_else(|| form_of(&ctx.org));
    let stored = hicp_app::threat_weights_of(&ctx.org);
    let weights = state
        .catalog()
        .threats
        .iter()
        .map(|t| WeightRow {
            id: t.id.to_string(),
            name: t.name.clone(),
            value: stored
                .get(t.id.as_str())
                .copied()
                .unwrap_or(1.0)
                .to_string(),
        })
        .collect();
    let sizing = classify(&profile_of(&ctx.org));
    let tiers = Tier::ALL
        .iter()
        .map(|t| Opt {
            value: t.name().into(),
            label: t.name().into(),
            selected: *t == ctx.tier,
        })
        .collect();
    let (parents, parent_name) = super::portfolio::parent_choices(state, auth, ctx).await?;
    render(&SettingsPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        org_id: ctx.org.id.to_string(),
        nprm: crate::pages::readiness::offered(state),
        org_name: ctx.org.name.clone(),
        tier: ctx.tier.name().into(),
        suggested: sizing.tier.map_or("no tier yet", |t| t.name()).into(),
        explanation: ctx.org.tier_reason.clone().unwrap_or(sizing.explanation),
        overridden: ctx.org.tier_overridden,
        can_edit: ctx.can_manage(),
        created: q.created.is_some(),
        saved: q.saved.is_some(),
        tiers,
        require_mfa: ctx.org.require_mfa,
        parents,
        parent_name,
        org_types: org_type_options(&form.org_type),
        form,
        profile_error,
        weights,
        weights_error,
    })
}

/// Saves the organization's name and sizing profile; the tier follows when the sizing
/// rules chose it.
pub async fn update_profile(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
    Form(f): Form<OrgForm>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let access = ctx.access.at::<Manage>()?;
    let problem = match (f.name.trim().is_empty(), profile(&f)) {
        (true, _) => Err("Name: enter the organization's name.".to_owned()),
        (_, Err(e)) => Err(e),
        (_, Ok(p)) => Ok(p),
    };
    let p = match problem {
        Ok(p) => p,
        Err(e) => {
            let page = settings_page(
                &state,
                &auth,
                &ctx,
                &SettingsQuery::default(),
                Some(f),
                e,
                String::new(),
            )
            .await?;
            return Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    state.app.update_profile(&access, &f.name, &p).await?;
    Ok(Redirect::to(&format!("/orgs/{org}/settings?saved=1#profile")).into_response())
}

/// Saves how much each threat counts in the overall score and the plan (the form's
/// `weight-THREAT` fields; an empty one is 1).
pub async fn update_weights(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
    Form(f): Form<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let access = ctx.access.at::<Manage>()?;
    const WORDS: &str = "use a number above 0 and at most 10 (1 counts it like the others).";
    let mut weights = std::collections::BTreeMap::new();
    let mut problem = None;
    for t in &state.catalog().threats {
        let given = f.get(&format!("weight-{}", t.id)).map_or("", |v| v.trim());
        if given.is_empty() {
            weights.insert(t.id.to_string(), 1.0);
        } else if let Ok(w) = given.parse::<f64>() {
            weights.insert(t.id.to_string(), w);
        } else {
            problem = Some(format!("{}: {WORDS}", t.name));
            break;
        }
    }
    // The range is the application's rule (the same as in answers files).
    let problem = match problem {
        Some(p) => p,
        None => match state.app.set_threat_weights(&access, &weights).await {
            Ok(()) => {
                return Ok(
                    Redirect::to(&format!("/orgs/{org}/settings?saved=1#weights")).into_response(),
                );
            }
            Err(Error::Invalid { .. }) => format!("Each weight: {WORDS}"),
            Err(e) => return Err(e.into()),
        },
    };
    let page = settings_page(
        &state,
        &auth,
        &ctx,
        &SettingsQuery::default(),
        None,
        String::new(),
        problem,
    )
    .await?;
    Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response())
}

#[derive(Deserialize)]
pub struct TierForm {
    tier: String,
}

pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
    Form(f): Form<TierForm>,
) -> Result<Response, AppError> {
    let access = state
        .app
        .org_access::<Manage>(auth.principal(), &org)
        .await?;
    let Some(tier) = Tier::from_name(&f.tier) else {
        return Err(AppError::BadRequest(
            "tier: choose small, medium or large.".into(),
        ));
    };
    state
        .app
        .set_tier(&access, tier, TierSource::ByHand)
        .await?;
    Ok(Redirect::to(&format!("/orgs/{org}/settings?saved=1")).into_response())
}

pub struct MemberRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    csrf: String,
    user_name: String,
    org_id: String,
    /// The navigation links the proposed-rule readiness page (the catalog has the rule).
    nprm: bool,
    org_name: String,
    members: Vec<MemberRow>,
    /// Invited, not yet joined: email and role (admins only).
    invited: Vec<(String, String)>,
    is_admin: bool,
    /// Invitations go out by email (no first password to type).
    by_email: bool,
    link_hours: i64,
    message: String,
    message_class: String,
}

async fn members_page(
    state: &AppState,
    auth: &Auth,
    ctx: &crate::view::OrgCtx,
    message: String,
    ok: bool,
) -> Result<Response, AppError> {
    let members = state
        .app
        .members(&ctx.access)
        .await?
        .into_iter()
        .map(|m| MemberRow {
            id: m.user_id.to_string(),
            name: m.display_name,
            email: m.email,
            role: m.role.to_string(),
        })
        .collect();
    let invited = match ctx.access.at::<Manage>() {
        Ok(manage) => state
            .app
            .pending_invitations(&manage)
            .await?
            .into_iter()
            .map(|i| (i.email, i.role.to_string()))
            .collect(),
        Err(_) => Vec::new(),
    };
    render(&MembersPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        org_id: ctx.org.id.to_string(),
        nprm: crate::pages::readiness::offered(state),
        org_name: ctx.org.name.clone(),
        members,
        invited,
        is_admin: ctx.can_manage(),
        by_email: state.app.settings().mail.is_configured(),
        link_hours: hicp_app::LINK_HOURS,
        message_class: if ok { "flash".into() } else { "error".into() },
        message,
    })
}

pub async fn members(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    members_page(&state, &auth, &ctx, String::new(), true).await
}

#[derive(Deserialize)]
pub struct MemberForm {
    display_name: String,
    email: String,
    role: String,
    #[serde(default)]
    password: String,
}

pub async fn add_member(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
    Form(f): Form<MemberForm>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let access = ctx.access.at::<Manage>()?;
    let Some(role) = Role::parse(&f.role) else {
        return members_page(
            &state,
            &auth,
            &ctx,
            "Role: choose viewer, assessor or admin.".into(),
            false,
        )
        .await;
    };
    let (message, ok) = match state
        .app
        .add_member(&access, &f.email, &f.display_name, role, &f.password)
        .await
    {
        // With mail, the same words whether or not the email has an account.
        Ok(Invited::InPerson) => (
            format!(
                "{} is invited as {role}. They join when they accept the invitation on their home page after signing in. If they have no account yet, one was made with the first password you typed: tell it to them in person; they choose their own at the first sign-in.",
                f.email.trim().to_lowercase()
            ),
            true,
        ),
        Ok(Invited::ByEmail(Emailed::Sent)) => (
            format!(
                "{} is invited as {role}. An email with the invitation is on its way to them; they join when they accept it.",
                f.email.trim().to_lowercase()
            ),
            true,
        ),
        Ok(Invited::ByEmail(Emailed::Failed(_))) => (
            format!(
                "{} is invited as {role}, but the email could not be sent. Invite them again later to send a new one; if it keeps failing, tell your installation's administrator (the audit log has the mail server's answer).",
                f.email.trim().to_lowercase()
            ),
            false,
        ),
        Err(Error::Invalid {
            field: "password",
            problem,
        }) => (
            format!("First password: {}", problem_words("password", &problem)),
            false,
        ),
        Err(Error::Invalid { field, problem }) => (problem_words(field, &problem), false),
        Err(e) => return Err(e.into()),
    };
    members_page(&state, &auth, &ctx, message, ok).await
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    email: String,
}

/// Withdraws an invitation not yet answered; an emailed link for it stops working.
pub async fn withdraw_invitation(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
    Form(f): Form<WithdrawForm>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let access = ctx.access.at::<Manage>()?;
    let email = f.email.trim().to_lowercase();
    let (message, ok) = match state.app.withdraw_invitation(&access, &email).await {
        Ok(()) => (
            format!(
                "The invitation of {email} is withdrawn. If they got an email with a link, the link no longer works."
            ),
            true,
        ),
        Err(Error::NotFound) => (
            format!(
                "{email} has no invitation waiting here: it may have been accepted, declined or withdrawn already."
            ),
            false,
        ),
        Err(Error::Invalid { field, problem }) => (problem_words(field, &problem), false),
        Err(e) => return Err(e.into()),
    };
    members_page(&state, &auth, &ctx, message, ok).await
}

#[derive(Deserialize)]
pub struct RoleForm {
    /// `viewer`, `assessor`, `admin`, or `remove`.
    role: String,
}

/// Changes a member's role or removes them; the organization keeps at least one admin.
pub async fn set_member_role(
    State(state): State<AppState>,
    auth: Auth,
    Path((org, user)): Path<(String, String)>,
    Form(f): Form<RoleForm>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let access = ctx.access.at::<Manage>()?;
    let role = match f.role.as_str() {
        "remove" => None,
        r => match Role::parse(r) {
            Some(r) => Some(r),
            None => {
                return members_page(
                    &state,
                    &auth,
                    &ctx,
                    "Role: choose viewer, assessor, admin or remove.".into(),
                    false,
                )
                .await;
            }
        },
    };
    let user = hicp_app::UserId::new(&user);
    let (message, ok) = match state.app.set_member_role(&access, &user, role).await {
        Ok(()) => match role {
            Some(r) => (format!("The role is now {r}."), true),
            None => ("The person no longer has access.".to_owned(), true),
        },
        Err(Error::Invalid { field, problem }) => (problem_words(field, &problem), false),
        Err(e) => return Err(e.into()),
    };
    members_page(&state, &auth, &ctx, message, ok).await
}
