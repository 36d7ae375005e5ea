//! A small pull layer over quick-xml: start tags with their attributes, end tags with the
//! text they held. Entities other than XML's five and character references are never
//! expanded, and DTDs are never read: an external entity or an entity bomb stays inert text.

use crate::Error;
use crate::input::{Legacy, Out};
use quick_xml::events::Event;
use std::io::BufRead;

/// Text kept per element; longer text (plugin output, descriptions) is cut, which keeps memory
/// bounded whatever the file holds.
const MAX_TEXT: usize = 64 * 1024;
/// Deeper nesting than any real report is treated as hostile.
const MAX_DEPTH: usize = 64;

pub(crate) enum Ev {
    Start {
        name: String,
        attrs: Vec<(String, String)>,
    },
    End {
        name: String,
        text: String,
    },
}

pub(crate) struct Xml<R: BufRead> {
    reader: quick_xml::Reader<R>,
    buf: Vec<u8>,
    text: String,
    // The own text of each open ancestor, so that text around a child element is kept.
    stack: Vec<String>,
    depth: usize,
    legacy: Legacy,
    pending_end: Option<String>,
    entity_warnings: u32,
}

fn local(name: &[u8]) -> String {
    let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
    String::from_utf8_lossy(local).into_owned()
}

impl<R: BufRead> Xml<R> {
    pub fn new(input: R) -> Self {
        let mut reader = quick_xml::Reader::from_reader(input);
        let config = reader.config_mut();
        config.trim_text(false);
        config.expand_empty_elements = false;
        config.check_end_names = true;
        Xml {
            reader,
            buf: Vec::new(),
            text: String::new(),
            stack: Vec::new(),
            depth: 0,
            legacy: Legacy::Windows1252,
            pending_end: None,
            entity_warnings: 0,
        }
    }

    fn end(&mut self, name: String) -> Ev {
        self.depth = self.depth.saturating_sub(1);
        let text = std::mem::replace(&mut self.text, self.stack.pop().unwrap_or_default());
        Ev::End { name, text }
    }

    /// Where the reader is, for warnings.
    pub fn at(&self) -> String {
        format!("byte {}", self.position())
    }

    /// The byte offset reached.
    pub fn position(&self) -> u64 {
        self.reader.buffer_position()
    }

    fn push_text(&mut self, s: &str) {
        push_text(&mut self.text, s);
    }

    /// The next start or end; `None` at the end of the document. A syntax error ends reading:
    /// the caller decides whether what was read so far is worth keeping.
    pub fn next(&mut self, out: &mut Out) -> Result<Option<Ev>, Error> {
        if let Some(name) = self.pending_end.take() {
            return Ok(Some(self.end(name)));
        }
        loop {
            self.buf.clear();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(e) => e,
                Err(quick_xml::Error::Io(e)) => {
                    return Err(Error::Io(std::io::Error::new(e.kind(), e.to_string())));
                }
                Err(e) => {
                    return Err(Error::Malformed {
                        at: format!("byte {}", self.reader.error_position()),
                        message: format!("the XML is malformed: {e}"),
                    });
                }
            };
            match event {
                Event::Start(ref s) | Event::Empty(ref s) => {
                    let empty = matches!(event, Event::Empty(_));
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(Error::Malformed {
                            at: self.at(),
                            message: format!("elements are nested more than {MAX_DEPTH} deep"),
                        });
                    }
                    let name = local(s.name().as_ref());
                    let mut attrs = Vec::new();
                    for a in s.attributes().with_checks(false).flatten() {
                        let pos = self.reader.buffer_position();
                        let raw = out.text(&a.value, self.legacy, || format!("byte {pos}"));
                        let value = match quick_xml::escape::unescape(&raw) {
                            Ok(v) => v.into_owned(),
                            Err(_) => raw.into_owned(),
                        };
                        attrs.push((local(a.key.as_ref()), value));
                    }
                    self.stack.push(std::mem::take(&mut self.text));
                    if empty {
                        self.pending_end = Some(name.clone());
                    }
                    return Ok(Some(Ev::Start { name, attrs }));
                }
                Event::End(e) => {
                    let name = local(e.name().as_ref());
                    return Ok(Some(self.end(name)));
                }
                // The place is only formatted for a warning.
                Event::Text(t) => {
                    let pos = self.reader.buffer_position();
                    let s = out.text(&t, self.legacy, || format!("byte {pos}"));
                    push_text(&mut self.text, &s);
                }
                Event::CData(t) => {
                    let pos = self.reader.buffer_position();
                    let s = out.text(&t, self.legacy, || format!("byte {pos}"));
                    push_text(&mut self.text, &s);
                }
                Event::GeneralRef(r) => {
                    let name = String::from_utf8_lossy(&r).into_owned();
                    let resolved = match name.as_str() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => r.resolve_char_ref().ok().flatten(),
                    };
                    match resolved {
                        Some(c) => self.push_text(c.encode_utf8(&mut [0; 4])),
                        None => {
                            // Left as written: expanding it would mean trusting the file's DTD.
                            self.entity_warnings += 1;
                            if self.entity_warnings <= 3 {
                                out.warn(
                                    self.at(),
                                    format!("entity &{name}; is not expanded (DTD entities are never resolved)"),
                                );
                            }
                            self.push_text(&format!("&{name};"));
                        }
                    }
                }
                Event::Decl(d) => {
                    if let Some(Ok(enc)) = d.encoding() {
                        let enc = String::from_utf8_lossy(&enc).to_ascii_lowercase();
                        if enc.contains("mac") {
                            self.legacy = Legacy::MacRoman;
                        }
                    }
                }
                Event::DocType(d) => {
                    let text = String::from_utf8_lossy(&d);
                    if text.contains("<!ENTITY") {
                        out.warn(self.at(), "the document type declares entities; they are ignored and never expanded");
                    }
                }
                Event::Eof => return Ok(None),
                Event::Comment(_) | Event::PI(_) => {}
            }
        }
    }
}

/// Appends `s` to an element's text, up to [`MAX_TEXT`] bytes (cut at a character).
fn push_text(text: &mut String, s: &str) {
    if text.len() < MAX_TEXT {
        let room = MAX_TEXT - text.len();
        let mut cut = s.len().min(room);
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        text.push_str(&s[..cut]);
    }
}

pub(crate) fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The local name of the first element and its attributes, from the first bytes of a file.
pub(crate) fn root(prefix: &[u8]) -> Option<(String, Vec<(String, String)>)> {
    let mut xml = Xml::new(prefix);
    let mut scratch = Out::default();
    while let Ok(Some(ev)) = xml.next(&mut scratch) {
        if let Ev::Start { name, attrs } = ev {
            return Some((name, attrs));
        }
    }
    None
}

/// A syntax error after some records is a warning (what was read is kept, as for a truncated
/// file); before any record it is the error.
pub(crate) fn stop(e: Error, out: &mut Out) -> Result<(), Error> {
    match e {
        Error::Malformed { at, message } if out.records > 0 => {
            out.warn(at, format!("{message}; reading stopped here"));
            Ok(())
        }
        other => Err(other),
    }
}
