//! The action plan: every gap (a sub-practice in scope scoring below 100) becomes one action,
//! ranked by expected risk reduction divided by effort, with prerequisites first, and scheduled
//! into horizons of 30 days, 90 days and 12 months. Key controls (the catalog's `key_threats`,
//! our judgement) carry most of each threat's risk reduction. See docs/scoring.md, "The action
//! plan".

use super::answers::Status;
use super::scoring::{Scores, round1};
use crate::catalog::{ActionId, Catalog, CpgTier, Effort, SubPracticeId};
use std::collections::BTreeMap;

/// When to do it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Horizon {
    /// Quick wins: the next 30 days.
    Days30,
    Days90,
    Months12,
}

impl Horizon {
    /// Every horizon, soonest first.
    pub const ALL: [Horizon; 3] = [Horizon::Days30, Horizon::Days90, Horizon::Months12];

    pub fn name(self) -> &'static str {
        match self {
            Horizon::Days30 => "30-days",
            Horizon::Days90 => "90-days",
            Horizon::Months12 => "12-months",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Horizon::Days30 => "Quick wins: next 30 days",
            Horizon::Days90 => "Next 90 days",
            Horizon::Months12 => "Next 12 months",
        }
    }

    fn of(effort: Effort) -> Horizon {
        match effort {
            Effort::Low => Horizon::Days30,
            Effort::Medium => Horizon::Days90,
            Effort::High => Horizon::Months12,
        }
    }
}

/// The divisor of each effort level in the ranking.
pub fn effort_cost(e: Effort) -> f64 {
    match e {
        Effort::Low => 1.0,
        Effort::Medium => 2.0,
        Effort::High => 4.0,
    }
}

/// How many actions each horizon holds before the rest move to the next one: a plan is
/// something people can do, and no team closes twenty gaps in a month. Ours; see docs/scoring.md.
pub const CAPACITY_30_DAYS: usize = 5;
pub const CAPACITY_90_DAYS: usize = 10;

/// A prerequisite scoring at least this much (half way: on average `partial` or better) is in
/// place enough to start what depends on it, and the two proceed side by side; below it, the
/// prerequisite's gap is planned first. Patching need not wait for the last rows of an
/// inventory, but it cannot start without one. Ours; see docs/scoring.md.
pub const PREREQUISITE_MET_AT: f64 = 50.0;

/// The ranking bonus for a gap that maps to an HPH CPG essential goal: HHS chose those goals
/// as the high-impact subset against the most common attacks.
pub const ESSENTIAL_BOOST: f64 = 2.0;

/// The ranking's extra credit for a key control: for each threat in its `key_threats` (our
/// judgement), closing the gap counts this fraction of its open points (100 - score), times the
/// threat's share of the weights, on top of the overall points it adds. HICP's matrix spreads a
/// threat over every practice that touches it, so a thin practice (8, 10) gains a lot and a
/// direct control (backups) little; this credit does not depend on how HICP groups practices.
/// Ours; see docs/scoring.md.
pub const KEY_CREDIT: f64 = 0.4;

#[derive(Clone, Debug, PartialEq)]
pub struct PlanItem {
    /// 1-based, in plan order.
    pub rank: usize,
    pub sub_practice: SubPracticeId,
    pub title: String,
    /// Where to start: the catalog action closest to the open criteria (see [`pick_action`]).
    pub action: ActionId,
    pub text: String,
    /// The other catalog actions, to finish closing the gap.
    pub then: Vec<(ActionId, String)>,
    /// The effort to close the gap: the median effort of the sub-practice's actions.
    pub effort: Effort,
    pub cost: String,
    pub horizon: Horizon,
    /// The sub-practice's score now.
    pub score: f64,
    /// Overall score points gained when the gap closes (weighted by the threat weights).
    pub gain: f64,
    /// Points gained per threat score (unweighted).
    pub threat_gains: Vec<(String, f64)>,
    /// The threats it is a key control against (the catalog's `key_threats`), each with the
    /// extra credit it earns (see [`KEY_CREDIT`]), weighted.
    pub key_threats: Vec<(String, f64)>,
    /// Expected risk reduction: the gain plus the key-control credits.
    pub reduction: f64,
    /// The HPH CPG essential goals it maps to (our mapping); any earns [`ESSENTIAL_BOOST`].
    pub essential: Vec<String>,
    /// `reduction x boost / effort cost`: the ranking key.
    pub priority: f64,
    /// The criteria not yet implemented, with their status.
    pub unmet: Vec<(String, Status)>,
    /// Plan items that must come first: prerequisites scoring below [`PREREQUISITE_MET_AT`].
    pub after: Vec<SubPracticeId>,
    pub why: String,
}

