//! Technical evidence import: a scanner, compliance, inventory or DMARC file uploaded by an
//! editor, stored as dated evidence on the questions it informs, with what it means in
//! words and the suggested answers a person may accept (docs/evidence-import.md).

use super::assess::{STATUS_LABELS, dom_id};
use super::render;
use crate::AppState;
use crate::error::{AppError, evidence_words, problem_words};
use crate::session::Auth;
use crate::view::{OrgCtx, org_ctx};
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use hicp_app::{Accept, Edit, Error, EvidenceFileUpload, EvidenceImported, OrgAccess};
use hicp_core::assessment::Status;
use hicp_evidence::{Kind, Severity};

/// The words of an answer status.
pub fn status_words(s: Status) -> &'static str {
    STATUS_LABELS
        .iter()
        .find(|(v, _)| *v == s)
        .map_or("", |(_, l)| l)
}

/// One question the file informs.
pub struct SuggestionView {
    pub criterion: String,
    pub dom: String,
    pub question: String,
    pub link: String,
    pub observation: String,
    /// Empty: no status suggested.
    pub suggested: String,
    pub suggested_label: String,
    pub current_label: String,
    pub version: i64,
    /// The suggestion differs from the answer now (so there is something to accept).
    pub differs: bool,
}

pub struct WarningView {
    pub at: String,
    pub message: String,
}

/// What an import did, or why it did nothing.
#[derive(Default)]
pub struct ResultView {
    /// Empty: nothing imported yet.
    pub headline: String,
    pub ok: bool,
    pub facts: Vec<String>,
    pub sha256: String,
    pub suggestions: Vec<SuggestionView>,
    pub outside: String,
    pub warnings: Vec<WarningView>,
    pub more_warnings: usize,
}

#[derive(Template)]
#[template(path = "evidence_import.html")]
struct ImportPage {
    csrf: String,
    user_name: String,
    org_id: String,
    /// The navigation links the proposed-rule readiness page (the catalog has the rule).
    nprm: bool,
    org_name: String,
    can_edit: bool,
    max_upload_mb: usize,
    result: ResultView,
}

#[derive(Template)]
#[template(path = "evidence_import_result.html")]
struct ResultFragment {
    csrf: String,
    org_id: String,
    result: ResultView,
}

#[derive(Template)]
#[template(path = "evidence_accepted.html")]
struct AcceptedPage {
    csrf: String,
    user_name: String,
    org_id: String,
    /// The navigation links the proposed-rule readiness page (the catalog has the rule).
    nprm: bool,
    org_name: String,
    headline: String,
    changed: Vec<(String, String, String)>,
    notes: Vec<String>,
}

/// Warnings shown on the page; the rest are counted.
const SHOWN_WARNINGS: usize = 50;

fn page(
    state: &AppState,
    auth: &Auth,
    ctx: &OrgCtx,
    result: ResultView,
) -> Result<Response, AppError> {
    render(&ImportPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        org_id: ctx.org.id.to_string(),
        nprm: crate::pages::readiness::offered(state),
        org_name: ctx.org.name.clone(),
        can_edit: ctx.can_edit(),
        max_upload_mb: state.max_upload_mb(),
        result,
    })
}

pub async fn form(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    page(&state, &auth, &ctx, ResultView::default())
}

