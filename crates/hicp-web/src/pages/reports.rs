//! Downloads of the assessment: the HTML and PDF reports, OSCAL assessment plan, results and
//! POA&M, the XLSX workbook, the action plan as CSV and the open scan findings as CSV. The same code as `hicp report`;
//! the REST API serves the same files.

use crate::AppState;
use crate::error::AppError;
use crate::session::Auth;
use crate::view::view_for;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use hicp_app::today;
use hicp_app::{ActionStatus, Level, OrgAccess, Read};
use hicp_interop::assessment::{Assessed, TrackStatus, Tracking};
use hicp_interop::{assessment_oscal, sheets};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The report is one file with its own inline styles and no script: it gets a policy of its
/// own that allows exactly that.
const REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// What can be downloaded. In the API's document, by the names `GET /reports/{format}`
/// takes (those of `hicp report --format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum Export {
    Html,
    Pdf,
    OscalAp,
    OscalAr,
    OscalPoam,
    Xlsx,
    Csv,
    /// The ranked open scan findings as CSV.
    FindingsCsv,
}

impl Export {
    /// Its name (`hicp report --format`'s, the API's).
    pub fn name(self) -> &'static str {
        match self {
            Export::Html => "html",
            Export::Pdf => "pdf",
            Export::OscalAp => "oscal-ap",
            Export::OscalAr => "oscal-ar",
            Export::OscalPoam => "oscal-poam",
            Export::Xlsx => "xlsx",
            Export::Csv => "csv",
            Export::FindingsCsv => "findings-csv",
        }
    }

    /// By the name the REST API uses (`hicp report --format` names).
    pub fn from_api_name(s: &str) -> Option<Export> {
        Some(match s {
            "html" => Export::Html,
            "pdf" => Export::Pdf,
            "oscal-ap" => Export::OscalAp,
            "oscal-ar" => Export::OscalAr,
            "oscal-poam" => Export::OscalPoam,
            "xlsx" => Export::Xlsx,
            "csv" => Export::Csv,
            "findings-csv" => Export::FindingsCsv,
            _ => return None,
        })
    }

    /// By the file name the web pages link to.
    fn from_page_name(s: &str) -> Option<Export> {
        Some(match s {
            "report.html" => Export::Html,
            "report.pdf" => Export::Pdf,
            "assessment-plan.json" => Export::OscalAp,
            "assessment-results.json" => Export::OscalAr,
            "poam.json" => Export::OscalPoam,
            "assessment.xlsx" => Export::Xlsx,
            "plan.csv" => Export::Csv,
            "findings.csv" => Export::FindingsCsv,
            _ => return None,
        })
    }
}

/// A response made from the organization's open assessment, once per revision of the
/// organization (and day): `kind` names it (`report.html`, `api-plan`…). Kept in a bounded
/// cache; its `ETag` names the revision, so a client that has it gets `304 Not Modified`.
/// `access` must have been read after any change the request made.
pub async fn per_revision<L: Level, F>(
    state: &AppState,
    access: &OrgAccess<L>,
    headers: &HeaderMap,
    kind: &'static str,
    make: F,
) -> Result<Response, AppError>
where
    F: std::future::Future<Output = Result<ExportFile, AppError>>,
{
    let org = access.org();
    let key = (org.id.to_string(), org.revision, today(), kind);
    let etag = format!(
        "\"{}-{}-{}-{kind}-{}\"",
        env!("CARGO_PKG_VERSION"),
        org.revision,
        key.2,
        state.catalog().meta.version
    );
    if crate::etag::matches(headers, &etag) {
        return Ok(crate::etag::not_modified(&etag));
    }
    let file = match state.exports.get(&key).await {
        Some(file) => file,
        None => {
            let file = Arc::new(make.await?);
            state.exports.insert(key, file.clone()).await;
            file
        }
    };
    let mut response = file.response();
    crate::etag::set(&mut response, &etag);
    Ok(response)
}

/// One of the exports of the organization's open assessment, as a download, made once per
/// revision ([`per_revision`]).
pub async fn export<L: Level>(
    state: &AppState,
    access: &OrgAccess<L>,
    headers: &HeaderMap,
    what: Export,
) -> Result<Response, AppError> {
    per_revision(state, access, headers, what.name(), async {
        let v = view_for(state, access).await?;
        let tracking = tracking(&v.tracks);
        let email = if what == Export::Html {
            email_rows(state, access).await?
        } else {
            Vec::new()
        };
        // The open scan findings to fix first: the report's own section, as on the plan
        // page, the workbook's findings sheet and the OSCAL results' scan findings, only once
        // a scan left open findings (no scan is not "no findings"); the findings CSV always
        // (its header alone says there are none). An import moves the revision, so a cached
        // file never shows stale findings.
        let findings = match what {
            Export::FindingsCsv => Some(v.findings.clone()),
            Export::Html | Export::Pdf | Export::Xlsx | Export::OscalAr => {
                Some(v.findings.clone()).filter(|p| p.open > 0)
            }
            Export::OscalAp | Export::OscalPoam | Export::Csv => None,
        };
        let extra = Extra { email, findings };
        export_of(state, access, &v.answers, today(), tracking, extra, what).await
    })
    .await
}

