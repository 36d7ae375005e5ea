//! Vulnerability scanner CSV exports: Nessus and Tenable (Nessus, Tenable.sc and Tenable.io
//! layouts), Greenbone/OpenVAS and Qualys. Columns are found by name, so any column order
//! and most layouts read.

use crate::input::{CsvRows, Header, Out, field};
use crate::model::{CveId, Finding, FindingState, Severity};
use crate::{Error, Kind, dates};

const HOST: &[&str] = &[
    "host",
    "ip address",
    "ip",
    "asset ipv4",
    "asset.display_ipv4_address",
    "asset name",
    "asset.host_name",
    "asset.name",
    "hostname",
    "dns name",
    "fqdn",
    "asset.display_fqdn",
];
const PORT: &[&str] = &["port", "port.port"];
const PROTOCOL: &[&str] = &["protocol", "port protocol", "port.protocol"];
const TITLE: &[&str] = &[
    "name",
    "plugin name",
    "nvt name",
    "title",
    "vuln title",
    "definition.name",
];
const CHECK: &[&str] = &["plugin id", "plugin", "definition.id", "nvt oid", "qid"];
const CVE: &[&str] = &["cve", "cves", "cve id", "cveid", "definition.cve", "cve-id"];
const CVSS3: &[&str] = &[
    "cvss v3.0 base score",
    "cvss v3 base score",
    "cvss3 base score",
    "cvss3.1 base",
    "cvssv3.1 base (nvd)",
    "cvss3 base",
    "definition.cvss3.base_score",
    "cvss3",
];
const FIRST: &[&str] = &[
    "first discovered",
    "first found",
    "first detected",
    "first_observed",
    "first seen",
];
const LAST: &[&str] = &[
    "last observed",
    "last found",
    "last detected",
    "last_seen",
    "last seen",
    "timestamp",
    "last scan",
];
const STATE: &[&str] = &["vulnerability state", "vuln status", "state", "status"];

struct Cols {
    /// Every host-like column, by preference: the first non-empty one names the host.
    host: Vec<usize>,
    port: Option<usize>,
    protocol: Option<usize>,
    title: Option<usize>,
    check: Option<usize>,
    cve: Vec<usize>,
    cvss3: Option<usize>,
    first: Option<usize>,
    last: Option<usize>,
    state: Option<usize>,
    patch: Option<usize>,
    severity: Vec<(usize, Scale)>,
}

/// How a severity column is written.
#[derive(Clone, Copy)]
enum Scale {
    Words,
    Nessus,
    Qualys,
    Cvss,
}

fn columns(h: &Header, kind: Kind) -> Cols {
    let mut severity = Vec::new();
    // In order of preference; the first that reads wins for each row.
    let candidates: &[(&str, Scale)] = match kind {
        Kind::Qualys => &[("severity", Scale::Qualys), ("q_severity", Scale::Qualys)],
        Kind::Openvas => &[("cvss", Scale::Cvss), ("severity", Scale::Words)],
        _ => &[
            ("risk", Scale::Words),
            ("severity", Scale::Words),
            ("definition.severity", Scale::Words),
            ("risk factor", Scale::Words),
            ("severity", Scale::Nessus),
        ],
    };
    for (name, scale) in candidates {
        if let Some(i) = h.find(&[name]) {
            severity.push((i, *scale));
        }
    }
    Cols {
        host: HOST.iter().filter_map(|c| h.find(&[c])).collect(),
        port: h.find(PORT),
        protocol: h.find(PROTOCOL),
        title: h.find(TITLE),
        check: h.find(CHECK),
        cve: CVE.iter().filter_map(|c| h.find(&[c])).collect(),
        cvss3: h.find(CVSS3),
        first: h.find(FIRST),
        last: h.find(LAST),
        state: h.find(STATE),
        patch: h.find(&["patch publication date", "definition.patch_published"]),
        severity,
    }
}

fn severity_of(row: &[String], c: &Cols) -> Option<Severity> {
    c.severity.iter().find_map(|(i, scale)| {
        let v = field(row, Some(*i))?;
        match scale {
            Scale::Words => Severity::from_word(&v).or_else(|| Severity::from_nessus(&v)),
            Scale::Nessus => Severity::from_nessus(&v),
            Scale::Qualys => Severity::from_qualys(&v),
            Scale::Cvss => Severity::from_cvss(v.parse().ok()?),
        }
    })
}

