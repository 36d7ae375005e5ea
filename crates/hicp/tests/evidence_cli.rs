//! `hicp evidence import` as a user runs it: the JSON contract on real exports, KEV flags,
//! several files at once, and exit code 2 with the file and place for bad input.

mod support;

use serde_json::Value;
use std::path::PathBuf;
use support::cli::*;

fn fixture(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../hicp-evidence/tests/fixtures")
        .join(rel)
        .display()
        .to_string()
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&run_ok(args)).expect("valid JSON")
}

#[test]
fn the_json_has_every_field_of_the_contract() {
    let f = fixture("nessus-csv/nessus_many_vuln.csv");
    let v = json(&[
        "evidence",
        "import",
        &f,
        "--format",
        "json",
        "--as-of",
        "2026-01-01",
    ]);
    for key in [
        "kind",
        "source",
        "records",
        "findings",
        "compliance",
        "assets",
        "criteria",
        "warnings",
    ] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
    assert_eq!(v["kind"], "nessus");
    assert_eq!(v["records"], 4);
    for key in ["file", "sha256", "scanner", "generated"] {
        assert!(v["source"].get(key).is_some(), "source.{key} missing");
    }
    assert_eq!(v["source"]["sha256"].as_str().unwrap().len(), 64);
    let f0 = &v["findings"][0];
    for key in [
        "host",
        "port",
        "protocol",
        "title",
        "severity",
        "cves",
        "cvss3",
        "first_seen",
        "last_seen",
        "kev",
    ] {
        assert!(f0.get(key).is_some(), "findings[].{key} missing");
    }
    assert_eq!(f0["host"], "10.1.1.1");
    assert_eq!(f0["severity"], "medium");
    assert_eq!(f0["cves"], serde_json::json!(["CVE-2004-2761"]));
    assert_eq!(f0["first_seen"], "2021-01-05");
    assert_eq!(f0["kev"], false);
    let c = v["criteria"].as_array().unwrap();
    assert!(
        c.iter()
            .any(|o| o["id"] == "7.M.D.c2" && o["suggested_status"] == "largely")
    );
}

