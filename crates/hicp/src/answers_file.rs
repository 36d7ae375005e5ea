//! What every command on an answers file starts with: the assessment date and the file itself.

use crate::InvalidInput;
use hicp_core::assessment::{Answers, Date, parse};
use hicp_core::catalog::Catalog;
use std::path::Path;

/// The date given with `--as-of`, or today.
pub(crate) fn as_of(arg: Option<&str>) -> anyhow::Result<Date> {
    match arg {
        // The only clock of the CLI: the engine is given the date, never reads it.
        None => Ok(hicp_app::today()),
        Some(s) => Date::parse(s).map_err(|e| InvalidInput(format!("--as-of: {e}")).into()),
    }
}

/// Reads and validates an answers file; problems are [`InvalidInput`] (exit code 2).
pub(crate) fn load(file: &Path, c: &Catalog, as_of: Date) -> anyhow::Result<Answers> {
    let bytes = std::fs::read(file).map_err(|e| {
        InvalidInput(format!(
            "{}: cannot read the answers file: {e}",
            file.display()
        ))
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| InvalidInput(format!("{}: not UTF-8 text", file.display())))?;
    parse(&file.display().to_string(), &text, c, as_of)
        .map_err(|e| InvalidInput(e.to_string()).into())
}
