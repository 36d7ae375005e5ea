//! An import's findings as the action plan ranks them (`hicp_core::assessment::findings`):
//! from an [`Import`] in memory (the app), or from the JSON of `hicp evidence import
//! --format json` (the command line's `hicp plan --findings`).

use crate::Error;
use crate::model::{Finding, Import, Kind, Severity};
use hicp_core::assessment::Date;
use hicp_core::assessment::findings as domain;
use serde::Deserialize;

impl Severity {
    pub fn to_domain(self) -> domain::Severity {
        match self {
            Severity::Info => domain::Severity::Info,
            Severity::Low => domain::Severity::Low,
            Severity::Medium => domain::Severity::Medium,
            Severity::High => domain::Severity::High,
            Severity::Critical => domain::Severity::Critical,
        }
    }
}

impl Kind {
    /// Vulnerability scanners: their findings go to the plan.
    pub fn is_scanner(self) -> bool {
        matches!(self, Kind::Nessus | Kind::Openvas | Kind::Qualys)
    }
}

/// One finding of a file by `source` (the scanner, in words), for the plan.
pub fn plan_finding(f: &Finding, source: &str) -> domain::Finding {
    domain::Finding {
        host: f.host.clone(),
        port: f.port,
        protocol: f.protocol.clone(),
        title: f.title.clone(),
        severity: f.severity.to_domain(),
        cves: f.cves.iter().map(|c| c.as_str().to_owned()).collect(),
        first_seen: f.first_seen,
        last_seen: f.last_seen,
        fix_published: f.patch_published,
        kev: f.kev,
        open: f.is_open(),
        source: source.to_owned(),
    }
}

/// Every finding of a scan, for the plan (the ranking leaves out the fixed ones).
pub fn plan_findings(import: &Import) -> Vec<domain::Finding> {
    import
        .findings
        .iter()
        .map(|f| plan_finding(f, &import.source.scanner))
        .collect()
}

#[derive(Deserialize)]
struct ImportJson {
    kind: String,
    source: SourceJson,
    #[serde(default)]
    findings: Vec<FindingJson>,
}

#[derive(Deserialize)]
struct SourceJson {
    #[serde(default)]
    scanner: String,
}

#[derive(Deserialize)]
struct FindingJson {
    host: String,
    port: Option<u16>,
    protocol: Option<String>,
    title: String,
    severity: String,
    #[serde(default)]
    cves: Vec<String>,
    first_seen: Option<String>,
    last_seen: Option<String>,
    #[serde(default)]
    kev: bool,
    state: Option<String>,
    patch_published: Option<String>,
}

/// Reads the findings back from the JSON of `hicp evidence import --format json` (its
/// contract). A file of another kind than a scan has none; JSON that is not an import is an
/// error naming where.
pub fn plan_findings_from_json(text: &str) -> Result<Vec<domain::Finding>, Error> {
    let import: ImportJson = serde_json::from_str(text).map_err(|e| Error::Malformed {
        at: format!("line {}, column {}", e.line(), e.column()),
        message: format!(
            "this is not the JSON of `hicp evidence import --format json`: {}",
            e
        ),
    })?;
    if !Kind::from_name(&import.kind).is_some_and(Kind::is_scanner) {
        return Ok(Vec::new());
    }
    let bad = |i: usize, field: &str, message: String| Error::Malformed {
        at: format!("findings[{i}].{field}"),
        message,
    };
    let date = |i: usize, field: &str, v: &Option<String>| -> Result<Option<Date>, Error> {
        v.as_deref()
            .map(|s| {
                Date::parse(s)
                    .map_err(|_| bad(i, field, format!("{s:?} is not a date (YYYY-MM-DD)")))
            })
            .transpose()
    };
    import
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            Ok(domain::Finding {
                host: f.host.clone(),
                port: f.port,
                protocol: f.protocol.clone(),
                title: f.title.clone(),
                severity: domain::Severity::parse(&f.severity).ok_or_else(|| {
                    bad(
                        i,
                        "severity",
                        format!(
                            "{:?} is not critical, high, medium, low or info",
                            f.severity
                        ),
                    )
                })?,
                cves: f.cves.clone(),
                first_seen: date(i, "first_seen", &f.first_seen)?,
                last_seen: date(i, "last_seen", &f.last_seen)?,
                fix_published: date(i, "patch_published", &f.patch_published)?,
                kev: f.kev,
                open: f.state.as_deref() != Some("fixed"),
                source: import.source.scanner.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_import_json_reads_back_into_plan_findings() {
        let json = r#"{"kind":"nessus","source":{"file":null,"sha256":"00","scanner":"Nessus v2 XML","generated":"2022-03-23"},
          "records":2,"findings":[
           {"host":"h","port":80,"protocol":"tcp","title":"PHP","severity":"high","cves":["CVE-2012-1823"],
            "cvss3":null,"first_seen":null,"last_seen":"2022-03-23","kev":true,"patch_published":"2012-05-03"},
           {"host":"h","port":null,"protocol":null,"title":"Old","severity":"low","cves":[],
            "cvss3":null,"first_seen":"2020-01-01","last_seen":null,"kev":false,"state":"fixed"}],
          "compliance":[],"assets":[],"criteria":[],"warnings":[]}"#;
        let f = plan_findings_from_json(json).unwrap();
        assert_eq!(f.len(), 2);
        assert!(f[0].kev && f[0].open);
        assert_eq!(f[0].severity, domain::Severity::High);
        assert_eq!(f[0].fix_published, Date::parse("2012-05-03").ok());
        assert_eq!(f[0].source, "Nessus v2 XML");
        assert!(!f[1].open);

        let e = plan_findings_from_json(&json.replace("\"low\"", "\"urgent\"")).unwrap_err();
        assert!(e.to_string().contains("findings[1].severity"), "{e}");
        let e = plan_findings_from_json("{\"kind\": 3}").unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
        // An inventory has no findings for the plan.
        let inv =
            r#"{"kind":"inventory","source":{"scanner":"asset inventory CSV"},"findings":[]}"#;
        assert!(plan_findings_from_json(inv).unwrap().is_empty());
    }
}
