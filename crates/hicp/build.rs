//! Link options of the `hicp` binary.

fn main() {
    // Nothing but the target decides: no need to run again for every change of the crate.
    println!("cargo:rerun-if-changed=build.rs");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    // Packed relative relocations (DT_RELR, GNU ld 2.38 and glibc 2.36 or later): a
    // position-independent binary keeps its relocations in a bitmap of a few kilobytes
    // instead of 3 MB of RELA records, which the loader reads in full at every start and
    // which then stay in the process's memory (the idle RSS in BENCHMARKS.md).
    if var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
