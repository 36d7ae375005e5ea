//! Invitations and password resets by email, black-box over HTTP with a real SMTP server
//! (`tools/smtp`), on SQLite and on PostgreSQL: a new person joins through the emailed
//! one-time link; inviting an existing account of another tenant looks exactly the same to
//! the admin; links work once and expire; a reset link sets a new password and ends the
//! old sessions; a failed send is said in plain words and audited; an admin withdraws an
//! invitation and its link stops working; `hicp admin reset-password --link` emails a link.

#[macro_use]
mod support;

use reqwest::{Client, StatusCode};
use support::smtp::SmtpServer;
use support::web::*;
use support::{Backend, Database, Server, free_port};

/// The mail options are checked before the server starts, each error naming its option.
#[test]
fn mail_options_are_checked_at_start() {
    let db = tempfile::tempdir().unwrap();
    for (args, says) in [
        (
            vec!["--smtp-url", "smtp://127.0.0.1:2525"],
            "--smtp-url needs --mail-from",
        ),
        (
            vec!["--mail-from", "hicp@clinic.example"],
            "--mail-from needs --smtp-url",
        ),
        (
            vec![
                "--smtp-url",
                "smtp://127.0.0.1:2525",
                "--mail-from",
                "hicp@clinic.example",
            ],
            "--smtp-url needs --public-url",
        ),
        (
            vec![
                "--smtp-url",
                "smtp://127.0.0.1:2525",
                "--mail-from",
                "not an address",
                "--public-url",
                "https://hicp.example.org",
            ],
            "--mail-from: 'not an address' is not an email address",
        ),
        (
            vec![
                "--smtp-url",
                "smtp://user:secret-password@",
                "--mail-from",
                "hicp@clinic.example",
                "--public-url",
                "https://hicp.example.org",
            ],
            "--smtp-url: ",
        ),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hicp"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(db.path())
            .args(&args)
            .env_remove("HICP_SMTP_URL")
            .env_remove("HICP_MAIL_FROM")
            .env_remove("HICP_PUBLIC_URL")
            .env_remove("HICP_DATABASE_URL")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} starts");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(
            !err.contains("secret-password"),
            "the password is not printed: {err}"
        );
    }
}

on_both_backends!(
    a_new_person_joins_through_the_emailed_link,
    inviting_an_existing_account_looks_the_same_as_a_new_person,
    links_expire_and_a_newer_one_replaces_the_older,
    a_reset_link_sets_a_new_password_and_ends_old_sessions,
    an_admin_withdraws_an_invitation_and_its_link_stops_working,
    the_command_line_emails_a_reset_link,
);

const NEW_PASSWORD: &str = "a brand new passphrase for pat";

/// `hicp serve` sending mail to a fresh SMTP server, its links pointing at itself.
fn start(b: Backend) -> (Database, SmtpServer, Server) {
    let db = Database::new(b);
    let smtp = SmtpServer::start();
    let port = free_port();
    let mut options = smtp.serve_options(&format!("http://127.0.0.1:{port}"));
    options.extend(["--listen".to_owned(), format!("127.0.0.1:{port}")]);
    let options: Vec<&str> = options.iter().map(String::as_str).collect();
    let s = Server::start_with(&db, &options);
    (db, smtp, s)
}

/// Invites `email` from the People page, as the form does with mail on (no password).
async fn invite_by_email(
    c: &Client,
    s: &Server,
    org: &str,
    name: &str,
    email: &str,
) -> (StatusCode, String) {
    let path = format!("/orgs/{org}/members");
    let (_, _, html) = get(c, s, &path).await;
    assert!(
        !html.contains("name=\"password\""),
        "with mail, no first password is asked for"
    );
    let csrf = csrf_of(&html);
    let (status, _, html) = post(
        c,
        s,
        &path,
        &[
            ("csrf", &csrf),
            ("display_name", name),
            ("email", email),
            ("role", "assessor"),
        ],
    )
    .await;
    (status, html)
}

