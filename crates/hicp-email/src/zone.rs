//! An RFC 1035 master-format zone file, read into memory and answered as a [`Resolver`].
//!
//! Supported: `$ORIGIN`, `$TTL`, `@`, relative names, an owner left blank to repeat the
//! previous one, optional TTL and class, parentheses across lines, `;` comments, quoted
//! strings, and the escapes `\X` and `\DDD` (so a TXT string can hold any byte). Record
//! types answered: A, AAAA, MX, TXT, SPF (type 99), PTR and CNAME (followed); NS, SOA and a
//! few others are read and ignored.
//!
//! A DNS time-out is written as a comment, so that the file stays valid for other tools:
//!
//! ```text
//! ; hicp:timeout NAME            every query for a type NAME holds no record of times out
//! ; hicp:timeout NAME TXT MX     queries for these types at NAME time out
//! ```
//!
//! `NAME` follows the usual rules (`@`, relative to the current `$ORIGIN`).

use crate::dns::{Answer, DnsError, DnsResult, Mx, Resolver, Txt, normalize, reverse_name};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A problem in a zone file, with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct ZoneError {
    pub line: usize,
    pub problem: String,
}

/// The record types a zone answers for (and a time-out can name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordType {
    A,
    Aaaa,
    Mx,
    Txt,
    Spf,
    Ptr,
}

impl RecordType {
    fn parse(s: &str) -> Option<RecordType> {
        Some(match s.to_ascii_uppercase().as_str() {
            "A" => RecordType::A,
            "AAAA" => RecordType::Aaaa,
            "MX" => RecordType::Mx,
            "TXT" => RecordType::Txt,
            "SPF" | "TYPE99" => RecordType::Spf,
            "PTR" => RecordType::Ptr,
            _ => return None,
        })
    }
}

/// Types that are read (and checked for a name or a number where easy) but never asked for.
const IGNORED_TYPES: &[&str] = &[
    "NS",
    "SOA",
    "CAA",
    "SRV",
    "DS",
    "DNSKEY",
    "RRSIG",
    "NSEC",
    "NSEC3",
    "NSEC3PARAM",
    "HINFO",
    "TLSA",
    "SSHFP",
    "HTTPS",
    "SVCB",
    "NAPTR",
    "LOC",
    "RP",
    "CDS",
    "CDNSKEY",
    "SMIMEA",
    "OPENPGPKEY",
    "URI",
    "DNAME",
];

#[derive(Debug, Default, Clone)]
struct Node {
    a: Vec<Ipv4Addr>,
    aaaa: Vec<Ipv6Addr>,
    mx: Vec<Mx>,
    txt: Vec<Txt>,
    spf: Vec<Txt>,
    ptr: Vec<String>,
    cname: Option<String>,
    /// `Some(empty)`: types without records time out; `Some(types)`: those types do.
    timeout: Option<Vec<RecordType>>,
}

impl Node {
    fn has(&self, t: RecordType) -> bool {
        match t {
            RecordType::A => !self.a.is_empty(),
            RecordType::Aaaa => !self.aaaa.is_empty(),
            RecordType::Mx => !self.mx.is_empty(),
            RecordType::Txt => !self.txt.is_empty(),
            RecordType::Spf => !self.spf.is_empty(),
            RecordType::Ptr => !self.ptr.is_empty(),
        }
    }

    fn times_out(&self, t: RecordType) -> bool {
        match &self.timeout {
            None => false,
            Some(types) if types.is_empty() => !self.has(t),
            Some(types) => types.contains(&t),
        }
    }
}

/// A zone read into memory. Every name it mentions exists, and so do their parents below
/// the highest name (empty non-terminals answer NODATA, not NXDOMAIN).
#[derive(Debug, Default, Clone)]
pub struct Zone {
    nodes: HashMap<String, Node>,
    exists: HashSet<String>,
}

