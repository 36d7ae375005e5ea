//! Parsing and validating catalog files into a [`Catalog`].
//!
//! All problems are collected, not just the first, so an author fixes a file in one pass.

use super::diagnostic::{CatalogError, Diagnostic, did_you_mean};
use super::dto::{self, S};
use super::ids::{ActionId, CriterionId, SubPracticeId, ThreatId, Tier};
use super::model::*;
use crate::assessment::Date;
use serde_saphyr::Location;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// One catalog file: its path relative to the catalog root (`/`-separated) and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

pub const CATALOG_FILE: &str = "catalog.yaml";
pub const THREATS_FILE: &str = "threats.yaml";
pub const CSF20_FILE: &str = "references/csf-2.0.yaml";
pub const CSF_MAPPING_FILE: &str = "references/csf-1.1-to-2.0.yaml";
pub const CPG_FILE: &str = "references/hph-cpg.yaml";
pub const HIPAA_FILE: &str = "references/hipaa-security-rule.yaml";
/// Optional: the HIPAA Security Rule changes proposed in January 2025.
pub const PROPOSED_RULE_FILE: &str = "references/hipaa-nprm-2025.yaml";
pub const PRACTICES_DIR: &str = "practices/";

/// CSF 1.1 function ids, which HICP sometimes cites on their own (8.M.B cites `RC`).
const CSF11_FUNCTIONS: [&str; 5] = ["ID", "PR", "DE", "RS", "RC"];

const CRITERIA_PER_SUB_PRACTICE: std::ops::RangeInclusive<usize> = 2..=6;
const ACTIONS_PER_SUB_PRACTICE: std::ops::RangeInclusive<usize> = 1..=5;
const TIPS_PER_THREAT: std::ops::RangeInclusive<usize> = 3..=6;

/// The HICP editions a title or name can be checked against.
const EDITIONS: [&str; 2] = ["2018", "2023"];

/// Loads and validates a catalog. `root` only prefixes file names in diagnostics.
pub fn load(root: &str, files: &[SourceFile]) -> Result<Catalog, CatalogError> {
    let mut l = Loader {
        root: root.trim_end_matches('/').to_owned(),
        diags: Vec::new(),
        file: String::new(),
        verified_against: String::new(),
    };
    let catalog = l.run(files);
    if l.diags.is_empty() {
        Ok(catalog.expect("a catalog is built whenever no problem was found"))
    } else {
        Err(CatalogError {
            diagnostics: l.diags,
        })
    }
}

struct Loader {
    root: String,
    diags: Vec<Diagnostic>,
    /// The file being checked, as shown in diagnostics.
    file: String,
    /// The catalog's `verified_against` edition, once `catalog.yaml` is read.
    verified_against: String,
}

struct Parsed {
    catalog: dto::CatalogFile,
    threats: dto::ThreatsFile,
    csf20: dto::Csf20File,
    mapping: dto::CsfMappingFile,
    cpg: dto::CpgFile,
    hipaa: dto::HipaaFile,
    proposed_rule: Option<dto::ProposedRuleFile>,
    practices: Vec<(String, dto::PracticeFile)>,
}

impl Loader {
    fn show(&self, path: &str) -> String {
        if self.root.is_empty() {
            path.to_owned()
        } else {
            format!("{}/{}", self.root, path)
        }
    }

