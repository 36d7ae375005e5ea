//! The syntax of an SPF record (RFC 7208 section 4.6 and 12), parsed in full before any
//! evaluation, since a syntax error anywhere makes the whole record a permerror.

use super::macros::{MacroString, Part};
use std::net::{Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    All,
    Include(MacroString),
    A {
        domain: Option<MacroString>,
        cidr4: u8,
        cidr6: u8,
    },
    Mx {
        domain: Option<MacroString>,
        cidr4: u8,
        cidr6: u8,
    },
    Ptr(Option<MacroString>),
    Ip4(Ipv4Addr, u8),
    Ip6(Ipv6Addr, u8),
    Exists(MacroString),
}

impl Mechanism {
    /// Whether evaluating it queries DNS (and so counts toward the limit of 10).
    pub fn queries_dns(&self) -> bool {
        matches!(
            self,
            Mechanism::Include(_)
                | Mechanism::A { .. }
                | Mechanism::Mx { .. }
                | Mechanism::Ptr(_)
                | Mechanism::Exists(_)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub qualifier: Qualifier,
    pub mechanism: Mechanism,
}

/// A parsed record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    pub directives: Vec<Directive>,
    pub redirect: Option<MacroString>,
    pub exp: Option<MacroString>,
    /// Modifiers other than `redirect` and `exp`, kept for the domain check's report.
    pub unknown_modifiers: Vec<String>,
}

/// Why a record does not parse. The text says which term, for the IT detail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SyntaxError(pub String);

fn bad(term: &str, why: &str) -> SyntaxError {
    SyntaxError(format!("\"{term}\": {why}"))
}

/// Whether a TXT record's text is an SPF record: `v=spf1` then a space or the end.
pub fn is_spf_record(text: &[u8]) -> bool {
    text.len() >= 6
        && text[..6].eq_ignore_ascii_case(b"v=spf1")
        && (text.len() == 6 || text[6] == b' ')
}

impl Record {
    /// Parses the whole record (starting with `v=spf1`).
    pub fn parse(text: &[u8]) -> Result<Record, SyntaxError> {
        if !is_spf_record(text) {
            return Err(SyntaxError(
                "the record does not start with \"v=spf1\"".into(),
            ));
        }
        let text = std::str::from_utf8(&text[6..])
            .ok()
            .filter(|s| s.is_ascii())
            .ok_or_else(|| SyntaxError("the record holds bytes that are not ASCII".into()))?;
        let mut rec = Record::default();
        // Terms are separated by spaces only (not tabs or other control characters).
        for term in text.split(' ').filter(|t| !t.is_empty()) {
            if let Some(c) = term.chars().find(|c| !c.is_ascii_graphic()) {
                return Err(bad(
                    term,
                    &format!("contains the control character {:?}", c),
                ));
            }
            if let Some((name, value)) = modifier_split(term) {
                let value = MacroString::parse(value, false).map_err(|e| bad(term, &e))?;
                match name.to_ascii_lowercase().as_str() {
                    "redirect" => {
                        if rec.redirect.is_some() {
                            return Err(bad(term, "\"redirect\" appears more than once"));
                        }
                        domain_spec(&value).map_err(|e| bad(term, &e))?;
                        rec.redirect = Some(value);
                    }
                    "exp" => {
                        if rec.exp.is_some() {
                            return Err(bad(term, "\"exp\" appears more than once"));
                        }
                        domain_spec(&value).map_err(|e| bad(term, &e))?;
                        rec.exp = Some(value);
                    }
                    _ => rec.unknown_modifiers.push(term.to_owned()),
                }
                continue;
            }
            let (qualifier, rest) = match term.as_bytes()[0] {
                b'+' => (Qualifier::Pass, &term[1..]),
                b'-' => (Qualifier::Fail, &term[1..]),
                b'~' => (Qualifier::SoftFail, &term[1..]),
                b'?' => (Qualifier::Neutral, &term[1..]),
                _ => (Qualifier::Pass, term),
            };
            let mechanism = mechanism(rest).map_err(|e| bad(term, &e))?;
            rec.directives.push(Directive {
                qualifier,
                mechanism,
            });
        }
        Ok(rec)
    }

