//! The REST API over HTTP, black-box: the real binary, tokens made with
//! `hicp admin create-token`, on SQLite and PostgreSQL. This is docs/api.md's curl session.

#[macro_use]
mod support;

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use support::cli::{EXAMPLES, api_token, example, run_ok};
use support::web::*;
use support::{Backend, Database, Server};

on_both_backends!(
    a_token_drives_the_whole_assessment,
    tokens_are_scoped_and_errors_are_problem_details,
    an_invalid_answers_file_changes_nothing,
    evidence_uploads_downloads_and_deletes,
    scores_and_plan_equal_the_command_lines,
);

struct Api<'a> {
    c: Client,
    s: &'a Server,
    token: String,
}

impl Api<'_> {
    async fn send(&self, r: reqwest::RequestBuilder) -> (StatusCode, String, Value) {
        let r = r.bearer_auth(&self.token).send().await.unwrap();
        let status = r.status();
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = r.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, ct, body)
    }
    async fn get(&self, path: &str) -> (StatusCode, String, Value) {
        self.send(self.c.get(self.s.url(path))).await
    }
    async fn put_json(&self, path: &str, body: Value) -> (StatusCode, String, Value) {
        self.send(self.c.put(self.s.url(path)).json(&body)).await
    }
    async fn post_json(&self, path: &str, body: Value) -> (StatusCode, String, Value) {
        self.send(self.c.post(self.s.url(path)).json(&body)).await
    }
    async fn put_yaml(&self, path: &str, text: String) -> (StatusCode, String, Value) {
        self.send(
            self.c
                .put(self.s.url(path))
                .header("content-type", "application/yaml")
                .body(text),
        )
        .await
    }
}

async fn setup(b: Backend) -> (Database, Server) {
    let db = Database::new(b);
    let s = Server::start(&db);
    first_admin(&s).await;
    (db, s)
}

fn api<'a>(s: &'a Server, token: String) -> Api<'a> {
    Api {
        c: Client::new(),
        s,
        token,
    }
}

