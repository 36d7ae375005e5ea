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

#[test]
fn mscp_rules_in_xccdf_results_carry_their_hicp_ids() {
    let xml = br#"<?xml version="1.0"?>
<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.2" id="xccdf_gov.nist.mscp.content_benchmark_hicp_lp">
<TestResult id="xccdf_gov.nist.mscp.content_testresult_1" end-time="2026-03-01T10:00:00">
<rule-result idref="xccdf_gov.nist.mscp.content_rule_os_gatekeeper_enable"><result>fail</result></rule-result>
<rule-result idref="xccdf_gov.nist.mscp.content_rule_audit_auditd_enabled"><result>pass</result></rule-result>
<rule-result idref="xccdf_org.example_rule_not_mapped"><result>notchecked</result></rule-result>
</TestResult></Benchmark>"#;
    let date = hicp_core::assessment::Date::parse("2026-03-02").unwrap();
    let i = hicp_evidence::import(
        &xml[..],
        hicp_evidence::Kind::Xccdf,
        &hicp_evidence::Options::new(date),
    )
    .unwrap();
    let hicp: Vec<Vec<String>> = i.compliance.iter().map(|c| c.hicp.clone()).collect();
    assert_eq!(
        hicp,
        [
            vec!["1.L.B".to_owned(), "2.L.A".to_owned()],
            vec!["8.L.A".to_owned()],
            vec![]
        ]
    );
    assert_eq!(i.source.generated.as_deref(), Some("2026-03-01T10:00:00"));
    let ids: Vec<&str> = i.criteria.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["1.L.B", "2.L.A", "8.L.A"]);
    let s: Vec<_> = i
        .criteria
        .iter()
        .map(|c| c.suggested_status.map(|s| s.name()))
        .collect();
    assert_eq!(s, [Some("partial"), Some("partial"), Some("largely")]);
}

#[test]
fn observations_are_keyed_to_one_assessments_criteria() {
    use hicp_core::assessment::Status;
    use hicp_evidence::Observation;
    let c = catalog();
    let sp = c.sub_practice("2.S.A").expect("2.S.A exists");
    let first = sp.criteria[0].id.as_str();
    let obs = |id: &str, text: &str, s: Option<Status>| Observation {
        id: id.into(),
        observation: text.into(),
        suggested_status: s,
    };
    let observations = [
        obs("2.S.A", "3 rules pass.", Some(Status::Largely)),
        obs(first, "Another file says so.", Some(Status::Partial)),
        obs("7.M.D.c2", "Late findings.", Some(Status::Partial)),
        obs("9.Z.Z.c9", "Unknown id.", None),
    ];
    // The scope: 2.S.A's criteria, in reverse, and a criterion nothing names.
    let mut scope: Vec<&str> = sp.criteria.iter().map(|k| k.id.as_str()).collect();
    scope.reverse();
    scope.push("1.S.A.c1");
    let s = hicp_evidence::scoped(&observations, &c, &scope);
    assert_eq!(s.criteria.len(), sp.criteria.len());
    // In the scope's order; each criterion of the sub-practice gets its observation.
    assert_eq!(s.criteria.last().unwrap().id, first);
    let joined = s.criteria.last().unwrap();
    assert_eq!(joined.observation, "3 rules pass. Another file says so.");
    assert_eq!(
        joined.suggested_status,
        Some(Status::Partial),
        "the cautious one"
    );
    if sp.criteria.len() > 1 {
        assert_eq!(s.criteria[0].observation, "3 rules pass.");
        assert_eq!(s.criteria[0].suggested_status, Some(Status::Largely));
    }
    assert_eq!(s.outside_scope, ["7.M.D.c2"], "unknown ids are dropped");
}
