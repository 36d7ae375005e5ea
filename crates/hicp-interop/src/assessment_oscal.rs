//! An assessment as OSCAL 1.2.3: a minimal assessment plan (the sub-practices in scope, as
//! controls of the HICP catalog from `hicp catalog export --format oscal`), assessment results
//! (one finding per sub-practice in scope, observations from the answers and their evidence,
//! evidence on file for criteria not answered yet included; one observation and one finding
//! per ranked open scan finding when the export has them; importing the plan) and a plan of
//! action and milestones (one item per open action of the plan, with its deadline and
//! status).
//!
//! UUIDs are v5, derived from the organization, the assessment date and the thing they name,
//! so the same answers file and date always give the same documents, and the results can name
//! the plan's UUID without reading it.

use crate::assessment::{Assessed, deadline};
use crate::findings::finding_row;
use crate::oscal::{NS, OSCAL_VERSION, control_id, stamp};
use hicp_core::assessment::Status;
use hicp_core::assessment::findings::{FindingsPlan, TIMEFRAMES_PARAMETER};
use hicp_core::assessment::scoring::round1;
use hicp_core::catalog::SubPractice;
use serde_json::{Value, json};
use uuid::Uuid;

/// Fixed namespace for the v5 UUIDs of assessment documents.
const UUID_NS: Uuid = Uuid::from_u128(0x2c4e_91d0_7b5a_4f3e_8d61_0a9f_5e3b_7c24);

fn uuid(a: &Assessed, what: &str) -> String {
    let key = format!("{}|{}|{}", a.org_name(), a.as_of, what);
    Uuid::new_v5(&UUID_NS, key.as_bytes()).to_string()
}

/// A one-line OSCAL title: no line breaks, never empty.
fn line(s: &str) -> String {
    let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() {
        "(untitled)".to_owned()
    } else {
        t
    }
}

/// A prop in our namespace. OSCAL prop values may not be empty or start or end with space.
fn prop(name: &str, value: &str) -> Option<Value> {
    let v = value.trim();
    (!v.is_empty()).then(|| json!({"name": name, "ns": NS, "value": v}))
}

fn metadata(a: &Assessed, title: &str, remarks: &str) -> Value {
    json!({
        "title": title,
        "last-modified": stamp(a.as_of),
        "version": a.as_of.to_string(),
        "oscal-version": OSCAL_VERSION,
        "parties": [{
            "uuid": uuid(a, "party"),
            "type": "organization",
            "name": a.org_name(),
        }],
        "remarks": remarks,
    })
}

fn reviewed_controls(a: &Assessed) -> Value {
    let controls: Vec<Value> = a
        .answers
        .scope(a.catalog)
        .iter()
        .map(|sp| json!({"control-id": control_id(sp.id.as_str())}))
        .collect();
    json!({
        "description": format!(
            "The {} sub-practices of HICP ({}) in scope for a {} organization: those of its tier plus those it opted in to.",
            controls.len(),
            a.catalog.meta.title,
            a.answers.tier
        ),
        "control-selections": [{"include-controls": controls}],
    })
}

/// The UUID of the assessment plan, which the results import.
pub fn plan_uuid(a: &Assessed) -> String {
    uuid(a, "assessment-plan")
}

/// A minimal OSCAL assessment plan. `ssp_href` names what stands for the system security
/// plan (HICP Toolkit has none; the CLI passes the answers file).
pub fn assessment_plan(a: &Assessed, ssp_href: &str) -> Value {
    json!({"assessment-plan": {
        "uuid": plan_uuid(a),
        "metadata": metadata(
            a,
            &format!("HICP self-assessment plan: {}", a.org_name()),
            "A self-assessment against the Health Industry Cybersecurity Practices (HICP 2023), made with HICP Toolkit. The controls are those of the HICP catalog in OSCAL (hicp catalog export --format oscal).",
        ),
        "import-ssp": {
            "href": ssp_href,
            "remarks": "HICP Toolkit does not write a system security plan; the organization's answers file stands in for it.",
        },
        "reviewed-controls": reviewed_controls(a),
        "tasks": [{
            "uuid": uuid(a, "task"),
            "type": "action",
            "title": "Answer every assessment criterion of the sub-practices in scope, with owners, dates and evidence",
        }],
    }})
}

