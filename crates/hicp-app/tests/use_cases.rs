//! The use cases against a real database, on SQLite and on PostgreSQL: each is atomic,
//! authorized, and safe against a concurrent close of the assessment.
//!
//! PostgreSQL: `postgres://postgres@127.0.0.1:5432/test` unless `HICP_TEST_POSTGRES_URL`
//! says otherwise (a fresh schema per test, dropped at the end).

use hicp_app::{
    AnswerInput, App, Current, Edit, Error, EvidenceContent, EvidenceUpload, Manage, OrgAccess,
    Principal, Read, Settings, Snapshot,
};
use hicp_core::assessment::{Profile, Status};
use hicp_store::Store;
use std::process::Command;

#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

fn pg_base_url() -> String {
    std::env::var("HICP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

fn psql(sql: &str) {
    let out = Command::new("psql")
        .args([
            pg_base_url().as_str(),
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-c",
            sql,
        ])
        .output()
        .expect("psql runs (PostgreSQL client)");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A migrated database for one test; dropped (PostgreSQL schema, SQLite folder) with it.
struct Db {
    url: String,
    schema: Option<String>,
    _dir: tempfile::TempDir,
}

impl Db {
    fn new(backend: Backend) -> Db {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => Db {
                url: format!("sqlite://{}?mode=rwc", dir.path().join("hicp.db").display()),
                schema: None,
                _dir: dir,
            },
            Backend::Postgres => {
                let schema = format!("hicp_app_test_{}_{}", std::process::id(), uuid_like());
                psql(&format!("CREATE SCHEMA {schema}"));
                let base = pg_base_url();
                let sep = if base.contains('?') { '&' } else { '?' };
                Db {
                    url: format!("{base}{sep}options[search_path]={schema}"),
                    schema: Some(schema),
                    _dir: dir,
                }
            }
        }
    }

    async fn app(&self) -> App {
        self.app_with(Settings::default()).await
    }

    async fn app_with(&self, settings: Settings) -> App {
        let store = Store::connect(&self.url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let files: Vec<hicp_core::catalog::SourceFile> = hicp_content::builtin_files()
            .into_iter()
            .map(|(path, text)| hicp_core::catalog::SourceFile { path, text })
            .collect();
        let catalog =
            hicp_core::catalog::load(hicp_content::BUILTIN_ROOT, &files).expect("built-in catalog");
        App::new(store, catalog, settings)
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(s) = &self.schema {
            psql(&format!("DROP SCHEMA {s} CASCADE"));
        }
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{t:x}_{}", N.fetch_add(1, Ordering::SeqCst))
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() { super::$name(super::Backend::Sqlite).await; })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() { super::$name(super::Backend::Postgres).await; })*
        }
    };
}

on_both_backends!(
    a_saved_answer_moves_the_cached_view_forward,
    evidence_stays_visible_after_a_close,
    evidence_on_an_unanswered_criterion_is_on_file_not_an_answer,
    a_stale_save_is_refused_across_a_close,
    an_unknown_version_is_stale_not_an_error,
    concurrent_setups_create_one_administrator,
    an_import_racing_a_close_is_all_or_nothing,
    saves_racing_a_close_are_never_lost,
    roles_bound_what_a_context_allows,
    threat_weights_count_in_the_scores,
    tokens_act_for_their_user_until_revoked,
    a_burst_of_wrong_passwords_is_throttled,
    spraying_from_one_address_is_stopped,
    changing_a_password_ends_the_other_sessions,
    a_reset_or_disabled_account_loses_its_sessions,
    an_organization_keeps_an_admin,
    totp_guards_sign_in_and_organizations,
    inviting_reveals_nothing_about_other_tenants,
    a_snapshot_keeps_the_tier_it_was_scored_at,
    evidence_imports_store_nothing_on_a_bad_file_and_suggestions_wait_for_a_person,
    an_email_check_is_refused_without_dns_and_stored_from_a_zone,
    a_newer_scan_replaces_a_hosts_findings_and_an_older_one_does_not,
    a_kev_catalog_flags_the_findings_stored_before_it_and_the_scans_after,
    emailed_links_work_once_and_a_failed_send_leaves_none,
);

const PASSWORD: &str = "a long enough passphrase";

/// An app with its first administrator and one small organization.
/// A small text file as evidence on `criterion`.
fn text_evidence(criterion: &str, title: &str) -> EvidenceUpload {
    EvidenceUpload {
        criterion: Some(criterion.to_owned()),
        action: None,
        title: title.into(),
        content: EvidenceContent::File {
            file_name: "notes.txt".into(),
            content_type: "text/plain".into(),
            bytes: b"backup ran".to_vec(),
            sha256: None,
        },
        collected_on: None,
        valid_until: None,
    }
}

async fn clinic(app: &App) -> (Principal, OrgAccess<Edit>) {
    app.setup("admin@clinic.example", "Admin", PASSWORD)
        .await
        .expect("setup");
    let signed = app
        .sign_in("admin@clinic.example", PASSWORD, None)
        .await
        .unwrap();
    let (who, _) = app.session(&signed.secret).await.unwrap().unwrap();
    let admin = app.installation_admin(&who).unwrap();
    let org = app
        .create_organization(&admin, "Maple Street Clinic", &Profile::default())
        .await
        .unwrap();
    let access = app.org_access::<Edit>(&who, org.id.as_str()).await.unwrap();
    (who, access)
}

fn answer(status: &str) -> AnswerInput {
    AnswerInput::new(Status::from_name(status).expect("a status name"))
}

async fn evidence_stays_visible_after_a_close(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    let (_, access) = clinic(&app).await;
    let criterion = app.catalog().sub_practices[0].criteria[0].id.to_string();
    app.save_answer(&access, &criterion, &answer("implemented"), 0)
        .await
        .unwrap();
    let added = app
        .add_evidence(&access, text_evidence(&criterion, "Backup log, January"))
        .await
        .unwrap();
    let closed = app.close_assessment(&access, None).await.unwrap();
    let snapshot = closed.snapshot.expect("closed now");
    // The new current assessment still has it, on its criterion, and so does the snapshot.
    let now = app.assessment(&access, &closed.next).await.unwrap();
    assert_eq!(now.evidence, vec![added.clone()]);
    let then = app.assessment(&access, &snapshot).await.unwrap();
    assert_eq!(then.evidence, vec![added.clone()]);
    let answers = app.answers_of(&access, &now);
    assert_eq!(answers.answer(&criterion).evidence.len(), 1);
    assert_eq!(answers.status(&criterion), Status::Implemented);
    // The file can still be downloaded.
    let (_, file) = app.evidence_file(&access, added.id.as_str()).await.unwrap();
    assert_eq!(file.unwrap().bytes, b"backup ran");
}

