//! Glue between requests and the application layer: which organization a request may see
//! (as a typed access), and dates typed in forms.

use crate::AppState;
use crate::error::AppError;
use crate::session::Auth;
use hicp_app::{Assessment, AssessmentView, Level, OrgAccess, Organization, Read};
use hicp_core::assessment::Date;
use hicp_core::catalog::Tier;
use std::sync::Arc;

/// An organization the signed-in user may see, with their role and its open assessment.
pub struct OrgCtx {
    pub access: OrgAccess<Read>,
    pub org: Organization,
    pub assessment: Assessment,
    pub tier: Tier,
}

impl OrgCtx {
    pub fn can_edit(&self) -> bool {
        self.access.can_edit()
    }

    pub fn can_manage(&self) -> bool {
        self.access.can_manage()
    }
}

/// The organization `org` if `auth` may see it. Users of other organizations get "not
/// found", so they learn nothing, not even that it exists.
///
/// The session's query already read the organization of the request's path with the
/// user's role and its open assessment, so this usually asks the database nothing.
pub async fn org_ctx(state: &AppState, auth: &Auth, org: &str) -> Result<OrgCtx, AppError> {
    let (access, assessment) = match state.app.org_access_of_visit::<Read>(&auth.visit, org) {
        Some(read) => read?,
        None => (
            state.app.org_access::<Read>(auth.principal(), org).await?,
            None,
        ),
    };
    let assessment = match assessment {
        Some(a) => a,
        None => state.app.current_assessment(&access).await?,
    };
    Ok(OrgCtx {
        org: access.org().clone(),
        tier: access.tier(),
        assessment,
        access,
    })
}

/// The computed view of the open assessment (cached per revision of the organization).
pub async fn view(state: &AppState, ctx: &OrgCtx) -> Result<Arc<AssessmentView>, AppError> {
    Ok(state.app.view(&ctx.access, &ctx.assessment).await?)
}

/// The computed view of the organization's open assessment. `access` must have been read
/// after any change the request made (its revision is the cache's key).
pub async fn view_for<L: Level>(
    state: &AppState,
    access: &OrgAccess<L>,
) -> Result<Arc<AssessmentView>, AppError> {
    let assessment = state.app.current_assessment(access).await?;
    Ok(state.app.view(access, &assessment).await?)
}

/// The access of `auth` to `org` at level `L`: from what the session's query read, or, for
/// an organization the path did not name, asked of the database.
pub async fn access_at<L: Level>(
    state: &AppState,
    auth: &Auth,
    org: &str,
) -> Result<OrgAccess<L>, AppError> {
    Ok(match state.app.org_access_of_visit::<L>(&auth.visit, org) {
        Some(read) => read?.0,
        None => state.app.org_access::<L>(auth.principal(), org).await?,
    })
}

/// A date typed in a form field: empty is none; a malformed date is an error naming the
/// field, and so is a future one unless `future_ok` (a due date, a "valid until").
pub fn form_date(field: &str, s: &str, future_ok: bool) -> Result<Option<Date>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match Date::parse(s).ok() {
        None => Err(format!("{field}: \"{s}\" is not a date (use YYYY-MM-DD).")),
        Some(d) if !future_ok && d > hicp_app::today() => {
            Err(format!("{field}: {s} is in the future."))
        }
        Some(d) => Ok(Some(d)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
