//! Every key: its default, valid string and integer forms, and each kind of invalid
//! value with its exact error message.

use std::path::PathBuf;
use std::time::Duration;

use ws_config::{keys, Config, Key, Problem, Secret, Sources, TlsContext, TlsVersion, Value};

const P: &str = "org.apache.tomcat.websocket.";

fn defaults() -> Config {
    Sources::new().resolve().expect("defaults resolve")
}

fn with(key: Key, value: impl Into<Value>) -> Config {
    let value = value.into();
    Sources::new()
        .set(key, value.clone())
        .resolve()
        .unwrap_or_else(|e| panic!("{key} = {value:?}: {e}"))
}

/// The error for `key = value` set in code. (A lone credential key also gets an
/// `Incomplete` error after it, tested in `sources.rs`.)
fn error(key: Key, value: impl Into<Value>) -> String {
    let errors = Sources::new().set(key, value).resolve().unwrap_err().errors;
    assert!(
        errors[1..]
            .iter()
            .all(|e| matches!(e, ws_config::ConfigError::Incomplete { .. })),
        "{errors:?}"
    );
    errors[0].to_string()
}

/// The problem of `key = value`.
fn problem(key: Key, value: impl Into<Value>) -> Problem {
    match &Sources::new().set(key, value).resolve().unwrap_err().errors[0] {
        ws_config::ConfigError::InvalidValue { problem, .. } => *problem,
        other => panic!("{other}"),
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Checks a key of kind "positive milliseconds".
fn positive_millis(key: Key, get: fn(&Config) -> Duration, default: u64) {
    let name = key.short_name();
    assert_eq!(get(&defaults()), ms(default), "{name} default");
    assert_eq!(get(&with(key, "1234")), ms(1234));
    assert_eq!(get(&with(key, 1234)), ms(1234));
    assert_eq!(get(&with(key, " 1 ")), ms(1));
    assert_eq!(get(&with(key, "+7")), ms(7));
    assert_eq!(get(&with(key, i64::MAX)), ms(i64::MAX as u64));
    let expected = "expected a positive integer of milliseconds";
    assert_eq!(
        error(key, "soon"),
        format!("{P}{name} = \"soon\" (set in code): malformed; {expected}")
    );
    assert_eq!(
        error(key, ""),
        format!("{P}{name} = \"\" (set in code): malformed; {expected}")
    );
    assert_eq!(
        error(key, "1.5"),
        format!("{P}{name} = \"1.5\" (set in code): malformed; {expected}")
    );
    assert_eq!(
        error(key, 0),
        format!("{P}{name} = 0 (set in code): out of range; {expected}")
    );
    assert_eq!(
        error(key, "-1"),
        format!("{P}{name} = \"-1\" (set in code): out of range; {expected}")
    );
    assert_eq!(
        error(key, "99999999999999999999"),
        format!("{P}{name} = \"99999999999999999999\" (set in code): out of range; {expected}")
    );
    assert_eq!(
        error(key, true),
        format!("{P}{name} = true (set in code): wrong type (a boolean); {expected}")
    );
}

#[test]
fn session_close_timeout() {
    positive_millis(
        keys::SESSION_CLOSE_TIMEOUT,
        Config::session_close_timeout,
        30_000,
    );
}

#[test]
fn abnormal_session_close_send_timeout() {
    positive_millis(
        keys::ABNORMAL_SESSION_CLOSE_SEND_TIMEOUT,
        Config::abnormal_session_close_send_timeout,
        50,
    );
}

#[test]
fn io_timeout_ms() {
    positive_millis(keys::IO_TIMEOUT_MS, Config::io_timeout, 5_000);
}

#[test]
fn blocking_send_timeout() {
    let key = keys::BLOCKING_SEND_TIMEOUT;
    let get = Config::blocking_send_timeout;
    assert_eq!(get(&defaults()), Some(ms(20_000)));
    assert_eq!(get(&with(key, "100")), Some(ms(100)));
    assert_eq!(get(&with(key, 100)), Some(ms(100)));
    assert_eq!(get(&with(key, -1)), None);
    assert_eq!(get(&with(key, "-1")), None);
    let expected = "expected a positive integer of milliseconds, or -1 for no timeout";
    assert_eq!(
        error(key, "fast"),
        format!("{P}BLOCKING_SEND_TIMEOUT = \"fast\" (set in code): malformed; {expected}")
    );
    assert_eq!(
        error(key, 0),
        format!("{P}BLOCKING_SEND_TIMEOUT = 0 (set in code): out of range; {expected}")
    );
    assert_eq!(
        error(key, -2),
        format!("{P}BLOCKING_SEND_TIMEOUT = -2 (set in code): out of range; {expected}")
    );
    assert_eq!(
        error(key, false),
        format!(
            "{P}BLOCKING_SEND_TIMEOUT = false (set in code): wrong type (a boolean); {expected}"
        )
    );
}

fn idle_timeout(key: Key, get: fn(&Config) -> Option<Duration>) {
    let name = key.short_name();
    assert_eq!(get(&defaults()), None, "{name} is off by default");
    assert_eq!(get(&with(key, "60000")), Some(ms(60_000)));
    assert_eq!(get(&with(key, 60_000)), Some(ms(60_000)));
    assert_eq!(get(&with(key, 0)), None);
    assert_eq!(get(&with(key, "-1")), None);
    let expected = "expected a positive integer of milliseconds, or 0 or -1 for off";
    assert_eq!(
        error(key, "1m"),
        format!("{P}{name} = \"1m\" (set in code): malformed; {expected}")
    );
    assert_eq!(
        error(key, -5),
        format!("{P}{name} = -5 (set in code): out of range; {expected}")
    );
    assert_eq!(
        error(key, true),
        format!("{P}{name} = true (set in code): wrong type (a boolean); {expected}")
    );
}

#[test]
fn read_idle_timeout_ms() {
    idle_timeout(keys::READ_IDLE_TIMEOUT_MS, Config::read_idle_timeout);
}

#[test]
fn write_idle_timeout_ms() {
    idle_timeout(keys::WRITE_IDLE_TIMEOUT_MS, Config::write_idle_timeout);
}

fn byte_size(key: Key, get: fn(&Config) -> usize, default: usize, min: i64) {
    let name = key.short_name();
    assert_eq!(get(&defaults()), default, "{name} default");
    assert_eq!(get(&with(key, "65536")), 65536);
    assert_eq!(get(&with(key, 65536)), 65536);
    assert_eq!(get(&with(key, min)), min as usize);
    assert_eq!(get(&with(key, i32::MAX)), i32::MAX as usize);
    let expected = format!("expected an integer of bytes from {min} to 2147483647");
    assert_eq!(
        error(key, "8k"),
        format!("{P}{name} = \"8k\" (set in code): malformed; {expected}")
    );
    assert_eq!(
        error(key, min - 1),
        format!(
            "{P}{name} = {} (set in code): out of range; {expected}",
            min - 1
        )
    );
    assert_eq!(
        error(key, "2147483648"),
        format!("{P}{name} = \"2147483648\" (set in code): out of range; {expected}")
    );
    assert_eq!(
        error(key, false),
        format!("{P}{name} = false (set in code): wrong type (a boolean); {expected}")
    );
}

#[test]
fn binary_buffer_size() {
    byte_size(
        keys::BINARY_BUFFER_SIZE,
        Config::effective_binary_buffer_size,
        8192,
        1,
    );
    assert_eq!(defaults().binary_buffer_size(), None);
}

#[test]
fn text_buffer_size() {
    byte_size(
        keys::TEXT_BUFFER_SIZE,
        Config::effective_text_buffer_size,
        8192,
        4,
    );
    assert_eq!(defaults().text_buffer_size(), None);
}

#[test]
fn max_http_response_header_bytes() {
    byte_size(
        keys::MAX_HTTP_RESPONSE_HEADER_BYTES,
        Config::max_http_response_header_bytes,
        8192,
        1,
    );
}

#[test]
fn default_buffer_size() {
    byte_size(
        keys::DEFAULT_BUFFER_SIZE,
        Config::default_buffer_size,
        8192,
        4,
    );
    // It is the default of both message buffer sizes, which win when set.
    let c = with(keys::DEFAULT_BUFFER_SIZE, 100);
    assert_eq!(c.effective_text_buffer_size(), 100);
    assert_eq!(c.effective_binary_buffer_size(), 100);
    let c = Sources::new()
        .set(keys::DEFAULT_BUFFER_SIZE, 100)
        .set(keys::TEXT_BUFFER_SIZE, 200)
        .resolve()
        .unwrap();
    assert_eq!(c.effective_text_buffer_size(), 200);
    assert_eq!(c.effective_binary_buffer_size(), 100);
}

#[test]
fn max_redirections() {
    let key = keys::MAX_REDIRECTIONS;
    let get = Config::max_redirections;
    assert_eq!(get(&defaults()), 20);
    assert_eq!(get(&with(key, "5")), 5);
    assert_eq!(get(&with(key, 5)), 5);
    assert_eq!(get(&with(key, 0)), 0, "0 disables redirects");
    let expected = "expected an integer from 0 to 2147483647";
    assert_eq!(
        error(key, "many"),
        format!("{P}MAX_REDIRECTIONS = \"many\" (set in code): malformed; {expected}")
    );
    assert_eq!(
        error(key, -1),
        format!("{P}MAX_REDIRECTIONS = -1 (set in code): out of range; {expected}")
    );
    assert_eq!(
        error(key, 2_147_483_648_i64),
        format!("{P}MAX_REDIRECTIONS = 2147483648 (set in code): out of range; {expected}")
    );
    assert_eq!(
        error(key, true),
        format!("{P}MAX_REDIRECTIONS = true (set in code): wrong type (a boolean); {expected}")
    );
}

#[test]
fn default_process_period() {
    let key = keys::DEFAULT_PROCESS_PERIOD;
    let get = Config::default_process_period;
    assert_eq!(get(&defaults()), Duration::from_secs(10));
    assert_eq!(get(&with(key, "2")), Duration::from_secs(2));
    assert_eq!(get(&with(key, 2)), Duration::from_secs(2));
    let expected = "expected a positive integer of seconds";
    assert_eq!(
        error(key, "2s"),
        format!("{P}DEFAULT_PROCESS_PERIOD = \"2s\" (set in code): malformed; {expected}")
    );
    assert_eq!(
        error(key, 0),
        format!("{P}DEFAULT_PROCESS_PERIOD = 0 (set in code): out of range; {expected}")
    );
    assert_eq!(
        error(key, false),
        format!(
            "{P}DEFAULT_PROCESS_PERIOD = false (set in code): wrong type (a boolean); {expected}"
        )
    );
}

fn flag(key: Key, get: fn(&Config) -> bool) {
    let name = key.short_name();
    for (value, want) in [
        (Value::Bool(true), true),
        (Value::Bool(false), false),
        ("true".into(), true),
        ("FALSE".into(), false),
        (" True ".into(), true),
    ] {
        assert_eq!(get(&with(key, value.clone())), want, "{value:?}");
    }
    let expected = "expected true or false";
    assert_eq!(
        error(key, "yes"),
        format!("{P}{name} = \"yes\" (set in code): malformed; {expected}")
    );
    assert_eq!(
        error(key, ""),
        format!("{P}{name} = \"\" (set in code): malformed; {expected}")
    );
    assert_eq!(
        error(key, 1),
        format!("{P}{name} = 1 (set in code): wrong type (an integer); {expected}")
    );
}

#[test]
fn strict_spec_compliance() {
    assert!(!defaults().strict_spec_compliance());
    flag(keys::STRICT_SPEC_COMPLIANCE, Config::strict_spec_compliance);
}

#[test]
fn no_add_after_handshake() {
    assert_eq!(defaults().no_add_after_handshake(), None);
    assert!(!defaults().effective_no_add_after_handshake());
    flag(
        keys::NO_ADD_AFTER_HANDSHAKE,
        Config::effective_no_add_after_handshake,
    );
}

/// User names and realms need their password to resolve; set them together.
fn with_password(key: Key, password: Key, value: &str) -> Config {
    Sources::new()
        .set(key, value)
        .set(password, "pw")
        .resolve()
        .unwrap()
}

#[test]
fn credential_texts() {
    for (key, password, get) in [
        (
            keys::WS_AUTHENTICATION_USER_NAME,
            keys::WS_AUTHENTICATION_PASSWORD,
            Config::ws_authentication_user_name as fn(&Config) -> Option<String>,
        ),
        (
            keys::WS_AUTHENTICATION_PROXY_USER_NAME,
            keys::WS_AUTHENTICATION_PROXY_PASSWORD,
            Config::ws_authentication_proxy_user_name,
        ),
    ] {
        assert_eq!(get(&defaults()), None);
        let c = with_password(key, password, "alice");
        assert_eq!(get(&c).as_deref(), Some("alice"));
        let name = key.short_name();
        assert_eq!(
            error(key, 42),
            format!("{P}{name} = 42 (set in code): wrong type (an integer); expected a string")
        );
    }
    for (key, get) in [
        (
            keys::WS_AUTHENTICATION_REALM,
            Config::ws_authentication_realm as fn(&Config) -> Option<String>,
        ),
        (
            keys::WS_AUTHENTICATION_PROXY_REALM,
            Config::ws_authentication_proxy_realm,
        ),
    ] {
        assert_eq!(get(&defaults()), None);
        let name = key.short_name();
        assert_eq!(
            error(key, 42),
            format!("{P}{name} = 42 (set in code): wrong type (an integer); expected a string")
        );
    }
    let c = Sources::new()
        .set(keys::WS_AUTHENTICATION_USER_NAME, "u")
        .set(keys::WS_AUTHENTICATION_PASSWORD, "p")
        .set(keys::WS_AUTHENTICATION_REALM, "r")
        .resolve()
        .unwrap();
    assert_eq!(c.ws_authentication_realm().as_deref(), Some("r"));
}

#[test]
fn passwords() {
    for key in [
        keys::WS_AUTHENTICATION_PASSWORD,
        keys::WS_AUTHENTICATION_PROXY_PASSWORD,
        keys::SSL_TRUSTSTORE_PWD,
    ] {
        assert!(key.is_secret());
        let name = key.short_name();
        // Wrong type: the value is still not shown.
        assert_eq!(
            error(key, 1234),
            format!("{P}{name} = *** (set in code): wrong type (an integer); expected a string")
        );
    }
    assert_eq!(defaults().ws_authentication_password(), None);
    assert_eq!(defaults().ws_authentication_proxy_password(), None);
    assert_eq!(defaults().ssl_truststore_pwd(), Secret::new("changeit"));
    let c = with(keys::SSL_TRUSTSTORE_PWD, "hunter2");
    assert_eq!(c.ssl_truststore_pwd().expose(), "hunter2");
}

#[test]
fn ssl_protocols() {
    let key = keys::SSL_PROTOCOLS;
    let get = Config::ssl_protocols;
    assert_eq!(get(&defaults()), None);
    assert_eq!(get(&with(key, "TLSv1.3")), Some(vec![TlsVersion::Tls13]));
    assert_eq!(
        get(&with(key, " tlsv1.2 , TLSv1.3,TLSv1.2")),
        Some(vec![TlsVersion::Tls12, TlsVersion::Tls13])
    );
    let expected = "expected a comma-separated list of TLSv1.2 and TLSv1.3";
    for bad in ["SSLv3", "TLSv1.2,TLSv1.1", "", "TLSv1.2,", "TLS 1.3"] {
        assert_eq!(
            error(key, bad),
            format!("{P}SSL_PROTOCOLS = {bad:?} (set in code): malformed; {expected}")
        );
    }
    assert_eq!(
        error(key, 12),
        format!("{P}SSL_PROTOCOLS = 12 (set in code): wrong type (an integer); {expected}")
    );
}

#[test]
fn ssl_truststore() {
    let key = keys::SSL_TRUSTSTORE;
    assert_eq!(defaults().ssl_truststore(), None);
    assert_eq!(
        with(key, "/etc/ssl/trust.p12").ssl_truststore(),
        Some(PathBuf::from("/etc/ssl/trust.p12"))
    );
    assert_eq!(
        error(key, ""),
        format!(
            "{P}SSL_TRUSTSTORE = \"\" (set in code): malformed; expected a non-empty file path"
        )
    );
    assert_eq!(
        error(key, 7),
        format!("{P}SSL_TRUSTSTORE = 7 (set in code): wrong type (an integer); expected a non-empty file path")
    );
}

#[test]
fn ssl_context() {
    let key = keys::SSL_CONTEXT;
    assert!(defaults().ssl_context().is_none());
    let tls = TlsContext::new(String::from("a TLS library's config"));
    let got = with(key, tls.clone()).ssl_context().unwrap();
    assert_eq!(got, tls);
    assert_eq!(
        got.downcast_ref::<String>().map(String::as_str),
        Some("a TLS library's config")
    );
    assert_eq!(got.downcast_ref::<u32>(), None);
    let expected = "expected a TLS context object, which only code can set";
    assert_eq!(
        error(key, "javax.net.ssl.SSLContext"),
        format!(
            "{P}SSL_CONTEXT = \"javax.net.ssl.SSLContext\" (set in code): wrong type (a string); {expected}"
        )
    );
    // A TLS context given to any other key is a wrong type too.
    assert_eq!(
        problem(keys::IO_TIMEOUT_MS, tls),
        Problem::WrongType("a TLS context")
    );
}

#[test]
fn ssl_context_from_a_file_is_refused() {
    let file = ws_config::Properties::parse(
        "org.apache.tomcat.websocket.SSL_CONTEXT=mine\n",
        "ws.properties",
    )
    .unwrap();
    let err = Sources::new().properties(file).resolve().unwrap_err();
    assert_eq!(
        err.errors[0].to_string(),
        format!(
            "{P}SSL_CONTEXT = \"mine\" (ws.properties line 1): wrong type (a string); \
             expected a TLS context object, which only code can set"
        )
    );
}

#[test]
fn default_origin_header_value() {
    let key = keys::DEFAULT_ORIGIN_HEADER_VALUE;
    let get = Config::default_origin_header_value;
    assert_eq!(get(&defaults()), None);
    assert_eq!(
        get(&with(key, " https://example.com ")).as_deref(),
        Some("https://example.com")
    );
    let expected = "expected a non-empty header value of visible ASCII characters";
    for bad in ["", "  ", "https://a\r\nX-Evil: 1", "https://é.example"] {
        assert_eq!(
            error(key, bad),
            format!(
                "{P}DEFAULT_ORIGIN_HEADER_VALUE = {bad:?} (set in code): malformed; {expected}"
            )
        );
    }
    assert_eq!(
        error(key, 1),
        format!(
            "{P}DEFAULT_ORIGIN_HEADER_VALUE = 1 (set in code): wrong type (an integer); {expected}"
        )
    );
}

#[test]
fn table_is_complete_and_consistent() {
    // Section 1 of the Tomcat reference: 25 keys (the credential rows name three each).
    assert_eq!(keys::ALL.len(), 25);
    let mut names: Vec<&str> = keys::ALL.iter().map(Key::name).collect();
    names.extend(keys::ALL.iter().filter_map(Key::alias));
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "names and aliases are unique");
    for key in keys::ALL {
        assert!(key.name().starts_with(P));
        assert_eq!(key.name(), format!("{P}{}", key.short_name()));
        assert_eq!(Key::lookup(key.name()), Some(*key));
        assert!(!key.doc().is_empty() && !key.default_doc().is_empty());
        assert!(!key.value_type().is_empty() && !key.expected().is_empty());
        // Every key is accepted by some value and rejected by a wrong type.
        assert!(!defaults().is_set(key));
    }
    let aliased: Vec<&str> = keys::ALL
        .iter()
        .filter(|k| k.alias().is_some())
        .map(|k| k.short_name())
        .collect();
    assert_eq!(
        aliased,
        [
            "WS_AUTHENTICATION_PROXY_USER_NAME",
            "WS_AUTHENTICATION_PROXY_PASSWORD",
            "WS_AUTHENTICATION_PROXY_REALM"
        ]
    );
}
