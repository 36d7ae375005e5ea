//! Operations, black-box: `hicp migrate`, `hicp backup`, `hicp restore`, request ids,
//! JSON logs, plain text logs off a terminal and a clean stop on SIGTERM.

mod support;

use assert_cmd::Command;
use support::{Backend, Database, Server};

fn hicp() -> Command {
    Command::cargo_bin("hicp").unwrap()
}

fn run(args: &[&str]) -> (bool, String) {
    let out = hicp().args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn migrate_is_explicit_and_idempotent_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let d = d.to_str().unwrap();
    let (ok, text) = run(&["migrate", "--data-dir", d]);
    assert!(ok && text.contains("applied"), "{text}");
    let (ok, text) = run(&["migrate", "--data-dir", d]);
    assert!(ok && text.contains("up to date"), "{text}");
    assert!(dir.path().join("data/hicp.db").exists());
}

#[test]
fn migrate_is_explicit_and_idempotent_on_postgres() {
    let db = Database::new(Backend::Postgres);
    let (ok, text) = run(&["migrate", "--database", &db.url]);
    assert!(ok && text.contains("applied"), "{text}");
    let (ok, text) = run(&["migrate", "--database", &db.url]);
    assert!(ok && text.contains("up to date"), "{text}");
    let (ok, text) = run(&["backup", "--database", &db.url, "--to", "/tmp/never.db"]);
    assert!(!ok && text.contains("pg_dump"), "{text}");
}

/// Whether a fresh installation at `s` still asks for its first administrator.
async fn needs_setup(s: &Server) -> bool {
    let r = reqwest::get(s.url("/")).await.unwrap();
    r.url().path() == "/setup"
}

async fn make_admin(s: &Server) {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let html = c
        .get(s.url("/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "name=\"csrf\" value=\"";
    let i = html.find(marker).unwrap() + marker.len();
    let csrf = &html[i..i + html[i..].find('"').unwrap()];
    let r = c
        .post(s.url("/setup"))
        .form(&[
            ("csrf", csrf),
            ("display_name", "Dana Admin"),
            ("email", "dana@clinic.example"),
            ("password", "a long enough passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_while_serving_and_restore_with_checks() {
    let db = Database::new(Backend::Sqlite);
    let s = Server::start(&db);
    make_admin(&s).await;
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.db");
    let backup = backup.to_str().unwrap();

    // Online: the server keeps running.
    let (ok, text) = run(&["backup", "--database", &db.url, "--to", backup]);
    assert!(ok, "{text}");
    let (ok, text) = run(&["backup", "--database", &db.url, "--to", backup]);
    assert!(!ok && text.contains("already exists"), "{text}");
    assert!(!needs_setup(&s).await, "still serving");

    // Restore into a new data folder, and serve it.
    let restored = Database::new(Backend::Sqlite);
    let t = restored.data_dir.path().to_str().unwrap();
    let (ok, text) = run(&["restore", "--from", backup, "--data-dir", t]);
    assert!(ok, "{text}");
    let (ok, text) = run(&["restore", "--from", backup, "--data-dir", t]);
    assert!(
        !ok && text.contains("--force"),
        "an existing database is kept: {text}"
    );
    let (ok, text) = run(&["restore", "--from", backup, "--data-dir", t, "--force"]);
    assert!(ok, "{text}");
    let s2 = Server::start(&restored);
    assert!(!needs_setup(&s2).await, "the administrator came back");

    // A database in use is not replaced, even with --force.
    let (ok, text) = run(&["restore", "--from", backup, "--data-dir", t, "--force"]);
    assert!(!ok && text.contains("stop every hicp server"), "{text}");
    drop(s2);

    // Something else than a backup is refused, and nothing is left behind.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all").unwrap();
    let fresh = dir.path().join("fresh");
    let (ok, text) = run(&[
        "restore",
        "--from",
        junk.to_str().unwrap(),
        "--data-dir",
        fresh.to_str().unwrap(),
    ]);
    assert!(!ok && text.contains("not a SQLite database"), "{text}");
    assert!(!fresh.join("hicp.db").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_carry_an_id_and_logs_can_be_json() {
    let db = Database::new(Backend::Sqlite);
    let server = Server::start_logging(&db, &["--log-format", "json"]);
    let base = &server.base;
    let c = reqwest::Client::new();
    // Made by the server when absent…
    let r = c.get(format!("{base}/healthz")).send().await.unwrap();
    let made = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(made.len(), 36, "a UUID: {made}");
    // …and kept when a proxy sent one.
    let r = c
        .get(format!("{base}/healthz"))
        .header("x-request-id", "proxy-7f3a")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "proxy-7f3a");

    // SIGTERM: a clean stop (exit 0) that closes the database (no -wal file left).
    let logs = server.stop();
    let line = logs
        .lines()
        .find(|l| l.contains("proxy-7f3a"))
        .unwrap_or_else(|| panic!("no log line with the request id:\n{logs}"));
    let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object per line");
    assert_eq!(v["span"]["request_id"], "proxy-7f3a", "{v}");
    assert_eq!(v["status"], 200, "{v}");
    assert!(
        !db.data_dir.path().join("hicp.db-wal").exists(),
        "the database was closed cleanly"
    );
}

/// Text logs sent to a file or a pipe (the journal, `2> hicp.log`) are plain lines: colour
/// codes are for a terminal only.
#[tokio::test(flavor = "multi_thread")]
async fn text_logs_to_a_pipe_have_no_colour_codes() {
    let db = Database::new(Backend::Sqlite);
    let server = Server::start_logging(&db, &[]);
    let r = reqwest::Client::new()
        .get(server.url("/healthz"))
        .header("x-request-id", "plain-51c2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let logs = server.stop();
    let line = logs
        .lines()
        .find(|l| l.contains("plain-51c2"))
        .unwrap_or_else(|| panic!("no log line with the request id:\n{logs}"));
    assert!(
        line.contains("INFO") && line.contains("request_id=plain-51c2"),
        "{line}"
    );
    assert!(
        !logs.contains('\u{1b}'),
        "escape codes in the logs:\n{logs:?}"
    );
}