/// Opens `link` in a fresh browser and sends its form: returns the browser, and the status,
/// final path and page of the answer.
async fn use_link(link: &str, name: &str, password: &str) -> (Client, StatusCode, String, String) {
    let c = client();
    let r = c.get(link).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{link}");
    let html = r.text().await.unwrap();
    let token = field_of(&html, "token");
    let csrf = csrf_of(&html);
    let base = &link[..link.find("/link/").unwrap()];
    let r = c
        .post(format!("{base}/link"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("token", token.as_str()),
            ("display_name", name),
            ("password", password),
            ("confirm_password", password),
        ])
        .send()
        .await
        .unwrap();
    let (status, path) = (r.status(), r.url().path().to_owned());
    (c, status, path, r.text().await.unwrap())
}

/// Sends the form of a link again from a fresh browser, with the token taken from `link`.
async fn post_token(s: &Server, link: &str) -> (StatusCode, String) {
    let c = client();
    let (_, _, html) = get(&c, s, "/login").await;
    let token = link.rsplit('/').next().unwrap();
    let (status, _, html) = post(
        &c,
        s,
        "/link",
        &[
            ("csrf", &csrf_of(&html)),
            ("token", token),
            ("display_name", "Someone"),
            ("password", NEW_PASSWORD),
            ("confirm_password", NEW_PASSWORD),
        ],
    )
    .await;
    (status, html)
}

async fn audit_log(c: &Client, s: &Server) -> String {
    get(c, s, "/admin/audit").await.2
}

async fn a_new_person_joins_through_the_emailed_link(b: Backend) {
    let (_db, smtp, s) = start(b);
    let dana = first_admin(&s).await;
    let org = create_org(&dana, &s, "Alder Clinic", &[]).await;

    let (status, html) = invite_by_email(&dana, &s, &org, "Nora Alder", "nora@alder.example").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("nora@alder.example is invited as assessor. An email with the invitation is on its way to them"),
        "{html}"
    );
    let mail = smtp.next();
    assert_eq!(mail.to, ["nora@alder.example"]);
    assert_eq!(mail.from, "hicp@clinic.example");
    assert!(mail.subject.contains("Alder Clinic"), "{}", mail.subject);
    assert!(
        mail.text.contains("Dana Admin invites you"),
        "{}",
        mail.text
    );
    let link = mail.link("/link/");
    assert!(link.starts_with(&s.base), "{link} points at this server");

    // The page of the link says what it is for; opening it uses nothing up.
    let (_, _, page) = get(&client(), &s, &link[s.base.len()..]).await;
    assert!(page.contains("Join Alder Clinic"), "{page}");
    assert!(page.contains("nora@alder.example"), "{page}");

    // A weak password is refused by the usual rules, and the link still works after.
    let (_, status, _, html) = use_link(&link, "Nora Alder", "too short").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("use at least 15 characters"), "{html}");
    let (_, _, _, html) = use_link(&link, "Nora Alder", "aaaaaaaaaaaaaaaaaaaa").await;
    assert!(html.contains("too easy to guess"), "{html}");

    let (nora, status, path, html) = use_link(&link, "Nora Alder", PASSWORD).await;
    assert_eq!(
        (status, path),
        (StatusCode::OK, format!("/orgs/{org}")),
        "signed in and a member: {html}"
    );
    let (_, path, _) = get(&nora, &s, "/account").await;
    assert_eq!(path, "/account", "no password change is asked for");
    let (_, _, members) = get(&dana, &s, &format!("/orgs/{org}/members")).await;
    assert!(
        members.contains("<td>Nora Alder</td><td>nora@alder.example</td><td>assessor</td>"),
        "{members}"
    );
    assert!(!members.contains("Invited, not joined yet"), "{members}");
    let (_, status, _) = sign_in(&s, "nora@alder.example", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);

    // The link works once.
    let (status, _, html) = get(&client(), &s, &link[s.base.len()..]).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("This link was already used"), "{html}");
    let (status, html) = post_token(&s, &link).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("This link was already used"), "{html}");

    // A send that fails is said in plain words; the invitation stands.
    let (status, html) = invite_by_email(&dana, &s, &org, "Bounce", "bounce@alder.example").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(
            "bounce@alder.example is invited as assessor, but the email could not be sent"
        ),
        "{html}"
    );
    assert!(html.contains("Invited, not joined yet"), "{html}");

    let log = audit_log(&dana, &s).await;
    for what in [
        "invitation email sent",
        "invitation email not sent: the mail server did not take it",
        "used: account made, password chosen",
        "refused: already used",
    ] {
        assert!(log.contains(what), "{what} in the audit log:\n{log}");
    }
}

