//! Shared by the report tests: the built-in catalog and the example answers files.

#![allow(dead_code)]

use hicp_core::assessment::{Answers, Date, parse};
use hicp_core::catalog::{Catalog, SourceFile, load};

pub fn builtin() -> Catalog {
    let files: Vec<SourceFile> = hicp_content::builtin_files()
        .into_iter()
        .map(|(path, text)| SourceFile { path, text })
        .collect();
    load(hicp_content::BUILTIN_ROOT, &files).expect("built-in catalog loads")
}

pub fn as_of() -> Date {
    Date::parse("2026-10-01").unwrap()
}

pub fn answers(c: &Catalog, path: &str) -> Answers {
    let text = std::fs::read_to_string(path).unwrap();
    parse(path, &text, c, as_of()).unwrap()
}

/// One of `examples/*.yaml`, by name.
pub fn example(c: &Catalog, name: &str) -> Answers {
    answers(
        c,
        &format!("{}/../../examples/{name}.yaml", env!("CARGO_MANIFEST_DIR")),
    )
}

/// One of `tests/fixtures/*.yaml`, by name.
pub fn fixture(c: &Catalog, name: &str) -> Answers {
    answers(
        c,
        &format!("{}/tests/fixtures/{name}.yaml", env!("CARGO_MANIFEST_DIR")),
    )
}

/// Scan findings ranked as of [`as_of`] against the catalog's Table 8: a high one 300 days
/// open (overdue), a KEV-listed medium one seen last week (not due yet, listed first), a
/// fresh critical one (not listed: neither KEV nor late), and a fixed one (left out).
pub fn findings(c: &Catalog) -> hicp_core::assessment::findings::FindingsPlan {
    use hicp_core::assessment::findings::{Finding, Severity, Timeframes, rank};
    let d = |s: &str| Date::parse(s).unwrap();
    let f = |host: &str, title: &str, severity, first_seen: &str, kev, open| Finding {
        host: host.into(),
        port: Some(443),
        protocol: Some("tcp".into()),
        title: title.into(),
        severity,
        cves: vec!["CVE-2024-3400".into(), "CVE-2023-4966".into()],
        first_seen: Some(d(first_seen)),
        last_seen: Some(d("2026-09-30")),
        fix_published: None,
        kev,
        open,
        source: "Nessus v2 XML".into(),
    };
    let findings = [
        f(
            "10.0.0.7",
            "Old <b>web</b> server #panic(\"x\")",
            Severity::High,
            "2025-12-05",
            false,
            true,
        ),
        f(
            "fw.clinic.example",
            "Firewall VPN portal command injection",
            Severity::Medium,
            "2026-09-24",
            true,
            true,
        ),
        f(
            "10.0.0.8",
            "Fresh critical",
            Severity::Critical,
            "2026-09-28",
            false,
            true,
        ),
        f(
            "10.0.0.9",
            "Fixed long ago",
            Severity::Critical,
            "2024-01-01",
            true,
            false,
        ),
    ];
    rank(&findings, &Timeframes::from_catalog(c), as_of())
}
