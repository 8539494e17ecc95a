//! Configuration as Tempest reads it: `tempest.conf`, options registered per group the way a
//! Tempest plugin registers them, values typed and read once at start.
//!
//! # Where the file comes from ([`Sources::locate`])
//!
//! As `tempest run` and `TempestConfigPrivate` (Tempest 47.0.0) find it:
//!
//! 1. `--config-file PATH`, which must exist (else "Config file: PATH doesn't exist");
//! 2. else `$TEMPEST_CONFIG_DIR/$TEMPEST_CONFIG`, each defaulting (when unset) to `./etc` and
//!    `tempest.conf`, if that is a file;
//! 3. else `/etc/tempest/tempest.conf`, if that is a file;
//! 4. else no file: every option keeps its default.
//!
//! # What is read
//!
//! The file is parsed as oslo.config parses it ([`ini`]); every registered option ([`opts`],
//! [`builtin`]) gets its typed value once, in [`load`]: the environment override if there is one
//! (`OS_TEST_TIMEOUT` for `[valet_suite] test_timeout`, as oslo.config puts the environment
//! before files), else the file's value, else the default. Values may refer to other options as
//! oslo.config allows (`$opt` in the same group or `[DEFAULT]`, `${group.opt}`, `$$` for a
//! dollar sign). Keys and sections nobody registered are [`ConfigWarning`]s, naming file and
//! line; a value its option refuses is a [`ConfigErrorKind::Value`] naming file, line, section, key
//! and what was expected. After [`load`], nothing reads a file or the environment: the runner,
//! the lifecycle and the tests only look values up in the [`Config`].
//!
//! [`sample::generate`] prints the commented sample configuration of the registered options.
//!
//! # Where this is stricter than Tempest
//!
//! - Every registered option is converted at start, so a bad value is an error even in an
//!   option the run never reads (oslo.config converts on first access).
//! - An `OS_TEST_TIMEOUT` that is not a whole number is an error (Tempest silently runs without
//!   a timeout); an empty one, or 0 or less, means no limit, as in Tempest.
//! - A `--config-file` naming a directory is an error (Tempest falls back to
//!   `/etc/tempest/tempest.conf`).
//! - Unknown sections and keys are reported (oslo.config ignores them silently). Keys match
//!   exactly, case included, as in oslo.config; a near miss (`pause` for `PAUSE`,
//!   `tries-to-create` for `TRIES_TO_CREATE`) gets a suggestion.

pub mod builtin;
pub mod ini;
pub mod key;
pub mod opts;
pub mod sample;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use key::{FromValue, Key};
pub use opts::{
    Choice, Namespace, Opt, OptGroup, OptType, Registered, Registry, RegistryError, Value,
};

use crate::failure::Failure;
use builtin::{auth, runner};
use ini::normalize_section;

/// Tempest's last resort: the file read when no other is found.
pub const FALLBACK_CONFIG_FILE: &str = "/etc/tempest/tempest.conf";
/// The directory used when `TEMPEST_CONFIG_DIR` is unset (relative to the working directory).
pub const DEFAULT_CONFIG_DIR: &str = "etc";
/// The file name used when `TEMPEST_CONFIG` is unset.
pub const DEFAULT_CONFIG_FILE: &str = "tempest.conf";
/// The environment variable overriding `[valet_suite] test_timeout`, as Tempest reads it.
pub const TIMEOUT_ENV: &str = "OS_TEST_TIMEOUT";

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A line of a configuration file.
    File {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
    },
    /// An environment variable.
    Environment(String),
    /// The option's default.
    Default,
    /// Set in code ([`Config::with`]).
    Override,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File { path, line } => write!(f, "{}:{line}", path.display()),
            Location::Environment(var) => write!(f, "environment variable {var}"),
            Location::Default => f.write_str("the default"),
            Location::Override => f.write_str("a value set in code"),
        }
    }
}

fn inline_comment_hint(value: &str) -> &'static str {
    if value.contains(" #") || value.contains(" ;") || value.contains("\t#") {
        " (oslo.config has no inline comments: everything after the `=` is the value)"
    } else {
        ""
    }
}

