//! The long fuzz run, not part of CI: at least a million mutated inputs per parser.
//!
//! `cargo run --release -p hicp-evidence --example fuzz -- [CASES_PER_PARSER] [PARSER]`
//!
//! A failing case is shrunk by proptest and printed; add it to `tests/hostile.rs`.

#[path = "../tests/fuzz_support.rs"]
mod fuzz_support;

use fuzz_support::{apply, check, edits, options, seeds};
use proptest::test_runner::{Config, TestError, TestRunner};

fn main() {
    let mut args = std::env::args().skip(1);
    let cases: u32 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let only = args.next();
    let options = options();
    let mut failed = false;
    for (name, seed) in seeds() {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let start = std::time::Instant::now();
        let config = Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner = TestRunner::new(config);
        let result = runner.run(&edits(), |e| {
            let bytes = apply(seed, &e);
            check(&bytes, &options).map_err(proptest::test_runner::TestCaseError::fail)
        });
        match result {
            Ok(()) => println!(
                "{name}: {cases} cases, no failure ({:.0?})",
                start.elapsed()
            ),
            Err(TestError::Fail(why, e)) => {
                failed = true;
                println!(
                    "{name}: FAILED: {why}\n  edits: {e:?}\n  bytes: {:?}",
                    String::from_utf8_lossy(&apply(seed, &e))
                );
            }
            Err(TestError::Abort(why)) => {
                failed = true;
                println!("{name}: aborted: {why}");
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}