/// OSCAL assessment results: one finding per sub-practice in scope, importing the plan at
/// `ap_href` (write it with [`assessment_plan`]).
pub fn assessment_results(a: &Assessed, ap_href: &str) -> Value {
    let mut observations = Vec::new();
    let mut findings = Vec::new();
    for sp in a.answers.scope(a.catalog) {
        let sc = a.scores.sub_practice(sp.id.as_str());
        let score = sc.and_then(|s| s.score);
        let mut related = Vec::new();
        // What the organization answered, criterion by criterion.
        let lines: Vec<String> = sp
            .criteria
            .iter()
            .map(|c| {
                let ans = a.answers.answer(c.id.as_str());
                let mut l = format!("{}: {}", c.id, ans.status);
                if let Some(r) = &ans.reason {
                    l.push_str(&format!(" ({r})"));
                }
                if let Some(n) = &ans.notes {
                    l.push_str(&format!(". {n}"));
                }
                l
            })
            .collect();
        let answers_uuid = uuid(a, &format!("observation|{}", sp.id));
        observations.push(json!({
            "uuid": answers_uuid,
            "title": format!("Self-assessment answers for {}", sp.id),
            "description": lines.join("\n\n"),
            "methods": ["INTERVIEW"],
            "types": ["control-objective"],
            "collected": stamp(a.as_of),
        }));
        related.push(json!({"observation-uuid": answers_uuid}));
        // One observation per piece of evidence on file, also on a criterion not answered
        // yet (an import files a scan before anyone answers): said so, never read as an
        // answer.
        for c in &sp.criteria {
            let ans = a.answers.answer(c.id.as_str());
            let answered = a.answers.is_answered(c.id.as_str());
            for (n, e) in a.answers.evidence_on_file(c.id.as_str()).iter().enumerate() {
                let id = uuid(a, &format!("evidence|{}|{n}", c.id));
                let status = if answered {
                    ans.status.to_string()
                } else {
                    "not answered yet".to_owned()
                };
                let mut props = vec![prop("criterion", c.id.as_str())];
                if !answered {
                    props.push(prop("answered", "no"));
                }
                let mut o = json!({
                    "uuid": id,
                    "title": line(&e.title),
                    "description": format!("Evidence for {} ({status}): {}", c.id, e.title),
                    "props": props,
                    "methods": ["EXAMINE"],
                    "types": ["control-objective"],
                    "relevant-evidence": [{
                        "description": e.location.clone().unwrap_or_else(|| "Location not recorded".to_owned()),
                    }],
                    "collected": stamp(e.collected.unwrap_or(a.as_of)),
                });
                if e.collected.is_none() {
                    o["remarks"] =
                        json!("No collection date was recorded; the assessment date is shown.");
                }
                if let Some(u) = e.valid_until {
                    o["expires"] = json!(stamp(u));
                }
                observations.push(o);
                related.push(json!({"observation-uuid": id}));
            }
        }
        let implemented = match score {
            None => "not-applicable",
            Some(s) if s >= 100.0 => "implemented",
            Some(s) if s > 0.0 => "partial",
            Some(_) => "planned",
        };
        let mut status = json!({"state": if score.is_none_or(|s| s >= 100.0) { "satisfied" } else { "not-satisfied" }});
        if score.is_none() {
            status["reason"] = json!("other");
            status["remarks"] = json!("Every criterion is not applicable.");
        }
        let rsp = a.rsp.sub_practices.iter().find(|r| r.sub_practice == sp.id);
        let props: Vec<Value> = [
            prop(
                "score",
                &score.map_or("not scored".to_owned(), |s| format!("{}", round1(s))),
            ),
            prop("tier", sp.tier.name()),
            prop(
                "in-place-12-months",
                if rsp.is_some_and(|r| r.in_place_12_months) {
                    "yes"
                } else {
                    "no"
                },
            ),
            rsp.and_then(|r| r.since)
                .and_then(|d| prop("in-place-since", &d.to_string())),
        ]
        .into_iter()
        .flatten()
        .collect();
        let statuses: Vec<Status> = sp
            .criteria
            .iter()
            .map(|c| a.answers.status(c.id.as_str()))
            .collect();
        findings.push(json!({
            "uuid": uuid(a, &format!("finding|{}", sp.id)),
            "title": line(&format!("{} {}", sp.id, sp.title)),
            "description": format!(
                "Score {} of 100: {} of {} applicable criteria implemented.",
                score.map_or("n/a".to_owned(), |s| format!("{}", round1(s))),
                statuses.iter().filter(|s| **s == Status::Implemented).count(),
                statuses.iter().filter(|s| **s != Status::NotApplicable).count(),
            ),
            "props": props,
            "target": {
                "type": "statement-id",
                "target-id": format!("{}_smt", control_id(sp.id.as_str())),
                "status": status,
                "implementation-status": {"state": implemented},
            },
            "related-observations": related,
        }));
    }
    if let Some(p) = &a.findings {
        scan_findings(a, p, &mut observations, &mut findings);
    }
    json!({"assessment-results": {
        "uuid": uuid(a, "assessment-results"),
        "metadata": metadata(
            a,
            &format!("HICP self-assessment results: {}", a.org_name()),
            "Self-assessment answers, scored by HICP Toolkit (docs/scoring.md). Scores and the 12-month check are the toolkit's method, not HHS's.",
        ),
        "import-ap": {
            "href": ap_href,
            "remarks": format!("The assessment plan {}.", plan_uuid(a)),
        },
        "results": [{
            "uuid": uuid(a, "result"),
            "title": format!("HICP self-assessment as of {}", a.as_of),
            "description": format!(
                "Overall score {} of 100 for a {} organization.",
                a.scores.overall.map_or("n/a".to_owned(), |s| format!("{}", round1(s))),
                a.answers.tier
            ),
            "start": stamp(a.as_of),
            "reviewed-controls": reviewed_controls(a),
            "observations": observations,
            "findings": findings,
        }],
    }})
}

