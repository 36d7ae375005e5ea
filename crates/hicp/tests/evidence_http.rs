//! Technical evidence over HTTP, black-box, on SQLite and PostgreSQL: the import's web upload
//! page (with and without htmx), accepting suggested answers, and the API endpoint that
//! returns the JSON of `hicp evidence import` (real public exports from
//! `crates/hicp-evidence/tests/fixtures`); and the email domain check, read from a zone file
//! (`hicp serve --dns-zone`), kept as dated evidence and shown in the report.

#[macro_use]
mod support;

use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use std::path::PathBuf;
use support::cli::{api_token, run_ok, today};
use support::web::*;
use support::{Backend, Database, Server};

on_both_backends!(
    a_file_uploaded_in_the_web_app_becomes_evidence_with_suggestions,
    the_api_import_returns_the_command_lines_json_and_stores_dated_evidence,
    uploads_over_the_limit_are_refused,
    the_email_check_is_dated_evidence_and_in_the_report,
    kev_listed_findings_lead_the_plan_page_and_the_api,
    kev_listed_findings_lead_the_report_not_a_closed_snapshots,
    a_kev_file_imported_after_a_scan_flags_it_and_the_exports_carry_the_findings,
);

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../hicp-evidence/tests/fixtures")
        .join(rel)
}

fn file_part(rel: &str) -> Part {
    let path = fixture(rel);
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    Part::bytes(std::fs::read(&path).unwrap()).file_name(name)
}

const SMALL: &[(&str, &str)] = &[("org_type", "physician-practice"), ("physicians", "6")];

