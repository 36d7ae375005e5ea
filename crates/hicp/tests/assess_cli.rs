//! `hicp init`, `hicp assess` and `hicp plan` as a user runs them: the real binary, the three
//! example organizations, snapshots of the reports, and exit code 2 for bad input.

mod support;

use serde_json::Value;
use std::path::PathBuf;
use support::cli::*;

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&run_ok(args)).expect("valid JSON")
}

/// Example paths differ between machines: show them relative to the repository.
fn portable(s: String) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../");
    s.replace(&root.display().to_string(), "")
}

#[test]
fn assess_json_has_the_fields_the_issue_names() {
    for name in EXAMPLES {
        let v = json(&[
            "assess",
            &example(name),
            "--format",
            "json",
            "--as-of",
            AS_OF,
        ]);
        let overall = v["overall"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&overall), "{name}");
        for key in ["practices", "threats", "csf"] {
            let items = v[key].as_array().unwrap();
            assert!(!items.is_empty(), "{name}: {key}");
            for i in items {
                assert!(i["id"].is_string(), "{name}: {key} id");
                assert!(
                    i["score"].is_number() || i["score"].is_null(),
                    "{name}: {key} score"
                );
            }
        }
        assert_eq!(v["threats"].as_array().unwrap().len(), 5);
        assert_eq!(v["practices"].as_array().unwrap().len(), 10);
        for g in v["cpg"].as_array().unwrap() {
            assert!(
                ["met", "partly", "not_met", "not_in_scope"]
                    .contains(&g["status"].as_str().unwrap())
            );
        }
        for r in v["rsp"].as_array().unwrap() {
            assert!(r["id"].is_string() && r["in_place_12_months"].is_boolean());
            assert!(r["since"].is_string() || r["since"].is_null());
        }
    }
}

#[test]
fn the_examples_size_themselves_as_their_names_say() {
    for (name, tier) in EXAMPLES.iter().zip(["small", "medium", "large"]) {
        let v = json(&[
            "assess",
            &example(name),
            "--format",
            "json",
            "--as-of",
            AS_OF,
        ]);
        assert_eq!(v["tier"], tier, "{name}");
        assert_eq!(v["tier_source"], "from the profile", "{name}");
    }
}

#[test]
fn plan_json_lists_every_gap_once_with_rank_and_why() {
    for name in EXAMPLES {
        let assess = json(&[
            "assess",
            &example(name),
            "--format",
            "json",
            "--as-of",
            AS_OF,
        ]);
        let gaps = assess["sub_practices"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["score"].as_f64().is_some_and(|v| v < 100.0))
            .count();
        let plan = json(&["plan", &example(name), "--format", "json", "--as-of", AS_OF]);
        let items = plan.as_array().unwrap();
        assert_eq!(items.len(), gaps, "{name}");
        for (n, i) in items.iter().enumerate() {
            assert_eq!(i["rank"].as_u64(), Some(n as u64 + 1));
            for key in ["sub_practice", "text", "why"] {
                assert!(!i[key].as_str().unwrap().is_empty(), "{name}: {key}");
            }
            assert!(["low", "medium", "high"].contains(&i["effort"].as_str().unwrap()));
            assert!(["30-days", "90-days", "12-months"].contains(&i["horizon"].as_str().unwrap()));
        }
    }
}

#[test]
fn plan_csv_is_the_report_csv_with_a_row_per_action() {
    let file = example("small-clinic");
    let out = run_ok(&["plan", &file, "--format", "csv", "--as-of", AS_OF]);
    // One layout made by one function: `hicp report --format csv` gives the same bytes.
    let report = run_ok(&[
        "report", &file, "--format", "csv", "--as-of", AS_OF, "-o", "-",
    ]);
    assert_eq!(out, report);
    let mut rows = csv::Reader::from_reader(out.as_bytes());
    let headers = rows.headers().unwrap().clone();
    assert_eq!(&headers[0], "rank");
    assert!(headers.iter().any(|h| h == "owners"));
    assert!(headers.iter().any(|h| h == "why"));
    assert_eq!(rows.records().count(), 18);
}

#[test]
fn plan_csv_keeps_a_formula_typed_in_the_answers_file_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("answers.yaml");
    let text = std::fs::read_to_string(example("small-clinic"))
        .unwrap()
        .replace(
            "owner: Office manager",
            "owner: '=HYPERLINK(\"http://example.com\")'",
        );
    std::fs::write(&file, text).unwrap();
    let f = file.display().to_string();
    let out = run_ok(&["plan", &f, "--format", "csv", "--as-of", AS_OF]);
    let mut rows = csv::Reader::from_reader(out.as_bytes());
    let owners = rows.headers().unwrap().iter().position(|h| h == "owners");
    let owners = owners.expect("an owners column");
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert!(
        records
            .iter()
            .any(|r| r[owners].starts_with("'=HYPERLINK(")),
        "{out}"
    );
    for r in &records {
        for cell in r {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell} in {out}");
        }
    }
}