fn failed(headline: String) -> ResultView {
    ResultView {
        headline,
        ok: false,
        ..ResultView::default()
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What the import found, in words.
fn view(state: &AppState, org: &str, out: &EvidenceImported) -> ResultView {
    let i = &out.import;
    let s = &out.summary;
    let file = i.source.file.clone().unwrap_or_else(|| "the file".into());
    if let (Kind::Kev, Some(k)) = (i.kind, &out.kev_kept) {
        return ResultView {
            headline: format!(
                "Imported {file}. It is this organization's KEV catalog now: its open findings from scans are flagged against it, and so are those of scans imported later."
            ),
            ok: true,
            facts: vec![
                format!(
                    "CISA Known Exploited Vulnerabilities catalog{}: {} listed.",
                    k.version
                        .as_deref()
                        .map(|v| format!(" version {v}"))
                        .unwrap_or_default(),
                    plural(k.entries, "CVE", "CVEs")
                ),
                format!(
                    "{} changed; {} known exploited now, first on the action plan.",
                    plural(
                        k.reflagged as usize,
                        "stored open finding's flag",
                        "stored open findings' flags"
                    ),
                    plural(k.listed, "open finding is", "open findings are")
                ),
                "The catalog is not evidence about the organization: it is not stored on any question.".to_owned(),
            ],
            sha256: i.source.sha256.clone(),
            ..ResultView::default()
        };
    }
    let mut facts = vec![format!(
        "{}{}: {} read.",
        i.source.scanner,
        i.source
            .generated
            .as_ref()
            .map(|g| format!(", produced {g}"))
            .unwrap_or_default(),
        plural(i.records as usize, "record", "records")
    )];
    if s.findings > 0 {
        let by: Vec<String> = [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::Info,
        ]
        .iter()
        .filter_map(|sev| {
            s.by_severity
                .get(sev)
                .map(|n| format!("{n} {}", sev.name()))
        })
        .collect();
        facts.push(format!(
            "{}: {}.",
            plural(s.findings, "finding", "findings"),
            by.join(", ")
        ));
        facts.push(format!(
            "{} open longer than HICP's remediation timeframes (Table 8) when last seen.",
            plural(s.overdue, "finding was", "findings were")
        ));
        if let Some(used) = &out.kev_used {
            let from = match used {
                hicp_app::KevUsed::Given { .. } => {
                    "the KEV catalog given with it, now this organization's"
                }
                hicp_app::KevUsed::Stored { .. } => {
                    "the KEV catalog this organization imported last"
                }
            };
            facts.push(format!(
                "{} known to be exploited (CISA KEV catalog): fix {} first. Flagged against {from}.",
                plural(s.kev, "open finding is", "open findings are"),
                if s.kev == 1 { "it" } else { "these" }
            ));
        }
    }
    if s.pass + s.fail + s.other_rules > 0 {
        facts.push(format!(
            "Configuration rules: {} passed, {} failed, {} exempt, not applicable or not checked.",
            s.pass, s.fail, s.other_rules
        ));
    }
    if s.assets > 0 {
        facts.push(format!(
            "{} listed, {} recognized as medical {}.",
            plural(s.assets, "asset", "assets"),
            s.medical_devices,
            if s.medical_devices == 1 {
                "device"
            } else {
                "devices"
            }
        ));
    }
    if let Some(d) = &i.dmarc {
        let failing = d.sources.iter().filter(|x| x.fails_both).count();
        facts.push(format!(
            "DMARC report for {}: {} sent mail, {failing} failed both SPF and DKIM.",
            d.domain.as_deref().unwrap_or("an unnamed domain"),
            plural(d.sources.len(), "source", "sources")
        ));
    }
    if let Some(k) = &out.findings_kept {
        let mut fact = format!(
            "{} kept for the action plan, where known exploited and overdue ones are listed first.",
            plural(k.findings, "open finding", "open findings")
        );
        if !k.older.is_empty() {
            fact.push_str(&format!(
                " {} left as they are: a newer scan already covers them.",
                plural(k.older.len(), "host", "hosts")
            ));
        }
        facts.push(fact);
    }
    let catalog = state.catalog();
    let suggestions = out
        .suggestions
        .iter()
        .map(|sg| {
            let dom = dom_id(&sg.criterion);
            let (practice, question) = catalog
                .criterion(&sg.criterion)
                .map_or((1, String::new()), |(sp, c)| (sp.practice, c.text.clone()));
            let current = sg.current.as_ref().map(|a| a.status);
            SuggestionView {
                criterion: sg.criterion.clone(),
                link: format!("/orgs/{org}/practices/{practice}#q-{dom}"),
                dom,
                question,
                observation: sg.observation.clone(),
                suggested: sg
                    .suggested
                    .map(|s| s.name().to_owned())
                    .unwrap_or_default(),
                suggested_label: sg
                    .suggested
                    .map(status_words)
                    .unwrap_or_default()
                    .to_owned(),
                current_label: current.map_or("Not answered yet", status_words).to_owned(),
                version: sg.current.as_ref().map_or(0, |a| a.version),
                differs: sg.suggested.is_some() && sg.suggested != current,
            }
        })
        .collect();
    let outside = if out.outside_scope.is_empty() {
        String::new()
    } else {
        format!(
            "The file also says something about {}, which {} not part of this organization's assessment at its size.",
            out.outside_scope.join(", "),
            if out.outside_scope.len() == 1 {
                "is"
            } else {
                "are"
            }
        )
    };
    let stored = if out.suggestions.is_empty() {
        "It is stored as evidence of the organization; it informs none of its questions.".to_owned()
    } else {
        format!(
            "It is stored as evidence on {}, dated {}.",
            plural(out.suggestions.len(), "question", "questions"),
            out.evidence
                .first()
                .and_then(|e| e.collected_on)
                .map(|d| d.to_string())
                .unwrap_or_default()
        )
    };
    ResultView {
        headline: format!("Imported {file}. {stored}"),
        ok: true,
        facts,
        sha256: i.source.sha256.clone(),
        suggestions,
        outside,
        warnings: i
            .warnings
            .iter()
            .take(SHOWN_WARNINGS)
            .map(|w| WarningView {
                at: w.at.clone(),
                message: w.message.clone(),
            })
            .collect(),
        more_warnings: i.warnings.len().saturating_sub(SHOWN_WARNINGS),
    }
}

/// Reads the upload form: the file, and maybe a KEV catalog.
pub(crate) async fn read_form(
    state: &AppState,
    form: &mut Multipart,
) -> Result<(Option<(String, Vec<u8>)>, Option<Vec<u8>>, Option<String>), AppError> {
    let too_big = || {
        AppError::BadRequest(format!(
            "The form could not be read, or the files are larger than {} MB.",
            state.max_upload_mb()
        ))
    };
    let (mut file, mut kev, mut kind) = (None, None, None);
    while let Some(field) = form.next_field().await.map_err(|_| too_big())? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" | "kev" => {
                let file_name = field.file_name().unwrap_or_default().to_owned();
                let bytes = field.bytes().await.map_err(|_| too_big())?;
                if bytes.is_empty() && file_name.is_empty() {
                    continue;
                }
                if name == "file" {
                    file = Some((file_name, bytes.to_vec()));
                } else {
                    kev = Some(bytes.to_vec());
                }
            }
            "kind" => {
                let v = field.text().await.map_err(|_| too_big())?;
                kind = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
            }
            _ => {}
        }
    }
    Ok((file, kev, kind))
}

