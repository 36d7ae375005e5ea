//! Shared by the property tests and the long fuzz run (`examples/fuzz.rs`): one seed file per
//! parser, and a proptest strategy that mutates it (truncate, overwrite, insert, repeat).

#![allow(dead_code)]

use hicp_core::assessment::Date;
use hicp_evidence::{Import, KevCatalog, Kind, Options, import};
use proptest::prelude::*;

macro_rules! fixture {
    ($p:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/", $p)).as_slice()
    };
}

const KEV_SMALL: &[u8] = br#"{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2025.08.25","dateReleased":"2025-08-25T17:04:19.9796Z","count":2,"vulnerabilities":[{"cveID":"CVE-2025-48384","vendorProject":"Git","product":"Git","dateAdded":"2025-08-25","dueDate":"2025-09-15"},{"cveID":"CVE-2016-2183","vendorProject":"x","product":"y","dateAdded":"2025-08-01"}]}"#;

const NESSUS_SMALL: &[u8] = br#"<?xml version="1.0" ?>
<NessusClientData_v2><Report name="r"><ReportHost name="10.0.0.5"><HostProperties><tag name="HOST_START">Tue Aug 13 12:07:38 2019</tag><tag name="host-ip">10.0.0.5</tag></HostProperties>
<ReportItem port="443" svc_name="www" protocol="tcp" severity="3" pluginID="42873" pluginName="SSL Medium Strength Cipher Suites" pluginFamily="General"><cve>CVE-2016-2183</cve><cve>CVE-2016-6329</cve><cvss3_base_score>7.5</cvss3_base_score><risk_factor>High</risk_factor><patch_publication_date>2016/08/24</patch_publication_date></ReportItem>
<ReportItem port="0" protocol="tcp" severity="0" pluginID="19506" pluginName="Nessus Scan Information"><plugin_output>&lt;info&gt; &amp; more</plugin_output></ReportItem>
</ReportHost></Report></NessusClientData_v2>"#;

/// One seed per parser, named.
pub fn seeds() -> Vec<(&'static str, &'static [u8])> {
    vec![
        ("nessus-xml", NESSUS_SMALL),
        ("nessus-csv", fixture!("nessus-csv/issue_11102.csv")),
        ("openvas-xml", fixture!("openvas/report_detail_v2.xml")),
        ("openvas-csv", fixture!("openvas/many_vuln.csv")),
        ("qualys-csv", fixture!("qualys/monthly_pci_issue6932.csv")),
        ("xccdf", fixture!("xccdf/results-xccdf12.xml")),
        ("mscp-csv", fixture!("mscp/hicp_lp_baseline.csv")),
        ("mscp-plist", fixture!("mscp/org.hicp_lp.audit.plist")),
        ("inventory", fixture!("inventory/cmdb_export.csv")),
        ("kev-json", KEV_SMALL),
        (
            "dmarc",
            fixture!("dmarc/_example.com_1538204542_1538463818.xml"),
        ),
        (
            "dmarc-gz",
            fixture!("dmarc/fastmail.com_example.com_1516060800_1516147199_102675056.xml.gz"),
        ),
        (
            "dmarc-zip",
            fixture!(
                "dmarc/estadocuenta1.infonacot.gob.mx_example.com_1536853302_1536939702_2940.xml.zip"
            ),
        ),
    ]
}

#[derive(Clone, Debug)]
pub enum Edit {
    Truncate(usize),
    Overwrite(usize, Vec<u8>),
    Insert(usize, Vec<u8>),
    Repeat(usize, usize, u8),
}

/// Bytes that matter to the formats, so that mutations hit structure more often than noise.
fn interesting() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..8),
        Just(b"<".to_vec()),
        Just(b">".to_vec()),
        Just(b"</".to_vec()),
        Just(b"\"".to_vec()),
        Just(b",".to_vec()),
        Just(b";".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"&lol;".to_vec()),
        Just(b"&#0;".to_vec()),
        Just(b"&#x110000;".to_vec()),
        Just(b"<!DOCTYPE x [<!ENTITY a SYSTEM \"file:///etc/passwd\">]>".to_vec()),
        Just(b"CVE-2021-44228".to_vec()),
        Just(b"CVE-9999-".to_vec()),
        Just(vec![0xff, 0xfe]),
        Just(vec![0xef, 0xbb, 0xbf]),
        Just(vec![0xe9, 0x8e, 0x80]),
        Just(b"99999999999999999999".to_vec()),
        Just(b"-1".to_vec()),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), interesting()).prop_map(|(i, b)| Edit::Overwrite(i, b)),
        (any::<usize>(), interesting()).prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<usize>(), 1usize..64, 1u8..16).prop_map(|(i, l, n)| Edit::Repeat(i, l, n)),
    ]
}

pub fn edits() -> impl Strategy<Value = Vec<Edit>> {
    proptest::collection::vec(edit(), 0..6)
}

pub fn apply(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for e in edits {
        let at = |i: usize, b: &Vec<u8>| if b.is_empty() { 0 } else { i % (b.len() + 1) };
        match e {
            Edit::Truncate(i) => {
                let i = at(*i, &b);
                b.truncate(i);
            }
            Edit::Overwrite(i, bytes) => {
                let i = at(*i, &b);
                for (k, x) in bytes.iter().enumerate() {
                    if let Some(slot) = b.get_mut(i + k) {
                        *slot = *x;
                    }
                }
            }
            Edit::Insert(i, bytes) => {
                let i = at(*i, &b);
                b.splice(i..i, bytes.iter().copied());
            }
            Edit::Repeat(i, len, n) => {
                let i = at(*i, &b);
                let end = (i + len).min(b.len());
                let chunk = b[i..end].to_vec();
                for _ in 0..*n {
                    b.splice(end..end, chunk.iter().copied());
                }
            }
        }
    }
    b
}

pub fn options() -> Options {
    let mut o = Options::new(Date::parse("2026-01-01").unwrap());
    o.kev = Some(KevCatalog::from_ids(hicp_evidence::CveId::all_in(
        "CVE-2016-2183 CVE-2021-44228",
    )));
    o
}

/// The properties every import must have, whatever the bytes: no panic (the caller checks
/// that), and when it succeeds, a well-formed result.
pub fn check(bytes: &[u8], options: &Options) -> Result<(), String> {
    let result: Result<Import, _> = import(bytes, Kind::Auto, options);
    let Ok(i) = result else { return Ok(()) };
    if i.source.sha256.len() != 64 {
        return Err("bad hash".into());
    }
    if i.warnings.len() > 501 {
        return Err(format!("{} warnings", i.warnings.len()));
    }
    for f in &i.findings {
        for c in &f.cves {
            if hicp_evidence::CveId::parse(c.as_str()).as_ref() != Some(c) {
                return Err(format!("bad CVE {c:?}"));
            }
        }
        if f.cvss3.is_some_and(|s| !(0.0..=10.0).contains(&s)) {
            return Err("CVSS out of range".into());
        }
    }
    serde_json::to_string(&i).map_err(|e| e.to_string())?;
    Ok(())
}
