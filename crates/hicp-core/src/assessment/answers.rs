//! The answers file: an organization's profile, tier, opted-in sub-practices, threat weights,
//! and one answer per criterion. Parsed from YAML and validated against a [`Catalog`].
//!
//! Every problem is collected with its line and column, so a user fixes the file in one pass.
//! The format is described in docs/answers-format.md.

use super::date::Date;
use super::sizing::{OrgType, Profile, Sizing, classify};
use crate::catalog::{Catalog, Diagnostic, SubPractice, SubPracticeId, Tier, nearest};
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

type S = Spanned<String>;

/// The format tag an answers file may carry (`format: hicp-answers/1`).
pub const FORMAT: &str = "hicp-answers/1";

/// How far a criterion is met. Ordered from worst to best, `NotApplicable` apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    NotStarted,
    Partial,
    Largely,
    Implemented,
    NotApplicable,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::NotStarted,
        Status::Partial,
        Status::Largely,
        Status::Implemented,
        Status::NotApplicable,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::Partial => "partial",
            Status::Largely => "largely",
            Status::Implemented => "implemented",
            Status::NotApplicable => "not_applicable",
        }
    }

    pub fn from_name(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.name() == s)
    }

    /// The criterion's credit, 0 to 1; `None` for not applicable (it leaves the denominator).
    pub fn credit(self) -> Option<f64> {
        match self {
            Status::NotStarted => Some(0.0),
            Status::Partial => Some(0.5),
            Status::Largely => Some(0.75),
            Status::Implemented => Some(1.0),
            Status::NotApplicable => None,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A piece of evidence for a criterion.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    pub title: String,
    /// A path, a URL or a description of where it is kept.
    pub location: Option<String>,
    pub collected: Option<Date>,
    pub valid_until: Option<Date>,
}

/// The answer for one criterion.
#[derive(Clone, Debug, PartialEq)]
pub struct CriterionAnswer {
    pub status: Status,
    /// Required when the status is not applicable; kept and shown.
    pub reason: Option<String>,
    pub notes: Option<String>,
    pub owner: Option<String>,
    pub in_place_since: Option<Date>,
    pub evidence: Vec<Evidence>,
}

impl CriterionAnswer {
    pub fn not_started() -> Self {
        CriterionAnswer {
            status: Status::NotStarted,
            reason: None,
            notes: None,
            owner: None,
            in_place_since: None,
            evidence: Vec::new(),
        }
    }
}

/// A validated answers file.
#[derive(Clone, Debug, PartialEq)]
pub struct Answers {
    pub profile: Profile,
    /// What the classifier says about the profile.
    pub sizing: Sizing,
    /// The tier the file sets, overriding the classifier.
    pub tier_override: Option<Tier>,
    /// The tier used: the override, else the classifier's.
    pub tier: Tier,
    /// Sub-practices from other tiers that the organization chose to adopt.
    pub opt_in: Vec<SubPracticeId>,
    /// Threat id -> weight, for every threat of the catalog (default 1).
    pub threat_weights: BTreeMap<String, f64>,
    /// Criterion id -> answer, for the criteria the file answers.
    pub criteria: BTreeMap<String, CriterionAnswer>,
    /// Criterion id -> evidence on file for a criterion that has no answer yet (the web app
    /// keeps evidence apart from answers: an import files a scan on the criteria it informs
    /// before anyone answers them). Listed as evidence on file, never read as an answer:
    /// scores, progress and the 12-month check ignore it. An answers file has none (evidence
    /// there needs a status).
    pub unanswered_evidence: BTreeMap<String, Vec<Evidence>>,
}

impl Answers {
    /// The answer for a criterion; an unanswered criterion is not started.
    pub fn answer(&self, criterion: &str) -> CriterionAnswer {
        self.criteria
            .get(criterion)
            .cloned()
            .unwrap_or_else(CriterionAnswer::not_started)
    }

    /// The evidence on file for a criterion: its answer's, or, when it has no answer yet, what
    /// [`Answers::unanswered_evidence`] holds for it.
    pub fn evidence_on_file(&self, criterion: &str) -> &[Evidence] {
        match self.criteria.get(criterion) {
            Some(a) => &a.evidence,
            None => self
                .unanswered_evidence
                .get(criterion)
                .map_or(&[], Vec::as_slice),
        }
    }

    /// Whether the criterion has an answer of its own, whatever its status: "not started" is
    /// an answer; a criterion without one is "not answered yet" (it scores as not started).
    pub fn is_answered(&self, criterion: &str) -> bool {
        self.criteria.contains_key(criterion)
    }

    /// How many questions of the assessed sub-practices are answered, out of how many.
    pub fn progress(&self, catalog: &Catalog) -> Progress {
        self.progress_by_practice(catalog).all()
    }

    /// [`Answers::progress`] of each practice, counted in one pass over the scope (a page
    /// showing several counts asks once).
    pub fn progress_by_practice(&self, catalog: &Catalog) -> PracticeProgress {
        let mut by = BTreeMap::<u8, Progress>::new();
        for sp in self.scope(catalog) {
            let p = by.entry(sp.practice).or_default();
            p.total += sp.criteria.len();
            p.answered += sp
                .criteria
                .iter()
                .filter(|c| self.is_answered(c.id.as_str()))
                .count();
        }
        PracticeProgress(by)
    }

    pub fn status(&self, criterion: &str) -> Status {
        self.criteria
            .get(criterion)
            .map_or(Status::NotStarted, |a| a.status)
    }

    pub fn weight(&self, threat: &str) -> f64 {
        self.threat_weights
            .get(threat)
            .copied()
            .unwrap_or(DEFAULT_WEIGHT)
    }

    /// Whether `sp` is assessed: it applies to the tier, or the organization opted in.
    pub fn in_scope(&self, catalog: &Catalog, sp: &SubPractice) -> bool {
        catalog.applies(self.tier, sp) || self.opt_in.contains(&sp.id)
    }

    /// The assessed sub-practices, in catalog order.
    pub fn scope<'c>(&self, catalog: &'c Catalog) -> Vec<&'c SubPractice> {
        catalog
            .sub_practices
            .iter()
            .filter(|s| self.in_scope(catalog, s))
            .collect()
    }

    /// Empty answers for `tier` (everything not started), default weights.
    pub fn blank(catalog: &Catalog, tier: Tier) -> Answers {
        Answers {
            profile: Profile::default(),
            sizing: classify(&Profile::default()),
            tier_override: Some(tier),
            tier,
            opt_in: Vec::new(),
            threat_weights: catalog
                .threats
                .iter()
                .map(|t| (t.id.to_string(), DEFAULT_WEIGHT))
                .collect(),
            criteria: BTreeMap::new(),
            unanswered_evidence: BTreeMap::new(),
        }
    }
}

