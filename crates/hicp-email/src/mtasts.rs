//! MTA-STS (RFC 8461): the `_mta-sts` TXT record and the policy file; TLS-RPT (RFC 8460):
//! the `_smtp._tls` TXT record.

use crate::tags;
use serde::Serialize;

/// The `_mta-sts.DOMAIN` record: `v=STSv1; id=...`.
pub fn parse_sts_record(text: &str) -> Result<String, String> {
    let tags = tags::parse(text)?;
    match tags.first() {
        Some(t) if t.name == "v" && t.value == "STSv1" => {}
        _ => return Err("the record must start with v=STSv1".into()),
    }
    let id = tags::get(&tags, "id").ok_or("the record has no id= tag")?;
    if id.is_empty() || id.len() > 32 || !id.bytes().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!("id={id} is not 1 to 32 letters and digits"));
    }
    Ok(id.to_owned())
}

pub fn is_sts_record(text: &str) -> bool {
    text.trim_start().starts_with("v=STSv1")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Enforce,
    Testing,
    None,
}

/// A parsed policy file (`https://mta-sts.DOMAIN/.well-known/mta-sts.txt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StsPolicy {
    pub mode: Mode,
    pub mx: Vec<String>,
    pub max_age: u32,
}

/// Where the policy of `domain` is published (RFC 8461 3.3).
pub fn policy_url(domain: &str) -> String {
    format!(
        "https://mta-sts.{}/.well-known/mta-sts.txt",
        domain.trim_end_matches('.')
    )
}

/// The most a policy file may be: RFC 8461 3.3 lets senders stop at 64 KiB.
pub const MAX_POLICY_BYTES: usize = 64 * 1024;

/// The policy text of an HTTPS response, as RFC 8461 3.3 accepts it: status 200 (redirects
/// are not followed), media type `text/plain`, at most [`MAX_POLICY_BYTES`], UTF-8.
/// Otherwise why not, in words for IT.
pub fn policy_from_response(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<String, String> {
    if status != 200 {
        return Err(format!(
            "the server answered HTTP {status}, not 200 (redirects are not followed)"
        ));
    }
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    if media.as_deref() != Some("text/plain") {
        return Err(format!(
            "the media type is {}, not text/plain",
            content_type.unwrap_or("missing")
        ));
    }
    if body.len() > MAX_POLICY_BYTES {
        return Err(format!(
            "the policy is larger than {} KiB",
            MAX_POLICY_BYTES / 1024
        ));
    }
    String::from_utf8(body.to_vec()).map_err(|_| "the policy is not UTF-8 text".to_owned())
}

/// RFC 8461 3.2: max_age is at most 31557600 seconds (a year).
pub const MAX_AGE_LIMIT: u32 = 31_557_600;

/// Parses a policy file. Lines are `key: value`, ended by LF or CRLF; unknown keys are
/// ignored, as the RFC asks.
pub fn parse_policy(text: &str) -> Result<StsPolicy, String> {
    let mut version = None;
    let mut mode = None;
    let mut max_age = None;
    let mut mx = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(format!("line {}: \"{line}\" is not key: value", n + 1));
        };
        let value = value.trim();
        match key.trim() {
            "version" => version = Some(value.to_owned()),
            "mode" => {
                mode = Some(match value {
                    "enforce" => Mode::Enforce,
                    "testing" => Mode::Testing,
                    "none" => Mode::None,
                    other => {
                        return Err(format!(
                            "line {}: mode \"{other}\" is not enforce, testing or none",
                            n + 1
                        ));
                    }
                });
            }
            "max_age" => {
                let v = value
                    .parse::<u32>()
                    .ok()
                    .filter(|v| *v <= MAX_AGE_LIMIT && value.len() <= 10)
                    .ok_or_else(|| {
                        format!(
                            "line {}: max_age \"{value}\" is not 0 to {MAX_AGE_LIMIT}",
                            n + 1
                        )
                    })?;
                max_age = Some(v);
            }
            "mx" => mx.push(value.to_ascii_lowercase()),
            _ => {}
        }
    }
    if version.as_deref() != Some("STSv1") {
        return Err("the policy has no \"version: STSv1\" line".into());
    }
    let mode = mode.ok_or("the policy has no mode line")?;
    let max_age = max_age.ok_or("the policy has no max_age line")?;
    if mx.is_empty() && mode != Mode::None {
        return Err("the policy lists no mx line".into());
    }
    Ok(StsPolicy { mode, mx, max_age })
}

