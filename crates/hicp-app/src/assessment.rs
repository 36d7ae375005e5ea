//! The open assessment: answers, optional sub-practices, evidence and plan actions.

use crate::access::{Edit, OrgAccess};
use crate::error::{Current as Stale, Error, Problem, Result};
use crate::orgs::{profile_of, threat_weights_of};
use crate::views::advanced;
use crate::{App, Level, today};
use hicp_core::assessment::{Answers, CriterionAnswer, Status, classify};
use hicp_core::catalog::{Catalog, SubPracticeId, Tier};
use hicp_store::{
    ActionInput, ActionStatus, ActionTrack, Answer, AnswerInput, Assessment, AssessmentStatus,
    Evidence, EvidenceContent, EvidenceFile, EvidenceId, LockedOrganization, NewAssessment,
    NewEvidence, Organization, StoreError, Tx,
};

/// Evidence file types we accept: documents, images and plain exports. Executables, HTML
/// and scripts are refused because a download could run in a user's browser or machine.
pub const ALLOWED_UPLOADS: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("txt", "text/plain"),
    ("csv", "text/csv"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
];

/// An assessment with everything stored for it.
#[derive(Clone, Debug)]
pub struct Current {
    pub assessment: Assessment,
    pub answers: Vec<Answer>,
    /// The organization's evidence (for a snapshot: what was in place at its close).
    pub evidence: Vec<Evidence>,
    /// Sub-practices of other tiers opted in.
    pub opted_in: Vec<String>,
}

/// A saved answer, and the computed view of the open assessment that it made.
#[derive(Clone, Debug)]
pub struct Saved {
    pub answer: Answer,
    pub view: std::sync::Arc<crate::AssessmentView>,
}

/// A piece of evidence to add.
pub struct EvidenceUpload {
    pub criterion: Option<String>,
    pub action: Option<String>,
    pub title: String,
    pub content: EvidenceContent,
    pub collected_on: Option<hicp_store::Date>,
    pub valid_until: Option<hicp_store::Date>,
}

/// The domain's view of stored rows, ready to score and plan: what the answers file of
/// the same organization would say.
pub(crate) fn domain_answers(
    catalog: &Catalog,
    org: &Organization,
    tier: Tier,
    cur: &Current,
) -> Answers {
    let mut a = Answers::blank(catalog, tier);
    a.profile = profile_of(org);
    a.sizing = classify(&a.profile);
    a.tier_override = org.tier_overridden.then_some(tier);
    for (id, w) in threat_weights_of(org) {
        if a.threat_weights.contains_key(&id) {
            a.threat_weights.insert(id, w);
        }
    }
    a.opt_in = cur
        .opted_in
        .iter()
        .filter_map(|id| SubPracticeId::parse(id).map(|(id, _, _)| id))
        .collect();
    for row in &cur.answers {
        a.criteria.insert(
            row.criterion_id.to_string(),
            criterion_answer(row, &cur.evidence),
        );
    }
    // Evidence on a criterion nobody has answered yet (an import files a scan on the
    // criteria it informs) is still evidence on file: the report lists it, without reading
    // it as an answer.
    for e in &cur.evidence {
        let Some(id) = &e.criterion_id else { continue };
        if !a.criteria.contains_key(id.as_str()) {
            a.unanswered_evidence
                .entry(id.to_string())
                .or_default()
                .push(as_domain(e));
        }
    }
    a
}

/// A stored piece of evidence as the domain sees it.
fn as_domain(e: &Evidence) -> hicp_core::assessment::Evidence {
    hicp_core::assessment::Evidence {
        title: e.title.clone(),
        location: e.url.clone().or_else(|| e.file_name.clone()),
        collected: e.collected_on,
        valid_until: e.valid_until,
    }
}

/// A stored answer as the domain sees it, with the evidence on its criterion.
pub(crate) fn criterion_answer(row: &Answer, evidence: &[Evidence]) -> CriterionAnswer {
    CriterionAnswer {
        status: row.status,
        reason: row.na_reason.clone(),
        notes: row.notes.clone(),
        owner: row.owner.clone(),
        in_place_since: row.in_place_since,
        evidence: evidence
            .iter()
            .filter(|e| e.criterion_id.as_ref() == Some(&row.criterion_id))
            .map(as_domain)
            .collect(),
    }
}

