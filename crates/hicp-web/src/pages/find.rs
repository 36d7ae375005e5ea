//! Finding one's way in the questionnaire: a search across the questions in scope, and a
//! jump to the next question not answered yet. Plain links and a GET form: no script.

use super::render;
use crate::AppState;
use crate::error::AppError;
use crate::pages::assess::{answer_label, dom_id};
use crate::session::Auth;
use crate::view::{org_ctx, view};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// The most results a search lists.
const MAX_HITS: usize = 100;

pub struct Hit {
    pub href: String,
    pub criterion: String,
    pub sub_practice: String,
    pub text: String,
    pub answer: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    csrf: String,
    user_name: String,
    org_id: String,
    /// The navigation links the proposed-rule readiness page (the catalog has the rule).
    nprm: bool,
    org_name: String,
    query: String,
    hits: Vec<Hit>,
    more: bool,
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// Questions in scope whose text, criterion id, sub-practice id or title contain every word
/// of the query (case-insensitive), in catalog order, with their answer now.
pub async fn search(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let v = view(&state, &ctx).await?;
    let a = &v.answers;
    let words: Vec<String> = q.q.split_whitespace().map(str::to_lowercase).collect();
    let mut hits = Vec::new();
    if !words.is_empty() {
        for sp in a.scope(state.catalog()) {
            for c in &sp.criteria {
                let body = format!("{} {} {} {}", c.id, sp.id, sp.title, c.text).to_lowercase();
                if words.iter().all(|w| body.contains(w.as_str())) {
                    hits.push(Hit {
                        href: format!(
                            "/orgs/{}/practices/{}#q-{}",
                            ctx.org.id,
                            sp.practice,
                            dom_id(c.id.as_str())
                        ),
                        criterion: c.id.to_string(),
                        sub_practice: format!("{} {}", sp.id, sp.title),
                        text: c.text.clone(),
                        answer: if a.is_answered(c.id.as_str()) {
                            answer_label(a.status(c.id.as_str())).to_owned()
                        } else {
                            "Not answered yet".to_owned()
                        },
                    });
                }
            }
        }
    }
    let more = hits.len() > MAX_HITS;
    hits.truncate(MAX_HITS);
    render(&SearchPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        org_id: ctx.org.id.to_string(),
        nprm: crate::pages::readiness::offered(&state),
        org_name: ctx.org.name.clone(),
        query: q.q.trim().to_owned(),
        hits,
        more,
    })
}

/// The first question in scope not answered yet (in catalog order): a redirect to it, or
/// to the dashboard when every question is answered.
pub async fn next_unanswered(
    State(state): State<AppState>,
    auth: Auth,
    Path(org): Path<String>,
) -> Result<Response, AppError> {
    let ctx = org_ctx(&state, &auth, &org).await?;
    let v = view(&state, &ctx).await?;
    let a = &v.answers;
    for sp in a.scope(state.catalog()) {
        if let Some(c) = sp.criteria.iter().find(|c| !a.is_answered(c.id.as_str())) {
            return Ok(Redirect::to(&format!(
                "/orgs/{}/practices/{}#q-{}",
                ctx.org.id,
                sp.practice,
                dom_id(c.id.as_str())
            ))
            .into_response());
        }
    }
    Ok(Redirect::to(&format!("/orgs/{}?all_answered=1", ctx.org.id)).into_response())
}