/// Whether an MX host matches a policy pattern (`mail.example.com` or `*.example.com`,
/// where the star stands for exactly one label).
pub fn mx_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(rest) => host
            .split_once('.')
            .is_some_and(|(first, tail)| !first.is_empty() && tail == rest),
        None => host == pattern,
    }
}

/// The `_smtp._tls.DOMAIN` record: `v=TLSRPTv1; rua=mailto:...,https://...`. Returns the
/// report destinations.
pub fn parse_tlsrpt(text: &str) -> Result<Vec<String>, String> {
    let tags = tags::parse(text)?;
    match tags.first() {
        Some(t) if t.name == "v" && t.value == "TLSRPTv1" => {}
        _ => return Err("the record must start with v=TLSRPTv1".into()),
    }
    let rua = tags::get(&tags, "rua").ok_or("the record has no rua= tag")?;
    let mut out = Vec::new();
    for u in rua.split(',').map(str::trim) {
        let lower = u.to_ascii_lowercase();
        let mailto = lower.starts_with("mailto:") && u.contains('@');
        if !mailto && !lower.starts_with("https://") {
            return Err(format!(
                "rua: \"{u}\" is neither a mailto: nor an https: address"
            ));
        }
        out.push(u.to_owned());
    }
    Ok(out)
}

pub fn is_tlsrpt_record(text: &str) -> bool {
    text.trim_start().starts_with("v=TLSRPTv1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_and_patterns() {
        let p = parse_policy(
            "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.backup.example.com\r\nmax_age: 604800\r\n",
        )
        .unwrap();
        assert_eq!(p.mode, Mode::Enforce);
        assert_eq!(p.max_age, 604_800);
        assert!(mx_matches(&p.mx[1], "a.backup.example.com."));
        assert!(!mx_matches(&p.mx[1], "a.b.backup.example.com"));
        assert!(!mx_matches(&p.mx[1], "backup.example.com"));
        assert!(parse_policy("version: STSv1\nmode: enforce\nmax_age: 1\n").is_err());
        assert!(parse_policy("version: STSv1\nmode: strict\n").is_err());
        assert_eq!(
            parse_sts_record("v=STSv1; id=20240101T0000;").unwrap(),
            "20240101T0000"
        );
        assert!(parse_sts_record("v=STSv1;").is_err());
        assert_eq!(
            parse_tlsrpt("v=TLSRPTv1; rua=mailto:tls@example.com").unwrap(),
            vec!["mailto:tls@example.com".to_string()]
        );
        assert!(parse_tlsrpt("v=TLSRPTv1; rua=ftp://x").is_err());
    }
}

#[cfg(test)]
mod fetch_tests {
    use super::*;

    #[test]
    fn policy_responses_are_held_to_rfc_8461() {
        assert_eq!(
            policy_url("clinic.example."),
            "https://mta-sts.clinic.example/.well-known/mta-sts.txt"
        );
        let text = b"version: STSv1\r\nmode: enforce\r\nmx: mx1.example\r\nmax_age: 604800\r\n";
        assert_eq!(
            policy_from_response(200, Some("text/plain; charset=utf-8"), text).unwrap(),
            String::from_utf8(text.to_vec()).unwrap()
        );
        assert!(
            policy_from_response(301, Some("text/plain"), b"")
                .unwrap_err()
                .contains("HTTP 301")
        );
        assert!(
            policy_from_response(200, Some("text/html"), text)
                .unwrap_err()
                .contains("text/html")
        );
        assert!(
            policy_from_response(200, None, text)
                .unwrap_err()
                .contains("missing")
        );
        let big = vec![b'a'; MAX_POLICY_BYTES + 1];
        assert!(
            policy_from_response(200, Some("text/plain"), &big)
                .unwrap_err()
                .contains("64 KiB")
        );
        assert!(
            policy_from_response(200, Some("TEXT/PLAIN"), &[0xff])
                .unwrap_err()
                .contains("UTF-8")
        );
    }
}
