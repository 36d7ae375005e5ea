//! `hicp report` (the assessment as HTML, PDF, OSCAL, XLSX or CSV) and `hicp templates` (starter
//! policies and the incident response plan): read the files, call hicp-report and
//! hicp-interop, write.

use crate::answers_file::{as_of, load};
use crate::source;
use anyhow::Context;
use clap::{Args, ValueEnum};
use hicp_interop::assessment::Assessed;
use hicp_interop::{assessment_oscal, sheets};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct ReportArgs {
    /// The answers file (YAML).
    file: PathBuf,
    #[arg(long, default_value = "html")]
    format: ReportFormat,
    /// The previous answers file of the same organization: the summary says what changed.
    #[arg(long, value_name = "FILE")]
    previous: Option<PathBuf>,
    /// The assessment date (YYYY-MM-DD); default today.
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    /// A scan's findings, as `hicp evidence import --format json` writes them (repeatable),
    /// as for `hicp plan --findings`: the HTML and PDF reports then start the plan with
    /// "Fix these first", the open findings known exploited (CISA's KEV list) or past HICP
    /// Table 8's time to fix; the workbook gets a findings sheet, the OSCAL results their
    /// observations and findings; --format findings-csv needs it.
    #[arg(long, value_name = "IMPORT_JSON")]
    findings: Vec<PathBuf>,
    /// With --format oscal-ar: where the assessment plan is (write it with --format oscal-ap).
    #[arg(long, value_name = "HREF", default_value = "assessment-plan.json")]
    ap_href: String,
    /// Output file; `-` for standard output.
    #[arg(short, long)]
    output: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained HTML file.
    Html,
    /// The same report as PDF (made without a browser).
    Pdf,
    /// OSCAL assessment plan (JSON).
    OscalAp,
    /// OSCAL assessment results (JSON), importing the plan at --ap-href.
    OscalAr,
    /// OSCAL plan of action and milestones (JSON).
    OscalPoam,
    /// Excel workbook: answers, scores, action plan.
    Xlsx,
    /// The action plan as CSV.
    Csv,
    /// The ranked scan findings of --findings as CSV (the workbook's findings sheet).
    FindingsCsv,
}

#[derive(Args)]
pub struct TemplatesArgs {
    /// The answers file (YAML): the organization's name and size fill the documents.
    file: PathBuf,
    /// The folder to write into (created if missing).
    #[arg(short, long)]
    output: PathBuf,
    /// The date written on the documents (YYYY-MM-DD); default today.
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
}

fn write_out(output: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if output.as_os_str() == "-" {
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)?;
        out.flush()?;
        Ok(())
    } else {
        std::fs::write(output, bytes).with_context(|| format!("writing {}", output.display()))
    }
}

fn json_bytes(v: &serde_json::Value) -> anyhow::Result<Vec<u8>> {
    let mut b = serde_json::to_vec_pretty(v)?;
    b.push(b'\n');
    Ok(b)
}

/// A relative reference for a file name, for OSCAL `href`s.
fn href(path: &Path) -> String {
    let name = path
        .file_name()
        .map_or("answers.yaml".into(), |n| n.to_string_lossy());
    name.replace('%', "%25").replace(' ', "%20")
}

pub fn report(args: ReportArgs, catalog_dir: Option<&Path>) -> anyhow::Result<()> {
    let c = source::catalog(catalog_dir)?;
    let date = as_of(args.as_of.as_deref())?;
    let answers = load(&args.file, &c, date)?;
    let previous = match &args.previous {
        Some(p) => Some((load(p, &c, date)?, p.display().to_string())),
        None => None,
    };
    let findings = crate::assess_cmd::findings_plan(&args.findings, &c, date)?;
    if matches!(args.format, ReportFormat::FindingsCsv) && findings.is_none() {
        return Err(crate::InvalidInput(
            "--format findings-csv lists the findings of --findings IMPORT_JSON: give at least one"
                .into(),
        )
        .into());
    }
    let a = Assessed::new(&c, &answers, date).with_findings(findings.clone());
    // The view-model of the HTML and PDF reports, with the findings section when given.
    let model = || {
        let r = hicp_report::model::build(
            &a,
            previous.as_ref().map(|(ans, label)| (ans, label.as_str())),
        );
        match &findings {
            Some(p) => r.with_findings(p),
            None => r,
        }
    };
    let (bytes, what) = match args.format {
        ReportFormat::Html => (
            hicp_report::html::render(&model())?.into_bytes(),
            "HTML report",
        ),
        ReportFormat::Pdf => (hicp_report::pdf::render(&model())?, "PDF report"),
        ReportFormat::OscalAp => (
            json_bytes(&assessment_oscal::assessment_plan(&a, &href(&args.file)))?,
            "OSCAL assessment plan",
        ),
        ReportFormat::OscalAr => (
            json_bytes(&assessment_oscal::assessment_results(&a, &args.ap_href))?,
            "OSCAL assessment results",
        ),
        ReportFormat::OscalPoam => (json_bytes(&assessment_oscal::poam(&a))?, "OSCAL POA&M"),
        ReportFormat::Xlsx => {
            // A text too long for a cell is cut with a note in the cell, never an error.
            let (bytes, warnings) = sheets::xlsx_with_warnings(&a)?;
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            (bytes, "workbook")
        }
        ReportFormat::Csv => {
            let mut b = Vec::new();
            sheets::plan_csv(&a, &mut b)?;
            (b, "action plan CSV")
        }
        ReportFormat::FindingsCsv => {
            let mut b = Vec::new();
            sheets::findings_csv(&a, &mut b)?;
            (b, "scan findings CSV")
        }
    };
    if !matches!(args.format, ReportFormat::Html | ReportFormat::Pdf) && args.previous.is_some() {
        eprintln!("note: --previous is used by the HTML and PDF reports only");
    }
    if matches!(
        args.format,
        ReportFormat::OscalAp | ReportFormat::OscalPoam | ReportFormat::Csv
    ) && !args.findings.is_empty()
    {
        eprintln!(
            "note: --findings is used by the HTML and PDF reports, the workbook, the OSCAL results and findings-csv only"
        );
    }
    write_out(&args.output, &bytes)?;
    if args.output.as_os_str() != "-" {
        println!(
            "wrote {}: {what} for {}, as of {date}",
            args.output.display(),
            a.org_name()
        );
    }
    Ok(())
}

pub fn templates(args: TemplatesArgs, catalog_dir: Option<&Path>) -> anyhow::Result<()> {
    let c = source::catalog(catalog_dir)?;
    let date = as_of(args.as_of.as_deref())?;
    let answers = load(&args.file, &c, date)?;
    let mut docs = hicp_report::policies::documents(&c, &answers, date);
    let policies = docs.len() - 1;
    docs.extend(hicp_report::policies::staff_sheets(&c, &answers));
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("creating {}", args.output.display()))?;
    for d in &docs {
        for (ext, text) in [("md", &d.markdown), ("html", &d.html)] {
            let path = args.output.join(format!("{}.{ext}", d.stem));
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    println!(
        "wrote {} documents to {} as Markdown and HTML ({} policies, the incident response plan and {} one-page sheets for staff, one per threat); they are drafts: fill in the [bracketed] parts and review before adoption",
        docs.len(),
        args.output.display(),
        policies,
        docs.len() - policies - 1
    );
    Ok(())
}
