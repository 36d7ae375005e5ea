//! The glossary: the words and badges of the app in plain language, and the HHS
//! cybersecurity goals (CPG codes E1 to X10) that the dashboard and reports name.

use super::render;
use crate::AppState;
use crate::error::AppError;
use crate::session::Auth;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use hicp_core::catalog::CpgTier;

pub struct GoalView {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "glossary.html")]
struct GlossaryPage {
    csrf: String,
    user_name: String,
    goals: Vec<GoalView>,
}

pub async fn glossary(State(state): State<AppState>, auth: Auth) -> Result<Response, AppError> {
    render(&GlossaryPage {
        csrf: auth.csrf().to_owned(),
        user_name: auth.user().display_name.clone(),
        goals: state
            .catalog()
            .references
            .cpg_goals
            .iter()
            .map(|g| GoalView {
                id: g.id.clone(),
                title: g.title.clone(),
                kind: match g.tier {
                    CpgTier::Essential => "essential",
                    CpgTier::Enhanced => "enhanced",
                }
                .into(),
                summary: g.summary.clone(),
            })
            .collect(),
    })
}
