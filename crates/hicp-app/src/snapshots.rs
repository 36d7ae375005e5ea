//! Closing the open assessment as a dated snapshot, and the snapshots kept.

use crate::access::{Edit, OrgAccess};
use crate::assessment::{domain_answers, open_assessment, read_current};
use crate::error::{Error, Result};
use crate::{App, Level, today};
use hicp_core::assessment::{Answers, Scores, score};
use hicp_core::catalog::Catalog;
use hicp_store::{Assessment, AssessmentStatus, NewAssessment};
use serde::{Deserialize, Serialize};

/// The scores of an assessment when it was closed, stored with it as JSON. Names are kept
/// so that a snapshot still reads well if the catalog changes later.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The shape of this JSON (1).
    pub version: u32,
    pub tier: String,
    pub overall: Option<f64>,
    pub answered: usize,
    pub total: usize,
    pub practices: Vec<ScoreLine>,
    pub threats: Vec<ScoreLine>,
    /// The plan board's tracking as it stood at the close (snapshots closed before it was
    /// kept have none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tracking: Vec<TrackedAction>,
}

/// One plan action's tracking in a snapshot: owner, due date (`YYYY-MM-DD`), status
/// (`open`, `in_progress`, `done`, `risk_accepted`) and the reason for accepting a risk.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrackedAction {
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_on: Option<String>,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl TrackedAction {
    /// The stored tracking, back in the store's types (`None` for a line that no longer
    /// reads: a snapshot is history, not input).
    pub fn track(&self) -> Option<(hicp_store::ActionStatus, Option<hicp_store::Date>)> {
        let status = hicp_store::ActionStatus::parse(&self.status)?;
        let due = match &self.due_on {
            Some(d) => Some(hicp_store::Date::parse(d).ok()?),
            None => None,
        };
        Some((status, due))
    }
}

/// One scored thing of a snapshot: a practice (key: its number) or a threat (key: its id).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreLine {
    pub key: String,
    pub name: String,
    pub score: Option<f64>,
}

impl Snapshot {
    pub fn parse(json: Option<&str>) -> Option<Snapshot> {
        json.and_then(|j| serde_json::from_str(j).ok())
    }
}

/// The snapshot of scored answers.
pub fn snapshot_of(catalog: &Catalog, a: &Answers, scores: &Scores) -> Snapshot {
    // "Not started" is an answer: only questions without one are unanswered.
    let progress = a.progress(catalog);
    Snapshot {
        version: 1,
        tier: a.tier.name().into(),
        overall: scores.overall,
        answered: progress.answered,
        total: progress.total,
        practices: scores
            .practices
            .iter()
            .map(|p| ScoreLine {
                key: p.number.to_string(),
                name: format!("{}. {}", p.number, p.name),
                score: p.score,
            })
            .collect(),
        threats: scores
            .threats
            .iter()
            .map(|t| ScoreLine {
                key: t.id.clone(),
                name: t.name.clone(),
                score: t.score,
            })
            .collect(),
        tracking: Vec::new(),
    }
}

/// A close that was done.
#[derive(Clone, Debug)]
pub struct Closed {
    /// The snapshot, as closed (`None`: it was already closed by another request).
    pub snapshot: Option<Assessment>,
    /// The assessment that is open now.
    pub next: Assessment,
}

impl App {
    /// Closes the open assessment as a dated snapshot and opens the next one with the same
    /// answers (at the same versions) and sub-practices, in one transaction. The snapshot
    /// is scored inside that transaction and records the evidence in place. `seen` is the
    /// assessment the caller looked at: if it is no longer open (a double submit, or
    /// someone else closed it), nothing more is closed.
    pub async fn close_assessment(
        &self,
        access: &OrgAccess<Edit>,
        seen: Option<&str>,
    ) -> Result<Closed> {
        let mut tx = self.store().begin().await?;
        // Exclusive: no answer, import or evidence may slip in between scoring and closing.
        let locked = self.lock_org(&mut tx, access, true).await?;
        let access = access.with_org(locked.org);
        let current = open_assessment(&mut tx, &access, locked.open_assessment).await?;
        if seen.is_some_and(|s| s != current.id.as_str()) {
            tx.commit().await?;
            return Ok(Closed {
                snapshot: None,
                next: current,
            });
        }
        let cur = read_current(&mut tx, current.clone()).await?;
        let answers = domain_answers(self.catalog(), access.org(), access.tier(), &cur);
        let scores = score(self.catalog(), &answers);
        let mut snapshot = snapshot_of(self.catalog(), &answers, &scores);
        // The plan board is the organization's, not the assessment's: keep how it stood.
        snapshot.tracking = tx
            .actions(access.org_id())
            .await?
            .into_iter()
            .map(|t| TrackedAction {
                action: t.action_id.to_string(),
                owner: t.owner,
                due_on: t.due_on.map(|d| d.to_string()),
                status: t.status.as_str().to_owned(),
                reason: t.reason,
            })
            .collect();
        let json = serde_json::to_string(&snapshot).map_err(|e| Error::Internal(e.to_string()))?;
        let by = &access.user().id;
        // The snapshot keeps the tier it was scored at, even if the organization was
        // resized while the assessment was open.
        if current.tier != access.tier() {
            tx.set_assessment_tier(&current.id, access.tier()).await?;
        }
        let closed = tx.close_assessment(&current.id, &json, by).await?;
        let next = tx
            .create_assessment(&NewAssessment {
                org_id: access.org_id(),
                name: &format!("Assessment started {}", today()),
                tier: access.tier(),
                created_by: by,
            })
            .await?;
        tx.copy_answers(&current.id, &next.id, by).await?;
        tx.commit().await?;
        Ok(Closed {
            snapshot: Some(closed),
            next,
        })
    }

    /// The closed snapshots of the organization, newest first.
    pub async fn snapshots<L: Level>(&self, access: &OrgAccess<L>) -> Result<Vec<Assessment>> {
        let mut closed: Vec<Assessment> = self
            .store()
            .assessments_for_org(access.org_id())
            .await?
            .into_iter()
            .filter(|a| a.status == AssessmentStatus::Closed)
            .collect();
        closed.sort_by(|a, b| b.closed_at.cmp(&a.closed_at).then(b.id.cmp(&a.id)));
        Ok(closed)
    }

    /// The scores of the organization's open assessment, as they would be stored on closing.
    pub async fn current_snapshot<L: Level>(&self, access: &OrgAccess<L>) -> Result<Snapshot> {
        let a = self.current_assessment(access).await?;
        let cur = self.assessment(access, &a).await?;
        let answers = self.answers_of(access, &cur);
        let scores = score(self.catalog(), &answers);
        Ok(snapshot_of(self.catalog(), &answers, &scores))
    }
}
