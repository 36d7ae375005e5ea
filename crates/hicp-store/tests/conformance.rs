//! The store conformance suite: every test runs on SQLite (a file in a temporary
//! directory) and on PostgreSQL (a fresh schema per test, dropped at the end).
//!
//! PostgreSQL: `postgres://postgres@127.0.0.1:5432/test` unless `HICP_TEST_POSTGRES_URL`
//! says otherwise. When it cannot be reached the PostgreSQL tests fail: a skipped backend
//! must not look like a passed one. Run one backend with a filter (`-- sqlite::`).

use std::future::Future;
use std::time::Duration;

use hicp_store::{
    ActionId, ActionInput, ActionStatus, AnswerInput, Assessment, AssessmentId, AssessmentStatus,
    AuditFilter, Conflict, CriterionId, Date, EvidenceContent, EvidenceKind, LinkPurpose,
    NewApiToken, NewAssessment, NewAuditEntry, NewEvidence, NewOrganization, NewSession, NewUser,
    OneTimeLink, OrgId, Organization, OrganizationUpdate, Role, SsoLogin, Status, Store,
    StoreError, Tier, TokenId, User, UserId, sha256_hex,
};
use time::macros::datetime;

// ---------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

/// What a test gets: a migrated store, and the URL it was opened with (to open a second
/// store on the same database, as a second server would).
struct Ctx {
    store: Store,
    url: String,
}

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn pg_base_url() -> String {
    std::env::var("HICP_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("hicp.db").display());
            let store = Store::connect(&url).await.expect("connect to SQLite");
            store.migrate().await.expect("migrate SQLite");
            let outcome = tokio::spawn(test(Ctx {
                store: store.clone(),
                url,
            }))
            .await;
            store.close().await;
            drop(dir);
            if let Err(e) = outcome {
                std::panic::resume_unwind(e.into_panic());
            }
        }
        Backend::Postgres => {
            let base = pg_base_url();
            let admin = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .connect(&base)
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is unreachable at {base} ({e}). Start it, point \
                         HICP_TEST_POSTGRES_URL at one, or run SQLite only with `-- sqlite::`."
                    )
                });
            let schema = format!("hicp_test_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(&admin)
                .await
                .expect("create test schema");
            let sep = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{sep}options[search_path]={schema}");
            // Whatever happens (a failed connection, migration or test), the schema is
            // dropped before the failure is reported.
            let outcome = async {
                let store = match Store::connect(&url).await {
                    Ok(store) => store,
                    Err(e) => return Err(format!("connect to PostgreSQL: {e:?}")),
                };
                if let Err(e) = store.migrate().await {
                    store.close().await;
                    return Err(format!("migrate PostgreSQL: {e:?}"));
                }
                let outcome = tokio::spawn(test(Ctx {
                    store: store.clone(),
                    url: url.clone(),
                }))
                .await;
                store.close().await;
                Ok(outcome)
            }
            .await;
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&admin)
                .await
                .expect("drop test schema");
            admin.close().await;
            match outcome {
                Err(setup) => panic!("{setup}"),
                Ok(Err(e)) => std::panic::resume_unwind(e.into_panic()),
                Ok(Ok(())) => {}
            }
        }
    }
}

/// Declares each test twice: `sqlite::name` and `postgres::name`.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::run(super::Backend::Sqlite, super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::run(super::Backend::Postgres, super::$name).await;
                }
            )*
        }
    };
}

conformance!(
    migrate_is_idempotent,
    users_have_unique_emails,
    sessions_expire,
    sessions_and_lockouts_are_shared_between_servers,
    login_throttling_counts_within_a_window,
    organizations_are_isolated,
    organization_profile_and_tier_update,
    memberships_and_roles,
    assessments_one_open_per_organization,
    answers_round_trip,
    answer_conflict_keeps_the_first_save,
    answer_conflict_between_concurrent_writers,
    action_tracking_round_trip_and_conflict,
    sub_practices_opt_in_and_out,
    evidence_bytes_and_sha256_round_trip,
    audit_log_is_ordered_filtered_and_append_only,
    closing_an_assessment_makes_a_snapshot,
    next_assessment_starts_from_the_previous_answers,
    concurrent_writers_complete_without_busy_errors,
    backup_copies_a_running_database,
    evidence_stays_with_the_organization_across_a_close,
    versions_continue_across_a_close,
    a_save_waits_for_a_close_in_progress_and_is_refused,
    a_locked_open_assessment_stays_open_until_the_transaction_closes_it,
    a_lock_reads_the_open_assessment_after_the_close_it_waited_for,
    a_transaction_commits_all_or_nothing,
    api_tokens_are_found_by_hash_and_revoked_by_their_owner,
    single_sign_ons_are_used_once_and_identities_link_accounts,
    sites_belong_to_one_health_system_and_changes_are_dated,
    email_domains_keep_their_latest_check,
    visits_read_the_revision_that_every_change_moves,
    scan_findings_are_replaced_per_host,
    hosts_match_whatever_their_case_and_a_trailing_dot,
    a_kev_list_is_kept_per_organization_and_reflags_its_findings,
    one_time_links_are_used_once_and_replaced_by_newer_ones,
    withdrawing_an_invitation_withdraws_its_unused_links,
);

/// A sign-in under way is taken once (another server cannot take it again); a provider's
/// subject links to one account; sessions remember their provider.
async fn single_sign_ons_are_used_once_and_identities_link_accounts(ctx: Ctx) {
    let s = &ctx.store;
    let t0 = datetime!(2026-03-01 09:00 UTC);
    let login = SsoLogin {
        state_hash: "state-hash".into(),
        provider: "entra".into(),
        nonce: "nonce".into(),
        pkce_verifier: "verifier".into(),
        expires_at: t0 + Duration::from_secs(600),
    };
    s.create_sso_login(&login).await.unwrap();
    s.create_sso_login(&SsoLogin {
        expires_at: t0 - Duration::from_secs(1),
        state_hash: "old".into(),
        ..login.clone()
    })
    .await
    .unwrap();
    let taken = s
        .take_sso_login("state-hash")
        .await
        .unwrap()
        .expect("taken once");
    assert_eq!(
        (taken.provider.as_str(), taken.nonce.as_str()),
        ("entra", "nonce")
    );
    assert_eq!(taken.pkce_verifier, "verifier");
    assert_eq!(taken.expires_at, login.expires_at);
    assert!(
        s.take_sso_login("state-hash").await.unwrap().is_none(),
        "used up"
    );
    assert_eq!(s.prune_sso_logins(t0).await.unwrap(), 1, "the expired one");
    assert!(s.take_sso_login("old").await.unwrap().is_none());

    let ann = user(s, "ann@clinic.example").await;
    assert!(
        s.user_by_identity("entra", "sub-1")
            .await
            .unwrap()
            .is_none()
    );
    let mut tx = s.begin().await.unwrap();
    tx.link_identity("entra", "sub-1", &ann.id).await.unwrap();
    tx.commit().await.unwrap();
    let found = s.user_by_identity("entra", "sub-1").await.unwrap().unwrap();
    assert_eq!(found.id, ann.id);
    assert!(s.user_by_identity("okta", "sub-1").await.unwrap().is_none());
    assert_eq!(s.identities_of(&ann.id).await.unwrap(), ["entra"]);
    // One subject, one account.
    let bob = user(s, "bob@clinic.example").await;
    let mut tx = s.begin().await.unwrap();
    assert!(tx.link_identity("entra", "sub-1", &bob.id).await.is_err());
    drop(tx);

    let session = s
        .create_session(&NewSession {
            id_hash: "sso-session",
            user_id: &ann.id,
            csrf_token: "csrf",
            expires_at: t0 + Duration::from_secs(3600),
            mfa_pending: false,
            sso_provider: Some("entra"),
            idp_mfa: true,
        })
        .await
        .unwrap();
    assert_eq!(session.sso_provider.as_deref(), Some("entra"));
    assert!(session.idp_mfa);
    assert_eq!(s.session("sso-session", t0).await.unwrap(), Some(session));
}

/// `schema_status` names what is applied; `backup_to` writes a consistent SQLite copy that
/// opens as a migrated store, and refuses PostgreSQL (pg_dump) and an existing file.
async fn backup_copies_a_running_database(ctx: Ctx) {
    let status = ctx.store.schema_status().await.expect("schema status");
    assert!(!status.known.is_empty());
    assert_eq!(status.applied, status.known, "migrated");
    assert!(status.pending().is_empty() && status.unknown().is_empty());
    ctx.store.check_integrity().await.expect("integrity");
    let (u, _, a) = setup(&ctx.store).await;
    ctx.store
        .save_answer(&a.id, &cid("1.S.A.c1"), &answer("implemented"), &u.id, 0)
        .await
        .expect("save");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("backup.db");
    if ctx.url.starts_with("postgres") {
        assert!(matches!(
            ctx.store.backup_to(&path).await,
            Err(StoreError::Invalid(_))
        ));
        return;
    }
    ctx.store.backup_to(&path).await.expect("backup");
    assert!(
        matches!(
            ctx.store.backup_to(&path).await,
            Err(StoreError::Invalid(_))
        ),
        "an existing file is not overwritten"
    );
    let copy = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("open the copy");
    copy.check_integrity().await.expect("copy integrity");
    assert!(copy.schema_status().await.unwrap().pending().is_empty());
    let answers = copy.answers(&a.id).await.expect("answers in the copy");
    assert_eq!(answers.len(), 1);
    copy.close().await;
}

/// Another process (the CLI, say) may hold SQLite's write lock. The store's writes, in a
/// transaction or of one statement, wait for it asleep: on a runtime of one thread, the
/// task that ends the other write must still get to run, and the writes then land.
#[tokio::test(flavor = "current_thread")]
async fn sqlite_writes_wait_for_another_writer_without_blocking_the_runtime() {
    use sqlx::Connection;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("hicp.db").display());
    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let (u, org, a) = setup(&store).await;

    // Holds the write lock on a connection of its own until the store has had to wait.
    let hold_write_lock = || async {
        let mut other = sqlx::SqliteConnection::connect(&url).await.expect("other");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut other)
            .await
            .expect("other writer begins");
        let released = Arc::new(AtomicBool::new(false));
        let flag = released.clone();
        let release = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            sqlx::query("COMMIT")
                .execute(&mut other)
                .await
                .expect("commit");
            flag.store(true, Ordering::SeqCst);
            other.close().await.expect("close");
        });
        (released, release)
    };

    let (released, release) = hold_write_lock().await;
    let saved = store
        .save_answer(&a.id, &cid("1.S.A.c1"), &answer("implemented"), &u.id, 0)
        .await
        .expect("the transaction lands once the other writer is done");
    assert!(
        released.load(Ordering::SeqCst),
        "it waited for the other writer"
    );
    assert_eq!(saved.version, 1);
    release.await.expect("release task");

    let (released, release) = hold_write_lock().await;
    store
        .record_audit(&NewAuditEntry {
            user_id: Some(&u.id),
            org_id: Some(&org.id),
            entity: "test",
            entity_id: "waiting",
            field: "event",
            old_value: None,
            new_value: Some("landed"),
        })
        .await
        .expect("the one-statement write lands once the other writer is done");
    assert!(
        released.load(Ordering::SeqCst),
        "it waited for the other writer"
    );
    release.await.expect("release task");
    store.close().await;
    assert!(
        store.user(&u.id).await.is_err(),
        "a closed store opens no new connection"
    );
}

