//! Two `hicp serve` replicas on one PostgreSQL database behave as one application, and
//! concurrent writers never lose an update (both backends). Black-box over HTTP.

#[macro_use]
mod support;

use reqwest::{Client, StatusCode};
use support::web::*;
use support::{Backend, Database, Server};

const EMAIL: &str = "dana@clinic.example";

#[tokio::test(flavor = "multi_thread")]
async fn a_session_made_on_one_replica_is_valid_on_the_other() {
    let db = Database::new(Backend::Postgres);
    let a = Server::start(&db);
    let b = Server::start(&db);
    let _admin = first_admin(&a).await;

    // Sign in on A; carry only the cookie header to B, with a client that has no cookie store.
    let plain = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = plain.get(a.url("/login")).send().await.unwrap();
    let pre = session_cookie(r.headers());
    let html = r.text().await.unwrap();
    let csrf = csrf_of(&html);
    let r = plain
        .post(a.url("/login"))
        .header("Cookie", &pre)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", EMAIL),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_redirection() || r.status() == StatusCode::OK,
        "{}",
        r.status()
    );
    let cookie = {
        let c = session_cookie(r.headers());
        if c.is_empty() { pre } else { c }
    };
    let r = plain
        .get(b.url("/"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "B knows the session made on A");
    let html = r.text().await.unwrap();
    assert!(html.contains("Dana Admin"), "{html}");

    // Without the cookie, B sends to the login page.
    let r = plain.get(b.url("/")).send().await.unwrap();
    assert!(
        r.status().is_redirection(),
        "no session on B without the cookie: {}",
        r.status()
    );

    // Signing out on B ends the session on A too.
    let r = plain
        .get(b.url("/"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    let csrf = csrf_of(&r.text().await.unwrap());
    plain
        .post(b.url("/logout"))
        .header("Cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let r = plain
        .get(a.url("/"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_redirection(),
        "signed out on B, signed out on A: {}",
        r.status()
    );
}

/// The `name=value` pairs of the Set-Cookie headers of a response, as a Cookie header.
fn session_cookie(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Each replica caches computed pages by the organization's revision, which every change
/// moves in the database: B's cached dashboard and questionnaire follow a change made on A
/// at once, with no message between them.
#[tokio::test(flavor = "multi_thread")]
async fn a_change_saved_on_one_replica_is_visible_on_the_other() {
    let db = Database::new(Backend::Postgres);
    let a = Server::start(&db);
    let b = Server::start(&db);
    let c = first_admin(&a).await;
    let org = create_org(&c, &a, "Clinic", &[("physicians", "4")]).await;
    // The organization made on A is listed on B.
    let (_, _, home) = get(&c, &b, "/").await;
    assert!(home.contains("Clinic"), "{home}");

    // B computes (and caches) the dashboard and the questionnaire first.
    let (_, _, before) = get(&c, &b, &format!("/orgs/{org}")).await;
    assert!(before.contains(" 0 of "), "{before}");
    let (_, _, page) = get(&c, &b, &format!("/orgs/{org}/practices/1")).await;
    assert!(!page.contains("Saved through replica A"));
    let (_, _, html) = get(&c, &a, &format!("/orgs/{org}/practices/1")).await;
    let csrf = csrf_of(&html);
    let (status, frag) = htmx(
        &c,
        &a,
        &format!("/orgs/{org}/answers/1.S.A.c1"),
        &csrf,
        &[
            ("status", "implemented"),
            ("version", "0"),
            ("notes", "Saved through replica A"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(frag.contains("Saved at"), "{frag}");
    let (status, _, html) = get(&c, &b, &format!("/orgs/{org}/practices/1")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Saved through replica A"), "{html}");
    let (_, _, after) = get(&c, &b, &format!("/orgs/{org}")).await;
    assert!(after.contains(" 1 of "), "{after}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lockout_on_one_replica_holds_on_the_other() {
    let db = Database::new(Backend::Postgres);
    let a = Server::start(&db);
    let b = Server::start(&db);
    let _admin = first_admin(&a).await;
    for _ in 0..5 {
        let (_, _, html) = sign_in(&a, EMAIL, "wrong password here").await;
        assert!(html.contains("do not match"), "{html}");
    }
    let (_, _, html) = sign_in(&b, EMAIL, PASSWORD).await;
    assert!(
        html.contains("Too many failed attempts"),
        "locked on B after failures on A, even with the right password: {html}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_writers_on_two_replicas_one_wins_the_other_is_told() {
    let db = Database::new(Backend::Postgres);
    let a = Server::start(&db);
    let b = Server::start(&db);
    let c = first_admin(&a).await;
    let org = create_org(&c, &a, "Clinic", &[("physicians", "4")]).await;
    let (_, _, html) = get(&c, &a, &format!("/orgs/{org}/practices/1")).await;
    let csrf = csrf_of(&html);
    let path = format!("/orgs/{org}/answers/1.S.A.c1");

    for round in 0..5 {
        // Both writers start from the same version (the page they both loaded).
        let version = round.to_string();
        let note_a = format!("A round {round}");
        let note_b = format!("B round {round}");
        let form_a = [
            ("status", "implemented"),
            ("version", version.as_str()),
            ("notes", note_a.as_str()),
        ];
        let form_b = [
            ("status", "partial"),
            ("version", version.as_str()),
            ("notes", note_b.as_str()),
        ];
        let ((sa, fa), (sb, fb)) = tokio::join!(
            htmx(&c, &a, &path, &csrf, &form_a),
            htmx(&c, &b, &path, &csrf, &form_b)
        );
        assert_eq!((sa, sb), (StatusCode::OK, StatusCode::OK), "{fa}\n{fb}");
        let told = "changed this answer while you were editing";
        let (won_a, won_b) = (fa.contains("Saved at"), fb.contains("Saved at"));
        assert!(won_a ^ won_b, "exactly one wins:\nA: {fa}\nB: {fb}");
        let (winner_note, loser) = if won_a {
            (&note_a, &fb)
        } else {
            (&note_b, &fa)
        };
        assert!(loser.contains(told), "the other is told: {loser}");
        assert!(
            loser.contains(winner_note.as_str()),
            "and shown the winner's value: {loser}"
        );
        // Both replicas now show the winner's value.
        for s in [&a, &b] {
            let (_, _, html) = get(&c, s, &format!("/orgs/{org}/practices/1")).await;
            assert!(html.contains(winner_note.as_str()));
        }
    }
}

on_both_backends!(concurrent_saves_of_different_answers_all_succeed);

/// N writers save different answers of one assessment at the same time, through the HTTP
/// API: every save succeeds (no busy database, no lost update).
async fn concurrent_saves_of_different_answers_all_succeed(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let c = first_admin(&s).await;
    let org = create_org(
        &c,
        &s,
        "Health System",
        &[("staffed_beds", "600"), ("physicians", "900")],
    )
    .await;
    let (_, _, html) = get(&c, &s, &format!("/orgs/{org}/practices/1")).await;
    let csrf = csrf_of(&html);
    // Every criterion id on the page: `name="…"` forms post to /answers/{criterion}.
    let marker = format!("/orgs/{org}/answers/");
    let mut criteria: Vec<String> = html
        .match_indices(&marker)
        .map(|(i, _)| {
            let rest = &html[i + marker.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect();
    criteria.sort();
    criteria.dedup();
    assert!(criteria.len() >= 4, "{criteria:?}");

    let s = std::sync::Arc::new(s);
    let mut tasks = Vec::new();
    for criterion in criteria.clone() {
        let (c, s, csrf, org) = (c.clone(), s.clone(), csrf.clone(), org.clone());
        tasks.push(tokio::spawn(async move {
            let note = format!("note for {criterion}");
            let (status, frag) = htmx(
                &c,
                &s,
                &format!("/orgs/{org}/answers/{criterion}"),
                &csrf,
                &[("status", "partial"), ("version", "0"), ("notes", &note)],
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{criterion}: {frag}");
            assert!(frag.contains("Saved at"), "{criterion}: {frag}");
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let (_, _, html) = get(&c, &s, &format!("/orgs/{org}/practices/1")).await;
    for criterion in &criteria {
        assert!(
            html.contains(&format!("note for {criterion}")),
            "{criterion} was saved"
        );
    }
}
