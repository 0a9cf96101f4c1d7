//! HTTP CONNECT proxies: plain tunnel, 407 with Basic and Digest, missing and
//! refused credentials, wss inside the tunnel, the environment convention, and both
//! spellings of the proxy credential keys.

mod support;

use std::net::SocketAddr;

use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use md5::{Digest as _, Md5};
use support::{
    config, echo_server, header, listener, read_head, temp_file, tls_echo_server, Log, TestPki,
};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use ws_client::{connect, ClientConfig, ConnectError, Credentials, Message, Proxy};
use ws_config::{keys, Properties, Sources, PREFIX};

#[derive(Clone, Copy)]
enum ProxyAuth {
    None,
    Basic,
    Digest,
}

/// A CONNECT proxy; with auth it wants user `p` / password `pw`.
async fn proxy(auth: ProxyAuth) -> (SocketAddr, Log) {
    let (l, addr) = listener().await;
    let log: Log = Default::default();
    let log2 = log.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let log = log2.clone();
            tokio::spawn(async move {
                let head = String::from_utf8(read_head(&mut s).await).unwrap();
                log.lock().unwrap().push(head.clone());
                let target = head.split(' ').nth(1).unwrap().to_owned();
                let given = header(&head, "Proxy-Authorization");
                let ok = match auth {
                    ProxyAuth::None => true,
                    ProxyAuth::Basic => {
                        given
                            == Some(&format!(
                                "Basic {}",
                                base64::engine::general_purpose::STANDARD.encode("p:pw")
                            ))
                    }
                    ProxyAuth::Digest => given.is_some_and(|v| digest_ok(v, &target)),
                };
                if !ok {
                    let challenge = match auth {
                        ProxyAuth::Digest => "Digest realm=\"proxy\", qop=\"auth\", nonce=\"pn\"",
                        _ => "Basic realm=\"proxy\"",
                    };
                    let _ = s
                        .write_all(
                            format!(
                                "HTTP/1.1 407 Proxy Authentication Required\r\n\
                                 Proxy-Authenticate: {challenge}\r\ncontent-length: 0\r\n\r\n"
                            )
                            .as_bytes(),
                        )
                        .await;
                    return;
                }
                let Ok(mut upstream) = TcpStream::connect(&target).await else {
                    let _ = s.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                    return;
                };
                s.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut s, &mut upstream).await;
            });
        }
    });
    (addr, log)
}

/// Digest MD5 over method CONNECT and URI host:port, computed independently.
fn digest_ok(value: &str, target: &str) -> bool {
    let p = |k: &str| {
        let start = value.find(&format!("{k}="))? + k.len() + 1;
        let rest = &value[start..];
        Some(match rest.strip_prefix('"') {
            Some(q) => q[..q.find('"')?].to_owned(),
            None => rest[..rest.find(',').unwrap_or(rest.len())].to_owned(),
        })
    };
    let hex = |s: String| -> String {
        Md5::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let (Some(uri), Some(nc), Some(cnonce), Some(response)) =
        (p("uri"), p("nc"), p("cnonce"), p("response"))
    else {
        return false;
    };
    let ha1 = hex("p:proxy:pw".to_owned());
    let ha2 = hex(format!("CONNECT:{uri}"));
    uri == target && response == hex(format!("{ha1}:pn:{nc}:{cnonce}:auth:{ha2}"))
}

fn via(proxy: SocketAddr, creds: Option<Credentials>) -> ClientConfig {
    let cfg = config().with_proxy(Proxy::http(format!("http://{proxy}")));
    let s = cfg.settings.clone().with_proxy_credentials(creds);
    cfg.with_settings(s)
}

async fn echo_once(uri: &str, cfg: &ClientConfig) {
    let mut ws = connect(uri, cfg).await.unwrap();
    ws.send(Message::Text("through".into())).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::Text("through".into())
    );
    ws.close().await.unwrap();
}

