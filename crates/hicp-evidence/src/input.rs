//! Reading bytes: the streaming hash, the output under construction with its warnings, text
//! in legacy encodings, and CSV headers.

use crate::model::{Asset, Compliance, DmarcSummary, Finding, KevSummary, Observation, Warning};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{self, Read};

/// Counts and hashes every byte read through it, so the file is read once. The first
/// [`INLINE_HASH`] bytes are hashed as they are read; past that, a second thread hashes while
/// the parser works (SHA-256 costs about as much as parsing), fed in [`HASH_CHUNK`] pieces
/// through a bounded channel, so memory stays flat.
pub(crate) struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    worker: Option<Worker>,
    pub bytes: u64,
}

struct Worker {
    pending: Vec<u8>,
    send: std::sync::mpsc::SyncSender<Vec<u8>>,
    done: std::thread::JoinHandle<Sha256>,
}

/// Files up to this size are hashed on the reading thread (a thread would cost more).
pub(crate) const INLINE_HASH: u64 = 1024 * 1024;
/// What the hashing thread is handed at a time; at most 8 pieces wait.
const HASH_CHUNK: usize = 256 * 1024;

impl<R: Read> Hashing<R> {
    pub fn new(inner: R) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            worker: None,
            bytes: 0,
        }
    }

    /// Moves the hash to a thread of its own; stays inline if no thread can be had.
    fn spawn(&mut self) {
        let (send, receive) = std::sync::mpsc::sync_channel::<Vec<u8>>(8);
        let mut hasher = self.hasher.clone();
        let spawned = std::thread::Builder::new()
            .name("hicp-evidence-sha256".into())
            .spawn(move || {
                for piece in receive {
                    hasher.update(&piece);
                }
                hasher
            });
        if let Ok(done) = spawned {
            self.worker = Some(Worker {
                pending: Vec::with_capacity(HASH_CHUNK),
                send,
                done,
            });
        }
    }

    pub fn finish(mut self) -> io::Result<String> {
        if let Some(w) = self.worker.take() {
            let Worker {
                pending,
                send,
                done,
            } = w;
            let sent = pending.is_empty() || send.send(pending).is_ok();
            drop(send);
            match done.join() {
                Ok(h) if sent => self.hasher = h,
                // Only a panic stops the thread: no digest rather than a wrong one.
                _ => return Err(io::Error::other("the hashing thread stopped")),
            }
        }
        Ok(hex::encode(self.hasher.finalize()))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        match &mut self.worker {
            Some(w) => {
                w.pending.extend_from_slice(&buf[..n]);
                if w.pending.len() >= HASH_CHUNK {
                    let piece = std::mem::replace(&mut w.pending, Vec::with_capacity(HASH_CHUNK));
                    if w.send.send(piece).is_err() {
                        return Err(io::Error::other("the hashing thread stopped"));
                    }
                }
            }
            None => {
                self.hasher.update(&buf[..n]);
                if self.bytes > INLINE_HASH {
                    self.spawn();
                }
            }
        }
        Ok(n)
    }
}

/// A hostile file can make a warning per record; past this many only a count is kept.
const MAX_WARNINGS: usize = 500;

/// What the parsers fill in.
#[derive(Default)]
pub(crate) struct Out {
    pub scanner: String,
    pub generated: Option<String>,
    pub records: u64,
    pub findings: Vec<Finding>,
    pub compliance: Vec<Compliance>,
    pub assets: Vec<Asset>,
    pub criteria: Vec<Observation>,
    pub dmarc: Option<DmarcSummary>,
    pub kev_catalog: Option<KevSummary>,
    pub kev_ids: Vec<crate::model::CveId>,
    warnings: Vec<Warning>,
    dropped: u64,
    legacy_noted: bool,
}

