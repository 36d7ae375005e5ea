//! Spreadsheets of an assessment: an XLSX workbook (answers, scores, action plan, and the
//! open scan findings to fix first when the export has them), the action plan as CSV and
//! the findings as CSV. Every text cell goes through [`safe_cell`], so a value such as
//! `=HYPERLINK(...)` typed into an answers file stays text in a spreadsheet program.

use crate::ExportError;
use crate::assessment::{Assessed, two_places};
use crate::catalog_csv::safe_cell;
use hicp_core::assessment::scoring::{CsfLevel, round1};
use rust_xlsxwriter::{Format, Workbook};

/// The status cell of a criterion without an answer.
pub const NOT_ANSWERED: &str = "not answered yet";

/// One cell of a sheet.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl Cell {
    /// A text cell, made inert for spreadsheets; an empty string is an empty cell.
    pub fn text(s: &str) -> Cell {
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(safe_cell(s))
        }
    }

    fn score(s: Option<f64>) -> Cell {
        s.map_or(Cell::Empty, |v| Cell::Number(round1(v)))
    }

    fn two_places(v: f64) -> Cell {
        Cell::Number(two_places(v))
    }

    /// The cell as CSV text.
    pub fn as_csv(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => format!("{n}"),
            Cell::Empty => String::new(),
        }
    }
}

