//! Typed option keys: an option named once, as a constant of the type its value is read as.
//!
//! A [`Key<T>`] is a group, a name and the Rust type of the value ([`FromValue`]). The keys of
//! the registered options are constants next to their registration ([`super::builtin`]), which
//! names each option through its key and writes its default once; code reads values with
//! [`Config::get`](super::Config::get), so a mistyped option name does not compile and no call
//! site repeats a default.
//!
//! ```
//! use tempest_framework::Config;
//! use tempest_framework::config::builtin::{identity, service_clients};
//!
//! let config = Config::new();
//! assert_eq!(config.get(identity::REGION)?, "RegionOne");
//! assert_eq!(config.get(identity::URI_V3)?, None);
//! assert_eq!(config.get_or_default(service_clients::HTTP_TIMEOUT)?, 60);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A mistyped name is no key at all:
//!
//! ```compile_fail
//! use tempest_framework::Config;
//! use tempest_framework::config::builtin::identity;
//!
//! let uri = Config::new().get(identity::URI_V4);
//! ```

use std::fmt;
use std::marker::PhantomData;

use super::opts::Value;

/// The key of the option `[group] name`, read as a `T`.
pub struct Key<T> {
    group: &'static str,
    name: &'static str,
    ty: PhantomData<fn() -> T>,
}

impl<T> Key<T> {
    /// The key of `[group] name`.
    pub const fn new(group: &'static str, name: &'static str) -> Key<T> {
        Key {
            group,
            name,
            ty: PhantomData,
        }
    }

    /// The group (section).
    pub const fn group(&self) -> &'static str {
        self.group
    }

    /// The option's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<T> Clone for Key<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Key<T> {}

impl<T> fmt::Debug for Key<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.group, self.name)
    }
}

impl<T> PartialEq for Key<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.group, self.name) == (other.group, other.name)
    }
}

impl<T> Eq for Key<T> {}

/// A Rust type an option's value is read as.
pub trait FromValue: Sized {
    /// What the type is called in an error ("boolean", "string", ...).
    const WANTED: &'static str;
    /// The value as this type; `None` when it holds another type.
    fn from_value(value: &Value) -> Option<Self>;
}

/// Unset reads as false (as Python's truth test reads `None`).
impl FromValue for bool {
    const WANTED: &'static str = "boolean";
    fn from_value(value: &Value) -> Option<bool> {
        match value {
            Value::Bool(b) => Some(*b),
            Value::Unset => Some(false),
            _ => None,
        }
    }
}

/// For an option with a default: unset is an error.
impl FromValue for i64 {
    const WANTED: &'static str = "integer";
    fn from_value(value: &Value) -> Option<i64> {
        match value {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}

/// For an option with a default: unset is an error.
impl FromValue for String {
    const WANTED: &'static str = "string";
    fn from_value(value: &Value) -> Option<String> {
        match value {
            Value::Str(s) => Some(s.clone()),
            _ => None,
        }
    }
}

/// For an option without a default: `None` when unset.
impl<T: FromValue> FromValue for Option<T> {
    const WANTED: &'static str = T::WANTED;
    fn from_value(value: &Value) -> Option<Option<T>> {
        match value {
            Value::Unset => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// Unset reads as empty.
impl FromValue for Vec<String> {
    const WANTED: &'static str = "list";
    fn from_value(value: &Value) -> Option<Vec<String>> {
        match value {
            Value::List(l) => Some(l.clone()),
            Value::Unset => Some(Vec::new()),
            _ => None,
        }
    }
}
