//! Test support: a real `hicp serve` process on 127.0.0.1:0, on SQLite or PostgreSQL.

#![allow(dead_code)]

pub mod cli;
pub mod oidc;
pub mod smtp;
pub mod web;

/// `on_both_backends!(test_a, test_b)` runs each `async fn test_x(Backend)` of the file once
/// on SQLite and once on PostgreSQL (modules `sqlite::` and `postgres::`).
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() { super::$name(super::Backend::Sqlite).await; })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() { super::$name(super::Backend::Postgres).await; })*
        }
    };
}

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the tests use (trust auth on this machine and in CI).
pub fn postgres_admin_url() -> String {
    std::env::var("HICP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database that lives as long as the value: a temp folder for SQLite, a fresh
/// PostgreSQL database (dropped at the end) otherwise.
pub struct Database {
    pub backend: Backend,
    pub url: String,
    pub data_dir: tempfile::TempDir,
    pg_name: Option<String>,
}

fn psql(sql: &str) {
    let admin = postgres_admin_url();
    let out = Command::new("psql")
        .args([admin.as_str(), "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .output()
        .expect("psql runs (PostgreSQL client)");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Database {
    pub fn new(backend: Backend) -> Database {
        let data_dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => {
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    data_dir.path().join("hicp.db").display()
                );
                Database {
                    backend,
                    url,
                    data_dir,
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                let name = format!("hicp_web_test_{}_{}", std::process::id(), unique());
                psql(&format!("CREATE DATABASE {name}"));
                let admin = postgres_admin_url();
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                let url = format!("{base}/{name}");
                Database {
                    backend,
                    url,
                    data_dir,
                    pg_name: Some(name),
                }
            }
        }
    }
}

impl Database {
    /// Runs one SQL statement on the database, beside the server (a test that makes time
    /// pass, for instance).
    pub async fn execute(&self, sql: &'static str) {
        match self.backend {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
                sqlx::query(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
                sqlx::query(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            let _ = Command::new("psql")
                .args([
                    postgres_admin_url().as_str(),
                    "-q",
                    "-c",
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ])
                .output();
        }
    }
}

/// A free port on 127.0.0.1, for a process that must be told its port before it starts
/// (chromedriver; a server whose public address an identity provider must know).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The TOTP code of `secret` (base32) now, or `ahead` 30-second steps from now (a code is
/// accepted once, so a second sign-in in the same step uses the next one).
pub fn totp_code(secret: &str, ahead: u64) -> String {
    let t = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    t.generate(now + 30 * ahead).to_string()
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    t.wrapping_add(N.fetch_add(1, Ordering::SeqCst))
}

/// A running `hicp serve`; killed when dropped.
pub struct Server {
    pub base: String,
    child: Child,
}

impl Server {
    pub fn start(db: &Database) -> Server {
        Server::start_with(db, &[])
    }

    /// `hicp serve` with more options (`--max-upload-mb 1`, ...); on 127.0.0.1:0 unless
    /// they name a `--listen` address.
    pub fn start_with(db: &Database, options: &[&str]) -> Server {
        Server::spawn(db, options, false)
    }

    /// As [`Server::start_with`], logging at `info` to a pipe (not a terminal), which
    /// [`Server::stop`] reads back. Nothing reads it before: for a few requests only (a
    /// full pipe, 64 KB on Linux, would stop the server).
    pub fn start_logging(db: &Database, options: &[&str]) -> Server {
        Server::spawn(db, options, true)
    }

    fn spawn(db: &Database, options: &[&str], logs: bool) -> Server {
        let listen: &[&str] = if options.contains(&"--listen") {
            &[]
        } else {
            &["--listen", "127.0.0.1:0"]
        };
        // Request logs only when asked for (RUST_LOG=info): keeps test output readable.
        let level = if logs {
            "info".into()
        } else {
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into())
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_hicp"))
            .args(["serve", "--database", &db.url])
            .args(listen)
            .args(options)
            .env("RUST_LOG", level)
            .stdout(Stdio::piped())
            .stderr(if logs {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .spawn()
            .expect("hicp serve starts");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        Server {
            base: format!("http://{addr}"),
            child,
        }
    }

    /// Stops the server with SIGTERM, checks that it stopped cleanly (exit 0) and returns
    /// what it logged (with [`Server::start_logging`]; else nothing).
    pub fn stop(mut self) -> String {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "{exit:?}");
        let mut logs = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            stderr.read_to_string(&mut logs).unwrap();
        }
        logs
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