/// Median effort of the actions; the higher middle one for an even count.
pub fn gap_effort(efforts: &[Effort]) -> Effort {
    let mut e = efforts.to_vec();
    e.sort();
    e.get(e.len() / 2).copied().unwrap_or(Effort::Medium)
}

/// Builds the plan from the scores (which carry the threat weights). Deterministic: ties are
/// broken by catalog order.
pub fn plan(catalog: &Catalog, scores: &Scores) -> Vec<PlanItem> {
    let total_weight: f64 = scores
        .threats
        .iter()
        .filter(|t| t.score.is_some())
        .map(|t| t.weight)
        .sum();
    let mut items: Vec<(usize, PlanItem)> = Vec::new();
    for (index, s) in scores.sub_practices.iter().enumerate() {
        let Some(score) = s.score.filter(|x| *x < 100.0) else {
            continue;
        };
        let Some(sp) = catalog.sub_practice(s.id.as_str()) else {
            continue;
        };
        let practice = scores.practice(s.practice);
        let n_subs = practice
            .map_or(1, |p| {
                p.sub_practices.iter().filter(|x| x.1.is_some()).count()
            })
            .max(1);
        let practice_gain = (100.0 - score) / n_subs as f64;
        let mut threat_gains = Vec::new();
        let mut key_threats = Vec::new();
        let mut gain = 0.0;
        let mut reduction = 0.0;
        for t in &scores.threats {
            if t.score.is_none() {
                continue;
            }
            let share = if total_weight > 0.0 {
                t.weight / total_weight
            } else {
                0.0
            };
            // The matrix part: what closing the gap adds to this threat's score.
            let mitigates = t
                .practices
                .iter()
                .any(|(p, sc)| *p == s.practice && sc.is_some());
            let g = if mitigates {
                let n_practices = t.practices.iter().filter(|p| p.1.is_some()).count().max(1);
                practice_gain / n_practices as f64
            } else {
                0.0
            };
            if mitigates {
                threat_gains.push((t.id.clone(), g));
            }
            gain += g * share;
            // A key control earns extra credit on its key threats, whatever HICP's grouping.
            let mut r = g;
            if sp.key_threats.iter().any(|k| k.as_str() == t.id) {
                let credit = KEY_CREDIT * (100.0 - score) * share;
                key_threats.push((t.id.clone(), credit));
                r += KEY_CREDIT * (100.0 - score);
            }
            reduction += r * share;
        }
        let efforts: Vec<Effort> = sp.actions.iter().map(|a| a.effort).collect();
        let effort = gap_effort(&efforts);
        let chosen = pick_action(sp, &s.criteria);
        let first = &sp.actions[chosen];
        let essential: Vec<String> = sp
            .cpg
            .refs
            .iter()
            .filter(|r| {
                catalog
                    .cpg_goal(r)
                    .is_some_and(|g| g.tier == CpgTier::Essential)
            })
            .cloned()
            .collect();
        let boost = if essential.is_empty() {
            1.0
        } else {
            ESSENTIAL_BOOST
        };
        let unmet = s
            .criteria
            .iter()
            .filter(|c| !matches!(c.status, Status::Implemented | Status::NotApplicable))
            .map(|c| (c.id.clone(), c.status))
            .collect();
        let after = sp
            .prerequisites
            .iter()
            .filter(|p| {
                scores
                    .sub_practice(p.as_str())
                    .and_then(|x| x.score)
                    .is_some_and(|x| x < PREREQUISITE_MET_AT)
            })
            .cloned()
            .collect();
        items.push((
            index,
            PlanItem {
                rank: 0,
                sub_practice: sp.id.clone(),
                title: sp.title.clone(),
                action: first.id.clone(),
                text: first.text.clone(),
                then: sp
                    .actions
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != chosen)
                    .map(|(_, a)| (a.id.clone(), a.text.clone()))
                    .collect(),
                effort,
                cost: first.cost.clone(),
                horizon: Horizon::of(effort),
                score,
                gain,
                threat_gains,
                key_threats,
                reduction,
                priority: reduction * boost / effort_cost(effort),
                essential,
                unmet,
                after,
                why: String::new(),
            },
        ));
    }

    // Rank by priority (highest first), ties in catalog order.
    items.sort_by(|(ia, a), (ib, b)| b.priority.total_cmp(&a.priority).then(ia.cmp(ib)));

    // Prerequisites first: walk the items best first; before placing one, place the
    // prerequisites it still waits for (pulling them forward), depth first.
    let order: Vec<PlanItem> = items.into_iter().map(|(_, i)| i).collect();
    let mut placed: Vec<PlanItem> = Vec::new();
    let mut pulled: BTreeMap<String, String> = BTreeMap::new();
    let mut done = vec![false; order.len()];
    for i in 0..order.len() {
        place(
            i,
            &order,
            &mut done,
            &mut placed,
            &mut pulled,
            &mut Vec::new(),
        );
    }

    // Schedule in plan order. An action's horizon comes from its effort, is never earlier than
    // its prerequisites' (placed before it), and moves on when its horizon is full: a plan is
    // something people can do, and no team closes twenty gaps in a month.
    let mut pushed: BTreeMap<String, Horizon> = BTreeMap::new();
    let mut deferred: BTreeMap<String, Horizon> = BTreeMap::new();
    let mut counts: BTreeMap<Horizon, usize> = BTreeMap::new();
    let mut scheduled: BTreeMap<String, Horizon> = BTreeMap::new();
    for item in placed.iter_mut() {
        let own = item.horizon;
        let mut h = own;
        for pre in &item.after {
            if let Some(p) = scheduled.get(pre.as_str())
                && *p > h
            {
                h = *p;
            }
        }
        if h != own {
            pushed.insert(item.sub_practice.to_string(), h);
        }
        let wanted = h;
        loop {
            let cap = match h {
                Horizon::Days30 => CAPACITY_30_DAYS,
                Horizon::Days90 => CAPACITY_90_DAYS,
                Horizon::Months12 => usize::MAX,
            };
            if counts.get(&h).copied().unwrap_or(0) < cap {
                break;
            }
            h = match h {
                Horizon::Days30 => Horizon::Days90,
                _ => Horizon::Months12,
            };
        }
        if h != wanted {
            deferred.insert(item.sub_practice.to_string(), h);
        }
        item.horizon = h;
        *counts.entry(h).or_default() += 1;
        scheduled.insert(item.sub_practice.to_string(), h);
    }

    for (i, item) in placed.iter_mut().enumerate() {
        item.rank = i + 1;
        item.why = why(
            item,
            pushed.get(item.sub_practice.as_str()).copied(),
            pulled.get(item.sub_practice.as_str()).map(String::as_str),
        );
        if deferred.contains_key(item.sub_practice.as_str()) {
            item.why.push_str(&format!(
                " Scheduled for {} because the earlier horizons are full ({CAPACITY_30_DAYS} actions in 30 days, {CAPACITY_90_DAYS} in 90).",
                item.horizon.label().to_lowercase()
            ));
        }
    }
    placed
}

