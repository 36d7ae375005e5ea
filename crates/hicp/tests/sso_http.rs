//! Single sign-on over HTTP, black-box, against a real OpenID Connect provider
//! (panva/oidc-provider, `tools/oidc/provider.mjs`): new accounts, linking an invited
//! account, refusals, replay and a foreign browser, disabled accounts and the MFA policy,
//! on SQLite and on PostgreSQL.

#[macro_use]
mod support;

use reqwest::{Client, StatusCode};
use support::oidc::Provider;
use support::web::*;
use support::{Backend, Database, Server, free_port};

on_both_backends!(
    a_new_person_signs_in_and_gets_an_account,
    an_invited_account_is_linked_by_its_verified_email,
    unverified_and_foreign_emails_are_refused,
    an_answer_works_once_and_only_in_the_browser_that_asked,
    a_disabled_account_cannot_sign_in_with_sso,
    a_provider_that_enforces_mfa_satisfies_the_mfa_policy,
    the_providers_groups_decide_roles,
);

/// A server with the test provider as `idp`; `extra` is added to the provider's entry.
struct Sso {
    s: Server,
    _idp: Provider,
    _db: Database,
}

fn start(b: Backend, extra: &str) -> Sso {
    start_with(b, extra, &[])
}

fn start_with(b: Backend, extra: &str, args: &[&str]) -> Sso {
    let db = Database::new(b);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let idp = Provider::start(&[&format!("{base}/login/sso/idp/callback")]);
    let config = idp.config_file(db.data_dir.path(), "idp", extra);
    let s = Server::start_with(
        &db,
        &[
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--sso-config",
            config.to_str().unwrap(),
            "--public-url",
            &base,
        ]
        .into_iter()
        .chain(args.iter().copied())
        .collect::<Vec<_>>(),
    );
    Sso {
        s,
        _idp: idp,
        _db: db,
    }
}

/// Signs in at the provider as `login` from the sign-in page; returns the client, the
/// status and path where the browser ends, and that page.
async fn sso_sign_in(s: &Server, login: &str) -> (Client, StatusCode, String, String) {
    let c = client();
    let (_, _, html) = get(&c, s, "/login").await;
    assert!(html.contains("Sign in with Test IdP"), "{html}");
    assert!(html.contains("href=\"/login/sso/idp\""), "{html}");
    // Our server sends the browser to the provider, which shows its sign-in form.
    let r = c.get(s.url("/login/sso/idp")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let form = r.text().await.unwrap();
    let action = form
        .split("action=\"")
        .nth(1)
        .and_then(|a| a.split('"').next())
        .unwrap_or_else(|| panic!("no sign-in form at the provider:\n{form}"))
        .replace("&amp;", "&");
    let r = c
        .post(action)
        .form(&[("prompt", "login"), ("login", login), ("password", "any")])
        .send()
        .await
        .unwrap();
    let (status, path) = (r.status(), r.url().path().to_owned());
    (c, status, path, r.text().await.unwrap())
}

async fn a_new_person_signs_in_and_gets_an_account(b: Backend) {
    let Sso { s, _idp, _db } = start(b, "");
    let dana = first_admin(&s).await;
    let (ann, status, path, html) = sso_sign_in(&s, "ann@clinic.example").await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, "/"), "{html}");
    let (_, _, account) = get(&ann, &s, "/account").await;
    assert!(account.contains("ann@clinic.example"), "{account}");
    // The second time, the same account (not a second one).
    let (_, status, path, _) = sso_sign_in(&s, "ann@clinic.example").await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, "/"));
    let (_, _, users) = get(&dana, &s, "/admin/users").await;
    assert_eq!(
        users.matches("<td>ann@clinic.example</td>").count(),
        1,
        "{users}"
    );
    let (_, _, audit) = get(&dana, &s, "/admin/audit").await;
    assert!(
        audit.contains("account created with single sign-on (idp)"),
        "{audit}"
    );
    // The account has no password of its own.
    let (_, status, _) = sign_in(&s, "ann@clinic.example", "").await;
    assert_ne!(status, StatusCode::SEE_OTHER);
}

