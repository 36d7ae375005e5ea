//! Starter policy documents and an incident response plan (`hicp templates`): one per policy
//! the catalog lists (`policies`), plus the plan with the catalog's team roles (`cirt-roles`)
//! and plays (`ir-plays`, `device-ir-plays`), pre-filled with the organization's name and
//! size, as Markdown and HTML. The texts are ours, in `templates/policies/`; a catalog policy
//! with no text of ours gets an outline to fill in.

use crate::escape;
use hicp_core::assessment::{Answers, Date};
use hicp_core::catalog::{Catalog, Tier};

/// The texts, by file stem (the slug of the policy's name in the catalog).
const TEXTS: [(&str, &str); 11] = [
    (
        "roles-and-responsibilities",
        include_str!("../templates/policies/roles-and-responsibilities.md"),
    ),
    (
        "education-and-awareness",
        include_str!("../templates/policies/education-and-awareness.md"),
    ),
    (
        "acceptable-use-e-mail-use",
        include_str!("../templates/policies/acceptable-use-e-mail-use.md"),
    ),
    (
        "data-classification",
        include_str!("../templates/policies/data-classification.md"),
    ),
    (
        "personal-devices",
        include_str!("../templates/policies/personal-devices.md"),
    ),
    (
        "laptop-portable-devices-and-remote-use",
        include_str!("../templates/policies/laptop-portable-devices-and-remote-use.md"),
    ),
    (
        "incident-reporting-and-checklist",
        include_str!("../templates/policies/incident-reporting-and-checklist.md"),
    ),
    (
        "disaster-recovery-plan",
        include_str!("../templates/policies/disaster-recovery-plan.md"),
    ),
    (
        "it-controls-policies",
        include_str!("../templates/policies/it-controls-policies.md"),
    ),
    (
        "it-acquisition-policy",
        include_str!("../templates/policies/it-acquisition-policy.md"),
    ),
    (
        "incident-response-plan",
        include_str!("../templates/policies/incident-response-plan.md"),
    ),
];

const OUTLINE: &str = "# {{policy}}\n\n**Organization:** {{org}}  \n**Applies to:** {{applies_to}}  \n**Owner:** {{Security_lead}}  \n**Effective date:** {{date}} (draft; review before adoption)\n\n## Purpose\n\n[Why {{org}} has this policy.] {{org}} is {{size}}.\n\n## Policy\n\n- [Rule]\n- [Rule]\n\n## Review\n\nThis policy is reviewed every year.\n";

/// One generated document.
pub struct Document {
    /// File name without extension, e.g. `data-classification`.
    pub stem: String,
    pub title: String,
    pub markdown: String,
    pub html: String,
}

/// A name as a file stem: lower case, words joined by `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

fn size(answers: &Answers) -> String {
    let volume = match answers.tier {
        Tier::Small => "HICP Technical Volume 1",
        _ => "HICP Technical Volume 2",
    };
    let p = &answers.profile;
    let mut facts = Vec::new();
    if let Some(n) = p.workforce {
        facts.push(format!("{n} staff"));
    }
    if let Some(n) = p.sites {
        facts.push(format!("{n} site{}", if n == 1 { "" } else { "s" }));
    }
    if let Some(n) = p.staffed_beds.filter(|n| *n > 0) {
        facts.push(format!("{n} staffed beds"));
    }
    let facts = if facts.is_empty() {
        String::new()
    } else {
        format!(" ({})", facts.join(", "))
    };
    format!(
        "a {} organization{facts} in the sense of {volume}",
        answers.tier
    )
}

fn security_lead(tier: Tier) -> &'static str {
    match tier {
        Tier::Small => "the practice manager, with the managed IT provider",
        Tier::Medium => "the information security manager",
        Tier::Large => "the Chief Information Security Officer (CISO)",
    }
}

/// The text with its first letter in upper case, for the start of a sentence.
fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

fn role_duty(name: &str) -> &'static str {
    let n = name.to_lowercase();
    if n.contains("leadership") || n.contains("executive") {
        "Decides on business matters (downtime, paying outside help, public statements) and keeps the board informed"
    } else if n.contains("cyber") {
        "Leads the technical response: triage, containment, evidence, and working with the outside response firm"
    } else if n.contains("technical") {
        "Runs the systems: isolates, restores and rebuilds them, and keeps downtime procedures going"
    } else if n.contains("legal") {
        "Advises on privilege, law enforcement, contracts, insurance and notice deadlines"
    } else if n.contains("public") || n.contains("communication") {
        "Speaks for the organization to staff, patients, partners and the media, with one approved message"
    } else if n.contains("hipaa") || n.contains("compliance") || n.contains("privacy") {
        "Assesses whether patient information was breached and prepares the notices HIPAA requires"
    } else {
        "[Describe this role's duties]"
    }
}