/// Words that say nothing about what an action or criterion is about.
const STOP: &[&str] = &[
    "about",
    "practice",
    "person",
    "people",
    "after",
    "also",
    "been",
    "before",
    "each",
    "every",
    "example",
    "from",
    "have",
    "into",
    "least",
    "more",
    "most",
    "must",
    "only",
    "other",
    "over",
    "such",
    "than",
    "that",
    "their",
    "them",
    "there",
    "they",
    "this",
    "through",
    "under",
    "what",
    "when",
    "where",
    "which",
    "with",
    "within",
    "without",
    "will",
    "your",
    "organization",
    "staff",
    "should",
];

/// The content words of a text, cut to five letters so that "restore" meets "restores".
fn stems(text: &str) -> std::collections::BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 4 && !STOP.contains(&w.as_str()))
        .map(|w| w.chars().take(5).collect())
        .collect()
}

/// The index of the action to start with: the first catalog action whose nearest criterion
/// (the one sharing the most content words with it) is still open. Catalog actions come in
/// the order to do them, so this skips the steps already done. Nothing matched: the first.
pub fn pick_action(
    sp: &crate::catalog::SubPractice,
    criteria: &[super::scoring::CriterionScore],
) -> usize {
    let texts: Vec<(bool, std::collections::BTreeSet<String>)> = sp
        .criteria
        .iter()
        .map(|c| {
            let open = criteria
                .iter()
                .find(|x| x.id == c.id.as_str())
                .and_then(|x| x.score)
                .is_some_and(|v| v < 100.0);
            (open, stems(&c.text))
        })
        .collect();
    sp.actions
        .iter()
        .position(|a| {
            let words = stems(&a.text);
            let mut best: Option<(usize, bool)> = None;
            for (open, c) in &texts {
                let n = c.intersection(&words).count();
                // A tie counts as open if any of the tied criteria is.
                match best {
                    Some((m, o)) if n == m && n > 0 => best = Some((m, o || *open)),
                    _ if n > 0 && best.is_none_or(|(m, _)| n > m) => best = Some((n, *open)),
                    _ => {}
                }
            }
            best.is_none_or(|(_, open)| open)
        })
        .unwrap_or(0)
}

