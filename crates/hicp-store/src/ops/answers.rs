//! Answers.

use super::{AnswerRow, AuditBatch, INSERT_AUDIT, collect};
use crate::db::{Conn, InTx, now, on_conn, opt_date_text, to_millis};
use crate::{Answer, AnswerInput, AssessmentId, Conflict, CriterionId, Result, StoreError, UserId};

impl<M> Conn<M> {
    pub async fn answer(
        &mut self,
        assessment: &AssessmentId,
        criterion_id: &CriterionId,
    ) -> Result<Option<Answer>> {
        on_conn!(self, c => {
            let row: Option<AnswerRow> = crate::sql::query_as(concat!(
                "SELECT ", answer_cols!(), " FROM answers WHERE assessment_id = $1 AND criterion_id = $2"
            ))
            .bind(assessment.as_str().to_owned())
            .bind(criterion_id.as_str())
            .fetch_optional(&mut *c)
            .await?;
            row.map(Answer::try_from).transpose()
        })
    }

    /// Every answer of an assessment, by criterion id.
    pub async fn answers(&mut self, assessment: &AssessmentId) -> Result<Vec<Answer>> {
        on_conn!(self, c => {
            let rows: Vec<AnswerRow> = crate::sql::query_as(concat!(
                "SELECT ", answer_cols!(), " FROM answers WHERE assessment_id = $1 ORDER BY criterion_id"
            ))
            .bind(assessment.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            collect(rows)
        })
    }
}

impl Conn<InTx> {
    /// Saves the answer to one criterion, if it is still at `expected_version` (`0`: there
    /// is no answer yet). Otherwise nothing is written and the error is
    /// `Conflict(Conflict::Answer(current))`; an `expected_version` above 0 for an answer
    /// that does not exist is `NotFound`. The saved answer has version
    /// `expected_version + 1`. Changed fields are audited in the same transaction.
    pub async fn save_answer(
        &mut self,
        assessment: &AssessmentId,
        criterion_id: &CriterionId,
        input: &AnswerInput,
        by: &UserId,
        expected_version: i64,
    ) -> Result<Answer> {
        let at = to_millis(now());
        let since = opt_date_text(input.in_place_since);
        on_conn!(self, tx, pg => {
            let org = open_assessment_org!(tx, pg, assessment, &self.open_held);
            let (old, saved) = save_versioned!(
                tx, pg, expected_version, AnswerRow => Answer, Conflict::Answer,
                select: concat!(
                    "SELECT ", answer_cols!(), " FROM answers WHERE assessment_id = $1 AND criterion_id = $2"
                ),
                key: [assessment.as_str().to_owned(), criterion_id.as_str()],
                insert: concat!(
                    "INSERT INTO answers (assessment_id, criterion_id, status, na_reason, notes, owner, \
                     in_place_since, updated_by, updated_at, version) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1) \
                     ON CONFLICT (assessment_id, criterion_id) DO NOTHING RETURNING ",
                    answer_cols!()
                ),
                update: concat!(
                    "UPDATE answers SET status = $3, na_reason = $4, notes = $5, owner = $6, \
                     in_place_since = $7, updated_by = $8, updated_at = $9, version = version + 1 \
                     WHERE assessment_id = $1 AND criterion_id = $2 AND version = $10 RETURNING ",
                    answer_cols!()
                ),
                values: [
                    input.status.name(),
                    input.na_reason.clone(),
                    input.notes.clone(),
                    input.owner.clone(),
                    since.clone(),
                    by.as_str().to_owned(),
                    at,
                ],
            );
            let mut audit = AuditBatch::new(
                at,
                Some(by),
                Some(&org),
                "answer",
                format!("{assessment}/{criterion_id}"),
            );
            let (o_status, o_na, o_notes, o_owner, o_since) = match old {
                Some(o) => (Some(o.status), o.na_reason, o.notes, o.owner, o.in_place_since),
                None => (None, None, None, None, None),
            };
            audit.field("status", o_status, Some(saved.status.clone()));
            audit.field("na_reason", o_na, saved.na_reason.clone());
            audit.field("notes", o_notes, saved.notes.clone());
            audit.field("owner", o_owner, saved.owner.clone());
            audit.field("in_place_since", o_since, saved.in_place_since.clone());
            write_audit!(tx, audit);
            Answer::try_from(saved)
        })
    }
}
