//! Redirects (each status, relative Location, cycle, limit, off, credentials and
//! origins) and authentication (Basic, Digest MD5 / SHA-256 / -sess, realm, second
//! 401), against scripted loopback servers.

mod support;

use std::time::Duration;

use base64::Engine as _;
use md5::Md5;
use sha2::{Digest as _, Sha256};
use support::{config, header, scripted, Reply};
use ws_client::{connect, ClientConfig, ConnectError, Credentials};
use ws_handshake::auth::AuthError;

fn redirect(status: u16, location: &str) -> Reply {
    Reply::Raw(format!(
        "HTTP/1.1 {status} Moved\r\nLocation: {location}\r\ncontent-length: 0\r\n\r\n"
    ))
}

fn path(head: &str) -> &str {
    head.split(' ').nth(1).unwrap_or_default()
}

fn with_redirects(n: u32) -> ClientConfig {
    let cfg = config();
    let s = cfg.settings.clone().with_max_redirections(n);
    cfg.with_settings(s)
}

fn with_credentials(creds: Credentials) -> ClientConfig {
    let cfg = config();
    let s = cfg.settings.clone().with_credentials(Some(creds));
    cfg.with_settings(s)
}

#[tokio::test]
async fn every_redirect_status_is_followed_across_schemes() {
    let (target, target_log) = scripted(|_| Reply::Echo(vec![])).await;
    for status in [300, 301, 302, 303, 305, 307, 308] {
        let to = format!("http://{target}/landed/{status}");
        let (addr, _) = scripted(move |_| redirect(status, &to)).await;
        let ws = connect(&format!("ws://{addr}/start"), &config())
            .await
            .unwrap();
        drop(ws);
        let log = target_log.lock().unwrap();
        assert_eq!(path(log.last().unwrap()), format!("/landed/{status}"));
    }
}

#[tokio::test]
async fn relative_location_resolved() {
    let (addr, log) = scripted(|h| match path(h) {
        "/a/b/start" => redirect(302, "../next?x=1"),
        "/a/next?x=1" => redirect(307, "/final"),
        _ => Reply::Echo(vec![]),
    })
    .await;
    connect(&format!("ws://{addr}/a/b/start"), &config())
        .await
        .unwrap();
    let log = log.lock().unwrap();
    let paths: Vec<_> = log.iter().map(|h| path(h).to_owned()).collect();
    assert_eq!(paths, ["/a/b/start", "/a/next?x=1", "/final"]);
}

#[tokio::test]
async fn cycle_detected() {
    let (addr, _) = scripted(|h| match path(h) {
        "/a" => redirect(302, "/b"),
        _ => redirect(302, "/a"),
    })
    .await;
    let err = connect(&format!("ws://{addr}/a"), &config())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConnectError::RedirectLoop(ref to) if to.ends_with("/a")),
        "{err:?}"
    );
}

#[tokio::test]
async fn limit_reached_and_zero_disables() {
    let (addr, log) = scripted(|h| {
        let n: u32 = path(h)[1..].parse().unwrap();
        redirect(301, &format!("/{}", n + 1))
    })
    .await;
    let err = connect(&format!("ws://{addr}/0"), &with_redirects(3))
        .await
        .unwrap_err();
    assert!(matches!(err, ConnectError::TooManyRedirects(3)), "{err:?}");
    assert_eq!(log.lock().unwrap().len(), 4);

    let err = connect(&format!("ws://{addr}/0"), &with_redirects(0))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConnectError::RedirectsDisabled { status: 301, ref location } if location == "/1"),
        "{err:?}"
    );
    assert_eq!(log.lock().unwrap().len(), 5);
}

#[tokio::test]
async fn credentials_never_cross_origins() {
    let (other, other_log) = scripted(|_| Reply::Echo(vec![])).await;
    let (home, home_log) = scripted(move |h| match path(h) {
        "/start" => redirect(302, "/same"),
        "/same" => redirect(302, &format!("ws://{other}/there")),
        _ => unreachable!(),
    })
    .await;
    let cfg = with_credentials(Credentials::new("alice", "pw"))
        .with_header("Authorization", "Bearer secret-token")
        .with_header("Cookie", "session=abc");
    connect(&format!("ws://{home}/start"), &cfg).await.unwrap();
    // Same origin: the caller's credentials go along.
    for h in home_log.lock().unwrap().iter() {
        assert_eq!(header(h, "Authorization"), Some("Bearer secret-token"));
        assert_eq!(header(h, "Cookie"), Some("session=abc"));
    }
    let there = other_log.lock().unwrap()[0].clone();
    assert_eq!(path(&there), "/there");
    assert_eq!(header(&there, "Authorization"), None, "{there}");
    assert_eq!(header(&there, "Cookie"), None, "{there}");

    // A 401 from the other origin is not answered with the configured password.
    let (evil, evil_log) = scripted(|_| Reply::Raw(challenge_401("Basic realm=\"evil\""))).await;
    let (home, _) = scripted(move |_| redirect(302, &format!("ws://{evil}/x"))).await;
    let err = connect(&format!("ws://{home}/"), &cfg).await.unwrap_err();
    assert!(
        matches!(err, ConnectError::AuthenticationRequired),
        "{err:?}"
    );
    assert_eq!(evil_log.lock().unwrap().len(), 1);
}

fn challenge_401(www_authenticate: &str) -> String {
    format!(
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: {www_authenticate}\r\ncontent-length: 0\r\n\r\n"
    )
}