    fn at(&mut self, loc: &Location, field: impl Into<String>, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::at(&self.file, loc, field, message));
    }

    fn whole_file(&mut self, path: &str, field: &str, message: impl Into<String>) {
        self.diags.push(Diagnostic {
            file: self.show(path),
            line: 0,
            column: 0,
            field: field.to_owned(),
            message: message.into(),
        });
    }

    fn parse<T: for<'de> serde::Deserialize<'de>>(&mut self, path: &str, text: &str) -> Option<T> {
        match serde_saphyr::from_str::<T>(text) {
            Ok(v) => Some(v),
            Err(e) => {
                let mut d = Diagnostic::yaml(&self.show(path), &e);
                if let Some(key) = key_on_line(text, d.line) {
                    d.field = key.to_owned();
                }
                self.diags.push(d);
                None
            }
        }
    }

    fn run(&mut self, files: &[SourceFile]) -> Option<Catalog> {
        let parsed = self.parse_all(files)?;
        self.build(parsed)
    }

    fn parse_all(&mut self, files: &[SourceFile]) -> Option<Parsed> {
        let by_path: BTreeMap<&str, &str> = files
            .iter()
            .map(|f| (f.path.as_str(), f.text.as_str()))
            .collect();
        let required = |l: &mut Loader, path: &str| -> Option<&str> {
            let text = by_path.get(path).copied();
            if text.is_none() {
                l.whole_file(path, "(file)", "required file is missing");
            }
            text
        };
        let catalog = required(self, CATALOG_FILE).and_then(|t| self.parse(CATALOG_FILE, t));
        let threats = required(self, THREATS_FILE).and_then(|t| self.parse(THREATS_FILE, t));
        let csf20 = required(self, CSF20_FILE).and_then(|t| self.parse(CSF20_FILE, t));
        let mapping =
            required(self, CSF_MAPPING_FILE).and_then(|t| self.parse(CSF_MAPPING_FILE, t));
        let cpg = required(self, CPG_FILE).and_then(|t| self.parse(CPG_FILE, t));
        let hipaa = required(self, HIPAA_FILE).and_then(|t| self.parse(HIPAA_FILE, t));
        let proposed_rule = by_path
            .get(PROPOSED_RULE_FILE)
            .and_then(|t| self.parse(PROPOSED_RULE_FILE, t));
        let known = [
            CATALOG_FILE,
            THREATS_FILE,
            CSF20_FILE,
            CSF_MAPPING_FILE,
            CPG_FILE,
            HIPAA_FILE,
            PROPOSED_RULE_FILE,
        ];
        let mut practices = Vec::new();
        for f in files {
            let p = f.path.as_str();
            if known.contains(&p) {
                continue;
            }
            if p.starts_with(PRACTICES_DIR)
                && p.ends_with(".yaml")
                && !p[PRACTICES_DIR.len()..].contains('/')
            {
                if let Some(pf) = self.parse::<dto::PracticeFile>(p, &f.text) {
                    practices.push((p.to_owned(), pf));
                }
            } else if p.ends_with(".yaml") || p.ends_with(".yml") {
                self.whole_file(
                    p,
                    "(file)",
                    "unexpected file: practices go in practices/*.yaml; see docs/catalog-format.md",
                );
            }
        }
        if practices.is_empty() && self.diags.is_empty() {
            self.whole_file(PRACTICES_DIR, "(file)", "no practice files found");
        }
        practices.sort_by(|a, b| a.0.cmp(&b.0));
        Some(Parsed {
            catalog: catalog?,
            threats: threats?,
            csf20: csf20?,
            mapping: mapping?,
            cpg: cpg?,
            hipaa: hipaa?,
            proposed_rule,
            practices,
        })
        .filter(|_| self.diags.is_empty())
    }

    fn text(&mut self, s: &S, field: &str) -> String {
        let t = s.value.trim();
        if t.is_empty() {
            self.at(&s.referenced, field, "must not be empty");
        }
        t.to_owned()
    }

    fn build(&mut self, p: Parsed) -> Option<Catalog> {
        self.file = self.show(CSF20_FILE);
        let csf20 = self.csf20(p.csf20);
        let csf20_ids: BTreeSet<String> = csf20
            .functions
            .iter()
            .map(|f| f.id.clone())
            .chain(csf20.categories.iter().map(|c| c.id.clone()))
            .chain(csf20.subcategories.iter().map(|s| s.id.clone()))
            .collect();
        self.file = self.show(CSF_MAPPING_FILE);
        let csf11_to_20 = self.mapping(p.mapping, &csf20_ids);
        self.file = self.show(CPG_FILE);
        let cpg_goals = self.cpg(p.cpg);
        self.file = self.show(HIPAA_FILE);
        let hipaa = self.hipaa(p.hipaa);
        self.file = self.show(CATALOG_FILE);
        let (meta, parameters, lists) = self.meta(p.catalog);
        self.file = self.show(THREATS_FILE);
        let threats = self.threats(p.threats);

        let refs = RefSets {
            threats: threats.iter().map(|t| t.id.as_str().to_owned()).collect(),
            parameters: parameters.iter().map(|p| p.id.clone()).collect(),
            csf11: csf11_to_20
                .keys()
                .cloned()
                .chain(CSF11_FUNCTIONS.iter().map(|s| s.to_string()))
                .collect(),
            csf20: csf20_ids,
            cpg: cpg_goals.iter().map(|g| g.id.clone()).collect(),
            hipaa: hipaa.iter().map(|h| h.citation.clone()).collect(),
        };

        let mut practices = Vec::new();
        let mut subs: Vec<Loaded> = Vec::new();
        let mut practice_files: HashMap<u8, String> = HashMap::new();
        for (path, file) in p.practices {
            self.file = self.show(&path);
            let number_at = file.practice.number.referenced;
            let practice = self.practice(file.practice, &refs);
            if let Some(prev) = practice_files.insert(practice.number, self.file.clone()) {
                self.at(
                    &number_at,
                    "practice.number",
                    format!("practice {} is already defined in {prev}", practice.number),
                );
            }
            for (i, sp) in file.sub_practices.into_iter().enumerate() {
                let id = sp.id.clone();
                let prerequisites = sp.prerequisites.clone();
                if let Some(s) = self.sub_practice(sp, i, &practice, &refs, &csf11_to_20) {
                    subs.push(Loaded {
                        file: self.file.clone(),
                        id,
                        prerequisites,
                        sub_practice: s,
                    });
                }
            }
            practices.push(practice);
        }
        practices.sort_by_key(|p| p.number);

        self.cross_checks(&subs);

        let mut sub_practices: Vec<SubPractice> =
            subs.into_iter().map(|l| l.sub_practice).collect();
        sub_practices.sort_by(|a, b| {
            (a.practice, a.tier, a.id.as_str()).cmp(&(b.practice, b.tier, b.id.as_str()))
        });
        let criterion_ids: BTreeSet<String> = sub_practices
            .iter()
            .flat_map(|s| s.criteria.iter().map(|c| c.id.to_string()))
            .collect();
        let proposed_rule = p.proposed_rule.map(|f| {
            self.file = self.show(PROPOSED_RULE_FILE);
            self.proposed_rule(f, &criterion_ids)
        });
        let references = References {
            csf20,
            csf11_to_20,
            cpg_goals,
            hipaa,
            proposed_rule,
        };
        let sub_practice_index = sub_practices
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.to_string(), i))
            .collect();
        let criterion_index = sub_practices
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.criteria.iter().map(move |c| (c.id.to_string(), i)))
            .collect();
        Some(Catalog {
            sub_practice_index,
            criterion_index,
            meta,
            threats,
            practices,
            sub_practices,
            parameters,
            lists,
            references,
        })
    }

    /// Checks that need every sub-practice: unique ids, prerequisites, unique texts.
    fn cross_checks(&mut self, subs: &[Loaded]) {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for l in subs {
            if let Some(prev) = seen.insert(l.id.value.as_str(), l.file.as_str()) {
                self.file = l.file.clone();
                let msg = format!(
                    "duplicate sub-practice id {} (first defined in {prev})",
                    l.id.value
                );
                self.at(&l.id.referenced, "id", msg);
            }
        }
        let all: Vec<&str> = subs.iter().map(|l| l.id.value.as_str()).collect();
        for l in subs {
            self.file = l.file.clone();
            let field = format!("{}.prerequisites", l.id.value);
            for pre in &l.prerequisites {
                if pre.value == l.id.value {
                    self.at(
                        &pre.referenced,
                        &field,
                        "a sub-practice cannot be its own prerequisite",
                    );
                } else if !all.contains(&pre.value.as_str()) {
                    let msg = format!(
                        "unknown sub-practice \"{}\"{}",
                        pre.value,
                        did_you_mean(&pre.value, all.iter().copied())
                    );
                    self.at(&pre.referenced, &field, msg);
                }
            }
        }
        // The same sentence in two places is a copy-paste slip: each criterion and action
        // must say something of its own.
        let mut texts: HashMap<String, String> = HashMap::new();
        for l in subs {
            self.file = l.file.clone();
            let s = &l.sub_practice;
            let items = s
                .criteria
                .iter()
                .map(|c| (c.id.as_str(), &c.text))
                .chain(s.actions.iter().map(|a| (a.id.as_str(), &a.text)));
            for (item, text) in items {
                let key = text.to_lowercase();
                if let Some(prev) = texts.insert(key, item.to_owned()) {
                    let msg = format!("{item} has the same text as {prev}");
                    self.at(&l.id.referenced, format!("{item}.text"), msg);
                }
            }
        }
    }

    fn csf20(&mut self, f: dto::Csf20File) -> Csf20 {
        let mut seen = HashSet::new();
        let mut out = Csf20::default();
        for func in f.functions {
            self.unique(&mut seen, &func.id, "functions.id");
            if !is_csf_function(&func.id.value) {
                self.at(
                    &func.id.referenced,
                    "functions.id",
                    format!("\"{}\" is not a function id like GV", func.id.value),
                );
            }
            out.functions.push(CsfFunction {
                id: func.id.value,
                name: func.name,
                summary: func.summary,
            });
        }
        let functions: Vec<String> = out.functions.iter().map(|f| f.id.clone()).collect();
        for cat in f.categories {
            self.unique(&mut seen, &cat.id, "categories.id");
            let func = cat.id.value.split('.').next().unwrap_or_default();
            if !functions.iter().any(|f| f == func) || cat.id.value.len() != 5 {
                self.at(
                    &cat.id.referenced,
                    "categories.id",
                    format!(
                        "\"{}\" is not a category of a listed function",
                        cat.id.value
                    ),
                );
            }
            out.categories.push(CsfCategory {
                id: cat.id.value,
                name: cat.name,
            });
        }
        let categories: Vec<String> = out.categories.iter().map(|c| c.id.clone()).collect();
        for sub in f.subcategories {
            self.unique(&mut seen, &sub.id, "subcategories.id");
            let ok = sub.id.value.split_once('-').is_some_and(|(cat, n)| {
                categories.iter().any(|c| c == cat)
                    && n.len() == 2
                    && n.chars().all(|c| c.is_ascii_digit())
            });
            if !ok {
                self.at(
                    &sub.id.referenced,
                    "subcategories.id",
                    format!(
                        "\"{}\" is not a subcategory (like GV.OC-01) of a listed category",
                        sub.id.value
                    ),
                );
            }
            let summary = self.text(&sub.summary, "subcategories.summary");
            out.subcategories.push(CsfSubcategory {
                id: sub.id.value,
                summary,
            });
        }
        out
    }

    fn mapping(
        &mut self,
        f: dto::CsfMappingFile,
        csf20: &BTreeSet<String>,
    ) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        for m in f.mappings {
            let to: Vec<String> =
                m.to.iter()
                    .filter(|t| self.resolves(t, csf20, "mappings.to", "CSF 2.0 id"))
                    .map(|t| t.value.clone())
                    .collect();
            if out.insert(m.from.value.clone(), to).is_some() {
                self.at(
                    &m.from.referenced,
                    "mappings.from",
                    format!("duplicate mapping for {}", m.from.value),
                );
            }
        }
        out
    }

    fn cpg(&mut self, f: dto::CpgFile) -> Vec<CpgGoal> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for g in f.goals {
            self.unique(&mut seen, &g.id, "goals.id");
            let tier = match g.tier {
                dto::CpgTierDto::Essential => CpgTier::Essential,
                dto::CpgTierDto::Enhanced => CpgTier::Enhanced,
            };
            let title = self.text(&g.title, "goals.title");
            let summary = self.text(&g.summary, "goals.summary");
            out.push(CpgGoal {
                id: g.id.value,
                title,
                tier,
                title_provenance: provenance(g.title_provenance),
                summary,
            });
        }
        out
    }

    /// The proposed rule: unique ids, texts, provenance (the requirement's: verified or
    /// unverified; the mapping's: derived), and criteria that resolve, each listed once.
    fn proposed_rule(
        &mut self,
        f: dto::ProposedRuleFile,
        criteria: &BTreeSet<String>,
    ) -> ProposedRule {
        if f.mapping_provenance.value != dto::ProvenanceDto::Derived {
            self.at(
                &f.mapping_provenance.referenced,
                "mapping_provenance",
                "which criteria evidence a proposed requirement is our mapping: provenance must be derived",
            );
        }
        if f.requirements.value.is_empty() {
            self.at(
                &f.requirements.referenced,
                "requirements",
                "lists no proposed requirement",
            );
        }
        let mut seen = HashSet::new();
        let mut requirements = Vec::new();
        for r in f.requirements.value {
            self.unique(&mut seen, &r.id, "requirements.id");
            let field = |name: &str| format!("requirements.{}.{name}", r.id.value);
            if r.provenance.value == dto::ProvenanceDto::Derived {
                self.at(
                    &r.provenance.referenced,
                    field("provenance"),
                    "a proposed requirement is HHS's, not ours: provenance must be verified or unverified",
                );
            }
            let mut listed = HashSet::new();
            let mut ids = |l: &mut Loader, list: &[S], name: &str| -> Vec<CriterionId> {
                let mut out = Vec::new();
                for c in list {
                    if !l.resolves(c, criteria, &field(name), "criterion") {
                        continue;
                    }
                    if !listed.insert(c.value.clone()) {
                        l.at(
                            &c.referenced,
                            field(name),
                            format!("criterion {} is listed twice", c.value),
                        );
                        continue;
                    }
                    out.push(CriterionId::new(c.value.clone()));
                }
                out
            };
            let evidence = ids(self, &r.evidence, "evidence");
            let related = ids(self, &r.related, "related");
            if r.evidence.is_empty() && r.related.is_empty() {
                self.at(
                    &r.id.referenced,
                    field("evidence"),
                    "names no criterion (give evidence or related criteria)",
                );
            }
            requirements.push(ProposedRequirement {
                title: self.text(&r.title, &field("title")),
                summary: self.text(&r.summary, &field("summary")),
                source: self.text(&r.source, &field("source")),
                provenance: provenance(r.provenance.value),
                also_check: r
                    .also_check
                    .as_ref()
                    .map(|t| self.text(t, &field("also_check"))),
                id: r.id.value,
                evidence,
                related,
            });
        }
        ProposedRule {
            title: self.text(&f.title, "title"),
            citation: self.text(&f.citation, "citation"),
            status: self.text(&f.status, "status"),
            summary: self.text(&f.summary, "summary"),
            requirements,
        }
    }

    fn hipaa(&mut self, f: dto::HipaaFile) -> Vec<HipaaEntry> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for s in f.sections {
            for e in s.entries {
                self.unique(&mut seen, &e.citation, "entries.citation");
                if !e.citation.value.starts_with(&s.section.value) {
                    self.at(
                        &e.citation.referenced,
                        "entries.citation",
                        format!(
                            "citation {} is not in section {}",
                            e.citation.value, s.section.value
                        ),
                    );
                }
                let name = self.text(&e.name, "entries.name");
                let kind = match e.kind {
                    dto::HipaaKindDto::Standard => HipaaKind::Standard,
                    dto::HipaaKindDto::Required => HipaaKind::Required,
                    dto::HipaaKindDto::Addressable => HipaaKind::Addressable,
                };
                out.push(HipaaEntry {
                    citation: e.citation.value,
                    name,
                    kind,
                    section: s.section.value.clone(),
                    section_name: s.name.clone(),
                    note: e.note,
                    summary: e.summary,
                });
            }
        }
        out
    }

    fn meta(&mut self, f: dto::CatalogFile) -> (CatalogMeta, Vec<Parameter>, Vec<NamedList>) {
        let mut rules = BTreeMap::new();
        for (tier, rule) in [
            (Tier::Small, f.tiers.small),
            (Tier::Medium, f.tiers.medium),
            (Tier::Large, f.tiers.large),
        ] {
            let field = format!("tiers.{}", tier.name());
            let letters = |l: &mut Loader, v: &[S], sub: &str| -> Vec<Tier> {
                v.iter()
                    .filter_map(|s| {
                        let t = Tier::from_letter(&s.value);
                        if t.is_none() {
                            l.at(
                                &s.referenced,
                                format!("{field}.{sub}"),
                                format!(
                                    "\"{}\" is not a sub-practice tier: use S, M or L",
                                    s.value
                                ),
                            );
                        }
                        t
                    })
                    .collect()
            };
            let required = letters(self, &rule.required, "required");
            let optional = letters(self, &rule.optional, "optional");
            rules.insert(tier, TierRule { required, optional });
        }
        let mut seen = HashSet::new();
        let mut parameters = Vec::new();
        for p in f.parameters {
            self.unique(&mut seen, &p.id, "parameters.id");
            let name = self.text(&p.name, "parameters.name");
            let summary = self.text(&p.summary, "parameters.summary");
            if p.values.is_empty() {
                self.at(
                    &p.id.referenced,
                    "parameters.values",
                    "a parameter needs at least one value",
                );
            }
            let values = p
                .values
                .into_iter()
                .map(|v| ParameterValue {
                    key: v.key.value,
                    value: v.value,
                    unit: v.unit,
                })
                .collect();
            parameters.push(Parameter {
                id: p.id.value,
                name,
                summary,
                source: p.source,
                provenance: provenance(p.provenance),
                values,
            });
        }
        let mut seen = HashSet::new();
        let mut lists = Vec::new();
        for l in f.lists {
            self.unique(&mut seen, &l.id, "lists.id");
            let name = self.text(&l.name, "lists.name");
            if l.items.is_empty() {
                self.at(
                    &l.id.referenced,
                    "lists.items",
                    "a list needs at least one item",
                );
            }
            let items = l
                .items
                .into_iter()
                .map(|i| ListItem {
                    name: self.text(&i.name, "lists.items.name"),
                    group: i.group,
                    applies_to: i.applies_to,
                })
                .collect();
            lists.push(NamedList {
                id: l.id.value,
                name,
                source: l.source,
                provenance: provenance(l.provenance),
                items,
            });
        }
        let title = self.text(&f.title, "title");
        let summary = self.text(&f.summary, "summary");
        let version_date = Date::parse(&f.version_date.value).unwrap_or_else(|e| {
            self.at(&f.version_date.referenced, "version_date", e.to_string());
            // Never seen: a catalog with a problem is refused.
            Date::from_days(0).expect("day 0 is a date")
        });
        let verified_against = match &f.verified_against {
            Some(e) => {
                self.known_edition(e, "verified_against");
                e.value.clone()
            }
            None => f.edition.clone(),
        };
        self.verified_against = verified_against.clone();
        let meta = CatalogMeta {
            id: f.id.value,
            title,
            edition: f.edition,
            verified_against,
            version: f.version,
            version_date,
            summary,
            sources: f.sources,
            tiers: TierRules { rules },
        };
        (meta, parameters, lists)
    }

    fn threats(&mut self, f: dto::ThreatsFile) -> Vec<Threat> {
        let mut seen = HashSet::new();
        let mut numbers = HashSet::new();
        let mut out = Vec::new();
        for t in f.threats {
            self.unique(&mut seen, &t.id, "threats.id");
            let id = &t.id.value;
            let kebab = !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c == '-');
            if !kebab {
                self.at(
                    &t.id.referenced,
                    "threats.id",
                    format!("\"{id}\" must be lowercase words joined by -"),
                );
            }
            if !numbers.insert(t.number.value) {
                self.at(
                    &t.number.referenced,
                    format!("{id}.number"),
                    format!("threat number {} is used twice", t.number.value),
                );
            }
            if !TIPS_PER_THREAT.contains(&t.tips.value.len()) {
                self.at(
                    &t.tips.referenced,
                    format!("{id}.tips"),
                    format!("has {} tips; a threat needs 3 to 6", t.tips.value.len()),
                );
            }
            if t.vulnerabilities.value.is_empty() {
                self.at(
                    &t.vulnerabilities.referenced,
                    format!("{id}.vulnerabilities"),
                    "list at least one vulnerability",
                );
            }
            let tips = t
                .tips
                .value
                .iter()
                .map(|s| self.text(s, &format!("{id}.tips")))
                .collect();
            let vulnerabilities = t
                .vulnerabilities
                .value
                .iter()
                .map(|s| self.text(s, &format!("{id}.vulnerabilities")))
                .collect();
            let name_provenance = provenance(t.name_provenance);
            let name_edition = self.edition(
                name_provenance,
                t.name_edition.as_ref(),
                &format!("{id}.name_edition"),
            );
            out.push(Threat {
                id: ThreatId::new(t.id.value.clone()),
                number: t.number.value,
                name: self.text(&t.name, &format!("{id}.name")),
                name_provenance,
                name_edition,
                aliases: aliases(t.aliases),
                summary: self.text(&t.summary, &format!("{id}.summary")),
                vulnerabilities,
                vulnerabilities_provenance: provenance(t.vulnerabilities_provenance),
                impact_patients: self.text(&t.impact.patients, &format!("{id}.impact.patients")),
                impact_organization: self
                    .text(&t.impact.organization, &format!("{id}.impact.organization")),
                tips,
            });
        }
        out.sort_by_key(|t| t.number);
        out
    }

    fn practice(&mut self, p: dto::PracticeDto, refs: &RefSets) -> Practice {
        let threats = p
            .threats
            .value
            .iter()
            .filter(|t| self.resolves(t, &refs.threats, "practice.threats", "threat"))
            .map(|t| ThreatId::new(t.value.clone()))
            .collect::<Vec<_>>();
        if p.threats.value.is_empty() {
            self.at(
                &p.threats.referenced,
                "practice.threats",
                "a practice mitigates at least one threat",
            );
        }
        let metrics = p
            .metrics
            .iter()
            .map(|m| self.text(m, "practice.metrics"))
            .collect();
        let name_provenance = provenance(p.name_provenance);
        let name_edition = self.edition(
            name_provenance,
            p.name_edition.as_ref(),
            "practice.name_edition",
        );
        Practice {
            number: p.number.value,
            name: self.text(&p.name, "practice.name"),
            name_provenance,
            name_edition,
            aliases: aliases(p.aliases),
            summary: self.text(&p.summary, "practice.summary"),
            threats,
            threats_provenance: provenance(p.threats_provenance),
            data_at_risk: p
                .data_at_risk
                .into_iter()
                .map(|d| match d {
                    dto::DataAtRiskDto::Passwords => DataAtRisk::Passwords,
                    dto::DataAtRiskDto::Phi => DataAtRisk::Phi,
                })
                .collect(),
            metrics,
        }
    }

    fn sub_practice(
        &mut self,
        sp: dto::SubPracticeDto,
        index: usize,
        practice: &Practice,
        refs: &RefSets,
        csf11_to_20: &BTreeMap<String, Vec<String>>,
    ) -> Option<SubPractice> {
        let Some((id, number, tier)) = SubPracticeId::parse(&sp.id.value) else {
            self.at(
                &sp.id.referenced,
                format!("sub_practices[{index}].id"),
                format!(
                    "\"{}\" is not a sub-practice id like 7.M.D (<practice>.<S|M|L>.<letter>)",
                    sp.id.value
                ),
            );
            return None;
        };
        if number != practice.number {
            self.at(
                &sp.id.referenced,
                format!("{id}.id"),
                format!(
                    "{id} belongs to practice {number}, but this file is practice {}",
                    practice.number
                ),
            );
        }
        let f = |field: &str| format!("{id}.{field}");
        let key_threats = self.key_threats(&sp, practice, refs, &f("key_threats"));

        let criteria_n = sp.criteria.value.len();
        if !CRITERIA_PER_SUB_PRACTICE.contains(&criteria_n) {
            self.at(
                &sp.criteria.referenced,
                f("criteria"),
                format!("has {criteria_n} criteria; a sub-practice needs 2 to 6"),
            );
        }
        let mut criteria = Vec::new();
        for (i, c) in sp.criteria.value.iter().enumerate() {
            let expected = format!("{id}.c{}", i + 1);
            if c.id.value != expected {
                self.at(
                    &c.id.referenced,
                    f("criteria.id"),
                    format!(
                        "criterion id \"{}\" should be \"{expected}\" (numbered from 1 in order)",
                        c.id.value
                    ),
                );
            }
            let text = self.text(&c.text, &format!("{expected}.text"));
            let guidance = c
                .guidance
                .as_ref()
                .map(|g| self.text(g, &format!("{expected}.guidance")));
            let numbers = self.numbers(&c.numbers, &text, &format!("{expected}.numbers"));
            criteria.push(Criterion {
                id: CriterionId::new(c.id.value.clone()),
                text,
                guidance,
                numbers,
            });
        }

        let actions_n = sp.actions.value.len();
        if !ACTIONS_PER_SUB_PRACTICE.contains(&actions_n) {
            self.at(
                &sp.actions.referenced,
                f("actions"),
                format!("has {actions_n} actions; a sub-practice needs 1 to 5"),
            );
        }
        let mut actions = Vec::new();
        for (i, a) in sp.actions.value.iter().enumerate() {
            let expected = format!("{id}.a{}", i + 1);
            if a.id.value != expected {
                self.at(
                    &a.id.referenced,
                    f("actions.id"),
                    format!(
                        "action id \"{}\" should be \"{expected}\" (numbered from 1 in order)",
                        a.id.value
                    ),
                );
            }
            let text = self.text(&a.text, &format!("{expected}.text"));
            let cost = self.text(&a.cost, &format!("{expected}.cost"));
            let effort = match a.effort {
                dto::EffortDto::Low => Effort::Low,
                dto::EffortDto::Medium => Effort::Medium,
                dto::EffortDto::High => Effort::High,
            };
            let numbers = self.numbers(&a.numbers, &text, &format!("{expected}.numbers"));
            actions.push(Action {
                id: ActionId::new(a.id.value.clone()),
                text,
                effort,
                cost,
                numbers,
            });
        }

        let parameters = sp
            .parameters
            .iter()
            .filter(|p| self.resolves(p, &refs.parameters, &f("parameters"), "parameter"))
            .map(|p| p.value.clone())
            .collect();

        let csf11 = self.refs(&sp.csf11, &refs.csf11, &f("csf11.refs"), "NIST CSF 1.1 id");
        let mut csf20: Vec<Csf20Ref> = Vec::new();
        for r in &csf11.refs {
            let targets = csf11_to_20
                .get(r)
                .cloned()
                // A bare CSF 1.1 function keeps its name in 2.0 (our convention).
                .unwrap_or_else(|| vec![r.clone()]);
            for t in targets {
                if !csf20.iter().any(|c| c.id == t) {
                    csf20.push(Csf20Ref {
                        id: t,
                        via: Some(r.clone()),
                    });
                }
            }
        }
        if let Some(extra) = &sp.csf20 {
            if extra.provenance.value != dto::ProvenanceDto::Derived {
                self.at(
                    &extra.provenance.referenced,
                    f("csf20.provenance"),
                    "CSF 2.0 references are ours: provenance must be derived",
                );
            }
            let extra = self.refs(extra, &refs.csf20, &f("csf20.refs"), "NIST CSF 2.0 id");
            for t in extra.refs {
                if !csf20.iter().any(|c| c.id == t) {
                    csf20.push(Csf20Ref { id: t, via: None });
                }
            }
        }
        if csf20.is_empty() {
            self.at(
                &sp.id.referenced,
                f("csf20"),
                "no NIST CSF 2.0 reference: add csf11 refs that map, or csf20 refs of our own",
            );
        }
        let cpg = self.refs(&sp.cpg, &refs.cpg, &f("cpg.refs"), "HPH CPG goal");
        let hipaa = self.refs(
            &sp.hipaa,
            &refs.hipaa,
            &f("hipaa.refs"),
            "HIPAA Security Rule citation",
        );

        let prerequisites = sp
            .prerequisites
            .iter()
            .filter_map(|p| match SubPracticeId::parse(&p.value) {
                Some((pid, _, _)) => Some(pid),
                None => {
                    self.at(
                        &p.referenced,
                        f("prerequisites"),
                        format!("\"{}\" is not a sub-practice id", p.value),
                    );
                    None
                }
            })
            .collect();

        let title_provenance = provenance(sp.title_provenance);
        let title_edition = self.edition(
            title_provenance,
            sp.title_edition.as_ref(),
            &f("title_edition"),
        );
        Some(SubPractice {
            title: self.text(&sp.title, &f("title")),
            title_provenance,
            title_edition,
            title_aliases: aliases(sp.title_aliases),
            summary: self.text(&sp.summary, &f("summary")),
            id,
            practice: number,
            key_threats,
            tier,
            criteria,
            actions,
            prerequisites,
            parameters,
            csf11,
            csf20,
            cpg,
            hipaa,
        })
    }

    /// The key threats of a sub-practice: known threat ids, no repeats, each one its practice
    /// mitigates in HICP's matrix, and always our judgement (provenance derived).
    fn key_threats(
        &mut self,
        sp: &dto::SubPracticeDto,
        practice: &Practice,
        refs: &RefSets,
        field: &str,
    ) -> Vec<ThreatId> {
        let provenance_field = format!("{field}_provenance");
        let Some(listed) = &sp.key_threats else {
            if let Some(p) = &sp.key_threats_provenance {
                self.at(
                    &p.referenced,
                    provenance_field,
                    "key_threats_provenance is set but key_threats is missing",
                );
            }
            return Vec::new();
        };
        match &sp.key_threats_provenance {
            None => self.at(
                &listed.referenced,
                provenance_field,
                "key threats are our judgement: add key_threats_provenance: derived",
            ),
            Some(p) if p.value != dto::ProvenanceDto::Derived => self.at(
                &p.referenced,
                provenance_field,
                "key threats are our judgement, never HHS's: provenance must be derived",
            ),
            Some(_) => {}
        }
        let mut out: Vec<ThreatId> = Vec::new();
        for t in &listed.value {
            if !self.resolves(t, &refs.threats, field, "threat") {
                continue;
            }
            let id = ThreatId::new(t.value.clone());
            if out.contains(&id) {
                self.at(
                    &t.referenced,
                    field,
                    format!("threat \"{}\" is listed twice", t.value),
                );
            } else if !practice.threats.contains(&id) {
                let own: Vec<&str> = practice.threats.iter().map(ThreatId::as_str).collect();
                self.at(
                    &t.referenced,
                    field,
                    format!(
                        "\"{}\" is not a threat of practice {} ({}); a key threat must be one the practice mitigates in HICP's matrix",
                        t.value,
                        practice.number,
                        own.join(", ")
                    ),
                );
            } else {
                out.push(id);
            }
        }
        out
    }

    fn refs(
        &mut self,
        m: &dto::MappingDto,
        valid: &BTreeSet<String>,
        field: &str,
        what: &str,
    ) -> Mapping {
        let mut refs = Vec::new();
        for r in &m.refs {
            if self.resolves(r, valid, field, what) && !refs.contains(&r.value) {
                refs.push(r.value.clone());
            }
        }
        Mapping {
            refs,
            provenance: provenance(m.provenance.value),
            note: m.note.clone(),
        }
    }

    /// The number labels of one criterion or action: each names words of `text`, and says
    /// whose the number is (`hicp` or `published` with a `source`, `ours` with a `reason`).
    fn numbers(&mut self, dtos: &[dto::NumberDto], text: &str, field: &str) -> Vec<NumberLabel> {
        let haystack = squeeze(text);
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for n in dtos {
            let says = self.text(&n.says, &format!("{field}.says"));
            if says.is_empty() {
                continue;
            }
            let needle = squeeze(&says);
            if !haystack.contains(&needle) {
                self.at(
                    &n.says.referenced,
                    format!("{field}.says"),
                    format!("\"{says}\" does not occur in the text it labels"),
                );
            } else if !seen.insert(needle) {
                self.at(
                    &n.says.referenced,
                    format!("{field}.says"),
                    format!("\"{says}\" is labelled twice"),
                );
            }
            let source = n
                .source
                .as_ref()
                .map(|s| (s, self.text(s, &format!("{field}.source"))));
            let reason = n
                .reason
                .as_ref()
                .map(|r| (r, self.text(r, &format!("{field}.reason"))));
            let origin = match (n.origin.value, source, reason) {
                (dto::NumberOriginDto::Ours, None, Some((_, reason))) => {
                    NumberOrigin::Ours { reason }
                }
                (dto::NumberOriginDto::Ours, Some((s, _)), _) => {
                    self.at(
                        &s.referenced,
                        format!("{field}.source"),
                        "our own number has a `reason`, not a `source`",
                    );
                    continue;
                }
                (dto::NumberOriginDto::Ours, None, None) => {
                    self.at(
                        &n.origin.referenced,
                        format!("{field}.reason"),
                        "our own number needs a `reason`: why we suggest it",
                    );
                    continue;
                }
                (o, Some((_, source)), None) => {
                    if o == dto::NumberOriginDto::Hicp {
                        NumberOrigin::Hicp { source }
                    } else {
                        NumberOrigin::Published { source }
                    }
                }
                (_, _, Some((r, _))) => {
                    self.at(
                        &r.referenced,
                        format!("{field}.reason"),
                        "a published number has a `source`, not a `reason`",
                    );
                    continue;
                }
                (_, None, None) => {
                    self.at(
                        &n.origin.referenced,
                        format!("{field}.source"),
                        "a number from HICP or another publication needs a `source`: where it is given",
                    );
                    continue;
                }
            };
            out.push(NumberLabel { says, origin });
        }
        out
    }

    /// Whether `e` names an HICP edition; reports it when not.
    fn known_edition(&mut self, e: &S, field: &str) -> bool {
        if EDITIONS.contains(&e.value.as_str()) {
            return true;
        }
        self.at(
            &e.referenced,
            field,
            format!(
                "unknown edition \"{}\"; expected one of {}",
                e.value,
                EDITIONS.join(", ")
            ),
        );
        false
    }

    /// The edition a title or name was checked against: its own `*_edition`, else the catalog's
    /// `verified_against`; none unless it is verified (an edition on anything else is an error).
    fn edition(&mut self, p: Provenance, own: Option<&S>, field: &str) -> Option<String> {
        if let Some(e) = own {
            if p != Provenance::Verified {
                self.at(
                    &e.referenced,
                    field,
                    "only a verified title or name records the edition it was checked against",
                );
                return None;
            }
            if !self.known_edition(e, field) {
                return None;
            }
        }
        (p == Provenance::Verified)
            .then(|| own.map_or_else(|| self.verified_against.clone(), |e| e.value.clone()))
    }

    fn resolves(&mut self, r: &S, valid: &BTreeSet<String>, field: &str, what: &str) -> bool {
        if valid.contains(&r.value) {
            return true;
        }
        let hint = did_you_mean(&r.value, valid.iter().map(String::as_str));
        self.at(
            &r.referenced,
            field,
            format!("unknown {what} \"{}\"{hint}", r.value),
        );
        false
    }

    fn unique(&mut self, seen: &mut HashSet<String>, id: &S, field: &str) {
        if id.value.trim().is_empty() {
            self.at(&id.referenced, field, "must not be empty");
        } else if !seen.insert(id.value.clone()) {
            self.at(
                &id.referenced,
                field,
                format!("duplicate id \"{}\"", id.value),
            );
        }
    }
}

