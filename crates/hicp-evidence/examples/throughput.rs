//! Import throughput against reading the same file raw, and peak memory, on a generated
//! `.nessus` file: `cargo run --release -p hicp-evidence --example throughput -- [MB]`.
//! Each figure is the best of three runs.
//! The findings are kept, as an import keeps them; memory beyond them stays flat.

use hicp_core::assessment::Date;
use hicp_evidence::{Kind, Options, import};
use std::io::{Read, Write};
use std::time::Instant;

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> std::io::Result<()> {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(256);
    let path = std::env::temp_dir().join(format!("hicp-throughput-{mb}.nessus"));
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
        writeln!(
            f,
            "<?xml version=\"1.0\" ?>\n<NessusClientData_v2><Report name=\"bench\">"
        )?;
        let output = "x".repeat(4000);
        let mut written = 0;
        let mut host = 0u32;
        while written < mb * 1024 * 1024 {
            host += 1;
            let mut chunk = format!(
                "<ReportHost name=\"10.{}.{}.{}\"><HostProperties><tag name=\"HOST_START\">Tue Aug 13 12:07:38 2019</tag></HostProperties>\n",
                host >> 16 & 255,
                host >> 8 & 255,
                host & 255
            );
            for p in 0..20 {
                chunk.push_str(&format!(
                    "<ReportItem port=\"{}\" protocol=\"tcp\" severity=\"{}\" pluginID=\"{}\" pluginName=\"Check {p}\"><cve>CVE-2016-2183</cve><cve>CVE-2021-{:05}</cve><cvss3_base_score>7.5</cvss3_base_score><plugin_output>{output}</plugin_output></ReportItem>\n",
                    1000 + p,
                    p % 5,
                    10000 + p,
                    p
                ));
            }
            chunk.push_str("</ReportHost>\n");
            written += chunk.len();
            f.write_all(chunk.as_bytes())?;
        }
        writeln!(f, "</Report></NessusClientData_v2>")?;
    }
    let size = std::fs::metadata(&path)?.len() as f64 / 1_048_576.0;

    // Each measure is the best of `RUNS`: on a shared machine the fastest run is the one
    // least disturbed by other work.
    const RUNS: usize = 3;
    let best = |f: &mut dyn FnMut() -> std::io::Result<()>| -> std::io::Result<f64> {
        let mut best = f64::MAX;
        for _ in 0..RUNS {
            let start = Instant::now();
            f()?;
            best = best.min(start.elapsed().as_secs_f64());
        }
        Ok(best)
    };
    let mut buf = vec![0u8; 64 * 1024];
    let raw_secs = best(&mut || {
        let mut raw = std::fs::File::open(&path)?;
        while raw.read(&mut buf)? > 0 {}
        Ok(())
    })?;

    // Reading and hashing, what any evidence upload does anyway.
    let hash_secs = best(&mut || {
        use sha2::Digest;
        let mut hasher = sha2::Sha256::new();
        let mut raw = std::fs::File::open(&path)?;
        loop {
            let n = raw.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        std::hint::black_box(hasher.finalize());
        Ok(())
    })?;
    let before = peak_rss_kb();

    let options = Options::new(Date::new(2026, 1, 1).unwrap_or_else(|| std::process::exit(1)));
    let mut findings = 0;
    let secs = best(&mut || {
        let i = import(std::fs::File::open(&path)?, Kind::Auto, &options)
            .map_err(std::io::Error::other)?;
        findings = i.findings.len();
        Ok(())
    })?;
    println!(
        "{size:.0} MB, {findings} findings, best of {RUNS}: raw read {:.0} MB/s, read and SHA-256 {:.0} MB/s, import {:.0} MB/s ({:.0} % of read and SHA-256); peak RSS {} KB before import, {} KB after",
        size / raw_secs,
        size / hash_secs,
        size / secs,
        100.0 * hash_secs / secs,
        before.unwrap_or(0),
        peak_rss_kb().unwrap_or(0)
    );
    std::fs::remove_file(&path)
}