#[tokio::test]
async fn other_urls_are_refused() {
    for url in ["mysql://root@localhost/db", "hicp.db", ""] {
        let err = Store::connect(url).await.expect_err(url);
        assert!(
            matches!(err, StoreError::UnsupportedUrl(_)),
            "{url}: {err:?}"
        );
    }
    // A password in the URL never reaches the message.
    let err = Store::connect("mysql://root:hunter2@localhost/db")
        .await
        .expect_err("mysql");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

const PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

async fn user(store: &Store, email: &str) -> User {
    store
        .create_user(&NewUser {
            email,
            display_name: email.split('@').next().unwrap_or(email),
            password_hash: PHC,
            is_admin: false,
            must_change_password: false,
        })
        .await
        .expect("create user")
}

async fn org(store: &Store, name: &str, creator: &UserId) -> Organization {
    store
        .create_organization(
            &NewOrganization {
                name,
                profile_json: Some(r#"{"staff":12}"#),
                tier: Some(Tier::Small),
                tier_reason: Some("12 staff, one site"),
                tier_overridden: false,
            },
            creator,
        )
        .await
        .expect("create organization")
}

async fn assessment(store: &Store, org: &OrgId, by: &UserId) -> Assessment {
    store
        .create_assessment(&NewAssessment {
            org_id: org,
            name: "2026 assessment",
            tier: Tier::Small,
            created_by: by,
        })
        .await
        .expect("create assessment")
}

/// A user, their organization and its open assessment.
async fn setup(store: &Store) -> (User, Organization, Assessment) {
    let u = user(store, "alice@clinic.example").await;
    let o = org(store, "Main Street Clinic", &u.id).await;
    let a = assessment(store, &o.id, &u.id).await;
    (u, o, a)
}

fn answer(status: &str) -> AnswerInput {
    AnswerInput::new(Status::from_name(status).expect("a status name"))
}

fn cid(s: &str) -> CriterionId {
    CriterionId::parse(s).expect("a criterion id")
}

fn aid(s: &str) -> ActionId {
    ActionId::parse(s).expect("an action id")
}

fn day(y: i32, m: u8, d: u8) -> Date {
    Date::new(y, m, d).expect("a calendar date")
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

async fn migrate_is_idempotent(ctx: Ctx) {
    // The harness migrated once already.
    ctx.store.migrate().await.expect("second migrate");
    ctx.store.migrate().await.expect("third migrate");
    // A second server starting on the same database migrates too.
    let other = Store::connect(&ctx.url).await.expect("second store");
    other.migrate().await.expect("migrate from a second store");
    ctx.store.ping().await.unwrap();
    assert_eq!(ctx.store.count_users().await.unwrap(), 0);
    user(&ctx.store, "a@b.example").await;
    assert_eq!(other.count_users().await.unwrap(), 1);
    other.close().await;
}

async fn users_have_unique_emails(ctx: Ctx) {
    let s = &ctx.store;
    assert_eq!(s.count_users().await.unwrap(), 0);
    let admin = s
        .create_user(&NewUser {
            email: "  Admin@Clinic.Example ",
            display_name: "Admin",
            password_hash: PHC,
            is_admin: true,
            must_change_password: false,
        })
        .await
        .unwrap();
    assert_eq!(admin.email, "admin@clinic.example");
    assert!(admin.is_admin);
    assert_eq!(admin.password_hash, PHC);

    let dup = s
        .create_user(&NewUser {
            email: "ADMIN@clinic.example",
            display_name: "Impostor",
            password_hash: PHC,
            is_admin: false,
            must_change_password: false,
        })
        .await;
    assert!(matches!(dup, Err(StoreError::Duplicate(_))), "{dup:?}");
    let bad = s
        .create_user(&NewUser {
            email: "not an email",
            display_name: "x",
            password_hash: PHC,
            is_admin: false,
            must_change_password: false,
        })
        .await;
    assert!(matches!(bad, Err(StoreError::Invalid(_))), "{bad:?}");

    let bob = user(s, "bob@clinic.example").await;
    assert_eq!(s.count_users().await.unwrap(), 2);
    assert_eq!(
        s.user_by_email("Admin@CLINIC.example").await.unwrap(),
        Some(admin.clone())
    );
    assert_eq!(s.user(&bob.id).await.unwrap(), Some(bob.clone()));
    assert_eq!(s.user(&UserId::new("nobody")).await.unwrap(), None);
    assert_eq!(s.user_by_email("nobody@x.example").await.unwrap(), None);
    let emails: Vec<String> = s
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(emails, ["admin@clinic.example", "bob@clinic.example"]);

    s.set_password_hash(&bob.id, "$argon2id$new", true, &admin.id)
        .await
        .unwrap();
    assert_eq!(
        s.user(&bob.id).await.unwrap().unwrap().password_hash,
        "$argon2id$new"
    );
    assert!(matches!(
        s.set_password_hash(&UserId::new("nobody"), "x", false, &admin.id)
            .await,
        Err(StoreError::NotFound)
    ));
    let bob = s.user(&bob.id).await.unwrap().unwrap();
    assert!(bob.must_change_password, "a reset password must be changed");
    assert_eq!(bob.disabled_at, None);
    s.set_user_disabled(&bob.id, true, &admin.id).await.unwrap();
    assert!(
        s.user(&bob.id)
            .await
            .unwrap()
            .unwrap()
            .disabled_at
            .is_some()
    );
    s.set_user_disabled(&bob.id, false, &admin.id)
        .await
        .unwrap();
    assert_eq!(s.user(&bob.id).await.unwrap().unwrap().disabled_at, None);
}

async fn sessions_expire(ctx: Ctx) {
    let s = &ctx.store;
    let u = user(s, "alice@clinic.example").await;
    let t0 = datetime!(2026-03-01 09:00 UTC);
    let created = s
        .create_session(&NewSession {
            id_hash: "hash-1",
            user_id: &u.id,
            csrf_token: "csrf-1",
            expires_at: t0 + Duration::from_secs(3600),
            mfa_pending: false,
            sso_provider: None,
            idp_mfa: false,
        })
        .await
        .unwrap();
    assert_eq!(created.user_id, u.id);
    assert_eq!(created.csrf_token, "csrf-1");

    let live = s
        .session("hash-1", t0)
        .await
        .unwrap()
        .expect("live session");
    assert_eq!(live, created);
    assert_eq!(live.expires_at, t0 + Duration::from_secs(3600));
    assert_eq!(
        s.session("hash-1", t0 + Duration::from_secs(3600))
            .await
            .unwrap(),
        None
    );
    assert_eq!(s.session("other", t0).await.unwrap(), None);

    // Touching moves the expiry; an expired session cannot be revived.
    let t1 = t0 + Duration::from_secs(1800);
    assert!(
        s.touch_session("hash-1", t1, t1 + Duration::from_secs(3600))
            .await
            .unwrap()
    );
    let touched = s
        .session("hash-1", t0 + Duration::from_secs(4000))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.last_seen_at, t1);
    assert!(
        !s.touch_session(
            "hash-1",
            t1 + Duration::from_secs(7200),
            t1 + Duration::from_secs(9000)
        )
        .await
        .unwrap()
    );

    // Housekeeping removes what expired, logout removes one, password change removes all.
    s.create_session(&NewSession {
        id_hash: "hash-2",
        user_id: &u.id,
        csrf_token: "csrf-2",
        expires_at: t0 + Duration::from_secs(60),
        mfa_pending: false,
        sso_provider: None,
        idp_mfa: false,
    })
    .await
    .unwrap();
    s.create_session(&NewSession {
        id_hash: "hash-3",
        user_id: &u.id,
        csrf_token: "csrf-3",
        expires_at: t0 + Duration::from_secs(86_400),
        mfa_pending: false,
        sso_provider: None,
        idp_mfa: false,
    })
    .await
    .unwrap();
    assert_eq!(
        s.delete_expired_sessions(t0 + Duration::from_secs(120))
            .await
            .unwrap(),
        1
    );
    assert!(s.delete_session("hash-1").await.unwrap());
    assert!(!s.delete_session("hash-1").await.unwrap());
    assert!(s.session("hash-3", t0).await.unwrap().is_some());
    assert_eq!(s.delete_user_sessions(&u.id, None).await.unwrap(), 1);
    assert_eq!(s.session("hash-3", t0).await.unwrap(), None);

    // A session must belong to a user.
    let orphan = s
        .create_session(&NewSession {
            id_hash: "hash-4",
            user_id: &UserId::new("nobody"),
            csrf_token: "c",
            expires_at: t0,
            mfa_pending: false,
            sso_provider: None,
            idp_mfa: false,
        })
        .await;
    assert!(
        matches!(orphan, Err(StoreError::InvalidReference(_))),
        "{orphan:?}"
    );
}

async fn sessions_and_lockouts_are_shared_between_servers(ctx: Ctx) {
    let a = &ctx.store;
    let b = Store::connect(&ctx.url).await.expect("second server");
    let u = user(a, "alice@clinic.example").await;
    let t0 = datetime!(2026-03-01 09:00 UTC);
    a.create_session(&NewSession {
        id_hash: "h",
        user_id: &u.id,
        csrf_token: "csrf",
        expires_at: t0 + Duration::from_secs(600),
        mfa_pending: false,
        sso_provider: None,
        idp_mfa: false,
    })
    .await
    .unwrap();
    assert_eq!(b.session("h", t0).await.unwrap().unwrap().user_id, u.id);
    for _ in 0..5 {
        a.record_login_failure("email:alice@clinic.example", t0)
            .await
            .unwrap();
    }
    assert_eq!(
        b.login_failures("email:alice@clinic.example", t0)
            .await
            .unwrap()
            .count,
        5
    );
    b.delete_session("h").await.unwrap();
    assert_eq!(a.session("h", t0).await.unwrap(), None);
    b.close().await;
}

async fn login_throttling_counts_within_a_window(ctx: Ctx) {
    let s = &ctx.store;
    let now = datetime!(2026-03-01 12:00 UTC);
    let minutes = |m: u64| Duration::from_secs(60 * m);
    for ago in [20, 5, 1] {
        s.record_login_failure("ip:192.0.2.1", now - minutes(ago))
            .await
            .unwrap();
    }
    let id = s.record_login_failure("ip:192.0.2.2", now).await.unwrap();
    let window = s
        .login_failures("ip:192.0.2.1", now - minutes(30))
        .await
        .unwrap();
    assert_eq!(window.first, Some(now - minutes(20)));
    assert_eq!(window.last, Some(now - minutes(1)));
    assert_eq!(
        s.login_failures("ip:192.0.2.1", now - minutes(10))
            .await
            .unwrap()
            .count,
        2
    );
    assert_eq!(
        s.login_failures("ip:192.0.2.1", now - minutes(30))
            .await
            .unwrap()
            .count,
        3
    );
    // The window's start is inclusive.
    assert_eq!(
        s.login_failures("ip:192.0.2.1", now - minutes(5))
            .await
            .unwrap()
            .count,
        2
    );
    assert_eq!(
        s.login_failures("ip:192.0.2.1", now).await.unwrap().count,
        0
    );
    assert_eq!(
        s.login_failures("ip:198.51.100.9", now - minutes(60))
            .await
            .unwrap()
            .count,
        0
    );

    assert_eq!(s.prune_login_failures(now - minutes(10)).await.unwrap(), 1);
    assert_eq!(
        s.login_failures("ip:192.0.2.1", now - minutes(30))
            .await
            .unwrap()
            .count,
        2
    );
    assert_eq!(s.clear_login_failures("ip:192.0.2.1").await.unwrap(), 2);
    assert_eq!(
        s.login_failures("ip:192.0.2.1", now - minutes(60))
            .await
            .unwrap()
            .count,
        0
    );
    assert_eq!(
        s.login_failures("ip:192.0.2.2", now - minutes(60))
            .await
            .unwrap()
            .count,
        1
    );
    s.delete_login_failure(id).await.unwrap();
    assert_eq!(
        s.login_failures("ip:192.0.2.2", now - minutes(60))
            .await
            .unwrap(),
        hicp_store::LoginFailures::default()
    );
}

async fn organizations_are_isolated(ctx: Ctx) {
    let s = &ctx.store;
    let alice = user(s, "alice@a.example").await;
    let bob = user(s, "bob@b.example").await;
    let oa = org(s, "Clinic A", &alice.id).await;
    let ob = org(s, "Clinic B", &bob.id).await;
    let ob2 = org(s, "Clinic B2", &bob.id).await;

    let alices = s.organizations_for_user(&alice.id).await.unwrap();
    assert_eq!(alices, vec![(oa.clone(), Role::Admin)]);
    let bobs: Vec<OrgId> = s
        .organizations_for_user(&bob.id)
        .await
        .unwrap()
        .into_iter()
        .map(|(o, _)| o.id)
        .collect();
    assert_eq!(bobs, vec![ob.id.clone(), ob2.id.clone()]);
    assert_eq!(s.role_of(&alice.id, &ob.id).await.unwrap(), None);
    assert_eq!(s.role_of(&bob.id, &oa.id).await.unwrap(), None);
    let members: Vec<UserId> = s
        .members(&ob.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    assert_eq!(members, vec![bob.id.clone()]);

    // Assessments and plan tracking of one organization never show in another's lists.
    let aa = assessment(s, &oa.id, &alice.id).await;
    let ab = assessment(s, &ob.id, &bob.id).await;
    let ids = |v: Vec<Assessment>| v.into_iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.assessments_for_org(&oa.id).await.unwrap()),
        vec![aa.id.clone()]
    );
    assert_eq!(
        ids(s.assessments_for_org(&ob.id).await.unwrap()),
        vec![ab.id.clone()]
    );
    s.save_action(
        &ob.id,
        &aid("5.S.A.a1"),
        &action(ActionStatus::Open),
        &bob.id,
        0,
    )
    .await
    .unwrap();
    assert!(s.actions(&oa.id).await.unwrap().is_empty());
    assert_eq!(s.list_organizations().await.unwrap().len(), 3);

    // Sharing is explicit, and revocable.
    s.grant_role(&ob.id, &alice.id, Role::Viewer, &bob.id)
        .await
        .unwrap();
    let alices: Vec<(String, Role)> = s
        .organizations_for_user(&alice.id)
        .await
        .unwrap()
        .into_iter()
        .map(|(o, r)| (o.name, r))
        .collect();
    assert_eq!(
        alices,
        vec![
            ("Clinic A".to_owned(), Role::Admin),
            ("Clinic B".to_owned(), Role::Viewer)
        ]
    );
    assert!(s.revoke_role(&ob.id, &alice.id, &bob.id).await.unwrap());
    assert_eq!(s.organizations_for_user(&alice.id).await.unwrap().len(), 1);
}

async fn organization_profile_and_tier_update(ctx: Ctx) {
    let s = &ctx.store;
    let u = user(s, "alice@clinic.example").await;
    let o = org(s, "Clinic", &u.id).await;
    assert_eq!(o.tier, Some(Tier::Small));
    assert_eq!(o.profile_json.as_deref(), Some(r#"{"staff":12}"#));
    assert!(!o.tier_overridden);
    assert_eq!(s.organization(&o.id).await.unwrap(), Some(o.clone()));

    let before = s.organization(&o.id).await.unwrap().unwrap().revision;
    let org_log = AuditFilter {
        org_id: Some(&o.id),
        entity: Some("organization"),
        ..AuditFilter::default()
    };
    // The update's entries are those after the creation's; by sequence, since creation and
    // update can fall in the same clock tick.
    let last_before = s.audit_log(&org_log).await.unwrap()[0].seq;
    let updated = s
        .update_organization(
            &o.id,
            &OrganizationUpdate {
                name: "Clinic (two sites)",
                profile_json: Some(r#"{"staff":80}"#),
                tier: Some(Tier::Medium),
                tier_reason: Some("overridden: two sites"),
                tier_overridden: true,
            },
            &u.id,
        )
        .await
        .unwrap();
    assert_eq!(updated.name, "Clinic (two sites)");
    assert_eq!(updated.tier, Some(Tier::Medium));
    assert!(updated.tier_overridden);
    assert_eq!(updated.created_at, o.created_at);
    assert_eq!(s.organization(&o.id).await.unwrap(), Some(updated));

    let tier_changes = s.audit_log(&org_log).await.unwrap();
    let tier = tier_changes
        .iter()
        .find(|e| e.field == "tier" && e.old_value.is_some())
        .unwrap();
    assert_eq!(
        (tier.old_value.as_deref(), tier.new_value.as_deref()),
        (Some("small"), Some("medium"))
    );
    // All five changed fields are audited, in order, though more than one statement's worth
    // of records; each entry moved the revision.
    let update: Vec<&str> = tier_changes
        .iter()
        .rev()
        .filter(|e| e.seq > last_before)
        .map(|e| e.field.as_str())
        .collect();
    assert_eq!(
        update,
        ["name", "profile", "tier", "tier_reason", "tier_overridden"]
    );
    assert_eq!(
        s.organization(&o.id).await.unwrap().unwrap().revision,
        before + 5
    );
    assert!(matches!(
        s.update_organization(
            &OrgId::new("nope"),
            &OrganizationUpdate {
                name: "x",
                profile_json: None,
                tier: None,
                tier_reason: None,
                tier_overridden: false,
            },
            &u.id
        )
        .await,
        Err(StoreError::NotFound)
    ));
}

async fn memberships_and_roles(ctx: Ctx) {
    let s = &ctx.store;
    let admin = user(s, "admin@clinic.example").await;
    let carol = user(s, "carol@clinic.example").await;
    let o = org(s, "Clinic", &admin.id).await;
    assert_eq!(
        s.role_of(&admin.id, &o.id).await.unwrap(),
        Some(Role::Admin)
    );
    s.grant_role(&o.id, &carol.id, Role::Viewer, &admin.id)
        .await
        .unwrap();
    assert_eq!(
        s.role_of(&carol.id, &o.id).await.unwrap(),
        Some(Role::Viewer)
    );
    s.grant_role(&o.id, &carol.id, Role::Assessor, &admin.id)
        .await
        .unwrap();
    assert_eq!(
        s.role_of(&carol.id, &o.id).await.unwrap(),
        Some(Role::Assessor)
    );
    let members: Vec<(String, Role)> = s
        .members(&o.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.email, m.role))
        .collect();
    assert_eq!(
        members,
        vec![
            ("admin@clinic.example".to_owned(), Role::Admin),
            ("carol@clinic.example".to_owned(), Role::Assessor)
        ]
    );
    let granted = s
        .audit_log(&AuditFilter {
            entity: Some("membership"),
            entity_id: Some(carol.id.as_str()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let changes: Vec<(Option<&str>, Option<&str>)> = granted
        .iter()
        .map(|e| (e.old_value.as_deref(), e.new_value.as_deref()))
        .collect();
    assert_eq!(
        changes,
        vec![(Some("viewer"), Some("assessor")), (None, Some("viewer"))]
    );

    assert!(s.revoke_role(&o.id, &carol.id, &admin.id).await.unwrap());
    assert!(!s.revoke_role(&o.id, &carol.id, &admin.id).await.unwrap());
    assert_eq!(s.role_of(&carol.id, &o.id).await.unwrap(), None);
    let unknown = s
        .grant_role(&o.id, &UserId::new("nobody"), Role::Viewer, &admin.id)
        .await;
    assert!(
        matches!(unknown, Err(StoreError::InvalidReference(_))),
        "{unknown:?}"
    );
}

async fn assessments_one_open_per_organization(ctx: Ctx) {
    let s = &ctx.store;
    let (u, o, a) = setup(s).await;
    assert_eq!(a.status, AssessmentStatus::Open);
    assert_eq!(a.org_id, o.id);
    assert_eq!(a.tier, Tier::Small);
    assert_eq!(a.created_by.as_ref(), Some(&u.id));
    assert_eq!(s.assessment(&a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(s.current_assessment(&o.id).await.unwrap(), Some(a.clone()));
    let second = s
        .create_assessment(&NewAssessment {
            org_id: &o.id,
            name: "another",
            tier: Tier::Small,
            created_by: &u.id,
        })
        .await;
    assert!(
        matches!(second, Err(StoreError::Duplicate(_))),
        "{second:?}"
    );
    let orphan = s
        .create_assessment(&NewAssessment {
            org_id: &OrgId::new("nope"),
            name: "x",
            tier: Tier::Small,
            created_by: &u.id,
        })
        .await;
    assert!(
        matches!(orphan, Err(StoreError::InvalidReference(_))),
        "{orphan:?}"
    );
    assert_eq!(
        s.assessment(&AssessmentId::new("nope")).await.unwrap(),
        None
    );
}

async fn answers_round_trip(ctx: Ctx) {
    let s = &ctx.store;
    let (u, _o, a) = setup(s).await;
    let input = AnswerInput {
        status: Status::from_name("partial").unwrap(),
        na_reason: None,
        notes: Some("Backups nightly; restore never tested. «ünïcode» ✓".into()),
        owner: Some("IT contractor".into()),
        in_place_since: Some(day(2024, 2, 29)),
    };
    let saved = s
        .save_answer(&a.id, &cid("1.S.A.c1"), &input, &u.id, 0)
        .await
        .unwrap();
    assert_eq!(saved.version, 1);
    assert_eq!(saved.status.name(), "partial");
    assert_eq!(saved.notes, input.notes);
    assert_eq!(saved.owner, input.owner);
    assert_eq!(saved.in_place_since, Some(day(2024, 2, 29)));
    assert_eq!(saved.updated_by.as_ref(), Some(&u.id));
    assert_eq!(
        s.answer(&a.id, &cid("1.S.A.c1")).await.unwrap(),
        Some(saved.clone())
    );

    let na = AnswerInput {
        status: Status::from_name("not_applicable").unwrap(),
        na_reason: Some("No email server on site".into()),
        ..AnswerInput::new(Status::NotStarted)
    };
    let saved_na = s
        .save_answer(&a.id, &cid("1.S.A.c2"), &na, &u.id, 0)
        .await
        .unwrap();
    assert_eq!(
        saved_na.na_reason.as_deref(),
        Some("No email server on site")
    );
    assert_eq!(saved_na.notes, None);

    let v2 = s
        .save_answer(&a.id, &cid("1.S.A.c1"), &answer("implemented"), &u.id, 1)
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.notes, None, "every field is written");
    let all = s.answers(&a.id).await.unwrap();
    assert_eq!(all, vec![v2, saved_na]);

    assert_eq!(s.answer(&a.id, &cid("9.S.Z.c9")).await.unwrap(), None);
    let missing = s
        .save_answer(&a.id, &cid("9.S.Z.c9"), &answer("implemented"), &u.id, 3)
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    let no_assessment = s
        .save_answer(
            &AssessmentId::new("nope"),
            &cid("1.S.A.c1"),
            &answer("implemented"),
            &u.id,
            0,
        )
        .await;
    assert!(
        matches!(no_assessment, Err(StoreError::NotFound)),
        "{no_assessment:?}"
    );
}

async fn answer_conflict_keeps_the_first_save(ctx: Ctx) {
    let s = &ctx.store;
    let (alice, o, a) = setup(s).await;
    let bob = user(s, "bob@clinic.example").await;
    s.grant_role(&o.id, &bob.id, Role::Assessor, &alice.id)
        .await
        .unwrap();

    // Both start from "no answer yet".
    let first = s
        .save_answer(
            &a.id,
            &cid("2.S.A.c1"),
            &answer("implemented"),
            &alice.id,
            0,
        )
        .await
        .unwrap();
    let lost = s
        .save_answer(&a.id, &cid("2.S.A.c1"), &answer("not_started"), &bob.id, 0)
        .await;
    match lost {
        Err(StoreError::Conflict(Conflict::Answer(current))) => assert_eq!(*current, first),
        other => panic!("expected a conflict, got {other:?}"),
    }

    // Both start from version 1.
    let second = s
        .save_answer(&a.id, &cid("2.S.A.c1"), &answer("partial"), &bob.id, 1)
        .await
        .unwrap();
    let lost = s
        .save_answer(
            &a.id,
            &cid("2.S.A.c1"),
            &answer("not_started"),
            &alice.id,
            1,
        )
        .await;
    match lost {
        Err(StoreError::Conflict(Conflict::Answer(current))) => {
            assert_eq!(current.status.name(), "partial");
            assert_eq!(current.version, 2);
            assert_eq!(current.updated_by.as_ref(), Some(&bob.id));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // Nothing of the losing saves was written or audited.
    assert_eq!(
        s.answer(&a.id, &cid("2.S.A.c1")).await.unwrap(),
        Some(second)
    );
    let statuses: Vec<Option<String>> = s
        .audit_log(&AuditFilter {
            entity: Some("answer"),
            ..AuditFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.new_value)
        .collect();
    assert_eq!(
        statuses,
        vec![Some("partial".to_owned()), Some("implemented".to_owned())]
    );
}

async fn answer_conflict_between_concurrent_writers(ctx: Ctx) {
    let s = &ctx.store;
    let (alice, _o, a) = setup(s).await;
    for expected in [0_i64, 1] {
        let writers: Vec<_> = ["implemented", "not_started"]
            .into_iter()
            .map(|status| {
                let s = s.clone();
                let a = a.id.clone();
                let by = alice.id.clone();
                tokio::spawn(async move {
                    (
                        status,
                        s.save_answer(&a, &cid("3.S.A.c1"), &answer(status), &by, expected)
                            .await,
                    )
                })
            })
            .collect();
        let mut won = Vec::new();
        let mut conflicts = Vec::new();
        for w in writers {
            match w.await.unwrap() {
                (status, Ok(saved)) => won.push((status, saved)),
                (_, Err(StoreError::Conflict(Conflict::Answer(current)))) => {
                    conflicts.push(current)
                }
                (_, Err(e)) => panic!("unexpected error: {e:?}"),
            }
        }
        assert_eq!(won.len(), 1, "exactly one writer wins");
        assert_eq!(conflicts.len(), 1, "the other is told");
        let (status, saved) = &won[0];
        assert_eq!(saved.version, expected + 1);
        assert_eq!(saved.status.name(), *status);
        assert_eq!(*conflicts[0], *saved, "the loser sees the winner's value");
    }
}

fn action(status: ActionStatus) -> ActionInput {
    ActionInput {
        owner: None,
        due_on: None,
        status,
        reason: None,
    }
}

async fn action_tracking_round_trip_and_conflict(ctx: Ctx) {
    let s = &ctx.store;
    let (alice, o, _a) = setup(s).await;
    let input = ActionInput {
        owner: Some("Office manager".into()),
        due_on: Some(day(2026, 6, 30)),
        status: ActionStatus::InProgress,
        reason: None,
    };
    let v1 = s
        .save_action(&o.id, &aid("1.S.A.a1"), &input, &alice.id, 0)
        .await
        .unwrap();
    assert_eq!(v1.version, 1);
    assert_eq!(v1.owner.as_deref(), Some("Office manager"));
    assert_eq!(v1.due_on, Some(day(2026, 6, 30)));
    assert_eq!(v1.status, ActionStatus::InProgress);
    assert_eq!(
        s.action(&o.id, &aid("1.S.A.a1")).await.unwrap(),
        Some(v1.clone())
    );

    let accepted = ActionInput {
        status: ActionStatus::RiskAccepted,
        reason: Some("Vendor system, replaced next year".into()),
        ..input.clone()
    };
    let v2 = s
        .save_action(&o.id, &aid("1.S.A.a1"), &accepted, &alice.id, 1)
        .await
        .unwrap();
    assert_eq!(v2.status, ActionStatus::RiskAccepted);
    assert_eq!(
        v2.reason.as_deref(),
        Some("Vendor system, replaced next year")
    );

    // A second writer still at version 1 is told, with the current value.
    let lost = s
        .save_action(
            &o.id,
            &aid("1.S.A.a1"),
            &action(ActionStatus::Done),
            &alice.id,
            1,
        )
        .await;
    match lost {
        Err(StoreError::Conflict(Conflict::Action(current))) => assert_eq!(*current, v2),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let lost = s
        .save_action(
            &o.id,
            &aid("1.S.A.a1"),
            &action(ActionStatus::Done),
            &alice.id,
            0,
        )
        .await;
    assert!(
        matches!(lost, Err(StoreError::Conflict(Conflict::Action(_)))),
        "{lost:?}"
    );

    // Concurrent writers from version 2: one wins, the other sees its value.
    let writers: Vec<_> = [ActionStatus::Done, ActionStatus::Open]
        .into_iter()
        .map(|status| {
            let (s, org, by) = (s.clone(), o.id.clone(), alice.id.clone());
            tokio::spawn(async move {
                s.save_action(&org, &aid("1.S.A.a1"), &action(status), &by, 2)
                    .await
            })
        })
        .collect();
    let mut results = Vec::new();
    for w in writers {
        results.push(w.await.unwrap());
    }
    let winner = results
        .iter()
        .find_map(|r| r.as_ref().ok())
        .expect("one wins")
        .clone();
    let loser = results
        .into_iter()
        .find_map(Result::err)
        .expect("one loses");
    match loser {
        StoreError::Conflict(Conflict::Action(current)) => assert_eq!(*current, winner),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(winner.version, 3);

    s.save_action(
        &o.id,
        &aid("2.S.A.a1"),
        &action(ActionStatus::Open),
        &alice.id,
        0,
    )
    .await
    .unwrap();
    let ids: Vec<ActionId> = s
        .actions(&o.id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action_id)
        .collect();
    assert_eq!(ids, [aid("1.S.A.a1"), aid("2.S.A.a1")]);
    let orphan = s
        .save_action(
            &OrgId::new("nope"),
            &aid("9.L.Z.a1"),
            &action(ActionStatus::Open),
            &alice.id,
            0,
        )
        .await;
    assert!(
        matches!(orphan, Err(StoreError::InvalidReference(_))),
        "{orphan:?}"
    );
}

async fn sub_practices_opt_in_and_out(ctx: Ctx) {
    let s = &ctx.store;
    let (u, _o, a) = setup(s).await;
    assert!(
        s.set_sub_practice(&a.id, "2.M.B", true, &u.id)
            .await
            .unwrap()
    );
    assert!(
        !s.set_sub_practice(&a.id, "2.M.B", true, &u.id)
            .await
            .unwrap()
    );
    assert!(
        s.set_sub_practice(&a.id, "1.M.D", true, &u.id)
            .await
            .unwrap()
    );
    assert_eq!(
        s.opted_in_sub_practices(&a.id).await.unwrap(),
        ["1.M.D", "2.M.B"]
    );
    assert!(
        s.set_sub_practice(&a.id, "2.M.B", false, &u.id)
            .await
            .unwrap()
    );
    assert!(
        !s.set_sub_practice(&a.id, "2.M.B", false, &u.id)
            .await
            .unwrap()
    );
    assert_eq!(s.opted_in_sub_practices(&a.id).await.unwrap(), ["1.M.D"]);
}

async fn evidence_bytes_and_sha256_round_trip(ctx: Ctx) {
    let s = &ctx.store;
    let (u, _o, a) = setup(s).await;
    // Every byte value, so that no text encoding can pass unnoticed.
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let sha = sha256_hex(&bytes);
    let file = s
        .add_evidence(&NewEvidence {
            assessment_id: &a.id,
            criterion_id: Some(&cid("1.S.A.c1")),
            action_id: None,
            title: "Phishing training log",
            content: EvidenceContent::File {
                file_name: "training 2026.pdf".into(),
                content_type: "application/pdf".into(),
                bytes: bytes.clone(),
                sha256: None,
            },
            collected_on: Some(day(2026, 1, 15)),
            valid_until: Some(day(2027, 1, 15)),
            added_by: &u.id,
        })
        .await
        .unwrap();
    assert_eq!(file.kind, EvidenceKind::File);
    assert_eq!(file.size, 70_000);
    assert_eq!(file.sha256.as_deref(), Some(sha.as_str()));
    assert_eq!(file.collected_on, Some(day(2026, 1, 15)));
    assert_eq!(file.valid_until, Some(day(2027, 1, 15)));
    assert_eq!(s.evidence(&file.id).await.unwrap(), Some(file.clone()));
    let stored = s.evidence_file(&file.id).await.unwrap().expect("bytes");
    assert_eq!(stored.bytes, bytes);
    assert_eq!(stored.sha256, sha);
    assert_eq!(sha256_hex(&stored.bytes), sha);
    assert_eq!(stored.file_name, "training 2026.pdf");
    assert_eq!(stored.content_type, "application/pdf");

    // A SHA-256 given by the caller is checked.
    let given = s
        .add_evidence(&NewEvidence {
            assessment_id: &a.id,
            criterion_id: Some(&cid("1.S.A.c2")),
            action_id: Some(&aid("1.S.A.a1")),
            title: "policy",
            content: EvidenceContent::File {
                file_name: "policy.txt".into(),
                content_type: "text/plain".into(),
                bytes: b"policy".to_vec(),
                sha256: Some(sha256_hex(b"policy").to_uppercase()),
            },
            collected_on: None,
            valid_until: None,
            added_by: &u.id,
        })
        .await
        .unwrap();
    assert_eq!(given.action_id, Some(aid("1.S.A.a1")));
    let wrong = s
        .add_evidence(&NewEvidence {
            assessment_id: &a.id,
            criterion_id: None,
            action_id: None,
            title: "tampered",
            content: EvidenceContent::File {
                file_name: "x.txt".into(),
                content_type: "text/plain".into(),
                bytes: b"tampered".to_vec(),
                sha256: Some(sha256_hex(b"original")),
            },
            collected_on: None,
            valid_until: None,
            added_by: &u.id,
        })
        .await;
    assert!(matches!(wrong, Err(StoreError::Invalid(_))), "{wrong:?}");

    let link = s
        .add_evidence(&NewEvidence {
            assessment_id: &a.id,
            criterion_id: Some(&cid("1.S.A.c1")),
            action_id: None,
            title: "Backup dashboard",
            content: EvidenceContent::Link {
                url: "https://backup.example/report".into(),
            },
            collected_on: None,
            valid_until: None,
            added_by: &u.id,
        })
        .await
        .unwrap();
    assert_eq!(link.kind, EvidenceKind::Link);
    assert_eq!(link.size, 0);
    assert_eq!(link.sha256, None);
    assert_eq!(link.url.as_deref(), Some("https://backup.example/report"));
    assert_eq!(s.evidence_file(&link.id).await.unwrap(), None);

    let ids = |v: Vec<hicp_store::Evidence>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s
            .evidence_for_criterion(&a.id, &cid("1.S.A.c1"))
            .await
            .unwrap()),
        vec![file.id.clone(), link.id.clone()]
    );
    assert_eq!(s.evidence_for_assessment(&a.id).await.unwrap().len(), 3);

    assert!(s.delete_evidence(&file.id, &u.id).await.unwrap());
    assert!(!s.delete_evidence(&file.id, &u.id).await.unwrap());
    assert_eq!(s.evidence(&file.id).await.unwrap(), None);
    assert_eq!(s.evidence_file(&file.id).await.unwrap(), None);
    assert_eq!(s.evidence_for_assessment(&a.id).await.unwrap().len(), 2);
}

async fn audit_log_is_ordered_filtered_and_append_only(ctx: Ctx) {
    let s = &ctx.store;
    let alice = user(s, "alice@a.example").await;
    let bob = user(s, "bob@b.example").await;
    let oa = org(s, "A", &alice.id).await;
    let ob = org(s, "B", &bob.id).await;
    let aa = assessment(s, &oa.id, &alice.id).await;
    let ab = assessment(s, &ob.id, &bob.id).await;
    s.save_answer(
        &aa.id,
        &cid("1.S.A.c1"),
        &answer("not_started"),
        &alice.id,
        0,
    )
    .await
    .unwrap();
    s.save_answer(
        &aa.id,
        &cid("1.S.A.c1"),
        &AnswerInput {
            status: Status::Implemented,
            owner: Some("Dr. Lee".into()),
            ..AnswerInput::new(Status::NotStarted)
        },
        &alice.id,
        1,
    )
    .await
    .unwrap();
    s.save_answer(&ab.id, &cid("1.S.A.c1"), &answer("implemented"), &bob.id, 0)
        .await
        .unwrap();

    let all = s.audit_log(&AuditFilter::default()).await.unwrap();
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
    assert!(all.windows(2).all(|w| w[0].at >= w[1].at));

    // Old → new values of one answer, newest first.
    let entity_id = format!("{}/1.S.A.c1", aa.id);
    let history: Vec<(String, Option<String>, Option<String>)> = s
        .audit_log(&AuditFilter {
            entity: Some("answer"),
            entity_id: Some(&entity_id),
            ..AuditFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.field, e.old_value, e.new_value))
        .collect();
    let v = |s: &str| Some(s.to_owned());
    assert_eq!(
        history,
        vec![
            ("owner".to_owned(), None, v("Dr. Lee")),
            ("status".to_owned(), v("not_started"), v("implemented")),
            ("status".to_owned(), None, v("not_started")),
        ]
    );

    // Filters by organization and by user never mix the two organizations.
    let of_a = s
        .audit_log(&AuditFilter {
            org_id: Some(&oa.id),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert!(!of_a.is_empty());
    assert!(of_a.iter().all(|e| e.org_id.as_ref() == Some(&oa.id)));
    assert!(of_a.iter().all(|e| e.user_id.as_ref() == Some(&alice.id)));
    let by_bob = s
        .audit_log(&AuditFilter {
            user_id: Some(&bob.id),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert!(!by_bob.is_empty());
    assert!(by_bob.iter().all(|e| e.org_id.as_ref() == Some(&ob.id)));

    // A recorded event comes back as given, at the top.
    let custom = s
        .record_audit(&NewAuditEntry {
            user_id: Some(&alice.id),
            org_id: Some(&oa.id),
            entity: "import",
            entity_id: "answers.yaml",
            field: "imported",
            old_value: None,
            new_value: Some("12 answers"),
        })
        .await
        .unwrap();
    let top = s
        .audit_log(&AuditFilter {
            limit: Some(1),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(top, vec![custom.clone()]);

    // Paging with before_seq walks the whole log once.
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = s
            .audit_log(&AuditFilter {
                before_seq: before,
                limit: Some(3),
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        before = Some(last.seq);
        seen.extend(page.into_iter().map(|e| e.seq));
    }
    let everything: Vec<i64> = s
        .audit_log(&AuditFilter {
            limit: Some(1000),
            ..AuditFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seen, everything);

    // The database itself refuses to rewrite or delete history.
    let raw = RawDb::open(&ctx.url).await;
    assert!(
        raw.execute("UPDATE audit_log SET new_value = 'forged'")
            .await
            .is_err()
    );
    assert!(raw.execute("DELETE FROM audit_log").await.is_err());
    raw.close().await;
    let again = s
        .audit_log(&AuditFilter {
            limit: Some(1000),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(again.len(), everything.len());
    assert_eq!(again[0], custom);
}

async fn closing_an_assessment_makes_a_snapshot(ctx: Ctx) {
    let s = &ctx.store;
    let (u, o, a) = setup(s).await;
    s.save_answer(&a.id, &cid("1.S.A.c1"), &answer("implemented"), &u.id, 0)
        .await
        .unwrap();
    let snapshot = r#"{"overall":0.42,"practices":{"1":0.5}}"#;
    let closed = s.close_assessment(&a.id, snapshot, &u.id).await.unwrap();
    assert_eq!(closed.status, AssessmentStatus::Closed);
    assert_eq!(closed.snapshot_json.as_deref(), Some(snapshot));
    assert_eq!(closed.closed_by.as_ref(), Some(&u.id));
    assert!(closed.closed_at.is_some_and(|t| t >= closed.created_at));
    assert_eq!(s.assessment(&a.id).await.unwrap(), Some(closed.clone()));
    assert_eq!(s.current_assessment(&o.id).await.unwrap(), None);

    // A snapshot no longer changes.
    let edit = s
        .save_answer(&a.id, &cid("1.S.A.c1"), &answer("not_started"), &u.id, 1)
        .await;
    assert!(
        matches!(edit, Err(StoreError::AssessmentClosed)),
        "{edit:?}"
    );
    let opt = s.set_sub_practice(&a.id, "2.M.B", true, &u.id).await;
    assert!(matches!(opt, Err(StoreError::AssessmentClosed)), "{opt:?}");
    let ev = s
        .add_evidence(&NewEvidence {
            assessment_id: &a.id,
            criterion_id: None,
            action_id: None,
            title: "late",
            content: EvidenceContent::Link {
                url: "https://x.example".into(),
            },
            collected_on: None,
            valid_until: None,
            added_by: &u.id,
        })
        .await;
    assert!(matches!(ev, Err(StoreError::AssessmentClosed)), "{ev:?}");
    let again = s.close_assessment(&a.id, "{}", &u.id).await;
    assert!(
        matches!(again, Err(StoreError::AssessmentClosed)),
        "{again:?}"
    );
    assert_eq!(
        s.answer(&a.id, &cid("1.S.A.c1"))
            .await
            .unwrap()
            .unwrap()
            .status,
        Status::Implemented
    );
    let missing = s
        .close_assessment(&AssessmentId::new("nope"), "{}", &u.id)
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");

    // The next assessment can start; the history lists both, newest first.
    let next = assessment(s, &o.id, &u.id).await;
    assert_eq!(
        s.current_assessment(&o.id).await.unwrap(),
        Some(next.clone())
    );
    let history: Vec<AssessmentId> = s
        .assessments_for_org(&o.id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(history, vec![next.id, a.id]);
}

async fn next_assessment_starts_from_the_previous_answers(ctx: Ctx) {
    let s = &ctx.store;
    let (u, o, first) = setup(s).await;
    let kept = AnswerInput {
        status: Status::from_name("partial").unwrap(),
        notes: Some("restore test pending".into()),
        owner: Some("IT".into()),
        in_place_since: Some(day(2025, 5, 1)),
        ..AnswerInput::new(Status::NotStarted)
    };
    s.save_answer(&first.id, &cid("1.S.A.c1"), &kept, &u.id, 0)
        .await
        .unwrap();
    s.save_answer(
        &first.id,
        &cid("1.S.A.c2"),
        &answer("implemented"),
        &u.id,
        0,
    )
    .await
    .unwrap();
    s.save_answer(
        &first.id,
        &cid("1.S.A.c2"),
        &answer("not_started"),
        &u.id,
        1,
    )
    .await
    .unwrap();
    s.set_sub_practice(&first.id, "2.M.B", true, &u.id)
        .await
        .unwrap();
    s.close_assessment(&first.id, "{}", &u.id).await.unwrap();

    let next = assessment(s, &o.id, &u.id).await;
    // Something answered before the copy is left alone.
    let early = s
        .save_answer(&next.id, &cid("1.S.A.c2"), &answer("implemented"), &u.id, 0)
        .await
        .unwrap();
    assert_eq!(s.copy_answers(&first.id, &next.id, &u.id).await.unwrap(), 1);
    let copied = s.answer(&next.id, &cid("1.S.A.c1")).await.unwrap().unwrap();
    assert_eq!(copied.status.name(), "partial");
    assert_eq!(copied.notes, kept.notes);
    assert_eq!(copied.owner, kept.owner);
    assert_eq!(copied.in_place_since, kept.in_place_since);
    assert_eq!(copied.version, 1);
    assert_eq!(
        s.answer(&next.id, &cid("1.S.A.c2")).await.unwrap(),
        Some(early)
    );
    assert_eq!(s.opted_in_sub_practices(&next.id).await.unwrap(), ["2.M.B"]);
    // The snapshot is unchanged.
    assert_eq!(s.answers(&first.id).await.unwrap().len(), 2);
    // Copying again changes nothing.
    assert_eq!(s.copy_answers(&first.id, &next.id, &u.id).await.unwrap(), 0);

    // Never across organizations, never into a closed assessment.
    let other = org(s, "Other clinic", &u.id).await;
    let theirs = assessment(s, &other.id, &u.id).await;
    let across = s.copy_answers(&first.id, &theirs.id, &u.id).await;
    assert!(matches!(across, Err(StoreError::Invalid(_))), "{across:?}");
    let into_closed = s.copy_answers(&next.id, &first.id, &u.id).await;
    assert!(
        matches!(into_closed, Err(StoreError::AssessmentClosed)),
        "{into_closed:?}"
    );
    let unknown = s
        .copy_answers(&AssessmentId::new("nope"), &next.id, &u.id)
        .await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
}

async fn concurrent_writers_complete_without_busy_errors(ctx: Ctx) {
    let s = &ctx.store;
    let (u, _o, a) = setup(s).await;
    const TASKS: usize = 8;
    const ANSWERS: usize = 25;
    let tasks: Vec<_> = (0..TASKS)
        .map(|t| {
            let (s, a, by) = (s.clone(), a.id.clone(), u.id.clone());
            tokio::spawn(async move {
                let mut conflicts = 0;
                let shared = cid("10.S.Z.c1");
                let mine = AnswerInput {
                    notes: Some(format!("t{t}")),
                    ..answer("partial")
                };
                for i in 0..ANSWERS {
                    // Each task's own criteria...
                    s.save_answer(
                        &a,
                        &cid(&format!("{}.S.A.c{}", t + 1, i + 1)),
                        &answer("implemented"),
                        &by,
                        0,
                    )
                    .await
                    .unwrap_or_else(|e| panic!("task {t} answer {i}: {e:?}"));
                    // ...and one criterion everyone edits, retrying on conflict.
                    loop {
                        let current = s
                            .answer(&a, &shared)
                            .await
                            .expect("read")
                            .map_or(0, |x| x.version);
                        match s.save_answer(&a, &shared, &mine, &by, current).await {
                            Ok(_) => break,
                            Err(StoreError::Conflict(_)) => conflicts += 1,
                            Err(e) => panic!("task {t}: {e:?}"),
                        }
                    }
                }
                conflicts
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("writer task");
    }
    let answers = s.answers(&a.id).await.unwrap();
    assert_eq!(answers.len(), TASKS * ANSWERS + 1);
    let shared = s.answer(&a.id, &cid("10.S.Z.c1")).await.unwrap().unwrap();
    assert_eq!(shared.version, (TASKS * ANSWERS) as i64, "no save was lost");
}

/// Raw SQL access to the test database, to check what the schema itself enforces.
enum RawDb {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl RawDb {
    async fn open(url: &str) -> RawDb {
        if url.starts_with("sqlite:") {
            RawDb::Sqlite(sqlx::SqlitePool::connect(url).await.expect("raw SQLite"))
        } else {
            RawDb::Postgres(sqlx::PgPool::connect(url).await.expect("raw PostgreSQL"))
        }
    }

    async fn execute(&self, sql: &'static str) -> Result<u64, sqlx::Error> {
        match self {
            RawDb::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
            RawDb::Postgres(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
        }
    }

    async fn close(self) {
        match self {
            RawDb::Sqlite(p) => p.close().await,
            RawDb::Postgres(p) => p.close().await,
        }
    }
}

fn link<'a>(
    assessment: &'a AssessmentId,
    criterion: &'a CriterionId,
    by: &'a UserId,
    url: &str,
) -> NewEvidence<'a> {
    NewEvidence {
        assessment_id: assessment,
        criterion_id: Some(criterion),
        action_id: None,
        title: "Backup log",
        content: EvidenceContent::Link {
            url: url.to_owned(),
        },
        collected_on: Some(day(2026, 1, 10)),
        valid_until: None,
        added_by: by,
    }
}

/// Evidence belongs to the organization: after a close the next assessment still lists it,
/// and the snapshot lists what was in place when it was closed (not what came later).
async fn evidence_stays_with_the_organization_across_a_close(ctx: Ctx) {
    let s = &ctx.store;
    let (u, o, first) = setup(s).await;
    let before = s
        .add_evidence(&link(
            &first.id,
            &cid("1.S.A.c1"),
            &u.id,
            "https://intranet.example/backup",
        ))
        .await
        .unwrap();
    assert_eq!(before.org_id, o.id);
    s.close_assessment(&first.id, "{}", &u.id).await.unwrap();
    let next = assessment(s, &o.id, &u.id).await;
    let listed = s.evidence_for_assessment(&next.id).await.unwrap();
    assert_eq!(listed, vec![before.clone()]);
    assert_eq!(
        s.evidence_for_criterion(&next.id, &cid("1.S.A.c1"))
            .await
            .unwrap(),
        vec![before.clone()]
    );
    let later = s
        .add_evidence(&link(
            &next.id,
            &cid("1.S.A.c1"),
            &u.id,
            "https://intranet.example/restore",
        ))
        .await
        .unwrap();
    assert_eq!(
        s.evidence_for_assessment(&next.id).await.unwrap(),
        vec![before.clone(), later.clone()]
    );
    // The snapshot keeps what was in place at its close.
    assert_eq!(
        s.evidence_for_assessment(&first.id).await.unwrap(),
        vec![before.clone()]
    );
    // Deleting evidence (a file uploaded by mistake) takes it out everywhere.
    assert!(s.delete_evidence(&before.id, &u.id).await.unwrap());
    assert_eq!(
        s.evidence_for_assessment(&next.id).await.unwrap(),
        vec![later]
    );
    assert!(
        s.evidence_for_assessment(&first.id)
            .await
            .unwrap()
            .is_empty()
    );
    // Another organization sees none of it.
    let other = org(s, "Other clinic", &u.id).await;
    let theirs = assessment(s, &other.id, &u.id).await;
    assert!(
        s.evidence_for_assessment(&theirs.id)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Copied answers keep their versions, so a form opened before a close is still stale
/// after it.
async fn versions_continue_across_a_close(ctx: Ctx) {
    let s = &ctx.store;
    let (u, o, first) = setup(s).await;
    s.save_answer(&first.id, &cid("1.S.A.c1"), &answer("partial"), &u.id, 0)
        .await
        .unwrap();
    s.save_answer(
        &first.id,
        &cid("1.S.A.c1"),
        &answer("implemented"),
        &u.id,
        1,
    )
    .await
    .unwrap();
    s.close_assessment(&first.id, "{}", &u.id).await.unwrap();
    let next = assessment(s, &o.id, &u.id).await;
    s.copy_answers(&first.id, &next.id, &u.id).await.unwrap();
    assert_eq!(
        s.answer(&next.id, &cid("1.S.A.c1"))
            .await
            .unwrap()
            .unwrap()
            .version,
        2
    );
    let stale = s
        .save_answer(&next.id, &cid("1.S.A.c1"), &answer("not_started"), &u.id, 1)
        .await;
    assert!(
        matches!(&stale, Err(StoreError::Conflict(Conflict::Answer(a))) if a.version == 2 && a.status == Status::Implemented),
        "{stale:?}"
    );
    let fresh = s
        .save_answer(&next.id, &cid("1.S.A.c1"), &answer("not_started"), &u.id, 2)
        .await
        .unwrap();
    assert_eq!(fresh.version, 3);
}

/// A save that starts while a close is in progress waits for it and is then refused
/// (on PostgreSQL the assessment row is read `FOR SHARE`; on SQLite writers take turns).
async fn a_save_waits_for_a_close_in_progress_and_is_refused(ctx: Ctx) {
    let s = ctx.store.clone();
    let (u, o, a) = setup(&s).await;
    let mut closing = s.begin().await.unwrap();
    closing
        .lock_organization(&o.id, true)
        .await
        .unwrap()
        .unwrap();
    closing.close_assessment(&a.id, "{}", &u.id).await.unwrap();
    let saver = {
        let (s, a, u) = (s.clone(), a.id.clone(), u.id.clone());
        tokio::spawn(async move {
            s.save_answer(&a, &cid("1.S.A.c1"), &answer("implemented"), &u, 0)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!saver.is_finished(), "the save must wait for the close");
    closing.commit().await.unwrap();
    let saved = saver.await.unwrap();
    assert!(
        matches!(saved, Err(StoreError::AssessmentClosed)),
        "{saved:?}"
    );
    assert!(s.answers(&a.id).await.unwrap().is_empty());
}

/// A transaction that locked its organization changes the open assessment without reading
/// it again (`open_held`), so nothing else may close it meanwhile: a close from another
/// transaction waits for the lock (on PostgreSQL the close takes the organization's row
/// first; on SQLite writers take turns). Once the transaction closes it itself, its next
/// change to it is refused.
async fn a_locked_open_assessment_stays_open_until_the_transaction_closes_it(ctx: Ctx) {
    let s = ctx.store.clone();
    let (u, o, a) = setup(&s).await;
    let mut tx = s.begin().await.unwrap();
    tx.lock_organization(&o.id, false).await.unwrap().unwrap();
    let closer = {
        let (s, a, u) = (s.clone(), a.id.clone(), u.id.clone());
        tokio::spawn(async move { s.close_assessment(&a, "{}", &u).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!closer.is_finished(), "a close must wait for the lock");
    tx.save_answer(&a.id, &cid("1.S.A.c1"), &answer("implemented"), &u.id, 0)
        .await
        .unwrap();
    tx.close_assessment(&a.id, "{}", &u.id).await.unwrap();
    let after = tx
        .save_answer(&a.id, &cid("1.S.A.c2"), &answer("implemented"), &u.id, 0)
        .await;
    assert!(
        matches!(after, Err(StoreError::AssessmentClosed)),
        "{after:?}"
    );
    tx.commit().await.unwrap();
    let closed = closer.await.unwrap();
    assert!(
        matches!(closed, Err(StoreError::AssessmentClosed)),
        "{closed:?}"
    );
    let answers = s.answers(&a.id).await.unwrap();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].criterion_id.as_str(), "1.S.A.c1");
}

/// Locking an organization reads it with its open assessment. A lock that waited for a
/// close in progress reads the assessment that close opened, not the one it closed (on
/// PostgreSQL the read is a statement after the lock; on SQLite writers take turns).
async fn a_lock_reads_the_open_assessment_after_the_close_it_waited_for(ctx: Ctx) {
    let s = ctx.store.clone();
    let (u, o, a) = setup(&s).await;
    let mut tx = s.begin().await.unwrap();
    let locked = tx.lock_organization(&o.id, false).await.unwrap().unwrap();
    assert_eq!(locked.org.id, o.id);
    assert_eq!(locked.open_assessment.as_ref(), Some(&a));
    assert!(
        tx.lock_organization(&OrgId::new("nope"), false)
            .await
            .unwrap()
            .is_none()
    );
    drop(tx);

    let mut closing = s.begin().await.unwrap();
    closing.lock_organization(&o.id, true).await.unwrap();
    closing.close_assessment(&a.id, "{}", &u.id).await.unwrap();
    let next = closing
        .create_assessment(&NewAssessment {
            org_id: &o.id,
            name: "2027 assessment",
            tier: Tier::Small,
            created_by: &u.id,
        })
        .await
        .unwrap();
    let locker = {
        let (s, o) = (s.clone(), o.id.clone());
        tokio::spawn(async move {
            let mut tx = s.begin().await.unwrap();
            let locked = tx.lock_organization(&o, false).await.unwrap().unwrap();
            locked.open_assessment.map(|a| a.id)
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!locker.is_finished(), "the lock must wait for the close");
    closing.commit().await.unwrap();
    assert_eq!(locker.await.unwrap(), Some(next.id));
}

/// Changes made through a transaction are kept together by `commit`, and none of them
/// when it is dropped.
async fn a_transaction_commits_all_or_nothing(ctx: Ctx) {
    let s = &ctx.store;
    let (u, _o, a) = setup(s).await;
    {
        let mut tx = s.begin().await.unwrap();
        tx.save_answer(&a.id, &cid("1.S.A.c1"), &answer("implemented"), &u.id, 0)
            .await
            .unwrap();
        tx.save_answer(&a.id, &cid("1.S.A.c2"), &answer("implemented"), &u.id, 0)
            .await
            .unwrap();
        // Dropped without commit.
    }
    assert!(s.answers(&a.id).await.unwrap().is_empty());
    let mut tx = s.begin().await.unwrap();
    tx.save_answer(&a.id, &cid("1.S.A.c1"), &answer("implemented"), &u.id, 0)
        .await
        .unwrap();
    tx.save_answer(&a.id, &cid("1.S.A.c2"), &answer("not_started"), &u.id, 0)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.answers(&a.id).await.unwrap().len(), 2);
}

async fn api_tokens_are_found_by_hash_and_revoked_by_their_owner(ctx: Ctx) {
    let s = &ctx.store;
    let alice = user(s, "alice@example.org").await;
    let bob = user(s, "bob@example.org").await;
    let hash = sha256_hex(b"hicp_secret");
    let t = s
        .create_api_token(
            &NewApiToken {
                user_id: &alice.id,
                name: "GRC sync",
                token_hash: &hash,
                read_only: true,
            },
            None,
        )
        .await
        .unwrap();
    assert!(t.read_only && t.last_used_at.is_none());
    let (found, owner) = s.api_token_by_hash(&hash).await.unwrap().unwrap();
    assert_eq!(
        (found.clone(), owner.id.clone()),
        (t.clone(), alice.id.clone())
    );
    assert!(
        s.api_token_by_hash(&sha256_hex(b"other"))
            .await
            .unwrap()
            .is_none()
    );
    let at = datetime!(2026-11-30 10:00 UTC);
    s.touch_api_token(&t.id, at).await.unwrap();
    assert_eq!(
        s.api_tokens(&alice.id).await.unwrap()[0].last_used_at,
        Some(at)
    );
    // The same secret cannot be registered twice.
    let again = s
        .create_api_token(
            &NewApiToken {
                user_id: &bob.id,
                name: "copy",
                token_hash: &hash,
                read_only: false,
            },
            None,
        )
        .await;
    assert!(matches!(again, Err(StoreError::Duplicate(_))), "{again:?}");
    // Only its owner revokes it.
    assert!(!s.delete_api_token(&bob.id, &t.id).await.unwrap());
    assert!(
        !s.delete_api_token(&alice.id, &TokenId::new("nope"))
            .await
            .unwrap()
    );
    assert!(s.delete_api_token(&alice.id, &t.id).await.unwrap());
    assert!(s.api_token_by_hash(&hash).await.unwrap().is_none());
    assert!(s.api_tokens(&alice.id).await.unwrap().is_empty());
}

/// A site belongs to at most one health system (audited on the site), a health system
/// lists its sites by name, and `last_change` is the newest audit entry of an organization.
async fn sites_belong_to_one_health_system_and_changes_are_dated(ctx: Ctx) {
    let store = &ctx.store;
    let u = user(store, "lead@valley.example").await;
    let system = org(store, "Valley Health", &u.id).await;
    let north = org(store, "North", &u.id).await;
    let south = org(store, "South", &u.id).await;
    assert!(store.sites_of(&system.id).await.unwrap().is_empty());
    assert!(store.parent_of(&north.id).await.unwrap().is_none());
    let before = store
        .last_change(&north.id)
        .await
        .unwrap()
        .expect("created");

    store
        .set_parent(&south.id, Some(&system.id), &u.id)
        .await
        .unwrap();
    store
        .set_parent(&north.id, Some(&system.id), &u.id)
        .await
        .unwrap();
    let names: Vec<String> = store
        .sites_of(&system.id)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(names, ["North", "South"]);
    assert_eq!(
        store.parent_of(&north.id).await.unwrap().map(|o| o.id),
        Some(system.id.clone())
    );
    assert!(store.last_change(&north.id).await.unwrap().unwrap() >= before);
    let log = store
        .audit_log(&AuditFilter {
            org_id: Some(&north.id),
            user_id: None,
            entity: Some("organization"),
            entity_id: None,
            before_seq: None,
            limit: Some(10),
        })
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e.field == "parent" && e.new_value.as_deref() == Some(system.id.as_str())),
        "{log:?}"
    );

    // Leaving: no health system; setting the same again changes nothing in the log.
    store.set_parent(&north.id, None, &u.id).await.unwrap();
    assert!(store.parent_of(&north.id).await.unwrap().is_none());
    assert_eq!(store.sites_of(&system.id).await.unwrap().len(), 1);
    // An organization with no audit entry at all has no last change.
    assert!(
        store
            .last_change(&OrgId::new("nothing"))
            .await
            .unwrap()
            .is_none()
    );
}

/// An organization's email domains: added, selectors changed (a no-op is no change),
/// the latest check kept, removed; each change audited; other organizations see none.
async fn email_domains_keep_their_latest_check(ctx: Ctx) {
    let s = &ctx.store;
    let (u, o, _) = setup(s).await;
    let other = org(s, "Other Clinic", &u.id).await;
    let sel = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(
        s.save_email_domain(&o.id, "clinic.example", &sel(&["s1"]), &u.id)
            .await
            .unwrap()
    );
    assert!(
        !s.save_email_domain(&o.id, "clinic.example", &sel(&["s1"]), &u.id)
            .await
            .unwrap()
    );
    assert!(
        s.save_email_domain(&o.id, "clinic.example", &sel(&["s1", "s2"]), &u.id)
            .await
            .unwrap()
    );
    assert!(
        s.save_email_domain(&o.id, "a.example", &[], &u.id)
            .await
            .unwrap()
    );
    let list = s.email_domains(&o.id).await.unwrap();
    assert_eq!(
        list.iter().map(|d| d.domain.as_str()).collect::<Vec<_>>(),
        ["a.example", "clinic.example"]
    );
    assert_eq!(list[1].dkim_selectors, ["s1", "s2"]);
    assert!(list[1].checked_at.is_none() && list[1].check_json.is_none());
    assert!(s.email_domains(&other.id).await.unwrap().is_empty());
    assert!(
        s.record_email_check(
            &o.id,
            "clinic.example",
            "{\"schema\":1}",
            "0 critical",
            &u.id
        )
        .await
        .unwrap()
    );
    assert!(
        !s.record_email_check(&other.id, "clinic.example", "{}", "", &u.id)
            .await
            .unwrap()
    );
    let d = &s.email_domains(&o.id).await.unwrap()[1];
    assert_eq!(d.check_json.as_deref(), Some("{\"schema\":1}"));
    assert!(d.checked_at.is_some());
    assert!(
        s.remove_email_domain(&o.id, "a.example", &u.id)
            .await
            .unwrap()
    );
    assert!(
        !s.remove_email_domain(&o.id, "a.example", &u.id)
            .await
            .unwrap()
    );
    let audit = s
        .audit_log(&AuditFilter {
            org_id: Some(&o.id),
            entity: Some("email_domain"),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let fields: Vec<&str> = audit.iter().map(|e| e.field.as_str()).collect();
    // Newest first: removed; checked; added a.example (2); selectors; added clinic (2).
    assert_eq!(
        fields,
        [
            "removed",
            "checked",
            "dkim_selectors",
            "added",
            "dkim_selectors",
            "dkim_selectors",
            "added"
        ]
    );
}

/// A visit reads a live session, its user, the user's role in the organization asked for,
/// the organization with its revision and its open assessment, in one query. Every audited
/// change of an organization moves its revision in the change's transaction; a refused
/// change moves nothing; a site joining or leaving moves its health system's revision.
async fn visits_read_the_revision_that_every_change_moves(ctx: Ctx) {
    let s = &ctx.store;
    let (u, o, a) = setup(s).await;
    let outsider = user(s, "someone@else.example").await;
    let t0 = datetime!(2026-03-01 09:00 UTC);
    for (hash, who) in [("visit-u", &u.id), ("visit-x", &outsider.id)] {
        s.create_session(&NewSession {
            id_hash: hash,
            user_id: who,
            csrf_token: "csrf",
            expires_at: t0 + Duration::from_secs(3600),
            mfa_pending: false,
            sso_provider: None,
            idp_mfa: false,
        })
        .await
        .unwrap();
    }
    let revision = |org: &OrgId| {
        let org = org.clone();
        async move {
            let v = s
                .visit("visit-u", t0, Some(&org))
                .await
                .unwrap()
                .expect("a live session");
            v.org.expect("the organization").org.revision
        }
    };

    let v = s.visit("visit-u", t0, Some(&o.id)).await.unwrap().unwrap();
    assert_eq!(v.user.id, u.id);
    assert_eq!(v.session.csrf_token, "csrf");
    let seen = v.org.expect("the organization");
    assert_eq!(seen.org.name, "Main Street Clinic");
    assert_eq!(seen.role, Some(Role::Admin));
    assert_eq!(seen.assessment.map(|x| x.id), Some(a.id.clone()));
    // An outsider's visit reads the organization but no role; no organization asked, none
    // read; an unknown one reads as none; an expired session is no visit at all.
    let x = s.visit("visit-x", t0, Some(&o.id)).await.unwrap().unwrap();
    assert_eq!(x.org.map(|v| v.role), Some(None));
    assert!(
        s.visit("visit-u", t0, None)
            .await
            .unwrap()
            .unwrap()
            .org
            .is_none()
    );
    let unknown = OrgId::new("no-such-org");
    assert!(
        s.visit("visit-u", t0, Some(&unknown))
            .await
            .unwrap()
            .unwrap()
            .org
            .is_none()
    );
    assert!(
        s.visit("visit-u", t0 + Duration::from_secs(7200), Some(&o.id))
            .await
            .unwrap()
            .is_none()
    );

    let r0 = revision(&o.id).await;
    let saved = s
        .save_answer(&a.id, &cid("1.S.A.c1"), &answer("partial"), &u.id, 0)
        .await
        .unwrap();
    let r1 = revision(&o.id).await;
    assert!(r1 > r0, "a saved answer moves the revision: {r0} -> {r1}");
    // A stale save is refused and moves nothing.
    assert!(
        s.save_answer(&a.id, &cid("1.S.A.c1"), &answer("implemented"), &u.id, 0)
            .await
            .is_err()
    );
    assert_eq!(revision(&o.id).await, r1);
    s.save_answer(
        &a.id,
        &cid("1.S.A.c1"),
        &answer("implemented"),
        &u.id,
        saved.version,
    )
    .await
    .unwrap();
    let r2 = revision(&o.id).await;
    assert!(r2 > r1);

    // Another organization's changes leave this one's revision alone.
    let other = org(s, "Other Clinic", &u.id).await;
    let other_a = assessment(s, &other.id, &u.id).await;
    s.save_answer(&other_a.id, &cid("1.S.A.c1"), &answer("partial"), &u.id, 0)
        .await
        .unwrap();
    assert_eq!(revision(&o.id).await, r2);

    // A site joining or leaving moves its health system's revision.
    let system = org(s, "Valley Health", &u.id).await;
    let before = revision(&system.id).await;
    s.set_parent(&other.id, Some(&system.id), &u.id)
        .await
        .unwrap();
    let joined = revision(&system.id).await;
    assert!(joined > before);
    s.set_parent(&other.id, None, &u.id).await.unwrap();
    assert!(revision(&system.id).await > joined);
}

/// A newer scan of a host replaces its findings (a clean scan leaves none); other hosts and
/// other kinds of scanner keep theirs; organizations are apart; findings read back as written.
async fn scan_findings_are_replaced_per_host(ctx: Ctx) {
    use hicp_store::{Finding, ScannedHost, Severity};
    let s = &ctx.store;
    let (u, o, _) = setup(s).await;
    let other = org(s, "Other Clinic", &u.id).await;
    let day = |t: &str| Date::parse(t).unwrap();
    let host = |kind: &str, name: &str, on: &str| ScannedHost {
        scanner_kind: kind.into(),
        host: name.into(),
        scanned_on: day(on),
        source_sha256: "ab".repeat(32),
    };
    let finding = |host: &str, title: &str, kev: bool| Finding {
        host: host.into(),
        port: Some(443),
        protocol: Some("tcp".into()),
        title: title.into(),
        severity: Severity::Critical,
        cves: vec!["CVE-2021-44228".into(), "CVE-2021-45046".into()],
        first_seen: Some(day("2026-01-02")),
        last_seen: None,
        fix_published: Some(day("2025-12-30")),
        kev,
        open: true,
        source: "Nessus v2 XML".into(),
    };
    let a1 = [finding("a", "one", false), finding("a", "two", true)];
    assert_eq!(
        s.replace_host_findings(&o.id, &host("nessus", "a", "2026-02-01"), &a1)
            .await
            .unwrap(),
        0
    );
    s.replace_host_findings(
        &o.id,
        &host("nessus", "b", "2026-02-01"),
        &[finding("b", "three", false)],
    )
    .await
    .unwrap();
    s.replace_host_findings(
        &o.id,
        &host("qualys", "a", "2026-02-01"),
        &[finding("a", "four", false)],
    )
    .await
    .unwrap();
    let all = s.scan_findings(&o.id).await.unwrap();
    // KEV-listed first.
    assert_eq!(
        all.iter().map(|f| f.title.as_str()).collect::<Vec<_>>(),
        ["two", "one", "four", "three"]
    );
    assert_eq!(all[0], a1[1]);
    assert!(s.scan_findings(&other.id).await.unwrap().is_empty());
    // A newer Nessus scan of host a found it clean.
    assert_eq!(
        s.replace_host_findings(&o.id, &host("nessus", "a", "2026-03-01"), &[])
            .await
            .unwrap(),
        2
    );
    let all = s.scan_findings(&o.id).await.unwrap();
    assert_eq!(
        all.iter().map(|f| f.title.as_str()).collect::<Vec<_>>(),
        ["four", "three"]
    );
    let hosts = s.scanned_hosts(&o.id).await.unwrap();
    assert_eq!(hosts.len(), 3);
    assert_eq!(hosts[0], host("nessus", "a", "2026-03-01"));
}

/// A newer scan of `WEB01.Example.org.` replaces what an older one said of
/// `web01.example.org`: hosts match on their key; the name shown is the newer scan's.
async fn hosts_match_whatever_their_case_and_a_trailing_dot(ctx: Ctx) {
    use hicp_store::{Finding, ScannedHost, Severity};
    let s = &ctx.store;
    let (_, o, _) = setup(s).await;
    let day = |t: &str| Date::parse(t).unwrap();
    let host = |name: &str, on: &str| ScannedHost {
        scanner_kind: "nessus".into(),
        host: name.into(),
        scanned_on: day(on),
        source_sha256: "cd".repeat(32),
    };
    let finding = |host: &str, title: &str| Finding {
        host: host.into(),
        port: None,
        protocol: None,
        title: title.into(),
        severity: Severity::High,
        cves: vec![],
        first_seen: None,
        last_seen: None,
        fix_published: None,
        kev: false,
        open: true,
        source: "Nessus v2 XML".into(),
    };
    s.replace_host_findings(
        &o.id,
        &host("web01.example.org", "2026-02-01"),
        &[
            finding("web01.example.org", "old"),
            finding("web01.example.org", "older"),
        ],
    )
    .await
    .unwrap();
    let newer = host("WEB01.Example.org.", "2026-03-01");
    assert_eq!(
        s.replace_host_findings(&o.id, &newer, &[finding("WEB01.Example.org.", "new")])
            .await
            .unwrap(),
        2,
        "the older scan's two findings are replaced"
    );
    let all = s.scan_findings(&o.id).await.unwrap();
    assert_eq!(
        all.iter()
            .map(|f| (f.host.as_str(), f.title.as_str()))
            .collect::<Vec<_>>(),
        [("WEB01.Example.org.", "new")]
    );
    assert_eq!(s.scanned_hosts(&o.id).await.unwrap(), [newer]);
}

/// An organization's KEV catalog: the latest replaces the one before, and its stored
/// findings are flagged against it (both ways); another organization's are left alone.
async fn a_kev_list_is_kept_per_organization_and_reflags_its_findings(ctx: Ctx) {
    use hicp_store::{Finding, KevList, ScannedHost, Severity};
    let s = &ctx.store;
    let (u, o, _) = setup(s).await;
    let other = org(s, "Other Clinic", &u.id).await;
    let day = |t: &str| Date::parse(t).unwrap();
    let host = |name: &str| ScannedHost {
        scanner_kind: "nessus".into(),
        host: name.into(),
        scanned_on: day("2026-02-01"),
        source_sha256: "ef".repeat(32),
    };
    let finding = |title: &str, cves: &[&str]| Finding {
        host: "a".into(),
        port: None,
        protocol: None,
        title: title.into(),
        severity: Severity::High,
        cves: cves.iter().map(|c| (*c).to_owned()).collect(),
        first_seen: None,
        last_seen: None,
        fix_published: None,
        kev: false,
        open: true,
        source: "Nessus v2 XML".into(),
    };
    let found = [
        finding("log4j", &["CVE-2021-45046", "CVE-2021-44228"]),
        finding("other", &["CVE-2020-0001"]),
        finding("none", &[]),
    ];
    for id in [&o.id, &other.id] {
        s.replace_host_findings(id, &host("a"), &found)
            .await
            .unwrap();
    }
    assert_eq!(s.kev_list(&o.id).await.unwrap(), None);
    let list = |v: &str, cves: &[&str]| KevList {
        version: Some(v.into()),
        source_sha256: "12".repeat(32),
        cves: cves.iter().map(|c| (*c).to_owned()).collect(),
    };
    let first = list("2026.01.01", &["CVE-2021-44228", "CVE-1999-0001"]);
    assert_eq!(s.replace_kev_list(&o.id, &first).await.unwrap(), (1, 1));
    assert_eq!(s.kev_list(&o.id).await.unwrap(), Some(first));
    let kev = |id| async move {
        s.scan_findings(id)
            .await
            .unwrap()
            .into_iter()
            .filter(|f| f.kev)
            .map(|f| f.title)
            .collect::<Vec<_>>()
    };
    assert_eq!(kev(&o.id).await, ["log4j"]);
    assert!(kev(&other.id).await.is_empty());
    // A newer catalog: one flag set, one cleared.
    let second = list("2026.02.01", &["CVE-2020-0001"]);
    assert_eq!(s.replace_kev_list(&o.id, &second).await.unwrap(), (2, 1));
    assert_eq!(kev(&o.id).await, ["other"]);
    assert_eq!(s.kev_list(&o.id).await.unwrap(), Some(second.clone()));
    // The same again changes nothing.
    assert_eq!(s.replace_kev_list(&o.id, &second).await.unwrap(), (0, 1));
    assert_eq!(s.kev_list(&other.id).await.unwrap(), None);
}

/// A one-time link is used once, not after it expires; a newer link for the same email (and
/// organization) replaces an unused older one; expired links are pruned.
async fn one_time_links_are_used_once_and_replaced_by_newer_ones(ctx: Ctx) {
    let s = &ctx.store;
    let dana = user(s, "dana@clinic.example").await;
    let clinic = org(s, "Clinic", &dana.id).await;
    let t0 = datetime!(2026-03-01 09:00 UTC);
    let link = OneTimeLink {
        token_hash: "first".into(),
        purpose: LinkPurpose::Join,
        email: "nora@clinic.example".into(),
        user_id: None,
        org_id: Some(clinic.id.clone()),
        display_name: Some("Nora".into()),
        created_by: Some(dana.id.clone()),
        created_at: t0,
        expires_at: t0 + Duration::from_secs(72 * 3600),
        used_at: None,
        withdrawn_at: None,
    };
    s.create_one_time_link(&link).await.unwrap();
    assert_eq!(s.one_time_link("first").await.unwrap(), Some(link.clone()));
    // Inviting again: the older link is withdrawn.
    s.create_one_time_link(&OneTimeLink {
        token_hash: "second".into(),
        ..link.clone()
    })
    .await
    .unwrap();
    assert!(s.one_time_link("first").await.unwrap().is_none());
    // A reset link for another purpose stands beside it.
    s.create_one_time_link(&OneTimeLink {
        token_hash: "reset".into(),
        purpose: LinkPurpose::Reset,
        email: dana.email.clone(),
        user_id: Some(dana.id.clone()),
        org_id: None,
        display_name: None,
        ..link.clone()
    })
    .await
    .unwrap();

    let at = t0 + Duration::from_secs(60);
    let used = s
        .use_one_time_link("second", at)
        .await
        .unwrap()
        .expect("used once");
    assert_eq!(used.used_at, Some(at));
    assert_eq!(used.org_id.as_ref(), Some(&clinic.id));
    assert!(s.use_one_time_link("second", at).await.unwrap().is_none());
    let late = t0 + Duration::from_secs(73 * 3600);
    assert!(
        s.use_one_time_link("reset", late).await.unwrap().is_none(),
        "expired"
    );
    let reset = s.one_time_link("reset").await.unwrap().unwrap();
    assert_eq!((reset.purpose, reset.used_at), (LinkPurpose::Reset, None));
    assert_eq!(s.prune_one_time_links(late).await.unwrap(), 2);
    assert!(s.one_time_link("second").await.unwrap().is_none());
}

/// Withdrawing an invitation takes it back, audited, and its unused join link stops working
/// (kept, without the name typed, so that its page can say why); a used link, another
/// organization's and another email's are untouched.
async fn withdrawing_an_invitation_withdraws_its_unused_links(ctx: Ctx) {
    let s = &ctx.store;
    let dana = user(s, "dana@clinic.example").await;
    let clinic = org(s, "Clinic", &dana.id).await;
    let other = org(s, "Other", &dana.id).await;
    let t0 = hicp_store::OffsetDateTime::now_utc();
    let link = |hash: &str, email: &str, org: &OrgId| OneTimeLink {
        token_hash: hash.into(),
        purpose: LinkPurpose::Join,
        email: email.into(),
        user_id: None,
        org_id: Some(org.clone()),
        display_name: Some("Nora".into()),
        created_by: Some(dana.id.clone()),
        created_at: t0,
        expires_at: t0 + Duration::from_secs(72 * 3600),
        used_at: None,
        withdrawn_at: None,
    };
    for (o, email) in [
        (&clinic, "nora@clinic.example"),
        (&other, "nora@clinic.example"),
        (&clinic, "omar@clinic.example"),
    ] {
        s.invite(&o.id, email, Role::Assessor, &dana.id)
            .await
            .unwrap();
    }
    s.create_one_time_link(&link("nora", "nora@clinic.example", &clinic.id))
        .await
        .unwrap();
    s.create_one_time_link(&link("elsewhere", "nora@clinic.example", &other.id))
        .await
        .unwrap();
    s.create_one_time_link(&link("omar", "omar@clinic.example", &clinic.id))
        .await
        .unwrap();

    let taken = s
        .withdraw_invitation(&clinic.id, " Nora@Clinic.example", &dana.id)
        .await
        .unwrap()
        .expect("there was one");
    assert_eq!(
        (taken.email.as_str(), taken.role),
        ("nora@clinic.example", Role::Assessor)
    );
    assert!(
        s.withdraw_invitation(&clinic.id, "nora@clinic.example", &dana.id)
            .await
            .unwrap()
            .is_none(),
        "only once"
    );
    let withdrawn = s.one_time_link("nora").await.unwrap().expect("kept");
    assert!(withdrawn.withdrawn_at.is_some());
    assert_eq!((withdrawn.used_at, withdrawn.display_name), (None, None));
    assert!(
        s.use_one_time_link("nora", t0).await.unwrap().is_none(),
        "a withdrawn link does not work"
    );
    for kept in ["elsewhere", "omar"] {
        assert_eq!(
            s.one_time_link(kept).await.unwrap().unwrap().withdrawn_at,
            None
        );
    }
    let left: Vec<_> = s
        .invitations_for_org(&clinic.id)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.email)
        .collect();
    assert_eq!(left, ["omar@clinic.example"]);
    assert_eq!(s.invitations_for_org(&other.id).await.unwrap().len(), 1);
    let log = s
        .audit_log(&AuditFilter {
            org_id: Some(&clinic.id),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e.entity_id == "invitation:nora@clinic.example"
                && e.field == "withdrawn"
                && e.old_value.as_deref() == Some("assessor")
                && e.new_value.is_none()),
        "audited"
    );
}
