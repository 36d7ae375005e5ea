//! The shape of the catalog files, as written. Converted to [`super::model`] with validation.
//! Ids and references are [`Spanned`] so that errors can name their line.

use serde::Deserialize;
use serde_saphyr::Spanned;

pub(crate) type S = Spanned<String>;

#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ProvenanceDto {
    Verified,
    Unverified,
    Derived,
}

#[derive(Deserialize, Clone, Copy, Debug)]
#[serde(rename_all = "lowercase")]
pub(crate) enum EffortDto {
    Low,
    Medium,
    High,
}

#[derive(Deserialize, Clone, Copy, Debug)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DataAtRiskDto {
    Passwords,
    Phi,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct AliasDto {
    pub name: String,
    #[serde(default)]
    pub edition: Option<String>,
    pub provenance: ProvenanceDto,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct CatalogFile {
    pub id: S,
    pub title: S,
    pub edition: String,
    /// The edition whose text a `verified` title or name was checked against, unless the item
    /// names another (`name_edition`, `title_edition`). Defaults to `edition`.
    #[serde(default)]
    pub verified_against: Option<S>,
    pub version: u32,
    pub version_date: S,
    pub summary: S,
    #[serde(default)]
    pub sources: Vec<String>,
    pub tiers: TiersDto,
    #[serde(default)]
    pub parameters: Vec<ParameterDto>,
    #[serde(default)]
    pub lists: Vec<ListDto>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct TiersDto {
    pub small: TierRuleDto,
    pub medium: TierRuleDto,
    pub large: TierRuleDto,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct TierRuleDto {
    pub required: Vec<S>,
    #[serde(default)]
    pub optional: Vec<S>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ParameterDto {
    pub id: S,
    pub name: S,
    pub summary: S,
    pub source: String,
    pub provenance: ProvenanceDto,
    pub values: Vec<ParameterValueDto>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ParameterValueDto {
    pub key: S,
    pub value: f64,
    pub unit: String,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListDto {
    pub id: S,
    pub name: S,
    pub source: String,
    pub provenance: ProvenanceDto,
    pub items: Vec<ListItemDto>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListItemDto {
    pub name: S,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub applies_to: Vec<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ThreatsFile {
    pub threats: Vec<ThreatDto>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ThreatDto {
    pub id: S,
    pub number: Spanned<u8>,
    pub name: S,
    pub name_provenance: ProvenanceDto,
    /// The edition a verified name was checked against, when not the catalog's default.
    #[serde(default)]
    pub name_edition: Option<S>,
    #[serde(default)]
    pub aliases: Vec<AliasDto>,
    pub summary: S,
    pub vulnerabilities: Spanned<Vec<S>>,
    pub vulnerabilities_provenance: ProvenanceDto,
    pub impact: ImpactDto,
    pub tips: Spanned<Vec<S>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImpactDto {
    pub patients: S,
    pub organization: S,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct PracticeFile {
    pub practice: PracticeDto,
    pub sub_practices: Vec<SubPracticeDto>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct PracticeDto {
    pub number: Spanned<u8>,
    pub name: S,
    pub name_provenance: ProvenanceDto,
    /// The edition a verified name was checked against, when not the catalog's default.
    #[serde(default)]
    pub name_edition: Option<S>,
    #[serde(default)]
    pub aliases: Vec<AliasDto>,
    pub summary: S,
    pub threats: Spanned<Vec<S>>,
    pub threats_provenance: ProvenanceDto,
    #[serde(default)]
    pub data_at_risk: Vec<DataAtRiskDto>,
    #[serde(default)]
    pub metrics: Vec<S>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubPracticeDto {
    pub id: S,
    pub title: S,
    pub title_provenance: ProvenanceDto,
    /// The edition a verified title was checked against, when not the catalog's default.
    #[serde(default)]
    pub title_edition: Option<S>,
    #[serde(default)]
    pub title_aliases: Vec<AliasDto>,
    pub summary: S,
    /// Threats this sub-practice is a primary, direct control against (our judgement).
    #[serde(default)]
    pub key_threats: Option<Spanned<Vec<S>>>,
    #[serde(default)]
    pub key_threats_provenance: Option<Spanned<ProvenanceDto>>,
    pub criteria: Spanned<Vec<CriterionDto>>,
    pub actions: Spanned<Vec<ActionDto>>,
    #[serde(default)]
    pub prerequisites: Vec<S>,
    #[serde(default)]
    pub parameters: Vec<S>,
    pub csf11: MappingDto,
    #[serde(default)]
    pub csf20: Option<MappingDto>,
    pub cpg: MappingDto,
    pub hipaa: MappingDto,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct CriterionDto {
    pub id: S,
    pub text: S,
    #[serde(default)]
    pub guidance: Option<S>,
    #[serde(default)]
    pub numbers: Vec<NumberDto>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActionDto {
    pub id: S,
    pub text: S,
    pub effort: EffortDto,
    pub cost: S,
    #[serde(default)]
    pub numbers: Vec<NumberDto>,
}

/// Whose a number or cadence in a criterion or action is.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum NumberOriginDto {
    /// HICP's own number; `source` says where HICP gives it.
    Hicp,
    /// From another published source (a NIST publication, a law, FDA guidance); `source` names it.
    Published,
    /// Our suggestion; `reason` says why.
    Ours,
}

/// One number or cadence of a criterion or action, and whose it is.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct NumberDto {
    /// The words of the text that state it ("at least once a year", "15 characters").
    pub says: S,
    pub origin: Spanned<NumberOriginDto>,
    #[serde(default)]
    pub source: Option<S>,
    #[serde(default)]
    pub reason: Option<S>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct MappingDto {
    pub refs: Vec<S>,
    pub provenance: Spanned<ProvenanceDto>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct Csf20File {
    pub functions: Vec<Csf20FunctionDto>,
    pub categories: Vec<Csf20CategoryDto>,
    pub subcategories: Vec<Csf20SubcategoryDto>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct Csf20FunctionDto {
    pub id: S,
    pub name: String,
    #[serde(default)]
    pub summary: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct Csf20CategoryDto {
    pub id: S,
    pub name: String,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct Csf20SubcategoryDto {
    pub id: S,
    pub summary: S,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct CsfMappingFile {
    pub mappings: Vec<CsfMappingDto>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct CsfMappingDto {
    pub from: S,
    pub to: Vec<S>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct CpgFile {
    pub goals: Vec<CpgGoalDto>,
}

#[derive(Deserialize, Clone, Copy, Debug)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CpgTierDto {
    Essential,
    Enhanced,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct CpgGoalDto {
    pub id: S,
    pub title: S,
    pub tier: CpgTierDto,
    pub title_provenance: ProvenanceDto,
    pub summary: S,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct HipaaFile {
    pub sections: Vec<HipaaSectionDto>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct HipaaSectionDto {
    pub section: S,
    pub name: String,
    pub entries: Vec<HipaaEntryDto>,
}

#[derive(Deserialize, Clone, Copy, Debug)]
#[serde(rename_all = "lowercase")]
pub(crate) enum HipaaKindDto {
    Standard,
    Required,
    Addressable,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct HipaaEntryDto {
    pub citation: S,
    pub name: S,
    pub kind: HipaaKindDto,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
}

/// `references/hipaa-nprm-2025.yaml`: the HIPAA Security Rule changes HHS proposed in January
/// 2025, each with the criteria that show an organization already does it (our mapping).
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProposedRuleFile {
    pub title: S,
    pub citation: S,
    pub status: S,
    pub summary: S,
    /// The mapping of requirements to criteria is ours: must be `derived`.
    pub mapping_provenance: Spanned<ProvenanceDto>,
    pub requirements: Spanned<Vec<ProposedRequirementDto>>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProposedRequirementDto {
    pub id: S,
    pub title: S,
    pub summary: S,
    pub source: S,
    /// Whether the requirement itself is confirmed by the source named (never `derived`).
    pub provenance: Spanned<ProvenanceDto>,
    #[serde(default)]
    pub evidence: Vec<S>,
    #[serde(default)]
    pub related: Vec<S>,
    #[serde(default)]
    pub also_check: Option<S>,
}
