//! SPF: the `check_host()` function of RFC 7208, complete (macros, `include`, `redirect`,
//! `exp`, `ptr`, `exists`, `a`/`mx` with dual CIDR lengths, `ip4`/`ip6`, the limit of 10
//! DNS-querying terms, the limit of 2 void lookups, the 10-name limits of MX and PTR).

pub mod audit;
pub mod macros;
pub mod record;

use crate::dns::{Answer, DnsError, DnsResult, Resolver, normalize};
use macros::{MacroContext, MacroString};
use record::{Mechanism, Qualifier, Record, is_spf_record};
use serde::Serialize;
use std::net::IpAddr;

/// The result of `check_host()` (RFC 7208 section 2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpfResult {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    None,
    PermError,
    TempError,
}

impl SpfResult {
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::Neutral => "neutral",
            SpfResult::None => "none",
            SpfResult::PermError => "permerror",
            SpfResult::TempError => "temperror",
        }
    }
}

impl std::fmt::Display for SpfResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Qualifier> for SpfResult {
    fn from(q: Qualifier) -> SpfResult {
        match q {
            Qualifier::Pass => SpfResult::Pass,
            Qualifier::Fail => SpfResult::Fail,
            Qualifier::SoftFail => SpfResult::SoftFail,
            Qualifier::Neutral => SpfResult::Neutral,
        }
    }
}

/// What is checked: the client's address, the MAIL FROM address (empty for bounces) and
/// the HELO name.
#[derive(Debug, Clone)]
pub struct SpfQuery<'a> {
    pub ip: IpAddr,
    pub mail_from: &'a str,
    pub helo: &'a str,
    /// The receiving host's name, for `%{r}` in explanations (`unknown` if not given).
    pub receiver: Option<&'a str>,
    /// Seconds since 1970, for `%{t}` in explanations (the library reads no clock).
    pub timestamp: u64,
}

/// The result, the explanation of a `fail` (from `exp=`), and for errors what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfOutcome {
    pub result: SpfResult,
    pub explanation: Option<String>,
    pub problem: Option<String>,
}

/// RFC 7208 4.6.4: at most 10 terms that query DNS, and at most 2 void lookups.
pub const DNS_TERM_LIMIT: u32 = 10;
pub const VOID_LOOKUP_LIMIT: u32 = 2;
/// RFC 7208 4.6.4: at most 10 MX names (more is a permerror) and PTR names (the rest ignored).
const NAME_LIMIT: usize = 10;

enum Stop {
    Perm(String),
    Temp(String),
}

struct Eval<'a> {
    dns: &'a dyn Resolver,
    ip: IpAddr,
    sender: String,
    local_part: String,
    sender_domain: String,
    helo: &'a str,
    receiver: &'a str,
    timestamp: u64,
    dns_terms: u32,
    voids: u32,
}

/// Runs `check_host()` for the MAIL FROM identity (or `postmaster@HELO` when it is empty),
/// as RFC 7208 section 2.4 describes.
pub fn check_host(dns: &dyn Resolver, q: &SpfQuery<'_>) -> SpfOutcome {
    let sender = if q.mail_from.is_empty() {
        format!("postmaster@{}", q.helo)
    } else {
        q.mail_from.to_owned()
    };
    let (local, domain) = match sender.rsplit_once('@') {
        Some((l, d)) => (l.to_owned(), d.to_owned()),
        None => (String::new(), sender.clone()),
    };
    let local = if local.is_empty() {
        "postmaster".to_owned()
    } else {
        local
    };
    // An IPv4-mapped IPv6 client is an IPv4 client.
    let ip = match q.ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    let mut ev = Eval {
        dns,
        ip,
        sender: format!("{local}@{domain}"),
        local_part: local,
        sender_domain: domain.clone(),
        helo: q.helo,
        receiver: q.receiver.unwrap_or("unknown"),
        timestamp: q.timestamp,
        dns_terms: 0,
        voids: 0,
    };
    match ev.check(&domain, true) {
        Ok((result, explanation)) => SpfOutcome {
            result,
            explanation,
            problem: None,
        },
        Err(Stop::Perm(p)) => SpfOutcome {
            result: SpfResult::PermError,
            explanation: None,
            problem: Some(p),
        },
        Err(Stop::Temp(p)) => SpfOutcome {
            result: SpfResult::TempError,
            explanation: None,
            problem: Some(p),
        },
    }
}

/// Whether `d` is a usable domain: labels of 1 to 63 bytes, at least two of them, 253 bytes
/// at most, ending in a top label (so `[192.0.2.1]` and `localhost` are not).
pub fn valid_domain(d: &str) -> bool {
    let d = d.strip_suffix('.').unwrap_or(d);
    if d.is_empty() || d.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.len() > 63) {
        return false;
    }
    let top = labels[labels.len() - 1];
    top.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        && top.bytes().any(|c| c.is_ascii_alphabetic())
}

