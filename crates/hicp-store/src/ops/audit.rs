//! The audit log.

use super::AuditRow;
use crate::db::{Conn, now, on_conn, to_millis};
use crate::sql::Value;
use crate::{AuditEntry, AuditFilter, NewAuditEntry, Result};

impl<M> Conn<M> {
    /// Appends one entry to the audit log (for events the store does not record itself,
    /// e.g. an import or a login).
    pub async fn record_audit(&mut self, entry: &NewAuditEntry<'_>) -> Result<AuditEntry> {
        let at = to_millis(now());
        on_conn!(self, c => {
            let row: AuditRow = crate::sql::query_as(concat!(
                "INSERT INTO audit_log (at, user_id, org_id, entity, entity_id, field, old_value, new_value) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
                audit_cols!()
            ))
            .bind(at)
            .bind(entry.user_id.map(|u| u.as_str().to_owned()))
            .bind(entry.org_id.map(|o| o.as_str().to_owned()))
            .bind(entry.entity.to_owned())
            .bind(entry.entity_id.to_owned())
            .bind(entry.field.to_owned())
            .bind(entry.old_value.map(str::to_owned))
            .bind(entry.new_value.map(str::to_owned))
            .fetch_one(&mut *c)
            .await?;
            Ok(AuditEntry::from(row))
        })
    }

    /// Audit entries matching `filter`, newest first.
    pub async fn audit_log(&mut self, filter: &AuditFilter<'_>) -> Result<Vec<AuditEntry>> {
        let limit = i64::from(filter.limit.unwrap_or(100).clamp(1, 1000));
        // Only the filters given become SQL, so that each can use its index.
        on_conn!(self, c => {
            let mut sql = String::from(concat!("SELECT ", audit_cols!(), " FROM audit_log WHERE 1 = 1"));
            let mut args: Vec<Value> = Vec::new();
            let mut filter_on = |column: &str, v: Value| {
                args.push(v);
                sql.push_str(&format!(" AND {column} ${}", args.len()));
            };
            if let Some(org) = filter.org_id {
                filter_on("org_id =", org.as_str().into());
            }
            if let Some(user) = filter.user_id {
                filter_on("user_id =", user.as_str().into());
            }
            if let Some(entity) = filter.entity {
                filter_on("entity =", entity.into());
            }
            if let Some(entity_id) = filter.entity_id {
                filter_on("entity_id =", entity_id.into());
            }
            if let Some(before) = filter.before_seq {
                filter_on("seq <", before.into());
            }
            args.push(limit.into());
            sql.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", args.len()));
            let mut q = crate::sql::query_as::<AuditRow>(sql);
            for v in args {
                q = q.bind(v);
            }
            let rows = q.fetch_all(&mut *c).await?;
            Ok(rows.into_iter().map(AuditEntry::from).collect())
        })
    }
}
