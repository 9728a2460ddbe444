//! The build's identity: a SHA-256 of everything that decides what this
//! binary does (the workspace's sources, SQL, schemas and reference data,
//! the manifests and lock file, the compiler, the profile and target),
//! compiled in as `TAFTEESH_BUILD_ID`.
//!
//! A run reuses what an earlier run computed only when this identity is the
//! same (see `run::manifest::model_fingerprint`). It used to be the
//! binary's size and modification time, so copying or reinstalling the same
//! build, or a package manager touching the file, forced a full rebuild;
//! the identity of the sources does not change when the file is copied or
//! stripped, and does change whenever the code does.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// What the identity covers, relative to the package root.
const INPUTS: [&str; 7] = [
    "src",
    "sql",
    "schemas",
    "crates",
    "Cargo.toml",
    "Cargo.lock",
    "build.rs",
];

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for input in INPUTS {
        println!("cargo:rerun-if-changed={input}");
        collect(&root.join(input), &mut files);
    }
    files.sort();
    let mut h = Sha256::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap_or(f);
        let bytes = std::fs::read(f).unwrap_or_default();
        h.update(rel.to_string_lossy().as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc)
        .arg("-vV")
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    h.update(&version);
    for var in ["PROFILE", "TARGET", "OPT_LEVEL", "CARGO_CFG_TARGET_FEATURE"] {
        h.update(var.as_bytes());
        h.update(std::env::var(var).unwrap_or_default().as_bytes());
    }
    let id: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=TAFTEESH_BUILD_ID={id}");
}

/// Every file under `path` (or `path` itself), skipping build output.
fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.file_name()
            .is_some_and(|n| n == "target" || n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        collect(&p, out);
    }
}
