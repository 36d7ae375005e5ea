//! DMARC aggregate reports (RFC 7489 appendix C), summarized per sending IP address.

use crate::input::Out;
use crate::model::{DmarcSource, DmarcSummary};
use crate::xml::{Ev, Xml, stop};
use crate::{Error, dates};
use std::collections::BTreeMap;
use std::io::BufRead;

#[derive(Default)]
struct Row {
    ip: String,
    count: u64,
    disposition: String,
    dkim: Option<bool>,
    spf: Option<bool>,
}

pub(crate) fn read<R: BufRead>(input: R, out: &mut Out) -> Result<(), Error> {
    out.scanner = "DMARC aggregate report".into();
    let mut xml = Xml::new(input);
    let mut summary = DmarcSummary::default();
    let mut sources: BTreeMap<String, DmarcSource> = BTreeMap::new();
    let mut row: Option<Row> = None;
    let mut path: Vec<String> = Vec::new();
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
            Ev::Start { name, .. } => {
                if name == "record" {
                    out.records += 1;
                    row = Some(Row::default());
                }
                path.push(name);
            }
            Ev::End { name, text } => {
                path.pop();
                let parent = path.last().map(String::as_str).unwrap_or("");
                let t = text.trim();
                match (parent, name.as_str()) {
                    ("report_metadata", "org_name") => summary.org_name = Some(t.to_owned()),
                    ("date_range", "begin") => {
                        summary.begin = dates::parse(t).map(|d| d.to_string())
                    }
                    ("date_range", "end") => {
                        summary.end = dates::parse(t).map(|d| d.to_string());
                        out.generated = summary.end.clone();
                    }
                    ("policy_published", "domain") => summary.domain = Some(t.to_owned()),
                    ("policy_published", "p") => summary.policy = Some(t.to_ascii_lowercase()),
                    ("row", "source_ip") => {
                        if let Some(r) = row.as_mut() {
                            r.ip = t.to_owned();
                        }
                    }
                    ("row", "count") => {
                        if let Some(r) = row.as_mut() {
                            r.count = t.parse().unwrap_or_else(|_| {
                                out.warn(
                                    format!("record {}", out.records),
                                    format!("count \"{t}\" is not a number; read as 0"),
                                );
                                0
                            });
                        }
                    }
                    ("policy_evaluated", field) => {
                        if let Some(r) = row.as_mut() {
                            let pass = t.eq_ignore_ascii_case("pass");
                            match field {
                                "disposition" => r.disposition = t.to_ascii_lowercase(),
                                "dkim" => r.dkim = Some(pass),
                                "spf" => r.spf = Some(pass),
                                _ => {}
                            }
                        }
                    }
                    (_, "record") => {
                        if let Some(r) = row.take() {
                            if r.ip.is_empty() {
                                out.warn(
                                    format!("record {}", out.records),
                                    "record without a source IP skipped",
                                );
                                continue;
                            }
                            let s = sources.entry(r.ip.clone()).or_insert_with(|| DmarcSource {
                                source_ip: r.ip.clone(),
                                ..DmarcSource::default()
                            });
                            s.count += r.count;
                            match r.spf {
                                Some(true) => s.spf_pass += r.count,
                                _ => s.spf_fail += r.count,
                            }
                            match r.dkim {
                                Some(true) => s.dkim_pass += r.count,
                                _ => s.dkim_fail += r.count,
                            }
                            if r.spf != Some(true) && r.dkim != Some(true) {
                                s.fails_both = true;
                            }
                            let d = if r.disposition.is_empty() {
                                "unknown".to_owned()
                            } else {
                                r.disposition
                            };
                            *s.disposition.entry(d).or_default() += r.count;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    summary.sources = sources.into_values().collect();
    out.dmarc = Some(summary);
    Ok(())
}
