//! Real public exports (see tests/fixtures/SOURCES.md): exact record counts, every CVE,
//! severities and hosts.

use hicp_core::assessment::Date;
use hicp_evidence::{Import, KevCatalog, Kind, Options, Severity, import};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn as_of() -> Date {
    Date::parse("2026-01-01").unwrap()
}

fn read_with(rel: &str, options: &Options) -> Import {
    let file = std::fs::File::open(path(rel)).unwrap();
    import(file, Kind::Auto, options).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn read(rel: &str) -> Import {
    read_with(rel, &Options::new(as_of()))
}

fn severities(i: &Import) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for f in &i.findings {
        *m.entry(f.severity.name()).or_default() += 1;
    }
    m
}

fn hosts(i: &Import) -> BTreeSet<&str> {
    i.findings.iter().map(|f| f.host.as_str()).collect()
}

fn cves(i: &Import) -> Vec<&str> {
    i.findings
        .iter()
        .flat_map(|f| f.cves.iter().map(|c| c.as_str()))
        .collect()
}

#[track_caller]
fn check(
    i: &Import,
    kind: Kind,
    records: u64,
    findings: usize,
    cve_count: usize,
    sev: &[(&str, usize)],
    host_count: usize,
) {
    assert_eq!(i.kind, kind);
    assert_eq!(i.records, records, "records");
    assert_eq!(i.findings.len(), findings, "findings");
    assert_eq!(cves(i).len(), cve_count, "CVEs");
    let want: BTreeMap<&str, usize> = sev.iter().copied().collect();
    assert_eq!(severities(i), want, "severities");
    assert_eq!(hosts(i).len(), host_count, "hosts");
    assert_eq!(i.source.sha256.len(), 64);
}

#[test]
fn nessus_v2_xml() {
    let i = read("nessus/nessus_with_cvssv3.nessus");
    check(
        &i,
        Kind::Nessus,
        49,
        49,
        138,
        &[
            ("critical", 2),
            ("high", 10),
            ("medium", 13),
            ("low", 1),
            ("info", 23),
        ],
        1,
    );
    assert_eq!(i.source.scanner, "Nessus v2 XML");
    assert!(hosts(&i).contains("testphp.vulnweb.com"));
    // A finding with several <cve> elements keeps all of them.
    assert!(i.findings.iter().any(|f| f.cves.len() > 10));
    assert!(i.findings.iter().any(|f| f.cvss3.is_some()));

    let i = read("nessus/nessus_many_vuln.xml");
    check(&i, Kind::Nessus, 7, 7, 0, &[("info", 7)], 1);
    assert!(hosts(&i).contains("preprod.boardvantage.net"));
}

#[test]
fn tenable_and_nessus_csv_layouts() {
    // Tenable.sc, with dozens of all-empty rows after the four findings.
    let i = read("nessus-csv/nessus_many_vuln.csv");
    check(&i, Kind::Nessus, 4, 4, 3, &[("medium", 4)], 2);
    assert_eq!(
        cves(&i),
        ["CVE-2004-2761", "CVE-2013-2566", "CVE-2015-2808"]
    );
    assert_eq!(hosts(&i), BTreeSet::from(["10.1.1.1", "10.2.1.1"]));
    assert_eq!(
        i.findings[0].first_seen,
        Some(Date::parse("2021-01-05").unwrap())
    );

    let i = read("nessus-csv/issue_11102.csv");
    check(&i, Kind::Nessus, 3, 3, 3, &[("high", 3)], 2);
    assert!(cves(&i).iter().all(|c| *c == "CVE-2016-2183"));

    // Nessus' own CSV: one row per CVE, merged back into one finding.
    let i = read("nessus-csv/nessus_many_vuln2-all.csv");
    check(
        &i,
        Kind::Nessus,
        30,
        29,
        1,
        &[("medium", 1), ("info", 28)],
        1,
    );

    // Tenable.io, `;`-delimited, with an unnamed column.
    let i = read("nessus-csv/nessus_new.csv");
    assert_eq!(i.source.scanner, "Tenable.io CSV");
    check(&i, Kind::Nessus, 99, 99, 102, &[("low", 99)], 99);
    assert!(i.warnings.iter().any(|w| w.message.contains("no name")));

    let i = read("nessus-csv/tenable_many_vuln.csv");
    check(
        &i,
        Kind::Nessus,
        20,
        9,
        20,
        &[("high", 3), ("medium", 6)],
        2,
    );
}

