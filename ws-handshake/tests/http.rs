//! The typed path: requests as `http` parts, HTTP/1.1 upgrades and HTTP/2 extended
//! CONNECTs (RFC 8441), under the same rules and limits as the byte path.

use ws_handshake::{
    ClientError, ClientRequest, DeflateOffer, Limits, OriginPolicy, Outcome, ServerConfig,
    ServerError, ServerHandshake, UpgradeRequest,
};

/// An HTTP/2 extended CONNECT to `https://example.com/chat?room=1` with `fields`.
fn connect(fields: &[(&str, &str)]) -> http::request::Parts {
    let mut builder = http::Request::builder()
        .method("CONNECT")
        .version(http::Version::HTTP_2)
        .uri("https://example.com/chat?room=1");
    for (name, value) in fields {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap().into_parts().0
}

fn h2(fields: &[(&str, &str)]) -> Result<UpgradeRequest, ServerError> {
    UpgradeRequest::from_http(&connect(fields), Some("websocket"), Limits::default())
}

const VERSION: (&str, &str) = ("sec-websocket-version", "13");

#[test]
fn extended_connect_is_accepted_with_200_and_no_key() {
    let request = h2(&[
        VERSION,
        ("sec-websocket-protocol", "a, chat"),
        (
            "sec-websocket-extensions",
            "permessage-deflate; client_max_window_bits",
        ),
        ("origin", "https://example.com"),
    ])
    .unwrap();
    assert!(request.is_extended_connect());
    assert_eq!(request.version(), http::Version::HTTP_2);
    assert_eq!(request.key(), None);
    assert_eq!(
        (request.path(), request.query(), request.host()),
        ("/chat", Some("room=1"), "example.com")
    );
    assert_eq!(request.protocols(), ["a", "chat"]);
    request
        .check_origin_policy(&OriginPolicy::same_origin())
        .unwrap();
    let config = ServerConfig {
        protocols: vec!["chat".into()],
        ..ServerConfig::default()
    };
    let accepted = request.accept(&config);
    assert_eq!(accepted.accept, None);
    let response = accepted.http_response();
    assert_eq!(response.status(), http::StatusCode::OK);
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
    assert!(response.headers()["sec-websocket-extensions"]
        .to_str()
        .unwrap()
        .starts_with("permessage-deflate"));
    for connection_specific in ["upgrade", "connection", "sec-websocket-accept"] {
        assert!(response.headers().get(connection_specific).is_none());
    }
}

#[test]
fn unknown_protocol_is_refused() {
    let parts = connect(&[VERSION]);
    let e = UpgradeRequest::from_http(&parts, Some("webtransport"), Limits::default()).unwrap_err();
    assert_eq!(e, ServerError::UnknownProtocol("webtransport".into()));
    assert_eq!(e.status().0, 400);
    // The token compares without regard to case.
    assert!(UpgradeRequest::from_http(&parts, Some("WebSocket"), Limits::default()).is_ok());
}

#[test]
fn plain_connect_is_not_a_websocket() {
    // A tunnel request: CONNECT with an authority only, no :protocol.
    let parts = http::Request::builder()
        .method("CONNECT")
        .version(http::Version::HTTP_2)
        .uri("example.com:443")
        .header("sec-websocket-version", "13")
        .body(())
        .unwrap()
        .into_parts()
        .0;
    let e = UpgradeRequest::from_http(&parts, None, Limits::default()).unwrap_err();
    assert_eq!(e, ServerError::MissingProtocol);
    // With :protocol but no :scheme / :path (authority-form): malformed.
    let e = UpgradeRequest::from_http(&parts, Some("websocket"), Limits::default()).unwrap_err();
    assert_eq!(e, ServerError::InvalidTarget);
}

#[test]
fn other_methods_over_http2_get_405_allowing_connect() {
    let mut parts = connect(&[VERSION]);
    parts.method = http::Method::GET;
    let e = UpgradeRequest::from_http(&parts, None, Limits::default()).unwrap_err();
    assert_eq!(e, ServerError::MethodNotAllowed("GET".into()));
    let response = e.http_response(http::Version::HTTP_2);
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "CONNECT");
    assert_eq!(
        response.body(),
        "method GET does not open a WebSocket (GET over HTTP/1.1, CONNECT over HTTP/2)\n"
    );
}

