//! The result of one import: the JSON contract of `hicp evidence import`, and what the app
//! layer stores as evidence.

use hicp_core::assessment::{Date, Status};
use serde::{Serialize, Serializer};
use std::fmt;

/// What kind of file an import reads. `Auto` asks [`crate::import`] to tell from the content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Auto,
    Nessus,
    Openvas,
    Qualys,
    Xccdf,
    Mscp,
    Inventory,
    Kev,
    DmarcReport,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Auto,
        Kind::Nessus,
        Kind::Openvas,
        Kind::Qualys,
        Kind::Xccdf,
        Kind::Mscp,
        Kind::Inventory,
        Kind::Kev,
        Kind::DmarcReport,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Auto => "auto",
            Kind::Nessus => "nessus",
            Kind::Openvas => "openvas",
            Kind::Qualys => "qualys",
            Kind::Xccdf => "xccdf",
            Kind::Mscp => "mscp",
            Kind::Inventory => "inventory",
            Kind::Kev => "kev",
            Kind::DmarcReport => "dmarc-report",
        }
    }

    pub fn from_name(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// A severity, normalized from each scanner's own scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// A word scanners use (`Critical`, `High`, `None`, `Log`, `Serious`, ...).
    pub fn from_word(word: &str) -> Option<Severity> {
        match word.trim().to_ascii_lowercase().as_str() {
            "critical" | "urgent" => Some(Severity::Critical),
            "high" | "serious" => Some(Severity::High),
            "medium" | "moderate" => Some(Severity::Medium),
            "low" | "minimal" => Some(Severity::Low),
            "info" | "informational" | "none" | "log" | "debug" | "false positive" => {
                Some(Severity::Info)
            }
            _ => None,
        }
    }

    /// Nessus' numeric scale: 0 info to 4 critical.
    pub fn from_nessus(n: &str) -> Option<Severity> {
        match n.trim() {
            "0" => Some(Severity::Info),
            "1" => Some(Severity::Low),
            "2" => Some(Severity::Medium),
            "3" => Some(Severity::High),
            "4" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// Qualys' numeric scale: 1 minimal to 5 urgent.
    pub fn from_qualys(n: &str) -> Option<Severity> {
        match n.trim() {
            "1" => Some(Severity::Info),
            "2" => Some(Severity::Low),
            "3" => Some(Severity::Medium),
            "4" => Some(Severity::High),
            "5" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// The CVSS v3 qualitative rating of a score.
    pub fn from_cvss(score: f64) -> Option<Severity> {
        if !(0.0..=10.0).contains(&score) {
            return None;
        }
        Some(if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Info
        })
    }
}

/// A CVE id such as `CVE-2021-44228`, always upper case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CveId(String);

impl CveId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Every CVE id in a piece of text, in order, without repeats.
    pub fn all_in(text: &str) -> Vec<CveId> {
        let mut out: Vec<CveId> = Vec::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i + 4 <= bytes.len() {
            if bytes[i..i + 4].eq_ignore_ascii_case(b"CVE-")
                && let Some((id, len)) = Self::at(&bytes[i..])
            {
                if !out.contains(&id) {
                    out.push(id);
                }
                i += len;
                continue;
            }
            i += 1;
        }
        out
    }

    pub fn parse(text: &str) -> Option<CveId> {
        match Self::at(text.trim().as_bytes()) {
            Some((id, len)) if len == text.trim().len() => Some(id),
            _ => None,
        }
    }

    // `CVE-YYYY-NNNN...` at the start of `b`: four year digits, then at least four digits.
    fn at(b: &[u8]) -> Option<(CveId, usize)> {
        if b.len() < 13 || !b[..4].eq_ignore_ascii_case(b"CVE-") {
            return None;
        }
        if !b[4..8].iter().all(u8::is_ascii_digit) || b[8] != b'-' {
            return None;
        }
        let digits = b[9..].iter().take_while(|c| c.is_ascii_digit()).count();
        if !(4..=12).contains(&digits) {
            return None;
        }
        let len = 9 + digits;
        let text = std::str::from_utf8(&b[..len]).ok()?.to_ascii_uppercase();
        Some((CveId(text), len))
    }
}

/// Where the file came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Source {
    /// The file name the caller gave, if any (the library opens no file).
    pub file: Option<String>,
    /// SHA-256 of every byte read, lower-case hex.
    pub sha256: String,
    /// The scanner or tool and the layout recognized, e.g. "Nessus v2 XML".
    pub scanner: String,
    /// When the tool produced the file, as the file says (ISO 8601 where it could be read).
    pub generated: Option<String>,
}

/// A vulnerability reported for one host and port.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    pub host: String,
    pub port: Option<u16>,
    pub protocol: Option<String>,
    pub title: String,
    pub severity: Severity,
    pub cves: Vec<CveId>,
    pub cvss3: Option<f64>,
    #[serde(serialize_with = "opt_date")]
    pub first_seen: Option<Date>,
    #[serde(serialize_with = "opt_date")]
    pub last_seen: Option<Date>,
    /// Whether any of its CVEs is in the KEV catalog supplied (false without one).
    pub kev: bool,
    /// `open` or `fixed` when the export says; absent when it does not (a scan lists what is
    /// open now).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<FindingState>,
    /// When the vendor's fix was published, where the scanner says: the age of a finding
    /// when the scan gives no first-seen date.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_date")]
    pub patch_published: Option<Date>,
    /// The scanner's own check id (plugin, NVT, QID), to tell records apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
}

