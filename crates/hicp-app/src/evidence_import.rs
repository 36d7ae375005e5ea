//! Technical evidence (scanner, compliance, inventory and DMARC files) imported into an
//! organization: the file is read with `hicp-evidence`, stored as dated evidence on the
//! criteria its observations name, and the import is audited, all in one transaction. The
//! observations' statuses are suggestions: a person accepts them, or not, afterwards.
//!
//! A CISA KEV catalog (imported as the file, or given beside a scan) is kept as the
//! organization's latest: its stored open findings are flagged against it in the same
//! transaction, and a scan imported later without one is flagged against it.

use crate::access::{Edit, Level, OrgAccess};
use crate::assessment::{EvidenceUpload, add_evidence_in, domain_answers, open_assessment};
use crate::error::{Error, Problem, Result};
use crate::{App, today};
use hicp_core::assessment::Status;
use hicp_core::assessment::findings::host_key;
use hicp_core::assessment::findings::{Finding, FindingsPlan, Timeframes, rank};
use hicp_evidence::{CveId, Import, KevCatalog, Kind, Options, Summary};
use hicp_store::{
    Answer, AnswerInput, Evidence, EvidenceContent, KevList, NewAuditEntry, ScannedHost,
    StoreError, Tx,
};
use std::collections::{BTreeMap, HashMap};

/// A file to import, as uploaded.
#[derive(Clone, Debug)]
pub struct EvidenceFileUpload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// `Kind::Auto` tells the kind from the content.
    pub kind: Kind,
    /// A CISA KEV catalog (JSON or CSV) to flag findings with.
    pub kev: Option<Vec<u8>>,
}

/// What the evidence says about one criterion of the organization's assessment, beside the
/// answer as it is now.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub criterion: String,
    pub observation: String,
    /// `None`: the evidence informs the answer but suggests no status.
    pub suggested: Option<Status>,
    /// The answer now (`None`: not answered yet).
    pub current: Option<Answer>,
}

/// What an evidence import did.
#[derive(Clone, Debug)]
pub struct EvidenceImported {
    /// Everything the file yields: the JSON of `hicp evidence import`.
    pub import: Import,
    pub summary: Summary,
    /// The evidence stored: the file, once per criterion it informs (or once, on no
    /// criterion, when it informs none in this organization's assessment).
    pub evidence: Vec<Evidence>,
    /// Per criterion of the assessment that the file informs, in catalog order.
    pub suggestions: Vec<Suggestion>,
    /// Criteria and sub-practices the file informs that are not in this organization's
    /// assessment (another size tier, not opted in).
    pub outside_scope: Vec<String>,
    /// For a vulnerability scan: what it changed in the open findings the plan ranks.
    pub findings_kept: Option<FindingsKept>,
    /// For a scan: the KEV catalog its findings were flagged against, if any.
    pub kev_used: Option<KevUsed>,
    /// A KEV catalog kept as the organization's latest (the file itself, or one given beside
    /// a scan), and what it changed in the stored findings.
    pub kev_kept: Option<KevKept>,
}

/// The KEV catalog a scan's findings were flagged against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KevUsed {
    /// Given with the scan (and kept as the organization's latest).
    Given { version: Option<String> },
    /// The one the organization imported last.
    Stored { version: Option<String> },
}

/// A KEV catalog kept as the organization's latest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KevKept {
    /// The catalog's own version, when it gives one.
    pub version: Option<String>,
    /// CVE ids it lists.
    pub entries: usize,
    /// Stored open findings whose KEV flag it changed.
    pub reflagged: u64,
    /// Stored open findings KEV-listed now.
    pub listed: usize,
}

/// What a scan changed in the organization's open findings (the findings part of the plan).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FindingsKept {
    /// Hosts whose findings this scan now gives.
    pub hosts: usize,
    /// Open findings kept from this file: low severity and up, and any KEV-listed one.
    pub findings: usize,
    /// Findings of earlier scans of those hosts that this one replaced.
    pub replaced: u64,
    /// Hosts that a newer scan by the same kind of scanner already covers: this older
    /// file changed nothing for them.
    pub older: Vec<String>,
}

