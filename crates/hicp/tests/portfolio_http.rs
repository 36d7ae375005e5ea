//! The portfolio (every organization a user can see, sortable, as CSV), a health system's
//! roll-up of its member sites, and an organization's profile edited after creation, over
//! HTTP on both backends (issue 15, items 13 and 8).

#[macro_use]
mod support;

use reqwest::{Client, StatusCode};
use support::web::*;
use support::{Backend, Database, Server};

on_both_backends!(
    the_portfolio_lists_sorts_and_exports_what_each_user_can_see,
    a_health_system_rolls_up_its_sites_weighted_by_size,
    the_profile_is_edited_after_creation_and_the_tier_follows_the_rules
);

async fn save_profile(
    c: &Client,
    s: &Server,
    org: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let (_, _, html) = get(c, s, &format!("/orgs/{org}/settings")).await;
    let csrf = csrf_of(&html);
    let mut f = vec![("csrf", csrf.as_str())];
    f.extend_from_slice(form);
    let (status, _, html) = post(c, s, &format!("/orgs/{org}/settings/profile"), &f).await;
    (status, html)
}

fn tier_of(settings: &str) -> String {
    let m = "<h2>Size tier: ";
    let i = settings.find(m).expect("the tier");
    settings[i + m.len()..]
        .split('<')
        .next()
        .unwrap()
        .to_owned()
}

