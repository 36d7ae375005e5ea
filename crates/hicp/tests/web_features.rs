//! History, interchange, audit log, opting in to sub-practices and `hicp admin`, black-box:
//! the real binary on 127.0.0.1:0, on SQLite and on PostgreSQL.

#[macro_use]
mod support;

use reqwest::{Client, StatusCode};
use support::web::*;
use support::{Backend, Database, Server};

/// A small physician practice.
async fn small_clinic(c: &Client, s: &Server, name: &str) -> String {
    create_org(
        c,
        s,
        name,
        &[("org_type", "physician-practice"), ("physicians", "4")],
    )
    .await
}

/// Saves one answer through the questionnaire's htmx request; returns the new version.
async fn answer(
    c: &Client,
    s: &Server,
    org: &str,
    criterion: &str,
    status: &str,
    version: i64,
) -> i64 {
    let (_, _, html) = get(c, s, &format!("/orgs/{org}")).await;
    let csrf = csrf_of(&html);
    let version = version.to_string();
    let (code, frag) = htmx(
        c,
        s,
        &format!("/orgs/{org}/answers/{criterion}"),
        &csrf,
        &[("status", status), ("version", &version)],
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{frag}");
    assert!(frag.contains("Saved at"), "{frag}");
    let v = frag
        .split("value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    v.parse().unwrap()
}

/// Uploads an answers file on the import page, as its htmx form does.
async fn import(c: &Client, s: &Server, org: &str, yaml: &str) -> (StatusCode, String) {
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

async fn export(c: &Client, s: &Server, org: &str) -> String {
    let r = c
        .get(s.url(&format!("/orgs/{org}/export.yaml")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/yaml")
    );
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"hicp-answers-")
    );
    r.text().await.unwrap()
}

on_both_backends!(
    history_closes_snapshots_and_compares_them,
    export_reads_back_in_the_cli_and_import_saves_or_explains,
    audit_log_is_for_admins_with_filters_and_pages,
    sub_practices_of_other_tiers_can_be_added_and_removed,
    admin_create_user_makes_an_account_that_signs_in,
);

async fn history_closes_snapshots_and_compares_them(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let org = small_clinic(&a, &s, "Maple Clinic").await;
    let other = small_clinic(&a, &s, "Other Clinic").await;
    add_member(&a, &s, &org, "viewer@maple.example", "viewer").await;
    add_member(&a, &s, &other, "assessor@other.example", "assessor").await;
    answer(&a, &s, &org, "1.S.A.c1", "implemented", 0).await;

    let history = format!("/orgs/{org}/history");
    let (status, _, html) = get(&a, &s, &history).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No snapshot yet"), "{html}");
    let (_, _, dash) = get(&a, &s, &format!("/orgs/{org}")).await;
    assert!(dash.contains("This is the first assessment"), "{dash}");

    // Close: a snapshot, and a new assessment with the same answers.
    let csrf = csrf_of(&html);
    let first_id = field_of(&html, "assessment");
    let (status, path, html) = post(
        &a,
        &s,
        &history,
        &[("csrf", &csrf), ("assessment", &first_id)],
    )
    .await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, history.as_str()));
    assert!(html.contains("closed as a snapshot"), "{html}");
    assert_eq!(html.matches("Compare with now").count(), 1, "{html}");
    assert_ne!(field_of(&html, "assessment"), first_id, "a new one is open");
    // A second click on the old page does not close the new assessment.
    let (_, _, html) = post(
        &a,
        &s,
        &history,
        &[("csrf", &csrf), ("assessment", &first_id)],
    )
    .await;
    assert_eq!(html.matches("Compare with now").count(), 1, "{html}");
    let yaml = export(&a, &s, &org).await;
    assert!(
        yaml.contains("id: \"1.S.A.c1\"\n    status: implemented"),
        "answers carried over:\n{yaml}"
    );

    // Nothing changed yet; then one more answer raises the scores.
    let (_, _, dash) = get(&a, &s, &format!("/orgs/{org}")).await;
    assert!(dash.contains("Since the snapshot of"), "{dash}");
    assert!(
        dash.contains("no change") && !dash.contains("class=\"better\""),
        "{dash}"
    );
    answer(&a, &s, &org, "1.S.A.c2", "implemented", 0).await;
    let (_, _, dash) = get(&a, &s, &format!("/orgs/{org}")).await;
    let changes = &dash[dash.find("id=\"changes\"").unwrap()..];
    assert!(changes.contains("<td>Overall</td>"), "{changes}");
    assert!(
        changes.contains("better") && changes.contains(">+"),
        "{changes}"
    );
    assert!(changes.contains("Ransomware"), "per threat: {changes}");

    // Compare: the snapshot with now, and the other way round; practices and threats.
    let (_, _, html) = get(&a, &s, &history).await;
    let table = &html[html
        .find("From the snapshot of")
        .expect("compared by default")..];
    assert!(table.contains("to the current assessment"), "{table}");
    assert!(table.contains("1. Email Protection Systems"), "{table}");
    assert!(table.contains("better"), "{table}");
    let snap = html
        .split("history?from=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let (_, _, html) = get(&a, &s, &format!("{history}?from=current&to={snap}")).await;
    assert!(html.contains("From the current assessment to the snapshot"));
    assert!(html.contains("worse") && html.contains("<td>-"), "{html}");

    // A viewer reads the history but cannot close; an outsider sees nothing.
    let (viewer, _, _) = sign_in(&s, "viewer@maple.example", PASSWORD).await;
    let (status, _, html) = get(&viewer, &s, &history).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("Close as a snapshot"));
    let csrf = csrf_of(&html);
    let (status, _, _) = post(&viewer, &s, &history, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (outsider, _, _) = sign_in(&s, "assessor@other.example", PASSWORD).await;
    let (status, _, html) = get(&outsider, &s, &history).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("Maple"));
    let (_, _, page) = get(&outsider, &s, &format!("/orgs/{other}/history")).await;
    let csrf = csrf_of(&page);
    let (status, _, _) = post(&outsider, &s, &history, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn export_reads_back_in_the_cli_and_import_saves_or_explains(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let org = small_clinic(&a, &s, "Birch \"Family\" Practice").await;
    add_member(&a, &s, &org, "assessor@birch.example", "assessor").await;
    add_member(&a, &s, &org, "viewer@birch.example", "viewer").await;
    let (_, _, html) = get(&a, &s, &format!("/orgs/{org}/practices/1")).await;
    let csrf = csrf_of(&html);
    let (_, frag) = htmx(
        &a,
        &s,
        &format!("/orgs/{org}/answers/1.S.A.c1"),
        &csrf,
        &[
            ("status", "implemented"),
            ("version", "0"),
            ("notes", "Microsoft 365: BAA signed\n# not a comment"),
            ("owner", "Office manager"),
            ("in_place_since", "2024-03-01"),
        ],
    )
    .await;
    assert!(frag.contains("Saved at"), "{frag}");

    // The export is an answers file the command line reads.
    let yaml = export(&a, &s, &org).await;
    assert!(yaml.contains("format: hicp-answers/1"), "{yaml}");
    assert!(
        yaml.contains("name: \"Birch \\\"Family\\\" Practice\""),
        "{yaml}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("answers.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hicp"))
        .args(["assess", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hicp assess reads the export: {}\n{yaml}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Importing the same file changes nothing.
    let (status, html) = import(&a, &s, &org, &yaml).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Imported answers.yaml: 0 answers changed"),
        "{html}"
    );

    // A file with mistakes: every problem with its line, and nothing saved.
    let bad = "tier: small\nanswers:\n  - id: 1.S.A.c2\n    status: implmented\n  - id: 1.S.A.c9\n    status: partial\n  - id: 1.S.A.c3\n    status: implemented\n";
    let (_, html) = import(&a, &s, &org, bad).await;
    assert!(html.contains("Nothing was imported"), "{html}");
    assert!(html.contains("has 2 problems"), "{html}");
    assert!(
        html.contains("<td>4</td>") && html.contains("invalid status"),
        "{html}"
    );
    assert!(
        html.contains("<td>5</td>") && html.contains("unknown criterion"),
        "{html}"
    );
    let yaml = export(&a, &s, &org).await;
    assert!(!yaml.contains("1.S.A.c3"), "nothing saved:\n{yaml}");

    // A good file: its answers are saved (audited), an opt-in is added, evidence imported.
    let good = "\
tier: small
opt_in: [1.M.B]
answers:
  - id: 1.S.A.c1
    status: implemented
    owner: Office manager
    notes: \"Microsoft 365: BAA signed\\n# not a comment\"
    in_place_since: 2024-03-01
  - id: 1.S.A.c2
    status: partial
    evidence:
      - title: Spam filter settings
        location: https://intranet.example/spam.pdf
        collected: 2025-01-01
      - title: Paper copy
        location: Binder on the front desk
  - id: 1.S.A.c3
    status: not_applicable
    reason: We use no email at all.
  - id: 1.M.B.c1
    status: largely
";
    let (_, html) = import(&a, &s, &org, good).await;
    assert!(
        html.contains("Imported answers.yaml: 3 answers changed, 1 already the same"),
        "{html}"
    );
    assert!(html.contains("1 sub-practice added"), "{html}");
    assert!(html.contains("2 pieces of evidence added"), "{html}");
    let yaml = export(&a, &s, &org).await;
    assert!(yaml.contains("opt_in: [1.M.B]"), "{yaml}");
    assert!(
        yaml.contains("reason: \"We use no email at all.\""),
        "{yaml}"
    );
    assert!(yaml.contains("location: \"https://intranet.example/spam.pdf\""));
    assert!(
        yaml.contains("location: \"Binder on the front desk\""),
        "{yaml}"
    );
    let (_, _, page) = get(&a, &s, &format!("/orgs/{org}/practices/1")).await;
    assert!(page.contains("We use no email at all."));
    // Where evidence is kept is shown as text, never as a link.
    assert!(page.contains("kept at: Binder on the front desk"), "{page}");
    assert!(!page.contains("href=\"Binder"), "{page}");
    assert!(page.contains("id=\"sp-1-M-B\""), "opted in: shown");
    // Importing again adds no second copy of the link.
    let (_, html) = import(&a, &s, &org, good).await;
    assert!(html.contains("0 answers changed"), "{html}");
    assert!(!html.contains("evidence added"), "{html}");
    let (_, _, log) = get(&a, &s, &format!("/orgs/{org}/audit?entity=import")).await;
    assert_eq!(log.matches("answers.yaml: ").count(), 3, "{log}");

    // An assessor cannot change the tier with a file; a viewer cannot import at all.
    let (assessor, _, _) = sign_in(&s, "assessor@birch.example", PASSWORD).await;
    let (_, html) = import(&assessor, &s, &org, "tier: medium\nanswers: []\n").await;
    assert!(
        html.contains("the file is for a medium organization") && html.contains("Ask an admin"),
        "{html}"
    );
    let (viewer, _, _) = sign_in(&s, "viewer@birch.example", PASSWORD).await;
    let (_, _, page) = get(&viewer, &s, &format!("/orgs/{org}/import")).await;
    assert!(page.contains("Only admins and assessors can import"));
    let (status, _) = import(&viewer, &s, &org, good).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let r = client()
        .get(s.url(&format!("/orgs/{org}/export.yaml")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.url().path(), "/login", "signed-out users get no export");
}

async fn audit_log_is_for_admins_with_filters_and_pages(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let org = small_clinic(&a, &s, "Cedar Clinic").await;
    let other = small_clinic(&a, &s, "Other Clinic").await;
    add_member(&a, &s, &org, "assessor@cedar.example", "assessor").await;
    add_member(&a, &s, &other, "admin@other.example", "admin").await;
    let (assessor, _, _) = sign_in(&s, "assessor@cedar.example", PASSWORD).await;
    let mut v = answer(&assessor, &s, &org, "1.S.A.c1", "partial", 0).await;
    answer(&a, &s, &other, "1.S.A.c1", "largely", 0).await;

    let audit = format!("/orgs/{org}/audit");
    let (status, _, html) = get(&a, &s, &audit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Answer 1.S.A.c1"), "{html}");
    assert!(html.contains("<td>(none)</td><td>partial</td>"), "{html}");
    assert!(html.contains("assessor@cedar.example"), "who: {html}");
    assert!(
        !html.contains("largely"),
        "another organization's changes: {html}"
    );

    // Filters: by person and by kind of record.
    let option = html
        .split("<option value=\"")
        .find(|o| o.contains("(assessor@cedar.example)"))
        .unwrap();
    let assessor_id = option.split('"').next().unwrap().to_owned();
    let (_, _, html) = get(&a, &s, &format!("{audit}?user={assessor_id}")).await;
    assert!(html.contains("Answer 1.S.A.c1"), "{html}");
    // Their own joining is theirs; the admin's invitation is not.
    assert!(!html.contains("<td>invited</td>"), "{html}");
    let (_, _, html) = get(&a, &s, &format!("{audit}?entity=membership")).await;
    assert!(html.contains("<td>Role</td>"), "{html}");
    assert!(html.contains("<td>invited</td>"), "{html}");
    assert!(!html.contains("Answer 1.S.A.c1"), "{html}");

    // Paging: 50 entries a page, then older ones, none twice.
    for i in 0..55 {
        let status = if i % 2 == 0 { "largely" } else { "partial" };
        v = answer(&assessor, &s, &org, "1.S.A.c1", status, v).await;
    }
    let (_, _, page1) = get(&a, &s, &format!("{audit}?entity=answer")).await;
    let seqs = |html: &str| -> Vec<i64> {
        html.split("id=\"seq-")
            .skip(1)
            .map(|x| x.split('"').next().unwrap().parse().unwrap())
            .collect()
    };
    let first = seqs(&page1);
    assert_eq!(first.len(), 50);
    assert!(first.windows(2).all(|w| w[0] > w[1]), "newest first");
    let older = page1
        .split("href=\"")
        .find(|x| x.starts_with(&format!("{audit}?")) && x.contains("before="))
        .expect("a link to older changes")
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let (_, _, page2) = get(&a, &s, &older).await;
    let second = seqs(&page2);
    assert_eq!(second.len(), 6, "56 answer changes in all");
    assert!(second[0] < *first.last().unwrap());
    assert!(!page2.contains("Older changes"));

    // Only the organization's admins.
    let (status, _, _) = get(&assessor, &s, &audit).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (outsider, _, _) = sign_in(&s, "admin@other.example", PASSWORD).await;
    let (status, _, html) = get(&outsider, &s, &audit).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!html.contains("Cedar"));
}

async fn sub_practices_of_other_tiers_can_be_added_and_removed(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let org = small_clinic(&a, &s, "Dogwood Clinic").await;
    add_member(&a, &s, &org, "viewer@dogwood.example", "viewer").await;
    let page = format!("/orgs/{org}/practices/1");
    let (_, _, html) = get(&a, &s, &page).await;
    let more = &html[html.find("id=\"optional\"").expect("a list to add from")..];
    assert!(more.contains("1.M.B") && more.contains("Add to our assessment"));
    assert!(!html.contains("1.M.B.c1"), "not in the assessment yet");
    let csrf = csrf_of(&html);

    let (status, path, html) = post(
        &a,
        &s,
        &format!("/orgs/{org}/sub-practices/1.M.B"),
        &[("csrf", &csrf), ("opted_in", "true")],
    )
    .await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, page.as_str()));
    let section = &html[html.find("id=\"sp-1-M-B\"").expect("added")..];
    assert!(section.contains("added by choice"));
    assert!(section.contains("Remove from our assessment"));
    assert!(html.contains(&format!("/orgs/{org}/answers/1.M.B.c1")));
    answer(&a, &s, &org, "1.M.B.c1", "implemented", 0).await;
    let yaml = export(&a, &s, &org).await;
    assert!(yaml.contains("opt_in: [1.M.B]") && yaml.contains("1.M.B.c1"));

    // What already applies cannot be added; what does not exist is not found.
    let (status, _, _) = post(
        &a,
        &s,
        &format!("/orgs/{org}/sub-practices/1.S.A"),
        &[("csrf", &csrf), ("opted_in", "true")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = post(
        &a,
        &s,
        &format!("/orgs/{org}/sub-practices/1.X.Z"),
        &[("csrf", &csrf), ("opted_in", "true")],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A viewer sees no buttons and cannot change the scope.
    let (viewer, _, _) = sign_in(&s, "viewer@dogwood.example", PASSWORD).await;
    let (_, _, html) = get(&viewer, &s, &page).await;
    assert!(!html.contains("Add to our assessment") && !html.contains("Remove from our"));
    let vcsrf = csrf_of(&html);
    let (status, _, _) = post(
        &viewer,
        &s,
        &format!("/orgs/{org}/sub-practices/1.M.B"),
        &[("csrf", &vcsrf), ("opted_in", "false")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Removing hides it again; its answer is kept for when it comes back.
    let (_, _, html) = post(
        &a,
        &s,
        &format!("/orgs/{org}/sub-practices/1.M.B"),
        &[("csrf", &csrf), ("opted_in", "false")],
    )
    .await;
    assert!(!html.contains("id=\"sp-1-M-B\""));
    assert!(html[html.find("id=\"optional\"").unwrap()..].contains("1.M.B"));
    let (_, _, html) = post(
        &a,
        &s,
        &format!("/orgs/{org}/sub-practices/1.M.B"),
        &[("csrf", &csrf), ("opted_in", "true")],
    )
    .await;
    let section = &html[html.find("id=\"sp-1-M-B\"").unwrap()..];
    assert!(
        section.contains("value=\"implemented\" checked"),
        "{section}"
    );
}

fn admin_cmd(args: &[&str], password: Option<&str>) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_hicp"));
    cmd.arg("admin").arg("create-user").args(args);
    cmd.env_remove("HICP_PASSWORD")
        .env_remove("HICP_DATABASE_URL")
        .env_remove("HICP_DATA_DIR");
    if let Some(p) = password {
        cmd.env("HICP_PASSWORD", p);
    }
    cmd.stdin(std::process::Stdio::null()).output().unwrap()
}

async fn admin_create_user_makes_an_account_that_signs_in(b: Backend) {
    let db = Database::new(b);
    let url = db.url.clone();
    let base = [
        "--database",
        url.as_str(),
        "--email",
        "Erin@Clinic.example",
        "--name",
        "Erin Office",
    ];
    let out = admin_cmd(&base, Some("short"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 15 characters"));
    let out = admin_cmd(&base, None);
    assert_eq!(out.status.code(), Some(2), "no password on stdin");

    let out = admin_cmd(&base, Some(PASSWORD));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("administrator account of Erin Office <erin@clinic.example>"),
        "the first account is an administrator: {text}"
    );
    let out = admin_cmd(&base, Some(PASSWORD));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = admin_cmd(
        &[
            "--database",
            &url,
            "--email",
            "frank@clinic.example",
            "--name",
            "Frank",
        ],
        Some(PASSWORD),
    );
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Created the account of Frank"));

    // The web application uses the accounts: setup is closed, both sign in.
    let s = Server::start(&db);
    let (_, path, _) = get(&client(), &s, "/setup").await;
    assert_eq!(path, "/login");
    let (erin, status, html) = sign_in(&s, "erin@clinic.example", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Add an organization"), "an admin: {html}");
    let (_, _, html) = get(&erin, &s, "/").await;
    assert!(html.contains("Erin Office"));
    let (_, _, html) = sign_in(&s, "frank@clinic.example", PASSWORD).await;
    assert!(
        html.contains("Ask an administrator"),
        "not an admin: {html}"
    );

    // Without --database, the data lives in --data-dir, as for `hicp serve`.
    if b == Backend::Sqlite {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let out = admin_cmd(
            &[
                "--data-dir",
                data.to_str().unwrap(),
                "--email",
                "g@x.example",
                "--name",
                "G",
                "--admin",
            ],
            Some(PASSWORD),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(data.join("hicp.db").exists());
    }
}
