//! The route table: every route of the web app and of the API, for every identity, with the
//! status it must answer. The routes are read from the router's source, so a new route that
//! is missing from this table fails the test.

#[macro_use]
mod support;

use reqwest::redirect::Policy;
use reqwest::{Client, Method, StatusCode};
use std::collections::{BTreeMap, BTreeSet};
use support::web::*;
use support::{Backend, Database, Server};

on_both_backends!(every_route_answers_every_identity_as_the_table_says);

/// Who asks, in the order of the table's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Anonymous,
    /// Admin of another organization only.
    Outsider,
    Viewer,
    Assessor,
    OrgAdmin,
    InstallationAdmin,
}

const WHO: [Who; 6] = [
    Who::Anonymous,
    Who::Outsider,
    Who::Viewer,
    Who::Assessor,
    Who::OrgAdmin,
    Who::InstallationAdmin,
];

/// What a request sends.
#[derive(Clone, Copy)]
enum Body {
    None,
    Form(&'static [(&'static str, &'static str)]),
    /// The same, as htmx sends it (fragments answer 200 even for a conflict).
    Htmx(&'static [(&'static str, &'static str)]),
    Multipart(&'static [(&'static str, &'static str)]),
    Json(&'static str),
    Yaml,
}

struct Row {
    method: Method,
    /// With `{org}`, `{criterion}` and `{id}` filled per identity.
    path: &'static str,
    body: Body,
    expect: [u16; 6],
}

fn row(method: Method, path: &'static str, body: Body, expect: [u16; 6]) -> Row {
    Row {
        method,
        path,
        body,
        expect,
    }
}

/// The table. Columns: anonymous, outsider, viewer, assessor, org admin, installation admin.
/// Pages answer 303 to the sign-in page for anonymous readers and 403 for an anonymous
/// change (no CSRF token); the API answers 401 without a token. Outsiders get 404.
fn table() -> Vec<Row> {
    use Body::*;
    let get = Method::GET;
    let post = Method::POST;
    let put = Method::PUT;
    let delete = Method::DELETE;
    const ANSWER: &[(&str, &str)] = &[("status", "partial"), ("version", "0")];
    const ACTION: &[(&str, &str)] = &[("status", "in_progress"), ("version", "0")];
    const LINK: &[(&str, &str)] = &[
        ("criterion", "1.S.A.c1"),
        ("title", "Policy"),
        ("url", "https://intranet.example/policy"),
    ];
    const PASTE: &[(&str, &str)] = &[("text", "not: [an answers file")];
    const INVENTORY: &[(&str, &str)] = &[(
        "file",
        "Name,IP Address,Category\nfrontdesk-01,10.0.1.15,Workstation\n",
    )];
    vec![
        row(get.clone(), "/healthz", None, [200; 6]),
        row(get.clone(), "/assets/{*path}", None, [200; 6]),
        row(get.clone(), "/setup", None, [303; 6]),
        row(
            post.clone(),
            "/setup",
            Form(&[
                ("display_name", "X"),
                ("email", "x@y.example"),
                ("password", "a long enough passphrase"),
            ]),
            [403, 303, 303, 303, 303, 303],
        ),
        row(get.clone(), "/login", None, [200; 6]),
        row(
            post.clone(),
            "/login",
            Form(&[
                ("email", "nobody@x.example"),
                ("password", "wrong password 123"),
            ]),
            [403, 200, 200, 200, 200, 200],
        ),
        // Single sign-on: this server has no identity providers, so there is none to use.
        row(get.clone(), "/login/sso/{provider}", None, [404; 6]),
        row(
            get.clone(),
            "/login/sso/{provider}/callback",
            None,
            [404; 6],
        ),
        // One-time links from email: an unknown one does nothing, for anyone.
        row(get.clone(), "/link/{token}", None, [404; 6]),
        row(
            post.clone(),
            "/link",
            Form(&[
                ("token", "no-such-token"),
                ("password", "a long enough passphrase"),
                ("confirm_password", "a long enough passphrase"),
            ]),
            [403, 404, 404, 404, 404, 404],
        ),
        // One organization each, except the installation admin: straight to it.
        row(get.clone(), "/", None, [303, 303, 303, 303, 303, 200]),
        row(
            post.clone(),
            "/invitations/{org}/{answer}",
            Form(&[]),
            [403, 404, 404, 404, 404, 404],
        ),
        row(
            get.clone(),
            "/account",
            None,
            [303, 200, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/login/mfa",
            None,
            [303, 200, 200, 200, 200, 200],
        ),
        // A session that is not half open has no second step: back to sign-in.
        row(
            post.clone(),
            "/login/mfa",
            Form(&[("code", "000000")]),
            [403, 303, 303, 303, 303, 303],
        ),
        row(
            get.clone(),
            "/account/mfa",
            None,
            [303, 200, 200, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/account/mfa/start",
            Form(&[]),
            [403, 200, 200, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/account/mfa/confirm",
            Form(&[("code", "000000")]),
            [403, 200, 200, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/account/mfa/disable",
            Form(&[("current_password", "not the password")]),
            [403, 200, 200, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/account/password",
            Form(&[
                ("current_password", "not the password"),
                ("new_password", "a brand new passphrase here"),
                ("confirm_password", "a brand new passphrase here"),
            ]),
            [403, 200, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/admin/users",
            None,
            [303, 403, 403, 403, 403, 200],
        ),
        row(
            get.clone(),
            "/admin/audit",
            None,
            [303, 403, 403, 403, 403, 200],
        ),
        row(
            post.clone(),
            "/admin/users/reset-password",
            Form(&[("email", "nobody@x.example")]),
            [403, 403, 403, 403, 403, 404],
        ),
        row(
            post.clone(),
            "/admin/users/reset-mfa",
            Form(&[("email", "nobody@x.example")]),
            [403, 403, 403, 403, 403, 404],
        ),
        row(
            post.clone(),
            "/admin/users/disable",
            Form(&[("email", "nobody@x.example")]),
            [403, 403, 403, 403, 403, 404],
        ),
        row(
            post.clone(),
            "/admin/users/enable",
            Form(&[("email", "nobody@x.example")]),
            [403, 403, 403, 403, 403, 404],
        ),
        row(
            get.clone(),
            "/account/tokens",
            None,
            [303, 200, 200, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/account/tokens",
            Form(&[("name", "route test")]),
            [403, 200, 200, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/account/tokens/{id}/revoke",
            Form(&[]),
            [403, 404, 404, 404, 404, 404],
        ),
        row(
            get.clone(),
            "/orgs/new",
            None,
            [303, 403, 403, 403, 403, 200],
        ),
        row(
            post.clone(),
            "/orgs/new",
            Form(&[("name", "Route test clinic")]),
            [403, 403, 403, 403, 403, 303],
        ),
        row(
            get.clone(),
            "/orgs/{org}",
            None,
            [303, 404, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/orgs/{org}/settings",
            None,
            [303, 404, 200, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/orgs/{org}/settings",
            Form(&[("tier", "small")]),
            [403, 404, 403, 403, 303, 303],
        ),
        row(
            post.clone(),
            "/orgs/{org}/settings/mfa",
            Form(&[]),
            [403, 404, 403, 403, 303, 303],
        ),
        row(
            post.clone(),
            "/orgs/{org}/settings/weights",
            Form(&[("weight-ransomware", "2")]),
            [403, 404, 403, 403, 303, 303],
        ),
        row(
            post.clone(),
            "/orgs/{org}/settings/profile",
            Form(&[("name", "Route test clinic"), ("physicians", "3")]),
            [403, 404, 403, 403, 303, 303],
        ),
        // Leaving every health system: admins of the organization only.
        row(
            post.clone(),
            "/orgs/{org}/settings/parent",
            Form(&[("parent", "")]),
            [403, 404, 403, 403, 303, 303],
        ),
        row(
            get.clone(),
            "/portfolio",
            None,
            [303, 200, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/orgs/{org}/search",
            None,
            [303, 404, 200, 200, 200, 200],
        ),
        // To the first question not answered yet.
        row(
            get.clone(),
            "/orgs/{org}/next-unanswered",
            None,
            [303, 404, 303, 303, 303, 303],
        ),
        row(
            get.clone(),
            "/help/glossary",
            None,
            [303, 200, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/portfolio.csv",
            None,
            [303, 200, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/orgs/{org}/staff",
            None,
            [303, 404, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/orgs/{org}/readiness",
            None,
            [303, 404, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/orgs/{org}/members",
            None,
            [303, 404, 200, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/orgs/{org}/members",
            Form(&[
                ("display_name", "New"),
                ("email", "new@clinic.example"),
                ("role", "viewer"),
                ("password", "a long enough passphrase"),
            ]),
            [403, 404, 403, 403, 200, 200],
        ),
        // No invitation for this email here: the admins get the People page saying so.
        row(
            post.clone(),
            "/orgs/{org}/invitations/withdraw",
            Form(&[("email", "nobody@clinic.example")]),
            [403, 404, 403, 403, 200, 200],
        ),
        row(
            post.clone(),
            "/orgs/{org}/members/{user}/role",
            Form(&[("role", "viewer")]),
            [403, 404, 403, 403, 200, 200],
        ),
        row(
            get.clone(),
            "/orgs/{org}/practices/{n}",
            None,
            [303, 404, 200, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/orgs/{org}/answers/{criterion}",
            Htmx(ANSWER),
            [403, 404, 403, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/orgs/{org}/evidence",
            // Not from htmx: back to the question (303) once added.
            Multipart(LINK),
            [403, 404, 403, 303, 303, 303],
        ),
        row(
            get.clone(),
            "/orgs/{org}/criteria/{criterion}/evidence",
            None,
            [303, 404, 403, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/orgs/{org}/evidence/{id}/delete",
            Form(&[("criterion", "1.S.A.c1")]),
            [403, 404, 403, 303, 303, 303],
        ),
        row(
            get.clone(),
            "/orgs/{org}/evidence/{id}",
            None,
            [303, 404, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/orgs/{org}/plan",
            None,
            [303, 404, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/orgs/{org}/download/{format}",
            None,
            [303, 404, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/orgs/{org}/plan/{action}",
            None,
            [303, 404, 200, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/orgs/{org}/plan/{action}",
            Htmx(ACTION),
            [403, 404, 403, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/orgs/{org}/plan/{action}/rank",
            Htmx(&[]),
            [403, 404, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/orgs/{org}/history",
            None,
            [303, 404, 200, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/orgs/{org}/history",
            Form(&[]),
            [403, 404, 403, 303, 303, 303],
        ),
        row(
            get.clone(),
            "/orgs/{org}/history/{snapshot}/{format}",
            None,
            [303, 404, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/orgs/{org}/export.yaml",
            None,
            [303, 404, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/orgs/{org}/import",
            None,
            [303, 404, 200, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/orgs/{org}/import",
            Multipart(PASTE),
            [403, 404, 403, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/orgs/{org}/evidence-import",
            None,
            [303, 404, 200, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/orgs/{org}/evidence-import",
            Multipart(INVENTORY),
            [403, 404, 403, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/orgs/{org}/evidence-import/accept",
            Form(&[]),
            [403, 404, 403, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/orgs/{org}/email",
            None,
            [303, 404, 200, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/orgs/{org}/email",
            Form(&[("domain", "clinic.example"), ("dkim_selectors", "s1")]),
            [403, 404, 403, 303, 303, 303],
        ),
        row(
            post.clone(),
            "/orgs/{org}/email/{domain}/check",
            Form(&[]),
            [403, 404, 403, 404, 404, 404],
        ),
        row(
            post.clone(),
            "/orgs/{org}/email/{domain}/remove",
            Form(&[]),
            [403, 404, 403, 404, 404, 404],
        ),
        row(
            get.clone(),
            "/orgs/{org}/audit",
            None,
            [303, 404, 403, 403, 200, 200],
        ),
        row(
            post.clone(),
            "/orgs/{org}/sub-practices/{sp}",
            Form(&[("opted_in", "false")]),
            [403, 404, 403, 303, 303, 303],
        ),
        // The API.
        row(get.clone(), "/api/v1/openapi.json", None, [200; 6]),
        row(get.clone(), "/api/v1/docs", None, [200; 6]),
        row(
            get.clone(),
            "/api/v1/orgs",
            None,
            [401, 200, 200, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/api/v1/orgs",
            Json(r#"{"name": "API clinic"}"#),
            [401, 403, 403, 403, 403, 201],
        ),
        row(
            get.clone(),
            "/api/v1/orgs/{org}/answers",
            None,
            [401, 404, 200, 200, 200, 200],
        ),
        row(
            put.clone(),
            "/api/v1/orgs/{org}/answers/{criterion}",
            Json(r#"{"status": "largely", "version": 1}"#),
            [401, 404, 403, 200, 200, 200],
        ),
        row(
            put.clone(),
            "/api/v1/orgs/{org}/answers-file",
            Yaml,
            [401, 404, 403, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/orgs/{org}/scores",
            None,
            [401, 404, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/orgs/{org}/readiness",
            None,
            [401, 404, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/orgs/{org}/plan",
            None,
            [401, 404, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/orgs/{org}/plan/findings",
            None,
            [401, 404, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/orgs/{org}/snapshots",
            None,
            [401, 404, 200, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/api/v1/orgs/{org}/snapshots",
            None,
            [401, 404, 403, 201, 201, 201],
        ),
        row(
            get.clone(),
            "/api/v1/orgs/{org}/snapshots/{id}/reports/{format}",
            None,
            [401, 404, 200, 200, 200, 200],
        ),
        row(
            get.clone(),
            "/api/v1/orgs/{org}/evidence",
            None,
            [401, 404, 200, 200, 200, 200],
        ),
        row(
            post.clone(),
            "/api/v1/orgs/{org}/evidence",
            Multipart(LINK),
            [401, 404, 403, 201, 201, 201],
        ),
        row(
            post.clone(),
            "/api/v1/orgs/{org}/evidence-imports",
            Multipart(INVENTORY),
            [401, 404, 403, 201, 201, 201],
        ),
        row(
            get.clone(),
            "/api/v1/orgs/{org}/evidence/{id}",
            None,
            [401, 404, 200, 200, 200, 200],
        ),
        row(
            delete.clone(),
            "/api/v1/orgs/{org}/evidence/{id}",
            None,
            [401, 404, 403, 204, 204, 204],
        ),
        row(
            get.clone(),
            "/api/v1/orgs/{org}/reports/{format}",
            None,
            [401, 404, 200, 200, 200, 200],
        ),
        // Last: they end the session (every session of the user, then this one, which is
        // gone by then: its CSRF token is refused).
        row(
            post.clone(),
            "/account/sign-out-everywhere",
            Form(&[]),
            [403, 303, 303, 303, 303, 303],
        ),
        row(post.clone(), "/logout", Form(&[]), [403; 6]),
    ]
}

/// The routes the router declares, read from its source: `.route("PATH", get(..).post(..))`.
fn declared_routes() -> BTreeSet<(String, String)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../hicp-web/src");
    let mut files = vec![format!("{root}/lib.rs")];
    for e in std::fs::read_dir(format!("{root}/api")).unwrap() {
        files.push(e.unwrap().path().display().to_string());
    }
    let mut out = BTreeSet::new();
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        let mut rest = src.as_str();
        while let Some(i) = rest.find(".route(") {
            let after = &rest[i + ".route(".len()..];
            // The call's text: up to its closing parenthesis.
            let mut depth = 1;
            let mut end = 0;
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
            let call = &after[..end];
            let q1 = call.find('"').unwrap();
            let q2 = q1 + 1 + call[q1 + 1..].find('"').unwrap();
            let path = call[q1 + 1..q2].to_owned();
            let methods = &call[q2..];
            for m in ["get", "post", "put", "delete", "patch"] {
                let pat = format!("{m}(");
                let mut k = 0;
                while let Some(p) = methods[k..].find(&pat) {
                    let at = k + p;
                    let before = methods[..at].chars().last().unwrap_or(' ');
                    if !(before.is_alphanumeric() || before == '_' || before == ':') {
                        out.insert((m.to_uppercase(), path.clone()));
                    }
                    k = at + pat.len();
                }
            }
            rest = &after[end..];
        }
    }
    out
}

/// The concrete path of a table row for one identity.
fn concrete(path: &str, ids: &BTreeMap<&str, String>) -> String {
    let format = if path.starts_with("/api/") {
        "csv"
    } else {
        "plan.csv"
    };
    let mut p = path
        .replace("{*path}", "app.css")
        .replace("{n}", "1")
        .replace("{format}", format)
        .replace("{action}", "1.S.A.a1")
        .replace("{sp}", "1.M.A")
        .replace("{answer}", "decline")
        .replace("{provider}", "entra")
        // A domain nobody added: its check and removal are "not found" (and ask no DNS).
        .replace("{domain}", "not-added.example");
    // `{id}` is a piece of evidence under /evidence/, a snapshot under /snapshots/, else an
    // API token.
    let id = if p.contains("/evidence/") && p.ends_with("/delete") {
        "evidence-to-delete"
    } else if p.contains("/evidence/") {
        "evidence"
    } else if p.contains("/snapshots/") {
        "snapshot"
    } else {
        "token"
    };
    p = p.replace("{id}", &ids[id]);
    for (k, v) in ids {
        p = p.replace(&format!("{{{k}}}"), v);
    }
    p
}

async fn every_route_answers_every_identity_as_the_table_says(b: Backend) {
    // The table covers exactly the declared routes (paths as declared).
    let declared = declared_routes();
    let tabled: BTreeSet<(String, String)> = table()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    let missing: Vec<_> = declared.difference(&tabled).collect();
    let stale: Vec<_> = tabled.difference(&declared).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "routes missing from the table: {missing:?}; rows for no route: {stale:?}"
    );

    let db = Database::new(b);
    let s = Server::start(&db);
    let dana = first_admin(&s).await; // installation admin
    let org = create_org(&dana, &s, "Route clinic", &[]).await;
    let other = create_org(&dana, &s, "Other tenant", &[]).await;
    add_member(&dana, &s, &org, "vera@clinic.example", "viewer").await;
    add_member(&dana, &s, &org, "asa@clinic.example", "assessor").await;
    add_member(&dana, &s, &org, "olaf@clinic.example", "admin").await;
    add_member(&dana, &s, &other, "otto@other.example", "admin").await;
    // Vera's user id, from the members page's role form.
    let vera = {
        let page = dana
            .get(s.url(&format!("/orgs/{org}/members")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let row = &page[page.find("vera@clinic.example").unwrap()..];
        let at = row.find("/members/").unwrap() + "/members/".len();
        row[at..at + row[at..].find('/').unwrap()].to_owned()
    };

    let email = |w: Who| match w {
        Who::Anonymous => None,
        Who::Outsider => Some("otto@other.example"),
        Who::Viewer => Some("vera@clinic.example"),
        Who::Assessor => Some("asa@clinic.example"),
        Who::OrgAdmin => Some("olaf@clinic.example"),
        Who::InstallationAdmin => Some("dana@clinic.example"),
    };
    // Each identity: a browser session without redirects, its CSRF token, an API token, and
    // things of its own (a criterion to answer, evidence to read and delete).
    struct Id {
        c: Client,
        csrf: String,
        token: String,
        ids: BTreeMap<&'static str, String>,
    }
    let mut who_ids = Vec::new();
    let admin_token = api_token(&db, "dana@clinic.example");
    let snapshot = {
        let r = Client::new()
            .post(s.url(&format!("/api/v1/orgs/{org}/snapshots")))
            .bearer_auth(&admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let v: serde_json::Value = r.json().await.unwrap();
        v["snapshot"]["id"].as_str().unwrap().to_owned()
    };
    for (i, w) in WHO.iter().enumerate() {
        let c = Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap();
        let (csrf, token) = match email(*w) {
            None => (String::new(), String::new()),
            Some(e) => {
                let r = c.get(s.url("/login")).send().await.unwrap();
                let csrf = csrf_of(&r.text().await.unwrap());
                let r = c
                    .post(s.url("/login"))
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("email", e),
                        ("password", PASSWORD),
                    ])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::SEE_OTHER, "{e} signs in");
                let r = c.get(s.url("/account/tokens")).send().await.unwrap();
                (csrf_of(&r.text().await.unwrap()), api_token(&db, e))
            }
        };
        let mut ids = BTreeMap::new();
        ids.insert("org", org.clone());
        ids.insert("token", "no-such-token".to_owned());
        ids.insert(
            "criterion",
            format!("2.S.A.c{}", i.min(4) + 1).replace(
                "2.S.A.c5",
                if *w == Who::InstallationAdmin {
                    "3.S.A.c1"
                } else {
                    "2.S.A.c5"
                },
            ),
        );
        ids.insert("evidence", file_evidence(&s, &admin_token, &org, i).await);
        // A second piece for the page that deletes (the API deletes the first).
        ids.insert(
            "evidence-to-delete",
            file_evidence(&s, &admin_token, &org, 100 + i).await,
        );
        ids.insert("snapshot", snapshot.clone());
        ids.insert("user", vera.clone());
        who_ids.push((
            *w,
            Id {
                c,
                csrf,
                token,
                ids,
            },
        ));
    }
    let yaml = std::fs::read_to_string(support::cli::example("small-clinic")).unwrap();

    let mut wrong = Vec::new();
    for r in table() {
        for (col, (w, id)) in who_ids.iter().enumerate() {
            let path = concrete(r.path, &id.ids);
            let mut req = id.c.request(r.method.clone(), s.url(&path));
            let api = path.starts_with("/api/");
            if api && !id.token.is_empty() {
                req = req.bearer_auth(&id.token);
            }
            let with_csrf = |form: &[(&str, &str)]| {
                let mut f: Vec<(String, String)> = form
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect();
                if !id.csrf.is_empty() {
                    f.push(("csrf".into(), id.csrf.clone()));
                }
                f
            };
            req = match r.body {
                Body::None => req,
                Body::Form(f) => req.form(&with_csrf(f)),
                Body::Htmx(f) => req
                    .header("HX-Request", "true")
                    .header("X-CSRF-Token", &id.csrf)
                    .form(&with_csrf(f)),
                Body::Multipart(f) => {
                    let mut form = reqwest::multipart::Form::new();
                    for (k, v) in f {
                        form = form.text(*k, *v);
                    }
                    req.header("X-CSRF-Token", &id.csrf).multipart(form)
                }
                Body::Json(j) => req.header("content-type", "application/json").body(j),
                Body::Yaml => req
                    .header("content-type", "application/yaml")
                    .body(yaml.clone()),
            };
            let got = req.send().await.unwrap().status().as_u16();
            if got != r.expect[col] {
                wrong.push(format!(
                    "{} {} as {w:?}: {got}, expected {}",
                    r.method, r.path, r.expect[col]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn api_token(db: &Database, email: &str) -> String {
    let out = support::cli::run_ok(&[
        "admin",
        "create-token",
        "--email",
        email,
        "--database",
        &db.url,
    ]);
    out.lines().last().unwrap().trim().to_owned()
}

/// A file evidence of the organization (made through the API), one per identity.
async fn file_evidence(s: &Server, token: &str, org: &str, i: usize) -> String {
    let form = reqwest::multipart::Form::new()
        .text("criterion", "1.S.A.c1")
        .text("title", format!("Roster {i}"))
        .part(
            "file",
            reqwest::multipart::Part::bytes(format!("roster {i}\n").into_bytes())
                .file_name("roster.txt"),
        );
    let r = Client::new()
        .post(s.url(&format!("/api/v1/orgs/{org}/evidence")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: serde_json::Value = r.json().await.unwrap();
    v["id"].as_str().unwrap().to_owned()
}
