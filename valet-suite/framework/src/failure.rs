//! What a stage, a test or a cleanup returns when it does not succeed.
//!
//! Python signals a skip and an error the same way (by raising); here both are values of
//! [`Failure`], so the lifecycle can treat them as Tempest does: a skip in `skip_checks` skips the
//! class, an error anywhere else fails the class or the test.

use std::borrow::Cow;
use std::fmt;

/// A skip or an error raised by test code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The equivalent of `skipException`: the reason is reported as the `reason` attachment.
    #[error("{0}")]
    Skip(String),
    /// An error, with the name of its kind (`RuntimeError`, `AssertionError`, `Panic`, ...).
    #[error("{kind}: {message}")]
    Error {
        /// The kind of error, printed the way Python prints an exception class.
        kind: Cow<'static, str>,
        /// What went wrong.
        message: String,
        /// The HTTP status the failing call returned, when there was one (for `related_bug`).
        status_code: Option<u16>,
    },
    /// Several errors at once (testtools' `MultipleExceptions`), as class cleanups raise them.
    #[error("MultipleExceptions: {}", DisplayList(.0))]
    Multiple(Vec<Failure>),
}

struct DisplayList<'a>(&'a [Failure]);

impl fmt::Display for DisplayList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl Failure {
    /// A skip with this reason.
    pub fn skip(reason: impl Into<String>) -> Failure {
        Failure::Skip(reason.into())
    }

    /// An error of kind `kind`.
    pub fn new(kind: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Failure {
        Failure::Error {
            kind: kind.into(),
            message: message.into(),
            status_code: None,
        }
    }

    /// A plain error (`Error: message`).
    pub fn error(message: impl Into<String>) -> Failure {
        Failure::new("Error", message)
    }

    /// A `RuntimeError`, the kind Tempest raises for lifecycle misuse.
    pub fn runtime(message: impl Into<String>) -> Failure {
        Failure::new("RuntimeError", message)
    }

    /// A failed check (`AssertionError`).
    pub fn assertion(message: impl Into<String>) -> Failure {
        Failure::new("AssertionError", message)
    }

    /// An error from a call that answered with an HTTP status.
    pub fn http(status_code: u16, message: impl Into<String>) -> Failure {
        Failure::Error {
            kind: "HttpError".into(),
            message: message.into(),
            status_code: Some(status_code),
        }
    }

    /// Whether this is a skip.
    pub fn is_skip(&self) -> bool {
        matches!(self, Failure::Skip(_))
    }

    /// The HTTP status carried by this error, if any.
    pub fn status_code(&self) -> Option<u16> {
        match self {
            Failure::Error { status_code, .. } => *status_code,
            _ => None,
        }
    }

    /// The text of the `traceback` attachment for this failure raised in `place`.
    pub fn traceback(&self, place: &str) -> String {
        let mut out = String::from("Traceback (most recent call last):\n");
        out.push_str("  ");
        out.push_str(place);
        out.push('\n');
        match self {
            Failure::Multiple(errors) => {
                out.push_str(&format!("MultipleExceptions: {} errors\n", errors.len()));
                for (i, e) in errors.iter().enumerate() {
                    out.push_str(&format!("  [{i}] {e}\n"));
                }
            }
            other => {
                out.push_str(&other.to_string());
                out.push('\n');
            }
        }
        out
    }
}

/// `Ok(())` when `condition` holds, else an `AssertionError` with `message`.
pub fn check(condition: bool, message: impl Into<String>) -> Result<(), Failure> {
    if condition {
        Ok(())
    } else {
        Err(Failure::assertion(message))
    }
}

/// `Ok(())` when `expected == actual`, else an `AssertionError` showing both (as
/// `assertEqual` does).
pub fn check_eq<T: PartialEq + fmt::Debug>(expected: T, actual: T) -> Result<(), Failure> {
    if expected == actual {
        Ok(())
    } else {
        Err(Failure::assertion(format!("{expected:?} != {actual:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_traceback() {
        let e = Failure::runtime("boom");
        assert_eq!(e.to_string(), "RuntimeError: boom");
        assert!(!e.is_skip());
        assert!(Failure::skip("x").is_skip());
        let m = Failure::Multiple(vec![Failure::error("a"), Failure::error("b")]);
        assert_eq!(m.to_string(), "MultipleExceptions: Error: a; Error: b");
        let tb = m.traceback("in resource_cleanup of m.C");
        assert!(tb.contains("[1] Error: b"), "{tb}");
        assert_eq!(Failure::http(404, "gone").status_code(), Some(404));
        assert_eq!(check_eq(1, 2), Err(Failure::assertion("1 != 2")));
        assert_eq!(check(true, "x"), Ok(()));
    }
}
