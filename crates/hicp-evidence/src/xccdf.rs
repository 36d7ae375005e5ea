//! XCCDF 1.1 and 1.2 results (a TestResult alone, inside a Benchmark, or inside an ARF
//! asset report collection). Each rule-result is one compliance record; rules that an mSCP
//! baseline maps to HICP carry their sub-practice ids.

use crate::input::Out;
use crate::model::{Compliance, RuleResult};
use crate::xml::{Ev, Xml, attr, stop};
use crate::{Error, mapping};
use std::io::BufRead;

pub(crate) fn read<R: BufRead>(input: R, out: &mut Out) -> Result<(), Error> {
    let mut xml = Xml::new(input);
    let mut rule: Option<(String, bool)> = None;
    let mut result: Option<RuleResult> = None;
    let mut version = None;
    let mut arf = false;
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
                "asset-report-collection" => arf = true,
                "Benchmark" | "TestResult" if version.is_none() => {
                    let ns = attr(&attrs, "xmlns")
                        .or_else(|| attr(&attrs, "cdf"))
                        .unwrap_or("");
                    version = if ns.contains("1.2") {
                        Some("1.2")
                    } else if ns.contains("1.1") {
                        Some("1.1")
                    } else {
                        None
                    };
                    if name == "TestResult" {
                        set_generated(&attrs, out);
                    }
                }
                "TestResult" => set_generated(&attrs, out),
                "rule-result" => {
                    out.records += 1;
                    let idref = attr(&attrs, "idref").unwrap_or_default().to_owned();
                    if idref.is_empty() {
                        out.warn(
                            format!("rule-result {} ({})", out.records, xml.at()),
                            "rule-result without an idref",
                        );
                    }
                    rule = Some((idref, false));
                    result = None;
                }
                _ => {}
            },
            Ev::End { name, text } => match name.as_str() {
                "result" if rule.is_some() => result = Some(RuleResult::from_word(&text)),
                "rule-result" => {
                    if let Some((id, exempt)) = rule.take() {
                        let hicp = mapping::hicp_of_rule(&id);
                        out.compliance.push(Compliance {
                            rule: id,
                            result: result.take().unwrap_or(RuleResult::Unknown),
                            hicp,
                            exempt,
                        });
                    }
                }
                _ => {}
            },
        }
    }
    out.scanner = match (arf, version) {
        (true, _) => "XCCDF results in ARF".into(),
        (false, Some(v)) => format!("XCCDF {v} TestResult"),
        (false, None) => "XCCDF TestResult".into(),
    };
    if out.records == 0 {
        out.warn(
            "file",
            "no rule-result found: this XCCDF file holds no results",
        );
    }
    Ok(())
}

fn set_generated(attrs: &[(String, String)], out: &mut Out) {
    if out.generated.is_none() {
        out.generated = attr(attrs, "end-time")
            .or_else(|| attr(attrs, "start-time"))
            .map(str::to_owned);
    }
}