impl Out {
    pub fn warn(&mut self, at: impl Into<String>, message: impl Into<String>) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(Warning {
                at: at.into(),
                message: message.into(),
            });
        } else {
            self.dropped += 1;
        }
    }

    pub fn take_warnings(&mut self) -> Vec<Warning> {
        let mut w = std::mem::take(&mut self.warnings);
        if self.dropped > 0 {
            w.push(Warning {
                at: "file".into(),
                message: format!("{} more warnings not listed", self.dropped),
            });
        }
        w
    }

    /// Text that is not UTF-8 is read as Windows-1252 (or Mac Roman when asked), once noted.
    pub fn text<'b>(
        &mut self,
        bytes: &'b [u8],
        legacy: Legacy,
        at: impl FnOnce() -> String,
    ) -> std::borrow::Cow<'b, str> {
        match std::str::from_utf8(bytes) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => {
                if !self.legacy_noted {
                    self.legacy_noted = true;
                    self.warn(
                        at(),
                        format!("text is not UTF-8; read as {}", legacy.name()),
                    );
                }
                std::borrow::Cow::Owned(legacy.decode(bytes))
            }
        }
    }
}

/// The single-byte encoding assumed for text that is not UTF-8.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Legacy {
    #[default]
    Windows1252,
    MacRoman,
}

impl Legacy {
    pub fn name(self) -> &'static str {
        match self {
            Legacy::Windows1252 => "Windows-1252",
            Legacy::MacRoman => "Mac Roman",
        }
    }

    pub fn decode(self, bytes: &[u8]) -> String {
        match self {
            Legacy::Windows1252 => encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
            Legacy::MacRoman => bytes
                .iter()
                .map(|&b| {
                    if b < 0x80 {
                        b as char
                    } else {
                        MAC_ROMAN[(b - 0x80) as usize]
                    }
                })
                .collect(),
        }
    }
}

// The upper half of Mac OS Roman (Apple's table, with 0xDB as the euro sign).
const MAC_ROMAN: [char; 128] = [
    'Ä', 'Å', 'Ç', 'É', 'Ñ', 'Ö', 'Ü', 'á', 'à', 'â', 'ä', 'ã', 'å', 'ç', 'é', 'è', //
    'ê', 'ë', 'í', 'ì', 'î', 'ï', 'ñ', 'ó', 'ò', 'ô', 'ö', 'õ', 'ú', 'ù', 'û', 'ü', //
    '†', '°', '¢', '£', '§', '•', '¶', 'ß', '®', '©', '™', '´', '¨', '≠', 'Æ', 'Ø', //
    '∞', '±', '≤', '≥', '¥', 'µ', '∂', '∑', '∏', 'π', '∫', 'ª', 'º', 'Ω', 'æ', 'ø', //
    '¿', '¡', '¬', '√', 'ƒ', '≈', '∆', '«', '»', '…', '\u{a0}', 'À', 'Ã', 'Õ', 'Œ', 'œ', //
    '–', '—', '“', '”', '‘', '’', '÷', '◊', 'ÿ', 'Ÿ', '⁄', '€', '‹', '›', 'ﬁ', 'ﬂ', //
    '‡', '·', '‚', '„', '‰', 'Â', 'Ê', 'Á', 'Ë', 'È', 'Í', 'Î', 'Ï', 'Ì', 'Ó', 'Ô', //
    '\u{f8ff}', 'Ò', 'Ú', 'Û', 'Ù', 'ı', 'ˆ', '˜', '¯', '˘', '˙', '˚', '¸', '˝', '˛', 'ˇ',
];

/// A header name as compared: trimmed, lower case, single spaces, without a BOM.
pub(crate) fn norm(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A CSV header row, looked up by synonyms.
pub(crate) struct Header {
    index: HashMap<String, usize>,
}

impl Header {
    /// Empty names are skipped; of a repeated name, the first column counts.
    pub fn new(names: Vec<String>, out: &mut Out, at: &str) -> Header {
        let names: Vec<String> = names.iter().map(|n| norm(n)).collect();
        let mut index = HashMap::new();
        let mut empty = 0;
        for (i, n) in names.iter().enumerate() {
            if n.is_empty() {
                empty += 1;
            } else if index.contains_key(n) {
                out.warn(
                    at,
                    format!("column \"{n}\" appears more than once; the first one is read"),
                );
            } else {
                index.insert(n.clone(), i);
            }
        }
        if empty > 0 {
            out.warn(
                at,
                format!("{empty} column(s) have no name and are ignored"),
            );
        }
        Header { index }
    }

    /// The first of `synonyms` (in order of preference) that names a column.
    pub fn find(&self, synonyms: &[&str]) -> Option<usize> {
        synonyms.iter().find_map(|s| self.index.get(*s).copied())
    }

    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }
}

