//! Evidence.

use super::{AuditBatch, EvidenceFileRow, EvidenceRow, INSERT_AUDIT, collect};
use crate::db::{Conn, InTx, now, on_conn, opt_date_text, to_millis};
use crate::{
    ActionId, AssessmentId, CriterionId, Evidence, EvidenceContent, EvidenceFile, EvidenceId,
    NewEvidence, Result, StoreError, UserId,
};
use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl<M> Conn<M> {
    /// Evidence metadata by id.
    pub async fn evidence(&mut self, id: &EvidenceId) -> Result<Option<Evidence>> {
        on_conn!(self, c => {
            let row: Option<EvidenceRow> =
                crate::sql::query_as(concat!("SELECT ", evidence_cols!(), " FROM evidence WHERE id = $1"))
                    .bind(id.as_str().to_owned())
                    .fetch_optional(&mut *c)
                    .await?;
            row.map(Evidence::try_from).transpose()
        })
    }

    /// The evidence of an assessment, oldest first: for the open one, every piece of the
    /// organization's evidence; for a snapshot, what was in place when it was closed.
    pub async fn evidence_for_assessment(
        &mut self,
        assessment: &AssessmentId,
    ) -> Result<Vec<Evidence>> {
        on_conn!(self, c => {
            let rows: Vec<EvidenceRow> = crate::sql::query_as(concat!(
                "SELECT ", evidence_cols!(), " FROM evidence WHERE ", evidence_of_assessment!(), " ORDER BY added_at, id"
            ))
            .bind(assessment.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            collect(rows)
        })
    }

    /// The evidence attached to one criterion of an assessment, oldest first (which
    /// evidence: as [`Conn::evidence_for_assessment`]).
    pub async fn evidence_for_criterion(
        &mut self,
        assessment: &AssessmentId,
        criterion_id: &CriterionId,
    ) -> Result<Vec<Evidence>> {
        on_conn!(self, c => {
            let rows: Vec<EvidenceRow> = crate::sql::query_as(concat!(
                "SELECT ", evidence_cols!(),
                " FROM evidence WHERE criterion_id = $2 AND ", evidence_of_assessment!(), " ORDER BY added_at, id"
            ))
            .bind(assessment.as_str().to_owned())
            .bind(criterion_id.as_str())
            .fetch_all(&mut *c)
            .await?;
            collect(rows)
        })
    }

    /// The bytes of a file evidence (`None` for a link or an unknown id).
    pub async fn evidence_file(&mut self, id: &EvidenceId) -> Result<Option<EvidenceFile>> {
        on_conn!(self, c => {
            let row: Option<EvidenceFileRow> = crate::sql::query_as(
                "SELECT e.file_name, e.content_type, e.sha256, b.bytes FROM evidence e \
                 JOIN evidence_blobs b ON b.evidence_id = e.id WHERE e.id = $1",
            )
            .bind(id.as_str().to_owned())
            .fetch_optional(&mut *c)
            .await?;
            Ok(row.map(|r| EvidenceFile {
                file_name: r.file_name.unwrap_or_default(),
                content_type: r.content_type.unwrap_or_default(),
                sha256: r.sha256.unwrap_or_default(),
                bytes: r.bytes,
            }))
        })
    }
}

impl Conn<InTx> {
    /// Adds evidence to an open assessment. File bytes are stored in the database with
    /// their SHA-256 (computed here; a different `sha256` given by the caller is
    /// `Invalid`). Size limits and allowed types are the caller's policy.
    pub async fn add_evidence(&mut self, new: &NewEvidence<'_>) -> Result<Evidence> {
        let id = EvidenceId::generate();
        let at = to_millis(now());
        let (kind, file_name, content_type, size, sha, url, bytes) = match &new.content {
            EvidenceContent::File {
                file_name,
                content_type,
                bytes,
                sha256,
            } => {
                let computed = sha256_hex(bytes);
                if let Some(given) = sha256
                    && !given.eq_ignore_ascii_case(&computed)
                {
                    return Err(StoreError::Invalid(format!(
                        "SHA-256 {given} does not match the file ({computed})"
                    )));
                }
                let size = i64::try_from(bytes.len())
                    .map_err(|_| StoreError::Invalid("file too large".into()))?;
                (
                    "file",
                    Some(file_name.clone()),
                    Some(content_type.clone()),
                    size,
                    Some(computed),
                    None,
                    Some(bytes.clone()),
                )
            }
            EvidenceContent::Link { url } => ("link", None, None, 0, None, Some(url.clone()), None),
        };
        on_conn!(self, tx, pg => {
            let org = open_assessment_org!(tx, pg, new.assessment_id, &self.open_held);
            let row: EvidenceRow = crate::sql::query_as(concat!(
                "INSERT INTO evidence (id, assessment_id, criterion_id, action_id, title, kind, file_name, \
                 content_type, size, sha256, url, collected_on, valid_until, added_by, added_at, org_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING ",
                evidence_cols!()
            ))
            .bind(id.as_str().to_owned())
            .bind(new.assessment_id.as_str().to_owned())
            .bind(new.criterion_id.map(CriterionId::as_str))
            .bind(new.action_id.map(ActionId::as_str))
            .bind(new.title.to_owned())
            .bind(kind)
            .bind(file_name.clone())
            .bind(content_type.clone())
            .bind(size)
            .bind(sha.clone())
            .bind(url.clone())
            .bind(opt_date_text(new.collected_on))
            .bind(opt_date_text(new.valid_until))
            .bind(new.added_by.as_str().to_owned())
            .bind(at)
            .bind(org.clone())
            .fetch_one(&mut *tx)
            .await?;
            if let Some(bytes) = &bytes {
                crate::sql::query("INSERT INTO evidence_blobs (evidence_id, bytes) VALUES ($1, $2)")
                    .bind(id.as_str().to_owned())
                    .bind(bytes.clone())
                    .execute(&mut *tx)
                    .await?;
            }
            let mut audit = AuditBatch::new(at, Some(new.added_by), Some(&org), "evidence", id.to_string());
            let described = match (&file_name, &url, &sha) {
                (Some(f), _, Some(s)) => format!("{f} (sha256 {s})"),
                (_, Some(u), _) => u.clone(),
                _ => new.title.to_owned(),
            };
            audit.event("added", None, Some(described));
            if let Some(c) = new.criterion_id {
                audit.event("criterion", None, Some(c.to_string()));
            }
            if let Some(a) = new.action_id {
                audit.event("action", None, Some(a.to_string()));
            }
            write_audit!(tx, audit);
            Evidence::try_from(row)
        })
    }

    /// Removes evidence (from the organization, and from the snapshots that recorded it:
    /// a file uploaded by mistake may hold patient data). The audit log keeps its name and
    /// SHA-256. Returns whether it existed.
    pub async fn delete_evidence(&mut self, id: &EvidenceId, by: &UserId) -> Result<bool> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let row: Option<EvidenceRow> =
                crate::sql::query_as(concat!("SELECT ", evidence_cols!(), " FROM evidence WHERE id = $1"))
                    .bind(id.as_str().to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(row) = row else {
                return Ok(false);
            };
            let org = row.org_id.clone();
            crate::sql::query("DELETE FROM evidence WHERE id = $1")
                .bind(id.as_str().to_owned())
                .execute(&mut *tx)
                .await?;
            let mut audit = AuditBatch::new(at, Some(by), Some(&org), "evidence", id.to_string());
            let described = match (row.file_name, row.url, row.sha256) {
                (Some(f), _, Some(s)) => format!("{f} (sha256 {s})"),
                (_, Some(u), _) => u,
                _ => row.title,
            };
            audit.event("deleted", Some(described), None);
            write_audit!(tx, audit);
            Ok(true)
        })
    }
}
