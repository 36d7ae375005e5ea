//! The domain check on zone files: each problem found, in plain words, with its code.

use hicp_email::zone::Zone;
use hicp_email::{Code, Report, Severity, check};

// Real RSA public keys (SubjectPublicKeyInfo, base64) made once with openssl for these
// tests; the private halves were thrown away.
const RSA512: &str = "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAOuRtfXmqpXmumzkEBUrsCtS4makGqhiVAhYvlnpvZZshT9her9AglwjCXKz13wyZWRNLBWd5wJ9yoEI3yTPcYkCAwEAAQ==";
const RSA1024: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC2ZYYQKr5HFyGkUfh5pTv37eHEmSToc2zxQXOxXAbHaztgwQO8GGeh4ZEx5if6VO4WH1PU0Ut8TXuXqVf3AQ8qYZtI8Y9bGIM2CoLwyZ3JFd3rR+53ugu8YX8DzmpbNah5v2qEuePQyons8NeTynujshTOU9LZaPOfmBc4rnTrMQIDAQAB";
// A 2048-bit key is longer than one TXT string (255 bytes), so it is split in two.
const RSA2048_A: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArX+CqfCb0TLVGgPx4S9Bc6UuL85FlS5g9bY/w4RTNylDVzioj/ZXT/4pzSr05RfVbPUNdWu1HNY7uWHbJDouep0KV6vhZDbUe2anH3Waoenuh4wY5GQY4MGfIBBtxCNCt80YlZ/2T8bbWfMlnvjlPz+LlYen";
const RSA2048_B: &str = "ehyQqI0WBGNguuJXrzxs9wNz7Zsy81n2J/6SSGmpfJWVUeGYT2LLkchOiydC6w2f+PQAm7Z95TzxbBx84M/d2a1fOC3z24zvQ+s/qwkczlJtvFgQ7g+56OEmD6iFI89eEFnflLaiGe748jyiVm+RWAORZEKFCe4PNXZXh9RwI0wajxQEgC0jnw2SlQIDAQAB";

/// A well-configured domain; `extra` lines are added (or replace by owner and type when
/// the test removes them first).
fn good_zone() -> String {
    format!(
        r#"
$ORIGIN clinic.example.
$TTL 3600
@            MX   10 mx1.mailhost.example.
@            TXT  "v=spf1 include:_spf.mailhost.example -all"
_dmarc       TXT  "v=DMARC1; p=reject; rua=mailto:dmarc@clinic.example"
s1._domainkey TXT "v=DMARC1" ; not a key: replaced below
s2._domainkey TXT ( "v=DKIM1; k=rsa; p={RSA2048_A}"
                    "{RSA2048_B}" )
_mta-sts     TXT  "v=STSv1; id=20260101"
_smtp._tls   TXT  "v=TLSRPTv1; rua=mailto:tls@clinic.example"
$ORIGIN mailhost.example.
_spf         TXT  "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
mx1          A    192.0.2.10
"#
    )
}

const POLICY: &str = "version: STSv1\nmode: enforce\nmx: *.mailhost.example\nmax_age: 1209600\n";

fn run(zone: &str, selectors: &[&str], policy: Option<&str>) -> Report {
    let z = Zone::parse(zone, None).unwrap_or_else(|e| panic!("zone: {e}\n{zone}"));
    let sel: Vec<String> = selectors.iter().map(|s| s.to_string()).collect();
    check("clinic.example", &sel, &z, policy).unwrap()
}

fn edit(zone: &str, from: &str, to: &str) -> String {
    assert!(zone.contains(from), "{from}");
    zone.replacen(from, to, 1)
}

fn finding(r: &Report, code: Code) -> &hicp_email::Finding {
    r.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:#?}", r.findings))
}

#[test]
fn a_good_domain_has_only_good_news() {
    let r = run(&good_zone(), &["s2"], Some(POLICY));
    let bad: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    for c in [
        Code::SpfOk,
        Code::DmarcOk,
        Code::DkimOk,
        Code::MxOk,
        Code::MtaStsOk,
        Code::TlsRptOk,
    ] {
        assert!(r.has(c), "{c} missing: {:#?}", r.findings);
    }
    assert_eq!(r.observed.spf_dns_terms, Some(1));
    assert!(finding(&r, Code::DkimOk).detail.contains("2048 bits"));
}

#[test]
fn missing_dmarc() {
    let z = edit(&good_zone(), "_dmarc       TXT", "; _dmarc TXT");
    let r = run(&z, &["s2"], Some(POLICY));
    let f = finding(&r, Code::DmarcMissing);
    assert_eq!(f.severity, Severity::High);
    assert!(f.title.contains("no DMARC record"));
    assert!(f.fix.starts_with("Ask your email provider"));
    assert_eq!(f.criteria, vec!["1.M.A.c3".to_string()]);
}

