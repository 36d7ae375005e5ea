//! The catalog as an OSCAL 1.2.3 catalog (JSON).
//!
//! Practices become groups and sub-practices controls. Criteria are `assessment-objective`
//! parts, actions are `action` parts in our namespace, and every mapping is a prop whose
//! `class` is its provenance, so an OSCAL reader can tell HICP's references from ours.

use hicp_core::assessment::Date;
use hicp_core::catalog::{Catalog, Mapping, SubPractice};
use serde::Serialize;
use uuid::Uuid;

pub const OSCAL_VERSION: &str = "1.2.3";
/// Our namespace for props and parts OSCAL does not define.
pub const NS: &str = "urn:hicp-toolkit:oscal";
/// Fixed namespace for deterministic (v5) UUIDs: the same catalog always gets the same UUIDs.
const UUID_NS: Uuid = Uuid::from_u128(0x6b1d_5a6e_3f0c_4c1e_9a57_2f1d_0e4b_c11f);

#[derive(Serialize)]
pub struct Document {
    pub catalog: OscalCatalog,
}

#[derive(Serialize)]
pub struct OscalCatalog {
    pub uuid: String,
    pub metadata: Metadata,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Param>,
    pub groups: Vec<Group>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Metadata {
    pub title: String,
    pub last_modified: String,
    pub version: String,
    pub oscal_version: &'static str,
    pub props: Vec<Prop>,
    pub remarks: String,
}

#[derive(Serialize)]
pub struct Prop {
    pub name: String,
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ns: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
}

#[derive(Serialize)]
pub struct Param {
    pub id: String,
    pub label: String,
    pub props: Vec<Prop>,
    pub values: Vec<String>,
    pub remarks: String,
}

#[derive(Serialize)]
pub struct Group {
    pub id: String,
    pub class: &'static str,
    pub title: String,
    pub props: Vec<Prop>,
    pub parts: Vec<Part>,
    pub controls: Vec<Control>,
}

#[derive(Serialize)]
pub struct Control {
    pub id: String,
    pub class: &'static str,
    pub title: String,
    pub props: Vec<Prop>,
    pub parts: Vec<Part>,
}

#[derive(Serialize)]
pub struct Part {
    pub id: String,
    pub name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ns: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Prop>,
    pub prose: String,
}

fn prop(name: &str, value: &str) -> Prop {
    Prop {
        name: name.to_owned(),
        value: value.to_owned(),
        ns: None,
        class: None,
    }
}

fn our_prop(name: &str, value: &str, class: Option<&str>) -> Prop {
    Prop {
        name: name.to_owned(),
        value: value.to_owned(),
        ns: Some(NS),
        class: class.map(str::to_owned),
    }
}

/// An OSCAL token starts with a letter; HICP ids start with a digit.
pub fn control_id(sub_practice: &str) -> String {
    format!("hicp-{sub_practice}")
}

fn mapping_props<'a>(name: &str, m: &'a Mapping) -> impl Iterator<Item = Prop> + 'a {
    let name = name.to_owned();
    m.refs
        .iter()
        .map(move |r| our_prop(&name, r, Some(m.provenance.name())))
}