/// The latest check of each email domain, for the report (the open assessment's only: a
/// snapshot's report shows what its answers recorded).
async fn email_rows<L: Level>(
    state: &AppState,
    access: &OrgAccess<L>,
) -> Result<Vec<hicp_report::model::EmailRow>, AppError> {
    use super::email::{findings, summary_words};
    Ok(state
        .app
        .email_domains(access)
        .await?
        .iter()
        .filter_map(|d| {
            let report = d.report.as_ref()?;
            Some(hicp_report::model::EmailRow {
                domain: d.domain.domain.clone(),
                checked_on: hicp_app::checked_on(&d.domain)?.to_string(),
                summary: summary_words(report),
                problems: findings(report)
                    .into_iter()
                    .filter(|f| f.severity != "Fine")
                    .map(|f| (f.severity.to_owned(), f.title, f.fix))
                    .collect(),
            })
        })
        .collect())
}

/// An action's tracking as the exports take it.
fn tracked(
    status: ActionStatus,
    owner: Option<String>,
    due_on: Option<hicp_core::assessment::Date>,
    reason: Option<String>,
) -> Tracking {
    let status = match status {
        ActionStatus::Open => TrackStatus::Open,
        ActionStatus::InProgress => TrackStatus::InProgress,
        ActionStatus::Done => TrackStatus::Done,
        ActionStatus::RiskAccepted => TrackStatus::RiskAccepted,
    };
    Tracking {
        owner,
        due_on,
        status,
        reason,
    }
}

/// The plan board's tracking (owner, due date, status) of the organization's actions, as
/// the exports take it.
fn tracking(tracks: &[hicp_app::ActionTrack]) -> BTreeMap<String, Tracking> {
    tracks
        .iter()
        .map(|t| {
            (
                t.action_id.to_string(),
                tracked(t.status, t.owner.clone(), t.due_on, t.reason.clone()),
            )
        })
        .collect()
}

/// The plan board's tracking as it stood when `snapshot` was closed.
fn tracking_at_close(snapshot: Option<&str>) -> BTreeMap<String, Tracking> {
    let Some(snap) = hicp_app::Snapshot::parse(snapshot) else {
        return BTreeMap::new();
    };
    snap.tracking
        .into_iter()
        .filter_map(|t| {
            let (status, due_on) = t.track()?;
            Some((t.action.clone(), tracked(status, t.owner, due_on, t.reason)))
        })
        .collect()
}

/// One of the exports of a closed snapshot (read-only), as of the day it was closed.
pub async fn snapshot_export<L: Level>(
    state: &AppState,
    access: &OrgAccess<L>,
    snapshot: &str,
    what: Export,
) -> Result<Response, AppError> {
    let s = state.app.assessment_by_id(access, snapshot).await?;
    let Some(closed) = s.closed_at else {
        // The open assessment has its own downloads.
        return Err(AppError::NotFound);
    };
    if what == Export::FindingsCsv {
        // A snapshot keeps no scan findings.
        return Err(AppError::NotFound);
    }
    let cur = state.app.assessment(access, &s).await?;
    let a = state.app.answers_of(access, &cur);
    let as_of = hicp_app::date_of(closed);
    // The plan as it was tracked when the snapshot was closed, not as it is tracked now.
    let tracking = tracking_at_close(s.snapshot_json.as_deref());
    // Neither email checks nor scan findings are kept with a snapshot: its report has none.
    Ok(
        export_of(state, access, &a, as_of, tracking, Extra::default(), what)
            .await?
            .response(),
    )
}

/// A made export: its bytes and how to send them.
pub struct ExportFile {
    bytes: axum::body::Bytes,
    content_type: &'static str,
    /// The download's file name; `None`: shown in the browser (the HTML report).
    name: Option<String>,
}

/// How a made file is sent.
impl ExportFile {
    /// A JSON body, as the API sends it.
    pub fn json(v: &serde_json::Value) -> Result<ExportFile, AppError> {
        Ok(ExportFile {
            bytes: serde_json::to_vec(v).map_err(AppError::internal)?.into(),
            content_type: "application/json",
            name: None,
        })
    }
}

impl ExportFile {
    /// Its size, for the cache's bound.
    pub fn weight(&self) -> u32 {
        u32::try_from(self.bytes.len()).unwrap_or(u32::MAX)
    }

    fn response(&self) -> Response {
        let mut headers = vec![(header::CONTENT_TYPE, self.content_type.to_owned())];
        match &self.name {
            Some(name) => headers.push((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            )),
            // The HTML report has inline styles: its own policy allows exactly those.
            None if self.content_type.starts_with("text/html") => {
                headers.push((header::CONTENT_SECURITY_POLICY, REPORT_CSP.to_owned()));
            }
            None => {}
        }
        let mut response = self.bytes.clone().into_response();
        for (k, v) in headers {
            if let Ok(v) = HeaderValue::from_str(&v) {
                response.headers_mut().insert(k, v);
            }
        }
        response
    }
}

