//! Prints what an import reads from each file given: `cargo run -p hicp-evidence --example
//! dump -- FILE...` (a development aid; the CLI is `hicp evidence import`).

use hicp_core::assessment::Date;
use hicp_evidence::{Kind, Options, import};

fn main() {
    let as_of = Date::new(2026, 1, 1).unwrap_or_else(|| std::process::exit(1));
    for path in std::env::args().skip(1) {
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        match import(file, Kind::Auto, &Options::new(as_of)) {
            Ok(i) => {
                let cves: usize = i.findings.iter().map(|f| f.cves.len()).sum();
                let hosts: std::collections::BTreeSet<&str> =
                    i.findings.iter().map(|f| f.host.as_str()).collect();
                println!(
                    "{path}: {} [{}] records={} findings={} cves={} hosts={} compliance={} assets={} warnings={}",
                    i.kind,
                    i.source.scanner,
                    i.records,
                    i.findings.len(),
                    cves,
                    hosts.len(),
                    i.compliance.len(),
                    i.assets.len(),
                    i.warnings.len()
                );
                let mut sev = std::collections::BTreeMap::new();
                for f in &i.findings {
                    *sev.entry(f.severity.name()).or_insert(0) += 1;
                }
                println!(
                    "   sev {sev:?} hosts {:?}",
                    hosts.iter().take(8).collect::<Vec<_>>()
                );
                for w in i.warnings.iter().take(3) {
                    println!("   warn {}: {}", w.at, w.message);
                }
            }
            Err(e) => println!("{path}: ERROR {e}"),
        }
    }
}
