//! Runs every example of this crate (cargo builds them before the tests) and checks
//! what each prints: the examples a new user copies from must keep working.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use support::command::example;
use support::ServerEcho;

/// Runs an example to its end (at most 60 s) and returns its standard output.
fn run(cmd: &mut Command) -> String {
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
            assert!(status.success(), "{cmd:?} failed ({status}): {out}");
            return out;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("{cmd:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_client_talks_to_an_echo_server() {
    let server = ws_server::Server::builder().build();
    server.add_endpoint("/echo", ServerEcho).unwrap();
    let listener = ws_server::Server::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/echo", listener.local_addr().unwrap());
    tokio::spawn(server.serve(listener));
    let out = tokio::task::spawn_blocking(move || run(example("echo_client").arg(url)))
        .await
        .unwrap();
    assert!(out.contains("received: hello"), "{out}");
    assert!(out.contains("received: ws-client"), "{out}");
    assert!(out.contains("closed: 1000 done"), "{out}");
}

#[test]
fn stream_sink_example() {
    let out = run(&mut example("stream_sink"));
    assert!(out.contains("echoed: Text(\"message 2\")"), "{out}");
    assert!(out.contains("closed: Some(1000)"), "{out}");
}

#[test]
fn tls_example() {
    let out = run(&mut example("tls"));
    assert!(out.contains("echoed: Text(\"over TLS\")"), "{out}");
}

#[test]
fn streaming_example() {
    let out = run(example("streaming").arg("16"));
    assert!(out.contains("client: sent 16777216 bytes"), "{out}");
    assert!(out.contains("server: received 16777216 bytes"), "{out}");
}
