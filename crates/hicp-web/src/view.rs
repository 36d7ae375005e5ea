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

/// A stored date as the domain's date.
pub fn core_date(d: hicp_store::Date) -> Option<Date> {
    Date::new(d.year(), u8::from(d.month()), d.day())
}

/// A domain date as the store's date.
pub fn store_date(d: Date) -> Option<hicp_store::Date> {
    time::Month::try_from(d.month())
        .ok()
        .and_then(|m| hicp_store::Date::from_calendar_date(d.year(), m, d.day()).ok())
}

/// Today (UTC), as the domain's date.
pub fn today() -> Date {
    core_date(time::OffsetDateTime::now_utc().date()).expect("today is a calendar date")
}

/// A date typed in a form field: empty is none; a malformed date is an error naming the
/// field, and so is a future one unless `future_ok` (a due date, a "valid until").
pub fn form_date(
    field: &str,
    s: &str,
    future_ok: bool,
) -> Result<Option<hicp_store::Date>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match Date::parse(s).ok().and_then(store_date) {
        None => Err(format!("{field}: \"{s}\" is not a date (use YYYY-MM-DD).")),
        Some(d) if !future_ok && d > time::OffsetDateTime::now_utc().date() => {
            Err(format!("{field}: {s} is in the future."))
        }
        Some(d) => Ok(Some(d)),
    }
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
                collected: e.collected_on.and_then(core_date),
                valid_until: e.valid_until.and_then(core_date),
            })
            .collect();
        a.criteria.insert(
            row.criterion_id.clone(),
            CriterionAnswer {
                status,
                reason: row.na_reason,
                notes: row.notes,
                owner: row.owner,
                in_place_since: row.in_place_since.and_then(core_date),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_convert_both_ways() {
        let d = Date::parse("2024-02-29").unwrap();
        assert_eq!(store_date(d).and_then(core_date), Some(d));
    }

    #[test]
    fn form_dates_name_the_field_and_refuse_the_future_unless_allowed() {
        assert_eq!(form_date("Due", " ", true), Ok(None));
        assert_eq!(
            form_date("Due", "2026-13-01", true).unwrap_err(),
            "Due: \"2026-13-01\" is not a date (use YYYY-MM-DD)."
        );
        assert!(
            form_date("In place since", "2999-01-01", false)
                .unwrap_err()
                .ends_with("is in the future.")
        );
        assert!(
            form_date("Valid until", "2999-01-01", true)
                .unwrap()
                .is_some()
        );
    }
}
