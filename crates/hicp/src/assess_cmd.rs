//! `hicp assess` and `hicp plan`: read the answers file, assess it once (hicp-interop's
//! [`Assessed`]), print it as text or Markdown (`assess_text`), or as JSON or CSV (hicp-interop,
//! the same code as the web app's downloads).

use crate::answers_file::{as_of, load};
use crate::assess_text::{WIDTH, assess_text, plan_text, readiness_text};
use crate::text::wrap;
use crate::{InvalidInput, source};
use clap::{Args, ValueEnum};
use hicp_core::assessment::explain::explain;
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
    match args.format {
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

fn print_json(v: &Value) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, v)?;
    writeln!(stdout)?;
    Ok(())
}
