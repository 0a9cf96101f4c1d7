//! Sources: precedence, environment mapping, unknown keys (strict and lenient), the
//! two proxy-credential spellings, incomplete credentials and redaction.

use ws_config::{keys, ConfigError, Mode, Origin, Properties, Sources};

const P: &str = "org.apache.tomcat.websocket.";

fn file(text: &str) -> Properties {
    Properties::parse(text, "ws.properties").unwrap()
}

fn errors(sources: Sources) -> Vec<String> {
    sources
        .resolve()
        .unwrap_err()
        .errors
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn precedence_code_over_file_over_env_over_default() {
    let key = keys::DEFAULT_BUFFER_SIZE; // a system property: all four sources apply
    let env = [("ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_BUFFER_SIZE", "300")];
    let text = format!("{P}DEFAULT_BUFFER_SIZE=200\n");

    let all = Sources::new()
        .set(key, 100)
        .properties(file(&text))
        .env(env)
        .resolve()
        .unwrap();
    assert_eq!(all.default_buffer_size(), 100);

    let no_code = Sources::new()
        .properties(file(&text))
        .env(env)
        .resolve()
        .unwrap();
    assert_eq!(no_code.default_buffer_size(), 200);

    let env_only = Sources::new().env(env).resolve().unwrap();
    assert_eq!(env_only.default_buffer_size(), 300);

    assert_eq!(
        Sources::new().resolve().unwrap().default_buffer_size(),
        8192
    );
}

#[test]
fn order_of_builder_calls_does_not_change_precedence() {
    let text = format!("{P}IO_TIMEOUT_MS=2000\n");
    let a = Sources::new()
        .set(keys::IO_TIMEOUT_MS, 1000)
        .properties(file(&text))
        .resolve()
        .unwrap();
    let b = Sources::new()
        .properties(file(&text))
        .set(keys::IO_TIMEOUT_MS, 1000)
        .resolve()
        .unwrap();
    assert_eq!(a.io_timeout(), b.io_timeout());
    assert_eq!(a.io_timeout().as_millis(), 1000);
}

#[test]
fn a_later_file_wins_over_an_earlier_one() {
    let c = Sources::new()
        .properties(file(&format!(
            "{P}MAX_REDIRECTIONS=1\n{P}IO_TIMEOUT_MS=10\n"
        )))
        .properties(file(&format!("{P}MAX_REDIRECTIONS=2\n")))
        .resolve()
        .unwrap();
    assert_eq!(c.max_redirections(), 2);
    assert_eq!(c.io_timeout().as_millis(), 10);
}

#[test]
fn code_maps_take_full_names() {
    let mut props = Properties::new();
    props
        .insert(format!("{P}MAX_REDIRECTIONS"), "3")
        .insert(format!("{P}STRICT_SPEC_COMPLIANCE"), true);
    let c = Sources::new().code(props).resolve().unwrap();
    assert_eq!(c.max_redirections(), 3);
    assert!(c.strict_spec_compliance());
}

#[test]
fn only_the_winning_value_is_validated() {
    // A bad file value overridden in code is not reported...
    let c = Sources::new()
        .properties(file(&format!("{P}IO_TIMEOUT_MS=soon\n")))
        .set(keys::IO_TIMEOUT_MS, 10)
        .resolve()
        .unwrap();
    assert_eq!(c.io_timeout().as_millis(), 10);
    // ...but a bad winning value is, with its origin.
    assert_eq!(
        errors(
            Sources::new()
                .properties(file(&format!("\n{P}IO_TIMEOUT_MS=soon\n")))
                .env([(format!("{P}IO_TIMEOUT_MS"), "1")])
                .lenient()
        ),
        [format!(
            "{P}IO_TIMEOUT_MS = \"soon\" (ws.properties line 2): malformed; \
             expected a positive integer of milliseconds"
        )]
    );
}

#[test]
fn env_accepts_the_full_name_and_the_upper_case_form() {
    for var in [
        format!("{P}STRICT_SPEC_COMPLIANCE"),
        "ORG_APACHE_TOMCAT_WEBSOCKET_STRICT_SPEC_COMPLIANCE".to_owned(),
    ] {
        let c = Sources::new()
            .env([(var.as_str(), "true")])
            .resolve()
            .unwrap();
        assert!(c.strict_spec_compliance(), "{var}");
    }
    for (var, get) in [
        (
            "ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_ORIGIN_HEADER_VALUE",
            "https://a.example",
        ),
        ("ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_PROCESS_PERIOD", "3"),
    ] {
        assert!(Sources::new().env([(var, get)]).resolve().is_ok(), "{var}");
    }
    assert_eq!(
        keys::DEFAULT_BUFFER_SIZE.env_vars(),
        Some([
            format!("{P}DEFAULT_BUFFER_SIZE"),
            "ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_BUFFER_SIZE".to_owned()
        ])
    );
    assert_eq!(keys::IO_TIMEOUT_MS.env_vars(), None);
}

#[test]
fn env_both_forms_must_agree() {
    let same = Sources::new().env([
        (format!("{P}DEFAULT_BUFFER_SIZE"), "64"),
        (
            "ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_BUFFER_SIZE".into(),
            "64",
        ),
    ]);
    assert_eq!(same.resolve().unwrap().default_buffer_size(), 64);
    let differ = Sources::new().env([
        (format!("{P}DEFAULT_BUFFER_SIZE"), "64"),
        (
            "ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_BUFFER_SIZE".into(),
            "65",
        ),
    ]);
    assert_eq!(
        errors(differ),
        [format!(
            "{P}DEFAULT_BUFFER_SIZE is given twice with different values: \"65\" \
             (environment variable ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_BUFFER_SIZE) and \
             \"64\" (environment variable {P}DEFAULT_BUFFER_SIZE); remove one"
        )]
    );
}

#[test]
fn env_ignores_unrelated_variables() {
    let c = Sources::new()
        .env([
            ("PATH", "/bin"),
            ("HOME", "/root"),
            ("ORG_APACHE_OTHER", "x"),
        ])
        .resolve()
        .unwrap();
    assert!(c.warnings().is_empty());
}

#[test]
fn env_rejects_keys_that_are_not_system_properties() {
    let env = [("ORG_APACHE_TOMCAT_WEBSOCKET_IO_TIMEOUT_MS", "1000")];
    let message = format!(
        "{P}IO_TIMEOUT_MS (environment variable ORG_APACHE_TOMCAT_WEBSOCKET_IO_TIMEOUT_MS) \
         is a client property, which is not read from the environment; set it in a \
         properties file or in code"
    );
    assert_eq!(
        errors(Sources::new().env(env)),
        std::slice::from_ref(&message)
    );
    // Lenient: a warning, and the value is not used.
    let c = Sources::new().env(env).lenient().resolve().unwrap();
    assert_eq!(c.io_timeout().as_millis(), 5000);
    let warnings: Vec<String> = c.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(warnings, [message]);
}

#[test]
fn unknown_keys_are_errors_by_default() {
    let text = format!("{P}IO_TIMEOUT=1000\n{P}textbuffersize=10\n{P}NO_SUCH_THING=1\n");
    assert_eq!(
        errors(Sources::new().properties(file(&text))),
        [
            format!(
                "unknown key {P}IO_TIMEOUT (ws.properties line 1); did you mean \
                 {P}IO_TIMEOUT_MS?"
            ),
            format!("unknown key {P}NO_SUCH_THING (ws.properties line 3)"),
            format!(
                "unknown key {P}textbuffersize (ws.properties line 2); did you mean \
                 {P}textBufferSize?"
            ),
        ]
    );
    assert_eq!(
        errors(Sources::new().env([("ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_BUFER_SIZE", "1")])),
        [
            "unknown key ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_BUFER_SIZE (environment variable \
             ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_BUFER_SIZE); did you mean \
             ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_BUFFER_SIZE?"
        ]
    );
    assert_eq!(
        errors(Sources::new().code(Properties::new().with(format!("{P}io_timeout_ms"), 5))),
        [format!(
            "unknown key {P}io_timeout_ms (set in code); did you mean {P}IO_TIMEOUT_MS?"
        )]
    );
}

#[test]
fn unknown_keys_are_warnings_in_lenient_mode() {
    let text = format!("{P}NO_SUCH_THING=1\n{P}MAX_REDIRECTIONS=4\n");
    let c = Sources::new()
        .properties(file(&text))
        .mode(Mode::Lenient)
        .resolve()
        .unwrap();
    assert_eq!(c.max_redirections(), 4);
    assert!(matches!(
        c.warnings(),
        [ConfigError::UnknownKey { key, origin: Origin::File { line: 1, .. }, suggestion: None }]
            if key == &format!("{P}NO_SUCH_THING")
    ));
    // Bad values stay errors in lenient mode.
    let bad = format!("{P}MAX_REDIRECTIONS=-4\n");
    assert!(Sources::new()
        .properties(file(&bad))
        .lenient()
        .resolve()
        .is_err());
}

#[test]
fn names_outside_the_prefix_are_ignored() {
    let text = "server.port=8080\norg.apache.catalina.x=1\nbufferSize=1\n";
    let c = Sources::new().properties(file(text)).resolve().unwrap();
    assert!(c.warnings().is_empty());
    // A map built in code may hold the application's own properties under any
    // name, short key names included: only names under the prefix are read.
    let code = Properties::new().with("IO_TIMEOUT_MS", "oops");
    let c = Sources::new().code(code).resolve().unwrap();
    assert!(c.warnings().is_empty());
    assert_eq!(c.io_timeout().as_millis(), 5000);
}

#[test]
fn short_key_names_in_a_file_are_refused_naming_the_full_key() {
    let text = "server.port=8080\ntextBufferSize=16777216\nio_timeout_ms=3000\n";
    let expected = [
        format!(
            "io_timeout_ms (ws.properties line 3) is not read without its prefix; \
             write {P}IO_TIMEOUT_MS"
        ),
        format!(
            "textBufferSize (ws.properties line 2) is not read without its prefix; \
             write {P}textBufferSize"
        ),
    ];
    assert_eq!(errors(Sources::new().properties(file(text))), expected);
    // Lenient: warnings, and the values are not used.
    let c = Sources::new()
        .properties(file(text))
        .lenient()
        .resolve()
        .unwrap();
    let warnings: Vec<String> = c.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(warnings, expected);
    assert_eq!(c.session_config().text_buffer_size, 8192);
    // The second spelling of the proxy credentials is refused the same way.
    assert_eq!(
        errors(Sources::new().properties(file("WS_PROXY_AUTHENTICATION_REALM=r\n"))),
        [format!(
            "WS_PROXY_AUTHENTICATION_REALM (ws.properties line 1) is not read without its \
             prefix; write {P}WS_PROXY_AUTHENTICATION_REALM"
        )]
    );
}

#[test]
fn unknown_keys_get_the_nearest_known_key() {
    for (written, meant) in [
        ("textBuferSize", "textBufferSize"),
        ("TextBufferSizes", "textBufferSize"),
        ("IO_TIMOUT_MS", "IO_TIMEOUT_MS"),
        ("IO_TIMEOUT", "IO_TIMEOUT_MS"),
        ("MAX_REDIRECTION", "MAX_REDIRECTIONS"),
        ("BLOCKING_SEND_TIMEOUT_MS", "BLOCKING_SEND_TIMEOUT"),
        ("SSL_TRUSTSTORE_PASSWORD", "SSL_TRUSTSTORE_PWD"),
        ("WS_AUTHENTICATION_USERNAME", "WS_AUTHENTICATION_USER_NAME"),
    ] {
        let text = format!("{P}{written}=1\n");
        assert_eq!(
            errors(Sources::new().properties(file(&text))),
            [format!(
                "unknown key {P}{written} (ws.properties line 1); did you mean {P}{meant}?"
            )],
        );
    }
    // Nothing near: no guess.
    for written in ["NO_SUCH_THING", "x", "MAX_FRAME_SIZE"] {
        let text = format!("{P}{written}=1\n");
        assert_eq!(
            errors(Sources::new().properties(file(&text))),
            [format!("unknown key {P}{written} (ws.properties line 1)")],
        );
    }
}

#[test]
fn all_errors_are_reported_at_once() {
    let text = format!("{P}IO_TIMEOUT_MS=x\n{P}MAX_REDIRECTIONS=y\n{P}BOGUS=1\n");
    let err = Sources::new()
        .properties(file(&text))
        .resolve()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "3 configuration errors:\n  \
             unknown key {P}BOGUS (ws.properties line 3)\n  \
             {P}IO_TIMEOUT_MS = \"x\" (ws.properties line 1): malformed; expected a positive integer of milliseconds\n  \
             {P}MAX_REDIRECTIONS = \"y\" (ws.properties line 2): malformed; expected an integer from 0 to 2147483647"
        )
    );
}

