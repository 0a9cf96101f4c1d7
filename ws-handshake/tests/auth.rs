//! Basic and Digest answers, with the RFC 7616 section 3.9.1 example as golden test.

use ws_handshake::auth::{
    answer_challenges, basic_authorization, digest_authorization, AuthError, Challenge,
    Credentials, DigestRequest,
};
use ws_handshake::{ClientRequest, Limits, Outcome};

const NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
const OPAQUE: &str = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
const CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

/// Parses challenges the way the client does, from a 401 response.
fn challenges(field_values: &[&str]) -> Vec<Challenge> {
    let mut text = String::from("HTTP/1.1 401 Unauthorized\r\n");
    for v in field_values {
        text.push_str(&format!("WWW-Authenticate: {v}\r\n"));
    }
    text.push_str("\r\n");
    let req = ClientRequest::new("ws://www.example.org/dir/index.html", [0; 16]).unwrap();
    match req
        .handshake(Limits::default())
        .handle_input(text.as_bytes())
    {
        Ok(Some((Outcome::Challenge(c), _))) => c.challenges,
        other => panic!("not a challenge: {other:?}"),
    }
}

fn rfc7616_challenges() -> Vec<Challenge> {
    challenges(&[
        &format!(
            "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=SHA-256, nonce=\"{NONCE}\", opaque=\"{OPAQUE}\""
        ),
        &format!(
            "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=MD5, nonce=\"{NONCE}\", opaque=\"{OPAQUE}\""
        ),
    ])
}

fn mufasa(realm: Option<&str>) -> Credentials {
    Credentials {
        username: "Mufasa".into(),
        password: "Circle of Life".into(),
        realm: realm.map(str::to_owned),
    }
}

const REQUEST: DigestRequest<'static> = DigestRequest {
    method: "GET",
    uri: "/dir/index.html",
    cnonce: CNONCE,
    nc: 1,
};

#[test]
fn rfc7616_section_3_9_1_md5_and_sha256() {
    let c = rfc7616_challenges();
    let sha = digest_authorization(&c[0], &mufasa(None), &REQUEST).unwrap();
    assert_eq!(
        sha,
        format!(
            "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", \
             algorithm=SHA-256, nonce=\"{NONCE}\", nc=00000001, cnonce=\"{CNONCE}\", qop=auth, \
             response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\", \
             opaque=\"{OPAQUE}\""
        )
    );
    let md5 = digest_authorization(&c[1], &mufasa(None), &REQUEST).unwrap();
    assert!(
        md5.contains("algorithm=MD5, ")
            && md5.contains("response=\"8ca523f5e9506fed4657c9700eebdbec\""),
        "{md5}"
    );
    // The strongest is chosen, whatever the order.
    assert_eq!(answer_challenges(&c, &mufasa(None), &REQUEST).unwrap(), sha);
    let reversed: Vec<_> = c.iter().rev().cloned().collect();
    assert_eq!(
        answer_challenges(&reversed, &mufasa(None), &REQUEST).unwrap(),
        sha
    );
}

#[test]
fn sess_variants_and_nonce_count() {
    // Expected responses computed independently (Python hashlib) from RFC 7616
    // section 3.4.2: for -sess, HA1 = H(H(user:realm:pass):nonce:cnonce).
    let req = DigestRequest {
        method: "GET",
        uri: "/",
        cnonce: "c",
        nc: 2,
    };
    let creds = Credentials {
        username: "u".into(),
        password: "p".into(),
        realm: None,
    };
    let cases = [
        ("MD5", "f1202435231f48ff4a8404e67cf5613f"),
        ("MD5-sess", "4eb41d597405539b77a2117ca9cb090c"),
        (
            "SHA-256",
            "b740f22f691e6fe56ef27b3f705b5c1e6c78a9daabacd6a7862d6c03891d5e66",
        ),
        (
            "SHA-256-sess",
            "b4ab3564b71337a63ad1a38c885bb91a868d7b63257812a8f1a520598602884a",
        ),
    ];
    for (algorithm, want) in cases {
        let c = challenges(&[&format!(
            "Digest realm=\"r\", nonce=\"n\", qop=\"auth\", algorithm={algorithm}"
        )]);
        let got = digest_authorization(&c[0], &creds, &req).unwrap();
        assert_eq!(response_of(&got), want, "{algorithm}");
        assert!(got.contains(&format!("algorithm={algorithm}, ")), "{got}");
        assert!(got.contains("nc=00000002"), "{got}");
    }
    // No algorithm parameter means MD5.
    let c = challenges(&["Digest realm=\"r\", nonce=\"n\", qop=auth"]);
    let got = digest_authorization(&c[0], &creds, &req).unwrap();
    assert_eq!(response_of(&got), cases[0].1);
}

fn response_of(value: &str) -> String {
    let start = value.find("response=\"").unwrap() + 10;
    value[start..start + value[start..].find('"').unwrap()].to_owned()
}