#[test]
fn greenbone_openvas_xml_and_csv() {
    let i = read("openvas/many_vuln.xml");
    // Severity from the CVSS score: 9.0 and up is critical.
    check(
        &i,
        Kind::Openvas,
        44,
        44,
        55,
        &[("critical", 8), ("high", 11), ("medium", 25)],
        1,
    );

    let i = read("openvas/report_detail_v2.xml");
    check(&i, Kind::Openvas, 1, 1, 93, &[("critical", 1)], 1);
    assert_eq!(i.findings[0].host, "10.99.99.99");
    assert!(cves(&i).contains(&"CVE-2025-49659"));

    let i = read("openvas/many_vuln.csv");
    check(
        &i,
        Kind::Openvas,
        4,
        4,
        2,
        &[("critical", 1), ("medium", 2), ("low", 1)],
        1,
    );
    assert_eq!(cves(&i), ["CVE-2011-3389", "CVE-2015-0204"]);
    assert_eq!(i.findings[1].port, Some(9200));

    let i = read("openvas/report_using_CVE.csv");
    check(
        &i,
        Kind::Openvas,
        43,
        43,
        43,
        &[("critical", 8), ("high", 13), ("medium", 22)],
        1,
    );
}

#[test]
fn qualys_xml_and_csv() {
    let i = read("qualys/Qualys_Sample_Report.xml");
    // The DOCTYPE names Qualys' DTD on the web; it is never fetched.
    check(
        &i,
        Kind::Qualys,
        301,
        301,
        100,
        &[
            ("critical", 7),
            ("high", 6),
            ("medium", 32),
            ("low", 39),
            ("info", 217),
        ],
        7,
    );
    assert_eq!(i.source.generated.as_deref(), Some("2019-08-01"));
    assert!(i.findings.iter().all(|f| !f.title.is_empty()));

    let i = read("qualys/Qualys_Sample_Report.csv");
    check(&i, Kind::Qualys, 6, 6, 23, &[("critical", 6)], 4);
    assert_eq!(i.findings[2].cves.len(), 23);
    assert_eq!(i.findings[2].cves[0].as_str(), "CVE-2021-31192");
    assert_eq!(
        i.findings[0].first_seen,
        Some(Date::parse("2021-05-13").unwrap())
    );

    // Qualys VMDR: three title rows before the header; one CVE per row or QIDs only.
    let i = read("qualys/vmdr_many_vulns_cve.csv");
    check(
        &i,
        Kind::Qualys,
        5,
        5,
        5,
        &[
            ("critical", 1),
            ("high", 1),
            ("medium", 1),
            ("low", 1),
            ("info", 1),
        ],
        5,
    );
    assert_eq!(
        cves(&i),
        [
            "CVE-2023-0001",
            "CVE-2023-0002",
            "CVE-2023-0003",
            "CVE-2023-0004",
            "CVE-2023-0005"
        ]
    );
    assert_eq!(
        i.findings[2].state,
        Some(hicp_evidence::FindingState::Fixed)
    );
    // The asset name stands in for a missing address.
    assert_eq!(i.findings[4].host, "APPSERVER01");
    assert_eq!(
        i.findings[0].first_seen,
        Some(Date::parse("2026-01-10").unwrap())
    );
    let i = read("qualys/vmdr_many_vulns_qid.csv");
    check(
        &i,
        Kind::Qualys,
        5,
        5,
        0,
        &[
            ("critical", 1),
            ("high", 1),
            ("medium", 1),
            ("low", 1),
            ("info", 1),
        ],
        5,
    );

    let i = read("qualys/monthly_pci_issue6932.csv");
    check(&i, Kind::Qualys, 1, 1, 0, &[("medium", 1)], 1);
    assert_eq!(
        i.findings[0].last_seen,
        Some(Date::parse("2022-09-22").unwrap())
    );
}

