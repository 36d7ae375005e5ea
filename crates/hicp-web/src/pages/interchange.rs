//! Interchange with the command line: the current assessment as the same YAML answers file
//! that `hicp assess` reads (docs/answers-format.md), and the import of such a file.

use super::render;
use crate::AppState;
use crate::error::AppError;
use crate::session::Auth;
use crate::view::{OrgCtx, answers, org_ctx, store_date, today};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use hicp_core::assessment::answers::DEFAULT_WEIGHT;
use hicp_core::assessment::{Answers, parse, to_yaml};
use hicp_store::{
    AnswerInput, EvidenceContent, NewAuditEntry, NewEvidence, OffsetDateTime, Role, StoreError,
};
use std::collections::HashSet;

/// The current assessment as an answers file: the criteria in scope, the opted-in
/// sub-practices, and evidence (a link's address, a file's name).
pub fn export_answers(state: &AppState, ctx: &OrgCtx, mut a: Answers) -> Answers {
    let catalog = &state.catalog;
    let scope: HashSet<&str> = a
        .scope(catalog)
        .iter()
        .flat_map(|s| s.criteria.iter().map(|c| c.id.as_str()))
        .collect();
    a.criteria.retain(|id, _| scope.contains(id.as_str()));
    // Opting in to what already applies is an error in a file.
    let tier = a.tier;
    a.opt_in.retain(|id| {
        catalog
            .sub_practice(id.as_str())
            .is_some_and(|sp| !catalog.applies(tier, sp))
    });
    for c in a.criteria.values_mut() {
        for e in &mut c.evidence {
            // A file read back must not say "valid until" before "collected".
            if let (Some(c), Some(u)) = (e.collected, e.valid_until)
                && u < c
            {
                e.valid_until = None;
            }
        }
    }
    if a.sizing.tier != Some(ctx.tier) {
        a.tier_override = Some(ctx.tier);
    }
    a
}

/// A file name made of an organization's name: lower-case letters, digits and dashes.
pub(crate) fn file_slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if s.is_empty() {
        "organization".into()
    } else {
        s
    }
}

pub async fn export(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let a = answers(&state, &ctx).await?;
    let a = export_answers(&state, &ctx, a);
    let text = to_yaml(&a, &state.catalog);
    let name = format!(
        "hicp-answers-{}-{}.yaml",
        file_slug(&ctx.org.name),
        OffsetDateTime::now_utc().date()
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/yaml; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        text,
    )
        .into_response())
}

/// One problem of a file that was not imported.
pub struct Problem {
    pub line: String,
    pub column: String,
    pub field: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    csrf: String,
    user_name: String,
    org_id: String,
    org_name: String,
    can_edit: bool,
    result: ImportResult,
}

#[derive(Template)]
#[template(path = "import_result.html")]
struct ImportFragment {
    result: ImportResult,
}

/// What an import did, or why it did nothing.
#[derive(Default)]
pub struct ImportResult {
    /// Empty: no import yet.
    pub headline: String,
    pub ok: bool,
    pub notes: Vec<String>,
    pub problems: Vec<Problem>,
}

pub async fn import_form(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    page(&auth, &ctx, ImportResult::default())
}

fn page(auth: &Auth, ctx: &OrgCtx, result: ImportResult) -> Result<Response, AppError> {
    render(&ImportPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user.display_name.clone(),
        org_id: ctx.org.id.to_string(),
        org_name: ctx.org.name.clone(),
        can_edit: ctx.can_edit(),
        result,
    })
}

fn failed(headline: impl Into<String>) -> ImportResult {
    ImportResult {
        headline: headline.into(),
        ok: false,
        ..ImportResult::default()
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
    ctx.require_edit()?;
    let mut upload: Option<(String, Vec<u8>)> = None;
    let mut pasted = String::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| AppError::BadRequest("The file could not be read.".into()))?
    {
        match field.name().unwrap_or_default() {
            "file" => {
                let name = field.file_name().unwrap_or("answers.yaml").to_owned();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| AppError::BadRequest("The file could not be read.".into()))?;
                if !bytes.is_empty() {
                    upload = Some((name, bytes.to_vec()));
                }
            }
            "text" => {
                pasted = field
                    .text()
                    .await
                    .map_err(|_| AppError::BadRequest("The text could not be read.".into()))?;
            }
            _ => {}
        }
    }
    let result = match (upload, pasted.trim().is_empty()) {
        (Some((name, bytes)), _) => match String::from_utf8(bytes) {
            Ok(text) => run_import(&state, &auth, &ctx, &name, &text).await?,
            Err(_) => failed(format!(
                "Nothing was imported: {name} is not a text file (UTF-8). Choose the .yaml answers file."
            )),
        },
        (None, false) => run_import(&state, &auth, &ctx, "pasted text", &pasted).await?,
        (None, true) => failed("Nothing was imported: choose an answers file first."),
    };
    if headers.contains_key("hx-request") {
        render(&ImportFragment { result })
    } else {
        page(&auth, &ctx, result)
    }
}

