//! The PDF report: it is a PDF, and its text (read back with `pdftotext`, from poppler-utils)
//! holds the key sections. Without `pdftotext` these tests fail: they do not skip.

mod common;

use common::*;
use hicp_interop::assessment::Assessed;
use hicp_report::pdf::report;
use std::io::Write as _;
use std::process::{Command, Stdio};

/// The text of a PDF, as `pdftotext` reads it (layout ignored, pages joined).
fn pdftotext(pdf: &[u8]) -> String {
    let mut child = Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pdftotext is installed (Debian package poppler-utils)");
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Collapses white space, so that words a line break split still match.
fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_example_renders_a_pdf_with_the_key_sections() {
    let c = builtin();
    for name in ["small-clinic", "community-hospital", "health-system"] {
        let ans = example(&c, name);
        let a = Assessed::new(&c, &ans, as_of());
        let pdf = report(&a, None).unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "{name}: not a PDF");
        let text = flat(&pdftotext(&pdf));
        let model = hicp_report::model::build(&a, None);
        let mut expected = vec![
            flat(&model.org),
            "Executive summary".into(),
            "Threats, practices and CSF 2.0 functions".into(),
            "HPH CPG status and HIPAA Security Rule coverage".into(),
            "Action plan".into(),
            "Sub-practices in detail".into(),
            "Evidence index".into(),
            "Recognized security practices: the 12-month dossier".into(),
            "derived mapping".into(),
            "Proposed HIPAA Security Rule changes: readiness".into(),
            "derived view of a proposed rule".into(),
        ];
        expected.extend(model.threats.iter().map(|t| flat(&t.name)));
        let first = model.details.first().expect("sub-practices in scope");
        expected.push(first.id.clone());
        expected.push(model.dossier[0].sub_practices[0].id.clone());
        for e in &expected {
            assert!(
                text.contains(e.as_str()),
                "{name}: no {e:?} in the PDF text"
            );
        }
        if model.details.iter().any(|d| d.unverified) {
            assert!(text.contains("unverified title"), "{name}");
        }
    }
}

#[test]
fn the_pdf_says_what_changed_and_is_the_same_for_the_same_inputs() {
    let c = builtin();
    let ans = fixture(&c, "clinic");
    let prev = fixture(&c, "clinic-previous");
    let a = Assessed::new(&c, &ans, as_of());
    let pdf = report(&a, Some((&prev, "clinic-previous.yaml"))).unwrap();
    assert_eq!(
        pdf,
        report(&a, Some((&prev, "clinic-previous.yaml"))).unwrap(),
        "rendering twice gives the same bytes"
    );
    let text = flat(&pdftotext(&pdf));
    assert!(
        text.contains("Since the previous assessment (clinic-previous.yaml)"),
        "{text}"
    );
}

#[test]
fn user_text_is_data_not_markup() {
    let c = builtin();
    let mut ans = example(&c, "small-clinic");
    // Typst markup and code in the organization's name must come out as the characters typed.
    ans.profile.name = Some("#panic(\"x\") *Bold* $x$ [a] <l> @ref \\ // c".to_owned());
    let a = Assessed::new(&c, &ans, as_of());
    let pdf = report(&a, None).unwrap();
    let text = flat(&pdftotext(&pdf));
    assert!(
        text.contains("#panic(\"x\") *Bold* $x$ [a] <l> @ref \\ // c"),
        "{text}"
    );
}

#[test]
fn the_pdf_lists_scan_findings_known_exploited_first() {
    let c = builtin();
    let ans = fixture(&c, "clinic");
    let a = Assessed::new(&c, &ans, as_of());
    let r = hicp_report::model::build(&a, None).with_findings(&findings(&c));
    let text = flat(&pdftotext(&hicp_report::pdf::render(&r).unwrap()));
    assert!(
        text.contains("Fix these first: findings from your scans"),
        "{text}"
    );
    let kev = text.find("Firewall VPN portal command injection").unwrap();
    // Typst markup in a title is text.
    let late = text.find("Old <b>web</b> server #panic(\"x\")").unwrap();
    assert!(kev < late);
    assert!(text.contains("known exploited (KEV)"));
    assert!(!text.contains("Fresh critical"));
    // Before the action plan's heading (the contents name it too: take the last).
    assert!(late < text.rfind("Action plan").unwrap());
    // Without findings, no such section.
    let plain = flat(&pdftotext(&report(&a, None).unwrap()));
    assert!(!plain.contains("Fix these first"));
}

#[test]
fn the_pdf_lists_evidence_on_a_question_not_answered_yet() {
    let c = builtin();
    let mut ans = fixture(&c, "clinic");
    ans.unanswered_evidence.insert(
        "1.S.A.c5".into(),
        vec![hicp_core::assessment::Evidence {
            title: "Mail gateway settings export".into(),
            location: None,
            collected: None,
            valid_until: None,
        }],
    );
    let a = Assessed::new(&c, &ans, as_of());
    let text = flat(&pdftotext(&report(&a, None).unwrap()));
    let index = text.rfind("Evidence index").unwrap();
    let at = text[index..].find("Mail gateway settings export").unwrap() + index;
    assert!(text[at..].contains("1.S.A.c5 not answered yet"), "{text}");
    assert!(text.contains("says nothing yet about whether that criterion is in place"));
}