fn control(catalog: &Catalog, s: &SubPractice) -> Control {
    let id = control_id(s.id.as_str());
    let mut props = vec![
        prop("label", s.id.as_str()),
        our_prop("tier", s.tier.name(), None),
        our_prop("title-provenance", s.title_provenance.name(), None),
    ];
    props.extend(
        catalog
            .threats_of(s)
            .iter()
            .map(|t| our_prop("threat", t.as_str(), Some("verified"))),
    );
    props.extend(
        s.key_threats
            .iter()
            .map(|t| our_prop("key-threat", t.as_str(), Some("derived"))),
    );
    props.extend(mapping_props("nist-csf-1.1", &s.csf11));
    props.extend(
        s.csf20
            .iter()
            .map(|c| our_prop("nist-csf-2.0", &c.id, Some("derived"))),
    );
    props.extend(mapping_props("hph-cpg", &s.cpg));
    props.extend(mapping_props("hipaa-security-rule", &s.hipaa));
    props.extend(
        s.prerequisites
            .iter()
            .map(|p| our_prop("prerequisite", p.as_str(), None)),
    );

    let mut parts = vec![Part {
        id: format!("{id}_smt"),
        name: "statement",
        ns: None,
        props: vec![],
        prose: s.summary.clone(),
    }];
    for (i, c) in s.criteria.iter().enumerate() {
        let mut prose = c.text.clone();
        if let Some(g) = &c.guidance {
            prose.push_str("\n\n");
            prose.push_str(g);
        }
        parts.push(Part {
            id: format!("{id}_obj.{}", i + 1),
            name: "assessment-objective",
            ns: None,
            props: vec![prop("label", c.id.as_str())],
            prose,
        });
    }
    for (i, a) in s.actions.iter().enumerate() {
        parts.push(Part {
            id: format!("{id}_act.{}", i + 1),
            name: "action",
            ns: Some(NS),
            props: vec![
                prop("label", a.id.as_str()),
                our_prop("effort", a.effort.name(), None),
                our_prop("cost", &a.cost, None),
            ],
            prose: a.text.clone(),
        });
    }
    Control {
        id,
        class: "sub-practice",
        title: s.title.clone(),
        props,
        parts,
    }
}

/// An OSCAL date-time: midnight UTC of a date.
pub(crate) fn stamp(d: Date) -> String {
    format!("{d}T00:00:00Z")
}

/// The whole catalog as an OSCAL catalog document. Its `last-modified` is the catalog's
/// version date, not the clock: the same catalog always gives the same bytes.
pub fn catalog(catalog: &Catalog) -> Document {
    let groups = catalog
        .practices
        .iter()
        .map(|p| {
            let gid = format!("practice-{}", p.number);
            let mut props = vec![
                prop("label", &p.number.to_string()),
                our_prop("name-provenance", p.name_provenance.name(), None),
            ];
            props.extend(
                p.threats
                    .iter()
                    .map(|t| our_prop("threat", t.as_str(), Some(p.threats_provenance.name()))),
            );
            let mut parts = vec![Part {
                id: format!("{gid}_ovw"),
                name: "overview",
                ns: None,
                props: vec![],
                prose: p.summary.clone(),
            }];
            if !p.metrics.is_empty() {
                parts.push(Part {
                    id: format!("{gid}_metrics"),
                    name: "metrics",
                    ns: Some(NS),
                    props: vec![],
                    prose: p
                        .metrics
                        .iter()
                        .map(|m| format!("- {m}"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                });
            }
            let controls = catalog
                .sub_practices
                .iter()
                .filter(|s| s.practice == p.number)
                .map(|s| control(catalog, s))
                .collect();
            Group {
                id: gid,
                class: "practice",
                title: p.name.clone(),
                props,
                parts,
                controls,
            }
        })
        .collect();
    let params = catalog
        .parameters
        .iter()
        .flat_map(|p| {
            p.values.iter().map(move |v| Param {
                id: format!("hicp-param-{}-{}", p.id, v.key),
                label: format!("{}: {}", p.name, v.key),
                props: vec![
                    our_prop("unit", &v.unit, None),
                    our_prop("source", &p.source, Some(p.provenance.name())),
                ],
                values: vec![format_number(v.value)],
                remarks: p.summary.clone(),
            })
        })
        .collect();
    let m = &catalog.meta;
    Document {
        catalog: OscalCatalog {
            uuid: Uuid::new_v5(&UUID_NS, format!("{}:{}", m.id, m.version).as_bytes()).to_string(),
            metadata: Metadata {
                title: m.title.clone(),
                last_modified: stamp(m.version_date),
                version: format!("{}-content-{}", m.id, m.version),
                oscal_version: OSCAL_VERSION,
                props: vec![our_prop("edition", &m.edition, None)],
                remarks: format!(
                    "{}\n\nProvenance: each mapping prop carries class verified (checked against \
                     the HHS source), unverified (not yet checked) or derived (worked out by the \
                     HICP Toolkit project, not published by HHS). NIST CSF 2.0 references are \
                     derived through NIST's CSF 1.1 to 2.0 mapping.",
                    m.summary
                ),
            },
            params,
            groups,
        },
    }
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    }
}
