//! Client-side request building and response classification, each response fed whole
//! and byte by byte.

mod common;

use common::client_feed;
use ws_handshake::{
    accept_key, ClientError, ClientMaxWindowBits, ClientRequest, DeflateOffer, DeflateParamError,
    Extension, Limits, Outcome, ServerHandshake, StatusCode,
};

const NONCE: [u8; 16] = *b"the sample nonce";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fn request() -> ClientRequest {
    ClientRequest::new("ws://example.com/chat", NONCE)
        .unwrap()
        .protocol("v1.chat")
        .unwrap()
        .protocol("v2.chat")
        .unwrap()
        .deflate(DeflateOffer {
            server_max_window_bits: Some(12),
            ..DeflateOffer::default()
        })
        .deflate(DeflateOffer {
            client_max_window_bits: Some(ClientMaxWindowBits::Supported),
            ..DeflateOffer::default()
        })
        .extension(Extension::new("x-test"))
        .unwrap()
}

fn response(extra: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {ACCEPT}\r\n{extra}\r\n"
    )
}

fn classify(text: &str) -> Result<Option<(Outcome, Vec<u8>)>, ClientError> {
    let req = request();
    client_feed(text.as_bytes(), || req.handshake(Limits::default()))
}

fn outcome(text: &str) -> Outcome {
    classify(text).unwrap().expect("complete").0
}