/// A configuration that cannot be used; [`ConfigError::kind`] says why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(transparent)]
pub struct ConfigError {
    kind: Box<ConfigErrorKind>,
}

impl ConfigError {
    /// What went wrong.
    pub fn kind(&self) -> &ConfigErrorKind {
        &self.kind
    }
}

impl From<ConfigErrorKind> for ConfigError {
    fn from(kind: ConfigErrorKind) -> ConfigError {
        ConfigError {
            kind: Box::new(kind),
        }
    }
}

impl From<RegistryError> for ConfigError {
    fn from(e: RegistryError) -> ConfigError {
        ConfigErrorKind::Registry(e).into()
    }
}

/// Why a configuration cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// `--config-file` names nothing.
    #[error("Config file: {} doesn't exist", .path.display())]
    NotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// `--config-file` names a directory or another non-file.
    #[error("Config file: {} is not a file", .path.display())]
    NotAFile {
        /// The path as given.
        path: PathBuf,
    },
    /// The file could not be read.
    #[error("reading {}: {error}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The system's message.
        error: String,
    },
    /// The file is not UTF-8.
    #[error("{}:{line}: the file is not valid UTF-8", .path.display())]
    Encoding {
        /// The file.
        path: PathBuf,
        /// The line of the first bad byte.
        line: usize,
    },
    /// A line oslo.config refuses.
    #[error("{}:{line}: {message}: {text:?}", .path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
        /// The line.
        text: String,
    },
    /// A value its option refuses.
    #[error("{location}: [{section}] {key}: {value:?} is not {expected}{}", inline_comment_hint(.value))]
    Value {
        /// Where the value was set.
        location: Location,
        /// The section.
        section: String,
        /// The key.
        key: String,
        /// The value as written.
        value: String,
        /// What the option accepts.
        expected: String,
    },
    /// A `$reference` that cannot be substituted.
    #[error("{location}: [{section}] {key}: cannot substitute ${reference}: {reason}")]
    Substitution {
        /// Where the referring value was set.
        location: Location,
        /// The section of the referring option.
        section: String,
        /// The referring option.
        key: String,
        /// The reference, without `$`.
        reference: String,
        /// Why it cannot be substituted.
        reason: String,
    },
    /// Code asked for an option nobody registered (oslo's `NoSuchOptError`).
    #[error("no such option [{section}] {key}")]
    NoSuchOpt {
        /// The section.
        section: String,
        /// The key.
        key: String,
    },
    /// Code asked for an option as another type than it has.
    #[error("[{section}] {key} holds a {found} value, not a {wanted}")]
    WrongType {
        /// The section.
        section: String,
        /// The key.
        key: String,
        /// The type asked for.
        wanted: &'static str,
        /// The type it has.
        found: &'static str,
    },
    /// The options together do not make a usable setup (Tempest's `InvalidConfiguration`).
    #[error("{0}")]
    InvalidConfiguration(String),
    /// The options could not be registered.
    #[error(transparent)]
    Registry(RegistryError),
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Failure {
        let kind = match e.kind() {
            ConfigErrorKind::InvalidConfiguration(_) => "InvalidConfiguration",
            ConfigErrorKind::NoSuchOpt { .. } => "NoSuchOptError",
            ConfigErrorKind::Value { .. } => "ConfigFileValueError",
            ConfigErrorKind::Substitution { .. } => "TemplateSubstitutionError",
            _ => "ConfigError",
        };
        Failure::new(kind, e.to_string())
    }
}

/// Something in the file nobody registered: ignored, and said so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The file.
    pub path: PathBuf,
    /// The 1-based line.
    pub line: usize,
    /// What was found.
    pub kind: WarningKind,
}

/// What a [`ConfigWarning`] is about.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WarningKind {
    /// A section no group matches (reported once, at its first header).
    UnknownSection {
        /// The section, as written.
        section: String,
        /// How many keys it sets (all ignored).
        keys: usize,
    },
    /// A key no option of its (known) section matches.
    UnknownOption {
        /// The section, as written.
        section: String,
        /// The key.
        key: String,
        /// A registered option it was probably meant to be (another case, `-` for `_`).
        suggestion: Option<String>,
    },
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.path.display(), self.line)?;
        match &self.kind {
            WarningKind::UnknownSection { section, keys } => write!(
                f,
                "unknown section [{section}]: no options are registered for it; its {keys} \
                 key(s) are ignored"
            ),
            WarningKind::UnknownOption {
                section,
                key,
                suggestion,
            } => {
                write!(f, "unknown option {key:?} in [{section}], ignored")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean {s}?)")?;
                }
                Ok(())
            }
        }
    }
}