/// Evidence filed on a criterion nobody answered yet is on file in the domain's answers (the
/// report's evidence index lists it) and is not an answer: not counted as answered, no score;
/// once answered, it is the answer's evidence.
async fn evidence_on_an_unanswered_criterion_is_on_file_not_an_answer(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    let (_, access) = clinic(&app).await;
    let criterion = app.catalog().sub_practices[0].criteria[1].id.to_string();
    let upload = |title: &str| text_evidence(&criterion, title);
    let blank = {
        let cur = app
            .assessment(&access, &app.current_assessment(&access).await.unwrap())
            .await
            .unwrap();
        app.answers_of(&access, &cur)
    };
    app.add_evidence(&access, upload("Mail gateway settings"))
        .await
        .unwrap();
    let cur = app
        .assessment(&access, &app.current_assessment(&access).await.unwrap())
        .await
        .unwrap();
    let answers = app.answers_of(&access, &cur);
    assert!(!answers.is_answered(&criterion));
    assert!(answers.criteria.is_empty());
    assert_eq!(answers.evidence_on_file(&criterion).len(), 1);
    assert_eq!(
        answers.evidence_on_file(&criterion)[0].title,
        "Mail gateway settings"
    );
    assert_eq!(
        answers.progress(app.catalog()),
        blank.progress(app.catalog())
    );
    assert_eq!(
        hicp_core::assessment::score(app.catalog(), &answers).overall,
        hicp_core::assessment::score(app.catalog(), &blank).overall
    );

    // Answered: the evidence is the answer's, and no longer apart.
    app.save_answer(&access, &criterion, &answer("partial"), 0)
        .await
        .unwrap();
    let cur = app.assessment(&access, &cur.assessment).await.unwrap();
    let answers = app.answers_of(&access, &cur);
    assert!(answers.unanswered_evidence.is_empty());
    assert_eq!(answers.answer(&criterion).evidence.len(), 1);
}

async fn a_stale_save_is_refused_across_a_close(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    let (_, access) = clinic(&app).await;
    let criterion = app.catalog().sub_practices[0].criteria[0].id.to_string();
    let first = app
        .save_answer(&access, &criterion, &answer("partial"), 0)
        .await
        .unwrap()
        .answer;
    // Two people open the form at version 1; the assessment is closed; one saves.
    app.close_assessment(&access, None).await.unwrap();
    let theirs = app
        .save_answer(&access, &criterion, &answer("implemented"), first.version)
        .await
        .unwrap()
        .answer;
    assert_eq!(theirs.version, first.version + 1);
    // The other form, still at version 1: an invalid answer is refused as invalid (not
    // applicable needs a reason), a valid one as stale, with the current value.
    let stale = app
        .save_answer(
            &access,
            &criterion,
            &answer("not_applicable"),
            first.version,
        )
        .await;
    assert!(matches!(stale, Err(Error::Invalid { .. })), "{stale:?}");
    let stale = app
        .save_answer(&access, &criterion, &answer("largely"), first.version)
        .await;
    match stale {
        Err(Error::Stale(current)) => match *current {
            Current::Answer(Some(a)) => {
                assert_eq!(a.status, Status::Implemented);
                assert_eq!(a.version, theirs.version);
            }
            other => panic!("{other:?}"),
        },
        other => panic!("a stale save must be refused: {other:?}"),
    }
}

async fn an_unknown_version_is_stale_not_an_error(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    let (_, access) = clinic(&app).await;
    let criterion = app.catalog().sub_practices[0].criteria[0].id.to_string();
    let r = app
        .save_answer(&access, &criterion, &answer("partial"), 7)
        .await;
    assert!(
        matches!(&r, Err(Error::Stale(c)) if **c == Current::Answer(None)),
        "{r:?}"
    );
    let r = app
        .save_action(
            &access,
            app.catalog().sub_practices[0].actions[0].id.as_str(),
            &hicp_app::ActionInput {
                owner: None,
                due_on: None,
                status: hicp_app::ActionStatus::InProgress,
                reason: None,
            },
            3,
            None,
        )
        .await;
    assert!(
        matches!(&r, Err(Error::Stale(c)) if **c == Current::Action(None)),
        "{r:?}"
    );
    let r = app
        .save_answer(&access, &criterion, &answer("partial"), -1)
        .await;
    assert!(
        matches!(
            r,
            Err(Error::Invalid {
                field: "version",
                ..
            })
        ),
        "{r:?}"
    );
}

async fn concurrent_setups_create_one_administrator(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            app.setup(&format!("admin{i}@clinic.example"), "Admin", PASSWORD)
                .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(Error::SetupDone) => {}
            Err(e) => panic!("a setup failed otherwise: {e:?}"),
        }
    }
    assert_eq!(ok, 1);
    let users = app.users(&app.operator()).await.unwrap();
    assert_eq!(users.len(), 1, "{users:?}");
    assert!(users[0].is_admin);
}

/// Password spraying: 40 wrong guesses from one address over 40 accounts, at once, get at
/// most 30 checks (the per-address limit); that address then waits even with a right
/// password, while the same account from elsewhere signs in.
async fn spraying_from_one_address_is_stopped(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    clinic(&app).await;
    let sprayer: std::net::IpAddr = "198.51.100.7".parse().unwrap();
    let spray: Vec<_> = (0..40)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                app.sign_in(
                    &format!("person{i}@clinic.example"),
                    "Summer2024!",
                    Some(sprayer),
                )
                .await
            })
        })
        .collect();
    let (mut checked, mut throttled) = (0, 0);
    for t in spray {
        match t.await.unwrap() {
            Err(Error::BadCredentials) => checked += 1,
            Err(Error::Throttled { .. }) => throttled += 1,
            other => panic!("{:?}", other.map(|s| s.user.email)),
        }
    }
    assert_eq!((checked, throttled), (30, 10), "30 checks from one address");
    let right = app
        .sign_in("admin@clinic.example", PASSWORD, Some(sprayer))
        .await;
    assert!(
        matches!(right, Err(Error::Throttled { retry_after_seconds }) if retry_after_seconds > 800),
        "{:?}",
        right.map(|_| ())
    );
    let elsewhere: std::net::IpAddr = "203.0.113.9".parse().unwrap();
    let ok = app
        .sign_in("admin@clinic.example", PASSWORD, Some(elsewhere))
        .await;
    assert!(ok.is_ok(), "{:?}", ok.map(|_| ()));
}

/// The large example file, as a hospital would import it.
fn hospital_file() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/community-hospital.yaml"
    ))
    .unwrap()
}

async fn an_import_racing_a_close_is_all_or_nothing(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    let (who, _) = clinic(&app).await;
    let text = hospital_file();
    for round in 0..4 {
        let admin = app.installation_admin(&who).unwrap();
        let org = app
            .create_organization(&admin, &format!("Hospital {round}"), &Profile::default())
            .await
            .unwrap();
        let access = app.org_access::<Edit>(&who, org.id.as_str()).await.unwrap();
        let import = {
            let (app, access, text) = (app.clone(), access.clone(), text.clone());
            tokio::spawn(async move { app.import_answers(&access, "hospital.yaml", &text).await })
        };
        let close = {
            let (app, access) = (app.clone(), access.clone());
            tokio::spawn(async move { app.close_assessment(&access, None).await })
        };
        let imported = import
            .await
            .unwrap()
            .expect("the import succeeds, before or after");
        let closed = close.await.unwrap().unwrap();
        let snapshot = closed.snapshot.unwrap();
        let read = app.org_access::<Read>(&who, org.id.as_str()).await.unwrap();
        let then = app.assessment(&read, &snapshot).await.unwrap();
        let now = app.assessment(&read, &closed.next).await.unwrap();
        // All or nothing: the snapshot has none of the file or all of it, and the current
        // assessment has all of it either way.
        assert!(
            then.answers.is_empty() || then.answers.len() == imported.changed,
            "round {round}: snapshot has {} of {} answers",
            then.answers.len(),
            imported.changed
        );
        assert_eq!(now.answers.len(), imported.changed, "round {round}");
        // The snapshot's stored counts agree with its rows (it was scored in the close).
        let stored = Snapshot::parse(snapshot.snapshot_json.as_deref()).unwrap();
        // Every stored answer in scope counts, "not started" included.
        let a = app.answers_of(&read, &then);
        let in_scope: std::collections::HashSet<&str> = a
            .scope(app.catalog())
            .into_iter()
            .flat_map(|s| s.criteria.iter().map(|c| c.id.as_str()))
            .collect();
        let answered = then
            .answers
            .iter()
            .filter(|r| in_scope.contains(r.criterion_id.as_str()))
            .count();
        assert_eq!(stored.answered, answered, "round {round}");
    }
}

