//! Telling a file's kind from its first bytes: magic numbers, the XML root element, the JSON
//! keys or the CSV header. The file name is never consulted.

use crate::Kind;
use crate::input::{norm, sniff_delimiter};
use crate::xml;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    NessusXml,
    OpenvasXml,
    QualysXml,
    Xccdf,
    MscpPlist,
    DmarcXml,
    KevJson,
    /// `skip`: rows before the header (a title block, as Qualys VMDR writes).
    Csv {
        kind: Kind,
        delimiter: u8,
        skip: u64,
    },
}

impl Format {
    pub fn kind(self) -> Kind {
        match self {
            Format::NessusXml => Kind::Nessus,
            Format::OpenvasXml => Kind::Openvas,
            Format::QualysXml => Kind::Qualys,
            Format::Xccdf => Kind::Xccdf,
            Format::MscpPlist => Kind::Mscp,
            Format::DmarcXml => Kind::DmarcReport,
            Format::KevJson => Kind::Kev,
            Format::Csv { kind, .. } => kind,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Format::Csv { kind, .. } => format!("{kind} (CSV)"),
            Format::KevJson => "kev (JSON)".into(),
            Format::MscpPlist => "mscp (plist)".into(),
            other => format!("{} (XML)", other.kind()),
        }
    }
}

pub(crate) enum Sniff {
    Empty,
    Gzip,
    Zip,
    Found(Format),
    Unknown(String),
}

pub(crate) fn sniff(prefix: &[u8]) -> Sniff {
    if prefix.starts_with(&[0x1f, 0x8b]) {
        return Sniff::Gzip;
    }
    if prefix.starts_with(b"PK\x03\x04") {
        return Sniff::Zip;
    }
    if prefix.starts_with(b"bplist00") {
        return Sniff::Found(Format::MscpPlist);
    }
    let text = prefix.strip_prefix(b"\xef\xbb\xbf").unwrap_or(prefix);
    let start = text.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Sniff::Empty;
    };
    if prefix.starts_with(&[0xff, 0xfe]) || prefix.starts_with(&[0xfe, 0xff]) {
        // UTF-16 text: only CSV is read through a transcoder.
        let (decoded, _) = encoding_rs::UTF_16LE.decode_with_bom_removal(prefix);
        return csv_kind(decoded.as_bytes());
    }
    match text[start] {
        b'<' => xml_kind(&text[start..]),
        b'{' => json_kind(&text[start..]),
        _ => csv_kind(text),
    }
}

fn xml_kind(prefix: &[u8]) -> Sniff {
    let Some((root, attrs)) = xml::root(prefix) else {
        return Sniff::Unknown("it starts like XML but no element could be read".into());
    };
    let format = match root.as_str() {
        "NessusClientData_v2" => Format::NessusXml,
        "NessusClientData" => {
            return Sniff::Unknown("Nessus v1 files are not read; export as .nessus (v2)".into());
        }
        // A Greenbone report, alone or inside a GMP response.
        "report" | "get_reports_response" => Format::OpenvasXml,
        "ASSET_DATA_REPORT" | "SCAN" | "HOST_LIST_VM_DETECTION_OUTPUT" => Format::QualysXml,
        "Benchmark" | "TestResult" | "asset-report-collection" | "data-stream-collection" => {
            Format::Xccdf
        }
        "plist" => Format::MscpPlist,
        "feedback" => Format::DmarcXml,
        other => {
            let ns = xml::attr(&attrs, "xmlns").unwrap_or("");
            if ns.contains("xccdf") {
                Format::Xccdf
            } else {
                return Sniff::Unknown(format!(
                    "an XML file whose root element <{other}> is not a known report"
                ));
            }
        }
    };
    Sniff::Found(format)
}

fn json_kind(prefix: &[u8]) -> Sniff {
    let head = String::from_utf8_lossy(prefix);
    if head.contains("\"catalogVersion\"") || head.contains("\"cveID\"") {
        Sniff::Found(Format::KevJson)
    } else {
        Sniff::Unknown("a JSON file that is not the KEV catalog".into())
    }
}

/// The header may follow a few lines of title (Qualys VMDR): the first of the first lines
/// that names a known layout is the header.
fn csv_kind(text: &[u8]) -> Sniff {
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    let lines = text
        .split(|&b| b == b'\n' || b == b'\r')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(12);
    for (skip, line) in lines.enumerate() {
        if let Some((kind, delimiter)) = header_kind(line) {
            return Sniff::Found(Format::Csv {
                kind,
                delimiter,
                skip: skip as u64,
            });
        }
    }
    Sniff::Unknown("a text file whose first lines hold no header this tool knows".into())
}

fn header_kind(line: &[u8]) -> Option<(Kind, u8)> {
    let delimiter = sniff_delimiter(line);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(line);
    let mut record = csv::ByteRecord::new();
    if !matches!(reader.read_byte_record(&mut record), Ok(true)) {
        return None;
    }
    let names: Vec<String> = record
        .iter()
        .map(|f| norm(&String::from_utf8_lossy(f)))
        .collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    let kind = if has("cveid") && has("vendorproject") {
        Kind::Kev
    } else if has("rule") && has("status") && has("expected") {
        Kind::Mscp
    } else if has("nvt name") || has("nvt oid") {
        Kind::Openvas
    } else if has("qid") {
        Kind::Qualys
    } else if (has("plugin") || has("plugin id") || has("definition.id"))
        && (has("severity") || has("risk") || has("risk factor"))
    {
        Kind::Nessus
    } else if crate::inventory::looks_like_inventory(&names) {
        Kind::Inventory
    } else {
        return None;
    };
    Some((kind, delimiter))
}
