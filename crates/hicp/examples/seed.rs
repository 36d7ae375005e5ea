//! Seeds a database for the benchmarks (see BENCHMARKS.md): 1,000 large-tier organizations,
//! each with three assessments (two closed snapshots and the open one), answers filled
//! pseudo-randomly but deterministically (the same on every run), and some plan actions.
//!
//! ```sh
//! cargo run --release -p hicp --example seed -- sqlite:///tmp/bench/hicp.db?mode=rwc
//! cargo run --release -p hicp --example seed -- postgres://postgres@127.0.0.1/hicp_bench --orgs 1000
//! ```
//!
//! `--small N` adds N small clinics (each an open small-tier assessment, about half of it
//! answered, no snapshots): many tenants at little seeding cost, to show that a page's cost
//! does not grow with the number of organizations.
//!
//! It signs up `bench@hicp.example` (password `bench passphrase 2026`), installation
//! administrator and admin of the first organization, and prints `org=<id>` of that one.
//! The database must be empty. Everything goes through `hicp-store`, as the web app does.

use hicp_core::assessment::Status;
use hicp_core::catalog::{ActionId, CriterionId, Filter, Tier, load};
use hicp_store::{
    ActionInput, ActionStatus, AnswerInput, AssessmentId, NewAssessment, NewOrganization, NewUser,
    OrgId, Role, Store, UserId,
};
use std::sync::Arc;

pub const EMAIL: &str = "bench@hicp.example";
pub const PASSWORD: &str = "bench passphrase 2026";

/// splitmix64: small, deterministic, good enough for filling answers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const STATUSES: [Status; 5] = Status::ALL;

fn answer(rng: &mut Rng, round: usize) -> AnswerInput {
    let status = match rng.below(20) {
        0 => STATUSES[4],
        1..=3 => STATUSES[0],
        4..=7 => STATUSES[1],
        8..=12 => STATUSES[2],
        _ => STATUSES[3],
    };
    AnswerInput {
        status,
        na_reason: (status == Status::NotApplicable).then(|| "We have no such systems.".to_owned()),
        notes: (rng.below(3) == 0).then(|| format!("Reviewed in round {round}; see the binder.")),
        owner: (rng.below(2) == 0).then(|| "IT manager".to_owned()),
        in_place_since: None,
    }
}

struct Ctx {
    store: Store,
    criteria: Vec<CriterionId>,
    small_criteria: Vec<CriterionId>,
    actions: Vec<ActionId>,
    snapshot: String,
    owner_hash: String,
}