/// The page's upload form, as a browser without JavaScript sends it.
async fn upload(c: &Client, s: &Server, org: &str, csrf: &str, file: Part) -> (StatusCode, String) {
    let form = Form::new().text("csrf", csrf.to_owned()).part("file", file);
    let r = c
        .post(s.url(&format!("/orgs/{org}/evidence-import")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn a_file_uploaded_in_the_web_app_becomes_evidence_with_suggestions(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let c = first_admin(&s).await;
    let org = create_org(&c, &s, "Birch Clinic", SMALL).await;

    // Reached from the import and export page.
    let (_, _, html) = get(&c, &s, &format!("/orgs/{org}/import")).await;
    assert!(
        html.contains(&format!("/orgs/{org}/evidence-import")),
        "{html}"
    );
    let (status, _, html) = get(&c, &s, &format!("/orgs/{org}/evidence-import")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("enctype=\"multipart/form-data\""), "{html}");
    let csrf = csrf_of(&html);

    // A file that is no evidence: a clear error, and nothing is stored.
    let (status, html) = upload(
        &c,
        &s,
        &org,
        &csrf,
        Part::bytes(b"Dear team,\nthe printer is broken.\n".to_vec()).file_name("note.txt"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("Nothing was imported."), "{html}");
    assert!(html.contains("is not a kind of file we can read"), "{html}");
    // A KEV catalog alone is kept as the organization's, not as evidence about it.
    let (status, html) = upload(
        &c,
        &s,
        &org,
        &csrf,
        file_part("kev/known_exploited_vulnerabilities.csv"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("It is this organization&#39;s KEV catalog now"),
        "{html}"
    );
    assert!(html.contains("not stored on any question"), "{html}");
    let (_, _, page5) = get(&c, &s, &format!("/orgs/{org}/practices/5")).await;
    assert!(!page5.contains("class=\"evidence\""), "nothing stored");

    // A real inventory export: dated evidence on the questions it informs, suggestions.
    let (status, html) = upload(&c, &s, &org, &csrf, file_part("inventory/cmdb_export.csv")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Imported cmdb_export.csv. It is stored as evidence on 3 questions"),
        "{html}"
    );
    assert!(
        html.contains("5 assets listed, 2 recognized as medical devices."),
        "{html}"
    );
    assert!(html.contains("86dfaca6d0f503f8c07a31396ef6ab6b2140b8b3b2ed5a495a9f9dbedcd62561"));
    // The small practice's questions; the medium ones are named as outside its assessment.
    for c in ["5.S.A.c1", "5.S.A.c2", "9.S.A.c1"] {
        assert!(
            html.contains(&format!("id=\"suggestion-{}\"", c.replace('.', "-"))),
            "{c}"
        );
    }
    assert!(
        html.contains("5.M.A.c1, 5.M.A.c2, 9.M.D.c1, which are not part"),
        "{html}"
    );
    // Only a suggestion that differs from the answer can be ticked; nothing is ticked.
    assert!(
        html.contains("name=\"accept\" value=\"5.S.A.c2|partial|0\""),
        "{html}"
    );
    assert_eq!(html.matches("name=\"accept\"").count(), 1, "{html}");
    assert!(!html.contains("checked"), "{html}");

    let (_, _, page5) = get(&c, &s, &format!("/orgs/{org}/practices/5")).await;
    // Two questions of practice 5, one stored copy of the file each.
    let link = format!("href=\"/orgs/{org}/evidence/");
    assert_eq!(page5.matches(&link).count(), 2, "{page5}");
    assert!(page5.contains("asset inventory CSV cmdb_export.csv: The inventory lists 5 assets."));
    assert!(page5.contains(&format!("collected {}", today())), "{page5}");
    let (_, _, page9) = get(&c, &s, &format!("/orgs/{org}/practices/9")).await;
    assert!(page9.contains("2 medical device(s) recognized by category"));
    // No answer changed by the import.
    assert!(page5.contains("id=\"unanswered-5-S-A-c2\""), "{page5}");
    let (_, _, audit) = get(&c, &s, &format!("/orgs/{org}/audit?entity=import")).await;
    assert!(
        audit.contains("inventory asset inventory CSV cmdb_export.csv"),
        "{audit}"
    );

    // Accepting the ticked suggestion: one click, audited; the same again is stale.
    let accept = [("csrf", csrf.as_str()), ("accept", "5.S.A.c2|partial|0")];
    let path = format!("/orgs/{org}/evidence-import/accept");
    let (status, _, html) = post(&c, &s, &path, &accept).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("1 answer changed."), "{html}");
    assert!(html.contains("5.S.A.c2</a> is now: Partly"), "{html}");
    let (_, _, html) = post(&c, &s, &path, &accept).await;
    assert!(html.contains("0 answers changed."), "{html}");
    assert!(
        html.contains("Someone changed this answer since the import"),
        "{html}"
    );
    let (_, _, audit) = get(&c, &s, &format!("/orgs/{org}/audit?entity=answer")).await;
    assert!(audit.contains("5.S.A.c2"), "{audit}");
    let (status, _, _) = post(
        &c,
        &s,
        &path,
        &[
            ("csrf", csrf.as_str()),
            ("accept", "5.S.A.c2|not_applicable|1"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // With htmx (JavaScript on): the result as a fragment.
    let r = c
        .post(s.url(&format!("/orgs/{org}/evidence-import")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .multipart(Form::new().part("file", file_part("mscp/hicp_lp_baseline.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(!html.contains("<html"), "{html}");
    assert!(html.contains("Imported hicp_lp_baseline.csv."), "{html}");
    assert!(html.contains("Configuration rules:"), "{html}");

    // A viewer sees the page but cannot import.
    add_member(&c, &s, &org, "val@clinic.example", "viewer").await;
    let (v, _, _) = sign_in(&s, "val@clinic.example", PASSWORD).await;
    let (status, _, html) = get(&v, &s, &format!("/orgs/{org}/evidence-import")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Only admins and assessors can import files."));
    let vcsrf = csrf_of(&html);
    let (status, _) = upload(&v, &s, &org, &vcsrf, file_part("inventory/cmdb_export.csv")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = post(
        &v,
        &s,
        &path,
        &[("csrf", vcsrf.as_str()), ("accept", "5.S.A.c1|partial|0")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn api_import(s: &Server, token: &str, org: &str, form: Form) -> (StatusCode, Value) {
    let r = Client::new()
        .post(s.url(&format!("/api/v1/orgs/{org}/evidence-imports")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// An API request with the bearer `token`.
async fn api_send(
    s: &Server,
    token: &str,
    method: reqwest::Method,
    path: &str,
) -> reqwest::Response {
    Client::new()
        .request(method, s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// The body of a GET through the API, which must answer 200.
async fn api_bytes(s: &Server, token: &str, path: &str) -> Vec<u8> {
    let r = api_send(s, token, reqwest::Method::GET, path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.bytes().await.unwrap().to_vec()
}

async fn api_get(s: &Server, token: &str, path: &str) -> Value {
    serde_json::from_slice(&api_bytes(s, token, path).await).unwrap()
}

/// Closes the open assessment of `org` as a snapshot through the API; its id.
async fn api_close(s: &Server, token: &str, org: &str) -> String {
    let r = api_send(
        s,
        token,
        reqwest::Method::POST,
        &format!("/api/v1/orgs/{org}/snapshots"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let closed: Value = r.json().await.unwrap();
    closed["snapshot"]["id"].as_str().unwrap().to_owned()
}

async fn the_api_import_returns_the_command_lines_json_and_stores_dated_evidence(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let c = first_admin(&s).await;
    let org = create_org(&c, &s, "Birch Clinic", SMALL).await;
    let admin = api_token(&db, "dana@clinic.example", false);

    // A file that cannot be read: 422 naming the field, nothing stored.
    let (status, problem) = api_import(
        &s,
        &admin,
        &org,
        Form::new().part(
            "file",
            Part::bytes(b"<html><p>hi</p></html>".to_vec()).file_name("a.xml"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "file", "{problem}");
    // The wrong kind, and a broken KEV catalog, likewise.
    let form = Form::new()
        .text("kind", "qualys")
        .part("file", file_part("nessus/nessus_with_cvssv3.nessus"));
    let (status, problem) = api_import(&s, &admin, &org, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("not qualys"),
        "{problem}"
    );
    let form = Form::new()
        .part("file", file_part("nessus/nessus_with_cvssv3.nessus"))
        .part(
            "kev",
            Part::bytes(b"{\"nothing\": 1}".to_vec()).file_name("kev.json"),
        );
    let (status, problem) = api_import(&s, &admin, &org, form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "kev", "{problem}");
    let (status, problem) = api_import(&s, &admin, &org, Form::new().text("kind", "auto")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "file", "{problem}");
    let listed = api_get(&s, &admin, &format!("/api/v1/orgs/{org}/evidence")).await;
    assert_eq!(listed["total"], 0, "{listed}");

    // A read-only token, and a viewer, may not import.
    let (status, _) = api_import(
        &s,
        &api_token(&db, "dana@clinic.example", true),
        &org,
        Form::new().part("file", file_part("inventory/cmdb_export.csv")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    add_member(&c, &s, &org, "val@clinic.example", "viewer").await;
    let (status, _) = api_import(
        &s,
        &api_token(&db, "val@clinic.example", false),
        &org,
        Form::new().part("file", file_part("inventory/cmdb_export.csv")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A real Nessus scan with CISA's KEV catalog: the command line's JSON, plus the evidence.
    let form = Form::new()
        .part("file", file_part("nessus/nessus_with_cvssv3.nessus"))
        .part("kev", file_part("kev/known_exploited_vulnerabilities.json"));
    let (status, mut body) = api_import(&s, &admin, &org, form).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let evidence = body.as_object_mut().unwrap().remove("evidence").unwrap();
    // The catalog given is kept as the organization's (nothing was stored to re-flag).
    let kev_kept = body.as_object_mut().unwrap().remove("kev_kept").unwrap();
    assert_eq!(kev_kept["entries"], 1404, "{kev_kept}");
    assert_eq!(
        (kev_kept["reflagged"].clone(), kev_kept["listed"].clone()),
        (0.into(), 1.into())
    );
    assert_eq!(
        body.as_object_mut().unwrap().remove("kev_used").unwrap(),
        "given"
    );
    let nessus = fixture("nessus/nessus_with_cvssv3.nessus");
    let kev = fixture("kev/known_exploited_vulnerabilities.json");
    let mut cli: Value = serde_json::from_str(&run_ok(&[
        "evidence",
        "import",
        nessus.to_str().unwrap(),
        "--kev",
        kev.to_str().unwrap(),
        "--format",
        "json",
    ]))
    .unwrap();
    cli["source"]["file"] = "nessus_with_cvssv3.nessus".into();
    assert_eq!(body, cli, "the API's JSON is the command line's");
    assert_eq!(body["records"], 49);
    assert_eq!(
        body["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kev"] == true)
            .count(),
        1
    );

    // Stored once, on the small practice's remediation question, dated by the scan.
    let evidence = evidence.as_array().unwrap();
    assert_eq!(evidence.len(), 1, "{evidence:?}");
    let e = &evidence[0];
    assert_eq!(e["criterion"], "7.S.A.c3");
    assert_eq!(e["collected_on"], "2022-03-23");
    assert_eq!(e["sha256"], body["source"]["sha256"]);
    assert_eq!(e["file_name"], "nessus_with_cvssv3.nessus");
    assert_eq!(e["content_type"], "application/xml");
    assert!(
        e["title"]
            .as_str()
            .unwrap()
            .starts_with("Nessus v2 XML nessus_with_cvssv3.nessus: 17 of 17 dated open findings"),
        "{e}"
    );
    // The stored bytes are the file's.
    let r = Client::new()
        .get(s.url(&format!(
            "/api/v1/orgs/{org}/evidence/{}",
            e["id"].as_str().unwrap()
        )))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        std::fs::read(&nessus).unwrap()
    );
    let listed = api_get(&s, &admin, &format!("/api/v1/orgs/{org}/evidence")).await;
    assert_eq!(listed["total"], 1, "{listed}");
    // Answers are untouched: the suggestion is for a person.
    let answers = api_get(&s, &admin, &format!("/api/v1/orgs/{org}/answers?limit=500")).await;
    let a = answers["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["criterion"] == "7.S.A.c3")
        .unwrap();
    assert_eq!(a["version"], 0, "{a}");
}

async fn uploads_over_the_limit_are_refused(b: Backend) {
    let db = Database::new(b);
    let s = Server::start_with(&db, &["--max-upload-mb", "1"]);
    let c = first_admin(&s).await;
    let org = create_org(&c, &s, "Birch Clinic", SMALL).await;
    let admin = api_token(&db, "dana@clinic.example", false);
    // 1.5 MB.
    let form = Form::new().part("file", file_part("nessus/nessus_with_cvssv3.nessus"));
    let (status, problem) = api_import(&s, &admin, &org, form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("larger than 1 MB"),
        "{problem}"
    );
    let (_, _, html) = get(&c, &s, &format!("/orgs/{org}/evidence-import")).await;
    let csrf = csrf_of(&html);
    let (status, html) = upload(
        &c,
        &s,
        &org,
        &csrf,
        file_part("nessus/nessus_with_cvssv3.nessus"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
    assert!(html.contains("larger than 1 MB"), "{html}");
    let listed = api_get(&s, &admin, &format!("/api/v1/orgs/{org}/evidence")).await;
    assert_eq!(listed["total"], 0, "{listed}");
}

async fn the_email_check_is_dated_evidence_and_in_the_report(b: Backend) {
    let db = Database::new(b);
    // A domain that publishes DMARC with p=none, as `hicp email check --zone` reads it.
    let zone = db.data_dir.path().join("dns.zone");
    let p_none = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/email/p-none.zone"),
    )
    .unwrap();
    std::fs::write(&zone, format!("$ORIGIN maplestreet.example.\n{p_none}")).unwrap();
    let s = Server::start_with(&db, &["--dns-zone", zone.to_str().unwrap()]);
    let c = first_admin(&s).await;
    // A medium organization: practice 1's medium criteria are in its assessment.
    let org = create_org(&c, &s, "Maple Street Clinic", &[("physicians", "30")]).await;
    let page = format!("/orgs/{org}/email");

    let (status, _, html) = get(&c, &s, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("<a href=\"{page}\">Email</a>")),
        "in the navigation"
    );
    assert!(html.contains("No email domain yet."));
    let csrf = csrf_of(&html);

    let (status, _, html) = post(
        &c,
        &s,
        &page,
        &[("csrf", &csrf), ("domain", "not a domain")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Domain: write the part after the @"),
        "{html}"
    );
    let (status, path, html) = post(
        &c,
        &s,
        &page,
        &[
            ("csrf", &csrf),
            ("domain", " MapleStreet.example. "),
            ("dkim_selectors", "s1"),
        ],
    )
    .await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, page.as_str()));
    assert!(html.contains("<h2>maplestreet.example</h2>"), "{html}");
    assert!(html.contains("DKIM selectors: s1."));
    assert!(html.contains("Not checked yet."));

    // Check now: the findings in plain words, the detail folded away, stored as evidence.
    let check = format!("/orgs/{org}/email/maplestreet.example/check");
    let (status, _, html) = post(&c, &s, &check, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains(
            "Checked maplestreet.example. It is kept as evidence, dated today, on question"
        ),
        "{html}"
    );
    assert!(html.contains("1.M.A.c3"), "{html}");
    assert!(
        html.contains("DMARC for maplestreet.example only watches (p=none): mail that forges your address is still delivered."),
        "{html}"
    );
    assert!(
        html.contains("What to do: Once the DMARC reports show"),
        "{html}"
    );
    assert!(html.contains("<summary>Technical detail (for IT)</summary>"));
    let today = today();
    assert!(html.contains(&format!("Last checked {today}.")), "{html}");

    let (_, _, practice) = get(&c, &s, &format!("/orgs/{org}/practices/1")).await;
    assert!(
        practice.contains("Email domain check of maplestreet.example"),
        "listed as evidence on practice 1"
    );
    assert!(practice.contains(&format!("email-check-maplestreet.example-{today}.txt")));
    let (status, _, report) = get(&c, &s, &format!("/orgs/{org}/download/report.html")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(report.contains("<section id=\"email\">"), "in the report");
    assert!(report.contains(&format!("maplestreet.example: checked {today}")));
    assert!(report.contains("only watches (p=none)"));
    let (_, _, audit) = get(&c, &s, &format!("/orgs/{org}/audit")).await;
    assert!(
        audit.contains("Email domain maplestreet.example"),
        "{audit}"
    );

    // A viewer reads the result, and cannot check or change.
    add_member(&c, &s, &org, "val@clinic.example", "viewer").await;
    let (v, _, _) = sign_in(&s, "val@clinic.example", PASSWORD).await;
    let (status, _, html) = get(&v, &s, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("only watches (p=none)"));
    assert!(!html.contains(">Check now</button>"));
    let vcsrf = csrf_of(&html);
    let (status, _, _) = post(&v, &s, &check, &[("csrf", &vcsrf)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Removing the domain keeps its checks as evidence.
    let remove = format!("/orgs/{org}/email/maplestreet.example/remove");
    let (status, _, html) = post(&c, &s, &remove, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No email domain yet."));
    let (status, _, _) = post(&c, &s, &check, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, practice) = get(&c, &s, &format!("/orgs/{org}/practices/1")).await;
    assert!(practice.contains("Email domain check of maplestreet.example"));
}

/// A real Nessus scan imported with CISA's KEV catalog (in the web app, as a person does):
/// its open findings are kept, and the plan starts with them, the KEV-listed one first, then
/// the most days past HICP Table 8; the API gives the same as `hicp plan --findings`. A
/// second import of the same scan replaces its findings instead of adding to them.
async fn kev_listed_findings_lead_the_plan_page_and_the_api(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let c = first_admin(&s).await;
    let org = create_org(&c, &s, "Birch Clinic", SMALL).await;
    let admin = api_token(&db, "dana@clinic.example", false);

    // No scan yet: the plan has no findings part, the API an empty list.
    let (_, _, html) = get(&c, &s, &format!("/orgs/{org}/plan")).await;
    assert!(!html.contains("Fix these first"), "{html}");
    let none = api_get(&s, &admin, &format!("/api/v1/orgs/{org}/plan/findings")).await;
    assert_eq!(none["open"], 0, "{none}");
    assert_eq!(none["items"], serde_json::json!([]), "{none}");

    let (_, _, html) = get(&c, &s, &format!("/orgs/{org}/evidence-import")).await;
    let csrf = csrf_of(&html);
    for _ in 0..2 {
        let form = Form::new()
            .text("csrf", csrf.clone())
            .part("file", file_part("nessus/nessus_with_cvssv3.nessus"))
            .part("kev", file_part("kev/known_exploited_vulnerabilities.json"));
        let r = c
            .post(s.url(&format!("/orgs/{org}/evidence-import")))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let html = r.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(
            html.contains("26 open findings kept for the action plan"),
            "{html}"
        );
    }

    let (status, _, html) = get(&c, &s, &format!("/orgs/{org}/plan")).await;
    assert_eq!(status, StatusCode::OK);
    let findings = html.find("Fix these first").expect("the findings part");
    let first_action = html.find("id=\"action-").expect("the plan's actions");
    assert!(findings < first_action, "findings come first");
    assert!(
        html.contains("and 17 past HICP") && html.contains("s time to fix for their severity."),
        "{html}"
    );
    assert!(
        html.contains("26 open findings from vulnerability scans: 1 known exploited by attackers"),
        "{html}"
    );
    let row = |rank: usize| {
        let at = html
            .find(&format!("id=\"finding-{rank}\""))
            .unwrap_or_else(|| panic!("row {rank}: {html}"));
        let end = html[at..].find("</tr>").unwrap() + at;
        html[at..end].to_owned()
    };
    let first = row(1);
    for want in [
        "testphp.vulnweb.com:80",
        "5.3.12 / 5.4.2 CGI Query String Code Execution",
        "CVE-2012-1823",
        "high",
        "fix out since 2012-05-03",
        "2012-08-01, ",
        "days overdue",
        "Yes, KEV",
    ] {
        assert!(first.contains(want), "{want}: {first}");
    }
    // Then the most overdue: the oldest PHP fix, not KEV-listed.
    let second = row(2);
    assert!(second.contains("5.2 Multiple Vulnerabilities"), "{second}");
    assert!(!second.contains("Yes, KEV"), "{second}");
    assert!(html.contains("id=\"finding-17\""), "{html}");
    assert!(
        !html.contains("id=\"finding-18\""),
        "replaced, not added: {html}"
    );

    // The API: the same ranking, and the command line's JSON for the same scan.
    let api = api_get(&s, &admin, &format!("/api/v1/orgs/{org}/plan/findings")).await;
    let items = api["items"].as_array().unwrap();
    assert_eq!(items.len(), 17, "{api}");
    assert_eq!(items[0]["kev"], true);
    assert_eq!(items[0]["cves"], serde_json::json!(["CVE-2012-1823"]));
    assert_eq!(items[0]["severity"], "high");
    assert_eq!(items[0]["due_on"], "2012-08-01");
    assert_eq!(items[0]["timeframe_days"], 90);
    assert_eq!(items[0]["overdue"], true);
    assert!(items[1..].iter().all(|i| i["kev"] == false));
    let late: Vec<i64> = items[1..]
        .iter()
        .map(|i| i["days_overdue"].as_i64().unwrap())
        .collect();
    assert!(
        late.windows(2).all(|w| w[0] >= w[1]),
        "most overdue first: {late:?}"
    );
    assert_eq!(
        (api["kev"].clone(), api["overdue"].clone()),
        (1.into(), 17.into())
    );
    assert_eq!(api["timeframes"]["days"]["critical"], 30);

    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("scan.json");
    let nessus = fixture("nessus/nessus_with_cvssv3.nessus");
    let kev = fixture("kev/known_exploited_vulnerabilities.json");
    let out = run_ok(&[
        "evidence",
        "import",
        nessus.to_str().unwrap(),
        "--kev",
        kev.to_str().unwrap(),
        "--format",
        "json",
    ]);
    std::fs::write(&json, out).unwrap();
    let answers =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/small-clinic.yaml");
    let cli: Value = serde_json::from_str(&run_ok(&[
        "plan",
        answers.to_str().unwrap(),
        "--findings",
        json.to_str().unwrap(),
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(
        api, cli["findings"],
        "the API's findings are the command line's"
    );
    assert!(cli["actions"].is_array());
}

/// The text of a PDF, as `pdftotext` (poppler-utils) reads it, white space collapsed.
fn pdf_text(pdf: &[u8]) -> String {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("pdftotext is installed (Debian package poppler-utils)");
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The report (HTML and PDF, web download and API) has "Fix these first" once a scan left
/// open findings, KEV-listed first, as the plan page ranks them; the report made before the
/// import is not served from the cache after it; a closed snapshot's report has none.
async fn kev_listed_findings_lead_the_report_not_a_closed_snapshots(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let c = first_admin(&s).await;
    let org = create_org(&c, &s, "Alder Clinic", SMALL).await;
    let admin = api_token(&db, "dana@clinic.example", false);
    let report = format!("/orgs/{org}/download/report.html");

    // No scan yet: no section (no scan is not "no findings").
    let (status, _, html) = get(&c, &s, &report).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("id=\"findings\""), "{html}");

    let form = Form::new()
        .part("file", file_part("nessus/nessus_with_cvssv3.nessus"))
        .part("kev", file_part("kev/known_exploited_vulnerabilities.json"));
    let (status, out) = api_import(&s, &admin, &org, form).await;
    assert_eq!(status, StatusCode::CREATED, "{}", out["warnings"]);

    // The same day, a new file: the import moved the organization's revision.
    let (status, _, html) = get(&c, &s, &report).await;
    assert_eq!(status, StatusCode::OK);
    let at = html
        .find("<section id=\"findings\"")
        .unwrap_or_else(|| panic!("a findings section: {html}"));
    let section = &html[at..at + html[at..].find("</section>").unwrap()];
    assert!(at < html.find("<section id=\"plan\"").unwrap());
    assert!(html.contains("href=\"#findings\""), "in the contents");
    assert!(
        section
            .contains("26 open findings from vulnerability scans: 1 known exploited by attackers"),
        "{section}"
    );
    let first = &section[section.find("<tr><td class=\"num\">1</td>").unwrap()..];
    let first = &first[..first.find("</tr>").unwrap()];
    for want in [
        "testphp.vulnweb.com:80",
        "CVE-2012-1823",
        "known exploited (KEV)",
        "days overdue",
    ] {
        assert!(first.contains(want), "{want}: {first}");
    }
    assert_eq!(section.matches("<tr><td class=\"num\">").count(), 17);
    let summary = &html[html.find("<section id=\"summary\"").unwrap()..at];
    assert!(
        summary.contains("Fix these first:</strong> 17 findings"),
        "{summary}"
    );
    // The scan is filed as evidence on 7.S.A.c3, which nobody has answered: the evidence
    // index lists it as on file, and the dossier names it without counting it as proof.
    let index = &html[html.find("<section id=\"evidence\"").unwrap()..];
    let index = &index[..index.find("</section>").unwrap()];
    let row = index
        .split("<tr>")
        .find(|r| r.contains("nessus_with_cvssv3.nessus"))
        .unwrap_or_else(|| panic!("the scan in the evidence index: {index}"));
    assert!(row.starts_with("<td>E1</td>"), "{row}");
    assert!(
        row.contains("7.S.A.c3<br><span class=\"muted\">not answered yet</span>"),
        "{row}"
    );
    assert!(
        html.contains("7.S.A.c3 is not answered yet, so the window is not covered; evidence on file (E1) does not show it in place by itself"),
        "the dossier"
    );

    // The API serves the same file; the PDF has the same section.
    let api = api_bytes(&s, &admin, &format!("/api/v1/orgs/{org}/reports/html")).await;
    assert_eq!(String::from_utf8(api).unwrap(), html);
    let pdf = api_bytes(&s, &admin, &format!("/api/v1/orgs/{org}/reports/pdf")).await;
    let text = pdf_text(&pdf);
    let fix = text
        .rfind("Fix these first: findings from your scans")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(text[fix..].contains("CVE-2012-1823"), "{text}");
    assert!(text[fix..].contains("known exploited (KEV)"));

    // A closed snapshot keeps no findings: its report has no such section.
    let snap = api_close(&s, &admin, &org).await;
    let snap_html = api_bytes(
        &s,
        &admin,
        &format!("/api/v1/orgs/{org}/snapshots/{snap}/reports/html"),
    )
    .await;
    let snap_html = String::from_utf8(snap_html).unwrap();
    assert!(snap_html.contains("<section id=\"plan\""));
    assert!(!snap_html.contains("id=\"findings\""), "{snap_html}");
    // The open assessment's report still has them: they are the organization's, not the
    // snapshot's.
    let (_, _, html) = get(&c, &s, &report).await;
    assert!(html.contains("<section id=\"findings\""));
}

/// A scan imported without a KEV catalog, then the catalog alone: the stored findings are
/// flagged (the plan page and the API put the KEV-listed one first). The workbook, the
/// findings CSV and the OSCAL results (web download and API alike) carry the ranked
/// findings, and the results show the scan filed on a question nobody answered as
/// evidence, not as an answer. A closed snapshot has no findings CSV.
async fn a_kev_file_imported_after_a_scan_flags_it_and_the_exports_carry_the_findings(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let c = first_admin(&s).await;
    let org = create_org(&c, &s, "Hazel Clinic", SMALL).await;
    let admin = api_token(&db, "dana@clinic.example", false);
    let (_, _, html) = get(&c, &s, &format!("/orgs/{org}/evidence-import")).await;
    let csrf = csrf_of(&html);

    // Before any scan: the findings CSV is its header alone.
    let csv_url = format!("/orgs/{org}/download/findings.csv");
    let (status, _, csv) = get(&c, &s, &csv_url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        csv,
        "rank,host,title,cves,severity,since,due,overdue,kev,why\n"
    );

    // The scan, no KEV catalog: overdue findings, none known exploited.
    let (status, html) = upload(
        &c,
        &s,
        &org,
        &csrf,
        file_part("nessus/nessus_with_cvssv3.nessus"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let api = api_get(&s, &admin, &format!("/api/v1/orgs/{org}/plan/findings")).await;
    assert_eq!(
        (api["kev"].clone(), api["overdue"].clone()),
        (0.into(), 17.into())
    );

    // Then the catalog alone, through the API: kept, and the stored finding flagged.
    let (status, body) = api_import(
        &s,
        &admin,
        &org,
        Form::new().part(
            "file",
            file_part("kev/known_exploited_vulnerabilities.json"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["kind"], "kev");
    assert_eq!(body["evidence"], serde_json::json!([]));
    assert_eq!(body["kev_kept"]["reflagged"], 1, "{body}");
    assert_eq!(body["kev_kept"]["listed"], 1, "{body}");
    let api = api_get(&s, &admin, &format!("/api/v1/orgs/{org}/plan/findings")).await;
    assert_eq!(api["kev"], 1, "{api}");
    assert_eq!(
        api["items"][0]["cves"],
        serde_json::json!(["CVE-2012-1823"])
    );
    assert_eq!(api["items"][0]["kev"], true);
    let (_, _, plan) = get(&c, &s, &format!("/orgs/{org}/plan")).await;
    let row = &plan[plan.find("id=\"finding-1\"").expect("a first finding")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("CVE-2012-1823") && row.contains("Yes, KEV"),
        "{row}"
    );
    assert!(plan.contains(&format!("href=\"/orgs/{org}/download/findings.csv\"")));

    // The findings CSV: web download and API alike, KEV first, the plan's rows.
    let r = c.get(s.url(&csv_url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("hazel-clinic-scan-findings.csv"),
        "{disposition}"
    );
    let csv = r.text().await.unwrap();
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 17);
    assert_eq!(&rows[0][1], "testphp.vulnweb.com:80");
    assert_eq!(&rows[0][3], "CVE-2012-1823");
    assert_eq!((&rows[0][7], &rows[0][8]), ("yes", "yes"));
    assert!(rows[1..].iter().all(|r| &r[8] == "no"));
    let api_csv = api_bytes(
        &s,
        &admin,
        &format!("/api/v1/orgs/{org}/reports/findings-csv"),
    )
    .await;
    assert_eq!(String::from_utf8(api_csv).unwrap(), csv);

    // The workbook has them as a sheet.
    let xlsx = api_bytes(&s, &admin, &format!("/api/v1/orgs/{org}/reports/xlsx")).await;
    use calamine::Reader as _;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    assert_eq!(
        wb.sheet_names(),
        ["answers", "scores", "action plan", "findings"]
    );
    let sheet = wb.worksheet_range("findings").unwrap();
    assert_eq!(sheet.height(), 18);
    assert_eq!(sheet.get((1, 3)).unwrap().to_string(), "CVE-2012-1823");

    // The OSCAL results: an observation and a finding per ranked scan finding, KEV and
    // days overdue as props; the scan filed on 7.S.A.c3 (not answered) is evidence there.
    let (status, _, ar) = get(
        &c,
        &s,
        &format!("/orgs/{org}/download/assessment-results.json"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let ar: Value = serde_json::from_str(&ar).unwrap();
    let result = &ar["assessment-results"]["results"][0];
    let prop = |v: &Value, n: &str| {
        v["props"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == n)
            .map(|p| p["value"].as_str().unwrap().to_owned())
    };
    let tested: Vec<&Value> = result["observations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["methods"][0] == "TEST")
        .collect();
    assert_eq!(tested.len(), 17);
    assert_eq!(prop(tested[0], "kev").as_deref(), Some("yes"));
    assert_eq!(prop(tested[0], "cve").as_deref(), Some("CVE-2012-1823"));
    assert!(
        prop(tested[0], "days-overdue")
            .unwrap()
            .parse::<i64>()
            .unwrap()
            > 4000,
        "due 2012-08-01"
    );
    let scan_findings = result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| prop(f, "scan-rank").is_some())
        .count();
    assert_eq!(scan_findings, 17);
    let filed = result["observations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| {
            o["methods"][0] == "EXAMINE" && prop(o, "criterion").as_deref() == Some("7.S.A.c3")
        })
        .expect("the scan is evidence on 7.S.A.c3");
    assert_eq!(prop(filed, "answered").as_deref(), Some("no"));
    assert!(
        filed["description"]
            .as_str()
            .unwrap()
            .starts_with("Evidence for 7.S.A.c3 (not answered yet)"),
        "{filed}"
    );

    // A closed snapshot keeps no findings: no findings CSV.
    let snap = api_close(&s, &admin, &org).await;
    let r = api_send(
        &s,
        &admin,
        reqwest::Method::GET,
        &format!("/api/v1/orgs/{org}/snapshots/{snap}/reports/findings-csv"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
