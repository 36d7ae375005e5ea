//! How one score was reached: `hicp assess FILE --explain ID`.

use super::answers::Answers;
use super::scoring::{MappedScore, Scores, show};
use crate::catalog::{Catalog, nearest};

#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    pub id: String,
    pub title: String,
    pub score: Option<f64>,
    /// The inputs and the arithmetic, one step a line.
    pub lines: Vec<String>,
}

/// An id that names no score.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("nothing to explain for \"{id}\"{}: use overall, a threat (ransomware or T2), a practice (P7), a sub-practice (7.M.D), a criterion (7.M.D.c1), a CSF 2.0 function or category (PR, PR.AA), a CPG goal (E1) or a HIPAA standard (164.308(a)(1)(i))", suggestion.as_ref().map_or(String::new(), |s| format!(" (did you mean \"{s}\"?)")))]
pub struct ExplainError {
    pub id: String,
    pub suggestion: Option<String>,
}

fn list(items: &[(String, Option<f64>)]) -> Vec<String> {
    items
        .iter()
        .map(|(id, s)| match s {
            Some(v) => format!("  {id}: {}", show(Some(*v))),
            None => format!("  {id}: n/a (left out of the mean)"),
        })
        .collect()
}

fn mean_line(items: &[(String, Option<f64>)], score: Option<f64>) -> String {
    let scored: Vec<String> = items
        .iter()
        .filter_map(|(_, s)| s.map(|v| show(Some(v))))
        .collect();
    match score {
        Some(s) => format!(
            "= ({}) / {} = {}",
            scored.join(" + "),
            scored.len(),
            show(Some(s))
        ),
        None => "= n/a: nothing scored".to_owned(),
    }
}

