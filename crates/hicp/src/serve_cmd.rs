//! `hicp serve`: the web application.

use crate::InvalidInput;
use crate::logging::{self, LogFormat};
use crate::source;
use anyhow::Context;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the data lives: shared by `hicp serve` and `hicp admin`.
#[derive(Args)]
pub struct DatabaseArgs {
    /// Folder for the embedded database (used when --database is not given).
    #[arg(long, default_value = "hicp-data", env = "HICP_DATA_DIR")]
    data_dir: PathBuf,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB. Default: SQLite in --data-dir.
    #[arg(long, env = "HICP_DATABASE_URL")]
    database: Option<String>,
}

impl DatabaseArgs {
    /// The database URL: `--database`, else an SQLite file in `--data-dir` (created if needed).
    pub fn url(&self) -> anyhow::Result<String> {
        match &self.database {
            Some(u) => Ok(u.clone()),
            None => {
                std::fs::create_dir_all(&self.data_dir)
                    .with_context(|| format!("creating {}", self.data_dir.display()))?;
                Ok(format!(
                    "sqlite://{}?mode=rwc",
                    self.data_dir.join("hicp.db").display()
                ))
            }
        }
    }

    /// Opens the database and brings its schema up to date.
    pub async fn open(url: &str) -> anyhow::Result<hicp_store::Store> {
        let store = hicp_store::Store::connect(url)
            .await
            .with_context(|| format!("opening the database {}", redact(url)))?;
        store.migrate().await.context("migrating the database")?;
        Ok(store)
    }
}

/// Outgoing mail and the server's public address: shared by `hicp serve` and
/// `hicp admin reset-password --link`, so both read the same options and variables.
#[derive(Args)]
pub struct MailArgs {
    /// The address people reach this server at (e.g. https://hicp.example.org), for the
    /// links in emails and the addresses identity providers send them back to.
    #[arg(long, value_name = "URL", env = "HICP_PUBLIC_URL")]
    public_url: Option<String>,
    /// Send email (invitations, password reset links) through this SMTP server:
    /// smtps://USER:PASSWORD@HOST:465, smtp://USER:PASSWORD@HOST:587?tls=required
    /// (STARTTLS), or smtp://HOST:25 (no TLS). Needs --mail-from and --public-url. Without
    /// it, invitations carry a first password and resets a temporary one, given in person.
    #[arg(
        long,
        value_name = "URL",
        env = "HICP_SMTP_URL",
        hide_env_values = true
    )]
    smtp_url: Option<String>,
    /// The sender of that email, e.g. "HICP Toolkit <hicp@example.org>".
    #[arg(long, value_name = "ADDRESS", env = "HICP_MAIL_FROM")]
    mail_from: Option<String>,
}

impl MailArgs {
    /// The outgoing mail of `--smtp-url` and `--mail-from` (none without them), checked
    /// before anything starts: a missing or malformed option is named.
    pub fn outbox(&self) -> anyhow::Result<hicp_app::Outbox> {
        let invalid = |m: &str| anyhow::Error::new(InvalidInput(m.to_owned()));
        let (url, from) = match (&self.smtp_url, &self.mail_from) {
            (None, None) => return Ok(hicp_app::Outbox::default()),
            (Some(u), Some(f)) => (u, f),
            (Some(_), None) => {
                return Err(invalid(
                    "--smtp-url needs --mail-from: the address the emails come from",
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "--mail-from needs --smtp-url: the server to send through",
                ));
            }
        };
        let public = match self.public_url.as_deref().map(str::trim) {
            Some(u) if u.starts_with("https://") || u.starts_with("http://") => u,
            Some(u) => {
                return Err(invalid(&format!(
                    "--public-url: '{u}' must start with https:// or http://"
                )));
            }
            None => {
                return Err(invalid(
                    "--smtp-url needs --public-url: the address people reach this server at, \
                     for the links in the emails",
                ));
            }
        };
        // Its errors name the option, and never print the URL's password.
        let mailer = hicp_mail::SmtpMailer::new(url, from).map_err(|e| invalid(&e.to_string()))?;
        Ok(hicp_app::Outbox::new(std::sync::Arc::new(mailer), public))
    }
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080", env = "HICP_LISTEN")]
    listen: SocketAddr,
    #[command(flatten)]
    db: DatabaseArgs,
    /// Mark cookies Secure; set this when users reach the server over HTTPS (e.g. via a proxy).
    #[arg(long, env = "HICP_SECURE_COOKIES")]
    secure_cookies: bool,
    /// A session ends after this many minutes without activity.
    #[arg(long, default_value_t = 12 * 60, env = "HICP_SESSION_IDLE_MINUTES")]
    session_idle_minutes: i64,
    /// A session ends this many hours after sign-in, however active.
    #[arg(long, default_value_t = 7 * 24, env = "HICP_SESSION_LIFETIME_HOURS")]
    session_lifetime_hours: i64,
    /// A reverse proxy whose X-Forwarded-For header is believed (repeat for several;
    /// comma-separated in the environment). Sign-in throttling counts per client address.
    #[arg(
        long = "trusted-proxy",
        value_name = "IP",
        env = "HICP_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Require two-step sign-in (TOTP) of everyone, in every organization. Without it, each
    /// organization's admins decide for their organization.
    #[arg(long, env = "HICP_REQUIRE_MFA")]
    require_mfa: bool,
    /// Single sign-on: a YAML file of OpenID Connect identity providers (see docs/sso.md).
    /// Needs --public-url.
    #[arg(long, value_name = "FILE", env = "HICP_SSO_CONFIG")]
    sso_config: Option<std::path::PathBuf>,
    #[command(flatten)]
    mail: MailArgs,
    /// Largest evidence upload, in megabytes.
    #[arg(long, default_value_t = 10, env = "HICP_MAX_UPLOAD_MB")]
    max_upload_mb: usize,
    /// The most memory, in megabytes, each of the caches of computed views, made reports
    /// and rendered pages takes (estimates; see docs/operations.md).
    #[arg(long, default_value_t = 64, env = "HICP_VIEW_CACHE_MB")]
    view_cache_mb: u64,
    /// Read DNS for the email domain check from this zone file (RFC 1035 master format,
    /// absolute names or $ORIGIN; see docs/email.md) instead of the network: offline use
    /// and tests. Without it, "Check now" asks the system's DNS servers.
    #[arg(long, value_name = "FILE", env = "HICP_DNS_ZONE")]
    dns_zone: Option<PathBuf>,
    /// Log format on stderr: text, or one JSON object per line. Filter with RUST_LOG.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "HICP_LOG_FORMAT")]
    log_format: LogFormat,
}

