//! The findings part of the action plan: an organization's open vulnerability findings
//! (from its latest scans) that CISA lists as known exploited (KEV), or that are past HICP
//! Table 8's remediation timeframe for their severity, ranked KEV first, then most overdue.
//! The sub-practice plan ([`super::plan`]) is separate and unchanged: this is the list of
//! things to fix on machines, beside the list of practices to put in place.
//!
//! Table 8 gives two columns, DMZ and data center. A scan does not say where a host sits, so
//! the data-center column applies (what is late under it is late under both); HICP gives no
//! number for low severity in the data center, so a low finding is never overdue here.
//! The clock starts when the scanner first saw the finding or, when it does not say, when the
//! vendor's fix was published (the finding could have been fixed since then).

use super::date::Date;
use crate::catalog::Catalog;
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// The catalog parameter holding HICP Table 8.
pub const TIMEFRAMES_PARAMETER: &str = "remediation-timeframes";

/// A finding's severity, as scanners rate it (normalized by the import).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.name() == s)
    }
}

/// One open (or fixed) finding on one host, as the latest scan of that host reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub host: String,
    pub port: Option<u16>,
    pub protocol: Option<String>,
    pub title: String,
    pub severity: Severity,
    /// Every CVE id the finding names.
    pub cves: Vec<String>,
    pub first_seen: Option<Date>,
    pub last_seen: Option<Date>,
    /// When the vendor's fix was published, where the scanner says.
    pub fix_published: Option<Date>,
    /// One of its CVEs is in CISA's Known Exploited Vulnerabilities catalog.
    pub kev: bool,
    /// False when the scan reports it fixed.
    pub open: bool,
    /// The scanner that reported it, in words ("Nessus v2 XML").
    pub source: String,
}

impl Finding {
    /// When the remediation clock started: first seen, else the fix's publication.
    pub fn since(&self) -> Option<Date> {
        self.first_seen.or(self.fix_published)
    }
}

/// The key that says two scans name the same host: DNS names are case-insensitive (RFC
/// 4343, ASCII letters only) and `host.example.org.` is `host.example.org`, so the name is
/// trimmed, its trailing dots dropped and its ASCII letters lowered. IP addresses pass
/// through (an IPv6 address's hex digits are lowered too, as they compare). The shown name
/// stays as the scanner wrote it; only matching uses this.
pub fn host_key(host: &str) -> String {
    host.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// HICP Table 8's data-center column: days to remediate, by severity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeframes {
    /// Where the numbers come from ("TV2 Table 8").
    pub source: String,
    days: BTreeMap<Severity, i64>,
}

impl Timeframes {
    /// The data-center timeframes of the catalog's `remediation-timeframes` parameter (keys
    /// `critical-datacenter`, ...). A catalog without it gives none: nothing is then overdue,
    /// and KEV findings are still listed.
    pub fn from_catalog(catalog: &Catalog) -> Timeframes {
        let Some(p) = catalog.parameter(TIMEFRAMES_PARAMETER) else {
            return Timeframes {
                source: String::new(),
                days: BTreeMap::new(),
            };
        };
        let days = Severity::ALL
            .into_iter()
            .filter_map(|s| {
                let key = format!("{}-datacenter", s.name());
                let v = p.values.iter().find(|v| v.key == key)?;
                Some((s, v.value.round() as i64))
            })
            .collect();
        Timeframes {
            source: p.source.clone(),
            days,
        }
    }

    /// Timeframes given directly (tests, other catalogs).
    pub fn new(source: &str, days: &[(Severity, i64)]) -> Timeframes {
        Timeframes {
            source: source.to_owned(),
            days: days.iter().copied().collect(),
        }
    }

    /// Days allowed for a severity; `None`: HICP gives no number.
    pub fn days(&self, s: Severity) -> Option<i64> {
        self.days.get(&s).copied()
    }

    /// The timeframes, most severe first.
    pub fn all(&self) -> Vec<(Severity, i64)> {
        self.days.iter().rev().map(|(s, d)| (*s, *d)).collect()
    }

