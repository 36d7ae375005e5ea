//! An organization's email domains and their check (practice 1): the check's result is
//! kept as the domain's latest and as dated evidence on the practice 1 criteria its
//! findings inform, like an evidence import.

use crate::access::{Edit, OrgAccess};
use crate::assessment::{EvidenceUpload, add_evidence_in, domain_answers, open_assessment};
use crate::error::{Error, Problem, Result};
use crate::{App, Level, date_of, today};
use hicp_email::dns::Resolver;
use hicp_email::{Report, Severity};
use hicp_store::{EmailDomain, Evidence, EvidenceContent};
use std::sync::Arc;

type MakeResolver = dyn Fn() -> Result<Box<dyn Resolver>, String> + Send + Sync;

/// Where the email check reads DNS: the network, or a zone file (offline use, tests). A
/// resolver is made for each check, and used off the async runtime (it may block).
#[derive(Clone)]
pub struct DnsSource {
    label: String,
    make: Option<Arc<MakeResolver>>,
}

impl DnsSource {
    /// `label` says where the records come from ("the network", "zone file X").
    pub fn new(
        label: impl Into<String>,
        make: impl Fn() -> Result<Box<dyn Resolver>, String> + Send + Sync + 'static,
    ) -> DnsSource {
        DnsSource {
            label: label.into(),
            make: Some(Arc::new(make)),
        }
    }

    /// No DNS at all: every check is refused.
    pub fn none() -> DnsSource {
        DnsSource {
            label: "none".into(),
            make: None,
        }
    }

    pub fn label(&self) -> &str {
        &self.label
    }
}

impl Default for DnsSource {
    fn default() -> Self {
        DnsSource::none()
    }
}

impl std::fmt::Debug for DnsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DnsSource({})", self.label)
    }
}

/// An email domain and its latest check, read back.
#[derive(Clone, Debug)]
pub struct EmailDomainView {
    pub domain: EmailDomain,
    /// The latest check (`None`: never checked, or a report of an older shape).
    pub report: Option<serde_json::Value>,
}

/// What a check did.
#[derive(Clone, Debug)]
pub struct EmailChecked {
    pub report: Report,
    /// The evidence stored: the result in words, once per criterion it informs (or once on
    /// no criterion, when none is in the organization's assessment).
    pub evidence: Vec<Evidence>,
}

/// A domain name as stored: trimmed, lower case, no trailing dot, and valid.
fn domain_name(domain: &str) -> Result<String> {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = hicp_email::spf::valid_domain(&d)
        && d.contains('.')
        && d.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c == b'_');
    if ok {
        Ok(d)
    } else {
        Err(Error::invalid("domain", Problem::Malformed))
    }
}

fn selector_names(selectors: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for s in selectors.split(|c: char| c == ',' || c.is_whitespace()) {
        let s = s.trim().to_ascii_lowercase();
        if s.is_empty() || out.contains(&s) {
            continue;
        }
        let ok = s.split('.').all(|l| !l.is_empty() && l.len() <= 63)
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
        if !ok {
            return Err(Error::invalid("dkim_selectors", Problem::Malformed));
        }
        out.push(s);
    }
    Ok(out)
}

/// The check in words: what a person keeps as evidence (the JSON stays with the domain).
pub fn report_text(r: &Report, checked_on: hicp_store::Date, source: &str) -> String {
    let mut t = format!(
        "Email domain check of {} on {checked_on} (DNS from {source}).\n\
         Findings: {} critical, {} high, {} medium, {} low, {} fine or informational.\n",
        r.domain,
        r.summary.critical,
        r.summary.high,
        r.summary.medium,
        r.summary.low,
        r.summary.info
    );
    if !r.dkim_selectors.is_empty() {
        t.push_str(&format!(
            "DKIM selectors checked: {}\n",
            r.dkim_selectors.join(", ")
        ));
    }
    for f in &r.findings {
        t.push_str(&format!(
            "\n[{}] {} ({})\n  What to do: {}\n  Technical detail: {}\n  HICP criteria: {}\n",
            f.severity.as_str(),
            f.title,
            f.code,
            f.fix,
            f.detail,
            f.criteria.join(", ")
        ));
    }
    t
}

impl App {
    /// The organization's email domains, each with its latest check.
    pub async fn email_domains<L: Level>(
        &self,
        access: &OrgAccess<L>,
    ) -> Result<Vec<EmailDomainView>> {
        let domains = self.store().email_domains(access.org_id()).await?;
        Ok(domains
            .into_iter()
            .map(|d| EmailDomainView {
                report: d
                    .check_json
                    .as_deref()
                    .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
                    .filter(|v| v["schema"] == Report::SCHEMA),
                domain: d,
            })
            .collect())
    }