impl Finding {
    pub fn is_open(&self) -> bool {
        self.state != Some(FindingState::Fixed)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingState {
    Open,
    Fixed,
}

/// The result of one configuration rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleResult {
    Pass,
    Fail,
    #[serde(rename = "notapplicable")]
    NotApplicable,
    Error,
    Unknown,
}

impl RuleResult {
    /// XCCDF result words (`pass`, `fail`, `notapplicable`, `notchecked`, `fixed`, ...), and
    /// mSCP's `passed`/`failed`.
    pub fn from_word(word: &str) -> RuleResult {
        match word.trim().to_ascii_lowercase().as_str() {
            "pass" | "passed" | "fixed" => RuleResult::Pass,
            "fail" | "failed" => RuleResult::Fail,
            "notapplicable" | "not applicable" | "n/a" | "notselected" => RuleResult::NotApplicable,
            "error" => RuleResult::Error,
            _ => RuleResult::Unknown,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Compliance {
    pub rule: String,
    pub result: RuleResult,
    /// HICP sub-practice ids the rule carries or the mapping gives it.
    pub hicp: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exempt: bool,
}

/// One inventory item.
#[derive(Clone, Debug, PartialEq, Default, Serialize)]
pub struct Asset {
    pub name: Option<String>,
    pub ip: Option<String>,
    pub mac: Option<String>,
    pub category: Option<String>,
    pub medical_device: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

/// What the evidence says about one criterion (or, where a source maps only that far, one
/// sub-practice). The status is a suggestion for a person to accept or not.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Observation {
    pub id: String,
    pub observation: String,
    #[serde(serialize_with = "opt_status")]
    pub suggested_status: Option<Status>,
}

/// Something in the file that could not be read as expected, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub at: String,
    pub message: String,
}

/// One sending source in DMARC aggregate reports.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct DmarcSource {
    pub source_ip: String,
    pub count: u64,
    pub spf_pass: u64,
    pub spf_fail: u64,
    pub dkim_pass: u64,
    pub dkim_fail: u64,
    /// Messages by the disposition the receiver applied (`none`, `quarantine`, `reject`).
    pub disposition: std::collections::BTreeMap<String, u64>,
    /// Some messages failed both SPF and DKIM alignment: not authenticated at all.
    pub fails_both: bool,
}

/// The DMARC part of an import.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct DmarcSummary {
    pub org_name: Option<String>,
    pub domain: Option<String>,
    pub policy: Option<String>,
    pub begin: Option<String>,
    pub end: Option<String>,
    pub sources: Vec<DmarcSource>,
}

/// Everything one file yields.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Import {
    pub kind: Kind,
    pub source: Source,
    /// Records read: rows, ReportItems, results, rules, catalog entries.
    pub records: u64,
    pub findings: Vec<Finding>,
    pub compliance: Vec<Compliance>,
    pub assets: Vec<Asset>,
    pub criteria: Vec<Observation>,
    pub warnings: Vec<Warning>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dmarc: Option<DmarcSummary>,
    /// For a KEV catalog: its version and entry count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kev_catalog: Option<KevSummary>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KevSummary {
    pub version: Option<String>,
    /// The CVE ids it lists; in JSON, how many there are (`entries`).
    #[serde(rename = "entries", serialize_with = "count")]
    pub ids: Vec<CveId>,
}

impl KevSummary {
    /// How many CVE ids it lists.
    pub fn entries(&self) -> usize {
        self.ids.len()
    }
}

fn count<S: Serializer>(ids: &[CveId], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(ids.len() as u64)
}

fn opt_date<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&d.to_string()),
        None => s.serialize_none(),
    }
}

fn opt_status<S: Serializer>(st: &Option<Status>, s: S) -> Result<S::Ok, S::Error> {
    match st {
        Some(st) => s.serialize_str(st.name()),
        None => s.serialize_none(),
    }
}

/// An import at a glance (see [`crate::mapping::summary`]): what a person reads first.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct Summary {
    pub records: u64,
    pub findings: usize,
    /// Findings per severity (every finding, open or fixed).
    pub by_severity: std::collections::BTreeMap<Severity, usize>,
    /// Open findings naming a CVE of the KEV catalog supplied.
    pub kev: usize,
    /// Open findings (low and up) older than HICP Table 8's data-center timeframe when last
    /// seen.
    pub overdue: usize,
    /// Rule results: pass, fail (not exempt), and everything else.
    pub pass: usize,
    pub fail: usize,
    pub other_rules: usize,
    pub assets: usize,
    pub medical_devices: usize,
    pub warnings: usize,
}
