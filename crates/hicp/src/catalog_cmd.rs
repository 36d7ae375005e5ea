//! `hicp catalog …`

use crate::text::wrap;
use crate::{InvalidInput, source};
use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets};
use hicp_core::catalog::{
    Catalog, Filter, NumberLabel, Provenance, SubPractice, ThreatId, Tier, nearest,
};
use hicp_interop::{catalog_csv, catalog_json, oscal};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

const WIDTH: usize = 92;

#[derive(Subcommand)]
pub enum CatalogCommand {
    /// List sub-practices, optionally only those that apply to a size tier, a practice or a threat.
    List {
        /// Only what applies to an organization of this size (small 19, medium 36, large 70).
        #[arg(long)]
        tier: Option<TierArg>,
        /// Only this practice (1-10).
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=10))]
        practice: Option<u8>,
        /// Only sub-practices that mitigate this threat (id such as `ransomware`, or T1-T5).
        #[arg(long)]
        threat: Option<String>,
        #[arg(long, default_value = "table")]
        format: ListFormat,
    },
    /// Show one sub-practice in full: criteria, actions and mappings.
    Show {
        /// A sub-practice id such as 7.M.D.
        id: String,
        #[arg(long, default_value = "text")]
        format: ShowFormat,
    },
    /// The five threats, with their tips for clinicians and staff.
    Threats {
        #[arg(long, default_value = "text")]
        format: ShowFormat,
    },
    /// Find sub-practices whose id, title, summary, criteria or actions mention every word given.
    Search {
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
        #[arg(long, default_value = "table")]
        format: ListFormat,
    },
    /// Write the whole catalog as JSON or as an OSCAL 1.2.3 catalog.
    Export {
        #[arg(long)]
        format: ExportFormat,
        /// Output file; `-` for standard output.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Validate a catalog folder; exits 2 and lists every problem when it is invalid.
    Check {
        /// The catalog folder (with catalog.yaml, threats.yaml, practices/, references/).
        path: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum TierArg {
    Small,
    Medium,
    Large,
}

impl From<TierArg> for Tier {
    fn from(t: TierArg) -> Tier {
        match t {
            TierArg::Small => Tier::Small,
            TierArg::Medium => Tier::Medium,
            TierArg::Large => Tier::Large,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Json,
    Oscal,
}

pub fn run(cmd: CatalogCommand, catalog_dir: Option<&Path>) -> anyhow::Result<()> {
    if let CatalogCommand::Check { path } = &cmd {
        let c = source::catalog(Some(path))?;
        println!("{}: valid. {}", path.display(), counts(&c));
        return Ok(());
    }
    let c = source::catalog(catalog_dir)?;
    let mut out = String::new();
    match cmd {
        CatalogCommand::List {
            tier,
            practice,
            threat,
            format,
        } => {
            let threat = threat.map(|t| threat_id(&c, &t)).transpose()?;
            let filter = Filter {
                tier: tier.map(Tier::from),
                practice,
                threat,
            };
            let subs = c.list(&filter);
            write_list(&c, &subs, format)?;
        }
        CatalogCommand::Show { id, format } => {
            let s = sub_practice(&c, &id)?;
            match format {
                ShowFormat::Json => print_json(&catalog_json::sub_practice(&c, s))?,
                ShowFormat::Text => {
                    show_text(&c, s, &mut out);
                    print!("{out}");
                }
            }
        }
        CatalogCommand::Threats { format } => match format {
            ShowFormat::Json => {
                let v: Vec<_> = c
                    .threats
                    .iter()
                    .map(|t| catalog_json::threat(&c, t))
                    .collect();
                print_json(&v)?;
            }
            ShowFormat::Text => {
                threats_text(&c, &mut out);
                print!("{out}");
            }
        },
        CatalogCommand::Search { text, format } => {
            let subs = c.search(&text.join(" "));
            if subs.is_empty() && matches!(format, ListFormat::Table) {
                println!("No sub-practice mentions \"{}\".", text.join(" "));
            } else {
                write_list(&c, &subs, format)?;
            }
        }
        CatalogCommand::Export { format, output } => {
            let bytes = match format {
                ExportFormat::Json => serde_json::to_vec_pretty(&catalog_json::catalog(&c))?,
                ExportFormat::Oscal => serde_json::to_vec_pretty(&oscal::catalog(&c))?,
            };
            if output.as_os_str() == "-" {
                std::io::stdout().write_all(&bytes)?;
            } else {
                std::fs::write(&output, &bytes)
                    .with_context(|| format!("writing {}", output.display()))?;
                eprintln!("wrote {}", output.display());
            }
        }
        CatalogCommand::Check { .. } => unreachable!("handled above"),
    }
    Ok(())
}

fn counts(c: &Catalog) -> String {
    let n = |t: Tier| c.sub_practices.iter().filter(|s| s.tier == t).count();
    format!(
        "{} threats, {} practices, {} sub-practices ({} small, {} medium, {} large).",
        c.threats.len(),
        c.practices.len(),
        c.sub_practices.len(),
        n(Tier::Small),
        n(Tier::Medium),
        n(Tier::Large)
    )
}

fn threat_id(c: &Catalog, key: &str) -> anyhow::Result<ThreatId> {
    match c.threat(key) {
        Some(t) => Ok(t.id.clone()),
        None => {
            let hint = nearest(key, c.threats.iter().map(|t| t.id.as_str()))
                .map(|s| format!(" (did you mean \"{s}\"?)"))
                .unwrap_or_default();
            let ids: Vec<&str> = c.threats.iter().map(|t| t.id.as_str()).collect();
            Err(InvalidInput(format!(
                "unknown threat \"{key}\"{hint}; threats are {}",
                ids.join(", ")
            ))
            .into())
        }
    }
}

fn sub_practice<'a>(c: &'a Catalog, id: &str) -> anyhow::Result<&'a SubPractice> {
    // Ids are printed upper-case; accept `7.m.d` too.
    let norm = id.to_uppercase();
    c.sub_practice(&norm).ok_or_else(|| {
        let hint = nearest(id, c.sub_practices.iter().map(|s| s.id.as_str()))
            .map(|s| format!(" (did you mean \"{s}\"?)"))
            .unwrap_or_default();
        InvalidInput(format!("unknown sub-practice \"{id}\"{hint}")).into()
    })
}

fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, v)?;
    writeln!(stdout)?;
    Ok(())
}