    /// Adds an email domain (or sets the DKIM selectors of one the organization has).
    /// Audited; returns whether anything changed.
    pub async fn save_email_domain(
        &self,
        access: &OrgAccess<Edit>,
        domain: &str,
        dkim_selectors: &str,
    ) -> Result<bool> {
        let domain = domain_name(domain)?;
        let selectors = selector_names(dkim_selectors)?;
        let mut tx = self.store().begin().await?;
        self.lock_org(&mut tx, access, false).await?;
        let changed = tx
            .save_email_domain(access.org_id(), &domain, &selectors, &access.user().id)
            .await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Removes an email domain (its checks stay as evidence). Audited.
    pub async fn remove_email_domain(
        &self,
        access: &OrgAccess<Edit>,
        domain: &str,
    ) -> Result<bool> {
        let domain = domain_name(domain)?;
        let mut tx = self.store().begin().await?;
        self.lock_org(&mut tx, access, false).await?;
        let done = tx
            .remove_email_domain(access.org_id(), &domain, &access.user().id)
            .await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Checks one of the organization's email domains now (the only moment the app asks
    /// DNS), keeps the result as the domain's latest, and stores it in words as evidence
    /// dated today on each practice 1 criterion of the assessment its findings inform; one
    /// transaction, audited.
    pub async fn check_email_domain(
        &self,
        access: &OrgAccess<Edit>,
        domain: &str,
    ) -> Result<EmailChecked> {
        let domain = domain_name(domain)?;
        let stored = self
            .store()
            .email_domains(access.org_id())
            .await?
            .into_iter()
            .find(|d| d.domain == domain)
            .ok_or(Error::NotFound)?;
        let source = self.settings().dns.clone();
        let Some(make) = source.make.clone() else {
            return Err(Error::invalid("dns", Problem::Required));
        };
        let selectors = stored.dkim_selectors.clone();
        let name = domain.clone();
        let report = tokio::task::spawn_blocking(move || {
            let resolver = make().map_err(Error::Internal)?;
            hicp_email::check(&name, &selectors, resolver.as_ref(), None)
                .map_err(|_| Error::invalid("domain", Problem::Malformed))
        })
        .await
        .map_err(|e| Error::Internal(format!("the check stopped: {e}")))??;
        let json = serde_json::to_string(&report).map_err(|e| Error::Internal(e.to_string()))?;
        let checked_on = today();
        let text = report_text(&report, checked_on, source.label());
        let summary = format!(
            "{} critical, {} high, {} medium, {} low",
            report.summary.critical, report.summary.high, report.summary.medium, report.summary.low
        );

        let catalog = self.catalog();
        let mut tx = self.store().begin().await?;
        let locked = self.lock_org(&mut tx, access, false).await?;
        let access = access.with_org(locked.org);
        if !tx
            .record_email_check(access.org_id(), &domain, &json, &summary, &access.user().id)
            .await?
        {
            return Err(Error::NotFound);
        }
        let assessment = open_assessment(&mut tx, &access, locked.open_assessment).await?;
        let cur = crate::assessment::read_current(&mut tx, assessment.clone()).await?;
        let answers = domain_answers(catalog, access.org(), access.tier(), &cur);
        let scope: Vec<&str> = answers
            .scope(catalog)
            .iter()
            .flat_map(|sp| sp.criteria.iter().map(|c| c.id.as_str()))
            .collect();
        let mut criteria: Vec<&str> = Vec::new();
        for f in &report.findings {
            for c in &f.criteria {
                if let Some(c) = scope.iter().find(|s| **s == c.as_str())
                    && !criteria.contains(c)
                {
                    criteria.push(c);
                }
            }
        }
        criteria.sort_by_key(|c| scope.iter().position(|s| s == c));
        let worst = report
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Info)
            .count();
        let title = format!(
            "Email domain check of {domain}: {}",
            if worst == 0 {
                "no problem found".to_owned()
            } else {
                format!("{summary} finding(s)")
            }
        );
        let file = |criterion: Option<String>| EvidenceUpload {
            criterion,
            action: None,
            title: title.clone(),
            content: EvidenceContent::File {
                file_name: format!("email-check-{domain}-{checked_on}.txt"),
                content_type: "text/plain".into(),
                bytes: text.as_bytes().to_vec(),
                sha256: None,
            },
            collected_on: Some(checked_on),
            valid_until: None,
        };
        let mut evidence = Vec::new();
        for c in &criteria {
            evidence.push(
                add_evidence_in(
                    &mut tx,
                    &access,
                    &assessment,
                    catalog,
                    file(Some((*c).to_owned())),
                )
                .await?,
            );
        }
        if criteria.is_empty() {
            evidence
                .push(add_evidence_in(&mut tx, &access, &assessment, catalog, file(None)).await?);
        }
        tx.commit().await?;
        Ok(EmailChecked { report, evidence })
    }
}

/// When a domain was last checked, as a calendar date.
pub fn checked_on(d: &EmailDomain) -> Option<hicp_store::Date> {
    d.checked_at.map(date_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_and_selectors_are_normalized_or_refused() {
        assert_eq!(domain_name(" Example.ORG. ").unwrap(), "example.org");
        assert!(domain_name("not a domain").is_err());
        assert!(domain_name("localhost").is_err());
        assert!(domain_name("").is_err());
        assert_eq!(selector_names("s1, Google  s1").unwrap(), ["s1", "google"]);
        assert!(selector_names("bad selector!").is_err());
        assert!(selector_names("").unwrap().is_empty());
    }
}