fn list<'c>(catalog: &'c Catalog, id: &str) -> &'c [hicp_core::catalog::ListItem] {
    catalog
        .lists
        .iter()
        .find(|l| l.id == id)
        .map_or(&[], |l| l.items.as_slice())
}

fn fill(text: &str, vars: &[(&str, String)]) -> String {
    let mut out = text.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("{{{{{k}}}}}"), v);
    }
    out
}

/// The documents for an organization: a policy per catalog policy, then the incident response
/// plan. `date` is the effective date written on them.
pub fn documents(catalog: &Catalog, answers: &Answers, date: Date) -> Vec<Document> {
    let org = org_name(answers);
    let base = vec![
        ("org", org.clone()),
        ("size", size(answers)),
        ("security_lead", security_lead(answers.tier).to_owned()),
        ("Security_lead", capitalized(security_lead(answers.tier))),
        ("date", date.to_string()),
    ];
    let text_of = |stem: &str| TEXTS.iter().find(|(s, _)| *s == stem).map(|(_, t)| *t);
    let mut out = Vec::new();
    for item in list(catalog, "policies") {
        let stem = slug(&item.name);
        let mut vars = base.clone();
        vars.push(("policy", item.name.clone()));
        vars.push((
            "applies_to",
            if item.applies_to.is_empty() {
                "all workforce members".to_owned()
            } else {
                item.applies_to.join(", ")
            },
        ));
        let markdown = fill(text_of(&stem).unwrap_or(OUTLINE), &vars);
        out.push(document(stem, item.name.clone(), markdown, &org));
    }
    let roles: Vec<String> = list(catalog, "cirt-roles")
        .iter()
        .map(|r| {
            format!(
                "| {} | {} | [name] | [name] | [phone] |",
                r.name,
                role_duty(&r.name)
            )
        })
        .collect();
    let mut plays = String::new();
    let mut group: Option<&str> = None;
    for p in list(catalog, "ir-plays") {
        let g = p.group.as_deref().unwrap_or("Other");
        if group != Some(g) {
            plays.push_str(&format!("\n### {g}\n\n"));
            group = Some(g);
        }
        plays.push_str(&format!(
            "- {}: [who is told; first checks; first actions]\n",
            p.name
        ));
    }
    let device = list(catalog, "device-ir-plays");
    if !device.is_empty() {
        plays.push_str("\n### Medical devices\n\n");
        for p in device {
            plays.push_str(&format!(
                "- {}: [who is told; first checks; first actions]\n",
                p.name
            ));
        }
    }
    let mut vars = base;
    vars.push(("roles", roles.join("\n")));
    vars.push(("plays", plays.trim().to_owned()));
    let markdown = fill(
        text_of("incident-response-plan").expect("the plan's text is built in"),
        &vars,
    );
    out.push(document(
        "incident-response-plan".to_owned(),
        "Incident Response Plan".to_owned(),
        markdown,
        &org,
    ));
    out
}

/// The organization's name, or a blank to fill in.
fn org_name(answers: &Answers) -> String {
    answers
        .profile
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("[Organization name]")
        .to_owned()
}

/// One printable page per threat for clinicians and staff: what it looks like, why it
/// matters for patients, what to do, and whom to tell. Plain words from the catalog's tips.
pub fn staff_sheets(catalog: &Catalog, answers: &Answers) -> Vec<Document> {
    let org = org_name(answers);
    let lead = security_lead(answers.tier);
    catalog
        .threats
        .iter()
        .map(|t| {
            let tips: String = t.tips.iter().map(|tip| format!("- {tip}\n")).collect();
            let markdown = format!(
                "# What to watch for: {name}\n\n**For everyone at {org}**\n\n{summary}\n\n\
                 ## Why it matters for patients\n\n{patients}\n\n## What you can do\n\n{tips}\n\
                 ## Tell someone straight away\n\nIf something looks wrong, or you already clicked, \
                 lost a device or saw something odd, tell {lead} at once: [name], [phone], [email]. \
                 Reporting quickly limits the harm, and nobody is blamed for reporting.\n",
                name = t.name,
                summary = t.summary,
                patients = t.impact_patients,
            );
            document(
                format!("staff-sheet-{}", t.id),
                format!("What to watch for: {}", t.name),
                markdown,
                &org,
            )
        })
        .collect()
}

fn document(stem: String, title: String, markdown: String, org: &str) -> Document {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}: {}</title>\n<style>{}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
        escape(&title),
        escape(org),
        STYLE,
        markdown_to_html(&markdown)
    );
    Document {
        stem,
        title,
        markdown,
        html,
    }
}

