//! `hicp init`, `hicp assess` and `hicp plan`: read the answers file, call the assessment
//! engine in hicp-core, print. JSON and CSV come from hicp-interop, the same code as the web
//! app's downloads.

use crate::catalog_cmd::TierArg;
use crate::text::wrap;
use crate::{InvalidInput, source};
use anyhow::Context;
use clap::{Args, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets};
use hicp_core::assessment::explain::explain;
use hicp_core::assessment::plan::{
    CAPACITY_30_DAYS, CAPACITY_90_DAYS, ESSENTIAL_BOOST, Horizon, KEY_CREDIT,
};
use hicp_core::assessment::scoring::{CsfLevel, show};
use hicp_core::assessment::sizing::{OrgType, Profile, classify};
use hicp_core::assessment::template::template;
use hicp_core::assessment::{Answers, Date, parse};
use hicp_core::catalog::{Catalog, Tier, nearest};
use hicp_interop::assessment::Assessed;
use hicp_interop::{assessment_json, sheets};
use serde_json::Value;
use std::fmt::Write as _;
use std::io::{BufRead, Write as _};
use std::path::{Path, PathBuf};

const WIDTH: usize = 96;

#[derive(Args)]
pub struct InitArgs {
    /// The organization's size tier; the template lists the criteria that apply to it.
    #[arg(long, required_unless_present = "interview")]
    tier: Option<TierArg>,
    /// The organization's name.
    #[arg(long)]
    org: Option<String>,
    /// Ask the sizing questions in the terminal first, and suggest a tier.
    #[arg(long)]
    interview: bool,
    /// Sub-practices of other tiers to adopt, e.g. 1.M.B,7.M.D (their criteria are added).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    opt_in: Vec<String>,
    /// Output file; `-` for standard output.
    #[arg(short, long)]
    output: PathBuf,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    force: bool,
}

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
    #[arg(long, value_name = "ID")]
    explain: Option<String>,
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

pub fn init(args: InitArgs, catalog_dir: Option<&Path>) -> anyhow::Result<()> {
    let c = source::catalog(catalog_dir)?;
    let to_stdout = args.output.as_os_str() == "-";
    if !to_stdout && args.output.exists() && !args.force {
        return Err(InvalidInput(format!(
            "{}: already exists; use --force to overwrite it",
            args.output.display()
        ))
        .into());
    }
    let mut profile = Profile {
        name: args.org.clone(),
        ..Profile::default()
    };
    let tier = if args.interview {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let mut out = if to_stdout {
            Box::new(std::io::stderr()) as Box<dyn std::io::Write>
        } else {
            Box::new(std::io::stdout())
        };
        interview(
            &mut input,
            &mut out,
            &mut profile,
            args.tier.map(Tier::from),
        )?
    } else {
        Tier::from(args.tier.expect("clap requires --tier without --interview"))
    };
    let mut opt_in = Vec::new();
    for id in &args.opt_in {
        let Some(sp) = c.sub_practice(id.trim()) else {
            let hint = nearest(id.trim(), c.sub_practices.iter().map(|s| s.id.as_str()))
                .map_or(String::new(), |s| format!(" (did you mean \"{s}\"?)"));
            return Err(
                InvalidInput(format!("--opt-in: unknown sub-practice \"{id}\"{hint}")).into(),
            );
        };
        if c.applies(tier, sp) {
            return Err(InvalidInput(format!(
                "--opt-in: {} already applies to a {tier} organization",
                sp.id
            ))
            .into());
        }
        if !opt_in.contains(&sp.id) {
            opt_in.push(sp.id.clone());
        }
    }
    let text = template(&c, tier, &profile, &opt_in);
    if to_stdout {
        print!("{text}");
    } else {
        std::fs::write(&args.output, text)
            .with_context(|| format!("writing {}", args.output.display()))?;
        let n = c
            .list(&hicp_core::catalog::Filter {
                tier: Some(tier),
                ..Default::default()
            })
            .len()
            + opt_in.len();
        println!(
            "wrote {}: a {tier} organization, {n} sub-practices; set each status, then run `hicp assess {}`",
            args.output.display(),
            args.output.display()
        );
    }
    Ok(())
}

fn ask(
    input: &mut dyn BufRead,
    out: &mut dyn std::io::Write,
    q: &str,
) -> anyhow::Result<Option<String>> {
    write!(out, "{q}: ")?;
    out.flush()?;
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim().to_owned()))
}