/// How many questions are answered, out of how many. Every status counts as an answer, "not
/// started" included; only a question without an answer is unanswered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub answered: usize,
    pub total: usize,
}

impl Progress {
    pub fn unanswered(self) -> usize {
        self.total - self.answered
    }
}

/// The [`Progress`] of each practice's assessed questions ([`Answers::progress_by_practice`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PracticeProgress(BTreeMap<u8, Progress>);

impl PracticeProgress {
    /// Of every assessed question.
    pub fn all(&self) -> Progress {
        self.sum(|_| true)
    }

    /// Of the questions of one practice.
    pub fn practice(&self, number: u8) -> Progress {
        self.0.get(&number).copied().unwrap_or_default()
    }

    /// Of the questions of the practices that mitigate a threat (the practices its score
    /// is the mean of).
    pub fn threat(&self, catalog: &Catalog, threat: &str) -> Progress {
        self.sum(|n| {
            catalog
                .practices
                .iter()
                .any(|p| p.number == n && p.threats.iter().any(|t| t.as_str() == threat))
        })
    }

    /// Counts one more answered question of `practice` (a question that had no answer got
    /// one), so a view moves forward without counting again.
    pub fn add_answered(&mut self, practice: u8) {
        self.0.entry(practice).or_default().answered += 1;
    }

    fn sum(&self, keep: impl Fn(u8) -> bool) -> Progress {
        let mut all = Progress::default();
        for (_, p) in self.0.iter().filter(|(n, _)| keep(**n)) {
            all.answered += p.answered;
            all.total += p.total;
        }
        all
    }
}

pub const DEFAULT_WEIGHT: f64 = 1.0;
pub const MAX_WEIGHT: f64 = 10.0;

/// Whether `w` may weight a threat: above 0 (a threat cannot be left out) and at most
/// [`MAX_WEIGHT`]. The one rule for answers files and for the web app.
pub fn weight_allowed(w: f64) -> bool {
    w.is_finite() && w > 0.0 && w <= MAX_WEIGHT
}