#[test]
fn realm_pinning() {
    let c = rfc7616_challenges();
    assert!(digest_authorization(&c[0], &mufasa(Some("http-auth@example.org")), &REQUEST).is_ok());
    assert_eq!(
        digest_authorization(&c[0], &mufasa(Some("other")), &REQUEST),
        Err(AuthError::RealmMismatch {
            got: "http-auth@example.org".into()
        })
    );
    // Only the challenge for the pinned realm is answered.
    let mixed = challenges(&[
        "Digest realm=\"evil\", nonce=\"n\", qop=\"auth\", algorithm=SHA-256",
        "Basic realm=\"good\"",
    ]);
    let got = answer_challenges(&mixed, &mufasa(Some("good")), &REQUEST).unwrap();
    assert!(got.starts_with("Basic "), "{got}");
    assert_eq!(
        answer_challenges(&mixed[..1], &mufasa(Some("good")), &REQUEST),
        Err(AuthError::RealmMismatch { got: "evil".into() })
    );
}

#[test]
fn digest_refusals() {
    let cases: &[(&str, AuthError)] = &[
        ("Digest realm=\"r\", nonce=\"n\"", AuthError::UnsupportedQop),
        (
            "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"",
            AuthError::UnsupportedQop,
        ),
        (
            "Digest nonce=\"n\", qop=auth",
            AuthError::MissingParam("realm"),
        ),
        (
            "Digest realm=\"r\", qop=auth",
            AuthError::MissingParam("nonce"),
        ),
        (
            "Digest realm=\"r\", nonce=\"n\", qop=auth, algorithm=SHA-512-256",
            AuthError::UnsupportedAlgorithm("SHA-512-256".into()),
        ),
    ];
    for (value, want) in cases {
        let c = challenges(&[value]);
        assert_eq!(
            digest_authorization(&c[0], &mufasa(None), &REQUEST).as_ref(),
            Err(want),
            "{value}"
        );
    }
    let c = challenges(&["Digest realm=\"r\", nonce=\"n\", qop=auth"]);
    let bad_cnonce = DigestRequest {
        cnonce: "a\"b",
        ..REQUEST
    };
    assert_eq!(
        digest_authorization(&c[0], &mufasa(None), &bad_cnonce),
        Err(AuthError::InvalidCnonce)
    );
    let empty = DigestRequest {
        cnonce: "",
        ..REQUEST
    };
    assert_eq!(
        digest_authorization(&c[0], &mufasa(None), &empty),
        Err(AuthError::InvalidCnonce)
    );
    assert_eq!(
        answer_challenges(
            &challenges(&["Bearer realm=\"x\""]),
            &mufasa(None),
            &REQUEST
        ),
        Err(AuthError::NoSupportedScheme)
    );
    // A Digest that cannot be answered falls back to Basic.
    let mixed = challenges(&["Digest realm=\"r\", nonce=\"n\"", "Basic realm=\"r\""]);
    assert!(answer_challenges(&mixed, &mufasa(None), &REQUEST)
        .unwrap()
        .starts_with("Basic "));
}

#[test]
fn digest_username_forms() {
    let c = challenges(&[
        "Digest realm=\"api@example.org\", nonce=\"n\", qop=auth, userhash=true, algorithm=SHA-256",
    ]);
    let creds = Credentials {
        username: "J\u{e4}s\u{f8}n Doe".into(),
        password: "Secret, or not?".into(),
        realm: None,
    };
    // RFC 7616 section 3.9.2: userhash = SHA-256("Jäsøn Doe:api@example.org").
    let got = digest_authorization(&c[0], &creds, &REQUEST).unwrap();
    assert!(
        got.starts_with(
            "Digest username=\"5a1a8a47df5c298551b9b42ba9b05835174a5bd7d511ff7fe9191d8e946fc4e7\""
        ),
        "{got}"
    );
    assert!(got.ends_with(", userhash=true"));
    let no_hash = challenges(&["Digest realm=\"api@example.org\", nonce=\"n\", qop=auth"]);
    let got = digest_authorization(&no_hash[0], &creds, &REQUEST).unwrap();
    assert!(
        got.starts_with("Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, "),
        "{got}"
    );
    let quoted = Credentials {
        username: "a\"b".into(),
        ..mufasa(None)
    };
    let got = digest_authorization(&no_hash[0], &quoted, &REQUEST).unwrap();
    assert!(got.starts_with("Digest username=\"a\\\"b\", "), "{got}");
}

#[test]
fn basic_with_and_without_charset() {
    let utf8 = challenges(&["Basic realm=\"foo\", charset=\"UTF-8\""]);
    let creds = Credentials {
        username: "test".into(),
        password: "123\u{a3}".into(),
        realm: Some("foo".into()),
    };
    assert_eq!(
        answer_challenges(&utf8, &creds, &REQUEST).unwrap(),
        "Basic dGVzdDoxMjPCow=="
    );
    let latin1 = challenges(&["Basic realm=\"foo\""]);
    assert_eq!(
        answer_challenges(&latin1, &creds, &REQUEST).unwrap(),
        "Basic dGVzdDoxMjOj"
    );
    // Not representable in ISO-8859-1: UTF-8 is used.
    assert_eq!(
        basic_authorization("a", "\u{20ac}", false).unwrap(),
        "Basic YTrigqw="
    );
    assert_eq!(
        basic_authorization("a\u{1}", "x", true),
        Err(AuthError::InvalidUsername)
    );
    assert!(!format!("{creds:?}").contains("123"));
}
