//! Build script: one compile-time fact the source needs.
//!
//! The AVX-512 intrinsics the block pass uses (`_mm512_*_mask`) are stable
//! from Rust 1.89; the crate still builds with 1.85 (`rust-version`), so the
//! AVX-512 path is compiled only when this compiler has them
//! (`cfg(wmilolbas_avx512)`).

use std::process::Command;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(wmilolbas_avx512)");
    println!("cargo::rerun-if-changed=build.rs");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let minor = version
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split('.').nth(1))
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    if minor >= 89 {
        println!("cargo::rustc-cfg=wmilolbas_avx512");
    }
}