const PROXY: [(&str, &str); 3] = [
    (
        "WS_AUTHENTICATION_PROXY_USER_NAME",
        "WS_PROXY_AUTHENTICATION_USER_NAME",
    ),
    (
        "WS_AUTHENTICATION_PROXY_PASSWORD",
        "WS_PROXY_AUTHENTICATION_PASSWORD",
    ),
    (
        "WS_AUTHENTICATION_PROXY_REALM",
        "WS_PROXY_AUTHENTICATION_REALM",
    ),
];

fn proxy_file(spelling: impl Fn(usize) -> &'static str) -> String {
    let values = ["bob", "pw", "corp"];
    (0..3)
        .map(|i| format!("{P}{}={}\n", spelling(i), values[i]))
        .collect()
}

#[test]
fn spellings_in_different_files_follow_file_order() {
    let first = format!("{P}WS_PROXY_AUTHENTICATION_USER_NAME=first\n");
    let second = format!(
        "{P}WS_AUTHENTICATION_PROXY_USER_NAME=second\n{P}WS_AUTHENTICATION_PROXY_PASSWORD=pw\n"
    );
    let c = Sources::new()
        .properties(file(&first))
        .properties(file(&second))
        .resolve()
        .unwrap();
    assert_eq!(
        c.ws_authentication_proxy_user_name().as_deref(),
        Some("second")
    );
}

