//! The mapping data against the built-in catalog: every id exists, and the timeframes are
//! the catalog's Table 8 parameter.

use hicp_core::catalog::{Catalog, SourceFile, load};
use hicp_evidence::mapping;

fn catalog() -> Catalog {
    let files: Vec<SourceFile> = hicp_content::builtin_files()
        .into_iter()
        .map(|(path, text)| SourceFile { path, text })
        .collect();
    load(hicp_content::BUILTIN_ROOT, &files).expect("the built-in catalog is valid")
}

#[test]
fn the_mapping_data_parses_and_is_labelled_derived() {
    let m = mapping();
    assert_eq!(m.provenance, "derived");
    assert!(m.mscp_rules.len() > 100, "{}", m.mscp_rules.len());
    assert!(!m.medical_device_words.is_empty());
    assert!(hicp_evidence::mapping::MAPPING_YAML.contains("provenance: derived"));
}

#[test]
fn every_id_in_the_mapping_exists_in_the_catalog() {
    let c = catalog();
    let mut missing = Vec::new();
    for id in mapping().ids() {
        let known = if id.matches('.').count() == 3 {
            c.sub_practice_of_criterion(id)
                .is_some_and(|sp| sp.criteria.iter().any(|k| k.id.as_str() == id))
        } else {
            c.sub_practice(id).is_some()
        };
        if !known {
            missing.push(id);
        }
    }
    assert!(missing.is_empty(), "not in the catalog: {missing:?}");
}

#[test]
fn the_timeframes_are_table_8() {
    let c = catalog();
    let p = c
        .parameter("remediation-timeframes")
        .expect("the catalog has Table 8");
    let t = &mapping().timeframes;
    let mut from_mapping: Vec<(String, i64)> = t
        .datacenter
        .iter()
        .map(|(k, v)| (format!("{k}-datacenter"), *v))
        .collect();
    from_mapping.extend(t.dmz.iter().map(|(k, v)| (format!("{k}-dmz"), *v)));
    from_mapping.sort();
    let mut from_catalog: Vec<(String, i64)> = p
        .values
        .iter()
        .map(|v| (v.key.clone(), v.value as i64))
        .collect();
    from_catalog.sort();
    assert_eq!(from_mapping, from_catalog);
}
