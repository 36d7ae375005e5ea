//! Where DNS answers come from: the [`Resolver`] trait and its answer types.
//!
//! Names are passed as fully qualified names without the trailing dot (`example.com`);
//! implementations compare them without regard to ASCII case.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The answer to one query that did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    /// One or more records of the asked type (after following CNAMEs).
    Records(Vec<T>),
    /// The name exists but holds no record of that type.
    NoData,
    /// The name does not exist (RCODE 3).
    NxDomain,
}

impl<T> Answer<T> {
    /// The records, or nothing for NODATA and NXDOMAIN.
    pub fn into_records(self) -> Vec<T> {
        match self {
            Answer::Records(r) => r,
            Answer::NoData | Answer::NxDomain => Vec::new(),
        }
    }

    /// Whether this is a "void lookup" in the sense of RFC 7208 4.6.4 (no answer records).
    pub fn is_void(&self) -> bool {
        match self {
            Answer::Records(r) => r.is_empty(),
            Answer::NoData | Answer::NxDomain => true,
        }
    }
}

/// A query that did not get an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    #[error("the DNS query timed out")]
    Timeout,
    #[error("the DNS server reported a failure")]
    ServerFailure,
}

/// The result of one query.
pub type DnsResult<T> = Result<Answer<T>, DnsError>;

/// One TXT (or type 99 SPF) record: its character-strings, as bytes (they may hold any byte).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Txt(pub Vec<Vec<u8>>);

impl Txt {
    /// The strings joined with nothing in between, as RFC 7208 3.3 and RFC 6376 3.6.2.2 read them.
    pub fn joined(&self) -> Vec<u8> {
        self.0.concat()
    }

    /// The joined text, if it is UTF-8.
    pub fn text(&self) -> Option<String> {
        String::from_utf8(self.joined()).ok()
    }
}

/// One MX record. A "null MX" (RFC 7505) has the exchange `""` (the root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mx {
    pub preference: u16,
    pub exchange: String,
}

/// A source of DNS answers: a zone file ([`crate::zone::Zone`]) or the network.
pub trait Resolver {
    fn txt(&self, name: &str) -> DnsResult<Txt>;
    /// The deprecated SPF record type (99). Sources that cannot carry it say NODATA.
    fn spf_type(&self, _name: &str) -> DnsResult<Txt> {
        Ok(Answer::NoData)
    }
    fn a(&self, name: &str) -> DnsResult<Ipv4Addr>;
    fn aaaa(&self, name: &str) -> DnsResult<Ipv6Addr>;
    fn mx(&self, name: &str) -> DnsResult<Mx>;
    /// The PTR records of the reverse name of `ip` (`in-addr.arpa` or `ip6.arpa`).
    fn ptr(&self, ip: IpAddr) -> DnsResult<String>;
    /// The MTA-STS policy file of `domain`, fetched over HTTPS (RFC 8461 3.3): `None` when
    /// this source does not fetch (a zone file: the policy is then given, or not checked),
    /// otherwise the text or why it could not be had. Only the network source fetches.
    fn mta_sts_policy(&self, _domain: &str) -> Option<Result<String, String>> {
        None
    }
}

impl<R: Resolver + ?Sized> Resolver for &R {
    fn txt(&self, name: &str) -> DnsResult<Txt> {
        (**self).txt(name)
    }
    fn spf_type(&self, name: &str) -> DnsResult<Txt> {
        (**self).spf_type(name)
    }
    fn a(&self, name: &str) -> DnsResult<Ipv4Addr> {
        (**self).a(name)
    }
    fn aaaa(&self, name: &str) -> DnsResult<Ipv6Addr> {
        (**self).aaaa(name)
    }
    fn mx(&self, name: &str) -> DnsResult<Mx> {
        (**self).mx(name)
    }
    fn ptr(&self, ip: IpAddr) -> DnsResult<String> {
        (**self).ptr(ip)
    }
    fn mta_sts_policy(&self, domain: &str) -> Option<Result<String, String>> {
        (**self).mta_sts_policy(domain)
    }
}

/// The reverse-lookup name of an address: `4.3.2.1.in-addr.arpa`, or 32 nibbles and `ip6.arpa`.
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut s = String::with_capacity(72);
            for b in v6.octets().iter().rev() {
                s.push(hex_digit(b & 0xf));
                s.push('.');
                s.push(hex_digit(b >> 4));
                s.push('.');
            }
            s.push_str("ip6.arpa");
            s
        }
    }
}

fn hex_digit(n: u8) -> char {
    char::from_digit(u32::from(n), 16).unwrap_or('0')
}

/// A name as compared: ASCII lowercase, without a trailing dot.
pub fn normalize(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name("192.0.2.4".parse().unwrap()),
            "4.2.0.192.in-addr.arpa"
        );
        assert_eq!(
            reverse_name("cafe:babe::1".parse().unwrap()),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.e.b.a.b.e.f.a.c.ip6.arpa"
        );
    }
}
