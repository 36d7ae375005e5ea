//! CSV of sub-practices, one row each (`hicp catalog list --format csv`).

use crate::ExportError;
use hicp_core::catalog::{Catalog, SubPractice};

/// Spreadsheet programs run a cell that starts with one of these as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Makes a cell inert for spreadsheets: a leading formula character gets a `'` before it.
pub fn safe_cell(s: &str) -> String {
    if s.starts_with(FORMULA_STARTS) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

pub fn write(
    catalog: &Catalog,
    subs: &[&SubPractice],
    out: impl std::io::Write,
) -> Result<(), ExportError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "id",
        "practice",
        "tier",
        "title",
        "title_provenance",
        "threats",
        "csf",
        "cpg",
        "hipaa",
        "criteria",
        "actions",
    ])?;
    for s in subs {
        let threats: Vec<&str> = catalog.threats_of(s).iter().map(|t| t.as_str()).collect();
        let csf: Vec<&str> = s.csf20.iter().map(|c| c.id.as_str()).collect();
        let row = [
            s.id.to_string(),
            s.practice.to_string(),
            s.tier.name().to_owned(),
            s.title.clone(),
            s.title_provenance.name().to_owned(),
            threats.join(" "),
            csf.join(" "),
            s.cpg.refs.join(" "),
            s.hipaa.refs.join(" "),
            s.criteria.len().to_string(),
            s.actions.len().to_string(),
        ];
        w.write_record(row.iter().map(|c| safe_cell(c)))?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::safe_cell;

    #[test]
    fn formula_cells_come_out_inert() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("-1+2"), "'-1+2");
        assert_eq!(safe_cell("1.S.A"), "1.S.A");
    }
}
