//! Helpers for tests that run the `hicp` binary on the example organizations.

#![allow(dead_code)]

use assert_cmd::Command;
use std::path::PathBuf;

/// The date the example tests assess as of, so their output does not change with the clock.
pub const AS_OF: &str = "2026-10-01";
pub const EXAMPLES: [&str; 3] = ["small-clinic", "community-hospital", "health-system"];

/// Today (UTC) as `YYYY-MM-DD`: the web app's "as of", for a CLI run to compare with.
pub fn today() -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

pub fn hicp() -> Command {
    Command::cargo_bin("hicp").expect("the hicp binary is built")
}

/// The path of `examples/NAME.yaml`.
pub fn example(name: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    root.join(format!("{name}.yaml")).display().to_string()
}

/// Runs, expects success, returns stdout.
pub fn run_ok(args: &[&str]) -> String {
    let out = hicp().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs, expects exit code 2, returns stderr.
pub fn run_invalid(args: &[&str]) -> String {
    let out = hicp().args(args).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// A personal API token for `email`, made by `hicp admin create-token` on `db`.
pub fn api_token(db: &super::Database, email: &str, read_only: bool) -> String {
    let mut args = vec![
        "admin",
        "create-token",
        "--email",
        email,
        "--name",
        "test",
        "--database",
        &db.url,
    ];
    if read_only {
        args.push("--read-only");
    }
    let out = run_ok(&args);
    let secret = out.lines().last().unwrap().trim().to_owned();
    assert!(secret.starts_with("hicp_"), "{out}");
    secret
}
