//! The report's view-model: everything the HTML report shows, worked out from the catalog, an
//! assessed answers file and, optionally, the previous answers file. Only strings and flags
//! leave here; the templates do no arithmetic.

use crate::charts::{Bar, bar_chart_with_id};
use hicp_core::assessment::findings::FindingsPlan;
use hicp_core::assessment::scoring::{CsfLevel, MappedScore, show};
use hicp_core::assessment::{Answers, Date, Progress, Status, score};
use hicp_core::catalog::{Catalog, CpgTier, NumberLabel, Provenance};
use hicp_interop::assessment::Assessed;
/// One finding of [`FindingsSection`]: the row shape the sheets share (`hicp-interop`).
pub use hicp_interop::findings::{FindingRow, finding_row};

/// How many actions the executive summary lists.
pub const TOP_ACTIONS: usize = 5;

/// The most scan findings the report lists; the rest are counted (`hicp plan --findings`, the
/// plan page and the API give them all). A report is read on paper: a thousand rows would
/// bury the first ones, which are the point.
pub const REPORT_FINDINGS: usize = 100;

pub struct Report {
    pub org: String,
    pub org_type: String,
    pub tier: String,
    pub sizing: String,
    pub as_of: String,
    pub window_start: String,
    pub catalog_title: String,
    pub overall: String,
    pub overall_words: String,
    /// "118 of 187 questions answered; ..." with how unanswered questions count.
    pub answered: String,
    pub in_scope: usize,
    pub opted_in: Vec<String>,
    pub threats: Vec<ThreatRow>,
    pub top_actions: Vec<ActionRow>,
    pub plan_len: usize,
    pub changes: Option<Changes>,
    pub threat_chart: String,
    pub practice_chart: String,
    pub csf_chart: String,
    pub practices: Vec<ScoreRow>,
    pub csf: Vec<ScoreRow>,
    pub cpg: Vec<MappedRow>,
    pub hipaa: Vec<MappedRow>,
    pub hipaa_not_addressed: usize,
    /// Readiness for the proposed HIPAA Security Rule changes (January 2025), when the catalog
    /// has them: our derived view, labelled so.
    pub proposed: Option<ProposedView>,
    /// The open scan findings to fix first, when the report is made with them (the web app's
    /// open assessment; `hicp report --findings`). `None`: no findings were given, as for a
    /// closed snapshot, whose findings are not kept.
    pub findings: Option<FindingsSection>,
    pub plan: Vec<ActionRow>,
    pub details: Vec<Detail>,
    pub evidence: Vec<EvidenceRow>,
    pub dossier: Vec<DossierPractice>,
    pub practices_qualifying: String,
    /// The latest check of each of the organization's email domains (the web app fills
    /// it; an answers file has none).
    pub email: Vec<EmailRow>,
}

/// "Fix these first: findings from your scans": the open findings that CISA lists as known
/// exploited or that are past HICP Table 8's time to fix, ranked as on the plan page.
pub struct FindingsSection {
    /// The counts in one plain sentence.
    pub summary: String,
    /// How they are ordered and HICP's time to fix, in one sentence.
    pub method: String,
    pub rows: Vec<FindingRow>,
    /// Ranked findings not listed (past [`REPORT_FINDINGS`]).
    pub more: usize,
    /// How many are ranked: known exploited or overdue.
    pub ranked: usize,
    pub kev: usize,
    pub overdue: usize,
}

/// The report's findings section from the ranked findings (`App::findings_plan`, or `hicp
/// plan --findings`'s ranking of import files).
pub fn findings_section(p: &FindingsPlan) -> FindingsSection {
    let tf = p.timeframes.words();
    let method = if tf.is_empty() {
        format!(
            "Known exploited first, as of {}. This catalog gives no time to fix by severity, so only known exploited findings are listed.",
            p.as_of
        )
    } else {
        format!(
            "Known exploited first, then the longest overdue, as of {}. HICP's time to fix ({}, data center): {tf}.",
            p.as_of, p.timeframes.source
        )
    };
    FindingsSection {
        summary: p.summary(),
        method,
        rows: p
            .items
            .iter()
            .take(REPORT_FINDINGS)
            .map(finding_row)
            .collect(),
        more: p.items.len().saturating_sub(REPORT_FINDINGS),
        ranked: p.items.len(),
        kev: p.items.iter().filter(|r| r.finding.kev).count(),
        overdue: p.items.iter().filter(|r| r.overdue()).count(),
    }
}

