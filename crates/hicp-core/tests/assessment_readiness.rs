//! The readiness view for the HIPAA Security Rule changes proposed in January 2025: the built-in
//! mapping, and how answers are judged (docs/nprm-readiness.md).

use hicp_core::assessment::readiness::{Readiness, readiness};
use hicp_core::assessment::{Answers, Date, parse};
use hicp_core::catalog::{Catalog, Provenance, SourceFile, Tier, load};
use std::collections::BTreeSet;

fn builtin() -> Catalog {
    let files: Vec<SourceFile> = hicp_content::builtin_files()
        .into_iter()
        .map(|(path, text)| SourceFile { path, text })
        .collect();
    load(hicp_content::BUILTIN_ROOT, &files).unwrap_or_else(|e| panic!("{e}"))
}

fn answers(c: &Catalog, text: &str) -> Answers {
    parse("answers.yaml", text, c, Date::parse("2026-10-01").unwrap())
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_built_in_catalog_lists_the_proposed_requirements_with_their_sources() {
    let c = builtin();
    let rule = c
        .references
        .proposed_rule
        .as_ref()
        .expect("a proposed rule");
    assert!(rule.citation.contains("90 FR 898"));
    assert!(rule.status.contains("not in force"));
    let ids: BTreeSet<&str> = rule.requirements.iter().map(|r| r.id.as_str()).collect();
    for id in [
        "asset-inventory-network-map",
        "multi-factor-authentication",
        "encryption",
        "restore-within-72-hours",
        "compliance-audit",
        "vulnerability-scanning",
        "penetration-testing",
        "patching-deadlines",
    ] {
        assert!(ids.contains(id), "{id}");
    }
    // frameworks.md §3.2 gives these only from secondary sources (UNVERIFIED).
    let unverified: BTreeSet<&str> = rule
        .requirements
        .iter()
        .filter(|r| r.provenance == Provenance::Unverified)
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        unverified,
        BTreeSet::from([
            "anti-malware",
            "patching-deadlines",
            "business-associate-verification",
            "test-security-measures",
        ])
    );
    assert!(
        rule.requirements
            .iter()
            .all(|r| r.provenance != Provenance::Derived)
    );
}

#[test]
fn every_requirement_can_be_answered_at_every_size() {
    let c = builtin();
    for tier in [Tier::Small, Tier::Medium, Tier::Large] {
        let v = readiness(&c, &Answers::blank(&c, tier)).unwrap();
        for r in &v.requirements {
            assert!(
                !r.criteria.is_empty(),
                "{} has no criterion for a {} organization",
                r.requirement.id,
                tier.name()
            );
            assert_eq!(r.readiness, Readiness::Unanswered, "{}", r.requirement.id);
        }
        // Only the tier's own criteria count.
        let prefix = |id: &str| id.split('.').nth(1).unwrap().to_owned();
        let allowed: &[&str] = match tier {
            Tier::Small => &["S"],
            Tier::Medium => &["M"],
            Tier::Large => &["M", "L"],
        };
        for r in &v.requirements {
            for cr in &r.criteria {
                assert!(allowed.contains(&prefix(cr.id.as_str()).as_str()));
            }
        }
    }
}

#[test]
fn answers_decide_readiness() {
    let c = builtin();
    let a = answers(
        &c,
        "tier: small\nanswers:\n\
         - { id: 4.S.B.c6, status: implemented }\n\
         - { id: 1.S.A.c3, status: implemented }\n\
         - { id: 3.S.A.c5, status: partial }\n\
         - { id: 7.S.A.c1, status: not_started }\n\
         - { id: 7.S.A.c2, status: not_started }\n\
         - { id: 4.S.A.c6, status: implemented }\n",
    );
    let v = readiness(&c, &a).unwrap();
    let of = |id: &str| {
        v.requirements
            .iter()
            .find(|r| r.requirement.id == id)
            .unwrap()
            .readiness
    };
    assert_eq!(of("separate-backup-controls"), Readiness::Covered);
    assert_eq!(of("multi-factor-authentication"), Readiness::Partly);
    assert_eq!(of("vulnerability-scanning"), Readiness::NotCovered);
    assert_eq!(of("risk-analysis"), Readiness::Covered);
    // Only criteria that show part of it: at best partly, however well answered.
    assert_eq!(of("compliance-audit"), Readiness::Partly);
    assert_eq!(of("encryption"), Readiness::Unanswered);
    assert_eq!(
        v.count(Readiness::Covered)
            + v.count(Readiness::Partly)
            + v.count(Readiness::NotCovered)
            + v.count(Readiness::Unanswered)
            + v.count(Readiness::NotInScope),
        v.requirements.len()
    );
    // A sub-practice added by choice brings its criteria in.
    let b = answers(
        &c,
        "tier: small\nopt_in: [7.L.A]\nanswers:\n- { id: 7.L.A.c1, status: implemented }\n",
    );
    let v = readiness(&c, &b).unwrap();
    let pt = v
        .requirements
        .iter()
        .find(|r| r.requirement.id == "penetration-testing")
        .unwrap();
    assert_eq!(pt.readiness, Readiness::Covered);
}

#[test]
fn a_catalog_without_a_proposed_rule_has_no_readiness_view() {
    let files: Vec<SourceFile> = hicp_content::builtin_files()
        .into_iter()
        .filter(|(path, _)| path != "references/hipaa-nprm-2025.yaml")
        .map(|(path, text)| SourceFile { path, text })
        .collect();
    let c = load("cat", &files).unwrap();
    assert!(c.references.proposed_rule.is_none());
    assert!(readiness(&c, &Answers::blank(&c, Tier::Small)).is_none());
}
