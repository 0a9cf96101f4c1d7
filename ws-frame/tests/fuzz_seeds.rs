//! Replays the fuzz seed corpus (and anything a local fuzz run added) under stable
//! `cargo test`, through the same checks the fuzz target runs.

use std::fs;
use std::path::Path;

#[test]
fn frame_header_corpus_replays() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/frame_header");
    let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut replayed = 0;
    for entry in entries {
        let path = entry.expect("readable corpus entry").path();
        let data = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        ws_frame::fuzzing::check_header_decode(&data);
        replayed += 1;
    }
    assert!(
        replayed >= 10,
        "expected the committed seeds in {}, found {replayed}",
        dir.display()
    );
}
