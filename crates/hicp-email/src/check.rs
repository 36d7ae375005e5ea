//! The domain check: SPF, DMARC, DKIM, MX, MTA-STS and TLS-RPT, each problem said in
//! plain words for an office manager and in technical words for IT.

use crate::dkim::{self, DkimKey};
use crate::dmarc::{self, Policy};
use crate::dns::{Answer, DnsError, Resolver, Txt};
use crate::mtasts::{self, Mode};
use crate::report::{Code, DkimSeen, Finding, Observed, Report, Severity};
use crate::spf::audit::audit;
use crate::spf::record::{Mechanism, Qualifier, Record, is_spf_record};
use crate::spf::{DNS_TERM_LIMIT, VOID_LOOKUP_LIMIT, valid_domain};

/// Why a check could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error("\"{0}\" is not a domain name (for example: example.org)")]
    InvalidDomain(String),
    #[error("\"{0}\" is not a DKIM selector name (letters, digits, dots, hyphens and underscores)")]
    InvalidSelector(String),
}

/// RFC 8461 recommends a max_age of weeks; under a day protects little.
const SHORT_MAX_AGE: u32 = 86_400;

/// Checks `domain`. `selectors` are the DKIM selectors to look at (DKIM keys cannot be
/// listed from DNS); `mta_sts_policy` is the text of the MTA-STS policy file, if the caller
/// fetched or was given it.
pub fn check(
    domain: &str,
    selectors: &[String],
    dns: &dyn Resolver,
    mta_sts_policy: Option<&str>,
) -> Result<Report, CheckError> {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    if !valid_domain(&domain)
        || !domain
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c == b'_')
    {
        return Err(CheckError::InvalidDomain(domain));
    }
    for s in selectors {
        let ok = !s.is_empty()
            && s.split('.').all(|l| !l.is_empty() && l.len() <= 63)
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
        if !ok {
            return Err(CheckError::InvalidSelector(s.clone()));
        }
    }
    let mut c = Checker {
        dns,
        domain: domain.clone(),
        findings: Vec::new(),
        observed: Observed::default(),
    };
    c.spf();
    c.dmarc();
    c.dkim(selectors);
    let mx_hosts = c.mx();
    c.mta_sts(mta_sts_policy, &mx_hosts);
    c.tls_rpt();
    Ok(Report::new(
        domain,
        selectors.to_vec(),
        c.findings,
        c.observed,
    ))
}

struct Checker<'a> {
    dns: &'a dyn Resolver,
    domain: String,
    findings: Vec<Finding>,
    observed: Observed,
}

fn texts(records: &[Txt]) -> Vec<String> {
    records
        .iter()
        .map(|t| String::from_utf8_lossy(&t.joined()).into_owned())
        .collect()
}

fn align(a: dmarc::Alignment) -> &'static str {
    match a {
        dmarc::Alignment::Relaxed => "relaxed",
        dmarc::Alignment::Strict => "strict",
    }
}

fn dns_trouble(what: &str, name: &str, e: DnsError) -> String {
    format!("The {what} lookup of {name} got no answer: {e}.")
}

