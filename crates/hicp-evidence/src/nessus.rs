//! Nessus v2 XML (`.nessus`): one ReportHost per host, one ReportItem per finding.

use crate::input::Out;
use crate::model::{CveId, Finding, Severity};
use crate::scan_csv::{port, score};
use crate::xml::{Ev, Xml, attr};
use crate::{Error, dates};
use std::io::BufRead;

#[derive(Default)]
struct Item {
    port: Option<u16>,
    protocol: Option<String>,
    title: String,
    check: Option<String>,
    severity: Option<Severity>,
    risk: Option<Severity>,
    cves: Vec<CveId>,
    cvss3: Option<f64>,
    patch: Option<String>,
    /// Where it is, formatted only for a warning: its number and byte offset.
    at: (u64, u64),
}

impl Item {
    fn at(&self) -> String {
        format!("ReportItem {} (byte {})", self.at.0, self.at.1)
    }
}

pub(crate) fn read<R: BufRead>(input: R, out: &mut Out) -> Result<(), Error> {
    out.scanner = "Nessus v2 XML".into();
    let mut xml = Xml::new(input);
    let mut host = String::new();
    let mut host_seen = None;
    let mut tag: Option<String> = None;
    let mut item: Option<Item> = None;
    loop {
        let ev = match xml.next(out) {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(e) => return crate::xml::stop(e, out),
        };
        match ev {
            Ev::Start { name, attrs } => match name.as_str() {
                "ReportHost" => {
                    host = attr(&attrs, "name").unwrap_or_default().to_owned();
                    host_seen = None;
                }
                "tag" => tag = attr(&attrs, "name").map(str::to_owned),
                "ReportItem" => {
                    out.records += 1;
                    let at = (out.records, xml.position());
                    item = Some(Item {
                        port: attr(&attrs, "port").and_then(port),
                        protocol: attr(&attrs, "protocol").map(str::to_ascii_lowercase),
                        title: attr(&attrs, "pluginName").unwrap_or_default().to_owned(),
                        check: attr(&attrs, "pluginID").map(str::to_owned),
                        severity: attr(&attrs, "severity").and_then(Severity::from_nessus),
                        at,
                        ..Item::default()
                    });
                }
                _ => {}
            },
            Ev::End { name, text } => match (name.as_str(), item.as_mut()) {
                ("tag", None) => {
                    match tag.as_deref() {
                        Some("HOST_START") | Some("HOST_END") => {
                            let d = dates::parse(&text);
                            if out.generated.is_none() {
                                out.generated = d.map(|d| d.to_string());
                            }
                            if d.is_some() {
                                host_seen = d;
                            }
                        }
                        Some("host-ip") if host.is_empty() => host = text.trim().to_owned(),
                        _ => {}
                    }
                    tag = None;
                }
                ("cve", Some(it)) => {
                    for id in CveId::all_in(&text) {
                        if !it.cves.contains(&id) {
                            it.cves.push(id);
                        }
                    }
                }
                ("cvss3_base_score", Some(it)) => it.cvss3 = score(&text),
                ("risk_factor", Some(it)) => it.risk = Severity::from_word(&text),
                ("patch_publication_date", Some(it)) => it.patch = Some(text),
                ("plugin_name", Some(it)) if it.title.is_empty() => it.title = text.trim().into(),
                ("ReportItem", Some(_)) => {
                    let Some(it) = item.take() else { continue };
                    let severity = it.severity.or(it.risk).unwrap_or_else(|| {
                        out.warn(it.at(), "no severity; read as info");
                        Severity::Info
                    });
                    if it.title.is_empty() {
                        out.warn(it.at(), "finding without a plugin name");
                    }
                    out.findings.push(Finding {
                        host: host.clone(),
                        port: it.port,
                        protocol: it.protocol,
                        title: it.title,
                        severity,
                        cves: it.cves,
                        cvss3: it.cvss3,
                        first_seen: None,
                        last_seen: host_seen,
                        kev: false,
                        state: None,
                        patch_published: it.patch.as_deref().and_then(dates::parse),
                        check: it.check,
                    });
                }
                _ => {}
            },
        }
    }
    Ok(())
}
