//! An organization's open findings from its latest vulnerability scans, per host and kind
//! of scanner, and the KEV catalog it imported last. Audited by the import that writes them
//! (`hicp-app`'s evidence import). Hosts match on their key (`hicp_core`'s
//! `findings::host_key`: case and a trailing dot do not matter); the name shown is the
//! latest scan's.

use crate::db::{
    Conn, InTx, date_text, now, on_conn, opt_date_text, parse_date, parse_opt_date, to_millis,
};
use crate::{Finding, KevList, OrgId, Result, ScannedHost, Severity, StoreError};
use hicp_core::assessment::findings::host_key;
use std::collections::BTreeSet;

type FindingRow = (
    String,
    Option<i64>,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
    String,
);

fn finding_of(
    (host, port, protocol, title, severity, cves, first, last, fix, kev, source): FindingRow,
) -> Result<Finding> {
    Ok(Finding {
        host,
        port: port
            .map(|p| u16::try_from(p).map_err(|_| StoreError::Invalid(format!("stored port {p}"))))
            .transpose()?,
        protocol,
        title,
        severity: Severity::parse(&severity)
            .ok_or_else(|| StoreError::Invalid(format!("stored severity {severity:?}")))?,
        cves: cves.split_whitespace().map(str::to_owned).collect(),
        first_seen: parse_opt_date(first)?,
        last_seen: parse_opt_date(last)?,
        fix_published: parse_opt_date(fix)?,
        kev,
        // Only open findings are kept.
        open: true,
        source,
    })
}

