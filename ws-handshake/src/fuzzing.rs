//! Invariant checks shared by the fuzz targets and the seed-replay test.
//!
//! Not a stable API: it exists so `fuzz/` and `tests/fuzz_seeds.rs` run the same code.

use crate::{ClientRequest, Limits, ServerHandshake};

fn split_points(data: &[u8]) -> [usize; 3] {
    let n = data.len();
    let a = data.first().map_or(0, |&b| usize::from(b)) % (n + 1);
    [a, n / 2, n.saturating_sub(1)]
}

/// Feeds `data` to a server handshake whole, byte by byte and split at a few points;
/// every way must give the same result, never panic, and respect the limits.
pub fn check_request(data: &[u8]) {
    let limits = Limits {
        max_header_bytes: 1024,
        max_headers: 16,
    };
    let whole = ServerHandshake::new(limits).handle_input(data);
    let mut byte_by_byte = ServerHandshake::new(limits);
    let mut stepped = Ok(None);
    for (i, b) in data.iter().enumerate() {
        stepped = byte_by_byte.handle_input(core::slice::from_ref(b));
        if !matches!(stepped, Ok(None)) {
            // The rest is leftover: append it as the whole feed would have.
            if let Ok(Some(req)) = &mut stepped {
                req.leftover.extend_from_slice(&data[i + 1..]);
            }
            break;
        }
    }
    assert_eq!(whole, stepped, "whole vs byte by byte");
    for split in split_points(data) {
        let mut h = ServerHandshake::new(limits);
        let split_result = match h.handle_input(&data[..split]) {
            Ok(None) => h.handle_input(&data[split..]),
            Ok(Some(mut req)) => {
                req.leftover.extend_from_slice(&data[split..]);
                Ok(Some(req))
            }
            Err(e) => Err(e),
        };
        assert_eq!(whole, split_result, "split at {split}");
    }
    match whole {
        Ok(Some(req)) => {
            assert!(data.len() - req.leftover().len() <= limits.max_header_bytes);
            assert!(req.headers().len() <= limits.max_headers);
            let accepted = req.accept(&Default::default());
            let response = accepted.response();
            assert!(response.starts_with(b"HTTP/1.1 101 "));
            if let Some(p) = &accepted.protocol {
                assert!(req.protocols().contains(p));
            }
            // No accepted upgrade announces a body.
            assert_eq!(req.headers().count("Transfer-Encoding"), 0);
            for value in req.headers().get_all("Content-Length") {
                let zero = |item: &[u8]| item.trim_ascii().iter().all(|&b| b == b'0');
                assert!(value.split(|&b| b == b',').all(zero));
            }
        }
        Ok(None) => assert!(data.len() < limits.max_header_bytes),
        Err(e) => {
            let status = e.status().0;
            assert!((400..500).contains(&status));
            assert!(e.response().starts_with(b"HTTP/1.1 4"));
        }
    }
}

/// Feeds `data` as the response to a fixed client request, whole and byte by byte;
/// both must agree and never panic. A 101 that is accepted must carry the expected
/// `Sec-WebSocket-Accept`.
pub fn check_response(data: &[u8]) {
    let request = ClientRequest::new("ws://example.com/chat", *b"the sample nonce")
        .and_then(|r| r.protocol("chat"))
        .map(|r| r.deflate(crate::DeflateOffer::default()));
    let Ok(request) = request else {
        panic!("fixed request must build");
    };
    let limits = Limits {
        max_header_bytes: 1024,
        max_headers: 16,
    };
    let whole = request.handshake(limits).handle_input(data);
    let mut byte_by_byte = request.handshake(limits);
    let mut stepped = Ok(None);
    for (i, b) in data.iter().enumerate() {
        stepped = byte_by_byte.handle_input(core::slice::from_ref(b));
        if !matches!(stepped, Ok(None)) {
            if let Ok(Some((_, leftover))) = &mut stepped {
                leftover.extend_from_slice(&data[i + 1..]);
            }
            break;
        }
    }
    assert_eq!(whole, stepped, "whole vs byte by byte");
    if let Ok(Some((crate::Outcome::Accepted(est), _))) = &whole {
        let accept = est
            .headers
            .get(crate::server::SEC_ACCEPT)
            .map(<[u8]>::trim_ascii);
        assert_eq!(accept, Some(&b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="[..]));
        if let Some(p) = &est.protocol {
            assert_eq!(p, "chat");
        }
    }
}