/// A sheet: its name, header row and data rows.
pub struct Sheet {
    pub name: &'static str,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// The sheets of the workbook, in order: answers, scores, action plan, and findings when
/// the export is made with the organization's scan findings ([`Assessed::findings`]).
pub fn sheets(a: &Assessed) -> Vec<Sheet> {
    let mut out = vec![answers_sheet(a), scores_sheet(a), plan_sheet(a)];
    if a.findings.is_some() {
        out.push(findings_sheet(a));
    }
    out
}

/// "yes" or "no", as a cell.
fn yes_no(b: bool) -> Cell {
    Cell::text(if b { "yes" } else { "no" })
}

/// The ranked open scan findings (KEV-listed first, then most overdue), one row each, in
/// the columns of the report's findings table ([`crate::findings::FindingRow`]); no rows
/// when the export has none. Shared by the workbook and the findings CSV.
fn findings_sheet(a: &Assessed) -> Sheet {
    let rows = a
        .findings
        .iter()
        .flat_map(|p| p.items.iter())
        .map(|r| {
            let row = crate::findings::finding_row(r);
            vec![
                Cell::Number(row.rank as f64),
                Cell::text(&row.host),
                Cell::text(&row.title),
                Cell::text(&row.cves),
                Cell::text(&row.severity),
                Cell::text(&row.since),
                Cell::text(&row.due),
                yes_no(row.overdue),
                yes_no(row.kev),
                Cell::text(&row.why),
            ]
        })
        .collect();
    Sheet {
        name: "findings",
        header: vec![
            "rank", "host", "title", "cves", "severity", "since", "due", "overdue", "kev", "why",
        ],
        rows,
    }
}

fn answers_sheet(a: &Assessed) -> Sheet {
    let mut rows = Vec::new();
    for sp in a.answers.scope(a.catalog) {
        for c in &sp.criteria {
            let ans = a.answers.answer(c.id.as_str());
            // Evidence on a question not answered yet is on file too; the status column says
            // it is not answered.
            let evidence: Vec<String> = a
                .answers
                .evidence_on_file(c.id.as_str())
                .iter()
                .map(|e| {
                    let mut s = e.title.clone();
                    if let Some(d) = e.collected {
                        s.push_str(&format!(" (collected {d})"));
                    }
                    if let Some(l) = &e.location {
                        s.push_str(&format!(" at {l}"));
                    }
                    s
                })
                .collect();
            rows.push(vec![
                Cell::text(sp.id.as_str()),
                Cell::text(&sp.title),
                Cell::text(c.id.as_str()),
                Cell::text(&c.text),
                // A question without an answer is not one answered "not started".
                // In words ("not started"), never the file's internal value.
                Cell::text(&if a.answers.is_answered(c.id.as_str()) {
                    ans.status.name().replace('_', " ")
                } else {
                    NOT_ANSWERED.to_owned()
                }),
                Cell::text(ans.owner.as_deref().unwrap_or("")),
                Cell::text(&ans.in_place_since.map_or(String::new(), |d| d.to_string())),
                Cell::text(ans.notes.as_deref().unwrap_or("")),
                Cell::text(ans.reason.as_deref().unwrap_or("")),
                Cell::text(&evidence.join("; ")),
            ]);
        }
    }
    Sheet {
        name: "answers",
        header: vec![
            "sub_practice",
            "title",
            "criterion",
            "criterion_text",
            "status",
            "owner",
            "in_place_since",
            "notes",
            "not_applicable_reason",
            "evidence",
        ],
        rows,
    }
}

fn scores_sheet(a: &Assessed) -> Sheet {
    let s = &a.scores;
    let mut rows = vec![vec![
        Cell::text("overall"),
        Cell::text("overall"),
        Cell::text("Overall (weighted mean of the threats)"),
        Cell::score(s.overall),
        Cell::Empty,
    ]];
    for t in &s.threats {
        rows.push(vec![
            Cell::text("threat"),
            Cell::text(&t.id),
            Cell::text(&t.name),
            Cell::score(t.score),
            Cell::Empty,
        ]);
    }
    for p in &s.practices {
        rows.push(vec![
            Cell::text("practice"),
            Cell::text(&format!("P{}", p.number)),
            Cell::text(&p.name),
            Cell::score(p.score),
            Cell::Empty,
        ]);
    }
    for x in &s.sub_practices {
        rows.push(vec![
            Cell::text("sub-practice"),
            Cell::text(x.id.as_str()),
            Cell::text(&x.title),
            Cell::score(x.score),
            Cell::Empty,
        ]);
    }
    for x in &s.csf {
        let kind = match x.level {
            CsfLevel::Function => "csf-2.0-function (derived)",
            CsfLevel::Category => "csf-2.0-category (derived)",
        };
        rows.push(vec![
            Cell::text(kind),
            Cell::text(&x.id),
            Cell::text(&x.name),
            Cell::score(x.score),
            Cell::Empty,
        ]);
    }
    for (kind, list) in [
        ("hph-cpg (derived)", &s.cpg),
        ("hipaa-security-rule (derived)", &s.hipaa),
    ] {
        for m in list {
            rows.push(vec![
                Cell::text(kind),
                Cell::text(&m.id),
                Cell::text(&m.name),
                Cell::score(m.score),
                Cell::text(&m.status.name().replace('_', " ")),
            ]);
        }
    }
    Sheet {
        name: "scores",
        header: vec!["kind", "id", "name", "score", "status"],
        rows,
    }
}

/// The action plan rows (shared by the workbook and the CSV).
fn plan_sheet(a: &Assessed) -> Sheet {
    let rows = a
        .plan
        .iter()
        .map(|i| {
            let after: Vec<&str> = i.after.iter().map(|p| p.as_str()).collect();
            vec![
                Cell::Number(i.rank as f64),
                Cell::text(i.horizon.name()),
                Cell::text(&a.due(i).to_string()),
                Cell::text(i.sub_practice.as_str()),
                Cell::text(&i.title),
                Cell::text(i.action.as_str()),
                Cell::text(&i.text),
                Cell::text(i.effort.name()),
                Cell::text(&i.cost),
                Cell::text(&a.action_owners(i).join("; ")),
                Cell::text(a.status(i).words()),
                Cell::score(Some(i.score)),
                Cell::two_places(i.gain),
                Cell::two_places(i.priority),
                Cell::text(&after.join(" ")),
                Cell::text(&i.why),
                Cell::text(a.status_note(i)),
            ]
        })
        .collect();
    Sheet {
        name: "action plan",
        header: vec![
            "rank",
            "horizon",
            "due",
            "sub_practice",
            "title",
            "action",
            "text",
            "effort",
            "cost",
            "owners",
            "status",
            "score",
            "gain",
            "priority",
            "after",
            "why",
            "status_note",
        ],
        rows,
    }
}

/// A readable width for a column, by what it holds.
fn column_width(header: &str) -> f64 {
    match header {
        "criterion_text" | "text" | "why" | "evidence" | "notes" => 60.0,
        "host" | "cves" | "due" => 24.0,
        "title"
        | "name"
        | "not_applicable_reason"
        | "cost"
        | "owners"
        | "owner"
        | "status_note" => 30.0,
        _ => 14.0,
    }
}

/// The most text a spreadsheet cell holds: Excel's limit, counted in UTF-16 code units.
pub const MAX_CELL_LEN: usize = 32_767;

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

fn marker(cut: usize) -> String {
    format!("\u{2026} [truncated: {cut} characters]")
}

/// `s` cut to fit one spreadsheet cell, ending with a visible marker that says how many
/// characters were left out (`… [truncated: 7233 characters]`), and how many that is.
/// `None` when it fits as it is.
pub fn fit_cell(s: &str) -> Option<(String, usize)> {
    if utf16_len(s) <= MAX_CELL_LEN {
        return None;
    }
    let total = s.chars().count();
    // The marker for the whole count is at least as long as the one finally written.
    let budget = MAX_CELL_LEN - utf16_len(&marker(total));
    let (mut used, mut kept) = (0, 0);
    for ch in s.chars() {
        if used + ch.len_utf16() > budget {
            break;
        }
        used += ch.len_utf16();
        kept += 1;
    }
    let cut = total - kept;
    let mut out: String = s.chars().take(kept).collect();
    out.push_str(&marker(cut));
    Some((out, cut))
}

/// A spreadsheet column's letters (0 is A).
fn column_letters(mut col: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

/// The workbook as XLSX bytes.
pub fn xlsx(a: &Assessed) -> Result<Vec<u8>, ExportError> {
    Ok(xlsx_with_warnings(a)?.0)
}

/// The workbook as XLSX bytes, and a warning for each cell whose text was too long for a
/// spreadsheet and was cut (see [`fit_cell`]). A long text never fails the export.
pub fn xlsx_with_warnings(a: &Assessed) -> Result<(Vec<u8>, Vec<String>), ExportError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let mut warnings = Vec::new();
    for sheet in sheets(a) {
        let ws = wb.add_worksheet();
        ws.set_name(sheet.name)?;
        for (col, h) in sheet.header.iter().enumerate() {
            ws.write_string_with_format(0, col as u16, *h, &bold)?;
            ws.set_column_width(col as u16, column_width(h))?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (col, cell) in row.iter().enumerate() {
                let c = col as u16;
                match cell {
                    Cell::Text(s) => match fit_cell(s) {
                        None => {
                            ws.write_string(r, c, s)?;
                        }
                        Some((fitted, cut)) => {
                            warnings.push(format!(
                                "the {} sheet, cell {}{} ({}): {cut} of its {} characters were cut, as a spreadsheet cell holds at most {MAX_CELL_LEN}; the cell ends with a note saying so",
                                sheet.name,
                                column_letters(col),
                                r + 1,
                                sheet.header.get(col).copied().unwrap_or(""),
                                s.chars().count(),
                            ));
                            ws.write_string(r, c, &fitted)?;
                        }
                    },
                    Cell::Number(n) => {
                        ws.write_number(r, c, *n)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
        ws.autofilter(0, 0, sheet.rows.len() as u32, sheet.header.len() as u16 - 1)?;
    }
    Ok((wb.save_to_buffer()?, warnings))
}

/// The action plan as CSV (the same columns as the workbook's "action plan" sheet).
pub fn plan_csv(a: &Assessed, out: impl std::io::Write) -> Result<(), ExportError> {
    let sheet = plan_sheet(a);
    let mut w = csv::Writer::from_writer(out);
    w.write_record(&sheet.header)?;
    for row in &sheet.rows {
        w.write_record(row.iter().map(Cell::as_csv))?;
    }
    w.flush()?;
    Ok(())
}

/// The ranked open scan findings as CSV (the same columns as the workbook's "findings"
/// sheet); only the header when the export was made without findings.
pub fn findings_csv(a: &Assessed, out: impl std::io::Write) -> Result<(), ExportError> {
    let sheet = findings_sheet(a);
    let mut w = csv::Writer::from_writer(out);
    w.write_record(&sheet.header)?;
    for row in &sheet.rows {
        w.write_record(row.iter().map(|c| {
            let c = c.as_csv();
            fit_cell(&c).map_or(c, |(fitted, _)| fitted)
        }))?;
    }
    w.flush()?;
    Ok(())
}

/// Any table as CSV (the web app's portfolio), every cell made inert for spreadsheets
/// ([`crate::catalog_csv::safe_cell`]) and cut to fit a spreadsheet cell.
pub fn table_csv(
    header: &[&str],
    rows: &[Vec<String>],
    out: impl std::io::Write,
) -> Result<(), ExportError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(header)?;
    for row in rows {
        w.write_record(row.iter().map(|c| {
            let c = crate::catalog_csv::safe_cell(c);
            fit_cell(&c).map_or(c, |(fitted, _)| fitted)
        }))?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_as_csv_have_inert_cells() {
        let mut out = Vec::new();
        table_csv(
            &["name", "score"],
            &[
                vec!["=HYPERLINK(\"x\")".into(), "41.5".into()],
                vec!["Maple, \"North\"".into(), "-".into()],
            ],
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "name,score\n\"'=HYPERLINK(\"\"x\"\")\",41.5\n\"Maple, \"\"North\"\"\",'-\n"
        );
    }

    #[test]
    fn long_text_is_cut_to_fit_a_cell_with_a_marker() {
        assert_eq!(fit_cell("short"), None);
        assert_eq!(fit_cell(&"x".repeat(MAX_CELL_LEN)), None);
        let long = "y".repeat(40_000);
        let (fitted, cut) = fit_cell(&long).unwrap();
        // As much as fits (the marker's count may have fewer digits than the whole's).
        assert!((MAX_CELL_LEN - 2..=MAX_CELL_LEN).contains(&utf16_len(&fitted)));
        let m = marker(cut);
        assert!(fitted.ends_with(&m), "{}", &fitted[fitted.len() - 40..]);
        assert!(m.starts_with("\u{2026} [truncated: "));
        // What is kept and what is cut add up to the original.
        assert_eq!(fitted.chars().count() - m.chars().count() + cut, 40_000);
        // Characters outside the basic plane count twice, and are never split.
        let wide = "\u{1F600}".repeat(20_000);
        let (fitted, cut) = fit_cell(&wide).unwrap();
        assert!(utf16_len(&fitted) <= MAX_CELL_LEN);
        assert_eq!(
            fitted.chars().filter(|c| *c == '\u{1F600}').count() + cut,
            20_000
        );
    }

    #[test]
    fn columns_have_spreadsheet_letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(7), "H");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
    }
}
