//! End to end over loopback: the suite in both roles against tiny echo peers written
//! here, one strict and some deliberately wrong, to show that the suite tells them
//! apart (a suite that passes everything proves nothing).
//!
//! The wrong peer coalesces pongs (one pong, for the last ping, per batch of input,
//! sent ahead of any echo as a writer that puts control frames first would), checks
//! UTF-8 only when a message is complete (failing late), and echoes any close code.
//! The silent peer completes the handshake and then never answers.

use std::collections::BTreeMap;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use ws_conformance::cases;
use ws_conformance::frame::{self, decode_header, opcode, Frame};
use ws_conformance::handshake;
use ws_conformance::runner::{self, Launcher, Settings, Target};
use ws_conformance::verdict::{Outcome, Verdict};

/// How the test peer behaves.
#[derive(Clone, Copy)]
struct Behaviour {
    /// Answer only the last ping of each batch of input.
    coalesce_pongs: bool,
    /// Check UTF-8 only at the end of a message.
    late_utf8: bool,
    /// Echo any close code, even one that may not be sent.
    any_close_code: bool,
    /// Never answer anything after the handshake.
    silent: bool,
}

const STRICT: Behaviour = Behaviour {
    coalesce_pongs: false,
    late_utf8: false,
    any_close_code: false,
    silent: false,
};

/// Starts the peer on a loopback port; returns its URL.
async fn start(behaviour: Behaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(serve(tcp, behaviour));
        }
    });
    format!("ws://{addr}/")
}

