//! The OSCAL export validates against NIST's official OSCAL 1.2.3 catalog schema.

use hicp_core::catalog::{Catalog, SourceFile, load};
use hicp_interop::oscal;
use serde_json::Value;

fn builtin() -> Catalog {
    let files: Vec<SourceFile> = hicp_content::builtin_files()
        .into_iter()
        .map(|(path, text)| SourceFile { path, text })
        .collect();
    load(hicp_content::BUILTIN_ROOT, &files).expect("built-in catalog loads")
}

fn schema() -> Value {
    let text = include_str!("fixtures/oscal/oscal_catalog_schema.json");
    serde_json::from_str(text).expect("schema is JSON")
}

fn errors(doc: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(&schema()).expect("NIST's schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn catalog_export_is_valid_oscal() {
    let c = builtin();
    let doc = serde_json::to_value(oscal::catalog(&c)).unwrap();
    let errs = errors(&doc);
    assert!(errs.is_empty(), "OSCAL schema errors:\n{}", errs.join("\n"));

    let groups = doc["catalog"]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 10);
    let controls: usize = groups
        .iter()
        .map(|g| g["controls"].as_array().unwrap().len())
        .sum();
    assert_eq!(controls, 89);
    // A control keeps HICP's id as its label, and its criteria as assessment objectives.
    let p7 = &groups[6]["controls"];
    let d = p7
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "hicp-7.M.D")
        .unwrap();
    assert!(
        d["props"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "label" && p["value"] == "7.M.D")
    );
    let objectives = d["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "assessment-objective")
        .count();
    assert_eq!(objectives, c.sub_practice("7.M.D").unwrap().criteria.len());
}

#[test]
fn the_schema_check_catches_a_broken_document() {
    // Guards the test above: a validator that accepts anything would prove nothing.
    let c = builtin();
    let mut doc = serde_json::to_value(oscal::catalog(&c)).unwrap();
    doc["catalog"]["groups"][0]["controls"][0]["id"] = Value::from("1.S.A");
    doc["catalog"]["metadata"]["last-modified"] = Value::from("yesterday");
    let errs = errors(&doc);
    assert!(errs.len() >= 2, "{errs:?}");
}

#[test]
fn export_is_deterministic_and_dated_by_the_catalog_version() {
    let c = builtin();
    let a = serde_json::to_string(&oscal::catalog(&c)).unwrap();
    let b = serde_json::to_string(&oscal::catalog(&c)).unwrap();
    assert_eq!(a, b);
    let doc: Value = serde_json::from_str(&a).unwrap();
    assert_eq!(
        doc["catalog"]["metadata"]["last-modified"],
        format!("{}T00:00:00Z", c.meta.version_date)
    );
}