async fn inviting_an_existing_account_looks_the_same_as_a_new_person(b: Backend) {
    let (_db, smtp, s) = start(b);
    let dana = first_admin(&s).await;
    // Pat has an account, in another tenant.
    let birch = create_org(&dana, &s, "Birch Clinic", &[]).await;
    let (status, _) = invite_by_email(&dana, &s, &birch, "Pat Birch", "pat@birch.example").await;
    assert_eq!(status, StatusCode::OK);
    let (pat, status, _, _) = use_link(&smtp.next().link("/link/"), "Pat Birch", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);

    // Two organizations invite: one the existing account, one a new person.
    let one = create_org(&dana, &s, "Cedar One", &[]).await;
    let two = create_org(&dana, &s, "Cedar Two", &[]).await;
    let (s1, existing) = invite_by_email(&dana, &s, &one, "Someone", "pat@birch.example").await;
    let (s2, new) = invite_by_email(&dana, &s, &two, "Someone", "quinn@cedar.example").await;
    // The CSRF token is masked afresh on every page: it differs, and says nothing.
    let normal = |html: &str, org: &str, name: &str, email: &str| {
        html.replace(&csrf_of(html), "CSRF")
            .replace(org, "ORG")
            .replace(name, "NAME")
            .replace(email, "EMAIL")
    };
    assert_eq!(s1, s2);
    assert_eq!(
        normal(&existing, &one, "Cedar One", "pat@birch.example"),
        normal(&new, &two, "Cedar Two", "quinn@cedar.example"),
        "the admin's page is the same whether or not the email has an account"
    );
    assert!(!existing.contains("Pat Birch"), "{existing}");

    // Pat hears of the invitation, with no link to use; Quinn gets a link.
    let (mut to_pat, mut to_quinn) = (smtp.next(), smtp.next());
    if to_pat.to[0] != "pat@birch.example" {
        std::mem::swap(&mut to_pat, &mut to_quinn);
    }
    assert_eq!(to_pat.to, ["pat@birch.example"]);
    assert!(!to_pat.text.contains("/link/"), "{}", to_pat.text);
    assert!(to_pat.text.contains("home page"), "{}", to_pat.text);
    assert!(to_pat.link("/login").starts_with(&s.base));
    assert_eq!(to_quinn.to, ["quinn@cedar.example"]);
    assert!(to_quinn.text.contains("/link/"), "{}", to_quinn.text);

    // Pat's account is untouched and joins only by accepting.
    let (_, _, members) = get(&dana, &s, &format!("/orgs/{one}/members")).await;
    assert!(!members.contains("<td>pat@birch.example</td>"), "{members}");
    let (_, status, html) = sign_in(&s, "pat@birch.example", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, _, home) = get(&pat, &s, "/").await;
    assert!(home.contains("Cedar One"), "{home}");
    let (status, path, _) = post(
        &pat,
        &s,
        &format!("/invitations/{one}/accept"),
        &[("csrf", &csrf_of(&home))],
    )
    .await;
    assert_eq!((status, path), (StatusCode::OK, format!("/orgs/{one}")));
    let (_, _, members) = get(&dana, &s, &format!("/orgs/{one}/members")).await;
    assert!(
        members.contains("<td>Pat Birch</td><td>pat@birch.example</td>"),
        "{members}"
    );
}

