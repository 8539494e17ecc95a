//! The one error type of the stream sinks, and the one fact every tool's verdict is.

use std::io;

/// Why a sink could not do its work. The binaries map it to an exit status; the library never
/// does.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a stream failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// Reading the stream failed.
    #[error("{0}")]
    Read(#[from] subunit_parser::error::ReadError),
    /// Writing a subunit stream failed.
    #[error("{0}")]
    Write(#[from] subunit_emitter::WriteError),
    /// An option the sink was given makes no sense (an empty tag, say).
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// Whether the error is the reader downstream going away, which ends a tool quietly.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            Error::Io(e) => e.kind() == io::ErrorKind::BrokenPipe,
            Error::Write(e) => e.is_broken_pipe(),
            Error::Read(subunit_parser::error::ReadError::Io(e)) => {
                e.kind() == io::ErrorKind::BrokenPipe
            }
            _ => false,
        }
    }
}

/// What a stream says of its run, by a tool's own rule (python's `wasSuccessful`, stestr's
/// checks): a fact the sink reports, which only a binary turns into an exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The run passed.
    Passed,
    /// The run failed.
    Failed,
}

impl Verdict {
    /// [`Verdict::Passed`] when `passed`, else [`Verdict::Failed`].
    pub fn passed_if(passed: bool) -> Verdict {
        if passed {
            Verdict::Passed
        } else {
            Verdict::Failed
        }
    }

    /// Whether the run passed.
    pub fn is_passed(self) -> bool {
        self == Verdict::Passed
    }
}

/// A sink that cannot fail (as [`crate::html::HtmlReport`]) runs under a pipeline that can.
impl From<std::convert::Infallible> for Error {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}
