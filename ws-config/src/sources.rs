//! [`Sources`]: the values from code, properties files and the environment, resolved
//! by precedence into a validated [`Config`].

use std::collections::HashMap;
use std::fmt;

use crate::error::{ConfigError, ConfigErrors};
use crate::key::{env_name, suggest, unprefixed, Key, Scope, ENV_PREFIX, PREFIX};
use crate::keys;
use crate::origin::Origin;
use crate::properties::Properties;
use crate::table::{Config, Found};
use crate::value::Value;

/// What to do with names under the Tomcat prefix that are no key of ours, and with
/// keys found in the environment that are not read from there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// They are errors (the default): a typo must not silently fall back to a default.
    #[default]
    Strict,
    /// They are collected as [`Config::warnings`] and otherwise ignored. Invalid values
    /// of known keys are errors in both modes.
    Lenient,
}

/// The configuration sources, in precedence order:
///
/// 1. values set in code ([`set`](Self::set), [`code`](Self::code));
/// 2. `.properties` files ([`properties_file`](Self::properties_file),
///    [`properties`](Self::properties)); a later file wins over an earlier one;
/// 3. the environment ([`env`](Self::env), [`process_env`](Self::process_env)), for
///    system-property keys only;
/// 4. the defaults of the table.
///
/// [`resolve`](Self::resolve) picks each key's value from the highest source that
/// has it, validates it and returns a [`Config`] or every error found. Values
/// overridden by a higher source are not validated.
///
/// `Debug` shows no environment values and redacts secret keys.
#[derive(Default)]
pub struct Sources {
    code: Properties,
    /// One entry per file, in the order added (later wins).
    files: Vec<Properties>,
    env: Vec<(String, String)>,
    mode: Mode,
}

impl Sources {
    /// No sources: resolving gives the defaults.
    pub fn new() -> Self {
        Sources::default()
    }

    /// Sets a key explicitly in code (the highest precedence).
    pub fn set(mut self, key: Key, value: impl Into<Value>) -> Self {
        self.code.insert(key.name(), value);
        self
    }

    /// Adds a map of values set in code, under full key names (like Tomcat's user
    /// properties map). Names outside the prefix are ignored.
    pub fn code(mut self, properties: Properties) -> Self {
        self.code.merge(properties);
        self
    }

    /// Adds already parsed `.properties` entries (see [`Properties::parse`]) at file
    /// precedence; entries added later win.
    pub fn properties(mut self, properties: Properties) -> Self {
        self.files.push(properties);
        self
    }

    /// Reads a `.properties` file (see [`Properties::read`]) at file precedence.
    pub fn properties_file(self, path: impl AsRef<std::path::Path>) -> Result<Self, ConfigErrors> {
        Ok(self.properties(Properties::read(path)?))
    }

    /// Adds environment variables as `(name, value)` pairs. Only system-property keys
    /// are read, under either the full key name or its upper-case form with `_` for
    /// `.` (`ORG_APACHE_TOMCAT_WEBSOCKET_DEFAULT_BUFFER_SIZE`); other variables under
    /// either prefix are unknown or misplaced keys (errors, or warnings in lenient
    /// mode), and all others are ignored.
    pub fn env<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        // Keep only our variables: the rest (other programs' secrets included) is
        // never stored.
        let ours = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v))
            .filter(|(k, _)| k.starts_with(PREFIX) || k.starts_with(ENV_PREFIX))
            .map(|(k, v)| (k, v.into()));
        self.env.extend(ours);
        self
    }

    /// Adds this process's environment ([`std::env::vars_os`]; variables that are not
    /// valid Unicode are skipped).
    pub fn process_env(self) -> Self {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        self.env(vars)
    }

    /// Sets the [`Mode`].
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// Shorthand for `mode(Mode::Lenient)`.
    pub fn lenient(self) -> Self {
        self.mode(Mode::Lenient)
    }

    /// Picks, validates and checks every key; returns the [`Config`] or all errors.
    pub fn resolve(self) -> Result<Config, ConfigErrors> {
        let mut report = Report {
            mode: self.mode,
            errors: Vec::new(),
            warnings: Vec::new(),
        };
        let entries = |p: &Properties| -> Vec<(String, Value, Origin)> {
            p.iter()
                .map(|(n, v, o)| (n.to_owned(), v.clone(), o.clone()))
                .collect()
        };
        let mut code = layer(entries(&self.code), Names::Prefixed, &mut report);
        // Later files first: they win.
        let mut files: Vec<Layer> = self
            .files
            .iter()
            .rev()
            .map(|f| layer(entries(f), Names::ShortRefused, &mut report))
            .collect();
        let mut env = env_layer(self.env, &mut report);

        let mut chosen: HashMap<&'static str, Origin> = HashMap::new();
        let mut config = Config::from_found(
            |key| {
                let found = code
                    .remove(key.name())
                    .or_else(|| files.iter_mut().find_map(|f| f.remove(key.name())))
                    .or_else(|| env.remove(key.name()))?;
                chosen.insert(key.name(), found.origin.clone());
                Some(found)
            },
            &mut report.errors,
        );
        for [user, password, realm] in [
            [
                keys::WS_AUTHENTICATION_USER_NAME,
                keys::WS_AUTHENTICATION_PASSWORD,
                keys::WS_AUTHENTICATION_REALM,
            ],
            [
                keys::WS_AUTHENTICATION_PROXY_USER_NAME,
                keys::WS_AUTHENTICATION_PROXY_PASSWORD,
                keys::WS_AUTHENTICATION_PROXY_REALM,
            ],
        ] {
            check_credentials(user, password, realm, &chosen, &mut report.errors);
        }
        if report.errors.is_empty() {
            config.warnings = report.warnings;
            Ok(config)
        } else {
            Err(ConfigErrors {
                errors: report.errors,
            })
        }
    }
}