/// Places `order[i]` after its unplaced prerequisites. `path` guards against cycles.
fn place(
    i: usize,
    order: &[PlanItem],
    done: &mut [bool],
    placed: &mut Vec<PlanItem>,
    pulled: &mut BTreeMap<String, String>,
    path: &mut Vec<usize>,
) {
    if done[i] || path.contains(&i) {
        return;
    }
    path.push(i);
    for pre in &order[i].after {
        if let Some(j) = order.iter().position(|x| &x.sub_practice == pre)
            && !done[j]
        {
            if j > i {
                pulled
                    .entry(pre.to_string())
                    .or_insert_with(|| order[i].sub_practice.to_string());
            }
            place(j, order, done, placed, pulled, path);
        }
    }
    path.pop();
    if !done[i] {
        done[i] = true;
        placed.push(order[i].clone());
    }
}

fn why(item: &PlanItem, pushed: Option<Horizon>, pulled_by: Option<&str>) -> String {
    let mut gains: Vec<&(String, f64)> = item.threat_gains.iter().collect();
    gains.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let threats: Vec<String> = gains
        .iter()
        .map(|(t, g)| format!("{t} +{:.1}", round1(*g)))
        .collect();
    let mut s = format!(
        "Closing this gap (now {:.0}/100) adds about {:.1} points to the overall score ({}).",
        item.score,
        round1(item.gain),
        threats.join(", "),
    );
    if item.key_threats.is_empty() {
        s.push_str(&format!(
            " Not a key control against any threat (a supporting control; our judgement): expected risk reduction {:.2}, the points alone.",
            item.reduction
        ));
    } else {
        let keys: Vec<String> = item
            .key_threats
            .iter()
            .map(|(t, c)| format!("{t} +{:.2}", c))
            .collect();
        s.push_str(&format!(
            " A key control against {} (our judgement): {:.0}% of its {:.0} open points per key threat, times that threat's share of the weights ({}), so expected risk reduction {:.2}.",
            and_list(item.key_threats.iter().map(|(t, _)| t.as_str())),
            KEY_CREDIT * 100.0,
            100.0 - item.score,
            keys.join(", "),
            item.reduction
        ));
    }
    if item.essential.is_empty() {
        s.push_str(&format!(
            " {} effort: priority {:.2}.",
            capital(item.effort.name()),
            item.priority
        ));
    } else {
        s.push_str(&format!(
            " Serves HPH CPG essential goal{} {} (x{ESSENTIAL_BOOST}); {} effort: priority {:.2}.",
            if item.essential.len() == 1 { "" } else { "s" },
            item.essential.join(", "),
            item.effort.name(),
            item.priority
        ));
    }
    if !item.action.as_str().ends_with(".a1") {
        s.push_str(&format!(
            " Starts at {} because the earlier actions serve criteria already implemented.",
            item.action
        ));
    }
    let unmet: Vec<String> = item
        .unmet
        .iter()
        .map(|(c, st)| format!("{c} {st}"))
        .collect();
    if !unmet.is_empty() {
        s.push_str(&format!(" Open: {}.", unmet.join(", ")));
    }
    if !item.after.is_empty() {
        let pre: Vec<&str> = item.after.iter().map(|p| p.as_str()).collect();
        s.push_str(&format!(
            " Comes after its prerequisite {}.",
            pre.join(", ")
        ));
    }
    if let Some(by) = pulled_by {
        s.push_str(&format!(" Moved up because {by} depends on it."));
    }
    if let Some(h) = pushed {
        s.push_str(&format!(
            " Planned in the {} horizon to follow its prerequisites.",
            h.name()
        ));
    }
    s
}