#[test]
fn version_rules_are_the_byte_paths() {
    assert_eq!(h2(&[]).unwrap_err(), ServerError::UnsupportedVersion);
    let e = h2(&[("sec-websocket-version", "8")]).unwrap_err();
    assert_eq!(e, ServerError::UnsupportedVersion);
    let response = e.http_response(http::Version::HTTP_2);
    assert_eq!(response.status(), 426);
    assert_eq!(response.headers()["sec-websocket-version"], "13");
    assert!(response.headers().get("upgrade").is_none());
    let response = e.http_response(http::Version::HTTP_11);
    assert_eq!(response.headers()["upgrade"], "websocket");
    assert_eq!(
        h2(&[VERSION, VERSION]).unwrap_err(),
        ServerError::DuplicateHeader("Sec-WebSocket-Version")
    );
}

#[test]
fn a_body_is_refused_on_both_paths() {
    assert_eq!(
        h2(&[VERSION, ("content-length", "5")]).unwrap_err(),
        ServerError::ContentLength
    );
    assert_eq!(
        h2(&[VERSION, ("transfer-encoding", "chunked")]).unwrap_err(),
        ServerError::TransferEncoding
    );
    assert_eq!(
        h2(&[VERSION, ("content-length", "1"), ("content-length", "2")]).unwrap_err(),
        ServerError::InvalidContentLength
    );
    assert!(h2(&[VERSION, ("content-length", "0")]).is_ok());
}

#[test]
fn offers_follow_the_shared_grammar() {
    assert_eq!(
        h2(&[VERSION, ("sec-websocket-protocol", "a b")]).unwrap_err(),
        ServerError::InvalidProtocolHeader
    );
    assert_eq!(
        h2(&[VERSION, ("sec-websocket-extensions", "x; =1")]).unwrap_err(),
        ServerError::InvalidExtensionHeader
    );
}

#[test]
fn authority_and_host_must_agree() {
    assert!(h2(&[VERSION, ("host", "EXAMPLE.com")]).is_ok());
    assert_eq!(
        h2(&[VERSION, ("host", "other.example")]).unwrap_err(),
        ServerError::AuthorityMismatch
    );
}

#[test]
fn origin_policy_applies_to_the_authority() {
    let request = h2(&[VERSION, ("origin", "https://evil.example")]).unwrap();
    assert_eq!(
        request.check_origin_policy(&OriginPolicy::same_origin()),
        Err(ServerError::OriginRejected)
    );
    let allow = OriginPolicy::allow_list(["https://evil.example"]);
    request.check_origin_policy(&allow).unwrap();
}

#[test]
fn limits_apply_to_fields() {
    let small = Limits {
        max_header_bytes: 8192,
        max_headers: 3,
    };
    let parts = connect(&[VERSION, ("a", "1"), ("b", "2"), ("c", "3")]);
    assert_eq!(
        UpgradeRequest::from_http(&parts, Some("websocket"), small).unwrap_err(),
        ServerError::TooManyHeaders(3)
    );
    let long = "x".repeat(9000);
    let parts = connect(&[VERSION, ("cookie", &long)]);
    assert_eq!(
        UpgradeRequest::from_http(&parts, Some("websocket"), Limits::default()).unwrap_err(),
        ServerError::HeadTooLarge(8192)
    );
}

