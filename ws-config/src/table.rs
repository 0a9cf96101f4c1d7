//! THE table: every Tomcat WebSocket key, once. From it come the typed key constants
//! ([`keys`](crate::keys)), the validated [`Config`] with one typed getter per key,
//! the list that detects unknown keys, and `docs/config.md`.
//!
//! A row reads:
//!
//! ```text
//! /// doc (the "meaning" column of docs/config.md)
//! CONST = "shortName" [| "alias"]: Scope, Kind => getter: Type = default, "default for docs";
//! ```
//!
//! `default` is `(expr)` for a key with a fixed default (the getter returns `Type`) or
//! `unset` (the getter returns `Option<Type>`; a dependent default is applied by the
//! conversions and named in the docs column).

use std::path::PathBuf;
use std::time::Duration;

use crate::error::ConfigError;
use crate::key::{prefixed, Key, Scope};
use crate::kinds::{
    Bytes, Count, FilePath, Flag, HeaderValue, IdleTimeout, Kind, Millis, Protocols, Seconds,
    SecretText, SendTimeout, Text, TlsObject,
};
use crate::origin::Origin;
use crate::tls::TlsVersion;
use crate::value::{Secret, TlsContext, Value};

/// A value found for a key by the sources: the value, where it came from, and the
/// name it was written under.
pub(crate) struct Found {
    pub(crate) value: Value,
    pub(crate) origin: Origin,
    pub(crate) written: String,
}

macro_rules! alias {
    () => {
        None
    };
    ($alias:literal) => {
        Some(prefixed!($alias))
    };
}

macro_rules! getter {
    ($konst:ident, $field:ident, $out:ty, unset, $default_doc:literal) => {
        #[doc = concat!("The value of [`", stringify!($konst), "`](crate::keys::", stringify!($konst), "), if a source set it.")]
        pub fn $field(&self) -> Option<$out> {
            self.$field.clone()
        }
    };
    ($konst:ident, $field:ident, $out:ty, ($default:expr), $default_doc:literal) => {
        #[doc = concat!("The value of [`", stringify!($konst), "`](crate::keys::", stringify!($konst), "), or its default (", $default_doc, ").")]
        pub fn $field(&self) -> $out {
            self.$field.clone().unwrap_or_else(|| $default)
        }
    };
}

