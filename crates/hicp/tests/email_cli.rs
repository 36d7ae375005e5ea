//! `hicp email …` as a user runs it, on zone files (no network): each problem reported in
//! plain words, the SPF result word, and exit code 2 for a broken zone file.

use assert_cmd::Command;
use serde_json::Value;

fn hicp() -> Command {
    Command::cargo_bin("hicp").expect("the hicp binary is built")
}

fn fixture(name: &str) -> String {
    format!("{}/tests/email/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `hicp email check` on a zone file: (stdout, exit code).
fn check(zone: &str, extra: &[&str]) -> (String, i32) {
    let zone = fixture(zone);
    let policy = fixture("mta-sts.txt");
    let mut args = vec![
        "email",
        "check",
        "maplestreet.example",
        "--zone",
        &zone,
        "--mta-sts-policy",
        &policy,
        "--dkim-selector",
        "s1",
    ];
    args.extend_from_slice(extra);
    let out = hicp().args(&args).output().unwrap();
    (
        String::from_utf8(out.stdout).unwrap() + &String::from_utf8_lossy(&out.stderr),
        out.status.code().unwrap_or(-1),
    )
}

fn json(zone: &str, extra: &[&str]) -> Value {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let (out, code) = check(zone, &args);
    assert_eq!(code, 0, "{out}");
    serde_json::from_str(&out).expect("JSON")
}

fn codes(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_good_domain_has_nothing_to_fix() {
    let v = json("good.zone", &[]);
    for sev in ["critical", "high", "medium", "low"] {
        assert_eq!(v["summary"][sev], 0, "{sev}: {:#}", v["findings"]);
    }
    for c in [
        "spf.ok",
        "dmarc.ok",
        "dkim.ok",
        "mx.ok",
        "mta-sts.ok",
        "tls-rpt.ok",
    ] {
        assert!(codes(&v).contains(&c.to_string()), "{c} in {:?}", codes(&v));
    }
    let (text, code) = check("good.zone", &[]);
    assert_eq!(code, 0);
    assert!(
        text.starts_with("Email check of maplestreet.example: 0 critical, 0 high"),
        "{text}"
    );
}

/// Each problem domain: the code expected, and words the office manager reads.
#[test]
fn each_problem_is_said_in_plain_words() {
    let cases = [
        (
            "no-dmarc.zone",
            vec![],
            "dmarc.missing",
            "has no DMARC record",
        ),
        (
            "p-none.zone",
            vec![],
            "dmarc.policy-none",
            "only watches (p=none)",
        ),
        (
            "plus-all.zone",
            vec![],
            "spf.pass-all",
            "allows every mail server in the world",
        ),
        (
            "many-lookups.zone",
            vec![],
            "spf.too-many-lookups",
            "needs 12 lookups",
        ),
        (
            "weak-dkim.zone",
            vec!["--dkim-selector", "old"],
            "dkim.key-weak",
            "is 1024 bits long",
        ),
    ];
    for (zone, extra, code, words) in cases {
        let v = json(zone, &extra);
        let f = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("{zone}: no {code} in {:?}", codes(&v)));
        assert!(
            f["title"].as_str().unwrap().contains(words),
            "{zone}: {}",
            f["title"]
        );
        assert!(
            f["fix"]
                .as_str()
                .unwrap()
                .starts_with("Ask your email provider")
                || f["fix"].as_str().unwrap().starts_with("Once"),
            "{zone}: {}",
            f["fix"]
        );
        assert!(!f["detail"].as_str().unwrap().is_empty());
        assert_eq!(f["criteria"][0], "1.M.A.c3");
        // The same words reach the terminal table.
        let (text, _) = check(zone, &extra);
        assert!(text.contains(code), "{zone}: {text}");
        assert!(
            text.contains(words)
                || text
                    .replace("\n", " ")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .contains(words),
            "{zone}: {text}"
        );
        assert!(text.contains("What to do:") && text.contains("For IT:"));
    }
    let v = json("plus-all.zone", &[]);
    assert_eq!(v["summary"]["critical"], 1);
}

#[test]
fn spf_prints_one_word() {
    let zone = fixture("spf.zone");
    let cases = [
        ("192.0.2.9", "anna@example.org", "pass"),
        ("2001:db8::5", "anna@example.org", "pass"),
        ("203.0.113.1", "anna@example.org", "softfail"),
        ("198.51.100.7", "bounce@relay.example.org", "pass"),
        ("198.51.100.8", "bounce@relay.example.org", "fail"),
        ("198.51.100.8", "x@slowpoke.example.org", "temperror"),
        ("198.51.100.8", "x@nowhere.example.org", "none"),
    ];
    for (ip, sender, want) in cases {
        let out = hicp()
            .args([
                "email",
                "spf",
                "--ip",
                ip,
                "--sender",
                sender,
                "--helo",
                "mx.example.com",
                "--zone",
                &zone,
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            format!("{want}\n"),
            "{ip} {sender}"
        );
    }
}

#[test]
fn a_bad_zone_file_exits_2_naming_file_and_line() {
    let (text, code) = check("bad.zone", &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("bad.zone: line 2:"), "{text}");
    assert!(
        text.contains("\"192.0.2.300\" is not an IPv4 address"),
        "{text}"
    );
    let out = hicp()
        .args([
            "email",
            "spf",
            "--ip",
            "192.0.2.1",
            "--sender",
            "a@b.example",
            "--helo",
            "h.example",
            "--zone",
            &fixture("bad.zone"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = hicp()
        .args([
            "email",
            "check",
            "not a domain",
            "--zone",
            &fixture("good.zone"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a domain name"));
}