fn write_list(c: &Catalog, subs: &[&SubPractice], format: ListFormat) -> anyhow::Result<()> {
    match format {
        ListFormat::Json => print_json(&catalog_json::sub_practices(c, subs)),
        ListFormat::Csv => Ok(catalog_csv::write(c, subs, std::io::stdout().lock())?),
        ListFormat::Table => {
            let mut t = Table::new();
            t.load_style(presets::ASCII_MARKDOWN)
                .set_content_arrangement(ContentArrangement::Disabled)
                .set_header(["id", "tier", "title", "threats", "criteria", "actions"]);
            for s in subs {
                let threats: Vec<String> = c
                    .threats_of(s)
                    .iter()
                    .filter_map(|id| c.threat(id.as_str()).map(|t| format!("T{}", t.number)))
                    .collect();
                t.add_row([
                    s.id.to_string(),
                    s.tier.name().to_owned(),
                    titled(&s.title, s.title_provenance),
                    threats.join(" "),
                    s.criteria.len().to_string(),
                    s.actions.len().to_string(),
                ]);
            }
            println!("{t}");
            println!("{} sub-practices", subs.len());
            Ok(())
        }
    }
}

/// One line per number or cadence of a criterion or action: its words and whose it is.
fn numbers(out: &mut String, labels: &[NumberLabel], indent: usize) {
    for n in labels {
        let line = format!("\u{201c}{}\u{201d}: {}", n.says, n.origin.label());
        let _ = writeln!(
            out,
            "{}Number: {}",
            " ".repeat(indent),
            wrap(&line, WIDTH, indent + 8)
        );
    }
}

