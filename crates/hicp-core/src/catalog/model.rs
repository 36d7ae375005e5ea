//! The validated catalog. Every reference in these types resolves; [`super::load`] guarantees it.

use super::ids::{ActionId, CriterionId, SubPracticeId, ThreatId, Tier};
use crate::assessment::Date;
use std::collections::BTreeMap;

/// Where a title or mapping comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provenance {
    /// Checked against the HHS or NIST source.
    Verified,
    /// Not yet checked against the source; the product labels it "unverified".
    Unverified,
    /// Worked out by this project, never HHS's; the product labels it "derived".
    Derived,
}

impl Provenance {
    pub fn name(self) -> &'static str {
        match self {
            Provenance::Verified => "verified",
            Provenance::Unverified => "unverified",
            Provenance::Derived => "derived",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Effort {
    Low,
    Medium,
    High,
}

impl Effort {
    pub fn name(self) -> &'static str {
        match self {
            Effort::Low => "low",
            Effort::Medium => "medium",
            Effort::High => "high",
        }
    }
}

/// A name under which something is also known (another edition's name, say).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alias {
    pub name: String,
    pub edition: Option<String>,
    pub provenance: Provenance,
}

#[derive(Clone, Debug)]
pub struct Catalog {
    pub meta: CatalogMeta,
    pub threats: Vec<Threat>,
    pub practices: Vec<Practice>,
    /// In catalog order: by practice, then small, medium, large, then letter.
    pub sub_practices: Vec<SubPractice>,
    pub parameters: Vec<Parameter>,
    pub lists: Vec<NamedList>,
    pub references: References,
    /// Sub-practice id -> position in `sub_practices`; built by the loader (lookups are hot
    /// paths of every page and score).
    pub(crate) sub_practice_index: std::collections::HashMap<String, usize>,
    /// Criterion id -> position of its sub-practice in `sub_practices`.
    pub(crate) criterion_index: std::collections::HashMap<String, usize>,
}

#[derive(Clone, Debug)]
pub struct CatalogMeta {
    pub id: String,
    pub title: String,
    pub edition: String,
    /// The edition whose text the catalog's `verified` titles and names were checked against,
    /// unless an item records another.
    pub verified_against: String,
    pub version: u32,
    /// The day `version` was made: exports date the catalog with it (never with the clock),
    /// so the same catalog always gives the same bytes.
    pub version_date: Date,
    pub summary: String,
    pub sources: Vec<String>,
    pub tiers: TierRules,
}

/// Which sub-practice tiers apply to an organization of each size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierRules {
    pub rules: BTreeMap<Tier, TierRule>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TierRule {
    pub required: Vec<Tier>,
    pub optional: Vec<Tier>,
}