/// Everything [`load`] looks at, captured once: the command line's `--config-file`, the
/// environment and the working directory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sources {
    /// `--config-file`.
    pub config_file: Option<PathBuf>,
    /// `TEMPEST_CONFIG_DIR`.
    pub tempest_config_dir: Option<OsString>,
    /// `TEMPEST_CONFIG`.
    pub tempest_config: Option<OsString>,
    /// `OS_TEST_TIMEOUT`.
    pub os_test_timeout: Option<OsString>,
    /// The directory relative paths start from.
    pub cwd: PathBuf,
    /// The last resort ([`FALLBACK_CONFIG_FILE`]).
    pub fallback: PathBuf,
}

impl Sources {
    /// The sources of this process: its environment and working directory, and `config_file`
    /// from the command line. The one place configuration reads the environment.
    pub fn from_env(config_file: Option<PathBuf>) -> Result<Sources, ConfigError> {
        let cwd = std::env::current_dir().map_err(|e| {
            ConfigError::from(ConfigErrorKind::Read {
                path: PathBuf::from("."),
                error: e.to_string(),
            })
        })?;
        Ok(Sources {
            config_file,
            tempest_config_dir: std::env::var_os("TEMPEST_CONFIG_DIR"),
            tempest_config: std::env::var_os("TEMPEST_CONFIG"),
            os_test_timeout: std::env::var_os(TIMEOUT_ENV),
            cwd,
            fallback: PathBuf::from(FALLBACK_CONFIG_FILE),
        })
    }

    /// The file to read, by Tempest's rule (see the module documentation); `None` when there is
    /// none and every option keeps its default.
    pub fn locate(&self) -> Result<Option<PathBuf>, ConfigError> {
        if let Some(given) = &self.config_file {
            let path = self.cwd.join(given);
            if !path.exists() {
                return Err(ConfigError::from(ConfigErrorKind::NotFound {
                    path: given.clone(),
                }));
            }
            if !path.is_file() {
                return Err(ConfigError::from(ConfigErrorKind::NotAFile {
                    path: given.clone(),
                }));
            }
            return Ok(Some(path));
        }
        let dir = self
            .tempest_config_dir
            .as_deref()
            .unwrap_or(DEFAULT_CONFIG_DIR.as_ref());
        let file = self
            .tempest_config
            .as_deref()
            .unwrap_or(DEFAULT_CONFIG_FILE.as_ref());
        let path = self.cwd.join(dir).join(file);
        if path.is_file() {
            return Ok(Some(path));
        }
        if self.fallback.is_file() {
            return Ok(Some(self.fallback.clone()));
        }
        Ok(None)
    }
}

/// A loaded configuration and what was ignored on the way.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// Unknown sections and keys, in file order.
    pub warnings: Vec<ConfigWarning>,
}

/// A resolved value and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// The value.
    pub value: Value,
    /// Where it was set.
    pub origin: Location,
}

/// The typed value of every registered option, read once.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    registry: Arc<Registry>,
    values: BTreeMap<(String, String), Resolved>,
    files: Vec<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

/// The framework's registry: [`builtin::registry`], built once. A suite with plugin options
/// builds its own ([`builtin::registry_with`]) and loads with [`load_with`].
pub fn builtin_registry() -> Result<Arc<Registry>, RegistryError> {
    static BUILT: std::sync::OnceLock<Result<Arc<Registry>, RegistryError>> =
        std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| builtin::registry().map(Arc::new))
        .clone()
}

/// Loads the configuration with the framework's options from `sources`.
pub fn load(sources: &Sources) -> Result<Loaded, ConfigError> {
    load_with(builtin_registry()?, sources)
}

