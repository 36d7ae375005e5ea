//! DMARC policy records: RFC 7489, and DMARCbis where it differs (`np`, `t`, `psd`; `pct`
//! gone; a record without a valid `p` but with `rua` counts as `p=none`).

use crate::tags;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    None,
    Quarantine,
    Reject,
}

impl Policy {
    fn parse(s: &str) -> Option<Policy> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Some(Policy::None),
            "quarantine" => Some(Policy::Quarantine),
            "reject" => Some(Policy::Reject),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }
}

/// Alignment mode of `adkim` and `aspf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Alignment {
    Relaxed,
    Strict,
}

/// A parsed DMARC record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcRecord {
    /// `None` when `p` is missing or invalid and DMARCbis's fallback applies (`rua` given).
    pub p: Option<Policy>,
    pub sp: Option<Policy>,
    pub np: Option<Policy>,
    pub pct: u8,
    /// DMARCbis `t=y`: test mode (the policy is not applied as written).
    pub testing: bool,
    pub adkim: Alignment,
    pub aspf: Alignment,
    pub rua: Vec<String>,
    pub ruf: Vec<String>,
    /// Problems that do not void the record (for the report).
    pub warnings: Vec<String>,
}

impl DmarcRecord {
    /// The policy applied to the domain itself (DMARCbis: `none` when `p` is missing).
    pub fn policy(&self) -> Policy {
        self.p.unwrap_or(Policy::None)
    }
}

/// Whether a TXT record is a DMARC record (starts with `v=DMARC1`).
pub fn is_dmarc_record(text: &str) -> bool {
    let t = text.trim_start();
    t.strip_prefix("v")
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('='))
        .map(str::trim_start)
        .is_some_and(|r| {
            r.starts_with("DMARC1")
                && matches!(r[6..].trim_start().chars().next(), None | Some(';'))
        })
}

/// Parses a DMARC record. An error means receivers ignore the record entirely.
pub fn parse(text: &str) -> Result<DmarcRecord, String> {
    let tags = tags::parse(text)?;
    match tags.first() {
        Some(t) if t.name == "v" && t.value == "DMARC1" => {}
        _ => return Err("the record must start with v=DMARC1".into()),
    }
    let mut warnings = Vec::new();
    let uris = |name: &str, warnings: &mut Vec<String>| -> Vec<String> {
        let mut out = Vec::new();
        for u in tags::get(&tags, name).unwrap_or("").split(',') {
            let u = u.trim();
            if u.is_empty() {
                continue;
            }
            // A size limit may follow the address: mailto:a@b.example!10m.
            let addr = u.split('!').next().unwrap_or(u);
            // `get` rather than slicing: the text may hold multi-byte characters.
            let to = addr
                .get(..7)
                .filter(|p| p.eq_ignore_ascii_case("mailto:"))
                .and_then(|_| addr.get(7..))
                .filter(|a| a.contains('@'));
            if let Some(to) = to {
                out.push(to.to_owned());
            } else {
                warnings.push(format!("{name}: \"{u}\" is not a mailto: address"));
            }
        }
        out
    };
    let rua = uris("rua", &mut warnings);
    let ruf = uris("ruf", &mut warnings);
    let policy_tag = |name: &str, warnings: &mut Vec<String>| -> Option<Policy> {
        let v = tags::get(&tags, name)?;
        let p = Policy::parse(v);
        if p.is_none() {
            warnings.push(format!("{name}={v} is not none, quarantine or reject"));
        }
        p
    };
    let p = policy_tag("p", &mut warnings);
    if p.is_none() {
        if rua.is_empty() {
            return Err("the record has no valid p= (policy) tag".into());
        }
        warnings.push("the record has no valid p= tag; receivers treat it as p=none".into());
    }
    let sp = policy_tag("sp", &mut warnings);
    let np = policy_tag("np", &mut warnings);
    let pct = match tags::get(&tags, "pct") {
        None => 100,
        Some(v) => match v.parse::<u8>() {
            Ok(n) if n <= 100 => n,
            _ => {
                warnings.push(format!("pct={v} is not a number from 0 to 100"));
                100
            }
        },
    };
    let testing = tags::get(&tags, "t").is_some_and(|v| v.eq_ignore_ascii_case("y"));
    let align = |name: &str, warnings: &mut Vec<String>| match tags::get(&tags, name) {
        None => Alignment::Relaxed,
        Some(v) if v.eq_ignore_ascii_case("s") => Alignment::Strict,
        Some(v) if v.eq_ignore_ascii_case("r") => Alignment::Relaxed,
        Some(v) => {
            warnings.push(format!("{name}={v} is not r or s"));
            Alignment::Relaxed
        }
    };
    let adkim = align("adkim", &mut warnings);
    let aspf = align("aspf", &mut warnings);
    Ok(DmarcRecord {
        p,
        sp,
        np,
        pct,
        testing,
        adkim,
        aspf,
        rua,
        ruf,
        warnings,
    })
}

/// The host part of a report address.
pub fn address_domain(addr: &str) -> Option<&str> {
    addr.rsplit_once('@').map(|(_, d)| d.trim_end_matches('.'))
}

/// Whether `dest` is the policy domain or under it (then no authorization is needed).
/// Without a public suffix list this is stricter than RFC 7489's organizational domain:
/// a report address at a sibling subdomain is also checked, which costs one lookup.
pub fn is_internal(policy_domain: &str, dest: &str) -> bool {
    let (p, d) = (
        policy_domain.to_ascii_lowercase(),
        dest.to_ascii_lowercase(),
    );
    d == p || d.ends_with(&format!(".{p}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_policies() {
        let r = parse("v=DMARC1; p=reject; sp=none; pct=50; adkim=s; rua=mailto:a@x.example!10m,https://no; ruf=mailto:f@y.example").unwrap();
        assert_eq!(r.p, Some(Policy::Reject));
        assert_eq!(r.sp, Some(Policy::None));
        assert_eq!(r.pct, 50);
        assert_eq!(r.adkim, Alignment::Strict);
        assert_eq!(r.rua, vec!["a@x.example".to_string()]);
        assert_eq!(r.ruf, vec!["f@y.example".to_string()]);
        assert_eq!(r.warnings.len(), 1);
        assert!(parse("v=DMARC1; sp=reject").is_err());
        assert_eq!(
            parse("v=DMARC1; rua=mailto:a@b.example").unwrap().policy(),
            Policy::None
        );
        assert!(parse("p=reject; v=DMARC1").is_err());
        assert!(is_dmarc_record("v=DMARC1; p=none"));
        assert!(is_dmarc_record("v = DMARC1"));
        assert!(!is_dmarc_record("v=DMARC10"));
        assert!(is_internal("example.com", "reports.example.com"));
        assert!(!is_internal("example.com", "vendor.example"));
    }
}
