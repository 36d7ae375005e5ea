//! Saving an answer, and the HTML fragments that tell how it went.

use super::{STATUS_LABELS, dom_id, opt};
use crate::AppState;
use crate::error::{AppError, escape, problem_words};
use crate::session::Auth;
use crate::view::form_date;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use hicp_app::{Answer, AnswerInput, Current, Edit, Error};
use hicp_core::assessment::Status;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    na_reason: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    in_place_since: String,
}

fn status_fragment(dom: &str, class: &str, message: &str, version: Option<i64>) -> Response {
    Html(status_html(dom, class, message, version)).into_response()
}

fn status_html(dom: &str, class: &str, message: &str, version: Option<i64>) -> String {
    let mut html = format!(
        "<div id=\"status-{dom}\" class=\"{class}\" aria-live=\"polite\" role=\"status\">{}</div>",
        escape(message)
    );
    if let Some(v) = version {
        html.push_str(&format!(
            "<input type=\"hidden\" name=\"version\" id=\"version-{dom}\" value=\"{v}\" hx-swap-oob=\"true\">"
        ));
    }
    html
}

pub async fn save_answer(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Path((org, criterion)): Path<(String, String)>,
    Form(f): Form<AnswerForm>,
) -> Result<Response, AppError> {
    let access = crate::view::access_at::<Edit>(&state, &auth, &org).await?;
    let Some(sp) = state.catalog().sub_practice_of_criterion(&criterion) else {
        return Err(AppError::NotFound);
    };
    let dom = dom_id(&criterion);
    let htmx = headers.contains_key("hx-request");
    let fail = |message: String| -> Result<Response, AppError> {
        if htmx {
            Ok(status_fragment(&dom, "error", &message, None))
        } else {
            Err(AppError::BadRequest(message))
        }
    };
    let Some(status) = Status::from_name(&f.status) else {
        return fail("Choose an answer first.".into());
    };
    let in_place_since = match form_date("In place since", &f.in_place_since, false) {
        Ok(d) => d,
        Err(e) => return fail(format!("Not saved: {e}")),
    };
    let input = AnswerInput {
        status,
        na_reason: opt(&f.na_reason),
        notes: opt(&f.notes),
        owner: opt(&f.owner),
        in_place_since,
    };
    match state
        .app
        .save_answer(&access, &criterion, &input, f.version)
        .await
    {
        Ok(saved) if htmx => {
            let at = saved.answer.updated_at.time();
            let iso = saved
                .answer
                .updated_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            let mut html = status_html(&dom, "saved", "", Some(saved.answer.version)).replacen(
                "\"></div>",
                &format!(
                    "\">Saved at <time datetime=\"{iso}\">{:02}:{:02} UTC</time>.</div>",
                    at.hour(),
                    at.minute()
                ),
                1,
            );
            // The question is answered now: its "Not answered yet" mark goes, and the
            // progress counts of the page follow.
            html.push_str(&format!(
                "<span id=\"unanswered-{dom}\" hx-swap-oob=\"true\"></span>"
            ));
            // The progress counts, from the view the save made.
            let progress = &saved.view.progress;
            let (all, this) = (progress.all(), progress.practice(sp.practice));
            html.push_str(&format!(
                "<span id=\"progress-all\" hx-swap-oob=\"true\">{}</span><span id=\"progress-p{}\" hx-swap-oob=\"true\">{}</span>",
                all.answered, sp.practice, this.answered
            ));
            Ok(Html(html).into_response())
        }
        Ok(_) => Ok(Redirect::to(&format!(
            "/orgs/{org}/practices/{}#sp-{}",
            sp.practice,
            dom_id(sp.id.as_str())
        ))
        .into_response()),
        Err(Error::Stale(current)) => {
            let Current::Answer(current) = *current else {
                return Err(AppError::internal(Error::Internal(
                    "stale answer without an answer".into(),
                )));
            };
            let message = stale_answer_words(&state, current.as_ref()).await?;
            let version = current.as_ref().map_or(0, |c| c.version);
            if htmx {
                Ok(status_fragment(&dom, "error", &message, Some(version)))
            } else {
                Err(AppError::Conflict(message))
            }
        }
        Err(Error::Invalid { field, problem }) => {
            fail(format!("Not saved: {}", problem_words(field, &problem)))
        }
        Err(Error::AssessmentClosed) => {
            fail("This assessment is closed and can no longer change.".into())
        }
        Err(e) => Err(e.into()),
    }
}

/// What a person sees when their save lost to someone else's.
async fn stale_answer_words(
    state: &AppState,
    current: Option<&Answer>,
) -> Result<String, AppError> {
    let Some(current) = current else {
        return Ok("Not saved: this answer changed since the page was opened. Reload the page and answer again.".into());
    };
    let names = state.app.user_names(current.updated_by.as_slice()).await?;
    let who = current
        .updated_by
        .as_ref()
        .and_then(|u| names.get(u).cloned())
        .unwrap_or_else(|| "someone".into());
    let label = STATUS_LABELS
        .iter()
        .find(|(s, _)| *s == current.status)
        .map_or(current.status.name(), |(_, l)| l);
    let notes = current
        .notes
        .as_deref()
        .map(|n| format!(" Their notes: \"{n}\"."))
        .unwrap_or_default();
    Ok(format!(
        "Not saved: {who} changed this answer while you were editing. Their answer: \"{label}\".{notes} \
         Change any field again to replace it with yours, or reload the page to see theirs."
    ))
}
