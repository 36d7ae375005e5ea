//! Property-based fuzzing with a modest case count for CI; `examples/fuzz.rs` runs the same
//! properties a million times per parser.

mod fuzz_support;

use fuzz_support::{apply, check, edits, options, seeds};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_real_files_never_panic(which in 0usize..13, e in edits()) {
        let seeds = seeds();
        let (_, seed) = seeds[which % seeds.len()];
        let bytes = apply(seed, &e);
        prop_assert_eq!(check(&bytes, &options()), Ok(()));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        prop_assert_eq!(check(&bytes, &options()), Ok(()));
    }

    #[test]
    fn every_cve_in_a_field_is_found(ids in proptest::collection::vec((1999u32..2100, 1000u32..9_999_999), 1..6)) {
        let text: Vec<String> = ids.iter().map(|(y, n)| format!("CVE-{y}-{n:04}")).collect();
        let found = hicp_evidence::CveId::all_in(&text.join(", "));
        let mut want = text.clone();
        want.dedup();
        let mut seen = std::collections::BTreeSet::new();
        want.retain(|x| seen.insert(x.clone()));
        prop_assert_eq!(found.iter().map(|c| c.as_str().to_owned()).collect::<Vec<_>>(), want);
    }
}

#[test]
fn every_seed_imports_cleanly() {
    for (name, seed) in seeds() {
        let i = hicp_evidence::import(seed, hicp_evidence::Kind::Auto, &options())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(i.records > 0, "{name}");
    }
}
