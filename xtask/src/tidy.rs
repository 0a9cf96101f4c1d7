//! Tidy checks: architectural invariants kept as ordinary tests (run by `cargo test`).
//!
//! * Tomcat's property key prefix appears only in `ws-config`.
//! * The sans-I/O crates (`ws-frame`, `ws-handshake`, `ws-session`) depend on no async
//!   runtime and read no clock, open no socket and draw no randomness: their `src/`
//!   and manifests are scanned. (Their tests may take one `Instant` as a clock base.)
//! * `unsafe` code appears in one module only, the ws-server binary's heap trimmer.

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

/// The one module allowed `unsafe` code: the ws-server binary's two calls into glibc
/// (`mallinfo2`, `malloc_trim`) and its `timerfd`'s registration with tokio's
/// `AsyncFd`. Every other crate forbids it (the workspace lint);
/// ws-server denies it so that this module alone can allow it.
const UNSAFE_ALLOWED_IN: &str = "ws-server/src/bin/ws-server/heap_trim.rs";

#[test]
fn unsafe_code_lives_only_in_the_heap_trimmer() {
    // Built by concatenation so this file does not match itself.
    let marks = [
        ["unsafe", " {"].concat(),
        ["unsafe", " fn"].concat(),
        ["unsafe", " impl"].concat(),
        ["allow(", "unsafe_code)"].concat(),
    ];
    let mut files = Vec::new();
    rust_files(&root(), &mut files);
    let mut offenders = Vec::new();
    let mut allowed_seen = false;
    for file in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "rs"))
    {
        let rel = file.strip_prefix(root()).unwrap_or(file);
        let text = fs::read_to_string(file).unwrap_or_default();
        let has = marks.iter().any(|m| text.contains(m.as_str()));
        if rel == Path::new(UNSAFE_ALLOWED_IN) {
            allowed_seen = has;
        } else if has {
            offenders.push(rel.display().to_string());
        }
    }
    assert!(
        offenders.is_empty(),
        "unsafe code outside {UNSAFE_ALLOWED_IN}: {offenders:?}"
    );
    assert!(allowed_seen, "tidy sees the heap trimmer's unsafe code");
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

/// The layering of ARCHITECTURE.md: the workspace crates each crate may use as a
/// normal (non-dev) dependency. A crate missing from this table fails the check, so
/// a new crate has to take its place in the layers explicitly.
const LAYERS: &[(&str, &[&str])] = &[
    ("ws-frame", &[]),
    ("ws-handshake", &["ws-frame"]),
    ("ws-session", &["ws-frame"]),
    ("ws-config", &["ws-frame", "ws-handshake", "ws-session"]),
    ("ws-tokio", &["ws-frame", "ws-handshake", "ws-session"]),
    // Redis and NATS clients for ws-tokio's Broker trait, kept out of ws-tokio.
    ("ws-broker", &["ws-tokio"]),
    (
        "ws-server",
        &[
            "ws-frame",
            "ws-handshake",
            "ws-session",
            "ws-config",
            "ws-tokio",
            // The binary's --broker (the library takes any Broker).
            "ws-broker",
        ],
    ),
    (
        "ws-client",
        &[
            "ws-frame",
            "ws-handshake",
            "ws-session",
            "ws-config",
            "ws-tokio",
        ],
    ),
    // The axum/hyper integration: a front-end beside ws-server and ws-client.
    (
        "ws-axum",
        &["ws-handshake", "ws-session", "ws-config", "ws-tokio"],
    ),
    // The load generator speaks the protocol from the codec and the handshake only,
    // so a server is never measured with this stack's own session or client.
    ("ws-loadgen", &["ws-frame", "ws-handshake"]),
    // The conformance suite judges the stack, so it shares no code with it: its own
    // codec, handshake and deflate (a bug there must not hide itself).
    ("ws-conformance", &[]),
    // The soak driver runs this stack's client against its server (both APIs).
    ("ws-soak", &["ws-client"]),
    ("xtask", &["ws-config"]),
    ("ws-benches", &[]),
];

/// Comparison peers, and what only their examples need (hyper serves yawc's
/// documented upgrade): dev-dependencies of the benchmark crate only.
const PEERS: &[&str] = &[
    "tungstenite",
    "tokio-tungstenite",
    "fastwebsockets",
    "sockudo-ws",
    "tokio-websockets",
    "yawc",
    // yawc's server glue in benches/ only. (hyper and hyper-util are not listed:
    // they are the stack ws-axum integrates with, a real dependency there.)
    "http-body-util",
];

/// `cargo metadata` of the workspace members (their declared dependencies).
fn workspace_packages() -> Vec<serde_json::Value> {
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root())
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    meta["packages"].as_array().cloned().unwrap_or_default()
}

