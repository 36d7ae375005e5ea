//! Technical evidence import: reads scanner results (Nessus, Tenable, Greenbone/OpenVAS,
//! Qualys), configuration compliance results (XCCDF, ARF, mSCP), asset inventories, the CISA
//! KEV catalog and DMARC aggregate reports, and says what they mean for HICP.
//!
//! Pure: [`import`] reads from what the caller passes, in one streaming pass (the SHA-256 is
//! computed on the way), opens no file, uses no network and never resolves an XML DTD or
//! entity. Malformed input gives located warnings or an [`Error`], never a panic.

mod dates;
mod detect;
mod dmarc;
mod input;
mod inventory;
mod kev;
pub mod mapping;
mod model;
mod mscp;
mod nessus;
mod openvas;
pub mod plan;
mod qualys;
mod scan_csv;
mod xccdf;
mod xml;

pub use input::Legacy;
pub use kev::KevCatalog;
pub use mapping::{Mapping, Scoped, correlate, mapping, scoped, summary};
pub use model::*;
pub use plan::{plan_finding, plan_findings, plan_findings_from_json};

use hicp_core::assessment::Date;
use std::io::{self, BufRead, BufReader, Read};

/// What an import needs besides the file.
#[derive(Clone, Debug)]
pub struct Options {
    /// The KEV catalog to flag findings with; without it every `kev` is false.
    pub kev: Option<KevCatalog>,
    /// The day ages are counted to (the engine never reads the clock).
    pub as_of: Date,
    /// The file name, recorded in `source.file`.
    pub file_name: Option<String>,
    /// How text that is not UTF-8 is read.
    pub legacy: Legacy,
}

impl Options {
    pub fn new(as_of: Date) -> Options {
        Options {
            kev: None,
            as_of,
            file_name: None,
            legacy: Legacy::default(),
        }
    }
}

/// Why a file could not be imported at all. Anything less is a [`Warning`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not read the file: {0}")]
    Io(#[from] io::Error),
    #[error("the file is empty")]
    Empty,
    #[error("could not tell what kind of file this is: {0}")]
    Unrecognized(String),
    #[error("the content is {found}, not {expected}")]
    WrongKind { expected: Kind, found: String },
    #[error("{message} (at {at})")]
    Malformed { at: String, message: String },
    #[error("{0}")]
    Unsupported(String),
}

/// A gzip-compressed file is read through; this caps what it may expand to.
const MAX_EXPANDED: u64 = 16 * 1024 * 1024 * 1024;
/// The first bytes looked at to tell the kind.
const PREFIX: usize = 16 * 1024;

/// Reads one file. `kind` may be [`Kind::Auto`]: the kind is then told from the content.
pub fn import<R: Read>(reader: R, kind: Kind, options: &Options) -> Result<Import, Error> {
    let (detected, mut out, sha256) = run(reader, kind, options.legacy)?;
    if let Some(kev) = &options.kev {
        for f in &mut out.findings {
            f.kev = f.cves.iter().any(|c| kev.contains(c));
        }
    }
    let mut criteria = std::mem::take(&mut out.criteria);
    criteria.extend(mapping::observe(detected, &out, options));
    let warnings = out.take_warnings();
    Ok(Import {
        kind: detected,
        source: Source {
            file: options.file_name.clone(),
            sha256,
            scanner: out.scanner,
            generated: out.generated,
        },
        records: out.records,
        findings: out.findings,
        compliance: out.compliance,
        assets: out.assets,
        criteria,
        warnings,
        dmarc: out.dmarc,
        kev_catalog: out.kev_catalog,
    })
}

impl Import {
    /// The day the tool produced the file, where the file says and it can be read.
    pub fn generated_on(&self) -> Option<Date> {
        self.source.generated.as_deref().and_then(dates::parse)
    }
}

/// Parses and hashes; what is common to an import and to reading a KEV catalog.
pub(crate) fn run<R: Read>(
    reader: R,
    kind: Kind,
    legacy: Legacy,
) -> Result<(Kind, input::Out, String), Error> {
    let mut hashing = input::Hashing::new(reader);
    let mut out = input::Out::default();
    let detected = {
        let buffered = BufReader::with_capacity(64 * 1024, &mut hashing);
        parse(Box::new(buffered), kind, legacy, &mut out, 0)?
    };
    // The hash covers the whole file even when a parser stopped early.
    io::copy(&mut hashing, &mut io::sink())?;
    if hashing.bytes == 0 {
        return Err(Error::Empty);
    }
    let sha256 = hashing.finish()?;
    Ok((detected, out, sha256))
}

