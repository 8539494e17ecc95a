//! Options and their registry: the Rust form of oslo.config's `cfg.StrOpt`, `IntOpt`, ... and of
//! a Tempest plugin's `register_opts`.
//!
//! An [`Opt`] has a name, a type ([`OptType`]), a default, a help text and, by type, choices or a
//! range. Options live in groups ([`OptGroup`], one INI section each) and are registered through a
//! [`Namespace`], the name under which the sample configuration lists them (oslo's
//! `# From tempest.config`). Registering an option twice is allowed only with the same definition,
//! as oslo.config allows it; a different definition is [`RegistryError::DuplicateOpt`].
//!
//! Values convert as oslo.config's types convert them ([`Opt::parse`]): booleans accept
//! `true/false`, `yes/no`, `on/off`, `1/0` in any case; integers and floats are read as Python's
//! `int()` and `float()` read them, and an empty one is unset (`None`); lists split on commas,
//! each item stripped.

use std::fmt;

use crate::config::ini::is_py_space;

/// A typed value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// No value (Python's `None`): an option without default, or an empty number.
    Unset,
    /// A string (string and URI options).
    Str(String),
    /// An integer.
    Int(i64),
    /// A floating point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A list of strings.
    List(Vec<String>),
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Str(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Str(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Value {
        Value::Int(v.into())
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}
impl From<&[&str]> for Value {
    fn from(v: &[&str]) -> Value {
        Value::List(v.iter().map(|s| (*s).to_owned()).collect())
    }
}
impl<const N: usize> From<[&str; N]> for Value {
    fn from(v: [&str; N]) -> Value {
        Value::from(&v[..])
    }
}

impl Value {
    /// The value as Python's `str()` prints it (`True`, `None`, `['a', 'b']`, `5.0`), the form
    /// oslo.config logs option values in.
    pub fn py_str(&self) -> String {
        match self {
            Value::Unset => "None".to_owned(),
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => py_float(*f),
            Value::Bool(true) => "True".to_owned(),
            Value::Bool(false) => "False".to_owned(),
            Value::List(items) => {
                let items: Vec<String> = items.iter().map(|s| py_repr_str(s)).collect();
                format!("[{}]", items.join(", "))
            }
        }
    }

    /// The name of the value's kind, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Unset => "unset",
            Value::Str(_) => "string",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::Bool(_) => "boolean",
            Value::List(_) => "list",
        }
    }
}

/// Python's `repr()` of a float (shortest round-trip digits; exponent form below 1e-4 and from
/// 1e16 on).
pub(crate) fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "1.5e-7", "1e16".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        let plain = format!("{f}");
        if plain.contains('.') {
            plain
        } else {
            format!("{plain}.0")
        }
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

/// Python's `repr()` of a string.
pub(crate) fn py_repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `int(s)` for base-10 strings: surrounding whitespace, a sign, digits with single
/// underscores between them. `None` when Python would raise (or the value overflows `i64`).
pub(crate) fn py_int(s: &str) -> Option<i64> {
    let s = s.trim_matches(is_py_space);
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !underscores_between_digits(digits) || digits.is_empty() {
        return None;
    }
    let cleaned: String = s.chars().filter(|&c| c != '_').collect();
    cleaned.parse().ok()
}

/// Python's `float(s)`: as Rust reads floats, plus underscores between digits and surrounding
/// whitespace.
pub(crate) fn py_float_parse(s: &str) -> Option<f64> {
    let s = s.trim_matches(is_py_space);
    if s.contains('_') && !underscores_between_digits(s) {
        return None;
    }
    let cleaned: String = s.chars().filter(|&c| c != '_').collect();
    // Rust also reads "infinity" and "nan" in any case, as Python does; it has no other
    // spellings Python lacks.
    cleaned.parse().ok()
}

fn underscores_between_digits(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().all(|(i, &c)| {
        c != b'_'
            || (i > 0 && i + 1 < b.len() && b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit())
    })
}

/// An option's type, as oslo.config's option classes give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptType {
    /// `cfg.StrOpt` (optionally with choices).
    String,
    /// `cfg.IntOpt` (optionally with a range or choices).
    Integer,
    /// `cfg.FloatOpt` (optionally with a range).
    Float,
    /// `cfg.BoolOpt`.
    Boolean,
    /// `cfg.ListOpt` of strings.
    List,
    /// `cfg.URIOpt`: a URI with a scheme and a host, optionally from a set of schemes.
    Uri {
        /// The allowed schemes (any when empty).
        schemes: Vec<String>,
    },
}