#[derive(Clone, Debug)]
pub struct Threat {
    pub id: ThreatId,
    pub number: u8,
    pub name: String,
    pub name_provenance: Provenance,
    /// The edition the name was checked against; `None` unless the name is verified.
    pub name_edition: Option<String>,
    pub aliases: Vec<Alias>,
    pub summary: String,
    pub vulnerabilities: Vec<String>,
    pub vulnerabilities_provenance: Provenance,
    pub impact_patients: String,
    pub impact_organization: String,
    pub tips: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataAtRisk {
    Passwords,
    Phi,
}

impl DataAtRisk {
    pub fn name(self) -> &'static str {
        match self {
            DataAtRisk::Passwords => "passwords",
            DataAtRisk::Phi => "phi",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Practice {
    pub number: u8,
    pub name: String,
    pub name_provenance: Provenance,
    /// The edition the name was checked against; `None` unless the name is verified.
    pub name_edition: Option<String>,
    pub aliases: Vec<Alias>,
    pub summary: String,
    pub threats: Vec<ThreatId>,
    pub threats_provenance: Provenance,
    pub data_at_risk: Vec<DataAtRisk>,
    pub metrics: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct SubPractice {
    pub id: SubPracticeId,
    pub practice: u8,
    pub tier: Tier,
    pub title: String,
    pub title_provenance: Provenance,
    /// The edition the title was checked against; `None` unless the title is verified.
    pub title_edition: Option<String>,
    pub title_aliases: Vec<Alias>,
    pub summary: String,
    /// The threats this sub-practice is a primary, direct control against: a subset of its
    /// practice's threats, in the order listed. Our judgement, so always [`Provenance::Derived`];
    /// empty for supporting controls (and when the catalog gives none).
    pub key_threats: Vec<ThreatId>,
    pub criteria: Vec<Criterion>,
    pub actions: Vec<Action>,
    pub prerequisites: Vec<SubPracticeId>,
    pub parameters: Vec<String>,
    /// NIST CSF 1.1 references as HICP prints them.
    pub csf11: Mapping,
    /// NIST CSF 2.0 references; always [`Provenance::Derived`].
    pub csf20: Vec<Csf20Ref>,
    pub cpg: Mapping,
    pub hipaa: Mapping,
}

#[derive(Clone, Debug)]
pub struct Criterion {
    pub id: CriterionId,
    pub text: String,
    pub guidance: Option<String>,
    /// Whose each number or cadence in `text` is, in the order the catalog lists them.
    pub numbers: Vec<NumberLabel>,
}

#[derive(Clone, Debug)]
pub struct Action {
    pub id: ActionId,
    pub text: String,
    pub effort: Effort,
    pub cost: String,
    /// Whose each number or cadence in `text` is, in the order the catalog lists them.
    pub numbers: Vec<NumberLabel>,
}

/// A number or cadence in a criterion or action ("at least once a year", "15 characters") and
/// whose it is. The loader guarantees `says` occurs in the text it labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberLabel {
    /// The words of the text that state the number.
    pub says: String,
    pub origin: NumberOrigin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumberOrigin {
    /// HICP gives this number; `source` says where (volume, table or sub-practice).
    Hicp { source: String },
    /// Another published source gives it (a NIST publication, a law, FDA guidance).
    Published { source: String },
    /// Our suggestion, never HHS's; `reason` says why we suggest it.
    Ours { reason: String },
}

impl NumberOrigin {
    /// `hicp`, `published` or `ours`, as the catalog writes it.
    pub fn name(&self) -> &'static str {
        match self {
            NumberOrigin::Hicp { .. } => "hicp",
            NumberOrigin::Published { .. } => "published",
            NumberOrigin::Ours { .. } => "ours",
        }
    }

    /// How a reader is told whose the number is: "HICP, TV2 Table 8", "NIST SP 800-63B-4",
    /// "our suggestion: ...".
    pub fn label(&self) -> String {
        match self {
            NumberOrigin::Hicp { source } => format!("HICP, {source}"),
            NumberOrigin::Published { source } => source.clone(),
            NumberOrigin::Ours { reason } => format!("our suggestion: {reason}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub refs: Vec<String>,
    pub provenance: Provenance,
    pub note: Option<String>,
}

/// A CSF 2.0 reference of a sub-practice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Csf20Ref {
    pub id: String,
    /// The CSF 1.1 reference it was mapped from through NIST's table; `None` when we added it.
    pub via: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Parameter {
    pub id: String,
    pub name: String,
    pub summary: String,
    pub source: String,
    pub provenance: Provenance,
    pub values: Vec<ParameterValue>,
}

#[derive(Clone, Debug)]
pub struct ParameterValue {
    pub key: String,
    pub value: f64,
    pub unit: String,
}

#[derive(Clone, Debug)]
pub struct NamedList {
    pub id: String,
    pub name: String,
    pub source: String,
    pub provenance: Provenance,
    pub items: Vec<ListItem>,
}

#[derive(Clone, Debug)]
pub struct ListItem {
    pub name: String,
    pub group: Option<String>,
    pub applies_to: Vec<String>,
}

/// The reference lists the catalog points into.
#[derive(Clone, Debug, Default)]
pub struct References {
    pub csf20: Csf20,
    /// NIST's CSF 1.1 -> 2.0 table, keyed by 1.1 id.
    pub csf11_to_20: BTreeMap<String, Vec<String>>,
    pub cpg_goals: Vec<CpgGoal>,
    pub hipaa: Vec<HipaaEntry>,
    /// The HIPAA Security Rule changes proposed in January 2025, when the catalog has
    /// `references/hipaa-nprm-2025.yaml`.
    pub proposed_rule: Option<ProposedRule>,
}

/// A proposed change to the HIPAA Security Rule (a notice of proposed rulemaking): not in force.
/// The requirements paraphrase HHS's proposal; which criteria evidence each one is our
/// mapping, always [`Provenance::Derived`]. See `docs/nprm-readiness.md`.
#[derive(Clone, Debug)]
pub struct ProposedRule {
    pub title: String,
    /// Where it was published, e.g. "90 FR 898 (6 January 2025)".
    pub citation: String,
    /// Its status in plain words (proposed, not in force).
    pub status: String,
    pub summary: String,
    pub requirements: Vec<ProposedRequirement>,
}

#[derive(Clone, Debug)]
pub struct ProposedRequirement {
    pub id: String,
    pub title: String,
    /// Our paraphrase of what the proposal would require.
    pub summary: String,
    /// Where the requirement is described (the sources our reference notes cite).
    pub source: String,
    /// Whether that source confirms the requirement: verified or unverified, never derived.
    pub provenance: Provenance,
    /// Criteria that together show the requirement is met.
    pub evidence: Vec<CriterionId>,
    /// Criteria that show part of it only: with these alone it is at best partly covered.
    pub related: Vec<CriterionId>,
    /// What the criteria do not show and the organization should check itself (our words).
    pub also_check: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Csf20 {
    pub functions: Vec<CsfFunction>,
    pub categories: Vec<CsfCategory>,
    pub subcategories: Vec<CsfSubcategory>,
}

#[derive(Clone, Debug)]
pub struct CsfFunction {
    pub id: String,
    pub name: String,
    pub summary: Option<String>,
}

#[derive(Clone, Debug)]
pub struct CsfCategory {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct CsfSubcategory {
    pub id: String,
    pub summary: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpgTier {
    Essential,
    Enhanced,
}

#[derive(Clone, Debug)]
pub struct CpgGoal {
    pub id: String,
    pub title: String,
    pub tier: CpgTier,
    pub title_provenance: Provenance,
    pub summary: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HipaaKind {
    Standard,
    Required,
    Addressable,
}

impl HipaaKind {
    pub fn name(self) -> &'static str {
        match self {
            HipaaKind::Standard => "standard",
            HipaaKind::Required => "required",
            HipaaKind::Addressable => "addressable",
        }
    }
}

#[derive(Clone, Debug)]
pub struct HipaaEntry {
    pub citation: String,
    pub name: String,
    pub kind: HipaaKind,
    pub section: String,
    pub section_name: String,
    pub note: Option<String>,
    pub summary: Option<String>,
}