/// The sub-practice a scan finding bears on: the first in scope that takes HICP Table 8's
/// remediation timeframes (vulnerability management), else the first in the catalog that does.
fn vulnerability_sub_practice<'c>(a: &Assessed<'c>) -> Option<&'c SubPractice> {
    let takes = |sp: &&SubPractice| sp.parameters.iter().any(|p| p == TIMEFRAMES_PARAMETER);
    a.answers
        .scope(a.catalog)
        .into_iter()
        .find(takes)
        .or_else(|| a.catalog.sub_practices.iter().find(takes))
}

/// The ranked open scan findings (KEV-listed first, then most overdue): one observation each
/// (what the scanner saw, method TEST) and one finding each, on the vulnerability-management
/// sub-practice, not satisfied, with its rank, KEV flag and days overdue as props.
fn scan_findings(
    a: &Assessed,
    p: &FindingsPlan,
    observations: &mut Vec<Value>,
    findings: &mut Vec<Value>,
) {
    let target = vulnerability_sub_practice(a);
    for r in &p.items {
        let f = &r.finding;
        let row = finding_row(r);
        // Rank and host name it: the same findings on the same day give the same UUIDs.
        let key = format!("{}|{}|{}|{}", r.rank, row.host, f.title, row.cves);
        let obs_uuid = uuid(a, &format!("scan-observation|{key}"));
        let days_overdue = r.days_late.filter(|d| *d > 0);
        let mut props: Vec<Value> = [
            prop("scan-rank", &r.rank.to_string()),
            prop("host", &f.host),
            f.port.and_then(|port| prop("port", &port.to_string())),
            f.protocol.as_deref().and_then(|x| prop("protocol", x)),
            prop("severity", f.severity.name()),
            prop("kev", if f.kev { "yes" } else { "no" }),
            days_overdue.and_then(|d| prop("days-overdue", &d.to_string())),
            r.due_on.and_then(|d| prop("due-on", &d.to_string())),
            f.since().and_then(|d| prop("since", &d.to_string())),
            prop("scanner", &f.source),
        ]
        .into_iter()
        .flatten()
        .collect();
        props.extend(f.cves.iter().filter_map(|c| prop("cve", c)));
        let mut o = json!({
            "uuid": obs_uuid,
            "title": line(&format!("{} on {}", f.title, row.host)),
            "description": format!(
                "Open {} finding on {}{}: {}. {}",
                f.severity.name(),
                row.host,
                if row.cves.is_empty() { String::new() } else { format!(" ({})", row.cves) },
                line(&f.title),
                r.why
            ),
            "props": props,
            "methods": ["TEST"],
            "types": ["finding"],
            "collected": stamp(f.last_seen.unwrap_or(p.as_of)),
        });
        if f.last_seen.is_none() {
            o["remarks"] = json!(
                "The scan gives no date it last saw this finding; the date of the ranking is shown."
            );
        }
        observations.push(o);
        let Some(sp) = target else {
            continue;
        };
        let finding_props: Vec<Value> = [
            prop("scan-rank", &r.rank.to_string()),
            prop("kev", if f.kev { "yes" } else { "no" }),
            days_overdue.and_then(|d| prop("days-overdue", &d.to_string())),
            r.timeframe
                .and_then(|d| prop("timeframe-days", &d.to_string())),
        ]
        .into_iter()
        .flatten()
        .collect();
        findings.push(json!({
            "uuid": uuid(a, &format!("scan-finding|{key}")),
            "title": line(&format!(
                "{}{} on {}: {}",
                if f.kev { "Known exploited " } else { "" },
                f.severity.name(),
                row.host,
                f.title
            )),
            "description": format!("{} ({} {}.)", r.why, sp.id, sp.title),
            "props": finding_props,
            "target": {
                "type": "statement-id",
                "target-id": format!("{}_smt", control_id(sp.id.as_str())),
                "status": {"state": "not-satisfied"},
            },
            "related-observations": [{"observation-uuid": obs_uuid}],
        }));
    }
}