/// Keeps a scan's open findings as the organization's latest for each host it covers,
/// unless a newer scan of that host by the same kind of scanner is already there. A host
/// scanned clean (only fixed or informational results) has its earlier findings removed.
async fn keep_findings(
    tx: &mut Tx,
    access: &OrgAccess<Edit>,
    import: &Import,
    scanned_on: hicp_core::assessment::Date,
) -> Result<FindingsKept> {
    let kind = import.kind.name();
    // Hosts match on their key: `WEB01.example.org.` is `web01.example.org`.
    let known: HashMap<String, hicp_core::assessment::Date> = tx
        .scanned_hosts(access.org_id())
        .await?
        .into_iter()
        .filter(|h| h.scanner_kind == kind)
        .map(|h| (host_key(&h.host), h.scanned_on))
        .collect();
    // Per host key: the name as the file first writes it, and its open findings.
    let mut by_host: BTreeMap<String, (&str, Vec<Finding>)> = BTreeMap::new();
    for f in &import.findings {
        let host = f.host.trim();
        let key = host_key(host);
        if key.is_empty() {
            continue;
        }
        let (shown, kept) = by_host.entry(key).or_insert((host, Vec::new()));
        if f.is_open() && (f.severity >= hicp_evidence::Severity::Low || f.kev) {
            kept.push(Finding {
                host: (*shown).to_owned(),
                ..hicp_evidence::plan_finding(f, &import.source.scanner)
            });
        }
    }
    let mut out = FindingsKept::default();
    for (key, (host, findings)) in by_host {
        if known.get(&key).is_some_and(|d| *d > scanned_on) {
            out.older.push(host.to_owned());
            continue;
        }
        let scanned = ScannedHost {
            scanner_kind: kind.to_owned(),
            host: host.to_owned(),
            scanned_on,
            source_sha256: import.source.sha256.clone(),
        };
        out.replaced += tx
            .replace_host_findings(access.org_id(), &scanned, &findings)
            .await?;
        out.hosts += 1;
        out.findings += findings.len();
    }
    Ok(out)
}

/// A suggestion a person accepts: the criterion, the status, and the answer's version they
/// saw (0: not answered yet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accept {
    pub criterion: String,
    pub status: Status,
    pub version: i64,
}

/// What accepting suggestions did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Accepted {
    /// Answers changed, as saved.
    pub changed: Vec<Answer>,
    /// Criteria whose answer already had the suggested status.
    pub same: Vec<String>,
    /// Criteria someone changed since the suggestion was shown: left as they are.
    pub stale: Vec<String>,
}

/// The most an observation adds to an evidence title, in characters.
const MAX_TITLE_OBSERVATION: usize = 400;

/// A content type for the stored file, from its first bytes: imported files are data, sent
/// back only as downloads.
fn content_type(bytes: &[u8]) -> &'static str {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = text.iter().find(|b| !b.is_ascii_whitespace());
    if bytes.starts_with(&[0x1f, 0x8b]) {
        "application/gzip"
    } else if bytes.starts_with(b"PK\x03\x04") {
        "application/zip"
    } else if bytes.starts_with(b"bplist") || bytes.starts_with(&[0xFF, 0xFE]) {
        "application/octet-stream"
    } else if first == Some(&b'<') {
        "application/xml"
    } else {
        "text/csv"
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{}…", cut.trim_end())
    }
}

/// A file read: the import, the KEV catalog to keep as the organization's latest (the file
/// itself, or the one given beside it), and the KEV catalog its findings were flagged
/// against.
struct FileRead {
    import: Import,
    keep_kev: Option<KevList>,
    kev_used: Option<KevUsed>,
    bytes: Vec<u8>,
    file_name: String,
}

/// The CVE ids of a catalog, as kept.
fn kev_list(catalog: &KevCatalog, sha256: String) -> KevList {
    KevList {
        version: catalog.version.clone(),
        source_sha256: sha256,
        cves: catalog.cves().into_iter().map(str::to_owned).collect(),
    }
}