/// Loads the configuration with the options of `registry` from `sources`.
pub fn load_with(registry: Arc<Registry>, sources: &Sources) -> Result<Loaded, ConfigError> {
    let mut fixed = BTreeMap::new();
    if let Some(raw) = &sources.os_test_timeout
        && registry
            .opt(runner::TEST_TIMEOUT.group(), runner::TEST_TIMEOUT.name())
            .is_some()
    {
        fixed.insert(
            (
                runner::TEST_TIMEOUT.group().to_owned(),
                runner::TEST_TIMEOUT.name().to_owned(),
            ),
            Resolved {
                value: Value::Int(timeout_from_env(raw)?),
                origin: Location::Environment(TIMEOUT_ENV.to_owned()),
            },
        );
    }
    match sources.locate()? {
        Some(path) => {
            let text = read_text(&path)?;
            Config::build(registry, Some(&path), &text, fixed)
        }
        None => Config::build(registry, None, "", fixed),
    }
}

/// `OS_TEST_TIMEOUT` as Tempest reads it (`int()`, 0 or less meaning no limit; empty meaning
/// unset). Where Tempest silently ignores a value that is not a number, this is an error.
fn timeout_from_env(raw: &OsString) -> Result<i64, ConfigError> {
    let bad = || {
        ConfigError::from(ConfigErrorKind::Value {
            location: Location::Environment(TIMEOUT_ENV.to_owned()),
            section: runner::TEST_TIMEOUT.group().to_owned(),
            key: runner::TEST_TIMEOUT.name().to_owned(),
            value: raw.to_string_lossy().into_owned(),
            expected: "a whole number of seconds (0 or less: no limit)".to_owned(),
        })
    };
    let s = raw.to_str().ok_or_else(bad)?;
    if s.trim_matches(ini::is_py_space).is_empty() {
        return Ok(0);
    }
    opts::py_int(s).map(|n| n.max(0)).ok_or_else(bad)
}

fn read_text(path: &Path) -> Result<String, ConfigError> {
    let bytes = std::fs::read(path).map_err(|e| {
        ConfigError::from(ConfigErrorKind::Read {
            path: path.to_owned(),
            error: e.to_string(),
        })
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        ConfigError::from(ConfigErrorKind::Encoding {
            path: path.to_owned(),
            line: good.iter().filter(|&&b| b == b'\n').count() + 1,
        })
    })
}

type SectionKey = (String, String);

struct Resolver<'a> {
    registry: &'a Registry,
    path: Option<&'a Path>,
    raw: BTreeMap<SectionKey, (&'a str, usize)>,
    done: BTreeMap<SectionKey, Resolved>,
    stack: Vec<SectionKey>,
}

