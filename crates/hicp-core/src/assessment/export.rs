//! Writes [`Answers`] back as an answers file (docs/answers-format.md): the web
//! application's export, read again by `hicp assess` and by the web import.
//!
//! The output is deterministic and reads back to the same value: for answers `x` returned
//! by [`parse`](super::parse), `parse(to_yaml(x)) == x` (with an assessment date no earlier
//! than the dates in `x`). Answers are written in catalog order, each under a comment with
//! its criterion text; every free text is a double-quoted YAML string.

use super::answers::{Answers, CriterionAnswer, FORMAT};
use super::template::comment;
use crate::catalog::{Catalog, SubPracticeId};
use std::fmt::Write as _;

/// The answers file for `answers`. Criteria the catalog does not know are written last,
/// in id order (the reader will then name them).
pub fn to_yaml(answers: &Answers, catalog: &Catalog) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# HICP Toolkit answers file ({}). Format: docs/answers-format.md.",
        catalog.meta.title
    );
    s.push_str("# Score it with `hicp assess FILE`, or import it in the web application.\n");
    let _ = writeln!(s, "format: {FORMAT}");

    let p = &answers.profile;
    let mut org = String::new();
    if let Some(name) = &p.name {
        let _ = writeln!(org, "  name: {}", quote(name));
    }
    if let Some(t) = p.org_type {
        let _ = writeln!(org, "  type: {}", t.name());
    }
    for (key, value) in [
        ("physicians", p.physicians),
        ("staffed_beds", p.staffed_beds),
        ("workforce", p.workforce),
        ("it_assets", p.it_assets),
        ("it_staff", p.it_staff),
        ("security_staff", p.security_staff),
        ("sites", p.sites),
    ] {
        if let Some(v) = value {
            let _ = writeln!(org, "  {key}: {v}");
        }
    }
    if !org.is_empty() {
        s.push_str("\norganization:\n");
        s.push_str(&org);
    }

    // The tier is written when it is not the one the profile gives by itself.
    let tier = answers
        .tier_override
        .or((answers.sizing.tier != Some(answers.tier)).then_some(answers.tier));
    if let Some(t) = tier {
        let _ = writeln!(s, "\ntier: {}", t.name());
    }
    let _ = writeln!(
        s,
        "\nopt_in: [{}]",
        answers
            .opt_in
            .iter()
            .map(SubPracticeId::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !answers.threat_weights.is_empty() {
        s.push_str("\nthreat_weights:\n");
        for (threat, w) in &answers.threat_weights {
            // `{}` of an f64 is the shortest text that reads back to the same number.
            let _ = writeln!(s, "  {}: {w}", quote(threat));
        }
    }

    s.push_str("\nanswers:");
    if answers.criteria.is_empty() {
        s.push_str(" []\n");
        return s;
    }
    s.push('\n');
    let mut written = std::collections::BTreeSet::new();
    let mut practice = 0;
    for sp in &catalog.sub_practices {
        for c in &sp.criteria {
            let Some(a) = answers.criteria.get(c.id.as_str()) else {
                continue;
            };
            if sp.practice != practice {
                practice = sp.practice;
                let name = catalog.practice(practice).map_or("", |p| p.name.as_str());
                let _ = writeln!(s, "\n  # ===== Practice {practice}: {name} =====");
            }
            s.push('\n');
            s.push_str(&comment(&format!("{}: {}", c.id, c.text), "  # "));
            answer(&mut s, c.id.as_str(), a);
            written.insert(c.id.as_str());
        }
    }
    for (id, a) in &answers.criteria {
        if !written.contains(id.as_str()) {
            s.push('\n');
            answer(&mut s, id, a);
        }
    }
    s
}

fn answer(s: &mut String, id: &str, a: &CriterionAnswer) {
    let _ = writeln!(s, "  - id: {}", quote(id));
    let _ = writeln!(s, "    status: {}", a.status.name());
    for (key, value) in [
        ("reason", &a.reason),
        ("owner", &a.owner),
        ("notes", &a.notes),
    ] {
        if let Some(v) = value {
            let _ = writeln!(s, "    {key}: {}", quote(v));
        }
    }
    if let Some(d) = a.in_place_since {
        let _ = writeln!(s, "    in_place_since: {d}");
    }
    if !a.evidence.is_empty() {
        s.push_str("    evidence:\n");
        for e in &a.evidence {
            let _ = writeln!(s, "      - title: {}", quote(&e.title));
            if let Some(l) = &e.location {
                let _ = writeln!(s, "        location: {}", quote(l));
            }
            if let Some(d) = e.collected {
                let _ = writeln!(s, "        collected: {d}");
            }
            if let Some(d) = e.valid_until {
                let _ = writeln!(s, "        valid_until: {d}");
            }
        }
    }
}

/// A YAML double-quoted string on one line: backslash, quote and every control or line
/// separator character escaped.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