/// The field at `i` of a decoded row, trimmed, `None` when empty.
pub(crate) fn field(row: &[String], i: Option<usize>) -> Option<String> {
    let v = row.get(i?)?.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// Guesses the delimiter from the first line: the most frequent of `,` `;` tab outside quotes.
pub(crate) fn sniff_delimiter(first_line: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in first_line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

/// Reads CSV rows with the text decoded, empty rows skipped and each row's place known.
pub(crate) struct CsvRows<'a> {
    reader: csv::Reader<Box<dyn Read + 'a>>,
    record: csv::ByteRecord,
    legacy: Legacy,
    /// Whether line numbers mean something (CR-only files are one "line" to the CSV reader).
    lines: bool,
    /// The row just read, counting the header as row 1.
    pub line: u64,
    /// Title rows still to pass over before the header.
    skip: u64,
}

impl<'a> CsvRows<'a> {
    pub fn new<R: std::io::BufRead + 'a>(
        mut input: R,
        delimiter: u8,
        legacy: Legacy,
        skip: u64,
    ) -> Self {
        let (head, lines) = input
            .fill_buf()
            .map(|b| {
                (
                    b.get(..3).unwrap_or(b).to_vec(),
                    b.contains(&b'\n') || !b.contains(&b'\r'),
                )
            })
            .unwrap_or_default();
        let source: Box<dyn Read + 'a> =
            if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
                // UTF-16 becomes UTF-8 on the way.
                Box::new(
                    encoding_rs_io::DecodeReaderBytesBuilder::new()
                        .bom_sniffing(true)
                        .strip_bom(true)
                        .build(input),
                )
            } else {
                // A UTF-8 BOM is dropped; bytes that are not UTF-8 are decoded per field, later.
                if head == b"\xef\xbb\xbf" {
                    input.consume(3);
                }
                Box::new(input)
            };
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(source);
        CsvRows {
            reader,
            record: csv::ByteRecord::new(),
            legacy,
            lines,
            line: 0,
            skip,
        }
    }

    /// Where the last row read is: its first line, or its row number in a CR-only file.
    pub fn at(&self) -> String {
        self_at(self.lines, self.line)
    }

    /// The next row with at least one non-blank field, or `None` at the end. A row that
    /// cannot be read is a warning; reading goes on.
    pub fn next_row(&mut self, out: &mut Out) -> Result<Option<Vec<String>>, crate::Error> {
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return Ok(None),
                Ok(true) => {
                    let lines = self.lines;
                    self.line = self.record.position().map_or(self.line + 1, |p| {
                        if lines { p.line() } else { p.record() + 1 }
                    });
                    if self
                        .record
                        .iter()
                        .all(|f| f.iter().all(u8::is_ascii_whitespace))
                    {
                        continue;
                    }
                    if self.skip > 0 {
                        self.skip -= 1;
                        continue;
                    }
                    let line = self.line;
                    let legacy = self.legacy;
                    let row = self
                        .record
                        .iter()
                        .map(|f| out.text(f, legacy, || self_at(lines, line)).into_owned())
                        .collect();
                    return Ok(Some(row));
                }
                Err(e) => {
                    let lines = self.lines;
                    let at = e.position().map_or("file".to_owned(), |p| {
                        self_at(lines, if lines { p.line() } else { p.record() + 1 })
                    });
                    let message = format!("row skipped: {e}");
                    match e.into_kind() {
                        csv::ErrorKind::Io(io) => return Err(crate::Error::Io(io)),
                        _ => out.warn(at, message),
                    }
                }
            }
        }
    }
}

fn self_at(lines: bool, n: u64) -> String {
    if lines {
        format!("line {n}")
    } else {
        format!("row {n}")
    }
}
