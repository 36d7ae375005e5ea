//! Glue between stored rows and the domain: which organization a request may see, and the
//! domain `Answers` built from what is stored.

use crate::AppState;
use crate::error::AppError;
use crate::session::Auth;
use hicp_core::assessment::{
    Answers, CriterionAnswer, Date, Evidence, OrgType, Profile, Status, classify,
};
use hicp_core::catalog::{SubPracticeId, Tier};
use hicp_store::{Assessment, OrgId, Organization, Role};
use serde::{Deserialize, Serialize};

/// An organization the signed-in user may see, with their role and its open assessment.
pub struct OrgCtx {
    pub org: Organization,
    pub role: Role,
    pub assessment: Assessment,
    pub tier: Tier,
}

impl OrgCtx {
    pub fn can_edit(&self) -> bool {
        self.role.can_edit()
    }

    pub fn require_edit(&self) -> Result<(), AppError> {
        if self.can_edit() {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// The organization `org` if `auth` may see it. Users of other organizations get "not
/// found", so they learn nothing, not even that it exists.
pub async fn org_ctx(state: &AppState, auth: &Auth, org: &str) -> Result<OrgCtx, AppError> {
    let id = OrgId::new(org);
    let role = if auth.user.is_admin {
        Some(Role::Admin)
    } else {
        state
            .store
            .role_of(&auth.user.id, &id)
            .await
            .map_err(AppError::internal)?
    };
    let Some(role) = role else {
        return Err(AppError::NotFound);
    };
    let Some(org) = state
        .store
        .organization(&id)
        .await
        .map_err(AppError::internal)?
    else {
        return Err(AppError::NotFound);
    };
    let tier = org
        .tier
        .as_deref()
        .and_then(Tier::from_name)
        .unwrap_or(Tier::Small);
    let assessment = match state
        .store
        .current_assessment(&id)
        .await
        .map_err(AppError::internal)?
    {
        Some(a) => a,
        None => state
            .store
            .create_assessment(&hicp_store::NewAssessment {
                org_id: &id,
                name: "Assessment",
                tier: tier.name(),
                created_by: &auth.user.id,
            })
            .await
            .map_err(AppError::internal)?,
    };
    Ok(OrgCtx {
        org,
        role,
        assessment,
        tier,
    })
}

/// The sizing interview's answers as stored with the organization (JSON).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ProfileJson {
    pub org_type: Option<String>,
    pub physicians: Option<u32>,
    pub staffed_beds: Option<u32>,
    pub workforce: Option<u32>,
    pub it_assets: Option<u32>,
    pub it_staff: Option<u32>,
    pub security_staff: Option<u32>,
    pub sites: Option<u32>,
}

impl ProfileJson {
    pub fn to_profile(&self, name: &str) -> Profile {
        Profile {
            name: Some(name.to_owned()),
            org_type: self.org_type.as_deref().and_then(OrgType::from_name),
            physicians: self.physicians,
            staffed_beds: self.staffed_beds,
            workforce: self.workforce,
            it_assets: self.it_assets,
            it_staff: self.it_staff,
            security_staff: self.security_staff,
            sites: self.sites,
        }
    }

    pub fn of(org: &Organization) -> ProfileJson {
        org.profile_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default()
    }
}

fn date(d: Option<hicp_store::Date>) -> Option<Date> {
    d.and_then(|d| Date::new(d.year(), u8::from(d.month()), d.day()))
}

/// The domain's view of the stored assessment, ready to score and plan.
pub async fn answers(state: &AppState, ctx: &OrgCtx) -> Result<Answers, AppError> {
    let store = &state.store;
    let rows = store
        .answers(&ctx.assessment.id)
        .await
        .map_err(AppError::internal)?;
    let evidence = store
        .evidence_for_assessment(&ctx.assessment.id)
        .await
        .map_err(AppError::internal)?;
    let opted = store
        .opted_in_sub_practices(&ctx.assessment.id)
        .await
        .map_err(AppError::internal)?;
    let mut a = Answers::blank(&state.catalog, ctx.tier);
    a.profile = ProfileJson::of(&ctx.org).to_profile(&ctx.org.name);
    a.sizing = classify(&a.profile);
    a.tier_override = ctx.org.tier_overridden.then_some(ctx.tier);
    a.opt_in = opted
        .iter()
        .filter_map(|id| SubPracticeId::parse(id).map(|(id, _, _)| id))
        .collect();
    for row in rows {
        let status = Status::from_name(&row.status).unwrap_or(Status::NotStarted);
        let evidence = evidence
            .iter()
            .filter(|e| e.criterion_id.as_deref() == Some(row.criterion_id.as_str()))
            .map(|e| Evidence {
                title: e.title.clone(),
                location: e.url.clone().or_else(|| e.file_name.clone()),
                collected: date(e.collected_on),
                valid_until: date(e.valid_until),
            })
            .collect();
        a.criteria.insert(
            row.criterion_id.clone(),
            CriterionAnswer {
                status,
                reason: row.na_reason,
                notes: row.notes,
                owner: row.owner,
                in_place_since: date(row.in_place_since),
                evidence,
            },
        );
    }
    Ok(a)
}

/// Sets the organization's tier; it is an override when the sizing rules disagree, and the
/// reason says `how` it was chosen (e.g. "by hand").
pub async fn set_tier(
    state: &AppState,
    auth: &Auth,
    ctx: &OrgCtx,
    tier: Tier,
    how: &str,
) -> Result<(), AppError> {
    let sizing = classify(&ProfileJson::of(&ctx.org).to_profile(&ctx.org.name));
    let overridden = sizing.tier != Some(tier);
    let reason = if overridden {
        format!(
            "Set to {} {how}. The sizing rules said: {}",
            tier.name(),
            sizing.explanation
        )
    } else {
        sizing.explanation.clone()
    };
    state
        .store
        .update_organization(
            &ctx.org.id,
            &hicp_store::OrganizationUpdate {
                name: &ctx.org.name,
                profile_json: ctx.org.profile_json.as_deref(),
                tier: Some(tier.name()),
                tier_reason: Some(&reason),
                tier_overridden: overridden,
            },
            &auth.user.id,
        )
        .await
        .map_err(AppError::internal)?;
    Ok(())
}