impl Resolver<'_> {
    fn resolve(&mut self, key: &SectionKey) -> Result<Value, ConfigError> {
        if let Some(r) = self.done.get(key) {
            return Ok(r.value.clone());
        }
        let Some(reg) = self.registry.opt(&key.0, &key.1) else {
            return Err(ConfigError::from(ConfigErrorKind::NoSuchOpt {
                section: key.0.clone(),
                key: key.1.clone(),
            }));
        };
        let opt = reg.opt.clone();
        self.stack.push(key.clone());
        let result = self.resolve_opt(key, &opt);
        self.stack.pop();
        let resolved = result?;
        let value = resolved.value.clone();
        self.done.insert(key.clone(), resolved);
        Ok(value)
    }

    fn resolve_opt(&mut self, key: &SectionKey, opt: &Opt) -> Result<Resolved, ConfigError> {
        let bad = |location: &Location, value: &str, expected: String| {
            ConfigError::from(ConfigErrorKind::Value {
                location: location.clone(),
                section: key.0.clone(),
                key: key.1.clone(),
                value: value.to_owned(),
                expected,
            })
        };
        if let Some(&(text, line)) = self.raw.get(key) {
            let origin = Location::File {
                path: self.path.map(Path::to_owned).unwrap_or_default(),
                line,
            };
            let substituted = self.substitute(text, key, &origin)?;
            let value = opt
                .parse(&substituted)
                .map_err(|expected| bad(&origin, text, expected))?;
            return Ok(Resolved { value, origin });
        }
        let origin = Location::Default;
        let value = match opt.default_value() {
            Value::Str(s) => {
                let s = self.substitute(s, key, &origin)?;
                opt.parse(&s)
                    .map_err(|expected| bad(&origin, &s, expected))?
            }
            Value::List(items) => Value::List(
                items
                    .iter()
                    .map(|i| self.substitute(i, key, &origin))
                    .collect::<Result<_, _>>()?,
            ),
            other => other.clone(),
        };
        Ok(Resolved { value, origin })
    }

    /// oslo.config's template substitution (`string.Template.safe_substitute` with its id
    /// pattern `[_a-z][._a-z0-9]*`, any case; `\$` read as `$$`).
    fn substitute(
        &mut self,
        text: &str,
        key: &SectionKey,
        at: &Location,
    ) -> Result<String, ConfigError> {
        if !text.contains('$') {
            return Ok(text.to_owned());
        }
        let text = text.replace("\\$", "$$");
        let c: Vec<char> = text.chars().collect();
        let ident_len = |from: usize| -> usize {
            match c.get(from) {
                Some(&x) if x.is_ascii_alphabetic() || x == '_' => {
                    1 + c[from + 1..]
                        .iter()
                        .take_while(|x| x.is_ascii_alphanumeric() || matches!(x, '_' | '.'))
                        .count()
                }
                _ => 0,
            }
        };
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < c.len() {
            if c[i] != '$' {
                out.push(c[i]);
                i += 1;
                continue;
            }
            if c.get(i + 1) == Some(&'$') {
                out.push('$');
                i += 2;
                continue;
            }
            let named = ident_len(i + 1);
            if named > 0 {
                let name: String = c[i + 1..i + 1 + named].iter().collect();
                out.push_str(&self.reference(&name, key, at)?);
                i += 1 + named;
                continue;
            }
            if c.get(i + 1) == Some(&'{') {
                let braced = ident_len(i + 2);
                if braced > 0 && c.get(i + 2 + braced) == Some(&'}') {
                    let name: String = c[i + 2..i + 2 + braced].iter().collect();
                    out.push_str(&self.reference(&name, key, at)?);
                    i += 3 + braced;
                    continue;
                }
            }
            out.push('$');
            i += 1;
        }
        Ok(out)
    }

    fn reference(
        &mut self,
        name: &str,
        key: &SectionKey,
        at: &Location,
    ) -> Result<String, ConfigError> {
        let fail = |reason: &str| {
            ConfigError::from(ConfigErrorKind::Substitution {
                location: at.clone(),
                section: key.0.clone(),
                key: key.1.clone(),
                reference: name.to_owned(),
                reason: reason.to_owned(),
            })
        };
        let target = match name.split_once('.') {
            Some((group, opt)) => self
                .registry
                .opt(group, opt)
                .map(|_| (normalize_section(group), opt.to_owned())),
            None => [key.0.as_str(), OptGroup::DEFAULT]
                .into_iter()
                .find(|g| self.registry.opt(g, name).is_some())
                .map(|g| (g.to_owned(), name.to_owned())),
        };
        let Some(target) = target else {
            return Err(fail("no such option"));
        };
        if self.stack.contains(&target) {
            return Err(fail("the references form a cycle"));
        }
        Ok(match self.resolve(&target)? {
            Value::Unset => String::new(),
            v => v.py_str(),
        })
    }
}

impl Config {
    /// Every option of the framework (Tempest's and the runner's) at its default.
    pub fn new() -> Config {
        // The built-in definitions are static and their test proves they register.
        let registry = builtin_registry().unwrap_or_else(|_| Arc::new(Registry::new()));
        Config::defaults(registry).unwrap_or_else(|_| Config {
            registry: Arc::new(Registry::new()),
            values: BTreeMap::new(),
            files: Vec::new(),
        })
    }

    /// Every option of `registry` at its default.
    pub fn defaults(registry: Arc<Registry>) -> Result<Config, ConfigError> {
        Ok(Config::build(registry, None, "", BTreeMap::new())?.config)
    }

    /// The configuration `text` gives the options of `registry`, as if read from `path`.
    pub fn from_ini(
        registry: Arc<Registry>,
        path: &Path,
        text: &str,
    ) -> Result<Loaded, ConfigError> {
        Config::build(registry, Some(path), text, BTreeMap::new())
    }

