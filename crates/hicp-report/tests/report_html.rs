//! The HTML report: self-contained, escaped, labelled, and a few sections held to snapshots.

mod common;

use common::*;
use hicp_core::catalog::Provenance;
use hicp_interop::assessment::Assessed;
use hicp_report::html::{report, section};
use hicp_report::policies;

const SECTIONS: [&str; 8] = [
    "cover",
    "summary",
    "charts",
    "frameworks",
    "plan",
    "details",
    "evidence",
    "dossier",
];

#[test]
fn every_example_renders_a_self_contained_report() {
    let c = builtin();
    for name in ["small-clinic", "community-hospital", "health-system"] {
        let ans = example(&c, name);
        let a = Assessed::new(&c, &ans, as_of());
        let html = report(&a, None).unwrap();
        for id in SECTIONS {
            assert!(section(&html, id).is_some(), "{name}: no section {id}");
        }
        // One file: no script, no external stylesheet, image or font.
        for bad in ["<script", "<link", " src=", "url(", "@import"] {
            assert!(!html.contains(bad), "{name}: {bad}");
        }
        assert!(html.contains("@media print"));
        assert_eq!(html.matches("<svg").count(), 3, "{name}: three charts");
        // Chart ids are unique on the page.
        assert_eq!(html.matches("id=\"threats-t\"").count(), 1);
        // A detail per sub-practice in scope, a dossier row per sub-practice in scope.
        let scope = ans.scope(&c);
        assert_eq!(html.matches("<div class=\"detail\"").count(), scope.len());
        // Unverified titles and derived mappings are labelled.
        for sp in &scope {
            if sp.title_provenance == Provenance::Unverified {
                let d = &html[html.find(&format!("id=\"sp-{}\"", sp.id)).unwrap()..];
                let heading = &d[..d.find("</h3>").unwrap()];
                assert!(heading.contains("unverified title"), "{}", sp.id);
            }
        }
        let frameworks = section(&html, "frameworks").unwrap();
        assert_eq!(frameworks.matches("derived mapping").count(), 2);
        assert!(
            section(&html, "charts")
                .unwrap()
                .contains("derived mapping")
        );
    }
}

#[test]
fn each_number_in_a_criterion_says_whose_it_is() {
    let c = builtin();
    let ans = fixture(&c, "clinic");
    let a = Assessed::new(&c, &ans, as_of());
    let html = report(&a, None).unwrap();
    let details = section(&html, "details").unwrap();
    let row = |id: &str| -> &str {
        let at = details.find(&format!("<strong>{id}</strong>")).unwrap();
        &details[at..at + details[at..].find("</td>").unwrap()]
    };
    // HICP's monthly patching names where HICP gives it.
    assert!(
        row("7.S.A.c4")
            .contains("\u{201c}at least once a month\u{201d}: HICP, TV1 2.S.A and 7.S.A"),
        "{}",
        row("7.S.A.c4")
    );
    // The daily backup is our suggestion, with why.
    assert!(
        row("4.S.B.c3").contains("\u{201c}at least once a day\u{201d}: our suggestion: "),
        "{}",
        row("4.S.B.c3")
    );
    // A criterion without numbers has no label.
    assert!(!row("1.S.A.c2").contains("our suggestion"));
    // The plan's note says what the labels mean.
    assert!(
        section(&html, "plan")
            .unwrap()
            .contains("our suggestion (with why)")
    );
}

#[test]
fn titles_checked_only_against_2018_say_so() {
    let c = builtin();
    let ans = fixture(&c, "clinic");
    let a = Assessed::new(&c, &ans, as_of());
    let html = report(&a, None).unwrap();
    let heading = |id: &str| -> String {
        let d = &html[html.find(&format!("id=\"sp-{id}\"")).unwrap()..];
        d[..d.find("</h3>").unwrap()].to_owned()
    };
    assert!(heading("1.S.A").contains("as in the 2018 edition"));
    // An unverified title says so instead, and claims no edition.
    assert!(heading("1.S.B").contains("unverified title"));
    assert!(!heading("1.S.B").contains("edition"));
    // The 2023 threat names are not labelled.
    let summary = section(&html, "summary").unwrap();
    assert!(!summary.contains("2018 edition"));
}