fn titled(title: &str, p: Provenance) -> String {
    match p {
        Provenance::Verified => title.to_owned(),
        other => format!("{title} ({})", other.name()),
    }
}

fn label(p: Provenance) -> &'static str {
    match p {
        Provenance::Verified => "as HICP prints it",
        Provenance::Unverified => "unverified: not yet checked against HICP",
        Provenance::Derived => "derived by HICP Toolkit, not published by HHS",
    }
}

fn show_text(c: &Catalog, s: &SubPractice, out: &mut String) {
    let practice = c
        .practice(s.practice)
        .expect("loaded catalogs resolve practices");
    let volume = match s.tier {
        Tier::Small => "Technical Volume 1",
        _ => "Technical Volume 2",
    };
    let _ = writeln!(out, "{}  {}", s.id, titled(&s.title, s.title_provenance));
    if let Some(e) = c.older_edition(s.title_edition.as_ref()) {
        let _ = writeln!(
            out,
            "    as in the {e} edition (not checked against the {} text)",
            c.meta.edition
        );
    }
    for a in &s.title_aliases {
        let _ = writeln!(
            out,
            "    also titled: {} ({}{})",
            a.name,
            a.edition
                .as_deref()
                .map(|e| format!("{e}, "))
                .unwrap_or_default(),
            a.provenance.name()
        );
    }
    let _ = writeln!(
        out,
        "Practice {}: {} | {} tier ({volume})",
        practice.number, practice.name, s.tier
    );
    let threats: Vec<&str> = c
        .threats_of(s)
        .iter()
        .filter_map(|t| c.threat(t.as_str()).map(|t| t.name.as_str()))
        .collect();
    let _ = writeln!(
        out,
        "{}",
        wrap(
            &format!("Threats mitigated: {}", threats.join("; ")),
            WIDTH,
            19
        )
    );
    let keys: Vec<&str> = s
        .key_threats
        .iter()
        .filter_map(|t| c.threat(t.as_str()).map(|t| t.name.as_str()))
        .collect();
    let keys = if keys.is_empty() {
        "none (a supporting control)".to_owned()
    } else {
        keys.join("; ")
    };
    let _ = writeln!(
        out,
        "{}",
        wrap(
            &format!("Key control against: {keys} (derived: our judgement, not HHS's)"),
            WIDTH,
            21
        )
    );
    let _ = writeln!(out, "\n{}", wrap(&s.summary, WIDTH, 0));

    let _ = writeln!(
        out,
        "\nWhat \"in place\" looks like (answer yes, partly or no):"
    );
    for cr in &s.criteria {
        let indent = 5 + cr.id.as_str().len();
        let _ = writeln!(out, "  [{}] {}", cr.id, wrap(&cr.text, WIDTH, indent));
        if let Some(g) = &cr.guidance {
            let _ = writeln!(
                out,
                "{}How to tell: {}",
                " ".repeat(indent),
                wrap(g, WIDTH, indent + 13)
            );
        }
        numbers(out, &cr.numbers, indent);
    }
    let _ = writeln!(out, "\nActions:");
    for a in &s.actions {
        let indent = 5 + a.id.as_str().len();
        let _ = writeln!(out, "  [{}] {}", a.id, wrap(&a.text, WIDTH, indent));
        let effort = format!("Effort: {}. Cost: ", a.effort.name());
        let _ = writeln!(
            out,
            "{}{effort}{}",
            " ".repeat(indent),
            wrap(&a.cost, WIDTH, indent + effort.len())
        );
        numbers(out, &a.numbers, indent);
    }
    if !s.prerequisites.is_empty() {
        let pre: Vec<String> = s
            .prerequisites
            .iter()
            .map(|p| match c.sub_practice(p.as_str()) {
                Some(ps) => format!("{} {}", p, ps.title),
                None => p.to_string(),
            })
            .collect();
        let _ = writeln!(out, "\nDo first: {}", wrap(&pre.join("; "), WIDTH, 10));
    }
    for pid in &s.parameters {
        if let Some(p) = c.parameter(pid) {
            let values: Vec<String> = p
                .values
                .iter()
                .map(|v| format!("{} {} {}", v.key, v.value, v.unit))
                .collect();
            let _ = writeln!(
                out,
                "\nHICP numbers: {} ({}, {}):",
                p.name,
                p.source,
                p.provenance.name()
            );
            let _ = writeln!(out, "    {}", wrap(&values.join("; "), WIDTH, 4));
        }
    }

    let _ = writeln!(out, "\nMappings:");
    let _ = write!(out, "  NIST CSF 1.1 ({}): ", label(s.csf11.provenance));
    if s.csf11.refs.is_empty() {
        let _ = writeln!(out, "none known");
    } else {
        let _ = writeln!(out, "{}", s.csf11.refs.join(", "));
    }
    if let Some(n) = &s.csf11.note {
        let _ = writeln!(out, "    note: {}", wrap(n, WIDTH, 10));
    }
    let _ = writeln!(
        out,
        "  NIST CSF 2.0 (derived through NIST's CSF 1.1 to 2.0 mapping, or by us):"
    );
    for r in &s.csf20 {
        let via = r
            .via
            .as_deref()
            .map(|v| format!(" (from {v})"))
            .unwrap_or_else(|| " (ours)".to_owned());
        let lbl = c.csf20_label(&r.id).unwrap_or_default();
        let head = format!("    {}{via}: ", r.id);
        let _ = writeln!(out, "{head}{}", wrap(lbl, WIDTH, head.len()));
    }
    let _ = writeln!(out, "  HPH CPGs ({}):", label(s.cpg.provenance));
    for g in &s.cpg.refs {
        if let Some(goal) = c.cpg_goal(g) {
            let _ = writeln!(
                out,
                "    {} {}",
                g,
                titled(&goal.title, goal.title_provenance)
            );
        }
    }
    let _ = writeln!(
        out,
        "  HIPAA Security Rule ({}):",
        label(s.hipaa.provenance)
    );
    for h in &s.hipaa.refs {
        if let Some(e) = c.hipaa_entry(h) {
            let _ = writeln!(out, "    45 CFR {} {} ({})", h, e.name, e.kind.name());
        }
    }
}