async fn saves_racing_a_close_are_never_lost(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    let (_, access) = clinic(&app).await;
    let criteria: Vec<String> = app.catalog().sub_practices[..4]
        .iter()
        .flat_map(|s| s.criteria.iter().map(|c| c.id.to_string()))
        .take(12)
        .collect();
    let mut saves = Vec::new();
    for c in criteria.clone() {
        let (app, access) = (app.clone(), access.clone());
        saves.push(tokio::spawn(async move {
            app.save_answer(&access, &c, &answer("largely"), 0).await
        }));
    }
    let close = {
        let (app, access) = (app.clone(), access.clone());
        tokio::spawn(async move { app.close_assessment(&access, None).await })
    };
    for s in saves {
        s.await
            .unwrap()
            .expect("every save lands, before or after the close");
    }
    let closed = close.await.unwrap().unwrap();
    let now = app.assessment(&access, &closed.next).await.unwrap();
    for c in &criteria {
        assert!(
            now.answers
                .iter()
                .any(|a| a.criterion_id.as_str() == c && a.status == Status::Largely),
            "{c} was lost"
        );
    }
}

async fn roles_bound_what_a_context_allows(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    let (_, access) = clinic(&app).await;
    let manage = access.at::<Manage>().unwrap();
    app.add_member(
        &manage,
        "viewer@clinic.example",
        "Vera",
        hicp_app::Role::Viewer,
        PASSWORD,
    )
    .await
    .unwrap();
    let signed = app
        .sign_in("viewer@clinic.example", PASSWORD, None)
        .await
        .unwrap();
    assert!(
        signed.user.must_change_password,
        "the admin knows the first password"
    );
    let (viewer, _) = app.session(&signed.secret).await.unwrap().unwrap();
    let org = access.org_id().as_str();
    // Invited is not joined: nothing until she accepts.
    assert!(matches!(
        app.org_access::<Read>(&viewer, org).await,
        Err(Error::NotFound)
    ));
    assert_eq!(app.my_invitations(&viewer).await.unwrap().len(), 1);
    app.answer_invitation(&viewer, org, true).await.unwrap();
    assert!(app.my_invitations(&viewer).await.unwrap().is_empty());
    assert!(app.org_access::<Read>(&viewer, org).await.is_ok());
    assert!(matches!(
        app.org_access::<Edit>(&viewer, org).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        app.installation_admin(&viewer),
        Err(Error::Forbidden)
    ));
    // Another organization is not found for her, whatever its id.
    let admin = app.installation_admin(access.principal()).unwrap();
    let other = app
        .create_organization(&admin, "Other clinic", &Profile::default())
        .await
        .unwrap();
    assert!(matches!(
        app.org_access::<Read>(&viewer, other.id.as_str()).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        app.org_access::<Read>(&viewer, "no-such-org").await,
        Err(Error::NotFound)
    ));
}

async fn threat_weights_count_in_the_scores(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    let (who, access) = clinic(&app).await;
    let manage = access.at::<Manage>().unwrap();
    let mut weights = std::collections::BTreeMap::new();
    weights.insert("ransomware".to_owned(), 3.0);
    app.set_threat_weights(&manage, &weights).await.unwrap();
    // Read again: the weight is the organization's now, and the domain sees it.
    let access = app
        .org_access::<Read>(&who, access.org_id().as_str())
        .await
        .unwrap();
    let a = app.current_assessment(&access).await.unwrap();
    let cur = app.assessment(&access, &a).await.unwrap();
    let answers = app.answers_of(&access, &cur);
    assert_eq!(answers.weight("ransomware"), 3.0);
    assert_eq!(answers.weight("social-engineering"), 1.0);
    // Unknown threats and weights out of range are refused, naming the field.
    weights.insert("meteor".to_owned(), 1.0);
    let r = app.set_threat_weights(&manage, &weights).await;
    assert!(
        matches!(
            r,
            Err(Error::Invalid {
                field: "threat_weights",
                ..
            })
        ),
        "{r:?}"
    );
    let mut weights = std::collections::BTreeMap::new();
    weights.insert("ransomware".to_owned(), 11.0);
    let r = app.set_threat_weights(&manage, &weights).await;
    assert!(
        matches!(
            r,
            Err(Error::Invalid {
                field: "threat_weights",
                ..
            })
        ),
        "{r:?}"
    );
}

async fn tokens_act_for_their_user_until_revoked(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    let (who, access) = clinic(&app).await;
    let made = app.create_token(&who, "GRC sync", true).await.unwrap();
    assert!(made.secret.starts_with(hicp_app::TOKEN_PREFIX));
    let reader = app.token_principal(&made.secret).await.unwrap().unwrap();
    assert!(reader.read_only());
    assert_eq!(reader.user().id, who.user().id);
    // A read-only token reads, edits nothing and mints no other token.
    let org = access.org_id().as_str();
    assert!(app.org_access::<Read>(&reader, org).await.is_ok());
    assert!(matches!(
        app.org_access::<Edit>(&reader, org).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        app.create_token(&reader, "escalate", false).await,
        Err(Error::Forbidden)
    ));
    let listed = app.tokens(&who).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some(), "use is recorded");
    // Revoked: the secret stands for nobody.
    assert!(
        app.revoke_token(&who, made.token.id.as_str())
            .await
            .unwrap()
    );
    assert!(app.token_principal(&made.secret).await.unwrap().is_none());
    assert!(
        !app.revoke_token(&who, made.token.id.as_str())
            .await
            .unwrap()
    );
}

async fn a_burst_of_wrong_passwords_is_throttled(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    clinic(&app).await;
    let client: std::net::IpAddr = "192.0.2.10".parse().unwrap();
    let burst: Vec<_> = (0..40)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                app.sign_in(
                    "admin@clinic.example",
                    &format!("wrong guess {i}"),
                    Some(client),
                )
                .await
            })
        })
        .collect();
    let (mut checked, mut throttled) = (0, 0);
    for t in burst {
        match t.await.unwrap() {
            Err(Error::BadCredentials) => checked += 1,
            Err(Error::Throttled {
                retry_after_seconds,
            }) => {
                assert!(
                    (1..=30).contains(&retry_after_seconds),
                    "{retry_after_seconds}"
                );
                throttled += 1;
            }
            other => panic!("{:?}", other.map(|s| s.user.email)),
        }
    }
    assert_eq!(checked, 5, "no more guesses are checked than the limit");
    assert_eq!(throttled, 35);
    // The right password right after the burst waits too: the lock is the account's.
    let right = app
        .sign_in("admin@clinic.example", PASSWORD, Some(client))
        .await;
    assert!(
        matches!(right, Err(Error::Throttled { .. })),
        "{:?}",
        right.map(|_| ())
    );
    // Another account from elsewhere is not held up.
    let other = app.sign_in("nobody@clinic.example", PASSWORD, None).await;
    assert!(
        matches!(other, Err(Error::BadCredentials)),
        "{:?}",
        other.map(|_| ())
    );
}

