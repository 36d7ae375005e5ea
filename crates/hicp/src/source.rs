//! Where the catalog comes from: the built-in one, or a folder on disk.

use crate::InvalidInput;
use anyhow::Context;
use hicp_core::catalog::{Catalog, SourceFile, load};
use std::path::Path;

/// The built-in catalog, or the one in `dir`. An invalid catalog is [`InvalidInput`].
pub fn catalog(dir: Option<&Path>) -> anyhow::Result<Catalog> {
    let (root, files) = match dir {
        Some(d) => (d.display().to_string(), read_dir(d)?),
        None => (
            hicp_content::BUILTIN_ROOT.to_owned(),
            hicp_content::builtin_files()
                .into_iter()
                .map(|(path, text)| SourceFile { path, text })
                .collect(),
        ),
    };
    load(&root, &files).map_err(|e| InvalidInput(e.to_string()).into())
}

/// Every `.yaml`/`.yml` file under `dir`, with paths relative to it.
fn read_dir(dir: &Path) -> anyhow::Result<Vec<SourceFile>> {
    if !dir.is_dir() {
        return Err(InvalidInput(format!(
            "{}: not a catalog folder (no such directory)",
            dir.display()
        ))
        .into());
    }
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let is_yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
            if !is_yaml {
                continue;
            }
            let rel = path
                .strip_prefix(dir)
                .expect("walked paths are under the root")
                .to_string_lossy()
                .replace('\\', "/");
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| InvalidInput(format!("{}: not UTF-8 text", path.display())))?;
            out.push(SourceFile { path: rel, text });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}
