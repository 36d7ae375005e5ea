//! Answers files: the template round-trips, and every kind of bad input gets a located,
//! helpful error (table-driven).

use hicp_core::assessment::template::template;
use hicp_core::assessment::{Date, Profile, Status, parse};
use hicp_core::catalog::{Catalog, SourceFile, Tier, load};
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

#[test]
fn the_template_for_each_tier_parses_and_lists_every_criterion_unanswered() {
    for (tier, extra) in Tier::ALL.into_iter().zip(["1.M.B", "2.L.D", "1.S.A"]) {
        let extra = catalog().sub_practice(extra).unwrap().id.clone();
        let text = template(
            catalog(),
            tier,
            &Profile {
                name: Some("A \"quoted\" org".into()),
                ..Profile::default()
            },
            std::slice::from_ref(&extra),
        );
        let a =
            parse("t.yaml", &text, catalog(), as_of()).unwrap_or_else(|e| panic!("{tier}: {e}"));
        assert_eq!(a.tier, tier);
        assert_eq!(a.opt_in, vec![extra.clone()]);
        assert!(a.scope(catalog()).iter().any(|s| s.id == extra));
        assert_eq!(a.profile.name.as_deref(), Some("A \"quoted\" org"));
        let scope = a.scope(catalog());
        let n: usize = scope.iter().map(|s| s.criteria.len()).sum();
        // Every criterion in scope is listed, with an empty status: not answered yet.
        for sp in &scope {
            for c in &sp.criteria {
                assert!(
                    text.contains(&format!("- id: {}\n    status:\n", c.id)),
                    "{}",
                    c.id
                );
            }
        }
        assert!(a.criteria.is_empty(), "{tier}: nothing is answered yet");
        assert_eq!(a.progress(catalog()).total, n);
        assert_eq!(a.progress(catalog()).answered, 0);
        assert!(a.threat_weights.values().all(|w| *w == 1.0));
        // A file from an earlier `init`, with every status `not_started`, still reads:
        // those are answers ("not started").
        let old = text.replace("    status:\n", "    status: not_started\n");
        let a = parse("t.yaml", &old, catalog(), as_of()).unwrap();
        assert_eq!(a.criteria.len(), n, "{tier}");
        assert!(a.criteria.values().all(|c| c.status == Status::NotStarted));
    }
}

#[test]
fn an_entry_without_a_status_is_unanswered_unless_it_says_more() {
    let text = "\
tier: small
answers:
  - id: 1.S.A.c1
    status:
    owner:
    notes:
  - id: 1.S.A.c2
";
    let a = parse("a.yaml", text, catalog(), as_of()).unwrap();
    assert!(!a.is_answered("1.S.A.c1") && !a.is_answered("1.S.A.c2"));
    // Notes without a status would be lost: an error naming the field.
    let text = "\
tier: small
answers:
  - id: 1.S.A.c1
    status:
    notes: We use Microsoft 365.
";
    let err = parse("a.yaml", text, catalog(), as_of())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("a.yaml:3:")
            && err.contains("answers.1.S.A.c1.status")
            && err.contains("give a status"),
        "{err}"
    );
}

#[test]
fn a_full_answer_is_read_with_its_evidence() {
    let text = "\
tier: small
answers:
  - id: 1.S.A.c1
    status: implemented
    owner: Office manager
    notes: Microsoft 365
    in_place_since: 2024-03-01
    evidence:
      - title: BAA
        location: https://example.org/baa.pdf
        collected: 2025-01-10
        valid_until: 2027-01-10
  - id: 1.S.A.c2
    status: not_applicable
    reason: We send no email.
";
    let a = parse("a.yaml", text, catalog(), as_of()).unwrap();
    let c1 = &a.criteria["1.S.A.c1"];
    assert_eq!(c1.status, Status::Implemented);
    assert_eq!(c1.owner.as_deref(), Some("Office manager"));
    assert_eq!(c1.in_place_since, Some(Date::parse("2024-03-01").unwrap()));
    assert_eq!(
        c1.evidence[0].valid_until,
        Some(Date::parse("2027-01-10").unwrap())
    );
    assert_eq!(
        a.criteria["1.S.A.c2"].reason.as_deref(),
        Some("We send no email.")
    );
    assert_eq!(
        a.status("1.S.A.c3"),
        Status::NotStarted,
        "unanswered criteria are not started"
    );
}

