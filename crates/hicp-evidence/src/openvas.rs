//! Greenbone/OpenVAS XML reports (the report alone, or inside a GMP `get_reports_response`).

use crate::input::Out;
use crate::model::{CveId, Finding, Severity};
use crate::scan_csv::{port, score};
use crate::xml::{Ev, Xml, attr, stop};
use crate::{Error, dates};
use std::io::BufRead;

#[derive(Default)]
struct Res {
    host: String,
    port: Option<u16>,
    protocol: Option<String>,
    title: String,
    check: Option<String>,
    threat: Option<Severity>,
    score: Option<f64>,
    cvss3: Option<f64>,
    cves: Vec<CveId>,
    seen: Option<String>,
}

pub(crate) fn read<R: BufRead>(input: R, out: &mut Out) -> Result<(), Error> {
    out.scanner = "Greenbone/OpenVAS XML".into();
    let mut xml = Xml::new(input);
    let mut res: Option<Res> = None;
    // Depth inside the current <result>: detection details nest another <result>.
    let mut depth = 0usize;
    let mut in_nvt = false;
    let mut severity_type: Option<String> = None;
    loop {
        let ev = match xml.next(out) {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(e) => return stop(e, out),
        };
        match ev {
            Ev::Start { name, attrs } => {
                if res.is_some() {
                    depth += 1;
                    match name.as_str() {
                        "nvt" if depth == 1 => {
                            in_nvt = true;
                            if let Some(r) = res.as_mut() {
                                r.check = attr(&attrs, "oid").map(str::to_owned);
                            }
                        }
                        "ref" if attr(&attrs, "type") == Some("cve") => {
                            if let (Some(r), Some(id)) = (res.as_mut(), attr(&attrs, "id")) {
                                for c in CveId::all_in(id) {
                                    if !r.cves.contains(&c) {
                                        r.cves.push(c);
                                    }
                                }
                            }
                        }
                        "severity" => severity_type = attr(&attrs, "type").map(str::to_owned),
                        _ => {}
                    }
                } else if name == "result" && attr(&attrs, "id").is_some() {
                    out.records += 1;
                    res = Some(Res::default());
                    depth = 0;
                }
            }
            Ev::End { name, text } => {
                let Some(r) = res.as_mut() else {
                    if matches!(name.as_str(), "scan_start" | "timestamp")
                        && out.generated.is_none()
                    {
                        out.generated = dates::parse(&text).map(|d| d.to_string());
                    }
                    continue;
                };
                if depth == 0 {
                    // The end of the result itself.
                    let Some(r) = res.take() else { continue };
                    let severity = r
                        .score
                        .and_then(Severity::from_cvss)
                        .or(r.threat)
                        .unwrap_or_else(|| {
                            out.warn(
                                format!("result {}", out.records),
                                "no severity; read as info",
                            );
                            Severity::Info
                        });
                    out.findings.push(Finding {
                        host: r.host,
                        port: r.port,
                        protocol: r.protocol,
                        title: r.title,
                        severity,
                        cves: r.cves,
                        cvss3: r.cvss3,
                        first_seen: None,
                        last_seen: r.seen.as_deref().and_then(dates::parse),
                        kev: false,
                        state: None,
                        patch_published: None,
                        check: r.check,
                    });
                    continue;
                }
                match (name.as_str(), depth) {
                    ("host", 1) => r.host = text.trim().to_owned(),
                    ("port", 1) => {
                        let t = text.trim();
                        r.port = port(t);
                        r.protocol = t.split_once('/').map(|(_, p)| p.to_ascii_lowercase());
                    }
                    ("name", 1) => r.title = text.trim().to_owned(),
                    ("name", 2) if in_nvt && r.title.is_empty() => r.title = text.trim().to_owned(),
                    ("threat", 1) => r.threat = Severity::from_word(&text),
                    ("severity", 1) => r.score = score(&text),
                    ("score", _)
                        if in_nvt && severity_type.as_deref().is_some_and(|t| t.contains("v3")) =>
                    {
                        r.cvss3 = score(&text);
                    }
                    ("cve", 2) if in_nvt => {
                        for c in CveId::all_in(&text) {
                            if !r.cves.contains(&c) {
                                r.cves.push(c);
                            }
                        }
                    }
                    ("creation_time", 1) => r.seen = Some(text),
                    ("nvt", 1) => in_nvt = false,
                    _ => {}
                }
                depth -= 1;
            }
        }
    }
    Ok(())
}
