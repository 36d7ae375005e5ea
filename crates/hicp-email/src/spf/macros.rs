//! SPF macros (RFC 7208 section 7): parsing a macro-string and expanding it.

use std::net::IpAddr;

/// One piece of a macro-string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Literal(String),
    /// `%%`, `%_` or `%-`, already as the text they stand for.
    Escape(&'static str),
    Macro {
        /// The letter in lowercase.
        letter: char,
        /// An uppercase letter asks for URL escaping.
        url_escape: bool,
        /// How many right-hand parts to keep (0: all).
        keep: usize,
        reverse: bool,
        delimiters: String,
    },
}

/// A parsed macro-string, with the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MacroString {
    parts: Vec<Part>,
    text: String,
}

impl std::fmt::Display for MacroString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// The values the letters stand for. `p` is computed lazily by the caller.
pub struct MacroContext<'a> {
    pub sender: &'a str,
    pub local_part: &'a str,
    pub sender_domain: &'a str,
    pub domain: &'a str,
    pub ip: IpAddr,
    pub helo: &'a str,
    pub receiver: &'a str,
    pub timestamp: u64,
}

impl MacroString {
    /// Parses `s`; `explain` allows the letters `c`, `r` and `t` (only in explanations).
    pub fn parse(s: &str, explain: bool) -> Result<MacroString, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                let ok = c.is_ascii_graphic() || (explain && c == ' ');
                if !ok {
                    return Err(format!("the character {c:?} is not allowed"));
                }
                literal.push(c);
                continue;
            }
            let part = match chars.next() {
                Some('%') => Part::Escape("%"),
                Some('_') => Part::Escape(" "),
                Some('-') => Part::Escape("%20"),
                Some('{') => {
                    let letter = chars.next().ok_or("a macro is not closed")?;
                    let lower = letter.to_ascii_lowercase();
                    let allowed = if explain { "slodiphcrtv" } else { "slodiphv" };
                    if !allowed.contains(lower) {
                        return Err(format!("\"%{{{letter}\" is not a valid macro letter here"));
                    }
                    let mut digits = String::new();
                    while let Some(d) = chars.next_if(char::is_ascii_digit) {
                        digits.push(d);
                    }
                    let keep = if digits.is_empty() {
                        0
                    } else {
                        match digits.parse::<usize>() {
                            Ok(0) | Err(_) => {
                                return Err("a macro's number of parts must be 1 or more".into());
                            }
                            Ok(n) => n.min(128),
                        }
                    };
                    let reverse = chars.next_if(|c| *c == 'r' || *c == 'R').is_some();
                    let mut delimiters = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(d) if ".-+,/_=".contains(d) => delimiters.push(d),
                            Some(d) => {
                                return Err(format!("{d:?} is not allowed inside a macro"));
                            }
                            None => return Err("a macro is not closed".into()),
                        }
                    }
                    Part::Macro {
                        letter: lower,
                        url_escape: letter.is_ascii_uppercase(),
                        keep,
                        reverse,
                        delimiters,
                    }
                }
                Some(o) => return Err(format!("\"%{o}\" is not a valid macro")),
                None => return Err("a \"%\" ends the text".into()),
            };
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal)));
            }
            parts.push(part);
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(MacroString {
            parts,
            text: s.to_owned(),
        })
    }

    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The text, when the string holds no macro letters (only literals and escapes).
    pub fn literal(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Escape(s) => out.push_str(s),
                Part::Macro { .. } => return None,
            }
        }
        Some(out)
    }

    /// Whether the string uses the `p` macro (which costs DNS queries to expand).
    pub fn uses_p(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Macro { letter: 'p', .. }))
    }

    /// Expands the string. `p` is the validated client name when the string uses `p`.
    pub fn expand(&self, ctx: &MacroContext<'_>, p: Option<&str>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Escape(s) => out.push_str(s),
                Part::Macro {
                    letter,
                    url_escape,
                    keep,
                    reverse,
                    delimiters,
                } => {
                    let value = letter_value(*letter, ctx, p);
                    let delims = if delimiters.is_empty() {
                        "."
                    } else {
                        delimiters.as_str()
                    };
                    let mut pieces: Vec<&str> = value.split(|c| delims.contains(c)).collect();
                    if *reverse {
                        pieces.reverse();
                    }
                    if *keep > 0 && pieces.len() > *keep {
                        pieces.drain(..pieces.len() - keep);
                    }
                    let joined = pieces.join(".");
                    if *url_escape {
                        out.push_str(&url_escape_str(&joined));
                    } else {
                        out.push_str(&joined);
                    }
                }
            }
        }
        out
    }
}

