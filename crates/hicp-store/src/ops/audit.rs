//! The audit log.

use super::AuditRow;
use crate::db::{Conn, now, on_conn, to_millis};
use crate::{AuditEntry, AuditFilter, NewAuditEntry, Result};

impl<M> Conn<M> {
    /// Appends one entry to the audit log (for events the store does not record itself,
    /// e.g. an import or a login).
    pub async fn record_audit(&mut self, entry: &NewAuditEntry<'_>) -> Result<AuditEntry> {
        let at = to_millis(now());
        on_conn!(self, c => {
            let row: AuditRow = sqlx::query_as(concat!(
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
            let mut q = query_builder(&*c, concat!("SELECT ", audit_cols!(), " FROM audit_log WHERE 1 = 1"));
            if let Some(org) = filter.org_id {
                q.push(" AND org_id = ").push_bind(org.as_str().to_owned());
            }
            if let Some(user) = filter.user_id {
                q.push(" AND user_id = ").push_bind(user.as_str().to_owned());
            }
            if let Some(entity) = filter.entity {
                q.push(" AND entity = ").push_bind(entity.to_owned());
            }
            if let Some(entity_id) = filter.entity_id {
                q.push(" AND entity_id = ").push_bind(entity_id.to_owned());
            }
            if let Some(before) = filter.before_seq {
                q.push(" AND seq < ").push_bind(before);
            }
            q.push(" ORDER BY seq DESC LIMIT ").push_bind(limit);
            let rows: Vec<AuditRow> = q.build_query_as().fetch_all(&mut *c).await?;
            Ok(rows.into_iter().map(AuditEntry::from).collect())
        })
    }
}

/// A query builder for the backend of connection `_c` (its only use is to name the type).
fn query_builder<C>(_c: &C, init: &str) -> sqlx::QueryBuilder<C::Database>
where
    C: sqlx::Connection,
    <C::Database as sqlx::Database>::Arguments: Default,
{
    sqlx::QueryBuilder::new(init)
}