/// The identity providers of `--sso-config`, checked before the server starts.
fn sso_providers(args: &ServeArgs) -> anyhow::Result<hicp_app::SsoProviders> {
    let Some(path) = &args.sso_config else {
        return Ok(hicp_app::SsoProviders::default());
    };
    match args.mail.public_url.as_deref().map(str::trim) {
        Some(u) if u.starts_with("https://") || u.starts_with("http://") => {}
        Some(u) => anyhow::bail!("--public-url: '{u}' must start with https:// or http://"),
        None => anyhow::bail!(
            "--sso-config needs --public-url: the address people reach this server at, \
             so that identity providers can send them back"
        ),
    }
    let providers = hicp_oidc::load(path)?
        .into_iter()
        .map(hicp_oidc::Provider::new)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(hicp_app::SsoProviders::new(providers))
}

pub fn serve(args: ServeArgs, catalog_dir: Option<&std::path::Path>) -> anyhow::Result<()> {
    logging::init(args.log_format);
    let catalog = source::catalog(catalog_dir)?;
    let url = args.db.url()?;
    let sso = sso_providers(&args)?;
    let dns = dns_source(args.dns_zone.as_deref())?;
    let mail = args.mail.outbox()?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let store = DatabaseArgs::open(&url).await?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let addr = listener.local_addr()?;
        let settings = hicp_app::Settings {
            max_upload_bytes: args.max_upload_mb * 1024 * 1024,
            session_idle_minutes: args.session_idle_minutes.max(1),
            session_lifetime_hours: args.session_lifetime_hours.max(1),
            require_mfa: args.require_mfa,
            sso,
            dns,
            view_cache_bytes: args.view_cache_mb * 1024 * 1024,
            mail,
        };
        let app = hicp_app::App::new(store.clone(), catalog, settings);
        // Housekeeping: expired sessions and old sign-in failures, every ten minutes.
        let pruning = app.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
            loop {
                every.tick().await;
                if let Err(e) = pruning.prune().await {
                    tracing::warn!(error = %e, "pruning sessions failed");
                }
            }
        });
        let config = hicp_web::Config {
            secure_cookies: args.secure_cookies,
            trusted_proxies: args.trusted_proxies,
            public_url: args
                .mail
                .public_url
                .map(|u| u.trim_end_matches('/').to_owned()),
        };
        let state = hicp_web::AppState::new(app, config);
        println!(
            "HICP Toolkit is running at http://{addr}/ (database: {})",
            redact(&url)
        );
        tracing::info!(%addr, database = %redact(&url), "listening");
        hicp_web::serve(listener, state, shutdown_signal())
            .await
            .context("serving")?;
        // Close the pool cleanly: SQLite then checkpoints and removes its -wal file.
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    })
}

/// Where the email check reads DNS: the zone file (read once, now, so that a bad one stops
/// the start with its line), or the system's resolvers (set up at each check).
fn dns_source(zone: Option<&std::path::Path>) -> anyhow::Result<hicp_app::DnsSource> {
    use hicp_email::dns::Resolver;
    let Some(path) = zone else {
        return Ok(hicp_app::DnsSource::new("the network", || {
            hicp_email::network::NetworkResolver::from_system()
                .map(|r| Box::new(r) as Box<dyn Resolver>)
                .map_err(|e| e.to_string())
        }));
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| crate::InvalidInput(format!("--dns-zone {}: {e}", path.display())))?;
    let zone = hicp_email::zone::Zone::parse(&text, None).map_err(|e| {
        crate::InvalidInput(format!(
            "--dns-zone {}: line {}: {}",
            path.display(),
            e.line,
            e.problem
        ))
    })?;
    let label = format!("the zone file {}", path.display());
    Ok(hicp_app::DnsSource::new(label, move || {
        Ok(Box::new(zone.clone()) as Box<dyn Resolver>)
    }))
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

pub use hicp_store::redact;