impl Report {
    /// Some evidence in the index is on a criterion not answered yet.
    pub fn evidence_unanswered(&self) -> bool {
        self.evidence.iter().any(|e| e.unanswered)
    }

    /// The report with its findings section, from the ranked findings.
    pub fn with_findings(mut self, p: &FindingsPlan) -> Report {
        self.findings = Some(findings_section(p));
        self
    }
}

/// An email domain's latest check, as the report shows it.
pub struct EmailRow {
    pub domain: String,
    pub checked_on: String,
    pub summary: String,
    /// What to fix: severity in words, the finding and what to do.
    pub problems: Vec<(String, String, String)>,
}

pub struct ThreatRow {
    pub id: String,
    pub name: String,
    pub unverified: bool,
    /// "as in the 2018 edition" when the name was checked against an older edition than the
    /// catalog's; empty otherwise.
    pub edition: String,
    pub weight: String,
    pub score: String,
    pub words: String,
}

pub struct ScoreRow {
    pub id: String,
    pub name: String,
    pub unverified: bool,
    /// As [`ThreatRow::edition`]; empty for CSF functions.
    pub edition: String,
    pub score: String,
    pub detail: String,
}

/// The readiness view of the proposed HIPAA Security Rule changes.
pub struct ProposedView {
    pub label: &'static str,
    /// Title, citation and status of the proposal.
    pub rule: String,
    /// "2 covered, 13 partly covered, 3 not covered yet".
    pub counts: String,
    pub rows: Vec<ProposedRow>,
}

pub struct ProposedRow {
    pub title: String,
    pub unverified: bool,
    pub readiness: &'static str,
    pub status_class: &'static str,
    /// The criteria in scope and their answers ("4.S.B.c6 in place").
    pub criteria: String,
    pub also_check: String,
}

pub struct MappedRow {
    pub id: String,
    pub name: String,
    pub unverified: bool,
    pub essential: bool,
    pub status: String,
    pub status_class: &'static str,
    pub score: String,
    pub sub_practices: String,
}

pub struct ActionRow {
    pub rank: usize,
    pub horizon: String,
    pub due: String,
    pub sub_practice: String,
    pub title: String,
    pub text: String,
    pub effort: String,
    pub cost: String,
    pub gain: String,
    pub owners: String,
    /// Where it stands, in words ("open", "in progress", "done", "risk accepted").
    pub status: String,
    /// Why a risk was accepted (or another note on the status); empty when none.
    pub status_note: String,
    pub then: Vec<String>,
    pub why: String,
    /// Whose each number or cadence in `text` is ("at least monthly": HICP, TV2 7.M.D).
    pub numbers: Vec<String>,
}

pub struct Changes {
    pub previous: String,
    pub overall: String,
    pub lines: Vec<String>,
}

pub struct Detail {
    pub id: String,
    pub title: String,
    pub unverified: bool,
    /// As [`ThreatRow::edition`].
    pub edition: String,
    pub practice: String,
    pub score: String,
    pub opted_in: bool,
    pub csf: String,
    pub cpg: String,
    pub hipaa: String,
    pub criteria: Vec<CriterionRow>,
}

pub struct CriterionRow {
    pub id: String,
    pub text: String,
    pub status: String,
    pub status_class: &'static str,
    pub owner: String,
    pub since: String,
    pub notes: String,
    pub reason: String,
    pub evidence: Vec<String>,
    /// Whose each number or cadence in `text` is ("at least once a year": our suggestion: ...).
    pub numbers: Vec<String>,
}

pub struct EvidenceRow {
    pub n: usize,
    pub title: String,
    pub criterion: String,
    /// The criterion has no answer yet: the evidence is on file, and says nothing yet about
    /// whether the criterion is in place.
    pub unanswered: bool,
    pub location: String,
    pub collected: String,
    pub valid_until: String,
    pub expired: bool,
}

