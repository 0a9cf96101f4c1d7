//! `docs/config.md` is generated from the table; this test fails when it is stale.
//! Regenerate with `UPDATE_DOCS=1 cargo test -p ws-config --test docs`.

use std::path::PathBuf;

#[test]
fn docs_config_md_is_fresh() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/config.md");
    let want = ws_config::docs::markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).expect("write docs/config.md");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/config.md is stale or missing; regenerate it with `{}`",
        ws_config::docs::REGENERATE
    );
}

#[test]
fn docs_list_every_key_and_alias() {
    let md = ws_config::docs::markdown();
    for key in ws_config::keys::ALL {
        assert!(md.contains(&format!("| `{}`", key.short_name())), "{key}");
        if let Some(alias) = key.alias() {
            let short = alias.strip_prefix(ws_config::PREFIX).unwrap();
            assert!(md.contains(&format!("or `{short}`")), "{alias}");
        }
    }
    // One row per key, plus the header and separator.
    let rows = md.lines().filter(|l| l.starts_with("| ")).count();
    assert_eq!(rows, ws_config::keys::ALL.len() + 1);
}