pub fn explain(
    catalog: &Catalog,
    answers: &Answers,
    scores: &Scores,
    id: &str,
) -> Result<Explanation, ExplainError> {
    let key = id.trim();
    if key.eq_ignore_ascii_case("overall") {
        let mut lines = vec![
            "overall = sum(weight x threat score) / sum(weights), over the scored threats"
                .to_owned(),
        ];
        let mut num = Vec::new();
        let mut den = Vec::new();
        for t in &scores.threats {
            match t.score {
                Some(s) => {
                    lines.push(format!(
                        "  {} ({}): {} x weight {}",
                        t.id,
                        t.name,
                        show(Some(s)),
                        t.weight
                    ));
                    num.push(format!("{} x {}", show(Some(s)), t.weight));
                    den.push(format!("{}", t.weight));
                }
                None => lines.push(format!("  {}: n/a (no scored practice)", t.id)),
            }
        }
        lines.push(format!(
            "= ({}) / ({}) = {}",
            num.join(" + "),
            den.join(" + "),
            show(scores.overall)
        ));
        return Ok(Explanation {
            id: "overall".into(),
            title: "Overall score".into(),
            score: scores.overall,
            lines,
        });
    }
    if let Some(t) = catalog
        .threat(key)
        .and_then(|t| scores.threat(t.id.as_str()))
    {
        let items: Vec<(String, Option<f64>)> = t
            .practices
            .iter()
            .map(|(p, s)| {
                (
                    format!(
                        "P{p} {}",
                        catalog.practice(*p).map_or("", |x| x.name.as_str())
                    ),
                    *s,
                )
            })
            .collect();
        let mut lines = vec![format!(
            "mean of the practices that mitigate {} (HICP's threat/practice matrix):",
            t.id
        )];
        lines.extend(list(&items));
        lines.push(mean_line(&items, t.score));
        lines.push(format!("weight in the overall score: {}", t.weight));
        return Ok(Explanation {
            id: t.id.clone(),
            title: format!("T{} {}", t.number, t.name),
            score: t.score,
            lines,
        });
    }
    let practice_no = key
        .strip_prefix("practice-")
        .or_else(|| key.strip_prefix(['P', 'p']))
        .unwrap_or(key)
        .parse::<u8>()
        .ok();
    if let Some(p) = practice_no.and_then(|n| scores.practice(n)) {
        let items: Vec<(String, Option<f64>)> = p
            .sub_practices
            .iter()
            .map(|(id, s)| (id.to_string(), *s))
            .collect();
        let mut lines = vec![format!(
            "mean of the sub-practices of practice {} in scope for a {} organization:",
            p.number, answers.tier
        )];
        lines.extend(list(&items));
        lines.push(mean_line(&items, p.score));
        return Ok(Explanation {
            id: format!("P{}", p.number),
            title: format!("Practice {}: {}", p.number, p.name),
            score: p.score,
            lines,
        });
    }
    if let Some(s) = scores.sub_practice(key) {
        let mut lines = vec!["mean of the applicable criteria (not_started 0, partial 50, largely 75, implemented 100):".to_owned()];
        let mut items = Vec::new();
        for c in &s.criteria {
            match c.score {
                Some(v) => lines.push(format!("  {}: {} = {}", c.id, c.status, show(Some(v)))),
                None => lines.push(format!(
                    "  {}: not_applicable, left out ({})",
                    c.id,
                    c.reason.as_deref().unwrap_or("no reason")
                )),
            }
            items.push((c.id.clone(), c.score));
        }
        lines.push(mean_line(&items, s.score));
        if s.opted_in {
            lines.push("opted in: counted like the sub-practices of your tier".to_owned());
        }
        return Ok(Explanation {
            id: s.id.to_string(),
            title: s.title.clone(),
            score: s.score,
            lines,
        });
    }
    if let Some(c) = scores
        .sub_practices
        .iter()
        .flat_map(|s| s.criteria.iter())
        .find(|c| c.id == key)
    {
        let a = answers.answer(&c.id);
        let mut lines = vec![format!("status {} scores {}", c.status, show(c.score))];
        if let Some(r) = &a.reason {
            lines.push(format!("reason: {r}"));
        }
        if let Some(o) = &a.owner {
            lines.push(format!("owner: {o}"));
        }
        if let Some(d) = a.in_place_since {
            lines.push(format!("in place since {d}"));
        }
        lines.push(format!("{} piece(s) of evidence", a.evidence.len()));
        if !answers.criteria.contains_key(&c.id) {
            lines.push("not answered in the file: counted as not_started".to_owned());
        }
        let text = catalog
            .sub_practices
            .iter()
            .flat_map(|s| s.criteria.iter())
            .find(|x| x.id.as_str() == c.id)
            .map_or(String::new(), |x| x.text.clone());
        return Ok(Explanation {
            id: c.id.clone(),
            title: text,
            score: c.score,
            lines,
        });
    }
    if let Some(c) = scores.csf.iter().find(|c| c.id == key) {
        let items: Vec<(String, Option<f64>)> = c
            .sub_practices
            .iter()
            .map(|id| {
                (
                    id.to_string(),
                    scores.sub_practice(id.as_str()).and_then(|s| s.score),
                )
            })
            .collect();
        let mut lines = vec![format!(
            "mean of the sub-practices in scope whose CSF 2.0 references (derived) fall in {}:",
            c.id
        )];
        lines.extend(list(&items));
        lines.push(mean_line(&items, c.score));
        return Ok(Explanation {
            id: c.id.clone(),
            title: c.name.clone(),
            score: c.score,
            lines,
        });
    }
    let mapped = |m: &MappedScore, what: &str| {
        let items: Vec<(String, Option<f64>)> = m
            .sub_practices
            .iter()
            .map(|(id, s)| (id.to_string(), *s))
            .collect();
        let mut lines = vec![format!(
            "{what}: met when every mapped sub-practice scores 75 or more, not met when every one scores 0, partly otherwise"
        )];
        lines.extend(list(&items));
        lines.push(mean_line(&items, m.score));
        lines.push(format!("status: {}", m.status.name()));
        Explanation {
            id: m.id.clone(),
            title: m.name.clone(),
            score: m.score,
            lines,
        }
    };
    if let Some(g) = scores.cpg.iter().find(|g| g.id == key) {
        return Ok(mapped(g, "HPH CPG goal (our mapping)"));
    }
    let standard = super::scoring::hipaa_standards(catalog)
        .into_iter()
        .find(|(_, _, members)| members.iter().any(|m| m == key))
        .map(|(s, _, _)| s);
    if let Some(h) = standard.and_then(|s| scores.hipaa.iter().find(|h| h.id == s)) {
        return Ok(mapped(h, "HIPAA Security Rule standard (our mapping)"));
    }

    let mut ids: Vec<String> = vec!["overall".into()];
    ids.extend(scores.threats.iter().map(|t| t.id.clone()));
    ids.extend(scores.practices.iter().map(|p| format!("P{}", p.number)));
    ids.extend(scores.sub_practices.iter().map(|s| s.id.to_string()));
    ids.extend(
        scores
            .sub_practices
            .iter()
            .flat_map(|s| s.criteria.iter().map(|c| c.id.clone())),
    );
    ids.extend(scores.csf.iter().map(|c| c.id.clone()));
    ids.extend(scores.cpg.iter().map(|c| c.id.clone()));
    ids.extend(scores.hipaa.iter().map(|c| c.id.clone()));
    let out_of_scope = catalog.sub_practice(key).is_some()
        || catalog
            .sub_practices
            .iter()
            .any(|s| s.criteria.iter().any(|c| c.id.as_str() == key));
    if out_of_scope {
        return Err(ExplainError {
            id: format!("{key} (not in scope for a {} organization)", answers.tier),
            suggestion: None,
        });
    }
    Err(ExplainError {
        id: key.to_owned(),
        suggestion: nearest(key, ids.iter().map(String::as_str)).map(str::to_owned),
    })
}