impl fmt::Debug for Sources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let env: Vec<&str> = self.env.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Sources")
            .field("code", &self.code)
            .field("files", &self.files)
            .field("env", &env)
            .field("mode", &self.mode)
            .finish()
    }
}

/// Errors, and warnings for the problems that lenient mode tolerates.
struct Report {
    mode: Mode,
    errors: Vec<ConfigError>,
    warnings: Vec<ConfigError>,
}

impl Report {
    fn tolerable(&mut self, e: ConfigError) {
        match self.mode {
            Mode::Strict => self.errors.push(e),
            Mode::Lenient => self.warnings.push(e),
        }
    }
}

type Layer = HashMap<&'static str, Found>;

/// Adds a found value, reporting two spellings of one key with different values.
fn put(layer: &mut Layer, key: Key, found: Found, report: &mut Report) {
    match layer.get(key.name()) {
        None => {
            layer.insert(key.name(), found);
        }
        Some(first) if first.value == found.value => {}
        Some(first) => report.errors.push(ConfigError::ConflictingSpellings {
            key: key.name(),
            first: first.value.describe(key.is_secret()),
            first_origin: first.origin.clone(),
            second: found.value.describe(key.is_secret()),
            second_origin: found.origin,
        }),
    }
}

/// What a source's names outside the prefix are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Names {
    /// Other names' business (a map built in code, like Tomcat's user properties,
    /// holds the application's own entries): all ignored.
    Prefixed,
    /// A properties file: a key's short name there is a mistake worth reporting
    /// ([`ConfigError::MissingPrefix`]); other names are ignored.
    ShortRefused,
}

/// The known keys of one code or file source.
fn layer(entries: Vec<(String, Value, Origin)>, names: Names, report: &mut Report) -> Layer {
    let mut layer = Layer::new();
    for (name, value, origin) in entries {
        if !name.starts_with(PREFIX) {
            let full = (names == Names::ShortRefused)
                .then(|| unprefixed(&name))
                .flatten();
            if let Some(full) = full {
                report.tolerable(ConfigError::MissingPrefix {
                    key: name,
                    origin,
                    full,
                });
            }
            continue;
        }
        match Key::lookup(&name) {
            Some(key) => {
                let found = Found {
                    value,
                    origin,
                    written: name,
                };
                put(&mut layer, key, found, report);
            }
            None => report.tolerable(ConfigError::UnknownKey {
                suggestion: suggest(&name),
                key: name,
                origin,
            }),
        }
    }
    layer
}

/// Finds the key an environment variable names: the full name (or alias) or its
/// upper-case underscore form.
fn env_key(var: &str) -> Option<Key> {
    Key::lookup(var).or_else(|| {
        keys::ALL
            .iter()
            .copied()
            .find(|k| env_name(k.name()) == var || k.alias().is_some_and(|a| env_name(a) == var))
    })
}

/// The system-property keys of the environment.
fn env_layer(mut vars: Vec<(String, String)>, report: &mut Report) -> Layer {
    vars.sort();
    let mut layer = Layer::new();
    for (var, value) in vars {
        if !var.starts_with(PREFIX) && !var.starts_with(ENV_PREFIX) {
            continue;
        }
        let origin = Origin::Env { var: var.clone() };
        match env_key(&var) {
            Some(key) if key.scope() == Scope::System => {
                let found = Found {
                    value: Value::Str(value),
                    origin,
                    written: key.name().to_owned(),
                };
                put(&mut layer, key, found, report);
            }
            Some(key) => report.tolerable(ConfigError::NotFromEnvironment {
                key: key.name(),
                origin,
                scope: key.scope().describe(),
            }),
            None => report.tolerable(ConfigError::UnknownKey {
                suggestion: suggest(&var),
                key: var,
                origin,
            }),
        }
    }
    layer
}

/// A user name needs a password and vice versa; a realm needs both.
fn check_credentials(
    user: Key,
    password: Key,
    realm: Key,
    chosen: &HashMap<&'static str, Origin>,
    errors: &mut Vec<ConfigError>,
) {
    let has = |k: Key| chosen.get(k.name());
    let missing = |key: Key, origin: &Origin, missing: Key| ConfigError::Incomplete {
        key: key.name(),
        origin: origin.clone(),
        missing: missing.name(),
    };
    match (has(user), has(password), has(realm)) {
        (Some(o), None, _) => errors.push(missing(user, o, password)),
        (None, Some(o), _) => errors.push(missing(password, o, user)),
        (None, None, Some(o)) => errors.push(missing(realm, o, user)),
        _ => {}
    }
}
