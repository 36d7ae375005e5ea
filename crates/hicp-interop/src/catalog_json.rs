//! The JSON form of sub-practices and threats (`hicp catalog list|show --format json`).

use hicp_core::catalog::{Catalog, Mapping, NumberLabel, NumberOrigin, SubPractice, Threat};
use serde::Serialize;

#[derive(Serialize)]
pub struct SubPracticeJson<'a> {
    pub id: &'a str,
    pub practice: u8,
    pub practice_name: &'a str,
    pub tier: &'static str,
    pub title: &'a str,
    pub title_provenance: &'static str,
    /// The edition a verified title was checked against ("2018" or "2023"); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title_edition: Option<&'a str>,
    pub summary: &'a str,
    pub threats: Vec<&'a str>,
    /// The threats it is a primary, direct control against: our judgement (always derived).
    pub key_threats: Vec<&'a str>,
    pub key_threats_provenance: &'static str,
    /// NIST CSF 2.0 ids (derived through NIST's 1.1 -> 2.0 mapping, plus our own).
    pub csf: Vec<&'a str>,
    pub csf_provenance: &'static str,
    pub csf_detail: Vec<Csf20Json<'a>>,
    pub csf11: MappingJson<'a>,
    pub cpg: MappingJson<'a>,
    pub hipaa: MappingJson<'a>,
    pub criteria: Vec<CriterionJson<'a>>,
    pub actions: Vec<ActionJson<'a>>,
    pub prerequisites: Vec<&'a str>,
    pub parameters: Vec<&'a str>,
}

#[derive(Serialize)]
pub struct Csf20Json<'a> {
    pub id: &'a str,
    /// The CSF 1.1 reference it was mapped from; absent when we added it ourselves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<&'a str>,
}

#[derive(Serialize)]
pub struct MappingJson<'a> {
    pub refs: Vec<&'a str>,
    pub provenance: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'a str>,
}

#[derive(Serialize)]
pub struct CriterionJson<'a> {
    pub id: &'a str,
    pub text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guidance: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub numbers: Vec<NumberJson<'a>>,
}

#[derive(Serialize)]
pub struct ActionJson<'a> {
    pub id: &'a str,
    pub text: &'a str,
    pub effort: &'static str,
    pub cost: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub numbers: Vec<NumberJson<'a>>,
}

/// A number or cadence of a criterion or action and whose it is.
#[derive(Serialize)]
pub struct NumberJson<'a> {
    pub says: &'a str,
    /// `hicp`, `published` or `ours` (our suggestion).
    pub origin: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

fn numbers(labels: &[NumberLabel]) -> Vec<NumberJson<'_>> {
    labels
        .iter()
        .map(|n| {
            let (source, reason) = match &n.origin {
                NumberOrigin::Hicp { source } | NumberOrigin::Published { source } => {
                    (Some(source.as_str()), None)
                }
                NumberOrigin::Ours { reason } => (None, Some(reason.as_str())),
            };
            NumberJson {
                says: &n.says,
                origin: n.origin.name(),
                source,
                reason,
            }
        })
        .collect()
}

fn mapping(m: &Mapping) -> MappingJson<'_> {
    MappingJson {
        refs: m.refs.iter().map(String::as_str).collect(),
        provenance: m.provenance.name(),
        note: m.note.as_deref(),
    }
}

pub fn sub_practice<'a>(catalog: &'a Catalog, s: &'a SubPractice) -> SubPracticeJson<'a> {
    SubPracticeJson {
        id: s.id.as_str(),
        practice: s.practice,
        practice_name: catalog.practice(s.practice).map_or("", |p| p.name.as_str()),
        tier: s.tier.name(),
        title: &s.title,
        title_provenance: s.title_provenance.name(),
        title_edition: s.title_edition.as_deref(),
        summary: &s.summary,
        threats: catalog.threats_of(s).iter().map(|t| t.as_str()).collect(),
        key_threats: s.key_threats.iter().map(|t| t.as_str()).collect(),
        key_threats_provenance: "derived",
        csf: s.csf20.iter().map(|c| c.id.as_str()).collect(),
        csf_provenance: "derived",
        csf_detail: s
            .csf20
            .iter()
            .map(|c| Csf20Json {
                id: &c.id,
                via: c.via.as_deref(),
                label: catalog.csf20_label(&c.id),
            })
            .collect(),
        csf11: mapping(&s.csf11),
        cpg: mapping(&s.cpg),
        hipaa: mapping(&s.hipaa),
        criteria: s
            .criteria
            .iter()
            .map(|c| CriterionJson {
                id: c.id.as_str(),
                text: &c.text,
                guidance: c.guidance.as_deref(),
                numbers: numbers(&c.numbers),
            })
            .collect(),
        actions: s
            .actions
            .iter()
            .map(|a| ActionJson {
                id: a.id.as_str(),
                text: &a.text,
                effort: a.effort.name(),
                cost: &a.cost,
                numbers: numbers(&a.numbers),
            })
            .collect(),
        prerequisites: s.prerequisites.iter().map(|p| p.as_str()).collect(),
        parameters: s.parameters.iter().map(String::as_str).collect(),
    }
}