#[test]
fn xccdf_11_12_and_arf() {
    let i = read("xccdf/ios-sample-v1.1.3.xccdf.xml");
    assert_eq!((i.kind, i.records, i.compliance.len()), (Kind::Xccdf, 3, 3));
    assert_eq!(i.source.scanner, "XCCDF 1.1 TestResult");

    let i = read("xccdf/one_vuln_rhsa.xml");
    assert_eq!((i.records, i.compliance.len()), (8, 8));

    let i = read("xccdf/results-xccdf12.xml");
    assert_eq!(i.source.scanner, "XCCDF 1.2 TestResult");
    let results: Vec<(&str, &str)> = i
        .compliance
        .iter()
        .map(|c| {
            (
                c.rule.as_str(),
                serde_json::to_value(c.result)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
                    .leak() as &str,
            )
        })
        .collect();
    assert_eq!(
        results,
        [
            ("xccdf_moc.elpmaxe.www_rule_1", "fail"),
            ("xccdf_moc.elpmaxe.www_rule_2", "pass")
        ]
    );

    let i = read("xccdf/test_xccdf_overrides.arf.xml");
    assert_eq!(i.source.scanner, "XCCDF results in ARF");
    assert_eq!((i.records, i.compliance.len()), (28, 28));
}

#[test]
fn kev_catalog_json_and_csv_agree_and_flag_findings() {
    let json = read("kev/known_exploited_vulnerabilities.json");
    assert_eq!((json.kind, json.records), (Kind::Kev, 1404));
    assert_eq!(
        json.kev_catalog.as_ref().unwrap().version.as_deref(),
        Some("2025.08.25")
    );
    let csv = read("kev/known_exploited_vulnerabilities.csv");
    assert_eq!((csv.kind, csv.records), (Kind::Kev, 1404));

    let a = KevCatalog::read(
        std::fs::File::open(path("kev/known_exploited_vulnerabilities.json")).unwrap(),
    )
    .unwrap();
    let b = KevCatalog::read(
        std::fs::File::open(path("kev/known_exploited_vulnerabilities.csv")).unwrap(),
    )
    .unwrap();
    assert_eq!(a.len(), 1404);
    assert_eq!(a.len(), b.len());

    // CVE-2016-2183 (SWEET32) is not in KEV; CVE-2021-31166-era Windows CVEs partly are.
    let mut options = Options::new(as_of());
    options.kev = Some(a.clone());
    let i = read_with("qualys/Qualys_Sample_Report.csv", &options);
    let flagged: Vec<bool> = i.findings.iter().map(|f| f.kev).collect();
    let expect: Vec<bool> = i
        .findings
        .iter()
        .map(|f| f.cves.iter().any(|c| a.contains(c)))
        .collect();
    assert_eq!(flagged, expect);
    let i = read_with("nessus-csv/issue_11102.csv", &options);
    assert!(i.findings.iter().all(|f| !f.kev));
    let i = read_with("nessus/nessus_with_cvssv3.nessus", &options);
    let kev: Vec<&str> = i
        .findings
        .iter()
        .filter(|f| f.kev)
        .flat_map(|f| f.cves.iter().filter(|c| a.contains(c)).map(|c| c.as_str()))
        .collect();
    assert!(!kev.is_empty(), "an old PHP host names KEV-listed CVEs");
    let obs = i
        .criteria
        .iter()
        .find(|c| c.id == "7.M.D.c5")
        .expect("KEV observation");
    assert!(obs.observation.contains("known exploited"));
}

#[test]
fn dmarc_reports_plain_gzip_and_broken() {
    let i = read("dmarc/_example.com_1538204542_1538463818.xml");
    assert_eq!((i.kind, i.records), (Kind::DmarcReport, 1));
    let d = i.dmarc.as_ref().unwrap();
    assert_eq!(d.sources.len(), 1);
    let s = &d.sources[0];
    assert_eq!(s.count, s.spf_pass + s.spf_fail);
    assert_eq!(s.count, s.dkim_pass + s.dkim_fail);

    let i = read("dmarc/fastmail.com_example.com_1516060800_1516147199_102675056.xml.gz");
    assert_eq!((i.kind, i.records), (Kind::DmarcReport, 1));
    assert_eq!(
        i.dmarc.as_ref().unwrap().org_name.as_deref(),
        Some("FastMail Pty Ltd")
    );

    for f in [
        "dmarc/protection.outlook.com_example.com_1711756800_1711843200.xml",
        "dmarc/veeam.com_example.com_1530133200_1530219600.xml",
    ] {
        let i = read(f);
        assert_eq!(i.records, 1, "{f}");
        assert!(i.criteria.iter().any(|c| c.id == "1.M.A.c3"), "{f}");
    }

    let i = read("dmarc/invalid_utf_8.xml");
    assert!(i.warnings.iter().any(|w| w.message.contains("not UTF-8")));

    let err = import(
        std::fs::File::open(path("dmarc/invalid_xml.xml")).unwrap(),
        Kind::Auto,
        &Options::new(as_of()),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("malformed") && err.to_string().contains("byte"),
        "{err}"
    );
}

