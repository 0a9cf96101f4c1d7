//! Property tests: any split of a valid request or response gives the same result, and
//! a request built by the client is accepted by the server and its 101 by the client.

use proptest::prelude::*;
use ws_handshake::{
    ClientMaxWindowBits, ClientRequest, DeflateConfig, DeflateOffer, Limits, Outcome, ServerConfig,
    ServerHandshake,
};

/// Feeds `data` cut at the given points (sorted, deduplicated, in range).
fn feed_server(data: &[u8], cuts: &[usize]) -> ws_handshake::UpgradeRequest {
    let mut h = ServerHandshake::new(Limits::default());
    let mut start = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.push(data.len());
    let mut result = None;
    for cut in cuts {
        if cut < start {
            continue;
        }
        if let Some(req) = result.as_mut() {
            let req: &mut (ws_handshake::UpgradeRequest, Vec<u8>) = req;
            req.1.extend_from_slice(&data[start..cut]);
        } else if let Some(req) = h.handle_input(&data[start..cut]).unwrap() {
            result = Some((req, Vec::new()));
        }
        start = cut;
    }
    let (req, extra) = result.expect("complete");
    // Leftover as seen across the cuts equals the bytes after the head.
    let mut leftover = req.leftover().to_vec();
    leftover.extend_from_slice(&extra);
    assert_eq!(leftover, b"\x81\x80LEFT");
    req
}

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9._-]{1,12}"
}

fn deflate_offer() -> impl Strategy<Value = DeflateOffer> {
    (
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(8u8..=15),
        proptest::option::of(proptest::option::of(8u8..=15)),
    )
        .prop_map(|(snct, cnct, smwb, cmwb)| DeflateOffer {
            server_no_context_takeover: snct,
            client_no_context_takeover: cnct,
            server_max_window_bits: smwb,
            client_max_window_bits: cmwb.map(|v| match v {
                None => ClientMaxWindowBits::Supported,
                Some(b) => ClientMaxWindowBits::Limit(b),
            }),
        })
}

fn deflate_config() -> impl Strategy<Value = DeflateConfig> {
    (
        any::<bool>(),
        8u8..=15,
        8u8..=15,
        8u8..=15,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(enabled, max_s, min_s, max_c, snct, cnct)| DeflateConfig {
            enabled,
            max_server_window_bits: max_s,
            min_server_window_bits: min_s,
            max_client_window_bits: max_c,
            server_no_context_takeover: snct,
            client_no_context_takeover: cnct,
        })
}

fn client_request() -> impl Strategy<Value = (ClientRequest, Vec<String>)> {
    (
        "/[a-z0-9/]{0,20}(\\?[a-z0-9=&]{0,10})?",
        proptest::collection::vec(token(), 0..4),
        proptest::collection::vec(deflate_offer(), 0..3),
        proptest::collection::vec((token(), "[ -~]{0,30}"), 0..6),
        any::<[u8; 16]>(),
    )
        .prop_map(|(path, protocols, offers, headers, nonce)| {
            let mut req = ClientRequest::new(&format!("ws://example.com{path}"), nonce).unwrap();
            for p in &protocols {
                req = req.protocol(p.clone()).unwrap();
            }
            for o in offers {
                req = req.deflate(o);
            }
            for (n, v) in headers {
                // Reserved names are refused by the builder; skip them.
                if let Ok(r) = req.clone().header(&format!("X-{n}"), &v) {
                    req = r;
                }
            }
            (req, protocols)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_split_of_a_request_parses_the_same(
        (req, _) in client_request(),
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
    ) {
        let mut wire = req.to_bytes();
        wire.extend_from_slice(b"\x81\x80LEFT");
        let whole = feed_server(&wire, &[]);
        let split = feed_server(&wire, &cuts);
        prop_assert_eq!(whole.headers(), split.headers());
        prop_assert_eq!(whole.target(), split.target());
        prop_assert_eq!(whole.protocols(), split.protocols());
        prop_assert_eq!(whole.extensions(), split.extensions());
    }

    #[test]
    fn client_and_server_agree(
        (req, protocols) in client_request(),
        supported in proptest::collection::vec(token(), 0..4),
        deflate in deflate_config(),
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
    ) {
        let wire = req.to_bytes();
        let upgrade = ServerHandshake::new(Limits::default()).handle_input(&wire).unwrap().unwrap();
        let config = ServerConfig { protocols: supported.clone(), deflate, ..ServerConfig::default() };
        let accepted = upgrade.accept(&config);
        if let Some(p) = &accepted.protocol {
            prop_assert!(protocols.contains(p) && supported.contains(p));
        }
        let mut reply = accepted.response();
        reply.extend_from_slice(b"FRAME");

        // Whole, then cut at arbitrary points: same outcome and leftover.
        let whole = req.handshake(Limits::default()).handle_input(&reply).unwrap().unwrap();
        let mut h = req.handshake(Limits::default());
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (reply.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.push(reply.len());
        let mut start = 0;
        let mut got: Option<(Outcome, Vec<u8>)> = None;
        for cut in cuts {
            if cut < start { continue; }
            match got.as_mut() {
                Some((_, rest)) => rest.extend_from_slice(&reply[start..cut]),
                None => got = h.handle_input(&reply[start..cut]).unwrap(),
            }
            start = cut;
        }
        prop_assert_eq!(&got, &Some(whole.clone()));
        let (Outcome::Accepted(est), leftover) = whole else {
            return Err(TestCaseError::fail("not accepted"));
        };
        prop_assert_eq!(leftover, b"FRAME".to_vec());
        prop_assert_eq!(est.protocol, accepted.protocol);
        prop_assert_eq!(est.deflate, accepted.deflate);
    }
}