/// Reads `text` against the catalog; if it is valid, saves it into the open assessment.
async fn run_import(
    state: &AppState,
    auth: &Auth,
    ctx: &OrgCtx,
    file: &str,
    text: &str,
) -> Result<ImportResult, AppError> {
    let catalog = &state.catalog;
    let a = match parse(file, text, catalog, today()) {
        Ok(a) => a,
        Err(e) => {
            let n = e.diagnostics.len();
            return Ok(ImportResult {
                headline: format!(
                    "Nothing was imported: {file} has {n} problem{}. Fix {} and import it again.",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "it" } else { "them" }
                ),
                ok: false,
                notes: Vec::new(),
                problems: e
                    .diagnostics
                    .iter()
                    .map(|d| Problem {
                        line: if d.line == 0 {
                            String::new()
                        } else {
                            d.line.to_string()
                        },
                        column: if d.column == 0 {
                            String::new()
                        } else {
                            d.column.to_string()
                        },
                        field: d.field.clone(),
                        message: d.message.clone(),
                    })
                    .collect(),
            });
        }
    };
    let store = &state.store;
    let mut notes = Vec::new();

    // The tier: the file's must be the organization's; an admin's import changes it.
    if a.tier != ctx.tier {
        if ctx.role != Role::Admin {
            return Ok(failed(format!(
                "Nothing was imported: the file is for a {} organization, but {} is set up as {}. \
                 Ask an admin to import it (that changes the size tier), or change `tier:` in the file.",
                a.tier.name(),
                ctx.org.name,
                ctx.tier.name()
            )));
        }
        crate::view::set_tier(state, auth, ctx, a.tier, "by an imported answers file").await?;
        notes.push(format!(
            "The size tier changed from {} to {}, as the file says.",
            ctx.tier.name(),
            a.tier.name()
        ));
    }

    let assessment = &ctx.assessment.id;
    let opted: HashSet<String> = store
        .opted_in_sub_practices(assessment)
        .await
        .map_err(AppError::internal)?
        .into_iter()
        .collect();
    let mut added = 0;
    for sp in &a.opt_in {
        if !opted.contains(sp.as_str()) {
            match store
                .set_sub_practice(assessment, sp.as_str(), true, &auth.user.id)
                .await
            {
                Ok(true) => added += 1,
                Ok(false) => {}
                Err(StoreError::AssessmentClosed) => return Ok(closed()),
                Err(e) => return Err(AppError::internal(e)),
            }
        }
    }
    if added > 0 {
        notes.push(format!(
            "{added} sub-practice{} added to the assessment, as the file opts in to {}.",
            if added == 1 { "" } else { "s" },
            if added == 1 { "it" } else { "them" }
        ));
    }

    let rows = store
        .answers(assessment)
        .await
        .map_err(AppError::internal)?;
    let (mut changed, mut same, mut conflicts) = (0usize, 0usize, Vec::new());
    for (id, ca) in &a.criteria {
        let input = AnswerInput {
            status: ca.status.name().into(),
            na_reason: ca.reason.clone(),
            notes: ca.notes.clone(),
            owner: ca.owner.clone(),
            in_place_since: ca.in_place_since.and_then(store_date),
        };
        let current = rows.iter().find(|r| &r.criterion_id == id);
        let unchanged = match current {
            Some(r) => {
                r.status == input.status
                    && r.na_reason == input.na_reason
                    && r.notes == input.notes
                    && r.owner == input.owner
                    && r.in_place_since == input.in_place_since
            }
            None => {
                input
                    == AnswerInput {
                        status: "not_started".into(),
                        ..AnswerInput::default()
                    }
            }
        };
        if unchanged {
            same += 1;
            continue;
        }
        match store
            .save_answer(
                assessment,
                id,
                &input,
                &auth.user.id,
                current.map_or(0, |r| r.version),
            )
            .await
        {
            Ok(_) => changed += 1,
            Err(StoreError::Conflict(_)) => conflicts.push(id.clone()),
            Err(StoreError::AssessmentClosed) => return Ok(closed()),
            Err(e) => return Err(AppError::internal(e)),
        }
    }

    // Evidence: links are added (once); other locations cannot be stored as evidence.
    let existing = store
        .evidence_for_assessment(assessment)
        .await
        .map_err(AppError::internal)?;
    let (mut links, mut skipped) = (0usize, 0usize);
    for (id, ca) in &a.criteria {
        for e in &ca.evidence {
            let url = e
                .location
                .as_deref()
                .filter(|l| l.starts_with("https://") || l.starts_with("http://"));
            let Some(url) = url else {
                // A file name from an export is already there as an uploaded file.
                let uploaded = existing.iter().any(|x| {
                    x.criterion_id.as_deref() == Some(id.as_str())
                        && x.title == e.title
                        && x.file_name.is_some()
                });
                if !uploaded {
                    skipped += 1;
                }
                continue;
            };
            let known = existing.iter().any(|x| {
                x.criterion_id.as_deref() == Some(id.as_str()) && x.url.as_deref() == Some(url)
            });
            if known {
                continue;
            }
            match store
                .add_evidence(&NewEvidence {
                    assessment_id: assessment,
                    criterion_id: Some(id),
                    action_id: None,
                    title: &e.title,
                    content: EvidenceContent::Link {
                        url: url.to_owned(),
                    },
                    collected_on: e.collected.and_then(store_date),
                    valid_until: e.valid_until.and_then(store_date),
                    added_by: &auth.user.id,
                })
                .await
            {
                Ok(_) => links += 1,
                Err(StoreError::AssessmentClosed) => return Ok(closed()),
                Err(e) => return Err(AppError::internal(e)),
            }
        }
    }
    if links > 0 {
        notes.push(format!(
            "{links} evidence link{} added.",
            if links == 1 { "" } else { "s" }
        ));
    }
    if skipped > 0 {
        notes.push(format!(
            "{skipped} evidence entr{} not imported because {} not a web link (https://...): upload the file on the questionnaire page.",
            if skipped == 1 { "y was" } else { "ies were" },
            if skipped == 1 { "it is" } else { "they are" }
        ));
    }
    if a.threat_weights.values().any(|w| *w != DEFAULT_WEIGHT) {
        notes.push(
            "The file's threat weights were not imported: here every threat counts the same."
                .into(),
        );
    }
    if !conflicts.is_empty() {
        notes.push(format!(
            "Someone else changed {} while the file was imported; {} kept their answer: {}. Import the file again to replace {}.",
            if conflicts.len() == 1 { "one answer" } else { "some answers" },
            if conflicts.len() == 1 { "it" } else { "they" },
            conflicts.join(", "),
            if conflicts.len() == 1 { "it" } else { "them" },
        ));
    }
    notes.push("Answers the file does not list were left as they were.".into());
    let summary = format!("{changed} changed, {same} already the same");
    store
        .record_audit(&NewAuditEntry {
            user_id: Some(&auth.user.id),
            org_id: Some(&ctx.org.id),
            entity: "import",
            entity_id: assessment.as_str(),
            field: "answers_file",
            old_value: None,
            new_value: Some(&format!("{file}: {summary}")),
        })
        .await
        .map_err(AppError::internal)?;
    Ok(ImportResult {
        headline: format!(
            "Imported {file}: {changed} answer{} changed, {same} already the same.",
            if changed == 1 { "" } else { "s" }
        ),
        ok: true,
        notes,
        problems: Vec::new(),
    })
}

fn closed() -> ImportResult {
    failed(
        "The assessment was closed while the file was imported. Import it again into the new assessment.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_plain() {
        assert_eq!(
            file_slug("Birch \"Family\" Practice!"),
            "birch-family-practice"
        );
        assert_eq!(file_slug("<>"), "organization");
    }
}