#[test]
fn dmarc_p_none_and_other_policy_gaps() {
    let z = edit(
        &good_zone(),
        "p=reject; rua=mailto:dmarc@clinic.example",
        "p=none; rua=mailto:dmarc@clinic.example",
    );
    let r = run(&z, &[], None);
    assert!(
        finding(&r, Code::DmarcPolicyNone)
            .title
            .contains("only watches")
    );
    assert!(!r.has(Code::DmarcOk));

    let z = edit(
        &good_zone(),
        "p=reject; rua=mailto:dmarc@clinic.example",
        "p=quarantine; sp=none; pct=20; rua=mailto:x@reports.example,mailto:y@ok.example",
    );
    let z = format!("{z}\nclinic.example._report._dmarc.ok.example. TXT \"v=DMARC1\"\n");
    let r = run(&z, &[], None);
    assert!(r.has(Code::DmarcSubdomainNone));
    assert!(finding(&r, Code::DmarcPartial).title.contains("20%"));
    let unauth: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code == Code::DmarcReportUnauthorized)
        .collect();
    assert_eq!(unauth.len(), 1, "{unauth:#?}");
    assert!(
        unauth[0]
            .detail
            .contains("clinic.example._report._dmarc.reports.example")
    );
}

#[test]
fn spf_plus_all_is_critical() {
    let z = edit(&good_zone(), "-all\"\n_dmarc", "+all\"\n_dmarc");
    let r = run(&z, &[], None);
    let f = finding(&r, Code::SpfPassAll);
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.title.contains("every mail server in the world"));
    let z = edit(&good_zone(), "-all\"\n_dmarc", "?all\"\n_dmarc");
    assert!(run(&z, &[], None).has(Code::SpfNeutralAll));
}

#[test]
fn spf_too_many_lookups() {
    let mut z = edit(
        &good_zone(),
        "\"v=spf1 include:_spf.mailhost.example -all\"",
        "\"v=spf1 include:a.clinic.example include:b.clinic.example -all\"",
    );
    z.push_str("$ORIGIN clinic.example.\n");
    z.push_str("a TXT \"v=spf1 a:h1.clinic.example a:h2.clinic.example a:h3.clinic.example a:h4.clinic.example a:h5.clinic.example -all\"\n");
    z.push_str("b TXT \"v=spf1 mx mx mx mx mx -all\"\n");
    for i in 1..=5 {
        z.push_str(&format!("h{i} A 192.0.2.{i}\n"));
    }
    let r = run(&z, &[], None);
    let f = finding(&r, Code::SpfTooManyLookups);
    assert_eq!(f.severity, Severity::High);
    assert!(f.title.contains("12 lookups"), "{}", f.title);
    assert!(!r.has(Code::SpfOk));
}

#[test]
fn a_huge_include_tree_is_counted_only_so_far() {
    // Ten includes of ten includes of ... : a hundred thousand paths, cut at 100 terms.
    let mut z = edit(
        &good_zone(),
        "\"v=spf1 include:_spf.mailhost.example -all\"",
        "\"v=spf1 include:l1.clinic.example -all\"",
    );
    z.push_str("$ORIGIN clinic.example.\n");
    for level in 1..5 {
        // One string per include: a record string holds 255 bytes at most.
        let inc = format!("\"include:l{}.clinic.example \" ", level + 1).repeat(10);
        z.push_str(&format!("l{level} TXT \"v=spf1 \" {inc}\"-all\"\n"));
    }
    z.push_str("l5 TXT \"v=spf1 -all\"\n");
    let r = run(&z, &[], None);
    let f = finding(&r, Code::SpfTooManyLookups);
    assert!(f.title.contains("more than 100 lookups"), "{}", f.title);
}