impl Checker<'_> {
    fn add(&mut self, code: Code, sev: Severity, title: String, fix: String, detail: String) {
        self.findings
            .push(Finding::new(code, sev, title, fix, detail));
    }

    /// The TXT records at `name` that `pick` selects, or the DNS error.
    fn txt_records(&self, name: &str, pick: fn(&str) -> bool) -> Result<Vec<String>, DnsError> {
        let answer = self.dns.txt(name)?;
        Ok(texts(&answer.into_records())
            .into_iter()
            .filter(|t| pick(t))
            .collect())
    }

    fn spf(&mut self) {
        let d = self.domain.clone();
        let answer = match self.dns.txt(&d) {
            Ok(a) => a,
            Err(e) => {
                self.add(
                    Code::SpfDnsError,
                    Severity::Medium,
                    format!("The SPF record of {d} could not be read: the DNS did not answer."),
                    format!("Run the check again later. If it keeps failing, ask your email provider or IT contact to check the DNS servers of {d}; receiving servers have the same trouble and may delay or refuse your mail."),
                    dns_trouble("TXT", &d, e),
                );
                return;
            }
        };
        let records: Vec<Vec<u8>> = answer
            .into_records()
            .iter()
            .map(Txt::joined)
            .filter(|t| is_spf_record(t))
            .collect();
        self.observed.spf = records
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect();
        if let Ok(Answer::Records(old)) = self.dns.spf_type(&d) {
            self.add(
                Code::SpfDeprecatedType,
                Severity::Low,
                format!("{d} still publishes an old-style \"SPF\" DNS record, which mail servers no longer read."),
                "Ask your IT contact or DNS host to delete the DNS record of type \"SPF\" and keep only the TXT record that starts with v=spf1.".into(),
                format!("Type 99 (SPF) records at {d}: {:?}. RFC 7208 section 3.1 retired this type; only TXT is used.", texts(&old)),
            );
        }
        let text = match records.as_slice() {
            [] => {
                self.add(
                    Code::SpfMissing,
                    Severity::High,
                    format!("{d} has no SPF record, so receiving mail servers cannot tell your real mail from forgeries."),
                    format!("Ask your email provider to publish an SPF record for {d} that lists every service allowed to send mail as you (your mailboxes, and any billing, reminder or newsletter service). If {d} never sends mail, ask for the record \"v=spf1 -all\"."),
                    format!("No TXT record starting with \"v=spf1\" at {d} (RFC 7208 section 4.5): check_host() returns none."),
                );
                return;
            }
            [one] => one.clone(),
            many => {
                self.add(
                    Code::SpfMultiple,
                    Severity::High,
                    format!("{d} has {} SPF records; receiving servers treat that as an error and ignore them all.", many.len()),
                    "Ask your email provider to merge them into one SPF record that lists every service allowed to send your mail.".into(),
                    format!("Records: {:?}. RFC 7208 section 4.5: more than one SPF record gives permerror.", self.observed.spf),
                );
                return;
            }
        };
        let shown = String::from_utf8_lossy(&text).into_owned();
        let rec = match Record::parse(&text) {
            Ok(r) => r,
            Err(e) => {
                self.add(
                    Code::SpfSyntax,
                    Severity::High,
                    format!("The SPF record of {d} has a mistake in it, so receiving servers ignore it."),
                    "Ask your email provider to correct the SPF record; the exact problem is in the details for your IT contact.".into(),
                    format!("\"{shown}\": {e}. RFC 7208 section 4.6: any syntax error gives permerror."),
                );
                return;
            }
        };
        let mut problems = 0;
        let all = rec
            .directives
            .iter()
            .find(|x| x.mechanism == Mechanism::All)
            .map(|x| x.qualifier);
        match all {
            Some(Qualifier::Pass) => {
                problems += 1;
                self.add(
                    Code::SpfPassAll,
                    Severity::Critical,
                    format!("The SPF record of {d} allows every mail server in the world to send as {d}."),
                    "Ask your email provider to change the \"+all\" (or plain \"all\") at the end of the SPF record to \"-all\", after checking that every service that sends your mail is listed in it.".into(),
                    format!("\"{shown}\": the all mechanism has the qualifier + (pass), so every IP address passes SPF."),
                );
            }
            Some(Qualifier::Neutral) => {
                problems += 1;
                self.add(
                    Code::SpfNeutralAll,
                    Severity::Medium,
                    format!("The SPF record of {d} does not tell receiving servers to distrust mail from unlisted servers."),
                    "Ask your email provider to change the \"?all\" at the end of the SPF record to \"-all\" (or \"~all\" while you check that all your sending services are listed).".into(),
                    format!("\"{shown}\": ?all gives neutral for every unlisted sender, which receivers treat like no SPF at all."),
                );
            }
            Some(Qualifier::Fail | Qualifier::SoftFail) => {}
            None if rec.redirect.is_none() => {
                problems += 1;
                self.add(
                    Code::SpfNoAll,
                    Severity::Low,
                    format!("The SPF record of {d} does not say what to do with mail from servers it does not list."),
                    "Ask your email provider to end the SPF record with \"-all\" (or \"~all\").".into(),
                    format!("\"{shown}\": no all mechanism and no redirect modifier, so unlisted senders get neutral (RFC 7208 section 4.7)."),
                );
            }
            None => {}
        }
        let a = audit(self.dns, &d, &rec);
        self.observed.spf_dns_terms = Some(a.dns_terms);
        if a.dns_terms > DNS_TERM_LIMIT {
            problems += 1;
            let count = if a.capped {
                format!("more than {}", a.dns_terms)
            } else {
                a.dns_terms.to_string()
            };
            self.add(
                Code::SpfTooManyLookups,
                Severity::High,
                format!("The SPF record of {d} is too long to check: it needs {count} lookups where receiving servers allow {DNS_TERM_LIMIT}, so they may treat it as broken."),
                "Ask your email provider to shorten the SPF record: remove services you no longer use, and replace entries that point to other records with the address ranges they stand for, until it needs 10 lookups or fewer.".into(),
                format!("\"{shown}\": {count} DNS-querying terms (include, a, mx, ptr, exists, redirect) counted through includes and redirects; RFC 7208 section 4.6.4 allows {DNS_TERM_LIMIT}, then permerror."),
            );
        }
        if a.void_names.len() > VOID_LOOKUP_LIMIT as usize {
            problems += 1;
            self.add(
                Code::SpfVoidLookups,
                Severity::High,
                format!("The SPF record of {d} points to {} names that do not exist, so receiving servers may treat it as broken.", a.void_names.len()),
                "Ask your email provider to remove from the SPF record the entries that point to names that no longer exist (listed in the details).".into(),
                format!("Lookups that found nothing: {}. RFC 7208 section 4.6.4 allows {VOID_LOOKUP_LIMIT} such void lookups, then permerror.", a.void_names.join(", ")),
            );
        }
        if !a.broken.is_empty() {
            problems += 1;
            self.add(
                Code::SpfBrokenInclude,
                Severity::High,
                format!("The SPF record of {d} relies on another record that is missing or broken, so receiving servers treat the whole record as an error."),
                "Ask your email provider to fix or remove the broken entry named in the details (often a service you no longer use, or a mistyped name).".into(),
                format!("{}. An include or redirect to a domain without a valid SPF record gives permerror (RFC 7208 sections 5.2 and 6.1).", a.broken.join("; ")),
            );
        }
        if a.uses_ptr {
            problems += 1;
            self.add(
                Code::SpfPtr,
                Severity::Low,
                format!("The SPF record of {d} uses \"ptr\", a slow method that some receiving servers ignore."),
                "Ask your email provider to replace \"ptr\" in the SPF record with the addresses, or the include, of the services that send your mail.".into(),
                format!("\"{shown}\": RFC 7208 section 5.5 says the ptr mechanism SHOULD NOT be used."),
            );
        }
        if !a.dns_errors.is_empty() {
            problems += 1;
            self.add(
                Code::SpfDnsError,
                Severity::Medium,
                format!("Part of the SPF record of {d} could not be checked: the DNS did not answer."),
                "Run the check again later; if it keeps failing, show the details to your IT contact.".into(),
                format!("{}. Receivers would return temperror.", a.dns_errors.join("; ")),
            );
        }
        if problems == 0 {
            self.add(
                Code::SpfOk,
                Severity::Info,
                format!("{d} publishes a valid SPF record that tells receiving servers to distrust mail from unlisted servers."),
                "Nothing to do. Keep the record up to date when you add or drop a service that sends mail for you.".into(),
                format!("\"{shown}\": {} of {DNS_TERM_LIMIT} DNS-querying terms, {} void lookups.", a.dns_terms, a.void_names.len()),
            );
        }
    }

    fn dmarc(&mut self) {
        let d = self.domain.clone();
        // The domain's own record, else the nearest parent's (DMARCbis tree walk, which
        // stands in for RFC 7489's organizational domain without a public suffix list).
        let mut name = d.clone();
        let (found_at, records) = loop {
            let q = format!("_dmarc.{name}");
            match self.txt_records(&q, dmarc::is_dmarc_record) {
                Err(e) => {
                    self.add(
                        Code::DmarcDnsError,
                        Severity::Medium,
                        format!("The DMARC record of {d} could not be read: the DNS did not answer."),
                        "Run the check again later; if it keeps failing, show the details to your IT contact.".into(),
                        dns_trouble("TXT", &q, e),
                    );
                    return;
                }
                Ok(r) if !r.is_empty() => break (name, r),
                Ok(_) => {}
            }
            match name.split_once('.') {
                Some((_, parent)) if parent.contains('.') => name = parent.to_owned(),
                _ => {
                    self.add(
                        Code::DmarcMissing,
                        Severity::High,
                        format!("{d} has no DMARC record, so receiving servers are not told to stop mail that forges your address."),
                        format!("Ask your email provider to publish a DMARC record for {d}. Start with \"v=DMARC1; p=none; rua=mailto:(a mailbox or report service you read)\" to learn who sends as you, then move to p=quarantine and p=reject over a few months."),
                        format!("No TXT record starting with v=DMARC1 at _dmarc.{d} or at a parent domain (RFC 7489 section 6.6.3)."),
                    );
                    return;
                }
            }
        };
        let qname = format!("_dmarc.{found_at}");
        self.observed.dmarc_name = Some(qname.clone());
        self.observed.dmarc = records.clone();
        if records.len() > 1 {
            self.add(
                Code::DmarcMultiple,
                Severity::High,
                format!("{d} has {} DMARC records; receiving servers ignore them all.", records.len()),
                "Ask your email provider to keep exactly one DMARC record.".into(),
                format!("{qname}: {records:?}. RFC 7489 section 6.6.3: more than one record means no DMARC policy applies."),
            );
            return;
        }
        let text = &records[0];
        let rec = match dmarc::parse(text) {
            Ok(r) => r,
            Err(e) => {
                self.add(
                    Code::DmarcSyntax,
                    Severity::High,
                    format!("The DMARC record of {d} has a mistake in it, so receiving servers ignore it."),
                    "Ask your email provider to correct the DMARC record; the exact problem is in the details for your IT contact.".into(),
                    format!("{qname}: \"{text}\": {e}."),
                );
                return;
            }
        };
        let inherited = found_at != d;
        // For a subdomain, the parent's sp= applies (RFC 7489 6.6.3).
        let policy = if inherited {
            rec.sp.unwrap_or(rec.policy())
        } else {
            rec.policy()
        };
        if inherited {
            self.add(
                Code::DmarcInherited,
                Severity::Info,
                format!("{d} has no DMARC record of its own; the one of {found_at} applies to it."),
                "Nothing to do, unless this subdomain needs its own rules.".into(),
                format!(
                    "Record found at {qname}; for {d} its subdomain policy applies: {}.",
                    policy.as_str()
                ),
            );
        }
        let mut problems = 0;
        let enforced = policy != Policy::None;
        if !enforced {
            problems += 1;
            self.add(
                Code::DmarcPolicyNone,
                Severity::Medium,
                format!("DMARC for {d} only watches (p=none): mail that forges your address is still delivered."),
                "Once the DMARC reports show that all your real mail passes, ask your email provider to change the policy to p=quarantine, and later to p=reject.".into(),
                format!("{qname}: \"{text}\": the policy for {d} is none."),
            );
        }
        if !inherited && enforced && rec.sp == Some(Policy::None) {
            problems += 1;
            self.add(
                Code::DmarcSubdomainNone,
                Severity::Medium,
                format!("Mail that forges a subdomain of {d} (for example billing.{d}) is still delivered (sp=none)."),
                "Ask your email provider to remove \"sp=none\" from the DMARC record, or set it to sp=quarantine or sp=reject.".into(),
                format!("{qname}: \"{text}\": sp=none."),
            );
        }
        if enforced && rec.np == Some(Policy::None) {
            problems += 1;
            self.add(
                Code::DmarcNonexistentNone,
                Severity::Low,
                format!("Mail from made-up subdomains of {d} is still delivered (np=none)."),
                "Ask your email provider to remove \"np=none\" from the DMARC record, or set it to np=reject.".into(),
                format!("{qname}: \"{text}\": np=none (DMARCbis: the policy for non-existent subdomains)."),
            );
        }
        if enforced && rec.pct < 100 {
            problems += 1;
            self.add(
                Code::DmarcPartial,
                Severity::Medium,
                format!("The DMARC policy of {d} is applied to only {}% of forged mail.", rec.pct),
                "Ask your email provider to remove \"pct=\" from the DMARC record (or set it to 100) once reports show your real mail passes.".into(),
                format!("{qname}: \"{text}\": pct={} (RFC 7489 section 6.3; DMARCbis drops pct and reads it as t=y when below 100).", rec.pct),
            );
        }
        if enforced && rec.testing {
            problems += 1;
            self.add(
                Code::DmarcTesting,
                Severity::Medium,
                format!("The DMARC policy of {d} is marked as a test, so receiving servers apply a weaker one."),
                "Ask your email provider to remove \"t=y\" from the DMARC record once reports show your real mail passes.".into(),
                format!("{qname}: \"{text}\": t=y (DMARCbis test mode: quarantine is applied as none, reject as quarantine)."),
            );
        }
        if rec.rua.is_empty() {
            problems += 1;
            self.add(
                Code::DmarcNoReports,
                Severity::Medium,
                format!("Nobody receives DMARC reports for {d}, so nobody sees who sends mail in your name."),
                "Ask your email provider to add a report address (rua=mailto:...) to the DMARC record, and to show you a summary of the reports every month.".into(),
                format!("{qname}: \"{text}\": no valid rua= destination (RFC 7489 section 7.2)."),
            );
        }
        for (tag, list) in [("rua", &rec.rua), ("ruf", &rec.ruf)] {
            for addr in list {
                let Some(dest) = dmarc::address_domain(addr) else {
                    continue;
                };
                if dmarc::is_internal(&found_at, dest) {
                    continue;
                }
                let auth = format!("{found_at}._report._dmarc.{dest}");
                let ok = self
                    .txt_records(&auth, dmarc::is_dmarc_record)
                    .is_ok_and(|r| !r.is_empty());
                if !ok {
                    problems += 1;
                    self.add(
                        Code::DmarcReportUnauthorized,
                        Severity::Medium,
                        format!("DMARC reports for {d} go to {addr}, but {dest} has not said it accepts them, so they will not be sent."),
                        format!("Ask the company behind {dest} (often a DMARC report service) to publish the authorization record named in the details, or ask your email provider to use the report address that service gives you."),
                        format!("{tag}={addr}: no TXT record starting with v=DMARC1 at {auth} (RFC 7489 section 7.1)."),
                    );
                }
            }
        }
        if !rec.warnings.is_empty() {
            problems += 1;
            self.add(
                Code::DmarcWarning,
                Severity::Low,
                format!("The DMARC record of {d} has small mistakes that receiving servers skip over."),
                "Ask your email provider to tidy the DMARC record; the details list what to correct.".into(),
                format!("{qname}: \"{text}\": {}.", rec.warnings.join("; ")),
            );
        }
        if problems == 0 {
            self.add(
                Code::DmarcOk,
                Severity::Info,
                format!("DMARC tells receiving servers to {} mail that forges {d}, and reports are sent to you.", match policy {
                    Policy::Reject => "reject",
                    _ => "quarantine",
                }),
                "Nothing to do. Keep reading the DMARC reports, and check new sending services before you start using them.".into(),
                format!(
                    "{qname}: \"{text}\". Alignment: DKIM {}, SPF {}.",
                    align(rec.adkim),
                    align(rec.aspf)
                ),
            );
        }
    }

    fn dkim(&mut self, selectors: &[String]) {
        let d = self.domain.clone();
        if selectors.is_empty() {
            self.add(
                Code::DkimNoSelector,
                Severity::Info,
                format!("The DKIM signing keys of {d} were not checked: no selector name was given."),
                "Ask your email provider for the DKIM \"selector\" names used for your domain (they appear as s= in the DKIM-Signature line of a message you sent), and run the check again with them.".into(),
                "DKIM keys live at SELECTOR._domainkey.DOMAIN and cannot be listed; pass --dkim-selector.".into(),
            );
            return;
        }
        for s in selectors {
            let name = format!("{s}._domainkey.{d}");
            let records = match self.dns.txt(&name) {
                Ok(a) => texts(&a.into_records()),
                Err(e) => {
                    self.add(
                        Code::DkimDnsError,
                        Severity::Medium,
                        format!("The DKIM key \"{s}\" of {d} could not be read: the DNS did not answer."),
                        "Run the check again later; if it keeps failing, show the details to your IT contact.".into(),
                        dns_trouble("TXT", &name, e),
                    );
                    continue;
                }
            };
            let mut seen = DkimSeen {
                selector: s.clone(),
                record: None,
                key: None,
            };
            let text = match records.as_slice() {
                [] => {
                    self.add(
                        Code::DkimMissing,
                        Severity::High,
                        format!("No DKIM signing key was found for {d} under the selector \"{s}\"."),
                        format!("Ask your email provider to turn on DKIM signing for {d} and publish the key they give you, or tell you the right selector name."),
                        format!("No TXT record at {name}."),
                    );
                    self.observed.dkim.push(seen);
                    continue;
                }
                [one] => one.clone(),
                many => many.concat(),
            };
            seen.record = Some(text.clone());
            if records.len() > 1 {
                self.add(
                    Code::DkimSyntax,
                    Severity::High,
                    format!("The DKIM key \"{s}\" of {d} is published more than once, so receiving servers cannot use it."),
                    "Ask your email provider to keep exactly one record for this DKIM selector.".into(),
                    format!("{name}: {} TXT records: {records:?}.", records.len()),
                );
                self.observed.dkim.push(seen);
                continue;
            }
            match dkim::parse(&text) {
                Err(e) => self.add(
                    Code::DkimSyntax,
                    Severity::High,
                    format!("The DKIM key \"{s}\" of {d} has a mistake in it, so receiving servers cannot check your signatures."),
                    "Ask your email provider to publish the DKIM key again exactly as their setup page shows it.".into(),
                    format!("{name}: {e}."),
                ),
                Ok(rec) => {
                    seen.key = Some(rec.key.clone());
                    let mut problems = 0;
                    match rec.key {
                        DkimKey::Revoked => {
                            problems += 1;
                            self.add(
                                Code::DkimRevoked,
                                Severity::Low,
                                format!("The DKIM key \"{s}\" of {d} has been withdrawn; mail signed with it fails."),
                                "If your mail is still signed with this selector, ask your email provider to publish a new key; if not, nothing to do.".into(),
                                format!("{name}: empty p= (RFC 6376 section 3.6.1: revoked key)."),
                            );
                        }
                        DkimKey::Rsa { bits } if bits < 1024 => {
                            problems += 1;
                            self.add(
                                Code::DkimKeyTooShort,
                                Severity::Critical,
                                format!("The DKIM key \"{s}\" of {d} is only {bits} bits long: it can be broken, and many servers reject it."),
                                "Ask your email provider to create a new 2048-bit DKIM key, publish it, switch signing to it, and then withdraw the old one.".into(),
                                format!("{name}: RSA modulus of {bits} bits; RFC 8301 forbids keys under 1024 bits."),
                            );
                        }
                        DkimKey::Rsa { bits } if bits < 2048 => {
                            problems += 1;
                            self.add(
                                Code::DkimKeyWeak,
                                Severity::High,
                                format!("The DKIM key \"{s}\" of {d} is {bits} bits long, weaker than the 2048 bits recommended today."),
                                "Ask your email provider to create a new 2048-bit DKIM key, publish it, switch signing to it, and then withdraw the old one.".into(),
                                format!("{name}: RSA modulus of {bits} bits; RFC 8301 asks signers for at least 2048 bits."),
                            );
                        }
                        DkimKey::Other { ref key_type } => {
                            problems += 1;
                            self.add(
                                Code::DkimUnknownType,
                                Severity::Medium,
                                format!("The DKIM key \"{s}\" of {d} is of a kind most receiving servers do not know."),
                                "Ask your email provider to publish an RSA (2048-bit) DKIM key for this selector.".into(),
                                format!("{name}: k={key_type} (known: rsa, ed25519)."),
                            );
                        }
                        DkimKey::Rsa { .. } | DkimKey::Ed25519 => {}
                    }
                    if rec.testing {
                        problems += 1;
                        self.add(
                            Code::DkimTesting,
                            Severity::Low,
                            format!("The DKIM key \"{s}\" of {d} is marked as a test, so receiving servers do not hold failures against forged mail."),
                            "Ask your email provider to remove \"t=y\" from the DKIM record once signing works.".into(),
                            format!("{name}: t=y (RFC 6376 section 3.6.1)."),
                        );
                    }
                    if problems == 0 {
                        let what = match &rec.key {
                            DkimKey::Rsa { bits } => format!("RSA, {bits} bits"),
                            _ => "Ed25519".to_owned(),
                        };
                        self.add(
                            Code::DkimOk,
                            Severity::Info,
                            format!("The DKIM key \"{s}\" of {d} is present and strong."),
                            "Nothing to do.".into(),
                            format!("{name}: {what}."),
                        );
                    }
                }
            }
            self.observed.dkim.push(seen);
        }
    }

    /// Reports on MX and returns the mail host names (for the MTA-STS comparison).
    fn mx(&mut self) -> Vec<String> {
        let d = self.domain.clone();
        let answer = match self.dns.mx(&d) {
            Ok(a) => a,
            Err(e) => {
                self.add(
                    Code::MxDnsError,
                    Severity::Medium,
                    format!("The mail servers (MX) of {d} could not be read: the DNS did not answer."),
                    "Run the check again later; if it keeps failing, show the details to your IT contact.".into(),
                    dns_trouble("MX", &d, e),
                );
                return Vec::new();
            }
        };
        let mut mx = answer.into_records();
        mx.sort_by(|a, b| (a.preference, &a.exchange).cmp(&(b.preference, &b.exchange)));
        self.observed.mx = mx
            .iter()
            .map(|m| {
                let host = if m.exchange.is_empty() {
                    "."
                } else {
                    &m.exchange
                };
                format!("{} {host}", m.preference)
            })
            .collect();
        if mx.is_empty() {
            self.add(
                Code::MxMissing,
                Severity::Medium,
                format!("{d} names no mail server (MX record), so mail sent to it may be lost."),
                format!("If {d} should receive email, ask your email provider for the MX records to publish. If it never should, ask for a \"null MX\" record (MX 0 .) so that senders find out at once."),
                format!("No MX record at {d} (RFC 5321 section 5.1 then falls back to its address records)."),
            );
            return Vec::new();
        }
        if mx.len() == 1 && mx[0].exchange.is_empty() {
            self.add(
                Code::MxNull,
                Severity::Info,
                format!("{d} says it receives no email (null MX)."),
                "Nothing to do if that is intended. A domain that sends no mail should also publish the SPF record \"v=spf1 -all\" and the DMARC policy p=reject.".into(),
                format!("MX 0 . at {d} (RFC 7505)."),
            );
            return Vec::new();
        }
        self.add(
            Code::MxOk,
            Severity::Info,
            format!("{d} names the mail servers that receive its email."),
            "Nothing to do.".into(),
            format!("MX: {}.", self.observed.mx.join(", ")),
        );
        mx.into_iter()
            .filter(|m| !m.exchange.is_empty())
            .map(|m| m.exchange)
            .collect()
    }

    fn mta_sts(&mut self, policy_text: Option<&str>, mx_hosts: &[String]) {
        let d = self.domain.clone();
        let name = format!("_mta-sts.{d}");
        let records = match self.txt_records(&name, mtasts::is_sts_record) {
            Ok(r) => r,
            Err(e) => {
                self.add(
                    Code::MtaStsDnsError,
                    Severity::Low,
                    format!("The MTA-STS record of {d} could not be read: the DNS did not answer."),
                    "Run the check again later; if it keeps failing, show the details to your IT contact.".into(),
                    dns_trouble("TXT", &name, e),
                );
                return;
            }
        };
        self.observed.mta_sts = records.clone();
        let fix_syntax = "Ask your email provider to correct the MTA-STS record; the exact problem is in the details for your IT contact.";
        match records.as_slice() {
            [] => {
                self.add(
                    Code::MtaStsMissing,
                    Severity::Low,
                    format!("Mail sent to {d} is not required to travel encrypted (no MTA-STS)."),
                    format!("Ask your email provider whether they support MTA-STS, and to set it up for {d}, first in testing mode."),
                    format!("No TXT record starting with v=STSv1 at {name} (RFC 8461 section 3.1)."),
                );
                return;
            }
            [one] => {
                if let Err(e) = mtasts::parse_sts_record(one) {
                    self.add(
                        Code::MtaStsSyntax,
                        Severity::Medium,
                        format!("The MTA-STS record of {d} has a mistake in it, so sending servers ignore it."),
                        fix_syntax.into(),
                        format!("{name}: \"{one}\": {e}."),
                    );
                    return;
                }
            }
            many => {
                self.add(
                    Code::MtaStsSyntax,
                    Severity::Medium,
                    format!(
                        "{d} has {} MTA-STS records, so sending servers ignore them all.",
                        many.len()
                    ),
                    fix_syntax.into(),
                    format!("{name}: {many:?} (RFC 8461 section 3.1: exactly one)."),
                );
                return;
            }
        }
        // Not given: the network source fetches it; a zone file does not.
        let fetched;
        let policy_text = match policy_text {
            Some(t) => Some(t),
            None => match self.dns.mta_sts_policy(&d) {
                None => None,
                Some(Ok(t)) => {
                    fetched = t;
                    Some(fetched.as_str())
                }
                Some(Err(why)) => {
                    self.add(
                        Code::MtaStsPolicyUnreachable,
                        Severity::Medium,
                        format!("{d} announces an MTA-STS policy, but the policy file cannot be fetched, so sending servers cannot use it."),
                        "Ask your email provider (or whoever runs the mta-sts web address) to publish the MTA-STS policy file over HTTPS, with a valid certificate.".into(),
                        format!("{}: {why} (RFC 8461 section 3.3).", mtasts::policy_url(&d)),
                    );
                    return;
                }
            },
        };
        let Some(text) = policy_text else {
            self.add(
                Code::MtaStsPolicyNotChecked,
                Severity::Info,
                format!("{d} announces an MTA-STS policy, but the policy file itself was not checked."),
                "Nothing to do now; to check it too, run the check with the policy file.".into(),
                format!("The policy at https://mta-sts.{d}/.well-known/mta-sts.txt was not given (--mta-sts-policy)."),
            );
            return;
        };
        let policy = match mtasts::parse_policy(text) {
            Ok(p) => p,
            Err(e) => {
                self.add(
                    Code::MtaStsPolicySyntax,
                    Severity::Medium,
                    format!("The MTA-STS policy file of {d} has a mistake in it, so sending servers ignore it."),
                    "Ask your email provider to correct the MTA-STS policy file; the exact problem is in the details for your IT contact.".into(),
                    format!("Policy file: {e} (RFC 8461 section 3.2)."),
                );
                return;
            }
        };
        self.observed.mta_sts_policy = Some(policy.clone());
        let mut problems = 0;
        match policy.mode {
            Mode::Testing => {
                problems += 1;
                self.add(
                    Code::MtaStsTesting,
                    Severity::Low,
                    format!("MTA-STS for {d} is in testing mode: unencrypted delivery is reported but still allowed."),
                    "Once the TLS reports show no problems, ask your email provider to switch the MTA-STS policy to \"mode: enforce\".".into(),
                    "Policy mode: testing (RFC 8461 section 5).".into(),
                );
            }
            Mode::None => {
                problems += 1;
                self.add(
                    Code::MtaStsOff,
                    Severity::Low,
                    format!("MTA-STS for {d} is switched off (mode: none)."),
                    "Ask your email provider to switch the MTA-STS policy to testing, then to enforce.".into(),
                    "Policy mode: none (RFC 8461 section 5).".into(),
                );
            }
            Mode::Enforce => {}
        }
        if policy.mode != Mode::None {
            for host in mx_hosts {
                if !policy.mx.iter().any(|p| mtasts::mx_matches(p, host)) {
                    problems += 1;
                    let enforce = policy.mode == Mode::Enforce;
                    self.add(
                        Code::MtaStsMxMismatch,
                        if enforce { Severity::High } else { Severity::Medium },
                        if enforce {
                            format!("The MTA-STS policy of {d} does not list the mail server {host}, so senders will refuse to deliver to it.")
                        } else {
                            format!("The MTA-STS policy of {d} does not list the mail server {host}; senders report this as a failure.")
                        },
                        format!("Ask your email provider to add {host} to the MTA-STS policy (an \"mx:\" line), or to correct the MX records."),
                        format!("MX host {host} matches none of the policy's mx patterns {:?} (RFC 8461 section 4.1).", policy.mx),
                    );
                }
            }
        }
        if policy.max_age < SHORT_MAX_AGE && policy.mode != Mode::None {
            problems += 1;
            self.add(
                Code::MtaStsShortMaxAge,
                Severity::Low,
                format!("Sending servers remember the MTA-STS policy of {d} for only {} seconds, which protects little.", policy.max_age),
                "Ask your email provider to raise max_age in the MTA-STS policy to at least one week (604800).".into(),
                format!("max_age: {} (RFC 8461 section 3.2 recommends weeks or more).", policy.max_age),
            );
        }
        if problems == 0 {
            self.add(
                Code::MtaStsOk,
                Severity::Info,
                format!("Mail sent to {d} must travel encrypted to the listed mail servers (MTA-STS enforced)."),
                "Nothing to do.".into(),
                format!("mode: enforce, mx: {:?}, max_age: {}.", policy.mx, policy.max_age),
            );
        }
    }

    fn tls_rpt(&mut self) {
        let d = self.domain.clone();
        let name = format!("_smtp._tls.{d}");
        let records = match self.txt_records(&name, mtasts::is_tlsrpt_record) {
            Ok(r) => r,
            Err(e) => {
                self.add(
                    Code::TlsRptDnsError,
                    Severity::Low,
                    format!("The TLS reporting record of {d} could not be read: the DNS did not answer."),
                    "Run the check again later; if it keeps failing, show the details to your IT contact.".into(),
                    dns_trouble("TXT", &name, e),
                );
                return;
            }
        };
        self.observed.tls_rpt = records.clone();
        match records.as_slice() {
            [] => self.add(
                Code::TlsRptMissing,
                Severity::Low,
                format!("Nobody is told when encrypted delivery of mail to {d} fails (no TLS-RPT)."),
                "Ask your email provider to publish a TLS-RPT record that sends these reports to a mailbox they or you read.".into(),
                format!("No TXT record starting with v=TLSRPTv1 at {name} (RFC 8460 section 3)."),
            ),
            [one] => match mtasts::parse_tlsrpt(one) {
                Ok(dest) => self.add(
                    Code::TlsRptOk,
                    Severity::Info,
                    format!("Reports about encrypted delivery of mail to {d} are sent to you."),
                    "Nothing to do.".into(),
                    format!("{name}: rua {}.", dest.join(", ")),
                ),
                Err(e) => self.add(
                    Code::TlsRptSyntax,
                    Severity::Low,
                    format!("The TLS reporting record of {d} has a mistake in it, so no reports are sent."),
                    "Ask your email provider to correct the TLS-RPT record; the exact problem is in the details for your IT contact.".into(),
                    format!("{name}: \"{one}\": {e}."),
                ),
            },
            many => self.add(
                Code::TlsRptSyntax,
                Severity::Low,
                format!("{d} has {} TLS reporting records, so none is used.", many.len()),
                "Ask your email provider to keep exactly one TLS-RPT record.".into(),
                format!("{name}: {many:?} (RFC 8460 section 3: exactly one)."),
            ),
        }
    }
}
