//! Computed views of an organization's open assessment: the answers as the domain sees
//! them, the scores, the plan, the tracked actions and the last snapshot, computed once per
//! revision of the organization and kept in a bounded in-process cache.
//!
//! The key is (organization, revision, today). The revision moves in the transaction of
//! every change (migration 0010), and a request reads it with its session, so a server
//! never serves a view older than the revision it has read, and servers need not tell each
//! other anything. The date is in the key because evidence expires and actions fall due.
//! The cache holds nothing that is not in the database: losing it costs only time.

use crate::access::{OrgAccess, tier_of};
use crate::assessment::{Current, criterion_answer, domain_answers, read_current};
use crate::error::{Error, Result};
use crate::{App, Level, today};
use hicp_core::assessment::findings::FindingsPlan;
use hicp_core::assessment::plan::{PlanItem, plan};
use hicp_core::assessment::scoring::rescore;
use hicp_core::assessment::{Answers, Date, Scores, score};
use hicp_store::{
    ActionTrack, Answer, Assessment, AssessmentStatus, Conn, OffsetDateTime, OrgId, Organization,
};
use std::sync::{Arc, OnceLock};

/// Everything the pages of an organization's assessment are computed from.
#[derive(Clone, Debug)]
pub struct AssessmentView {
    /// The organization as it was at the view's revision.
    pub org: Organization,
    pub current: Current,
    pub answers: Answers,
    pub scores: Scores,
    /// The plan, made on first use ([`App::plan_of`]): a save that moves the view forward
    /// does not plan, the next page that shows the plan does.
    plan: OnceLock<Vec<PlanItem>>,
    /// The organization's tracked plan actions.
    pub tracks: Vec<ActionTrack>,
    /// Its open scan findings to fix first (KEV-listed, past Table 8), ranked as of today.
    pub findings: FindingsPlan,
    /// The newest closed snapshot, to compare with.
    pub last_snapshot: Option<Assessment>,
    /// It is a health system with member sites.
    pub has_sites: bool,
    /// The health system it belongs to.
    pub parent: Option<Organization>,
    /// When anything of the organization last changed.
    pub last_change: Option<OffsetDateTime>,
}

impl AssessmentView {
    /// About how many bytes the view holds: the cache's weight. Counted from what grows
    /// (answers and their text, evidence, plan items, tracks, snapshots); the constant
    /// covers the fixed parts. An estimate, so the bound is approximate.
    fn weight(&self) -> u32 {
        let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        let answers: usize = self
            .current
            .answers
            .iter()
            .map(|a| 160 + text(&a.notes) + text(&a.na_reason) + text(&a.owner))
            .sum();
        let evidence: usize = self
            .current
            .evidence
            .iter()
            .map(|e| 400 + e.title.len() + text(&e.url))
            .sum();
        let snapshot = self
            .last_snapshot
            .as_ref()
            .map_or(0, |s| text(&s.snapshot_json));
        // The domain's answers and scores mirror the stored answers.
        let bytes = 8_192
            + 3 * answers
            + 2 * evidence
            + 600 * self.plan.get().map_or(150, Vec::len)
            + 300 * self.tracks.len()
            + 500 * self.findings.items.len()
            + snapshot;
        u32::try_from(bytes).unwrap_or(u32::MAX)
    }
}

/// The cache's key: (organization, revision, today).
type Key = (OrgId, i64, Date);

/// The cache of computed views, bounded by their estimated bytes.
pub(crate) struct ViewCache {
    cache: moka::future::Cache<Key, Arc<AssessmentView>>,
    /// Saves of one organization take turns here, from before their transaction until
    /// their view is kept, so each save finds the view of the one before it and moves it
    /// forward instead of reading everything again. Striped: a few organizations share a
    /// turn, which bounds the memory whatever the number of tenants.
    turns: Box<[tokio::sync::Mutex<()>]>,
}

/// How many turns the saves of all organizations are spread over.
const TURNS: usize = 64;

impl ViewCache {
    pub(crate) fn new(max_bytes: u64) -> ViewCache {
        ViewCache {
            cache: moka::future::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_, v: &Arc<AssessmentView>| v.weight())
                .build(),
            turns: (0..TURNS).map(|_| tokio::sync::Mutex::new(())).collect(),
        }
    }

    /// The turn that saves of `org` take.
    pub(crate) fn turn(&self, org: &OrgId) -> &tokio::sync::Mutex<()> {
        use std::hash::{BuildHasher, RandomState};
        static STRIPES: OnceLock<RandomState> = OnceLock::new();
        let h = STRIPES.get_or_init(RandomState::new).hash_one(org.as_str());
        &self.turns[(h % TURNS as u64) as usize]
    }
}