impl OptType {
    /// The type's name in the sample configuration (`(string value)`).
    pub fn type_name(&self) -> &'static str {
        match self {
            OptType::String => "string value",
            OptType::Integer => "integer value",
            OptType::Float => "floating point value",
            OptType::Boolean => "boolean value",
            OptType::List => "list value",
            OptType::Uri { .. } => "uri value",
        }
    }
}

/// One allowed value of an option with choices, with its optional description.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// The value.
    pub value: Value,
    /// What it means (printed in the sample; `<No description provided>` without).
    pub help: Option<String>,
}

/// An option definition (oslo.config's `cfg.Opt`).
#[derive(Clone, Debug, PartialEq)]
pub struct Opt {
    name: String,
    kind: OptType,
    default: Value,
    help: Option<String>,
    choices: Option<Vec<Choice>>,
    min: Option<Value>,
    max: Option<Value>,
    secret: bool,
    deprecated_for_removal: bool,
    deprecated_reason: Option<String>,
}

impl Opt {
    fn new(name: &str, kind: OptType) -> Opt {
        Opt {
            name: name.to_owned(),
            kind,
            default: Value::Unset,
            help: None,
            choices: None,
            min: None,
            max: None,
            secret: false,
            deprecated_for_removal: false,
            deprecated_reason: None,
        }
    }

    /// A string option (`cfg.StrOpt`).
    pub fn string(name: &str) -> Opt {
        Opt::new(name, OptType::String)
    }
    /// An integer option (`cfg.IntOpt`).
    pub fn int(name: &str) -> Opt {
        Opt::new(name, OptType::Integer)
    }
    /// A floating point option (`cfg.FloatOpt`).
    pub fn float(name: &str) -> Opt {
        Opt::new(name, OptType::Float)
    }
    /// A boolean option (`cfg.BoolOpt`).
    pub fn bool(name: &str) -> Opt {
        Opt::new(name, OptType::Boolean)
    }
    /// A list-of-strings option (`cfg.ListOpt`).
    pub fn list(name: &str) -> Opt {
        Opt::new(name, OptType::List)
    }
    /// A URI option (`cfg.URIOpt`) accepting these schemes (any when empty).
    pub fn uri(name: &str, schemes: &[&str]) -> Opt {
        Opt::new(
            name,
            OptType::Uri {
                schemes: schemes.iter().map(|s| (*s).to_owned()).collect(),
            },
        )
    }

    /// With this default (checked against the type when registered).
    pub fn default(mut self, value: impl Into<Value>) -> Opt {
        self.default = value.into();
        self
    }
    /// With this help text.
    pub fn help(mut self, text: &str) -> Opt {
        self.help = Some(text.to_owned());
        self
    }
    /// Only these values are allowed (string and integer options).
    pub fn choices<V: Into<Value>>(mut self, values: impl IntoIterator<Item = V>) -> Opt {
        let list = self.choices.get_or_insert_with(Vec::new);
        list.extend(values.into_iter().map(|v| Choice {
            value: v.into(),
            help: None,
        }));
        self
    }
    /// Adds one allowed value with its description.
    pub fn choice(mut self, value: impl Into<Value>, help: &str) -> Opt {
        self.choices.get_or_insert_with(Vec::new).push(Choice {
            value: value.into(),
            help: Some(help.to_owned()),
        });
        self
    }
    /// The smallest allowed value (integer and float options).
    pub fn min(mut self, value: impl Into<Value>) -> Opt {
        self.min = Some(value.into());
        self
    }
    /// The largest allowed value (integer and float options).
    pub fn max(mut self, value: impl Into<Value>) -> Opt {
        self.max = Some(value.into());
        self
    }
    /// A secret: its value is shown as `****`.
    pub fn secret(mut self) -> Opt {
        self.secret = true;
        self
    }
    /// Deprecated for removal, for this reason.
    pub fn deprecated_for_removal(mut self, reason: &str) -> Opt {
        self.deprecated_for_removal = true;
        self.deprecated_reason = Some(reason.to_owned());
        self
    }