#[test]
fn snapshots_of_assess_and_plan_for_the_examples() {
    for name in EXAMPLES {
        let assess = run_ok(&["assess", &example(name), "--as-of", AS_OF]);
        insta::assert_snapshot!(format!("assess_{name}"), assess);
        let plan = run_ok(&["plan", &example(name), "--as-of", AS_OF]);
        insta::assert_snapshot!(format!("plan_{name}"), plan);
    }
    let md = run_ok(&[
        "plan",
        &example("small-clinic"),
        "--format",
        "markdown",
        "--as-of",
        AS_OF,
    ]);
    insta::assert_snapshot!("plan_small-clinic_markdown", md);
}

/// The JSON of `assess`, `plan` and `--explain` is an interface for scripts: pinned byte for
/// byte, so that moving its shapes between crates cannot change it unnoticed.
#[test]
fn snapshots_of_assess_and_plan_json_for_the_examples() {
    for name in EXAMPLES {
        let ex = example(name);
        let assess = run_ok(&["assess", &ex, "--format", "json", "--as-of", AS_OF]);
        insta::assert_snapshot!(format!("assess_json_{name}"), portable(assess));
        let plan = run_ok(&["plan", &ex, "--format", "json", "--as-of", AS_OF]);
        insta::assert_snapshot!(format!("plan_json_{name}"), plan);
    }
    let explain = run_ok(&[
        "assess",
        &example("small-clinic"),
        "--format",
        "json",
        "--as-of",
        AS_OF,
        "--explain",
        "9.S.A",
    ]);
    insta::assert_snapshot!("explain_json_small-clinic_9.S.A", explain);
}

#[test]
fn explain_shows_how_a_score_was_reached() {
    let out = run_ok(&[
        "assess",
        &example("small-clinic"),
        "--as-of",
        AS_OF,
        "--explain",
        "9.S.A",
    ]);
    assert!(
        out.contains("9.S.A.c5: not_applicable, left out (Neither connected device"),
        "{out}"
    );
    assert!(
        out.contains("= (50.0 + 0.0 + 0.0 + 0.0 + 50.0) / 5 = 20.0"),
        "{out}"
    );
    let out = run_ok(&[
        "assess",
        &example("community-hospital"),
        "--as-of",
        AS_OF,
        "--explain",
        "overall",
    ]);
    assert!(
        out.contains("ransomware (Ransomware): 62.1 x weight 3"),
        "{out}"
    );
    let err = run_invalid(&[
        "assess",
        &example("small-clinic"),
        "--as-of",
        AS_OF,
        "--explain",
        "ransomwar",
    ]);
    assert!(err.contains("did you mean \"ransomware\"?"), "{err}");
}

#[test]
fn init_writes_a_template_that_assesses_to_zero() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("answers.yaml");
    let f = file.display().to_string();
    let out = run_ok(&[
        "init",
        "--tier",
        "medium",
        "--org",
        "Test Hospital",
        "-o",
        &f,
    ]);
    assert!(
        out.contains("a medium organization, 36 sub-practices"),
        "{out}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("name: \"Test Hospital\"") && text.contains("- id: 10.M.A.c6"));
    let v = json(&["assess", &f, "--format", "json", "--as-of", AS_OF]);
    assert_eq!(v["overall"].as_f64(), Some(0.0));
    let plan = json(&["plan", &f, "--format", "json", "--as-of", AS_OF]);
    assert_eq!(plan.as_array().unwrap().len(), 36);
    let err = run_invalid(&["init", "--tier", "small", "-o", &f]);
    assert!(err.contains("already exists; use --force"), "{err}");
    run_ok(&["init", "--tier", "small", "-o", &f, "--force"]);
    assert!(run_ok(&["init", "--tier", "large", "-o", "-"]).contains("- id: 9.L.D.c5"));
    let out = run_ok(&[
        "init",
        "--tier",
        "small",
        "--opt-in",
        "1.M.B,7.M.D",
        "-o",
        "-",
    ]);
    assert!(
        out.contains("opt_in: [1.M.B, 7.M.D]") && out.contains("- id: 7.M.D.c5"),
        "{out}"
    );
    let err = run_invalid(&["init", "--tier", "small", "--opt-in", "1.M.Q", "-o", "-"]);
    assert!(err.contains("unknown sub-practice \"1.M.Q\""), "{err}");
    let err = run_invalid(&["init", "--tier", "small", "--opt-in", "1.S.A", "-o", "-"]);
    assert!(
        err.contains("1.S.A already applies to a small organization"),
        "{err}"
    );
}

