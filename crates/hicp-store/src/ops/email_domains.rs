//! Email domains.

use super::{AuditBatch, INSERT_AUDIT};
use crate::db::{Conn, InTx, from_millis, now, on_conn, to_millis};
use crate::{EmailDomain, OrgId, Result, UserId};

type EmailDomainRow = (String, String, String, i64, Option<i64>, Option<String>);

fn email_domain_of((org, domain, selectors, added, checked, json): EmailDomainRow) -> EmailDomain {
    EmailDomain {
        org_id: OrgId::from(org),
        domain,
        dkim_selectors: selectors.split_whitespace().map(str::to_owned).collect(),
        added_at: from_millis(added),
        checked_at: checked.map(from_millis),
        check_json: json,
    }
}

impl<M> Conn<M> {
    /// The email domains of `org`, by name.
    pub async fn email_domains(&mut self, org: &OrgId) -> Result<Vec<EmailDomain>> {
        on_conn!(self, c => {
            let rows: Vec<EmailDomainRow> = crate::sql::query_as(
                "SELECT org_id, domain, dkim_selectors, added_at, checked_at, check_json \
                 FROM email_domains WHERE org_id = $1 ORDER BY domain",
            )
            .bind(org.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            Ok(rows.into_iter().map(email_domain_of).collect())
        })
    }
}

impl Conn<InTx> {
    /// Adds an email domain to `org`, or sets the DKIM selectors of one it has. Audited;
    /// returns whether anything changed.
    pub async fn save_email_domain(
        &mut self,
        org: &OrgId,
        domain: &str,
        dkim_selectors: &[String],
        by: &UserId,
    ) -> Result<bool> {
        let at = to_millis(now());
        let selectors = dkim_selectors.join(" ");
        on_conn!(self, tx, pg => {
            let old: Option<(String,)> = crate::sql::query_as(
                "SELECT dkim_selectors FROM email_domains WHERE org_id = $1 AND domain = $2",
            )
            .bind(org.as_str().to_owned())
            .bind(domain.to_owned())
            .fetch_optional(&mut *tx)
            .await?;
            let mut audit = AuditBatch::new(at, Some(by), Some(org.as_str()), "email_domain", domain.to_owned());
            match &old {
                Some((s,)) if *s == selectors => return Ok(false),
                Some(_) => {
                    crate::sql::query(
                        "UPDATE email_domains SET dkim_selectors = $3 WHERE org_id = $1 AND domain = $2",
                    )
                    .bind(org.as_str().to_owned())
                    .bind(domain.to_owned())
                    .bind(selectors.clone())
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    crate::sql::query(
                        "INSERT INTO email_domains (org_id, domain, dkim_selectors, added_by, added_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(org.as_str().to_owned())
                    .bind(domain.to_owned())
                    .bind(selectors.clone())
                    .bind(by.as_str().to_owned())
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                    audit.event("added", None, Some(domain.to_owned()));
                }
            }
            audit.field("dkim_selectors", old.map(|(s,)| s), Some(selectors));
            write_audit!(tx, audit);
            Ok(true)
        })
    }

    /// Removes an email domain of `org`. Audited; returns whether it was there.
    pub async fn remove_email_domain(
        &mut self,
        org: &OrgId,
        domain: &str,
        by: &UserId,
    ) -> Result<bool> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let done = crate::sql::query("DELETE FROM email_domains WHERE org_id = $1 AND domain = $2")
                .bind(org.as_str().to_owned())
                .bind(domain.to_owned())
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            let mut audit = AuditBatch::new(at, Some(by), Some(org.as_str()), "email_domain", domain.to_owned());
            audit.event("removed", Some(domain.to_owned()), None);
            write_audit!(tx, audit);
            Ok(true)
        })
    }

    /// Keeps the latest check of an email domain of `org` (`summary`, in words, goes to the
    /// audit log). Returns whether the domain is there.
    pub async fn record_email_check(
        &mut self,
        org: &OrgId,
        domain: &str,
        check_json: &str,
        summary: &str,
        by: &UserId,
    ) -> Result<bool> {
        let at = to_millis(now());
        on_conn!(self, tx, pg => {
            let done = crate::sql::query(
                "UPDATE email_domains SET checked_at = $3, check_json = $4 WHERE org_id = $1 AND domain = $2",
            )
            .bind(org.as_str().to_owned())
            .bind(domain.to_owned())
            .bind(at)
            .bind(check_json.to_owned())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            let mut audit = AuditBatch::new(at, Some(by), Some(org.as_str()), "email_domain", domain.to_owned());
            audit.event("checked", None, Some(summary.to_owned()));
            write_audit!(tx, audit);
            Ok(true)
        })
    }
}
