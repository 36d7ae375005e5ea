//! A real OpenID Connect provider for the single sign-on tests: `tools/oidc/provider.mjs`
//! (panva/oidc-provider on Node.js), started per test and killed when dropped.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};

pub const CLIENT_ID: &str = "hicp-test";
pub const CLIENT_SECRET: &str = "a-client-secret-for-tests-only-0123456789";

pub struct Provider {
    pub issuer: String,
    child: Child,
    // Kept open: the provider exits when its stdin closes, and must not write to a
    // closed stdout.
    _stdin: ChildStdin,
    _stdout: BufReader<std::process::ChildStdout>,
}

fn tools_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/oidc")
}

impl Provider {
    /// Starts the provider with one client that may return to `redirect_uris`; the
    /// person's claims are at the userinfo endpoint only (the library's default).
    pub fn start(redirect_uris: &[&str]) -> Provider {
        Provider::start_with(redirect_uris, false)
    }

    /// The same; with `id_token_claims`, the claims are in the ID token too.
    pub fn start_with(redirect_uris: &[&str], id_token_claims: bool) -> Provider {
        let dir = tools_dir();
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "the test identity provider is not installed: run `npm ci --prefix tools/oidc` \
             (.ci/run does)"
        );
        let mut child = Command::new("node")
            .arg(dir.join("provider.mjs"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs (Node.js)");
        let mut stdin = child.stdin.take().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let issuer = line
            .trim()
            .strip_prefix("issuer ")
            .unwrap_or_else(|| panic!("the provider said {line:?}"))
            .to_owned();
        let client = serde_json::json!({
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": redirect_uris,
            "id_token_claims": id_token_claims,
        });
        writeln!(stdin, "{client}").unwrap();
        line.clear();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the provider did not start");
        Provider {
            issuer,
            child,
            _stdin: stdin,
            _stdout: out,
        }
    }

    /// An SSO configuration file for `hicp serve` with this provider as `id`.
    pub fn config_file(&self, dir: &std::path::Path, id: &str, extra: &str) -> PathBuf {
        let path = dir.join("sso.yaml");
        std::fs::write(
            &path,
            format!(
                "providers:\n  - id: {id}\n    name: Test IdP\n    issuer: {}\n    client_id: {CLIENT_ID}\n    client_secret: {CLIENT_SECRET}\n    allowed_domains: [clinic.example]\n{extra}",
                self.issuer
            ),
        )
        .unwrap();
        path
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