/// "a", "a and b", "a, b and c".
fn and_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = items.collect();
    match v.len() {
        0 => String::new(),
        1 => v[0].to_owned(),
        n => format!("{} and {}", v[..n - 1].join(", "), v[n - 1]),
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starting_action_skips_steps_whose_criteria_are_met() {
        use crate::assessment::scoring::CriterionScore;
        let files: Vec<crate::catalog::SourceFile> = hicp_content::builtin_files()
            .into_iter()
            .map(|(path, text)| crate::catalog::SourceFile { path, text })
            .collect();
        let c = crate::catalog::load("", &files).unwrap();
        let sp = c.sub_practice("7.M.D").unwrap();
        let with = |scores: [f64; 5]| -> Vec<CriterionScore> {
            sp.criteria
                .iter()
                .zip(scores)
                .map(|(cr, v)| CriterionScore {
                    id: cr.id.to_string(),
                    status: Status::Partial,
                    score: Some(v),
                    reason: None,
                })
                .collect()
        };
        // Nothing done: start at the beginning.
        assert_eq!(pick_action(sp, &with([0.0; 5])), 0);
        // Patching (c1) done, baselines (c3) open: the baseline action.
        let i = pick_action(sp, &with([100.0, 100.0, 50.0, 100.0, 100.0]));
        assert!(
            sp.actions[i].text.contains("baselines"),
            "{}",
            sp.actions[i].text
        );
    }

    #[test]
    fn gap_effort_is_the_upper_median() {
        use Effort::*;
        assert_eq!(gap_effort(&[Low, Low, Low, Low]), Low);
        assert_eq!(gap_effort(&[Medium, High, Medium, Low]), Medium);
        assert_eq!(gap_effort(&[High, Medium]), High);
        assert_eq!(gap_effort(&[Medium, Low, Low, Low]), Low);
    }
}
