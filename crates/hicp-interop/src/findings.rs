//! One ranked scan finding as every output shows it: the report, the plan page, the
//! workbook's findings sheet and the findings CSV. Here, below `hicp-report` and `sheets`,
//! so that all of them share one row shape.

use hicp_core::assessment::findings::RankedFinding;

/// One ranked finding, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingRow {
    pub rank: usize,
    /// "10.0.0.5:443", or the host alone.
    pub host: String,
    pub title: String,
    pub cves: String,
    pub severity: String,
    /// First seen, or when the fix came out.
    pub since: String,
    pub due: String,
    pub overdue: bool,
    pub kev: bool,
    /// Why it is listed, in plain words.
    pub why: String,
}

/// One ranked finding as every output shows it (the report, the plan page, the sheets).
pub fn finding_row(r: &RankedFinding) -> FindingRow {
    let f = &r.finding;
    FindingRow {
        rank: r.rank,
        host: match f.port {
            Some(port) => format!("{}:{port}", f.host),
            None => f.host.clone(),
        },
        title: f.title.clone(),
        cves: f.cves.join(", "),
        severity: f.severity.name().to_owned(),
        since: match (f.first_seen, f.fix_published) {
            (Some(d), _) => d.to_string(),
            (None, Some(d)) => format!("fix out since {d}"),
            (None, None) => "not given".to_owned(),
        },
        due: match (r.due_on, r.days_late) {
            (Some(d), Some(late)) if late > 0 => format!("{d}, {late} days overdue"),
            (Some(d), Some(late)) => format!("{d}, in {} days", -late),
            _ => "no HICP timeframe".to_owned(),
        },
        overdue: r.overdue(),
        kev: f.kev,
        why: r.why.clone(),
    }
}
