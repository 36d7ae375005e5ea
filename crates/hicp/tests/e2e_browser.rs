//! End-to-end tests in real headless Chromium (Debian `chromium` + `chromium-driver`),
//! driving `hicp serve` on 127.0.0.1:0 as a person would.

mod support;

use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{Backend, Database, Server, free_port, totp_code};

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
        // Until the organization's page has replaced the start page (its `main h1` is
        // there at once).
        let mut path = String::new();
        for _ in 0..100 {
            path = b.path().await;
            if path.starts_with("/orgs/") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(path.starts_with("/orgs/"), "{path}");
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
    // A forced control (the fieldset enabled by hand): refused in words, nothing kept.
    b.client
        .execute(
            "document.querySelectorAll('fieldset').forEach(f => f.disabled = false); return 0",
            vec![],
        )
        .await
        .unwrap();
    b.click("#sp-1-S-A .criterion input[value=implemented]")
        .await;
    let said = b.wait_for_text("#status-1-S-A-c1", "not change it").await;
    assert!(said.contains("Not saved"), "{said}");
    b.sign_out().await;

    b.sign_in(&server, "assessor@b.example").await;
    let home = b.source().await;
    assert!(home.contains("Clinic B") && !home.contains("Clinic A"));
    b.go(&server.url(&orgs[0])).await;
    let page = b.source().await;
    assert!(page.contains("404") && !page.contains("Clinic A"), "{page}");
    b.close().await;
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

/// Single sign-on in the browser, against a real OpenID Connect provider: the sign-in page
/// offers the provider, the provider's form signs Ann in and creates her account, and the
/// next time the provider remembers her, so one click signs her in.
#[tokio::test(flavor = "multi_thread")]
async fn single_sign_on_through_an_identity_provider() {
    let db = Database::new(Backend::Sqlite);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let idp = support::oidc::Provider::start(&[&format!("{base}/login/sso/idp/callback")]);
    let config = idp.config_file(db.data_dir.path(), "idp", "");
    let server = Server::start_with(
        &db,
        &[
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--sso-config",
            config.to_str().unwrap(),
            "--public-url",
            &base,
        ],
    );
    let _dana = support::web::first_admin(&server).await;
    let b = Browser::start().await;
    b.go(&server.url("/login")).await;
    b.click("a[href='/login/sso/idp']").await;
    // The provider's own sign-in form.
    b.fill("input[name=login]", "ann@clinic.example").await;
    b.fill("input[name=password]", "anything").await;
    b.click("button.login-submit").await;
    b.client
        .wait()
        .for_element(Locator::Css("header.top form"))
        .await
        .unwrap();
    assert_eq!(b.path().await, "/");
    b.go(&server.url("/account")).await;
    assert!(b.source().await.contains("ann@clinic.example"));
    b.sign_out().await;
    // The provider remembers her: one click, no form.
    b.click("a[href='/login/sso/idp']").await;
    b.client
        .wait()
        .for_element(Locator::Css("header.top form"))
        .await
        .unwrap();
    assert_eq!(b.path().await, "/");
    b.close().await;
}
/// Sets up the first account (`email`) and a small clinic in the browser; returns the
/// organization's path (`/orgs/ID`).
async fn setup_clinic(b: &Browser, server: &Server, email: &str) -> String {
    b.go(&server.url("/setup")).await;
    b.fill("#display_name", "Pat Office Manager").await;
    b.fill("#email", email).await;
    b.fill("#password", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.client
        .wait()
        .for_element(Locator::Css("#org_type"))
        .await
        .unwrap();
    b.fill("#name", "Maple Street Family Practice").await;
    b.fill("#physicians", "6").await;
    b.click("form.card button[type=submit]").await;
    b.client
        .wait()
        .for_element(Locator::Css("#tier"))
        .await
        .unwrap();
    b.path().await.trim_end_matches("/settings").to_owned()
}

impl Browser {
    async fn checked(&self, css: &str) -> bool {
        let e = self.client.find(Locator::Css(css)).await.unwrap();
        e.prop("checked").await.unwrap().as_deref() == Some("true")
    }

    async fn script(&self, js: &str) -> serde_json::Value {
        self.client.execute(js, vec![]).await.unwrap()
    }
}

/// Ends every session of `email` from elsewhere (as an expired session would end it).
async fn end_sessions_elsewhere(server: &Server, email: &str) {
    use support::web::{csrf_of, get, post, sign_in};
    let (c, _, _) = sign_in(server, email, PASSWORD).await;
    let (_, _, html) = get(&c, server, "/account").await;
    let (status, _, _) = post(
        &c,
        server,
        "/account/sign-out-everywhere",
        &[("csrf", &csrf_of(&html))],
    )
    .await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
}

/// Issue 15, item 4: a save that fails says why next to the control and keeps what was
/// entered. An ended session offers to sign in again in a new tab and then saves the kept
/// answer; what was not saved comes back after a reload; a stale version and a server
/// that cannot be reached are said in words. Item 11: arrow keys through the answers save
/// only the settled choice.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_save_says_why_and_keeps_the_input() {
    let db = Database::new(Backend::Sqlite);
    let server = Server::start(&db);
    let b = Browser::start().await;
    let email = "pat@maple.example";
    let org = setup_clinic(&b, &server, email).await;
    let practice = server.url(&format!("{org}/practices/1"));
    let c1 = "#sp-1-S-A .criterion:nth-of-type(1)";
    b.go(&practice).await;
    b.click(&format!("{c1} input[value=implemented]")).await;
    b.wait_for_text("#status-1-S-A-c1", "Saved at").await;
    // The time is shown in the reader's time zone (the UTC one stays as its tooltip).
    let local = b
        .script("const t = document.querySelector('#status-1-S-A-c1 time'); return [t.dataset.local || '', t.title];")
        .await;
    assert_eq!(local[0], "1", "{local}");
    assert!(local[1].as_str().unwrap().ends_with("UTC"), "{local}");

    // The session ended and the person signed in again in another tab before touching this
    // page: its token is stale, and the save still goes through (the page takes the
    // current token and sends once more).
    end_sessions_elsewhere(&server, email).await;
    let main = b.client.window().await.unwrap();
    let tab = b.client.new_window(true).await.unwrap();
    b.client.switch_to_window(tab.handle).await.unwrap();
    b.sign_in(&server, email).await;
    b.client.close_window().await.unwrap();
    b.client.switch_to_window(main).await.unwrap();
    b.script("document.getElementById('status-1-S-A-c1').textContent = ''; return 0")
        .await;
    b.click(&format!("{c1} input[value=largely]")).await;
    b.wait_for_text("#status-1-S-A-c1", "Saved at").await;

    // The session ends elsewhere; the next change is not saved, and the page says why.
    end_sessions_elsewhere(&server, email).await;
    b.click(&format!("{c1} input[value=partial]")).await;
    let said = b.wait_for_text("#status-1-S-A-c1", "signed out").await;
    assert!(said.contains("Not saved"), "{said}");
    assert!(b.checked(&format!("{c1} input[value=partial]")).await);
    let link = b
        .client
        .find(Locator::Css(
            "#status-1-S-A-c1 a[href='/login'][target=_blank]",
        ))
        .await
        .unwrap();
    assert!(link.text().await.unwrap().contains("Sign in again"));
    assert_eq!(
        b.script(
            "return Object.keys(sessionStorage).filter(k => k.startsWith('hicp-unsent:')).length"
        )
        .await,
        serde_json::json!(1)
    );

    // Sign in again in a new tab, come back, save again: the kept answer is saved.
    let main = b.client.window().await.unwrap();
    let tab = b.client.new_window(true).await.unwrap();
    b.client.switch_to_window(tab.handle).await.unwrap();
    b.sign_in(&server, email).await;
    b.client.close_window().await.unwrap();
    b.client.switch_to_window(main).await.unwrap();
    b.click("#status-1-S-A-c1 button").await;
    b.wait_for_text("#status-1-S-A-c1", "Saved at").await;
    assert_eq!(
        b.script(
            "return Object.keys(sessionStorage).filter(k => k.startsWith('hicp-unsent:')).length"
        )
        .await,
        serde_json::json!(0)
    );
    b.go(&practice).await;
    assert!(b.checked(&format!("{c1} input[value=partial]")).await);

    // Again, but this time the person reloads and signs in in the same tab: the answer
    // that was not saved comes back, marked, and is saved on request.
    end_sessions_elsewhere(&server, email).await;
    b.click(&format!("{c1} input[value=largely]")).await;
    b.wait_for_text("#status-1-S-A-c1", "signed out").await;
    b.sign_in(&server, email).await;
    b.go(&practice).await;
    b.wait_for_text("#status-1-S-A-c1", "not saved yet").await;
    assert!(b.checked(&format!("{c1} input[value=largely]")).await);
    b.click("#status-1-S-A-c1 button").await;
    b.wait_for_text("#status-1-S-A-c1", "Saved at").await;
    b.go(&practice).await;
    assert!(b.checked(&format!("{c1} input[value=largely]")).await);
    assert!(!b.source().await.contains("not saved yet"));

    // A version that is not the current one: refused in words, the choice stays.
    let c2 = "#sp-1-S-A .criterion:nth-of-type(2)";
    b.script("document.getElementById('version-1-S-A-c2').value = '999'; return 0")
        .await;
    b.click(&format!("{c2} input[value=implemented]")).await;
    b.wait_for_text("#status-1-S-A-c2", "changed since").await;
    assert!(b.checked(&format!("{c2} input[value=implemented]")).await);

    // Arrow keys: three steps through the answers save once, the settled one.
    let audit_rows = |html: String| html.matches("<tr id=\"seq-").count();
    let c3 = "#sp-1-S-A .criterion:nth-of-type(3)";
    b.go(&server.url(&format!("{org}/audit"))).await;
    let before = audit_rows(b.source().await);
    b.go(&practice).await;
    b.click(&format!("{c3} input[value=not_started]")).await;
    b.wait_for_text("#status-1-S-A-c3", "Saved at").await;
    b.go(&server.url(&format!("{org}/audit"))).await;
    let one_save = audit_rows(b.source().await) - before;
    assert!(one_save >= 1);
    b.go(&practice).await;
    b.client
        .find(Locator::Css(&format!("{c3} input[value=not_started]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for _ in 0..3 {
        b.press(fantoccini::key::Key::Right).await;
    }
    assert!(b.checked(&format!("{c3} input[value=implemented]")).await);
    b.wait_for_text("#status-1-S-A-c3", "Saved at").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    b.go(&server.url(&format!("{org}/audit"))).await;
    let audit = b.source().await;
    assert_eq!(
        audit_rows(audit) - before,
        2 * one_save,
        "the arrow keys saved once"
    );
    b.go(&practice).await;
    assert!(b.checked(&format!("{c3} input[value=implemented]")).await);

    // The plan board too: an ended session is said next to the action, the input stays.
    b.go(&server.url(&format!("{org}/plan"))).await;
    let section = b
        .client
        .wait()
        .for_element(Locator::Css("section.card[id^='action-']"))
        .await
        .unwrap();
    let dom = section
        .attr("id")
        .await
        .unwrap()
        .unwrap()
        .trim_start_matches("action-")
        .to_owned();
    // How the rank is computed is loaded when its section opens.
    b.click(&format!("#action-{dom} > details:not(.track) > summary"))
        .await;
    b.click(&format!("#action-{dom} details[hx-get$='/rank'] > summary"))
        .await;
    let rank = b
        .wait_for_text(&format!("#action-{dom} .rank"), "glossary")
        .await;
    assert!(!rank.contains("Open how the rank"), "{rank}");
    // Opening the section loads its form; the session ends once it is there.
    b.click(&format!("#action-{dom} details.track > summary"))
        .await;
    b.fill(&format!("#owner-{dom}"), "Pat").await;
    end_sessions_elsewhere(&server, email).await;
    b.click(&format!("#action-{dom} form button[type=submit]"))
        .await;
    let said = b
        .wait_for_text(&format!("#track-{dom}"), "signed out")
        .await;
    assert!(said.contains("Not saved"), "{said}");
    let owner = b
        .client
        .find(Locator::Css(&format!("#owner-{dom}")))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(owner.as_deref(), Some("Pat"));
    b.sign_in(&server, email).await;
    b.go(&practice).await;

    // The server cannot be reached: said, and the choice stays.
    drop(server);
    b.click(&format!("{c3} input[value=partial]")).await;
    let said = b
        .wait_for_text("#status-1-S-A-c3", "could not be reached")
        .await;
    assert!(said.contains("Not saved"), "{said}");
    assert!(b.checked(&format!("{c3} input[value=partial]")).await);
    b.close().await;
}

/// axe-core, installed by `.ci/run` (`npm ci --prefix tools/axe`).
const AXE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tools/axe/node_modules/axe-core/axe.min.js"
);

/// The WCAG 2.2 AA rule sets the pages are held to.
const AXE_TAGS: &str = r#"["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]"#;

/// The GET routes of the web app's router (not the API's), read from its source as the
/// route table test does, so a new page is checked as soon as it is routed.
fn page_routes() -> Vec<String> {
    let src = include_str!("../../hicp-web/src/lib.rs");
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(i) = rest.find(".route(") {
        let after = &rest[i + ".route(".len()..];
        let q1 = after.find('"').unwrap();
        let q2 = q1 + 1 + after[q1 + 1..].find('"').unwrap();
        let path = &after[q1 + 1..q2];
        // The call's text: up to its closing parenthesis.
        let mut depth = 1;
        let mut end = after.len();
        for (j, ch) in after.char_indices() {
            match ch {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = j;
                        break;
                    }
                }
                _ => {}
            }
        }
        let call = &after[q2..end];
        let methods = call[1..].trim_start_matches(',').trim_start();
        if methods.starts_with("get(") {
            out.push(path.to_owned());
        }
        rest = &after[end..];
    }
    out
}

