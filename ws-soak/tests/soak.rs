//! A short soak against an in-process ws-server with the demo binary's two echo
//! endpoints (whole and partial delivery), deflate on: every session must end as
//! planned (the server's 1009 for messages over its limit included), every echo
//! must match.
//!
//! Not here: the server's read idle timeout (`cargo xtask soak` sets one, in a
//! release build). In a debug build a lane waiting for a deflated echo can send
//! nothing for seconds, which such a timeout would end.

use std::time::Duration;

use ws_server::{Echo, PartialEcho, Server, SessionConfig};
use ws_soak::{Ending, Options};

/// The largest message of this run (the server's buffer size): small enough for
/// a debug build, whose deflate is slow.
const MAX: usize = 256 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_soak_ends_every_session_as_planned() {
    let server = Server::builder()
        .session_config(
            SessionConfig::default()
                .with_text_buffer_size(MAX)
                .with_binary_buffer_size(MAX),
        )
        .build();
    server.add_endpoint("/echo", Echo).unwrap();
    server.add_endpoint("/echo-partial", PartialEcho).unwrap();
    let listener = Server::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server.clone().serve(listener));

    let options = Options {
        url: format!("ws://{addr}"),
        duration: Duration::from_secs(5),
        lanes: 16,
        seed: 0,
        max_size: MAX,
        server_idle: None,
        large_in_flight: 2,
    };
    let tally = tokio::time::timeout(Duration::from_secs(120), ws_soak::run(options, None))
        .await
        .expect("the soak ended");
    let report = tally.to_string();
    eprintln!("{report}");
    assert_eq!(tally.error_count(), 0, "{report}");
    let (sessions, messages) = tally.progress();
    assert!(sessions >= 16 && messages > 0, "{report}");
    // Every planned ending came up (but the idle close: no idle timeout here).
    for ending in [
        Ending::ClientClose,
        Ending::ClientCloseWithPending,
        Ending::Drop,
        Ending::DropMidMessage,
        Ending::ServerTooBig,
    ] {
        assert!(tally.ended_count(ending) > 0, "no {ending:?}: {report}");
    }
    // The server let go of every connection.
    let started = std::time::Instant::now();
    while server.connections() > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "connections left open"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