    /// The name (also the INI key).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The type.
    pub fn kind(&self) -> &OptType {
        &self.kind
    }
    /// The default.
    pub fn default_value(&self) -> &Value {
        &self.default
    }
    /// The help text.
    pub fn help_text(&self) -> Option<&str> {
        self.help.as_deref()
    }
    /// The allowed values, if restricted.
    pub fn choice_list(&self) -> Option<&[Choice]> {
        self.choices.as_deref()
    }
    /// The smallest allowed value.
    pub fn min_value(&self) -> Option<&Value> {
        self.min.as_ref()
    }
    /// The largest allowed value.
    pub fn max_value(&self) -> Option<&Value> {
        self.max.as_ref()
    }
    /// Whether the value is secret.
    pub fn is_secret(&self) -> bool {
        self.secret
    }
    /// Why the option is deprecated for removal, if it is.
    pub fn deprecation(&self) -> Option<&str> {
        if self.deprecated_for_removal {
            Some(self.deprecated_reason.as_deref().unwrap_or(""))
        } else {
            None
        }
    }

    /// What a valid value looks like, for messages ("an integer value of at least 0").
    pub fn expected(&self) -> String {
        if let Some(choices) = &self.choices {
            let list: Vec<String> = choices.iter().map(|c| c.value.py_str()).collect();
            return format!("one of {}", list.join(", "));
        }
        let base = match &self.kind {
            OptType::String => "a string".to_owned(),
            OptType::Integer => "an integer value".to_owned(),
            OptType::Float => "a floating point value".to_owned(),
            OptType::Boolean => {
                "a boolean value (true/false, yes/no, on/off or 1/0, in any case)".to_owned()
            }
            OptType::List => "a comma-separated list".to_owned(),
            OptType::Uri { schemes } if schemes.is_empty() => {
                "a URI with a scheme and a host".to_owned()
            }
            OptType::Uri { schemes } => {
                format!("a URI with a host and the scheme {}", schemes.join(" or "))
            }
        };
        match (&self.min, &self.max) {
            (Some(lo), Some(hi)) => format!("{base} from {} to {}", lo.py_str(), hi.py_str()),
            (Some(lo), None) => format!("{base} of at least {}", lo.py_str()),
            (None, Some(hi)) => format!("{base} of at most {}", hi.py_str()),
            (None, None) => base,
        }
    }

    /// Converts a value read from a file, as the option's oslo.config type converts it. The
    /// error is what was expected.
    pub fn parse(&self, raw: &str) -> Result<Value, String> {
        let bad = || Err(self.expected());
        let value = match &self.kind {
            OptType::String => Value::Str(raw.to_owned()),
            OptType::Integer => {
                if raw.trim_matches(is_py_space).is_empty() {
                    return Ok(Value::Unset);
                }
                match py_int(raw) {
                    Some(i) => Value::Int(i),
                    None => return bad(),
                }
            }
            OptType::Float => {
                if raw.trim_matches(is_py_space).is_empty() {
                    return Ok(Value::Unset);
                }
                match py_float_parse(raw) {
                    Some(f) => Value::Float(f),
                    None => return bad(),
                }
            }
            OptType::Boolean => match raw.to_lowercase().as_str() {
                "true" | "1" | "on" | "yes" => Value::Bool(true),
                "false" | "0" | "off" | "no" => Value::Bool(false),
                _ => return bad(),
            },
            OptType::List => {
                let s = raw.trim_matches(is_py_space);
                let s = s.trim_end_matches(',');
                if s.is_empty() {
                    Value::List(Vec::new())
                } else {
                    Value::List(
                        s.split(',')
                            .map(|i| i.trim_matches(is_py_space).to_owned())
                            .collect(),
                    )
                }
            }
            OptType::Uri { schemes } => {
                if !valid_uri(raw, schemes) {
                    return bad();
                }
                Value::Str(raw.to_owned())
            }
        };
        self.check(&value).map(|()| value)
    }

