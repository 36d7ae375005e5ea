//! `hicp assess` and `hicp plan`: read the answers file, assess it once (hicp-interop's
//! [`Assessed`]), print it as text or Markdown (`assess_text`), or as JSON or CSV (hicp-interop,
//! the same code as the web app's downloads).

use crate::answers_file::{as_of, load};
use crate::assess_text::{WIDTH, assess_text, findings_text, plan_text, readiness_text};
use crate::text::wrap;
use crate::{InvalidInput, source};
use clap::{Args, ValueEnum};
use hicp_core::assessment::explain::explain;
use hicp_core::assessment::findings::{FindingsPlan, Timeframes, rank};
use hicp_core::assessment::scoring::show;
use hicp_interop::assessment::Assessed;
use hicp_interop::{assessment_json, sheets};
use serde_json::Value;
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct AssessArgs {
    /// The answers file (YAML), e.g. from `hicp init`.
    file: PathBuf,
    #[arg(long, default_value = "table")]
    format: AssessFormat,
    /// The assessment date (YYYY-MM-DD); default today. Later dates in the file are errors.
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// Show how one score was reached: overall, a threat, P7, 7.M.D, 7.M.D.c1, PR.AA, E1, ...
    #[arg(long, value_name = "ID", conflicts_with = "nprm")]
    explain: Option<String>,
    /// Instead of the scores: readiness for the HIPAA Security Rule changes HHS proposed in
    /// January 2025 (our derived view of a proposed rule, not HHS's; see docs/nprm-readiness.md).
    #[arg(long)]
    nprm: bool,
}

#[derive(Args)]
pub struct PlanArgs {
    /// The answers file (YAML).
    file: PathBuf,
    #[arg(long, default_value = "table")]
    format: PlanFormat,
    /// The assessment date (YYYY-MM-DD); default today.
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// A scan's findings, as `hicp evidence import --format json` writes them (repeatable):
    /// the plan then starts with the open findings that CISA lists as known exploited or
    /// that are past HICP Table 8's time to fix, KEV first, then most overdue.
    #[arg(long, value_name = "IMPORT_JSON")]
    findings: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum AssessFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum PlanFormat {
    Table,
    Json,
    /// The same CSV as `hicp report --format csv` and the web app's plan download.
    Csv,
    Markdown,
    /// The ranked findings of --findings as CSV, as `hicp report --format findings-csv`
    /// and the web app's findings download.
    FindingsCsv,
}

pub fn assess(args: AssessArgs, catalog_dir: Option<&Path>) -> anyhow::Result<()> {
    let c = source::catalog(catalog_dir)?;
    let date = as_of(args.as_of.as_deref())?;
    let answers = load(&args.file, &c, date)?;
    let a = Assessed::new(&c, &answers, date);
    if let Some(id) = &args.explain {
        let e = explain(&c, &answers, &a.scores, id).map_err(|e| InvalidInput(e.to_string()))?;
        match args.format {
            AssessFormat::Json => print_json(&assessment_json::explanation(&e))?,
            _ => {
                println!("{} {}: {}", e.id, wrap(&e.title, WIDTH, 0), show(e.score));
                for l in &e.lines {
                    println!("{l}");
                }
            }
        }
        return Ok(());
    }
    if args.nprm {
        let none = || {
            InvalidInput(
                "this catalog has no proposed rule (references/hipaa-nprm-2025.yaml)".into(),
            )
        };
        return match args.format {
            AssessFormat::Json => print_json(&assessment_json::readiness(&a).ok_or_else(none)?),
            f => {
                let md = matches!(f, AssessFormat::Markdown);
                print!("{}", readiness_text(&a, md).ok_or_else(none)?);
                Ok(())
            }
        };
    }
    match args.format {
        AssessFormat::Json => print_json(&assessment_json::assessment(&a)),
        AssessFormat::Table => {
            print!("{}", assess_text(&a, false));
            Ok(())
        }
        AssessFormat::Markdown => {
            print!("{}", assess_text(&a, true));
            Ok(())
        }
    }
}

pub fn plan(args: PlanArgs, catalog_dir: Option<&Path>) -> anyhow::Result<()> {
    let c = source::catalog(catalog_dir)?;
    let date = as_of(args.as_of.as_deref())?;
    let answers = load(&args.file, &c, date)?;
    let a = Assessed::new(&c, &answers, date);
    let findings = findings_plan(&args.findings, &c, date)?;
    if let Some(f) = &findings {
        match args.format {
            PlanFormat::Json => {
                return print_json(&serde_json::json!({
                    "findings": assessment_json::findings(f),
                    "actions": assessment_json::plan(&a),
                }));
            }
            PlanFormat::Csv => {
                return Err(InvalidInput(
                    "--findings: the CSV is the plan's actions only; use --format findings-csv for the findings, or table, markdown or json for both".into(),
                )
                .into());
            }
            PlanFormat::FindingsCsv => {
                let a = a.with_findings(findings.clone());
                let mut out = std::io::stdout().lock();
                sheets::findings_csv(&a, &mut out)?;
                out.flush()?;
                return Ok(());
            }
            PlanFormat::Table => print!("{}", findings_text(f, false)),
            PlanFormat::Markdown => print!("{}", findings_text(f, true)),
        }
    }
    match args.format {
        PlanFormat::FindingsCsv => Err(InvalidInput(
            "--format findings-csv lists the findings of --findings IMPORT_JSON: give at least one"
                .into(),
        )
        .into()),
        PlanFormat::Json => print_json(&assessment_json::plan(&a)),
        PlanFormat::Csv => {
            let mut out = std::io::stdout().lock();
            sheets::plan_csv(&a, &mut out)?;
            out.flush()?;
            Ok(())
        }
        PlanFormat::Table => {
            print!("{}", plan_text(&a, false));
            Ok(())
        }
        PlanFormat::Markdown => {
            print!("{}", plan_text(&a, true));
            Ok(())
        }
    }
}

/// The findings of the import JSON files given, ranked for the plan as of `date`; `None`
/// when no file is given. `hicp plan --findings` and `hicp report --findings` share it.
pub(crate) fn findings_plan(
    files: &[PathBuf],
    c: &hicp_core::catalog::Catalog,
    date: hicp_core::assessment::Date,
) -> anyhow::Result<Option<FindingsPlan>> {
    if files.is_empty() {
        return Ok(None);
    }
    let mut all = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| {
            InvalidInput(format!(
                "{}: cannot read the findings file: {e}",
                file.display()
            ))
        })?;
        let found = hicp_evidence::plan_findings_from_json(&text)
            .map_err(|e| InvalidInput(format!("{}: {e}", file.display())))?;
        all.extend(found);
    }
    Ok(Some(rank(&all, &Timeframes::from_catalog(c), date)))
}

fn print_json(v: &Value) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, v)?;
    writeln!(stdout)?;
    Ok(())
}
