//! Bad input never panics: every parser, and the whole check on a zone made of arbitrary
//! records, return values or errors for any text.

use hicp_email::spf::record::Record;
use hicp_email::spf::{SpfQuery, check_host};
use hicp_email::zone::Zone;
use hicp_email::{check, dkim, dmarc, mtasts};
use proptest::prelude::*;

/// Text that looks a little like what these parsers expect, so that they get past the
/// first checks: record keywords, separators, escapes and multi-byte characters.
fn texty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("v=spf1 ".to_string()),
        Just("v=DMARC1;".to_string()),
        Just("v=DKIM1;".to_string()),
        Just("p=".to_string()),
        Just("rua=mailto:".to_string()),
        Just("%{".to_string()),
        Just("include:".to_string()),
        Just("a/".to_string()),
        Just("//".to_string()),
        Just("ip6:".to_string()),
        Just("\\".to_string()),
        Just("\"".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just(";".to_string()),
        Just("\n".to_string()),
        Just("é".to_string()),
        Just("MIGfMA0G".to_string()),
        "[ -~]{0,8}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn parsers_never_panic(s in texty(), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = Zone::parse(&s, Some("example.org"));
        let _ = Record::parse(s.as_bytes());
        let _ = Record::parse(&bytes);
        let _ = dmarc::parse(&s);
        let _ = dkim::parse(&s);
        let _ = dkim::rsa_modulus_bits(&bytes);
        let _ = mtasts::parse_policy(&s);
        let _ = mtasts::parse_sts_record(&s);
        let _ = mtasts::parse_tlsrpt(&s);
    }

    #[test]
    fn checks_never_panic(spf in texty(), dm in texty(), dk in texty(), ip in any::<u32>()) {
        let esc = |t: &str| t.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', " ");
        let zone = format!(
            "$ORIGIN example.org.\n@ TXT \"{}\"\n_dmarc TXT \"{}\"\ns._domainkey TXT \"{}\"\n@ MX 10 mx\nmx A 192.0.2.1\n",
            esc(&spf), esc(&dm), esc(&dk)
        );
        let z = Zone::parse(&zone, None).expect("escaped text is a valid zone");
        let r = check("example.org", &["s".to_string()], &z, Some(&dm)).expect("valid domain");
        prop_assert!(!r.findings.is_empty());
        let out = check_host(&z, &SpfQuery {
            ip: std::net::Ipv4Addr::from(ip).into(),
            mail_from: "a@example.org",
            helo: "mx.example.org",
            receiver: None,
            timestamp: 0,
        });
        let _ = out.result;
    }
}