/// Runs axe on the page the browser shows, with every `<details>` opened; returns the
/// problems found (rule, impact, help, the first elements), and any duplicate id.
async fn axe_problems(b: &Browser, axe: &str) -> Vec<String> {
    b.script("document.querySelectorAll('details').forEach(d => d.open = true); return 0")
        .await;
    let dups = b
        .script(
            "const seen = new Set(), dup = new Set();
             document.querySelectorAll('[id]').forEach(e => { if (seen.has(e.id)) dup.add(e.id); seen.add(e.id); });
             return [...dup];",
        )
        .await;
    let mut out: Vec<String> = dups
        .as_array()
        .unwrap()
        .iter()
        .map(|d| format!("duplicate id {d}"))
        .collect();
    b.client
        .execute(&format!("{axe}\n;return 0"), vec![])
        .await
        .unwrap();
    let js = format!(
        "const done = arguments[arguments.length - 1];
         axe.run(document, {{ runOnly: {{ type: 'tag', values: {AXE_TAGS} }}, resultTypes: ['violations'] }})
           .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at '
               + v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').replace(/\\s+/g, ' ')).join(' | '))))
           .catch(e => done(['axe failed: ' + e]));"
    );
    let found = b.client.execute_async(&js, vec![]).await.unwrap();
    out.extend(
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned()),
    );
    out
}