#[test]
fn proxy_credentials_under_either_spelling() {
    for text in [
        proxy_file(|i| PROXY[i].0),
        proxy_file(|i| PROXY[i].1),
        proxy_file(|i| if i == 1 { PROXY[i].0 } else { PROXY[i].1 }),
    ] {
        let c = Sources::new().properties(file(&text)).resolve().unwrap();
        let creds = c.client_settings().proxy_credentials.unwrap();
        assert_eq!(creds.user_name, "bob", "{text}");
        assert_eq!(creds.password.expose(), "pw");
        assert_eq!(creds.realm.as_deref(), Some("corp"));
    }
    // Both spellings with one value are fine.
    let both = proxy_file(|i| PROXY[i].0) + &proxy_file(|i| PROXY[i].1);
    assert!(Sources::new().properties(file(&both)).resolve().is_ok());
}

#[test]
fn proxy_spellings_with_different_values_conflict() {
    let text = format!(
        "{P}WS_PROXY_AUTHENTICATION_USER_NAME=bob\n\
         {P}WS_AUTHENTICATION_PROXY_USER_NAME=rob\n\
         {P}WS_AUTHENTICATION_PROXY_PASSWORD=pw-alpha\n\
         {P}WS_PROXY_AUTHENTICATION_PASSWORD=pw-beta\n"
    );
    // Reported in name order.
    let errs = errors(Sources::new().properties(file(&text)));
    assert_eq!(
        errs,
        [
            format!(
                "{P}WS_AUTHENTICATION_PROXY_PASSWORD is given twice with different values: \
                 *** (ws.properties line 3) and *** (ws.properties line 4); remove one"
            ),
            format!(
                "{P}WS_AUTHENTICATION_PROXY_USER_NAME is given twice with different values: \
                 \"rob\" (ws.properties line 2) and \"bob\" (ws.properties line 1); remove one"
            ),
        ]
    );
    assert!(!errs.concat().contains("pw-"));
}