    fn build(
        registry: Arc<Registry>,
        path: Option<&Path>,
        text: &str,
        fixed: BTreeMap<SectionKey, Resolved>,
    ) -> Result<Loaded, ConfigError> {
        let file = ini::parse(text).map_err(|e| {
            ConfigError::from(ConfigErrorKind::Parse {
                path: path.map(Path::to_owned).unwrap_or_default(),
                line: e.line,
                message: e.message.to_owned(),
                text: e.text,
            })
        })?;
        let mut warnings = Vec::new();
        let mut raw = BTreeMap::new();
        if let Some(path) = path {
            warnings = unknown(&registry, &file, path);
            for a in &file.assignments {
                let section = normalize_section(&a.section);
                if registry.opt(&section, &a.key).is_some() {
                    raw.insert((section, a.key.clone()), (a.value.as_str(), a.line));
                }
            }
        }
        let mut resolver = Resolver {
            registry: &registry,
            path,
            raw,
            done: fixed,
            stack: Vec::new(),
        };
        for (group, opts) in registry.groups() {
            for r in opts {
                resolver.resolve(&(group.name().to_owned(), r.opt.name().to_owned()))?;
            }
        }
        let values = resolver.done;
        Ok(Loaded {
            config: Config {
                registry: Arc::clone(&registry),
                values,
                files: path.map(Path::to_owned).into_iter().collect(),
            },
            warnings,
        })
    }

    /// This configuration with `[section] key` set from the text `value`, converted as a file's
    /// value is (without substitution).
    pub fn with(mut self, section: &str, key: &str, value: &str) -> Result<Config, ConfigError> {
        let k = self.key(section, key)?;
        let opt = &self
            .registry
            .opt(&k.0, &k.1)
            .ok_or_else(|| {
                ConfigError::from(ConfigErrorKind::NoSuchOpt {
                    section: section.to_owned(),
                    key: key.to_owned(),
                })
            })?
            .opt;
        let parsed = opt.parse(value).map_err(|expected| {
            ConfigError::from(ConfigErrorKind::Value {
                location: Location::Override,
                section: k.0.clone(),
                key: k.1.clone(),
                value: value.to_owned(),
                expected,
            })
        })?;
        self.values.insert(
            k,
            Resolved {
                value: parsed,
                origin: Location::Override,
            },
        );
        Ok(self)
    }

    fn key(&self, section: &str, key: &str) -> Result<SectionKey, ConfigError> {
        let section = normalize_section(section);
        if self.registry.opt(&section, key).is_none() {
            return Err(ConfigError::from(ConfigErrorKind::NoSuchOpt {
                section,
                key: key.to_owned(),
            }));
        }
        Ok((section, key.to_owned()))
    }

    /// The registry the values belong to.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The files read (none or one).
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The value of `[section] key` and where it came from.
    pub fn resolved(&self, section: &str, key: &str) -> Result<&Resolved, ConfigError> {
        let k = self.key(section, key)?;
        self.values
            .get(&k)
            .ok_or(ConfigError::from(ConfigErrorKind::NoSuchOpt {
                section: k.0,
                key: k.1,
            }))
    }

    /// The value of `[section] key`.
    pub fn value(&self, section: &str, key: &str) -> Result<&Value, ConfigError> {
        self.resolved(section, key).map(|r| &r.value)
    }

    fn wrong(&self, section: &str, key: &str, wanted: &'static str, found: &Value) -> ConfigError {
        ConfigError::from(ConfigErrorKind::WrongType {
            section: section.to_owned(),
            key: key.to_owned(),
            wanted,
            found: found.kind(),
        })
    }

    /// A boolean option; unset reads as false (as Python's truth test reads `None`).
    pub fn bool(&self, section: &str, key: &str) -> Result<bool, ConfigError> {
        match self.value(section, key)? {
            Value::Bool(b) => Ok(*b),
            Value::Unset => Ok(false),
            v => Err(self.wrong(section, key, "boolean", v)),
        }
    }

    /// An integer option (`None` when unset).
    pub fn int(&self, section: &str, key: &str) -> Result<Option<i64>, ConfigError> {
        match self.value(section, key)? {
            Value::Int(i) => Ok(Some(*i)),
            Value::Unset => Ok(None),
            v => Err(self.wrong(section, key, "integer", v)),
        }
    }