#[test]
fn request_bytes() {
    let req = ClientRequest::new("wss://example.com:443/a/b?c=d", NONCE)
        .unwrap()
        .protocol("chat")
        .unwrap()
        .deflate(DeflateOffer {
            client_max_window_bits: Some(ClientMaxWindowBits::Supported),
            ..DeflateOffer::default()
        })
        .header("Origin", "https://example.com")
        .unwrap()
        .header("Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        .unwrap()
        .header("Cookie", "a=b; c=d")
        .unwrap();
    assert_eq!(
        String::from_utf8(req.to_bytes()).unwrap(),
        "GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
         Origin: https://example.com\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\
         Cookie: a=b; c=d\r\n\r\n"
    );
    assert!(req.uri().secure);
    assert_eq!(req.handshake(Limits::default()).expected_accept(), ACCEPT);
    // Non-default port is kept in Host.
    let req = ClientRequest::new("ws://example.com:8080", NONCE).unwrap();
    assert!(String::from_utf8(req.to_bytes())
        .unwrap()
        .starts_with("GET / HTTP/1.1\r\nHost: example.com:8080\r\n"));
}

#[test]
fn request_builder_refuses_bad_input() {
    let base = || ClientRequest::new("ws://h/", NONCE).unwrap();
    assert!(matches!(
        ClientRequest::new("http://h/", NONCE),
        Err(ClientError::InvalidUri(_))
    ));
    assert!(matches!(
        base().protocol("a b"),
        Err(ClientError::InvalidProtocol(_))
    ));
    assert!(matches!(
        base().extension(Extension::new("a,b")),
        Err(ClientError::InvalidExtension(_))
    ));
    assert!(matches!(
        base().header("Host", "x"),
        Err(ClientError::ReservedHeader(_))
    ));
    assert!(matches!(
        base().header("sec-websocket-key", "x"),
        Err(ClientError::ReservedHeader(_))
    ));
    assert!(matches!(
        base().header("Cookie", "a\r\nEvil: 1"),
        Err(ClientError::InvalidHeader(_))
    ));
    assert!(matches!(
        base().header("Bad Name", "x"),
        Err(ClientError::InvalidHeader(_))
    ));
}

#[test]
fn the_request_passes_our_server() {
    let req = request().header("Origin", "https://o.example").unwrap();
    let got = ServerHandshake::new(Limits::default())
        .handle_input(&req.to_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(got.protocols(), ["v1.chat", "v2.chat"]);
    assert_eq!(got.extensions().len(), 3);
    assert_eq!(got.key(), Some(req.key()));
    assert_eq!(accept_key(req.key().as_bytes()), ACCEPT);
}

#[test]
fn accepted_responses() {
    let cases: &[(&str, Option<&str>, Option<u8>)] = &[
        ("", None, None),
        ("Sec-WebSocket-Protocol: v2.chat\r\n", Some("v2.chat"), None),
        (
            "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n",
            None,
            Some(10),
        ),
        // Answers the second offer (client_max_window_bits was offered there).
        (
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=9\r\n",
            None,
            Some(15),
        ),
        (
            "Sec-WebSocket-Extensions: x-test, permessage-deflate\r\n",
            None,
            Some(15),
        ),
        ("connection: keep-alive, upgrade\r\n", None, None),
    ];
    for (extra, protocol, server_bits) in cases {
        let text = response(extra);
        let Outcome::Accepted(est) = outcome(&text) else {
            panic!("not accepted: {text}");
        };
        assert_eq!(est.protocol.as_deref(), *protocol, "{extra}");
        assert_eq!(
            est.deflate.map(|d| d.server_window_bits()),
            *server_bits,
            "{extra}"
        );
    }
    // Lowercase header names and values.
    let text = format!(
        "HTTP/1.1 101 OK\r\nupgrade: WebSocket\r\nconnection: upgrade\r\nsec-websocket-accept: {ACCEPT}\r\n\r\n"
    );
    assert!(matches!(outcome(&text), Outcome::Accepted(_)));
}

#[test]
fn early_frames_are_handed_back() {
    let mut text = response("").into_bytes();
    text.extend_from_slice(&[0x81, 0x02, b'h', b'i']);
    let req = request();
    let (out, leftover) = client_feed(&text, || req.handshake(Limits::default()))
        .unwrap()
        .unwrap();
    assert!(matches!(out, Outcome::Accepted(_)));
    assert_eq!(leftover, [0x81, 0x02, b'h', b'i']);
}

#[test]
fn invalid_101s_fail_the_connection() {
    use ClientError::*;
    let ok = response("");
    let cases: Vec<(&str, String, ClientError)> = vec![
        (
            "no Upgrade",
            ok.replace("Upgrade: websocket\r\n", ""),
            NotWebSocketUpgrade,
        ),
        (
            "Upgrade h2c",
            ok.replace("Upgrade: websocket", "Upgrade: h2c"),
            NotWebSocketUpgrade,
        ),
        (
            "no Connection",
            ok.replace("Connection: Upgrade\r\n", ""),
            MissingConnectionUpgrade,
        ),
        (
            "no Accept",
            ok.replace(&format!("Sec-WebSocket-Accept: {ACCEPT}\r\n"), ""),
            MissingAccept,
        ),
        (
            "wrong Accept",
            ok.replace(ACCEPT, "x3JJHMbDL1EzLkh9GBhXDw2uQJc="),
            AcceptMismatch,
        ),
        (
            "two Accepts",
            response(&format!("Sec-WebSocket-Accept: {ACCEPT}\r\n")),
            DuplicateHeader("Sec-WebSocket-Accept"),
        ),
        (
            "unoffered protocol",
            response("Sec-WebSocket-Protocol: v3.chat\r\n"),
            UnofferedProtocol("v3.chat".into()),
        ),
        (
            "protocol list",
            response("Sec-WebSocket-Protocol: v1.chat, v2.chat\r\n"),
            UnofferedProtocol("v1.chat, v2.chat".into()),
        ),
        (
            "two protocols",
            response("Sec-WebSocket-Protocol: v1.chat\r\nSec-WebSocket-Protocol: v1.chat\r\n"),
            DuplicateHeader("Sec-WebSocket-Protocol"),
        ),
        (
            "unoffered extension",
            response("Sec-WebSocket-Extensions: x-other\r\n"),
            UnofferedExtension("x-other".into()),
        ),
        (
            "deflate twice",
            response("Sec-WebSocket-Extensions: permessage-deflate, permessage-deflate\r\n"),
            DuplicateExtension("permessage-deflate".into()),
        ),
        (
            "deflate unknown parameter",
            response("Sec-WebSocket-Extensions: permessage-deflate; foo\r\n"),
            InvalidDeflate(DeflateParamError::Unknown("foo".into())),
        ),
        (
            "deflate window out of range",
            response("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=16\r\n"),
            InvalidDeflate(DeflateParamError::InvalidWindowBits(
                "server_max_window_bits".into(),
                "16".into(),
            )),
        ),
        (
            "deflate value-less client window",
            response("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"),
            InvalidDeflate(DeflateParamError::MissingValue(
                "client_max_window_bits".into(),
            )),
        ),
        (
            "bad extension syntax",
            response("Sec-WebSocket-Extensions: a;;\r\n"),
            InvalidExtensionHeader,
        ),
        (
            "HTTP/1.0 101",
            ok.replace("HTTP/1.1", "HTTP/1.0"),
            Malformed("101 in an HTTP/1.0 response".into()),
        ),
        (
            "bare LF",
            ok.replace("Connection: Upgrade\r\n", "Connection: Upgrade\n"),
            Malformed("bare LF line ending".into()),
        ),
    ];
    for (name, text, want) in cases {
        assert_eq!(classify(&text), Err(want), "{name}");
    }
    // An answer that fits no offer: the only offer asked for a server window <= 12 and
    // did not offer client_max_window_bits.
    let strict = ClientRequest::new("ws://example.com/chat", NONCE)
        .unwrap()
        .deflate(DeflateOffer {
            server_max_window_bits: Some(12),
            ..DeflateOffer::default()
        });
    for answer in [
        "permessage-deflate; server_max_window_bits=13",
        "permessage-deflate",
        "permessage-deflate; server_max_window_bits=12; client_max_window_bits=9",
    ] {
        let text = response(&format!("Sec-WebSocket-Extensions: {answer}\r\n"));
        let got = client_feed(text.as_bytes(), || strict.handshake(Limits::default()));
        assert_eq!(got, Err(DeflateMismatch), "{answer}");
    }
    let text =
        response("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=12\r\n");
    assert!(client_feed(text.as_bytes(), || strict.handshake(Limits::default())).is_ok());
    // Extensions the client offered none of: any answer is refused.
    let bare = ClientRequest::new("ws://example.com/chat", NONCE).unwrap();
    let got = client_feed(
        response("Sec-WebSocket-Extensions: permessage-deflate\r\n").as_bytes(),
        || bare.handshake(Limits::default()),
    );
    assert_eq!(got, Err(UnofferedExtension("permessage-deflate".into())));
    let got = client_feed(
        response("Sec-WebSocket-Protocol: chat\r\n").as_bytes(),
        || bare.handshake(Limits::default()),
    );
    assert_eq!(got, Err(UnofferedProtocol("chat".into())));
}

#[test]
fn redirects() {
    for status in [300, 301, 302, 303, 305, 307, 308] {
        let text =
            format!("HTTP/1.1 {status} Moved\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n");
        let Outcome::Redirect(r) = outcome(&text) else {
            panic!("{status} is not a redirect");
        };
        assert_eq!(
            (r.status, r.location.as_str()),
            (StatusCode(status), "/elsewhere")
        );
    }
    // 304 is not a redirect, and a redirect without Location cannot be followed.
    for text in [
        "HTTP/1.1 304 Not Modified\r\nLocation: /x\r\n\r\n",
        "HTTP/1.1 302 Found\r\n\r\n",
    ] {
        assert!(matches!(outcome(text), Outcome::Rejected(_)), "{text}");
    }
}

#[test]
fn auth_challenges() {
    let text = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"r\", charset=\"UTF-8\"\r\n\
                WWW-Authenticate: Digest realm=\"r\", qop=\"auth\", nonce=\"n\", algorithm=SHA-256\r\n\r\n";
    let Outcome::Challenge(c) = outcome(text) else {
        panic!("not a challenge");
    };
    assert_eq!(c.status, StatusCode::UNAUTHORIZED);
    assert!(!c.is_proxy());
    assert_eq!(c.answer_header(), "Authorization");
    assert_eq!(c.challenges.len(), 2);
    assert_eq!(c.challenges[0].param("charset"), Some("UTF-8"));
    assert_eq!(c.challenges[1].param("algorithm"), Some("SHA-256"));

    let text = "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\n\r\n";
    let Outcome::Challenge(c) = outcome(text) else {
        panic!("not a challenge");
    };
    assert!(c.is_proxy());
    assert_eq!(c.answer_header(), "Proxy-Authorization");
    assert_eq!(c.challenges[0].realm(), Some("proxy"));

    // The wrong field for the status, or none: rejected.
    let text = "HTTP/1.1 401 Unauthorized\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n";
    assert!(matches!(outcome(text), Outcome::Rejected(_)));
    let text = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"open\r\n\r\n";
    assert_eq!(classify(text), Err(ClientError::InvalidChallenge));
}

#[test]
fn other_statuses_are_rejected_with_headers() {
    for (text, status) in [
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", 200),
        ("HTTP/1.1 403 Forbidden\r\nX-Reason: origin\r\n\r\n", 403),
        (
            "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n",
            426,
        ),
        (
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\r\n",
            503,
        ),
    ] {
        let Outcome::Rejected(r) = outcome(text) else {
            panic!("{text}");
        };
        assert_eq!(r.status, StatusCode(status));
        assert_eq!(r.headers.len(), 1);
    }
    let (out, body) = classify("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
        .unwrap()
        .unwrap();
    assert!(matches!(out, Outcome::Rejected(r) if r.reason == "OK"));
    assert_eq!(body, b"hi");
}

#[test]
fn response_limit() {
    let text = response("");
    let req = request();
    let limits = |bytes| Limits {
        max_header_bytes: bytes,
        ..Limits::default()
    };
    assert_eq!(
        client_feed(text.as_bytes(), || req.handshake(limits(text.len() - 1))),
        Err(ClientError::HeadTooLarge(text.len() - 1))
    );
    assert!(client_feed(text.as_bytes(), || req.handshake(limits(text.len()))).is_ok());
    let many = response(&"X: y\r\n".repeat(200));
    assert_eq!(
        client_feed(many.as_bytes(), || req.handshake(Limits::default())),
        Err(ClientError::TooManyHeaders(100))
    );
    let mut h = req.handshake(Limits::default());
    assert_eq!(
        h.handle_input(text.as_bytes()).map(|o| o.is_some()),
        Ok(true)
    );
    assert!(matches!(
        h.handle_input(b"x"),
        Err(ClientError::Malformed(_))
    ));
}

#[test]
fn proxy_connect() {
    use ws_handshake::{ProxyConnect, ProxyOutcome};
    let uri = request().uri().clone();
    let connect = ProxyConnect::new(&uri)
        .header("Proxy-Authorization", "Basic dTpw")
        .unwrap();
    assert_eq!(connect.authority(), "example.com:80");
    assert_eq!(
        String::from_utf8(connect.to_bytes()).unwrap(),
        "CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\
         Proxy-Authorization: Basic dTpw\r\n\r\n"
    );
    assert!(matches!(
        ProxyConnect::new(&uri).header("host", "x"),
        Err(ClientError::ReservedHeader(_))
    ));
    let feed = |text: &str| {
        let whole = connect
            .handshake(Limits::default())
            .handle_input(text.as_bytes());
        let mut h = connect.handshake(Limits::default());
        let mut stepped = Ok(None);
        for (i, b) in text.as_bytes().iter().enumerate() {
            stepped = h.handle_input(std::slice::from_ref(b));
            if !matches!(stepped, Ok(None)) {
                if let Ok(Some((_, rest))) = &mut stepped {
                    rest.extend_from_slice(&text.as_bytes()[i + 1..]);
                }
                break;
            }
        }
        assert_eq!(whole, stepped, "{text}");
        whole
    };
    let (out, rest) = feed("HTTP/1.1 200 Connection established\r\n\r\n\x16\x03")
        .unwrap()
        .unwrap();
    assert!(matches!(out, ProxyOutcome::Tunnel(_)));
    assert_eq!(rest, b"\x16\x03");
    let (out, _) = feed("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Digest realm=\"p\", nonce=\"n\", qop=auth\r\n\r\n")
        .unwrap()
        .unwrap();
    let ProxyOutcome::Challenge(c) = out else {
        panic!("not a challenge");
    };
    assert_eq!(
        (c.answer_header(), c.challenges[0].realm()),
        ("Proxy-Authorization", Some("p"))
    );
    let (out, _) = feed("HTTP/1.1 502 Bad Gateway\r\n\r\n").unwrap().unwrap();
    assert!(matches!(out, ProxyOutcome::Rejected(r) if r.status == StatusCode(502)));
    assert!(matches!(
        feed("HTTP/1.1 200 OK\n\r\n"),
        Err(ClientError::Malformed(_))
    ));
}
