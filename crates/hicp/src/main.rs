//! `hicp`: the HICP Toolkit command line. Thin glue: parse arguments, read files, call the
//! domain, print. Exit codes: 0 success, 1 failure, 2 invalid input (catalog, answers file, id, usage).

mod admin_cmd;
mod answers_file;
mod assess_cmd;
mod assess_text;
mod catalog_cmd;
mod email_cmd;
mod evidence_cmd;
mod init_cmd;
mod logging;
mod ops_cmd;
mod report_cmd;
mod serve_cmd;
mod source;
mod text;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "hicp",
    version,
    about = "HICP Toolkit: healthcare cybersecurity self-assessment (HHS 405(d) HICP)"
)]
struct Cli {
    /// Use the catalog in this folder instead of the built-in HICP 2023 catalog.
    #[arg(long, global = true, value_name = "PATH")]
    catalog: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Explore the HICP catalog: threats, practices, sub-practices, criteria and actions.
    #[command(subcommand)]
    Catalog(catalog_cmd::CatalogCommand),
    /// Write a complete, commented answers file for a size tier (or ask the sizing questions).
    Init(init_cmd::InitArgs),
    /// Score an answers file: overall, threats, practices, CSF 2.0, HPH CPGs, HIPAA, 12-month practices.
    Assess(assess_cmd::AssessArgs),
    /// The prioritized action plan for an answers file: one action per gap, in 30/90/365-day horizons.
    Plan(assess_cmd::PlanArgs),
    /// An assessment report: HTML, OSCAL (assessment plan, results, POA&M), XLSX or CSV.
    Report(report_cmd::ReportArgs),
    /// Starter policy documents and an incident response plan for the organization.
    Templates(report_cmd::TemplatesArgs),
    /// Run the web application (embedded SQLite by default, PostgreSQL by URL).
    Serve(serve_cmd::ServeArgs),
    /// Bring the database schema up to date (idempotent; `serve` also does it on start).
    Migrate(ops_cmd::MigrateArgs),
    /// Copy the SQLite database to a file while servers keep running (PostgreSQL: pg_dump).
    Backup(ops_cmd::BackupArgs),
    /// Replace the SQLite database with a backup, after checking it (PostgreSQL: pg_restore).
    Restore(ops_cmd::RestoreArgs),
    /// Manage accounts of the web application (on the same database as `hicp serve`).
    #[command(subcommand)]
    Admin(admin_cmd::AdminCommand),
    /// Check an email domain (SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT), or run one SPF check.
    #[command(subcommand)]
    Email(email_cmd::EmailCommand),
    /// Import technical evidence: scanner results, compliance scans, inventories, KEV, DMARC.
    #[command(subcommand)]
    Evidence(evidence_cmd::EvidenceCommand),
}

/// Bad input from the user (an invalid catalog, an unknown id): exit code 2.
#[derive(Debug)]
pub struct InvalidInput(pub String);

impl std::fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidInput {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Catalog(cmd) => catalog_cmd::run(cmd, cli.catalog.as_deref()),
        Command::Init(args) => init_cmd::init(args, cli.catalog.as_deref()),
        Command::Assess(args) => assess_cmd::assess(args, cli.catalog.as_deref()),
        Command::Plan(args) => assess_cmd::plan(args, cli.catalog.as_deref()),
        Command::Report(args) => report_cmd::report(args, cli.catalog.as_deref()),
        Command::Templates(args) => report_cmd::templates(args, cli.catalog.as_deref()),
        Command::Serve(args) => serve_cmd::serve(args, cli.catalog.as_deref()),
        Command::Migrate(args) => ops_cmd::migrate(args),
        Command::Backup(args) => ops_cmd::backup(args),
        Command::Restore(args) => ops_cmd::restore(args),
        Command::Admin(cmd) => admin_cmd::run(cmd),
        Command::Email(cmd) => email_cmd::run(cmd),
        Command::Evidence(cmd) => evidence_cmd::run(cmd, cli.catalog.as_deref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(invalid) = e.downcast_ref::<InvalidInput>() {
                eprintln!("{}", invalid.0.trim_end());
                ExitCode::from(2)
            } else {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        }
    }
}