#[test]
fn mscp_csv_and_plist_carry_hicp_ids() {
    let i = read("mscp/hicp_lp_baseline.csv");
    assert_eq!((i.kind, i.records, i.compliance.len()), (Kind::Mscp, 5, 5));
    let gk = i
        .compliance
        .iter()
        .find(|c| c.rule == "os_gatekeeper_enable")
        .unwrap();
    assert_eq!(gk.hicp, ["1.L.B", "2.L.A"]);
    let fw = i
        .compliance
        .iter()
        .find(|c| c.rule == "system_settings_firewall_enable")
        .unwrap();
    assert!(fw.exempt);
    let o = i
        .criteria
        .iter()
        .find(|c| c.id == "2.L.A")
        .expect("2.L.A observation");
    assert!(
        o.observation.contains("os_gatekeeper_enable"),
        "{}",
        o.observation
    );

    let p = read("mscp/org.hicp_lp.audit.plist");
    assert_eq!((p.kind, p.records), (Kind::Mscp, 4));
    let gk = p
        .compliance
        .iter()
        .find(|c| c.rule == "os_gatekeeper_enable")
        .unwrap();
    assert_eq!(serde_json::to_value(gk.result).unwrap(), "fail");
}

#[test]
fn inventories_with_real_world_mess() {
    let i = read("inventory/cmdb_export.csv");
    assert_eq!((i.kind, i.records, i.assets.len()), (Kind::Inventory, 5, 5));
    let med: Vec<&str> = i
        .assets
        .iter()
        .filter(|a| a.medical_device)
        .filter_map(|a| a.name.as_deref())
        .collect();
    assert_eq!(med, ["pump-3w-07", "us-cart-02"]);
    assert!(i.criteria.iter().any(|c| c.id == "9.M.D.c1"));

    let i = read("inventory/legacy_1252_cr.csv");
    assert_eq!(i.assets.len(), 2);
    assert_eq!(i.assets[0].name.as_deref(), Some("café-pc"));
    assert_eq!(i.assets[0].location.as_deref(), Some("Café\r2nd floor"));
    assert_eq!(i.assets[0].category.as_deref(), Some("Workstation"));
    assert!(i.assets[1].medical_device);
    assert!(
        i.warnings
            .iter()
            .any(|w| w.message.contains("more than once"))
    );
    assert!(
        i.warnings
            .iter()
            .any(|w| w.message.contains("Windows-1252") && w.at == "row 2")
    );

    let mut mac = Options::new(as_of());
    mac.legacy = hicp_evidence::Legacy::MacRoman;
    let i = read_with("inventory/bom_crlf.csv", &mac);
    assert_eq!(i.assets[0].name.as_deref(), Some("mac-roman-é"));
}