impl Zone {
    /// Reads a zone. `origin` is the starting `$ORIGIN` (the file may change it); without
    /// one, relative names are an error until the file sets `$ORIGIN`.
    pub fn parse(text: &str, origin: Option<&str>) -> Result<Zone, ZoneError> {
        let mut zone = Zone::default();
        let mut origin = origin.map(normalize);
        let mut last_owner: Option<String> = None;
        for entry in tokenize(text)? {
            match entry {
                Entry::Timeout { line, args } => {
                    let Some((name, types)) = args.split_first() else {
                        return Err(err(line, "hicp:timeout needs a name"));
                    };
                    let name = decode_name(name, origin.as_deref(), line)?;
                    let mut list = Vec::new();
                    for t in types {
                        let s = String::from_utf8_lossy(t);
                        list.push(RecordType::parse(&s).ok_or_else(|| {
                            err(line, format!("hicp:timeout: unknown record type \"{s}\""))
                        })?);
                    }
                    zone.node(&name).timeout = Some(list);
                }
                Entry::Record {
                    line,
                    blank_owner,
                    tokens,
                } => {
                    let mut toks = tokens.iter().map(|t| t.as_slice());
                    let first = toks.clone().next().unwrap_or_default();
                    if !blank_owner && first.first() == Some(&b'$') {
                        toks.next();
                        let directive = String::from_utf8_lossy(first).to_ascii_uppercase();
                        let rest: Vec<&[u8]> = toks.collect();
                        match directive.as_str() {
                            "$ORIGIN" => {
                                let [o] = rest.as_slice() else {
                                    return Err(err(line, "$ORIGIN needs exactly one name"));
                                };
                                let o = decode_name(o, origin.as_deref(), line)?;
                                origin = Some(o);
                            }
                            "$TTL" => {
                                let [t] = rest.as_slice() else {
                                    return Err(err(line, "$TTL needs exactly one value"));
                                };
                                if !is_ttl(t) {
                                    return Err(err(line, "$TTL needs a number of seconds"));
                                }
                            }
                            other => {
                                return Err(err(
                                    line,
                                    format!("the directive {other} is not supported"),
                                ));
                            }
                        }
                        continue;
                    }
                    let owner = if blank_owner {
                        last_owner
                            .clone()
                            .ok_or_else(|| err(line, "the first record has no owner name"))?
                    } else {
                        toks.next();
                        decode_name(first, origin.as_deref(), line)?
                    };
                    last_owner = Some(owner.clone());
                    let rest: Vec<&[u8]> = toks.collect();
                    zone.record(&owner, &rest, origin.as_deref(), line)?;
                }
            }
        }
        Ok(zone)
    }

    fn node(&mut self, name: &str) -> &mut Node {
        // Every ancestor of a name exists too (it may hold no records).
        let mut n = name;
        loop {
            self.exists.insert(n.to_owned());
            match n.split_once('.') {
                Some((_, parent)) if !parent.is_empty() => n = parent,
                _ => break,
            }
        }
        self.nodes.entry(name.to_owned()).or_default()
    }

    fn record(
        &mut self,
        owner: &str,
        tokens: &[&[u8]],
        origin: Option<&str>,
        line: usize,
    ) -> Result<(), ZoneError> {
        let mut i = 0;
        // TTL and class, in either order, both optional.
        while i < tokens.len() && i < 2 {
            let t = tokens[i];
            if is_ttl(t) || is_class(t) {
                i += 1;
            } else {
                break;
            }
        }
        let Some(rtype) = tokens.get(i) else {
            return Err(err(line, format!("the record for {owner} has no type")));
        };
        let rtype = String::from_utf8_lossy(rtype).to_ascii_uppercase();
        let rdata = &tokens[i + 1..];
        let one = |what: &str| -> Result<&[u8], ZoneError> {
            match rdata {
                [x] => Ok(x),
                _ => Err(err(
                    line,
                    format!("a {rtype} record needs exactly one {what}"),
                )),
            }
        };
        match rtype.as_str() {
            "A" => {
                let v = text(one("IPv4 address")?, line)?;
                let ip = v
                    .parse::<Ipv4Addr>()
                    .map_err(|_| err(line, format!("\"{v}\" is not an IPv4 address")))?;
                self.node(owner).a.push(ip);
            }
            "AAAA" => {
                let v = text(one("IPv6 address")?, line)?;
                let ip = v
                    .parse::<Ipv6Addr>()
                    .map_err(|_| err(line, format!("\"{v}\" is not an IPv6 address")))?;
                self.node(owner).aaaa.push(ip);
            }
            "MX" => {
                let [pref, host] = rdata else {
                    return Err(err(line, "an MX record needs a preference and a host name"));
                };
                let p = text(pref, line)?;
                let preference = p
                    .parse::<u16>()
                    .map_err(|_| err(line, format!("\"{p}\" is not an MX preference (0-65535)")))?;
                let exchange = if *host == b"." {
                    String::new()
                } else {
                    decode_name(host, origin, line)?
                };
                self.node(owner).mx.push(Mx {
                    preference,
                    exchange,
                });
            }
            "TXT" | "SPF" | "TYPE99" => {
                if rdata.is_empty() {
                    return Err(err(
                        line,
                        format!("a {rtype} record needs at least one string"),
                    ));
                }
                let mut strings = Vec::new();
                for s in rdata {
                    let b = decode_bytes(s, line)?;
                    if b.len() > 255 {
                        return Err(err(
                            line,
                            "a TXT string is longer than 255 bytes; split it into several quoted strings",
                        ));
                    }
                    strings.push(b);
                }
                let node = self.node(owner);
                if rtype == "TXT" {
                    node.txt.push(Txt(strings));
                } else {
                    node.spf.push(Txt(strings));
                }
            }
            "PTR" => {
                let target = decode_name(one("name")?, origin, line)?;
                self.node(owner).ptr.push(target);
            }
            "CNAME" => {
                let target = decode_name(one("name")?, origin, line)?;
                let node = self.node(owner);
                if node.cname.is_some() {
                    return Err(err(line, format!("{owner} has more than one CNAME")));
                }
                node.cname = Some(target);
            }
            t if IGNORED_TYPES.contains(&t) => {
                self.node(owner);
            }
            t => {
                return Err(err(
                    line,
                    format!("unknown or unsupported record type \"{t}\""),
                ));
            }
        }
        Ok(())
    }

