//! The JSON of `hicp assess`, `hicp plan` and `hicp assess --explain`: an interface for
//! scripts, documented in `docs/scoring.md`. Scores have one decimal, plan figures two.
//!
//! The shapes are built as `serde_json::Value`, whose objects keep their keys sorted: the
//! printed key order is alphabetical, as it has always been.

use crate::assessment::{Assessed, two_places};
use hicp_core::assessment::explain::Explanation;
use hicp_core::assessment::findings::FindingsPlan;
use hicp_core::assessment::plan::PlanItem;
use hicp_core::assessment::readiness::Readiness;
use hicp_core::assessment::scoring::{CsfLevel, MappedScore, round1};
use serde_json::{Value, json};

fn score(s: Option<f64>) -> Value {
    s.map_or(Value::Null, |v| json!(round1(v)))
}

fn mapped(m: &MappedScore) -> Value {
    json!({
        "id": m.id,
        "name": m.name,
        "status": m.status.name(),
        "score": score(m.score),
        "sub_practices": m.sub_practices.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
    })
}

/// Everything `hicp assess` reports: the organization, its tier and why, every score and the
/// 12-month check of recognized security practices.
pub fn assessment(a: &Assessed) -> Value {
    let (c, s, r) = (a.catalog, &a.scores, &a.rsp);
    let p = &a.answers.profile;
    json!({
        "as_of": r.as_of.to_string(),
        "catalog": c.meta.id,
        "organization": {
            "name": p.name, "type": p.org_type.map(|t| t.name()), "physicians": p.physicians,
            "staffed_beds": p.staffed_beds, "workforce": p.workforce, "it_assets": p.it_assets,
            "it_staff": p.it_staff, "security_staff": p.security_staff, "sites": p.sites,
        },
        "tier": a.answers.tier.name(),
        "tier_source": a.tier_source(),
        "sizing": a.answers.sizing.explanation,
        "opt_in": a.answers.opt_in.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
        "overall": score(s.overall),
        "threats": s.threats.iter().map(|t| json!({
            "id": t.id, "number": t.number, "name": t.name, "weight": t.weight, "score": score(t.score),
        })).collect::<Vec<_>>(),
        "practices": s.practices.iter().map(|p| json!({
            "id": format!("P{}", p.number), "number": p.number, "name": p.name, "score": score(p.score),
        })).collect::<Vec<_>>(),
        "sub_practices": s.sub_practices.iter().map(|x| json!({
            "id": x.id.as_str(), "practice": x.practice, "title": x.title, "opted_in": x.opted_in,
            "score": score(x.score),
            "criteria": x.criteria.iter().map(|cr| {
                let mut v = json!({"id": cr.id, "status": cr.status.name(), "score": score(cr.score)});
                if let Some(reason) = &cr.reason {
                    v["reason"] = json!(reason);
                }
                v
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "csf": s.csf.iter().map(|x| json!({
            "id": x.id, "name": x.name,
            "level": match x.level { CsfLevel::Function => "function", CsfLevel::Category => "category" },
            "score": score(x.score),
            "sub_practices": x.sub_practices.iter().map(|y| y.as_str()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "cpg": s.cpg.iter().map(mapped).collect::<Vec<_>>(),
        "hipaa": s.hipaa.iter().map(mapped).collect::<Vec<_>>(),
        "rsp": r.sub_practices.iter().map(|x| json!({
            "id": x.sub_practice.as_str(),
            "in_place_12_months": x.in_place_12_months,
            "since": x.since.map(|d| d.to_string()),
            "qualifies_on": x.qualifies_on.map(|d| d.to_string()),
            "notes": x.notes,
        })).collect::<Vec<_>>(),
        "rsp_practices": r.practices_qualifying,
    })
}

/// The action plan of `hicp plan`: an array, in rank order.
pub fn plan(a: &Assessed) -> Value {
    Value::Array(a.plan.iter().map(plan_item).collect())
}

fn plan_item(i: &PlanItem) -> Value {
    json!({
        "rank": i.rank,
        "sub_practice": i.sub_practice.as_str(),
        "title": i.title,
        "action": i.action.as_str(),
        "text": i.text,
        "then": i.then.iter().map(|(id, t)| json!({"id": id.as_str(), "text": t})).collect::<Vec<_>>(),
        "effort": i.effort.name(),
        "cost": i.cost,
        "horizon": i.horizon.name(),
        "score": round1(i.score),
        "gain": two_places(i.gain),
        "key_threats": i.key_threats.iter().map(|(t, c)| json!({"threat": t, "credit": two_places(*c)})).collect::<Vec<_>>(),
        "key_threats_provenance": "derived",
        "reduction": two_places(i.reduction),
        "priority": two_places(i.priority),
        "threat_gains": i.threat_gains.iter().map(|(t, g)| json!({"threat": t, "gain": two_places(*g)})).collect::<Vec<_>>(),
        "unmet": i.unmet.iter().map(|(c, s)| json!({"id": c, "status": s.name()})).collect::<Vec<_>>(),
        "after": i.after.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "why": i.why,
    })
}

/// The findings part of the plan (`hicp plan --findings`, the API's `plan/findings`): open
/// scan findings that CISA lists as known exploited or that are past HICP Table 8's
/// data-center timeframe, first to fix first.
pub fn findings(p: &FindingsPlan) -> Value {
    let days: serde_json::Map<String, Value> = p
        .timeframes
        .all()
        .iter()
        .map(|(s, d)| (s.name().to_owned(), json!(d)))
        .collect();
    let date = |d: Option<hicp_core::assessment::Date>| d.map(|d| d.to_string());
    json!({
        "as_of": p.as_of.to_string(),
        "timeframes": {"source": p.timeframes.source, "column": "data center", "days": days},
        "open": p.open,
        "kev": p.kev,
        "overdue": p.overdue,
        "undated": p.undated,
        "summary": p.summary(),
        "items": p.items.iter().map(|r| {
            let f = &r.finding;
            json!({
                "rank": r.rank,
                "host": f.host,
                "port": f.port,
                "protocol": f.protocol,
                "title": f.title,
                "severity": f.severity.name(),
                "cves": f.cves,
                "kev": f.kev,
                "first_seen": date(f.first_seen),
                "last_seen": date(f.last_seen),
                "fix_published": date(f.fix_published),
                "source": f.source,
                "timeframe_days": r.timeframe,
                "due_on": date(r.due_on),
                "days_overdue": r.days_late.map(|d| d.max(0)),
                "overdue": r.overdue(),
                "why": r.why,
            })
        }).collect::<Vec<_>>(),
    })
}

/// How one score was reached (`hicp assess --explain ID`).
pub fn explanation(e: &Explanation) -> Value {
    json!({"id": e.id, "title": e.title, "score": score(e.score), "lines": e.lines})
}

/// The readiness view for the HIPAA Security Rule changes proposed in January 2025
/// (`hicp assess --nprm`, the web app's readiness page): a derived view of a proposed rule,
/// labelled so. `None` when the catalog has no proposed rule. See docs/nprm-readiness.md.
pub fn readiness(a: &Assessed) -> Option<Value> {
    let v = hicp_core::assessment::readiness::readiness(a.catalog, a.answers)?;
    let counts: serde_json::Map<String, Value> = Readiness::ALL
        .iter()
        .map(|r| (r.name().to_owned(), json!(v.count(*r))))
        .collect();
    Some(json!({
        "view": "derived",
        "label": READINESS_LABEL,
        "as_of": a.as_of.to_string(),
        "tier": a.answers.tier.name(),
        "rule": {
            "title": v.rule.title,
            "citation": v.rule.citation,
            "status": v.rule.status,
        },
        "counts": counts,
        "requirements": v.requirements.iter().map(|r| {
            let q = r.requirement;
            json!({
                "id": q.id,
                "title": q.title,
                "summary": q.summary,
                "source": q.source,
                "provenance": q.provenance.name(),
                "readiness": r.readiness.name(),
                "also_check": q.also_check,
                "criteria": r.criteria.iter().map(|c| json!({
                    "id": c.id.as_str(),
                    "shows": if c.full { "all" } else { "part" },
                    "status": c.status.map(|s| s.name()),
                })).collect::<Vec<_>>(),
            })
        }).collect::<Vec<_>>(),
    }))
}

/// How every output labels the readiness view.
pub const READINESS_LABEL: &str = "Our derived view of a proposed rule, not HHS's: which of the \
     HIPAA Security Rule changes HHS proposed in January 2025 your answers already cover. The \
     proposal is not in force and may change; this is not a compliance determination.";