/// An answers file that failed validation: every problem found, in file order.
#[derive(Debug, thiserror::Error)]
pub struct AnswersError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for AnswersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.diagnostics.len();
        writeln!(
            f,
            "the answers file is invalid: {n} problem{}",
            if n == 1 { "" } else { "s" }
        )?;
        for d in &self.diagnostics {
            writeln!(f, "  {d}")?;
        }
        Ok(())
    }
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct AnswersDto {
    #[serde(default)]
    format: Option<S>,
    #[serde(default)]
    organization: Option<OrgDto>,
    #[serde(default)]
    tier: Option<S>,
    #[serde(default)]
    opt_in: Option<Vec<S>>,
    #[serde(default)]
    threat_weights: Option<BTreeMap<String, Spanned<f64>>>,
    #[serde(default)]
    answers: Option<Vec<AnswerDto>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct OrgDto {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "type")]
    org_type: Option<S>,
    #[serde(default)]
    physicians: Option<u32>,
    #[serde(default)]
    staffed_beds: Option<u32>,
    #[serde(default)]
    workforce: Option<u32>,
    #[serde(default)]
    it_assets: Option<u32>,
    #[serde(default)]
    it_staff: Option<u32>,
    #[serde(default)]
    security_staff: Option<u32>,
    #[serde(default)]
    sites: Option<u32>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct AnswerDto {
    id: S,
    /// Empty or left out: not answered yet (what `hicp init` writes).
    #[serde(default)]
    status: Option<S>,
    #[serde(default)]
    reason: Option<S>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    in_place_since: Option<S>,
    #[serde(default)]
    evidence: Option<Vec<EvidenceDto>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct EvidenceDto {
    title: S,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    collected: Option<S>,
    #[serde(default)]
    valid_until: Option<S>,
}

/// Parses and validates an answers file. `file` only names the file in diagnostics; dates
/// after `as_of` are errors (an answer cannot be in place in the future).
pub fn parse(
    file: &str,
    text: &str,
    catalog: &Catalog,
    as_of: Date,
) -> Result<Answers, AnswersError> {
    let mut v = Validator {
        file: file.to_owned(),
        diags: Vec::new(),
        as_of,
    };
    let dto = match serde_saphyr::from_str::<Option<AnswersDto>>(text) {
        Ok(d) => d.unwrap_or(AnswersDto {
            format: None,
            organization: None,
            tier: None,
            opt_in: None,
            threat_weights: None,
            answers: None,
        }),
        Err(e) => {
            v.diags.push(Diagnostic::yaml(&v.file, &e));
            return Err(AnswersError {
                diagnostics: v.diags,
            });
        }
    };
    let answers = v.build(dto, catalog);
    if v.diags.is_empty() {
        Ok(answers)
    } else {
        v.diags.sort_by_key(|d| (d.line, d.column));
        Err(AnswersError {
            diagnostics: v.diags,
        })
    }
}

struct Validator {
    file: String,
    diags: Vec<Diagnostic>,
    as_of: Date,
}

impl Validator {
    fn at(&mut self, loc: &Location, field: impl Into<String>, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::at(&self.file, loc, field, message));
    }

    fn date(&mut self, s: &S, field: &str) -> Option<Date> {
        match Date::parse(&s.value) {
            Err(e) => {
                self.at(&s.referenced, field, e.to_string());
                None
            }
            Ok(d) if d > self.as_of => {
                self.at(
                    &s.referenced,
                    field,
                    format!(
                        "{d} is in the future (the assessment date is {})",
                        self.as_of
                    ),
                );
                None
            }
            Ok(d) => Some(d),
        }
    }

    fn build(&mut self, dto: AnswersDto, catalog: &Catalog) -> Answers {
        if let Some(f) = &dto.format
            && f.value != FORMAT
        {
            self.at(
                &f.referenced,
                "format",
                format!(
                    "unknown format \"{}\": this version reads \"{FORMAT}\"",
                    f.value
                ),
            );
        }
        let profile = self.profile(dto.organization);
        let sizing = classify(&profile);
        let tier_override = dto.tier.as_ref().and_then(|t| {
            let tier = Tier::from_name(&t.value);
            if tier.is_none() {
                let hint = hint(&t.value, Tier::ALL.iter().map(|t| t.name()));
                self.at(
                    &t.referenced,
                    "tier",
                    format!(
                        "unknown tier \"{}\": use small, medium or large{hint}",
                        t.value
                    ),
                );
            }
            tier
        });
        let tier = match (tier_override, sizing.tier) {
            (Some(t), _) | (None, Some(t)) => t,
            (None, None) => {
                if dto.tier.is_none() {
                    self.diags.push(Diagnostic {
                        file: self.file.clone(),
                        line: 0,
                        column: 0,
                        field: "tier".into(),
                        message: "no tier: set `tier: small|medium|large`, or answer the organization's sizing questions (physicians, staffed_beds, workforce, it_assets)".into(),
                    });
                }
                Tier::Small
            }
        };

        let mut opt_in = Vec::new();
        for s in dto.opt_in.unwrap_or_default() {
            match catalog.sub_practice(&s.value) {
                None => {
                    let h = hint(
                        &s.value,
                        catalog.sub_practices.iter().map(|x| x.id.as_str()),
                    );
                    self.at(
                        &s.referenced,
                        "opt_in",
                        format!("unknown sub-practice \"{}\"{h}", s.value),
                    );
                }
                Some(sp) if catalog.applies(tier, sp) => {
                    self.at(
                        &s.referenced,
                        "opt_in",
                        format!(
                            "{} already applies to a {tier} organization; remove it from opt_in",
                            sp.id
                        ),
                    );
                }
                Some(sp) if opt_in.contains(&sp.id) => {
                    self.at(
                        &s.referenced,
                        "opt_in",
                        format!("{} is listed twice", sp.id),
                    );
                }
                Some(sp) => opt_in.push(sp.id.clone()),
            }
        }

        let mut threat_weights: BTreeMap<String, f64> = catalog
            .threats
            .iter()
            .map(|t| (t.id.to_string(), DEFAULT_WEIGHT))
            .collect();
        let mut weighted = BTreeSet::new();
        for (key, w) in dto.threat_weights.unwrap_or_default() {
            let field = format!("threat_weights.{key}");
            match catalog.threat(&key) {
                None => {
                    let h = hint(&key, catalog.threats.iter().map(|t| t.id.as_str()));
                    self.at(&w.referenced, field, format!("unknown threat \"{key}\"{h}"));
                }
                Some(t) if !weighted.insert(t.id.to_string()) => {
                    self.at(
                        &w.referenced,
                        field,
                        format!("the weight of {} is set twice", t.id),
                    );
                }
                Some(t) => {
                    if !weight_allowed(w.value) {
                        self.at(&w.referenced, field, format!("weight {} is out of range: use a number above 0 and at most {MAX_WEIGHT}", w.value));
                    } else {
                        threat_weights.insert(t.id.to_string(), w.value);
                    }
                }
            }
        }

        let mut answers = Answers {
            profile,
            sizing,
            tier_override,
            tier,
            opt_in,
            threat_weights,
            criteria: BTreeMap::new(),
            unanswered_evidence: BTreeMap::new(),
        };
        let all_criteria: Vec<&str> = catalog
            .sub_practices
            .iter()
            .flat_map(|s| s.criteria.iter().map(|c| c.id.as_str()))
            .collect();
        let mut seen = BTreeSet::new();
        for a in dto.answers.unwrap_or_default() {
            let id = a.id.value.trim().to_owned();
            let field = format!("answers.{id}");
            let sp = catalog
                .sub_practices
                .iter()
                .find(|s| s.criteria.iter().any(|c| c.id.as_str() == id));
            match sp {
                None => {
                    let msg = if catalog.sub_practice(&id).is_some() {
                        format!(
                            "\"{id}\" is a sub-practice; answer its criteria ({id}.c1, {id}.c2, ...)"
                        )
                    } else {
                        format!(
                            "unknown criterion \"{id}\"{}",
                            hint(&id, all_criteria.iter().copied())
                        )
                    };
                    self.at(&a.id.referenced, "answers.id", msg);
                }
                Some(sp) if !answers.in_scope(catalog, sp) => {
                    self.at(
                        &a.id.referenced,
                        field.clone(),
                        format!("{id} belongs to {}, which does not apply to a {tier} organization; add {} to opt_in or remove this answer", sp.id, sp.id),
                    );
                }
                Some(_) => {}
            }
            if !seen.insert(id.clone()) {
                self.at(
                    &a.id.referenced,
                    field.clone(),
                    format!("{id} is answered twice"),
                );
            }
            // No status: the question is not answered yet, and is left out like a criterion
            // the file does not list. Anything else said about it needs a status.
            let Some(a_status) = a.status.as_ref().filter(|s| !s.value.trim().is_empty()) else {
                let said = a
                    .reason
                    .as_ref()
                    .is_some_and(|r| !r.value.trim().is_empty())
                    || clean(a.notes.clone()).is_some()
                    || clean(a.owner.clone()).is_some()
                    || a.in_place_since
                        .as_ref()
                        .is_some_and(|d| !d.value.trim().is_empty())
                    || a.evidence.as_ref().is_some_and(|e| !e.is_empty());
                if said {
                    self.at(
                        &a.status.as_ref().map_or(a.id.referenced, |s| s.referenced),
                        format!("{field}.status"),
                        "give a status (not_started, partial, largely, implemented or not_applicable): a question without one is not answered yet, so its other fields would be lost",
                    );
                }
                continue;
            };
            let status = match Status::from_name(a_status.value.trim()) {
                Some(s) => s,
                None => {
                    let h = hint(a_status.value.trim(), Status::ALL.iter().map(|s| s.name()));
                    let all: Vec<&str> = Status::ALL.iter().map(|s| s.name()).collect();
                    self.at(
                        &a_status.referenced,
                        format!("{field}.status"),
                        format!(
                            "invalid status \"{}\"{h}: use one of {}",
                            a_status.value,
                            all.join(", ")
                        ),
                    );
                    Status::NotStarted
                }
            };
            let reason = a
                .reason
                .as_ref()
                .map(|r| r.value.trim().to_owned())
                .filter(|r| !r.is_empty());
            if status == Status::NotApplicable && reason.is_none() {
                let loc = a
                    .reason
                    .as_ref()
                    .map_or(a_status.referenced, |r| r.referenced);
                self.at(
                    &loc,
                    format!("{field}.reason"),
                    "not_applicable needs a reason: say why this criterion does not apply",
                );
            }
            let in_place_since = a
                .in_place_since
                .as_ref()
                .and_then(|d| self.date(d, &format!("{field}.in_place_since")));
            let mut evidence = Vec::new();
            for (i, e) in a.evidence.unwrap_or_default().into_iter().enumerate() {
                let ef = format!("{field}.evidence[{i}]");
                if e.title.value.trim().is_empty() {
                    self.at(
                        &e.title.referenced,
                        format!("{ef}.title"),
                        "must not be empty",
                    );
                }
                let collected = e
                    .collected
                    .as_ref()
                    .and_then(|d| self.date(d, &format!("{ef}.collected")));
                // Validity naturally runs into the future: only its shape is checked.
                let valid_until =
                    e.valid_until
                        .as_ref()
                        .and_then(|d| match Date::parse(&d.value) {
                            Ok(x) => Some(x),
                            Err(err) => {
                                self.at(
                                    &d.referenced,
                                    format!("{ef}.valid_until"),
                                    err.to_string(),
                                );
                                None
                            }
                        });
                if let (Some(c), Some(u), Some(d)) = (collected, valid_until, &e.valid_until)
                    && u < c
                {
                    self.at(
                        &d.referenced,
                        format!("{ef}.valid_until"),
                        format!("{u} is before the date collected ({c})"),
                    );
                }
                evidence.push(Evidence {
                    title: e.title.value.trim().to_owned(),
                    location: clean(e.location),
                    collected,
                    valid_until,
                });
            }
            if sp.is_none() {
                continue;
            }
            answers.criteria.insert(
                id,
                CriterionAnswer {
                    status,
                    reason,
                    notes: clean(a.notes),
                    owner: clean(a.owner),
                    in_place_since,
                    evidence,
                },
            );
        }
        answers
    }

    fn profile(&mut self, org: Option<OrgDto>) -> Profile {
        let Some(o) = org else {
            return Profile::default();
        };
        let org_type = o.org_type.as_ref().and_then(|t| {
            let v = t.value.trim();
            let found = OrgType::from_name(v);
            if found.is_none() && !v.is_empty() {
                let names: Vec<&str> = OrgType::ALL.iter().map(|t| t.name()).collect();
                let h = hint(v, names.iter().copied());
                self.at(
                    &t.referenced,
                    "organization.type",
                    format!(
                        "unknown organization type \"{v}\"{h}: use one of {}",
                        names.join(", ")
                    ),
                );
            }
            found
        });
        Profile {
            name: clean(o.name),
            org_type,
            physicians: o.physicians,
            staffed_beds: o.staffed_beds,
            workforce: o.workforce,
            it_assets: o.it_assets,
            it_staff: o.it_staff,
            security_staff: o.security_staff,
            sites: o.sites,
        }
    }
}

fn clean(s: Option<String>) -> Option<String> {
    s.map(|x| x.trim().to_owned()).filter(|x| !x.is_empty())
}

/// " (did you mean \"X\"?)" or "".
fn hint<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(wrong, candidates).map_or(String::new(), |s| format!(" (did you mean \"{s}\"?)"))
}