#[test]
fn spf_other_problems() {
    let z = edit(
        &good_zone(),
        "\"v=spf1 include:_spf.mailhost.example -all\"",
        "\"v=spf1 a:gone1.clinic.example a:gone2.clinic.example a:gone3.clinic.example include:nothing.example ptr -all\"",
    );
    let r = run(&z, &[], None);
    assert!(
        finding(&r, Code::SpfVoidLookups)
            .detail
            .contains("a:gone3.clinic.example")
    );
    assert!(
        finding(&r, Code::SpfBrokenInclude)
            .detail
            .contains("include:nothing.example has no SPF record")
    );
    assert!(r.has(Code::SpfPtr));

    let z = format!(
        "{}\n$ORIGIN clinic.example.\n@ TXT \"v=spf1 -all\"\n@ SPF \"v=spf1 -all\"\n",
        good_zone()
    );
    let r = run(&z, &[], None);
    assert!(r.has(Code::SpfMultiple));
    assert!(r.has(Code::SpfDeprecatedType));

    let z = edit(&good_zone(), "include:_spf.mailhost.example", "include");
    assert!(run(&z, &[], None).has(Code::SpfSyntax));

    let z = edit(&good_zone(), "@            TXT  \"v=spf1", "; ");
    assert!(run(&z, &[], None).has(Code::SpfMissing));

    let z = format!("{}\n; hicp:timeout clinic.example. TXT\n", good_zone());
    let r = run(&z, &[], None);
    assert!(r.has(Code::SpfDnsError));
    assert!(r.has(Code::TlsRptOk), "other checks go on");
}

#[test]
fn dkim_key_strength() {
    let mut z = good_zone();
    z.push_str("$ORIGIN clinic.example.\n");
    z.push_str(&format!(
        "k1024._domainkey TXT \"v=DKIM1; k=rsa; p={RSA1024}\"\n"
    ));
    z.push_str(&format!("k512._domainkey TXT \"v=DKIM1; p={RSA512}\"\n"));
    z.push_str("old._domainkey TXT \"v=DKIM1; p=\"\n");
    z.push_str("bad._domainkey TXT \"v=DKIM1; p=bm90IGEga2V5\"\n");
    let r = run(&z, &["k1024", "k512", "old", "bad", "none"], None);
    let weak = finding(&r, Code::DkimKeyWeak);
    assert_eq!(weak.severity, Severity::High);
    assert!(weak.title.contains("1024 bits"), "{}", weak.title);
    let short = finding(&r, Code::DkimKeyTooShort);
    assert_eq!(short.severity, Severity::Critical);
    assert!(short.title.contains("512 bits"));
    assert!(r.has(Code::DkimRevoked));
    assert!(r.has(Code::DkimSyntax));
    assert!(finding(&r, Code::DkimMissing).title.contains("\"none\""));
    assert!(run(&good_zone(), &[], None).has(Code::DkimNoSelector));
}

#[test]
fn mx_and_mta_sts() {
    let z = edit(
        &good_zone(),
        "@            MX   10 mx1.mailhost.example.",
        "@ MX 0 .",
    );
    assert!(run(&z, &[], None).has(Code::MxNull));
    let z = edit(
        &good_zone(),
        "@            MX   10 mx1.mailhost.example.",
        "",
    );
    assert!(run(&z, &[], None).has(Code::MxMissing));

    let wrong = "version: STSv1\nmode: enforce\nmx: mail.other.example\nmax_age: 300\n";
    let r = run(&good_zone(), &[], Some(wrong));
    assert_eq!(finding(&r, Code::MtaStsMxMismatch).severity, Severity::High);
    assert!(r.has(Code::MtaStsShortMaxAge));
    let testing = POLICY.replace("enforce", "testing");
    assert!(run(&good_zone(), &[], Some(&testing)).has(Code::MtaStsTesting));
    assert!(run(&good_zone(), &[], Some("mode: enforce")).has(Code::MtaStsPolicySyntax));
    assert!(run(&good_zone(), &[], None).has(Code::MtaStsPolicyNotChecked));
    let z = edit(
        &good_zone(),
        "_mta-sts     TXT  \"v=STSv1; id=20260101\"",
        "",
    );
    let z = edit(
        &z,
        "_smtp._tls   TXT  \"v=TLSRPTv1; rua=mailto:tls@clinic.example\"",
        "",
    );
    let r = run(&z, &[], None);
    assert!(r.has(Code::MtaStsMissing));
    assert!(r.has(Code::TlsRptMissing));
    assert_eq!(
        finding(&r, Code::TlsRptMissing).criteria,
        vec!["1.M.C.c2".to_string()]
    );
}

#[test]
fn subdomains_inherit_dmarc_and_bad_input_is_refused() {
    let z = Zone::parse(&good_zone(), None).unwrap();
    let r = check("billing.clinic.example", &[], &z, None).unwrap();
    assert!(r.has(Code::DmarcInherited));
    assert!(r.has(Code::SpfMissing));
    assert!(check("localhost", &[], &z, None).is_err());
    assert!(check("a b.example", &[], &z, None).is_err());
    assert!(check("clinic.example", &["bad selector".into()], &z, None).is_err());
}

