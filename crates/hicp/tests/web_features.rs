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
    threat_weights_set_in_settings_count_like_an_imported_files,
    history_closes_snapshots_and_compares_them,
    export_reads_back_in_the_cli_and_import_saves_or_explains,
    audit_log_is_for_admins_with_filters_and_pages,
    sub_practices_of_other_tiers_can_be_added_and_removed,
    admin_create_user_makes_an_account_that_signs_in,
    // Issue 15.
    not_started_is_an_answer_and_unanswered_looks_different,
    every_score_shows_how_much_is_answered_and_rounds_as_the_report_and_cli,
    plan_tracking_reaches_the_report_the_csv_and_the_workbook,
    a_note_too_long_for_a_spreadsheet_cell_is_cut_not_fatal,
    multipart_forms_carry_the_token_and_work_without_javascript,
    pages_have_a_skip_link_named_radio_groups_and_unique_ids,
    evidence_is_deleted_from_its_question_and_the_deletion_audited,
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
        &[
            ("csrf", &csrf),
            ("assessment", &first_id),
            ("confirm", "yes"),
        ],
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
        &[
            ("csrf", &csrf),
            ("assessment", &first_id),
            ("confirm", "yes"),
        ],
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
    // Which answers changed, in words.
    let answers = &table[table.find("id=\"answer-changes\"").expect("answer changes")..];
    assert!(answers.contains("Answers that changed (1)"), "{answers}");
    assert!(
        answers.contains("1.S.A.c2")
            && answers.contains("<td>not answered yet</td><td>Yes, in place</td>"),
        "{answers}"
    );
    assert!(!answers.contains("<strong>1.S.A.c1</strong>"), "{answers}");
    // Closing needs its box ticked: without it nothing is closed, and the page says so.
    let (_, _, page) = post(
        &a,
        &s,
        &history,
        &[
            ("csrf", &csrf_of(&html)),
            ("assessment", &field_of(&html, "assessment")),
        ],
    )
    .await;
    assert!(page.contains("Not closed: tick the box"), "{page}");
    assert_eq!(page.matches("Compare with now").count(), 1, "{page}");
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
    let (status, html) = import_file(&a, &s, &org, &yaml).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Imported answers.yaml: 0 answers changed"),
        "{html}"
    );

    // A file with mistakes: every problem with its line, and nothing saved.
    let bad = "tier: small\nanswers:\n  - id: 1.S.A.c2\n    status: implmented\n  - id: 1.S.A.c9\n    status: partial\n  - id: 1.S.A.c3\n    status: implemented\n";
    let (_, html) = import_file(&a, &s, &org, bad).await;
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
    let (_, html) = import_file(&a, &s, &org, good).await;
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
    let (_, html) = import_file(&a, &s, &org, good).await;
    assert!(html.contains("0 answers changed"), "{html}");
    assert!(!html.contains("evidence added"), "{html}");
    let (_, _, log) = get(&a, &s, &format!("/orgs/{org}/audit?entity=import")).await;
    assert_eq!(log.matches("answers.yaml: ").count(), 3, "{log}");

    // An assessor cannot change the tier with a file; a viewer cannot import at all.
    let (assessor, _, _) = sign_in(&s, "assessor@birch.example", PASSWORD).await;
    let (_, html) = import_file(&assessor, &s, &org, "tier: medium\nanswers: []\n").await;
    assert!(
        html.contains("the file is for a medium organization") && html.contains("Ask an admin"),
        "{html}"
    );
    let (viewer, _, _) = sign_in(&s, "viewer@birch.example", PASSWORD).await;
    let (_, _, page) = get(&viewer, &s, &format!("/orgs/{org}/import")).await;
    assert!(page.contains("Only admins and assessors can import"));
    let (status, _) = import_file(&viewer, &s, &org, good).await;
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
    assert!(html.contains("<td>(none)</td><td>partly</td>"), "{html}");
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

// ---------------------------------------------------------------------------------------
// Issue 15: what a first walk-through found.

// The tests are in the list at the top of the file.

/// "N of M questions answered" on a page: (N, M).
fn progress_of(html: &str) -> (usize, usize) {
    let i = html
        .find(" questions answered")
        .unwrap_or_else(|| panic!("no progress in page:\n{html}"));
    // The count may be wrapped for live updates (`<span id="progress-all">N</span>`).
    let head = html[..i].replace("</span>", "");
    let words: Vec<&str> = head.rsplit(['>', ' ', '\n']).take(3).collect();
    // words: [M, "of", N]
    assert_eq!(words[1], "of", "{}", &html[i.saturating_sub(40)..i + 20]);
    (words[2].parse().unwrap(), words[0].parse().unwrap())
}