/// An OSCAL plan of action and milestones: one item per open action of the plan, with a risk
/// that carries its status (`open`) and deadline (the end of its horizon).
pub fn poam(a: &Assessed) -> Value {
    let mut risks = Vec::new();
    let mut items = Vec::new();
    for i in &a.plan {
        let due = deadline(a.as_of, i.horizon);
        let risk_uuid = uuid(a, &format!("risk|{}", i.sub_practice));
        let open: Vec<String> = i.unmet.iter().map(|(c, s)| format!("{c} {s}")).collect();
        risks.push(json!({
            "uuid": risk_uuid,
            "title": line(&format!("{} {} scores {} of 100", i.sub_practice, i.title, round1(i.score))),
            "description": format!("Open criteria: {}.", if open.is_empty() { "none".to_owned() } else { open.join(", ") }),
            "statement": i.why,
            "status": "open",
            "deadline": stamp(due),
            "remediations": [{
                "uuid": uuid(a, &format!("response|{}", i.sub_practice)),
                "lifecycle": "planned",
                "title": line(&format!("{}: {}", i.action, i.text)),
                "description": format!("{} Effort {}; cost {}.", i.text, i.effort.name(), i.cost),
                "tasks": [{
                    "uuid": uuid(a, &format!("milestone|{}", i.sub_practice)),
                    "type": "milestone",
                    "title": format!("{} done ({})", i.action, i.horizon.label()),
                    "timing": {"on-date": {"date": stamp(due)}},
                }],
            }],
        }));
        let owners = a.owners(i.sub_practice.as_str()).join("; ");
        let props: Vec<Value> = [
            prop("rank", &i.rank.to_string()),
            prop("sub-practice", i.sub_practice.as_str()),
            prop("horizon", i.horizon.name()),
            prop("effort", i.effort.name()),
            prop("priority", &format!("{:.2}", i.priority)),
            prop("gain", &format!("{:.2}", i.gain)),
            prop("owner", &owners),
        ]
        .into_iter()
        .flatten()
        .collect();
        items.push(json!({
            "uuid": uuid(a, &format!("poam-item|{}", i.sub_practice)),
            "title": line(&format!("{}. {} {}", i.rank, i.sub_practice, i.text)),
            "description": format!("Due {due}. {}", i.why),
            "props": props,
            "related-risks": [{"risk-uuid": risk_uuid}],
        }));
    }
    if items.is_empty() {
        // OSCAL wants at least one item; say plainly that nothing is open.
        items.push(json!({
            "uuid": uuid(a, "poam-item|none"),
            "title": "No open actions",
            "description": "Every sub-practice in scope is implemented; the plan has no gaps.",
        }));
    }
    let mut doc = json!({
        "uuid": uuid(a, "poam"),
        "metadata": metadata(
            a,
            &format!("HICP action plan: {}", a.org_name()),
            "The prioritized action plan of HICP Toolkit (docs/scoring.md): one item per gap, due at the end of its horizon (30 days, 90 days, 12 months from the assessment date).",
        ),
        "system-id": {"identifier-type": "https://ietf.org/rfc/rfc4122", "id": uuid(a, "system")},
        "poam-items": items,
    });
    if !risks.is_empty() {
        doc["risks"] = Value::Array(risks);
    }
    json!({"plan-of-action-and-milestones": doc})
}