    /// Whether an `all` mechanism appears (then `redirect` is ignored, RFC 7208 5.1).
    pub fn has_all(&self) -> bool {
        self.directives
            .iter()
            .any(|d| d.mechanism == Mechanism::All)
    }
}

/// `name=value` when the term starts with a modifier name followed by `=`.
fn modifier_split(term: &str) -> Option<(&str, &str)> {
    let eq = term.find('=')?;
    let name = &term[..eq];
    let mut chars = name.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    .then(|| (name, &term[eq + 1..]))
}

fn mechanism(s: &str) -> Result<Mechanism, String> {
    let split = s.find([':', '/']).unwrap_or(s.len());
    let (name, rest) = s.split_at(split);
    let name = name.to_ascii_lowercase();
    // The argument after ':' (required, optional or forbidden by mechanism).
    let arg = rest.strip_prefix(':');
    match name.as_str() {
        "all" => {
            if !rest.is_empty() {
                return Err("\"all\" takes no argument".into());
            }
            Ok(Mechanism::All)
        }
        "include" | "exists" => {
            let Some(a) = arg else {
                return Err(format!("\"{name}\" needs a domain"));
            };
            let ms = MacroString::parse(a, false)?;
            domain_spec(&ms)?;
            Ok(if name == "include" {
                Mechanism::Include(ms)
            } else {
                Mechanism::Exists(ms)
            })
        }
        "a" | "mx" => {
            let (domain, cidr) = match arg {
                Some(a) => {
                    let (d, cidr) = split_dual_cidr(a)?;
                    let ms = MacroString::parse(d, false)?;
                    domain_spec(&ms)?;
                    (Some(ms), cidr)
                }
                None => (None, dual_cidr(rest)?),
            };
            let (cidr4, cidr6) = cidr;
            Ok(if name == "a" {
                Mechanism::A {
                    domain,
                    cidr4,
                    cidr6,
                }
            } else {
                Mechanism::Mx {
                    domain,
                    cidr4,
                    cidr6,
                }
            })
        }
        "ptr" => match arg {
            None if rest.is_empty() => Ok(Mechanism::Ptr(None)),
            None => Err("\"ptr\" takes no CIDR length".into()),
            Some(a) => {
                let ms = MacroString::parse(a, false)?;
                domain_spec(&ms)?;
                Ok(Mechanism::Ptr(Some(ms)))
            }
        },
        "ip4" => {
            let a = arg.ok_or("\"ip4\" needs an address")?;
            let (addr, len) = match a.split_once('/') {
                Some((addr, len)) => (addr, cidr_len(len, 32)?),
                None => (a, 32),
            };
            let ip = addr
                .parse::<Ipv4Addr>()
                .map_err(|_| format!("\"{addr}\" is not an IPv4 address"))?;
            Ok(Mechanism::Ip4(ip, len))
        }
        "ip6" => {
            let a = arg.ok_or("\"ip6\" needs an address")?;
            let (addr, len) = match a.split_once('/') {
                Some((addr, len)) => (addr, cidr_len(len, 128)?),
                None => (a, 128),
            };
            let ip = addr
                .parse::<Ipv6Addr>()
                .map_err(|_| format!("\"{addr}\" is not an IPv6 address"))?;
            Ok(Mechanism::Ip6(ip, len))
        }
        _ => Err("unknown mechanism".into()),
    }
}

/// Splits `domain/24//64` into the domain part and the CIDR lengths.
fn split_dual_cidr(a: &str) -> Result<(&str, (u8, u8)), String> {
    // The CIDR part starts at the first '/' followed by a digit or another '/'
    // (a domain-spec never contains that: its last label is a top label or a macro).
    let bytes = a.as_bytes();
    let pos = (0..bytes.len()).find(|&i| {
        bytes[i] == b'/'
            && bytes
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_digit() || *c == b'/')
    });
    match pos {
        Some(p) => Ok((&a[..p], dual_cidr(&a[p..])?)),
        None => Ok((a, (32, 128))),
    }
}