/// The questionnaire's block for one criterion (its answer form).
fn criterion_block<'a>(page: &'a str, dom: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"q-{dom}\""))
        .unwrap_or_else(|| panic!("no question {dom}:\n{page}"));
    let rest = &page[start..];
    &rest[..rest.find("</fieldset>").unwrap()]
}

async fn not_started_is_an_answer_and_unanswered_looks_different(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let org = small_clinic(&a, &s, "Aspen Clinic").await;
    let (_, _, dash) = get(&a, &s, &format!("/orgs/{org}")).await;
    let (answered, total) = progress_of(&dash);
    assert_eq!(answered, 0);
    assert!(total > 10);

    // Unanswered: no status is chosen, and the question says it is not answered yet.
    let page_path = format!("/orgs/{org}/practices/1");
    let (_, _, page) = get(&a, &s, &page_path).await;
    let block = criterion_block(&page, "1-S-A-c1");
    assert!(!block.contains("checked"), "nothing pre-selected: {block}");
    assert!(block.contains("Not answered yet"), "{block}");
    assert!(block.contains("value=\"not_started\""), "{block}");

    // Choosing "Not started" saves an answer, and it counts as answered everywhere; the
    // save takes the "Not answered yet" mark away at once.
    let csrf = csrf_of(&page);
    let (_, frag) = htmx(
        &a,
        &s,
        &format!("/orgs/{org}/answers/1.S.A.c1"),
        &csrf,
        &[("status", "not_started"), ("version", "0")],
    )
    .await;
    assert!(frag.contains("Saved at"), "{frag}");
    assert!(
        frag.contains("<span id=\"unanswered-1-S-A-c1\" hx-swap-oob=\"true\"></span>"),
        "{frag}"
    );
    let (_, _, page) = get(&a, &s, &page_path).await;
    let block = criterion_block(&page, "1-S-A-c1");
    assert!(
        block.contains("value=\"not_started\" checked"),
        "the answer is shown: {block}"
    );
    assert!(!block.contains("Not answered yet"), "{block}");
    assert_eq!(progress_of(&page), (1, total), "questionnaire progress");
    assert!(
        page.contains("(<span id=\"progress-p1\">1</span>/"),
        "the practice tab counts it: {page}"
    );
    let (_, _, dash) = get(&a, &s, &format!("/orgs/{org}")).await;
    assert_eq!(progress_of(&dash), (1, total), "dashboard progress");

    // An imported "not started" is an answer too.
    let (_, html) = import_file(
        &a,
        &s,
        &org,
        "tier: small\nanswers:\n  - id: 1.S.A.c2\n    status: not_started\n",
    )
    .await;
    assert!(html.contains("1 answer changed"), "{html}");
    let (_, _, dash) = get(&a, &s, &format!("/orgs/{org}")).await;
    assert_eq!(progress_of(&dash), (2, total));
    let (_, _, history) = get(&a, &s, &format!("/orgs/{org}/history")).await;
    assert!(
        history.contains(&format!("2 of {total} questions answered")),
        "{history}"
    );

    // The report tells "not started" from "not answered yet".
    let (_, _, report) = get(&a, &s, &format!("/orgs/{org}/download/report.html")).await;
    let row = |id: &str| -> String {
        let i = report.find(&format!("<strong>{id}</strong>")).unwrap();
        report[i..i + report[i..].find("</tr>").unwrap()].to_owned()
    };
    assert!(
        row("1.S.A.c1").contains(">not started<"),
        "{}",
        row("1.S.A.c1")
    );
    assert!(
        row("1.S.A.c2").contains(">not started<"),
        "{}",
        row("1.S.A.c2")
    );
    assert!(
        row("1.S.A.c3").contains(">not answered yet<"),
        "{}",
        row("1.S.A.c3")
    );
    assert!(
        report.contains(&format!(
            "2 of {total} questions answered; a question not answered yet counts as not started (0 points)."
        )),
        "the report says how unanswered questions count"
    );
    // No internal value reaches the people reading the pages.
    for html in [&dash, &report, &history] {
        assert!(!html.contains(">not_started<"), "{html}");
    }
}

/// The text of the first element with `class="score"` (the dashboard's overall score).
fn dashboard_overall(dash: &str) -> String {
    let i = dash.find("class=\"score\">").unwrap() + "class=\"score\">".len();
    dash[i..i + dash[i..].find('<').unwrap()].to_owned()
}

