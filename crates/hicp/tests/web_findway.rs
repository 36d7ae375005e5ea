//! Finding one's way and plain words (issue 15, items 6 and 10), over HTTP on both
//! backends: the question search, the jump to the next unanswered question, the plan's
//! plain reason with the specialist detail folded, no internal values in the plan or the
//! audit log, the glossary, and the audit page for those who may not read the log.

#[macro_use]
mod support;

use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use std::sync::Arc;
use support::web::*;
use support::{Backend, Database, Server};

on_both_backends!(
    questions_can_be_searched_and_the_next_unanswered_one_found,
    the_plan_and_the_audit_log_speak_plain_words
);

/// A signed-in client that does not follow redirects (to read `Location`).
async fn no_redirects(s: &Server, email: &str) -> Client {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let c = Client::builder()
        .cookie_provider(jar)
        .redirect(Policy::none())
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
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    c
}

async fn save(c: &Client, s: &Server, org: &str, criterion: &str, status: &str) {
    let (_, _, html) = get(c, s, &format!("/orgs/{org}")).await;
    let (code, frag) = htmx(
        c,
        s,
        &format!("/orgs/{org}/answers/{criterion}"),
        &csrf_of(&html),
        &[("status", status), ("version", "0")],
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{frag}");
    assert!(frag.contains("Saved at <time datetime=\""), "{frag}");
    // The page's progress counts follow the save.
    assert!(
        frag.contains("id=\"progress-all\" hx-swap-oob=\"true\""),
        "{frag}"
    );
}

async fn location(c: &Client, s: &Server, path: &str) -> String {
    let r = c.get(s.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
    r.headers()["location"].to_str().unwrap().to_owned()
}

async fn questions_can_be_searched_and_the_next_unanswered_one_found(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let org = create_org(&a, &s, "Aspen Clinic", &[("physicians", "3")]).await;

    let (status, _, page) = get(&a, &s, &format!("/orgs/{org}/search?q=Backup")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("href=\"/orgs/{org}/practices/")),
        "{page}"
    );
    assert!(page.contains("Not answered yet"), "{page}");
    // Every word must match; ids match too; the practice page has the search form.
    let (_, _, one) = get(&a, &s, &format!("/orgs/{org}/search?q=1.S.A.c1")).await;
    assert!(one.contains("<h2>1 question</h2>"), "{one}");
    assert!(one.contains(&format!("/orgs/{org}/practices/1#q-1-S-A-c1")));
    let (_, _, none) = get(&a, &s, &format!("/orgs/{org}/search?q=zzzz+backup")).await;
    assert!(
        none.contains("No question of your assessment matches"),
        "{none}"
    );
    let (_, _, practice) = get(&a, &s, &format!("/orgs/{org}/practices/1")).await;
    assert!(practice.contains(&format!("action=\"/orgs/{org}/search\"")));
    assert!(practice.contains(&format!("href=\"/orgs/{org}/next-unanswered\"")));

    // The next question not answered yet, in catalog order.
    let nr = no_redirects(&s, "dana@clinic.example").await;
    let next = format!("/orgs/{org}/next-unanswered");
    assert_eq!(
        location(&nr, &s, &next).await,
        format!("/orgs/{org}/practices/1#q-1-S-A-c1")
    );
    save(&a, &s, &org, "1.S.A.c1", "not_started").await;
    assert_eq!(
        location(&nr, &s, &next).await,
        format!("/orgs/{org}/practices/1#q-1-S-A-c2")
    );
    // The search shows the answer in words.
    let (_, _, one) = get(&a, &s, &format!("/orgs/{org}/search?q=1.S.A.c1")).await;
    assert!(one.contains("· Not started"), "{one}");
}

async fn the_plan_and_the_audit_log_speak_plain_words(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let org = create_org(&a, &s, "Aspen Clinic", &[("physicians", "3")]).await;
    save(&a, &s, &org, "1.S.A.c1", "not_started").await;
    save(&a, &s, &org, "1.S.A.c2", "partial").await;

    // Raw values may appear in form values only, never as text.
    let raw_as_text = |html: &str, raw: &str| {
        html.matches(raw).count() - html.matches(&format!("value=\"{raw}\"")).count()
    };
    let (_, _, plan) = get(&a, &s, &format!("/orgs/{org}/plan")).await;
    assert!(plan.contains("It protects you against"), "{plan}");
    assert!(plan.contains("How the rank is computed (for specialists)"));
    for raw in ["not_started", "in_progress", "not_applicable"] {
        assert_eq!(raw_as_text(&plan, raw), 0, "{raw} in the plan");
    }
    // A plan action saved in progress: the summary line follows (htmx), the log says it in words.
    let marker = format!("class=\"track\" hx-get=\"/orgs/{org}/plan/");
    let i = plan.find(&marker).unwrap();
    let action = plan[i + marker.len()..].split('"').next().unwrap();
    let (code, frag) = htmx(
        &a,
        &s,
        &format!("/orgs/{org}/plan/{action}"),
        &csrf_of(&plan),
        &[
            ("status", "in_progress"),
            ("version", "0"),
            ("owner", "Pat"),
        ],
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        frag.contains(
            "hx-swap-oob=\"true\">Owner: Pat · Due: not set · Status: In progress</summary>"
        ),
        "{frag}"
    );
    // How the rank is computed, in words: loaded when its section opens (htmx), and on
    // the action's own page without script.
    assert!(
        plan.contains(&format!(
            "hx-get=\"/orgs/{org}/plan/{action}/rank\" hx-trigger=\"toggle once\""
        )),
        "{plan}"
    );
    assert!(plan.contains(&format!("href=\"/orgs/{org}/plan/{action}#rank\"")));
    let rank = htmx_get(&a, &s, &format!("/orgs/{org}/plan/1.S.A.a1/rank")).await;
    assert!(rank.contains("1.S.A.c1 (not started)"), "{rank}");
    assert_eq!(raw_as_text(&rank, "not_started"), 0, "{rank}");
    let (code, _, page) = get(&a, &s, &format!("/orgs/{org}/plan/1.S.A.a1/rank")).await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        page.contains("<h2 id=\"rank-title\">Why it is in the plan</h2>"),
        "{page}"
    );
    assert!(page.contains("It protects you against"), "{page}");
    assert!(page.contains("1.S.A.c1 (not started)"), "{page}");
    // An action not in the plan (of the large tier, for a small clinic) says so; an
    // unknown one is not found.
    let rank = htmx_get(&a, &s, &format!("/orgs/{org}/plan/1.L.A.a1/rank")).await;
    assert!(rank.contains("not in the plan now"), "{rank}");
    let (code, _, _) = get(&a, &s, &format!("/orgs/{org}/plan/9.Z.Z.a9/rank")).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (_, _, log) = get(&a, &s, &format!("/orgs/{org}/audit")).await;
    assert!(
        log.contains("<td>not started</td>") && log.contains("<td>in progress</td>"),
        "{log}"
    );
    assert!(log.contains("<time datetime=\""), "{log}");
    for raw in ["not_started", "in_progress"] {
        assert_eq!(raw_as_text(&log, raw), 0, "{raw} in the audit log");
    }

    // The badges and goal codes are explained.
    let (status, _, glossary) = get(&a, &s, "/help/glossary").await;
    assert_eq!(status, StatusCode::OK);
    assert!(glossary.contains("id=\"unverified\"") && glossary.contains("id=\"derived\""));
    assert!(glossary.matches("id=\"goal-").count() >= 10, "{glossary}");
    let (_, _, dash) = get(&a, &s, &format!("/orgs/{org}")).await;
    assert!(dash.contains("href=\"/help/glossary#derived\""));

    // A viewer asking for the audit log gets a page that says who can read it.
    add_member(&a, &s, &org, "viewer@aspen.example", "viewer").await;
    let (v, _, _) = sign_in(&s, "viewer@aspen.example", PASSWORD).await;
    let (status, _, page) = get(&v, &s, &format!("/orgs/{org}/audit")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("Only the admins of Aspen Clinic"), "{page}");
    assert!(
        page.contains(&format!("href=\"/orgs/{org}/plan\"")),
        "with the navigation"
    );
}