/// A leading number such as `8.1 (AV:N/...)` as Qualys writes it.
pub(crate) fn score(text: &str) -> Option<f64> {
    let head: String = text
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    head.parse().ok().filter(|s| (0.0..=10.0).contains(s))
}

pub(crate) fn port(text: &str) -> Option<u16> {
    // OpenVAS writes `443/tcp` in some places; Nessus `0` for host-level findings.
    let digits: String = text
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

pub(crate) fn read(mut rows: CsvRows<'_>, kind: Kind, out: &mut Out) -> Result<(), Error> {
    let Some(names) = rows.next_row(out)? else {
        return Ok(());
    };
    let header = Header::new(names, out, &rows.at());
    out.scanner = match kind {
        Kind::Openvas => "Greenbone/OpenVAS CSV".into(),
        Kind::Qualys => "Qualys CSV".into(),
        _ if header.has("definition.id") => "Tenable.io CSV".into(),
        _ if header.has("repository") => "Tenable.sc CSV".into(),
        _ => "Nessus CSV".into(),
    };
    let c = columns(&header, kind);
    if c.host.is_empty() {
        out.warn(rows.at(), "no host or IP address column was found");
    }
    while let Some(row) = rows.next_row(out)? {
        out.records += 1;
        let at = rows.at();
        let Some(title) = field(&row, c.title) else {
            out.warn(at, "row without a finding name skipped");
            continue;
        };
        let severity = severity_of(&row, &c).unwrap_or_else(|| {
            out.warn(&at, "severity missing or not understood; read as info");
            Severity::Info
        });
        let mut cves = Vec::new();
        for &i in &c.cve {
            if let Some(v) = row.get(i) {
                for id in CveId::all_in(v) {
                    if !cves.contains(&id) {
                        cves.push(id);
                    }
                }
            }
        }
        // Some exports (Greenbone's CVE scanner) name the CVE as the check or its title.
        for text in [field(&row, c.check), Some(title.clone())]
            .into_iter()
            .flatten()
        {
            for id in CveId::all_in(&text) {
                if !cves.contains(&id) {
                    cves.push(id);
                }
            }
        }
        let state = field(&row, c.state).and_then(|s| match s.to_ascii_lowercase().as_str() {
            "fixed" | "resolved" | "closed" => Some(FindingState::Fixed),
            "open" | "new" | "active" | "reopened" | "re-opened" | "resurfaced" => {
                Some(FindingState::Open)
            }
            _ => None,
        });
        let date = |i: Option<usize>, out: &mut Out| {
            let v = field(&row, i)?;
            let d = dates::parse(&v);
            if d.is_none() {
                out.warn(&at, format!("date \"{v}\" not understood"));
            }
            d
        };
        let first_seen = date(c.first, out);
        let last_seen = date(c.last, out);
        let finding = Finding {
            host: c
                .host
                .iter()
                .find_map(|&i| field(&row, Some(i)))
                .unwrap_or_default(),
            port: field(&row, c.port).and_then(|p| port(&p)),
            protocol: field(&row, c.protocol)
                .filter(|p| p.chars().any(|c| c.is_ascii_alphabetic()))
                .map(|p| p.to_ascii_lowercase()),
            title,
            severity,
            cves,
            cvss3: field(&row, c.cvss3).and_then(|s| score(&s)),
            first_seen,
            last_seen,
            kev: false,
            state,
            patch_published: field(&row, c.patch).and_then(|v| dates::parse(&v)),
            check: field(&row, c.check),
        };
        push_merged(out, finding);
    }
    Ok(())
}

/// Nessus CSV repeats a finding once per CVE; consecutive rows for the same check, host and
/// port are one finding with all their CVEs.
pub(crate) fn push_merged(out: &mut Out, f: Finding) {
    if let Some(last) = out.findings.last_mut()
        && f.check.is_some()
        && last.check == f.check
        && last.host == f.host
        && last.port == f.port
        && last.protocol == f.protocol
        && last.title == f.title
    {
        for c in f.cves {
            if !last.cves.contains(&c) {
                last.cves.push(c);
            }
        }
        return;
    }
    out.findings.push(f);
}