macro_rules! config_table {
    ($(
        $(#[doc = $doc:literal])+
        $konst:ident = $short:literal $(| $alias:literal)?: $scope:ident, $kind:ty
            => $field:ident: $out:ty = $default:tt, $default_doc:literal;
    )+) => {
        /// Typed key constants, one per Tomcat key, generated from the table.
        pub mod keys {
            use super::*;
            $(
                $(#[doc = $doc])+
                #[doc = concat!("\n\nKey `", prefixed!($short), "`, default: ", $default_doc, ".")]
                pub const $konst: Key = Key {
                    name: prefixed!($short),
                    short: $short,
                    alias: alias!($($alias)?),
                    scope: Scope::$scope,
                    type_doc: <$kind as Kind>::type_doc,
                    expected: <$kind as Kind>::expected,
                    default_doc: $default_doc,
                    doc: concat!($($doc, "\n"),+),
                    secret: <$kind as Kind>::SECRET,
                };
            )+

            /// Every key, in table order.
            pub const ALL: &[Key] = &[$($konst),+];
        }

        /// The validated configuration: one typed value per key, from the sources in
        /// precedence order (see [`Sources`](crate::Sources)).
        ///
        /// Getters return the effective value (the default when no source set the
        /// key); the `session_config`, `server_settings` and `client_settings` methods
        /// turn it into the typed settings of each layer.
        #[derive(Clone, Debug, Default)]
        pub struct Config {
            $( $field: Option<$out>, )+
            pub(crate) warnings: Vec<ConfigError>,
        }

        impl Config {
            $( getter!($konst, $field, $out, $default, $default_doc); )+

            /// Validates the value `find` gives for each key, collecting errors.
            pub(crate) fn from_found(
                mut find: impl FnMut(&Key) -> Option<Found>,
                errors: &mut Vec<ConfigError>,
            ) -> Config {
                let mut config = Config::default();
                $(
                    if let Some(found) = find(&keys::$konst) {
                        match <$kind as Kind>::parse(&found.value) {
                            Ok(v) => config.$field = Some(v),
                            Err(problem) => errors.push(ConfigError::InvalidValue {
                                value: found.value.describe(keys::$konst.secret),
                                key: found.written,
                                origin: found.origin,
                                problem,
                                expected: keys::$konst.expected(),
                            }),
                        }
                    }
                )+
                config
            }

            /// Whether a source set `key` (defaults do not count).
            pub fn is_set(&self, key: &Key) -> bool {
                $( if *key == keys::$konst { return self.$field.is_some(); } )+
                false
            }
        }
    };
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

config_table! {
    /// Write timeout of a blocking send (whole or partial message, ping, pong, close).
    /// On expiry the send fails and the session closes: 1001 to the peer, 1006
    /// reported locally. Tomcat ignores a value of the wrong type and treats any
    /// negative value as "no timeout"; we accept only `-1` for that and report
    /// anything else.
    BLOCKING_SEND_TIMEOUT = "BLOCKING_SEND_TIMEOUT": Session, SendTimeout
        => blocking_send_timeout: Option<Duration> = (Some(ms(20_000))), "20000";

    /// After sending a close frame, how long to wait for the peer's close before
    /// dropping the connection. Tomcat silently replaces values <= 0 by the default;
    /// we report them.
    SESSION_CLOSE_TIMEOUT = "SESSION_CLOSE_TIMEOUT": Session, Millis
        => session_close_timeout: Duration = (ms(30_000)), "30000";

    /// Write timeout for a close frame whose code is not 1000. Tomcat silently
    /// replaces values <= 0 by the default; we report them.
    ABNORMAL_SESSION_CLOSE_SEND_TIMEOUT = "ABNORMAL_SESSION_CLOSE_SEND_TIMEOUT": Session, Millis
        => abnormal_session_close_send_timeout: Duration = (ms(50)), "50";

    /// No message received for this long: the session closes with 1001 to the peer
    /// and 1006 locally.
    READ_IDLE_TIMEOUT_MS = "READ_IDLE_TIMEOUT_MS": Session, IdleTimeout
        => read_idle_timeout: Option<Duration> = (None), "unset (off)";

    /// No message sent for this long: the session closes with 1001 to the peer and
    /// 1006 locally. Independent of the standard max idle timeout, which fires only
    /// when both directions are idle.
    WRITE_IDLE_TIMEOUT_MS = "WRITE_IDLE_TIMEOUT_MS": Session, IdleTimeout
        => write_idle_timeout: Option<Duration> = (None), "unset (off)";

    /// Largest binary message delivered whole (larger closes with 1009), and the
    /// largest part in partial delivery.
    BINARY_BUFFER_SIZE = "binaryBufferSize": Context, Bytes<1>
        => binary_buffer_size: usize = unset, "`DEFAULT_BUFFER_SIZE` (8192)";

    /// Largest text message delivered whole (larger closes with 1009), and the largest
    /// part in partial delivery. Counted in UTF-8 bytes (Tomcat counts UTF-16 units),
    /// at least 4 so a part can hold any character.
    TEXT_BUFFER_SIZE = "textBufferSize": Context, Bytes<4>
        => text_buffer_size: usize = unset, "`DEFAULT_BUFFER_SIZE` (8192)";

    /// When true, adding endpoints to the server after the first handshake has started
    /// is refused (the WebSocket 1.0 rule).
    NO_ADD_AFTER_HANDSHAKE = "noAddAfterHandshake": Context, Flag
        => no_add_after_handshake: bool = unset, "`STRICT_SPEC_COMPLIANCE` (false)";

    /// Flips the default of `noAddAfterHandshake` to true. An explicit
    /// `noAddAfterHandshake` always wins.
    STRICT_SPEC_COMPLIANCE = "STRICT_SPEC_COMPLIANCE": System, Flag
        => strict_spec_compliance: bool = (false), "false";

    /// Client: timeout of each I/O step while connecting (TCP connect, proxy CONNECT,
    /// TLS handshake, writing the upgrade request, each read of the response).
    /// Tomcat reads it only as a string; we take strings and integers.
    IO_TIMEOUT_MS = "IO_TIMEOUT_MS": Client, Millis
        => io_timeout: Duration = (ms(5_000)), "5000";

    /// Client: largest upgrade (and proxy CONNECT) response header accepted; over it
    /// the connect fails.
    MAX_HTTP_RESPONSE_HEADER_BYTES = "MAX_HTTP_RESPONSE_HEADER_BYTES": Client, Bytes<1>
        => max_http_response_header_bytes: usize = (8192), "8192";

    /// Client: how many HTTP redirects to follow; 0 disables following.
    MAX_REDIRECTIONS = "MAX_REDIRECTIONS": Client, Count
        => max_redirections: u32 = (20), "20";

    /// Client: user name answered to a 401 challenge (Basic or Digest). Needs
    /// `WS_AUTHENTICATION_PASSWORD`.
    WS_AUTHENTICATION_USER_NAME = "WS_AUTHENTICATION_USER_NAME": Client, Text
        => ws_authentication_user_name: String = unset, "unset";

    /// Client: password answered to a 401 challenge. Never printed.
    WS_AUTHENTICATION_PASSWORD = "WS_AUTHENTICATION_PASSWORD": Client, SecretText
        => ws_authentication_password: Secret = unset, "unset";

    /// Client: when set, credentials are sent only to a challenge for this realm.
    WS_AUTHENTICATION_REALM = "WS_AUTHENTICATION_REALM": Client, Text
        => ws_authentication_realm: String = unset, "unset";

    /// Client: user name answered to a 407 challenge from an HTTP proxy. Also accepted
    /// as `WS_PROXY_AUTHENTICATION_USER_NAME` (Tomcat's documented spelling); both in
    /// one source with different values is an error.
    WS_AUTHENTICATION_PROXY_USER_NAME = "WS_AUTHENTICATION_PROXY_USER_NAME"
        | "WS_PROXY_AUTHENTICATION_USER_NAME": Client, Text
        => ws_authentication_proxy_user_name: String = unset, "unset";

    /// Client: password answered to a 407 proxy challenge. Never printed. Also
    /// accepted as `WS_PROXY_AUTHENTICATION_PASSWORD`.
    WS_AUTHENTICATION_PROXY_PASSWORD = "WS_AUTHENTICATION_PROXY_PASSWORD"
        | "WS_PROXY_AUTHENTICATION_PASSWORD": Client, SecretText
        => ws_authentication_proxy_password: Secret = unset, "unset";

    /// Client: when set, proxy credentials are sent only to this realm. Also accepted
    /// as `WS_PROXY_AUTHENTICATION_REALM`.
    WS_AUTHENTICATION_PROXY_REALM = "WS_AUTHENTICATION_PROXY_REALM"
        | "WS_PROXY_AUTHENTICATION_REALM": Client, Text
        => ws_authentication_proxy_realm: String = unset, "unset";

    /// Client: a complete TLS client configuration supplied by code (a properties
    /// file cannot hold one). When set, the truststore keys are ignored.
    SSL_CONTEXT = "SSL_CONTEXT": Client, TlsObject
        => ssl_context: TlsContext = unset, "unset";

    /// Client: the TLS protocol versions to enable, e.g. `TLSv1.2,TLSv1.3`. Anything
    /// older is refused.
    SSL_PROTOCOLS = "SSL_PROTOCOLS": Client, Protocols
        => ssl_protocols: Vec<TlsVersion> = unset, "the TLS library's default";

    /// Client: trust store for server certificates (PKCS#12 or PEM). Host-name
    /// verification is always on.
    SSL_TRUSTSTORE = "SSL_TRUSTSTORE": Client, FilePath
        => ssl_truststore: PathBuf = unset, "unset (the platform's roots)";

    /// Client: trust store password. Never printed.
    SSL_TRUSTSTORE_PWD = "SSL_TRUSTSTORE_PWD": Client, SecretText
        => ssl_truststore_pwd: Secret = (Secret::new("changeit")), "`changeit`";

    /// Default of `textBufferSize` and `binaryBufferSize`.
    DEFAULT_BUFFER_SIZE = "DEFAULT_BUFFER_SIZE": System, Bytes<4>
        => default_buffer_size: usize = (8192), "8192";

    /// Client: the `Origin` header sent when the request sets none.
    DEFAULT_ORIGIN_HEADER_VALUE = "DEFAULT_ORIGIN_HEADER_VALUE": System, HeaderValue
        => default_origin_header_value: String = unset, "unset (no `Origin`)";

    /// How often Tomcat polls sessions for timeouts. Accepted and checked for
    /// compatibility, but has no effect: our timeouts fire at their deadline.
    DEFAULT_PROCESS_PERIOD = "DEFAULT_PROCESS_PERIOD": System, Seconds
        => default_process_period: Duration = (Duration::from_secs(10)), "10";
}

impl Config {
    /// Warnings collected in lenient mode (unknown keys, keys in the wrong source).
    pub fn warnings(&self) -> &[ConfigError] {
        &self.warnings
    }
}