async fn links_expire_and_a_newer_one_replaces_the_older(b: Backend) {
    let (db, smtp, s) = start(b);
    let dana = first_admin(&s).await;
    let org = create_org(&dana, &s, "Dogwood Clinic", &[]).await;
    invite_by_email(&dana, &s, &org, "Rae", "rae@dogwood.example").await;
    let first = smtp.next().link("/link/");
    // Inviting again sends a new link; the older one stops working.
    invite_by_email(&dana, &s, &org, "Rae", "rae@dogwood.example").await;
    let second = smtp.next().link("/link/");
    assert_ne!(first, second);
    let (status, _, html) = get(&client(), &s, &first[s.base.len()..]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("This link does not work"), "{html}");

    // Time passes: every link is past its 72 hours.
    db.execute("UPDATE one_time_links SET expires_at = 1").await;
    let (status, _, html) = get(&client(), &s, &second[s.base.len()..]).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("This link has expired"), "{html}");
    let (status, html) = post_token(&s, &second).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("This link has expired"), "{html}");
    let (_, status, html) = sign_in(&s, "rae@dogwood.example", NEW_PASSWORD).await;
    assert!(
        status == StatusCode::OK && html.contains("do not match"),
        "no account was made: {html}"
    );
    assert!(audit_log(&dana, &s).await.contains("refused: expired"));
}