/// An HTTP/1.1 upgrade given as `http` parts is judged exactly as its bytes are.
#[test]
fn http11_parts_and_bytes_agree() {
    let cases: &[&[(&str, &str)]] = &[
        &[
            ("host", "example.com"),
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            VERSION,
            ("sec-websocket-protocol", "chat"),
        ],
        &[
            ("host", "example.com"),
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            VERSION,
        ],
        &[
            ("host", "example.com"),
            ("upgrade", "websocket"),
            ("connection", "Upgrade"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            VERSION,
            ("content-length", "3"),
        ],
        &[
            ("host", "example.com"),
            ("connection", "Upgrade"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
            VERSION,
        ],
    ];
    for fields in cases {
        let mut bytes = b"GET /chat HTTP/1.1\r\n".to_vec();
        let mut builder = http::Request::builder().uri("/chat");
        for (name, value) in *fields {
            bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
            builder = builder.header(*name, *value);
        }
        bytes.extend_from_slice(b"\r\n");
        let parts = builder.body(()).unwrap().into_parts().0;
        let typed = UpgradeRequest::from_http(&parts, None, Limits::default());
        let raw = ServerHandshake::new(Limits::default())
            .handle_input(&bytes)
            .map(|r| r.expect("complete"));
        match (typed, raw) {
            (Ok(t), Ok(r)) => {
                assert_eq!(
                    (t.path(), t.key(), t.protocols()),
                    (r.path(), r.key(), r.protocols())
                );
                let response = t.accept(&ServerConfig::default()).http_response();
                assert_eq!(response.status(), 101);
                assert_eq!(
                    response.headers()["sec-websocket-accept"],
                    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
                );
            }
            (t, r) => assert_eq!(t.map(|_| ()), r.map(|_| ()), "{fields:?}"),
        }
    }
}

#[test]
fn client_and_server_meet_over_extended_connect() {
    let request = ClientRequest::new("wss://example.com/chat", [3; 16])
        .unwrap()
        .protocol("chat")
        .unwrap()
        .deflate(DeflateOffer::default())
        .header("Origin", "https://example.com")
        .unwrap();
    let (parts, ()) = request.to_http2().into_parts();
    assert!(parts.headers.get("host").is_none());
    let upgrade = UpgradeRequest::from_http(&parts, Some("websocket"), Limits::default()).unwrap();
    upgrade
        .check_origin_policy(&OriginPolicy::same_origin())
        .unwrap();
    let config = ServerConfig {
        protocols: vec!["chat".into()],
        ..ServerConfig::default()
    };
    let (answer, ()) = upgrade.accept(&config).http_response().into_parts();
    let client = request.handshake(Limits::default());
    let Outcome::Accepted(established) = client.classify_http(&answer).unwrap() else {
        panic!("not accepted");
    };
    assert_eq!(established.protocol.as_deref(), Some("chat"));
    assert!(established.deflate.is_some());
}

#[test]
fn client_checks_the_answer_to_an_extended_connect() {
    let request = ClientRequest::new("ws://example.com/", [3; 16]).unwrap();
    let client = request.handshake(Limits::default());
    let answer = |status: u16, fields: &[(&str, &str)]| {
        let mut builder = http::Response::builder().status(status);
        for (name, value) in fields {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    };
    assert_eq!(
        client.classify_http(&answer(200, &[("sec-websocket-protocol", "x")])),
        Err(ClientError::UnofferedProtocol("x".into()))
    );
    assert_eq!(
        client.classify_http(&answer(
            200,
            &[("sec-websocket-extensions", "permessage-deflate")]
        )),
        Err(ClientError::UnofferedExtension("permessage-deflate".into()))
    );
    assert!(matches!(
        client.classify_http(&answer(101, &[])),
        Err(ClientError::Malformed(_))
    ));
    assert!(matches!(
        client.classify_http(&answer(302, &[("location", "/elsewhere")])),
        Ok(Outcome::Redirect(r)) if r.location == "/elsewhere"
    ));
    assert!(matches!(
        client.classify_http(&answer(400, &[])),
        Ok(Outcome::Rejected(r)) if r.status.0 == 400
    ));
}
