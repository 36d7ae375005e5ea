//! Catalog content in the web app (issue 14): the edition each title follows on the
//! questionnaire, and the readiness page for the proposed HIPAA Security Rule changes. HTTP
//! black-box on SQLite and PostgreSQL.

#[macro_use]
mod support;

use reqwest::StatusCode;
use support::web::*;
use support::{Backend, Database, Server};

on_both_backends!(
    the_questionnaire_says_which_edition_a_title_follows,
    the_readiness_page_shows_what_the_answers_cover_labelled_as_ours,
    without_the_proposed_rule_in_the_catalog_no_page_links_to_readiness,
);

async fn small_clinic(s: &Server) -> (reqwest::Client, String) {
    let a = first_admin(s).await;
    let (org, _) = create_org_page(
        &a,
        s,
        "Clinic",
        &[("org_type", "physician-practice"), ("physicians", "4")],
    )
    .await;
    (a, org)
}

async fn the_questionnaire_says_which_edition_a_title_follows(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let (a, org) = small_clinic(&s).await;
    let (status, _, html) = get(&a, &s, &format!("/orgs/{org}/practices/1")).await;
    assert_eq!(status, StatusCode::OK);
    // 1.S.A's title was checked against the 2018 text only: the page says so, and explains.
    let h2 = |id: &str| {
        let at = html.find(&format!("<h2>{id} ")).unwrap();
        html[at..at + html[at..].find("</h2>").unwrap()].to_owned()
    };
    assert!(
        h2("1.S.A").contains("as in the 2018 edition"),
        "{}",
        h2("1.S.A")
    );
    assert!(html.contains("id=\"edition-note\""));
    assert!(
        html.contains("This catalog follows HICP&#39;s 2023 edition")
            || html.contains("This catalog follows HICP's 2023 edition")
    );
    // An unverified title carries that label instead of an edition.
    assert!(h2("1.S.B").contains("unverified title"));
    assert!(!h2("1.S.B").contains("edition"));
    // Practice 1's name was checked against the 2023 text: no label on the heading.
    let h1 = &html[html.find("<h1>").unwrap()..html.find("</h1>").unwrap()];
    assert!(!h1.contains("edition"), "{h1}");
    // Every small-tier question says how to tell (1.S.A, 1.S.B and 1.S.C have 13).
    assert_eq!(html.matches("<legend id=\"q-").count(), 13);
    assert_eq!(
        html.matches("<summary>How to tell</summary>").count(),
        html.matches("<legend id=\"q-").count()
    );
    // The plan board labels the same title the same way.
    let (code, _) = htmx(
        &a,
        &s,
        &format!("/orgs/{org}/answers/1.S.A.c1"),
        &csrf_of(&html),
        &[("status", "partial"), ("version", "0")],
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    let (_, _, plan) = get(&a, &s, &format!("/orgs/{org}/plan")).await;
    let at = plan.find(" 1.S.A ").expect("1.S.A is in the plan");
    let heading = &plan[at..at + plan[at..].find("</h2>").unwrap()];
    assert!(heading.contains("as in the 2018 edition"), "{heading}");
}

async fn the_readiness_page_shows_what_the_answers_cover_labelled_as_ours(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let (a, org) = small_clinic(&s).await;
    let (_, _, dash) = get(&a, &s, &format!("/orgs/{org}")).await;
    assert!(dash.contains(&format!("href=\"/orgs/{org}/readiness\"")));

    let (status, _, html) = get(&a, &s, &format!("/orgs/{org}/readiness")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"derived-notice\""));
    assert!(html.contains("not HHS&#39;s") || html.contains("not HHS's"));
    assert!(html.contains("not in force"));
    assert!(html.contains("90 FR 898"));
    assert!(html.contains("18 not answered yet"), "nothing answered yet");

    // Answering the separate backup copy covers one requirement.
    let (_, _, q) = get(&a, &s, &format!("/orgs/{org}/practices/4")).await;
    let csrf = csrf_of(&q);
    let (status, frag) = htmx(
        &a,
        &s,
        &format!("/orgs/{org}/answers/4.S.B.c6"),
        &csrf,
        &[("status", "implemented"), ("version", "0")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{frag}");
    let (_, _, html) = get(&a, &s, &format!("/orgs/{org}/readiness")).await;
    assert!(html.contains("1 covered, 17 not answered yet"), "{html}");
    let section = html
        .split("<section")
        .find(|x| x.contains("Separate controls for backup and recovery"))
        .unwrap();
    assert!(section.contains("<strong>covered</strong>"), "{section}");
    assert!(section.contains(&format!("href=\"/orgs/{org}/practices/4#sp-4-S-B\"")));
    assert!(section.contains("Your answer: yes, in place."));
    // No raw internal values.
    assert!(!html.contains("not_started") && !html.contains("implemented"));
    // Unverified requirements say so.
    let patching = html
        .split("<section")
        .find(|x| x.contains("Patch critical risks within 15 days"))
        .unwrap();
    assert!(patching.contains("unverified"));
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A custom catalog without `references/hipaa-nprm-2025.yaml` has no readiness page: no
/// page of the organization links to it (the link would be a 404), and the page and the API
/// answer 404.
async fn without_the_proposed_rule_in_the_catalog_no_page_links_to_readiness(b: Backend) {
    let db = Database::new(b);
    let catalog = db.data_dir.path().join("catalog");
    copy_dir(
        &std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../catalog/hicp-2023"),
        &catalog,
    );
    std::fs::remove_file(catalog.join("references/hipaa-nprm-2025.yaml")).unwrap();
    let s = Server::start_with(&db, &["--catalog", catalog.to_str().unwrap()]);
    let (a, org) = small_clinic(&s).await;
    let link = format!("href=\"/orgs/{org}/readiness\"");
    for page in [
        "",
        "/plan",
        "/practices/1",
        "/history",
        "/import",
        "/staff",
        "/audit",
    ] {
        let (status, _, html) = get(&a, &s, &format!("/orgs/{org}{page}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        // The navigation is there, without the readiness link.
        assert!(
            html.contains(&format!("href=\"/orgs/{org}/plan\">Action plan</a>")),
            "{page}: {html}"
        );
        assert!(
            !html.contains(&link),
            "{page} links to a page that is not there"
        );
        assert!(!html.contains("Proposed HIPAA changes"), "{page}");
    }
    let (status, _, _) = get(&a, &s, &format!("/orgs/{org}/readiness")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
