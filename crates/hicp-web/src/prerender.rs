//! Organization pages rendered once per revision.
//!
//! The dashboard, the questionnaire and the plan show the same HTML to every member with
//! the same rights until the organization's revision moves, except for two per-response
//! parts: the CSRF token (masked afresh for every response, against BREACH) and the
//! signed-in user's name. So such a page is rendered once with stand-ins (slots) in place of
//! those two, split at the slots, and kept in a bounded cache keyed by (organization,
//! revision, today, page, rights). Each response joins the parts with its own token and
//! name. Like the computed views, the key moves with the revision, so replicas need no
//! invalidation messages.
//!
//! The slots are random per process: no text a user stores can contain them.

use crate::AppState;
use crate::error::{AppError, escape};
use crate::session::Auth;
use crate::view::OrgCtx;
use askama::Template;
use axum::response::{Html, IntoResponse, Response};
use hicp_core::assessment::Date;
use std::sync::{Arc, OnceLock};

/// The cache's key: (organization, revision, today, page with its query, can edit, can
/// manage).
pub(crate) type Key = (String, i64, Date, String, bool, bool);

pub(crate) type PageCache = moka::future::Cache<Key, Arc<Prerendered>>;

pub(crate) fn cache(max_bytes: u64) -> PageCache {
    moka::future::Cache::builder()
        .max_capacity(max_bytes)
        .weigher(|_, p: &Arc<Prerendered>| p.weight())
        .build()
}

struct Slots {
    csrf: String,
    user: String,
}

fn slots() -> &'static Slots {
    static SLOTS: OnceLock<Slots> = OnceLock::new();
    SLOTS.get_or_init(|| {
        // Letters and digits only, so escaping leaves them as they are.
        let random = || hex::encode(hicp_app::random_bytes(16).unwrap_or_else(|_| vec![7; 16]));
        Slots {
            csrf: format!("hicpslotcsrf{}", random()),
            user: format!("hicpslotuser{}", random()),
        }
    })
}

/// What a cached page's template gets for its CSRF token and user's name.
pub(crate) fn csrf_slot() -> String {
    slots().csrf.clone()
}

pub(crate) fn user_slot() -> String {
    slots().user.clone()
}

enum Part {
    Text(String),
    Csrf,
    User,
}

/// A page split at its slots.
pub(crate) struct Prerendered {
    parts: Vec<Part>,
    /// The bytes of its text parts, and how many slots of each kind it has: a response's
    /// size is known before it is joined, so it is written once, never grown and copied.
    text_bytes: usize,
    csrf_slots: usize,
    user_slots: usize,
}

impl Prerendered {
    fn split(html: &str) -> Prerendered {
        let s = slots();
        let mut parts = Vec::new();
        let mut rest = html;
        loop {
            let next = [(&s.csrf, Part::Csrf), (&s.user, Part::User)]
                .into_iter()
                .filter_map(|(slot, part)| rest.find(slot.as_str()).map(|at| (at, slot, part)))
                .min_by_key(|(at, _, _)| *at);
            let Some((at, slot, part)) = next else {
                break;
            };
            if at > 0 {
                parts.push(Part::Text(rest[..at].to_owned()));
            }
            parts.push(part);
            rest = &rest[at + slot.len()..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        let count = |kind: fn(&Part) -> bool| parts.iter().filter(|p| kind(p)).count();
        Prerendered {
            text_bytes: parts
                .iter()
                .map(|p| match p {
                    Part::Text(t) => t.len(),
                    _ => 0,
                })
                .sum(),
            csrf_slots: count(|p| matches!(p, Part::Csrf)),
            user_slots: count(|p| matches!(p, Part::User)),
            parts,
        }
    }

    fn join(&self, csrf: &str, user: &str) -> String {
        let mut html = String::with_capacity(
            self.text_bytes + self.csrf_slots * csrf.len() + self.user_slots * user.len(),
        );
        for part in &self.parts {
            html.push_str(match part {
                Part::Text(t) => t,
                Part::Csrf => csrf,
                Part::User => user,
            });
        }
        html
    }

    fn response(&self, auth: &Auth) -> Response {
        let user = escape(&auth.user().display_name);
        Html(self.join(&auth.csrf(), &user)).into_response()
    }

    fn weight(&self) -> u32 {
        u32::try_from(self.text_bytes + 64 * self.parts.len()).unwrap_or(u32::MAX)
    }
}

/// The page `page` (its path and query) of `ctx`'s organization for `auth`: from the cache,
/// or made by `make`, whose template must take [`csrf_slot`] and [`user_slot`] in place of
/// the token and the name. `make` also says whether the page may be kept: only if it
/// depends on nothing but the organization at its revision, today's date, the page's query
/// and the member's rights (a health system's roll-up also shows its sites, whose changes
/// do not move its revision).
pub(crate) async fn page<T, F>(
    state: &AppState,
    auth: &Auth,
    ctx: &OrgCtx,
    page: String,
    make: F,
) -> Result<Response, AppError>
where
    T: Template,
    F: Future<Output = Result<(T, bool), AppError>>,
{
    let key = (
        ctx.org.id.to_string(),
        ctx.org.revision,
        hicp_app::today(),
        page,
        ctx.can_edit(),
        ctx.can_manage(),
    );
    let pre = match state.pages.get(&key).await {
        Some(pre) => pre,
        None => {
            let (template, keep) = make.await?;
            let html = template.render().map_err(AppError::internal)?;
            let pre = Arc::new(Prerendered::split(&html));
            if keep {
                state.pages.insert(key, pre.clone()).await;
            }
            pre
        }
    };
    Ok(pre.response(auth))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_replaced_wherever_they_are_and_text_is_kept() {
        let (c, u) = (csrf_slot(), user_slot());
        let html =
            format!("<meta content=\"{c}\"><span title=\"{u}\">{u}</span><input value=\"{c}\">end");
        let pre = Prerendered::split(&html);
        assert_eq!(
            pre.join("TOKEN", "Ann &amp; Bo"),
            "<meta content=\"TOKEN\"><span title=\"Ann &amp; Bo\">Ann &amp; Bo</span><input value=\"TOKEN\">end"
        );
        assert_eq!(Prerendered::split("no slots").join("x", "y"), "no slots");
        assert_eq!(Prerendered::split(&c).join("x", "y"), "x");
    }

    #[test]
    fn a_joined_page_is_allocated_once_at_its_size() {
        let (c, u) = (csrf_slot(), user_slot());
        let html = format!("<p>{u}</p>{}", format!("<input value=\"{c}\">").repeat(200));
        let long_token = "T".repeat(3 * c.len());
        let joined = Prerendered::split(&html).join(&long_token, "Ann");
        assert_eq!(joined.len(), joined.capacity());
        assert_eq!(joined.matches(&long_token).count(), 200);
    }

    #[test]
    fn slots_survive_html_escaping_and_differ() {
        assert_eq!(escape(&csrf_slot()), csrf_slot());
        assert_eq!(escape(&user_slot()), user_slot());
        assert_ne!(csrf_slot(), user_slot());
    }
}