#[test]
fn proxy_spellings_across_sources_follow_precedence() {
    let text = format!(
        "{P}WS_PROXY_AUTHENTICATION_USER_NAME=file-user\n\
         {P}WS_PROXY_AUTHENTICATION_PASSWORD=file-pw\n"
    );
    let c = Sources::new()
        .properties(file(&text))
        .set(keys::WS_AUTHENTICATION_PROXY_USER_NAME, "code-user")
        .resolve()
        .unwrap();
    let creds = c.client_settings().proxy_credentials.unwrap();
    assert_eq!(creds.user_name, "code-user");
    assert_eq!(creds.password.expose(), "file-pw");
}

#[test]
fn incomplete_credentials_are_errors() {
    assert_eq!(
        errors(Sources::new().set(keys::WS_AUTHENTICATION_USER_NAME, "alice")),
        [format!(
            "{P}WS_AUTHENTICATION_USER_NAME is set (set in code) but \
             {P}WS_AUTHENTICATION_PASSWORD is not; set both or neither"
        )]
    );
    let text = format!("{P}WS_PROXY_AUTHENTICATION_PASSWORD=pw\n");
    assert_eq!(
        errors(Sources::new().properties(file(&text))),
        [format!(
            "{P}WS_AUTHENTICATION_PROXY_PASSWORD is set (ws.properties line 1) but \
             {P}WS_AUTHENTICATION_PROXY_USER_NAME is not; set both or neither"
        )]
    );
    assert_eq!(
        errors(Sources::new().set(keys::WS_AUTHENTICATION_REALM, "r")),
        [format!(
            "{P}WS_AUTHENTICATION_REALM is set (set in code) but \
             {P}WS_AUTHENTICATION_USER_NAME is not; set both or neither"
        )]
    );
}

