//! The shape of a domain check's result: a [`Report`] of [`Finding`]s. Its JSON is stable
//! (`schema` is bumped on any incompatible change) so that it can be kept as evidence.

use crate::dkim::DkimKey;
use crate::mtasts::StsPolicy;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// How much a finding matters, most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $text:literal,)*) => {
        /// A finding's stable code. The text (`spf.missing`) never changes meaning.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant,)* }

        impl Code {
            /// Every code, for the data tests.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text,)* }
            }
        }
    };
}

codes! {
    SpfMissing = "spf.missing",
    SpfMultiple = "spf.multiple",
    SpfSyntax = "spf.syntax",
    SpfDeprecatedType = "spf.deprecated-type",
    SpfPassAll = "spf.pass-all",
    SpfNeutralAll = "spf.neutral-all",
    SpfNoAll = "spf.no-all",
    SpfTooManyLookups = "spf.too-many-lookups",
    SpfVoidLookups = "spf.void-lookups",
    SpfBrokenInclude = "spf.broken-include",
    SpfPtr = "spf.ptr",
    SpfDnsError = "spf.dns-error",
    SpfOk = "spf.ok",
    DmarcMissing = "dmarc.missing",
    DmarcMultiple = "dmarc.multiple",
    DmarcSyntax = "dmarc.syntax",
    DmarcPolicyNone = "dmarc.policy-none",
    DmarcSubdomainNone = "dmarc.subdomain-none",
    DmarcNonexistentNone = "dmarc.nonexistent-none",
    DmarcPartial = "dmarc.partial",
    DmarcTesting = "dmarc.testing",
    DmarcNoReports = "dmarc.no-reports",
    DmarcReportUnauthorized = "dmarc.report-unauthorized",
    DmarcWarning = "dmarc.warning",
    DmarcInherited = "dmarc.inherited",
    DmarcDnsError = "dmarc.dns-error",
    DmarcOk = "dmarc.ok",
    DkimNoSelector = "dkim.no-selector",
    DkimMissing = "dkim.missing",
    DkimRevoked = "dkim.revoked",
    DkimKeyTooShort = "dkim.key-too-short",
    DkimKeyWeak = "dkim.key-weak",
    DkimSyntax = "dkim.syntax",
    DkimUnknownType = "dkim.unknown-type",
    DkimTesting = "dkim.testing",
    DkimDnsError = "dkim.dns-error",
    DkimOk = "dkim.ok",
    MxMissing = "mx.missing",
    MxNull = "mx.null",
    MxDnsError = "mx.dns-error",
    MxOk = "mx.ok",
    MtaStsMissing = "mta-sts.missing",
    MtaStsSyntax = "mta-sts.syntax",
    MtaStsPolicyNotChecked = "mta-sts.policy-not-checked",
    MtaStsPolicyUnreachable = "mta-sts.policy-unreachable",
    MtaStsPolicySyntax = "mta-sts.policy-syntax",
    MtaStsTesting = "mta-sts.testing",
    MtaStsOff = "mta-sts.off",
    MtaStsMxMismatch = "mta-sts.mx-mismatch",
    MtaStsShortMaxAge = "mta-sts.short-max-age",
    MtaStsDnsError = "mta-sts.dns-error",
    MtaStsOk = "mta-sts.ok",
    TlsRptMissing = "tls-rpt.missing",
    TlsRptSyntax = "tls-rpt.syntax",
    TlsRptDnsError = "tls-rpt.dns-error",
    TlsRptOk = "tls-rpt.ok",
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The finding-to-criteria table (`data/criteria.yaml`), as written.
pub const CRITERIA_DATA: &str = include_str!("../data/criteria.yaml");

/// Reads the table. Public so that tests can hold it to the catalog.
pub fn criteria_table() -> Result<BTreeMap<String, Vec<String>>, String> {
    serde_saphyr::from_str(CRITERIA_DATA).map_err(|e| e.to_string())
}

/// The HICP criteria a finding code informs (empty if the table lacks it; a test makes
/// sure it never does).
pub fn criteria_for(code: Code) -> Vec<String> {
    static TABLE: OnceLock<BTreeMap<String, Vec<String>>> = OnceLock::new();
    TABLE
        .get_or_init(|| criteria_table().unwrap_or_default())
        .get(code.as_str())
        .cloned()
        .unwrap_or_default()
}

/// One thing the check found, said twice: for the office manager and for IT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// One plain sentence: what is wrong (or right).
    pub title: String,
    /// What to do, in plain words, usually what to ask the email provider.
    pub fix: String,
    /// The technical facts, for IT.
    pub detail: String,
    /// HICP criteria ids this finding is evidence for.
    pub criteria: Vec<String>,
}

impl Finding {
    pub fn new(
        code: Code,
        severity: Severity,
        title: impl Into<String>,
        fix: impl Into<String>,
        detail: impl Into<String>,
    ) -> Finding {
        Finding {
            code,
            severity,
            title: title.into(),
            fix: fix.into(),
            detail: detail.into(),
            criteria: criteria_for(code),
        }
    }
}

/// What the DNS held for a DKIM selector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DkimSeen {
    pub selector: String,
    pub record: Option<String>,
    pub key: Option<DkimKey>,
}

/// The records the check read, as found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Observed {
    pub spf: Vec<String>,
    /// DNS-querying terms counted through includes and redirects (when the record parsed).
    pub spf_dns_terms: Option<u32>,
    /// Where the DMARC record was found (`_dmarc.DOMAIN`, or a parent's).
    pub dmarc_name: Option<String>,
    pub dmarc: Vec<String>,
    pub dkim: Vec<DkimSeen>,
    /// `PREFERENCE HOST` (a null MX shows as `0 .`).
    pub mx: Vec<String>,
    pub mta_sts: Vec<String>,
    pub mta_sts_policy: Option<StsPolicy>,
    pub tls_rpt: Vec<String>,
}

/// Findings per severity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

/// The result of [`crate::check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The version of this JSON shape.
    pub schema: u32,
    pub domain: String,
    pub dkim_selectors: Vec<String>,
    pub summary: Summary,
    /// Most serious first, then by code.
    pub findings: Vec<Finding>,
    pub observed: Observed,
}

impl Report {
    pub const SCHEMA: u32 = 1;

    pub(crate) fn new(
        domain: String,
        dkim_selectors: Vec<String>,
        mut findings: Vec<Finding>,
        observed: Observed,
    ) -> Report {
        findings.sort_by_key(|f| (f.severity, f.code));
        let mut summary = Summary::default();
        for f in &findings {
            *match f.severity {
                Severity::Critical => &mut summary.critical,
                Severity::High => &mut summary.high,
                Severity::Medium => &mut summary.medium,
                Severity::Low => &mut summary.low,
                Severity::Info => &mut summary.info,
            } += 1;
        }
        Report {
            schema: Report::SCHEMA,
            domain,
            dkim_selectors,
            summary,
            findings,
            observed,
        }
    }

    /// Whether a finding with this code is in the report.
    pub fn has(&self, code: Code) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }
}