/// The first bytes, and a reader that gives them again followed by the rest.
type Replay<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

fn peek<R: BufRead>(mut input: R) -> io::Result<(Vec<u8>, Replay<R>)> {
    let mut prefix = Vec::with_capacity(PREFIX);
    (&mut input).take(PREFIX as u64).read_to_end(&mut prefix)?;
    let replay = io::Cursor::new(prefix.clone());
    Ok((prefix, replay.chain(input)))
}

/// A zip archive (DMARC reports often come zipped): its first file is read, streamed from
/// the local headers without seeking.
fn unzip(
    mut input: Box<dyn BufRead + '_>,
    kind: Kind,
    legacy: Legacy,
    out: &mut input::Out,
) -> Result<Kind, Error> {
    let zip_error = |e: zip::result::ZipError| Error::Malformed {
        at: "zip archive".into(),
        message: format!("the archive cannot be read: {e}"),
    };
    let found = loop {
        let Some(entry) = zip::read::read_zipfile_from_stream(&mut input).map_err(zip_error)?
        else {
            return Err(Error::Malformed {
                at: "zip archive".into(),
                message: "the archive holds no file".into(),
            });
        };
        if entry.is_dir() {
            continue;
        }
        let inner = BufReader::new(entry.take(MAX_EXPANDED));
        break parse(Box::new(inner), kind, legacy, out, 1)?;
    };
    if zip::read::read_zipfile_from_stream(&mut input)
        .ok()
        .flatten()
        .is_some()
    {
        out.warn(
            "zip archive",
            "the archive holds more than one file; only the first was read",
        );
    }
    Ok(found)
}

// Dynamic, so that a gzip layer does not make the parser types recurse.
fn parse(
    input: Box<dyn BufRead + '_>,
    kind: Kind,
    legacy: Legacy,
    out: &mut input::Out,
    depth: u8,
) -> Result<Kind, Error> {
    let (prefix, input) = peek(input)?;
    let input = BufReader::with_capacity(64 * 1024, input);
    let sniffed = detect::sniff(&prefix);
    let found = match sniffed {
        detect::Sniff::Empty => return Err(Error::Empty),
        detect::Sniff::Gzip if depth == 0 => {
            let inner = BufReader::new(flate2::read::MultiGzDecoder::new(input).take(MAX_EXPANDED));
            return parse(Box::new(inner), kind, legacy, out, depth + 1);
        }
        detect::Sniff::Gzip => {
            return Err(Error::Unsupported("gzip inside gzip is not read".into()));
        }
        detect::Sniff::Zip if depth == 0 => return unzip(Box::new(input), kind, legacy, out),
        detect::Sniff::Zip => {
            return Err(Error::Unsupported(
                "a zip inside an archive is not read".into(),
            ));
        }
        detect::Sniff::Found(found) => found,
        detect::Sniff::Unknown(why) => return Err(Error::Unrecognized(why)),
    };
    if kind != Kind::Auto && kind != found.kind() {
        return Err(Error::WrongKind {
            expected: kind,
            found: found.describe(),
        });
    }
    match found {
        detect::Format::NessusXml => nessus::read(input, out)?,
        detect::Format::OpenvasXml => openvas::read(input, out)?,
        detect::Format::QualysXml => qualys::read(input, out)?,
        detect::Format::Xccdf => xccdf::read(input, out)?,
        detect::Format::MscpPlist => mscp::read_plist(input, out)?,
        detect::Format::DmarcXml => dmarc::read(input, out)?,
        detect::Format::KevJson => kev::read_json(input, out)?,
        detect::Format::Csv {
            kind: k,
            delimiter,
            skip,
        } => {
            let rows = input::CsvRows::new(input, delimiter, legacy, skip);
            match k {
                Kind::Nessus | Kind::Openvas | Kind::Qualys => scan_csv::read(rows, k, out)?,
                Kind::Mscp => mscp::read_csv(rows, out)?,
                Kind::Kev => kev::read_csv(rows, out)?,
                _ => inventory::read(rows, out)?,
            }
        }
    }
    Ok(found.kind())
}