async fn new_org(a: &Api<'_>, name: &str) -> String {
    let (status, _, org) = a
        .post_json(
            "/api/v1/orgs",
            json!({"name": name, "profile": {"org_type": "physician-practice", "physicians": 6}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    assert_eq!(org["tier"], "small");
    org["id"].as_str().unwrap().to_owned()
}

async fn a_token_drives_the_whole_assessment(b: Backend) {
    let (db, s) = setup(b).await;
    let a = api(&s, api_token(&db, "dana@clinic.example", false));
    let org = new_org(&a, "Maple Street Family Practice").await;
    let (status, _, list) = a.get("/api/v1/orgs").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], org.as_str());

    // Import the example answers file: the same file the CLI reads.
    let file = std::fs::read_to_string(example("small-clinic")).unwrap();
    let (status, _, summary) = a
        .put_yaml(&format!("/api/v1/orgs/{org}/answers-file"), file)
        .await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert!(summary["changed"].as_u64().unwrap() > 10, "{summary}");

    // Save one answer with the version read; the same version again is stale.
    let (_, _, answers) = a
        .get(&format!("/api/v1/orgs/{org}/answers?limit=500"))
        .await;
    assert_eq!(answers["total"], answers["items"].as_array().unwrap().len());
    let first = &answers["items"][0];
    let criterion = first["criterion"].as_str().unwrap().to_owned();
    let version = first["version"].as_i64().unwrap();
    let path = format!("/api/v1/orgs/{org}/answers/{criterion}");
    let (status, _, saved) = a
        .put_json(
            &path,
            json!({"status": "largely", "version": version, "notes": "checked by script"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], version + 1);
    assert_eq!(saved["status"], "largely");
    let (status, ct, problem) = a
        .put_json(&path, json!({"status": "partial", "version": version}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(ct, "application/problem+json");
    assert_eq!(problem["current"]["status"], "largely");
    assert_eq!(problem["current"]["version"], version + 1);

    // Close a snapshot; the history lists it.
    let (status, _, closed) = a
        .send(a.c.post(s.url(&format!("/api/v1/orgs/{org}/snapshots"))))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{closed}");
    assert!(closed["snapshot"]["answered"].as_u64().unwrap() > 10);
    let (_, _, snaps) = a.get(&format!("/api/v1/orgs/{org}/snapshots")).await;
    assert_eq!(snaps["total"], 1);
    // The snapshot opens read-only with its report, as of the day it was closed.
    let snap = closed["snapshot"]["id"].as_str().unwrap();
    let (status, _, doc) = a
        .get(&format!(
            "/api/v1/orgs/{org}/snapshots/{snap}/reports/oscal-ar"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert!(doc.get("assessment-results").is_some(), "{doc}");
    let current = closed["next"].as_str().unwrap();
    let (status, _, _) = a
        .get(&format!(
            "/api/v1/orgs/{org}/snapshots/{current}/reports/oscal-ar"
        ))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the open assessment is no snapshot"
    );
    // The answer is still there, at the same version, after the close.
    let (_, _, again) = a
        .get(&format!("/api/v1/orgs/{org}/answers?limit=500"))
        .await;
    let kept = again["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["criterion"] == criterion.as_str())
        .unwrap();
    assert_eq!(kept["version"], version + 1);
    assert_eq!(kept["status"], "largely");

    // Reports download in every format.
    for (format, marker) in [
        ("oscal-ar", "assessment-results"),
        ("oscal-poam", "plan-of-action-and-milestones"),
        ("oscal-ap", "assessment-plan"),
    ] {
        let (status, _, doc) = a.get(&format!("/api/v1/orgs/{org}/reports/{format}")).await;
        assert_eq!(status, StatusCode::OK, "{format}");
        assert!(doc.get(marker).is_some(), "{format}: {doc}");
    }
    for format in ["html", "csv", "xlsx"] {
        let r =
            a.c.get(s.url(&format!("/api/v1/orgs/{org}/reports/{format}")))
                .bearer_auth(&a.token)
                .send()
                .await
                .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{format}");
        assert!(!r.bytes().await.unwrap().is_empty());
    }
    let (status, _, _) = a.get(&format!("/api/v1/orgs/{org}/reports/docx")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The OpenAPI document is served.
    let (status, _, doc) = a.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
}

async fn tokens_are_scoped_and_errors_are_problem_details(b: Backend) {
    let (db, s) = setup(b).await;
    let admin = api(&s, api_token(&db, "dana@clinic.example", false));
    let org = new_org(&admin, "Birch Clinic").await;
    let reader = api(&s, api_token(&db, "dana@clinic.example", true));

    // A read-only token reads, and may not write, whatever the user's roles.
    let (status, _, _) = reader.get(&format!("/api/v1/orgs/{org}/answers")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, ct, p) = reader
        .put_json(
            &format!("/api/v1/orgs/{org}/answers/1.S.A.c1"),
            json!({"status": "partial", "version": 0}),
        )
        .await;
    assert_eq!(
        (status, ct.as_str()),
        (StatusCode::FORBIDDEN, "application/problem+json")
    );
    assert_eq!(p["status"], 403);
    let (status, _, _) = reader
        .post_json("/api/v1/orgs", json!({"name": "Not allowed"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // No token, a wrong token, a session cookie: 401.
    let none = Client::new()
        .get(s.url("/api/v1/orgs"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    let wrong = api(&s, "hicp_0000".into());
    assert_eq!(wrong.get("/api/v1/orgs").await.0, StatusCode::UNAUTHORIZED);
    let browser = first_admin_client_or_sign_in(&s).await;
    let r = browser.get(s.url("/api/v1/orgs")).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "cookies are not read by the API"
    );

    // An organization of another tenant answers as one that does not exist.
    let outsider_email = "olga@other.example";
    add_outsider(&s, outsider_email).await;
    let outsider = api(&s, api_token(&db, outsider_email, false));
    for path in [
        format!("/api/v1/orgs/{org}/answers"),
        "/api/v1/orgs/no-such-org/answers".to_owned(),
    ] {
        let (status, _, p) = outsider.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(p["type"], "urn:hicp:problem:not-found");
    }

    // Bad input: located, never a 500.
    let path = format!("/api/v1/orgs/{org}/answers/1.S.A.c1");
    let (status, _, p) = admin
        .put_json(&path, json!({"status": "maybe", "version": 0}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "status");
    let (status, _, p) = admin.put_json(&path, json!({"status": "partial"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{p}");
    let (status, _, p) = admin
        .put_json(&path, json!({"status": "partial", "version": 9}))
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an unknown version is stale: {p}"
    );
    assert_eq!(p["current"], Value::Null);
    let (status, _, _) = admin
        .put_json(
            &format!("/api/v1/orgs/{org}/answers/9.Z.Z.c9"),
            json!({"status": "partial", "version": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, p) = admin.get("/api/v1/orgs?limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{p}");
    let r = admin
        .c
        .put(s.url(&path))
        .bearer_auth(&admin.token)
        .header("content-type", "text/plain")
        .body("status=partial")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

/// A browser session (cookie), to show the API ignores it.
async fn first_admin_client_or_sign_in(s: &Server) -> Client {
    let (c, status, _) = sign_in(s, "dana@clinic.example", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    c
}

/// An account that belongs to another organization only.
async fn add_outsider(s: &Server, email: &str) {
    let (c, _, _) = sign_in(s, "dana@clinic.example", PASSWORD).await;
    let other = create_org(&c, s, "Other tenant", &[]).await;
    add_member(&c, s, &other, email, "admin").await;
}

async fn an_invalid_answers_file_changes_nothing(b: Backend) {
    let (db, s) = setup(b).await;
    let a = api(&s, api_token(&db, "dana@clinic.example", false));
    let org = new_org(&a, "Cedar Clinic").await;
    let good = std::fs::read_to_string(example("small-clinic")).unwrap();
    // A valid file with one bad status near its end: nothing of it may be applied.
    let bad = good.replacen("status: implemented", "status: implemnted", 1);
    assert_ne!(bad, good);
    let (status, ct, p) = a
        .put_yaml(&format!("/api/v1/orgs/{org}/answers-file"), bad)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(ct, "application/problem+json");
    let e = &p["errors"][0];
    assert!(e["line"].as_u64().unwrap() > 1, "{p}");
    assert!(e["column"].as_u64().unwrap() >= 1, "{p}");
    assert!(e["message"].as_str().unwrap().contains("implemnted"), "{p}");
    let (_, _, answers) = a
        .get(&format!("/api/v1/orgs/{org}/answers?limit=500"))
        .await;
    assert!(
        answers["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["version"] == 0),
        "nothing was applied"
    );
}

async fn evidence_uploads_downloads_and_deletes(b: Backend) {
    let (db, s) = setup(b).await;
    let a = api(&s, api_token(&db, "dana@clinic.example", false));
    let org = new_org(&a, "Dogwood Clinic").await;
    let form = reqwest::multipart::Form::new()
        .text("criterion", "1.S.A.c1")
        .text("title", "Phishing training roster")
        .text("collected_on", "2026-01-15")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"name,date\nAna,2026-01-15\n".to_vec())
                .file_name("roster.csv"),
        );
    let (status, _, e) = a
        .send(
            a.c.post(s.url(&format!("/api/v1/orgs/{org}/evidence")))
                .multipart(form),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    assert_eq!(e["kind"], "file");
    let id = e["id"].as_str().unwrap().to_owned();
    let (_, _, list) = a.get(&format!("/api/v1/orgs/{org}/evidence")).await;
    assert_eq!(list["total"], 1);
    let r =
        a.c.get(s.url(&format!("/api/v1/orgs/{org}/evidence/{id}")))
            .bearer_auth(&a.token)
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["x-evidence-sha256"],
        e["sha256"].as_str().unwrap()
    );
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        b"name,date\nAna,2026-01-15\n"
    );
    // A file type we do not accept is refused, naming the field.
    let form = reqwest::multipart::Form::new()
        .text("criterion", "1.S.A.c1")
        .text("title", "script")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"<script>".to_vec()).file_name("x.html"),
        );
    let (status, _, p) = a
        .send(
            a.c.post(s.url(&format!("/api/v1/orgs/{org}/evidence")))
                .multipart(form),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "file");
    let (status, _, _) = a
        .send(a.c.delete(s.url(&format!("/api/v1/orgs/{org}/evidence/{id}"))))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = a
        .send(a.c.delete(s.url(&format!("/api/v1/orgs/{org}/evidence/{id}"))))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// For each example file imported through the API, `GET /scores`, `GET /plan` and
/// `GET /readiness` are the JSON of `hicp assess`, `hicp plan` and `hicp assess --nprm` on the
/// same file: one engine, one answer.
async fn scores_and_plan_equal_the_command_lines(b: Backend) {
    let (db, s) = setup(b).await;
    let a = api(&s, api_token(&db, "dana@clinic.example", false));
    let today = support::cli::today();
    for name in EXAMPLES {
        let path = example(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let org_name = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("name:"))
            .map(|n| n.trim().trim_matches('"').to_owned())
            .unwrap();
        let (status, _, org) = a.post_json("/api/v1/orgs", json!({"name": org_name})).await;
        assert_eq!(status, StatusCode::CREATED, "{org}");
        let org = org["id"].as_str().unwrap().to_owned();
        let (status, _, summary) = a
            .put_yaml(&format!("/api/v1/orgs/{org}/answers-file"), text)
            .await;
        assert_eq!(status, StatusCode::OK, "{name}: {summary}");
        for (what, args) in [
            ("scores", &["assess"][..]),
            ("plan", &["plan"][..]),
            ("readiness", &["assess", "--nprm"][..]),
        ] {
            let (status, _, got) = a.get(&format!("/api/v1/orgs/{org}/{what}")).await;
            assert_eq!(status, StatusCode::OK, "{name} {what}");
            if what != "readiness" {
                // Made once per revision: a client that has it is told it is current.
                let url = s.url(&format!("/api/v1/orgs/{org}/{what}"));
                let r = a.c.get(&url).bearer_auth(&a.token).send().await.unwrap();
                let tag = r.headers()["etag"].to_str().unwrap().to_owned();
                let r =
                    a.c.get(&url)
                        .bearer_auth(&a.token)
                        .header("If-None-Match", &tag)
                        .send()
                        .await
                        .unwrap();
                assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "{name} {what}");
            }
            let mut cli_args = args.to_vec();
            cli_args.extend([path.as_str(), "--format", "json", "--as-of", &today]);
            let cli: Value = serde_json::from_str(&run_ok(&cli_args)).unwrap();
            let diff = differences(&got, &cli, "");
            assert!(
                diff.is_empty(),
                "{name}: the API's {what} differ from `hicp {}`:\n{}",
                args.join(" "),
                diff.join("\n")
            );
        }
    }
}

/// Where two JSON values differ, as `path: left != right` lines (at most 20).
fn differences(a: &Value, b: &Value, at: &str) -> Vec<String> {
    let mut out = Vec::new();
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let (l, r) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                out.extend(differences(l, r, &format!("{at}.{k}")));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (l, r)) in x.iter().zip(y).enumerate() {
                out.extend(differences(l, r, &format!("{at}[{i}]")));
            }
        }
        _ if a != b => out.push(format!("{at}: {a} != {b}")),
        _ => {}
    }
    out.truncate(20);
    out
}