    fn lookup<T: Clone>(
        &self,
        name: &str,
        rtype: RecordType,
        pick: fn(&Node) -> &Vec<T>,
    ) -> DnsResult<T> {
        let mut name = normalize(name);
        // Follow CNAMEs; a loop or a long chain is a server failure, as a resolver says.
        for _ in 0..10 {
            let Some(node) = self.nodes.get(&name) else {
                return Ok(if self.exists.contains(&name) {
                    Answer::NoData
                } else {
                    Answer::NxDomain
                });
            };
            if node.times_out(rtype) {
                return Err(DnsError::Timeout);
            }
            let records = pick(node);
            if !records.is_empty() {
                return Ok(Answer::Records(records.clone()));
            }
            match &node.cname {
                Some(target) => name = target.clone(),
                None => return Ok(Answer::NoData),
            }
        }
        Err(DnsError::ServerFailure)
    }
}

impl Resolver for Zone {
    fn txt(&self, name: &str) -> DnsResult<Txt> {
        self.lookup(name, RecordType::Txt, |n| &n.txt)
    }
    fn spf_type(&self, name: &str) -> DnsResult<Txt> {
        self.lookup(name, RecordType::Spf, |n| &n.spf)
    }
    fn a(&self, name: &str) -> DnsResult<Ipv4Addr> {
        self.lookup(name, RecordType::A, |n| &n.a)
    }
    fn aaaa(&self, name: &str) -> DnsResult<Ipv6Addr> {
        self.lookup(name, RecordType::Aaaa, |n| &n.aaaa)
    }
    fn mx(&self, name: &str) -> DnsResult<Mx> {
        self.lookup(name, RecordType::Mx, |n| &n.mx)
    }
    fn ptr(&self, ip: IpAddr) -> DnsResult<String> {
        self.lookup(&reverse_name(ip), RecordType::Ptr, |n| &n.ptr)
    }
}

fn err(line: usize, problem: impl Into<String>) -> ZoneError {
    ZoneError {
        line,
        problem: problem.into(),
    }
}

fn is_ttl(t: &[u8]) -> bool {
    // Seconds, or BIND's units (1h30m).
    !t.is_empty()
        && t[0].is_ascii_digit()
        && t.iter()
            .all(|c| c.is_ascii_digit() || b"smhdwSMHDW".contains(c))
}

fn is_class(t: &[u8]) -> bool {
    ["IN", "CH", "HS", "CS"]
        .iter()
        .any(|c| t.eq_ignore_ascii_case(c.as_bytes()))
}

fn text(t: &[u8], line: usize) -> Result<String, ZoneError> {
    let b = decode_bytes(t, line)?;
    String::from_utf8(b).map_err(|_| err(line, "expected plain text"))
}

/// A token's bytes with `\X` and `\DDD` decoded.
fn decode_bytes(raw: &[u8], line: usize) -> Result<Vec<u8>, ZoneError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        match raw.get(i + 1) {
            None => return Err(err(line, "a backslash ends the text")),
            Some(d) if d.is_ascii_digit() => {
                let digits = raw.get(i + 1..i + 4).unwrap_or_default();
                if digits.len() != 3 || !digits.iter().all(u8::is_ascii_digit) {
                    return Err(err(line, "\\DDD needs exactly three decimal digits"));
                }
                let v = digits
                    .iter()
                    .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
                let byte =
                    u8::try_from(v).map_err(|_| err(line, format!("\\{v} is more than 255")))?;
                out.push(byte);
                i += 4;
            }
            Some(&x) => {
                out.push(x);
                i += 2;
            }
        }
    }
    Ok(out)
}

