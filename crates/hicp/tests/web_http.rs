//! `hicp serve` over HTTP, black-box: the real binary on 127.0.0.1:0, on SQLite and on
//! PostgreSQL (the machine's server at 127.0.0.1:5432, database `test`).

#[macro_use]
mod support;

use reqwest::StatusCode;
use support::web::*;
use support::{Backend, Database, Server};

on_both_backends!(
    first_run_creates_one_administrator,
    sizing_explains_the_tier_and_allows_an_override,
    answers_are_saved_validated_and_never_silently_overwritten,
    viewers_read_and_outsiders_see_nothing,
    csrf_and_headers_protect_every_page,
    login_is_rate_limited,
    evidence_is_stored_with_its_hash,
    reports_and_exports_download_from_the_dashboard,
    responses_are_sent_once_and_small,
    kept_pages_are_fresh_and_personal,
);

async fn first_run_creates_one_administrator(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let bad = client();
    let (_, _, html) = get(&bad, &s, "/setup").await;
    let csrf = csrf_of(&html);
    let (status, _, html) = post(
        &bad,
        &s,
        "/setup",
        &[
            ("csrf", &csrf),
            ("display_name", "X"),
            ("email", "x@y.example"),
            ("password", "short"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("at least 15 characters"), "{html}");

    let admin = first_admin(&s).await;
    let (_, path, html) = get(&admin, &s, "/").await;
    assert_eq!(path, "/");
    assert!(html.contains("Dana Admin"));
    // Setup is closed once an account exists.
    let (_, path, _) = get(&client(), &s, "/setup").await;
    assert_eq!(path, "/login");
    // Sign out, and back in.
    let (_, _, html) = get(&admin, &s, "/").await;
    let csrf = csrf_of(&html);
    let (_, path, _) = post(&admin, &s, "/logout", &[("csrf", &csrf)]).await;
    assert_eq!(path, "/login");
    let (_, path, _) = get(&admin, &s, "/").await;
    assert_eq!(path, "/login", "signed out");
    let (_, status, _) = sign_in(&s, "dana@clinic.example", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
}

async fn sizing_explains_the_tier_and_allows_an_override(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let c = first_admin(&s).await;
    let (org, html) = create_org_page(
        &c,
        &s,
        "Maple Street Family Practice",
        &[
            ("org_type", "physician-practice"),
            ("physicians", "6"),
            ("it_staff", "0"),
            ("workforce", "20"),
        ],
    )
    .await;
    assert!(html.contains("Size tier: small"), "{html}");
    assert!(
        html.contains("6 physicians"),
        "the reason names the count: {html}"
    );
    // A wrong number is named, and nothing is created.
    let (_, _, page) = get(&c, &s, "/orgs/new").await;
    let csrf = csrf_of(&page);
    let (_, path, html) = post(
        &c,
        &s,
        "/orgs/new",
        &[("csrf", &csrf), ("name", "Bad"), ("physicians", "six")],
    )
    .await;
    assert_eq!(path, "/orgs/new");
    assert!(
        html.contains("Physicians and other providers: enter a whole number"),
        "{html}"
    );
    // Override.
    let csrf = csrf_of(&html);
    let (_, _, html) = post(
        &c,
        &s,
        &format!("/orgs/{org}/settings"),
        &[("csrf", &csrf), ("tier", "medium")],
    )
    .await;
    assert!(html.contains("Size tier: medium"), "{html}");
    assert!(html.contains("Set to medium by hand"), "{html}");
    assert!(
        html.contains("This is not the tier the sizing rules suggest"),
        "{html}"
    );
    let (_, _, html) = get(&c, &s, &format!("/orgs/{org}/practices/1")).await;
    assert!(html.contains("1.M.A"), "medium sub-practices now apply");
    assert!(!html.contains("1.S.A Email"), "small ones no longer do");
}

async fn answers_are_saved_validated_and_never_silently_overwritten(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let (org, _) = create_org_page(
        &a,
        &s,
        "Clinic",
        &[("org_type", "physician-practice"), ("physicians", "4")],
    )
    .await;
    let (_, _, html) = get(&a, &s, &format!("/orgs/{org}/practices/1")).await;
    assert!(html.contains("1.S.A.c1"));
    let csrf = csrf_of(&html);
    let path = format!("/orgs/{org}/answers/1.S.A.c1");

    let (status, frag) = htmx(
        &a,
        &s,
        &path,
        &csrf,
        &[
            ("status", "implemented"),
            ("version", "0"),
            ("notes", "Microsoft 365 with BAA"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(frag.contains("Saved at"), "{frag}");
    assert!(
        frag.contains("value=\"1\""),
        "new version sent back: {frag}"
    );

    // Not applicable needs a reason; a future date is refused; nothing is saved.
    let (_, frag) = htmx(
        &a,
        &s,
        &path,
        &csrf,
        &[("status", "not_applicable"), ("version", "1")],
    )
    .await;
    assert!(frag.contains("say why it does not apply"), "{frag}");
    let (_, frag) = htmx(
        &a,
        &s,
        &path,
        &csrf,
        &[
            ("status", "implemented"),
            ("version", "1"),
            ("in_place_since", "2999-01-01"),
        ],
    )
    .await;
    assert!(
        frag.contains("In place since: 2999-01-01 is in the future"),
        "{frag}"
    );

    // A second person saving from a stale page is told, and shown the other's answer.
    let (_, frag) = htmx(
        &a,
        &s,
        &path,
        &csrf,
        &[("status", "partial"), ("version", "0")],
    )
    .await;
    assert!(
        frag.contains("changed this answer while you were editing"),
        "{frag}"
    );
    assert!(
        frag.contains("Yes, in place") && frag.contains("Microsoft 365 with BAA"),
        "{frag}"
    );

    // The page shows the saved answer after a reload, and the dashboard counts it.
    let (_, _, html) = get(&a, &s, &format!("/orgs/{org}/practices/1")).await;
    assert!(html.contains("Microsoft 365 with BAA"));
    let (_, _, html) = get(&a, &s, &format!("/orgs/{org}")).await;
    assert!(
        html.contains("1 of 67 questions answered") || html.contains(" of "),
        "{html}"
    );
    assert!(html.contains("role=\"img\""), "charts are there");
}

async fn viewers_read_and_outsiders_see_nothing(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let admin = first_admin(&s).await;
    let (org_a, _) = create_org_page(&admin, &s, "Clinic A", &[("physicians", "3")]).await;
    let (org_b, _) = create_org_page(&admin, &s, "Clinic B", &[("physicians", "3")]).await;
    add_member(&admin, &s, &org_a, "viewer@a.example", "viewer").await;
    add_member(&admin, &s, &org_b, "assessor@b.example", "assessor").await;

    let (viewer, _, _) = sign_in(&s, "viewer@a.example", PASSWORD).await;
    let (_, _, html) = get(&viewer, &s, &format!("/orgs/{org_a}/practices/1")).await;
    assert!(
        html.contains("<fieldset disabled>"),
        "a viewer's form is read-only"
    );
    let csrf = csrf_of(&html);
    let (status, _) = htmx(
        &viewer,
        &s,
        &format!("/orgs/{org_a}/answers/1.S.A.c1"),
        &csrf,
        &[("status", "implemented"), ("version", "0")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a viewer cannot edit");
    // One organization: the start page goes straight to it.
    let (_, path, home) = get(&viewer, &s, "/").await;
    assert_eq!(path, format!("/orgs/{org_a}"));
    assert!(home.contains("Clinic A") && !home.contains("Clinic B"));

    let (outsider, _, _) = sign_in(&s, "assessor@b.example", PASSWORD).await;
    for path in [
        format!("/orgs/{org_a}"),
        format!("/orgs/{org_a}/practices/1"),
        format!("/orgs/{org_a}/plan"),
        format!("/orgs/{org_a}/members"),
    ] {
        let (status, _, html) = get(&outsider, &s, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!html.contains("Clinic A"), "{path} leaks the name");
    }
    let (_, _, html) = get(&outsider, &s, &format!("/orgs/{org_b}/practices/1")).await;
    let csrf = csrf_of(&html);
    let (status, _) = htmx(
        &outsider,
        &s,
        &format!("/orgs/{org_a}/answers/1.S.A.c1"),
        &csrf,
        &[("status", "implemented"), ("version", "0")],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Not signed in: every page sends to the login page.
    let (_, path, _) = get(&client(), &s, &format!("/orgs/{org_a}")).await;
    assert_eq!(path, "/login");
}

async fn csrf_and_headers_protect_every_page(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    // No token.
    let (status, _, _) = post(&a, &s, "/orgs/new", &[("name", "Forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Right token, another site.
    let (_, _, html) = get(&a, &s, "/orgs/new").await;
    let csrf = csrf_of(&html);
    let r = a
        .post(s.url("/orgs/new"))
        .header("Origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str()), ("name", "Forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, _, home) = get(&a, &s, "/").await;
    assert!(!home.contains("Forged"));
    // Headers.
    let r = a.get(s.url("/")).send().await.unwrap();
    let h = r.headers();
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "no-store");
    // Cookies are HttpOnly and SameSite.
    let c = client();
    let r = c.get(s.url("/login")).send().await.unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // Escaped output.
    let (org, _) = create_org_page(&a, &s, "<script>alert(1)</script> Clinic", &[]).await;
    let (_, _, html) = get(&a, &s, &format!("/orgs/{org}")).await;
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(
        html.contains("&#60;script&#62;"),
        "the name is shown, escaped"
    );
}

async fn login_is_rate_limited(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let _admin = first_admin(&s).await;
    for _ in 0..5 {
        let (_, _, html) = sign_in(&s, "dana@clinic.example", "wrong password here").await;
        assert!(html.contains("do not match"), "{html}");
    }
    let (_, _, html) = sign_in(&s, "dana@clinic.example", PASSWORD).await;
    assert!(
        html.contains("Too many failed attempts"),
        "locked even with the right password: {html}"
    );
}

async fn evidence_is_stored_with_its_hash(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let (org, _) = create_org_page(&a, &s, "Clinic", &[("physicians", "2")]).await;
    let (_, _, html) = get(&a, &s, &format!("/orgs/{org}/practices/1")).await;
    let csrf = csrf_of(&html);
    let upload = |name: &'static str, body: &'static [u8]| {
        reqwest::multipart::Form::new()
            .text("criterion", "1.S.A.c1")
            .text("title", "Signed BAA")
            .text("collected_on", "2026-01-15")
            // Evidence stays valid into the future: that date is not refused.
            .text("valid_until", "2099-01-15")
            .part(
                "file",
                reqwest::multipart::Part::bytes(body).file_name(name),
            )
    };
    let r = a
        .post(s.url(&format!("/orgs/{org}/evidence")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .multipart(upload("baa.pdf", b"%PDF-1.4 signed agreement"))
        .send()
        .await
        .unwrap();
    let frag = r.text().await.unwrap();
    assert!(frag.contains("Evidence added."), "{frag}");
    assert!(frag.contains("valid until 2099-01-15"), "{frag}");
    // The first 12 hex digits of sha256("%PDF-1.4 signed agreement").
    assert!(frag.contains("SHA-256 b6e2b60485dd"), "{frag}");
    let href = frag
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let bytes = a
        .get(s.url(&href))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"%PDF-1.4 signed agreement");

    // A type we do not accept is refused and nothing is stored.
    let r = a
        .post(s.url(&format!("/orgs/{org}/evidence")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .multipart(upload("run.exe", b"MZ"))
        .send()
        .await
        .unwrap();
    let frag = r.text().await.unwrap();
    assert!(frag.contains("that file type is not accepted"), "{frag}");
    assert_eq!(frag.matches("<li>").count(), 1);
}

async fn reports_and_exports_download_from_the_dashboard(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let (org, _) = create_org_page(&a, &s, "Maple Clinic", &[("physicians", "5")]).await;
    let (_, _, dash) = get(&a, &s, &format!("/orgs/{org}")).await;
    assert!(dash.contains(&format!("/orgs/{org}/download/report.html")));

    let r = a
        .get(s.url(&format!("/orgs/{org}/download/report.html")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Maple Clinic") && !html.contains("<script"),
        "a self-contained report"
    );

    assert!(dash.contains(&format!("/orgs/{org}/download/report.pdf")));
    let r = a
        .get(s.url(&format!("/orgs/{org}/download/report.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("maple-clinic-hicp-report.pdf")
    );
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));

    let r = a
        .get(s.url(&format!("/orgs/{org}/download/assessment.xlsx")))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("maple-clinic.xlsx")
    );
    assert_eq!(
        &r.bytes().await.unwrap()[..2],
        b"PK",
        "an XLSX is a zip file"
    );
    for f in [
        "assessment-results.json",
        "assessment-plan.json",
        "poam.json",
    ] {
        let r = a
            .get(s.url(&format!("/orgs/{org}/download/{f}")))
            .send()
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        assert!(v.as_object().unwrap().len() == 1, "{f}: one OSCAL root");
    }
    let (status, _, _) = get(&a, &s, &format!("/orgs/{org}/download/secrets.txt")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Another organization's people get nothing.
    let (other, _) = create_org_page(&a, &s, "Other Clinic", &[("physicians", "2")]).await;
    add_member(&a, &s, &other, "other@b.example", "admin").await;
    let (outsider, _, _) = sign_in(&s, "other@b.example", PASSWORD).await;
    let r = outsider
        .get(s.url(&format!("/orgs/{org}/download/report.html")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// Send less and send it once: a download's `ETag` follows the organization's revision (304
/// while nothing changed, a new tag after a change), gzip for clients that accept it with
/// the CSRF token masked differently on every page, and fingerprinted assets cached for good.
async fn responses_are_sent_once_and_small(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let (org, _) = create_org_page(&a, &s, "Cedar Clinic", &[("physicians", "3")]).await;
    let report = s.url(&format!("/orgs/{org}/download/report.html"));

    let r = a.get(&report).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let tag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(r.headers()["cache-control"], "private, no-cache");
    let first = r.text().await.unwrap();
    let r = a
        .get(&report)
        .header("If-None-Match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert!(r.bytes().await.unwrap().is_empty());
    // Without the tag, the same report again (from the cache).
    let again = a.get(&report).send().await.unwrap().text().await.unwrap();
    assert_eq!(again, first);

    // A change moves the revision: the old tag no longer matches, the report shows it.
    let (_, _, page) = get(&a, &s, &format!("/orgs/{org}/practices/1")).await;
    let csrf = csrf_of(&page);
    let (status, _) = htmx(
        &a,
        &s,
        &format!("/orgs/{org}/answers/1.S.A.c1"),
        &csrf,
        &[
            ("status", "implemented"),
            ("version", "0"),
            ("notes", "Cedar notes"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let r = a
        .get(&report)
        .header("If-None-Match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_ne!(r.headers()["etag"].to_str().unwrap(), tag);
    assert_ne!(r.text().await.unwrap(), first);

    // gzip when asked for; the token of the page differs on every response, and both work.
    let r = a
        .get(s.url(&format!("/orgs/{org}")))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert!(r.bytes().await.unwrap().starts_with(&[0x1f, 0x8b]));
    let (_, _, one) = get(&a, &s, "/orgs/new").await;
    let (_, _, two) = get(&a, &s, "/orgs/new").await;
    let (t1, t2) = (csrf_of(&one), csrf_of(&two));
    assert_ne!(t1, t2, "masked afresh on every page");
    for (t, name) in [(t1, "Birch Clinic"), (t2, "Alder Clinic")] {
        let (status, _, html) = post(&a, &s, "/orgs/new", &[("csrf", &t), ("name", name)]).await;
        assert_eq!(status, StatusCode::OK, "{html}");
    }
    let (_, _, home) = get(&a, &s, "/").await;
    assert!(home.contains("Birch Clinic") && home.contains("Alder Clinic"));

    // Assets: pages link them with their hash; that URL is cached for good.
    let (_, _, page) = get(&a, &s, "/").await;
    let at = page
        .find("/assets/app.css?v=")
        .expect("a fingerprinted stylesheet");
    let url = &page[at..at + page[at..].find('"').unwrap()];
    let r = a.get(s.url(url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let r = a.get(s.url("/assets/app.css?v=old")).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let tag = r.headers()["etag"].to_str().unwrap().to_owned();
    let r = a
        .get(s.url("/assets/app.css"))
        .header("If-None-Match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
}

/// The dashboard, questionnaire and plan are rendered once per revision and kept (see
/// `hicp-web/src/prerender.rs`): each response must still carry its reader's name, rights
/// and a working token, and a change must show at once.
async fn kept_pages_are_fresh_and_personal(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let admin = first_admin(&s).await;
    let (org, _) = create_org_page(&admin, &s, "Kept Clinic", &[("physicians", "3")]).await;
    add_member(&admin, &s, &org, "ann@kept.example", "assessor").await;
    add_member(&admin, &s, &org, "bo@kept.example", "assessor").await;
    add_member(&admin, &s, &org, "vi@kept.example", "viewer").await;
    let (ann, _, _) = sign_in(&s, "ann@kept.example", PASSWORD).await;
    let (bo, _, _) = sign_in(&s, "bo@kept.example", PASSWORD).await;
    let (vi, _, _) = sign_in(&s, "vi@kept.example", PASSWORD).await;
    let page = format!("/orgs/{org}/practices/1");

    for path in [
        format!("/orgs/{org}"),
        page.clone(),
        format!("/orgs/{org}/plan"),
    ] {
        // Ann's visit makes the page; Bo, with the same rights, is served the kept one.
        let (_, _, first) = get(&ann, &s, &path).await;
        let (_, _, again) = get(&ann, &s, &path).await;
        let (_, _, kept) = get(&bo, &s, &path).await;
        assert!(first.contains("ann@kept.example"), "{path}");
        assert!(kept.contains("bo@kept.example"), "{path}");
        assert!(
            !kept.contains("ann@kept.example"),
            "{path} shows another's name"
        );
        assert!(!kept.contains("hicpslot"), "{path} leaks a slot");
        // The token is masked afresh for every response.
        assert_ne!(csrf_of(&first), csrf_of(&again), "{path}");
    }
    // Rights are part of the key: the viewer's questionnaire is read-only, Bo's is not.
    let (_, _, viewer_page) = get(&vi, &s, &page).await;
    assert!(viewer_page.contains("<fieldset disabled>"));
    let (_, _, bo_page) = get(&bo, &s, &page).await;
    assert!(!bo_page.contains("<fieldset disabled>"));

    // Bo saves with the token of the kept page; Ann's next page shows the answer.
    let version = |html: &str| {
        let marker = "id=\"version-1-S-A-c1\" value=\"";
        let rest = &html[html.find(marker).expect("a version field") + marker.len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    };
    let before = version(&bo_page);
    let (status, _) = htmx(
        &bo,
        &s,
        &format!("/orgs/{org}/answers/1.S.A.c1"),
        &csrf_of(&bo_page),
        &[("status", "implemented"), ("version", &before)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "the kept page's token works");
    let (_, _, after) = get(&ann, &s, &page).await;
    assert_ne!(version(&after), before, "the save shows");
}