    /// A floating point option (`None` when unset).
    pub fn float(&self, section: &str, key: &str) -> Result<Option<f64>, ConfigError> {
        match self.value(section, key)? {
            Value::Float(f) => Ok(Some(*f)),
            Value::Unset => Ok(None),
            v => Err(self.wrong(section, key, "float", v)),
        }
    }

    /// A string or URI option (`None` when unset).
    pub fn string(&self, section: &str, key: &str) -> Result<Option<&str>, ConfigError> {
        match self.value(section, key)? {
            Value::Str(s) => Ok(Some(s)),
            Value::Unset => Ok(None),
            v => Err(self.wrong(section, key, "string", v)),
        }
    }

    /// A list option (empty when unset).
    pub fn list(&self, section: &str, key: &str) -> Result<&[String], ConfigError> {
        match self.value(section, key)? {
            Value::List(l) => Ok(l),
            Value::Unset => Ok(&[]),
            v => Err(self.wrong(section, key, "list", v)),
        }
    }

    /// The value of the option `key` names, as its type.
    pub fn get<T: FromValue>(&self, key: Key<T>) -> Result<T, ConfigError> {
        let value = self.value(key.group(), key.name())?;
        T::from_value(value).ok_or_else(|| self.wrong(key.group(), key.name(), T::WANTED, value))
    }

    /// The value of the option `key` names, or its registered default when it is unset (an
    /// empty number in the file).
    pub fn get_or_default<T: FromValue>(&self, key: Key<Option<T>>) -> Result<T, ConfigError> {
        if let Some(v) = self.get(key)? {
            return Ok(v);
        }
        let no_default = || ConfigErrorKind::NoSuchOpt {
            section: key.group().to_owned(),
            key: key.name().to_owned(),
        };
        let default = self
            .registry
            .opt(key.group(), key.name())
            .ok_or_else(no_default)?
            .opt
            .default_value();
        match T::from_value(default) {
            Some(v) => Ok(v),
            None => Err(self.wrong(key.group(), key.name(), T::WANTED, default)),
        }
    }

    /// This configuration with the option `key` names set from the text `value`, converted as
    /// a file's value is (without substitution).
    pub fn set<T>(self, key: Key<T>, value: &str) -> Result<Config, ConfigError> {
        self.with(key.group(), key.name(), value)
    }

    /// Whether `[service_available] name` is true.
    pub fn service_available(&self, name: &str) -> Result<bool, ConfigError> {
        self.bool("service_available", name)
    }

    /// Whether admin credentials can be had, as Tempest's `is_admin_available` decides: always
    /// with dynamic credentials; otherwise from the configured `[auth] admin_*` credentials
    /// (user name, password and a user domain). Pre-provisioned accounts
    /// (`test_accounts_file`) are read by a credentials provider this suite does not have yet:
    /// that setup is an `InvalidConfiguration` error rather than a guess.
    pub fn admin_available(&self) -> Result<bool, ConfigError> {
        if self.get(auth::USE_DYNAMIC_CREDENTIALS)? {
            return Ok(true);
        }
        self.no_accounts_file()?;
        let set = |k: Key<Option<String>>| self.get(k).map(|v| v.is_some());
        // A user domain is always had: `admin_user_domain_name`, else `admin_domain_name`,
        // which has a default.
        Ok(set(auth::ADMIN_USERNAME)? && set(auth::ADMIN_PASSWORD)?)
    }

    /// Whether a second set of credentials can be had, as Tempest's `is_alt_available`
    /// decides: always with dynamic credentials; without them and without accounts, an
    /// `InvalidConfiguration` ("A valid credential provider is needed").
    pub fn alt_available(&self) -> Result<bool, ConfigError> {
        if self.get(auth::USE_DYNAMIC_CREDENTIALS)? {
            return Ok(true);
        }
        self.no_accounts_file()?;
        Err(ConfigError::from(ConfigErrorKind::InvalidConfiguration(
            "A valid credential provider is needed".to_owned(),
        )))
    }

