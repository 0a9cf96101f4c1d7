//! Tidy checks: architectural invariants kept as ordinary tests (run by `cargo test`).
//!
//! * Tomcat's property key prefix appears only in `ws-config`.
//! * The sans-I/O crates (`ws-frame`, `ws-handshake`, `ws-session`) depend on no async
//!   runtime and read no clock, open no socket and draw no randomness: their `src/`
//!   and manifests are scanned. (Their tests may take one `Instant` as a clock base.)

use std::fs;
use std::path::{Path, PathBuf};

use crate::root;

/// Crates that must stay sans-I/O.
const SANS_IO: &[&str] = &["ws-frame", "ws-handshake", "ws-session"];

/// Source text that a sans-I/O crate may not contain.
const FORBIDDEN_IN_SANS_IO: &[&str] = &[
    "tokio",
    "Instant::now",
    "SystemTime::now",
    "std::net",
    "std::fs",
    "thread::sleep",
    "rand::",
    "getrandom",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") || name == "Cargo.toml" {
            out.push(path);
        }
    }
}

fn files_of(dir: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    rust_files(&root().join(dir), &mut out);
    out
}

#[test]
fn tomcat_keys_live_only_in_ws_config() {
    // Built by concatenation so this file does not match itself.
    let prefix = ["org.apache", ".tomcat.websocket"].concat();
    let mut offenders = Vec::new();
    let mut files = Vec::new();
    rust_files(&root(), &mut files);
    for file in files {
        let rel = file.strip_prefix(root()).unwrap_or(&file);
        if rel.starts_with("ws-config") {
            continue;
        }
        if fs::read_to_string(&file).is_ok_and(|text| text.contains(&prefix)) {
            offenders.push(rel.display().to_string());
        }
    }
    assert!(
        offenders.is_empty(),
        "Tomcat key strings outside ws-config: {offenders:?}"
    );
}

#[test]
fn sans_io_crates_have_no_runtime_clock_or_socket() {
    let mut offenders = Vec::new();
    for krate in SANS_IO {
        let mut files = files_of(&format!("{krate}/src"));
        files.push(root().join(krate).join("Cargo.toml"));
        for file in files {
            let Ok(text) = fs::read_to_string(&file) else {
                continue;
            };
            for needle in FORBIDDEN_IN_SANS_IO {
                if text.contains(needle) {
                    let rel = file
                        .strip_prefix(root())
                        .unwrap_or(&file)
                        .display()
                        .to_string();
                    offenders.push(format!("{rel}: {needle}"));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "sans-I/O crates must not do I/O: {offenders:?}"
    );
}

#[test]
fn tidy_sees_the_sans_io_crates() {
    // Guards the checks above against silently scanning nothing.
    assert!(!files_of("ws-frame").is_empty());
}
