//! The single sign-on configuration file (`hicp serve --sso-config FILE`).
//!
//! ```yaml
//! providers:
//!   - id: entra                     # in the callback address: /login/sso/entra/callback
//!     name: Contoso (Microsoft Entra ID)
//!     issuer: https://login.microsoftonline.com/TENANT-ID/v2.0
//!     client_id: 00000000-0000-0000-0000-000000000000
//!     client_secret_file: /run/secrets/hicp-entra   # or client_secret_env, or client_secret
//!     allowed_domains: [contoso.org]
//!     new_accounts: true            # first sign-in creates the account (default true)
//!     trust_mfa: false              # the provider enforces MFA for this app (default false)
//!     roles:                        # optional: the provider's groups give roles
//!       claim: groups               # the ID token claim listing them (default: groups)
//!       map:
//!         - { group: hicp-clinic-admins, org: ORGANIZATION-ID, role: admin }
//! ```

use serde::Deserialize;
use serde_saphyr::Spanned;
use std::fmt;
use std::path::{Path, PathBuf};

/// One identity provider, checked.
#[derive(Clone)]
pub struct ProviderConfig {
    /// Short name in addresses: lower-case letters, digits and `-`.
    pub id: String,
    /// What the sign-in button says.
    pub name: String,
    /// The issuer identifier: `https://…`, or `http://` on a loopback address (tests).
    pub issuer: String,
    pub client_id: String,
    pub(crate) client_secret: String,
    /// Email domains (lower-case) whose people may sign in here: an account with a verified
    /// email of one of them is linked on its first sign-in, or created when `new_accounts`.
    pub allowed_domains: Vec<String>,
    pub new_accounts: bool,
    /// The provider enforces a second factor for this application, so its sign-ins count
    /// as two-step sign-in where an organization requires one.
    pub trust_mfa: bool,
    /// Roles in organizations given by the provider's groups, if it manages them.
    pub roles: Option<RoleMapping>,
}

/// Which groups give which role in which organization. For each organization it names,
/// the provider decides: at every sign-in a person gets the highest role their groups give
/// there, and loses their place when no group gives one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleMapping {
    /// The ID token claim with the person's groups (a list of names, or one name).
    pub claim: String,
    pub rules: Vec<RoleRule>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleRule {
    pub group: String,
    /// An organization's id.
    pub org: String,
    /// `admin`, `assessor` or `viewer`.
    pub role: String,
}

