//! Errors found while loading a catalog, each naming its file, line and field.

use std::fmt;

/// One problem in one place of a catalog file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as the caller named it (root joined with the relative path).
    pub file: String,
    /// 1-based; 0 when the problem concerns the whole file.
    pub line: u64,
    pub column: u64,
    /// Dotted path of the field, e.g. `sub_practices[3].cpg.refs`, or `1.S.A.cpg.refs`.
    pub field: String,
    pub message: String,
}

impl Diagnostic {
    /// A problem at `loc`, a place in `file` that the YAML parser recorded.
    pub(crate) fn at(
        file: &str,
        loc: &serde_saphyr::Location,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            file: file.to_owned(),
            line: loc.line(),
            column: loc.column(),
            field: field.into(),
            message: message.into(),
        }
    }

    /// A file that is not YAML of the expected shape: the parser's message, without the
    /// snippet and the location it appends (the diagnostic carries the location itself).
    pub(crate) fn yaml(file: &str, e: &serde_saphyr::Error) -> Diagnostic {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        let message = e.without_snippet().to_string();
        let message = message.lines().next().unwrap_or_default().trim();
        let message = match message.rfind(" at line ") {
            Some(i) if message[i..].contains(", column ") => &message[..i],
            _ => message,
        };
        Diagnostic {
            file: file.to_owned(),
            line,
            column,
            field: "(yaml)".to_owned(),
            message: message.to_owned(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}: {}", self.file, self.field, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}: {}",
                self.file, self.line, self.column, self.field, self.message
            )
        }
    }
}

/// A catalog that failed validation: every problem found, in file order.
#[derive(Debug, thiserror::Error)]
pub struct CatalogError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.diagnostics.len();
        writeln!(
            f,
            "the catalog is invalid: {n} problem{}",
            if n == 1 { "" } else { "s" }
        )?;
        for d in &self.diagnostics {
            writeln!(f, "  {d}")?;
        }
        Ok(())
    }
}

/// The nearest valid value to `wrong`, if one is close enough to be a likely typo.
pub fn nearest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = wrong.to_lowercase();
    let limit = (w.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&w, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// " (did you mean "X"?)" or "".
pub(crate) fn did_you_mean<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    match nearest(wrong, candidates) {
        Some(s) => format!(" (did you mean \"{s}\"?)"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_finds_typos_but_not_strangers() {
        let ids = ["3.M.A", "3.M.B", "7.M.D", "E1", "E10"];
        assert_eq!(nearest("3.M.b", ids), Some("3.M.B"));
        assert_eq!(nearest("7.M.E", ids), Some("7.M.D"));
        assert_eq!(nearest("E11", ids), Some("E1"));
        assert_eq!(nearest("ransomware-of-doom", ids), None);
    }
}
