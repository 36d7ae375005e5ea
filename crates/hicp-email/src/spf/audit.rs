//! A static look at a published SPF record, for the domain check: how many DNS-querying
//! terms and void lookups evaluating it can take (every term, as for a sender that matches
//! nothing), and which includes or redirects are broken.

use super::record::{Mechanism, Record};
use super::select_records;
use crate::dns::{Answer, Resolver};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpfAudit {
    /// Terms that query DNS (include, a, mx, ptr, exists, redirect), through includes.
    pub dns_terms: u32,
    /// Names that were looked up and found empty (NODATA or NXDOMAIN).
    pub void_names: Vec<String>,
    /// Problems that make receivers return permerror (broken include or redirect, too
    /// many MX names).
    pub broken: Vec<String>,
    /// Lookups that did not get an answer.
    pub dns_errors: Vec<String>,
    pub uses_ptr: bool,
    /// Targets with macros, which depend on the sender and were not followed.
    pub not_followed: Vec<String>,
    /// Counting stopped at [`COUNT_CAP`] terms (the tree may be larger still).
    pub capped: bool,
}

/// Receivers stop at 10; counting far past that only costs time (and a hostile record
/// tree could be huge), so the walk stops here.
pub const COUNT_CAP: u32 = 100;

/// Walks `record` (published at `domain`) and what it includes.
pub fn audit(dns: &dyn Resolver, domain: &str, record: &Record) -> SpfAudit {
    let mut a = SpfAudit::default();
    let mut path = vec![domain.to_ascii_lowercase()];
    walk(dns, domain, record, &mut a, &mut path);
    a
}

const MAX_DEPTH: usize = 12;

fn walk(dns: &dyn Resolver, domain: &str, rec: &Record, a: &mut SpfAudit, path: &mut Vec<String>) {
    for d in &rec.directives {
        if a.dns_terms >= COUNT_CAP {
            a.capped = true;
            return;
        }
        match &d.mechanism {
            Mechanism::All | Mechanism::Ip4(..) | Mechanism::Ip6(..) => {}
            Mechanism::Include(ms) => {
                a.dns_terms += 1;
                match ms.literal() {
                    Some(t) => follow(dns, &t, "include", a, path),
                    None => a.not_followed.push(format!("include:{ms}")),
                }
            }
            Mechanism::A { domain: t, .. } => {
                a.dns_terms += 1;
                let Some(target) = target_of(t.as_ref(), domain, a) else {
                    continue;
                };
                let v4 = dns.a(&target);
                let v6 = dns.aaaa(&target);
                match (v4, v6) {
                    (Ok(x), Ok(y)) => {
                        if x.is_void() && y.is_void() {
                            a.void_names.push(format!("a:{target}"));
                        }
                    }
                    (Err(e), _) | (_, Err(e)) => a.dns_errors.push(format!("{target}: {e}")),
                }
            }
            Mechanism::Mx { domain: t, .. } => {
                a.dns_terms += 1;
                let Some(target) = target_of(t.as_ref(), domain, a) else {
                    continue;
                };
                match dns.mx(&target) {
                    Ok(ans) => {
                        if ans.is_void() {
                            a.void_names.push(format!("mx:{target}"));
                        }
                        let n = ans.into_records().len();
                        if n > 10 {
                            a.broken
                                .push(format!("mx:{target} has {n} MX records (10 at most)"));
                        }
                    }
                    Err(e) => a.dns_errors.push(format!("MX of {target}: {e}")),
                }
            }
            Mechanism::Ptr(_) => {
                a.dns_terms += 1;
                a.uses_ptr = true;
            }
            Mechanism::Exists(_) => a.dns_terms += 1,
        }
    }
    if let Some(r) = rec.redirect.as_ref().filter(|_| !rec.has_all()) {
        a.dns_terms += 1;
        match r.literal() {
            Some(t) => follow(dns, &t, "redirect", a, path),
            None => a.not_followed.push(format!("redirect={r}")),
        }
    }
}

fn target_of(
    t: Option<&super::macros::MacroString>,
    domain: &str,
    a: &mut SpfAudit,
) -> Option<String> {
    match t {
        None => Some(domain.to_owned()),
        Some(ms) => {
            let lit = ms.literal();
            if lit.is_none() {
                a.not_followed.push(format!("{ms}"));
            }
            lit
        }
    }
}

fn follow(dns: &dyn Resolver, target: &str, how: &str, a: &mut SpfAudit, path: &mut Vec<String>) {
    let key = target.trim_end_matches('.').to_ascii_lowercase();
    if path.contains(&key) {
        a.broken.push(format!(
            "{how}:{target} loops back to a record already being read"
        ));
        return;
    }
    if path.len() > MAX_DEPTH {
        return;
    }
    let answer = match dns.txt(target) {
        Ok(ans) => ans,
        Err(e) => {
            a.dns_errors.push(format!("TXT of {target}: {e}"));
            return;
        }
    };
    if matches!(answer, Answer::NxDomain) {
        a.void_names.push(format!("{how}:{target}"));
    }
    let records = select_records(answer);
    match records.as_slice() {
        [] => a.broken.push(format!("{how}:{target} has no SPF record")),
        [one] => match Record::parse(one) {
            Ok(rec) => {
                path.push(key);
                walk(dns, target, &rec, a, path);
                path.pop();
            }
            Err(e) => a.broken.push(format!("{how}:{target}: {e}")),
        },
        many => a
            .broken
            .push(format!("{how}:{target} has {} SPF records", many.len())),
    }
}