/// Runs the import; a file that cannot be read is a result in words, not an error page.
pub(crate) async fn run(
    state: &AppState,
    access: &OrgAccess<Edit>,
    file: (String, Vec<u8>),
    kev: Option<Vec<u8>>,
    kind: Kind,
) -> Result<Result<EvidenceImported, String>, AppError> {
    let upload = EvidenceFileUpload {
        file_name: file.0,
        bytes: file.1,
        kind,
        kev,
    };
    match state.app.import_evidence(access, upload).await {
        Ok(out) => Ok(Ok(out)),
        Err(Error::InvalidEvidence { field, error }) => Ok(Err(evidence_words(field, &error))),
        Err(Error::Invalid { field, problem }) => Ok(Err(problem_words(field, &problem))),
        Err(e) => Err(e.into()),
    }
}

pub async fn import(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path(org): Path<String>,
    mut form: Multipart,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let access = ctx.access.at::<Edit>()?;
    let (file, kev, _) = read_form(&state, &mut form).await?;
    let result = match file {
        None => failed("Nothing was imported: choose a file first.".into()),
        Some(file) => match run(&state, &access, file, kev, Kind::Auto).await? {
            Ok(out) => view(&state, &org, &out),
            Err(words) => failed(format!("Nothing was imported. {words}")),
        },
    };
    if headers.contains_key("hx-request") {
        return render(&ResultFragment {
            csrf: auth.csrf().to_owned(),
            org_id: ctx.org.id.to_string(),
            result,
        });
    }
    let status = if result.ok {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = page(&state, &auth, &ctx, result)?;
    *r.status_mut() = status;
    Ok(r)
}

/// Accepts the suggestions ticked on the result page: each `accept` field is
/// `CRITERION|STATUS|VERSION`.
pub async fn accept(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let access = ctx.access.at::<Edit>()?;
    let mut picks = Vec::new();
    for (k, v) in &fields {
        if k != "accept" {
            continue;
        }
        let mut parts = v.split('|');
        let (Some(c), Some(s), Some(ver), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AppError::BadRequest("accept: not a suggestion.".into()));
        };
        let (Some(status), Ok(version)) = (Status::from_name(s), ver.parse::<i64>()) else {
            return Err(AppError::BadRequest("accept: not a suggestion.".into()));
        };
        picks.push(Accept {
            criterion: c.to_owned(),
            status,
            version,
        });
    }
    let catalog = state.catalog();
    let (headline, changed, notes) = if picks.is_empty() {
        (
            "Nothing was changed: no suggestion was ticked.".to_owned(),
            Vec::new(),
            Vec::new(),
        )
    } else {
        let done = state.app.accept_suggestions(&access, &picks).await?;
        let changed: Vec<(String, String, String)> = done
            .changed
            .iter()
            .map(|a| {
                let id = a.criterion_id.as_str();
                let practice = catalog
                    .sub_practice_of_criterion(id)
                    .map_or(1, |sp| sp.practice);
                (
                    id.to_owned(),
                    status_words(a.status).to_owned(),
                    format!("/orgs/{org}/practices/{practice}#q-{}", dom_id(id)),
                )
            })
            .collect();
        let mut notes = Vec::new();
        if !done.same.is_empty() {
            notes.push(format!(
                "Already answered that way: {}.",
                done.same.join(", ")
            ));
        }
        if !done.stale.is_empty() {
            notes.push(format!(
                "Someone changed {} since the import, so {} left as {}: {}. Look at {} again on the questionnaire.",
                if done.stale.len() == 1 { "this answer" } else { "these answers" },
                if done.stale.len() == 1 { "it was" } else { "they were" },
                if done.stale.len() == 1 { "it is" } else { "they are" },
                done.stale.join(", "),
                if done.stale.len() == 1 { "it" } else { "them" },
            ));
        }
        (
            format!(
                "{} changed. Each change is in the audit log.",
                plural(changed.len(), "answer", "answers")
            ),
            changed,
            notes,
        )
    };
    render(&AcceptedPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        org_id: ctx.org.id.to_string(),
        nprm: crate::pages::readiness::offered(&state),
        org_name: ctx.org.name.clone(),
        headline,
        changed,
        notes,
    })
}
