//! Shared by the report tests: the built-in catalog and the example answers files.

#![allow(dead_code)]

use hicp_core::assessment::{Answers, Date, parse};
use hicp_core::catalog::{Catalog, SourceFile, load};

pub fn builtin() -> Catalog {
    let files: Vec<SourceFile> = hicp_content::builtin_files()
        .into_iter()
        .map(|(path, text)| SourceFile { path, text })
        .collect();
    load(hicp_content::BUILTIN_ROOT, &files).expect("built-in catalog loads")
}

pub fn as_of() -> Date {
    Date::parse("2026-10-01").unwrap()
}

pub fn answers(c: &Catalog, path: &str) -> Answers {
    let text = std::fs::read_to_string(path).unwrap();
    parse(path, &text, c, as_of()).unwrap()
}

/// One of `examples/*.yaml`, by name.
pub fn example(c: &Catalog, name: &str) -> Answers {
    answers(
        c,
        &format!("{}/../../examples/{name}.yaml", env!("CARGO_MANIFEST_DIR")),
    )
}

/// One of `tests/fixtures/*.yaml`, by name.
pub fn fixture(c: &Catalog, name: &str) -> Answers {
    answers(
        c,
        &format!("{}/tests/fixtures/{name}.yaml", env!("CARGO_MANIFEST_DIR")),
    )
}