    /// Whether a typed value is allowed (type, choices, range).
    fn check(&self, value: &Value) -> Result<(), String> {
        let bad = || Err(self.expected());
        let type_ok = matches!(
            (&self.kind, value),
            (_, Value::Unset)
                | (OptType::String | OptType::Uri { .. }, Value::Str(_))
                | (OptType::Integer, Value::Int(_))
                | (OptType::Float, Value::Float(_))
                | (OptType::Boolean, Value::Bool(_))
                | (OptType::List, Value::List(_))
        );
        if !type_ok {
            return bad();
        }
        if let (OptType::Uri { schemes }, Value::Str(s)) = (&self.kind, value)
            && !valid_uri(s, schemes)
        {
            return bad();
        }
        if matches!(value, Value::Unset) {
            return Ok(());
        }
        if let Some(choices) = &self.choices {
            return if choices.iter().any(|c| c.value == *value) {
                Ok(())
            } else {
                bad()
            };
        }
        let n = |v: &Value| match v {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        };
        if let (Some(lo), Some(v)) = (self.min.as_ref().and_then(n), n(value))
            && v < lo
        {
            return bad();
        }
        if let (Some(hi), Some(v)) = (self.max.as_ref().and_then(n), n(value))
            && v > hi
        {
            return bad();
        }
        Ok(())
    }

    /// Checks the definition itself: a usable name, choices and range fitting the type, a
    /// default the option accepts.
    fn validate(&self, group: &str) -> Result<(), RegistryError> {
        let definition = |reason: String| RegistryError::BadDefinition {
            group: group.to_owned(),
            name: self.name.clone(),
            reason,
        };
        let mut chars = self.name.chars();
        let name_ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !name_ok {
            return Err(RegistryError::InvalidName {
                group: group.to_owned(),
                name: self.name.clone(),
            });
        }
        if let Some(choices) = &self.choices {
            if !matches!(self.kind, OptType::String | OptType::Integer) {
                return Err(definition(
                    "only string and integer options take choices".into(),
                ));
            }
            if choices.is_empty() {
                return Err(definition("an empty list of choices".into()));
            }
            for c in choices {
                let fits = matches!(
                    (&self.kind, &c.value),
                    (OptType::String, Value::Str(_)) | (OptType::Integer, Value::Int(_))
                );
                if !fits {
                    return Err(definition(format!(
                        "the choice {} is not a {} value",
                        c.value.py_str(),
                        self.kind.type_name()
                    )));
                }
            }
        }
        for bound in [&self.min, &self.max].into_iter().flatten() {
            let fits = matches!(
                (&self.kind, bound),
                (OptType::Integer, Value::Int(_)) | (OptType::Float, Value::Float(_))
            );
            if !fits {
                return Err(definition(format!(
                    "the bound {} does not fit a {}",
                    bound.py_str(),
                    self.kind.type_name()
                )));
            }
        }
        if let (Some(lo), Some(hi)) = (&self.min, &self.max) {
            let less = match (lo, hi) {
                (Value::Int(a), Value::Int(b)) => b < a,
                (Value::Float(a), Value::Float(b)) => b < a,
                _ => false,
            };
            if less {
                return Err(definition("max is less than min".into()));
            }
        }
        if let Some(choices) = &self.choices
            && (self.min.is_some() || self.max.is_some())
        {
            let bounded = Opt {
                choices: None,
                ..self.clone()
            };
            for c in choices {
                if bounded.check(&c.value).is_err() {
                    return Err(definition(format!(
                        "the choice {} is out of bounds",
                        c.value.py_str()
                    )));
                }
            }
        }
        self.check(&self.default)
            .map_err(|expected| RegistryError::BadDefault {
                group: group.to_owned(),
                name: self.name.clone(),
                default: self.default.py_str(),
                expected,
            })
    }
}

/// Whether `s` is a URI with a scheme and a host (RFC 3986 shapes, as oslo's `types.URI` requires
/// them), its scheme one of `schemes` when any are given.
fn valid_uri(s: &str, schemes: &[String]) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sc = scheme.chars();
    let scheme_ok = matches!(sc.next(), Some(c) if c.is_ascii_alphabetic())
        && sc.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || !(schemes.is_empty() || schemes.iter().any(|x| x == scheme)) {
        return false;
    }
    let Some(rest) = rest.strip_prefix("//") else {
        return false;
    };
    if s.chars().any(|c| {
        c.is_whitespace()
            || c.is_control()
            || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
    }) {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        match host_port.find(']') {
            Some(end) => &host_port[..=end],
            None => return false,
        }
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    let port = &host_port[host.len()..];
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()));
    !host.is_empty() && port_ok
}

/// An option group: one INI section (oslo.config's `cfg.OptGroup`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptGroup {
    name: String,
    title: Option<String>,
    help: Option<String>,
}

impl OptGroup {
    /// The name of the default group.
    pub const DEFAULT: &'static str = "DEFAULT";