async fn seed_org(ctx: &Ctx, i: usize, bench_user: Option<&UserId>) -> anyhow::Result<OrgId> {
    let store = &ctx.store;
    let mut rng = Rng(0x4849_4350 ^ (i as u64).wrapping_mul(0x1000_0001));
    let email = format!("owner{i}@org{i}.example");
    let owner = store
        .create_user(&NewUser {
            email: &email,
            display_name: &format!("Owner {i}"),
            password_hash: &ctx.owner_hash,
            is_admin: false,
            must_change_password: false,
        })
        .await?;
    let name = format!("Health System {i:04}");
    let org = store
        .create_organization(
            &NewOrganization {
                name: &name,
                profile_json: Some(
                    r#"{"org_type":null,"physicians":900,"staffed_beds":600,"workforce":8000,"it_assets":null,"it_staff":null,"security_staff":null,"sites":14}"#,
                ),
                tier: Some(Tier::Large),
                tier_reason: Some("900 physicians and 600 staffed beds: a large organization"),
                tier_overridden: false,
            },
            &owner.id,
        )
        .await?;
    if let Some(b) = bench_user {
        store.grant_role(&org.id, b, Role::Admin, &owner.id).await?;
    }
    // How much of the questionnaire this organization answered: 60 to 100 %.
    let filled = 60 + rng.below(41);
    let mut previous: Option<AssessmentId> = None;
    for (round, year) in ["2024", "2025", "2026"].iter().enumerate() {
        let a = store
            .create_assessment(&NewAssessment {
                org_id: &org.id,
                name: &format!("{year} assessment"),
                tier: Tier::Large,
                created_by: &owner.id,
            })
            .await?;
        match &previous {
            None => {
                for c in &ctx.criteria {
                    if rng.below(100) < filled {
                        let input = answer(&mut rng, round);
                        store.save_answer(&a.id, c, &input, &owner.id, 0).await?;
                    }
                }
            }
            Some(p) => {
                store.copy_answers(p, &a.id, &owner.id).await?;
                // A tenth of the answers change each year.
                let current = store.answers(&a.id).await?;
                for row in current {
                    if rng.below(10) == 0 {
                        let input = answer(&mut rng, round);
                        store
                            .save_answer(&a.id, &row.criterion_id, &input, &owner.id, row.version)
                            .await?;
                    }
                }
            }
        }
        if round < 2 {
            store
                .close_assessment(&a.id, &ctx.snapshot, &owner.id)
                .await?;
        }
        previous = Some(a.id);
    }
    // Some plan actions are tracked.
    for (k, action) in ctx.actions.iter().enumerate() {
        if rng.below(8) != 0 {
            continue;
        }
        let status = [
            ActionStatus::Open,
            ActionStatus::InProgress,
            ActionStatus::Done,
        ][k % 3];
        store
            .save_action(
                &org.id,
                action,
                &ActionInput {
                    owner: Some("CISO".to_owned()),
                    due_on: None,
                    status,
                    reason: None,
                },
                &owner.id,
                0,
            )
            .await?;
    }
    Ok(org.id)
}

/// A small clinic with an open small-tier assessment, about half answered.
async fn seed_small_org(ctx: &Ctx, i: usize) -> anyhow::Result<()> {
    let store = &ctx.store;
    let mut rng = Rng(0x534d_414c ^ (i as u64).wrapping_mul(0x1000_0001));
    let owner = store
        .create_user(&NewUser {
            email: &format!("owner{i}@clinic{i}.example"),
            display_name: &format!("Clinic owner {i}"),
            password_hash: &ctx.owner_hash,
            is_admin: false,
            must_change_password: false,
        })
        .await?;
    let org = store
        .create_organization(
            &NewOrganization {
                name: &format!("Clinic {i:05}"),
                profile_json: Some(
                    r#"{"org_type":null,"physicians":6,"staffed_beds":0,"workforce":20,"it_assets":null,"it_staff":null,"security_staff":null,"sites":1}"#,
                ),
                tier: Some(Tier::Small),
                tier_reason: Some("6 physicians: a small organization"),
                tier_overridden: false,
            },
            &owner.id,
        )
        .await?;
    let a = store
        .create_assessment(&NewAssessment {
            org_id: &org.id,
            name: "2026 assessment",
            tier: Tier::Small,
            created_by: &owner.id,
        })
        .await?;
    for c in &ctx.small_criteria {
        if rng.below(2) == 0 {
            let input = answer(&mut rng, 0);
            store.save_answer(&a.id, c, &input, &owner.id, 0).await?;
        }
    }
    Ok(())
}

