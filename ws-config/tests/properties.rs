//! The Java `.properties` format: separators, comments, continuations, escapes,
//! errors with line numbers, and reading files.

use ws_config::{ConfigError, Origin, Properties, Sources, Value};

fn parse(text: &str) -> Properties {
    Properties::parse(text, "t.properties").unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn get(props: &Properties, key: &str) -> Option<String> {
    match props.get(key)? {
        Value::Str(s) => Some(s.clone()),
        other => panic!("{other:?}"),
    }
}

fn line(props: &Properties, key: &str) -> usize {
    match props.origin(key) {
        Some(Origin::File { line, .. }) => *line,
        other => panic!("{other:?}"),
    }
}

#[test]
fn comments_and_blank_lines() {
    let p = parse("# a comment\n  ! another\n\n \t \na=1\n#b=2\n!c=3\n");
    assert_eq!(p.len(), 1);
    assert_eq!(get(&p, "a").as_deref(), Some("1"));
    assert_eq!(line(&p, "a"), 5);
    // A `#` after a key is part of the value.
    let p = parse("a=1 # not a comment");
    assert_eq!(get(&p, "a").as_deref(), Some("1 # not a comment"));
}

#[test]
fn continuation_lines() {
    let p = parse("list = one, \\\n       two, \\\n\t three\nnext=x\n");
    assert_eq!(get(&p, "list").as_deref(), Some("one, two, three"));
    assert_eq!(line(&p, "list"), 1);
    assert_eq!(line(&p, "next"), 4);
    // An even number of trailing backslashes is an escaped backslash, not a
    // continuation.
    let p = parse("path=C:\\\\dir\\\\\nnext=x");
    assert_eq!(get(&p, "path").as_deref(), Some("C:\\dir\\"));
    assert_eq!(get(&p, "next").as_deref(), Some("x"));
    // Three backslashes: one escaped backslash, then a continuation.
    let p = parse("a=x\\\\\\\n  y");
    assert_eq!(get(&p, "a").as_deref(), Some("x\\y"));
    // A continued line may start with `#`: it is not a comment there.
    let p = parse("a=1\\\n#2");
    assert_eq!(get(&p, "a").as_deref(), Some("1#2"));
    // A comment never continues.
    let p = parse("# comment \\\na=1");
    assert_eq!(get(&p, "a").as_deref(), Some("1"));
    // A continuation at the end of the text ends the entry.
    let p = parse("a=1\\");
    assert_eq!(get(&p, "a").as_deref(), Some("1"));
    // The key itself may continue.
    let p = parse("org.apache.\\\n  tomcat=1");
    assert_eq!(get(&p, "org.apache.tomcat").as_deref(), Some("1"));
    // CRLF line ends continue as well.
    let p = parse("a=1,\\\r\n  2\r\nb=3\r\n");
    assert_eq!(get(&p, "a").as_deref(), Some("1,2"));
    assert_eq!(line(&p, "b"), 3);
}

#[test]
fn escapes() {
    let p = parse(r"a=tab\there\nnew\rret\fff");
    assert_eq!(get(&p, "a").as_deref(), Some("tab\there\nnew\rret\x0cff"));
    let p = parse(r"u=\u0041\u00e9\u20AC");
    assert_eq!(get(&p, "u").as_deref(), Some("Aé€"));
    // A surrogate pair is one character.
    let p = parse(r"emoji=\uD83D\uDE00");
    assert_eq!(get(&p, "emoji").as_deref(), Some("😀"));
    // Escaped separators and spaces belong to the key.
    let p = parse(r"a\=b\:c\ d = v");
    assert_eq!(get(&p, "a=b:c d").as_deref(), Some("v"));
    // Other escaped characters stand for themselves.
    let p = parse(r"k=\q\#\\");
    assert_eq!(get(&p, "k").as_deref(), Some("q#\\"));
    // Escaped leading whitespace in a value is kept.
    let p = parse(r"k=\ \ x");
    assert_eq!(get(&p, "k").as_deref(), Some("  x"));
    // UTF-8 text needs no escapes.
    let p = parse("k=grüße");
    assert_eq!(get(&p, "k").as_deref(), Some("grüße"));
}

#[test]
fn malformed_escapes_are_errors_with_line_numbers() {
    let err = Properties::parse("ok=1\nbad=\\u12G4\nworse=\\u12\n", "t.properties").unwrap_err();
    let messages: Vec<String> = err.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "t.properties line 2: malformed \\uXXXX escape: \\u12G4",
            "t.properties line 3: malformed \\uXXXX escape: \\u12",
        ]
    );
    let err = Properties::parse("a=\\uD83D", "t.properties").unwrap_err();
    assert_eq!(
        err.errors[0].to_string(),
        "t.properties line 1: unpaired UTF-16 surrogate in \\u escapes"
    );
    assert!(matches!(err.errors[0], ConfigError::Syntax { .. }));
}