fn letter_value(letter: char, ctx: &MacroContext<'_>, p: Option<&str>) -> String {
    match letter {
        's' => ctx.sender.to_owned(),
        'l' => ctx.local_part.to_owned(),
        'o' => ctx.sender_domain.to_owned(),
        'd' => ctx.domain.to_owned(),
        'i' => match ctx.ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => {
                let mut s = String::new();
                for b in v6.octets() {
                    for n in [b >> 4, b & 0xf] {
                        if !s.is_empty() {
                            s.push('.');
                        }
                        s.push(char::from_digit(u32::from(n), 16).unwrap_or('0'));
                    }
                }
                s
            }
        },
        'p' => p.unwrap_or("unknown").to_owned(),
        'v' => match ctx.ip {
            IpAddr::V4(_) => "in-addr".into(),
            IpAddr::V6(_) => "ip6".into(),
        },
        'h' => ctx.helo.to_owned(),
        'c' => ctx.ip.to_string(),
        'r' => ctx.receiver.to_owned(),
        't' => ctx.timestamp.to_string(),
        _ => String::new(),
    }
}

fn url_escape_str(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(ip: &str) -> MacroContext<'static> {
        MacroContext {
            sender: "strong-bad@email.example.com",
            local_part: "strong-bad",
            sender_domain: "email.example.com",
            domain: "email.example.com",
            ip: ip.parse().unwrap(),
            helo: "mx.example.org",
            receiver: "mx.example.net",
            timestamp: 0,
        }
    }

    fn x(s: &str, ip: &str) -> String {
        MacroString::parse(s, true).unwrap().expand(&ctx(ip), None)
    }

    // The examples of RFC 7208 section 7.4.
    #[test]
    fn rfc_examples() {
        let v4 = "192.0.2.3";
        assert_eq!(x("%{s}", v4), "strong-bad@email.example.com");
        assert_eq!(x("%{o}", v4), "email.example.com");
        assert_eq!(x("%{d4}", v4), "email.example.com");
        assert_eq!(x("%{d3}", v4), "email.example.com");
        assert_eq!(x("%{d2}", v4), "example.com");
        assert_eq!(x("%{d1}", v4), "com");
        assert_eq!(x("%{dr}", v4), "com.example.email");
        assert_eq!(x("%{d2r}", v4), "example.email");
        assert_eq!(x("%{l}", v4), "strong-bad");
        assert_eq!(x("%{l-}", v4), "strong.bad");
        assert_eq!(x("%{lr}", v4), "strong-bad");
        assert_eq!(x("%{lr-}", v4), "bad.strong");
        assert_eq!(x("%{l1r-}", v4), "strong");
        assert_eq!(
            x("%{ir}.%{v}._spf.%{d2}", v4),
            "3.2.0.192.in-addr._spf.example.com"
        );
        assert_eq!(
            x("%{lr-}.lp._spf.%{d2}", v4),
            "bad.strong.lp._spf.example.com"
        );
        assert_eq!(
            x("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01"),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
        );
        assert_eq!(x("%{S}", v4), "strong-bad%40email.example.com");
        assert_eq!(x("%%%_%-", v4), "% %20");
    }

    #[test]
    fn bad_macros() {
        for s in ["%", "%x", "%{z}", "%{d0}", "%{d", "%{c}", "%{d*}"] {
            assert!(MacroString::parse(s, false).is_err(), "{s}");
        }
        assert!(MacroString::parse("%{c}", true).is_ok());
    }
}
