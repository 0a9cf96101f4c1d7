//! The repository's ready `websocket.properties`: it loads in strict mode, every
//! key it names exists, and every commented-out value it shows is the default.

use ws_config::{Key, Properties, Sources, PREFIX};

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../websocket.properties");

/// The commented-out entries (`#` directly followed by a full key name), parsed.
fn commented_entries(text: &str) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let Some(entry) = line.strip_prefix('#').filter(|e| e.starts_with(PREFIX)) else {
            continue;
        };
        let parsed = Properties::parse(entry, "websocket.properties").unwrap();
        let (name, value, _) = parsed.iter().next().unwrap();
        let value = match value {
            ws_config::Value::Str(s) => s.clone(),
            other => panic!("{other:?}"),
        };
        out.push((name.to_owned(), value, index + 1));
    }
    out
}

#[test]
fn the_shipped_file_loads_and_names_only_known_keys() {
    let file = Properties::read(FILE).unwrap();
    let config = Sources::new().properties(file.clone()).resolve().unwrap();
    assert!(config.warnings().is_empty());
    assert_eq!(config.session_config().text_buffer_size, 16 << 20);
    assert_eq!(config.session_config().binary_buffer_size, 16 << 20);
    let text = std::fs::read_to_string(FILE).unwrap();
    let commented = commented_entries(&text);
    assert!(commented.len() >= 15, "{commented:?}");
    let active = file.iter().map(|(name, _, _)| name.to_owned());
    for name in active.chain(commented.iter().map(|(n, _, _)| n.clone())) {
        assert!(Key::lookup(&name).is_some(), "{name} is no key");
    }
}

#[test]
fn every_commented_value_is_the_default() {
    let text = std::fs::read_to_string(FILE).unwrap();
    let defaults = Sources::new().resolve().unwrap();
    for (name, value, line) in commented_entries(&text) {
        let key = Key::lookup(&name).unwrap();
        if value.is_empty() {
            assert!(
                key.default_doc().starts_with("unset") || key.default_doc().contains("default"),
                "line {line}: {name} is shown unset but defaults to {}",
                key.default_doc()
            );
            continue;
        }
        let set = Sources::new()
            .properties(Properties::new().with(name.clone(), value.clone()))
            .resolve()
            .unwrap_or_else(|e| panic!("line {line}: {e}"));
        assert!(
            set.session_config() == defaults.session_config()
                && set.server_settings() == defaults.server_settings()
                && set.client_settings() == defaults.client_settings(),
            "line {line}: {name}={value} is not the default ({})",
            key.default_doc()
        );
    }
}