/// A domain name token made absolute (`@`, relative names) and normalized.
fn decode_name(raw: &[u8], origin: Option<&str>, line: usize) -> Result<String, ZoneError> {
    if raw == b"@" {
        return origin
            .map(str::to_owned)
            .ok_or_else(|| err(line, "\"@\" used before any $ORIGIN"));
    }
    if raw.windows(2).any(|w| w == b"\\.") {
        return Err(err(line, "a dot inside a label (\\.) is not supported"));
    }
    let bytes = decode_bytes(raw, line)?;
    let name = String::from_utf8(bytes)
        .ok()
        .filter(|s| s.is_ascii())
        .ok_or_else(|| err(line, "a domain name must be ASCII (use xn-- labels)"))?;
    let absolute = name.ends_with('.');
    let name = if absolute {
        name.trim_end_matches('.').to_owned()
    } else {
        match origin {
            Some("") => name,
            Some(o) => format!("{name}.{o}"),
            None => {
                return Err(err(
                    line,
                    format!("the relative name \"{name}\" needs a $ORIGIN (or end it with a dot)"),
                ));
            }
        }
    };
    for label in name.split('.') {
        if label.is_empty() && !name.is_empty() {
            return Err(err(line, format!("\"{name}\" has an empty label")));
        }
        if label.len() > 63 {
            return Err(err(
                line,
                format!("a label of \"{name}\" is longer than 63 bytes"),
            ));
        }
    }
    if name.len() > 253 {
        return Err(err(line, "a domain name is longer than 253 bytes"));
    }
    Ok(name.to_ascii_lowercase())
}

enum Entry {
    Record {
        line: usize,
        blank_owner: bool,
        tokens: Vec<Vec<u8>>,
    },
    Timeout {
        line: usize,
        args: Vec<Vec<u8>>,
    },
}