async fn a_reset_link_sets_a_new_password_and_ends_old_sessions(b: Backend) {
    let (_db, smtp, s) = start(b);
    let dana = first_admin(&s).await;
    let org = create_org(&dana, &s, "Elm Clinic", &[]).await;
    invite_by_email(&dana, &s, &org, "Pat Elm", "pat@elm.example").await;
    let (first_session, status, _, _) =
        use_link(&smtp.next().link("/link/"), "Pat Elm", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let (second_session, status, _) = sign_in(&s, "pat@elm.example", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);

    // The Accounts page offers a link by email or a temporary password.
    let (_, _, html) = get(&dana, &s, "/admin/users").await;
    assert!(html.contains("Email a link"), "{html}");
    let (status, _, html) = post(
        &dana,
        &s,
        "/admin/users/reset-password",
        &[
            ("csrf", &csrf_of(&html)),
            ("email", "pat@elm.example"),
            ("how", "link"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("A link to choose a new password is on its way to pat@elm.example"),
        "{html}"
    );
    assert!(!html.contains("temporary-password"), "{html}");
    // Nothing changes until the link is used.
    let (_, path, _) = get(&second_session, &s, "/account").await;
    assert_eq!(path, "/account");

    let mail = smtp.next();
    assert_eq!(mail.to, ["pat@elm.example"]);
    assert!(mail.subject.contains("new password"), "{}", mail.subject);
    let link = mail.link("/link/");
    let (_, _, page) = get(&client(), &s, &link[s.base.len()..]).await;
    assert!(page.contains("Choose a new password"), "{page}");
    let (pat, status, path, html) = use_link(&link, "", NEW_PASSWORD).await;
    assert_eq!(
        (status, path),
        (StatusCode::OK, format!("/orgs/{org}")),
        "signed in: {html}"
    );
    let (_, path, _) = get(&pat, &s, "/account").await;
    assert_eq!(path, "/account");

    // Every session from before has ended; only the new password signs in.
    for old in [&first_session, &second_session] {
        let (_, path, _) = get(old, &s, "/account").await;
        assert_eq!(path, "/login");
    }
    let (_, _, html) = sign_in(&s, "pat@elm.example", PASSWORD).await;
    assert!(html.contains("do not match"), "{html}");
    let (_, _, html) = sign_in(&s, "pat@elm.example", NEW_PASSWORD).await;
    assert!(!html.contains("do not match"), "{html}");

    let (status, html) = post_token(&s, &link).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("This link was already used"), "{html}");
    let log = audit_log(&dana, &s).await;
    for what in [
        "reset link emailed",
        "used: new password chosen, every session ended",
    ] {
        assert!(log.contains(what), "{what} in the audit log:\n{log}");
    }
}

/// Withdraws the invitation of `email` from the People page; returns the status and page.
async fn withdraw(c: &Client, s: &Server, org: &str, email: &str) -> (StatusCode, String) {
    let (_, _, html) = get(c, s, "/account").await;
    let (status, _, html) = post(
        c,
        s,
        &format!("/orgs/{org}/invitations/withdraw"),
        &[("csrf", &csrf_of(&html)), ("email", email)],
    )
    .await;
    (status, html)
}

async fn an_admin_withdraws_an_invitation_and_its_link_stops_working(b: Backend) {
    let (_db, smtp, s) = start(b);
    let dana = first_admin(&s).await;
    // Pat has an account, in another tenant.
    let birch = create_org(&dana, &s, "Birch Clinic", &[]).await;
    invite_by_email(&dana, &s, &birch, "Pat Birch", "pat@birch.example").await;
    let (pat, status, _, _) = use_link(&smtp.next().link("/link/"), "Pat Birch", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);

    // Fir Clinic's admin is Omar, who sees nothing of Birch Clinic.
    let fir = create_org(&dana, &s, "Fir Clinic", &[]).await;
    invite_by_email(&dana, &s, &fir, "Omar Fir", "omar@fir.example").await;
    let (omar, _, _, _) = use_link(&smtp.next().link("/link/"), "Omar Fir", PASSWORD).await;
    let (_, _, members) = get(&dana, &s, &format!("/orgs/{fir}/members")).await;
    let omar_id = {
        let at = members.find("omar@fir.example</td>").unwrap();
        let row = &members[at..];
        let from = row.find("/members/").unwrap() + "/members/".len();
        row[from..from + row[from..].find('/').unwrap()].to_owned()
    };
    let (_, _, html) = get(&dana, &s, &format!("/orgs/{fir}/members")).await;
    post(
        &dana,
        &s,
        &format!("/orgs/{fir}/members/{omar_id}/role"),
        &[("csrf", &csrf_of(&html)), ("role", "admin")],
    )
    .await;

    // Omar invites a new person and Pat's existing account.
    invite_by_email(&omar, &s, &fir, "Nora Fir", "nora@fir.example").await;
    let link = smtp.next().link("/link/");
    invite_by_email(&omar, &s, &fir, "Someone", "pat@birch.example").await;
    smtp.next();
    let (_, _, members) = get(&omar, &s, &format!("/orgs/{fir}/members")).await;
    assert!(
        members.contains("aria-label=\"Withdraw the invitation of nora@fir.example\""),
        "{members}"
    );

    // Withdrawing says the same for both, whether or not the email has an account.
    let (s1, new) = withdraw(&omar, &s, &fir, "nora@fir.example").await;
    let (s2, existing) = withdraw(&omar, &s, &fir, "PAT@birch.example ").await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    let said = |html: &str, email: &str| {
        let from = html.find("role=\"status\">").expect("a message");
        html[from..from + html[from..].find("</p>").unwrap()].replace(email, "EMAIL")
    };
    assert_eq!(
        said(&new, "nora@fir.example"),
        "role=\"status\">The invitation of EMAIL is withdrawn. If they got an email with a link, the link no longer works."
    );
    assert_eq!(
        said(&new, "nora@fir.example"),
        said(&existing, "pat@birch.example"),
        "the same words whether or not the email has an account"
    );
    let normal =
        |html: &str, email: &str| html.replace(&csrf_of(html), "CSRF").replace(email, "EMAIL");
    assert!(!existing.contains("Pat Birch"), "{existing}");
    assert!(!existing.contains("Invited, not joined yet"), "{existing}");

    // Once more (Pat has an account elsewhere), or an email never invited anywhere: the
    // same "no invitation waiting".
    let (_, again) = withdraw(&omar, &s, &fir, "pat@birch.example").await;
    let (_, nobody) = withdraw(&omar, &s, &fir, "nobody@fir.example").await;
    assert!(
        again.contains("pat@birch.example has no invitation waiting here"),
        "{again}"
    );
    assert_eq!(
        normal(&again, "pat@birch.example"),
        normal(&nobody, "nobody@fir.example")
    );
    // An empty email is named.
    let (status, empty) = withdraw(&omar, &s, &fir, " ").await;
    assert_eq!(status, StatusCode::OK);
    assert!(empty.contains("Email"), "{empty}");

    // Nora's link shows that the invitation was withdrawn, and does nothing.
    let (status, _, page) = get(&client(), &s, &link[s.base.len()..]).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("This invitation was withdrawn"), "{page}");
    let (status, html) = post_token(&s, &link).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("This invitation was withdrawn"), "{html}");
    let (_, _, html) = sign_in(&s, "nora@fir.example", NEW_PASSWORD).await;
    assert!(html.contains("do not match"), "no account was made: {html}");

    // Pat's home page no longer offers it, and accepting it finds nothing.
    let (_, _, home) = get(&pat, &s, "/").await;
    assert!(!home.contains("Fir Clinic"), "{home}");
    let (status, _, _) = post(
        &pat,
        &s,
        &format!("/invitations/{fir}/accept"),
        &[("csrf", &csrf_of(&home))],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Inviting Nora again sends a new link, which works; the withdrawn one stays dead.
    invite_by_email(&omar, &s, &fir, "Nora Fir", "nora@fir.example").await;
    let fresh = smtp.next().link("/link/");
    let (status, _, _) = get(&client(), &s, &link[s.base.len()..]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "replaced by the newer one");
    let (_, status, path, _) = use_link(&fresh, "Nora Fir", NEW_PASSWORD).await;
    assert_eq!((status, path), (StatusCode::OK, format!("/orgs/{fir}")));

    // Only the organization's admins withdraw; someone outside it gets 404.
    invite_by_email(&omar, &s, &fir, "Quinn", "quinn@fir.example").await;
    smtp.next();
    let (status, _) = withdraw(&pat, &s, &fir, "quinn@fir.example").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, members) = get(&omar, &s, &format!("/orgs/{fir}/members")).await;
    assert!(members.contains("quinn@fir.example"), "{members}");

    // Pat, invited again, declines: that is audited too.
    invite_by_email(&omar, &s, &fir, "Someone", "pat@birch.example").await;
    smtp.next();
    let (_, _, home) = get(&pat, &s, "/").await;
    let (status, _, _) = post(
        &pat,
        &s,
        &format!("/invitations/{fir}/decline"),
        &[("csrf", &csrf_of(&home))],
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (_, _, log) = get(&omar, &s, &format!("/orgs/{fir}/audit")).await;
    assert!(
        log.contains("<td>Invitation of pat@birch.example</td><td>declined</td><td>assessor</td>"),
        "{log}"
    );
    assert!(
        log.contains("<td>Invitation of nora@fir.example</td><td>withdrawn</td><td>assessor</td>"),
        "{log}"
    );
    let log = audit_log(&dana, &s).await;
    assert!(log.contains("refused: invitation withdrawn"), "{log}");
}

/// `hicp admin reset-password` on the server's database, with the environment cleared of
/// mail settings unless `env` gives them.
fn reset_cli(db: &Database, args: &[&str], env: &[(&str, String)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hicp"));
    cmd.args(["admin", "reset-password", "--database", &db.url])
        .args(args)
        .env_remove("HICP_SMTP_URL")
        .env_remove("HICP_MAIL_FROM")
        .env_remove("HICP_PUBLIC_URL")
        .env_remove("HICP_DATABASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

async fn the_command_line_emails_a_reset_link(b: Backend) {
    let (db, smtp, s) = start(b);
    let dana = first_admin(&s).await;
    let org = create_org(&dana, &s, "Gum Clinic", &[]).await;
    invite_by_email(&dana, &s, &org, "Pat Gum", "pat@gum.example").await;
    let (before, status, _, _) = use_link(&smtp.next().link("/link/"), "Pat Gum", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    let mail_options = smtp.serve_options(&s.base);
    let mail_options: Vec<&str> = mail_options.iter().map(String::as_str).collect();

    // Without mail, --link is a clear error, and nothing changes.
    let out = reset_cli(&db, &["--email", "pat@gum.example", "--link"], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--link needs email set up"), "{err}");
    assert!(err.contains("--smtp-url"), "{err}");
    // Half the mail options are named too.
    let out = reset_cli(
        &db,
        &[
            "--email",
            "pat@gum.example",
            "--link",
            "--smtp-url",
            "smtp://127.0.0.1:1",
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--smtp-url needs --mail-from"), "{err}");
    // An unknown account is named.
    let mut args = vec!["--email", "nobody@gum.example", "--link"];
    args.extend(&mail_options);
    let out = reset_cli(&db, &args, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--email: no account for nobody@gum.example"),
        "{err}"
    );
    assert!(smtp.none_within(std::time::Duration::from_millis(300)));
    let (_, path, _) = get(&before, &s, "/account").await;
    assert_eq!(path, "/account", "nothing changed");

    // With the options: a link is emailed, no password printed, nothing changes yet.
    let mut args = vec!["--email", "Pat@Gum.example", "--link"];
    args.extend(&mail_options);
    let out = reset_cli(&db, &args, &[]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("Emailed pat@gum.example a link to choose a new password"),
        "{said}"
    );
    assert!(!said.contains("temporary"), "{said}");
    let mail = smtp.next();
    assert_eq!(mail.to, ["pat@gum.example"]);
    assert!(mail.subject.contains("new password"), "{}", mail.subject);
    let first = mail.link("/link/");
    assert!(first.starts_with(&s.base), "{first}");
    let (_, path, _) = get(&before, &s, "/account").await;
    assert_eq!(
        path, "/account",
        "the old session works until the link is used"
    );

    // The same from the environment variables `hicp serve` reads; the newer link replaces
    // the older one.
    let env = [
        ("HICP_SMTP_URL", mail_options[1].to_owned()),
        ("HICP_MAIL_FROM", mail_options[3].to_owned()),
        ("HICP_PUBLIC_URL", mail_options[5].to_owned()),
    ];
    let out = reset_cli(&db, &["--email", "pat@gum.example", "--link"], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let link = smtp.next().link("/link/");
    assert_ne!(first, link);
    let (status, _, _) = get(&client(), &s, &first[s.base.len()..]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Using it sets the new password and ends the sessions from before.
    let (_, status, _, html) = use_link(&link, "", NEW_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, path, _) = get(&before, &s, "/account").await;
    assert_eq!(path, "/login", "the session from before has ended");
    let (_, _, html) = sign_in(&s, "pat@gum.example", PASSWORD).await;
    assert!(html.contains("do not match"), "{html}");
    let (_, _, html) = sign_in(&s, "pat@gum.example", NEW_PASSWORD).await;
    assert!(!html.contains("do not match"), "{html}");

    // A mail server that refuses: exit 1, its answer said, no link left working, audited.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hicp"))
        .args([
            "admin",
            "create-user",
            "--email",
            "bounce@gum.example",
            "--name",
            "Bounce",
            "--database",
            &db.url,
        ])
        .env("HICP_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut args = vec!["--email", "bounce@gum.example", "--link"];
    args.extend(&mail_options);
    let out = reset_cli(&db, &args, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the email to bounce@gum.example could not be sent, so nothing changed"),
        "{err}"
    );
    let log = audit_log(&dana, &s).await;
    for what in ["reset link emailed", "reset link not sent"] {
        assert!(log.contains(what), "{what} in the audit log:\n{log}");
    }

    // Without --link, the temporary password is printed as before.
    let out = reset_cli(&db, &["--email", "bounce@gum.example"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("temporary password"));
}
