//! A real SMTP server for the email tests: `tools/smtp/server.mjs` (nodemailer's
//! smtp-server on Node.js), started per test and killed when dropped. Every message it
//! accepts comes back as a [`Received`]; recipients whose address starts with `bounce` are
//! refused (550).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

/// A message as the server received it (body decoded).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
}

impl Received {
    /// The first `http(s)://` address in the body that contains `path`.
    pub fn link(&self, path: &str) -> String {
        self.text
            .split_whitespace()
            .find(|w| w.starts_with("http") && w.contains(path))
            .unwrap_or_else(|| panic!("no link with {path} in:\n{}", self.text))
            .to_owned()
    }
}

pub struct SmtpServer {
    pub port: u16,
    child: Child,
    // Kept open: the server exits when its stdin closes.
    _stdin: ChildStdin,
    messages: Mutex<Receiver<Received>>,
}

fn tools_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/smtp")
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        let dir = tools_dir();
        assert!(
            dir.join("node_modules/smtp-server").is_dir(),
            "the test SMTP server is not installed: run `npm ci --prefix tools/smtp` \
             (.ci/run does)"
        );
        let mut child = Command::new("node")
            .arg(dir.join("server.mjs"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs (Node.js)");
        let stdin = child.stdin.take().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the SMTP server said {line:?}"));
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in out.lines() {
                let Ok(line) = line else { break };
                let m: Received = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("the SMTP server printed {line:?}: {e}"));
                if tx.send(m).is_err() {
                    break;
                }
            }
        });
        SmtpServer {
            port,
            child,
            _stdin: stdin,
            messages: Mutex::new(rx),
        }
    }

    /// The `hicp serve` options that send mail here, with links to `public_url`.
    pub fn serve_options(&self, public_url: &str) -> Vec<String> {
        vec![
            "--smtp-url".into(),
            format!("smtp://127.0.0.1:{}", self.port),
            "--mail-from".into(),
            "HICP Toolkit <hicp@clinic.example>".into(),
            "--public-url".into(),
            public_url.to_owned(),
        ]
    }

    /// The next message received (within ten seconds).
    pub fn next(&self) -> Received {
        self.messages
            .lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(10))
            .expect("a message arrives within ten seconds")
    }

    /// Whether no message arrives within `wait`.
    pub fn none_within(&self, wait: Duration) -> bool {
        self.messages.lock().unwrap().recv_timeout(wait).is_err()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
