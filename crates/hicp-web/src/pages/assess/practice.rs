//! The page of one practice, and adding or removing a sub-practice of another tier.

use super::dom_id;
use super::views::{OptionalView, SubView, Tab, criterion_view, evidence_view};
use crate::AppState;
use crate::error::AppError;
use crate::session::Auth;
use crate::view::{OrgCtx, org_ctx};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use hicp_app::{Answer, Edit, Error, Problem};
use hicp_core::catalog::Provenance;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "practice.html")]
struct PracticePage {
    csrf: String,
    user_name: String,
    org_id: String,
    /// The navigation links the proposed-rule readiness page (the catalog has the rule).
    nprm: bool,
    org_name: String,
    tier: String,
    number: u8,
    practice_name: String,
    /// As [`SubView::edition`], for the practice's name.
    practice_edition: String,
    practice_name_unverified: bool,
    /// The edition the catalog presents ("2023").
    catalog_edition: String,
    /// The older edition some name on the page follows ("2018"), for the note that explains
    /// the label; empty when none does.
    older_edition: String,
    practice_summary: String,
    tabs: Vec<Tab>,
    subs: Vec<SubView>,
    optional: Vec<OptionalView>,
    can_edit: bool,
    overall_answered: usize,
    overall_total: usize,
    next_practice: Option<u8>,
    message: String,
    message_class: String,
}

pub async fn practice(
    State(state): State<AppState>,
    auth: Auth,
    Path((org, n)): Path<(String, u8)>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let Some(practice) = state.catalog().practice(n) else {
        return Err(AppError::NotFound);
    };
    let page = format!("practices/{n}");
    crate::prerender::page(&state, &auth, &ctx, page, async {
        Ok((practice_page(&state, &ctx, practice).await?, true))
    })
    .await
}

/// The questionnaire page of one practice, with slots for the token and the user's name.
async fn practice_page(
    state: &AppState,
    ctx: &OrgCtx,
    practice: &hicp_core::catalog::Practice,
) -> Result<PracticePage, AppError> {
    let n = practice.number;
    let v = crate::view::view(state, ctx).await?;
    let cur = &v.current;
    let by_criterion: HashMap<&str, &Answer> = cur
        .answers
        .iter()
        .map(|a| (a.criterion_id.as_str(), a))
        .collect();
    let evidence = &cur.evidence;
    let opted = &cur.opted_in;
    let scope = v.answers.scope(state.catalog());

    // Any stored answer counts, "not started" included.
    let tabs: Vec<Tab> = state
        .catalog()
        .practices
        .iter()
        .map(|p| {
            let progress = v.progress.practice(p.number);
            Tab {
                number: p.number,
                name: p.name.clone(),
                answered: progress.answered,
                total: progress.total,
            }
        })
        .collect();
    let older = |e: Option<&String>| {
        state
            .catalog()
            .older_edition(e)
            .unwrap_or_default()
            .to_owned()
    };
    let subs: Vec<SubView> = scope
        .iter()
        .filter(|s| s.practice == n)
        .map(|s| SubView {
            id: s.id.to_string(),
            dom: dom_id(s.id.as_str()),
            title: s.title.clone(),
            unverified: s.title_provenance == Provenance::Unverified,
            edition: older(s.title_edition.as_ref()),
            summary: s.summary.clone(),
            criteria: s
                .criteria
                .iter()
                .map(|c| {
                    let ev = evidence
                        .iter()
                        .filter(|e| e.criterion_id.as_ref() == Some(&c.id))
                        .map(evidence_view)
                        .collect();
                    criterion_view(c, by_criterion.get(c.id.as_str()).copied(), ev)
                })
                .collect(),
            opted_in: !state.catalog().applies(ctx.tier, s),
        })
        .collect();
    let optional = state
        .catalog()
        .sub_practices
        .iter()
        .filter(|s| {
            s.practice == n
                && !state.catalog().applies(ctx.tier, s)
                && state.catalog().optional_for(ctx.tier, s)
                && !opted.iter().any(|o| o == s.id.as_str())
        })
        .map(|s| OptionalView {
            id: s.id.to_string(),
            title: s.title.clone(),
            edition: older(s.title_edition.as_ref()),
            summary: s.summary.clone(),
            volume: format!("meant for {} organizations", s.tier.name()),
            criteria: s.criteria.len(),
        })
        .collect::<Vec<OptionalView>>();
    let practice_edition = older(practice.name_edition.as_ref());
    let older_edition = std::iter::once(&practice_edition)
        .chain(subs.iter().map(|s| &s.edition))
        .chain(optional.iter().map(|o| &o.edition))
        .find(|e| !e.is_empty())
        .cloned()
        .unwrap_or_default();
    Ok(PracticePage {
        csrf: crate::prerender::csrf_slot(),
        user_name: crate::prerender::user_slot(),
        org_id: ctx.org.id.to_string(),
        nprm: crate::pages::readiness::offered(state),
        org_name: ctx.org.name.clone(),
        tier: ctx.tier.name().into(),
        number: n,
        practice_name: practice.name.clone(),
        practice_edition,
        practice_name_unverified: practice.name_provenance == Provenance::Unverified,
        catalog_edition: state.catalog().meta.edition.clone(),
        older_edition,
        practice_summary: practice.summary.clone(),
        overall_answered: tabs.iter().map(|t| t.answered).sum(),
        overall_total: tabs.iter().map(|t| t.total).sum(),
        next_practice: state
            .catalog()
            .practices
            .iter()
            .map(|p| p.number)
            .find(|m| *m > n),
        tabs,
        subs,
        optional,
        can_edit: ctx.can_edit(),
        message: String::new(),
        message_class: String::new(),
    })
}

#[derive(Deserialize)]
pub struct SubPracticeForm {
    /// `true` to add the sub-practice to the assessment, `false` to remove it.
    opted_in: String,
}

/// Adds a sub-practice of another tier to the assessment, or removes one added before.
/// Its answers stay stored, so removing and adding again loses nothing.
pub async fn set_sub_practice(
    State(state): State<AppState>,
    auth: Auth,
    Path((org, sp)): Path<(String, String)>,
    Form(f): Form<SubPracticeForm>,
) -> Result<Response, AppError> {
    let access = state.app.org_access::<Edit>(auth.principal(), &org).await?;
    let Some(s) = state.catalog().sub_practice(&sp) else {
        return Err(AppError::NotFound);
    };
    let opt_in = match f.opted_in.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest("opted_in: true or false.".into())),
    };
    let tier = access.tier().name();
    match state.app.set_sub_practice(&access, &sp, opt_in).await {
        Ok(_) => {}
        Err(Error::Invalid {
            problem: Problem::AlreadyApplies,
            ..
        }) => {
            return Err(AppError::BadRequest(format!(
                "{} already applies to a {tier} organization.",
                s.id
            )));
        }
        Err(Error::Invalid {
            problem: Problem::NotOptional,
            ..
        }) => {
            return Err(AppError::BadRequest(format!(
                "{} cannot be added to a {tier} organization's assessment.",
                s.id
            )));
        }
        Err(e) => return Err(e.into()),
    }
    let anchor = if opt_in {
        format!("#sp-{}", dom_id(s.id.as_str()))
    } else {
        "#optional".into()
    };
    Ok(Redirect::to(&format!("/orgs/{org}/practices/{}{anchor}", s.practice)).into_response())
}
