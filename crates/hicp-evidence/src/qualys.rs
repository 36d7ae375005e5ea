//! Qualys XML: the asset data report (hosts with VULN_INFO, then a glossary giving each QID's
//! title, severity and CVEs) and the scan report. Its DTD is never fetched: DTDs are not read.

use crate::input::Out;
use crate::model::{CveId, Finding, FindingState, Severity};
use crate::scan_csv::{port, score};
use crate::xml::{Ev, Xml, stop};
use crate::{Error, dates};
use std::collections::{HashMap, HashSet};
use std::io::BufRead;

#[derive(Default)]
struct Details {
    title: String,
    severity: Option<Severity>,
    cves: Vec<CveId>,
    cvss3: Option<f64>,
}

pub(crate) fn read<R: BufRead>(input: R, out: &mut Out) -> Result<(), Error> {
    out.scanner = "Qualys XML".into();
    let mut xml = Xml::new(input);
    let mut host = String::new();
    let mut current: Option<Finding> = None;
    let mut informational = false;
    // Findings that are "information gathered": info whatever their QID's level.
    let mut gathered: HashSet<usize> = HashSet::new();
    let mut glossary: HashMap<String, Details> = HashMap::new();
    let mut details: Option<(String, Details)> = None;
    loop {
        let ev = match xml.next(out) {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(e) => {
                stop(e, out)?;
                break;
            }
        };
        match ev {
            Ev::Start { name, attrs } => match name.as_str() {
                "VULN_INFO" | "VULN" => {
                    out.records += 1;
                    informational = false;
                    current = Some(Finding {
                        host: host.clone(),
                        port: None,
                        protocol: None,
                        title: String::new(),
                        severity: Severity::Info,
                        cves: Vec::new(),
                        cvss3: None,
                        first_seen: None,
                        last_seen: None,
                        kev: false,
                        state: None,
                        patch_published: None,
                        check: None,
                    });
                    // A scan report carries number and severity as attributes.
                    if let Some(f) = current.as_mut() {
                        f.check = crate::xml::attr(&attrs, "number").map(str::to_owned);
                        if let Some(s) = crate::xml::attr(&attrs, "severity") {
                            f.severity = Severity::from_qualys(s).unwrap_or(Severity::Info);
                        }
                    }
                }
                "VULN_DETAILS" => {
                    let id = crate::xml::attr(&attrs, "id")
                        .unwrap_or_default()
                        .trim_start_matches("qid_")
                        .to_owned();
                    details = Some((id, Details::default()));
                }
                "IP" if current.is_none() && details.is_none() => {
                    if let Some(v) = crate::xml::attr(&attrs, "value") {
                        host = v.to_owned();
                    }
                }
                _ => {}
            },
            Ev::End { name, text } => {
                let t = text.trim();
                if let Some((id, d)) = details.as_mut() {
                    match name.as_str() {
                        "QID" if id.is_empty() => *id = t.to_owned(),
                        "TITLE" => d.title = t.to_owned(),
                        "SEVERITY" => d.severity = Severity::from_qualys(t),
                        "ID" => d.cves.extend(CveId::all_in(t)),
                        "BASE" | "CVSS3_BASE" if d.cvss3.is_none() => d.cvss3 = score(t),
                        "VULN_DETAILS" => {
                            if let Some((id, d)) = details.take() {
                                glossary.insert(id, d);
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
                match (name.as_str(), current.as_mut()) {
                    ("IP", None) if !t.is_empty() => host = t.to_owned(),
                    ("QID", Some(f)) => f.check = Some(t.to_owned()),
                    ("TYPE", Some(_)) => informational = t.eq_ignore_ascii_case("Ig"),
                    ("PORT", Some(f)) => f.port = port(t),
                    ("PROTOCOL", Some(f)) => f.protocol = Some(t.to_ascii_lowercase()),
                    ("FIRST_FOUND", Some(f)) => f.first_seen = dates::parse(t),
                    ("LAST_FOUND", Some(f)) => f.last_seen = dates::parse(t),
                    ("VULN_STATUS", Some(f)) => {
                        f.state = Some(if t.eq_ignore_ascii_case("fixed") {
                            FindingState::Fixed
                        } else {
                            FindingState::Open
                        })
                    }
                    ("CVSS3_FINAL", Some(f)) => f.cvss3 = score(t),
                    ("TITLE", Some(f)) => f.title = t.to_owned(),
                    ("CVE_ID", Some(f)) | ("ID", Some(f)) => f.cves.extend(CveId::all_in(t)),
                    ("VULN_INFO" | "VULN", Some(_)) => {
                        if let Some(f) = current.take() {
                            if informational {
                                gathered.insert(out.findings.len());
                            }
                            out.findings.push(f);
                        }
                    }
                    ("GENERATION_DATETIME" | "DATETIME", None) if out.generated.is_none() => {
                        out.generated = dates::parse(t).map(|d| d.to_string());
                    }
                    _ => {}
                }
            }
        }
    }
    // The glossary comes after the hosts: fill in what each QID means.
    let mut unknown = 0;
    for (n, f) in out.findings.iter_mut().enumerate() {
        let ig = gathered.contains(&n);
        let Some(qid) = f.check.as_deref() else {
            continue;
        };
        match glossary.get(qid) {
            Some(d) => {
                if f.title.is_empty() {
                    f.title = d.title.clone();
                }
                if ig {
                    f.severity = Severity::Info;
                } else if let Some(s) = d.severity {
                    f.severity = s;
                }
                for c in &d.cves {
                    if !f.cves.contains(c) {
                        f.cves.push(c.clone());
                    }
                }
                if f.cvss3.is_none() {
                    f.cvss3 = d.cvss3;
                }
            }
            None if f.title.is_empty() => unknown += 1,
            None => {}
        }
    }
    if unknown > 0 {
        out.warn(
            "GLOSSARY",
            format!("{unknown} finding(s) name a QID the glossary does not describe"),
        );
    }
    Ok(())
}