#[test]
fn overdue_findings_feed_the_vulnerability_management_criteria() {
    // Ages run from each fix's publication date to the scan (checked independently: 17 of the
    // 17 dated low-and-up findings are past the data-center column, 9 carry no date).
    let mut options = Options::new(as_of());
    options.kev = Some(
        KevCatalog::read(
            std::fs::File::open(path("kev/known_exploited_vulnerabilities.json")).unwrap(),
        )
        .unwrap(),
    );
    let i = read_with("nessus/nessus_with_cvssv3.nessus", &options);
    let o = i.criteria.iter().find(|c| c.id == "7.M.D.c2").unwrap();
    assert!(
        o.observation.starts_with("17 of 17 dated open findings had been open longer than HICP Table 8's data-center timeframe"),
        "{}",
        o.observation
    );
    assert!(
        o.observation.contains(": 8 high, 9 medium."),
        "{}",
        o.observation
    );
    // The KEV-listed one is named first.
    assert!(
        o.observation.contains("first (KEV, then severity, then age): PHP < 5.3.12 / 5.4.2 CGI Query String Code Execution on testphp.vulnweb.com, KEV (3611 days)"),
        "{}",
        o.observation
    );
    assert!(
        o.observation
            .ends_with("9 open finding(s) carry no first-seen or patch date and were not counted.")
    );
    assert_eq!(
        serde_json::to_value(o).unwrap()["suggested_status"],
        "partial"
    );
    assert!(i.criteria.iter().any(|c| c.id == "7.S.A.c3"));

    // Seen once, on the day it was first found: nothing had been open long.
    let i = read("nessus-csv/nessus_many_vuln.csv");
    let o = i.criteria.iter().find(|c| c.id == "7.M.D.c2").unwrap();
    assert!(
        o.observation.starts_with("None of the 4"),
        "{}",
        o.observation
    );
    assert_eq!(
        serde_json::to_value(o).unwrap()["suggested_status"],
        "largely"
    );

    // An as-of date before the scan caps the age.
    let i = read_with(
        "nessus/nessus_with_cvssv3.nessus",
        &Options::new(Date::parse("2012-06-01").unwrap()),
    );
    let o = i.criteria.iter().find(|c| c.id == "7.M.D.c2").unwrap();
    assert!(!o.observation.starts_with("17 of 17"), "{}", o.observation);
}

#[test]
fn scanned_hosts_missing_from_the_inventory() {
    let scan = read("nessus-csv/nessus_many_vuln.csv");
    let inv = read("inventory/cmdb_export.csv");
    let obs = hicp_evidence::correlate(&[scan, inv]);
    let o = obs.iter().find(|o| o.id == "5.M.A.c5").unwrap();
    assert!(
        o.observation
            .starts_with("2 scanned host(s) are not in the inventory"),
        "{}",
        o.observation
    );
    assert!(
        o.observation
            .contains("5 of 5 inventory item(s) were never scanned"),
        "{}",
        o.observation
    );
}

#[test]
fn a_scanned_fqdn_meets_the_inventory_short_name() {
    let scan = b"Plugin ID,Risk,Host,Name\n1,High,EHR-DB-01.example.org,x\n2,Low,10.0.1.15,y\n";
    let inv =
        b"Hostname,IP Address\nehr-db-01,10.0.2.10\nfrontdesk-01,10.0.1.15\nprinter-2,10.0.1.50\n";
    let o = Options::new(as_of());
    let both = [
        import(&scan[..], Kind::Auto, &o).unwrap(),
        import(&inv[..], Kind::Auto, &o).unwrap(),
    ];
    let obs = hicp_evidence::correlate(&both);
    let text = &obs.iter().find(|o| o.id == "7.M.A.c1").unwrap().observation;
    assert_eq!(
        text,
        "0 scanned host(s) are not in the inventory; 1 of 3 inventory item(s) were never scanned: printer-2."
    );
}

#[test]
fn severities_are_normalized() {
    assert_eq!(Severity::from_word("None"), Some(Severity::Info));
    assert_eq!(Severity::from_qualys("5"), Some(Severity::Critical));
    assert_eq!(Severity::from_nessus("4"), Some(Severity::Critical));
    assert_eq!(Severity::from_cvss(9.0), Some(Severity::Critical));
    assert_eq!(Severity::from_cvss(11.0), None);
}

/// Past 1 MB the hash runs on a thread of its own: the digest must still be the file's.
#[test]
fn the_hash_of_a_large_file_is_the_files() {
    use sha2::{Digest, Sha256};
    for rel in [
        "nessus/nessus_with_cvssv3.nessus",
        "kev/known_exploited_vulnerabilities.json",
    ] {
        let bytes = std::fs::read(path(rel)).unwrap();
        assert!(bytes.len() > 1024 * 1024, "{rel} is past the inline size");
        let i = import(&bytes[..], Kind::Auto, &Options::new(as_of())).unwrap();
        assert_eq!(
            i.source.sha256,
            hex::encode(Sha256::digest(&bytes)),
            "{rel}"
        );
    }
}