#[test]
fn not_started_is_an_answer_and_a_missing_answer_is_not() {
    let text = "\
tier: small
answers:
  - id: 1.S.A.c1
    status: not_started
  - id: 1.S.A.c2
    status: implemented
";
    let a = parse("a.yaml", text, catalog(), as_of()).unwrap();
    assert!(a.is_answered("1.S.A.c1"), "not started is an answer");
    assert!(a.is_answered("1.S.A.c2"));
    assert!(!a.is_answered("1.S.A.c3"));
    // Both score as not started.
    assert_eq!(a.status("1.S.A.c1"), a.status("1.S.A.c3"));
    let total: usize = a.scope(catalog()).iter().map(|s| s.criteria.len()).sum();
    let p = a.progress(catalog());
    assert_eq!((p.answered, p.total, p.unanswered()), (2, total, total - 2));
    let by = a.progress_by_practice(catalog());
    assert_eq!(by.all(), p);
    // Practice 1 holds both answers; practice 2 none.
    let p1 = by.practice(1);
    assert_eq!(p1.answered, 2);
    assert!(p1.total < total);
    assert_eq!(by.practice(2).answered, 0);
    // A threat counts the questions of the practices that mitigate it.
    for t in &catalog().threats {
        let practices: Vec<u8> = catalog()
            .practices
            .iter()
            .filter(|p| p.threats.contains(&t.id))
            .map(|p| p.number)
            .collect();
        let expected: usize = practices.iter().map(|n| by.practice(*n).total).sum();
        let tp = by.threat(catalog(), t.id.as_str());
        assert_eq!(tp.total, expected, "{}", t.id);
        assert_eq!(tp.answered, if practices.contains(&1) { 2 } else { 0 });
    }
}

#[test]
fn the_tier_comes_from_the_profile_unless_the_file_sets_it() {
    let sized = "organization:\n  type: physician-practice\n  physicians: 8\n  it_staff: 0\n";
    let a = parse("a.yaml", sized, catalog(), as_of()).unwrap();
    assert_eq!((a.tier, a.tier_override), (Tier::Small, None));
    assert!(
        a.sizing.explanation.starts_with("8 physicians"),
        "{}",
        a.sizing.explanation
    );
    let overridden = format!("{sized}tier: medium\n");
    let a = parse("a.yaml", &overridden, catalog(), as_of()).unwrap();
    assert_eq!((a.tier, a.sizing.tier), (Tier::Medium, Some(Tier::Small)));
}