/// Reads the file (and the KEV catalog given with it, else the organization's stored one):
/// CPU work, done off the async runtime.
async fn read(upload: EvidenceFileUpload, stored_kev: Option<KevList>) -> Result<FileRead> {
    tokio::task::spawn_blocking(move || {
        let mut options = Options::new(today());
        let mut keep_kev = None;
        let mut kev_used = None;
        if let Some(kev) = &upload.kev {
            let catalog = KevCatalog::read(&kev[..]).map_err(|error| Error::InvalidEvidence {
                field: "kev",
                error,
            })?;
            keep_kev = Some(kev_list(&catalog, hicp_store::sha256_hex(kev)));
            kev_used = Some(KevUsed::Given {
                version: catalog.version.clone(),
            });
            options.kev = Some(catalog);
        } else if let Some(stored) = stored_kev {
            kev_used = Some(KevUsed::Stored {
                version: stored.version.clone(),
            });
            let mut catalog =
                KevCatalog::from_ids(stored.cves.iter().filter_map(|c| CveId::parse(c)));
            catalog.version = stored.version;
            options.kev = Some(catalog);
        }
        options.file_name = Some(upload.file_name.clone());
        let import =
            hicp_evidence::import(&upload.bytes[..], upload.kind, &options).map_err(|error| {
                Error::InvalidEvidence {
                    field: "file",
                    error,
                }
            })?;
        if let Some(summary) = import
            .kev_catalog
            .as_ref()
            .filter(|_| import.kind == Kind::Kev)
        {
            // The catalog itself (as its import read it): kept, not evidence about the
            // organization.
            keep_kev = Some(kev_list(
                &KevCatalog::of(summary),
                import.source.sha256.clone(),
            ));
            kev_used = None;
        } else if !import.kind.is_scanner() {
            kev_used = None;
        }
        Ok(FileRead {
            import,
            keep_kev,
            kev_used,
            bytes: upload.bytes,
            file_name: upload.file_name,
        })
    })
    .await
    .map_err(|e| Error::Internal(format!("the import stopped: {e}")))?
}

/// Keeps `list` as the organization's latest KEV catalog and flags its stored open findings
/// against it.
async fn keep_kev(tx: &mut Tx, org: &hicp_store::OrgId, list: &KevList) -> Result<KevKept> {
    let (reflagged, listed) = tx.replace_kev_list(org, list).await?;
    Ok(KevKept {
        version: list.version.clone(),
        entries: list.cves.len(),
        reflagged,
        listed,
    })
}