/// The SPF records among a name's TXT records (RFC 7208 4.5).
pub fn select_records(answer: Answer<crate::dns::Txt>) -> Vec<Vec<u8>> {
    answer
        .into_records()
        .iter()
        .map(crate::dns::Txt::joined)
        .filter(|t| is_spf_record(t))
        .collect()
}

fn in_net(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            (u32::from(a) & mask) == (u32::from(b) & mask)
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            (u128::from(a) & mask) == (u128::from(b) & mask)
        }
        _ => false,
    }
}

fn temp(e: DnsError, what: &str) -> Stop {
    Stop::Temp(format!("{what}: {e}"))
}

impl Eval<'_> {
    fn ctx<'b>(&'b self, domain: &'b str) -> MacroContext<'b> {
        MacroContext {
            sender: &self.sender,
            local_part: &self.local_part,
            sender_domain: &self.sender_domain,
            domain,
            ip: self.ip,
            helo: self.helo,
            receiver: self.receiver,
            timestamp: self.timestamp,
        }
    }

    /// Expands a domain-spec, truncating it from the left to 253 bytes (RFC 7208 7.3).
    fn expand_domain(&self, ms: &MacroString, domain: &str) -> String {
        let p = ms.uses_p().then(|| self.validated_name(domain));
        let mut s = ms.expand(&self.ctx(domain), p.as_deref());
        if let Some(stripped) = s.strip_suffix('.') {
            s = stripped.to_owned();
        }
        while s.len() > 253 {
            match s.split_once('.') {
                Some((_, rest)) => s = rest.to_owned(),
                None => break,
            }
        }
        s
    }

    fn count_term(&mut self) -> Result<(), Stop> {
        self.dns_terms += 1;
        if self.dns_terms > DNS_TERM_LIMIT {
            return Err(Stop::Perm(format!(
                "more than {DNS_TERM_LIMIT} DNS-querying terms (include, a, mx, ptr, exists, redirect)"
            )));
        }
        Ok(())
    }

    fn count_void<T>(&mut self, a: &Answer<T>, name: &str) -> Result<(), Stop> {
        if a.is_void() {
            self.voids += 1;
            if self.voids > VOID_LOOKUP_LIMIT {
                return Err(Stop::Perm(format!(
                    "more than {VOID_LOOKUP_LIMIT} lookups found nothing (the last: {name})"
                )));
            }
        }
        Ok(())
    }

    /// A or AAAA records of `name`, whichever matches the client's address family.
    fn addresses(&self, name: &str) -> DnsResult<IpAddr> {
        Ok(match self.ip {
            IpAddr::V4(_) => map(self.dns.a(name)?, IpAddr::V4),
            IpAddr::V6(_) => map(self.dns.aaaa(name)?, IpAddr::V6),
        })
    }

    /// The client's PTR names that resolve back to it (at most the first 10 are tried).
    fn validated_names(&self) -> Vec<String> {
        let Ok(answer) = self.dns.ptr(self.ip) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for name in answer.into_records().into_iter().take(NAME_LIMIT) {
            if let Ok(a) = self.addresses(&name)
                && a.into_records().contains(&self.ip)
            {
                out.push(normalize(&name));
            }
        }
        out
    }

    /// `%{p}`: the validated name equal to, or under, the domain, else any, else "unknown".
    fn validated_name(&self, domain: &str) -> String {
        let names = self.validated_names();
        let domain = normalize(domain);
        let suffix = format!(".{domain}");
        names
            .iter()
            .find(|n| **n == domain)
            .or_else(|| names.iter().find(|n| n.ends_with(&suffix)))
            .or_else(|| names.first())
            .cloned()
            .unwrap_or_else(|| "unknown".into())
    }

    /// check_host() for one domain: the result and, when asked and the result is `fail`
    /// from this record, the explanation.
    fn check(&mut self, domain: &str, want_exp: bool) -> Result<(SpfResult, Option<String>), Stop> {
        if !valid_domain(domain) {
            return Ok((SpfResult::None, None));
        }
        let answer = self
            .dns
            .txt(domain)
            .map_err(|e| temp(e, &format!("the TXT lookup of {domain}")))?;
        let mut records = select_records(answer);
        let text = match records.len() {
            0 => return Ok((SpfResult::None, None)),
            1 => records.remove(0),
            n => {
                return Err(Stop::Perm(format!("{domain} publishes {n} SPF records")));
            }
        };
        let record = Record::parse(&text)
            .map_err(|e| Stop::Perm(format!("the SPF record of {domain}: {e}")))?;
        for d in &record.directives {
            if d.mechanism.queries_dns() {
                self.count_term()?;
            }
            if self.matches(&d.mechanism, domain)? {
                let result = SpfResult::from(d.qualifier);
                let exp = if result == SpfResult::Fail && want_exp {
                    record.exp.as_ref().and_then(|e| self.explain(e, domain))
                } else {
                    None
                };
                return Ok((result, exp));
            }
        }
        if let Some(target) = record.redirect.as_ref().filter(|_| !record.has_all()) {
            self.count_term()?;
            let target = self.expand_domain(target, domain);
            let (result, exp) = self.check(&target, want_exp)?;
            if result == SpfResult::None {
                return Err(Stop::Perm(format!(
                    "redirect={target} leads to a domain without an SPF record"
                )));
            }
            return Ok((result, exp));
        }
        Ok((SpfResult::Neutral, None))
    }

    fn matches(&mut self, m: &Mechanism, domain: &str) -> Result<bool, Stop> {
        match m {
            Mechanism::All => Ok(true),
            Mechanism::Ip4(net, len) => Ok(in_net(self.ip, IpAddr::V4(*net), *len)),
            Mechanism::Ip6(net, len) => Ok(in_net(self.ip, IpAddr::V6(*net), *len)),
            Mechanism::Include(ms) => {
                let target = self.expand_domain(ms, domain);
                match self.check(&target, false)?.0 {
                    SpfResult::Pass => Ok(true),
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => Ok(false),
                    SpfResult::None => Err(Stop::Perm(format!(
                        "include:{target} names a domain without an SPF record"
                    ))),
                    // Errors come back as `Stop`, never as a result.
                    SpfResult::PermError | SpfResult::TempError => Ok(false),
                }
            }
            Mechanism::A {
                domain: target,
                cidr4,
                cidr6,
            } => {
                let target = match target {
                    Some(ms) => self.expand_domain(ms, domain),
                    None => domain.to_owned(),
                };
                let answer = self
                    .addresses(&target)
                    .map_err(|e| temp(e, &format!("the address lookup of {target}")))?;
                self.count_void(&answer, &target)?;
                Ok(self.any_in(answer.into_records(), *cidr4, *cidr6))
            }
            Mechanism::Mx {
                domain: target,
                cidr4,
                cidr6,
            } => {
                let target = match target {
                    Some(ms) => self.expand_domain(ms, domain),
                    None => domain.to_owned(),
                };
                let answer = self
                    .dns
                    .mx(&target)
                    .map_err(|e| temp(e, &format!("the MX lookup of {target}")))?;
                self.count_void(&answer, &target)?;
                let hosts = answer.into_records();
                if hosts.len() > NAME_LIMIT {
                    return Err(Stop::Perm(format!(
                        "{target} has more than {NAME_LIMIT} MX records"
                    )));
                }
                for mx in hosts {
                    if mx.exchange.is_empty() {
                        continue; // a null MX names no host
                    }
                    let addrs = self
                        .addresses(&mx.exchange)
                        .map_err(|e| temp(e, &format!("the address lookup of {}", mx.exchange)))?;
                    if self.any_in(addrs.into_records(), *cidr4, *cidr6) {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Mechanism::Ptr(target) => {
                let target = match target {
                    Some(ms) => self.expand_domain(ms, domain),
                    None => domain.to_owned(),
                };
                // A failed PTR lookup means no match (RFC 7208 5.5), not an error.
                if let Ok(answer) = self.dns.ptr(self.ip) {
                    self.count_void(&answer, "the client's PTR name")?;
                }
                let target = normalize(&target);
                let suffix = format!(".{target}");
                Ok(self
                    .validated_names()
                    .iter()
                    .any(|n| *n == target || n.ends_with(&suffix)))
            }
            Mechanism::Exists(ms) => {
                let target = self.expand_domain(ms, domain);
                // Always an A query, whatever the client's address family (RFC 7208 5.7).
                let answer = self
                    .dns
                    .a(&target)
                    .map_err(|e| temp(e, &format!("the A lookup of {target}")))?;
                self.count_void(&answer, &target)?;
                Ok(!answer.is_void())
            }
        }
    }

    fn any_in(&self, addrs: Vec<IpAddr>, cidr4: u8, cidr6: u8) -> bool {
        addrs.into_iter().any(|a| {
            let len = if a.is_ipv4() { cidr4 } else { cidr6 };
            in_net(self.ip, a, len)
        })
    }

    /// The explanation of a fail (RFC 7208 6.2). Any problem means no explanation.
    fn explain(&self, ms: &MacroString, domain: &str) -> Option<String> {
        let name = self.expand_domain(ms, domain);
        if !valid_domain(&name) {
            return None;
        }
        let records = self.dns.txt(&name).ok()?.into_records();
        let [record] = records.as_slice() else {
            return None;
        };
        let text = String::from_utf8(record.joined())
            .ok()
            .filter(|s| s.is_ascii())?;
        let explain = MacroString::parse(&text, true).ok()?;
        let p = explain.uses_p().then(|| self.validated_name(domain));
        Some(explain.expand(&self.ctx(domain), p.as_deref()))
    }
}

fn map<T, U>(a: Answer<T>, f: impl Fn(T) -> U) -> Answer<U> {
    match a {
        Answer::Records(r) => Answer::Records(r.into_iter().map(f).collect()),
        Answer::NoData => Answer::NoData,
        Answer::NxDomain => Answer::NxDomain,
    }
}