/// Whether `data` is valid UTF-8 or a valid prefix of it.
fn utf8_so_far(data: &[u8]) -> bool {
    match std::str::from_utf8(data) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

async fn serve(mut tcp: TcpStream, b: Behaviour) {
    let Ok(accepted) = handshake::server::accept(&mut tcp, None).await else {
        return;
    };
    echo(tcp, accepted.leftover, None, b).await;
}

/// The same peer as a client of the suite (the suite as server): connects to `url`.
async fn client(url: String, b: Behaviour) {
    let target = Target::parse(&url).unwrap();
    let Ok(mut tcp) = TcpStream::connect((target.host.as_str(), target.port)).await else {
        return;
    };
    let Ok(opened) =
        handshake::client::open(&mut tcp, &target.host_header(), &target.path, None, [7; 16]).await
    else {
        return;
    };
    echo(tcp, opened.leftover, Some([0x11, 0x22, 0x33, 0x44]), b).await;
}

/// Echoes over `tcp`; `mask` is the key of the frames it sends (as a client).
async fn echo(mut tcp: TcpStream, leftover: Vec<u8>, mask: Option<[u8; 4]>, b: Behaviour) {
    let mut input = leftover;
    let mut message: Option<(u8, Vec<u8>)> = None;
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        // Every complete frame of this batch of input.
        let mut out = Vec::new();
        let mut last_ping = None;
        let mut close = None;
        while let Ok(Some(h)) = decode_header(&input) {
            let end = h.header_len + h.payload_len as usize;
            if input.len() < end {
                break;
            }
            let mut payload = input[h.header_len..end].to_vec();
            input.drain(..end);
            frame::apply_mask(&mut payload, h.mask.unwrap_or_default());
            match h.opcode {
                opcode::PING if b.coalesce_pongs => last_ping = Some(payload),
                opcode::PING => frame::encode(&Frame::pong(payload), mask, &mut out),
                opcode::PONG => {}
                opcode::CLOSE => {
                    let code = payload
                        .get(..2)
                        .map_or(1000, |c| u16::from_be_bytes([c[0], c[1]]));
                    let allowed = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
                    close = Some(if allowed || b.any_close_code {
                        code
                    } else {
                        1002
                    });
                    break;
                }
                op => {
                    let (kind, data) = message.get_or_insert((op, Vec::new()));
                    data.extend_from_slice(&payload);
                    let text = *kind == opcode::TEXT;
                    let bad = text
                        && if h.fin {
                            std::str::from_utf8(data).is_err()
                        } else {
                            !b.late_utf8 && !utf8_so_far(data)
                        };
                    if bad {
                        close = Some(1007);
                        break;
                    }
                    if h.fin {
                        if let Some(p) = last_ping.take() {
                            frame::encode(&Frame::pong(p), mask, &mut out);
                        }
                        let (kind, data) = message.take().unwrap();
                        frame::encode(&Frame::new(kind, data), mask, &mut out);
                    }
                }
            }
        }
        if let Some(p) = last_ping {
            frame::encode(&Frame::pong(p), mask, &mut out);
        }
        if let Some(code) = close {
            frame::encode(&Frame::close(code, b""), mask, &mut out);
        }
        if !b.silent && tcp.write_all(&out).await.is_err() {
            return;
        }
        if close.is_some() {
            // Wait for the suite's answer (if we started), then close TCP first.
            let _ =
                tokio::time::timeout(std::time::Duration::from_millis(500), tcp.read(&mut chunk))
                    .await;
            return;
        }
        match tcp.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => input.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Runs the named cases against a peer; returns id -> outcome.
async fn run(url: &str, ids: &[&str]) -> BTreeMap<String, Outcome> {
    let filters: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    let selected = cases::select(cases::all(), &filters);
    assert_eq!(selected.len(), ids.len());
    let results = runner::run_as_client(
        Target::parse(url).unwrap(),
        selected,
        &Settings::default(),
        |_| {},
    )
    .await;
    results.into_iter().map(|r| (r.id, r.outcome)).collect()
}

/// Runs the named cases with the suite as server against the peer as client.
async fn run_as_server(b: Behaviour, ids: &[&str]) -> BTreeMap<String, Outcome> {
    let filters: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    let selected = cases::select(cases::all(), &filters);
    assert_eq!(selected.len(), ids.len());
    let launcher = Launcher::Task(std::sync::Arc::new(move |url| Box::pin(client(url, b))));
    let results = runner::run_as_server(launcher, selected, &Settings::default(), |_| {}).await;
    results.into_iter().map(|r| (r.id, r.outcome)).collect()
}

const CASES: [&str; 5] = ["1.1.3", "2.10", "5.6", "6.4.1", "7.9.1"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strict_peer_passes() {
    let url = start(STRICT).await;
    for (id, outcome) in run(&url, &CASES).await {
        assert_eq!(outcome.verdict, Verdict::Ok, "{id}: {}", outcome.reason);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coalesced_pongs_and_late_utf8_failures_are_caught() {
    let url = start(Behaviour {
        coalesce_pongs: true,
        late_utf8: true,
        any_close_code: true,
        silent: false,
    })
    .await;
    let results = run(&url, &CASES).await;
    let pongs = &results["2.10"];
    assert_eq!(pongs.verdict, Verdict::NonStrict, "{}", pongs.reason);
    assert!(
        pongs.reason.contains("1 pong(s) for 10 pings"),
        "{}",
        pongs.reason
    );
    let utf8 = &results["6.4.1"];
    assert_eq!(utf8.verdict, Verdict::NonStrict, "{}", utf8.reason);
    assert!(utf8.reason.contains("failed late"), "{}", utf8.reason);
    // What it does right is still OK.
    for id in ["1.1.3", "5.6"] {
        assert_eq!(
            results[id].verdict,
            Verdict::Ok,
            "{id}: {}",
            results[id].reason
        );
    }
    // It accepts a close code that may not be sent (echoing it): FAILED.
    assert_eq!(
        results["7.9.1"].verdict,
        Verdict::Failed,
        "{}",
        results["7.9.1"].reason
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_never_answers_fails_without_hanging() {
    let url = start(Behaviour {
        silent: true,
        ..STRICT
    })
    .await;
    let results = run(&url, &["2.1", "3.1"]).await;
    for (id, outcome) in results {
        assert_eq!(outcome.verdict, Verdict::Failed, "{id}");
        assert!(
            outcome.reason.contains("no answer") || outcome.reason.contains("did not fail"),
            "{id}: {}",
            outcome.reason
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_server_the_same_verdicts() {
    for (id, outcome) in run_as_server(STRICT, &CASES).await {
        assert_eq!(
            outcome.verdict,
            Verdict::Ok,
            "strict client, {id}: {}",
            outcome.reason
        );
    }
    let wrong = Behaviour {
        coalesce_pongs: true,
        late_utf8: true,
        any_close_code: true,
        silent: false,
    };
    let results = run_as_server(wrong, &CASES).await;
    assert_eq!(
        results["2.10"].verdict,
        Verdict::NonStrict,
        "{}",
        results["2.10"].reason
    );
    assert_eq!(
        results["6.4.1"].verdict,
        Verdict::NonStrict,
        "{}",
        results["6.4.1"].reason
    );
    assert_eq!(
        results["7.9.1"].verdict,
        Verdict::Failed,
        "{}",
        results["7.9.1"].reason
    );
    assert_eq!(
        results["1.1.3"].verdict,
        Verdict::Ok,
        "{}",
        results["1.1.3"].reason
    );
}