impl App {
    /// Imports one scanner, compliance, inventory or DMARC file: it is read (its kind told
    /// from the content unless given), stored as evidence dated by the file (its
    /// `generated` date, or today) on each criterion of the assessment its observations
    /// name, and the import is recorded in the audit log; all or nothing. A file that cannot
    /// be read is `InvalidEvidence` and changes nothing. No answer changes: the suggested
    /// statuses come back for a person to accept ([`App::accept_suggestions`]).
    pub async fn import_evidence(
        &self,
        access: &OrgAccess<Edit>,
        mut upload: EvidenceFileUpload,
    ) -> Result<EvidenceImported> {
        let max = self.settings().max_upload_bytes;
        let kev_len = upload.kev.as_ref().map_or(0, Vec::len);
        if upload.bytes.len() > max || kev_len > max {
            let field = if upload.bytes.len() > max {
                "file"
            } else {
                "kev"
            };
            return Err(Error::invalid(field, Problem::TooLong { max }));
        }
        upload.file_name = upload.file_name.trim().to_owned();
        if upload.file_name.is_empty() {
            upload.file_name = "upload".into();
        }
        // The organization's latest KEV catalog flags a scan given without one. Read before
        // the file (which is read off the transaction); an import of a newer catalog meanwhile
        // re-flags what this one keeps, as it is ordered by the organization's lock.
        let stored_kev = if upload.kev.is_none() {
            self.store().conn().await?.kev_list(access.org_id()).await?
        } else {
            None
        };
        let FileRead {
            import,
            keep_kev: kev_to_keep,
            kev_used,
            bytes,
            file_name,
        } = read(upload, stored_kev).await?;
        let summary = hicp_evidence::summary(&import, today());
        let catalog = self.catalog();

        let mut tx = self.store().begin().await?;
        let locked = self.lock_org(&mut tx, access, false).await?;
        let access = access.with_org(locked.org);
        if import.kind == Kind::Kev {
            let Some(list) = &kev_to_keep else {
                return Err(Error::Internal("a KEV catalog without its list".into()));
            };
            let kept = keep_kev(&mut tx, access.org_id(), list).await?;
            tx.record_audit(&NewAuditEntry {
                user_id: Some(&access.user().id),
                org_id: Some(access.org_id()),
                entity: "import",
                entity_id: &import.source.sha256,
                field: "kev_catalog",
                old_value: None,
                new_value: Some(&format!(
                    "CISA KEV catalog {}{} (sha256 {}): {} CVE(s); kept as the organization's KEV catalog; {} stored open finding(s) re-flagged, {} known exploited now",
                    file_name,
                    kept.version.as_deref().map(|v| format!(" version {v}")).unwrap_or_default(),
                    import.source.sha256,
                    kept.entries,
                    kept.reflagged,
                    kept.listed,
                )),
            })
            .await?;
            tx.commit().await?;
            return Ok(EvidenceImported {
                import,
                summary,
                evidence: Vec::new(),
                suggestions: Vec::new(),
                outside_scope: Vec::new(),
                findings_kept: None,
                kev_used: None,
                kev_kept: Some(kept),
            });
        }
        let assessment = open_assessment(&mut tx, &access, locked.open_assessment).await?;
        let cur = crate::assessment::read_current(&mut tx, assessment.clone()).await?;
        let answers = domain_answers(catalog, access.org(), access.tier(), &cur);
        let scope: Vec<&str> = answers
            .scope(catalog)
            .iter()
            .flat_map(|sp| sp.criteria.iter().map(|c| c.id.as_str()))
            .collect();

        let scoped = hicp_evidence::scoped(&import.criteria, catalog, &scope);
        let collected_on = Some(import.generated_on().map_or(today(), |d| d.min(today())));
        let described = match &import.source.file {
            Some(f) => format!("{} {f}", import.source.scanner),
            None => import.source.scanner.clone(),
        };
        let file = |title: String, criterion: Option<String>| EvidenceUpload {
            criterion,
            action: None,
            title,
            content: EvidenceContent::File {
                file_name: file_name.clone(),
                content_type: content_type(&bytes).into(),
                bytes: bytes.clone(),
                sha256: Some(import.source.sha256.clone()),
            },
            collected_on,
            valid_until: None,
        };
        let mut evidence = Vec::new();
        let mut suggestions = Vec::new();
        for o in &scoped.criteria {
            let title = format!(
                "{described}: {}",
                shorten(&o.observation, MAX_TITLE_OBSERVATION)
            );
            let e = add_evidence_in(
                &mut tx,
                &access,
                &assessment,
                catalog,
                file(title, Some(o.id.clone())),
            )
            .await?;
            evidence.push(e);
            suggestions.push(Suggestion {
                criterion: o.id.clone(),
                observation: o.observation.clone(),
                suggested: o.suggested_status,
                current: cur
                    .answers
                    .iter()
                    .find(|a| a.criterion_id.as_str() == o.id)
                    .cloned(),
            });
        }
        if scoped.criteria.is_empty() {
            let title = format!(
                "{described}: {} record(s) read; nothing in it maps to this organization's assessment",
                import.records
            );
            evidence.push(
                add_evidence_in(&mut tx, &access, &assessment, catalog, file(title, None)).await?,
            );
        }
        let findings_kept = match (import.kind.is_scanner(), collected_on) {
            (true, Some(on)) => Some(keep_findings(&mut tx, &access, &import, on).await?),
            _ => None,
        };
        // A KEV catalog given beside the file is the organization's latest now: every stored
        // finding, not only this file's, is flagged against it.
        let kev_kept = match &kev_to_keep {
            Some(list) => Some(keep_kev(&mut tx, access.org_id(), list).await?),
            None => None,
        };
        let stored_on: Vec<&str> = suggestions.iter().map(|s| s.criterion.as_str()).collect();
        tx.record_audit(&NewAuditEntry {
            user_id: Some(&access.user().id),
            org_id: Some(access.org_id()),
            entity: "import",
            entity_id: &import.source.sha256,
            field: "evidence_file",
            old_value: None,
            new_value: Some(&format!(
                "{} {described} (sha256 {}): {} record(s), {} finding(s), {} rule result(s), {} asset(s), {} warning(s); stored on {}{}{}",
                import.kind.name(),
                import.source.sha256,
                import.records,
                import.findings.len(),
                import.compliance.len(),
                import.assets.len(),
                import.warnings.len(),
                if stored_on.is_empty() {
                    "no criterion".to_owned()
                } else {
                    stored_on.join(", ")
                },
                match &findings_kept {
                    Some(k) => format!(
                        "; open findings kept for the plan: {} on {} host(s), replacing {} from earlier scans{}",
                        k.findings,
                        k.hosts,
                        k.replaced,
                        if k.older.is_empty() {
                            String::new()
                        } else {
                            format!(
                                "; {} host(s) left as a newer scan gives them",
                                k.older.len()
                            )
                        }
                    ),
                    None => String::new(),
                },
                match (&kev_used, &kev_kept) {
                    (_, Some(k)) => format!(
                        "; the KEV catalog given with it ({} CVE(s)) kept as the organization's, {} stored open finding(s) re-flagged",
                        k.entries, k.reflagged
                    ),
                    (Some(KevUsed::Stored { version }), None) => format!(
                        "; KEV flags from the organization's KEV catalog{}",
                        version.as_deref().map(|v| format!(" version {v}")).unwrap_or_default()
                    ),
                    _ => String::new(),
                }
            )),
        })
        .await?;
        tx.commit().await?;
        Ok(EvidenceImported {
            import,
            summary,
            evidence,
            suggestions,
            outside_scope: scoped.outside_scope,
            findings_kept,
            kev_used,
            kev_kept,
        })
    }

