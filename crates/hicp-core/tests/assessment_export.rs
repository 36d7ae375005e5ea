//! The answers file writer: what it writes reads back to the same answers.

use hicp_core::assessment::template::template;
use hicp_core::assessment::{Answers, CriterionAnswer, Date, Evidence, Profile, Status};
use hicp_core::assessment::{parse, to_yaml};
use hicp_core::catalog::{Catalog, SourceFile, Tier, load};
use proptest::prelude::*;
use std::sync::OnceLock;

fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| {
        let files: Vec<SourceFile> = hicp_content::builtin_files()
            .into_iter()
            .map(|(path, text)| SourceFile { path, text })
            .collect();
        load(hicp_content::BUILTIN_ROOT, &files).expect("the built-in catalog is valid")
    })
}

fn as_of() -> Date {
    Date::parse("2026-10-01").unwrap()
}

fn round_trip(a: &Answers) -> Answers {
    let text = to_yaml(a, catalog());
    parse("export.yaml", &text, catalog(), as_of())
        .unwrap_or_else(|e| panic!("the export does not read back: {e}\n{text}"))
}

#[test]
fn the_examples_read_back_unchanged() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
    for name in ["small-clinic", "community-hospital", "health-system"] {
        let text = std::fs::read_to_string(format!("{root}/{name}.yaml")).unwrap();
        let x = parse(name, &text, catalog(), as_of()).unwrap();
        assert_eq!(round_trip(&x), x, "{name}");
        let yaml = to_yaml(&x, catalog());
        assert_eq!(yaml, to_yaml(&x, catalog()), "deterministic");
        assert!(yaml.starts_with("# HICP Toolkit answers file"));
    }
}

#[test]
fn templates_overrides_and_opt_ins_read_back_unchanged() {
    for (tier, extra) in Tier::ALL.into_iter().zip(["1.M.B", "2.L.D", "1.S.A"]) {
        let extra = catalog().sub_practice(extra).unwrap().id.clone();
        let text = template(
            catalog(),
            tier,
            &Profile::default(),
            std::slice::from_ref(&extra),
        );
        let x = parse("t.yaml", &text, catalog(), as_of()).unwrap();
        let back = round_trip(&x);
        assert_eq!(back, x, "{tier}");
        assert_eq!(back.opt_in, vec![extra]);
    }
    // A tier left to the classifier stays left to it.
    let sized = "organization:\n  type: hospital\n  staffed_beds: 120\n";
    let x = parse("s.yaml", sized, catalog(), as_of()).unwrap();
    assert_eq!(x.tier_override, None);
    let back = round_trip(&x);
    assert_eq!(back, x);
    assert!(!to_yaml(&x, catalog()).contains("\ntier:"));
}

#[test]
fn awkward_text_is_quoted() {
    let text = "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: partial\n";
    let mut x = parse("a.yaml", text, catalog(), as_of()).unwrap();
    x.profile.name = Some("O'Brien & \"Sons\": #1 clinic\\x".into());
    x.criteria.insert(
        "1.S.A.c2".into(),
        CriterionAnswer {
            status: Status::NotApplicable,
            reason: Some("- not: a list\nsecond line\ttab".into()),
            notes: Some("yes".into()),
            owner: Some("null".into()),
            in_place_since: Some(Date::parse("2020-02-29").unwrap()),
            evidence: vec![Evidence {
                title: "[brackets] {braces} *star &anchor".into(),
                location: Some("https://example.org/a?b=c#d".into()),
                collected: Some(Date::parse("2026-01-01").unwrap()),
                valid_until: Some(Date::parse("2030-01-01").unwrap()),
            }],
        },
    );
    x.threat_weights.insert("ransomware".into(), 2.5);
    assert_eq!(round_trip(&x), x);
}

fn trimmed(s: String) -> Option<String> {
    let t = s.trim().to_owned();
    (!t.is_empty()).then_some(t)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_text_reads_back(notes in any::<String>(), owner in "\\PC*", weight in 0.01f64..10.0) {
        let text = "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: implemented\n";
        let mut x = parse("a.yaml", text, catalog(), as_of()).unwrap();
        let c = x.criteria.get_mut("1.S.A.c1").unwrap();
        c.notes = trimmed(notes);
        c.owner = trimmed(owner);
        x.threat_weights.insert("ransomware".into(), weight);
        prop_assert_eq!(round_trip(&x), x);
    }
}
