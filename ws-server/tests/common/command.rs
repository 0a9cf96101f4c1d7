//! Running what cargo built beside the tests (the crate's examples, its binary),
//! shared by the tests of both front-ends (ws-client's through a `#[path]`
//! module).

use std::path::PathBuf;
use std::process::{Command, Output};

/// The folder of the built examples (`target/<profile>/examples`): cargo builds a
/// crate's examples before running its tests.
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/examples-xxxx -> target/<profile>/examples
    exe.parent().unwrap().parent().unwrap().join("examples")
}

/// A command for the built example `name`; fails the test if it is not built.
pub fn example(name: &str) -> Command {
    let path = examples_dir().join(name);
    assert!(
        path.exists(),
        "example {name} not built at {}: `cargo build --examples` builds it",
        path.display()
    );
    Command::new(path)
}

/// Checks the output of `--help`: exit status 0, nothing on stderr. Returns the
/// help text (stdout).
pub fn help_text(out: &Output) -> String {
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "--help exit status; stdout:\n{help}"
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    help
}

/// The first line a spawned child prints on its stdout (which must be piped):
/// its address or port, for the servers the tests start.
pub fn first_line(child: &mut std::process::Child) -> String {
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().expect("stdout piped")),
        &mut line,
    )
    .unwrap();
    line
}

/// Checks that a run failed with exit status `code`; returns its stderr.
pub fn stderr_of_failure(out: &Output, code: i32) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{err}");
    err
}
