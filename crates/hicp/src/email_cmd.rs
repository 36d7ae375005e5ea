//! `hicp email check` and `hicp email spf`: read the zone file or build the network
//! resolver, call `hicp-email`, print.

use crate::InvalidInput;
use crate::text::wrap;
use clap::{Args, Subcommand, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets};
use hicp_email::dns::Resolver;
use hicp_email::network::NetworkResolver;
use hicp_email::spf::{SpfQuery, check_host};
use hicp_email::zone::Zone;
use hicp_email::{Report, Severity};
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum EmailCommand {
    /// Check a domain's email set-up (SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT) and say what to fix.
    Check(CheckArgs),
    /// Run the RFC 7208 SPF check for one sender and print the result word.
    Spf(SpfArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Args)]
pub struct CheckArgs {
    /// The domain your email addresses end in, for example maplestreetclinic.com.
    domain: String,
    /// A DKIM selector to check (repeat for several); your email provider can tell you them.
    #[arg(long = "dkim-selector", value_name = "S")]
    dkim_selectors: Vec<String>,
    /// Read DNS records from this zone file (RFC 1035 format) instead of the network.
    #[arg(long, value_name = "FILE")]
    zone: Option<PathBuf>,
    /// The MTA-STS policy file (the text served at https://mta-sts.DOMAIN/.well-known/mta-sts.txt);
    /// without it the policy is fetched over HTTPS (not with --zone: then it is not checked).
    #[arg(long = "mta-sts-policy", value_name = "FILE")]
    mta_sts_policy: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Args)]
pub struct SpfArgs {
    /// The connecting mail server's IP address.
    #[arg(long)]
    ip: IpAddr,
    /// The MAIL FROM address (empty for bounces: then postmaster@HELO is checked).
    #[arg(long, value_name = "ADDRESS")]
    sender: String,
    /// The name the server gave in HELO/EHLO.
    #[arg(long, value_name = "NAME")]
    helo: String,
    /// Read DNS records from this zone file (RFC 1035 format) instead of the network.
    #[arg(long, value_name = "FILE")]
    zone: Option<PathBuf>,
}

pub fn run(cmd: EmailCommand) -> anyhow::Result<()> {
    match cmd {
        EmailCommand::Check(a) => check(a),
        EmailCommand::Spf(a) => spf(a),
    }
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path)
        .map_err(|e| InvalidInput(format!("{}: cannot read: {e}", path.display())))?;
    String::from_utf8(bytes)
        .map_err(|_| InvalidInput(format!("{}: not UTF-8 text", path.display())).into())
}

/// The zone file at `path` (relative names start from `origin`), or the network.
fn resolver(zone: Option<&Path>, origin: &str) -> anyhow::Result<Box<dyn Resolver>> {
    match zone {
        Some(path) => {
            let text = read_text(path)?;
            let z = Zone::parse(&text, Some(origin)).map_err(|e| {
                InvalidInput(format!(
                    "{}: line {}: {}",
                    path.display(),
                    e.line,
                    e.problem
                ))
            })?;
            Ok(Box::new(z))
        }
        None => Ok(Box::new(NetworkResolver::from_system()?)),
    }
}

fn check(a: CheckArgs) -> anyhow::Result<()> {
    let dns = resolver(a.zone.as_deref(), &a.domain)?;
    let policy = a.mta_sts_policy.as_deref().map(read_text).transpose()?;
    let report = hicp_email::check(&a.domain, &a.dkim_selectors, &*dns, policy.as_deref())
        .map_err(|e| InvalidInput(e.to_string()))?;
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Table => print!("{}", table(&report)),
    }
    Ok(())
}

fn spf(a: SpfArgs) -> anyhow::Result<()> {
    let origin = a
        .sender
        .rsplit_once('@')
        .map_or(a.helo.as_str(), |(_, d)| d)
        .to_owned();
    let dns = resolver(a.zone.as_deref(), &origin)?;
    let out = check_host(
        &*dns,
        &SpfQuery {
            ip: a.ip,
            mail_from: &a.sender,
            helo: &a.helo,
            receiver: None,
            timestamp: 0,
        },
    );
    println!("{}", out.result);
    Ok(())
}

const WIDTH: usize = 96;

fn label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "CRITICAL",
        Severity::High => "HIGH",
        Severity::Medium => "MEDIUM",
        Severity::Low => "LOW",
        Severity::Info => "OK/INFO",
    }
}

/// A summary table, then each finding with what to do and the details for IT.
fn table(r: &Report) -> String {
    let mut out = String::new();
    let s = &r.summary;
    let _ = writeln!(
        out,
        "Email check of {}: {} critical, {} high, {} medium, {} low, {} for information.\n",
        r.domain, s.critical, s.high, s.medium, s.low, s.info
    );
    let mut t = Table::new();
    t.load_style(presets::ASCII_MARKDOWN)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(["#", "severity", "code", "HICP criteria"]);
    for (i, f) in r.findings.iter().enumerate() {
        t.add_row([
            (i + 1).to_string(),
            f.severity.as_str().to_owned(),
            f.code.to_string(),
            f.criteria.join(" "),
        ]);
    }
    let _ = writeln!(out, "{t}\n");
    for (i, f) in r.findings.iter().enumerate() {
        let head = format!("{}. [{}] ", i + 1, label(f.severity));
        let _ = writeln!(out, "{head}{}", wrap(&f.title, WIDTH, head.len()));
        let _ = writeln!(out, "   What to do: {}", wrap(&f.fix, WIDTH, 15));
        let _ = writeln!(out, "   For IT:     {}", wrap(&f.detail, WIDTH, 15));
        out.push('\n');
    }
    out
}
