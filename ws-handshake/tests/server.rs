//! Server-side acceptance and rejection table, each case fed whole and byte by byte.

mod common;

use common::{chromium_request, server_feed};
use ws_handshake::{
    DeflateConfig, DeflateParams, Limits, ServerConfig, ServerError, StatusCode, UpgradeRequest,
};

fn edit(from: &str, to: &str) -> String {
    let base = chromium_request();
    assert!(base.contains(from), "{from:?} not in the base request");
    base.replacen(from, to, 1)
}

fn add(line: &str) -> String {
    let base = chromium_request();
    format!("{}{line}\r\n\r\n", &base[..base.len() - 2])
}

fn accept(text: &str) -> UpgradeRequest {
    server_feed(text.as_bytes(), Limits::default())
        .unwrap_or_else(|e| panic!("rejected: {e}\n{text}"))
        .expect("complete")
}

#[test]
fn valid_requests_are_accepted() {
    let cases: Vec<(&str, String)> = vec![
        ("chromium", chromium_request()),
        (
            "lowercase tokens",
            edit("Upgrade: websocket", "Upgrade: WebSocket"),
        ),
        (
            "connection list",
            edit("Connection: Upgrade", "Connection: keep-alive, Upgrade"),
        ),
        (
            "connection lower",
            edit("Connection: Upgrade", "connection: upgrade"),
        ),
        (
            "upgrade list",
            edit("Upgrade: websocket", "Upgrade: h2c, websocket"),
        ),
        (
            "host without port",
            edit("Host: example.com:8080", "Host: example.com"),
        ),
        ("ipv6 host", edit("Host: example.com:8080", "Host: [::1]:9")),
        (
            "http/1.1 absolute form",
            edit("GET /chat?room=1", "GET http://example.com/chat?room=1"),
        ),
        (
            "two protocol fields",
            add("Sec-WebSocket-Protocol: a, b\r\nSec-WebSocket-Protocol: c"),
        ),
        (
            "version with spaces",
            edit("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version:  13 "),
        ),
    ];
    for (name, text) in cases {
        let req = accept(&text);
        assert_eq!(req.path(), "/chat", "{name}");
        assert_eq!(req.query(), Some("room=1"), "{name}");
        assert_eq!(req.key(), Some("dGhlIHNhbXBsZSBub25jZQ=="), "{name}");
        assert_eq!(req.origin(), Some("https://example.com"), "{name}");
    }
    let req = accept(&add(
        "Sec-WebSocket-Protocol: a, b\r\nSec-WebSocket-Protocol: c",
    ));
    assert_eq!(req.protocols(), ["a", "b", "c"]);
}

