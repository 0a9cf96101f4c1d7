//! Replays the fuzz targets' seed corpora (`fuzz/corpus/handshake_*/seed-*`) under
//! stable `cargo test`, through the same checks the fuzz targets run.

use std::fs;
use std::path::PathBuf;

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read(&path).unwrap())
        })
        .filter(|(name, _)| name.starts_with("seed-"))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

#[test]
fn handshake_request_seeds() {
    let seeds = seeds("handshake_request");
    assert!(seeds.len() >= 10, "only {} request seeds", seeds.len());
    for (name, data) in seeds {
        eprintln!("replaying {name}");
        ws_handshake::fuzzing::check_request(&data);
    }
}

#[test]
fn handshake_response_seeds() {
    let seeds = seeds("handshake_response");
    assert!(seeds.len() >= 10, "only {} response seeds", seeds.len());
    for (name, data) in seeds {
        eprintln!("replaying {name}");
        ws_handshake::fuzzing::check_response(&data);
    }
}

#[test]
fn seeds_cover_acceptance_and_rejection() {
    // Guards against a corpus that silently stopped exercising the happy path.
    use ws_handshake::{Limits, ServerHandshake};
    let mut accepted = 0;
    let mut rejected = 0;
    for (_, data) in seeds("handshake_request") {
        match ServerHandshake::new(Limits::default()).handle_input(&data) {
            Ok(Some(_)) => accepted += 1,
            Err(_) => rejected += 1,
            Ok(None) => {}
        }
    }
    assert!(
        accepted >= 3 && rejected >= 3,
        "{accepted} accepted, {rejected} rejected"
    );
}