pub struct DossierPractice {
    pub number: u8,
    pub name: String,
    pub qualifies: bool,
    pub sub_practices: Vec<DossierRow>,
}

pub struct DossierRow {
    pub id: String,
    pub title: String,
    pub in_place: bool,
    pub since: String,
    pub qualifies_on: String,
    pub proof: Vec<String>,
    pub gaps: Vec<String>,
}

/// The status shown for a question without an answer.
pub const NOT_ANSWERED: &str = "not answered yet";

/// How many questions are answered, and how the others count, in one plain sentence.
pub fn answered_sentence(p: Progress) -> String {
    let rule = "a question not answered yet counts as not started (0 points)";
    if p.unanswered() == 0 {
        format!("All {} questions answered.", p.total)
    } else {
        format!("{} of {} questions answered; {rule}.", p.answered, p.total)
    }
}

/// Coverage in plain words, for the executive summary.
pub fn words(score: Option<f64>) -> &'static str {
    match score {
        None => "not scored",
        Some(s) if s >= 75.0 => "well covered",
        Some(s) if s >= 40.0 => "partly covered",
        Some(s) if s > 0.0 => "barely covered",
        Some(_) => "not covered",
    }
}

fn status_class(s: Status) -> &'static str {
    match s {
        Status::Implemented => "ok",
        Status::Largely | Status::Partial => "part",
        Status::NotStarted => "gap",
        Status::NotApplicable => "na",
    }
}

fn status_words(s: Status) -> &'static str {
    match s {
        Status::NotStarted => "not started",
        Status::Partial => "partial",
        Status::Largely => "largely",
        Status::Implemented => "implemented",
        Status::NotApplicable => "not applicable",
    }
}

/// One line per number or cadence of a criterion or action: its words and whose it is.
fn numbers(labels: &[NumberLabel]) -> Vec<String> {
    labels
        .iter()
        .map(|n| format!("\u{201c}{}\u{201d}: {}", n.says, n.origin.label()))
        .collect()
}

/// "as in the 2018 edition" when a title was checked against an older edition than the one the
/// catalog presents; empty when it follows the catalog's edition or is not verified at all (then
/// it carries the "unverified title" label instead).
fn as_in(c: &Catalog, edition: Option<&String>) -> String {
    c.older_edition(edition)
        .map(|e| format!("as in the {e} edition"))
        .unwrap_or_default()
}

fn unverified(p: Provenance) -> bool {
    p == Provenance::Unverified
}

fn mapped(m: &MappedScore, unverified: bool, essential: bool) -> MappedRow {
    let subs: Vec<String> = m
        .sub_practices
        .iter()
        .map(|(id, s)| format!("{id} {}", show(*s)))
        .collect();
    MappedRow {
        id: m.id.clone(),
        name: m.name.clone(),
        unverified,
        essential,
        status: m.status.name().replace('_', " "),
        status_class: match m.status.name() {
            "met" => "ok",
            "partly" => "part",
            "not_met" => "gap",
            _ => "na",
        },
        score: show(m.score),
        sub_practices: subs.join(", "),
    }
}

