//! Tomcat's WebSocket configuration keys (`org.apache.tomcat.websocket.*`) as typed,
//! validated configuration.
//!
//! One declarative table (`src/table.rs`) lists every key once: name, scope, value
//! type and unit, default and documentation. From it come the typed key constants
//! ([`keys`]), parsing and validation, the detection of unknown keys, the typed
//! getters of [`Config`], and `docs/config.md` (kept in sync by a test; regenerate
//! with `UPDATE_DOCS=1 cargo test -p ws-config --test docs`). This crate is the only
//! place in the workspace where the key strings appear (a tidy test in `xtask`
//! checks it).
//!
//! # Loading configuration
//!
//! [`Sources`] collects values, [`Sources::resolve`] validates them into a
//! [`Config`], and the config builds the typed settings of each layer:
//! [`Config::session_config`] ([`ws_session::SessionConfig`]),
//! [`Config::server_settings`] ([`ServerSettings`]) and [`Config::client_settings`]
//! ([`ClientSettings`], which in turn gives the handshake crate's
//! [`ws_handshake::Limits`] via [`ClientSettings::response_limits`] and converts its
//! [`Credentials`] into `ws_handshake::auth::Credentials`). A front-end typically
//! does:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ws_config::Sources::new()
//!     .properties_file("websocket.properties")?
//!     .process_env()
//!     .resolve()?;
//! let session = config.session_config();
//! let server = config.server_settings();
//! # let _ = (session, server);
//! # Ok(()) }
//! ```
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use ws_config::{keys, Properties, Sources, TlsVersion};
//!
//! let file = Properties::parse(
//!     "# client settings\n\
//!      org.apache.tomcat.websocket.IO_TIMEOUT_MS = 3000\n\
//!      org.apache.tomcat.websocket.SSL_PROTOCOLS = TLSv1.2, \\\n\
//!                                                  TLSv1.3\n\
//!      org.apache.tomcat.websocket.WS_AUTHENTICATION_USER_NAME = alice\n\
//!      org.apache.tomcat.websocket.WS_AUTHENTICATION_PASSWORD = s3cret\n\
//!      org.apache.tomcat.websocket.textBufferSize: 65536\n",
//!     "websocket.properties",
//! )?;
//! let config = Sources::new()
//!     .properties(file)
//!     // Only system properties come from the environment.
//!     .env([("ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_BUFFER_SIZE", "16384")])
//!     // Code wins over the file.
//!     .set(keys::MAX_REDIRECTIONS, 0)
//!     .resolve()?;
//!
//! let session = config.session_config();
//! assert_eq!(session.text_buffer_size, 65536);
//! assert_eq!(session.binary_buffer_size, 16384); // from DEFAULT_BUFFER_SIZE
//! assert_eq!(session.session_close_timeout, Duration::from_secs(30)); // Tomcat's default
//!
//! let client = config.client_settings();
//! assert_eq!(client.io_timeout, Duration::from_millis(3000));
//! assert_eq!(client.max_redirections, 0);
//! assert_eq!(client.tls.protocols, Some(vec![TlsVersion::Tls12, TlsVersion::Tls13]));
//! let credentials = client.credentials.as_ref().unwrap();
//! assert_eq!(credentials.password.expose(), "s3cret");
//! assert!(!format!("{client:?}").contains("s3cret"));
//!
//! // A bad value names the key, the value, where it came from and what was expected.
//! let err = Sources::new().set(keys::IO_TIMEOUT_MS, "soon").resolve().unwrap_err();
//! assert_eq!(
//!     err.errors[0].to_string(),
//!     "org.apache.tomcat.websocket.IO_TIMEOUT_MS = \"soon\" (set in code): malformed; \
//!      expected a positive integer of milliseconds"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Decisions
//!
//! * **Precedence**: values set in code > `.properties` files > environment
//!   (system-property keys only) > defaults. Only the winning value of a key is
//!   validated, so a higher source can override a bad lower one.
//! * **Environment**: a system-property key is read from the variable named like the
//!   full key (`org.apache.tomcat.websocket.DEFAULT_BUFFER_SIZE`, possible with
//!   `env`/`docker`) or from its upper-case form with `_` for `.`
//!   (`ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_BUFFER_SIZE`). Both with different values
//!   is an error. Other keys found in the environment are errors
//!   ([`ConfigError::NotFromEnvironment`]) because they would otherwise be silently
//!   ignored. Tests inject variables with [`Sources::env`]; only
//!   [`Sources::process_env`] reads the real environment.
//! * **Proxy credentials**: Tomcat's code reads `WS_AUTHENTICATION_PROXY_*` and its
//!   documentation says `WS_PROXY_AUTHENTICATION_*`; both are accepted. Both
//!   spellings of one key in the same source are fine with equal values and an error
//!   ([`ConfigError::ConflictingSpellings`]) with different ones; across sources the
//!   usual precedence applies.
//! * **Strict and lenient**: by default a name under the prefix that is no key, and a
//!   non-system key in the environment, are errors; [`Mode::Lenient`] collects them
//!   as [`Config::warnings`] instead. Bad values are errors in both modes. Names
//!   outside the prefix are other applications' keys and are ignored, with one
//!   exception below.
//! * **Short names are refused**: a properties file line that names a key without
//!   the prefix (`textBufferSize=16777216`; compared ignoring case, `_`, `.` and
//!   `-`) is an error (a warning in lenient mode) that names the full key
//!   ([`ConfigError::MissingPrefix`]), and its value is not used. We chose refusing
//!   over accepting it with a note: a file then means the same here and in Tomcat,
//!   which reads only full names (a file that works here works there); there is
//!   one spelling per key, so no precedence rule between a short and a full name;
//!   and a library has no business writing notes on stderr. The fix is spelled out
//!   in the message. Maps built in code ([`Sources::code`]) are not checked: like
//!   Tomcat's user properties they hold the application's own names.
//! * **Suggestions**: an unknown name under the prefix gets the nearest known key
//!   ("did you mean ...?"): one equal up to case and separators, else the most
//!   similar by Jaro-Winkler similarity (`strsim`) above 0.85. Jaro-Winkler weighs
//!   a shared beginning, which is how key names are mistyped (`IO_TIMEOUT` for
//!   `IO_TIMEOUT_MS`, `SSL_TRUSTSTORE_PASSWORD` for `SSL_TRUSTSTORE_PWD`); an edit
//!   distance misses the second (5 edits) unless its threshold is so loose that
//!   short names get wild guesses.
//! * **Stricter than Tomcat**: wrong types are reported, not ignored; booleans are
//!   `true`/`false` only (any case); `BLOCKING_SEND_TIMEOUT` takes `-1` for "no
//!   timeout" but no other negative value; `SESSION_CLOSE_TIMEOUT` and
//!   `ABNORMAL_SESSION_CLOSE_SEND_TIMEOUT` reject values <= 0 where Tomcat silently
//!   uses its default; `textBufferSize` counts bytes and is at least 4.
//! * **Server and client settings**: `ws-server` and `ws-client` do not exist yet, so
//!   this crate owns their plain typed settings, [`ServerSettings`] and
//!   [`ClientSettings`]; the front-ends depend on `ws-config` and read them.
//!   `BLOCKING_SEND_TIMEOUT` is in both (blocking sends are a front-end feature).
//! * **`SSL_CONTEXT`** is an opaque [`TlsContext`] (any `Send + Sync` object) that
//!   only code can set; the client downcasts it to its TLS library's type.
//! * **`DEFAULT_PROCESS_PERIOD`** is validated but has no effect: our timeouts fire at
//!   their deadline instead of on a polling tick.
//! * **Secrets**: passwords are [`Secret`]s, printed as `***` by `Debug` and
//!   `Display`; error messages for secret keys show `***` as the value.
//!
//! # The `.properties` format
//!
//! [`Properties::parse`] follows `java.util.Properties.load`: `key=value`,
//! `key:value` and `key value`; `#` and `!` comment lines; leading whitespace
//! ignored; a trailing backslash continues the line; escapes `\t`, `\n`, `\r`, `\f`,
//! `\uXXXX` (surrogate pairs included) and `\c` = `c`. Files are read as UTF-8, or as
//! ISO-8859-1 when they are not valid UTF-8. The parser is our own (a few dozen
//! lines; no dependency and line numbers in errors).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
pub mod docs;
mod error;
mod format;
mod key;
mod kinds;
mod origin;
mod properties;
mod server;
mod session;
mod sources;
mod table;
mod tls;
mod value;

pub use client::{ClientSettings, Credentials, TlsSettings};
pub use error::{ConfigError, ConfigErrors, Problem};
pub use key::{Key, Scope, ENV_PREFIX, PREFIX};
pub use origin::Origin;
pub use properties::Properties;
pub use server::ServerSettings;
pub use sources::{Mode, Sources};
pub use table::{keys, Config};
pub use tls::TlsVersion;
pub use value::{Secret, TlsContext, Value};

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