#[test]
fn text_from_the_answers_file_is_escaped() {
    let c = builtin();
    let mut ans = fixture(&c, "clinic");
    ans.profile.name = Some("<script>alert(1)</script> & Co".into());
    let a = Assessed::new(&c, &ans, as_of());
    let html = report(&a, None).unwrap();
    assert!(!html.contains("<script>"));
    assert!(html.contains("alert(1)"));
    assert!(!html.contains("</script> & Co"));
}

#[test]
fn summary_section() {
    let c = builtin();
    let ans = fixture(&c, "clinic");
    let a = Assessed::new(&c, &ans, as_of());
    let html = report(&a, None).unwrap();
    insta::assert_snapshot!(section(&html, "summary").unwrap());
}

#[test]
fn summary_section_with_the_previous_answers_file() {
    let c = builtin();
    let ans = fixture(&c, "clinic");
    let prev = fixture(&c, "clinic-previous");
    let a = Assessed::new(&c, &ans, as_of());
    let html = report(&a, Some((&prev, "2025-10-01"))).unwrap();
    let s = section(&html, "summary").unwrap();
    assert!(s.contains("Since the previous assessment (2025-10-01)"));
    insta::assert_snapshot!(s);
}

#[test]
fn evidence_index_section() {
    let c = builtin();
    let ans = fixture(&c, "clinic");
    let a = Assessed::new(&c, &ans, as_of());
    let html = report(&a, None).unwrap();
    insta::assert_snapshot!(section(&html, "evidence").unwrap());
}

#[test]
fn dossier_of_one_practice() {
    let c = builtin();
    let ans = fixture(&c, "clinic");
    let a = Assessed::new(&c, &ans, as_of());
    let html = report(&a, None).unwrap();
    let d = section(&html, "dossier").unwrap();
    let start = d.find("<h3>Practice 1.").unwrap();
    let end = d[start..].find("</table>").unwrap() + start + "</table>".len();
    insta::assert_snapshot!(&d[start..end]);
}

#[test]
fn policies_and_the_incident_response_plan_are_filled_in() {
    let c = builtin();
    for name in ["small-clinic", "community-hospital", "health-system"] {
        let ans = example(&c, name);
        let docs = policies::documents(&c, &ans, as_of());
        let listed = c.lists.iter().find(|l| l.id == "policies").unwrap();
        assert_eq!(docs.len(), listed.items.len() + 1);
        let org = ans.profile.name.clone().unwrap();
        for d in &docs {
            assert!(d.markdown.contains(&org), "{}", d.stem);
            assert!(
                !d.markdown.contains("{{"),
                "{}: unfilled placeholder",
                d.stem
            );
            assert!(!d.markdown.contains("[Why"), "{}: only the outline", d.stem);
            assert!(d.markdown.contains(&format!("a {} organization", ans.tier)));
            assert!(d.html.starts_with("<!DOCTYPE html>"));
            assert!(!d.html.contains("<script"));
        }
        let plan = docs.last().unwrap();
        assert_eq!(plan.stem, "incident-response-plan");
        for list in ["cirt-roles", "ir-plays", "device-ir-plays"] {
            for item in &c.lists.iter().find(|l| l.id == list).unwrap().items {
                assert!(plan.markdown.contains(&item.name), "{list}: {}", item.name);
            }
        }
        assert!(!plan.markdown.contains("[Describe this role"));
    }
}

#[test]
fn one_printable_sheet_per_threat_for_staff() {
    let c = builtin();
    let ans = example(&c, "small-clinic");
    let sheets = policies::staff_sheets(&c, &ans);
    assert_eq!(sheets.len(), c.threats.len());
    let org = ans.profile.name.clone().unwrap();
    for (sheet, threat) in sheets.iter().zip(&c.threats) {
        assert_eq!(sheet.stem, format!("staff-sheet-{}", threat.id));
        assert!(sheet.markdown.contains(&threat.name) && sheet.markdown.contains(&org));
        for tip in &threat.tips {
            assert!(
                sheet.markdown.contains(tip.as_str()),
                "{}: {tip}",
                sheet.stem
            );
        }
        assert!(sheet.html.contains("<li>") && !sheet.html.contains("<script"));
    }
}

