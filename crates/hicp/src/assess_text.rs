//! `hicp assess` and `hicp plan` for people: plain-text tables for the terminal, or Markdown.
//! Scripts get JSON and CSV from hicp-interop instead.

use crate::text::wrap;
use comfy_table::{ContentArrangement, Table, presets};
use hicp_core::assessment::plan::{
    CAPACITY_30_DAYS, CAPACITY_90_DAYS, ESSENTIAL_BOOST, Horizon, KEY_CREDIT,
};
use hicp_core::assessment::scoring::{CsfLevel, MappedScore, show};
use hicp_interop::assessment::Assessed;
use std::fmt::Write as _;

pub(crate) const WIDTH: usize = 96;

pub(crate) fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::ASCII_MARKDOWN)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    t
}

/// HPH CPG goals or HIPAA standards: id, name, how well they are met, score.
fn mapped_table<'a>(kind: &str, rows: impl Iterator<Item = &'a MappedScore>) -> Table {
    let mut t = table(&[kind, "name", "status", "score"]);
    for m in rows {
        t.add_row([
            m.id.clone(),
            m.name.clone(),
            m.status.name().to_owned(),
            show(m.score),
        ]);
    }
    t
}

fn heading(out: &mut String, md: bool, title: &str) {
    if md {
        let _ = writeln!(out, "\n## {title}\n");
    } else {
        let _ = writeln!(out, "\n{title}\n{}", "-".repeat(title.chars().count()));
    }
}