#[test]
fn invalid_requests_are_rejected_with_their_status() {
    use ServerError::*;
    let cases: Vec<(&str, String, ServerError, u16)> = vec![
        (
            "POST",
            edit("GET ", "POST "),
            MethodNotAllowed("POST".into()),
            405,
        ),
        (
            "HTTP/1.0",
            edit("HTTP/1.1", "HTTP/1.0"),
            HttpVersion(0),
            400,
        ),
        (
            "no Host",
            edit("Host: example.com:8080\r\n", ""),
            MissingHost,
            400,
        ),
        ("two Hosts", add("Host: other"), DuplicateHost, 400),
        (
            "bad Host",
            edit("Host: example.com:8080", "Host: exa mple.com"),
            InvalidHost,
            400,
        ),
        (
            "bad Host port",
            edit("Host: example.com:8080", "Host: example.com:99999"),
            InvalidHost,
            400,
        ),
        (
            "empty Host",
            edit("Host: example.com:8080", "Host: "),
            InvalidHost,
            400,
        ),
        (
            "star target",
            edit("GET /chat?room=1", "GET *"),
            InvalidTarget,
            400,
        ),
        (
            "ftp target",
            edit("GET /chat?room=1", "GET ftp://h/x"),
            InvalidTarget,
            400,
        ),
        (
            "no Upgrade",
            edit("Upgrade: websocket\r\n", ""),
            NotWebSocketUpgrade,
            400,
        ),
        (
            "Upgrade h2c",
            edit("Upgrade: websocket", "Upgrade: h2c"),
            NotWebSocketUpgrade,
            400,
        ),
        (
            "no Connection",
            edit("Connection: Upgrade\r\n", ""),
            MissingConnectionUpgrade,
            400,
        ),
        (
            "Connection keep-alive",
            edit("Connection: Upgrade", "Connection: keep-alive"),
            MissingConnectionUpgrade,
            400,
        ),
        (
            "version 8",
            edit("Version: 13", "Version: 8"),
            UnsupportedVersion,
            426,
        ),
        (
            "no version",
            edit("Sec-WebSocket-Version: 13\r\n", ""),
            UnsupportedVersion,
            426,
        ),
        (
            "two versions",
            add("Sec-WebSocket-Version: 13"),
            DuplicateHeader("Sec-WebSocket-Version"),
            400,
        ),
        (
            "two keys",
            add("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="),
            DuplicateHeader("Sec-WebSocket-Key"),
            400,
        ),
        (
            "no key",
            edit("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
            MissingKey,
            400,
        ),
        (
            "short key",
            edit("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ=="),
            InvalidKey,
            400,
        ),
        (
            "non-base64 key",
            edit("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25j!Q=="),
            InvalidKey,
            400,
        ),
        (
            "bad protocol list",
            add("Sec-WebSocket-Protocol: a b"),
            InvalidProtocolHeader,
            400,
        ),
        (
            "bad extension syntax",
            add("Sec-WebSocket-Extensions: x; =1"),
            InvalidExtensionHeader,
            400,
        ),
        (
            "bare LF",
            edit("Pragma: no-cache\r\n", "Pragma: no-cache\n"),
            Malformed("bare LF line ending".into()),
            400,
        ),
    ];
    for (name, text, want, status) in cases {
        let got = server_feed(text.as_bytes(), Limits::default());
        assert_eq!(got, Err(want.clone()), "{name}");
        assert_eq!(want.status(), StatusCode(status), "{name}");
        let response = String::from_utf8(want.response()).unwrap();
        assert!(
            response.starts_with(&format!("HTTP/1.1 {status} ")),
            "{name}"
        );
        assert!(response.ends_with(&format!("\r\n\r\n{want}\n")), "{name}");
    }
    let version = String::from_utf8(UnsupportedVersion.response()).unwrap();
    assert!(
        version.contains("\r\nSec-WebSocket-Version: 13\r\n"),
        "{version}"
    );
    let method = String::from_utf8(MethodNotAllowed("POST".into()).response()).unwrap();
    assert!(method.contains("\r\nAllow: GET\r\n"));
    assert_eq!(OriginRejected.status(), StatusCode::FORBIDDEN);
}

#[test]
fn syntax_errors_are_400() {
    for text in [
        "GET / HTTP/1.1 extra\r\n\r\n",
        "\x01\x02\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
    ] {
        let err = server_feed(text.as_bytes(), Limits::default()).unwrap_err();
        assert!(
            matches!(err, ServerError::Malformed(_)),
            "{text:?}: {err:?}"
        );
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    }
}

#[test]
fn limits_give_431() {
    let text = chromium_request();
    let tight = Limits {
        max_header_bytes: text.len() - 1,
        ..Limits::default()
    };
    let err = server_feed(text.as_bytes(), tight).unwrap_err();
    assert_eq!(err, ServerError::HeadTooLarge(text.len() - 1));
    assert_eq!(err.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    let exact = Limits {
        max_header_bytes: text.len(),
        ..Limits::default()
    };
    assert!(server_feed(text.as_bytes(), exact).unwrap().is_some());

    let few = Limits {
        max_headers: 11,
        ..Limits::default()
    };
    let err = server_feed(text.as_bytes(), few).unwrap_err();
    assert_eq!(err, ServerError::TooManyHeaders(11));
    assert_eq!(err.status().0, 431);

    // An endless head without a terminator stops at the limit, not later.
    let mut h = ws_handshake::ServerHandshake::new(Limits::default());
    let junk = [b'a'; 1000];
    let mut fed = 0;
    let err = loop {
        match h.handle_input(&junk) {
            Ok(None) => fed += junk.len(),
            Err(e) => break e,
            Ok(Some(_)) => panic!("junk accepted"),
        }
    };
    assert_eq!(err, ServerError::HeadTooLarge(8192));
    assert!(fed < 8192);
}

#[test]
fn partial_input_is_not_an_error_and_leftover_is_kept() {
    let mut text = chromium_request().into_bytes();
    let head_len = text.len();
    text.extend_from_slice(&[0x81, 0x80, 1, 2, 3, 4]);
    let mut h = ws_handshake::ServerHandshake::new(Limits::default());
    assert_eq!(h.handle_input(&text[..head_len - 1]), Ok(None));
    let req = h.handle_input(&text[head_len - 1..]).unwrap().unwrap();
    assert_eq!(req.leftover(), [0x81, 0x80, 1, 2, 3, 4]);
    assert!(matches!(
        h.handle_input(b"x"),
        Err(ServerError::Malformed(_))
    ));
    // The shared helper checks the same thing byte by byte.
    assert_eq!(
        server_feed(&text, Limits::default())
            .unwrap()
            .unwrap()
            .leftover()
            .len(),
        6
    );
}

#[test]
fn accept_response_rfc6455_sample() {
    let req = accept(&chromium_request());
    let accepted = req.accept(&ServerConfig::default());
    assert_eq!(
        accepted.accept.as_deref(),
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    );
    let text = String::from_utf8(accepted.response()).unwrap();
    assert_eq!(
        text,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
         Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
    );
}

#[test]
fn subprotocol_negotiation() {
    let req = accept(&add("Sec-WebSocket-Protocol: v2.chat, v1.chat"));
    let config = |protocols: &[&str]| ServerConfig {
        protocols: protocols.iter().map(|p| p.to_string()).collect(),
        ..ServerConfig::default()
    };
    // Tomcat's rule: the client's order wins.
    assert_eq!(
        req.accept(&config(&["v1.chat", "v2.chat"]))
            .protocol
            .as_deref(),
        Some("v2.chat")
    );
    assert_eq!(
        req.accept(&config(&["v1.chat"])).protocol.as_deref(),
        Some("v1.chat")
    );
    assert_eq!(req.accept(&config(&["other"])).protocol, None);
    assert_eq!(req.accept(&config(&[])).protocol, None);
    // A custom hook picks by index, so it can only pick an offered protocol.
    let custom = req.accept_with(&config(&[]), |offered| {
        offered.iter().position(|p| p == "v1.chat")
    });
    assert_eq!(custom.protocol.as_deref(), Some("v1.chat"));
    assert_eq!(req.accept_with(&config(&[]), |_| Some(99)).protocol, None);
    let text = String::from_utf8(custom.response()).unwrap();
    assert!(text.contains("\r\nSec-WebSocket-Protocol: v1.chat\r\n"));
    // Nothing offered: nothing answered, whatever the server supports.
    let plain = accept(&chromium_request());
    assert_eq!(plain.accept(&config(&["v1.chat"])).protocol, None);
}

#[test]
fn extension_negotiation_moves_to_the_next_offer() {
    let cases: &[(&str, Option<&str>)] = &[
        (
            "permessage-deflate; client_max_window_bits",
            Some("permessage-deflate"),
        ),
        // Unknown parameter, duplicate, out of range: declined, next offer taken.
        (
            "permessage-deflate; foo, permessage-deflate; server_max_window_bits=10",
            Some("permessage-deflate; server_max_window_bits=10"),
        ),
        (
            "permessage-deflate; client_no_context_takeover; client_no_context_takeover, \
             permessage-deflate; client_no_context_takeover",
            Some("permessage-deflate; client_no_context_takeover"),
        ),
        ("permessage-deflate; server_max_window_bits=16", None),
        (
            "permessage-deflate; server_max_window_bits=7, x-webkit-deflate-frame",
            None,
        ),
        ("x-unknown, permessage-deflate", Some("permessage-deflate")),
        (
            "permessage-deflate, permessage-deflate; server_no_context_takeover",
            Some("permessage-deflate"),
        ),
        (
            "PerMessage-Deflate; Server_No_Context_Takeover",
            Some("permessage-deflate; server_no_context_takeover"),
        ),
    ];
    for (offer, want) in cases {
        let text = edit(
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
            &format!("Sec-WebSocket-Extensions: {offer}"),
        );
        let req = accept(&text);
        let accepted = req.accept(&ServerConfig::default());
        let got = accepted.deflate.map(|d| d.to_extension().to_string());
        assert_eq!(got.as_deref(), *want, "{offer}");
        let response = String::from_utf8(accepted.response()).unwrap();
        assert!(response.matches("Sec-WebSocket-Extensions").count() <= 1);
    }
    // Extension offers may be split over several fields.
    let req = accept(&add(
        "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=9",
    ));
    assert_eq!(req.extensions().len(), 2);
}

#[test]
fn deflate_policy_is_configurable() {
    let req = accept(&chromium_request());
    let off = ServerConfig {
        deflate: DeflateConfig::disabled(),
        ..ServerConfig::default()
    };
    let accepted = req.accept(&off);
    assert_eq!(accepted.deflate, None);
    assert!(!String::from_utf8(accepted.response())
        .unwrap()
        .contains("Extensions"));
    let frugal = ServerConfig {
        deflate: DeflateConfig {
            max_client_window_bits: 12,
            client_no_context_takeover: true,
            ..DeflateConfig::default()
        },
        ..ServerConfig::default()
    };
    assert_eq!(
        req.accept(&frugal).deflate,
        Some(DeflateParams {
            client_no_context_takeover: true,
            client_max_window_bits: Some(12),
            ..DeflateParams::default()
        })
    );
}

#[test]
fn request_accessors_and_other_stacks() {
    let req = accept(&add("Cookie: a=b"));
    assert_eq!(req.host(), "example.com:8080");
    assert_eq!(req.target(), "/chat?room=1");
    assert_eq!(req.headers().get_str("cookie"), Some("a=b"));
    // Validation without our head reader, for requests parsed by another stack.
    let mut headers = ws_handshake::Headers::new();
    for (n, v) in [
        ("Host", "h"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ] {
        headers.push(n, v);
    }
    let req = UpgradeRequest::from_parts("GET", "/", 1, headers.clone()).unwrap();
    assert_eq!((req.path(), req.query(), req.origin()), ("/", None, None));
    assert_eq!(
        UpgradeRequest::from_parts("GET", "/", 0, headers),
        Err(ServerError::HttpVersion(0))
    );
}

#[test]
fn origin_policy() {
    let req = accept(&chromium_request());
    let allowed = ["https://example.com"];
    assert_eq!(
        req.check_origin(|o| o.is_some_and(|o| allowed.contains(&o))),
        Ok(())
    );
    let err = req
        .check_origin(|o| o == Some("https://other.example"))
        .unwrap_err();
    assert_eq!(err, ServerError::OriginRejected);
    assert!(err.response().starts_with(b"HTTP/1.1 403 Forbidden\r\n"));
    let no_origin = accept(&edit("Origin: https://example.com\r\n", ""));
    assert_eq!(no_origin.origin(), None);
    assert!(no_origin.check_origin(|o| o.is_some()).is_err());
}

#[test]
fn a_64k_head_fed_byte_by_byte_stops_at_the_limit() {
    // Deterministic, not timed: the reader must fail on exactly the byte that makes
    // the head exceed the limit, having buffered no more than the limit.
    let mut big = chromium_request().into_bytes();
    big.truncate(big.len() - 2);
    while big.len() < 64 * 1024 {
        big.extend_from_slice(b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    big.extend_from_slice(b"\r\n");
    let mut h = ws_handshake::ServerHandshake::new(Limits::default());
    let mut failed_at = None;
    for (i, b) in big.iter().enumerate() {
        match h.handle_input(std::slice::from_ref(b)) {
            Ok(None) => {}
            Err(e) => {
                assert_eq!(e, ServerError::HeadTooLarge(8192));
                failed_at = Some(i);
                break;
            }
            Ok(Some(_)) => panic!("accepted over the limit"),
        }
    }
    assert_eq!(failed_at, Some(8191));
    // Within a large enough limit the same head is accepted, fed byte by byte.
    let roomy = Limits {
        max_header_bytes: 128 * 1024,
        max_headers: 4096,
    };
    let req = server_feed(&big, roomy).unwrap().unwrap();
    assert!(req.headers().len() > 1000);
}

/// An upgrade is a GET without a body. A request that announces one (any
/// `Transfer-Encoding`, a `Content-Length` other than 0, differing or malformed
/// `Content-Length` values) is refused with 400 and a body naming the reason: a proxy
/// that reads the body differently would otherwise see a smuggled request.
#[test]
fn upgrade_requests_with_a_body_are_refused() {
    let refused: Vec<(&str, String, ServerError)> = vec![
        (
            "chunked",
            add("Transfer-Encoding: chunked"),
            ServerError::TransferEncoding,
        ),
        (
            "identity",
            add("transfer-encoding: identity"),
            ServerError::TransferEncoding,
        ),
        (
            "empty TE",
            add("Transfer-Encoding: "),
            ServerError::TransferEncoding,
        ),
        (
            "TE and CL 0",
            add("Content-Length: 0\r\nTransfer-Encoding: chunked"),
            ServerError::TransferEncoding,
        ),
        ("CL 5", add("Content-Length: 5"), ServerError::ContentLength),
        (
            "CL 5 twice",
            add("Content-Length: 5\r\nContent-Length: 5"),
            ServerError::ContentLength,
        ),
        (
            "CL 0 then 5",
            add("Content-Length: 0\r\nContent-Length: 5"),
            ServerError::InvalidContentLength,
        ),
        (
            "CL list 0, 5",
            add("Content-Length: 0, 5"),
            ServerError::InvalidContentLength,
        ),
        (
            "CL not a number",
            add("Content-Length: zero"),
            ServerError::InvalidContentLength,
        ),
        (
            "CL signed",
            add("Content-Length: +0"),
            ServerError::InvalidContentLength,
        ),
        (
            "CL empty",
            add("Content-Length: "),
            ServerError::InvalidContentLength,
        ),
        (
            "CL empty item",
            add("Content-Length: 0,"),
            ServerError::InvalidContentLength,
        ),
        (
            "CL overflow",
            add("Content-Length: 99999999999999999999999999"),
            ServerError::ContentLength,
        ),
    ];
    for (name, text, want) in refused {
        let err = match server_feed(text.as_bytes(), Limits::default()) {
            Err(e) => e,
            Ok(r) => panic!("{name}: accepted: {r:?}"),
        };
        assert_eq!(err, want, "{name}");
        assert_eq!(err.status(), StatusCode::BAD_REQUEST, "{name}");
        let field = match want {
            ServerError::TransferEncoding => "Transfer-Encoding",
            _ => "Content-Length",
        };
        assert!(err.to_string().contains(field), "{name}: {err}");
        let response = String::from_utf8(err.response()).unwrap();
        assert!(
            response.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{name}"
        );
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert_eq!(body, format!("{err}\n"), "{name}: the body says why");
        assert!(
            head.ends_with(&format!("\r\nContent-Length: {}", body.len())),
            "{name}: {head}"
        );
    }
    // Zero is no body; identical repeated values are one value (RFC 9110 section 8.6).
    for (name, text) in [
        ("CL 0", add("Content-Length: 0")),
        ("CL 00", add("Content-Length: 00")),
        ("CL 0 twice", add("Content-Length: 0\r\ncontent-length: 0")),
        ("CL list 0, 0", add("Content-Length: 0, 0")),
    ] {
        let req = accept(&text);
        assert_eq!(req.path(), "/chat", "{name}");
    }
    // The same rule for requests parsed by another HTTP stack.
    let mut headers = ws_handshake::Headers::new();
    for (n, v) in [
        ("Host", "h"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Transfer-Encoding", "chunked"),
    ] {
        headers.push(n, v);
    }
    assert_eq!(
        UpgradeRequest::from_parts("GET", "/", 1, headers),
        Err(ServerError::TransferEncoding)
    );
}
