//! A complete, commented answers file for a tier: `hicp init`.

use super::answers::FORMAT;
use super::sizing::{OrgType, Profile};
use crate::catalog::{Catalog, SubPracticeId, Tier};
use std::fmt::Write as _;

const WIDTH: usize = 96;

/// The template for `tier`: every criterion that applies or is opted in to, not started, with
/// its text as a comment. `profile` fills in the organization questions that are known.
/// `opt_in` must hold sub-practices of other tiers (the caller checks them).
pub fn template(
    catalog: &Catalog,
    tier: Tier,
    profile: &Profile,
    opt_in: &[SubPracticeId],
) -> String {
    let mut s = String::new();
    let types: Vec<&str> = OrgType::ALL.iter().map(|t| t.name()).collect();
    let num = |n: Option<u32>| n.map_or(String::new(), |v| format!(" {v}"));
    let _ = write!(
        s,
        "# HICP Toolkit answers file: a self-assessment against HHS 405(d) HICP ({title}).
# Edit it, then run `hicp assess FILE` and `hicp plan FILE`. Format: docs/answers-format.md.
#
# For every criterion below set `status` to one of:
#   not_started | partial | largely | implemented | not_applicable
# An empty `status` means not answered yet: it scores 0 like not_started, but does not
# count as answered.
# `not_applicable` needs `reason:` saying why; it then leaves the score's denominator.
# Optional per criterion: owner, notes, in_place_since (YYYY-MM-DD, not in the future),
# and evidence, a list such as:
#     evidence:
#       - title: Phishing test report, Q1
#         location: https://intranet.example/security/phishing-q1.pdf
#         collected: 2025-04-02
#         valid_until: 2026-04-02
# A sub-practice counts as a recognized security practice (Public Law 116-321) once all its
# criteria have been implemented for 12 months (from in_place_since, else evidence dates).
format: {FORMAT}

organization:
  name: {name}
  # {types}
  type:{otype}
  physicians:{phys}        # physicians and other independent providers
  staffed_beds:{beds}      # staffed inpatient beds
  workforce:{work}         # head count of employees and contractors
  it_assets:{assets}         # computers, servers, network gear, phones, connected medical devices
  it_staff:{it}          # people whose job is IT (not an outside IT company)
  security_staff:{sec}    # people whose job is cybersecurity
  sites:{sites}

# small | medium | large. When set, it overrides the size worked out from the questions above.
tier: {tier}

# Sub-practices from other tiers you choose to adopt, e.g. [1.M.B, 7.M.D].
opt_in: [{opt_in}]

# How much each threat counts in the overall score and in the plan's ranking
# (default 1, above 0 and at most 10). A hospital may put ransomware first with 2.
threat_weights:
",
        title = catalog.meta.title,
        name = profile.name.as_deref().map_or(String::new(), quote),
        types = types.join(" | "),
        otype = profile
            .org_type
            .map_or(String::new(), |t| format!(" {}", t.name())),
        phys = num(profile.physicians),
        beds = num(profile.staffed_beds),
        work = num(profile.workforce),
        assets = num(profile.it_assets),
        it = num(profile.it_staff),
        sec = num(profile.security_staff),
        sites = num(profile.sites),
        opt_in = opt_in
            .iter()
            .map(SubPracticeId::as_str)
            .collect::<Vec<_>>()
            .join(", "),
    );
    for t in &catalog.threats {
        let _ = writeln!(s, "  {}: 1    # T{} {}", t.id, t.number, t.name);
    }
    s.push_str("\nanswers:\n");
    let mut practice = 0;
    for sp in catalog
        .sub_practices
        .iter()
        .filter(|sp| catalog.applies(tier, sp) || opt_in.contains(&sp.id))
    {
        if sp.practice != practice {
            practice = sp.practice;
            let name = catalog.practice(practice).map_or("", |p| p.name.as_str());
            let _ = writeln!(s, "\n  # ===== Practice {practice}: {name} =====");
        }
        let opted = if catalog.applies(tier, sp) {
            ""
        } else {
            " (opted in)"
        };
        let _ = writeln!(s, "\n  # ----- {} {}{opted} -----", sp.id, sp.title);
        for c in &sp.criteria {
            s.push_str(&comment(&format!("{}: {}", c.id, c.text), "  # "));
            let _ = writeln!(
                s,
                "  - id: {}\n    status:\n    owner:\n    notes:\n    in_place_since:\n    evidence: []",
                c.id
            );
        }
    }
    s
}

/// A YAML double-quoted string.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `text` wrapped into comment lines starting with `prefix`.
pub(crate) fn comment(text: &str, prefix: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && prefix.len() + line.len() + 1 + word.len() > WIDTH {
            let _ = writeln!(out, "{prefix}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{prefix}{line}");
    }
    out
}