#[test]
fn kev_flags_follow_the_supplied_catalog() {
    let scan = fixture("nessus/nessus_with_cvssv3.nessus");
    let kev = fixture("kev/known_exploited_vulnerabilities.csv");
    let without = json(&[
        "evidence",
        "import",
        &scan,
        "--format",
        "json",
        "--as-of",
        "2026-01-01",
    ]);
    assert!(
        without["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["kev"] == false)
    );
    let with = json(&[
        "evidence",
        "import",
        &scan,
        "--kev",
        &kev,
        "--format",
        "json",
        "--as-of",
        "2026-01-01",
    ]);
    let flagged = with["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kev"] == true)
        .count();
    assert!(flagged > 0);
    assert!(
        with["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == "7.M.D.c5")
    );
}

#[test]
fn several_files_add_what_they_say_together() {
    let scan = fixture("nessus-csv/nessus_many_vuln.csv");
    let inv = fixture("inventory/cmdb_export.csv");
    let v = json(&[
        "evidence",
        "import",
        &scan,
        &inv,
        "--format",
        "json",
        "--as-of",
        "2026-01-01",
    ]);
    assert_eq!(v["imports"].as_array().unwrap().len(), 2);
    assert_eq!(v["imports"][1]["kind"], "inventory");
    assert!(
        v["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == "5.M.A.c5")
    );
}

#[test]
fn the_table_names_the_file_and_its_findings() {
    let f = fixture("dmarc/fastmail.com_example.com_1516060800_1516147199_102675056.xml.gz");
    let out = run_ok(&["evidence", "import", &f, "--as-of", "2026-01-01"]);
    assert!(
        out.contains("dmarc-report (DMARC aggregate report), 1 records"),
        "{out}"
    );
    assert!(out.contains("1.M.A.c3"), "{out}");
}

#[test]
fn bad_input_is_exit_2_with_the_file_and_place() {
    let broken = fixture("dmarc/invalid_xml.xml");
    let err = run_invalid(&["evidence", "import", &broken]);
    assert!(
        err.contains("invalid_xml.xml") && err.contains("byte 133"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let xxe = dir.path().join("x.nessus");
    std::fs::write(&xxe, "<!DOCTYPE r [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><NessusClientData_v2><Report><ReportHost name=\"&e;\"><ReportItem port=\"1\" protocol=\"tcp\" severity=\"1\" pluginID=\"1\" pluginName=\"p\"/></ReportHost></Report></NessusClientData_v2>").unwrap();
    let v = json(&[
        "evidence",
        "import",
        xxe.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(!v.to_string().contains("root:"));
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["message"].as_str().unwrap().contains("never expanded"))
    );

    let err = run_invalid(&[
        "evidence",
        "import",
        &fixture("inventory/cmdb_export.csv"),
        "--kind",
        "nessus",
    ]);
    assert!(
        err.contains("cmdb_export.csv: the content is inventory (CSV), not nessus"),
        "{err}"
    );

    let err = run_invalid(&["evidence", "import", "/no/such/file.nessus"]);
    assert!(
        err.contains("/no/such/file.nessus: cannot read the file"),
        "{err}"
    );

    let err = run_invalid(&[
        "evidence",
        "import",
        &fixture("nessus/nessus_many_vuln.xml"),
        "--as-of",
        "someday",
    ]);
    assert!(err.contains("--as-of"), "{err}");
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn an_answers_file_keys_the_observations_to_its_assessment() {
    let inventory = fixture("inventory/cmdb_export.csv");
    let small = example("small-clinic");
    let v = json(&[
        "evidence",
        "import",
        &inventory,
        "--answers",
        &small,
        "--format",
        "json",
        "--as-of",
        "2026-10-01",
    ]);
    // Only the small practice's criteria, each beside the file's answer; the others named.
    assert_eq!(ids(&v["criteria"]), ["5.S.A.c1", "5.S.A.c2", "9.S.A.c1"]);
    assert_eq!(v["criteria"][1]["suggested_status"], "partial");
    assert_eq!(v["criteria"][1]["answer"], "partial");
    assert_eq!(
        v["outside_scope"],
        serde_json::json!(["5.M.A.c1", "5.M.A.c2", "9.M.D.c1"])
    );
    // Without the answers file, every tier's criteria and no `answer`.
    let plain = json(&["evidence", "import", &inventory, "--format", "json"]);
    assert_eq!(plain["criteria"].as_array().unwrap().len(), 6);
    assert!(plain["criteria"][0].get("answer").is_none());
    assert!(plain.get("outside_scope").is_none());

    // mSCP maps to sub-practices: with a large organization's file, each of their criteria.
    let mscp = fixture("mscp/hicp_lp_baseline.csv");
    let large = json(&[
        "evidence",
        "import",
        &mscp,
        "--answers",
        &example("health-system"),
        "--format",
        "json",
    ]);
    let got = ids(&large["criteria"]);
    assert!(got.contains(&"2.L.A.c1".to_owned()) && got.contains(&"2.L.A.c4".to_owned()));
    assert!(got.iter().all(|id| id.matches('.').count() == 3), "{got:?}");
    assert_eq!(large["outside_scope"], serde_json::json!([]));
    let c = &large["criteria"][ids(&large["criteria"])
        .iter()
        .position(|i| i == "2.L.A.c1")
        .unwrap()];
    assert_eq!(c["suggested_status"], "partial", "two of its rules fail");
    // The small clinic's assessment has none of the large sub-practices.
    let none = json(&[
        "evidence",
        "import",
        &mscp,
        "--answers",
        &small,
        "--format",
        "json",
    ]);
    assert_eq!(none["criteria"], serde_json::json!([]));
    assert!(
        none["outside_scope"].as_array().unwrap().len() >= 5,
        "{none}"
    );

    // Several files: each keyed, and what they say together keyed too.
    let scan = fixture("nessus-csv/issue_11102.csv");
    let both = json(&[
        "evidence",
        "import",
        &scan,
        &inventory,
        "--answers",
        &example("community-hospital"),
        "--format",
        "json",
        "--as-of",
        "2026-10-01",
    ]);
    assert_eq!(ids(&both["imports"][0]["criteria"]), ["7.M.D.c2"]);
    assert_eq!(ids(&both["criteria"]), ["5.M.A.c5", "7.M.A.c1"]);
    assert!(both["criteria"][0].get("answer").is_some());

    // The table says the same in words.
    let table = run_ok(&["evidence", "import", &inventory, "--answers", &small]);
    assert!(table.contains("For the answers file:"), "{table}");
    assert!(
        table.contains("5.S.A.c2 (answer: partial, suggested: partial)"),
        "{table}"
    );
    assert!(
        table.contains("Not in its assessment: 5.M.A.c1, 5.M.A.c2, 9.M.D.c1"),
        "{table}"
    );
}

#[test]
fn a_bad_answers_file_is_exit_2_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("answers.yaml");
    std::fs::write(&bad, "tier: enormous\n").unwrap();
    let err = run_invalid(&[
        "evidence",
        "import",
        &fixture("inventory/cmdb_export.csv"),
        "--answers",
        bad.to_str().unwrap(),
    ]);
    assert!(err.contains("answers.yaml:1:"), "{err}");
    let err = run_invalid(&[
        "evidence",
        "import",
        &fixture("inventory/cmdb_export.csv"),
        "--answers",
        "/nonexistent/answers.yaml",
    ]);
    assert!(err.contains("cannot read the answers file"), "{err}");
}

/// `hicp plan --findings`: the scan's KEV-listed finding first, then the most overdue by
/// HICP Table 8, before the actions; bad files are exit 2 naming the file and the place.
#[test]
fn the_plan_starts_with_kev_and_overdue_findings_from_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let scan = dir.path().join("scan.json");
    let out = run_ok(&[
        "evidence",
        "import",
        &fixture("nessus/nessus_with_cvssv3.nessus"),
        "--kev",
        &fixture("kev/known_exploited_vulnerabilities.csv"),
        "--format",
        "json",
    ]);
    std::fs::write(&scan, out).unwrap();
    let scan = scan.display().to_string();
    let answers = example("small-clinic");
    let v = json(&["plan", &answers, "--findings", &scan, "--format", "json"]);
    let items = v["findings"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 17);
    assert_eq!(items[0]["kev"], true);
    assert_eq!(items[0]["cves"][0], "CVE-2012-1823");
    assert_eq!(items[0]["due_on"], "2012-08-01");
    assert_eq!(items[1]["title"], "PHP 5.x < 5.2 Multiple Vulnerabilities");
    assert_eq!(items[1]["due_on"], "2007-01-31");
    // The actions are the plan without findings.
    let plain: Value =
        serde_json::from_str(&run_ok(&["plan", &answers, "--format", "json"])).unwrap();
    assert_eq!(v["actions"], plain);

    let text = run_ok(&["plan", &answers, "--findings", &scan]);
    let first = text.find("Fix these first").unwrap();
    let actions = text.find("HICP action plan").unwrap();
    assert!(first < actions, "{text}");
    let row = text.lines().find(|l| l.starts_with("| 1 ")).unwrap();
    assert!(
        row.contains("CVE-2012-1823") && row.contains("KEV"),
        "{row}"
    );
    assert!(row.contains("days overdue"), "{row}");

    // Bad input: exit 2, the file named.
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\"kind\": \"nessus\", \"source\": {}, \"findings\": [{\"host\": 1}]}",
    )
    .unwrap();
    let bad = bad.display().to_string();
    let err = run_invalid(&["plan", &answers, "--findings", &bad]);
    assert!(err.contains("bad.json") && err.contains("line 1"), "{err}");
    let err = run_invalid(&["plan", &answers, "--findings", "/nonexistent/scan.json"]);
    assert!(err.contains("cannot read the findings file"), "{err}");
    let err = run_invalid(&["plan", &answers, "--findings", &scan, "--format", "csv"]);
    assert!(err.contains("--findings"), "{err}");
}

/// `hicp report --findings`: the HTML report has "Fix these first", KEV first, as `hicp plan
/// --findings` ranks them; without the option it has none; the other formats say they do not
/// use it; a bad file is exit 2.
#[test]
fn the_report_starts_with_kev_and_overdue_findings_from_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let scan = dir.path().join("scan.json");
    let out = run_ok(&[
        "evidence",
        "import",
        &fixture("nessus/nessus_with_cvssv3.nessus"),
        "--kev",
        &fixture("kev/known_exploited_vulnerabilities.csv"),
        "--format",
        "json",
    ]);
    std::fs::write(&scan, out).unwrap();
    let scan = scan.display().to_string();
    let answers = example("small-clinic");
    let html = |extra: &[&str]| {
        let mut args = vec![
            "report",
            answers.as_str(),
            "--as-of",
            "2026-10-01",
            "-o",
            "-",
        ];
        args.extend_from_slice(extra);
        run_ok(&args)
    };
    let with = html(&["--findings", &scan]);
    let at = with
        .find("<section id=\"findings\"")
        .expect("a findings section");
    let section = &with[at..at + with[at..].find("</section>").unwrap()];
    assert!(at < with.find("<section id=\"plan\"").unwrap());
    assert!(
        section
            .contains("26 open findings from vulnerability scans: 1 known exploited by attackers"),
        "{section}"
    );
    // The first row is the KEV-listed one, labelled, with its CVE.
    let first = &section[section.find("<tr><td class=\"num\">1</td>").unwrap()..];
    let first = &first[..first.find("</tr>").unwrap()];
    assert!(
        first.contains("known exploited (KEV)") && first.contains("CVE-2012-1823"),
        "{first}"
    );
    assert_eq!(section.matches("<tr><td class=\"num\">").count(), 17);
    assert!(!html(&[]).contains("id=\"findings\""));

    // The other formats do not use it, and say so.
    let o = dir.path().join("plan.csv");
    let out = hicp()
        .args([
            "report",
            &answers,
            "--format",
            "csv",
            "--findings",
            &scan,
            "-o",
        ])
        .arg(&o)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "--findings is used by the HTML and PDF reports, the workbook, the OSCAL results and findings-csv only"
        )
    );

    // The findings as CSV: the same from `hicp report` and `hicp plan`, KEV first, cells
    // made inert; the workbook has them as a sheet and the OSCAL results as findings.
    let csv = run_ok(&[
        "report",
        &answers,
        "--as-of",
        "2026-10-01",
        "--format",
        "findings-csv",
        "--findings",
        &scan,
        "-o",
        "-",
    ]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("rank,host,title,cves,severity,since,due,overdue,kev,why")
    );
    let first = lines.next().unwrap();
    assert!(
        first.starts_with("1,testphp.vulnweb.com:80,") && first.contains("CVE-2012-1823"),
        "{first}"
    );
    assert!(first.contains(",yes,yes,"), "overdue and KEV: {first}");
    assert_eq!(csv.lines().count(), 18);
    let plan_csv = run_ok(&[
        "plan",
        &answers,
        "--as-of",
        "2026-10-01",
        "--findings",
        &scan,
        "--format",
        "findings-csv",
    ]);
    assert_eq!(plan_csv, csv);
    let err = run_invalid(&["report", &answers, "--format", "findings-csv", "-o", "-"]);
    assert!(err.contains("--findings"), "{err}");
    let err = run_invalid(&["plan", &answers, "--format", "findings-csv"]);
    assert!(err.contains("--findings"), "{err}");
    let xlsx = dir.path().join("a.xlsx");
    run_ok(&[
        "report",
        &answers,
        "--format",
        "xlsx",
        "--findings",
        &scan,
        "-o",
        xlsx.to_str().unwrap(),
    ]);
    use calamine::Reader as _;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    assert_eq!(
        wb.sheet_names(),
        ["answers", "scores", "action plan", "findings"]
    );
    assert_eq!(wb.worksheet_range("findings").unwrap().height(), 18);
    let ar: Value = serde_json::from_str(&run_ok(&[
        "report",
        &answers,
        "--format",
        "oscal-ar",
        "--findings",
        &scan,
        "-o",
        "-",
    ]))
    .unwrap();
    let observations = ar["assessment-results"]["results"][0]["observations"]
        .as_array()
        .unwrap();
    assert_eq!(
        observations
            .iter()
            .filter(|o| o["methods"][0] == "TEST")
            .count(),
        17
    );

    let err = run_invalid(&[
        "report",
        &answers,
        "--findings",
        "/nonexistent/scan.json",
        "-o",
        "-",
    ]);
    assert!(err.contains("cannot read the findings file"), "{err}");
}
