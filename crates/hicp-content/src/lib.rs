//! The built-in HICP catalog (`catalog/hicp-2023/` in the repository), embedded at build time.
//!
//! This crate only carries text; [`hicp_core::catalog::load`] validates it.

use include_dir::{Dir, include_dir};

static HICP_2023: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../catalog/hicp-2023");

/// Where the built-in catalog lives in the repository; diagnostics name files under it.
pub const BUILTIN_ROOT: &str = "catalog/hicp-2023";

/// The built-in catalog's files: path relative to the catalog root, and text.
pub fn builtin_files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    collect(&HICP_2023, &mut out);
    out.sort();
    out
}

fn collect(dir: &Dir<'_>, out: &mut Vec<(String, String)>) {
    for f in dir.files() {
        if let Some(text) = f.contents_utf8() {
            let path = f.path().to_string_lossy().replace('\\', "/");
            out.push((path, text.to_owned()));
        }
    }
    for d in dir.dirs() {
        collect(d, out);
    }
}