/// Everything stored for `assessment`, read in `tx`.
pub(crate) async fn read_current<M>(
    c: &mut hicp_store::Conn<M>,
    assessment: Assessment,
) -> Result<Current> {
    let answers = c.answers(&assessment.id).await?;
    let evidence = c.evidence_for_assessment(&assessment.id).await?;
    let opted_in = c.opted_in_sub_practices(&assessment.id).await?;
    Ok(Current {
        assessment,
        answers,
        evidence,
        opted_in,
    })
}

/// The open assessment of the organization: the one its lock read (`locked`, from
/// `App::lock_org`; nothing in the transaction since has closed or opened one), else one
/// opened now (an organization made before assessments were opened with it).
pub(crate) async fn open_assessment<L: Level>(
    tx: &mut Tx,
    access: &OrgAccess<L>,
    locked: Option<Assessment>,
) -> Result<Assessment> {
    if let Some(a) = locked {
        return Ok(a);
    }
    Ok(tx
        .create_assessment(&NewAssessment {
            org_id: access.org_id(),
            name: "Assessment",
            tier: access.tier(),
            created_by: &access.user().id,
        })
        .await?)
}

impl App {
    /// The organization's open assessment.
    pub async fn current_assessment<L: Level>(&self, access: &OrgAccess<L>) -> Result<Assessment> {
        if let Some(a) = self.store().current_assessment(access.org_id()).await? {
            return Ok(a);
        }
        let mut tx = self.store().begin().await?;
        let locked = self.lock_org(&mut tx, access, false).await?;
        let a = open_assessment(&mut tx, access, locked.open_assessment).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// An assessment of the organization (open or a snapshot) with everything stored for it.
    pub async fn assessment<L: Level>(
        &self,
        access: &OrgAccess<L>,
        assessment: &Assessment,
    ) -> Result<Current> {
        if &assessment.org_id != access.org_id() {
            return Err(Error::NotFound);
        }
        let mut c = self.store().conn().await?;
        read_current(&mut c, assessment.clone()).await
    }

    /// A snapshot or the open assessment of the organization, by id.
    pub async fn assessment_by_id<L: Level>(
        &self,
        access: &OrgAccess<L>,
        id: &str,
    ) -> Result<Assessment> {
        match self
            .store()
            .assessment(&hicp_store::AssessmentId::new(id))
            .await?
        {
            Some(a) if &a.org_id == access.org_id() => Ok(a),
            _ => Err(Error::NotFound),
        }
    }

    /// The answers of `cur` as the domain sees them (scope, weights, evidence included).
    pub fn answers_of<L: Level>(&self, access: &OrgAccess<L>, cur: &Current) -> Answers {
        let tier = if cur.assessment.status == AssessmentStatus::Closed {
            cur.assessment.tier
        } else {
            access.tier()
        };
        domain_answers(self.catalog(), access.org(), tier, cur)
    }

    /// Saves the answer to one criterion of the open assessment, if it is still at
    /// `version` (0: not answered yet). Otherwise `Stale` with the current answer. The
    /// view of the assessment after the save comes with it (and is kept for the pages).
    pub async fn save_answer(
        &self,
        access: &OrgAccess<Edit>,
        criterion: &str,
        input: &AnswerInput,
        version: i64,
    ) -> Result<Saved> {
        let Some(criterion) = self.catalog().criterion_id(criterion) else {
            return Err(Error::NotFound);
        };
        if input.status == Status::NotApplicable
            && input
                .na_reason
                .as_deref()
                .is_none_or(|r| r.trim().is_empty())
        {
            return Err(Error::invalid("na_reason", Problem::Required));
        }
        if input.in_place_since.is_some_and(|d| d > today()) {
            return Err(Error::invalid("in_place_since", Problem::InFuture));
        }
        if version < 0 {
            return Err(Error::invalid("version", Problem::Malformed));
        }
        // Saves of one organization take turns until their view is kept, so that the next
        // one moves it forward (see `ViewCache::turn`).
        let _turn = self.views().turn(access.org_id()).lock().await;
        let mut tx = self.store().begin().await?;
        let LockedOrganization {
            org,
            open_assessment: open,
        } = self.lock_org(&mut tx, access, false).await?;
        let assessment = open_assessment(&mut tx, access, open).await?;
        let saved = match tx
            .save_answer(&assessment.id, criterion, input, &access.user().id, version)
            .await
        {
            Ok(a) => a,
            // A version that never existed: "not answered yet" is the current value.
            Err(StoreError::NotFound) => {
                return Err(Error::Stale(Box::new(Stale::Answer(None))));
            }
            Err(e) => return Err(e.into()),
        };
        let after = tx.revision(access.org_id()).await?;
        // The view after the save: the one before it moved forward, after the commit (no
        // need to hold the writer meanwhile); with none cached, computed from this
        // transaction's rows, which include the save.
        let view = match self.take_view(&org.id, org.revision).await {
            Some(old) => {
                tx.commit().await?;
                advanced(self.catalog(), old, &saved, after)
            }
            None => {
                let org = Organization {
                    revision: after,
                    ..org
                };
                let view = self.compute_view(&mut tx, &org, assessment).await?;
                tx.commit().await?;
                view
            }
        };
        let view = self.keep_view(view).await;
        Ok(Saved {
            answer: saved,
            view,
        })
    }

    /// Opts a sub-practice of another tier in or out of the open assessment. Returns
    /// whether anything changed.
    pub async fn set_sub_practice(
        &self,
        access: &OrgAccess<Edit>,
        sub_practice: &str,
        opted_in: bool,
    ) -> Result<bool> {
        let Some(sp) = self.catalog().sub_practice(sub_practice) else {
            return Err(Error::NotFound);
        };
        if opted_in && self.catalog().applies(access.tier(), sp) {
            return Err(Error::invalid("sub_practice", Problem::AlreadyApplies));
        }
        if opted_in && !self.catalog().optional_for(access.tier(), sp) {
            return Err(Error::invalid("sub_practice", Problem::NotOptional));
        }
        let mut tx = self.store().begin().await?;
        let locked = self.lock_org(&mut tx, access, false).await?;
        let assessment = open_assessment(&mut tx, access, locked.open_assessment).await?;
        let changed = tx
            .set_sub_practice(&assessment.id, sp.id.as_str(), opted_in, &access.user().id)
            .await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Adds a piece of evidence to the organization (on a criterion or a plan action).
    pub async fn add_evidence(
        &self,
        access: &OrgAccess<Edit>,
        upload: EvidenceUpload,
    ) -> Result<Evidence> {
        check_evidence(self, &upload)?;
        let mut tx = self.store().begin().await?;
        let locked = self.lock_org(&mut tx, access, false).await?;
        let assessment = open_assessment(&mut tx, access, locked.open_assessment).await?;
        let e = add_evidence_in(&mut tx, access, &assessment, self.catalog(), upload).await?;
        tx.commit().await?;
        Ok(e)
    }

    /// Deletes a piece of evidence (audited, with its SHA-256). Returns whether it existed.
    pub async fn delete_evidence(&self, access: &OrgAccess<Edit>, id: &str) -> Result<bool> {
        let id = EvidenceId::new(id);
        let mut tx = self.store().begin().await?;
        self.lock_org(&mut tx, access, false).await?;
        match tx.evidence(&id).await? {
            Some(e) if &e.org_id == access.org_id() => {}
            _ => return Ok(false),
        }
        let done = tx.delete_evidence(&id, &access.user().id).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// One piece of the organization's evidence: metadata and, for a file, its bytes.
    pub async fn evidence_file<L: Level>(
        &self,
        access: &OrgAccess<L>,
        id: &str,
    ) -> Result<(Evidence, Option<EvidenceFile>)> {
        let id = EvidenceId::new(id);
        let mut c = self.store().conn().await?;
        match c.evidence(&id).await? {
            Some(e) if &e.org_id == access.org_id() => {
                let file = c.evidence_file(&id).await?;
                Ok((e, file))
            }
            _ => Err(Error::NotFound),
        }
    }

    /// The tracking of the organization's plan actions.
    pub async fn action_tracks<L: Level>(&self, access: &OrgAccess<L>) -> Result<Vec<ActionTrack>> {
        Ok(self.store().actions(access.org_id()).await?)
    }

    /// Saves the tracking of one plan action, if it is still at `version`. Marking it done
    /// records `proof` (a link, or where the proof is kept) as evidence, in the same
    /// transaction.
    pub async fn save_action(
        &self,
        access: &OrgAccess<Edit>,
        action: &str,
        input: &ActionInput,
        version: i64,
        proof: Option<&str>,
    ) -> Result<ActionTrack> {
        let Some(action) = self.catalog().action_id(action) else {
            return Err(Error::NotFound);
        };
        if input.status == ActionStatus::RiskAccepted
            && input.reason.as_deref().is_none_or(|r| r.trim().is_empty())
        {
            return Err(Error::invalid("reason", Problem::Required));
        }
        let proof = proof.map(str::trim).filter(|p| !p.is_empty());
        if input.status == ActionStatus::Done && proof.is_none() {
            return Err(Error::invalid("evidence", Problem::Required));
        }
        if version < 0 {
            return Err(Error::invalid("version", Problem::Malformed));
        }
        let mut tx = self.store().begin().await?;
        let locked = self.lock_org(&mut tx, access, false).await?;
        let saved = match tx
            .save_action(access.org_id(), action, input, &access.user().id, version)
            .await
        {
            Ok(a) => a,
            Err(StoreError::NotFound) => return Err(Error::Stale(Box::new(Stale::Action(None)))),
            Err(e) => return Err(e.into()),
        };
        if let Some(proof) = proof.filter(|_| input.status == ActionStatus::Done) {
            let content = if proof.starts_with("https://") || proof.starts_with("http://") {
                EvidenceContent::Link {
                    url: proof.to_owned(),
                }
            } else {
                // Where the proof is kept, as the user wrote it: stored as a small text file.
                EvidenceContent::File {
                    file_name: "where-the-proof-is.txt".into(),
                    content_type: "text/plain".into(),
                    bytes: proof.as_bytes().to_vec(),
                    sha256: None,
                }
            };
            let assessment = open_assessment(&mut tx, access, locked.open_assessment).await?;
            add_evidence_in(
                &mut tx,
                access,
                &assessment,
                self.catalog(),
                EvidenceUpload {
                    criterion: None,
                    action: Some(action.to_string()),
                    title: format!("Proof that action {action} is done"),
                    content,
                    collected_on: Some(today()),
                    valid_until: None,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(saved)
    }
}

/// The file type of an upload by its name's extension, if we accept it.
pub fn allowed_type(file_name: &str) -> Option<&'static str> {
    let ext = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
    ALLOWED_UPLOADS
        .iter()
        .find(|(e, _)| *e == ext)
        .map(|(_, t)| *t)
}

fn check_evidence(app: &App, u: &EvidenceUpload) -> Result<()> {
    if u.title.trim().is_empty() {
        return Err(Error::invalid("title", Problem::Required));
    }
    match &u.content {
        EvidenceContent::File {
            file_name, bytes, ..
        } => {
            if bytes.len() > app.settings().max_upload_bytes {
                return Err(Error::invalid(
                    "file",
                    Problem::TooLong {
                        max: app.settings().max_upload_bytes,
                    },
                ));
            }
            if allowed_type(file_name).is_none() {
                return Err(Error::invalid("file", Problem::TypeNotAllowed));
            }
        }
        EvidenceContent::Link { url } => {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(Error::invalid("url", Problem::Malformed));
            }
        }
    }
    if u.collected_on.is_some_and(|d| d > today()) {
        return Err(Error::invalid("collected_on", Problem::InFuture));
    }
    Ok(())
}

pub(crate) async fn add_evidence_in<L: Level>(
    tx: &mut Tx,
    access: &OrgAccess<L>,
    assessment: &Assessment,
    catalog: &Catalog,
    u: EvidenceUpload,
) -> Result<Evidence> {
    let known = |field, id: Option<&str>, find: &dyn Fn(&str) -> bool| match id {
        Some(id) if !find(id) => Err(Error::invalid(field, Problem::Unknown)),
        _ => Ok(()),
    };
    known("criterion", u.criterion.as_deref(), &|c| {
        catalog.criterion_id(c).is_some()
    })?;
    known("action", u.action.as_deref(), &|a| {
        catalog.action_id(a).is_some()
    })?;
    Ok(tx
        .add_evidence(&NewEvidence {
            assessment_id: &assessment.id,
            criterion_id: u.criterion.as_deref().and_then(|c| catalog.criterion_id(c)),
            action_id: u.action.as_deref().and_then(|a| catalog.action_id(a)),
            title: u.title.trim(),
            content: u.content,
            collected_on: u.collected_on,
            valid_until: u.valid_until,
            added_by: &access.user().id,
        })
        .await?)
}