    /// "critical 30 days, high 90 days, medium 180 days".
    pub fn words(&self) -> String {
        self.all()
            .iter()
            .map(|(s, d)| format!("{} {d} days", s.name()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One finding of the plan, with its place and deadline.
#[derive(Clone, Debug, PartialEq)]
pub struct RankedFinding {
    /// 1 for the first to fix.
    pub rank: usize,
    pub finding: Finding,
    /// Table 8's days for its severity, if any.
    pub timeframe: Option<i64>,
    /// When it had to be fixed by: the clock's start plus the timeframe.
    pub due_on: Option<Date>,
    /// Days past `due_on` as of the plan's date (negative: days left). `None` without a due
    /// date.
    pub days_late: Option<i64>,
    /// Why it is here, in plain words.
    pub why: String,
}

impl RankedFinding {
    pub fn overdue(&self) -> bool {
        self.days_late.is_some_and(|d| d > 0)
    }
}

/// The findings part of the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct FindingsPlan {
    pub as_of: Date,
    pub timeframes: Timeframes,
    /// KEV-listed or overdue open findings, first to fix first.
    pub items: Vec<RankedFinding>,
    /// Open findings considered (low severity and up, or KEV-listed).
    pub open: usize,
    pub kev: usize,
    pub overdue: usize,
    /// Open findings with no date to count from: their age cannot be told.
    pub undated: usize,
}

fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn why(f: &Finding, timeframe: Option<i64>, due: Option<Date>, late: Option<i64>) -> String {
    let mut s = String::new();
    if f.kev {
        s.push_str(
            "CISA lists this weakness as exploited by attackers right now (Known Exploited Vulnerabilities), so fix it first.",
        );
    }
    let start = match (f.first_seen, f.fix_published) {
        (Some(d), _) => Some(format!("first seen on {d}")),
        (None, Some(d)) => Some(format!("the fix has been available since {d}")),
        (None, None) => None,
    };
    match (start, timeframe, due, late) {
        (Some(start), Some(days), Some(due), Some(late)) => {
            if !s.is_empty() {
                s.push(' ');
            }
            let when = if late > 0 {
                format!("it was due on {due}, {late} days ago")
            } else if late == 0 {
                format!("it is due today, {due}")
            } else {
                format!("it is due on {due}, in {} days", -late)
            };
            s.push_str(&format!(
                "HICP gives {days} days to fix a {} weakness; {start}, so {when}.",
                f.severity.name()
            ));
        }
        (None, Some(_), _, _) => {
            s.push_str(" The scan gives no date to count HICP's timeframe from.");
        }
        _ => {}
    }
    s.trim().to_owned()
}

/// The open findings that are KEV-listed or past Table 8's timeframe for their severity,
/// ranked: KEV-listed first; then the most days past due first (a finding not yet due comes
/// after every overdue one, the soonest due first; one without a due date last); then the
/// most severe, then by host and title. Fixed and informational findings are left out
/// (an informational one only counts when KEV-listed).
pub fn rank(findings: &[Finding], timeframes: &Timeframes, as_of: Date) -> FindingsPlan {
    let mut items = Vec::new();
    let (mut open, mut kev, mut overdue, mut undated) = (0, 0, 0, 0);
    for f in findings {
        if !f.open || (f.severity == Severity::Info && !f.kev) {
            continue;
        }
        open += 1;
        let timeframe = timeframes.days(f.severity);
        let since = f.since();
        if since.is_none() {
            undated += 1;
        }
        let due_on = since
            .zip(timeframe)
            .and_then(|(start, days)| start.add_days(days));
        let days_late = due_on.map(|d| d.days_until(as_of));
        let late = days_late.is_some_and(|d| d > 0);
        if f.kev {
            kev += 1;
        }
        if late {
            overdue += 1;
        }
        if f.kev || late {
            items.push(RankedFinding {
                rank: 0,
                finding: f.clone(),
                timeframe,
                due_on,
                days_late,
                why: why(f, timeframe, due_on, days_late),
            });
        }
    }
    items.sort_by(|a, b| {
        let key = |r: &RankedFinding| {
            (
                Reverse(r.finding.kev),
                // Undated last, then most days late first.
                r.days_late.is_none(),
                Reverse(r.days_late.unwrap_or(i64::MIN)),
                Reverse(r.finding.severity),
            )
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| a.finding.host.cmp(&b.finding.host))
            .then_with(|| a.finding.port.cmp(&b.finding.port))
            .then_with(|| a.finding.title.cmp(&b.finding.title))
    });
    for (i, r) in items.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    FindingsPlan {
        as_of,
        timeframes: timeframes.clone(),
        items,
        open,
        kev,
        overdue,
        undated,
    }
}

impl FindingsPlan {
    /// The plan's findings in one plain sentence.
    pub fn summary(&self) -> String {
        if self.open == 0 {
            return "No open findings from vulnerability scans.".to_owned();
        }
        let mut parts = Vec::new();
        if self.kev > 0 {
            parts.push(format!(
                "{} known exploited by attackers (CISA's KEV list)",
                self.kev
            ));
        }
        if self.overdue > 0 {
            parts.push(format!(
                "{} past HICP's time to fix for their severity",
                self.overdue
            ));
        }
        let mut s = if parts.is_empty() {
            format!(
                "{} open findings from vulnerability scans; none is known exploited or past HICP's time to fix.",
                self.open
            )
        } else {
            format!(
                "{} open findings from vulnerability scans: {}.",
                self.open,
                list(&parts)
            )
        };
        if self.undated > 0 {
            s.push_str(&format!(
                " {} carry no date, so their age cannot be told.",
                self.undated
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn table8() -> Timeframes {
        Timeframes::new(
            "TV2 Table 8",
            &[
                (Severity::Critical, 30),
                (Severity::High, 90),
                (Severity::Medium, 180),
            ],
        )
    }

    fn finding(host: &str, severity: Severity, first_seen: Option<&str>, kev: bool) -> Finding {
        Finding {
            host: host.into(),
            port: Some(443),
            protocol: Some("tcp".into()),
            title: format!("{} on {host}", severity.name()),
            severity,
            cves: vec!["CVE-2021-44228".into()],
            first_seen: first_seen.map(d),
            last_seen: Some(d("2026-03-01")),
            fix_published: None,
            kev,
            open: true,
            source: "Nessus v2 XML".into(),
        }
    }

    fn hosts(p: &FindingsPlan) -> Vec<&str> {
        p.items.iter().map(|r| r.finding.host.as_str()).collect()
    }

    #[test]
    fn kev_listed_findings_come_first_even_when_not_yet_due() {
        let as_of = d("2026-03-01");
        let findings = [
            finding("old-high", Severity::High, Some("2025-01-01"), false),
            finding("fresh-kev", Severity::Medium, Some("2026-02-20"), true),
            finding("late-kev", Severity::Critical, Some("2026-01-01"), true),
        ];
        let p = rank(&findings, &table8(), as_of);
        assert_eq!(hosts(&p), ["late-kev", "fresh-kev", "old-high"]);
        assert_eq!(
            p.items.iter().map(|r| r.rank).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        // Critical: 30 days from 2026-01-01 is 2026-01-31, 29 days before 2026-03-01.
        let first = &p.items[0];
        assert_eq!(first.due_on, Some(d("2026-01-31")));
        assert_eq!(first.days_late, Some(29));
        assert!(first.overdue());
        assert!(first.why.starts_with("CISA lists"), "{}", first.why);
        assert!(
            first
                .why
                .contains("HICP gives 30 days to fix a critical weakness; first seen on 2026-01-01, so it was due on 2026-01-31, 29 days ago."),
            "{}",
            first.why
        );
        // The fresh KEV finding is listed, not overdue: due in 171 days.
        assert_eq!(p.items[1].days_late, Some(-171));
        assert!(!p.items[1].overdue());
        assert!(p.items[1].why.contains("in 171 days"), "{}", p.items[1].why);
        assert_eq!((p.open, p.kev, p.overdue, p.undated), (3, 2, 2, 0));
    }

    #[test]
    fn overdue_follows_table_8_by_severity_most_overdue_first() {
        let as_of = d("2026-03-01");
        let findings = [
            // 59 days open: past critical's 30, within high's 90 and medium's 180.
            finding("crit", Severity::Critical, Some("2026-01-01"), false),
            finding("high", Severity::High, Some("2026-01-01"), false),
            finding("medium", Severity::Medium, Some("2026-01-01"), false),
            // A year open: past high's 90 by 275 days.
            finding("old-high", Severity::High, Some("2025-03-01"), false),
            // Low has no data-center timeframe: never overdue.
            finding("low", Severity::Low, Some("2020-01-01"), false),
            // Exactly on the due date: not late yet.
            finding("due-today", Severity::Critical, Some("2026-01-30"), false),
        ];
        let p = rank(&findings, &table8(), as_of);
        assert_eq!(hosts(&p), ["old-high", "crit"]);
        assert_eq!(p.items[0].days_late, Some(275));
        assert_eq!(p.items[0].timeframe, Some(90));
        assert_eq!(p.overdue, 2);
        assert_eq!(p.open, 6);
    }

    #[test]
    fn the_fix_date_starts_the_clock_when_first_seen_is_unknown() {
        let mut f = finding("web", Severity::High, None, false);
        f.fix_published = Some(d("2012-05-03"));
        let p = rank(&[f], &table8(), d("2022-03-23"));
        assert_eq!(p.items[0].due_on, Some(d("2012-08-01")));
        assert!(
            p.items[0]
                .why
                .contains("the fix has been available since 2012-05-03"),
            "{}",
            p.items[0].why
        );
    }

    #[test]
    fn closed_and_informational_findings_are_left_out_undated_kev_kept_last() {
        let as_of = d("2026-03-01");
        let mut fixed = finding("fixed", Severity::Critical, Some("2020-01-01"), true);
        fixed.open = false;
        let info = finding("info", Severity::Info, Some("2020-01-01"), false);
        let undated_kev = finding("undated-kev", Severity::Critical, None, true);
        let dated_kev = finding("dated-kev", Severity::Low, Some("2026-02-01"), true);
        let undated = finding("undated", Severity::Critical, None, false);
        let p = rank(
            &[fixed, info, undated_kev, dated_kev, undated],
            &table8(),
            as_of,
        );
        // Low has no due date either: both KEV findings without one, the more severe first.
        assert_eq!(hosts(&p), ["undated-kev", "dated-kev"]);
        assert_eq!(p.items[0].due_on, None);
        assert!(p.items[0].why.contains("no date"), "{}", p.items[0].why);
        assert_eq!((p.open, p.kev, p.overdue, p.undated), (3, 2, 0, 2));
        assert!(p.summary().contains("2 known exploited"), "{}", p.summary());
    }

    #[test]
    fn hosts_match_whatever_their_case_and_a_trailing_dot() {
        for (a, b) in [
            ("WEB01.Example.ORG", "web01.example.org"),
            ("web01.example.org.", "web01.example.org"),
            ("  Web01.example.org. ", "web01.example.org"),
            ("FE80::1", "fe80::1"),
            ("10.0.0.5", "10.0.0.5"),
        ] {
            assert_eq!(host_key(a), host_key(b), "{a} and {b}");
            assert_eq!(host_key(a), b);
        }
        // Different hosts stay apart; only ASCII letters are folded (RFC 4343).
        assert_ne!(host_key("web01.example.org"), host_key("web02.example.org"));
        assert_ne!(
            host_key("web01.example.org"),
            host_key("web01.example.org.uk")
        );
        assert_eq!(host_key("ÄRZTE.example"), "Ärzte.example");
    }

    #[test]
    fn the_summary_says_when_nothing_is_open() {
        let p = rank(&[], &table8(), d("2026-03-01"));
        assert!(p.items.is_empty());
        assert_eq!(p.summary(), "No open findings from vulnerability scans.");
        assert_eq!(
            table8().words(),
            "critical 30 days, high 90 days, medium 180 days"
        );
    }
}
