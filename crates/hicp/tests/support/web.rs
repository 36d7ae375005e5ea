//! Helpers for black-box tests of `hicp serve` over HTTP: a client with cookies, the CSRF
//! token of a page, signing in, creating organizations and people.

#![allow(dead_code)]

use super::Server;
use reqwest::{Client, StatusCode};

pub const PASSWORD: &str = "a long enough passphrase";

pub fn client() -> Client {
    Client::builder().cookie_store(true).build().unwrap()
}

/// The CSRF token of a page (hidden field or meta tag).
pub fn csrf_of(html: &str) -> String {
    for marker in ["name=\"csrf\" value=\"", "name=\"csrf-token\" content=\""] {
        if let Some(i) = html.find(marker) {
            let rest = &html[i + marker.len()..];
            return rest[..rest.find('"').unwrap()].to_owned();
        }
    }
    panic!("no CSRF token in page:\n{html}")
}

/// The value of the first `name="NAME" value="..."` field of a page.
pub fn field_of(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let i = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in page:\n{html}"));
    let rest = &html[i + marker.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

pub async fn get(c: &Client, s: &Server, path: &str) -> (StatusCode, String, String) {
    let r = c.get(s.url(path)).send().await.unwrap();
    let (status, url) = (r.status(), r.url().path().to_owned());
    (status, url, r.text().await.unwrap())
}

pub async fn post(
    c: &Client,
    s: &Server,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let r = c.post(s.url(path)).form(form).send().await.unwrap();
    let (status, url) = (r.status(), r.url().path().to_owned());
    (status, url, r.text().await.unwrap())
}

/// An htmx request, as the questionnaire page sends it.
/// A GET as htmx sends it (a fragment, not a page); the body.
pub async fn htmx_get(c: &Client, s: &Server, path: &str) -> String {
    let r = c
        .get(s.url(path))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

pub async fn htmx(
    c: &Client,
    s: &Server,
    path: &str,
    csrf: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let r = c
        .post(s.url(path))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", csrf)
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

/// Sets up the first administrator; returns their signed-in client.
pub async fn first_admin(s: &Server) -> Client {
    let c = client();
    let (_, path, html) = get(&c, s, "/").await;
    assert_eq!(path, "/setup", "a new installation starts at setup");
    let csrf = csrf_of(&html);
    let (status, path, _) = post(
        &c,
        s,
        "/setup",
        &[
            ("csrf", &csrf),
            ("display_name", "Dana Admin"),
            ("email", "dana@clinic.example"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, "/orgs/new"));
    c
}

/// Creates an organization through the sizing interview; returns its id.
pub async fn create_org(c: &Client, s: &Server, name: &str, fields: &[(&str, &str)]) -> String {
    let (_, _, html) = get(c, s, "/orgs/new").await;
    let csrf = csrf_of(&html);
    let mut form = vec![("csrf", csrf.as_str()), ("name", name)];
    form.extend_from_slice(fields);
    let (status, path, html) = post(c, s, "/orgs/new", &form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    path.strip_prefix("/orgs/")
        .unwrap()
        .strip_suffix("/settings")
        .unwrap()
        .to_owned()
}

pub async fn sign_in(s: &Server, email: &str, password: &str) -> (Client, StatusCode, String) {
    let c = client();
    let (_, _, html) = get(&c, s, "/login").await;
    let csrf = csrf_of(&html);
    let (status, _, html) = post(
        &c,
        s,
        "/login",
        &[("csrf", &csrf), ("email", email), ("password", password)],
    )
    .await;
    (c, status, html)
}

/// Invites `email` to `org` as `role`, and has them join.
pub async fn add_member(c: &Client, s: &Server, org: &str, email: &str, role: &str) {
    invite(c, s, org, email, role).await;
    join(s, org, email).await;
}

/// Invites `email` to `org` as `role` (a new account gets [`PASSWORD`] as its first one).
pub async fn invite(c: &Client, s: &Server, org: &str, email: &str, role: &str) {
    let (_, _, html) = get(c, s, &format!("/orgs/{org}/members")).await;
    let csrf = csrf_of(&html);
    let (status, _, html) = post(
        c,
        s,
        &format!("/orgs/{org}/members"),
        &[
            ("csrf", &csrf),
            ("display_name", email),
            ("email", email),
            ("role", role),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("is invited as {role}")), "{html}");
}

/// The invited person signs in (choosing their own password at the first sign-in: the
/// same one, for the tests) and accepts the invitation to `org`.
pub async fn join(s: &Server, org: &str, email: &str) {
    let (p, status, _) = sign_in(s, email, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{email} signs in");
    let (_, path, html) = get(&p, s, "/").await;
    if path == "/account" {
        let csrf = csrf_of(&html);
        let (status, _, html) = post(
            &p,
            s,
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current_password", PASSWORD),
                ("new_password", PASSWORD),
                ("confirm_password", PASSWORD),
            ],
        )
        .await;
        assert!(
            html.contains("Your password is changed"),
            "{status}: {html}"
        );
    }
    let (_, _, html) = get(&p, s, "/").await;
    let csrf = csrf_of(&html);
    let (status, path, _) = post(
        &p,
        s,
        &format!("/invitations/{org}/accept"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!((status, path), (StatusCode::OK, format!("/orgs/{org}")));
}

/// Creates an organization through the sizing interview; returns its id and its settings page.
pub async fn create_org_page(
    c: &Client,
    s: &Server,
    name: &str,
    fields: &[(&str, &str)],
) -> (String, String) {
    let (_, _, html) = get(c, s, "/orgs/new").await;
    let csrf = csrf_of(&html);
    let mut form = vec![("csrf", csrf.as_str()), ("name", name)];
    form.extend_from_slice(fields);
    let (status, path, html) = post(c, s, "/orgs/new", &form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let id = path
        .strip_prefix("/orgs/")
        .unwrap()
        .strip_suffix("/settings")
        .unwrap()
        .to_owned();
    (id, html)
}

/// Turns on two-step sign-in for the signed-in `c`; returns the authenticator's key.
pub async fn enrol_totp(c: &Client, s: &Server) -> String {
    let (_, _, html) = get(c, s, "/account/mfa").await;
    let csrf = csrf_of(&html);
    let (_, _, html) = post(c, s, "/account/mfa/start", &[("csrf", &csrf)]).await;
    let secret = html
        .split("id=\"totp-secret\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the key is shown")
        .to_owned();
    let code = super::totp_code(&secret, 0);
    let (_, _, html) = post(
        c,
        s,
        "/account/mfa/confirm",
        &[("csrf", &csrf), ("code", &code)],
    )
    .await;
    assert!(html.contains("recovery-codes"), "{html}");
    secret
}

/// Imports an answers file on the import page, as its htmx form does.
pub async fn import_file(c: &Client, s: &Server, org: &str, yaml: &str) -> (StatusCode, String) {
    let (_, _, html) = get(c, s, &format!("/orgs/{org}/import")).await;
    let csrf = csrf_of(&html);
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(yaml.as_bytes().to_vec()).file_name("answers.yaml"),
    );
    let r = c
        .post(s.url(&format!("/orgs/{org}/import")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}
