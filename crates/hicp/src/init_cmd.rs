//! `hicp init`: write a commented answers file for a tier, optionally after asking the
//! sizing questions in the terminal (the interview).

use crate::catalog_cmd::TierArg;
use crate::{InvalidInput, source};
use anyhow::Context;
use clap::Args;
use hicp_core::assessment::sizing::{OrgType, Profile, classify};
use hicp_core::assessment::template::template;
use hicp_core::catalog::{Tier, nearest};
use std::io::BufRead;
use std::path::{Path, PathBuf};

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