impl fmt::Debug for ProviderConfig {
    // Never print the client secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("allowed_domains", &self.allowed_domains)
            .field("new_accounts", &self.new_accounts)
            .field("trust_mfa", &self.trust_mfa)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

impl ProviderConfig {
    /// Whether `email`'s domain is one of this provider's.
    pub fn allows(&self, email: &str) -> bool {
        email
            .rsplit_once('@')
            .is_some_and(|(_, d)| self.allowed_domains.iter().any(|a| a == &d.to_lowercase()))
    }
}

/// A problem in the configuration file, with its place.
#[derive(Debug, thiserror::Error)]
#[error("{file}{place}: {field}: {message}")]
pub struct ConfigError {
    pub file: String,
    /// `:line:column`, or empty when the problem concerns the whole file.
    place: String,
    pub field: String,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    providers: Vec<FileProvider>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileProvider {
    id: Spanned<String>,
    name: Spanned<String>,
    issuer: Spanned<String>,
    client_id: Spanned<String>,
    client_secret: Option<Spanned<String>>,
    client_secret_file: Option<Spanned<PathBuf>>,
    client_secret_env: Option<Spanned<String>>,
    allowed_domains: Spanned<Vec<String>>,
    #[serde(default = "yes")]
    new_accounts: bool,
    #[serde(default)]
    trust_mfa: bool,
    roles: Option<FileRoles>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRoles {
    claim: Option<String>,
    map: Spanned<Vec<FileRoleRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRoleRule {
    group: Spanned<String>,
    org: Spanned<String>,
    role: Spanned<String>,
}

fn yes() -> bool {
    true
}

/// Reads and checks the configuration file at `path`. Secrets named by
/// `client_secret_env` come from the environment, by `client_secret_file` from that file.
pub fn load(path: &Path) -> Result<Vec<ProviderConfig>, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: file.clone(),
        place: String::new(),
        field: "(file)".into(),
        message: format!("cannot be read: {e}"),
    })?;
    parse(
        &file,
        &text,
        |name| std::env::var(name).ok(),
        |p| std::fs::read_to_string(p),
    )
}

/// Checks the configuration `text` (named `file` in errors).
pub fn parse(
    file: &str,
    text: &str,
    env: impl Fn(&str) -> Option<String>,
    read: impl Fn(&Path) -> std::io::Result<String>,
) -> Result<Vec<ProviderConfig>, ConfigError> {
    let at = |loc: &serde_saphyr::Location, field: String, message: String| ConfigError {
        file: file.to_owned(),
        place: format!(":{}:{}", loc.line(), loc.column()),
        field,
        message,
    };
    let parsed: FileConfig = serde_saphyr::from_str(text).map_err(|e| {
        let message = e.without_snippet().to_string();
        ConfigError {
            file: file.to_owned(),
            place: e
                .location()
                .map_or_else(String::new, |l| format!(":{}:{}", l.line(), l.column())),
            field: "(yaml)".into(),
            message: message.lines().next().unwrap_or_default().to_owned(),
        }
    })?;
    let mut out: Vec<ProviderConfig> = Vec::new();
    for (i, p) in parsed.providers.into_iter().enumerate() {
        let field = |name: &str| format!("providers[{i}].{name}");
        let id = p.id.value.trim().to_owned();
        if id.is_empty()
            || id.len() > 32
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(at(
                &p.id.referenced,
                field("id"),
                "use 1 to 32 lower-case letters, digits or '-'".into(),
            ));
        }
        if out.iter().any(|o| o.id == id) {
            return Err(at(
                &p.id.referenced,
                field("id"),
                format!("'{id}' is used by another provider"),
            ));
        }
        if p.name.value.trim().is_empty() {
            return Err(at(&p.name.referenced, field("name"), "is empty".into()));
        }
        if let Err(why) = check_issuer(&p.issuer.value) {
            return Err(at(&p.issuer.referenced, field("issuer"), why));
        }
        if p.client_id.value.trim().is_empty() {
            return Err(at(
                &p.client_id.referenced,
                field("client_id"),
                "is empty".into(),
            ));
        }
        let secret = match (p.client_secret, p.client_secret_file, p.client_secret_env) {
            (Some(s), None, None) => s.value,
            (None, Some(f), None) => read(&f.value).map_err(|e| {
                at(
                    &f.referenced,
                    field("client_secret_file"),
                    format!("{} cannot be read: {e}", f.value.display()),
                )
            })?,
            (None, None, Some(v)) => env(&v.value).ok_or_else(|| {
                at(
                    &v.referenced,
                    field("client_secret_env"),
                    format!("the environment variable {} is not set", v.value),
                )
            })?,
            _ => {
                return Err(at(
                    &p.id.referenced,
                    field("client_secret"),
                    "give exactly one of client_secret, client_secret_file and client_secret_env"
                        .into(),
                ));
            }
        };
        let secret = secret.trim().to_owned();
        if secret.is_empty() {
            return Err(at(
                &p.id.referenced,
                field("client_secret"),
                "is empty".into(),
            ));
        }
        let mut domains = Vec::new();
        for d in &p.allowed_domains.value {
            let d = d.trim().trim_start_matches('@').to_lowercase();
            if d.is_empty() || !d.contains('.') || d.contains(char::is_whitespace) {
                return Err(at(
                    &p.allowed_domains.referenced,
                    field("allowed_domains"),
                    format!("'{d}' is not a domain name"),
                ));
            }
            domains.push(d);
        }
        if domains.is_empty() {
            return Err(at(
                &p.allowed_domains.referenced,
                field("allowed_domains"),
                "name at least one email domain whose people may sign in".into(),
            ));
        }
        let roles = match p.roles {
            None => None,
            Some(r) => {
                let mut rules = Vec::new();
                for (j, rule) in r.map.value.into_iter().enumerate() {
                    let f = |name: &str| field(&format!("roles.map[{j}].{name}"));
                    for (what, v) in [("group", &rule.group), ("org", &rule.org)] {
                        if v.value.trim().is_empty() {
                            return Err(at(&v.referenced, f(what), "is empty".into()));
                        }
                    }
                    let role = rule.role.value.trim().to_lowercase();
                    if !matches!(role.as_str(), "admin" | "assessor" | "viewer") {
                        return Err(at(
                            &rule.role.referenced,
                            f("role"),
                            format!("'{role}' is not a role: use admin, assessor or viewer"),
                        ));
                    }
                    rules.push(RoleRule {
                        group: rule.group.value.trim().to_owned(),
                        org: rule.org.value.trim().to_owned(),
                        role,
                    });
                }
                if rules.is_empty() {
                    return Err(at(
                        &r.map.referenced,
                        field("roles.map"),
                        "name at least one group, or leave out roles".into(),
                    ));
                }
                let claim = r.claim.unwrap_or_else(|| "groups".into()).trim().to_owned();
                Some(RoleMapping { claim, rules })
            }
        };
        out.push(ProviderConfig {
            id,
            name: p.name.value.trim().to_owned(),
            issuer: p.issuer.value.trim().to_owned(),
            client_id: p.client_id.value.trim().to_owned(),
            client_secret: secret,
            allowed_domains: domains,
            new_accounts: p.new_accounts,
            trust_mfa: p.trust_mfa,
            roles,
        });
    }
    Ok(out)
}