#[test]
fn json_shape_is_stable() {
    let r = run(&good_zone(), &["s2"], Some(POLICY));
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["domain"], "clinic.example");
    let f = &v["findings"][0];
    for key in ["code", "severity", "title", "fix", "detail", "criteria"] {
        assert!(f.get(key).is_some(), "finding lacks {key}: {f}");
    }
    assert_eq!(v["summary"]["info"], r.findings.len());
    assert_eq!(v["observed"]["dkim"][0]["key"]["kind"], "rsa");
    assert_eq!(v["observed"]["dkim"][0]["key"]["bits"], 2048);
    assert_eq!(v["observed"]["mx"][0], "10 mx1.mailhost.example");
}

/// A zone that also fetches MTA-STS policies, as the network source does over HTTPS.
struct Fetching {
    zone: Zone,
    policy: Result<String, String>,
    asked: std::cell::Cell<u32>,
}

impl hicp_email::dns::Resolver for Fetching {
    fn txt(&self, name: &str) -> hicp_email::dns::DnsResult<hicp_email::dns::Txt> {
        self.zone.txt(name)
    }
    fn spf_type(&self, name: &str) -> hicp_email::dns::DnsResult<hicp_email::dns::Txt> {
        self.zone.spf_type(name)
    }
    fn a(&self, name: &str) -> hicp_email::dns::DnsResult<std::net::Ipv4Addr> {
        self.zone.a(name)
    }
    fn aaaa(&self, name: &str) -> hicp_email::dns::DnsResult<std::net::Ipv6Addr> {
        self.zone.aaaa(name)
    }
    fn mx(&self, name: &str) -> hicp_email::dns::DnsResult<hicp_email::dns::Mx> {
        self.zone.mx(name)
    }
    fn ptr(&self, ip: std::net::IpAddr) -> hicp_email::dns::DnsResult<String> {
        self.zone.ptr(ip)
    }
    fn mta_sts_policy(&self, domain: &str) -> Option<Result<String, String>> {
        assert_eq!(domain, "clinic.example");
        self.asked.set(self.asked.get() + 1);
        Some(self.policy.clone())
    }
}

#[test]
fn a_source_that_fetches_the_mta_sts_policy_is_asked_only_when_none_is_given() {
    use hicp_email::dns::Resolver as _;
    let fetching = |policy: Result<String, String>| Fetching {
        zone: Zone::parse(&good_zone(), None).unwrap(),
        policy,
        asked: std::cell::Cell::new(0),
    };
    let sel = vec!["s2".to_owned()];
    // Fetched: the policy is checked as if it had been given.
    let f = fetching(Ok(POLICY.to_owned()));
    let r = check("clinic.example", &sel, &f, None).unwrap();
    assert!(r.has(Code::MtaStsOk), "{:#?}", r.findings);
    assert!(r.observed.mta_sts_policy.is_some());
    assert_eq!(f.asked.get(), 1);
    // Given (offline, --mta-sts-policy): the source is not asked.
    let f = fetching(Err("never asked".into()));
    let r = check("clinic.example", &sel, &f, Some(POLICY)).unwrap();
    assert!(r.has(Code::MtaStsOk));
    assert_eq!(f.asked.get(), 0);
    // Not to be had: said in plain words, with the reason for IT.
    let f = fetching(Err("the server answered HTTP 404, not 200".into()));
    let r = check("clinic.example", &sel, &f, None).unwrap();
    let u = finding(&r, Code::MtaStsPolicyUnreachable);
    assert_eq!(u.severity, Severity::Medium);
    assert!(
        u.title.contains("the policy file cannot be fetched"),
        "{}",
        u.title
    );
    assert!(
        u.detail.starts_with(
            "https://mta-sts.clinic.example/.well-known/mta-sts.txt: the server answered HTTP 404"
        ),
        "{}",
        u.detail
    );
    assert_eq!(u.criteria, ["1.M.C.c2"]);
    // A zone file does not fetch: the policy is "not checked", as before.
    let z = Zone::parse(&good_zone(), None).unwrap();
    assert_eq!(z.mta_sts_policy("clinic.example"), None);
    assert!(run(&good_zone(), &["s2"], None).has(Code::MtaStsPolicyNotChecked));
    // No MTA-STS record: nothing is fetched.
    let f = Fetching {
        zone: Zone::parse(
            &edit(
                &good_zone(),
                "_mta-sts     TXT  \"v=STSv1; id=20260101\"",
                "",
            ),
            None,
        )
        .unwrap(),
        policy: Ok(POLICY.to_owned()),
        asked: std::cell::Cell::new(0),
    };
    let r = check("clinic.example", &sel, &f, None).unwrap();
    assert!(r.has(Code::MtaStsMissing));
    assert_eq!(f.asked.get(), 0);
}