    /// The findings part of the action plan: the organization's open findings from its
    /// latest scans that CISA lists as known exploited or that are past HICP Table 8's
    /// timeframe for their severity, ranked (KEV first, then most overdue) as of today.
    /// Read now (pages read the same from the computed view, `AssessmentView::findings`).
    pub async fn findings_plan<L: Level>(&self, access: &OrgAccess<L>) -> Result<FindingsPlan> {
        let mut c = self.store().conn().await?;
        self.ranked_findings(&mut c, access.org_id()).await
    }

    /// The organization's stored open findings, ranked as of today.
    pub(crate) async fn ranked_findings<M>(
        &self,
        c: &mut hicp_store::Conn<M>,
        org: &hicp_store::OrgId,
    ) -> Result<FindingsPlan> {
        Ok(rank(
            &c.scan_findings(org).await?,
            &Timeframes::from_catalog(self.catalog()),
            today(),
        ))
    }

    /// Accepts suggested statuses: each answer takes its suggested status, keeping its
    /// notes, owner and dates, if it is still at the version the person saw; otherwise it is
    /// left alone and named in `stale`. One transaction; each change is audited as an
    /// answer saved by this person.
    pub async fn accept_suggestions(
        &self,
        access: &OrgAccess<Edit>,
        picks: &[Accept],
    ) -> Result<Accepted> {
        let catalog = self.catalog();
        for p in picks {
            if catalog.criterion_id(&p.criterion).is_none() {
                return Err(Error::invalid("criterion", Problem::Unknown));
            }
            // "Does not apply" needs a reason, which no evidence gives.
            if p.status == Status::NotApplicable || p.version < 0 {
                return Err(Error::invalid("status", Problem::Malformed));
            }
        }
        let mut tx = self.store().begin().await?;
        let locked = self.lock_org(&mut tx, access, false).await?;
        let assessment = open_assessment(&mut tx, access, locked.open_assessment).await?;
        let cur = crate::assessment::read_current(&mut tx, assessment.clone()).await?;
        let answers = domain_answers(catalog, access.org(), access.tier(), &cur);
        let in_scope = |id: &str| {
            answers
                .scope(catalog)
                .iter()
                .any(|sp| sp.criteria.iter().any(|c| c.id.as_str() == id))
        };
        let mut out = Accepted::default();
        for p in picks {
            if !in_scope(&p.criterion) {
                return Err(Error::invalid("criterion", Problem::Unknown));
            }
            let Some(criterion) = catalog.criterion_id(&p.criterion) else {
                continue;
            };
            let now = cur.answers.iter().find(|a| &a.criterion_id == criterion);
            if now.map_or(0, |a| a.version) != p.version {
                out.stale.push(p.criterion.clone());
                continue;
            }
            if now.is_some_and(|a| a.status == p.status) {
                out.same.push(p.criterion.clone());
                continue;
            }
            let input = AnswerInput {
                status: p.status,
                na_reason: None,
                notes: now.and_then(|a| a.notes.clone()),
                owner: now.and_then(|a| a.owner.clone()),
                in_place_since: now.and_then(|a| a.in_place_since),
            };
            match tx
                .save_answer(
                    &assessment.id,
                    criterion,
                    &input,
                    &access.user().id,
                    p.version,
                )
                .await
            {
                Ok(a) => out.changed.push(a),
                Err(StoreError::Conflict(_) | StoreError::NotFound) => {
                    out.stale.push(p.criterion.clone());
                }
                Err(e) => return Err(e.into()),
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_files_get_a_data_content_type() {
        assert_eq!(content_type(b"\x1f\x8b\x08rest"), "application/gzip");
        assert_eq!(content_type(b"PK\x03\x04rest"), "application/zip");
        assert_eq!(content_type(b"bplist00"), "application/octet-stream");
        assert_eq!(
            content_type(b"\xEF\xBB\xBF  <?xml version"),
            "application/xml"
        );
        assert_eq!(content_type(b"Host,Port\n"), "text/csv");
    }

    #[test]
    fn long_observations_are_shortened_in_titles() {
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("abc", 3), "abc");
    }
}