#[test]
fn passwords_never_appear_in_debug_or_errors() {
    let text = format!(
        "{P}WS_AUTHENTICATION_USER_NAME=alice\n\
         {P}WS_AUTHENTICATION_PASSWORD=pw-one-secret\n\
         {P}WS_PROXY_AUTHENTICATION_USER_NAME=bob\n\
         {P}WS_PROXY_AUTHENTICATION_PASSWORD=pw-two-secret\n\
         {P}SSL_TRUSTSTORE_PWD=pw-three-secret\n\
         other.app.db.password=pw-four-secret\n"
    );
    let props = file(&text);
    let config = Sources::new().properties(props.clone()).resolve().unwrap();
    let client = config.client_settings();
    assert_eq!(client.tls.truststore_password.expose(), "pw-three-secret");
    let shown = [
        format!("{props:?}"),
        format!("{config:?}"),
        format!("{client:?}"),
        format!("{:?}", client.credentials),
        format!("{}", client.tls.truststore_password),
        format!("{:?}", props.get(&format!("{P}WS_AUTHENTICATION_PASSWORD"))),
    ];
    for text in &shown {
        assert!(!text.contains("secret"), "leaked: {text}");
    }
    assert!(
        shown[0].contains("alice"),
        "non-secrets stay visible: {}",
        shown[0]
    );
    assert!(shown[2].contains("***"));

    // Errors about a password show *** in Display and Debug.
    let err = Sources::new()
        .set(keys::WS_AUTHENTICATION_PASSWORD, 12345)
        .set(keys::WS_AUTHENTICATION_USER_NAME, "alice")
        .resolve()
        .unwrap_err();
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(text.contains("***") && !text.contains("12345"), "{text}");
    }
}

#[test]
fn sources_debug_shows_no_environment_values_or_passwords() {
    let sources = Sources::new()
        .env([
            ("AWS_SECRET_ACCESS_KEY", "leak-1"),
            (
                "ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_ORIGIN_HEADER_VALUE",
                "leak-2",
            ),
        ])
        .set(keys::SSL_TRUSTSTORE_PWD, "leak-3")
        .set(keys::MAX_REDIRECTIONS, 7);
    let shown = format!("{sources:?}");
    assert!(!shown.contains("leak-"), "{shown}");
    assert!(!shown.contains("AWS_SECRET_ACCESS_KEY"), "{shown}");
    assert!(shown.contains("ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_ORIGIN_HEADER_VALUE"));
    assert!(shown.contains("MAX_REDIRECTIONS\": 7"), "{shown}");
}
