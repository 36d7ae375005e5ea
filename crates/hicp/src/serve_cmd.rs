//! `hicp serve`: the web application.

use crate::source;
use anyhow::Context;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080", env = "HICP_LISTEN")]
    listen: SocketAddr,
    /// Folder for the embedded database (used when --database is not given).
    #[arg(long, default_value = "hicp-data", env = "HICP_DATA_DIR")]
    data_dir: PathBuf,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB. Default: SQLite in --data-dir.
    #[arg(long, env = "HICP_DATABASE_URL")]
    database: Option<String>,
    /// Mark cookies Secure; set this when users reach the server over HTTPS (e.g. via a proxy).
    #[arg(long, env = "HICP_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Largest evidence upload, in megabytes.
    #[arg(long, default_value_t = 10, env = "HICP_MAX_UPLOAD_MB")]
    max_upload_mb: usize,
}

pub fn serve(args: ServeArgs, catalog_dir: Option<&std::path::Path>) -> anyhow::Result<()> {
    let catalog = source::catalog(catalog_dir)?;
    let url = match args.database {
        Some(u) => u,
        None => {
            std::fs::create_dir_all(&args.data_dir)
                .with_context(|| format!("creating {}", args.data_dir.display()))?;
            format!(
                "sqlite://{}?mode=rwc",
                args.data_dir.join("hicp.db").display()
            )
        }
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let store = hicp_store::Store::connect(&url)
            .await
            .with_context(|| format!("opening the database {}", redact(&url)))?;
        store.migrate().await.context("migrating the database")?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let addr = listener.local_addr()?;
        let config = hicp_web::Config {
            secure_cookies: args.secure_cookies,
            max_upload_bytes: args.max_upload_mb * 1024 * 1024,
            ..hicp_web::Config::default()
        };
        let state = hicp_web::AppState::new(store, catalog, config);
        println!(
            "HICP Toolkit is running at http://{addr}/ (database: {})",
            redact(&url)
        );
        hicp_web::serve(listener, state, shutdown_signal())
            .await
            .context("serving")?;
        Ok(())
    })
}

/// Completes on Ctrl-C or SIGTERM; the server then finishes requests in flight.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            super::redact("sqlite://x.db?mode=rwc"),
            "sqlite://x.db?mode=rwc"
        );
    }
}