/// Every page type passes axe-core's WCAG 2.2 AA rules, with no duplicate id: the setup
/// and sign-in pages, every HTML page of the router for an admin (an organization with
/// imported answers, evidence, a viewer and a closed snapshot; the reports as HTML
/// included), and the pages a viewer sees.
#[tokio::test(flavor = "multi_thread")]
async fn every_page_type_passes_axe() {
    use support::web::*;
    let axe = match std::fs::read_to_string(AXE) {
        Ok(s) => s,
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!(
                "axe-core is missing at {AXE} ({e}): .ci/run installs it with `npm ci --prefix tools/axe`"
            )
        }
        Err(_) => {
            eprintln!(
                "SKIPPED every_page_type_passes_axe: axe-core is not installed; run `npm ci --prefix tools/axe` in the repository"
            );
            return;
        }
    };
    let db = Database::new(Backend::Sqlite);
    let server = Server::start(&db);
    let b = Browser::start().await;
    let mut problems: Vec<String> = Vec::new();
    let mut checked = Vec::new();
    let mut check = async |b: &Browser, who: &str, path: &str| {
        b.go(&server.url(path)).await;
        let at = b.path().await;
        for p in axe_problems(b, &axe).await {
            problems.push(format!("{who} {path} (shown: {at}): {p}"));
        }
        checked.push(format!("{who} {path}"));
    };

    // Before the first account: setup.
    check(&b, "anonymous", "/setup").await;

    // An organization with answers, evidence, a viewer and a closed snapshot.
    let admin = first_admin(&server).await;
    let org = create_org(
        &admin,
        &server,
        "Maple Street Family Practice",
        &[
            ("org_type", "physician-practice"),
            ("physicians", "6"),
            ("workforce", "18"),
        ],
    )
    .await;
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/small-clinic.yaml"
    ))
    .unwrap();
    let (status, html) = import_file(&admin, &server, &org, &yaml).await;
    assert!(status.is_success(), "{html}");
    add_member(&admin, &server, &org, "viewer@maple.example", "viewer").await;
    // A member site, so that the dashboard shows its health system roll-up.
    let site = create_org(&admin, &server, "Maple North Site", &[("physicians", "2")]).await;
    let (_, _, html) = get(&admin, &server, &format!("/orgs/{site}/settings")).await;
    let (status, _, html) = post(
        &admin,
        &server,
        &format!("/orgs/{site}/settings/parent"),
        &[("csrf", &csrf_of(&html)), ("parent", &org)],
    )
    .await;
    assert!(html.contains("a member site of"), "{status}: {html}");
    let (_, _, html) = get(&admin, &server, &format!("/orgs/{org}/history")).await;
    let (status, _, _) = post(
        &admin,
        &server,
        &format!("/orgs/{org}/history"),
        &[
            ("csrf", &csrf_of(&html)),
            ("assessment", &field_of(&html, "assessment")),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert!(status.is_success());
    let (_, _, html) = get(&admin, &server, &format!("/orgs/{org}/history")).await;
    let snapshot = html
        .split(&format!("/orgs/{org}/history/"))
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("a snapshot link")
        .to_owned();
    let csrf = csrf_of(&html);
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("criterion", "1.S.A.c1")
        .text("title", "Signed BAA")
        .text("url", "https://intranet.example/baa.pdf");
    let r = admin
        .post(server.url(&format!("/orgs/{org}/evidence")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let (_, _, page) = get(&admin, &server, &format!("/orgs/{org}/practices/1")).await;
    let evidence = page
        .split(&format!("/orgs/{org}/evidence/"))
        .nth(1)
        .and_then(|s| s.split(['"', '/']).next())
        .expect("an evidence link")
        .to_owned();

    check(&b, "anonymous", "/login").await;
    b.sign_in(&server, "dana@clinic.example").await;
    let fill = |route: &str| -> Option<String> {
        // Not pages: health, files, and single sign-on (a redirect to the identity provider,
        // and its return, which shows the sign-in page already checked).
        let skip = [
            "/healthz",
            "/assets/",
            "/export.yaml",
            "/download/",
            "/evidence/{id}",
            "/login/sso/",
        ];
        if skip.iter().any(|s| route.contains(s)) {
            return None;
        }
        let p = route
            .replace("{org}", &org)
            .replace("{n}", "1")
            .replace("{snapshot}", &snapshot)
            .replace("{format}", "report.html")
            .replace("{id}", &evidence)
            .replace("{criterion}", "1.S.A.c1")
            .replace("{action}", "1.S.A.a1")
            // A link nobody sent: the page that says so (the form is checked below).
            .replace("{token}", "no-such-token");
        assert!(
            !p.contains('{'),
            "the axe test does not know how to fill the route {route}: add it to `fill`"
        );
        // A search with results.
        if p.ends_with("/search") {
            return Some(format!("{p}?q=backup"));
        }
        Some(p)
    };
    let routes = page_routes();
    assert!(routes.len() > 15, "{routes:?}");
    for route in &routes {
        if let Some(path) = fill(route) {
            check(&b, "admin", &path).await;
        }
    }
    // The report as HTML, as it is downloaded, and a page that does not exist.
    check(&b, "admin", &format!("/orgs/{org}/download/report.html")).await;
    check(&b, "admin", "/orgs/nothing-here").await;
    b.go(&server.url("/account")).await;
    b.sign_out().await;

    // The viewer's view of the organization's pages.
    b.sign_in(&server, "viewer@maple.example").await;
    for route in routes.iter().filter(|r| r.starts_with("/orgs/{org}")) {
        if let Some(path) = fill(route) {
            check(&b, "viewer", &path).await;
        }
    }
    check(&b, "viewer", "/account").await;
    b.go(&server.url("/account")).await;
    b.sign_out().await;

    // With mail (a second server on the same database, sending to a test SMTP server): the
    // People page without a first password, and the page of an emailed one-time link.
    let smtp = support::smtp::SmtpServer::start();
    let port = support::free_port();
    let mut options = smtp.serve_options(&format!("http://127.0.0.1:{port}"));
    options.extend(["--listen".to_owned(), format!("127.0.0.1:{port}")]);
    let options: Vec<&str> = options.iter().map(String::as_str).collect();
    let mailing = Server::start_with(&db, &options);
    let members = format!("/orgs/{org}/members");
    let (_, _, html) = get(&admin, &mailing, &members).await;
    let (status, _, _) = post(
        &admin,
        &mailing,
        &members,
        &[
            ("csrf", &csrf_of(&html)),
            ("display_name", "Nora New"),
            ("email", "nora@maple.example"),
            ("role", "viewer"),
        ],
    )
    .await;
    assert!(status.is_success());
    let link = smtp.next().link("/link/");
    b.sign_in(&mailing, "dana@clinic.example").await;
    for (who, url) in [
        ("admin", mailing.url(&members)),
        ("anonymous", link.clone()),
    ] {
        if who == "anonymous" {
            b.sign_out().await;
        }
        b.go(&url).await;
        for p in axe_problems(&b, &axe).await {
            problems.push(format!("{who} {url} (with mail): {p}"));
        }
        checked.push(format!("{who} {url} (with mail)"));
    }
    // The page of a link whose invitation the admin withdrew (People page, "Withdraw").
    let (_, _, html) = get(&admin, &mailing, &members).await;
    let (status, _, html) = post(
        &admin,
        &mailing,
        &format!("/orgs/{org}/invitations/withdraw"),
        &[("csrf", &csrf_of(&html)), ("email", "nora@maple.example")],
    )
    .await;
    assert!(html.contains("is withdrawn"), "{status}: {html}");
    b.go(&link).await;
    assert!(b.source().await.contains("This invitation was withdrawn"));
    for p in axe_problems(&b, &axe).await {
        problems.push(format!("anonymous {link} (withdrawn): {p}"));
    }
    checked.push(format!("anonymous {link} (withdrawn)"));
    b.close().await;
    assert!(checked.len() > 30, "{checked:?}");
    assert!(
        problems.is_empty(),
        "{} accessibility problems on {} pages:\n{}",
        problems.len(),
        checked.len(),
        problems.join("\n")
    );
}

/// An office manager imports a scan with the KEV catalog in the browser (htmx, with the upload
/// progress shown), reads what they mean, and accepts a suggested answer.
#[tokio::test(flavor = "multi_thread")]
async fn a_scan_is_imported_in_the_browser() {
    let db = Database::new(Backend::Sqlite);
    let server = Server::start(&db);
    let b = Browser::start().await;
    let org_path = setup_clinic(&b, &server, "pat@maple.example").await;

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