impl<M> Conn<M> {
    /// The open findings of `org`'s latest scans: KEV-listed first, then by host and the
    /// order of their file.
    pub async fn scan_findings(&mut self, org: &OrgId) -> Result<Vec<Finding>> {
        on_conn!(self, c => {
            let rows: Vec<FindingRow> = crate::sql::query_as(
                "SELECT host, port, protocol, title, severity, cves, first_seen, last_seen, \
                 fix_published, kev, source FROM scan_findings WHERE org_id = $1 \
                 ORDER BY kev DESC, host, scanner_kind, seq",
            )
            .bind(org.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            rows.into_iter().map(finding_of).collect()
        })
    }

    /// The KEV catalog `org` imported last, if any.
    pub async fn kev_list(&mut self, org: &OrgId) -> Result<Option<KevList>> {
        on_conn!(self, c => {
            let row: Option<(Option<String>, String, String)> = crate::sql::query_as(
                "SELECT version, source_sha256, cves FROM kev_catalogs WHERE org_id = $1",
            )
            .bind(org.as_str().to_owned())
            .fetch_optional(&mut *c)
            .await?;
            Ok(row.map(|(version, source_sha256, cves)| KevList {
                version,
                source_sha256,
                cves: cves.split_whitespace().map(str::to_owned).collect(),
            }))
        })
    }

    /// The hosts `org`'s scans covered, with the date of the latest scan of each, per kind
    /// of scanner.
    pub async fn scanned_hosts(&mut self, org: &OrgId) -> Result<Vec<ScannedHost>> {
        on_conn!(self, c => {
            let rows: Vec<(String, String, String, String)> = crate::sql::query_as(
                "SELECT scanner_kind, host, scanned_on, source_sha256 FROM scanned_hosts \
                 WHERE org_id = $1 ORDER BY scanner_kind, host",
            )
            .bind(org.as_str().to_owned())
            .fetch_all(&mut *c)
            .await?;
            rows.into_iter()
                .map(|(scanner_kind, host, on, source_sha256)| {
                    Ok(ScannedHost {
                        scanner_kind,
                        host,
                        scanned_on: parse_date(&on)?,
                        source_sha256,
                    })
                })
                .collect()
        })
    }
}

impl Conn<InTx> {
    /// Replaces what `org` knows of one host from one kind of scanner with a newer scan:
    /// its date, its name as this scan writes it, and its open findings (none: the host was
    /// scanned clean). The host is matched on its key, so `WEB01.example.org.` replaces
    /// `web01.example.org`. Returns how many findings it had before.
    pub async fn replace_host_findings(
        &mut self,
        org: &OrgId,
        host: &ScannedHost,
        findings: &[Finding],
    ) -> Result<u64> {
        let at = to_millis(now());
        let key = host_key(&host.host);
        on_conn!(self, tx, pg => {
            let removed = crate::sql::query(
                "DELETE FROM scan_findings WHERE org_id = $1 AND scanner_kind = $2 AND host IN \
                 (SELECT host FROM scanned_hosts WHERE org_id = $1 AND scanner_kind = $2 AND host_key = $3)",
            )
            .bind(org.as_str().to_owned())
            .bind(host.scanner_kind.clone())
            .bind(key.clone())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            crate::sql::query(
                "DELETE FROM scanned_hosts WHERE org_id = $1 AND scanner_kind = $2 AND host_key = $3",
            )
            .bind(org.as_str().to_owned())
            .bind(host.scanner_kind.clone())
            .bind(key.clone())
            .execute(&mut *tx)
            .await?;
            crate::sql::query(
                "INSERT INTO scanned_hosts (org_id, scanner_kind, host, host_key, scanned_on, source_sha256, imported_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(org.as_str().to_owned())
            .bind(host.scanner_kind.clone())
            .bind(host.host.clone())
            .bind(key.clone())
            .bind(date_text(host.scanned_on))
            .bind(host.source_sha256.clone())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            for (seq, f) in findings.iter().enumerate() {
                crate::sql::query(
                    "INSERT INTO scan_findings (org_id, scanner_kind, host, seq, port, protocol, \
                     title, severity, cves, first_seen, last_seen, fix_published, kev, source) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                )
                .bind(org.as_str().to_owned())
                .bind(host.scanner_kind.clone())
                .bind(host.host.clone())
                .bind(seq as i64)
                .bind(f.port.map(i64::from))
                .bind(f.protocol.clone())
                .bind(f.title.clone())
                .bind(f.severity.name())
                .bind(f.cves.join(" "))
                .bind(opt_date_text(f.first_seen))
                .bind(opt_date_text(f.last_seen))
                .bind(opt_date_text(f.fix_published))
                .bind(f.kev)
                .bind(f.source.clone())
                .execute(&mut *tx)
                .await?;
            }
            Ok(removed)
        })
    }

    /// Keeps `list` as the KEV catalog `org` imported last (replacing the one before) and
    /// flags its stored open findings against it: a finding is KEV-listed when one of its
    /// CVEs is in the list. Returns how many findings' flag changed, and how many are
    /// KEV-listed now.
    pub async fn replace_kev_list(&mut self, org: &OrgId, list: &KevList) -> Result<(u64, usize)> {
        let at = to_millis(now());
        let listed: BTreeSet<&str> = list.cves.iter().map(String::as_str).collect();
        on_conn!(self, tx, pg => {
            crate::sql::query(
                "INSERT INTO kev_catalogs (org_id, version, source_sha256, cves, imported_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (org_id) DO UPDATE SET version = excluded.version, \
                 source_sha256 = excluded.source_sha256, cves = excluded.cves, \
                 imported_at = excluded.imported_at",
            )
            .bind(org.as_str().to_owned())
            .bind(list.version.clone())
            .bind(list.source_sha256.clone())
            .bind(list.cves.join(" "))
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let rows: Vec<(String, String, i64, String, bool)> = crate::sql::query_as(
                "SELECT scanner_kind, host, seq, cves, kev FROM scan_findings WHERE org_id = $1",
            )
            .bind(org.as_str().to_owned())
            .fetch_all(&mut *tx)
            .await?;
            let (mut changed, mut now_listed) = (0, 0);
            for (kind, host, seq, cves, kev) in rows {
                let now_kev = cves.split_whitespace().any(|c| listed.contains(c));
                now_listed += usize::from(now_kev);
                if now_kev == kev {
                    continue;
                }
                crate::sql::query(
                    "UPDATE scan_findings SET kev = $1 WHERE org_id = $2 AND scanner_kind = $3 \
                     AND host = $4 AND seq = $5",
                )
                .bind(now_kev)
                .bind(org.as_str().to_owned())
                .bind(kind)
                .bind(host)
                .bind(seq)
                .execute(&mut *tx)
                .await?;
                changed += 1;
            }
            Ok((changed, now_listed))
        })
    }
}