/// An issuer must use HTTPS; plain HTTP only on this machine's loopback (development and
/// tests), where nothing crosses a network.
fn check_issuer(issuer: &str) -> Result<(), String> {
    let url = openidconnect::url::Url::parse(issuer.trim())
        .map_err(|e| format!("'{issuer}' is not a URL: {e}"))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")) => Ok(()),
        _ => Err(format!(
            "'{issuer}' must start with https:// (plain http only on 127.0.0.1)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Vec<ProviderConfig>, ConfigError> {
        parse(
            "sso.yaml",
            text,
            |n| (n == "SECRET").then(|| "from-env".to_owned()),
            |p| {
                if p == Path::new("/secret") {
                    Ok("from-file\n".into())
                } else {
                    Err(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "no such file",
                    ))
                }
            },
        )
    }

    const GOOD: &str = "providers:
  - id: entra
    name: Contoso
    issuer: https://login.example.com/tenant/v2.0
    client_id: abc
    client_secret_env: SECRET
    allowed_domains: [Contoso.org, '@clinic.example']
";

    #[test]
    fn a_good_file_is_read() {
        let p = &parse_text(GOOD).unwrap()[0];
        assert_eq!(p.id, "entra");
        assert_eq!(p.client_secret, "from-env");
        assert_eq!(p.allowed_domains, ["contoso.org", "clinic.example"]);
        assert!(p.new_accounts && !p.trust_mfa);
        assert!(p.allows("Ann@CONTOSO.org"));
        assert!(!p.allows("ann@contoso.org.evil.example"));
        assert!(
            !format!("{p:?}").contains("from-env"),
            "Debug shows the secret"
        );
    }

    #[test]
    fn secrets_come_from_one_place() {
        let file = GOOD.replace("client_secret_env: SECRET", "client_secret_file: /secret");
        assert_eq!(parse_text(&file).unwrap()[0].client_secret, "from-file");
        let both = GOOD.replace(
            "client_secret_env: SECRET",
            "client_secret_env: SECRET\n    client_secret: x",
        );
        let e = parse_text(&both).unwrap_err();
        assert_eq!(e.field, "providers[0].client_secret");
        let missing = GOOD.replace("SECRET", "NOT_SET");
        let e = parse_text(&missing).unwrap_err().to_string();
        assert!(e.starts_with("sso.yaml:6:"), "{e}");
        assert!(e.contains("NOT_SET is not set"), "{e}");
    }

    #[test]
    fn groups_map_to_roles() {
        let text = format!(
            "{GOOD}    roles:\n      map:\n        - {{ group: admins, org: org-1, role: Admin }}\n"
        );
        let roles = parse_text(&text).unwrap()[0].roles.clone().unwrap();
        assert_eq!(roles.claim, "groups");
        assert_eq!(
            roles.rules,
            [RoleRule {
                group: "admins".into(),
                org: "org-1".into(),
                role: "admin".into()
            }]
        );
        let e = parse_text(&text.replace("Admin", "owner")).unwrap_err();
        assert_eq!(e.field, "providers[0].roles.map[0].role");
        assert!(e.to_string().starts_with("sso.yaml:10:"), "{e}");
        let e = parse_text(&format!("{GOOD}    roles:\n      map: []\n")).unwrap_err();
        assert_eq!(e.field, "providers[0].roles.map");
    }

    #[test]
    fn bad_values_name_their_line_and_field() {
        let e = parse_text(&GOOD.replace("https://login", "http://login")).unwrap_err();
        assert_eq!(e.field, "providers[0].issuer");
        assert!(e.to_string().starts_with("sso.yaml:4:"), "{e}");
        assert!(
            parse_text(&GOOD.replace("https://login.example.com", "http://127.0.0.1:5")).is_ok()
        );
        let e = parse_text(&GOOD.replace("id: entra", "id: Entra ID")).unwrap_err();
        assert_eq!(e.field, "providers[0].id");
        let e = parse_text(&GOOD.replace("[Contoso.org, '@clinic.example']", "[]")).unwrap_err();
        assert_eq!(e.field, "providers[0].allowed_domains");
        let e = parse_text(&GOOD.replace("client_id", "clientid")).unwrap_err();
        assert_eq!(e.field, "(yaml)");
        assert!(e.to_string().starts_with("sso.yaml:"), "{e}");
        let twice = format!("{GOOD}{}", &GOOD["providers:\n".len()..]);
        let e = parse_text(&twice).unwrap_err();
        assert!(e.message.contains("used by another provider"), "{e}");
    }
}
