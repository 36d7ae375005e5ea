//! The network DNS source (cargo feature `network`): the system's resolvers, through
//! `hickory-resolver`, and MTA-STS policy files over HTTPS (`reqwest` with rustls). Built
//! only when a person asks for a check over the network.

use crate::dns::{Answer, DnsError, DnsResult, Mx, Resolver, Txt, reverse_name};
use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::{RData, RecordType};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why the network source could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up DNS over the network: {0}")]
pub struct NetworkSetupError(String);

/// Asks the system's configured DNS servers. Blocking: each query runs to completion on a
/// small runtime of its own, so callers stay synchronous.
pub struct NetworkResolver {
    runtime: tokio::runtime::Runtime,
    resolver: TokioResolver,
}

impl NetworkResolver {
    pub fn from_system() -> Result<NetworkResolver, NetworkSetupError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| NetworkSetupError(e.to_string()))?;
        let resolver = runtime.block_on(async {
            TokioResolver::builder_tokio()
                .and_then(|b| b.build())
                .map_err(|e| NetworkSetupError(e.to_string()))
        })?;
        Ok(NetworkResolver { runtime, resolver })
    }

    fn query<T>(
        &self,
        name: &str,
        rtype: RecordType,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> DnsResult<T> {
        // A trailing dot keeps the system's search domains out of it.
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        let result = self
            .runtime
            .block_on(self.resolver.lookup(fqdn.as_str(), rtype));
        match result {
            Ok(lookup) => {
                let records: Vec<T> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| pick(&r.data))
                    .collect();
                Ok(if records.is_empty() {
                    Answer::NoData
                } else {
                    Answer::Records(records)
                })
            }
            Err(e) if e.is_nx_domain() => Ok(Answer::NxDomain),
            Err(e) if e.is_no_records_found() => Ok(Answer::NoData),
            Err(hickory_resolver::net::NetError::Timeout) => Err(DnsError::Timeout),
            Err(_) => Err(DnsError::ServerFailure),
        }
    }
}

/// Splits type 99 rdata (which hickory keeps as opaque bytes) into its character-strings.
fn character_strings(mut b: &[u8]) -> Option<Txt> {
    let mut out = Vec::new();
    while let Some((&len, rest)) = b.split_first() {
        let len = usize::from(len);
        if rest.len() < len {
            return None;
        }
        out.push(rest[..len].to_vec());
        b = &rest[len..];
    }
    Some(Txt(out))
}

impl Resolver for NetworkResolver {
    fn txt(&self, name: &str) -> DnsResult<Txt> {
        self.query(name, RecordType::TXT, |d| match d {
            RData::TXT(t) => Some(Txt(t.txt_data.iter().map(|s| s.to_vec()).collect())),
            _ => None,
        })
    }
    fn spf_type(&self, name: &str) -> DnsResult<Txt> {
        self.query(name, RecordType::from(99u16), |d| match d {
            RData::Unknown { rdata, .. } => character_strings(&rdata.anything),
            _ => None,
        })
    }
    fn a(&self, name: &str) -> DnsResult<Ipv4Addr> {
        self.query(name, RecordType::A, |d| match d {
            RData::A(a) => Some(a.0),
            _ => None,
        })
    }
    fn aaaa(&self, name: &str) -> DnsResult<Ipv6Addr> {
        self.query(name, RecordType::AAAA, |d| match d {
            RData::AAAA(a) => Some(a.0),
            _ => None,
        })
    }
    fn mx(&self, name: &str) -> DnsResult<Mx> {
        self.query(name, RecordType::MX, |d| match d {
            RData::MX(m) => Some(Mx {
                preference: m.preference,
                exchange: if m.exchange.is_root() {
                    String::new()
                } else {
                    m.exchange
                        .to_ascii()
                        .trim_end_matches('.')
                        .to_ascii_lowercase()
                },
            }),
            _ => None,
        })
    }
    fn ptr(&self, ip: IpAddr) -> DnsResult<String> {
        self.query(&reverse_name(ip), RecordType::PTR, |d| match d {
            RData::PTR(p) => Some(p.0.to_ascii().trim_end_matches('.').to_ascii_lowercase()),
            _ => None,
        })
    }
    fn mta_sts_policy(&self, domain: &str) -> Option<Result<String, String>> {
        Some(self.runtime.block_on(fetch_policy(domain)))
    }
}

/// How long a policy fetch may take in all (RFC 8461 3.3 suggests a minute at most).
const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// Fetches the MTA-STS policy of `domain` over HTTPS: the certificate checked against the
/// system's roots (rustls' platform verifier), no redirects, at most 64 KiB read.
async fn fetch_policy(domain: &str) -> Result<String, String> {
    let url = crate::mtasts::policy_url(domain);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FETCH_TIMEOUT)
        .https_only(true)
        .user_agent(concat!("hicp-toolkit/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot set up HTTPS: {e}"))?;
    let mut response = client.get(&url).send().await.map_err(|e| {
        // The chain says why: no such host, a certificate that does not verify, a time-out.
        let mut why = e.to_string();
        let mut cur = std::error::Error::source(&e);
        while let Some(inner) = cur {
            why.push_str(": ");
            why.push_str(&inner.to_string());
            cur = inner.source();
        }
        why
    })?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        body.extend_from_slice(&chunk);
        if body.len() > crate::mtasts::MAX_POLICY_BYTES {
            break;
        }
    }
    crate::mtasts::policy_from_response(status, content_type.as_deref(), &body)
}

#[cfg(test)]
mod tests {
    #[test]
    fn type_99_strings() {
        let t = super::character_strings(b"\x06v=spf1\x05 -all").unwrap();
        assert_eq!(t.joined(), b"v=spf1 -all");
        assert!(super::character_strings(b"\x09short").is_none());
    }
}