async fn every_score_shows_how_much_is_answered_and_rounds_as_the_report_and_cli(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let org = small_clinic(&a, &s, "Willow Clinic").await;
    // A few answers: scores with decimals.
    answer(&a, &s, &org, "1.S.A.c1", "implemented", 0).await;
    answer(&a, &s, &org, "1.S.A.c2", "largely", 0).await;
    answer(&a, &s, &org, "2.S.A.c1", "partial", 0).await;
    answer(&a, &s, &org, "3.S.A.c1", "not_started", 0).await;

    let (_, _, dash) = get(&a, &s, &format!("/orgs/{org}")).await;
    let (answered, total) = progress_of(&dash);
    assert_eq!(answered, 4);
    // Beside the overall score, and beside every threat and practice score.
    assert!(
        dash.contains(&format!("across the five threats; 4 of {total} answered")),
        "{dash}"
    );
    assert!(
        dash.contains(&format!(
            "A question not answered yet counts as not started (0 points), so scores rise as you answer: {} questions are still unanswered.",
            total - 4
        )),
        "{dash}"
    );
    let threats = &dash[dash.find("<caption>Threat scores").unwrap()..];
    let threats = &threats[..threats.find("</table>").unwrap()];
    assert_eq!(threats.matches("<tr><td>").count(), 5, "{threats}");
    assert_eq!(threats.matches(" answered</td>").count(), 5, "{threats}");
    let practices = &dash[dash.find("<caption>Practice scores").unwrap()..];
    let practices = &practices[..practices.find("</table>").unwrap()];
    assert!(
        practices.contains("<td>1. Email Protection Systems</td>"),
        "{practices}"
    );
    let email_row = practices
        .split("<tr>")
        .find(|r| r.contains("1. Email Protection Systems"))
        .unwrap();
    assert!(email_row.contains(" of ") && email_row.contains(" answered</td>"));
    assert!(
        practices
            .split("<tr>")
            .filter(|r| r.contains("<td>"))
            .all(|r| r.contains(" answered</td>")),
        "{practices}"
    );

    // One rounding: the dashboard, the report and `hicp assess` show the same overall score.
    let overall = dashboard_overall(&dash);
    assert!(
        overall.contains('.'),
        "one decimal, as the report: {overall}"
    );
    let (_, _, report) = get(&a, &s, &format!("/orgs/{org}/download/report.html")).await;
    assert!(
        report.contains(&format!("<p class=\"big\">{overall} <span")),
        "report shows {overall}"
    );
    let yaml = export(&a, &s, &org).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("answers.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hicp"))
        .args(["assess", file.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("Overall score: {overall} / 100")),
        "{text}"
    );
    // The charts' values are rounded the same way as their tables.
    let first_threat_value = threats
        .split("<tr><td>")
        .nth(1)
        .unwrap()
        .split("<td>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    assert!(
        dash.contains(&format!(": {first_threat_value} out of 100")),
        "{first_threat_value}"
    );
}