    /// A group named `name` (the INI section name, lower case).
    pub fn new(name: &str) -> OptGroup {
        OptGroup {
            name: name.to_owned(),
            title: None,
            help: None,
        }
    }
    /// With a title (shown nowhere in the sample, as in oslo.config).
    pub fn title(mut self, title: &str) -> OptGroup {
        self.title = Some(title.to_owned());
        self
    }
    /// With a help text (printed under the section header in the sample).
    pub fn help(mut self, help: &str) -> OptGroup {
        self.help = Some(help.to_owned());
        self
    }
    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The title.
    pub fn title_text(&self) -> Option<&str> {
        self.title.as_deref()
    }
    /// The help text.
    pub fn help_text(&self) -> Option<&str> {
        self.help.as_deref()
    }
}

/// A registration oslo.config would refuse, or a definition that cannot work.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// A name that cannot be an INI key.
    #[error("[{group}] {name:?}: an option name is a letter or _ followed by letters, digits or _")]
    InvalidName {
        /// The group.
        group: String,
        /// The name.
        name: String,
    },
    /// A group name that cannot be an INI section matched by oslo.config (which lower-cases
    /// section names).
    #[error("{0:?}: a group name is DEFAULT or lower-case letters, digits, _ and -")]
    InvalidGroupName(String),
    /// Choices or bounds that do not fit the type.
    #[error("[{group}] {name}: {reason}")]
    BadDefinition {
        /// The group.
        group: String,
        /// The name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A default the option itself refuses.
    #[error("[{group}] {name}: the default {default} is not {expected}")]
    BadDefault {
        /// The group.
        group: String,
        /// The name.
        name: String,
        /// The default.
        default: String,
        /// What the option accepts.
        expected: String,
    },
    /// The option is registered already, with another definition (oslo's `DuplicateOptError`).
    #[error("duplicate option: [{group}] {name} is registered already with another definition")]
    DuplicateOpt {
        /// The group.
        group: String,
        /// The name.
        name: String,
    },
}

/// A registered option and the namespace that registered it.
#[derive(Clone, Debug, PartialEq)]
pub struct Registered {
    /// The namespace (`tempest.config`, a plugin's).
    pub namespace: String,
    /// The option.
    pub opt: Opt,
}

#[derive(Clone, Debug, PartialEq)]
struct GroupEntry {
    group: OptGroup,
    opts: Vec<Registered>,
}

/// The registered groups and options. `DEFAULT` always exists.
#[derive(Clone, Debug, PartialEq)]
pub struct Registry {
    groups: Vec<GroupEntry>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

fn valid_group_name(name: &str) -> bool {
    name == OptGroup::DEFAULT
        || (!name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'))
}

impl Registry {
    /// A registry with only the empty `DEFAULT` group.
    pub fn new() -> Registry {
        Registry {
            groups: vec![GroupEntry {
                group: OptGroup::new(OptGroup::DEFAULT),
                opts: Vec::new(),
            }],
        }
    }

    /// A handle registering under `namespace` (the sample's `# From <namespace>`).
    pub fn namespace(&mut self, namespace: &str) -> Namespace<'_> {
        Namespace {
            registry: self,
            name: namespace.to_owned(),
        }
    }

    /// The groups in registration order (`DEFAULT` first) with their options.
    pub fn groups(&self) -> impl Iterator<Item = (&OptGroup, &[Registered])> {
        self.groups.iter().map(|g| (&g.group, g.opts.as_slice()))
    }

    /// The group `name` (matched as oslo.config matches sections).
    pub fn group(&self, name: &str) -> Option<&OptGroup> {
        self.entry(name).map(|g| &g.group)
    }

    /// The option `[group] name`.
    pub fn opt(&self, group: &str, name: &str) -> Option<&Registered> {
        self.entry(group)?.opts.iter().find(|r| r.opt.name == name)
    }

    fn entry(&self, name: &str) -> Option<&GroupEntry> {
        let name = crate::config::ini::normalize_section(name);
        self.groups.iter().find(|g| g.group.name == name)
    }

    fn entry_mut(&mut self, name: &str) -> Option<&mut GroupEntry> {
        self.groups.iter_mut().find(|g| g.group.name == name)
    }
}

/// Registers groups and options under one namespace: what a Tempest plugin's `register_opts`
/// receives.
#[derive(Debug)]
pub struct Namespace<'r> {
    registry: &'r mut Registry,
    name: String,
}

