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
use hicp_core::assessment::{Answers, Date, PracticeProgress, Scores, score};
use hicp_core::catalog::Catalog;
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
    /// How many questions are answered, by practice.
    pub progress: PracticeProgress,
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
    views: Slots<AssessmentView>,
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
            views: Slots::new(max_bytes, AssessmentView::weight),
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

/// A bounded cache whose values can be taken out and then held by the taker alone (a save
/// changes the view it takes in place). moka may still hold a removed entry for a while,
/// so each value sits in a slot that the taker empties.
struct Slots<V> {
    cache: moka::future::Cache<Key, Arc<Slot<V>>>,
    weigh: fn(&V) -> u32,
}

struct Slot<V> {
    value: std::sync::Mutex<Option<Arc<V>>>,
    weight: u32,
}

impl<V> Slot<V> {
    fn value(&self) -> std::sync::MutexGuard<'_, Option<Arc<V>>> {
        self.value
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<V: Send + Sync + 'static> Slots<V> {
    fn new(max_weight: u64, weigh: fn(&V) -> u32) -> Slots<V> {
        Slots {
            cache: moka::future::Cache::builder()
                .max_capacity(max_weight)
                .weigher(|_, slot: &Arc<Slot<V>>| slot.weight)
                .build(),
            weigh,
        }
    }

    async fn get(&self, key: &Key) -> Option<Arc<V>> {
        self.cache
            .get(key)
            .await
            .and_then(|slot| slot.value().clone())
    }

    async fn insert(&self, key: Key, value: Arc<V>) {
        let slot = Slot {
            weight: (self.weigh)(&value),
            value: std::sync::Mutex::new(Some(value)),
        };
        self.cache.insert(key, Arc::new(slot)).await;
    }

    async fn take(&self, key: &Key) -> Option<Arc<V>> {
        self.cache
            .remove(key)
            .await
            .and_then(|slot| slot.value().take())
    }

    fn contains(&self, key: &Key) -> bool {
        self.cache.contains_key(key)
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
        if let Some(v) = self.views().views.get(&key).await {
            return Ok(v);
        }
        // Two requests that miss together both compute: simpler than waiting on each
        // other, and it happens only once per change.
        let mut c = self.store().conn().await?;
        let v = Arc::new(self.compute_view(&mut c, org, assessment).await?);
        self.views().views.insert(key, v.clone()).await;
        Ok(v)
    }

    /// Whether the cache holds the view of `org` at `revision` today (for tests and
    /// diagnostics).
    pub fn has_view(&self, org: &OrgId, revision: i64) -> bool {
        self.views()
            .views
            .contains(&(org.clone(), revision, today()))
    }

    /// Takes the cached view of `org` at `revision` out of the cache, to move it forward: a
    /// save makes the revision old, and a view no page holds any more is then changed in
    /// place instead of copied.
    pub(crate) async fn take_view(
        &self,
        org: &OrgId,
        revision: i64,
    ) -> Option<Arc<AssessmentView>> {
        self.views()
            .views
            .take(&(org.clone(), revision, today()))
            .await
    }

    /// Keeps the view of a committed change, under its organization's revision.
    pub(crate) async fn keep_view(&self, view: AssessmentView) -> Arc<AssessmentView> {
        let view = Arc::new(view);
        let key = (view.org.id.clone(), view.org.revision, today());
        self.views().views.insert(key, view.clone()).await;
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
        let progress = answers.progress_by_practice(catalog);
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
            progress,
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
/// It is copied only if a page still holds it.
pub(crate) fn advanced(
    catalog: &Catalog,
    old: Arc<AssessmentView>,
    saved: &Answer,
    after: i64,
) -> AssessmentView {
    let mut v = Arc::try_unwrap(old).unwrap_or_else(|shared| (*shared).clone());
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
    let first = v
        .answers
        .criteria
        .insert(id.to_owned(), criterion_answer(saved, &v.current.evidence))
        .is_none();
    if first
        && let Some(sp) = catalog.sub_practice_of_criterion(id)
        && v.answers.in_scope(catalog, sp)
    {
        v.progress.add_answered(sp.practice);
    }
    rescore(&v.answers, &mut v.scores, id);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The cache holds views up to its bound in their weights, whatever the number of
    /// organizations: older ones are dropped, and what it keeps still answers.
    #[tokio::test]
    async fn the_cache_stays_within_its_bound() {
        let bound = 100_000;
        let slots: Slots<Vec<u8>> = Slots::new(bound, |v| v.len() as u32);
        for org in 0..1_000 {
            let key = (OrgId::new(format!("o{org}")), 1, today());
            slots.insert(key, Arc::new(vec![0; 1_000])).await;
        }
        slots.cache.run_pending_tasks().await;
        assert!(
            slots.cache.weighted_size() <= bound,
            "{} of {bound}",
            slots.cache.weighted_size()
        );
        assert!(slots.cache.entry_count() <= 100);
        let kept: Vec<_> = slots.cache.iter().map(|(key, _)| key).collect();
        assert!(!kept.is_empty());
        assert!(slots.get(&kept[0]).await.is_some());
    }

    /// A value taken out of the cache is held by the taker alone (so a save changes the
    /// view in place), although moka may keep the removed entry a while longer.
    #[tokio::test]
    async fn a_taken_value_is_held_by_the_taker_alone() {
        let slots: Slots<Vec<u8>> = Slots::new(1 << 20, |v| v.len() as u32);
        for round in 0..100 {
            let key = (OrgId::new("o"), round, today());
            slots.insert(key.clone(), Arc::new(vec![0; 100])).await;
            assert!(slots.contains(&key));
            let seen = slots.get(&key).await.expect("kept");
            drop(seen);
            let taken = slots.take(&key).await.expect("kept");
            assert_eq!(Arc::strong_count(&taken), 1, "round {round}");
            assert!(slots.get(&key).await.is_none(), "round {round}: taken");
            assert!(
                slots.take(&key).await.is_none(),
                "round {round}: taken once"
            );
        }
    }
}
