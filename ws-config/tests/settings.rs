//! Conversions into the typed settings: `SessionConfig`, `ServerSettings`,
//! `ClientSettings`, the `STRICT_SPEC_COMPLIANCE` / `noAddAfterHandshake` rule, and
//! the builder setters.

use std::path::PathBuf;
use std::time::Duration;

use ws_config::{
    keys, ClientSettings, Credentials, Secret, ServerSettings, Sources, TlsContext, TlsVersion,
};
use ws_session::SessionConfig;

#[test]
fn defaults_give_the_session_crates_defaults() {
    let config = Sources::new().resolve().unwrap();
    assert_eq!(config.session_config(), SessionConfig::default());
}

#[test]
fn session_keys_reach_the_session_config() {
    let config = Sources::new()
        .set(keys::TEXT_BUFFER_SIZE, 1000)
        .set(keys::BINARY_BUFFER_SIZE, "2000")
        .set(keys::SESSION_CLOSE_TIMEOUT, 1500)
        .set(keys::ABNORMAL_SESSION_CLOSE_SEND_TIMEOUT, "25")
        .set(keys::READ_IDLE_TIMEOUT_MS, 60_000)
        .set(keys::WRITE_IDLE_TIMEOUT_MS, "30000")
        .resolve()
        .unwrap();
    let s = config.session_config();
    assert_eq!((s.text_buffer_size, s.binary_buffer_size), (1000, 2000));
    assert_eq!(s.session_close_timeout, Duration::from_millis(1500));
    assert_eq!(s.abnormal_close_send_timeout, Duration::from_millis(25));
    assert_eq!(s.read_idle_timeout, Some(Duration::from_secs(60)));
    assert_eq!(s.write_idle_timeout, Some(Duration::from_secs(30)));
    // Keys without a Tomcat counterpart keep the session's defaults.
    let d = SessionConfig::default();
    assert_eq!(s.max_message_size, d.max_message_size);
    assert_eq!(s.max_idle_timeout, d.max_idle_timeout);
    assert_eq!(s.text_delivery, d.text_delivery);
}

#[test]
fn default_buffer_size_feeds_both_message_buffers() {
    let config = Sources::new()
        .env([("ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_BUFFER_SIZE", "4096")])
        .resolve()
        .unwrap();
    let s = config.session_config();
    assert_eq!((s.text_buffer_size, s.binary_buffer_size), (4096, 4096));
    let server = config.server_settings();
    assert_eq!(
        (server.text_buffer_size, server.binary_buffer_size),
        (4096, 4096)
    );
}

#[test]
fn no_add_after_handshake_follows_strict_spec_compliance_unless_set() {
    // (STRICT_SPEC_COMPLIANCE, noAddAfterHandshake) -> effective value.
    let cases = [
        (None, None, false),
        (Some(false), None, false),
        (Some(true), None, true),
        (None, Some(true), true),
        (None, Some(false), false),
        (Some(true), Some(false), false), // explicit setting wins over the flip
        (Some(true), Some(true), true),
        (Some(false), Some(true), true),
        (Some(false), Some(false), false),
    ];
    for (strict, no_add, want) in cases {
        let mut sources = Sources::new();
        if let Some(strict) = strict {
            sources = sources.set(keys::STRICT_SPEC_COMPLIANCE, strict);
        }
        if let Some(no_add) = no_add {
            sources = sources.set(keys::NO_ADD_AFTER_HANDSHAKE, no_add);
        }
        let config = sources.resolve().unwrap();
        assert_eq!(
            config.server_settings().no_add_after_handshake,
            want,
            "STRICT_SPEC_COMPLIANCE={strict:?} noAddAfterHandshake={no_add:?}"
        );
    }
}

#[test]
fn strict_spec_compliance_from_the_environment_yields_to_a_file_setting() {
    let file = ws_config::Properties::parse(
        "org.apache.tomcat.websocket.noAddAfterHandshake=false",
        "ws.properties",
    )
    .unwrap();
    let env = [("ORG_APACHE_TOMCAT_WEBSOCKET_STRICT_SPEC_COMPLIANCE", "true")];
    let flipped = Sources::new().env(env).resolve().unwrap();
    assert!(flipped.server_settings().no_add_after_handshake);
    let explicit = Sources::new().env(env).properties(file).resolve().unwrap();
    assert!(!explicit.server_settings().no_add_after_handshake);
}

#[test]
fn server_settings_defaults_and_setters() {
    let d = ServerSettings::default();
    assert!(!d.no_add_after_handshake);
    assert_eq!(d.blocking_send_timeout, Some(Duration::from_secs(20)));
    assert_eq!((d.text_buffer_size, d.binary_buffer_size), (8192, 8192));
    let s = d
        .with_no_add_after_handshake(true)
        .with_blocking_send_timeout(None)
        .with_text_buffer_size(10)
        .with_binary_buffer_size(20);
    assert!(s.no_add_after_handshake);
    assert_eq!(s.blocking_send_timeout, None);
    assert_eq!((s.text_buffer_size, s.binary_buffer_size), (10, 20));
    let from_keys = Sources::new()
        .set(keys::BLOCKING_SEND_TIMEOUT, -1)
        .resolve()
        .unwrap()
        .server_settings();
    assert_eq!(from_keys.blocking_send_timeout, None);
}

#[test]
fn client_settings_defaults() {
    let c = ClientSettings::default();
    assert_eq!(c.io_timeout, Duration::from_millis(5000));
    assert_eq!(c.max_http_response_header_bytes, 8192);
    assert_eq!(c.max_redirections, 20);
    assert_eq!(c.blocking_send_timeout, Some(Duration::from_secs(20)));
    assert_eq!(c.credentials, None);
    assert_eq!(c.proxy_credentials, None);
    assert_eq!(c.tls.context, None);
    assert_eq!(c.tls.protocols, None);
    assert_eq!(c.tls.truststore, None);
    assert_eq!(c.tls.truststore_password.expose(), "changeit");
    assert_eq!(c.default_origin, None);
}

