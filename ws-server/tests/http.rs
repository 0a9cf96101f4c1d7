//! The opening handshake and deployment over loopback: statuses for refused
//! requests, the origin policy, the handshake timeout, static resources, routing
//! with templates, and `noAddAfterHandshake`.

mod common;

use std::time::Duration;

use common::*;
use tokio::io::AsyncWriteExt;
use ws_config::ServerSettings;
use ws_server::{DeployError, Endpoint, Message, OriginPolicy, Server, SessionHandle};
use ws_session::SessionConfig;

async fn echo_server(builder: ws_server::ServerBuilder) -> (Server, std::net::SocketAddr) {
    let server = builder.build();
    server.add_endpoint("/echo", Echo).unwrap();
    let addr = start(&server).await;
    (server, addr)
}

fn status(head: &str) -> u16 {
    head.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn cross_origin_is_refused_by_default() {
    let (_s, addr) = echo_server(Server::builder()).await;
    let (head, _) = raw(
        addr,
        &upgrade_request(addr, "/echo", "Origin: http://evil.example\r\n"),
    )
    .await;
    assert_eq!(status(&head), 403, "{head}");
    // Same origin and no origin are fine.
    let same = format!("Origin: http://{addr}\r\n");
    let (head, _) = raw(addr, &upgrade_request(addr, "/echo", &same)).await;
    assert_eq!(status(&head), 101, "{head}");
    let (head, _) = raw(addr, &upgrade_request(addr, "/echo", "")).await;
    assert_eq!(status(&head), 101, "{head}");
}

#[tokio::test]
async fn allow_list_and_allow_any() {
    let policy = OriginPolicy::allow_list(["https://app.example"]);
    let (_s, addr) = echo_server(Server::builder().origin_policy(policy)).await;
    let ok = upgrade_request(addr, "/echo", "Origin: https://app.example\r\n");
    assert_eq!(status(&raw(addr, &ok).await.0), 101);
    let bad = upgrade_request(addr, "/echo", "Origin: https://other.example\r\n");
    assert_eq!(status(&raw(addr, &bad).await.0), 403);

    let (_s, addr) = echo_server(Server::builder().allow_any_origin()).await;
    assert_eq!(status(&raw(addr, &bad).await.0), 101);
}

#[tokio::test]
async fn wrong_version_gets_426_with_the_supported_version() {
    let (_s, addr) = echo_server(Server::builder()).await;
    let req = upgrade_request(addr, "/echo", "").replace("Version: 13", "Version: 8");
    let (head, _) = raw(addr, &req).await;
    assert_eq!(status(&head), 426, "{head}");
    assert!(head.contains("Sec-WebSocket-Version: 13"), "{head}");
}

#[tokio::test]
async fn malformed_and_oversized_requests() {
    let (_s, addr) = echo_server(Server::builder()).await;
    let req = upgrade_request(addr, "/echo", "").replace("dGhlIHNhbXBsZSBub25jZQ==", "short");
    assert_eq!(status(&raw(addr, &req).await.0), 400);
    let huge = format!("X-Filler: {}\r\n", "a".repeat(9000));
    assert_eq!(
        status(&raw(addr, &upgrade_request(addr, "/echo", &huge)).await.0),
        431
    );
    let post = upgrade_request(addr, "/echo", "").replacen("GET", "POST", 1);
    assert_eq!(status(&raw(addr, &post).await.0), 405);
}

#[tokio::test]
async fn unknown_path_is_404_and_static_resources_are_served() {
    let (server, addr) = echo_server(Server::builder()).await;
    let (head, _) = raw(addr, &upgrade_request(addr, "/nope", "")).await;
    assert_eq!(status(&head), 404, "{head}");

    server.add_static("/", "text/html", "<h1>hi</h1>").unwrap();
    let get = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    let (head, mut tcp) = raw(addr, &get("/")).await;
    assert_eq!(status(&head), 200, "{head}");
    assert!(head.contains("Content-Type: text/html"), "{head}");
    assert_eq!(read_to_end(&mut tcp).await, b"<h1>hi</h1>");
    assert_eq!(status(&raw(addr, &get("/missing")).await.0), 404);
    // A plain GET of an endpoint path (a browser or curl visiting it) is told how to
    // connect: 426 with `Upgrade: websocket` and a short text.
    let (head, mut tcp) = raw(addr, &get("/echo")).await;
    assert_eq!(status(&head), 426, "{head}");
    assert!(head.contains("Upgrade: websocket"), "{head}");
    let body = read_to_end(&mut tcp).await;
    assert!(
        String::from_utf8_lossy(&body).contains("WebSocket endpoint"),
        "{body:?}"
    );
    // HEAD wherever GET is served: the same head, no body.
    let (head, mut tcp) = raw(addr, &format!("HEAD / HTTP/1.1\r\nHost: {addr}\r\n\r\n")).await;
    assert_eq!(status(&head), 200, "{head}");
    assert!(head.contains("Content-Length: 11"), "{head}");
    assert!(read_to_end(&mut tcp).await.is_empty());
    let (head, _) = raw(
        addr,
        &format!("HEAD /echo HTTP/1.1\r\nHost: {addr}\r\n\r\n"),
    )
    .await;
    assert_eq!(status(&head), 426, "{head}");
    // Other methods on a resource: 405 with Allow.
    let (head, _) = raw(addr, &format!("DELETE / HTTP/1.1\r\nHost: {addr}\r\n\r\n")).await;
    assert_eq!(status(&head), 405, "{head}");
    assert!(head.contains("Allow: GET, HEAD"), "{head}");
    assert!(matches!(
        server.add_static("no-slash", "text/plain", "x"),
        Err(DeployError::InvalidPath(..))
    ));
}

#[tokio::test]
async fn stalled_handshake_is_dropped_after_the_timeout() {
    let builder = Server::builder().handshake_timeout(Duration::from_millis(200));
    let (server, addr) = echo_server(builder).await;
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /echo HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap(); // never finishes
                   // The server closes the connection without an answer.
    assert_eq!(read_to_end(&mut tcp).await, b"");
    // A healthy client still gets through afterwards.
    let mut c = connect(addr, "/echo").await;
    c.send("still here").await;
    assert_eq!(c.recv().await, Message::Text("still here".into()));
    drop(server);
}

/// Says which endpoint answered, with its parameters.
struct Named(&'static str);

impl Endpoint for Named {
    type State = ();

    async fn on_open(&self, s: &SessionHandle) {
        let params: Vec<String> = s
            .path_params()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        s.send_text(format!("{} {}", self.0, params.join(",")))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn templates_and_precedence_over_the_wire() {
    let server = Server::builder().build();
    server.add_endpoint("/a/{x}", Named("a-x")).unwrap();
    server.add_endpoint("/a/b", Named("a-b")).unwrap();
    server.add_endpoint("/{p}/{q}", Named("p-q")).unwrap();
    server.add_endpoint("/{y}/b", Named("y-b")).unwrap();
    let addr = start(&server).await;
    for (path, expect) in [
        ("/a/b", "a-b "),
        ("/a/zz", "a-x x=zz"),
        ("/c/b", "y-b y=c"),
        ("/c/d", "p-q p=c,q=d"),
    ] {
        let mut c = connect(addr, path).await;
        assert_eq!(c.recv().await, Message::Text(expect.into()), "{path}");
    }
    assert_eq!(
        status(&raw(addr, &upgrade_request(addr, "/a/b/c", "")).await.0),
        404
    );
    // Invalid and duplicate paths are refused at deployment.
    for bad in ["/x/../y", "/x/./y", "//x", "x"] {
        assert!(
            matches!(
                server.add_endpoint(bad, Echo),
                Err(DeployError::InvalidPath(..))
            ),
            "{bad}"
        );
    }
    assert_eq!(
        server.add_endpoint("/a/{other}", Echo),
        Err(DeployError::Duplicate("/a/{other}".into()))
    );
    assert_eq!(
        server.add_endpoint("/a/b", Echo),
        Err(DeployError::Duplicate("/a/b".into()))
    );
    // Added while running: served at once.
    server.add_endpoint("/late", Named("late")).unwrap();
    let mut c = connect(addr, "/late").await;
    assert_eq!(c.recv().await, Message::Text("late ".into()));
}

#[tokio::test]
async fn no_add_after_handshake_refuses_deployment() {
    let settings = ServerSettings::default().with_no_add_after_handshake(true);
    let server = Server::builder().settings(settings).build();
    server.add_endpoint("/echo", Echo).unwrap();
    server.add_endpoint("/before", Echo).unwrap(); // no handshake yet: fine
    let addr = start(&server).await;
    let mut c = connect(addr, "/echo").await;
    c.send("x").await;
    c.recv().await;
    assert_eq!(
        server.add_endpoint("/after", Echo),
        Err(DeployError::AfterHandshake)
    );
    assert_eq!(
        DeployError::AfterHandshake.to_string(),
        "endpoints cannot be added after the first handshake (noAddAfterHandshake)"
    );

    // Without the setting, adding after a handshake is fine.
    let (server, addr) = serve("/echo", Echo).await;
    let _c = connect_with(addr, "/echo", |r| r, SessionConfig::default())
        .await
        .unwrap();
    server.add_endpoint("/after", Echo).unwrap();
}

#[tokio::test]
async fn config_file_keys_reach_the_server() {
    // Keys are named without their package prefix outside ws-config.
    let text = format!(
        "{p}textBufferSize=100000\n{p}noAddAfterHandshake=true\n",
        p = ws_config::PREFIX
    );
    let file = ws_config::Properties::parse(&text, "test.properties").unwrap();
    let config = ws_config::Sources::new()
        .properties(file)
        .resolve()
        .unwrap();
    let server = Server::builder().config(&config).build();
    server.add_endpoint("/echo", Echo).unwrap();
    let addr = start(&server).await;
    let big = SessionConfig::default().with_text_buffer_size(1 << 20);
    let mut c = connect_with(addr, "/echo", |r| r, big).await.unwrap();
    let text = "y".repeat(90_000); // over the 8 KiB default, under the configured size
    c.send(text.as_str()).await;
    assert_eq!(c.recv().await, Message::Text(text));
    assert_eq!(
        server.add_endpoint("/x", Echo),
        Err(DeployError::AfterHandshake)
    );
}
