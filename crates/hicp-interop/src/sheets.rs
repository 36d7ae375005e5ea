//! Spreadsheets of an assessment: an XLSX workbook (answers, scores, action plan) and the
//! action plan as CSV. Every text cell goes through [`safe_cell`], so a value such as
//! `=HYPERLINK(...)` typed into an answers file stays text in a spreadsheet program.

use crate::ExportError;
use crate::assessment::{Assessed, deadline, two_places};
use crate::catalog_csv::safe_cell;
use hicp_core::assessment::scoring::{CsfLevel, round1};
use rust_xlsxwriter::{Format, Workbook};

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

/// The three sheets of the workbook, in order: answers, scores, action plan.
pub fn sheets(a: &Assessed) -> Vec<Sheet> {
    vec![answers_sheet(a), scores_sheet(a), plan_sheet(a)]
}

fn answers_sheet(a: &Assessed) -> Sheet {
    let mut rows = Vec::new();
    for sp in a.answers.scope(a.catalog) {
        for c in &sp.criteria {
            let ans = a.answers.answer(c.id.as_str());
            let evidence: Vec<String> = ans
                .evidence
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
                Cell::text(ans.status.name()),
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
                Cell::text(m.status.name()),
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
                Cell::text(&deadline(a.as_of, i.horizon).to_string()),
                Cell::text(i.sub_practice.as_str()),
                Cell::text(&i.title),
                Cell::text(i.action.as_str()),
                Cell::text(&i.text),
                Cell::text(i.effort.name()),
                Cell::text(&i.cost),
                Cell::text(&a.owners(i.sub_practice.as_str()).join("; ")),
                Cell::text("open"),
                Cell::score(Some(i.score)),
                Cell::two_places(i.gain),
                Cell::two_places(i.priority),
                Cell::text(&after.join(" ")),
                Cell::text(&i.why),
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
        ],
        rows,
    }
}

/// A readable width for a column, by what it holds.
fn column_width(header: &str) -> f64 {
    match header {
        "criterion_text" | "text" | "why" | "evidence" | "notes" => 60.0,
        "title" | "name" | "not_applicable_reason" | "cost" | "owners" | "owner" => 30.0,
        _ => 14.0,
    }
}

/// The workbook as XLSX bytes.
pub fn xlsx(a: &Assessed) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
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
                let col = col as u16;
                match cell {
                    Cell::Text(s) => {
                        ws.write_string(r, col, s)?;
                    }
                    Cell::Number(n) => {
                        ws.write_number(r, col, *n)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
        ws.autofilter(0, 0, sheet.rows.len() as u32, sheet.header.len() as u16 - 1)?;
    }
    Ok(wb.save_to_buffer()?)
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
