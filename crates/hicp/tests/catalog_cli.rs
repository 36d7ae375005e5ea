//! `hicp catalog …` as a user runs it: the real binary, its output and exit codes.

use assert_cmd::Command;
use serde_json::Value;

fn hicp() -> Command {
    Command::cargo_bin("hicp").expect("the hicp binary is built")
}

fn stdout(args: &[&str]) -> String {
    let out = hicp().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The `id`s of a JSON array of sub-practices.
fn ids(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect()
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&stdout(args)).expect("valid JSON")
}

#[test]
fn list_by_tier_has_hicps_counts_and_complete_entries() {
    for (tier, n) in [("small", 19), ("medium", 36), ("large", 70)] {
        let v = json(&["catalog", "list", "--tier", tier, "--format", "json"]);
        let entries = v.as_array().unwrap();
        assert_eq!(entries.len(), n, "{tier}");
        for e in entries {
            for key in [
                "id", "practice", "tier", "title", "threats", "csf", "criteria", "actions",
            ] {
                assert!(!e[key].is_null(), "{key} missing in {}", e["id"]);
            }
            assert!(e["criteria"].as_array().unwrap().len() >= 2);
            assert!(!e["actions"].as_array().unwrap().is_empty());
            assert!(!e["csf"].as_array().unwrap().is_empty());
            let c = &e["criteria"][0];
            assert!(c["id"].is_string() && c["text"].is_string());
            let a = &e["actions"][0];
            assert!(["low", "medium", "high"].contains(&a["effort"].as_str().unwrap()));
        }
    }
}

#[test]
fn list_filters_by_practice_and_threat() {
    let v = json(&["catalog", "list", "--practice", "9", "--format", "json"]);
    assert_eq!(v.as_array().unwrap().len(), 10);
    let v = json(&[
        "catalog",
        "list",
        "--threat",
        "medical-devices",
        "--tier",
        "small",
        "--format",
        "json",
    ]);
    let ids = ids(&v);
    assert!(ids.contains(&"9.S.A") && !ids.contains(&"1.S.A"), "{ids:?}");
    // T5 is the same threat by number.
    assert_eq!(
        v,
        json(&[
            "catalog", "list", "--threat", "T5", "--tier", "small", "--format", "json"
        ])
    );
}

#[test]
fn list_as_table_and_csv() {
    let table = stdout(&["catalog", "list", "--tier", "small"]);
    assert!(table.contains("| 7.S.A"), "{table}");
    assert!(table.trim_end().ends_with("19 sub-practices"));
    let csv = stdout(&["catalog", "list", "--practice", "1", "--format", "csv"]);
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("id,practice,tier,title"));
    assert_eq!(lines.count(), 10);
}

#[test]
fn unknown_threat_is_bad_input() {
    let out = hicp()
        .args(["catalog", "list", "--threat", "ransomwear"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean \"ransomware\"?"), "{err}");
}

#[test]
fn show_text_for_the_office_manager_and_the_ciso() {
    insta::assert_snapshot!("show_1_S_A", stdout(&["catalog", "show", "1.S.A"]));
    insta::assert_snapshot!("show_7_M_D", stdout(&["catalog", "show", "7.M.D"]));
}

#[test]
fn show_json_labels_provenance() {
    let v = json(&["catalog", "show", "8.S.B", "--format", "json"]);
    assert_eq!(v["title_provenance"], "unverified");
    assert_eq!(v["csf_provenance"], "derived");
    assert_eq!(v["cpg"]["provenance"], "derived");
    insta::assert_json_snapshot!(
        "show_1_S_A_json",
        json(&["catalog", "show", "1.S.A", "--format", "json"])
    );
}

#[test]
fn show_unknown_id_suggests_the_nearest() {
    let out = hicp().args(["catalog", "show", "3.M.Z"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown sub-practice \"3.M.Z\" (did you mean \"3.M.A\"?)"),
        "{err}"
    );
}

