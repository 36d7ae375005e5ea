//! `hicp evidence import`: read scanner, compliance, inventory, KEV and DMARC files with
//! hicp-evidence and print what they hold and what they mean for HICP. A file that cannot be
//! read is bad input (exit code 2) with the file and the place in it.

use crate::InvalidInput;
use crate::answers_file::as_of;
use clap::{Args, Subcommand, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets};
use hicp_core::assessment::Status;
use hicp_evidence::{
    Import, KevCatalog, Kind, Legacy, Observation, Options, Scoped, correlate, import, scoped,
};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum EvidenceCommand {
    /// Read scanner results, compliance results, inventories, the KEV catalog or DMARC reports.
    Import(ImportArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    /// The files to read; the kind of each is told from its content.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Insist on one kind instead of detecting it.
    #[arg(long, default_value = "auto")]
    kind: KindArg,
    /// A CISA KEV catalog (JSON or CSV) to flag findings whose CVEs are known exploited.
    #[arg(long, value_name = "KEV_FILE")]
    kev: Option<PathBuf>,
    /// The day ages are counted to (YYYY-MM-DD); default today.
    #[arg(long, value_name = "DATE")]
    as_of: Option<String>,
    #[arg(long, default_value = "table")]
    format: Format,
    /// How to read text that is not UTF-8.
    #[arg(long, default_value = "windows-1252")]
    legacy_encoding: LegacyArg,
    /// An answers file: the criteria observations are then those of its assessment (its
    /// tier and opted-in sub-practices), each beside the file's answer.
    #[arg(long, value_name = "FILE")]
    answers: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Auto,
    Nessus,
    Openvas,
    Qualys,
    Xccdf,
    Mscp,
    Inventory,
    Kev,
    DmarcReport,
}

impl KindArg {
    fn kind(self) -> Kind {
        match self {
            KindArg::Auto => Kind::Auto,
            KindArg::Nessus => Kind::Nessus,
            KindArg::Openvas => Kind::Openvas,
            KindArg::Qualys => Kind::Qualys,
            KindArg::Xccdf => Kind::Xccdf,
            KindArg::Mscp => Kind::Mscp,
            KindArg::Inventory => Kind::Inventory,
            KindArg::Kev => Kind::Kev,
            KindArg::DmarcReport => Kind::DmarcReport,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Table,
}

#[derive(Clone, Copy, ValueEnum)]
enum LegacyArg {
    #[value(name = "windows-1252")]
    Windows1252,
    MacRoman,
}

pub fn run(cmd: EvidenceCommand, catalog_dir: Option<&Path>) -> anyhow::Result<()> {
    match cmd {
        EvidenceCommand::Import(args) => import_files(args, catalog_dir),
    }
}

/// An answers file's assessment: its criteria in scope, and its answers.
struct Assessment {
    catalog: hicp_core::catalog::Catalog,
    answers: hicp_core::assessment::Answers,
}

impl Assessment {
    fn scope(&self) -> Vec<&str> {
        self.answers
            .scope(&self.catalog)
            .iter()
            .flat_map(|sp| sp.criteria.iter().map(|c| c.id.as_str()))
            .collect()
    }

    fn status(&self, criterion: &str) -> Option<Status> {
        self.answers.criteria.get(criterion).map(|a| a.status)
    }

    /// The observations keyed to this assessment's criteria.
    fn key(&self, observations: &[Observation]) -> Scoped {
        scoped(observations, &self.catalog, &self.scope())
    }

    /// `criteria` of an import's JSON replaced by the scoped observations, each with the
    /// file's answer, and the ids outside the assessment.
    fn json(&self, scoped: &Scoped, value: &mut serde_json::Value) {
        let criteria: Vec<serde_json::Value> = scoped
            .criteria
            .iter()
            .map(|o| {
                let mut v = serde_json::to_value(o).unwrap_or_default();
                v["answer"] = self
                    .status(&o.id)
                    .map_or(serde_json::Value::Null, |s| s.name().into());
                v
            })
            .collect();
        value["criteria"] = criteria.into();
        value["outside_scope"] = serde_json::to_value(&scoped.outside_scope).unwrap_or_default();
    }
}

fn open(path: &Path) -> Result<std::fs::File, InvalidInput> {
    std::fs::File::open(path)
        .map_err(|e| InvalidInput(format!("{}: cannot read the file: {e}", path.display())))
}

fn import_files(args: ImportArgs, catalog_dir: Option<&Path>) -> anyhow::Result<()> {
    let mut options = Options::new(as_of(args.as_of.as_deref())?);
    let assessment = match &args.answers {
        None => None,
        Some(path) => {
            let catalog = crate::source::catalog(catalog_dir)?;
            let answers = crate::answers_file::load(path, &catalog, options.as_of)?;
            Some(Assessment { catalog, answers })
        }
    };
    options.legacy = match args.legacy_encoding {
        LegacyArg::Windows1252 => Legacy::Windows1252,
        LegacyArg::MacRoman => Legacy::MacRoman,
    };
    if let Some(path) = &args.kev {
        let kev = KevCatalog::read(open(path)?)
            .map_err(|e| InvalidInput(format!("{}: {e}", path.display())))?;
        options.kev = Some(kev);
    }
    let mut imports = Vec::new();
    let mut problems = Vec::new();
    for path in &args.files {
        options.file_name = Some(path.display().to_string());
        let result = open(path).map_err(|e| e.0).and_then(|file| {
            import(std::io::BufReader::new(file), args.kind.kind(), &options)
                .map_err(|e| format!("{}: {e}", path.display()))
        });
        match result {
            Ok(i) => imports.push(i),
            Err(e) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        return Err(InvalidInput(problems.join("\n")).into());
    }
    let combined = correlate(&imports);
    // With an answers file: each file's observations, and the combined ones, keyed to its
    // assessment.
    let keyed: Option<(Vec<Scoped>, Scoped)> = assessment.as_ref().map(|a| {
        (
            imports.iter().map(|i| a.key(&i.criteria)).collect(),
            a.key(&combined),
        )
    });
    match args.format {
        Format::Json => {
            let mut values = imports
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<Vec<_>, _>>()?;
            if let (Some(a), Some((each, _))) = (&assessment, &keyed) {
                for (v, s) in values.iter_mut().zip(each) {
                    a.json(s, v);
                }
            }
            let value = if values.len() == 1 {
                values.remove(0)
            } else {
                let mut all = serde_json::json!({ "imports": values, "criteria": combined });
                if let (Some(a), Some((_, both))) = (&assessment, &keyed) {
                    a.json(both, &mut all);
                }
                all
            };
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
        Format::Table => {
            for (n, i) in imports.iter().enumerate() {
                print_table(i);
                if let (Some(a), Some((each, _))) = (&assessment, &keyed) {
                    print_keyed(a, &each[n]);
                }
            }
            if let (Some(a), Some((_, both))) = (&assessment, &keyed) {
                if !both.criteria.is_empty() {
                    println!("Across these files, for the answers file");
                    print_keyed(a, both);
                }
            } else if !combined.is_empty() {
                println!("Across these files");
                for o in &combined {
                    println!(
                        "  {} ({}): {}",
                        o.id,
                        status(o.suggested_status),
                        o.observation
                    );
                }
            }
        }
    }
    Ok(())
}

/// The observations of an answers file's assessment, beside its answers.
fn print_keyed(a: &Assessment, s: &Scoped) {
    if s.criteria.is_empty() {
        println!("  For the answers file: nothing in its assessment.");
    } else {
        println!("  For the answers file:");
    }
    for o in &s.criteria {
        println!(
            "  {} (answer: {}, suggested: {}): {}",
            o.id,
            a.status(&o.id).map_or("none", |s| s.name()),
            status(o.suggested_status),
            o.observation
        );
    }
    if !s.outside_scope.is_empty() {
        println!("  Not in its assessment: {}", s.outside_scope.join(", "));
    }
    println!();
}

fn status(s: Option<Status>) -> &'static str {
    s.map_or("no suggestion", |s| s.name())
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::ASCII_MARKDOWN)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    t
}

fn print_table(i: &Import) {
    let file = i.source.file.as_deref().unwrap_or("input");
    println!(
        "{file}: {} ({}), {} records, sha256 {}",
        i.kind, i.source.scanner, i.records, i.source.sha256
    );
    if let Some(g) = &i.source.generated {
        println!("  generated {g}");
    }
    if !i.findings.is_empty() {
        let mut t = table(&[
            "host",
            "port",
            "severity",
            "KEV",
            "CVEs",
            "first seen",
            "title",
        ]);
        for f in &i.findings {
            t.add_row(vec![
                f.host.clone(),
                f.port
                    .map(|p| format!("{p}/{}", f.protocol.as_deref().unwrap_or("")))
                    .unwrap_or_default(),
                f.severity.name().to_owned(),
                if f.kev { "KEV".into() } else { String::new() },
                f.cves
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                f.first_seen.map(|d| d.to_string()).unwrap_or_default(),
                f.title.clone(),
            ]);
        }
        println!("{t}");
    }
    if !i.compliance.is_empty() {
        let mut t = table(&["rule", "result", "HICP"]);
        for c in &i.compliance {
            let result = serde_json::to_value(c.result)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            t.add_row(vec![c.rule.clone(), result, c.hicp.join(" ")]);
        }
        println!("{t}");
    }
    if !i.assets.is_empty() {
        let mut t = table(&["name", "IP", "MAC", "category", "medical device"]);
        for a in &i.assets {
            t.add_row(vec![
                a.name.clone().unwrap_or_default(),
                a.ip.clone().unwrap_or_default(),
                a.mac.clone().unwrap_or_default(),
                a.category.clone().unwrap_or_default(),
                if a.medical_device {
                    "yes".into()
                } else {
                    String::new()
                },
            ]);
        }
        println!("{t}");
    }
    if let Some(d) = &i.dmarc {
        let mut t = table(&[
            "source IP",
            "messages",
            "SPF pass/fail",
            "DKIM pass/fail",
            "fails both",
        ]);
        for s in &d.sources {
            t.add_row(vec![
                s.source_ip.clone(),
                s.count.to_string(),
                format!("{}/{}", s.spf_pass, s.spf_fail),
                format!("{}/{}", s.dkim_pass, s.dkim_fail),
                if s.fails_both {
                    "yes".into()
                } else {
                    String::new()
                },
            ]);
        }
        println!("{t}");
    }
    if let Some(k) = &i.kev_catalog {
        println!(
            "  KEV catalog {}: {} entries",
            k.version.as_deref().unwrap_or("(no version)"),
            k.entries()
        );
    }
    for o in &i.criteria {
        println!(
            "  {} (suggested: {}): {}",
            o.id,
            status(o.suggested_status),
            o.observation
        );
    }
    for w in &i.warnings {
        println!("  warning at {}: {}", w.at, w.message);
    }
    println!();
}