    fn no_accounts_file(&self) -> Result<(), ConfigError> {
        match self.get(auth::TEST_ACCOUNTS_FILE)? {
            Some(file) => Err(ConfigError::from(ConfigErrorKind::InvalidConfiguration(
                format!(
                    "[auth] test_accounts_file = {file}: pre-provisioned credentials are not \
                 supported yet; use [auth] use_dynamic_credentials = true"
                ),
            ))),
            None => Ok(()),
        }
    }

    /// The per-test timeout (`[valet_suite] test_timeout`, overridden by `OS_TEST_TIMEOUT`);
    /// `None` for no limit.
    pub fn test_timeout(&self) -> Result<Option<Duration>, ConfigError> {
        let n = self.get_or_default(runner::TEST_TIMEOUT)?;
        Ok((n > 0).then(|| Duration::from_secs(n.unsigned_abs())))
    }

    /// The default number of workers (`[valet_suite] concurrency`); 0 means one per CPU.
    pub fn concurrency(&self) -> Result<usize, ConfigError> {
        Ok(usize::try_from(self.get_or_default(runner::CONCURRENCY)?).unwrap_or(0))
    }

    /// Every value, in the shape of oslo.config's `log_opt_values` (without its command-line
    /// line): the files read, then `group.option = value` lines, values as Python prints them
    /// (options in name order within each group, groups in registration order, secrets as
    /// `****`).
    pub fn describe(&self) -> String {
        let rule = |c: char| c.to_string().repeat(80);
        let files: Vec<String> = self
            .files
            .iter()
            .map(|p| opts::py_repr_str(&p.display().to_string()))
            .collect();
        let mut out = format!(
            "{}\nConfiguration options gathered from:\nconfig files: [{}]\n{}\n",
            rule('*'),
            files.join(", "),
            rule('=')
        );
        for (group, opts) in self.registry.groups() {
            let names: BTreeSet<&str> = opts.iter().map(|r| r.opt.name()).collect();
            for name in names {
                let Some(r) = opts.iter().find(|r| r.opt.name() == name) else {
                    continue;
                };
                let label = if group.name() == OptGroup::DEFAULT {
                    name.to_owned()
                } else {
                    format!("{}.{name}", group.name())
                };
                let shown = if r.opt.is_secret() {
                    "****".to_owned()
                } else {
                    self.values
                        .get(&(group.name().to_owned(), name.to_owned()))
                        .map_or_else(|| "None".to_owned(), |v| v.value.py_str())
                };
                out.push_str(&format!("{label:<30} = {shown}\n"));
            }
        }
        out.push_str(&rule('*'));
        out.push('\n');
        out
    }
}

/// The unknown sections and keys of `file`.
fn unknown(registry: &Registry, file: &ini::IniFile, path: &Path) -> Vec<ConfigWarning> {
    let mut out = Vec::new();
    let mut reported = BTreeSet::new();
    for h in &file.headers {
        let norm = normalize_section(&h.name);
        if registry.group(&norm).is_none() && reported.insert(norm.clone()) {
            let keys = file
                .assignments
                .iter()
                .filter(|a| normalize_section(&a.section) == norm)
                .count();
            out.push(ConfigWarning {
                path: path.to_owned(),
                line: h.line,
                kind: WarningKind::UnknownSection {
                    section: h.name.clone(),
                    keys,
                },
            });
        }
    }
    for a in &file.assignments {
        let norm = normalize_section(&a.section);
        let Some(group) = registry.group(&norm) else {
            continue;
        };
        if registry.opt(&norm, &a.key).is_some() {
            continue;
        }
        let wanted = a.key.replace('-', "_");
        let suggestion = registry
            .groups()
            .find(|(g, _)| g.name() == group.name())
            .and_then(|(_, opts)| {
                opts.iter()
                    .find(|r| r.opt.name().eq_ignore_ascii_case(&wanted))
                    .map(|r| r.opt.name().to_owned())
            });
        out.push(ConfigWarning {
            path: path.to_owned(),
            line: a.line,
            kind: WarningKind::UnknownOption {
                section: a.section.clone(),
                key: a.key.clone(),
                suggestion,
            },
        });
    }
    out.sort_by_key(|w| w.line);
    out
}