fn threats_text(c: &Catalog, out: &mut String) {
    for t in &c.threats {
        let practices: Vec<String> = c
            .practices
            .iter()
            .filter(|p| p.threats.contains(&t.id))
            .map(|p| p.number.to_string())
            .collect();
        let _ = writeln!(
            out,
            "T{} {}  [{}]",
            t.number,
            titled(&t.name, t.name_provenance),
            t.id
        );
        for a in &t.aliases {
            let _ = writeln!(
                out,
                "   also known as: {} ({}{})",
                a.name,
                a.edition
                    .as_deref()
                    .map(|e| format!("{e}, "))
                    .unwrap_or_default(),
                a.provenance.name()
            );
        }
        let _ = writeln!(out, "   {}", wrap(&t.summary, WIDTH, 3));
        let para = |s: String| wrap(&s, WIDTH, 3);
        let _ = writeln!(
            out,
            "   {}",
            para(format!("For patients: {}", t.impact_patients))
        );
        let _ = writeln!(
            out,
            "   {}",
            para(format!("For the organization: {}", t.impact_organization))
        );
        let _ = writeln!(
            out,
            "   {}",
            para(format!(
                "Common weaknesses ({}): {}",
                t.vulnerabilities_provenance.name(),
                t.vulnerabilities.join("; ")
            ))
        );
        let _ = writeln!(out, "   Practices that help: {}", practices.join(", "));
        let _ = writeln!(out, "   Tips for clinicians and staff:");
        for tip in &t.tips {
            let _ = writeln!(out, "   - {}", wrap(tip, WIDTH, 5));
        }
        let _ = writeln!(out);
    }
}