async fn an_invited_account_is_linked_by_its_verified_email(b: Backend) {
    let Sso { s, _idp, _db } = start(b, "    new_accounts: false\n");
    let dana = first_admin(&s).await;
    let org = create_org(&dana, &s, "Clinic", &[("tier", "small")]).await;
    // An admin invites Bea, whose new account must change its first password...
    invite(&dana, &s, &org, "bea@clinic.example", "assessor").await;
    // ...but Bea signs in through the provider: no password change is due, and the
    // invitation waits on her start page.
    let (bea, status, path, html) = sso_sign_in(&s, "Bea@Clinic.example").await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, "/"), "{html}");
    assert!(html.contains("Clinic"), "the invitation is shown: {html}");
    let (status, path, _) = get(&bea, &s, "/account").await;
    assert_eq!((status, path.as_str()), (StatusCode::OK, "/account"));
    // Nobody else gets an account from this provider.
    let (_, status, _, html) = sso_sign_in(&s, "cal@clinic.example").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("no account for you yet"), "{html}");
}

async fn unverified_and_foreign_emails_are_refused(b: Backend) {
    let Sso { s, _idp, _db } = start(b, "");
    let dana = first_admin(&s).await;
    let (_, status, _, html) = sso_sign_in(&s, "unverified.eve@clinic.example").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("did not confirm an email address"), "{html}");
    let (_, status, _, html) = sso_sign_in(&s, "mallory@elsewhere.example").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("not one this installation accepts"), "{html}");
    // An email that merely ends like an allowed domain is another domain.
    let (_, status, _, _) = sso_sign_in(&s, "mallory@evil-clinic.example").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, _, users) = get(&dana, &s, "/admin/users").await;
    assert!(
        !users.contains("eve@") && !users.contains("mallory@"),
        "{users}"
    );
    let (_, _, audit) = get(&dana, &s, "/admin/audit").await;
    assert!(
        audit.contains("refused: email domain not allowed"),
        "{audit}"
    );
}

