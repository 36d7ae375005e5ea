//! Interchange with the command line: the current assessment as the same YAML answers file
//! that `hicp assess` reads (docs/answers-format.md), and the import of such a file.

use super::render;
use crate::AppState;
use crate::error::AppError;
use crate::session::Auth;
use crate::view::{OrgCtx, org_ctx, view};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use hicp_app::{Edit, Error, OrgAccess};
use hicp_core::assessment::{Answers, to_yaml};
use std::collections::HashSet;

/// The current assessment as an answers file: the criteria in scope, the opted-in
/// sub-practices, and evidence (a link's address, a file's name).
pub fn export_answers(state: &AppState, ctx: &OrgCtx, mut a: Answers) -> Answers {
    let catalog = state.catalog();
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
    let a = export_answers(&state, &ctx, view(&state, &ctx).await?.answers.clone());
    let text = to_yaml(&a, state.catalog());
    let name = format!(
        "hicp-answers-{}-{}.yaml",
        file_slug(&ctx.org.name),
        hicp_app::today()
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
    /// The navigation links the proposed-rule readiness page (the catalog has the rule).
    nprm: bool,
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
    page(&state, &auth, &ctx, ImportResult::default())
}

fn page(
    state: &AppState,
    auth: &Auth,
    ctx: &OrgCtx,
    result: ImportResult,
) -> Result<Response, AppError> {
    render(&ImportPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        org_id: ctx.org.id.to_string(),
        nprm: crate::pages::readiness::offered(state),
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
    let access = ctx.access.at::<Edit>()?;
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
            Ok(text) => run_import(&state, &access, &name, &text).await?,
            Err(_) => failed(format!(
                "Nothing was imported: {name} is not a text file (UTF-8). Choose the .yaml answers file."
            )),
        },
        (None, false) => run_import(&state, &access, "pasted text", &pasted).await?,
        (None, true) => failed("Nothing was imported: choose an answers file first."),
    };
    if headers.contains_key("hx-request") {
        render(&ImportFragment { result })
    } else {
        page(&state, &auth, &ctx, result)
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        one.to_owned()
    } else {
        many.to_owned()
    }
}

/// Imports `text` through the application layer and says what happened, in words.
async fn run_import(
    state: &AppState,
    access: &OrgAccess<Edit>,
    file: &str,
    text: &str,
) -> Result<ImportResult, AppError> {
    let out = match state.app.import_answers(access, file, text).await {
        Ok(out) => out,
        Err(Error::InvalidFile(e)) => {
            let n = e.diagnostics.len();
            return Ok(ImportResult {
                headline: format!(
                    "Nothing was imported: {file} has {n} problem{}. Fix {} and import it again.",
                    plural(n, "", "s"),
                    plural(n, "it", "them")
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
        Err(Error::TierNeedsAdmin { file: theirs, org }) => {
            return Ok(failed(format!(
                "Nothing was imported: the file is for a {} organization, but {} is set up as {}. \
                 Ask an admin to import it (that changes the size tier), or change `tier:` in the file.",
                theirs.name(),
                access.org().name,
                org.name()
            )));
        }
        Err(Error::AssessmentClosed) => {
            return Ok(failed(
                "The assessment was closed while the file was imported. Import it again into the new assessment.",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let mut notes = Vec::new();
    if let (Some(from), Some(to)) = (out.tier_changed_from, out.tier) {
        notes.push(format!(
            "The size tier changed from {} to {}, as the file says.",
            from.name(),
            to.name()
        ));
    }
    if out.opted_in > 0 {
        notes.push(format!(
            "{} sub-practice{} added to the assessment, as the file opts in to {}.",
            out.opted_in,
            plural(out.opted_in, "", "s"),
            plural(out.opted_in, "it", "them")
        ));
    }
    if out.links_added > 0 {
        notes.push(format!(
            "{} piece{} of evidence added (web links, or where the evidence is kept).",
            out.links_added,
            plural(out.links_added, "", "s")
        ));
    }
    if out.profile_changed {
        notes.push("The organization's profile (its size and kind) now follows the file.".into());
    }
    if out.weights_changed {
        notes.push(
            "The file's threat weights now apply to this organization's scores and plan.".into(),
        );
    }
    if out.weights_ignored {
        notes.push(
            "The file's threat weights were not imported: only an admin can change them.".into(),
        );
    }
    if !out.conflicts.is_empty() {
        let n = out.conflicts.len();
        notes.push(format!(
            "Someone else changed {} while the file was imported; {} kept their answer: {}. Import the file again to replace {}.",
            plural(n, "one answer", "some answers"),
            plural(n, "it", "they"),
            out.conflicts.join(", "),
            plural(n, "it", "them"),
        ));
    }
    notes.push("Answers the file does not list were left as they were.".into());
    Ok(ImportResult {
        headline: format!(
            "Imported {file}: {} answer{} changed, {} already the same.",
            out.changed,
            plural(out.changed, "", "s"),
            out.same
        ),
        ok: true,
        notes,
        problems: Vec::new(),
    })
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
