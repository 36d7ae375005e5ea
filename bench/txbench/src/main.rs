//! A save-shaped write transaction (7 statements and the commit), N concurrent tasks, two
//! ways: sqlx-sqlite (a worker thread per connection, a hand-off per statement) behind an
//! async writer turn, as hicp-store does, and rusqlite inline on the task's thread behind
//! an async mutex (one writer connection).
use std::sync::Arc;
use std::time::{Duration, Instant};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS orgs (id TEXT PRIMARY KEY, revision INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS assessments (id TEXT PRIMARY KEY, org_id TEXT NOT NULL, closed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS answers (assessment_id TEXT, criterion_id TEXT, status TEXT, notes TEXT, version INTEGER, updated_at INTEGER, PRIMARY KEY (assessment_id, criterion_id));
CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, at INTEGER, org TEXT, entity TEXT, field TEXT, old TEXT, new TEXT);
INSERT OR IGNORE INTO orgs VALUES ('o1', 0);
INSERT OR IGNORE INTO assessments VALUES ('a1', 'o1', 0);
INSERT OR IGNORE INTO answers VALUES ('a1', 'c1', 'partial', NULL, 1, 0);
";

async fn sqlx_tx(pool: &sqlx::SqlitePool, turn: &tokio::sync::Mutex<()>, i: i64) {
    let _t = turn.lock().await;
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
    let _: (i64,) =
        sqlx::query_as("UPDATE orgs SET revision = revision WHERE id = $1 RETURNING revision")
            .bind("o1")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    let _: (i64,) = sqlx::query_as("SELECT closed FROM assessments WHERE id = $1 AND org_id = $2")
        .bind("a1")
        .bind("o1")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let _: Option<(String, i64)> = sqlx::query_as(
        "SELECT status, version FROM answers WHERE assessment_id = $1 AND criterion_id = $2",
    )
    .bind("a1")
    .bind("c1")
    .fetch_optional(&mut *tx)
    .await
    .unwrap();
    let _: (i64,) = sqlx::query_as("UPDATE answers SET status = $3, updated_at = $4, version = version + 1 WHERE assessment_id = $1 AND criterion_id = $2 RETURNING version").bind("a1").bind("c1").bind(if i % 2 == 0 { "partial" } else { "largely" }).bind(i).fetch_one(&mut *tx).await.unwrap();
    sqlx::query("INSERT INTO audit (at, org, entity, field, old, new) VALUES ($1, 'o1', 'a1/c1', 'status', 'x', 'y')").bind(i).execute(&mut *tx).await.unwrap();
    let _: (i64,) =
        sqlx::query_as("UPDATE orgs SET revision = revision + 1 WHERE id = $1 RETURNING revision")
            .bind("o1")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    tx.commit().await.unwrap();
}

fn rusqlite_tx(c: &mut rusqlite::Connection, i: i64) {
    let tx = c
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let _: i64 = tx
        .prepare_cached("UPDATE orgs SET revision = revision WHERE id = ?1 RETURNING revision")
        .unwrap()
        .query_row(["o1"], |r| r.get(0))
        .unwrap();
    let _: i64 = tx
        .prepare_cached("SELECT closed FROM assessments WHERE id = ?1 AND org_id = ?2")
        .unwrap()
        .query_row(["a1", "o1"], |r| r.get(0))
        .unwrap();
    let _: (String, i64) = tx
        .prepare_cached(
            "SELECT status, version FROM answers WHERE assessment_id = ?1 AND criterion_id = ?2",
        )
        .unwrap()
        .query_row(["a1", "c1"], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    let _: i64 = tx.prepare_cached("UPDATE answers SET status = ?3, updated_at = ?4, version = version + 1 WHERE assessment_id = ?1 AND criterion_id = ?2 RETURNING version").unwrap().query_row(rusqlite::params!["a1", "c1", if i % 2 == 0 { "partial" } else { "largely" }, i], |r| r.get(0)).unwrap();
    tx.prepare_cached("INSERT INTO audit (at, org, entity, field, old, new) VALUES (?1, 'o1', 'a1/c1', 'status', 'x', 'y')").unwrap().execute([i]).unwrap();
    let _: i64 = tx
        .prepare_cached("UPDATE orgs SET revision = revision + 1 WHERE id = ?1 RETURNING revision")
        .unwrap()
        .query_row(["o1"], |r| r.get(0))
        .unwrap();
    tx.commit().unwrap();
}

fn report(name: &str, mut lat: Vec<Duration>, wall: Duration) {
    lat.sort();
    let p = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    println!(
        "{name:28} {:8.0} tx/s  p50 {:?}  p99 {:?}",
        lat.len() as f64 / wall.as_secs_f64(),
        p(0.5),
        p(0.99)
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let conc: usize = std::env::args().nth(1).map_or(32, |s| s.parse().unwrap());
    let secs: u64 = std::env::args().nth(2).map_or(5, |s| s.parse().unwrap());
    let dir = std::env::temp_dir().join("txbench-db");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("t.db");
    {
        let c = rusqlite::Connection::open(&file).unwrap();
        c.pragma_update(None, "journal_mode", "wal").unwrap();
        c.execute_batch(SCHEMA).unwrap();
    }
    use sqlx::sqlite::*;
    let opts = SqliteConnectOptions::new()
        .filename(&file)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(opts)
        .await
        .unwrap();
    let turn = Arc::new(tokio::sync::Mutex::new(()));

    let end = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let mut hs = Vec::new();
    for t in 0..conc {
        let (pool, turn) = (pool.clone(), turn.clone());
        hs.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = t as i64;
            while Instant::now() < end {
                let s = Instant::now();
                sqlx_tx(&pool, &turn, i).await;
                lat.push(s.elapsed());
                i += conc as i64;
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for h in hs {
        lat.extend(h.await.unwrap());
    }
    report(&format!("sqlx, {conc} tasks"), lat, start.elapsed());

    let c = rusqlite::Connection::open(&file).unwrap();
    c.pragma_update(None, "synchronous", "normal").unwrap();
    c.busy_timeout(Duration::from_secs(10)).unwrap();
    let writer = Arc::new(tokio::sync::Mutex::new(c));
    let end = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let mut hs = Vec::new();
    for t in 0..conc {
        let writer = writer.clone();
        hs.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = t as i64;
            while Instant::now() < end {
                let s = Instant::now();
                {
                    let mut c = writer.lock().await;
                    rusqlite_tx(&mut c, i);
                }
                lat.push(s.elapsed());
                i += conc as i64;
                tokio::task::yield_now().await;
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for h in hs {
        lat.extend(h.await.unwrap());
    }
    report(
        &format!("rusqlite inline, {conc} tasks"),
        lat,
        start.elapsed(),
    );
}
