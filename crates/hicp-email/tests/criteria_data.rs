//! The finding-to-criteria table is data (`data/criteria.yaml`); hold it to the codes and
//! to the built-in catalog.

use hicp_core::catalog::{SourceFile, load};
use hicp_email::report::{Code, criteria_for, criteria_table};
use std::collections::BTreeSet;

#[test]
fn every_code_maps_to_existing_practice_1_criteria() {
    let files: Vec<SourceFile> = hicp_content::builtin_files()
        .into_iter()
        .map(|(path, text)| SourceFile { path, text })
        .collect();
    let catalog = load(hicp_content::BUILTIN_ROOT, &files).expect("the built-in catalog loads");
    let known: BTreeSet<String> = catalog
        .sub_practices
        .iter()
        .flat_map(|sp| sp.criteria.iter().map(|c| c.id.to_string()))
        .collect();
    let table = criteria_table().expect("data/criteria.yaml parses");
    let codes: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    let keys: BTreeSet<&str> = table.keys().map(String::as_str).collect();
    assert_eq!(
        codes, keys,
        "data/criteria.yaml must list exactly the finding codes"
    );
    for (code, ids) in &table {
        assert!(!ids.is_empty(), "{code} maps to no criterion");
        for id in ids {
            assert!(
                known.contains(id),
                "{code}: {id} is not a criterion of the catalog"
            );
            assert!(id.starts_with("1."), "{code}: {id} is not in practice 1");
        }
    }
    assert_eq!(criteria_for(Code::SpfMissing), vec!["1.M.A.c3".to_string()]);
}
