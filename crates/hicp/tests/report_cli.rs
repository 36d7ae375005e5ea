//! `hicp report` and `hicp templates` as a user runs them: the real binary on the three
//! example organizations, every format, and exit code 2 for bad input.

mod support;

use serde_json::Value;
use std::path::Path;
use support::cli::*;

fn report(file: &str, format: &str, out: &Path) -> Vec<u8> {
    let o = out.display().to_string();
    let stdout = run_ok(&[
        "report", file, "--format", format, "--as-of", AS_OF, "-o", &o,
    ]);
    assert!(stdout.starts_with(&format!("wrote {o}")), "{stdout}");
    std::fs::read(out).unwrap()
}

#[test]
fn report_writes_every_format_for_every_example() {
    let dir = tempfile::tempdir().unwrap();
    for name in EXAMPLES {
        let file = example(name);
        let html = String::from_utf8(report(
            &file,
            "html",
            &dir.path().join(format!("{name}.html")),
        ))
        .unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        for id in ["summary", "plan", "evidence", "dossier"] {
            assert!(
                html.contains(&format!("<section id=\"{id}\"")),
                "{name}: {id}"
            );
        }

        let ap: Value = serde_json::from_slice(&report(
            &file,
            "oscal-ap",
            &dir.path().join("assessment-plan.json"),
        ))
        .unwrap();
        assert_eq!(
            ap["assessment-plan"]["import-ssp"]["href"],
            format!("{name}.yaml")
        );
        let ar: Value =
            serde_json::from_slice(&report(&file, "oscal-ar", &dir.path().join("ar.json")))
                .unwrap();
        assert_eq!(
            ar["assessment-results"]["import-ap"]["href"],
            "assessment-plan.json"
        );
        let ap_uuid = ap["assessment-plan"]["uuid"].as_str().unwrap();
        assert!(
            ar["assessment-results"]["import-ap"]["remarks"]
                .as_str()
                .unwrap()
                .contains(ap_uuid)
        );
        let poam: Value =
            serde_json::from_slice(&report(&file, "oscal-poam", &dir.path().join("poam.json")))
                .unwrap();
        assert!(
            !poam["plan-of-action-and-milestones"]["poam-items"]
                .as_array()
                .unwrap()
                .is_empty()
        );

        let xlsx = report(&file, "xlsx", &dir.path().join("a.xlsx"));
        assert!(xlsx.starts_with(b"PK"), "an XLSX file is a zip archive");

        let csv = String::from_utf8(report(&file, "csv", &dir.path().join("plan.csv"))).unwrap();
        assert!(csv.starts_with("rank,horizon,due,sub_practice,"));
        // As many rows as `hicp plan` has actions.
        let plan: Value = serde_json::from_str(&run_ok(&[
            "plan", &file, "--format", "json", "--as-of", AS_OF,
        ]))
        .unwrap();
        let rows = csv::Reader::from_reader(csv.as_bytes()).records().count();
        assert_eq!(rows, plan.as_array().unwrap().len());
    }
}

#[test]
fn report_to_standard_output_and_with_a_previous_file() {
    let file = example("community-hospital");
    let html = run_ok(&[
        "report",
        &file,
        "--as-of",
        AS_OF,
        "--previous",
        &example("community-hospital"),
        "-o",
        "-",
    ]);
    assert!(html.contains("Since the previous assessment"));
    assert!(html.contains("No sub-practice improved."));
    let csv = run_ok(&[
        "report", &file, "--format", "csv", "--as-of", AS_OF, "-o", "-",
    ]);
    assert!(csv.starts_with("rank,"));
}

#[test]
fn report_writes_a_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.pdf");
    let o = out.display().to_string();
    let file = example("small-clinic");
    let stdout = run_ok(&[
        "report",
        &file,
        "--format",
        "pdf",
        "--as-of",
        AS_OF,
        "--previous",
        &file,
        "-o",
        &o,
    ]);
    assert!(
        stdout.starts_with(&format!("wrote {o}: PDF report for ")),
        "{stdout}"
    );
    let pdf = std::fs::read(&out).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(
        pdf.len() > 10_000,
        "a report of many pages: {} bytes",
        pdf.len()
    );
}

#[test]
fn templates_writes_markdown_and_html_for_every_example() {
    for name in EXAMPLES {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("policies");
        let o = out.display().to_string();
        let stdout = run_ok(&["templates", &example(name), "-o", &o, "--as-of", AS_OF]);
        assert!(stdout.contains("wrote 16 documents"), "{stdout}");
        let mut files: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files.len(), 32);
        assert!(files.contains(&"staff-sheet-ransomware.html".to_owned()));
        assert!(files.contains(&"incident-response-plan.md".to_owned()));
        assert!(files.contains(&"data-classification.html".to_owned()));
        let plan = std::fs::read_to_string(out.join("incident-response-plan.md")).unwrap();
        let org = std::fs::read_to_string(example(name)).unwrap();
        let org_name = org
            .lines()
            .find_map(|l| l.trim().strip_prefix("name: "))
            .unwrap();
        assert!(plan.contains(org_name), "{name}");
        assert!(plan.contains("HIPAA Compliance"));
    }
}

#[test]
fn bad_input_exits_with_code_2() {
    let file = example("small-clinic");
    let e = run_invalid(&["report", &file, "--as-of", "2026-13-01", "-o", "-"]);
    assert!(e.contains("--as-of"), "{e}");
    let e = run_invalid(&["report", "no-such-file.yaml", "-o", "-"]);
    assert!(e.contains("cannot read the answers file"), "{e}");
    let e = run_invalid(&[
        "report",
        &file,
        "--previous",
        "missing.yaml",
        "--as-of",
        AS_OF,
        "-o",
        "-",
    ]);
    assert!(e.contains("missing.yaml"), "{e}");
    run_invalid(&["templates", "no-such-file.yaml", "-o", "x"]);
}