#[tokio::test]
async fn basic_answered_once() {
    let (addr, log) = scripted(|h| match header(h, "Authorization") {
        None => Reply::Raw(challenge_401("Basic realm=\"ws\"")),
        Some(v)
            if v == format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("alice:open sesame")
            ) =>
        {
            Reply::Echo(vec![])
        }
        Some(_) => Reply::Raw(challenge_401("Basic realm=\"ws\"")),
    })
    .await;
    let cfg = with_credentials(Credentials::new("alice", "open sesame"));
    connect(&format!("ws://{addr}/"), &cfg).await.unwrap();
    assert_eq!(log.lock().unwrap().len(), 2);

    // A wrong password: the second 401 is a typed error, no third request.
    let cfg = with_credentials(Credentials::new("alice", "wrong"));
    let err = connect(&format!("ws://{addr}/"), &cfg).await.unwrap_err();
    assert!(matches!(err, ConnectError::AuthenticationFailed), "{err:?}");
    assert_eq!(log.lock().unwrap().len(), 4);

    // No credentials configured.
    let err = connect(&format!("ws://{addr}/"), &config())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConnectError::AuthenticationRequired),
        "{err:?}"
    );
}

/// `k=v, k="v"` parameters of a Digest header.
fn digest_params(value: &str) -> Vec<(String, String)> {
    let body = value.strip_prefix("Digest ").expect("a Digest answer");
    let mut out = Vec::new();
    let mut rest = body.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=').unwrap();
        let (val, after) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"').unwrap();
            (&q[..end], &q[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        out.push((key.trim().to_owned(), val.to_owned()));
        rest = after.trim_start_matches([',', ' ']);
    }
    out
}

/// RFC 7616 section 3.4.1, computed independently of the client.
fn digest_ok(value: &str, algorithm: &str, method: &str, password: &str) -> bool {
    let params = digest_params(value);
    let p = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let h = |s: String| -> String {
        if algorithm.starts_with("SHA-256") {
            Sha256::digest(s.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        } else {
            Md5::digest(s.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        }
    };
    let mut ha1 = h(format!("{}:{}:{password}", p("username"), p("realm")));
    if algorithm.ends_with("-sess") {
        ha1 = h(format!("{ha1}:{}:{}", p("nonce"), p("cnonce")));
    }
    let ha2 = h(format!("{method}:{}", p("uri")));
    let expected = h(format!(
        "{ha1}:{}:{}:{}:auth:{ha2}",
        p("nonce"),
        p("nc"),
        p("cnonce")
    ));
    p("response") == expected && p("qop") == "auth" && p("cnonce").len() >= 16
}

#[tokio::test]
async fn digest_md5_sha256_and_sess() {
    for algorithm in ["MD5", "SHA-256", "MD5-sess", "SHA-256-sess"] {
        let (addr, log) = scripted(move |h| {
            let challenge = format!(
                "Digest realm=\"ws@test\", qop=\"auth\", nonce=\"n-{algorithm}\", algorithm={algorithm}"
            );
            match header(h, "Authorization") {
                Some(v) if digest_ok(v, algorithm, "GET", "pw") => {
                    assert!(v.contains("uri=\"/chat?x=1\""), "{v}");
                    Reply::Echo(vec![])
                }
                _ => Reply::Raw(challenge_401(&challenge)),
            }
        })
        .await;
        let cfg = with_credentials(Credentials::new("bob", "pw"));
        connect(&format!("ws://{addr}/chat?x=1"), &cfg)
            .await
            .unwrap_or_else(|e| panic!("{algorithm}: {e}"));
        let log = log.lock().unwrap();
        assert_eq!(log.len(), 2);
        // A fresh cnonce per answer.
        let c1 = digest_params(header(&log[1], "Authorization").unwrap());
        assert!(c1.iter().any(|(k, v)| k == "cnonce" && v.len() == 32));
    }
}

#[tokio::test]
async fn realm_honoured() {
    let (addr, log) = scripted(|h| match header(h, "Authorization") {
        None => Reply::Raw(challenge_401("Basic realm=\"staff\"")),
        Some(_) => Reply::Echo(vec![]),
    })
    .await;
    let cfg = with_credentials(Credentials::new("a", "b").with_realm("admins"));
    let err = connect(&format!("ws://{addr}/"), &cfg).await.unwrap_err();
    assert!(
        matches!(err, ConnectError::Auth(AuthError::RealmMismatch { ref got }) if got == "staff"),
        "{err:?}"
    );
    assert_eq!(log.lock().unwrap().len(), 1);
    let cfg = with_credentials(Credentials::new("a", "b").with_realm("staff"));
    connect(&format!("ws://{addr}/"), &cfg).await.unwrap();
}

#[tokio::test]
async fn redirect_then_auth_on_same_origin() {
    let (addr, _) = scripted(|h| match (path(h), header(h, "Authorization")) {
        ("/old", _) => redirect(308, "/new"),
        (_, None) => Reply::Raw(challenge_401("Basic realm=\"r\"")),
        (_, Some(_)) => Reply::Echo(vec![]),
    })
    .await;
    let mut cfg = with_credentials(Credentials::new("u", "p"));
    cfg.settings.io_timeout = Duration::from_secs(5);
    connect(&format!("ws://{addr}/old"), &cfg).await.unwrap();
}