impl Namespace<'_> {
    /// Registers a group; a group registered already keeps its first definition (as
    /// oslo.config's `register_group`).
    pub fn register_group(&mut self, group: OptGroup) -> Result<(), RegistryError> {
        if !valid_group_name(&group.name) {
            return Err(RegistryError::InvalidGroupName(group.name));
        }
        if self.registry.entry_mut(&group.name).is_none() {
            self.registry.groups.push(GroupEntry {
                group,
                opts: Vec::new(),
            });
        }
        Ok(())
    }

    /// Registers an option in `group` (created bare if needed). The same definition twice is
    /// accepted once; another definition under the same name is an error.
    pub fn register_opt(&mut self, group: &str, opt: Opt) -> Result<(), RegistryError> {
        opt.validate(group)?;
        if self.registry.entry_mut(group).is_none() {
            self.register_group(OptGroup::new(group))?;
        }
        let namespace = self.name.clone();
        let entry = self
            .registry
            .entry_mut(group)
            .ok_or_else(|| RegistryError::InvalidGroupName(group.to_owned()))?;
        match entry.opts.iter().find(|r| r.opt.name == opt.name) {
            Some(r) if r.opt == opt => Ok(()),
            Some(_) => Err(RegistryError::DuplicateOpt {
                group: group.to_owned(),
                name: opt.name,
            }),
            None => {
                entry.opts.push(Registered { namespace, opt });
                Ok(())
            }
        }
    }

    /// Registers options in `group`.
    pub fn register_opts(
        &mut self,
        group: &str,
        opts: impl IntoIterator<Item = Opt>,
    ) -> Result<(), RegistryError> {
        opts.into_iter()
            .try_for_each(|opt| self.register_opt(group, opt))
    }

    /// Registers a group and its options (`tempest.config.register_opt_group`).
    pub fn register_opt_group(
        &mut self,
        group: OptGroup,
        opts: impl IntoIterator<Item = Opt>,
    ) -> Result<(), RegistryError> {
        let name = group.name.clone();
        self.register_group(group)?;
        self.register_opts(&name, opts)
    }
}

impl fmt::Display for OptType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.type_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_numbers() {
        for (s, want) in [
            ("5", Some(5)),
            (" -12 ", Some(-12)),
            ("+7", Some(7)),
            ("007", Some(7)),
            ("1_000", Some(1000)),
            ("1__0", None),
            ("_1", None),
            ("1_", None),
            ("0x10", None),
            ("1.0", None),
            ("", None),
            ("-", None),
            ("99999999999999999999", None),
        ] {
            assert_eq!(py_int(s), want, "{s:?}");
        }
        for (s, want) in [
            ("1.5", Some(1.5)),
            (" 2 ", Some(2.0)),
            ("1e3", Some(1000.0)),
            (".5", Some(0.5)),
            ("1_0.5", Some(10.5)),
            ("-inf", Some(f64::NEG_INFINITY)),
            ("Infinity", Some(f64::INFINITY)),
            ("1_", None),
            ("x", None),
        ] {
            assert_eq!(py_float_parse(s), want, "{s:?}");
        }
        assert!(py_float_parse("nan").unwrap().is_nan());
        for (f, want) in [
            (5.0, "5.0"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"),
            (123456.789, "123456.789"),
            (-2.5, "-2.5"),
        ] {
            assert_eq!(py_float(f), want);
        }
    }

    #[test]
    fn python_str_of_values() {
        assert_eq!(Value::Bool(true).py_str(), "True");
        assert_eq!(Value::Unset.py_str(), "None");
        assert_eq!(Value::from(["a", "it's"]).py_str(), "['a', \"it's\"]");
        assert_eq!(py_repr_str("a'b\"c\n"), "'a\\'b\"c\\n'");
    }