async fn changing_a_password_ends_the_other_sessions(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    let (who, _) = clinic(&app).await;
    let here = app
        .sign_in("admin@clinic.example", PASSWORD, None)
        .await
        .unwrap();
    let elsewhere = app
        .sign_in("admin@clinic.example", PASSWORD, None)
        .await
        .unwrap();
    let new = "seven quiet harbors under amber lamps";
    let wrong = app.change_password(&who, &here.secret, "not it", new).await;
    assert!(
        matches!(
            wrong,
            Err(Error::Invalid {
                field: "current_password",
                ..
            })
        ),
        "{wrong:?}"
    );
    let common = app
        .change_password(
            &who,
            &here.secret,
            PASSWORD,
            "admin at the clinic since 2026",
        )
        .await;
    assert!(
        matches!(
            common,
            Err(Error::Invalid {
                field: "password",
                ..
            })
        ),
        "{common:?}"
    );
    app.change_password(&who, &here.secret, PASSWORD, new)
        .await
        .unwrap();
    assert!(
        app.session(&here.secret).await.unwrap().is_some(),
        "this session stays"
    );
    assert!(
        app.session(&elsewhere.secret).await.unwrap().is_none(),
        "others end"
    );
    assert!(matches!(
        app.sign_in("admin@clinic.example", PASSWORD, None).await,
        Err(Error::BadCredentials)
    ));
    app.sign_in("admin@clinic.example", new, None)
        .await
        .unwrap();
    app.sign_out_everywhere(&who).await.unwrap();
    assert!(app.session(&here.secret).await.unwrap().is_none());
}

async fn a_reset_or_disabled_account_loses_its_sessions(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    clinic(&app).await;
    let operator = app.operator();
    app.create_user(&operator, "pat@clinic.example", "Pat", PASSWORD, false)
        .await
        .unwrap();
    let before = app
        .sign_in("pat@clinic.example", PASSWORD, None)
        .await
        .unwrap();

    let temporary = app
        .reset_password(&operator, "pat@clinic.example")
        .await
        .unwrap();
    assert_eq!(temporary.len(), 20);
    assert!(
        app.session(&before.secret).await.unwrap().is_none(),
        "reset ends sessions"
    );
    assert!(matches!(
        app.sign_in("pat@clinic.example", PASSWORD, None).await,
        Err(Error::BadCredentials)
    ));
    let after = app
        .sign_in("pat@clinic.example", &temporary, None)
        .await
        .unwrap();
    assert!(
        after.user.must_change_password,
        "a temporary password must be changed"
    );
    let (pat, _) = app.session(&after.secret).await.unwrap().unwrap();
    app.change_password(
        &pat,
        &after.secret,
        &temporary,
        "my own long passphrase here",
    )
    .await
    .unwrap();
    let (pat, _) = app.session(&after.secret).await.unwrap().unwrap();
    assert!(!pat.user().must_change_password);

    app.set_account_disabled(&operator, "pat@clinic.example", true)
        .await
        .unwrap();
    assert!(
        app.session(&after.secret).await.unwrap().is_none(),
        "disabling ends sessions"
    );
    assert!(matches!(
        app.sign_in("pat@clinic.example", "my own long passphrase here", None)
            .await,
        Err(Error::AccountDisabled)
    ));
    app.set_account_disabled(&operator, "pat@clinic.example", false)
        .await
        .unwrap();
    app.sign_in("pat@clinic.example", "my own long passphrase here", None)
        .await
        .unwrap();
    assert!(matches!(
        app.reset_password(&operator, "nobody@clinic.example").await,
        Err(Error::NotFound)
    ));
}

async fn an_organization_keeps_an_admin(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    let (who, access) = clinic(&app).await;
    let manage = access.at::<Manage>().unwrap();
    let sam = join(&app, &manage, "sam@clinic.example", hicp_app::Role::Viewer).await;
    let me = who.user().id.clone();
    let last = app
        .set_member_role(&manage, &me, Some(hicp_app::Role::Viewer))
        .await;
    assert!(
        matches!(
            last,
            Err(Error::Invalid {
                field: "role",
                problem: hicp_app::Problem::LastAdmin
            })
        ),
        "{last:?}"
    );
    assert!(matches!(
        app.set_member_role(&manage, &me, None).await,
        Err(Error::Invalid { .. })
    ));
    app.set_member_role(&manage, &sam.user().id, Some(hicp_app::Role::Admin))
        .await
        .unwrap();
    // Now there are two admins: one may step down.
    app.set_member_role(&manage, &me, Some(hicp_app::Role::Assessor))
        .await
        .unwrap();
    app.set_member_role(&manage, &sam.user().id, None)
        .await
        .expect_err("the last admin cannot leave");
    let members = app.members(&manage).await.unwrap();
    assert_eq!(members.len(), 2);
}

/// The TOTP code of a base32 secret, `ahead` 30-second steps from now.
fn totp_code(secret: &str, ahead: u64) -> String {
    let t = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    t.generate(now + 30 * ahead).to_string()
}

async fn totp_guards_sign_in_and_organizations(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    let (who, access) = clinic(&app).await;
    let manage = access.at::<Manage>().unwrap();
    // An admin cannot require what they do not use themselves.
    assert!(matches!(
        app.set_require_mfa(&manage, true).await,
        Err(Error::Invalid {
            problem: hicp_app::Problem::MfaFirst,
            ..
        })
    ));

    let here = app
        .sign_in("admin@clinic.example", PASSWORD, None)
        .await
        .unwrap();
    let enrolment = app.start_totp(&who).await.unwrap();
    assert!(enrolment.url.starts_with("otpauth://totp/"));
    let wrong = app.confirm_totp(&who, &here.secret, "000000").await;
    assert!(
        matches!(wrong, Err(Error::Invalid { field: "code", .. })),
        "{wrong:?}"
    );
    // Kept, not computed again: the replay below must be this very code even if a new
    // 30-second step begins in between.
    let used = totp_code(&enrolment.secret, 0);
    let recovery = app.confirm_totp(&who, &here.secret, &used).await.unwrap();
    assert_eq!(recovery.len(), 10);
    assert_eq!(app.recovery_codes_left(&who).await.unwrap(), 10);

    // The password alone gives a half-open session that opens nothing.
    let half = app
        .sign_in("admin@clinic.example", PASSWORD, None)
        .await
        .unwrap();
    assert!(half.session.mfa_pending);
    assert!(app.session(&half.secret).await.unwrap().is_none());
    // The enrolment's code was used: it cannot be replayed.
    let replay = app.second_factor(&half.secret, &used).await;
    assert!(matches!(replay, Err(Error::Invalid { .. })), "{replay:?}");
    app.second_factor(&half.secret, &totp_code(&enrolment.secret, 1))
        .await
        .unwrap();
    let mine = half.secret.clone();
    let (me, _) = app.session(&mine).await.unwrap().unwrap();

    // A recovery code works once.
    let half = app
        .sign_in("admin@clinic.example", PASSWORD, None)
        .await
        .unwrap();
    app.second_factor(&half.secret, &recovery[3].to_uppercase())
        .await
        .unwrap();
    let half = app
        .sign_in("admin@clinic.example", PASSWORD, None)
        .await
        .unwrap();
    assert!(app.second_factor(&half.secret, &recovery[3]).await.is_err());
    assert_eq!(app.recovery_codes_left(&me).await.unwrap(), 9);

    // The organization's policy: members without a second factor are kept out.
    let manage = app
        .org_access::<Manage>(&me, access.org_id().as_str())
        .await
        .unwrap();
    let sam = join(&app, &manage, "sam@clinic.example", hicp_app::Role::Viewer).await;
    app.set_require_mfa(&manage, true).await.unwrap();
    assert!(matches!(
        app.org_access::<Read>(&sam, access.org_id().as_str()).await,
        Err(Error::MfaRequired)
    ));
    app.org_access::<Read>(&me, access.org_id().as_str())
        .await
        .unwrap();
    // Turning it off needs the password; an administrator can reset it for someone who
    // lost their phone, which ends their sessions.
    assert!(app.disable_totp(&me, "not it").await.is_err());
    app.reset_totp(&app.operator(), "admin@clinic.example")
        .await
        .unwrap();
    assert!(
        app.session(&mine).await.unwrap().is_none(),
        "a reset ends sessions"
    );
    let again = app
        .sign_in("admin@clinic.example", PASSWORD, None)
        .await
        .unwrap();
    assert!(!again.session.mfa_pending);
    let (me, _) = app.session(&again.secret).await.unwrap().unwrap();
    assert!(matches!(
        app.org_access::<Read>(&me, access.org_id().as_str()).await,
        Err(Error::MfaRequired)
    ));
}