#[test]
fn proposed_rule_readiness_is_labelled_as_our_view_of_a_proposal() {
    let c = builtin();
    let ans = example(&c, "small-clinic");
    let a = Assessed::new(&c, &ans, as_of());
    let html = report(&a, None).unwrap();
    assert!(html.contains("href=\"#proposed-rule\""));
    let s = section(&html, "proposed-rule").unwrap();
    assert!(s.contains("derived view of a proposed rule"), "{s}");
    assert!(
        s.contains("not HHS&#39;s") || s.contains("not HHS's"),
        "{s}"
    );
    assert!(s.contains("90 FR 898"));
    assert!(s.contains("not in force"));
    // The clinic's separate, immutable backup copy covers the separate-backup requirement.
    let row = s
        .split("<tr>")
        .find(|r| r.contains("Separate controls for backup and recovery"))
        .unwrap();
    assert!(row.contains("class=\"ok\">covered"), "{row}");
    assert!(row.contains("4.S.B.c6 in place"), "{row}");
    let patching = s
        .split("<tr>")
        .find(|r| r.contains("Patch critical risks within 15 days"))
        .unwrap();
    assert!(patching.contains("unverified"), "{patching}");
}

#[test]
fn without_findings_there_is_no_findings_section() {
    // An answers file alone, or a closed snapshot: no scan findings are given.
    let c = builtin();
    let ans = fixture(&c, "clinic");
    let a = Assessed::new(&c, &ans, as_of());
    let html = report(&a, None).unwrap();
    assert!(section(&html, "findings").is_none());
    assert!(!html.contains("href=\"#findings\""));
    assert!(!html.contains("Fix these first"));
}

#[test]
fn findings_section_lists_known_exploited_first_in_plain_words() {
    let c = builtin();
    let ans = fixture(&c, "clinic");
    let a = Assessed::new(&c, &ans, as_of());
    let r = hicp_report::model::build(&a, None).with_findings(&findings(&c));
    let html = hicp_report::html::render(&r).unwrap();
    // In the contents, before the action plan.
    let toc = html.find("href=\"#findings\"").expect("a contents entry");
    assert!(toc < html.find("href=\"#plan\"").unwrap());
    assert!(
        html.find("<section id=\"findings\"").unwrap() < html.find("<section id=\"plan\"").unwrap()
    );
    // The summary points to it.
    let summary = section(&html, "summary").unwrap();
    assert!(
        summary.contains("2 findings from your vulnerability scans are known exploited by attackers or past HICP's time to fix (1 known exploited, 1 overdue)"),
        "{summary}"
    );
    let s = section(&html, "findings").unwrap();
    // KEV first, though not yet due; then the overdue one. The fresh and the fixed are left out.
    let kev = s.find("Firewall VPN portal").unwrap();
    let late = s.find("Old &#60;b&#62;web&#60;/b&#62; server").unwrap();
    assert!(kev < late);
    assert!(!s.contains("Fresh critical") && !s.contains("Fixed long ago"));
    assert!(!s.contains("<b>web"), "the title is escaped");
    assert!(s.contains("known exploited (KEV)"));
    assert!(s.contains("CVE-2024-3400, CVE-2023-4966"));
    // No raw internal values: every date and count is in words.
    assert!(!s.contains("days_late") && !s.contains("None"));
    insta::assert_snapshot!(s);
}

#[test]
fn the_report_lists_the_first_hundred_findings_and_counts_the_rest() {
    use hicp_core::assessment::findings::{Finding, Severity, Timeframes, rank};
    let c = builtin();
    let ans = fixture(&c, "clinic");
    let a = Assessed::new(&c, &ans, as_of());
    let many: Vec<Finding> = (0..103)
        .map(|i| Finding {
            host: format!("10.0.1.{i}"),
            port: None,
            protocol: None,
            title: format!("Finding {i}"),
            severity: Severity::Critical,
            cves: Vec::new(),
            first_seen: None,
            last_seen: None,
            fix_published: None,
            kev: true,
            open: true,
            source: "Nessus v2 XML".into(),
        })
        .collect();
    let p = rank(&many, &Timeframes::from_catalog(&c), as_of());
    let r = hicp_report::model::build(&a, None).with_findings(&p);
    let html = hicp_report::html::render(&r).unwrap();
    let s = section(&html, "findings").unwrap();
    assert_eq!(
        s.matches("<tr><td class=\"num\">").count(),
        hicp_report::model::REPORT_FINDINGS
    );
    assert!(s.contains("3 more findings are not listed here"), "{s}");
    assert!(s.contains("no HICP timeframe"));
    assert!(s.contains("<td>not given</td>"));
}