/// Builds the report. `previous` is the previous answers file of the same organization,
/// parsed against the same catalog, with a label for it (its date or file name).
pub fn build(a: &Assessed, previous: Option<(&Answers, &str)>) -> Report {
    let c = a.catalog;
    let s = &a.scores;
    let threats: Vec<ThreatRow> = s
        .threats
        .iter()
        .map(|t| ThreatRow {
            id: t.id.clone(),
            name: t.name.clone(),
            unverified: c
                .threat(&t.id)
                .is_some_and(|x| unverified(x.name_provenance)),
            edition: as_in(c, c.threat(&t.id).and_then(|x| x.name_edition.as_ref())),
            weight: format!("{}", t.weight),
            score: show(t.score),
            words: words(t.score).to_owned(),
        })
        .collect();
    let plan: Vec<ActionRow> = a
        .plan
        .iter()
        .map(|i| ActionRow {
            rank: i.rank,
            horizon: i.horizon.label().to_owned(),
            // The plan board's tracking when there is any; else computed.
            due: a.due(i).to_string(),
            sub_practice: i.sub_practice.to_string(),
            title: i.title.clone(),
            text: i.text.clone(),
            effort: i.effort.name().to_owned(),
            cost: i.cost.clone(),
            gain: format!("{:.1}", i.gain),
            owners: a.action_owners(i).join(", "),
            status: a.status(i).words().to_owned(),
            status_note: a.status_note(i).to_owned(),
            then: i.then.iter().map(|(id, t)| format!("{id}: {t}")).collect(),
            why: i.why.clone(),
            numbers: c
                .action(i.action.as_str())
                .map_or_else(Vec::new, |(_, x)| numbers(&x.numbers)),
        })
        .collect();
    // The five most important: the first of the plan, which is already in the order to do them.
    let top_actions = a
        .plan
        .iter()
        .take(TOP_ACTIONS)
        .map(|i| plan[i.rank - 1].clone_row())
        .collect();

    let bars = |rows: Vec<(String, Option<f64>)>| -> Vec<Bar> {
        rows.into_iter()
            .map(|(label, score)| Bar { label, score })
            .collect()
    };
    let threat_chart = bar_chart_with_id(
        "threats",
        "Coverage of the five threats, 0 to 100",
        &bars(
            s.threats
                .iter()
                .map(|t| (t.name.clone(), t.score))
                .collect(),
        ),
    );
    let practice_chart = bar_chart_with_id(
        "practices",
        "Practice scores, 0 to 100",
        &bars(
            s.practices
                .iter()
                .map(|p| (format!("{}. {}", p.number, p.name), p.score))
                .collect(),
        ),
    );
    let functions: Vec<_> = s
        .csf
        .iter()
        .filter(|x| x.level == CsfLevel::Function)
        .collect();
    let csf_chart = bar_chart_with_id(
        "csf",
        "NIST CSF 2.0 functions (derived mapping), 0 to 100",
        &bars(
            functions
                .iter()
                .map(|f| (format!("{} {}", f.id, f.name), f.score))
                .collect(),
        ),
    );
    let practices = s
        .practices
        .iter()
        .map(|p| ScoreRow {
            id: format!("P{}", p.number),
            name: p.name.clone(),
            unverified: c
                .practice(p.number)
                .is_some_and(|x| unverified(x.name_provenance)),
            edition: as_in(
                c,
                c.practice(p.number).and_then(|x| x.name_edition.as_ref()),
            ),
            score: show(p.score),
            detail: p
                .sub_practices
                .iter()
                .map(|(id, sc)| format!("{id} {}", show(*sc)))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let csf = functions
        .iter()
        .map(|f| ScoreRow {
            id: f.id.clone(),
            name: f.name.clone(),
            unverified: false,
            edition: String::new(),
            score: show(f.score),
            detail: s.csf_categories_covered(&f.id),
        })
        .collect();
    let cpg = s
        .cpg
        .iter()
        .map(|g| {
            let goal = c.cpg_goal(&g.id);
            mapped(
                g,
                goal.is_some_and(|x| unverified(x.title_provenance)),
                goal.is_some_and(|x| x.tier == CpgTier::Essential),
            )
        })
        .collect();
    let hipaa = s
        .hipaa
        .iter()
        .filter(|h| !h.sub_practices.is_empty())
        .map(|h| mapped(h, false, false))
        .collect();
    let hipaa_not_addressed = s
        .hipaa
        .iter()
        .filter(|h| h.sub_practices.is_empty())
        .count();

    // Details and the evidence index.
    let mut details = Vec::new();
    let mut evidence = Vec::new();
    for sp in a.answers.scope(c) {
        let sc = s.sub_practice(sp.id.as_str());
        let mut criteria = Vec::new();
        for cr in &sp.criteria {
            let ans = a.answers.answer(cr.id.as_str());
            // A question without an answer says so: "not started" is an answer of its own.
            let answered = a.answers.is_answered(cr.id.as_str());
            let mut refs = Vec::new();
            // An unanswered criterion's evidence is listed too: it is on file.
            for e in a.answers.evidence_on_file(cr.id.as_str()) {
                let n = evidence.len() + 1;
                refs.push(format!("E{n} {}", e.title));
                evidence.push(EvidenceRow {
                    n,
                    title: e.title.clone(),
                    criterion: cr.id.to_string(),
                    unanswered: !answered,
                    location: e.location.clone().unwrap_or_default(),
                    collected: e.collected.map_or("-".into(), |d| d.to_string()),
                    valid_until: e.valid_until.map_or("-".into(), |d| d.to_string()),
                    expired: e.valid_until.is_some_and(|u| u < a.as_of),
                });
            }
            criteria.push(CriterionRow {
                id: cr.id.to_string(),
                text: cr.text.clone(),
                status: if answered {
                    status_words(ans.status).to_owned()
                } else {
                    NOT_ANSWERED.to_owned()
                },
                status_class: status_class(ans.status),
                owner: ans.owner.clone().unwrap_or_default(),
                since: ans.in_place_since.map_or(String::new(), |d| d.to_string()),
                notes: ans.notes.clone().unwrap_or_default(),
                reason: ans.reason.clone().unwrap_or_default(),
                evidence: refs,
                numbers: numbers(&cr.numbers),
            });
        }
        let csf: Vec<&str> = sp.csf20.iter().map(|x| x.id.as_str()).collect();
        details.push(Detail {
            id: sp.id.to_string(),
            title: sp.title.clone(),
            unverified: unverified(sp.title_provenance),
            edition: as_in(c, sp.title_edition.as_ref()),
            practice: c
                .practice(sp.practice)
                .map_or(String::new(), |p| format!("{}. {}", p.number, p.name)),
            score: show(sc.and_then(|x| x.score)),
            opted_in: sc.is_some_and(|x| x.opted_in),
            csf: csf.join(", "),
            cpg: sp.cpg.refs.join(", "),
            hipaa: sp.hipaa.refs.join(", "),
            criteria,
        });
    }

    let window_start = a.as_of.add_years(-1).unwrap_or(a.as_of);
    let dossier = dossier(a, window_start, &evidence);
    let q: Vec<String> = a
        .rsp
        .practices_qualifying
        .iter()
        .map(|p| format!("P{p}"))
        .collect();

    let changes = previous.map(|(prev, label)| changes(a, prev, label));
    let proposed = proposed_view(a);

    let p = &a.answers.profile;
    Report {
        org: a.org_name().to_owned(),
        org_type: p
            .org_type
            .map_or(String::new(), |t| t.name().replace('-', " ")),
        tier: a.answers.tier.name().to_owned(),
        sizing: a.answers.sizing.explanation.clone(),
        as_of: a.as_of.to_string(),
        window_start: window_start.to_string(),
        catalog_title: c.meta.title.clone(),
        overall: show(s.overall),
        overall_words: words(s.overall).to_owned(),
        answered: answered_sentence(a.answers.progress(c)),
        in_scope: a.answers.scope(c).len(),
        opted_in: a.answers.opt_in.iter().map(|x| x.to_string()).collect(),
        threats,
        top_actions,
        plan_len: plan.len(),
        changes,
        threat_chart,
        practice_chart,
        csf_chart,
        practices,
        csf,
        cpg,
        hipaa,
        hipaa_not_addressed,
        proposed,
        findings: None,
        plan,
        details,
        evidence,
        dossier,
        practices_qualifying: if q.is_empty() {
            "none".to_owned()
        } else {
            q.join(", ")
        },
        email: Vec::new(),
    }
}

fn proposed_view(a: &Assessed) -> Option<ProposedView> {
    use hicp_core::assessment::readiness::{Readiness, readiness};
    let v = readiness(a.catalog, a.answers)?;
    let answer = |s: Option<Status>| match s {
        None => "not answered",
        Some(Status::Implemented) => "in place",
        Some(Status::Largely) => "largely",
        Some(Status::Partial) => "partly",
        Some(Status::NotStarted) => "not started",
        Some(Status::NotApplicable) => "does not apply",
    };
    Some(ProposedView {
        label: hicp_interop::assessment_json::READINESS_LABEL,
        rule: format!("{}, {}. {}", v.rule.title, v.rule.citation, v.rule.status),
        counts: Readiness::ALL
            .iter()
            .filter(|r| v.count(**r) > 0)
            .map(|r| format!("{} {}", v.count(*r), r.words()))
            .collect::<Vec<_>>()
            .join(", "),
        rows: v
            .requirements
            .iter()
            .map(|r| ProposedRow {
                title: r.requirement.title.clone(),
                unverified: unverified(r.requirement.provenance),
                readiness: r.readiness.words(),
                status_class: match r.readiness {
                    Readiness::Covered => "ok",
                    Readiness::Partly => "part",
                    Readiness::NotCovered => "gap",
                    Readiness::Unanswered | Readiness::NotInScope => "na",
                },
                criteria: r
                    .criteria
                    .iter()
                    .map(|c| {
                        let part = if c.full { "" } else { " (shows part)" };
                        format!("{} {}{part}", c.id, answer(c.status))
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                also_check: r.requirement.also_check.clone().unwrap_or_default(),
            })
            .collect(),
    })
}

impl ActionRow {
    fn clone_row(&self) -> ActionRow {
        ActionRow {
            rank: self.rank,
            horizon: self.horizon.clone(),
            due: self.due.clone(),
            sub_practice: self.sub_practice.clone(),
            title: self.title.clone(),
            text: self.text.clone(),
            effort: self.effort.clone(),
            cost: self.cost.clone(),
            gain: self.gain.clone(),
            owners: self.owners.clone(),
            status: self.status.clone(),
            status_note: self.status_note.clone(),
            then: self.then.clone(),
            why: self.why.clone(),
            numbers: self.numbers.clone(),
        }
    }
}

/// The recognized-security-practices dossier: per practice and sub-practice, whether it has
/// been in place for the 12 months before the assessment date, what dated record shows it, and
/// where the window `[window_start, as_of]` has gaps.
/// `evidence` is the evidence index: a criterion not in place names its evidence on file by
/// number, so that the dossier shows it without counting it as proof.
fn dossier(a: &Assessed, window_start: Date, evidence: &[EvidenceRow]) -> Vec<DossierPractice> {
    let c = a.catalog;
    let mut out: Vec<DossierPractice> = Vec::new();
    let on_file = |criterion: &str| -> String {
        let ns: Vec<String> = evidence
            .iter()
            .filter(|e| e.criterion == criterion)
            .map(|e| format!("E{}", e.n))
            .collect();
        if ns.is_empty() {
            String::new()
        } else {
            format!(
                "; evidence on file ({}) does not show it in place by itself",
                ns.join(", ")
            )
        }
    };
    for r in &a.rsp.sub_practices {
        let sp = c
            .sub_practice(r.sub_practice.as_str())
            .expect("the 12-month check names catalog sub-practices");
        let mut proof = Vec::new();
        let mut gaps = Vec::new();
        for cr in &sp.criteria {
            let ans = a.answers.answer(cr.id.as_str());
            if !a.answers.is_answered(cr.id.as_str()) {
                gaps.push(format!(
                    "{} is {NOT_ANSWERED}, so the window is not covered{}",
                    cr.id,
                    on_file(cr.id.as_str())
                ));
                continue;
            }
            match ans.status {
                Status::NotApplicable => continue,
                Status::Implemented => {}
                other => {
                    gaps.push(format!(
                        "{} is {}: not fully in place, so the window is not covered{}",
                        cr.id,
                        status_words(other),
                        on_file(cr.id.as_str())
                    ));
                    continue;
                }
            }
            if let Some(d) = ans.in_place_since {
                proof.push(format!(
                    "{}: in place since {d} (stated in the answers file)",
                    cr.id
                ));
            }
            for e in &ans.evidence {
                let mut line = format!("{}: {}", cr.id, e.title);
                match e.collected {
                    Some(d) => line.push_str(&format!(", collected {d}")),
                    None => line.push_str(", no collection date"),
                }
                if let Some(u) = e.valid_until {
                    line.push_str(&format!(", valid until {u}"));
                }
                if let Some(l) = &e.location {
                    line.push_str(&format!(" ({l})"));
                }
                proof.push(line);
            }
            let from_evidence = ans.evidence.iter().filter_map(|e| e.collected).min();
            match ans.in_place_since.or(from_evidence) {
                None => gaps.push(format!(
                    "{}: no date at all (add in_place_since or dated evidence)",
                    cr.id
                )),
                Some(d) if d > window_start => gaps.push(format!(
                    "{}: in place only from {d}; {window_start} to {d} is not covered",
                    cr.id
                )),
                Some(_) => {}
            }
            if !ans.evidence.is_empty()
                && ans
                    .evidence
                    .iter()
                    .all(|e| e.valid_until.is_some_and(|u| u < a.as_of))
            {
                let last = ans
                    .evidence
                    .iter()
                    .filter_map(|e| e.valid_until)
                    .max()
                    .expect("all evidence has an end date");
                gaps.push(format!(
                    "{}: evidence expired on {last}; nothing on file covers {last} to {}",
                    cr.id, a.as_of
                ));
            }
            if ans.evidence.is_empty() {
                gaps.push(format!(
                    "{}: no evidence on file, only the stated date",
                    cr.id
                ));
            }
        }
        let row = DossierRow {
            id: sp.id.to_string(),
            title: sp.title.clone(),
            in_place: r.in_place_12_months,
            since: r.since.map_or("-".into(), |d| d.to_string()),
            qualifies_on: r.qualifies_on.map_or("-".into(), |d| d.to_string()),
            proof,
            gaps,
        };
        match out.iter_mut().find(|p| p.number == r.practice) {
            Some(p) => p.sub_practices.push(row),
            None => out.push(DossierPractice {
                number: r.practice,
                name: c
                    .practice(r.practice)
                    .map_or(String::new(), |p| p.name.clone()),
                qualifies: a.rsp.practices_qualifying.contains(&r.practice),
                sub_practices: vec![row],
            }),
        }
    }
    out
}

/// What changed since the previous answers file: the overall score, each threat, and the
/// sub-practices whose score moved.
fn changes(a: &Assessed, prev: &Answers, label: &str) -> Changes {
    let before = score(a.catalog, prev);
    let now = &a.scores;
    let delta = |b: Option<f64>, n: Option<f64>| match (b, n) {
        (Some(b), Some(n)) => {
            let d = n - b;
            if d.abs() < 0.05 {
                format!("unchanged at {}", show(Some(n)))
            } else {
                format!(
                    "{} from {} to {} ({:+.1})",
                    if d > 0.0 { "up" } else { "down" },
                    show(Some(b)),
                    show(Some(n)),
                    d
                )
            }
        }
        (b, n) => format!("from {} to {}", show(b), show(n)),
    };
    let mut lines = Vec::new();
    for t in &now.threats {
        let b = before.threat(&t.id).and_then(|x| x.score);
        lines.push(format!("{}: {}", t.name, delta(b, t.score)));
    }
    let mut better = Vec::new();
    let mut worse = Vec::new();
    let mut added = Vec::new();
    for sp in &now.sub_practices {
        let Some(was) = before.sub_practice(sp.id.as_str()) else {
            added.push(sp.id.to_string());
            continue;
        };
        match (was.score, sp.score) {
            (Some(b), Some(n)) if n > b + 0.05 => better.push(format!(
                "{} ({} to {})",
                sp.id,
                show(Some(b)),
                show(Some(n))
            )),
            (Some(b), Some(n)) if n < b - 0.05 => worse.push(format!(
                "{} ({} to {})",
                sp.id,
                show(Some(b)),
                show(Some(n))
            )),
            _ => {}
        }
    }
    lines.push(if better.is_empty() {
        "No sub-practice improved.".to_owned()
    } else {
        format!("Improved ({}): {}.", better.len(), better.join(", "))
    });
    if !worse.is_empty() {
        lines.push(format!(
            "Went back ({}): {}.",
            worse.len(),
            worse.join(", ")
        ));
    }
    if !added.is_empty() {
        lines.push(format!(
            "Newly in scope ({}): {}.",
            added.len(),
            added.join(", ")
        ));
    }
    let closed = a
        .answers
        .criteria
        .iter()
        .filter(|(id, x)| x.status == Status::Implemented && prev.status(id) != Status::Implemented)
        .count();
    lines.push(format!(
        "{closed} {} became implemented.",
        if closed == 1 { "criterion" } else { "criteria" }
    ));
    Changes {
        previous: label.to_owned(),
        overall: delta(before.overall, now.overall),
        lines,
    }
}