    #[test]
    fn conversions_follow_oslo_types() {
        let b = Opt::bool("b");
        for t in ["true", "TRUE", "Yes", "on", "1"] {
            assert_eq!(b.parse(t), Ok(Value::Bool(true)), "{t}");
        }
        for t in ["false", "No", "OFF", "0"] {
            assert_eq!(b.parse(t), Ok(Value::Bool(false)), "{t}");
        }
        for t in ["", "2", "y", "true # comment"] {
            assert!(b.parse(t).is_err(), "{t}");
        }
        let i = Opt::int("i").min(0).max(10);
        assert_eq!(i.parse(" 3"), Ok(Value::Int(3)));
        assert_eq!(i.parse(""), Ok(Value::Unset));
        assert_eq!(i.parse("11"), Err("an integer value from 0 to 10".into()));
        assert_eq!(i.parse("-1"), Err("an integer value from 0 to 10".into()));
        let f = Opt::float("f").min(0.5);
        assert_eq!(f.parse("0.75"), Ok(Value::Float(0.75)));
        assert_eq!(
            f.parse("0.25"),
            Err("a floating point value of at least 0.5".into())
        );
        let l = Opt::list("l");
        assert_eq!(l.parse(" a, b ,c,"), Ok(Value::from(["a", "b", "c"])));
        assert_eq!(l.parse(""), Ok(Value::List(vec![])));
        assert_eq!(l.parse("a,\nb"), Ok(Value::from(["a", "b"])));
        assert_eq!(l.parse("a,,b"), Ok(Value::from(["a", "", "b"])));
        let s = Opt::string("s").choices(["publicURL", "adminURL"]);
        assert_eq!(s.parse("adminURL"), Ok(Value::from("adminURL")));
        assert_eq!(
            s.parse("adminurl"),
            Err("one of publicURL, adminURL".into())
        );
        let ic = Opt::int("ic").choices([1, 2]);
        assert_eq!(ic.parse("2"), Ok(Value::Int(2)));
        assert!(ic.parse("3").is_err());
        let u = Opt::uri("u", &["http", "https"]);
        for ok in [
            "http://h",
            "https://h:5000/v3",
            "http://user@[::1]:80/x?y#z",
        ] {
            assert_eq!(u.parse(ok), Ok(Value::from(ok)), "{ok}");
        }
        for bad in [
            "",
            "h:5000",
            "ftp://h",
            "http://",
            "http://h:x",
            "http://a b",
        ] {
            assert!(u.parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn registration_rules() {
        let mut r = Registry::new();
        let mut ns = r.namespace("one");
        ns.register_opt_group(
            OptGroup::new("valet").title("Valet basic"),
            [Opt::int("PAUSE").default(5)],
        )
        .unwrap();
        // The same definition again is fine, from any namespace.
        r.namespace("two")
            .register_opt("valet", Opt::int("PAUSE").default(5))
            .unwrap();
        assert_eq!(r.opt("valet", "PAUSE").unwrap().namespace, "one");
        assert_eq!(r.opt("VALET", "PAUSE").unwrap().opt.name(), "PAUSE");
        assert!(r.opt("valet", "pause").is_none());
        // Another definition is not.
        assert_eq!(
            r.namespace("two")
                .register_opt("valet", Opt::int("PAUSE").default(6)),
            Err(RegistryError::DuplicateOpt {
                group: "valet".into(),
                name: "PAUSE".into()
            })
        );
        let mut ns = r.namespace("x");
        assert!(matches!(
            ns.register_opt("g", Opt::int("bad-name")),
            Err(RegistryError::InvalidName { .. })
        ));
        assert!(matches!(
            ns.register_group(OptGroup::new("Upper")),
            Err(RegistryError::InvalidGroupName(_))
        ));
        assert!(matches!(
            ns.register_opt("g", Opt::int("i").default("five")),
            Err(RegistryError::BadDefault { .. })
        ));
        assert!(matches!(
            ns.register_opt("g", Opt::string("s").default("x").choices(["a", "b"])),
            Err(RegistryError::BadDefault { .. })
        ));
        assert!(matches!(
            ns.register_opt("g", Opt::int("i").min(5).max(1)),
            Err(RegistryError::BadDefinition { .. })
        ));
        assert!(matches!(
            ns.register_opt("g", Opt::bool("b").choices([true])),
            Err(RegistryError::BadDefinition { .. })
        ));
        assert!(matches!(
            ns.register_opt("g", Opt::int("i").choices([1, 20]).max(10)),
            Err(RegistryError::BadDefinition { .. })
        ));
        assert!(matches!(
            ns.register_opt("g", Opt::int("i").min(1.5)),
            Err(RegistryError::BadDefinition { .. })
        ));
        // Options in a new group create it; DEFAULT exists from the start.
        ns.register_opt("fresh", Opt::bool("b").default(false))
            .unwrap();
        let names: Vec<_> = r.groups().map(|(g, _)| g.name().to_owned()).collect();
        assert_eq!(names, ["DEFAULT", "valet", "fresh"]);
    }
}
