//! Downloads of the assessment: the HTML and PDF reports, OSCAL assessment plan, results and
//! POA&M, the XLSX workbook and the action plan as CSV. The same code as `hicp report`.

use crate::AppState;
use crate::error::AppError;
use crate::session::Auth;
use crate::view::{answers, org_ctx, today};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use hicp_interop::assessment::Assessed;
use hicp_interop::{assessment_oscal, sheets};

/// The report is one file with its own inline styles and no script: it gets a policy of its
/// own that allows exactly that.
const REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub async fn download(
    State(state): State<AppState>,
    auth: Auth,
    Path((org, format)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let a = answers(&state, &ctx).await?;
    let assessed = Assessed::new(&state.catalog, &a, today());
    let stem = super::interchange::file_slug(&ctx.org.name);
    let json = |v: serde_json::Value| serde_json::to_vec_pretty(&v).map_err(AppError::internal);
    let (bytes, content_type, name) = match format.as_str() {
        "report.html" => {
            let html = hicp_report::html::report(&assessed, None).map_err(AppError::internal)?;
            let headers = [
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
                (header::CONTENT_SECURITY_POLICY, REPORT_CSP.to_owned()),
            ];
            return Ok((headers, html).into_response());
        }
        "report.pdf" => {
            // Typesetting takes a moment of CPU: off the async workers.
            let report = hicp_report::model::build(&assessed, None);
            let pdf = tokio::task::spawn_blocking(move || hicp_report::pdf::render(&report))
                .await
                .map_err(AppError::internal)?
                .map_err(AppError::internal)?;
            (pdf, "application/pdf", format!("{stem}-hicp-report.pdf"))
        }
        "assessment-plan.json" => (
            json(assessment_oscal::assessment_plan(
                &assessed,
                "system-security-plan.json",
            ))?,
            "application/json",
            format!("{stem}-oscal-assessment-plan.json"),
        ),
        "assessment-results.json" => (
            json(assessment_oscal::assessment_results(
                &assessed,
                &format!("{stem}-oscal-assessment-plan.json"),
            ))?,
            "application/json",
            format!("{stem}-oscal-assessment-results.json"),
        ),
        "poam.json" => (
            json(assessment_oscal::poam(&assessed))?,
            "application/json",
            format!("{stem}-oscal-poam.json"),
        ),
        "assessment.xlsx" => (
            sheets::xlsx(&assessed).map_err(AppError::internal)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            format!("{stem}.xlsx"),
        ),
        "plan.csv" => {
            let mut b = Vec::new();
            sheets::plan_csv(&assessed, &mut b).map_err(AppError::internal)?;
            (
                b,
                "text/csv; charset=utf-8",
                format!("{stem}-action-plan.csv"),
            )
        }
        _ => return Err(AppError::NotFound),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
