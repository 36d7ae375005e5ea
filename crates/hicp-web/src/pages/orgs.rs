//! The organization list, creating an organization (the sizing interview), and its settings.

use super::render;
use crate::AppState;
use crate::error::AppError;
use crate::session::Auth;
use crate::view::{ProfileJson, org_ctx};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use hicp_core::assessment::{OrgType, classify};
use hicp_core::catalog::Tier;
use hicp_store::{NewAssessment, NewOrganization};
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
}

pub async fn home(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    let orgs: Vec<OrgRow> = if auth.user.is_admin {
        state
            .store
            .list_organizations()
            .await
            .map_err(AppError::internal)?
            .into_iter()
            .map(|o| OrgRow {
                id: o.id.to_string(),
                name: o.name,
                tier: o.tier.unwrap_or_default(),
                role: "admin".into(),
            })
            .collect()
    } else {
        state
            .store
            .organizations_for_user(&auth.user.id)
            .await
            .map_err(AppError::internal)?
            .into_iter()
            .map(|(o, r)| OrgRow {
                id: o.id.to_string(),
                name: o.name,
                tier: o.tier.unwrap_or_default(),
                role: r.to_string(),
            })
            .collect()
    };
    render(&HomePage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user.display_name.clone(),
        orgs,
        can_create: auth.user.is_admin,
    })
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
        user_name: auth.user.display_name.clone(),
        error,
        form,
        org_types,
    }
}

pub async fn new_form(auth: Auth) -> Result<Response, AppError> {
    if !auth.user.is_admin {
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

fn profile(f: &OrgForm) -> Result<ProfileJson, String> {
    if !f.org_type.is_empty() && OrgType::from_name(&f.org_type).is_none() {
        return Err("Choose the kind of organization from the list.".into());
    }
    Ok(ProfileJson {
        org_type: (!f.org_type.is_empty()).then(|| f.org_type.clone()),
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
    if !auth.user.is_admin {
        return Err(AppError::Forbidden);
    }
    let name = f.name.trim().to_owned();
    let profile = match (name.is_empty(), profile(&f)) {
        (true, _) => return render(&new_page(&auth, f, "Enter the organization's name.".into())),
        (_, Err(e)) => return render(&new_page(&auth, f, e)),
        (_, Ok(p)) => p,
    };
    let sizing = classify(&profile.to_profile(&name));
    let tier = sizing.tier.unwrap_or(Tier::Small);
    let profile_json = serde_json::to_string(&profile).map_err(AppError::internal)?;
    let org = state
        .store
        .create_organization(
            &NewOrganization {
                name: &name,
                profile_json: Some(&profile_json),
                tier: Some(tier.name()),
                tier_reason: Some(&sizing.explanation),
                tier_overridden: false,
            },
            &auth.user.id,
        )
        .await
        .map_err(AppError::internal)?;
    state
        .store
        .create_assessment(&NewAssessment {
            org_id: &org.id,
            name: "Assessment",
            tier: tier.name(),
            created_by: &auth.user.id,
        })
        .await
        .map_err(AppError::internal)?;
    Ok(Redirect::to(&format!("/orgs/{}/settings?created=1", org.id)).into_response())
}

#[derive(Template)]
#[template(path = "org_settings.html")]
struct SettingsPage {
    csrf: String,
    user_name: String,
    org_id: String,
    org_name: String,
    tier: String,
    suggested: String,
    explanation: String,
    overridden: bool,
    can_edit: bool,
    created: bool,
    saved: bool,
    tiers: Vec<Opt>,
}

#[derive(Deserialize)]
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
    let sizing = classify(&ProfileJson::of(&ctx.org).to_profile(&ctx.org.name));
    let tiers = Tier::ALL
        .iter()
        .map(|t| Opt {
            value: t.name().into(),
            label: t.name().into(),
            selected: *t == ctx.tier,
        })
        .collect();
    render(&SettingsPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user.display_name.clone(),
        org_id: ctx.org.id.to_string(),
        org_name: ctx.org.name.clone(),
        tier: ctx.tier.name().into(),
        suggested: sizing.tier.map_or("no tier yet", |t| t.name()).into(),
        explanation: ctx.org.tier_reason.clone().unwrap_or(sizing.explanation),
        overridden: ctx.org.tier_overridden,
        can_edit: ctx.role == hicp_store::Role::Admin,
        created: q.created.is_some(),
        saved: q.saved.is_some(),
        tiers,
    })
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
    let ctx = org_ctx(&state, &auth, &org).await?;
    if ctx.role != hicp_store::Role::Admin {
        return Err(AppError::Forbidden);
    }
    let Some(tier) = Tier::from_name(&f.tier) else {
        return Err(AppError::BadRequest(
            "tier: choose small, medium or large.".into(),
        ));
    };
    crate::view::set_tier(&state, &auth, &ctx, tier, "by hand").await?;
    Ok(Redirect::to(&format!("/orgs/{org}/settings?saved=1")).into_response())
}

pub struct MemberRow {
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
    org_name: String,
    members: Vec<MemberRow>,
    is_admin: bool,
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
        .store
        .members(&ctx.org.id)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .map(|m| MemberRow {
            name: m.display_name,
            email: m.email,
            role: m.role.to_string(),
        })
        .collect();
    render(&MembersPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user.display_name.clone(),
        org_id: ctx.org.id.to_string(),
        org_name: ctx.org.name.clone(),
        members,
        is_admin: ctx.role == hicp_store::Role::Admin,
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
    if ctx.role != hicp_store::Role::Admin {
        return Err(AppError::Forbidden);
    }
    let Some(role) = hicp_store::Role::parse(&f.role) else {
        return members_page(
            &state,
            &auth,
            &ctx,
            "Role: choose viewer, assessor or admin.".into(),
            false,
        )
        .await;
    };
    let email = f.email.trim().to_lowercase();
    if !email.contains('@') {
        return members_page(
            &state,
            &auth,
            &ctx,
            "Email: enter an email address.".into(),
            false,
        )
        .await;
    }
    let user = match state
        .store
        .user_by_email(&email)
        .await
        .map_err(AppError::internal)?
    {
        Some(u) => u,
        None => {
            if let Some(problem) = crate::auth::password_problem(&f.password) {
                return members_page(
                    &state,
                    &auth,
                    &ctx,
                    format!("First password: {problem}"),
                    false,
                )
                .await;
            }
            let name = f.display_name.trim().to_owned();
            let password = f.password.clone();
            let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
                .await
                .map_err(AppError::internal)?
                .map_err(AppError::internal)?;
            state
                .store
                .create_user(&hicp_store::NewUser {
                    email: &email,
                    display_name: &name,
                    password_hash: &hash,
                    is_admin: false,
                })
                .await
                .map_err(AppError::internal)?
        }
    };
    state
        .store
        .grant_role(&ctx.org.id, &user.id, role, &auth.user.id)
        .await
        .map_err(AppError::internal)?;
    members_page(
        &state,
        &auth,
        &ctx,
        format!("{} is now {} of {}.", user.display_name, role, ctx.org.name),
        true,
    )
    .await
}
