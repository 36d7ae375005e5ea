//! The organization's email domains (practice 1): add them, "Check now", and the latest
//! result in plain words with the technical detail folded away (docs/email.md).

use super::render;
use crate::AppState;
use crate::error::{AppError, problem_words};
use crate::session::Auth;
use crate::view::{OrgCtx, org_ctx};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hicp_app::{Edit, EmailDomainView, Error};
use serde::Deserialize;
use serde_json::Value;

/// Severity in plain words, and the CSS class of its badge.
pub fn severity_words(severity: &str) -> (&'static str, &'static str) {
    match severity {
        "critical" => ("Serious", "gap"),
        "high" => ("Important", "gap"),
        "medium" => ("Should be fixed", "warn"),
        "low" => ("Minor", "warn"),
        _ => ("Fine", "ok"),
    }
}

pub struct FindingView {
    pub severity: &'static str,
    pub class: &'static str,
    pub title: String,
    pub fix: String,
    pub detail: String,
    pub code: String,
    pub criteria: String,
}

pub struct DomainView {
    pub domain: String,
    pub selectors: String,
    /// Empty: never checked.
    pub checked_on: String,
    pub summary: String,
    pub problems: Vec<FindingView>,
    pub fine: Vec<FindingView>,
}

/// The findings of a stored report (its JSON), problems first.
pub fn findings(report: &Value) -> Vec<FindingView> {
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    report["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| {
                    let (severity, class) = severity_words(f["severity"].as_str().unwrap_or(""));
                    FindingView {
                        severity,
                        class,
                        title: text(f, "title"),
                        fix: text(f, "fix"),
                        detail: text(f, "detail"),
                        code: text(f, "code"),
                        criteria: f["criteria"]
                            .as_array()
                            .map(|c| {
                                c.iter()
                                    .filter_map(Value::as_str)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            })
                            .unwrap_or_default(),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The counts of a stored report in words.
pub fn summary_words(report: &Value) -> String {
    let n = |k: &str| report["summary"][k].as_u64().unwrap_or(0);
    let serious = n("critical") + n("high");
    let other = n("medium") + n("low");
    match (serious, other) {
        (0, 0) => "No problem found.".to_owned(),
        (0, o) => format!("{o} thing(s) to improve, nothing serious."),
        (s, o) => format!("{s} serious or important problem(s), {o} other thing(s) to improve."),
    }
}

fn domain_view(d: &EmailDomainView) -> DomainView {
    let all = d.report.as_ref().map(findings).unwrap_or_default();
    let (fine, problems): (Vec<FindingView>, Vec<FindingView>) =
        all.into_iter().partition(|f| f.severity == "Fine");
    DomainView {
        domain: d.domain.domain.clone(),
        selectors: d.domain.dkim_selectors.join(" "),
        checked_on: hicp_app::checked_on(&d.domain)
            .map(|x| x.to_string())
            .unwrap_or_default(),
        summary: d.report.as_ref().map(summary_words).unwrap_or_default(),
        problems,
        fine,
    }
}

#[derive(Template)]
#[template(path = "email.html")]
struct EmailPage {
    csrf: String,
    user_name: String,
    org_id: String,
    /// The navigation links the proposed-rule readiness page (the catalog has the rule).
    nprm: bool,
    org_name: String,
    can_edit: bool,
    domains: Vec<DomainView>,
    message: String,
    message_ok: bool,
}

async fn page(
    state: &AppState,
    auth: &Auth,
    ctx: &OrgCtx,
    message: String,
    ok: bool,
) -> Result<Response, AppError> {
    let domains = state.app.email_domains(&ctx.access).await?;
    let mut r = render(&EmailPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        org_id: ctx.org.id.to_string(),
        nprm: crate::pages::readiness::offered(state),
        org_name: ctx.org.name.clone(),
        can_edit: ctx.can_edit(),
        domains: domains.iter().map(domain_view).collect(),
        message,
        message_ok: ok,
    })?;
    if !ok {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

pub async fn domains(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    page(&state, &auth, &ctx, String::new(), true).await
}

#[derive(Deserialize)]
pub struct DomainForm {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    dkim_selectors: String,
}

fn words(e: Error) -> Result<String, AppError> {
    match e {
        Error::Invalid { field: "domain", .. } => Ok(
            "Domain: write the part after the @ of your email addresses, for example clinic.example.org."
                .into(),
        ),
        Error::Invalid {
            field: "dkim_selectors",
            ..
        } => Ok(
            "DKIM selectors: letters, digits, dots, hyphens and underscores, separated by spaces (your email provider tells you them)."
                .into(),
        ),
        Error::Invalid { field, problem } => Ok(problem_words(field, &problem)),
        e => Err(e.into()),
    }
}

/// Adds a domain, or changes its DKIM selectors.
pub async fn save(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
    Form(form): Form<DomainForm>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let access = ctx.access.at::<Edit>()?;
    match state
        .app
        .save_email_domain(&access, &form.domain, &form.dkim_selectors)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{org}/email")).into_response()),
        Err(e) => page(&state, &auth, &ctx, words(e)?, false).await,
    }
}

pub async fn remove(
    State(state): State<AppState>,
    auth: Auth,
    Path((org, domain)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let access = ctx.access.at::<Edit>()?;
    match state.app.remove_email_domain(&access, &domain).await {
        Ok(true) => Ok(Redirect::to(&format!("/orgs/{org}/email")).into_response()),
        Ok(false) => Err(AppError::NotFound),
        Err(e) => page(&state, &auth, &ctx, words(e)?, false).await,
    }
}

/// "Check now": the only moment the app asks DNS.
pub async fn check(
    State(state): State<AppState>,
    auth: Auth,
    Path((org, domain)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let access = ctx.access.at::<Edit>()?;
    match state.app.check_email_domain(&access, &domain).await {
        Ok(done) => {
            let on: Vec<String> = done
                .evidence
                .iter()
                .filter_map(|e| e.criterion_id.as_ref().map(ToString::to_string))
                .collect();
            let stored = if on.is_empty() {
                "It is kept as evidence of the organization.".to_owned()
            } else {
                format!(
                    "It is kept as evidence, dated today, on question{} {}.",
                    if on.len() == 1 { "" } else { "s" },
                    on.join(", ")
                )
            };
            let message = format!("Checked {}. {stored}", done.report.domain);
            page(&state, &auth, &ctx, message, true).await
        }
        Err(Error::Invalid { field: "dns", .. }) => page(
            &state,
            &auth,
            &ctx,
            "This server is set up without a way to read DNS, so it cannot check email domains."
                .into(),
            false,
        )
        .await,
        Err(e) => page(&state, &auth, &ctx, words(e)?, false).await,
    }
}
