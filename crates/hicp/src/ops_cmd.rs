//! Operations: `hicp migrate`, `hicp backup`, `hicp restore`.

use crate::serve_cmd::{DatabaseArgs, redact};
use anyhow::{Context, bail};
use clap::Args;
use hicp_store::Store;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    db: DatabaseArgs,
}

#[derive(Args)]
pub struct BackupArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    /// The backup file to write (must not exist). SQLite only: use pg_dump for PostgreSQL.
    #[arg(long, value_name = "FILE")]
    to: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    /// A backup written by `hicp backup`.
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    /// Replace an existing database (stop every server that uses it first).
    #[arg(long)]
    force: bool,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

async fn open(url: &str) -> anyhow::Result<Store> {
    Store::connect(url)
        .await
        .with_context(|| format!("opening the database {}", redact(url)))
}

/// Applies the migrations this version knows and the database lacks. Idempotent.
pub fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    let url = args.db.url()?;
    runtime()?.block_on(async {
        let store = open(&url).await?;
        let before = store.schema_status().await?;
        if !before.unknown().is_empty() {
            store.close().await;
            bail!(
                "the database {} has migrations this version of hicp does not know ({:?}): \
                 it was used by a newer hicp",
                redact(&url),
                before.unknown()
            );
        }
        let pending = before.pending();
        store.migrate().await.context("migrating the database")?;
        store.close().await;
        if pending.is_empty() {
            println!("{}: up to date (nothing to do)", redact(&url));
        } else {
            println!(
                "{}: applied {} migration(s): {:?}",
                redact(&url),
                pending.len(),
                pending
            );
        }
        Ok(())
    })
}

/// Online backup of the SQLite database (`VACUUM INTO`): servers keep running.
pub fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let Some(db_path) = sqlite_path_of(&args.db.url()?) else {
        bail!(
            "hicp backup is for the embedded SQLite database; back up PostgreSQL with pg_dump \
             (see docs/operations.md)"
        );
    };
    if !db_path.exists() {
        bail!("no database at {}", db_path.display());
    }
    if args.to.exists() {
        bail!("{} already exists; choose a new file", args.to.display());
    }
    let url = format!("sqlite://{}", db_path.display());
    runtime()?.block_on(async {
        let store = open(&url).await?;
        let result = store
            .backup_to(&args.to)
            .await
            .with_context(|| format!("writing {}", args.to.display()));
        store.close().await;
        result?;
        let size = std::fs::metadata(&args.to).map(|m| m.len()).unwrap_or(0);
        println!(
            "backed up {} to {} ({} bytes)",
            db_path.display(),
            args.to.display(),
            size
        );
        Ok(())
    })
}

/// The file of a `sqlite:` URL (`sqlite://path?opts`, `sqlite:path`), `None` otherwise.
fn sqlite_path_of(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// The files SQLite keeps beside a database in WAL mode while it is open.
fn wal_files(db: &Path) -> [PathBuf; 2] {
    let name = db.as_os_str().to_owned();
    let with = |suffix: &str| {
        let mut n = name.clone();
        n.push(suffix);
        PathBuf::from(n)
    };
    [with("-wal"), with("-shm")]
}

/// Replaces the SQLite database with a backup, after checking that the backup is an
/// intact SQLite database with this application's migrations.
pub fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let Some(target) = sqlite_path_of(&args.db.url()?) else {
        bail!(
            "hicp restore is for the embedded SQLite database; restore PostgreSQL with \
             pg_restore (see docs/operations.md)"
        );
    };
    if !args.from.is_file() {
        bail!("no backup file at {}", args.from.display());
    }
    if target.exists() {
        if !args.force {
            bail!(
                "{} already exists; pass --force to replace it (stop the servers first)",
                target.display()
            );
        }
        if wal_files(&target).iter().any(|p| p.exists()) {
            bail!(
                "{} is open (its -wal/-shm files exist): stop every hicp server that uses it \
                 and try again",
                target.display()
            );
        }
    }
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    // Check a copy next to the target, then move it into place in one rename.
    let tmp = dir.join(format!(".hicp-restore-{}.db", std::process::id()));
    std::fs::copy(&args.from, &tmp)
        .with_context(|| format!("copying {} to {}", args.from.display(), tmp.display()))?;
    let checked = runtime()?.block_on(check_backup(&tmp));
    if let Err(e) = checked {
        let _ = std::fs::remove_file(&tmp);
        for p in wal_files(&tmp) {
            let _ = std::fs::remove_file(p);
        }
        return Err(e.context(format!("{} is not a usable backup", args.from.display())));
    }
    std::fs::rename(&tmp, &target)
        .with_context(|| format!("moving the restored database to {}", target.display()))?;
    println!("restored {} from {}", target.display(), args.from.display());
    Ok(())
}

/// Opens the copy, checks it, applies pending migrations, and closes it cleanly (so no
/// -wal file is left behind).
async fn check_backup(path: &Path) -> anyhow::Result<()> {
    let header = std::fs::read(path)
        .map(|b| b.starts_with(b"SQLite format 3\0"))
        .unwrap_or(false);
    if !header {
        bail!("not a SQLite database");
    }
    let store = open(&format!("sqlite://{}", path.display())).await?;
    let result = async {
        store.check_integrity().await?;
        let status = store.schema_status().await?;
        if status.applied.is_empty() {
            bail!("it has no HICP Toolkit migrations");
        }
        if !status.unknown().is_empty() {
            bail!(
                "it has migrations this version of hicp does not know ({:?})",
                status.unknown()
            );
        }
        store.migrate().await?;
        Ok(())
    }
    .await;
    store.close().await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_files_are_found_in_urls() {
        assert_eq!(
            sqlite_path_of("sqlite:///var/lib/hicp/hicp.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/hicp/hicp.db"))
        );
        assert_eq!(
            sqlite_path_of("sqlite://data/hicp.db"),
            Some(PathBuf::from("data/hicp.db"))
        );
        assert_eq!(sqlite_path_of("sqlite::memory:"), None);
        assert_eq!(sqlite_path_of("postgres://u@h/db"), None);
        assert_eq!(
            wal_files(Path::new("d/hicp.db")),
            [
                PathBuf::from("d/hicp.db-wal"),
                PathBuf::from("d/hicp.db-shm")
            ]
        );
    }
}
