//! The self-contained HTML report: one file, inline CSS with a print stylesheet, charts as
//! inline SVG, no script and no external asset.

use crate::ReportError;
use crate::model::Report;
use askama::Template;
use hicp_core::assessment::Answers;
use hicp_interop::assessment::Assessed;

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    r: &'a Report,
}

/// Renders the report of an assessed answers file, with what changed since `previous` (the
/// previous answers file and a label for it, such as its date or name) when given.
pub fn report(a: &Assessed, previous: Option<(&Answers, &str)>) -> Result<String, ReportError> {
    let r = crate::model::build(a, previous);
    render(&r)
}

/// Renders a built view-model.
pub fn render(r: &Report) -> Result<String, ReportError> {
    Ok(Page { r }.render()?)
}

/// One `<section id="...">` of a rendered report, for tests and excerpts.
pub fn section<'h>(html: &'h str, id: &str) -> Option<&'h str> {
    let start = html.find(&format!("<section id=\"{id}\""))?;
    let end = html[start..].find("</section>")? + start + "</section>".len();
    Some(&html[start..end])
}
