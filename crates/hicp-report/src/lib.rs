//! Reports of an assessment: the self-contained HTML report (with its SVG charts), the same
//! report as PDF (typst as a library, no browser; cargo feature `pdf`, on by default), and the
//! starter policy documents and incident response plan (`hicp templates`).
//!
//! Built from `hicp-core` (scores, plan, 12-month check) and `hicp-interop` (the assessed
//! answers file). Knows no files, HTTP or terminal: it returns strings (and the PDF as bytes).

pub mod charts;
pub mod html;
pub mod model;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod policies;

/// Escapes text for HTML and SVG.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An error rendering a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("could not render the report: {0}")]
    Render(#[from] askama::Error),
    #[error("could not render the PDF report: {0}")]
    Pdf(String),
}