#[test]
fn threats_show_tips_for_staff() {
    let text = stdout(&["catalog", "threats"]);
    assert!(text.contains("T1 Social Engineering"));
    assert!(text.contains("Tips for clinicians and staff"));
    let v = json(&["catalog", "threats", "--format", "json"]);
    assert_eq!(v.as_array().unwrap().len(), 5);
    assert_eq!(v[4]["practices"], serde_json::json!([3, 5, 6, 7, 8, 9, 10]));
}

#[test]
fn search_matches_titles_and_criteria() {
    let v = json(&["catalog", "search", "phishing", "--format", "json"]);
    let ids = ids(&v);
    assert!(ids.contains(&"1.S.C") && ids.contains(&"1.M.D"), "{ids:?}");
    let none = stdout(&["catalog", "search", "xyzzy-nothing"]);
    assert!(none.contains("No sub-practice mentions"));
}

#[test]
fn export_writes_json_and_oscal() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["json", "oscal"] {
        let path = dir.path().join(format!("catalog.{format}.json"));
        hicp()
            .args(["catalog", "export", "--format", format, "-o"])
            .arg(&path)
            .assert()
            .success();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        match format {
            "json" => assert_eq!(v["sub_practices"].as_array().unwrap().len(), 89),
            _ => assert_eq!(v["catalog"]["metadata"]["oscal-version"], "1.2.3"),
        }
    }
}

#[test]
fn oscal_export_is_the_same_bytes_on_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = |n: usize| {
        let path = dir.path().join(format!("run{n}.json"));
        hicp()
            .args(["catalog", "export", "--format", "oscal", "-o"])
            .arg(&path)
            .assert()
            .success();
        std::fs::read(&path).unwrap()
    };
    let first = run(1);
    // Long enough for a clock with one-second resolution to move on.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = run(2);
    assert!(first == second, "two OSCAL exports differ");
    assert_eq!(
        stdout(&["catalog", "export", "--format", "oscal", "-o", "-"]).as_bytes(),
        first
    );
    // Dated by the catalog's version, which catalog.yaml states.
    let yaml = include_str!("../../../catalog/hicp-2023/catalog.yaml");
    let date = yaml
        .lines()
        .find_map(|l| l.strip_prefix("version_date:"))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("catalog.yaml has a version_date");
    let v: Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(
        v["catalog"]["metadata"]["last-modified"],
        format!("{date}T00:00:00Z")
    );
}

#[test]
fn check_accepts_the_built_in_catalog_and_rejects_a_broken_one() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalog/hicp-2023");
    let ok = hicp().args(["catalog", "check", root]).output().unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        String::from_utf8_lossy(&ok.stdout)
            .contains("89 sub-practices (19 small, 36 medium, 34 large)")
    );

    let dir = tempfile::tempdir().unwrap();
    copy_dir(std::path::Path::new(root), dir.path());
    let p = dir.path().join("practices/10-cybersecurity-policies.yaml");
    let text = std::fs::read_to_string(&p).unwrap();
    let broken = text.replacen("threats: [", "threats: [phishing, ", 1);
    std::fs::write(&p, &broken).unwrap();
    let line = broken[..broken.find("threats: [phishing").unwrap()]
        .matches('\n')
        .count()
        + 1;

    let out = hicp()
        .args(["catalog", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let want = format!("practices/10-cybersecurity-policies.yaml:{line}:");
    assert!(err.contains(&want), "{err}");
    assert!(
        err.contains("practice.threats: unknown threat \"phishing\""),
        "{err}"
    );

    // The same broken catalog through --catalog is refused the same way.
    let out = hicp()
        .args(["catalog", "list", "--catalog"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn check_of_a_missing_folder_is_bad_input() {
    let out = hicp()
        .args(["catalog", "check", "/nonexistent/catalog"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a catalog folder"));
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}