fn ask_number(
    input: &mut dyn BufRead,
    out: &mut dyn std::io::Write,
    q: &str,
) -> anyhow::Result<Option<u32>> {
    loop {
        match ask(input, out, &format!("{q} (a number; Enter to skip)"))? {
            None => return Ok(None),
            Some(a) if a.is_empty() => return Ok(None),
            Some(a) => {
                if let Ok(n) = a.replace([',', '_'], "").parse() {
                    return Ok(Some(n));
                }
                writeln!(out, "  please type a whole number, or press Enter to skip")?;
            }
        }
    }
}

/// Asks the sizing questions; returns the tier the user accepts.
fn interview(
    input: &mut dyn BufRead,
    out: &mut dyn std::io::Write,
    profile: &mut Profile,
    given: Option<Tier>,
) -> anyhow::Result<Tier> {
    if profile.name.is_none() {
        profile.name = ask(input, out, "Organization name")?.filter(|n| !n.is_empty());
    }
    let types: Vec<&str> = OrgType::ALL.iter().map(|t| t.name()).collect();
    loop {
        let Some(t) = ask(
            input,
            out,
            &format!("Type ({}; Enter to skip)", types.join(", ")),
        )?
        else {
            break;
        };
        if t.is_empty() {
            break;
        }
        if let Some(x) = OrgType::from_name(&t) {
            profile.org_type = Some(x);
            break;
        }
        writeln!(out, "  not a type this tool knows")?;
    }
    profile.physicians = ask_number(input, out, "Physicians and other independent providers")?;
    profile.staffed_beds = ask_number(input, out, "Staffed beds")?;
    profile.workforce = ask_number(input, out, "Workforce (employees and contractors)")?;
    profile.it_assets = ask_number(
        input,
        out,
        "IT assets (computers, servers, network gear, phones, connected devices)",
    )?;
    profile.it_staff = ask_number(input, out, "Dedicated IT staff")?;
    profile.security_staff = ask_number(input, out, "Dedicated security staff")?;
    profile.sites = ask_number(input, out, "Sites")?;
    let sizing = classify(profile);
    writeln!(out, "\n{}", sizing.explanation)?;
    let suggested = given.or(sizing.tier);
    loop {
        let prompt = match suggested {
            Some(t) => format!("Tier [Enter for {t}, or small, medium, large]"),
            None => "Tier (small, medium, large)".to_owned(),
        };
        let answer = ask(input, out, &prompt)?;
        match (answer.as_deref().map(str::to_lowercase), suggested) {
            (None, Some(t)) => return Ok(t),
            (Some(a), Some(t)) if a.is_empty() => return Ok(t),
            (None, None) => {
                return Err(InvalidInput(
                    "no tier: answer a sizing question or give --tier".into(),
                )
                .into());
            }
            (Some(a), _) => {
                if let Some(t) = Tier::from_name(&a) {
                    return Ok(t);
                }
            }
        }
    }
}

pub(crate) fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Date::from_days(i64::try_from(secs / 86_400).unwrap_or(0))
        .expect("the clock is within years 1-9999")
}

pub(crate) fn as_of(arg: Option<&str>) -> anyhow::Result<Date> {
    match arg {
        None => Ok(today()),
        Some(s) => Date::parse(s).map_err(|e| InvalidInput(format!("--as-of: {e}")).into()),
    }
}

