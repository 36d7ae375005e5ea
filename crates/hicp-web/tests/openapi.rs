//! The API's OpenAPI document is valid OpenAPI 3.1 (checked against the OpenAPI
//! Initiative's JSON Schema, vendored in `tests/fixtures/`) and names every operation.

fn schema() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/openapi-3.1-schema.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_document_is_valid_openapi_3_1() {
    let doc = hicp_web::openapi_document();
    assert_eq!(doc["openapi"], "3.1.0");
    let validator = jsonschema::validator_for(&schema()).expect("the OAS schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn every_operation_is_described_with_its_errors() {
    let doc = hicp_web::openapi_document();
    let paths = doc["paths"].as_object().unwrap();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.contains_key("401"),
                "{method} {path}: a missing or bad token must be described"
            );
            for (code, r) in responses {
                if code.starts_with('4') || code.starts_with('5') {
                    assert!(
                        r["content"].get("application/problem+json").is_some(),
                        "{method} {path} {code}: errors are problem details"
                    );
                }
            }
        }
    }
    for p in [
        "/api/v1/orgs",
        "/api/v1/orgs/{org}/answers",
        "/api/v1/orgs/{org}/answers/{criterion}",
        "/api/v1/orgs/{org}/answers-file",
        "/api/v1/orgs/{org}/snapshots",
        "/api/v1/orgs/{org}/evidence",
        "/api/v1/orgs/{org}/evidence/{id}",
        "/api/v1/orgs/{org}/reports/{format}",
    ] {
        assert!(paths.contains_key(p), "{p} is not described");
    }
}

/// Every `$ref` names a schema the document has (tools stop on one that does not).
#[test]
fn every_reference_resolves() {
    fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    if k == "$ref" {
                        out.push(x.as_str().unwrap_or_default().to_owned());
                    }
                    refs(x, out);
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let doc = hicp_web::openapi_document();
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {r}"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{r} does not resolve"
        );
    }
}