/// Splits the text into entries (one logical line each: parentheses join physical lines).
/// Tokens keep their escapes; quotes are removed.
fn tokenize(text: &str) -> Result<Vec<Entry>, ZoneError> {
    let b = text.as_bytes();
    let mut entries = Vec::new();
    let mut tokens: Vec<Vec<u8>> = Vec::new();
    let mut entry_line = 1;
    let mut blank_owner = false;
    let mut line = 1;
    let mut depth_open_line = 0;
    let mut depth = 0u32;
    let mut at_line_start = true;
    let mut i = 0;
    let flush = |entries: &mut Vec<Entry>, tokens: &mut Vec<Vec<u8>>, l: usize, blank: bool| {
        if !tokens.is_empty() {
            entries.push(Entry::Record {
                line: l,
                blank_owner: blank,
                tokens: std::mem::take(tokens),
            });
        }
    };
    while i < b.len() {
        let c = b[i];
        if at_line_start && depth == 0 {
            entry_line = line;
            blank_owner = c == b' ' || c == b'\t';
            at_line_start = false;
        }
        match c {
            b'\n' => {
                line += 1;
                i += 1;
                if depth == 0 {
                    flush(&mut entries, &mut tokens, entry_line, blank_owner);
                    at_line_start = true;
                }
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b';' => {
                let end = b[i..]
                    .iter()
                    .position(|&x| x == b'\n')
                    .map_or(b.len(), |p| i + p);
                let comment = String::from_utf8_lossy(&b[i + 1..end]);
                let comment = comment.trim();
                if let Some(args) = comment.strip_prefix("hicp:timeout") {
                    if depth != 0 || !tokens.is_empty() {
                        return Err(err(line, "hicp:timeout must be on a line of its own"));
                    }
                    entries.push(Entry::Timeout {
                        line,
                        args: args
                            .split_whitespace()
                            .map(|s| s.as_bytes().to_vec())
                            .collect(),
                    });
                }
                i = end;
            }
            b'(' => {
                if depth == 0 {
                    depth_open_line = line;
                }
                depth += 1;
                i += 1;
            }
            b')' => {
                if depth == 0 {
                    return Err(err(line, "a \")\" without a matching \"(\""));
                }
                depth -= 1;
                i += 1;
            }
            b'"' => {
                let start_line = line;
                let mut tok = Vec::new();
                i += 1;
                loop {
                    match b.get(i) {
                        None => return Err(err(start_line, "a quoted string is not closed")),
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') => {
                            tok.push(b'\\');
                            if let Some(&n) = b.get(i + 1) {
                                if n == b'\n' {
                                    line += 1;
                                }
                                tok.push(n);
                            }
                            i += 2;
                        }
                        Some(&x) => {
                            if x == b'\n' {
                                line += 1;
                            }
                            tok.push(x);
                            i += 1;
                        }
                    }
                }
                tokens.push(tok);
            }
            _ => {
                let mut tok = Vec::new();
                while let Some(&x) = b.get(i) {
                    if matches!(x, b' ' | b'\t' | b'\r' | b'\n' | b';' | b'(' | b')' | b'"') {
                        break;
                    }
                    if x == b'\\' {
                        tok.push(x);
                        if let Some(&n) = b.get(i + 1) {
                            if n == b'\n' {
                                line += 1;
                            }
                            tok.push(n);
                        }
                        i += 2;
                        continue;
                    }
                    tok.push(x);
                    i += 1;
                }
                tokens.push(tok);
            }
        }
    }
    if depth != 0 {
        return Err(err(depth_open_line, "a \"(\" is never closed"));
    }
    flush(&mut entries, &mut tokens, entry_line, blank_owner);
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZONE: &str = r#"
$ORIGIN example.com.
$TTL 3600
@   IN  SOA ns1 hostmaster (
            2024010101 ; serial
            3600 900 604800 300 )
    IN  MX  10 mail
    TXT "v=spf1 " "mx -all"
mail    300 IN A 192.0.2.1
        AAAA 2001:db8::1
bin     TXT "\000\255\"q\\" plain\032word
sub.deep TXT "x"
alias   CNAME mail.example.com.
; hicp:timeout slow
; hicp:timeout half TXT
half    A 192.0.2.9
"#;

    #[test]
    fn reads_the_usual_forms() {
        let z = Zone::parse(ZONE, None).unwrap();
        assert_eq!(
            z.mx("example.com").unwrap(),
            Answer::Records(vec![Mx {
                preference: 10,
                exchange: "mail.example.com".into()
            }])
        );
        assert_eq!(
            z.txt("EXAMPLE.com.").unwrap(),
            Answer::Records(vec![Txt(vec![b"v=spf1 ".to_vec(), b"mx -all".to_vec()])])
        );
        assert_eq!(
            z.aaaa("mail.example.com").unwrap(),
            Answer::Records(vec!["2001:db8::1".parse().unwrap()])
        );
        assert_eq!(
            z.txt("bin.example.com").unwrap(),
            Answer::Records(vec![Txt(vec![
                vec![0, 255, b'"', b'q', b'\\'],
                b"plain word".to_vec()
            ])])
        );
        assert_eq!(z.txt("deep.example.com").unwrap(), Answer::NoData);
        assert_eq!(z.txt("nowhere.example.com").unwrap(), Answer::NxDomain);
        assert_eq!(
            z.a("alias.example.com").unwrap(),
            Answer::Records(vec!["192.0.2.1".parse().unwrap()])
        );
        assert_eq!(z.a("slow.example.com"), Err(DnsError::Timeout));
        assert_eq!(z.txt("half.example.com"), Err(DnsError::Timeout));
        assert!(z.a("half.example.com").is_ok());
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (
                "$ORIGIN example.com.\nwww A 300.1.1.1\n",
                2,
                "not an IPv4 address",
            ),
            ("www A 192.0.2.1\n", 1, "needs a $ORIGIN"),
            ("$ORIGIN e.com.\n@ TXT \"open\n", 2, "not closed"),
            ("$ORIGIN e.com.\n@ SOA a b (\n1 2 3\n", 2, "never closed"),
            (
                "$ORIGIN e.com.\n\n@ BOGUS x\n",
                3,
                "unknown or unsupported record type",
            ),
            ("$ORIGIN e.com.\n@ TXT \"\\300\"\n", 2, "more than 255"),
            ("$INCLUDE other\n", 1, "not supported"),
        ];
        for (text, line, needle) in cases {
            let e = Zone::parse(text, None).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.problem.contains(needle), "{text:?}: {e}");
        }
    }

    #[test]
    fn cname_loops_fail() {
        let z = Zone::parse(
            "a.example. CNAME b.example.\nb.example. CNAME a.example.\n",
            None,
        )
        .unwrap();
        assert_eq!(z.a("a.example"), Err(DnsError::ServerFailure));
    }
}