/// Reads and validates an answers file; problems are [`InvalidInput`] (exit code 2).
pub(crate) fn load(file: &Path, c: &Catalog, as_of: Date) -> anyhow::Result<Answers> {
    let bytes = std::fs::read(file).map_err(|e| {
        InvalidInput(format!(
            "{}: cannot read the answers file: {e}",
            file.display()
        ))
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| InvalidInput(format!("{}: not UTF-8 text", file.display())))?;
    parse(&file.display().to_string(), &text, c, as_of)
        .map_err(|e| InvalidInput(e.to_string()).into())
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

pub fn plan_cmd(args: PlanArgs, catalog_dir: Option<&Path>) -> anyhow::Result<()> {
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

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::ASCII_MARKDOWN)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    t
}

fn heading(out: &mut String, md: bool, title: &str) {
    if md {
        let _ = writeln!(out, "\n## {title}\n");
    } else {
        let _ = writeln!(out, "\n{title}\n{}", "-".repeat(title.chars().count()));
    }
}

fn assess_text(assessed: &Assessed, md: bool) -> String {
    let (c, a, s, r) = (
        assessed.catalog,
        assessed.answers,
        &assessed.scores,
        &assessed.rsp,
    );
    let mut out = String::new();
    let name = a.profile.name.as_deref().unwrap_or("Unnamed organization");
    if md {
        let _ = writeln!(out, "# HICP self-assessment: {name}\n");
    } else {
        let _ = writeln!(out, "HICP self-assessment: {name}");
    }
    // Markdown needs two trailing spaces for a line break inside a paragraph.
    let br = if md { "  " } else { "" };
    let _ = writeln!(
        out,
        "Assessed as of {} against {}.{br}",
        r.as_of, c.meta.title
    );
    if a.sizing.tier.is_some() {
        let _ = writeln!(
            out,
            "Tier: {} ({}). Sizing: {}.{br}",
            a.tier,
            assessed.tier_source(),
            a.sizing.explanation
        );
    } else {
        let _ = writeln!(
            out,
            "Tier: {} ({}; no sizing questions answered).{br}",
            a.tier,
            assessed.tier_source()
        );
    }
    if !a.opt_in.is_empty() {
        let ids: Vec<&str> = a.opt_in.iter().map(|x| x.as_str()).collect();
        let _ = writeln!(out, "Opted in: {}.", ids.join(", "));
    }
    let _ = writeln!(out, "\nOverall score: {} / 100", show(s.overall));

    heading(&mut out, md, "Threats");
    let mut t = table(&["threat", "name", "weight", "score"]);
    for x in &s.threats {
        t.add_row([
            format!("T{}", x.number),
            x.name.clone(),
            format!("{}", x.weight),
            show(x.score),
        ]);
    }
    let _ = writeln!(out, "{t}");

    heading(&mut out, md, "Practices");
    let mut t = table(&["practice", "name", "score", "sub-practices"]);
    for p in &s.practices {
        let subs: Vec<String> = p
            .sub_practices
            .iter()
            .map(|(id, sc)| format!("{id} {}", show(*sc)))
            .collect();
        t.add_row([
            format!("P{}", p.number),
            p.name.clone(),
            show(p.score),
            subs.join(", "),
        ]);
    }
    let _ = writeln!(out, "{t}");

    heading(&mut out, md, "Not applicable (left out of the scores)");
    let mut any = false;
    for sp in &s.sub_practices {
        for cr in sp.criteria.iter().filter(|cr| cr.score.is_none()) {
            any = true;
            let _ = writeln!(out, "- {}: {}", cr.id, cr.reason.as_deref().unwrap_or(""));
        }
    }
    if !any {
        let _ = writeln!(out, "none");
    }

    heading(
        &mut out,
        md,
        "NIST CSF 2.0 coverage (functions; mapping derived)",
    );
    let mut t = table(&["function", "name", "score", "categories covered"]);
    for f in s.csf.iter().filter(|x| x.level == CsfLevel::Function) {
        t.add_row([
            f.id.clone(),
            f.name.clone(),
            show(f.score),
            s.csf_categories_covered(&f.id),
        ]);
    }
    let _ = writeln!(out, "{t}");

    heading(
        &mut out,
        md,
        "HPH Cybersecurity Performance Goals (our mapping)",
    );
    let mut t = table(&["goal", "name", "status", "score"]);
    for g in &s.cpg {
        t.add_row([
            g.id.clone(),
            g.name.clone(),
            g.status.name().to_owned(),
            show(g.score),
        ]);
    }
    let _ = writeln!(out, "{t}");

    heading(&mut out, md, "HIPAA Security Rule standards (our mapping)");
    let mut t = table(&["standard", "name", "status", "score"]);
    for h in s.hipaa.iter().filter(|h| !h.sub_practices.is_empty()) {
        t.add_row([
            h.id.clone(),
            h.name.clone(),
            h.status.name().to_owned(),
            show(h.score),
        ]);
    }
    let _ = writeln!(out, "{t}");
    let not_mapped = s
        .hipaa
        .iter()
        .filter(|h| h.sub_practices.is_empty())
        .count();
    let _ = writeln!(
        out,
        "{not_mapped} of {} standards are not addressed by the sub-practices in scope.",
        s.hipaa.len()
    );

    heading(
        &mut out,
        md,
        "Recognized security practices (in place 12 months, Public Law 116-321)",
    );
    let mut t = table(&[
        "sub-practice",
        "in place since",
        "12 months on",
        "qualifies today",
        "notes",
    ]);
    for x in &r.sub_practices {
        t.add_row([
            x.sub_practice.to_string(),
            x.since.map_or("-".into(), |d| d.to_string()),
            x.qualifies_on.map_or("-".into(), |d| d.to_string()),
            if x.in_place_12_months { "yes" } else { "no" }.to_owned(),
            x.notes.join("; "),
        ]);
    }
    let _ = writeln!(out, "{t}");
    let q: Vec<String> = r
        .practices_qualifying
        .iter()
        .map(|p| format!("P{p}"))
        .collect();
    let _ = writeln!(
        out,
        "Practices fully in place for 12 months as of {}: {}.",
        r.as_of,
        if q.is_empty() {
            "none".to_owned()
        } else {
            q.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "\nHow a score was reached: hicp assess FILE --explain ID (for example --explain overall)."
    );
    out
}

fn plan_text(assessed: &Assessed, md: bool) -> String {
    let (a, s, items) = (assessed.answers, &assessed.scores, &assessed.plan);
    let mut out = String::new();
    let name = a.profile.name.as_deref().unwrap_or("Unnamed organization");
    if md {
        let _ = writeln!(out, "# HICP action plan: {name}\n");
    } else {
        let _ = writeln!(out, "HICP action plan: {name}");
    }
    let _ = writeln!(
        out,
        "{} actions for a {} organization (overall score now {}). Ranked by expected risk reduction: the overall points each gap adds, plus {:.0}% of its open points on each threat it is a key control against (our judgement), weighted; x{ESSENTIAL_BOOST} when it serves an HPH CPG essential goal; per unit of effort (low 1, medium 2, high 4); prerequisites first. Scheduled by effort, at most {CAPACITY_30_DAYS} actions in 30 days and {CAPACITY_90_DAYS} in 90. See docs/scoring.md.",
        items.len(),
        a.tier,
        show(s.overall),
        KEY_CREDIT * 100.0
    );
    if items.is_empty() {
        let _ = writeln!(
            out,
            "\nNo gaps: every sub-practice in scope is implemented."
        );
        return out;
    }
    heading(&mut out, md, "By horizon");
    for h in [Horizon::Days30, Horizon::Days90, Horizon::Months12] {
        let mine: Vec<String> = items
            .iter()
            .filter(|i| i.horizon == h)
            .map(|i| format!("{}. {}", i.rank, i.sub_practice))
            .collect();
        if mine.is_empty() {
            continue;
        }
        if md {
            let _ = writeln!(out, "- {}: {}", h.label(), mine.join(", "));
        } else {
            // Break between entries only, so a rank stays with its sub-practice.
            let mut line = format!("{}:", h.label());
            for (n, m) in mine.iter().enumerate() {
                let sep = if n + 1 < mine.len() { "," } else { "" };
                if line.chars().count() + 1 + m.chars().count() + sep.len() > WIDTH {
                    let _ = writeln!(out, "{line}");
                    line = format!("  {m}{sep}");
                } else {
                    line.push_str(&format!(" {m}{sep}"));
                }
            }
            let _ = writeln!(out, "{line}");
        }
    }
    heading(&mut out, md, "Actions, most important first");
    {
        for i in items {
            if md {
                let _ = writeln!(
                    out,
                    "{}. **{} {}** ({}, {} effort, +{:.1} overall)",
                    i.rank,
                    i.sub_practice,
                    i.title,
                    i.horizon.label().to_lowercase(),
                    i.effort.name(),
                    i.gain
                );
                let _ = writeln!(out, "   - Do: {} ({})", i.text, i.cost);
                for (id, t) in &i.then {
                    let _ = writeln!(out, "   - Then ({id}): {t}");
                }
                let _ = writeln!(out, "   - Why: {}", i.why);
            } else {
                let _ = writeln!(
                    out,
                    "{:>3}. {} {}  [{}, {} effort, +{:.1} overall]",
                    i.rank,
                    i.sub_practice,
                    i.title,
                    i.horizon.label().to_lowercase(),
                    i.effort.name(),
                    i.gain
                );
                let _ = writeln!(
                    out,
                    "     Do:   {}",
                    wrap(&format!("{} ({})", i.text, i.cost), WIDTH, 11)
                );
                if !i.then.is_empty() {
                    let then: Vec<&str> = i.then.iter().map(|(id, _)| id.as_str()).collect();
                    let _ = writeln!(out, "     Then: {}", wrap(&then.join(", "), WIDTH, 11));
                }
                let _ = writeln!(out, "     Why:  {}", wrap(&i.why, WIDTH, 11));
            }
        }
    }
    out
}