/// Invites `email` and has them accept: their principal, signed in.
async fn join(
    app: &App,
    manage: &OrgAccess<Manage>,
    email: &str,
    role: hicp_app::Role,
) -> Principal {
    app.add_member(manage, email, "Invited person", role, PASSWORD)
        .await
        .unwrap();
    let signed = app.sign_in(email, PASSWORD, None).await.unwrap();
    let (who, _) = app.session(&signed.secret).await.unwrap().unwrap();
    app.answer_invitation(&who, manage.org_id().as_str(), true)
        .await
        .unwrap();
    who
}

/// Inviting an email that has an account in another tenant reveals nothing of it: the same
/// answer, its name and password untouched, and no membership until it accepts.
async fn inviting_reveals_nothing_about_other_tenants(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    let (_, access) = clinic(&app).await;
    let manage = access.at::<Manage>().unwrap();
    let operator = app.operator();
    app.create_user(
        &operator,
        "pat@elsewhere.example",
        "Pat Elsewhere",
        PASSWORD,
        false,
    )
    .await
    .unwrap();
    // A weak first password is refused whether or not the account exists.
    for email in ["pat@elsewhere.example", "nobody@elsewhere.example"] {
        let weak = app
            .add_member(&manage, email, "X", hicp_app::Role::Viewer, "short")
            .await;
        assert!(
            matches!(
                weak,
                Err(Error::Invalid {
                    field: "password",
                    ..
                })
            ),
            "{email}"
        );
    }
    app.add_member(
        &manage,
        "pat@elsewhere.example",
        "Someone Else",
        hicp_app::Role::Viewer,
        "another long passphrase",
    )
    .await
    .unwrap();
    let members = app.members(&manage).await.unwrap();
    assert!(members.iter().all(|m| m.email != "pat@elsewhere.example"));
    let invited = app.pending_invitations(&manage).await.unwrap();
    assert_eq!(invited.len(), 1);
    // Pat's account is as it was: own name, own password, no forced change.
    let signed = app
        .sign_in("pat@elsewhere.example", PASSWORD, None)
        .await
        .unwrap();
    assert_eq!(signed.user.display_name, "Pat Elsewhere");
    assert!(!signed.user.must_change_password);
    let (pat, _) = app.session(&signed.secret).await.unwrap().unwrap();
    app.answer_invitation(&pat, access.org_id().as_str(), false)
        .await
        .unwrap();
    assert!(app.pending_invitations(&manage).await.unwrap().is_empty());
    assert!(matches!(
        app.org_access::<Read>(&pat, access.org_id().as_str()).await,
        Err(Error::NotFound)
    ));
}

/// An import that resizes the organization, then a close: the snapshot is stored at the
/// tier it was scored at, so reading it back uses the same scope.
async fn a_snapshot_keeps_the_tier_it_was_scored_at(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    let (who, access) = clinic(&app).await;
    assert_eq!(access.tier(), hicp_core::catalog::Tier::Small);
    let imported = app
        .import_answers(&access, "hospital.yaml", &hospital_file())
        .await
        .unwrap();
    let closed = app.close_assessment(&access, None).await.unwrap();
    let snapshot = closed.snapshot.unwrap();
    let read = app
        .org_access::<Read>(&who, access.org_id().as_str())
        .await
        .unwrap();
    assert_ne!(
        read.tier(),
        hicp_core::catalog::Tier::Small,
        "the file resized it"
    );
    assert_eq!(snapshot.tier, read.tier());
    let then = app.assessment(&read, &snapshot).await.unwrap();
    let stored = Snapshot::parse(snapshot.snapshot_json.as_deref()).unwrap();
    assert_eq!(stored.answered, imported.changed);
    let a = app.answers_of(&read, &then);
    assert_eq!(a.tier, read.tier());
}

fn fixture(rel: &str) -> Vec<u8> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../hicp-evidence/tests/fixtures")
        .join(rel);
    std::fs::read(path).unwrap()
}