pub(crate) fn assess_text(assessed: &Assessed, md: bool) -> String {
    let (c, a, s, r) = (
        assessed.catalog,
        assessed.answers,
        &assessed.scores,
        &assessed.rsp,
    );
    let mut out = String::new();
    let name = a.profile.name.as_deref().unwrap_or("Unnamed organization");
    if md {
        let _ = writeln!(out, "# HICP self-assessment: {name}\n");
    } else {
        let _ = writeln!(out, "HICP self-assessment: {name}");
    }
    // Markdown needs two trailing spaces for a line break inside a paragraph.
    let br = if md { "  " } else { "" };
    let _ = writeln!(
        out,
        "Assessed as of {} against {}.{br}",
        r.as_of, c.meta.title
    );
    if a.sizing.tier.is_some() {
        let _ = writeln!(
            out,
            "Tier: {} ({}). Sizing: {}.{br}",
            a.tier,
            assessed.tier_source(),
            a.sizing.explanation
        );
    } else {
        let _ = writeln!(
            out,
            "Tier: {} ({}; no sizing questions answered).{br}",
            a.tier,
            assessed.tier_source()
        );
    }
    if !a.opt_in.is_empty() {
        let ids: Vec<&str> = a.opt_in.iter().map(|x| x.as_str()).collect();
        let _ = writeln!(out, "Opted in: {}.", ids.join(", "));
    }
    let _ = writeln!(out, "\nOverall score: {} / 100", show(s.overall));

    heading(&mut out, md, "Threats");
    let mut t = table(&["threat", "name", "weight", "score"]);
    for x in &s.threats {
        t.add_row([
            format!("T{}", x.number),
            x.name.clone(),
            format!("{}", x.weight),
            show(x.score),
        ]);
    }
    let _ = writeln!(out, "{t}");

    heading(&mut out, md, "Practices");
    let mut t = table(&["practice", "name", "score", "sub-practices"]);
    for p in &s.practices {
        let subs: Vec<String> = p
            .sub_practices
            .iter()
            .map(|(id, sc)| format!("{id} {}", show(*sc)))
            .collect();
        t.add_row([
            format!("P{}", p.number),
            p.name.clone(),
            show(p.score),
            subs.join(", "),
        ]);
    }
    let _ = writeln!(out, "{t}");

    heading(&mut out, md, "Not applicable (left out of the scores)");
    let mut any = false;
    for sp in &s.sub_practices {
        for cr in sp.criteria.iter().filter(|cr| cr.score.is_none()) {
            any = true;
            let _ = writeln!(out, "- {}: {}", cr.id, cr.reason.as_deref().unwrap_or(""));
        }
    }
    if !any {
        let _ = writeln!(out, "none");
    }

    heading(
        &mut out,
        md,
        "NIST CSF 2.0 coverage (functions; mapping derived)",
    );
    let mut t = table(&["function", "name", "score", "categories covered"]);
    for f in s.csf.iter().filter(|x| x.level == CsfLevel::Function) {
        t.add_row([
            f.id.clone(),
            f.name.clone(),
            show(f.score),
            s.csf_categories_covered(&f.id),
        ]);
    }
    let _ = writeln!(out, "{t}");

    heading(
        &mut out,
        md,
        "HPH Cybersecurity Performance Goals (our mapping)",
    );
    let t = mapped_table("goal", s.cpg.iter());
    let _ = writeln!(out, "{t}");

    heading(&mut out, md, "HIPAA Security Rule standards (our mapping)");
    let t = mapped_table(
        "standard",
        s.hipaa.iter().filter(|h| !h.sub_practices.is_empty()),
    );
    let _ = writeln!(out, "{t}");
    let not_mapped = s
        .hipaa
        .iter()
        .filter(|h| h.sub_practices.is_empty())
        .count();
    let _ = writeln!(
        out,
        "{not_mapped} of {} standards are not addressed by the sub-practices in scope.",
        s.hipaa.len()
    );

    heading(
        &mut out,
        md,
        "Recognized security practices (in place 12 months, Public Law 116-321)",
    );
    let mut t = table(&[
        "sub-practice",
        "in place since",
        "12 months on",
        "qualifies today",
        "notes",
    ]);
    for x in &r.sub_practices {
        t.add_row([
            x.sub_practice.to_string(),
            x.since.map_or("-".into(), |d| d.to_string()),
            x.qualifies_on.map_or("-".into(), |d| d.to_string()),
            if x.in_place_12_months { "yes" } else { "no" }.to_owned(),
            x.notes.join("; "),
        ]);
    }
    let _ = writeln!(out, "{t}");
    let q: Vec<String> = r
        .practices_qualifying
        .iter()
        .map(|p| format!("P{p}"))
        .collect();
    let _ = writeln!(
        out,
        "Practices fully in place for 12 months as of {}: {}.",
        r.as_of,
        if q.is_empty() {
            "none".to_owned()
        } else {
            q.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "\nHow a score was reached: hicp assess FILE --explain ID (for example --explain overall)."
    );
    out
}

pub(crate) fn plan_text(assessed: &Assessed, md: bool) -> String {
    let (a, s, items) = (assessed.answers, &assessed.scores, &assessed.plan);
    let mut out = String::new();
    let name = a.profile.name.as_deref().unwrap_or("Unnamed organization");
    if md {
        let _ = writeln!(out, "# HICP action plan: {name}\n");
    } else {
        let _ = writeln!(out, "HICP action plan: {name}");
    }
    let _ = writeln!(
        out,
        "{} actions for a {} organization (overall score now {}). Ranked by expected risk reduction: the overall points each gap adds, plus {:.0}% of its open points on each threat it is a key control against (our judgement), weighted; x{ESSENTIAL_BOOST} when it serves an HPH CPG essential goal; per unit of effort (low 1, medium 2, high 4); prerequisites first. Scheduled by effort, at most {CAPACITY_30_DAYS} actions in 30 days and {CAPACITY_90_DAYS} in 90. See docs/scoring.md.",
        items.len(),
        a.tier,
        show(s.overall),
        KEY_CREDIT * 100.0
    );
    if items.is_empty() {
        let _ = writeln!(
            out,
            "\nNo gaps: every sub-practice in scope is implemented."
        );
        return out;
    }
    heading(&mut out, md, "By horizon");
    for h in Horizon::ALL {
        let mine: Vec<String> = items
            .iter()
            .filter(|i| i.horizon == h)
            .map(|i| format!("{}. {}", i.rank, i.sub_practice))
            .collect();
        if mine.is_empty() {
            continue;
        }
        if md {
            let _ = writeln!(out, "- {}: {}", h.label(), mine.join(", "));
        } else {
            // Break between entries only, so a rank stays with its sub-practice.
            let mut line = format!("{}:", h.label());
            for (n, m) in mine.iter().enumerate() {
                let sep = if n + 1 < mine.len() { "," } else { "" };
                if line.chars().count() + 1 + m.chars().count() + sep.len() > WIDTH {
                    let _ = writeln!(out, "{line}");
                    line = format!("  {m}{sep}");
                } else {
                    line.push_str(&format!(" {m}{sep}"));
                }
            }
            let _ = writeln!(out, "{line}");
        }
    }
    heading(&mut out, md, "Actions, most important first");
    {
        for i in items {
            if md {
                let _ = writeln!(
                    out,
                    "{}. **{} {}** ({}, {} effort, +{:.1} overall)",
                    i.rank,
                    i.sub_practice,
                    i.title,
                    i.horizon.label().to_lowercase(),
                    i.effort.name(),
                    i.gain
                );
                let _ = writeln!(out, "   - Do: {} ({})", i.text, i.cost);
                for (id, t) in &i.then {
                    let _ = writeln!(out, "   - Then ({id}): {t}");
                }
                let _ = writeln!(out, "   - Why: {}", i.why);
            } else {
                let _ = writeln!(
                    out,
                    "{:>3}. {} {}  [{}, {} effort, +{:.1} overall]",
                    i.rank,
                    i.sub_practice,
                    i.title,
                    i.horizon.label().to_lowercase(),
                    i.effort.name(),
                    i.gain
                );
                let _ = writeln!(
                    out,
                    "     Do:   {}",
                    wrap(&format!("{} ({})", i.text, i.cost), WIDTH, 11)
                );
                if !i.then.is_empty() {
                    let then: Vec<&str> = i.then.iter().map(|(id, _)| id.as_str()).collect();
                    let _ = writeln!(out, "     Then: {}", wrap(&then.join(", "), WIDTH, 11));
                }
                let _ = writeln!(out, "     Why:  {}", wrap(&i.why, WIDTH, 11));
            }
        }
    }
    out
}

/// `hicp assess --nprm`: readiness for the HIPAA Security Rule changes proposed in January 2025,
/// labelled as our derived view of a proposed rule. `None` when the catalog has none.
pub(crate) fn readiness_text(assessed: &Assessed, md: bool) -> Option<String> {
    use hicp_core::assessment::readiness::{Readiness, readiness};
    let v = readiness(assessed.catalog, assessed.answers)?;
    let mut out = String::new();
    let name = assessed
        .answers
        .profile
        .name
        .as_deref()
        .unwrap_or("Unnamed organization");
    let title = format!("Proposed HIPAA Security Rule changes: readiness of {name}");
    if md {
        let _ = writeln!(out, "# {title}\n");
    } else {
        let _ = writeln!(out, "{title}\n{}", "=".repeat(title.chars().count()));
    }
    let label = hicp_interop::assessment_json::READINESS_LABEL;
    let _ = writeln!(out, "{}", wrap(label, WIDTH, 0));
    let _ = writeln!(
        out,
        "\n{}",
        wrap(
            &format!("{}, {}. {}", v.rule.title, v.rule.citation, v.rule.status),
            WIDTH,
            0
        )
    );
    let _ = writeln!(
        out,
        "\nAssessed as of {}, tier {}. {}.",
        assessed.as_of,
        assessed.answers.tier.name(),
        Readiness::ALL
            .iter()
            .filter(|r| v.count(**r) > 0)
            .map(|r| format!("{} {}", v.count(*r), r.words()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    heading(&mut out, md, "Proposed requirements");
    let mut t = table(&["requirement", "readiness"]);
    for r in &v.requirements {
        let q = r.requirement;
        let title = if q.provenance == hicp_core::catalog::Provenance::Unverified {
            format!("{} (unverified)", q.title)
        } else {
            q.title.clone()
        };
        t.add_row([title, r.readiness.words().to_owned()]);
    }
    let _ = writeln!(out, "{t}");
    heading(&mut out, md, "Shown by (our mapping of criteria)");
    for r in &v.requirements {
        let shown: Vec<String> = r
            .criteria
            .iter()
            .map(|c| {
                let status = c.status.map_or("not answered", |s| s.name());
                let part = if c.full { "" } else { ", shows part" };
                format!("{} {status}{part}", c.id)
            })
            .collect();
        let _ = writeln!(
            out,
            "{}",
            wrap(
                &format!("- {}: {}", r.requirement.title, shown.join("; ")),
                WIDTH,
                2
            )
        );
    }
    heading(&mut out, md, "Also check");
    for r in &v.requirements {
        if let Some(a) = &r.requirement.also_check {
            let _ = writeln!(
                out,
                "{}",
                wrap(&format!("- {}: {a}", r.requirement.title), WIDTH, 2)
            );
        }
    }
    let _ = writeln!(
        out,
        "\n{}",
        wrap(
            "\"Unverified\": only secondary sources describe this proposed requirement. See \
             docs/nprm-readiness.md for how readiness is worked out.",
            WIDTH,
            0
        )
    );
    Some(out)
}

/// The findings part of the plan (`hicp plan --findings`), printed before the actions: open
/// scan findings known exploited (CISA's KEV list) or past HICP Table 8's time to fix.
pub(crate) fn findings_text(p: &hicp_core::assessment::findings::FindingsPlan, md: bool) -> String {
    let mut out = String::new();
    if md {
        let _ = writeln!(out, "# Fix these first: findings from your scans\n");
    } else {
        let _ = writeln!(out, "Fix these first: findings from your scans");
    }
    let _ = writeln!(out, "{}", wrap(&p.summary(), WIDTH, 0));
    let _ = writeln!(
        out,
        "{}",
        wrap(
            &format!(
                "Known exploited first, then the longest overdue, as of {}. HICP's time to fix ({}, data center): {}.",
                p.as_of,
                p.timeframes.source,
                p.timeframes.words()
            ),
            WIDTH,
            0
        )
    );
    if p.items.is_empty() {
        let _ = writeln!(out);
        return out;
    }
    let row = |r: &hicp_core::assessment::findings::RankedFinding| {
        let f = &r.finding;
        let host = match f.port {
            Some(port) => format!("{}:{port}", f.host),
            None => f.host.clone(),
        };
        let since = match (f.first_seen, f.fix_published) {
            (Some(d), _) => d.to_string(),
            (None, Some(d)) => format!("fix out {d}"),
            (None, None) => "-".into(),
        };
        let due = match (r.due_on, r.days_late) {
            (Some(d), Some(late)) if late > 0 => format!("{d} ({late} days overdue)"),
            (Some(d), Some(late)) => format!("{d} (in {} days)", -late),
            _ => "no timeframe".into(),
        };
        vec![
            r.rank.to_string(),
            host,
            f.title.clone(),
            // The JSON gives them all; a table row names a few.
            match f.cves.len() {
                0..=3 => f.cves.join(" "),
                n => format!("{} and {} more", f.cves[..3].join(" "), n - 3),
            },
            f.severity.name().to_owned(),
            since,
            due,
            if f.kev { "KEV".into() } else { String::new() },
        ]
    };
    let mut t = table(&[
        "#",
        "Host",
        "Finding",
        "CVEs",
        "Severity",
        "First seen",
        "Due",
        "KEV",
    ]);
    for r in &p.items {
        t.add_row(row(r));
    }
    let _ = writeln!(out, "\n{t}");
    let _ = writeln!(out);
    out
}