async fn the_profile_is_edited_after_creation_and_the_tier_follows_the_rules(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let org = create_org(&a, &s, "Birch Clinic", &[("physicians", "3")]).await;
    let (_, _, page) = get(&a, &s, &format!("/orgs/{org}/settings")).await;
    assert_eq!(tier_of(&page), "small");
    assert!(
        page.contains("value=\"3\""),
        "the profile as stored: {page}"
    );

    // A hospital now: renamed and resized by the rules.
    let big = [
        ("name", "Birch Regional Hospital"),
        ("org_type", "hospital"),
        ("staffed_beds", "400"),
        ("workforce", "2500"),
        ("physicians", "300"),
    ];
    let (status, page) = save_profile(&a, &s, &org, &big).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("<h1>Birch Regional Hospital</h1>"), "{page}");
    assert_eq!(tier_of(&page), "large", "{page}");
    let (_, _, log) = get(&a, &s, &format!("/orgs/{org}/audit")).await;
    assert!(
        log.contains("profile") && log.contains("<td>tier</td>"),
        "{log}"
    );

    // A wrong number names its field and keeps what was typed; nothing changes.
    let (status, page) =
        save_profile(&a, &s, &org, &[("name", "Birch"), ("physicians", "many")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("Physicians and other providers: enter a whole number"),
        "{page}"
    );
    assert!(page.contains("value=\"many\""), "{page}");
    assert!(page.contains("<h1>Birch Regional Hospital</h1>"));

    // A tier chosen by hand stays when the profile changes, and the page does not
    // contradict itself.
    let (_, _, html) = get(&a, &s, &format!("/orgs/{org}/settings")).await;
    let (status, _, _) = post(
        &a,
        &s,
        &format!("/orgs/{org}/settings"),
        &[("csrf", &csrf_of(&html)), ("tier", "medium")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, page) = save_profile(&a, &s, &org, &big).await;
    assert_eq!(tier_of(&page), "medium");
    assert!(page.contains("Set to medium by hand"), "{page}");
    assert!(!page.contains("Chosen by hand"), "{page}");

    // Viewers cannot change it.
    add_member(&a, &s, &org, "viewer@birch.example", "viewer").await;
    let (v, _, _) = sign_in(&s, "viewer@birch.example", PASSWORD).await;
    let (status, _) = save_profile(&v, &s, &org, &big).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn set_parent(c: &Client, s: &Server, site: &str, parent: &str) -> (StatusCode, String) {
    let (_, _, html) = get(c, s, &format!("/orgs/{site}/settings")).await;
    let (status, _, html) = post(
        c,
        s,
        &format!("/orgs/{site}/settings/parent"),
        &[("csrf", &csrf_of(&html)), ("parent", parent)],
    )
    .await;
    (status, html)
}

/// The rows of the portfolio CSV, by organization name (header to value).
async fn portfolio_csv(
    c: &Client,
    s: &Server,
    query: &str,
) -> Vec<std::collections::BTreeMap<String, String>> {
    let r = c
        .get(s.url(&format!("/portfolio.csv{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = r.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

fn example(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../examples/{name}.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The first action of an organization's plan board.
async fn first_action(c: &Client, s: &Server, org: &str) -> String {
    let (_, _, html) = get(c, s, &format!("/orgs/{org}/plan")).await;
    let marker = format!("class=\"track\" hx-get=\"/orgs/{org}/plan/");
    let i = html.find(&marker).expect("an action on the plan");
    let rest = &html[i + marker.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

async fn the_portfolio_lists_sorts_and_exports_what_each_user_can_see(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let river = create_org(&a, &s, "Riverbend", &[("physicians", "8")]).await;
    let empty = create_org(&a, &s, "=HYPERLINK(\"x\") Clinic", &[("physicians", "3")]).await;
    let (status, html) = import_file(&a, &s, &river, &example("small-clinic")).await;
    assert!(status.is_success(), "{html}");
    // An overdue action: due on a past date, in progress.
    let action = first_action(&a, &s, &river).await;
    let (_, _, plan) = get(&a, &s, &format!("/orgs/{river}/plan")).await;
    let (status, _, _) = post(
        &a,
        &s,
        &format!("/orgs/{river}/plan/{action}"),
        &[
            ("csrf", &csrf_of(&plan)),
            ("version", "0"),
            ("status", "in_progress"),
            ("due_on", "2020-01-31"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // The page: both organizations, with scores, shares answered and the overdue action.
    let (status, _, page) = get(&a, &s, "/portfolio").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Riverbend") && page.contains("=HYPERLINK("),
        "{page}"
    );
    assert!(!page.contains("HYPERLINK(\"x"), "escaped: {page}");
    assert!(page.contains("Ransomware"), "a column per threat: {page}");
    assert!(page.contains("aria-sort=\"ascending\""), "sorted by name");
    assert!(
        page.contains("href=\"/portfolio?sort=overall&#38;dir=asc\""),
        "{page}"
    );
    // Sorting works without JavaScript: links, best score first when descending.
    let (_, _, desc) = get(&a, &s, "/portfolio?sort=overall&dir=desc").await;
    assert!(desc.find("Riverbend").unwrap() < desc.find("HYPERLINK").unwrap());
    assert!(desc.contains("aria-sort=\"descending\""));
    let (_, _, asc) = get(&a, &s, "/portfolio?sort=overall&dir=asc").await;
    assert!(asc.find("Riverbend").unwrap() > asc.find("HYPERLINK").unwrap());
    // An unknown column sorts by name rather than failing.
    let (status, _, _) = get(&a, &s, "/portfolio?sort=%3Cscript%3E&dir=up").await;
    assert_eq!(status, StatusCode::OK);

    // The CSV: the same rows in the same order, cells inert for spreadsheets.
    let rows = portfolio_csv(&a, &s, "?sort=overall&dir=desc").await;
    assert_eq!(rows.len(), 2);
    assert!(rows[0]["organization"].starts_with("Riverbend"), "{rows:?}");
    assert_eq!(rows[1]["organization"], "'=HYPERLINK(\"x\") Clinic");
    let r = &rows[0];
    assert_eq!(r["overdue_actions"], "1");
    assert_eq!(r["tier"], "small");
    assert!(r["overall"].parse::<f64>().unwrap() > 0.0);
    assert!(r["threat_ransomware"].parse::<f64>().is_ok(), "{r:?}");
    let answered: usize = r["answered"].parse().unwrap();
    let in_scope: usize = r["in_scope"].parse().unwrap();
    assert!(answered > 0 && answered <= in_scope, "{r:?}");
    assert!(!r["last_change_utc"].is_empty());
    assert_eq!(rows[1]["answered"], "0");
    assert_eq!(rows[1]["overdue_actions"], "0");
    // The overall score is the dashboard's.
    let (_, _, dash) = get(&a, &s, &format!("/orgs/{river}")).await;
    assert!(
        dash.contains(&format!("<p class=\"score\">{}</p>", r["overall"])),
        "{}",
        r["overall"]
    );

    // A viewer of one organization sees that one only.
    add_member(&a, &s, &empty, "viewer@x.example", "viewer").await;
    let (v, _, _) = sign_in(&s, "viewer@x.example", PASSWORD).await;
    let rows = portfolio_csv(&v, &s, "").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["organization"], "'=HYPERLINK(\"x\") Clinic");
    let (_, _, page) = get(&v, &s, "/portfolio").await;
    assert!(!page.contains("Riverbend"));
}

async fn a_health_system_rolls_up_its_sites_weighted_by_size(b: Backend) {
    let db = Database::new(b);
    let s = Server::start(&db);
    let a = first_admin(&s).await;
    let system = create_org(
        &a,
        &s,
        "Valley Health System",
        &[("org_type", "hospital"), ("staffed_beds", "300")],
    )
    .await;
    let north = create_org(&a, &s, "North Clinic", &[("physicians", "8")]).await;
    let south = create_org(
        &a,
        &s,
        "South Clinic",
        &[("physicians", "2"), ("workforce", "10")],
    )
    .await;
    let (status, html) = import_file(&a, &s, &north, &example("small-clinic")).await;
    assert!(status.is_success(), "{html}");

    // No sites yet: no roll-up.
    let (_, _, dash) = get(&a, &s, &format!("/orgs/{system}")).await;
    assert!(!dash.contains("Member sites"));
    for site in [&north, &south] {
        let (status, html) = set_parent(&a, &s, site, &system).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("a member site of <strong>Valley Health System"));
    }

    // The roll-up: each site weighted by its workforce (31 from North's answers file, 10).
    let rows = portfolio_csv(&a, &s, "").await;
    let row = |name: &str| rows.iter().find(|r| r["organization"] == name).unwrap();
    let (n, so) = (row("North Clinic"), row("South Clinic"));
    assert_eq!(n["health_system"], "Valley Health System");
    assert_eq!(
        (n["size_weight"].as_str(), so["size_weight"].as_str()),
        ("31", "10")
    );
    let (ns, ss): (f64, f64) = (
        n["overall"].parse().unwrap(),
        so["overall"].parse().unwrap(),
    );
    let weighted = (31.0 * ns + 10.0 * ss) / 41.0;
    let plain = (ns + ss) / 2.0;
    assert!((weighted - plain).abs() > 1.0, "the weights matter here");
    let (_, _, dash) = get(&a, &s, &format!("/orgs/{system}")).await;
    assert!(dash.contains("Member sites") && dash.contains("North Clinic"));
    let marker = "id=\"roll-up-overall\">";
    let i = dash.find(marker).expect("a rolled-up score");
    let shown: f64 = dash[i + marker.len()..]
        .split('<')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((shown - weighted).abs() <= 0.1, "{shown} vs {weighted}");
    assert!(dash.contains(">41<"), "the total weight");

    // The audit log records it on the site.
    let (_, _, log) = get(&a, &s, &format!("/orgs/{north}/audit")).await;
    assert!(log.contains("parent"), "{log}");

    // One level only, never itself, and only between organizations one administers.
    let (status, html) = set_parent(&a, &s, &system, &north).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("cannot have sites of its own"), "{html}");
    let (status, html) = set_parent(&a, &s, &north, &north).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
    let (status, html) = set_parent(&a, &s, &north, "no-such-org").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("Health system"), "{html}");
    add_member(&a, &s, &system, "lead@valley.example", "viewer").await;
    add_member(&a, &s, &south, "lead@valley.example", "admin").await;
    let (lead, _, _) = sign_in(&s, "lead@valley.example", PASSWORD).await;
    let (status, _) = set_parent(&lead, &s, &south, "").await;
    assert_eq!(status, StatusCode::OK, "an admin of the site may leave");
    let (status, html) = set_parent(&lead, &s, &south, &system).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "but not join without admin of both: {html}"
    );
    // A viewer of the health system sees its roll-up.
    let (_, _, dash) = get(&lead, &s, &format!("/orgs/{system}")).await;
    assert!(dash.contains("North Clinic") && !dash.contains("South Clinic"));
}
