//! Assessments and sub-practices.

use super::{AssessmentRow, AuditBatch, INSERT_AUDIT, collect};
use crate::db::{Conn, InTx, now, on_conn, to_millis};
use crate::{Assessment, AssessmentId, NewAssessment, OrgId, Result, StoreError, Tier, UserId};

impl<M> Conn<M> {
    pub async fn assessment(&mut self, id: &AssessmentId) -> Result<Option<Assessment>> {
        on_conn!(self, c => {
            let row: Option<AssessmentRow> =
                crate::sql::query_as(concat!("SELECT ", assessment_cols!(), " FROM assessments WHERE id = $1"))
                    .bind(id.as_str().to_owned())
                    .fetch_optional(&mut *c)
                    .await?;
            row.map(Assessment::try_from).transpose()
        })
    }

    /// The assessments of `org`, newest first.
    pub async fn assessments_for_org(&mut self, org: &OrgId) -> Result<Vec<Assessment>> {
        on_conn!(self, c => {
            let rows: Vec<AssessmentRow> = crate::sql::query_as(concat!(
                "SELECT ", assessment_cols!(),
                " FROM assessments WHERE org_id = $1 ORDER BY created_at DESC, id DESC"
            ))
            .bind(org.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            collect(rows)
        })
    }

    /// The open assessment of `org`, if any.
    pub async fn current_assessment(&mut self, org: &OrgId) -> Result<Option<Assessment>> {
        on_conn!(self, c => {
            let row: Option<AssessmentRow> = crate::sql::query_as(concat!(
                "SELECT ", assessment_cols!(),
                " FROM assessments WHERE org_id = $1 AND status = 'open'"
            ))
            .bind(org.as_str().to_owned())
            .fetch_optional(&mut *c)
            .await?;
            row.map(Assessment::try_from).transpose()
        })
    }

    /// The sub-practices opted into an assessment, sorted.
    pub async fn opted_in_sub_practices(
        &mut self,
        assessment: &AssessmentId,
    ) -> Result<Vec<String>> {
        on_conn!(self, c => {
            let rows: Vec<(String,)> = crate::sql::query_as(
                "SELECT sub_practice_id FROM assessment_sub_practices WHERE assessment_id = $1 ORDER BY sub_practice_id",
            )
            .bind(assessment.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            Ok(rows.into_iter().map(|(s,)| s).collect())
        })
    }
}

impl Conn<InTx> {
    /// Starts an assessment. An organization has at most one open assessment: starting a
    /// second is `Duplicate`. An unknown organization is `InvalidReference`.
    pub async fn create_assessment(&mut self, new: &NewAssessment<'_>) -> Result<Assessment> {
        let id = AssessmentId::generate();
        let at = to_millis(now());
        let mut audit = AuditBatch::new(
            at,
            Some(new.created_by),
            Some(new.org_id.as_str()),
            "assessment",
            id.to_string(),
        );
        audit.event("created", None, Some(new.name.to_owned()));
        audit.event("tier", None, Some(new.tier.name().to_owned()));
        let created = on_conn!(self, tx, pg => {
            let row: AssessmentRow = crate::sql::query_as(concat!(
                "INSERT INTO assessments (id, org_id, name, tier, status, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, 'open', $5, $6) RETURNING ",
                assessment_cols!()
            ))
            .bind(id.as_str().to_owned())
            .bind(new.org_id.as_str().to_owned())
            .bind(new.name.to_owned())
            .bind(new.tier.name())
            .bind(new.created_by.as_str().to_owned())
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            write_audit!(tx, audit);
            Assessment::try_from(row)
        })?;
        self.open_held = Some((created.id.clone(), new.org_id.clone()));
        Ok(created)
    }

    /// Sets the tier of an open assessment: the organization was resized while it was
    /// open, and the assessment is scored (and closed) at the new tier.
    pub async fn set_assessment_tier(&mut self, id: &AssessmentId, tier: Tier) -> Result<()> {
        on_conn!(self, c => {
            crate::sql::query("UPDATE assessments SET tier = $2 WHERE id = $1 AND status = 'open'")
                .bind(id.as_str().to_owned())
                .bind(tier.name())
                .execute(&mut *c)
                .await?;
            Ok(())
        })
    }

    /// Closes an open assessment as a dated snapshot, storing `snapshot_json` (the scored
    /// result) and which evidence of the organization was in place. Its answers and
    /// sub-practices can no longer change. Closing a closed assessment is `AssessmentClosed`.
    pub async fn close_assessment(
        &mut self,
        id: &AssessmentId,
        snapshot_json: &str,
        by: &UserId,
    ) -> Result<Assessment> {
        let at = to_millis(now());
        let closed = on_conn!(self, tx, pg => {
            if pg {
                // The organization's lock first, exclusively: a transaction that locked the
                // organization counts on its open assessment staying open (`open_held`).
                crate::sql::query(
                    "SELECT 1 FROM organizations \
                     WHERE id = (SELECT org_id FROM assessments WHERE id = $1) FOR UPDATE",
                )
                .bind(id.as_str().to_owned())
                .execute(&mut *tx)
                .await?;
            }
            let org = open_assessment_org!(tx, pg, id, &self.open_held);
            let row: Option<AssessmentRow> = crate::sql::query_as(concat!(
                "UPDATE assessments SET status = 'closed', closed_at = $2, closed_by = $3, snapshot_json = $4 \
                 WHERE id = $1 AND status = 'open' RETURNING ",
                assessment_cols!()
            ))
            .bind(id.as_str().to_owned())
            .bind(at)
            .bind(by.as_str().to_owned())
            .bind(snapshot_json.to_owned())
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                return Err(StoreError::AssessmentClosed);
            };
            let mut audit = AuditBatch::new(at, Some(by), Some(&org), "assessment", id.to_string());
            audit.event("status", Some("open".into()), Some("closed".into()));
            crate::sql::query(
                "INSERT INTO snapshot_evidence (assessment_id, evidence_id) \
                 SELECT $1, id FROM evidence WHERE org_id = $2",
            )
            .bind(id.as_str().to_owned())
            .bind(org.clone())
            .execute(&mut *tx)
            .await?;
            write_audit!(tx, audit);
            Assessment::try_from(row)
        })?;
        if self.open_held.as_ref().is_some_and(|(held, _)| held == id) {
            self.open_held = None;
        }
        Ok(closed)
    }

    /// Opts a sub-practice in (`true`) or out (`false`) of an open assessment. Returns
    /// whether anything changed.
    pub async fn set_sub_practice(
        &mut self,
        assessment: &AssessmentId,
        sub_practice_id: &str,
        opted_in: bool,
        by: &UserId,
    ) -> Result<bool> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let org = open_assessment_org!(tx, pg, assessment, &self.open_held);
            let done = if opted_in {
                crate::sql::query(
                    "INSERT INTO assessment_sub_practices (assessment_id, sub_practice_id, opted_in_by, opted_in_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (assessment_id, sub_practice_id) DO NOTHING",
                )
                .bind(assessment.as_str().to_owned())
                .bind(sub_practice_id.to_owned())
                .bind(by.as_str().to_owned())
                .bind(at)
                .execute(&mut *tx)
                .await?
            } else {
                crate::sql::query(
                    "DELETE FROM assessment_sub_practices WHERE assessment_id = $1 AND sub_practice_id = $2",
                )
                .bind(assessment.as_str().to_owned())
                .bind(sub_practice_id.to_owned())
                .execute(&mut *tx)
                .await?
            };
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            let mut audit = AuditBatch::new(
                at,
                Some(by),
                Some(&org),
                "sub_practice",
                format!("{assessment}/{sub_practice_id}"),
            );
            audit.event(
                "opted_in",
                Some((!opted_in).to_string()),
                Some(opted_in.to_string()),
            );
            write_audit!(tx, audit);
            Ok(true)
        })
    }

    /// Starts an open assessment from an earlier one of the same organization (the
    /// yearly reassessment): copies its answers (keeping their versions, so that a form
    /// opened before the copy is still known to be stale after it) and its opted-in
    /// sub-practices, leaving alone any criterion `to` has already answered. Evidence
    /// belongs to the organization and needs no copy. Returns how many answers were copied.
    /// One audit entry records the copy.
    pub async fn copy_answers(
        &mut self,
        from: &AssessmentId,
        to: &AssessmentId,
        by: &UserId,
    ) -> Result<u64> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let org = open_assessment_org!(tx, pg, to, &self.open_held);
            let source: Option<(String,)> =
                crate::sql::query_as("SELECT org_id FROM assessments WHERE id = $1")
                    .bind(from.as_str().to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
            match source {
                None => return Err(StoreError::NotFound),
                Some((source_org,)) if source_org != org => {
                    return Err(StoreError::Invalid(
                        "answers can only be copied within one organization".into(),
                    ));
                }
                Some(_) => {}
            }
            let copied = crate::sql::query(
                "INSERT INTO answers (assessment_id, criterion_id, status, na_reason, notes, owner, \
                 in_place_since, updated_by, updated_at, version) \
                 SELECT $2, criterion_id, status, na_reason, notes, owner, in_place_since, $3, $4, version \
                 FROM answers WHERE assessment_id = $1 \
                 ON CONFLICT (assessment_id, criterion_id) DO NOTHING",
            )
            .bind(from.as_str().to_owned())
            .bind(to.as_str().to_owned())
            .bind(by.as_str().to_owned())
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            crate::sql::query(
                "INSERT INTO assessment_sub_practices (assessment_id, sub_practice_id, opted_in_by, opted_in_at) \
                 SELECT $2, sub_practice_id, $3, $4 FROM assessment_sub_practices WHERE assessment_id = $1 \
                 ON CONFLICT (assessment_id, sub_practice_id) DO NOTHING",
            )
            .bind(from.as_str().to_owned())
            .bind(to.as_str().to_owned())
            .bind(by.as_str().to_owned())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let mut audit = AuditBatch::new(at, Some(by), Some(&org), "assessment", to.to_string());
            audit.event(
                "copied_answers_from",
                None,
                Some(format!("{from} ({copied} answers)")),
            );
            write_audit!(tx, audit);
            Ok(copied)
        })
    }
}