pub fn sub_practices<'a>(
    catalog: &'a Catalog,
    subs: &[&'a SubPractice],
) -> Vec<SubPracticeJson<'a>> {
    subs.iter().map(|s| sub_practice(catalog, s)).collect()
}

#[derive(Serialize)]
pub struct ThreatJson<'a> {
    pub id: &'a str,
    pub number: u8,
    pub name: &'a str,
    pub name_provenance: &'static str,
    /// The edition a verified name was checked against; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_edition: Option<&'a str>,
    pub aliases: Vec<&'a str>,
    pub summary: &'a str,
    pub vulnerabilities: &'a [String],
    pub vulnerabilities_provenance: &'static str,
    pub impact_patients: &'a str,
    pub impact_organization: &'a str,
    pub tips: &'a [String],
    /// Practice numbers that mitigate it (HICP's matrix).
    pub practices: Vec<u8>,
}

pub fn threat<'a>(catalog: &'a Catalog, t: &'a Threat) -> ThreatJson<'a> {
    ThreatJson {
        id: t.id.as_str(),
        number: t.number,
        name: &t.name,
        name_provenance: t.name_provenance.name(),
        name_edition: t.name_edition.as_deref(),
        aliases: t.aliases.iter().map(|a| a.name.as_str()).collect(),
        summary: &t.summary,
        vulnerabilities: &t.vulnerabilities,
        vulnerabilities_provenance: t.vulnerabilities_provenance.name(),
        impact_patients: &t.impact_patients,
        impact_organization: &t.impact_organization,
        tips: &t.tips,
        practices: catalog
            .practices
            .iter()
            .filter(|p| p.threats.contains(&t.id))
            .map(|p| p.number)
            .collect(),
    }
}

#[derive(Serialize)]
pub struct PracticeJson<'a> {
    pub number: u8,
    pub name: &'a str,
    pub name_provenance: &'static str,
    /// The edition a verified name was checked against; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_edition: Option<&'a str>,
    pub aliases: Vec<&'a str>,
    pub summary: &'a str,
    pub threats: Vec<&'a str>,
    pub threats_provenance: &'static str,
    pub data_at_risk: Vec<&'static str>,
    pub metrics: &'a [String],
}

#[derive(Serialize)]
pub struct CatalogJson<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub edition: &'a str,
    /// The edition whose text `verified` titles and names were checked against by default.
    pub verified_against: &'a str,
    pub version: u32,
    pub threats: Vec<ThreatJson<'a>>,
    pub practices: Vec<PracticeJson<'a>>,
    pub sub_practices: Vec<SubPracticeJson<'a>>,
}

/// The whole catalog (`hicp catalog export --format json`).
pub fn catalog(c: &Catalog) -> CatalogJson<'_> {
    CatalogJson {
        id: &c.meta.id,
        title: &c.meta.title,
        edition: &c.meta.edition,
        verified_against: &c.meta.verified_against,
        version: c.meta.version,
        threats: c.threats.iter().map(|t| threat(c, t)).collect(),
        practices: c
            .practices
            .iter()
            .map(|p| PracticeJson {
                number: p.number,
                name: &p.name,
                name_provenance: p.name_provenance.name(),
                name_edition: p.name_edition.as_deref(),
                aliases: p.aliases.iter().map(|a| a.name.as_str()).collect(),
                summary: &p.summary,
                threats: p.threats.iter().map(|t| t.as_str()).collect(),
                threats_provenance: p.threats_provenance.name(),
                data_at_risk: p.data_at_risk.iter().map(|d| d.name()).collect(),
                metrics: &p.metrics,
            })
            .collect(),
        sub_practices: c.sub_practices.iter().map(|s| sub_practice(c, s)).collect(),
    }
}
