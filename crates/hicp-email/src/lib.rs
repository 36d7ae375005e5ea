//! Email domain checks for HICP practice 1 (email protection).
//!
//! - [`dns`]: the [`dns::Resolver`] trait, answered by a zone file ([`zone::Zone`]) or,
//!   with the `network` feature, by the network (`network::NetworkResolver`).
//! - [`spf`]: RFC 7208 `check_host()`.
//! - [`check()`]: the domain check (SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT), a
//!   [`Report`] of findings in plain words, each mapped to HICP criteria by the data in
//!   `data/criteria.yaml`.
//!
//! The library reads no clock and touches no network unless the caller builds the network
//! resolver.

mod check;
pub mod dkim;
pub mod dmarc;
pub mod dns;
pub mod mtasts;
#[cfg(feature = "network")]
pub mod network;
pub mod report;
pub mod spf;
mod tags;
pub mod zone;

pub use check::{CheckError, check};
pub use report::{Code, Finding, Report, Severity};