async fn an_answer_works_once_and_only_in_the_browser_that_asked(b: Backend) {
    let Sso { s, _idp, _db } = start(b, "");
    let _dana = first_admin(&s).await;
    // Capture the provider's answer instead of following it.
    let c = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::custom(|a| {
            let from_callback = a
                .previous()
                .last()
                .is_some_and(|u| u.path().ends_with("/callback"));
            if a.url().path().ends_with("/callback") || from_callback {
                a.stop()
            } else {
                a.follow()
            }
        }))
        .build()
        .unwrap();
    let form = c
        .get(s.url("/login/sso/idp"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let action = form
        .split("action=\"")
        .nth(1)
        .and_then(|a| a.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    let r = c
        .post(action)
        .form(&[
            ("prompt", "login"),
            ("login", "ann@clinic.example"),
            ("password", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    let answer = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        answer.contains("code=") && answer.contains("state="),
        "{answer}"
    );
    // Another browser (an attacker who sends the victim this link) gets nowhere.
    let other = client();
    let r = other.get(&answer).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("expired or was already used")
    );
    // The browser that asked is signed in, once.
    let r = c.get(&answer).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/");
    let r = c.get(&answer).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "an answer is used once");
    // A provider's refusal is shown, not an error page.
    let r = client()
        .get(s.url("/login/sso/idp/callback?error=access_denied&state=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("was cancelled"));
}

async fn a_disabled_account_cannot_sign_in_with_sso(b: Backend) {
    let Sso { s, _idp, _db } = start(b, "");
    let dana = first_admin(&s).await;
    let (_, status, _, _) = sso_sign_in(&s, "ann@clinic.example").await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, users) = get(&dana, &s, "/admin/users").await;
    let csrf = csrf_of(&users);
    let (status, _, _) = post(
        &dana,
        &s,
        "/admin/users/disable",
        &[("csrf", &csrf), ("email", "ann@clinic.example")],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, status, _, html) = sso_sign_in(&s, "ann@clinic.example").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("This account is disabled"), "{html}");
}

async fn a_provider_that_enforces_mfa_satisfies_the_mfa_policy(b: Backend) {
    // The installation requires two-step sign-in of everyone. Ann has no authenticator
    // app of ours: her provider's sign-in counts only when it is trusted to enforce a
    // second factor.
    for (trust, expect) in [("false", StatusCode::FORBIDDEN), ("true", StatusCode::OK)] {
        let Sso { s, _idp, _db } =
            start_with(b, &format!("    trust_mfa: {trust}\n"), &["--require-mfa"]);
        let dana = first_admin(&s).await;
        enrol_totp(&dana, &s).await;
        let org = create_org(&dana, &s, "Clinic", &[("tier", "small")]).await;
        invite(&dana, &s, &org, "ann@clinic.example", "viewer").await;
        let (ann, status, _, html) = sso_sign_in(&s, "ann@clinic.example").await;
        assert_eq!(status, StatusCode::OK);
        let csrf = csrf_of(&html);
        let (_, _, _) = post(
            &ann,
            &s,
            &format!("/invitations/{org}/accept"),
            &[("csrf", &csrf)],
        )
        .await;
        let (status, _, _) = get(&ann, &s, &format!("/orgs/{org}")).await;
        assert_eq!(status, expect, "trust_mfa: {trust}");
    }
}

/// A provider with a role mapping decides Ann's role in the organization it names at every
/// sign-in: admin from one group, viewer from another, no place without either.
async fn the_providers_groups_decide_roles(b: Backend) {
    let db = Database::new(b);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    // Groups travel in the ID token, as Entra ID and Okta send them.
    let idp = Provider::start_with(&[&format!("{base}/login/sso/idp/callback")], true);
    let serve = |config: &std::path::Path| {
        Server::start_with(
            &db,
            &[
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--sso-config",
                config.to_str().unwrap(),
                "--public-url",
                &base,
            ],
        )
    };
    // The mapping names an organization, so it is written once the organization exists.
    let s = serve(&idp.config_file(db.data_dir.path(), "idp", ""));
    let dana = first_admin(&s).await;
    let org = create_org(&dana, &s, "Mapped clinic", &[("tier", "small")]).await;
    drop(s);
    let roles = format!(
        "    roles:\n      map:\n        - {{ group: hicp-admins, org: {org}, role: admin }}\n        - {{ group: staff, org: {org}, role: viewer }}\n        - {{ group: staff, org: no-such-org, role: viewer }}\n"
    );
    let s = serve(&idp.config_file(db.data_dir.path(), "idp", &roles));

    let (ann, status, _, _) = sso_sign_in(&s, "ann@clinic.example#staff,hicp-admins").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = get(&ann, &s, &format!("/orgs/{org}/audit")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "admin: the highest role of her groups"
    );

    let (ann, status, path, html) = sso_sign_in(&s, "ann@clinic.example#staff").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(!path.starts_with("/login"), "signed in: {path}");
    let (status, path, _) = get(&ann, &s, &format!("/orgs/{org}")).await;
    assert_eq!((status, path), (StatusCode::OK, format!("/orgs/{org}")));
    let (status, _, _) = get(&ann, &s, &format!("/orgs/{org}/audit")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "now a viewer");

    let (ann, status, path, _) = sso_sign_in(&s, "ann@clinic.example#other").await;
    assert_eq!(
        (status, path.as_str()),
        (StatusCode::OK, "/"),
        "no organization"
    );
    let (status, _, _) = get(&ann, &s, &format!("/orgs/{org}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no group, no place");
    // Dana, who signs in with her password, keeps hers.
    let (status, _, _) = get(&dana, &s, &format!("/orgs/{org}/audit")).await;
    assert_eq!(status, StatusCode::OK);
}