/// The rows of a CSV as maps from header to value.
fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    r.records()
        .map(|rec| {
            headers
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

async fn download(c: &Client, s: &Server, path: &str) -> Vec<u8> {
    let r = c.get(s.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.bytes().await.unwrap().to_vec()
}

async fn plan_tracking_reaches_the_report_the_csv_and_the_workbook(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let org = small_clinic(&a, &s, "Poplar Clinic").await;
    answer(&a, &s, &org, "1.S.A.c1", "partial", 0).await;
    let (_, _, plan) = get(&a, &s, &format!("/orgs/{org}/plan")).await;
    let marker = format!("class=\"track\" hx-get=\"/orgs/{org}/plan/");
    let actions: Vec<String> = plan
        .split(&marker)
        .skip(1)
        .map(|x| x.split('"').next().unwrap().to_owned())
        .collect();
    assert!(actions.len() >= 2, "{plan}");
    let (first, second) = (&actions[0], &actions[1]);
    let csrf = csrf_of(&plan);
    let (code, frag) = htmx(
        &a,
        &s,
        &format!("/orgs/{org}/plan/{first}"),
        &csrf,
        &[
            ("version", "0"),
            ("owner", "Pat Lee"),
            ("due_on", "2027-02-03"),
            ("status", "in_progress"),
        ],
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    assert!(frag.contains("Saved."), "{frag}");
    let (_, frag) = htmx(
        &a,
        &s,
        &format!("/orgs/{org}/plan/{second}"),
        &csrf,
        &[
            ("version", "0"),
            ("status", "risk_accepted"),
            ("reason", "Our vendor runs this for us"),
        ],
    )
    .await;
    assert!(frag.contains("Saved."), "{frag}");

    // The board links each action's tracking form, which htmx loads when the section opens;
    // the form itself is not on the board.
    let (_, _, plan) = get(&a, &s, &format!("/orgs/{org}/plan")).await;
    assert!(
        plan.contains(&format!(
            "hx-get=\"/orgs/{org}/plan/{first}\" hx-trigger=\"toggle once\""
        )),
        "{plan}"
    );
    assert!(
        !plan.contains(&format!("action=\"/orgs/{org}/plan/")),
        "{plan}"
    );
    // For htmx, the form alone, with what was saved.
    let fragment = htmx_get(&a, &s, &format!("/orgs/{org}/plan/{first}")).await;
    let dom = first.replace('.', "-");
    assert!(fragment.starts_with("<form"), "{fragment}");
    for want in [
        "<input type=\"hidden\" name=\"csrf\" value=\"".to_owned(),
        format!("id=\"aversion-{dom}\" value=\"1\""),
        "value=\"Pat Lee\"".to_owned(),
        "value=\"2027-02-03\"".to_owned(),
        "<option value=\"in_progress\" selected>".to_owned(),
    ] {
        assert!(fragment.contains(&want), "{want} in {fragment}");
    }
    assert!(!fragment.contains("disabled"), "{fragment}");
    // Without script, a page of its own that posts the same form.
    let (code, _, page) = get(&a, &s, &format!("/orgs/{org}/plan/{second}")).await;
    assert_eq!(code, StatusCode::OK);
    assert!(page.contains("<h1>Track an action</h1>"), "{page}");
    assert!(page.contains(&format!("action=\"/orgs/{org}/plan/{second}\"")));
    assert!(
        page.contains("value=\"Our vendor runs this for us\""),
        "{page}"
    );
    assert!(page.contains(&format!(
        "href=\"/orgs/{org}/plan#action-{}\"",
        second.replace('.', "-")
    )));
    let (code, _, _) = get(&a, &s, &format!("/orgs/{org}/plan/9.Z.Z.a9")).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    // A viewer reads the tracking but cannot change it.
    add_member(&a, &s, &org, "viewer@poplar.example", "viewer").await;
    let (viewer, _, _) = sign_in(&s, "viewer@poplar.example", PASSWORD).await;
    let (code, _, page) = get(&viewer, &s, &format!("/orgs/{org}/plan/{first}")).await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        page.contains("<fieldset disabled>") && page.contains("value=\"Pat Lee\""),
        "{page}"
    );

    // The plan CSV.
    let csv = String::from_utf8(download(&a, &s, &format!("/orgs/{org}/download/plan.csv")).await)
        .unwrap();
    let rows = csv_rows(&csv);
    let row = |id: &str| rows.iter().find(|r| r["action"] == id).unwrap().clone();
    let r1 = row(first);
    assert_eq!(
        (
            r1["owners"].as_str(),
            r1["due"].as_str(),
            r1["status"].as_str()
        ),
        ("Pat Lee", "2027-02-03", "in progress"),
        "{csv}"
    );
    let r2 = row(second);
    assert_eq!(r2["status"], "risk accepted");
    assert_eq!(r2["status_note"], "Our vendor runs this for us");
    // Untracked actions keep the computed defaults.
    assert!(
        rows.iter()
            .filter(|r| r["action"] != *first && r["action"] != *second)
            .all(|r| r["status"] == "open" && !r["due"].is_empty())
    );

    // The HTML report.
    let report =
        String::from_utf8(download(&a, &s, &format!("/orgs/{org}/download/report.html")).await)
            .unwrap();
    let plan_section = &report[report.find("<section id=\"plan\">").unwrap()..];
    assert!(plan_section.contains("due 2027-02-03"), "{plan_section}");
    assert!(plan_section.contains("<td>Pat Lee</td><td>in progress</td>"));
    assert!(
        plan_section
            .contains("risk accepted<br><span class=\"muted\">Our vendor runs this for us</span>")
    );

    // The workbook's action plan sheet.
    let xlsx = download(&a, &s, &format!("/orgs/{org}/download/assessment.xlsx")).await;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    use calamine::Reader;
    let sheet = wb.worksheet_range("action plan").unwrap();
    let mut rows = sheet.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(|d| d.to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let tracked = rows
        .find(|r| r[col("action")].to_string() == *first)
        .unwrap();
    assert_eq!(tracked[col("owners")].to_string(), "Pat Lee");
    assert_eq!(tracked[col("due")].to_string(), "2027-02-03");
    assert_eq!(tracked[col("status")].to_string(), "in progress");

    // The PDF is built from the same report model, with the same tracking.
    let pdf = download(&a, &s, &format!("/orgs/{org}/download/report.pdf")).await;
    assert!(pdf.starts_with(b"%PDF-"));

    // A snapshot keeps the tracking as it stood when it was closed.
    let history = format!("/orgs/{org}/history");
    let (_, _, html) = get(&a, &s, &history).await;
    let snapshot = field_of(&html, "assessment");
    let (status, _, _) = post(
        &a,
        &s,
        &history,
        &[
            ("csrf", &csrf_of(&html)),
            ("assessment", &snapshot),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, frag) = htmx(
        &a,
        &s,
        &format!("/orgs/{org}/plan/{first}"),
        &csrf,
        &[
            ("version", "1"),
            ("owner", "Sam Roe"),
            ("status", "done"),
            ("evidence", "https://intranet.example/done"),
        ],
    )
    .await;
    assert!(frag.contains("Saved."), "{frag}");
    let now = String::from_utf8(download(&a, &s, &format!("/orgs/{org}/download/plan.csv")).await)
        .unwrap();
    let now_rows = csv_rows(&now);
    let now_first = now_rows.iter().find(|r| r["action"] == *first).unwrap();
    assert_eq!(now_first["owners"], "Sam Roe", "{now}");
    let then = String::from_utf8(
        download(&a, &s, &format!("/orgs/{org}/history/{snapshot}/plan.csv")).await,
    )
    .unwrap();
    let then_rows = csv_rows(&then);
    let then_row = |id: &str| then_rows.iter().find(|r| r["action"] == id).unwrap();
    assert_eq!(
        (
            then_row(first)["owners"].as_str(),
            then_row(first)["due"].as_str(),
            then_row(first)["status"].as_str()
        ),
        ("Pat Lee", "2027-02-03", "in progress"),
        "{then}"
    );
    assert_eq!(then_row(second)["status"], "risk accepted");
}

async fn a_note_too_long_for_a_spreadsheet_cell_is_cut_not_fatal(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let org = small_clinic(&a, &s, "Elm Clinic").await;
    let long = "Policy text. ".repeat(40_000 / 13 + 1);
    let long = &long[..40_000];
    let (_, _, page) = get(&a, &s, &format!("/orgs/{org}/practices/1")).await;
    let csrf = csrf_of(&page);
    let (code, frag) = htmx(
        &a,
        &s,
        &format!("/orgs/{org}/answers/1.S.A.c1"),
        &csrf,
        &[("status", "partial"), ("version", "0"), ("notes", long)],
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    assert!(frag.contains("Saved at"), "{frag}");

    // The whole organization's workbook downloads; the note is cut with a visible marker.
    let xlsx = download(&a, &s, &format!("/orgs/{org}/download/assessment.xlsx")).await;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    use calamine::Reader;
    let sheet = wb.worksheet_range("answers").unwrap();
    let mut rows = sheet.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(|d| d.to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = rows.find(|r| r[col("criterion")] == "1.S.A.c1").unwrap();
    let notes = row[col("notes")].to_string();
    assert!(notes.chars().count() <= 32_767, "{}", notes.len());
    assert!(notes.starts_with("Policy text. Policy text."));
    let kept = notes[..notes.find('\u{2026}').expect("a marker")]
        .chars()
        .count();
    let cut = 40_000 - kept;
    assert!(
        notes.ends_with(&format!("\u{2026} [truncated: {cut} characters]")),
        "{}",
        &notes[notes.len() - 60..]
    );
    // The CSV of the plan and the report are not affected.
    download(&a, &s, &format!("/orgs/{org}/download/plan.csv")).await;

    // The command line writes the workbook too, with a warning, and exits 0.
    let yaml = export(&a, &s, &org).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("answers.yaml");
    std::fs::write(&file, &yaml).unwrap();
    let out_file = dir.path().join("book.xlsx");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hicp"))
        .args([
            "report",
            file.to_str().unwrap(),
            "--format",
            "xlsx",
            "--output",
            out_file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: the answers sheet, cell H")
            && stderr.contains(&format!("{cut} of its 40000 characters were cut")),
        "{stderr}"
    );
    assert!(std::fs::read(&out_file).unwrap().starts_with(b"PK"));
}

/// The forms of a page that send files (multipart), each from its attributes to `</form>`.
fn multipart_forms(page: &str) -> Vec<&str> {
    page.split("<form")
        .skip(1)
        .filter(|f| {
            let open = &f[..f.find('>').unwrap()];
            open.contains("multipart/form-data")
        })
        .map(|f| &f[..f.find("</form>").unwrap()])
        .collect()
}

async fn multipart_forms_carry_the_token_and_work_without_javascript(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let org = small_clinic(&a, &s, "Oak Clinic").await;
    // The questionnaire loads the evidence form of a question when its section opens, and
    // links to it as a page of its own for browsers without script.
    let (_, _, questions) = get(&a, &s, &format!("/orgs/{org}/practices/1")).await;
    let form_page = format!("/orgs/{org}/criteria/1.S.A.c1/evidence");
    assert!(
        questions.contains(&format!(
            "hx-get=\"{form_page}\" hx-trigger=\"toggle once\""
        )) && questions.contains(&format!("<a href=\"{form_page}\">")),
        "{questions}"
    );
    // Every form that sends a file carries the token as its first field, where a server
    // can read it before the file.
    for path in [form_page, format!("/orgs/{org}/import")] {
        let (_, _, page) = get(&a, &s, &path).await;
        let csrf = csrf_of(&page);
        let forms = multipart_forms(&page);
        assert!(!forms.is_empty(), "{path}");
        for f in forms {
            let first_field = &f[f.find("<input").unwrap()..];
            assert!(
                first_field.starts_with(&format!(
                    "<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">"
                )),
                "{path}: {f}"
            );
        }
    }

    // For htmx, the form alone, which adds to the question's list.
    let fragment = htmx_get(&a, &s, &format!("/orgs/{org}/criteria/1.S.A.c1/evidence")).await;
    assert!(
        fragment.starts_with("<form") && fragment.contains("hx-target=\"#evidence-1-S-A-c1\""),
        "{fragment}"
    );

    // Without htmx, adding evidence takes the person back to the question, where it shows.
    let (_, _, page) = get(&a, &s, &format!("/orgs/{org}/practices/1")).await;
    let csrf = csrf_of(&page);
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("criterion", "1.S.A.c1")
        .text("title", "Spam filter settings")
        .text("url", "https://intranet.example/spam.pdf");
    let r = a
        .post(s.url(&format!("/orgs/{org}/evidence")))
        .header("X-CSRF-Token", &csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.url().path(), format!("/orgs/{org}/practices/1"));
    let page = r.text().await.unwrap();
    assert!(page.contains("Spam filter settings"), "{page}");
    // A refusal is said in words on a page of its own.
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("criterion", "1.S.A.c1")
        .text("title", "Nothing attached");
    let r = a
        .post(s.url(&format!("/orgs/{org}/evidence")))
        .header("X-CSRF-Token", &csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Not added: choose a file or give a link.")
    );
}

/// Evidence upload and import exactly as a browser without JavaScript sends them: the
/// token only in the multipart body, which the CSRF middleware reads.
#[tokio::test(flavor = "multi_thread")]
async fn multipart_forms_work_without_javascript_token_in_the_body_only() {
    let db = Database::new(Backend::Sqlite);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let org = small_clinic(&a, &s, "Pine Clinic").await;
    let (_, _, page) = get(&a, &s, &format!("/orgs/{org}/practices/1")).await;
    let csrf = csrf_of(&page);
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("criterion", "1.S.A.c1")
        .text("title", "Signed BAA")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.4 signed".to_vec()).file_name("baa.pdf"),
        );
    let r = a
        .post(s.url(&format!("/orgs/{org}/evidence")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (status, path) = (r.status(), r.url().path().to_owned());
    let page = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(path, format!("/orgs/{org}/practices/1"));
    assert!(page.contains("Signed BAA"), "{page}");

    let (_, _, page) = get(&a, &s, &format!("/orgs/{org}/import")).await;
    let csrf = csrf_of(&page);
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "file",
        reqwest::multipart::Part::bytes(
            b"tier: small\nanswers:\n  - id: 1.S.A.c2\n    status: partial\n".to_vec(),
        )
        .file_name("answers.yaml"),
    );
    let r = a
        .post(s.url(&format!("/orgs/{org}/import")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Imported answers.yaml: 1 answer changed"),
        "{page}"
    );

    // A wrong token in the body is still refused.
    let form = reqwest::multipart::Form::new()
        .text("csrf", "not-the-token")
        .text("criterion", "1.S.A.c1")
        .text("title", "x")
        .text("url", "https://example.org/x");
    let r = a
        .post(s.url(&format!("/orgs/{org}/evidence")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// Every `id="..."` of a page, in order.
fn ids(page: &str) -> Vec<&str> {
    page.split(" id=\"")
        .skip(1)
        .map(|x| x.split('"').next().unwrap())
        .collect()
}

async fn pages_have_a_skip_link_named_radio_groups_and_unique_ids(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let org = small_clinic(&a, &s, "Hazel Clinic").await;
    answer(&a, &s, &org, "1.S.A.c1", "partial", 0).await;
    for (path, text, target) in [
        (format!("/orgs/{org}"), "Skip to content", "main"),
        (
            format!("/orgs/{org}/practices/1"),
            "Skip to the questions",
            "questions",
        ),
        (format!("/orgs/{org}/plan"), "Skip to content", "main"),
    ] {
        let (_, _, page) = get(&a, &s, &path).await;
        // The skip link is the first thing in the body that takes the focus.
        let body = &page[page.find("<body>").unwrap()..];
        let first = ["<a ", "<button", "<input", "<select", "<textarea"]
            .iter()
            .filter_map(|t| body.find(t))
            .min()
            .unwrap();
        assert!(
            body[first..].starts_with(&format!(
                "<a class=\"skip-link\" href=\"#{target}\">{text}</a>"
            )),
            "{path}: {}",
            &body[first..first + 80]
        );
        let all = ids(&page);
        assert!(all.contains(&target), "{path}: the target #{target} exists");
        // No id twice on the page (the two dashboard charts have their own).
        let mut seen = std::collections::HashSet::new();
        for id in &all {
            assert!(seen.insert(*id), "{path}: id {id} twice");
        }
    }
    let (_, _, dash) = get(&a, &s, &format!("/orgs/{org}")).await;
    assert!(dash.contains("aria-labelledby=\"threat-chart-t threat-chart-d\""));
    assert!(dash.contains("aria-labelledby=\"practice-chart-t practice-chart-d\""));

    // Each radio group is named by its question.
    let (_, _, page) = get(&a, &s, &format!("/orgs/{org}/practices/1")).await;
    let groups: Vec<&str> = page.split("role=\"radiogroup\"").skip(1).collect();
    assert!(!groups.is_empty());
    for g in groups {
        let label = g
            .strip_prefix(" aria-labelledby=\"")
            .unwrap_or_else(|| panic!("an unnamed radio group: {}", &g[..80]))
            .split('"')
            .next()
            .unwrap();
        let at = page.find(&format!("id=\"{label}\"")).unwrap();
        assert!(page[at..].starts_with(&format!("id=\"{label}\"><strong>")));
    }
}

async fn evidence_is_deleted_from_its_question_and_the_deletion_audited(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let org = small_clinic(&a, &s, "Pine Clinic").await;
    let page_path = format!("/orgs/{org}/practices/1");
    let (_, _, page) = get(&a, &s, &page_path).await;
    let csrf = csrf_of(&page);
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("criterion", "1.S.A.c1")
        .text("title", "Patient list uploaded by mistake")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"name,dob\n".to_vec()).file_name("patients.csv"),
        );
    let r = a
        .post(s.url(&format!("/orgs/{org}/evidence")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("Patient list uploaded by mistake"), "{page}");
    let marker = format!("action=\"/orgs/{org}/evidence/");
    let at = page
        .find(&marker)
        .expect("a delete button beside the evidence")
        + marker.len();
    let id = page[at..].split('/').next().unwrap().to_owned();

    // A viewer sees no button, and cannot delete.
    add_member(&a, &s, &org, "viewer@pine.example", "viewer").await;
    let (viewer, _, _) = sign_in(&s, "viewer@pine.example", PASSWORD).await;
    let (_, _, vpage) = get(&viewer, &s, &page_path).await;
    assert!(vpage.contains("Patient list uploaded by mistake"));
    assert!(
        !vpage.contains(&format!("/evidence/{id}/delete")),
        "{vpage}"
    );
    let (status, _, _) = post(
        &viewer,
        &s,
        &format!("/orgs/{org}/evidence/{id}/delete"),
        &[("csrf", &csrf_of(&vpage)), ("criterion", "1.S.A.c1")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, path, page) = post(
        &a,
        &s,
        &format!("/orgs/{org}/evidence/{id}/delete"),
        &[("csrf", &csrf), ("criterion", "1.S.A.c1")],
    )
    .await;
    assert_eq!((status, path), (StatusCode::OK, page_path.clone()));
    assert!(!page.contains("Patient list uploaded by mistake"), "{page}");
    let (status, _, _) = get(&a, &s, &format!("/orgs/{org}/evidence/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the file is gone");
    // The audit log keeps that it was there, with its hash, not the file.
    let (_, _, log) = get(&a, &s, &format!("/orgs/{org}/audit?entity=evidence")).await;
    assert!(log.contains("<td>deleted</td>"), "{log}");
    assert!(log.contains("patients.csv (sha256 "), "{log}");
}

/// The overall score on an organization's dashboard, and the sub-practices of the first
/// eight actions of its plan, in order.
async fn overall(c: &Client, s: &Server, org: &str) -> (String, Vec<String>) {
    let (_, _, dash) = get(c, s, &format!("/orgs/{org}")).await;
    let marker = "<h2>Overall</h2><p class=\"score\">";
    let at = dash.find(marker).expect("an overall score") + marker.len();
    let score = dash[at..at + dash[at..].find('<').unwrap()].to_owned();
    let (_, _, plan) = get(c, s, &format!("/orgs/{org}/plan")).await;
    let top = plan
        .split("<h2>")
        .skip(1)
        .filter_map(|h| {
            let (rank, rest) = h.split_once(". ")?;
            rank.parse::<usize>().ok()?;
            rest.split(' ').next().map(str::to_owned)
        })
        .take(8)
        .collect();
    (score, top)
}

/// Threat weights chosen on the settings page count exactly as the same weights in an
/// imported answers file (issue 15, item 1): the hospital's file imported without its
/// weights, then weighted by hand, scores and plans what the whole file does.
async fn threat_weights_set_in_settings_count_like_an_imported_files(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let file = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/community-hospital.yaml"
    ))
    .unwrap();
    let unweighted = file.replace(
        "threat_weights:\n  ransomware: 3\n  medical-devices: 1.5\n",
        "",
    );
    assert_ne!(unweighted, file, "the example's weights were removed");
    let whole = small_clinic(&a, &s, "Whole file").await;
    let (status, html) = import_file(&a, &s, &whole, &file).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let by_hand = small_clinic(&a, &s, "Weighted by hand").await;
    let (status, html) = import_file(&a, &s, &by_hand, &unweighted).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let even = overall(&a, &s, &by_hand).await;
    assert_ne!(
        even,
        overall(&a, &s, &whole).await,
        "the weights matter here"
    );

    let (_, _, page) = get(&a, &s, &format!("/orgs/{by_hand}/settings")).await;
    assert!(page.contains("id=\"weight-ransomware\""), "{page}");
    let csrf = csrf_of(&page);
    let settings = format!("/orgs/{by_hand}/settings/weights");
    let (status, _, page) = post(
        &a,
        &s,
        &settings,
        &[("csrf", &csrf), ("weight-ransomware", "eleven")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("use a number above 0 and at most 10"),
        "{page}"
    );
    // A number out of range is refused by the same rule as in answers files.
    let (status, _, page) = post(
        &a,
        &s,
        &settings,
        &[("csrf", &csrf), ("weight-ransomware", "0")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("use a number above 0 and at most 10"),
        "{page}"
    );
    assert_eq!(overall(&a, &s, &by_hand).await, even, "nothing saved");
    let (status, path, page) = post(
        &a,
        &s,
        &settings,
        &[
            ("csrf", &csrf),
            ("weight-ransomware", "3"),
            ("weight-medical-devices", "1.5"),
        ],
    )
    .await;
    assert_eq!(
        (status, path),
        (StatusCode::OK, format!("/orgs/{by_hand}/settings"))
    );
    assert!(page.contains("id=\"weight-ransomware\" name=\"weight-ransomware\" type=\"number\" min=\"0.1\" max=\"10\" step=\"0.1\" value=\"3\""), "{page}");
    assert_eq!(
        overall(&a, &s, &by_hand).await,
        overall(&a, &s, &whole).await
    );

    // And the web app gives `hicp assess` and `hicp plan`'s answer for the same file.
    let today = support::cli::today();
    let path = support::cli::example("community-hospital");
    let cli = |cmd: &str| -> serde_json::Value {
        serde_json::from_str(&support::cli::run_ok(&[
            cmd, &path, "--format", "json", "--as-of", &today,
        ]))
        .unwrap()
    };
    let scores = cli("assess");
    let plan = cli("plan");
    let items = plan.get("items").unwrap_or(&plan).as_array().unwrap();
    let cli_top: Vec<String> = items
        .iter()
        .take(8)
        .map(|i| i["sub_practice"].as_str().unwrap().to_owned())
        .collect();
    let (web_score, web_top) = overall(&a, &s, &whole).await;
    assert_eq!(
        web_score,
        format!("{:.1}", scores["overall"].as_f64().unwrap())
    );
    assert_eq!(web_top, cli_top);
}
