//! Accounts over HTTP, black-box: throttled sign-in (429 with Retry-After), password
//! change and reset, disabled accounts, sessions' idle timeout and absolute lifetime, on
//! SQLite and on PostgreSQL.

#[macro_use]
mod support;

use reqwest::StatusCode;
use support::web::*;
use support::{Backend, Database, Server};

on_both_backends!(
    a_burst_of_wrong_passwords_gets_429,
    a_reset_password_ends_sessions_and_must_be_changed,
    a_disabled_account_cannot_sign_in,
    an_installation_admin_turns_off_a_lost_second_factor,
    sessions_slide_with_use_and_end_at_their_lifetime,
);

fn admin(db: &Database, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_hicp"))
        .arg("admin")
        .args(args)
        .args(["--database", &db.url])
        .env_remove("HICP_DATABASE_URL")
        .env_remove("HICP_DATA_DIR")
        .output()
        .unwrap()
}

async fn a_burst_of_wrong_passwords_gets_429(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let _dana = first_admin(&s).await;
    let c = client();
    let (_, _, html) = get(&c, &s, "/login").await;
    let csrf = csrf_of(&html);
    let burst: Vec<_> = (0..40)
        .map(|i| {
            let (c, url, csrf) = (c.clone(), s.url("/login"), csrf.clone());
            tokio::spawn(async move {
                let r = c
                    .post(url)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("email", "dana@clinic.example"),
                        ("password", &format!("wrong guess number {i}")),
                    ])
                    .send()
                    .await
                    .unwrap();
                (r.status(), r.headers().get("retry-after").cloned())
            })
        })
        .collect();
    let mut throttled = 0;
    for t in burst {
        let (status, retry) = t.await.unwrap();
        match status {
            StatusCode::OK => assert!(retry.is_none()),
            StatusCode::TOO_MANY_REQUESTS => {
                let secs: u64 = retry.unwrap().to_str().unwrap().parse().unwrap();
                assert!((1..=30).contains(&secs), "{secs}");
                throttled += 1;
            }
            other => panic!("{other}"),
        }
    }
    assert!(
        throttled >= 35,
        "at most 5 guesses are checked: {throttled} throttled"
    );
    // The right password right after the burst is refused until the delay has passed.
    let r = c
        .post(s.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "dana@clinic.example"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    assert!(r.text().await.unwrap().contains("Too many failed attempts"));

    // The lock is soft: once the first delay (30 seconds) has passed, the right password
    // signs in. (Time passes: every failure is 31 seconds older.)
    db.execute("UPDATE login_failures SET at = at - 31000")
        .await;
    let (dana, status, html) = sign_in(&s, "dana@clinic.example", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, path, _) = get(&dana, &s, "/account").await;
    assert_eq!(path, "/account", "signed in after the delay");
}

