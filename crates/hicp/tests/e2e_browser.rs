//! End-to-end tests in real headless Chromium (Debian `chromium` + `chromium-driver`),
//! driving `hicp serve` on 127.0.0.1:0 as a person would.

mod support;

use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{Backend, Database, Server};

const PASSWORD: &str = "a long enough passphrase";

/// A chromedriver process and a headless Chromium session; both end when dropped.
struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

/// A failing test must not leave chromedriver running.
impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    async fn start() -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (Debian package chromium-driver)");
        let profile = tempfile::tempdir().unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,1600",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..50 {
            match ClientBuilder::rustls()
                .expect("rustls initialization")
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Browser {
                        client,
                        driver,
                        _profile: profile,
                    };
                }
                Err(e) => {
                    last = Some(e);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        panic!("could not start Chromium through chromedriver: {last:?}");
    }

    async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }

    async fn go(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    async fn fill(&self, css: &str, text: &str) {
        let e = self
            .client
            .wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap();
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    async fn click(&self, css: &str) {
        self.client
            .wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    async fn text(&self, css: &str) -> String {
        self.client
            .wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    /// Presses one key, as a keyboard user does.
    async fn press(&self, key: fantoccini::key::Key) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let k: char = key.into();
        let keys = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: k })
            .then(KeyAction::Up { value: k });
        self.client.perform_actions(keys).await.unwrap();
    }

    /// The `id` (or, without one, the text) of the element that has the focus.
    async fn focused(&self) -> String {
        let e = self.client.active_element().await.unwrap();
        match e.attr("id").await.unwrap() {
            Some(id) if !id.is_empty() => format!("#{id}"),
            _ => e.text().await.unwrap(),
        }
    }

    /// Waits until the page's text contains `needle` (htmx swaps happen after the click).
    async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let mut last = String::new();
        for _ in 0..100 {
            if let Ok(e) = self.client.find(Locator::Css(css)).await {
                last = e.text().await.unwrap_or_default();
                if last.contains(needle) {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} never showed {needle:?}; last text: {last:?}");
    }

    /// Saves a screenshot when HICP_SCREENSHOTS names a folder (to look at the pages).
    async fn shot(&self, name: &str) {
        if let Ok(dir) = std::env::var("HICP_SCREENSHOTS") {
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
        }
    }

    async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    async fn sign_in(&self, server: &Server, email: &str) {
        self.go(&server.url("/login")).await;
        self.fill("#email", email).await;
        self.fill("#password", PASSWORD).await;
        self.click("button[type=submit]").await;
        self.client
            .wait()
            .for_element(Locator::Css("header.top form"))
            .await
            .unwrap();
    }

    async fn sign_out(&self) {
        self.click("header.top form button").await;
        self.client
            .wait()
            .for_element(Locator::Css("#email"))
            .await
            .unwrap();
    }
}

/// A new user sets up the first account, creates and sizes a small clinic, answers a
/// practice, uploads evidence, and reads the dashboard and the plan; the answer survives a
/// restart of the server.
#[tokio::test(flavor = "multi_thread")]
async fn a_small_clinic_assesses_itself_in_the_browser() {
    let db = Database::new(Backend::Sqlite);
    let server = Server::start(&db);
    let b = Browser::start().await;

    // First run: the start page leads to setup.
    b.go(&server.url("/")).await;
    assert_eq!(b.path().await, "/setup");
    b.fill("#display_name", "Pat Office Manager").await;
    b.fill("#email", "pat@maple.example").await;
    b.fill("#password", PASSWORD).await;
    b.click("button[type=submit]").await;

    // The sizing interview.
    b.client
        .wait()
        .for_element(Locator::Css("#org_type"))
        .await
        .unwrap();
    b.fill("#name", "Maple Street Family Practice").await;
    b.client
        .find(Locator::Css("#org_type"))
        .await
        .unwrap()
        .select_by_value("physician-practice")
        .await
        .unwrap();
    b.fill("#physicians", "6").await;
    b.fill("#it_staff", "0").await;
    b.fill("#workforce", "18").await;
    b.click("form.card button[type=submit]").await;
    b.shot("settings").await;
    let tier = b.text("#tier h2").await;
    assert_eq!(tier, "Size tier: small");
    let reason = b.text("#tier p").await;
    assert!(reason.contains("6 physicians"), "{reason}");
    let org_path = b.path().await.trim_end_matches("/settings").to_owned();

    // Practice 1: answer the first criterion; it is saved without pressing anything.
    b.click("a.button[href$='/practices/1']").await;
    b.client
        .wait()
        .for_element(Locator::Css("#sp-1-S-A"))
        .await
        .unwrap();
    // The first Tab reaches the skip link; following it puts the focus on the questions.
    b.press(fantoccini::key::Key::Tab).await;
    assert_eq!(b.focused().await, "Skip to the questions");
    b.press(fantoccini::key::Key::Enter).await;
    assert_eq!(b.focused().await, "#questions");
    // Not answered yet: it says so, and no status is chosen.
    assert!(b.text("#q-1-S-A-c1").await.contains("Not answered yet"));
    b.click("#sp-1-S-A .criterion input[value=implemented]")
        .await;
    b.wait_for_text("#status-1-S-A-c1", "Saved at").await;
    let question = b.text("#q-1-S-A-c1").await;
    assert!(!question.contains("Not answered yet"), "{question}");
    // "Does not apply" without a reason is refused in words.
    b.click("#sp-1-S-A .criterion:nth-of-type(2) input[value=not_applicable]")
        .await;
    b.wait_for_text("#status-1-S-A-c2", "say why it does not apply")
        .await;

    b.shot("practice").await;
    // Evidence: a file, stored with its SHA-256.
    let evidence = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
    std::fs::write(evidence.path(), b"%PDF-1.4 business associate agreement").unwrap();
    b.click("#sp-1-S-A .criterion > details > summary").await;
    let form = "form[hx-post$='/evidence']";
    b.fill(
        &format!("{form} input[name=title]"),
        "Signed BAA with our email provider",
    )
    .await;
    b.client
        .find(Locator::Css(&format!("{form} input[type=file]")))
        .await
        .unwrap()
        .send_keys(&evidence.path().display().to_string())
        .await
        .unwrap();
    b.click(&format!("{form} button[type=submit]")).await;
    let list = b
        .wait_for_text("#evidence-1-S-A-c1", "Evidence added.")
        .await;
    assert!(
        list.contains("Signed BAA with our email provider") && list.contains("SHA-256"),
        "{list}"
    );

    // The dashboard and the plan.
    b.go(&server.url(&org_path)).await;
    b.shot("dashboard").await;
    let overall = b.text(".score").await;
    assert!(
        overall.parse::<f64>().is_ok(),
        "an overall score: {overall}"
    );
    let page = b.source().await;
    assert!(page.contains("role=\"img\"") && page.contains("Coverage of the five threats"));
    assert!(page.contains("1 of ") || page.contains("questions answered"));
    b.click("header.top nav a[href$='/plan']").await;
    b.shot("plan").await;
    let first = b.text("section.card h2").await;
    assert!(
        first.starts_with("1. "),
        "the plan starts at rank 1: {first}"
    );
    b.click("header.top nav a[href$='/staff']").await;
    assert!(b.source().await.contains("What you can do"));

    // The answer survives a restart of the server.
    b.close().await;
    drop(server);
    let server = Server::start(&db);
    let b = Browser::start().await;
    b.sign_in(&server, "pat@maple.example").await;
    b.go(&server.url(&format!("{org_path}/practices/1"))).await;
    let checked = b
        .client
        .find(Locator::Css(
            "#sp-1-S-A .criterion input[value=implemented]",
        ))
        .await
        .unwrap()
        .prop("checked")
        .await
        .unwrap();
    assert_eq!(checked.as_deref(), Some("true"));
    b.close().await;
}

/// A viewer cannot edit, and a user of another organization sees nothing of it.
#[tokio::test(flavor = "multi_thread")]
async fn viewers_cannot_edit_and_outsiders_see_nothing() {
    let db = Database::new(Backend::Sqlite);
    let server = Server::start(&db);
    let b = Browser::start().await;
    b.go(&server.url("/setup")).await;
    b.fill("#display_name", "Admin").await;
    b.fill("#email", "admin@x.example").await;
    b.fill("#password", PASSWORD).await;
    b.click("button[type=submit]").await;
    let mut orgs = Vec::new();
    for name in ["Clinic A", "Clinic B"] {
        b.go(&server.url("/orgs/new")).await;
        b.fill("#name", name).await;
        b.fill("#physicians", "3").await;
        b.click("form.card button[type=submit]").await;
        b.client
            .wait()
            .for_element(Locator::Css("#tier"))
            .await
            .unwrap();
        orgs.push(b.path().await.trim_end_matches("/settings").to_owned());
    }
    for (org, email, role) in [
        (&orgs[0], "viewer@a.example", "viewer"),
        (&orgs[1], "assessor@b.example", "assessor"),
    ] {
        b.go(&server.url(&format!("{org}/members"))).await;
        b.fill("#m-name", email).await;
        b.fill("#m-email", email).await;
        b.client
            .find(Locator::Css("#m-role"))
            .await
            .unwrap()
            .select_by_value(role)
            .await
            .unwrap();
        b.fill("#m-password", PASSWORD).await;
        b.click("form.card button[type=submit]").await;
        b.wait_for_text("main", &format!("is invited as {role}"))
            .await;
    }
    b.sign_out().await;
    // Each joins: a new password at the first sign-in, then the invitation on the home page.
    for email in ["viewer@a.example", "assessor@b.example"] {
        b.sign_in(&server, email).await;
        assert_eq!(b.path().await, "/account");
        b.fill("#current-password", PASSWORD).await;
        b.fill("#new-password", PASSWORD).await;
        b.fill("#confirm-password", PASSWORD).await;
        b.click("form[action='/account/password'] button").await;
        b.wait_for_text("main", "Your password is changed").await;
        b.go(&server.url("/")).await;
        b.click("form[action$='/accept'] button").await;
        b.client
            .wait()
            .for_element(Locator::Css("main h1"))
            .await
            .unwrap();
        assert!(b.path().await.starts_with("/orgs/"));
        b.sign_out().await;
    }

    b.sign_in(&server, "viewer@a.example").await;
    b.go(&server.url(&format!("{}/practices/1", orgs[0]))).await;
    let radio = b
        .client
        .wait()
        .for_element(Locator::Css(
            "#sp-1-S-A .criterion input[value=implemented]",
        ))
        .await
        .unwrap();
    assert!(
        !radio.is_enabled().await.unwrap(),
        "a viewer's answers are read-only"
    );
    assert!(!b.source().await.contains("Add evidence"));
    b.sign_out().await;

    b.sign_in(&server, "assessor@b.example").await;
    let home = b.source().await;
    assert!(home.contains("Clinic B") && !home.contains("Clinic A"));
    b.go(&server.url(&orgs[0])).await;
    let page = b.source().await;
    assert!(page.contains("404") && !page.contains("Clinic A"), "{page}");
    b.close().await;
}

/// The current TOTP code of a base32 secret, as an authenticator app would show it, `ahead`
/// steps of 30 seconds from now (a code is accepted once, so a second sign-in uses the next).
fn totp_code(secret: &str, ahead: u64) -> String {
    let t = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    t.generate(now + 30 * ahead).to_string()
}

/// Two-step sign-in: a person turns on TOTP (QR code and key shown, recovery codes shown
/// once), then signs in with password and code; a wrong code is refused, and a recovery
/// code works once.
#[tokio::test(flavor = "multi_thread")]
async fn two_step_sign_in_with_totp() {
    let db = Database::new(Backend::Sqlite);
    let server = Server::start(&db);
    let b = Browser::start().await;
    b.go(&server.url("/setup")).await;
    b.fill("#display_name", "Dana Admin").await;
    b.fill("#email", "dana@x.example").await;
    b.fill("#password", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.client
        .wait()
        .for_element(Locator::Css("header.top form"))
        .await
        .unwrap();

    // Enrolment under Account.
    b.go(&server.url("/account/mfa")).await;
    b.click("form[action='/account/mfa/start'] button").await;
    let secret = b.text("#totp-secret").await;
    assert!(
        b.source().await.contains("<svg"),
        "the QR code is inline SVG"
    );
    b.fill("#mfa-code", "000000").await;
    b.click("form[action='/account/mfa/confirm'] button").await;
    b.wait_for_text("main", "not right").await;
    b.fill("#mfa-code", &totp_code(&secret, 0)).await;
    b.click("form[action='/account/mfa/confirm'] button").await;
    let codes = b.wait_for_text("#recovery-codes", "-").await;
    let recovery: Vec<&str> = codes.lines().map(str::trim).collect();
    assert_eq!(recovery.len(), 10, "{codes}");
    b.sign_out().await;

    // Sign-in: the password alone opens nothing.
    b.go(&server.url("/login")).await;
    b.fill("#email", "dana@x.example").await;
    b.fill("#password", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.client
        .wait()
        .for_element(Locator::Css("#code"))
        .await
        .unwrap();
    assert_eq!(b.path().await, "/login/mfa");
    b.go(&server.url("/orgs/new")).await;
    assert_eq!(b.path().await, "/login", "no page before the second step");

    b.go(&server.url("/login")).await;
    b.fill("#email", "dana@x.example").await;
    b.fill("#password", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.fill("#code", "123456").await;
    b.click("button[type=submit]").await;
    b.wait_for_text("main", "not right").await;
    b.fill("#code", &totp_code(&secret, 1)).await;
    b.click("button[type=submit]").await;
    b.client
        .wait()
        .for_element(Locator::Css("header.top form"))
        .await
        .unwrap();
    assert_ne!(b.path().await, "/login/mfa");
    b.sign_out().await;

    // A recovery code, once.
    for (attempt, expect_in) in [(0, true), (1, false)] {
        b.go(&server.url("/login")).await;
        b.fill("#email", "dana@x.example").await;
        b.fill("#password", PASSWORD).await;
        b.click("button[type=submit]").await;
        b.fill("#code", recovery[0]).await;
        b.click("button[type=submit]").await;
        if expect_in {
            b.client
                .wait()
                .for_element(Locator::Css("header.top form"))
                .await
                .unwrap();
            b.sign_out().await;
        } else {
            b.wait_for_text("main", "not right").await;
            assert_eq!(b.path().await, "/login/mfa", "attempt {attempt}");
        }
    }
    // Another recovery code gets in; then two-step sign-in is turned off with the password.
    b.fill("#code", recovery[1]).await;
    b.click("button[type=submit]").await;
    b.client
        .wait()
        .for_element(Locator::Css("header.top form"))
        .await
        .unwrap();
    b.go(&server.url("/account/mfa")).await;
    assert!(b.source().await.contains("8 unused recovery codes"));
    b.fill("#mfa-password", PASSWORD).await;
    b.click("form[action='/account/mfa/disable'] button").await;
    b.wait_for_text("main", "Two-step sign-in is off").await;
    b.close().await;
}

/// An office manager imports a scan with the KEV catalog in the browser (htmx, with the upload
/// progress shown), reads what they mean, and accepts a suggested answer.
#[tokio::test(flavor = "multi_thread")]
async fn a_scan_is_imported_in_the_browser() {
    let db = Database::new(Backend::Sqlite);
    let server = Server::start(&db);
    let b = Browser::start().await;
    b.go(&server.url("/setup")).await;
    b.fill("#display_name", "Pat").await;
    b.fill("#email", "pat@maple.example").await;
    b.fill("#password", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.go(&server.url("/orgs/new")).await;
    b.fill("#name", "Maple Street Family Practice").await;
    b.fill("#physicians", "6").await;
    b.click("form.card button[type=submit]").await;
    b.client
        .wait()
        .for_element(Locator::Css("#tier"))
        .await
        .unwrap();
    let org_path = b.path().await.trim_end_matches("/settings").to_owned();

    // From the import page to the evidence import.
    b.go(&server.url(&format!("{org_path}/import"))).await;
    b.click(&format!("a[href='{org_path}/evidence-import']"))
        .await;
    let fixtures = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../hicp-evidence/tests/fixtures")
        .canonicalize()
        .unwrap();
    let pick = |rel: &str| fixtures.join(rel).display().to_string();
    b.client
        .wait()
        .for_element(Locator::Css("#evidence-import-file"))
        .await
        .unwrap()
        .send_keys(&pick("nessus/nessus_with_cvssv3.nessus"))
        .await
        .unwrap();
    b.client
        .find(Locator::Css("#evidence-import-kev"))
        .await
        .unwrap()
        .send_keys(&pick("kev/known_exploited_vulnerabilities.json"))
        .await
        .unwrap();
    b.click("form[data-progress] button[type=submit]").await;
    // htmx swaps the result in without leaving the page.
    let result = b
        .wait_for_text(
            "#evidence-import-result",
            "Imported nessus_with_cvssv3.nessus.",
        )
        .await;
    assert_eq!(b.path().await, format!("{org_path}/evidence-import"));
    assert!(result.contains("49 records read"), "{result}");
    assert!(
        result.contains("1 open finding is known to be exploited (CISA KEV catalog)"),
        "{result}"
    );
    assert!(
        result.contains("17 findings were open longer than HICP's remediation timeframes"),
        "{result}"
    );
    // The progress bar moved (2.7 MB went up) and is hidden again after the answer.
    let state = b
        .client
        .execute(
            "var box = document.getElementById('evidence-import-progress'); \
             return [box.querySelector('progress').value, box.hidden];",
            vec![],
        )
        .await
        .unwrap();
    assert!(state[0].as_f64().unwrap() > 0.0, "progress {state}");
    assert_eq!(state[1], true, "hidden after the answer: {state}");
    b.shot("evidence-import").await;

    // The suggestion for the small practice's remediation question: ticked and accepted.
    b.click("input[name=accept][value^='7.S.A.c3|partial|']")
        .await;
    b.click("#evidence-import-result form button[type=submit]")
        .await;
    let done = b.wait_for_text("main", "1 answer changed.").await;
    assert!(done.contains("7.S.A.c3 is now: Partly"), "{done}");
    b.click("main a[href*='#q-7-S-A-c3']").await;
    b.client
        .wait()
        .for_element(Locator::Css("#q-7-S-A-c3"))
        .await
        .unwrap();
    let page = b.source().await;
    assert!(
        page.contains("Nessus v2 XML nessus_with_cvssv3.nessus: 17 of 17"),
        "the evidence is on the question"
    );
    b.close().await;
}
