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