async fn a_reset_password_ends_sessions_and_must_be_changed(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let dana = first_admin(&s).await;
    let org = create_org(&dana, &s, "Reset clinic", &[]).await;
    add_member(&dana, &s, &org, "pat@clinic.example", "assessor").await;
    let (pat, status, _) = sign_in(&s, "pat@clinic.example", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = get(&pat, &s, &format!("/orgs/{org}")).await;
    assert_eq!(status, StatusCode::OK);

    let out = admin(&db, &["reset-password", "--email", "pat@clinic.example"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let temporary = stdout.lines().last().unwrap().trim().to_owned();
    assert_eq!(temporary.len(), 20, "{stdout}");

    // The session opened before the reset no longer works.
    let (_, path, _) = get(&pat, &s, &format!("/orgs/{org}")).await;
    assert_eq!(path, "/login");
    let (_, _, html) = sign_in(&s, "pat@clinic.example", PASSWORD).await;
    assert!(html.contains("do not match"), "the old password is gone");

    // The temporary password signs in, but only to choose a new one.
    let (pat, _, html) = sign_in(&s, "pat@clinic.example", &temporary).await;
    assert!(html.contains("Choose your own password"), "{html}");
    let (_, path, _) = get(&pat, &s, &format!("/orgs/{org}")).await;
    assert_eq!(path, "/account");
    let csrf = csrf_of(&html);
    let new = "pat keeps the plan on track";
    let (status, path, html) = post(
        &pat,
        &s,
        "/account/password",
        &[
            ("csrf", &csrf),
            ("current_password", &temporary),
            ("new_password", new),
            ("confirm_password", new),
        ],
    )
    .await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, "/account"));
    assert!(html.contains("Your password is changed"), "{html}");
    let (status, path, _) = get(&pat, &s, &format!("/orgs/{org}")).await;
    assert_eq!((status, path), (StatusCode::OK, format!("/orgs/{org}")));

    // An unknown email is bad input, named.
    for command in ["reset-password", "reset-mfa", "disable"] {
        let out = admin(&db, &[command, "--email", "nobody@clinic.example"]);
        assert_eq!(out.status.code(), Some(2), "{command}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("nobody@clinic.example"));
    }
}

async fn a_disabled_account_cannot_sign_in(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let dana = first_admin(&s).await;
    let org = create_org(&dana, &s, "Disable clinic", &[]).await;
    add_member(&dana, &s, &org, "sam@clinic.example", "viewer").await;
    let (sam, _, _) = sign_in(&s, "sam@clinic.example", PASSWORD).await;

    // Disabled from the web app by the installation admin.
    let (_, _, html) = get(&dana, &s, "/admin/users").await;
    assert!(html.contains("sam@clinic.example"));
    let csrf = csrf_of(&html);
    let (status, _, html) = post(
        &dana,
        &s,
        "/admin/users/disable",
        &[("csrf", &csrf), ("email", "sam@clinic.example")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("sam@clinic.example is disabled"), "{html}");
    let (_, path, _) = get(&sam, &s, &format!("/orgs/{org}")).await;
    assert_eq!(path, "/login", "the session ended at once");
    let (_, status, html) = sign_in(&s, "sam@clinic.example", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("This account is disabled"), "{html}");

    // The installation's audit log has the account events; only installation admins see it.
    let (status, _, log) = get(&dana, &s, "/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(log.contains("<td>disabled</td>"), "{log}");
    assert!(log.contains("refused: disabled"), "{log}");
    assert!(log.contains("<td>sign in</td><td>signed in</td>"), "{log}");
    assert!(
        log.contains("Disable clinic"),
        "organization changes are there too"
    );

    let out = admin(&db, &["users", "--format", "json"]);
    assert!(out.status.success());
    let users: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sam_row = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "sam@clinic.example")
        .unwrap();
    assert_eq!(sam_row["disabled"], true);

    let out = admin(&db, &["enable", "--email", "sam@clinic.example"]);
    assert!(out.status.success());
    let (_, _, html) = sign_in(&s, "sam@clinic.example", PASSWORD).await;
    assert!(!html.contains("disabled"), "{html}");
}

/// Sam loses his authenticator and his recovery codes: the installation admin turns his
/// two-step sign-in off on the Accounts page; his sessions end, and his password alone
/// signs him in again.
async fn an_installation_admin_turns_off_a_lost_second_factor(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let dana = first_admin(&s).await;
    let org = create_org(&dana, &s, "Lost phone clinic", &[]).await;
    add_member(&dana, &s, &org, "sam@clinic.example", "viewer").await;
    let (sam, _, _) = sign_in(&s, "sam@clinic.example", PASSWORD).await;
    enrol_totp(&sam, &s).await;
    let (_, _, html) = get(&dana, &s, "/admin/users").await;
    assert!(
        html.contains("Turn off two-step sign-in of sam@clinic.example"),
        "{html}"
    );
    let csrf = csrf_of(&html);
    let (status, _, html) = post(
        &dana,
        &s,
        "/admin/users/reset-mfa",
        &[("csrf", &csrf), ("email", "sam@clinic.example")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Two-step sign-in is off for sam@clinic.example"),
        "{html}"
    );
    assert!(
        !html.contains("Turn off two-step sign-in of sam@"),
        "{html}"
    );
    let (_, path, _) = get(&sam, &s, &format!("/orgs/{org}")).await;
    assert_eq!(path, "/login", "his sessions ended");
    let (sam, _, _) = sign_in(&s, "sam@clinic.example", PASSWORD).await;
    let (_, path, _) = get(&sam, &s, &format!("/orgs/{org}")).await;
    assert_eq!(path, format!("/orgs/{org}"), "no second step any more");
    let (_, _, log) = get(&dana, &s, "/admin/audit").await;
    assert!(log.contains("TOTP turned off"), "{log}");
}

async fn sessions_slide_with_use_and_end_at_their_lifetime(b: Backend) {
    let db = Database::new(b);
    let s = Server::start_with(
        &db,
        &[
            "--session-idle-minutes",
            "30",
            "--session-lifetime-hours",
            "2",
        ],
    );
    let _dana = first_admin(&s).await;

    // The cookie lives as long as the absolute lifetime (the idle timeout is the database's).
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let html = c
        .get(s.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = c
        .post(s.url("/login"))
        .form(&[
            ("csrf", csrf_of(&html).as_str()),
            ("email", "dana@clinic.example"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.contains("Max-Age=7200") && c.contains("HttpOnly")),
        "{cookies:?}"
    );
    let live = |c: &reqwest::Client| {
        let (c, url) = (c.clone(), s.url("/account"));
        async move {
            let r = c.get(url).send().await.unwrap();
            match r.status() {
                StatusCode::OK => true,
                StatusCode::SEE_OTHER => false,
                other => panic!("{other}"),
            }
        }
    };
    assert!(live(&c).await);

    // 25 minutes pass between uses, four times: the idle timeout slides with each use.
    for _ in 0..4 {
        db.execute(
            "UPDATE sessions SET created_at = created_at - 1500000, \
             last_seen_at = last_seen_at - 1500000, expires_at = expires_at - 1500000",
        )
        .await;
        assert!(live(&c).await, "an active session is not dropped");
    }
    // Another 25 minutes: 125 in all, past the two hours however active.
    db.execute(
        "UPDATE sessions SET created_at = created_at - 1500000, \
         last_seen_at = last_seen_at - 1500000, expires_at = expires_at - 1500000",
    )
    .await;
    assert!(!live(&c).await, "the absolute lifetime has passed");

    // A new session left alone for 31 minutes ends.
    let (fresh, status, _) = sign_in(&s, "dana@clinic.example", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let (_, path, _) = get(&fresh, &s, "/account").await;
    assert_eq!(path, "/account");
    db.execute(
        "UPDATE sessions SET created_at = created_at - 1860000, \
         last_seen_at = last_seen_at - 1860000, expires_at = expires_at - 1860000",
    )
    .await;
    let (_, path, _) = get(&fresh, &s, "/account").await;
    assert_eq!(path, "/login", "idle for longer than the timeout");
}