#[test]
fn open_findings_none_listed_still_say_so() {
    use hicp_core::assessment::findings::{Timeframes, rank};
    let c = builtin();
    let ans = fixture(&c, "clinic");
    let a = Assessed::new(&c, &ans, as_of());
    let p = rank(&[], &Timeframes::from_catalog(&c), as_of());
    let html =
        hicp_report::html::render(&hicp_report::model::build(&a, None).with_findings(&p)).unwrap();
    let s = section(&html, "findings").unwrap();
    assert!(
        s.contains("No open findings from vulnerability scans."),
        "{s}"
    );
    assert!(!s.contains("<table>"));
    // Nothing to point to from the summary.
    assert!(
        !section(&html, "summary")
            .unwrap()
            .contains("Fix these first")
    );
}

#[test]
fn evidence_on_a_question_not_answered_yet_is_listed_without_counting_as_an_answer() {
    use hicp_core::assessment::Evidence;
    let c = builtin();
    let plain = fixture(&c, "clinic");
    let mut ans = fixture(&c, "clinic");
    // 1.S.A.c5 has no answer in the fixture; an import filed a document on it.
    assert!(!ans.is_answered("1.S.A.c5"));
    ans.unanswered_evidence.insert(
        "1.S.A.c5".into(),
        vec![Evidence {
            title: "Mail gateway settings export".into(),
            location: Some("gateway.xml".into()),
            collected: Some(hicp_core::assessment::Date::parse("2026-09-01").unwrap()),
            valid_until: None,
        }],
    );
    // Evidence alone is no answer: the same scores, progress and 12-month check.
    let before = Assessed::new(&c, &plain, as_of());
    let a = Assessed::new(&c, &ans, as_of());
    assert_eq!(a.scores.overall, before.scores.overall);
    assert_eq!(ans.progress(&c).answered, plain.progress(&c).answered);
    assert_eq!(a.rsp.practices_qualifying, before.rsp.practices_qualifying);

    let html = report(&a, None).unwrap();
    let index = section(&html, "evidence").unwrap();
    let row = index
        .split("<tr>")
        .find(|r| r.contains("Mail gateway settings export"))
        .unwrap_or_else(|| panic!("listed in the index: {index}"));
    assert!(
        row.contains("1.S.A.c5<br><span class=\"muted\">not answered yet</span>"),
        "{row}"
    );
    assert!(
        row.contains("gateway.xml") && row.contains("2026-09-01"),
        "{row}"
    );
    assert!(index.contains("says nothing yet about whether that criterion is in place"));
    let n = row[row.find("<td>E").unwrap() + 4..row.find("</td>").unwrap()].to_owned();
    // The question's own row names it, and still says it is not answered yet.
    let details = section(&html, "details").unwrap();
    let at = details.find("<strong>1.S.A.c5</strong>").unwrap();
    let q = &details[at..at + details[at..].find("</tr>").unwrap()];
    assert!(q.contains("not answered yet"), "{q}");
    assert!(
        q.contains(&format!("{n} Mail gateway settings export")),
        "{q}"
    );
    // The dossier names it as a gap's evidence on file, never as proof.
    let dossier = section(&html, "dossier").unwrap();
    assert!(
        dossier.contains(&format!(
            "1.S.A.c5 is not answered yet, so the window is not covered; evidence on file ({n}) does not show it in place by itself"
        )),
        "{dossier}"
    );
    let proof_col = &dossier[dossier.find("<strong>1.S.A</strong>").unwrap()..];
    let proof_col = &proof_col[..proof_col.find("</tr>").unwrap()];
    assert!(!proof_col.contains("Mail gateway settings export"));
    // Without such evidence, no note.
    let plain_html = report(&before, None).unwrap();
    assert!(
        !section(&plain_html, "evidence")
            .unwrap()
            .contains("not answered yet")
    );
}
