//! Renders `docs/config.md` from the table.

use std::fmt::Write;

use crate::key::{Scope, ENV_PREFIX, PREFIX};
use crate::keys;

/// The command that regenerates `docs/config.md`.
pub const REGENERATE: &str = "UPDATE_DOCS=1 cargo test -p ws-config --test docs";

/// Escapes a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The Markdown reference of every key (the content of `docs/config.md`).
pub fn markdown() -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# Configuration keys\n");
    let _ = writeln!(
        w,
        "<!-- Generated from ws-config/src/table.rs; do not edit. Regenerate with `{REGENERATE}`. -->\n"
    );
    let _ = writeln!(
        w,
        "Tomcat's WebSocket keys, read by the `ws-config` crate. Every key starts with \
         `{PREFIX}`; the table shows the rest.\n\n\
         **Sources**, highest precedence first: values set in code, `.properties` files \
         (Java syntax), the environment, the defaults below. Only system-property keys \
         are read from the environment, under the full key name or its upper-case form \
         with `_` for `.` (`{ENV_PREFIX}DEFAULT_BUFFER_SIZE`).\n\n\
         **Values**: numeric keys take integers or strings (`5000` and `\"5000\"`; whitespace \
         around numbers, booleans and list entries is ignored; booleans are `true` or \
         `false` in any case). A bad \
         value, an unknown key under the prefix, or a non-system key in the environment \
         is an error naming the key, the value and what was expected (lenient mode turns \
         the last two into warnings); an unknown key gets the nearest known one as a \
         suggestion. Passwords are never printed.\n\n\
         **Full names only**: in a `.properties` file a key's short name alone \
         (`textBufferSize=16777216`) is refused with a message naming the full key \
         (`{PREFIX}textBufferSize`), so that a file means the same here and in Tomcat, \
         which reads only full names. The repository's `websocket.properties` lists the \
         common keys with their defaults.\n"
    );
    let _ = writeln!(w, "| key | scope | type / unit | default | meaning |");
    let _ = writeln!(w, "|---|---|---|---|---|");
    for key in keys::ALL {
        let mut name = format!("`{}`", key.short_name());
        if let Some(alias) = key.alias() {
            let short = alias.strip_prefix(PREFIX).unwrap_or(alias);
            let _ = write!(name, "<br>or `{short}`");
        }
        let scope = match key.scope() {
            Scope::System => format!("{} (also environment)", key.scope()),
            other => other.to_string(),
        };
        let _ = writeln!(
            w,
            "| {name} | {scope} | {} | {} | {} |",
            cell(&key.value_type()),
            cell(key.default_doc()),
            cell(&key.doc()),
        );
    }
    out
}