#[test]
fn crates_depend_only_on_the_layers_below_them() {
    let packages = workspace_packages();
    let ours: Vec<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    assert!(
        ours.contains(&"ws-tokio"),
        "metadata lists the workspace: {ours:?}"
    );
    let mut offenders = Vec::new();
    for package in &packages {
        let name = package["name"].as_str().unwrap_or_default();
        let Some((_, allowed)) = LAYERS.iter().find(|(n, _)| *n == name) else {
            offenders.push(format!(
                "{name}: not in the LAYERS table of xtask/src/tidy.rs"
            ));
            continue;
        };
        for dep in package["dependencies"].as_array().into_iter().flatten() {
            let dep_name = dep["name"].as_str().unwrap_or_default();
            let kind = dep["kind"].as_str(); // null for normal dependencies
            if kind == Some("dev") {
                if PEERS.contains(&dep_name) && name != "ws-benches" {
                    offenders.push(format!("{name} -> {dep_name}: peers are ws-benches' only"));
                }
                continue;
            }
            if PEERS.contains(&dep_name) {
                offenders.push(format!(
                    "{name} -> {dep_name}: a comparison peer as a dependency"
                ));
            }
            if ours.contains(&dep_name) && !allowed.contains(&dep_name) {
                offenders.push(format!("{name} -> {dep_name}: against the layering"));
            }
        }
    }
    assert!(offenders.is_empty(), "layering broken: {offenders:#?}");
}

/// The modules of one crate root (a folder holding `lib.rs` or `main.rs`): each
/// `.rs` file and each module folder beside the root file, with the modules its code
/// names through `crate::` (comments left out, so doc links do not count).
fn module_imports(dir: &Path) -> Vec<(String, Vec<String>)> {
    let mut modules: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if name == "bin" {
                continue;
            }
            let mut files = Vec::new();
            rust_files(&path, &mut files);
            modules.push((name, files));
        } else if let Some(stem) = name.strip_suffix(".rs") {
            if stem != "lib" && stem != "main" {
                modules.push((stem.to_owned(), vec![path]));
            }
        }
    }
    let names: Vec<String> = modules.iter().map(|(n, _)| n.clone()).collect();
    modules
        .into_iter()
        .map(|(name, files)| {
            let mut uses = Vec::new();
            for file in files {
                let text = fs::read_to_string(&file).unwrap_or_default();
                for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                    for (i, _) in line.match_indices("crate::") {
                        let rest = &line[i + "crate::".len()..];
                        let target: String = rest
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if target != name && names.contains(&target) && !uses.contains(&target) {
                            uses.push(target);
                        }
                    }
                }
            }
            (name, uses)
        })
        .collect()
}

/// A circle in `graph`, if there is one (as the list of modules on it).
fn find_circle(graph: &[(String, Vec<String>)]) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &[(String, Vec<String>)],
        path: &mut Vec<String>,
        done: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            return Some(path[at..].to_vec());
        }
        if done.iter().any(|n| n == node) {
            return None;
        }
        path.push(node.to_owned());
        let uses = graph.iter().find(|(n, _)| n == node).map(|(_, u)| u);
        for next in uses.into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.push(node.to_owned());
        None
    }
    let mut done = Vec::new();
    graph
        .iter()
        .find_map(|(n, _)| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let mut roots = Vec::new();
    for entry in fs::read_dir(root()).into_iter().flatten().flatten() {
        let src = entry.path().join("src");
        if src.join("lib.rs").exists() || src.join("main.rs").exists() {
            roots.push(src.clone());
        }
        for bin in fs::read_dir(src.join("bin"))
            .into_iter()
            .flatten()
            .flatten()
        {
            if bin.path().join("main.rs").exists() {
                roots.push(bin.path());
            }
        }
    }
    assert!(roots.len() >= 8, "tidy sees the crates: {roots:?}");
    let mut circles = Vec::new();
    for dir in &roots {
        if let Some(circle) = find_circle(&module_imports(dir)) {
            let rel = dir
                .strip_prefix(root())
                .unwrap_or(dir)
                .display()
                .to_string();
            circles.push(format!("{rel}: {}", circle.join(" -> ")));
        }
    }
    assert!(circles.is_empty(), "import circles: {circles:#?}");
}

#[test]
fn the_circle_check_finds_a_circle() {
    let graph = vec![
        ("a".to_owned(), vec!["b".to_owned()]),
        ("b".to_owned(), vec!["c".to_owned()]),
        ("c".to_owned(), vec!["a".to_owned()]),
        ("d".to_owned(), vec!["a".to_owned()]),
    ];
    assert_eq!(
        find_circle(&graph),
        Some(vec!["a".to_owned(), "b".to_owned(), "c".to_owned()])
    );
    assert_eq!(find_circle(&graph[..1]), None);
}