async fn evidence_imports_store_nothing_on_a_bad_file_and_suggestions_wait_for_a_person(
    backend: Backend,
) {
    use hicp_app::{Accept, EvidenceFileUpload};
    let db = Db::new(backend);
    let app = db.app().await;
    let (_, access) = clinic(&app).await;
    let upload = |name: &str, bytes: Vec<u8>| EvidenceFileUpload {
        file_name: name.into(),
        bytes,
        kind: hicp_evidence::Kind::Auto,
        kev: None,
    };
    let evidence_count = |app: &App| {
        let app = app.clone();
        let access = access.clone();
        async move {
            let a = app.current_assessment(&access).await.unwrap();
            app.assessment(&access, &a).await.unwrap().evidence.len()
        }
    };
    match app
        .import_evidence(&access, upload("notes.txt", b"hello\n".to_vec()))
        .await
    {
        Err(Error::InvalidEvidence { field: "file", .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(evidence_count(&app).await, 0, "nothing stored");

    // An answer with notes; the inventory suggests another status, and changes nothing.
    let mut input = answer("largely");
    input.notes = Some("kept".into());
    app.save_answer(&access, "5.S.A.c2", &input, 0)
        .await
        .unwrap();
    let out = app
        .import_evidence(
            &access,
            upload("cmdb_export.csv", fixture("inventory/cmdb_export.csv")),
        )
        .await
        .unwrap();
    assert_eq!(
        out.evidence.len(),
        3,
        "one stored copy per question of the small practice"
    );
    assert!(
        out.evidence
            .iter()
            .all(|e| e.sha256.as_deref() == Some(out.import.source.sha256.as_str()))
    );
    let s = out
        .suggestions
        .iter()
        .find(|s| s.criterion == "5.S.A.c2")
        .unwrap();
    assert_eq!(s.suggested, Some(Status::Partial));
    let current = s.current.clone().unwrap();
    assert_eq!((current.status, current.version), (Status::Largely, 1));
    assert_eq!(out.outside_scope, ["5.M.A.c1", "5.M.A.c2", "9.M.D.c1"]);

    // Accepted: the status changes, the notes stay; the same version again is stale.
    let pick = [Accept {
        criterion: "5.S.A.c2".into(),
        status: Status::Partial,
        version: 1,
    }];
    let done = app.accept_suggestions(&access, &pick).await.unwrap();
    assert_eq!(done.changed.len(), 1);
    assert_eq!(done.changed[0].status, Status::Partial);
    assert_eq!(done.changed[0].notes.as_deref(), Some("kept"));
    let again = app.accept_suggestions(&access, &pick).await.unwrap();
    assert!(again.changed.is_empty());
    assert_eq!(again.stale, ["5.S.A.c2"]);
    // Not in the small practice's assessment, or "does not apply": refused.
    let outside = [Accept {
        criterion: "5.M.A.c2".into(),
        status: Status::Partial,
        version: 0,
    }];
    assert!(matches!(
        app.accept_suggestions(&access, &outside).await,
        Err(Error::Invalid {
            field: "criterion",
            ..
        })
    ));
    let na = [Accept {
        criterion: "5.S.A.c1".into(),
        status: Status::NotApplicable,
        version: 0,
    }];
    assert!(matches!(
        app.accept_suggestions(&access, &na).await,
        Err(Error::Invalid {
            field: "status",
            ..
        })
    ));
}

async fn an_email_check_is_refused_without_dns_and_stored_from_a_zone(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    let (_, access) = clinic(&app).await;
    assert!(matches!(
        app.save_email_domain(&access, "not a domain", "").await,
        Err(Error::Invalid {
            field: "domain",
            ..
        })
    ));
    assert!(
        app.save_email_domain(&access, "Clinic.Example.", "s1")
            .await
            .unwrap()
    );
    // The default settings read no DNS.
    assert!(matches!(
        app.check_email_domain(&access, "clinic.example").await,
        Err(Error::Invalid { field: "dns", .. })
    ));
    // From a zone file: the result is kept and stored as evidence on the small practice's
    // MX question.
    let zone = hicp_email::zone::Zone::parse(
        "$ORIGIN clinic.example.\n@ MX 10 mx1.clinic.example.\nmx1 A 192.0.2.10\n",
        None,
    )
    .unwrap();
    let store = Store::connect(&db.url).await.unwrap();
    let files: Vec<hicp_core::catalog::SourceFile> = hicp_content::builtin_files()
        .into_iter()
        .map(|(path, text)| hicp_core::catalog::SourceFile { path, text })
        .collect();
    let catalog = hicp_core::catalog::load(hicp_content::BUILTIN_ROOT, &files).unwrap();
    let settings = Settings {
        dns: hicp_app::DnsSource::new("a test zone", move || {
            Ok(Box::new(zone.clone()) as Box<dyn hicp_email::dns::Resolver>)
        }),
        ..Settings::default()
    };
    let app = App::new(store, catalog, settings);
    let done = app
        .check_email_domain(&access, "clinic.example")
        .await
        .unwrap();
    assert!(done.report.has(hicp_email::Code::SpfMissing));
    let on: Vec<String> = done
        .evidence
        .iter()
        .map(|e| {
            e.criterion_id
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(on, ["1.S.A.c1"]);
    let domains = app.email_domains(&access).await.unwrap();
    assert_eq!(domains[0].domain.domain, "clinic.example");
    assert_eq!(
        domains[0].report.as_ref().unwrap()["domain"],
        "clinic.example"
    );
    assert!(
        app.remove_email_domain(&access, "clinic.example")
            .await
            .unwrap()
    );
    assert!(matches!(
        app.check_email_domain(&access, "clinic.example").await,
        Err(Error::NotFound)
    ));
}

/// A finding of a test scan: title, Nessus severity (0 to 4), fix date.
type TestFinding<'a> = (&'a str, u8, &'a str);

/// A Nessus file of `hosts` (name, scan date, findings).
fn nessus(hosts: &[(&str, &str, &[TestFinding])]) -> Vec<u8> {
    let mut x = String::from("<?xml version=\"1.0\"?><NessusClientData_v2><Report name=\"t\">");
    for (name, date, items) in hosts {
        x.push_str(&format!(
            "<ReportHost name=\"{name}\"><HostProperties><tag name=\"HOST_END\">{date}</tag></HostProperties>"
        ));
        for (i, (title, sev, fix)) in items.iter().enumerate() {
            x.push_str(&format!(
                "<ReportItem port=\"443\" protocol=\"tcp\" severity=\"{sev}\" pluginID=\"{i}\" pluginName=\"{title}\"><patch_publication_date>{fix}</patch_publication_date></ReportItem>"
            ));
        }
        x.push_str("</ReportHost>");
    }
    x.push_str("</Report></NessusClientData_v2>");
    x.into_bytes()
}

async fn a_newer_scan_replaces_a_hosts_findings_and_an_older_one_does_not(backend: Backend) {
    use hicp_app::EvidenceFileUpload;
    let db = Db::new(backend);
    let app = db.app().await;
    let (who, access) = clinic(&app).await;
    let import = |bytes: Vec<u8>| {
        let app = app.clone();
        let access = access.clone();
        async move {
            app.import_evidence(
                &access,
                EvidenceFileUpload {
                    file_name: "scan.nessus".into(),
                    bytes,
                    kind: hicp_evidence::Kind::Auto,
                    kev: None,
                },
            )
            .await
            .unwrap()
            .findings_kept
            .expect("a scan keeps findings")
        }
    };
    let titles = |p: &hicp_core::assessment::findings::FindingsPlan| {
        p.items
            .iter()
            .map(|r| r.finding.title.clone())
            .collect::<Vec<_>>()
    };
    // March: two hosts, each with an overdue critical finding; an informational one is not kept.
    let kept = import(nessus(&[
        (
            "a",
            "2026-03-01",
            &[("A old", 4, "2025-01-01"), ("A info", 0, "2025-01-01")],
        ),
        ("b", "2026-03-01", &[("B old", 4, "2024-01-01")]),
    ]))
    .await;
    assert_eq!((kept.hosts, kept.findings, kept.replaced), (2, 2, 0));
    let plan = app.findings_plan(&access).await.unwrap();
    assert_eq!(titles(&plan), ["B old", "A old"], "most overdue first");

    // April: host a scanned again, its finding fixed; b not in this scan keeps its own.
    let kept = import(nessus(&[(
        "a",
        "2026-04-01",
        &[("A info", 0, "2025-01-01")],
    )]))
    .await;
    assert_eq!((kept.hosts, kept.findings, kept.replaced), (1, 0, 1));
    assert_eq!(
        titles(&app.findings_plan(&access).await.unwrap()),
        ["B old"]
    );

    // An older file (February) imported late changes nothing for a.
    let kept = import(nessus(&[(
        "a",
        "2026-02-01",
        &[("A older", 4, "2020-01-01")],
    )]))
    .await;
    assert_eq!(kept.older, ["a"]);
    assert_eq!((kept.hosts, kept.findings), (0, 0));
    assert_eq!(
        titles(&app.findings_plan(&access).await.unwrap()),
        ["B old"]
    );

    // Audited with the import.
    let admin = app
        .org_access::<hicp_app::Manage>(&who, access.org_id().as_str())
        .await
        .unwrap();
    let log = app
        .audit_log(&admin, None, Some("import"), None, 10)
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e.new_value.as_deref().is_some_and(|v| v.contains(
                "open findings kept for the plan: 0 on 1 host(s), replacing 1 from earlier scans"
            ))),
        "{log:?}"
    );
    assert!(
        log.iter().any(|e| e
            .new_value
            .as_deref()
            .is_some_and(|v| v.contains("1 host(s) left as a newer scan gives them"))),
        "{log:?}"
    );
}

/// A Nessus file of `hosts` (name, scan date, findings as title and CVE), every finding
/// critical and undated: listed in the plan only when KEV-listed.
/// A host of [`nessus_cves`]: its name, the scan date, and its findings (title, CVE).
type CveHost<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

fn nessus_cves(hosts: &[CveHost]) -> Vec<u8> {
    let mut x = String::from("<?xml version=\"1.0\"?><NessusClientData_v2><Report name=\"t\">");
    for (name, date, items) in hosts {
        x.push_str(&format!(
            "<ReportHost name=\"{name}\"><HostProperties><tag name=\"HOST_END\">{date}</tag></HostProperties>"
        ));
        for (i, (title, cve)) in items.iter().enumerate() {
            x.push_str(&format!(
                "<ReportItem port=\"443\" protocol=\"tcp\" severity=\"4\" pluginID=\"{i}\" pluginName=\"{title}\"><cve>{cve}</cve></ReportItem>"
            ));
        }
        x.push_str("</ReportHost>");
    }
    x.push_str("</Report></NessusClientData_v2>");
    x.into_bytes()
}

/// A KEV catalog (JSON) listing `cves`.
fn kev_json(version: &str, cves: &[&str]) -> Vec<u8> {
    let entries: Vec<String> = cves
        .iter()
        .map(|c| format!("{{\"cveID\": \"{c}\"}}"))
        .collect();
    format!(
        "{{\"title\": \"CISA Catalog of Known Exploited Vulnerabilities\", \"catalogVersion\": \"{version}\", \"count\": {}, \"vulnerabilities\": [{}]}}",
        cves.len(),
        entries.join(", ")
    )
    .into_bytes()
}

/// A scan imported before the KEV catalog is flagged when the catalog comes (the plan then
/// lists it first); a scan imported after is flagged against the catalog kept; a catalog
/// given beside a scan is the latest and re-flags everything; hosts match whatever their
/// case and a trailing dot.
async fn a_kev_catalog_flags_the_findings_stored_before_it_and_the_scans_after(backend: Backend) {
    use hicp_app::{EvidenceFileUpload, KevUsed};
    let db = Db::new(backend);
    let app = db.app().await;
    let (who, access) = clinic(&app).await;
    let import = |file_name: &'static str, bytes: Vec<u8>, kev: Option<Vec<u8>>| {
        let app = app.clone();
        let access = access.clone();
        async move {
            app.import_evidence(
                &access,
                EvidenceFileUpload {
                    file_name: file_name.into(),
                    bytes,
                    kind: hicp_evidence::Kind::Auto,
                    kev,
                },
            )
            .await
            .unwrap()
        }
    };
    let listed = |p: &hicp_core::assessment::findings::FindingsPlan| {
        p.items
            .iter()
            .map(|r| {
                (
                    r.finding.host.clone(),
                    r.finding.title.clone(),
                    r.finding.kev,
                )
            })
            .collect::<Vec<_>>()
    };
    // A scan first, no KEV catalog anywhere: nothing is known exploited or dated.
    let out = import(
        "march.nessus",
        nessus_cves(&[
            (
                "Web01.Example.org",
                "2026-03-01",
                &[("Log4Shell", "CVE-2021-44228")],
            ),
            ("b", "2026-03-01", &[("Old bug", "CVE-2020-0001")]),
        ]),
        None,
    )
    .await;
    assert_eq!(out.kev_used, None);
    assert!(out.import.findings.iter().all(|f| !f.kev));
    let plan = app.findings_plan(&access).await.unwrap();
    assert_eq!((plan.open, plan.kev), (2, 0));
    assert!(plan.items.is_empty());

    // Then the KEV catalog: kept, not evidence; the stored finding is flagged.
    let out = import(
        "known_exploited_vulnerabilities.json",
        kev_json("2026.03.05", &["CVE-2021-44228", "CVE-2023-1234"]),
        None,
    )
    .await;
    assert!(out.evidence.is_empty() && out.suggestions.is_empty());
    let kept = out.kev_kept.expect("the catalog is kept");
    assert_eq!(kept.version.as_deref(), Some("2026.03.05"));
    assert_eq!((kept.entries, kept.reflagged, kept.listed), (2, 1, 1));
    let plan = app.findings_plan(&access).await.unwrap();
    assert_eq!(
        listed(&plan),
        [("Web01.Example.org".into(), "Log4Shell".into(), true)]
    );
    // The computed view (pages, reports, exports) moved with it.
    let read = app
        .org_access::<Read>(&who, access.org_id().as_str())
        .await
        .unwrap();
    let view = app
        .view(&read, &app.current_assessment(&read).await.unwrap())
        .await
        .unwrap();
    assert_eq!(view.findings.kev, 1);

    // A newer scan without a catalog: flagged against the kept one; the host, written in
    // another case and with a trailing dot, is the same host.
    let out = import(
        "april.nessus",
        nessus_cves(&[
            (
                "web01.example.org.",
                "2026-04-01",
                &[("Log4Shell", "CVE-2021-44228")],
            ),
            ("c", "2026-04-01", &[("Log4Shell", "CVE-2021-44228")]),
        ]),
        None,
    )
    .await;
    assert_eq!(
        out.kev_used,
        Some(KevUsed::Stored {
            version: Some("2026.03.05".into())
        })
    );
    assert_eq!(out.kev_kept, None);
    let k = out.findings_kept.unwrap();
    assert_eq!((k.hosts, k.findings, k.replaced), (2, 2, 1));
    assert!(out.import.findings.iter().all(|f| f.kev));
    let plan = app.findings_plan(&access).await.unwrap();
    assert_eq!(
        listed(&plan),
        [
            ("c".into(), "Log4Shell".into(), true),
            ("web01.example.org.".into(), "Log4Shell".into(), true),
        ]
    );
    assert_eq!(
        plan.open, 3,
        "b's finding stays; web01 is not counted twice"
    );

    // A catalog given beside a scan is the latest: it re-flags every stored finding.
    let out = import(
        "may.nessus",
        nessus_cves(&[("d", "2026-05-01", &[])]),
        Some(kev_json("2026.05.01", &["CVE-2020-0001"])),
    )
    .await;
    assert_eq!(
        out.kev_used,
        Some(KevUsed::Given {
            version: Some("2026.05.01".into())
        })
    );
    let kept = out.kev_kept.unwrap();
    assert_eq!((kept.reflagged, kept.listed), (3, 1));
    let plan = app.findings_plan(&access).await.unwrap();
    assert_eq!(listed(&plan), [("b".into(), "Old bug".into(), true)]);

    // Audited.
    let admin = app
        .org_access::<hicp_app::Manage>(&who, access.org_id().as_str())
        .await
        .unwrap();
    let log = app
        .audit_log(&admin, None, Some("import"), None, 20)
        .await
        .unwrap();
    assert!(
        log.iter().any(|e| e.new_value.as_deref().is_some_and(|v| v.contains(
            "2 CVE(s); kept as the organization's KEV catalog; 1 stored open finding(s) re-flagged, 1 known exploited now"
        ))),
        "{log:?}"
    );
    assert!(
        log.iter().any(|e| e.new_value.as_deref().is_some_and(
            |v| v.contains("KEV flags from the organization's KEV catalog version 2026.03.05")
        )),
        "{log:?}"
    );
}

/// A mailer that keeps what it is given, and refuses addresses that start with `bounce`
/// (after keeping them, so that a test can try the link nobody received).
#[derive(Default)]
struct KeptMail(std::sync::Mutex<Vec<hicp_app::Mail>>);

impl hicp_app::Mailer for KeptMail {
    fn send<'a>(&'a self, mail: &'a hicp_app::Mail) -> hicp_app::SendFuture<'a> {
        self.0.lock().unwrap().push(mail.clone());
        let refused = mail.to.starts_with("bounce");
        Box::pin(async move {
            if refused {
                Err(hicp_app::MailError("550 no such mailbox".into()))
            } else {
                Ok(())
            }
        })
    }
}

impl KeptMail {
    /// The secret of the last link sent.
    fn last_token(&self) -> String {
        let mails = self.0.lock().unwrap();
        let link = match &mails.last().expect("a mail").notice {
            hicp_app::Notice::JoinLink { link, .. } | hicp_app::Notice::ResetLink { link, .. } => {
                link.clone()
            }
            other => panic!("no link in {other:?}"),
        };
        link.rsplit('/').next().unwrap().to_owned()
    }
}

/// An emailed link is used once, even by two at once; a send that fails leaves no link that
/// works, and the invitation stands.
async fn emailed_links_work_once_and_a_failed_send_leaves_none(backend: Backend) {
    use hicp_app::{Emailed, Invited, LinkRefusal, Role};
    let db = Db::new(backend);
    let mail = std::sync::Arc::new(KeptMail::default());
    let app = db
        .app_with(Settings {
            mail: hicp_app::Outbox::new(mail.clone(), "https://hicp.example/"),
            ..Settings::default()
        })
        .await;
    let (_, access) = clinic(&app).await;
    let manage = access.at::<Manage>().unwrap();
    let sent = app
        .add_member(&manage, "nora@clinic.example", "Nora", Role::Viewer, "")
        .await
        .unwrap();
    assert_eq!(sent, Invited::ByEmail(Emailed::Sent));
    let token = mail.last_token();
    let (a, b) = tokio::join!(
        app.use_one_time_link(&token, "Nora", PASSWORD),
        app.use_one_time_link(&token, "Nora", PASSWORD)
    );
    let (won, lost) = match (a, b) {
        (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
        (a, b) => panic!("one use wins: {:?} {:?}", a.is_ok(), b.is_ok()),
    };
    assert!(
        matches!(lost, Error::LinkRefused(LinkRefusal::Used)),
        "{lost:?}"
    );
    assert_eq!(won.joined.as_ref(), Some(manage.org_id()));
    let members = app.members(&manage).await.unwrap();
    assert!(
        members
            .iter()
            .any(|m| m.email == "nora@clinic.example" && m.role == Role::Viewer)
    );

    let failed = app
        .add_member(&manage, "bounce@clinic.example", "B", Role::Viewer, "")
        .await
        .unwrap();
    assert!(
        matches!(failed, Invited::ByEmail(Emailed::Failed(_))),
        "{failed:?}"
    );
    let unsent = mail.last_token();
    assert!(matches!(
        app.use_one_time_link(&unsent, "B", PASSWORD).await,
        Err(Error::LinkRefused(LinkRefusal::Unknown))
    ));
    let invited = app.pending_invitations(&manage).await.unwrap();
    assert!(invited.iter().any(|i| i.email == "bounce@clinic.example"));
}

/// A saved answer moves the cached view to the new revision (re-scoring only what depends on
/// the answer), and that view is what computing everything afresh gives: another app on the
/// same database, with an empty cache, computes the same answers, scores and plan. With no
/// view cached, the save computes one in its transaction.
async fn a_saved_answer_moves_the_cached_view_forward(backend: Backend) {
    let db = Db::new(backend);
    let app = db.app().await;
    let (who, access) = clinic(&app).await;
    let org = access.org_id().to_string();
    let read = |app: App| {
        let (who, org) = (who.clone(), org.clone());
        async move {
            let access = app.org_access::<Read>(&who, &org).await.unwrap();
            let a = app.current_assessment(&access).await.unwrap();
            app.view(&access, &a).await.unwrap()
        }
    };
    // Evidence on a question not answered yet: it moves to the answer when one is saved.
    app.add_evidence(&access, text_evidence("4.S.B.c3", "Backup log"))
        .await
        .unwrap();
    let first = read(app.clone()).await;
    assert!(first.answers.unanswered_evidence.contains_key("4.S.B.c3"));
    for (i, (criterion, status)) in [
        ("1.S.A.c1", Status::Implemented),
        ("1.S.A.c2", Status::Partial),
        ("1.S.A.c1", Status::NotStarted),
        ("4.S.B.c3", Status::Largely),
    ]
    .into_iter()
    .enumerate()
    {
        let access = app.org_access::<Edit>(&who, &org).await.unwrap();
        let version = app
            .view(&access, &app.current_assessment(&access).await.unwrap())
            .await
            .unwrap()
            .current
            .answers
            .iter()
            .find(|a| a.criterion_id.as_str() == criterion)
            .map_or(0, |a| a.version);
        app.save_answer(&access, criterion, &AnswerInput::new(status), version)
            .await
            .unwrap();
        let now = app
            .org_access::<Read>(&who, &org)
            .await
            .unwrap()
            .org()
            .revision;
        assert!(
            app.has_view(access.org_id(), now),
            "round {i}: the save moved the view to revision {now}"
        );
        let moved = read(app.clone()).await;
        let fresh = read(db.app().await).await;
        assert!(moved.org.revision > first.org.revision, "round {i}");
        assert_eq!(moved.org.revision, fresh.org.revision, "round {i}");
        assert_eq!(moved.answers, fresh.answers, "round {i}");
        assert_eq!(moved.scores, fresh.scores, "round {i}");
        // The progress counts move with it: a question answered for the first time counts.
        assert_eq!(moved.progress, fresh.progress, "round {i}");
        assert_eq!(
            moved.progress.all().answered,
            [1, 2, 2, 3][i],
            "round {i}: questions answered"
        );
        assert_eq!(app.plan_of(&moved), app.plan_of(&fresh), "round {i}");
        let ids = |v: &hicp_app::AssessmentView| {
            let mut rows: Vec<_> = v.current.answers.clone();
            rows.sort_by(|a, b| a.criterion_id.as_str().cmp(b.criterion_id.as_str()));
            rows
        };
        assert_eq!(ids(&moved), ids(&fresh), "round {i}");
    }
    // A server with nothing cached: the save computes the view of its revision in its
    // transaction and keeps it, so the next save has one to move forward.
    let cold = db.app().await;
    let access = cold.org_access::<Edit>(&who, &org).await.unwrap();
    assert!(!cold.has_view(access.org_id(), access.org().revision));
    let saved = cold
        .save_answer(&access, "1.S.A.c3", &AnswerInput::new(Status::Partial), 0)
        .await
        .unwrap();
    let now = cold
        .org_access::<Read>(&who, &org)
        .await
        .unwrap()
        .org()
        .revision;
    assert_eq!(saved.view.org.revision, now);
    assert!(
        cold.has_view(access.org_id(), now),
        "the cold save kept its view"
    );
    let fresh = read(db.app().await).await;
    assert_eq!(saved.view.answers, fresh.answers);
    assert_eq!(saved.view.scores, fresh.scores);
    assert_eq!(saved.view.progress, fresh.progress);
    assert_eq!(saved.view.last_change, fresh.last_change);
    assert_eq!(saved.view.tracks, fresh.tracks);
    assert_eq!(cold.plan_of(&saved.view), cold.plan_of(&fresh));
}