/// A snapshot in the shape the web application stores (`pages/history.rs`, version 1).
fn snapshot(catalog: &hicp_core::catalog::Catalog, total: usize) -> String {
    let practices: Vec<serde_json::Value> = catalog
        .practices
        .iter()
        .map(|p| {
            serde_json::json!({
                "key": p.number.to_string(),
                "name": format!("{}. {}", p.number, p.name),
                "score": 40.0 + f64::from(p.number) * 3.0,
            })
        })
        .collect();
    let threats: Vec<serde_json::Value> = catalog
        .threats
        .iter()
        .map(|t| {
            serde_json::json!({
                "key": t.id.as_str(),
                "name": t.name,
                "score": 50.0 + f64::from(t.number) * 4.0,
            })
        })
        .collect();
    serde_json::json!({
        "version": 1,
        "tier": "large",
        "overall": 55.0,
        "answered": total * 4 / 5,
        "total": total,
        "practices": practices,
        "threats": threats,
    })
    .to_string()
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or_else(|| {
        anyhow::anyhow!("usage: seed DATABASE_URL [--orgs N] [--small N] [--jobs N]")
    })?;
    let (mut orgs, mut small, mut jobs) = (1000usize, 0usize, 4usize);
    while let Some(a) = args.next() {
        let v: usize = args
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("{a} needs a number"))?;
        match a.as_str() {
            "--orgs" => orgs = v,
            "--small" => small = v,
            "--jobs" => jobs = v.max(1),
            _ => anyhow::bail!("unknown argument {a}"),
        }
    }
    let files = hicp_content::builtin_files()
        .into_iter()
        .map(|(path, text)| hicp_core::catalog::SourceFile { path, text })
        .collect::<Vec<_>>();
    let catalog = load(hicp_content::BUILTIN_ROOT, &files)
        .map_err(|e| anyhow::anyhow!("built-in catalog: {e}"))?;
    let sps = catalog.list(&Filter {
        tier: Some(Tier::Large),
        ..Filter::default()
    });
    let criteria: Vec<CriterionId> = sps
        .iter()
        .flat_map(|s| s.criteria.iter().map(|c| c.id.clone()))
        .collect();
    let small_criteria: Vec<CriterionId> = catalog
        .list(&Filter {
            tier: Some(Tier::Small),
            ..Filter::default()
        })
        .iter()
        .flat_map(|s| s.criteria.iter().map(|c| c.id.clone()))
        .collect();
    let actions: Vec<ActionId> = sps
        .iter()
        .flat_map(|s| s.actions.iter().map(|a| a.id.clone()))
        .collect();
    let started = std::time::Instant::now();
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let store = Store::connect(&url).await?;
        store.migrate().await?;
        anyhow::ensure!(
            store.count_users().await? == 0,
            "the database is not empty: seed a new one"
        );
        let bench_hash =
            hicp_app::hash_password(PASSWORD).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
        let bench = store
            .create_user(&NewUser {
                email: EMAIL,
                display_name: "Bench Admin",
                password_hash: &bench_hash,
                is_admin: true,
                must_change_password: false,
            })
            .await?;
        let ctx = Arc::new(Ctx {
            store: store.clone(),
            snapshot: snapshot(&catalog, criteria.len()),
            criteria,
            small_criteria,
            actions,
            // Owners never sign in: a hash of a random-looking password, computed once.
            owner_hash: hicp_app::hash_password("owners do not sign in 9f3k")
                .map_err(|e| anyhow::anyhow!("hashing: {e}"))?,
        });
        println!(
            "seeding {orgs} organizations x 3 assessments of {} criteria and {small} small clinics ({} jobs)",
            ctx.criteria.len(),
            jobs
        );
        let first = seed_org(&ctx, 0, Some(&bench.id)).await?;
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(1));
        let mut tasks = Vec::new();
        for _ in 0..jobs {
            let (ctx, next) = (ctx.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if i >= orgs + small {
                        return anyhow::Ok(());
                    }
                    if i < orgs {
                        seed_org(&ctx, i, None).await?;
                    } else {
                        seed_small_org(&ctx, i).await?;
                    }
                    if i % 100 == 0 {
                        eprintln!("  {i} organizations");
                    }
                }
            }));
        }
        for t in tasks {
            t.await??;
        }
        store.close().await;
        println!(
            "seeded in {:.1} s\norg={first}\nemail={EMAIL}\npassword={PASSWORD}",
            started.elapsed().as_secs_f64()
        );
        anyhow::Ok(())
    })
}