#[test]
fn a_later_entry_replaces_an_earlier_one() {
    let p = parse("a=1\nb=2\na=3\n");
    assert_eq!(get(&p, "a").as_deref(), Some("3"));
    assert_eq!(line(&p, "a"), 3);
    assert_eq!(p.len(), 2);
}

#[test]
fn byte_order_mark_is_skipped() {
    let p = parse("\u{feff}a=1");
    assert_eq!(get(&p, "a").as_deref(), Some("1"));
}

fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ws-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn reads_utf8_and_latin1_files() {
    let utf8 = temp_file("utf8.properties", "k=grüße\n".as_bytes());
    assert_eq!(
        get(&Properties::read(&utf8).unwrap(), "k").as_deref(),
        Some("grüße")
    );
    // Not UTF-8: read as ISO-8859-1, like Java's Properties.load(InputStream).
    let latin1 = temp_file("latin1.properties", b"k=gr\xfc\xdfe\n");
    assert_eq!(
        get(&Properties::read(&latin1).unwrap(), "k").as_deref(),
        Some("grüße")
    );
    let props = Properties::read(&utf8).unwrap();
    assert!(matches!(
        props.origin("k"),
        Some(Origin::File { name, line: 1 }) if name.ends_with("utf8.properties")
    ));
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let err = Sources::new()
        .properties_file("/nonexistent/ws.properties")
        .unwrap_err();
    let text = err.errors[0].to_string();
    assert!(
        text.starts_with("cannot read properties file /nonexistent/ws.properties: "),
        "{text}"
    );
    assert!(matches!(err.errors[0], ConfigError::Read { .. }));
}

#[test]
fn a_tomcat_style_file_end_to_end() {
    let text = "\
# WebSocket client settings
org.apache.tomcat.websocket.IO_TIMEOUT_MS=2500
org.apache.tomcat.websocket.MAX_REDIRECTIONS : 3
org.apache.tomcat.websocket.SSL_PROTOCOLS   TLSv1.3
org.apache.tomcat.websocket.SSL_TRUSTSTORE=/etc/ws/trust\\u002ep12
org.apache.tomcat.websocket.DEFAULT_ORIGIN_HEADER_VALUE = \\
    https://app.example
org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT=-1
org.apache.tomcat.websocket.textBufferSize=32768
";
    let path = temp_file("client.properties", text.as_bytes());
    let config = Sources::new()
        .properties_file(&path)
        .unwrap()
        .resolve()
        .unwrap();
    let client = config.client_settings();
    assert_eq!(client.io_timeout.as_millis(), 2500);
    assert_eq!(client.max_redirections, 3);
    assert_eq!(client.blocking_send_timeout, None);
    assert_eq!(
        client.tls.truststore.as_deref(),
        Some(std::path::Path::new("/etc/ws/trust.p12"))
    );
    assert_eq!(
        client.default_origin.as_deref(),
        Some("https://app.example")
    );
    assert_eq!(config.session_config().text_buffer_size, 32768);
}

#[test]
fn properties_from_iterators_and_builders() {
    let p: Properties = [("a", 1), ("b", 2)].into_iter().collect();
    assert_eq!(p.get("b"), Some(&Value::Int(2)));
    let p = Properties::new().with("x", true).with("y", "z");
    assert_eq!(p.get("x"), Some(&Value::Bool(true)));
    assert_eq!(p.origin("y"), Some(&Origin::Code));
    assert!(!p.is_empty());
    let names: Vec<&str> = p.iter().map(|(n, _, _)| n).collect();
    assert_eq!(names, ["x", "y"]);
}