#[test]
fn init_interview_asks_the_sizing_questions_and_suggests_a_tier() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("answers.yaml");
    let f = file.display().to_string();
    // name, type, physicians, beds, workforce, assets, IT staff, security staff, sites, tier.
    let input = "Lakeside Pediatrics\nphysician-practice\n7\n\n22\n30\n0\n0\n1\n\n";
    let out = hicp()
        .args(["init", "--interview", "-o", &f])
        .write_stdin(input)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("7 physicians (HICP: 10 or fewer is small)"),
        "{stdout}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("tier: small") && text.contains("physicians: 7"),
        "{text}"
    );
    let v = json(&["assess", &f, "--format", "json", "--as-of", AS_OF]);
    assert_eq!(v["organization"]["name"], "Lakeside Pediatrics");
}

#[test]
fn bad_answers_files_exit_2_with_located_messages() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str)] = &[
        (
            "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: [implemented\n",
            ":4:",
        ),
        (
            "tier: medium\nanswers:\n  - id: 3.M.B.c9\n    status: partial\n",
            "did you mean \"3.M.B.c1\"?",
        ),
        (
            "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: done\n",
            "invalid status \"done\"",
        ),
        (
            "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: not_applicable\n",
            "not_applicable needs a reason",
        ),
        (
            "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: implemented\n    in_place_since: 2026-13-01\n",
            "not a real calendar date",
        ),
        (
            "tier: small\nanswers:\n  - id: 1.S.A.c1\n    status: implemented\n    in_place_since: 2030-01-01\n",
            "is in the future",
        ),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("bad{i}.yaml"));
        std::fs::write(&file, text).unwrap();
        let f = file.display().to_string();
        for cmd in ["assess", "plan"] {
            let err = run_invalid(&[cmd, &f, "--as-of", AS_OF]);
            assert!(err.contains(expected), "{cmd} {i}: {err}");
            assert!(
                err.contains(&format!("bad{i}.yaml:")),
                "{cmd} {i}: no location in {err}"
            );
        }
    }
    let err = run_invalid(&["assess", "/no/such/answers.yaml"]);
    assert!(err.contains("cannot read the answers file"), "{err}");
    let err = run_invalid(&["assess", &example("small-clinic"), "--as-of", "2026-02-30"]);
    assert!(err.contains("--as-of"), "{err}");
    let err = run_invalid(&["assess", &example("health-system"), "--as-of", "2025-01-01"]);
    assert!(portable(err).contains("examples/health-system.yaml:"));
}

#[test]
fn assess_nprm_shows_readiness_for_the_proposed_rule_labelled_as_ours() {
    for name in EXAMPLES {
        let v = json(&[
            "assess",
            &example(name),
            "--nprm",
            "--format",
            "json",
            "--as-of",
            AS_OF,
        ]);
        assert_eq!(v["view"], "derived", "{name}");
        assert!(v["label"].as_str().unwrap().contains("not HHS's"));
        assert!(
            v["rule"]["status"]
                .as_str()
                .unwrap()
                .contains("not in force")
        );
        let reqs = v["requirements"].as_array().unwrap();
        let total: u64 = v["counts"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum();
        assert_eq!(total, reqs.len() as u64, "{name}");
        for r in reqs {
            let readiness = r["readiness"].as_str().unwrap();
            assert!(
                [
                    "covered",
                    "partly",
                    "not_covered",
                    "unanswered",
                    "not_in_scope"
                ]
                .contains(&readiness)
            );
            assert!(!r["criteria"].as_array().unwrap().is_empty(), "{name}");
        }
    }
    // The small clinic keeps an immutable backup copy in a separate account (4.S.B.c6) and has
    // never had a vulnerability scan (7.S.A.c1, 7.S.A.c2).
    let v = json(&[
        "assess",
        &example("small-clinic"),
        "--nprm",
        "--format",
        "json",
        "--as-of",
        AS_OF,
    ]);
    let of = |id: &str| {
        v["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()["readiness"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(of("separate-backup-controls"), "covered");
    assert_eq!(of("vulnerability-scanning"), "not_covered");
    let text = run_ok(&[
        "assess",
        &example("small-clinic"),
        "--nprm",
        "--as-of",
        AS_OF,
    ]);
    assert!(text.contains("Our derived view of a proposed rule, not HHS's"));
    assert!(text.contains("90 FR 898"));
    assert!(text.contains("Separate controls for backup and recovery"));
    assert!(text.contains("(unverified)"));
}