struct Case {
    name: &'static str,
    text: &'static str,
    line: u64,
    field: &'static str,
    message: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "YAML syntax error",
        text: "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: [implemented\n",
        line: 4,
        field: "(yaml)",
        message: "",
    },
    Case {
        name: "unknown field",
        text: "tier: small\nanswers:\n  - id: 1.S.A.c1\n    statos: implemented\n",
        line: 4,
        field: "(yaml)",
        message: "statos",
    },
    Case {
        name: "unknown criterion, nearest suggested",
        text: "tier: medium\nanswers:\n  - id: 3.M.B.c9\n    status: partial\n",
        line: 3,
        field: "answers.id",
        message: "unknown criterion \"3.M.B.c9\" (did you mean \"3.M.B.c1\"?)",
    },
    Case {
        name: "a sub-practice id where a criterion belongs",
        text: "tier: medium\nanswers:\n  - id: 3.M.B\n    status: partial\n",
        line: 3,
        field: "answers.id",
        message: "\"3.M.B\" is a sub-practice; answer its criteria",
    },
    Case {
        name: "criterion outside the tier",
        text: "tier: small\nanswers:\n  - id: 7.M.D.c1\n    status: partial\n",
        line: 3,
        field: "answers.7.M.D.c1",
        message: "belongs to 7.M.D, which does not apply to a small organization; add 7.M.D to opt_in",
    },
    Case {
        name: "invalid status, nearest suggested",
        text: "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: implmented\n",
        line: 4,
        field: "answers.1.S.A.c1.status",
        message: "invalid status \"implmented\" (did you mean \"implemented\"?): use one of not_started, partial, largely, implemented, not_applicable",
    },
    Case {
        name: "not applicable without a reason",
        text: "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: not_applicable\n",
        line: 4,
        field: "answers.1.S.A.c1.reason",
        message: "not_applicable needs a reason",
    },
    Case {
        name: "not applicable with an empty reason",
        text: "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: not_applicable\n    reason: \"  \"\n",
        line: 5,
        field: "answers.1.S.A.c1.reason",
        message: "not_applicable needs a reason",
    },
    Case {
        name: "malformed date",
        text: "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: implemented\n    in_place_since: 03/01/2024\n",
        line: 5,
        field: "answers.1.S.A.c1.in_place_since",
        message: "\"03/01/2024\" is not a date in the form YYYY-MM-DD",
    },
    Case {
        name: "impossible date",
        text: "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: implemented\n    in_place_since: 2025-02-29\n",
        line: 5,
        field: "answers.1.S.A.c1.in_place_since",
        message: "\"2025-02-29\" is not a real calendar date",
    },
    Case {
        name: "date in the future",
        text: "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: implemented\n    in_place_since: 2026-10-02\n",
        line: 5,
        field: "answers.1.S.A.c1.in_place_since",
        message: "2026-10-02 is in the future (the assessment date is 2026-10-01)",
    },
    Case {
        name: "evidence collected in the future",
        text: "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: implemented\n    evidence:\n      - title: Report\n        collected: 2027-01-01\n",
        line: 7,
        field: "answers.1.S.A.c1.evidence[0].collected",
        message: "is in the future",
    },
    Case {
        name: "evidence valid until before it was collected",
        text: "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: implemented\n    evidence:\n      - title: Report\n        collected: 2026-01-01\n        valid_until: 2025-01-01\n",
        line: 8,
        field: "answers.1.S.A.c1.evidence[0].valid_until",
        message: "2025-01-01 is before the date collected (2026-01-01)",
    },
    Case {
        name: "criterion answered twice",
        text: "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: partial\n  - id: 1.S.A.c1\n    status: largely\n",
        line: 5,
        field: "answers.1.S.A.c1",
        message: "1.S.A.c1 is answered twice",
    },
    Case {
        name: "unknown tier",
        text: "tier: medum\n",
        line: 1,
        field: "tier",
        message: "unknown tier \"medum\": use small, medium or large (did you mean \"medium\"?)",
    },
    Case {
        name: "no tier and no sizing answers",
        text: "organization:\n  name: Nobody\n",
        line: 0,
        field: "tier",
        message: "no tier: set `tier: small|medium|large`",
    },
    Case {
        name: "unknown organization type",
        text: "tier: small\norganization:\n  type: hospitl\n",
        line: 3,
        field: "organization.type",
        message: "unknown organization type \"hospitl\" (did you mean \"hospital\"?)",
    },
    Case {
        name: "unknown threat in the weights",
        text: "tier: small\nthreat_weights:\n  ransomwear: 2\n",
        line: 3,
        field: "threat_weights.ransomwear",
        message: "unknown threat \"ransomwear\" (did you mean \"ransomware\"?)",
    },
    Case {
        name: "weight out of range",
        text: "tier: small\nthreat_weights:\n  ransomware: 0\n",
        line: 3,
        field: "threat_weights.ransomware",
        message: "weight 0 is out of range",
    },
    Case {
        name: "opt-in of an unknown sub-practice",
        text: "tier: small\nopt_in: [1.M.E]\n",
        line: 2,
        field: "opt_in",
        message: "unknown sub-practice \"1.M.E\" (did you mean \"1.M.A\"?)",
    },
    Case {
        name: "opt-in of what already applies",
        text: "tier: medium\nopt_in: [1.M.A]\n",
        line: 2,
        field: "opt_in",
        message: "1.M.A already applies to a medium organization; remove it from opt_in",
    },
    Case {
        name: "unknown format",
        text: "format: hicp-answers/9\ntier: small\n",
        line: 1,
        field: "format",
        message: "unknown format \"hicp-answers/9\"",
    },
    Case {
        name: "a negative count",
        text: "tier: small\norganization:\n  physicians: -3\n",
        line: 3,
        field: "(yaml)",
        message: "",
    },
];

#[test]
fn every_bad_input_gets_a_located_helpful_error() {
    for case in CASES {
        let err = parse("answers.yaml", case.text, catalog(), as_of())
            .err()
            .unwrap_or_else(|| panic!("{}: accepted", case.name));
        let d = err
            .diagnostics
            .iter()
            .find(|d| d.field == case.field && d.message.contains(case.message))
            .unwrap_or_else(|| {
                panic!(
                    "{}: no {} diagnostic with {:?} in\n{err}",
                    case.name, case.field, case.message
                )
            });
        assert_eq!(d.file, "answers.yaml", "{}", case.name);
        assert_eq!(d.line, case.line, "{}: wrong line in {d}", case.name);
        if case.line > 0 {
            assert!(d.column > 0, "{}: no column in {d}", case.name);
        }
    }
}

#[test]
fn all_problems_are_reported_at_once_in_file_order() {
    let text = "tier: small\nanswers:\n  - id: 1.S.A.c9\n    status: done\n  - id: 1.S.A.c2\n    status: not_applicable\n";
    let err = parse("a.yaml", text, catalog(), as_of()).unwrap_err();
    let lines: Vec<u64> = err.diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, vec![3, 4, 6], "{err}");
    let shown = err.to_string();
    assert!(
        shown.starts_with("the answers file is invalid: 3 problems"),
        "{shown}"
    );
    assert!(shown.contains("a.yaml:3:"), "{shown}");
}

#[test]
fn an_empty_file_is_only_missing_its_tier() {
    let err = parse("a.yaml", "", catalog(), as_of()).unwrap_err();
    assert_eq!(err.diagnostics.len(), 1);
    assert_eq!(err.diagnostics[0].field, "tier");
}