const STYLE: &str = "body{font:11pt/1.5 \"Segoe UI\",Helvetica,Arial,sans-serif;color:#1d2430;max-width:48rem;margin:0 auto;padding:1.5rem}h1{font-size:1.8rem}h2{font-size:1.3rem;border-bottom:1px solid #d5dbe4;margin-top:2rem}table{border-collapse:collapse;width:100%}th,td{border:1px solid #d5dbe4;padding:.3rem .4rem;text-align:left;vertical-align:top}th{background:#f1f4f8}@media print{body{max-width:none;padding:0}h2,h3{break-after:avoid}tr{break-inside:avoid}}";

/// Inline Markdown: `**bold**`, on escaped text.
fn inline(s: &str) -> String {
    let e = escape(s);
    let mut out = String::new();
    for (i, part) in e.split("**").enumerate() {
        if i % 2 == 1 {
            out.push_str("<strong>");
            out.push_str(part);
            out.push_str("</strong>");
        } else {
            out.push_str(part);
        }
    }
    if e.matches("**").count() % 2 == 1 {
        // An unmatched `**`: keep the text as written.
        return e;
    }
    out
}

/// The Markdown our templates use (headings, paragraphs with hard breaks, `-` and `1.` lists,
/// pipe tables, bold) as HTML. Every piece of text is escaped.
pub fn markdown_to_html(md: &str) -> String {
    let mut out = String::new();
    let mut open: Option<&str> = None; // "ul", "ol", "table", "p"
    let close = |out: &mut String, open: &mut Option<&str>| {
        if let Some(tag) = open.take() {
            out.push_str(&format!("</{tag}>\n"));
        }
    };
    let mut table_header = false;
    for line in md.lines() {
        let t = line.trim_end();
        if t.is_empty() {
            close(&mut out, &mut open);
            continue;
        }
        if let Some(h) = t.strip_prefix("### ") {
            close(&mut out, &mut open);
            out.push_str(&format!("<h3>{}</h3>\n", inline(h)));
        } else if let Some(h) = t.strip_prefix("## ") {
            close(&mut out, &mut open);
            out.push_str(&format!("<h2>{}</h2>\n", inline(h)));
        } else if let Some(h) = t.strip_prefix("# ") {
            close(&mut out, &mut open);
            out.push_str(&format!("<h1>{}</h1>\n", inline(h)));
        } else if let Some(item) = t.strip_prefix("- ") {
            if open != Some("ul") {
                close(&mut out, &mut open);
                out.push_str("<ul>\n");
                open = Some("ul");
            }
            out.push_str(&format!("<li>{}</li>\n", inline(item)));
        } else if let Some((n, item)) = t
            .split_once(". ")
            .filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        {
            let _ = n;
            if open != Some("ol") {
                close(&mut out, &mut open);
                out.push_str("<ol>\n");
                open = Some("ol");
            }
            out.push_str(&format!("<li>{}</li>\n", inline(item)));
        } else if t.starts_with('|') {
            let cells: Vec<&str> = t.trim_matches('|').split('|').map(str::trim).collect();
            if cells
                .iter()
                .all(|c| !c.is_empty() && c.chars().all(|x| x == '-' || x == ':'))
            {
                continue;
            }
            if open != Some("table") {
                close(&mut out, &mut open);
                out.push_str("<table>\n");
                open = Some("table");
                table_header = true;
            }
            let tag = if table_header { "th" } else { "td" };
            table_header = false;
            out.push_str("<tr>");
            for c in cells {
                out.push_str(&format!("<{tag}>{}</{tag}>", inline(c)));
            }
            out.push_str("</tr>\n");
        } else {
            if open != Some("p") {
                close(&mut out, &mut open);
                out.push_str("<p>");
                open = Some("p");
            } else {
                out.push('\n');
            }
            out.push_str(&inline(t.trim_start()));
            if line.ends_with("  ") {
                out.push_str("<br>");
            }
        }
    }
    close(&mut out, &mut open);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_match_the_text_files() {
        assert_eq!(
            slug("Acceptable Use / E-mail Use"),
            "acceptable-use-e-mail-use"
        );
        assert_eq!(
            slug("Laptop, Portable Devices, and Remote Use"),
            "laptop-portable-devices-and-remote-use"
        );
    }

    #[test]
    fn markdown_subset_becomes_escaped_html() {
        let h = markdown_to_html(
            "# A <b>\n\n**Owner:** x  \nnext\n\n- one\n- two\n\n1. first\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(h.contains("<h1>A &lt;b&gt;</h1>"));
        assert!(h.contains("<p><strong>Owner:</strong> x<br>\nnext</p>"));
        assert!(h.contains("<ul>\n<li>one</li>\n<li>two</li>\n</ul>"));
        assert!(h.contains("<ol>\n<li>first</li>\n</ol>"));
        assert!(h.contains(
            "<table>\n<tr><th>a</th><th>b</th></tr>\n<tr><td>1</td><td>2</td></tr>\n</table>"
        ));
    }
}