#[tokio::test]
async fn tunnel_without_auth() {
    let target = echo_server().await;
    let (p, log) = proxy(ProxyAuth::None).await;
    echo_once(&format!("ws://{target}/"), &via(p, None)).await;
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 1);
    assert!(
        log[0].starts_with(&format!("CONNECT {target} HTTP/1.1\r\n")),
        "{}",
        log[0]
    );
    assert_eq!(header(&log[0], "Host"), Some(target.to_string().as_str()));
}

/// A proxy that challenges with `auth` is answered once (two CONNECTs in its log) and
/// the echo goes through the tunnel.
async fn check_407_answered(auth: ProxyAuth) {
    let target = echo_server().await;
    let (p, log) = proxy(auth).await;
    echo_once(
        &format!("ws://{target}/"),
        &via(p, Some(Credentials::new("p", "pw"))),
    )
    .await;
    assert_eq!(log.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn basic_407_answered() {
    check_407_answered(ProxyAuth::Basic).await;
}

#[tokio::test]
async fn digest_407_answered_for_connect() {
    check_407_answered(ProxyAuth::Digest).await;
}

#[tokio::test]
async fn missing_and_refused_proxy_credentials() {
    let target = echo_server().await;
    let (p, log) = proxy(ProxyAuth::Basic).await;
    let err = connect(&format!("ws://{target}/"), &via(p, None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConnectError::ProxyAuthenticationRequired),
        "{err:?}"
    );
    let err = connect(
        &format!("ws://{target}/"),
        &via(p, Some(Credentials::new("p", "no"))),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ConnectError::ProxyAuthenticationFailed),
        "{err:?}"
    );
    assert_eq!(log.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn wss_inside_the_tunnel() {
    let pki = TestPki::new(&["localhost"]);
    let target = tls_echo_server(pki.server.clone()).await;
    let (p, log) = proxy(ProxyAuth::None).await;
    let pem = temp_file("proxy-ca.pem", pki.ca_pem.as_bytes());
    let cfg = via(p, None);
    let s = cfg.settings.clone().with_truststore(Some(pem));
    echo_once(
        &format!("wss://localhost:{}/", target.port()),
        &cfg.with_settings(s),
    )
    .await;
    assert!(log.lock().unwrap()[0].starts_with(&format!("CONNECT localhost:{} ", target.port())));
}

#[tokio::test]
async fn environment_proxy_and_no_proxy() {
    let target = echo_server().await;
    let (p, log) = proxy(ProxyAuth::None).await;
    let cfg = config().with_proxy(Proxy::from_env([("http_proxy", format!("http://{p}"))]));
    echo_once(&format!("ws://{target}/"), &cfg).await;
    assert_eq!(log.lock().unwrap().len(), 1);
    let cfg = config().with_proxy(Proxy::from_env([
        ("HTTP_PROXY", format!("http://{p}")),
        ("NO_PROXY", "localhost,127.0.0.1".to_owned()),
    ]));
    echo_once(&format!("ws://{target}/"), &cfg).await;
    assert_eq!(log.lock().unwrap().len(), 1, "NO_PROXY bypasses the proxy");
}

#[tokio::test]
async fn both_spellings_of_the_proxy_credential_keys() {
    let target = echo_server().await;
    let (p, _) = proxy(ProxyAuth::Basic).await;
    for spelling in ["WS_AUTHENTICATION_PROXY_", "WS_PROXY_AUTHENTICATION_"] {
        let text = format!("{PREFIX}{spelling}USER_NAME = p\n{PREFIX}{spelling}PASSWORD = pw\n");
        let resolved = Sources::new()
            .properties(Properties::parse(&text, "test.properties").unwrap())
            .set(keys::IO_TIMEOUT_MS, 5000)
            .resolve()
            .unwrap();
        let cfg = ClientConfig::from_config(&resolved)
            .with_proxy(Proxy::http(p.to_string()))
            .with_session(config().session);
        echo_once(&format!("ws://{target}/"), &cfg).await;
    }
}