impl App {
    /// The action plan of a view, made on its first use.
    pub fn plan_of<'v>(&self, view: &'v AssessmentView) -> &'v [PlanItem] {
        view.plan.get_or_init(|| plan(self.catalog(), &view.scores))
    }

    /// The computed view of an assessment of the organization: the open one from the cache
    /// (computed on a miss), a closed snapshot computed afresh. The view is the one of
    /// `access`'s revision: read the access after any change it should show (a request's
    /// access is read with its session, so pages always are).
    pub async fn view<L: Level>(
        &self,
        access: &OrgAccess<L>,
        assessment: &Assessment,
    ) -> Result<Arc<AssessmentView>> {
        if &assessment.org_id != access.org_id() {
            return Err(Error::NotFound);
        }
        self.view_of(access.org(), assessment.clone()).await
    }

    /// The view of `assessment` of `org`, whose revision says how recent it is.
    pub(crate) async fn view_of(
        &self,
        org: &Organization,
        assessment: Assessment,
    ) -> Result<Arc<AssessmentView>> {
        if assessment.status == AssessmentStatus::Closed {
            let mut c = self.store().conn().await?;
            return Ok(Arc::new(self.compute_view(&mut c, org, assessment).await?));
        }
        let key = (org.id.clone(), org.revision, today());
        if let Some(v) = self.views().cache.get(&key).await {
            return Ok(v);
        }
        // Two requests that miss together both compute: simpler than waiting on each
        // other, and it happens only once per change.
        let mut c = self.store().conn().await?;
        let v = Arc::new(self.compute_view(&mut c, org, assessment).await?);
        self.views().cache.insert(key, v.clone()).await;
        Ok(v)
    }

    /// Whether the cache holds the view of `org` at `revision` today (for tests and
    /// diagnostics).
    pub fn has_view(&self, org: &OrgId, revision: i64) -> bool {
        self.views()
            .cache
            .contains_key(&(org.clone(), revision, today()))
    }

    /// The cached view of `org` at `revision`, if there is one.
    pub(crate) async fn cached_view(
        &self,
        org: &OrgId,
        revision: i64,
    ) -> Option<Arc<AssessmentView>> {
        self.views()
            .cache
            .get(&(org.clone(), revision, today()))
            .await
    }

    /// Keeps the view of a committed change, under its organization's revision.
    pub(crate) async fn keep_view(&self, view: AssessmentView) -> Arc<AssessmentView> {
        let view = Arc::new(view);
        let key = (view.org.id.clone(), view.org.revision, today());
        self.views().cache.insert(key, view.clone()).await;
        view
    }

    /// The view of `assessment` of `org`, read through `c` (a transaction's rows are
    /// those it has written).
    pub(crate) async fn compute_view<M>(
        &self,
        c: &mut Conn<M>,
        org: &Organization,
        assessment: Assessment,
    ) -> Result<AssessmentView> {
        let catalog = self.catalog();
        let tier = if assessment.status == AssessmentStatus::Closed {
            assessment.tier
        } else {
            tier_of(org)
        };
        let current = read_current(c, assessment).await?;
        let answers = domain_answers(catalog, org, tier, &current);
        let scores = score(catalog, &answers);
        let tracks = c.actions(&org.id).await?;
        let findings = self.ranked_findings(c, &org.id).await?;
        let last_snapshot = newest_snapshot(c.assessments_for_org(&org.id).await?);
        let has_sites = !c.sites_of(&org.id).await?.is_empty();
        let parent = c.parent_of(&org.id).await?;
        let last_change = c.last_change(&org.id).await?;
        Ok(AssessmentView {
            org: org.clone(),
            current,
            answers,
            scores,
            plan: OnceLock::new(),
            tracks,
            findings,
            last_snapshot,
            has_sites,
            parent,
            last_change,
        })
    }
}

/// The view `old` with the answer `saved` changed and re-scored (`rescore`: only what
/// depends on it), as of revision `after`. `old` must be the view of the revision just
/// before the save (read under the organization's lock), so no other change lies between.
pub(crate) fn advanced(old: &AssessmentView, saved: &Answer, after: i64) -> AssessmentView {
    let mut v = old.clone();
    let rows = &mut v.current.answers;
    match rows
        .iter_mut()
        .find(|a| a.criterion_id == saved.criterion_id)
    {
        Some(row) => *row = saved.clone(),
        None => rows.push(saved.clone()),
    }
    let id = saved.criterion_id.as_str();
    // Its evidence belongs to the answer now.
    v.answers.unanswered_evidence.remove(id);
    v.answers
        .criteria
        .insert(id.to_owned(), criterion_answer(saved, &v.current.evidence));
    v.scores = rescore(&v.answers, &v.scores, id);
    v.plan = OnceLock::new();
    v.org.revision = after;
    v.last_change = Some(saved.updated_at);
    v
}

/// The newest of the closed assessments (by close, then id).
pub(crate) fn newest_snapshot(all: Vec<Assessment>) -> Option<Assessment> {
    all.into_iter()
        .filter(|a| a.status == AssessmentStatus::Closed)
        .max_by(|a, b| a.closed_at.cmp(&b.closed_at).then(a.id.cmp(&b.id)))
}
