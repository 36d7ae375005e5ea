//! Email domain checks for HICP practice 1 (email protection).
//!
//! - [`dns`]: the [`dns::Resolver`] trait, answered by a zone file ([`zone::Zone`]) or,
//!   with the `network` feature, by the network.
//! - [`spf`]: RFC 7208 `check_host()`.
//!
//! The library reads no clock and touches no network unless the caller builds the network
//! resolver.

pub mod dns;
pub mod spf;
pub mod zone;