/// A loaded sub-practice with the spans its cross-checks report on.
struct Loaded {
    file: String,
    id: S,
    prerequisites: Vec<S>,
    sub_practice: SubPractice,
}

struct RefSets {
    threats: BTreeSet<String>,
    parameters: BTreeSet<String>,
    csf11: BTreeSet<String>,
    csf20: BTreeSet<String>,
    cpg: BTreeSet<String>,
    hipaa: BTreeSet<String>,
}

fn is_csf_function(s: &str) -> bool {
    s.len() == 2 && s.chars().all(|c| c.is_ascii_uppercase())
}

fn provenance(p: dto::ProvenanceDto) -> Provenance {
    match p {
        dto::ProvenanceDto::Verified => Provenance::Verified,
        dto::ProvenanceDto::Unverified => Provenance::Unverified,
        dto::ProvenanceDto::Derived => Provenance::Derived,
    }
}

fn aliases(v: Vec<dto::AliasDto>) -> Vec<Alias> {
    v.into_iter()
        .map(|a| Alias {
            name: a.name,
            edition: a.edition,
            provenance: provenance(a.provenance),
        })
        .collect()
}

/// The mapping key written on a 1-based line (`  - id: x` gives `id`), to name the field
/// of a parse error.
fn key_on_line(text: &str, line: u64) -> Option<&str> {
    let l = text
        .lines()
        .nth(usize::try_from(line).ok()?.checked_sub(1)?)?;
    let l = l.trim_start().trim_start_matches("- ");
    let (key, _) = l.split_once(':')?;
    let ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then_some(key)
}

/// Lowercase, with every run of white space made one space: how a number label is matched
/// against the (folded YAML) text it labels.
fn squeeze(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