#[test]
fn client_settings_from_keys() {
    let tls = TlsContext::new(42_u8);
    let c = Sources::new()
        .set(keys::IO_TIMEOUT_MS, "750")
        .set(keys::MAX_HTTP_RESPONSE_HEADER_BYTES, 16384)
        .set(keys::MAX_REDIRECTIONS, "0")
        .set(keys::BLOCKING_SEND_TIMEOUT, 100)
        .set(keys::WS_AUTHENTICATION_USER_NAME, "alice")
        .set(keys::WS_AUTHENTICATION_PASSWORD, "pw")
        .set(keys::WS_AUTHENTICATION_REALM, "realm")
        .set(keys::WS_AUTHENTICATION_PROXY_USER_NAME, "bob")
        .set(keys::WS_AUTHENTICATION_PROXY_PASSWORD, "ppw")
        .set(keys::SSL_CONTEXT, tls.clone())
        .set(keys::SSL_PROTOCOLS, "TLSv1.2")
        .set(keys::SSL_TRUSTSTORE, "trust.pem")
        .set(keys::SSL_TRUSTSTORE_PWD, "store-pw")
        .set(keys::DEFAULT_ORIGIN_HEADER_VALUE, "https://me.example")
        .resolve()
        .unwrap()
        .client_settings();
    assert_eq!(c.io_timeout, Duration::from_millis(750));
    assert_eq!(c.max_http_response_header_bytes, 16384);
    assert_eq!(c.max_redirections, 0);
    assert_eq!(c.blocking_send_timeout, Some(Duration::from_millis(100)));
    assert_eq!(
        c.credentials,
        Some(Credentials::new("alice", "pw").with_realm("realm"))
    );
    assert_eq!(c.proxy_credentials, Some(Credentials::new("bob", "ppw")));
    assert_eq!(c.tls.context, Some(tls));
    assert_eq!(c.tls.protocols, Some(vec![TlsVersion::Tls12]));
    assert_eq!(c.tls.truststore, Some(PathBuf::from("trust.pem")));
    assert_eq!(c.tls.truststore_password, Secret::new("store-pw"));
    assert_eq!(c.default_origin.as_deref(), Some("https://me.example"));
}

#[test]
fn client_settings_setters() {
    let tls = TlsContext::new("cfg");
    let c = ClientSettings::default()
        .with_io_timeout(Duration::from_secs(1))
        .with_max_http_response_header_bytes(100)
        .with_max_redirections(2)
        .with_blocking_send_timeout(None)
        .with_credentials(Some(Credentials::new("u", "p")))
        .with_proxy_credentials(Some(Credentials::new("pu", "pp").with_realm("r")))
        .with_tls_context(Some(tls.clone()))
        .with_tls_protocols(Some(vec![TlsVersion::Tls13]))
        .with_truststore(Some("t.p12".into()))
        .with_truststore_password("x")
        .with_default_origin(Some("https://o.example".into()));
    assert_eq!(c.io_timeout, Duration::from_secs(1));
    assert_eq!(c.max_http_response_header_bytes, 100);
    assert_eq!(c.max_redirections, 2);
    assert_eq!(c.blocking_send_timeout, None);
    assert_eq!(c.credentials.unwrap().user_name, "u");
    assert_eq!(c.proxy_credentials.unwrap().realm.as_deref(), Some("r"));
    assert_eq!(c.tls.context, Some(tls));
    assert_eq!(c.tls.protocols, Some(vec![TlsVersion::Tls13]));
    assert_eq!(c.tls.truststore, Some(PathBuf::from("t.p12")));
    assert_eq!(c.tls.truststore_password.expose(), "x");
    assert_eq!(c.default_origin.as_deref(), Some("https://o.example"));
}

#[test]
fn tls_version_names() {
    assert_eq!(TlsVersion::Tls12.to_string(), "TLSv1.2");
    assert_eq!(TlsVersion::from_name("tlsv1.3"), Some(TlsVersion::Tls13));
    assert_eq!(TlsVersion::from_name("TLSv1.1"), None);
    assert_eq!(TlsVersion::from_name("SSLv3"), None);
}

#[test]
fn client_settings_feed_the_handshake_crate() {
    let c = ClientSettings::default();
    assert_eq!(c.response_limits(), ws_handshake::Limits::default());
    let c = Sources::new()
        .set(keys::MAX_HTTP_RESPONSE_HEADER_BYTES, 1024)
        .set(keys::WS_AUTHENTICATION_PROXY_USER_NAME, "bob")
        .set(keys::WS_AUTHENTICATION_PROXY_PASSWORD, "pw-proxy")
        .set(keys::WS_AUTHENTICATION_PROXY_REALM, "corp")
        .resolve()
        .unwrap()
        .client_settings();
    let limits = c.response_limits();
    assert_eq!(limits.max_header_bytes, 1024);
    assert_eq!(
        limits.max_headers,
        ws_handshake::Limits::default().max_headers
    );
    let creds = ws_handshake::auth::Credentials::from(c.proxy_credentials.as_ref().unwrap());
    assert_eq!(
        (creds.username.as_str(), creds.password.as_str()),
        ("bob", "pw-proxy")
    );
    assert_eq!(creds.realm.as_deref(), Some("corp"));
    assert!(!format!("{creds:?}").contains("pw-proxy"));
}