/// `""`, `/24`, `//64` or `/24//64`.
fn dual_cidr(s: &str) -> Result<(u8, u8), String> {
    if s.is_empty() {
        return Ok((32, 128));
    }
    if let Some(six) = s.strip_prefix("//") {
        return Ok((32, cidr_len(six, 128)?));
    }
    let Some(s) = s.strip_prefix('/') else {
        return Err("unexpected text after the mechanism name".into());
    };
    match s.split_once("//") {
        Some((four, six)) => Ok((cidr_len(four, 32)?, cidr_len(six, 128)?)),
        None => Ok((cidr_len(s, 32)?, 128)),
    }
}

fn cidr_len(s: &str, max: u8) -> Result<u8, String> {
    let ok = !s.is_empty()
        && s.len() <= 3
        && s.bytes().all(|c| c.is_ascii_digit())
        && (s == "0" || !s.starts_with('0'));
    let n = if ok { s.parse::<u8>().ok() } else { None };
    match n {
        Some(n) if n <= max => Ok(n),
        _ => Err(format!("\"/{s}\" is not a CIDR length from 0 to {max}")),
    }
}

/// The domain-spec rule: a macro-string ending in a macro or in "." and a top label.
pub fn domain_spec(ms: &MacroString) -> Result<(), String> {
    let mut tail = String::new();
    for part in ms.parts().iter().rev() {
        match part {
            Part::Literal(s) => tail.insert_str(0, s),
            Part::Macro { .. } | Part::Escape(_) => {
                if tail.is_empty() {
                    return Ok(());
                }
                break;
            }
        }
    }
    if tail.is_empty() {
        return Err("a domain is missing".into());
    }
    let t = tail.strip_suffix('.').unwrap_or(&tail);
    let Some((_, top)) = t.rsplit_once('.') else {
        return Err(format!("\"{tail}\" does not end in a top-level domain"));
    };
    if !is_toplabel(top) {
        return Err(format!("\"{top}\" is not a valid top-level label"));
    }
    Ok(())
}

fn is_toplabel(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-') {
        return false;
    }
    if b.contains(&b'-') {
        b[0].is_ascii_alphanumeric() && b[b.len() - 1].is_ascii_alphanumeric()
    } else {
        b.iter().any(u8::is_ascii_alphabetic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_directives_and_modifiers() {
        let r = Record::parse(
            b"v=spf1 +a -mx:mail.example.com/24//64 ~ip4:192.0.2.0/24 ?ip6:2001:db8::/32 include:_spf.example.com exists:%{i}.x.example.com ptr all redirect=example.net exp=e.%{d} foo=bar",
        )
        .unwrap();
        assert_eq!(r.directives.len(), 8);
        assert!(matches!(
            r.directives[1].mechanism,
            Mechanism::Mx {
                cidr4: 24,
                cidr6: 64,
                ..
            }
        ));
        assert_eq!(r.directives[2].qualifier, Qualifier::SoftFail);
        assert!(r.redirect.is_some() && r.exp.is_some());
        assert_eq!(r.unknown_modifiers, vec!["foo=bar".to_string()]);
    }

    #[test]
    fn rejects_bad_syntax() {
        for bad in [
            "v=spf1 a/33",
            "v=spf1 ip4:1.2.3.4/33",
            "v=spf1 a:com",
            "v=spf1 a:1.2.3.4",
            "v=spf1 include",
            "v=spf1 exists:",
            "v=spf1 redirect=a.com redirect=b.com",
            "v=spf1 foo",
            "v=spf1 a:%{z}.com",
            "v=spf1 all:x",
            "v=spf1 a\tmx",
        ] {
            assert!(Record::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(!is_spf_record(b"v=spf10"));
        assert!(is_spf_record(b"V=SPF1"));
    }
}