/// What the report shows beside the answers, for the open assessment only.
#[derive(Default)]
struct Extra {
    /// The latest check of each email domain (the HTML report).
    email: Vec<hicp_report::model::EmailRow>,
    /// The ranked open scan findings (the reports, the workbook, the OSCAL results, the
    /// findings CSV).
    findings: Option<hicp_core::assessment::findings::FindingsPlan>,
}

async fn export_of<L: Level>(
    state: &AppState,
    access: &OrgAccess<L>,
    a: &hicp_core::assessment::Answers,
    as_of: hicp_core::assessment::Date,
    tracking: BTreeMap<String, Tracking>,
    extra: Extra,
    what: Export,
) -> Result<ExportFile, AppError> {
    let assessed = Assessed::new(state.catalog(), a, as_of)
        .with_tracking(tracking)
        .with_findings(extra.findings.clone());
    let stem = super::interchange::file_slug(&access.org().name);
    let json = |v: serde_json::Value| serde_json::to_vec_pretty(&v).map_err(AppError::internal);
    let (bytes, content_type, name) = match what {
        Export::Html => {
            let mut report = hicp_report::model::build(&assessed, None);
            report.email = extra.email;
            if let Some(p) = &extra.findings {
                report = report.with_findings(p);
            }
            let html = hicp_report::html::render(&report).map_err(AppError::internal)?;
            return Ok(ExportFile {
                bytes: html.into(),
                content_type: "text/html; charset=utf-8",
                name: None,
            });
        }
        #[cfg(not(feature = "pdf"))]
        Export::Pdf => return Err(AppError::NotBuilt("PDF reports")),
        #[cfg(feature = "pdf")]
        Export::Pdf => {
            // Typesetting takes a moment of CPU: off the async workers.
            let mut report = hicp_report::model::build(&assessed, None);
            if let Some(p) = &extra.findings {
                report = report.with_findings(p);
            }
            let pdf = tokio::task::spawn_blocking(move || hicp_report::pdf::render(&report))
                .await
                .map_err(AppError::internal)?
                .map_err(AppError::internal)?;
            (pdf, "application/pdf", format!("{stem}-hicp-report.pdf"))
        }
        Export::OscalAp => (
            json(assessment_oscal::assessment_plan(
                &assessed,
                "system-security-plan.json",
            ))?,
            "application/json",
            format!("{stem}-oscal-assessment-plan.json"),
        ),
        Export::OscalAr => (
            json(assessment_oscal::assessment_results(
                &assessed,
                &format!("{stem}-oscal-assessment-plan.json"),
            ))?,
            "application/json",
            format!("{stem}-oscal-assessment-results.json"),
        ),
        Export::OscalPoam => (
            json(assessment_oscal::poam(&assessed))?,
            "application/json",
            format!("{stem}-oscal-poam.json"),
        ),
        Export::Xlsx => {
            // A text too long for a cell is cut with a note in the cell, never a failure.
            let (bytes, warnings) =
                sheets::xlsx_with_warnings(&assessed).map_err(AppError::internal)?;
            for w in &warnings {
                tracing::warn!("xlsx export: {w}");
            }
            (
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                format!("{stem}.xlsx"),
            )
        }
        Export::Csv => {
            let mut b = Vec::new();
            sheets::plan_csv(&assessed, &mut b).map_err(AppError::internal)?;
            (
                b,
                "text/csv; charset=utf-8",
                format!("{stem}-action-plan.csv"),
            )
        }
        Export::FindingsCsv => {
            let mut b = Vec::new();
            sheets::findings_csv(&assessed, &mut b).map_err(AppError::internal)?;
            (
                b,
                "text/csv; charset=utf-8",
                format!("{stem}-scan-findings.csv"),
            )
        }
    };
    Ok(ExportFile {
        bytes: bytes.into(),
        content_type,
        name: Some(name),
    })
}

pub async fn download(
    State(state): State<AppState>,
    auth: Auth,
    Path((org, format)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let ctx = crate::view::org_ctx(&state, &auth, &org).await?;
    let Some(what) = Export::from_page_name(&format) else {
        return Err(AppError::NotFound);
    };
    export(&state, &ctx.access, &headers, what).await
}

/// A download of a closed snapshot, by the file names the history page links to.
pub async fn snapshot_download(
    State(state): State<AppState>,
    auth: Auth,
    Path((org, snapshot, format)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let access = state.app.org_access::<Read>(auth.principal(), &org).await?;
    let Some(what) = Export::from_page_name(&format) else {
        return Err(AppError::NotFound);
    };
    snapshot_export(&state, &access, &snapshot, what).await
}
