//! Malformed and hostile input: located warnings or a clear error, never a panic, never an
//! expanded entity, never a network access (nothing here could reach one: DTDs are not read).

use hicp_core::assessment::Date;
use hicp_evidence::{Error, Import, Kind, Options, import};

fn run(bytes: &[u8]) -> Result<Import, Error> {
    import(
        bytes,
        Kind::Auto,
        &Options::new(Date::parse("2026-01-01").unwrap()),
    )
}

#[test]
fn external_entities_are_never_resolved() {
    let xxe = br#"<?xml version="1.0"?>
<!DOCTYPE feedback [<!ENTITY xxe SYSTEM "file:///etc/passwd"> <!ENTITY net SYSTEM "http://127.0.0.1:1/x">]>
<feedback><report_metadata><org_name>&xxe;&net;</org_name></report_metadata>
<record><row><source_ip>192.0.2.1</source_ip><count>1</count></row></record></feedback>"#;
    let i = run(xxe).unwrap();
    let org = i.dmarc.unwrap().org_name.unwrap();
    assert_eq!(org, "&xxe;&net;");
    assert!(!org.contains("root:"));
    assert!(
        i.warnings
            .iter()
            .any(|w| w.message.contains("declares entities"))
    );
    assert!(
        i.warnings
            .iter()
            .any(|w| w.message.contains("&xxe; is not expanded"))
    );
}

#[test]
fn billion_laughs_stays_small() {
    let mut doc = String::from(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE NessusClientData_v2 [\n<!ENTITY lol \"lol\">\n",
    );
    for i in 1..=9 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        doc.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    doc.push_str("]>\n<NessusClientData_v2><Report><ReportHost name=\"h\"><ReportItem port=\"0\" protocol=\"tcp\" severity=\"2\" pluginID=\"1\" pluginName=\"&lol9;\"></ReportItem></ReportHost></Report></NessusClientData_v2>");
    let i = run(doc.as_bytes()).unwrap();
    assert_eq!(i.findings.len(), 1);
    // The attribute is kept as written, not expanded to a billion "lol"s.
    assert!(i.findings[0].title.len() < 100, "{}", i.findings[0].title);
}

#[test]
fn broken_files_fail_clearly() {
    for (bytes, want) in [
        (&b""[..], "empty"),
        (b"   \n\n", "empty"),
        (b"\x00\x01\x02binary", "could not tell"),
        (b"<html><body>not a report</body></html>", "<html>"),
        (b"{\"hello\": 1}", "not the KEV catalog"),
        (
            b"<NessusClientData_v2><Report><ReportHost name=\"a\"><ReportItem",
            "malformed",
        ),
        (
            b"<feedback><report_metadata></wrong></feedback>",
            "malformed",
        ),
        (
            b"{\"catalogVersion\": \"1\", \"vulnerabilities\": [",
            "KEV catalog JSON",
        ),
        (b"bplist00garbage", "property list"),
        (b"PK\x03\x04", "zip"),
        (
            b"PK\x03\x04\x14\x00\x00\x00\x08\x00garbage-that-is-not-deflate",
            "zip",
        ),
    ] {
        let err = run(bytes).expect_err(&String::from_utf8_lossy(bytes));
        assert!(
            err.to_string().contains(want),
            "{:?}: {err}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn a_truncated_scan_keeps_what_was_read_with_a_located_warning() {
    let doc = b"<NessusClientData_v2><Report><ReportHost name=\"a\"><ReportItem port=\"22\" protocol=\"tcp\" severity=\"3\" pluginID=\"1\" pluginName=\"x\"><cve>CVE-2020-1234</cve></ReportItem><ReportItem port=\"2";
    let i = run(doc).unwrap();
    assert_eq!(i.findings.len(), 1);
    assert!(
        i.warnings
            .iter()
            .any(|w| w.at.starts_with("byte") && w.message.contains("reading stopped")),
        "{:?}",
        i.warnings
    );
}

#[test]
fn deep_nesting_is_refused() {
    let doc = format!("<report>{}", "<a>".repeat(10_000));
    let err = run(doc.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("nested"), "{err}");
}

#[test]
fn a_wrong_explicit_kind_is_named() {
    let err = import(
        &b"Rule,Status,Result,Expected,Exemption\nx,passed,1,1,\n"[..],
        Kind::Nessus,
        &Options::new(Date::parse("2026-01-01").unwrap()),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "the content is mscp (CSV), not nessus");
}

#[test]
fn csv_rows_that_break_are_warnings_with_their_row() {
    let csv = b"Plugin ID,CVE,Risk,Host,Protocol,Port,Name\n1,CVE-2020-0001,High,h,tcp,22,ssh\n\n,,,,,,\n2,,Bogus,h,tcp,notaport,x\n3,,Low,h,tcp,80\n";
    let i = run(csv).unwrap();
    assert_eq!(i.records, 3);
    // A severity that means nothing is info, and said.
    assert!(
        i.warnings
            .iter()
            .any(|w| w.at == "line 5" && w.message.contains("severity")),
        "{:?}",
        i.warnings
    );
    assert!(
        i.warnings
            .iter()
            .any(|w| w.at == "line 6" && w.message.contains("without a finding name")),
        "{:?}",
        i.warnings
    );
}

#[test]
fn utf16_csv_with_bom_reads() {
    let text = "Name,IP,Category\nfront,10.0.0.1,Workstation\n";
    let mut bytes = vec![0xff, 0xfe];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let i = run(&bytes).unwrap();
    assert_eq!(i.kind, Kind::Inventory);
    assert_eq!(i.assets[0].ip.as_deref(), Some("10.0.0.1"));
}

#[test]
fn the_hash_covers_the_whole_file_even_after_an_early_stop() {
    let doc = b"<NessusClientData_v2><Report><ReportHost name=\"a\"><ReportItem port=\"22\" protocol=\"tcp\" severity=\"3\" pluginID=\"1\" pluginName=\"x\"></ReportItem></Wrong>trailing bytes";
    let i = run(doc).unwrap();
    // sha256 of the bytes above, computed independently with sha256sum.
    let want = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(doc))
    };
    assert_eq!(i.source.sha256, want);
}

#[test]
fn the_hash_covers_megabytes_after_an_early_stop() {
    // The parser stops at the mismatched end tag; the rest (3 MB) is hashed on the hashing
    // thread, in pieces that do not line up with the reads.
    let mut doc = b"<NessusClientData_v2><Report><ReportHost name=\"a\"><ReportItem port=\"22\" protocol=\"tcp\" severity=\"3\" pluginID=\"1\" pluginName=\"x\"></ReportItem></Wrong>".to_vec();
    doc.extend((0..3 * 1024 * 1024 + 7).map(|i| b'a' + (i % 26) as u8));
    let i = run(&doc).unwrap();
    let want = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(&doc))
    };
    assert_eq!(i.source.sha256, want);
}
