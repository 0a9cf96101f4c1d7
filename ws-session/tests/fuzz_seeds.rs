//! Replays every seed of the session fuzz targets (`fuzz/corpus/session_*/seed-*`)
//! under stable `cargo test`; an empty or missing corpus fails.

use std::path::Path;
use std::time::Instant;

use ws_session::{fuzzing, Role};

fn replay(target: &str, run: impl Fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut seeds = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("seed-") {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        run(&data);
        seeds += 1;
    }
    assert!(seeds > 0, "no seeds in {}", dir.display());
}

#[test]
fn session_server_seeds() {
    replay("session_server", |d| {
        fuzzing::drive(Role::Server, false, d, Instant::now())
    });
}

#[test]
fn session_client_seeds() {
    replay("session_client", |d| {
        fuzzing::drive(Role::Client, false, d, Instant::now())
    });
}

#[test]
fn session_deflate_seeds() {
    replay("session_deflate", |d| {
        let role = if d.len() % 2 == 0 {
            Role::Server
        } else {
            Role::Client
        };
        fuzzing::drive(role, true, d, Instant::now())
    });
}
