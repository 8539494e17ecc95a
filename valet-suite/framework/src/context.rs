//! The test context: what a test body, `set_up` and `tear_down` see ([`TestCx`]), and the files
//! attached to a result ([`Attachment`]).
//!
//! It sits apart from [`crate::lifecycle`] (which runs tests) and [`crate::spec`] (whose test
//! bodies take it), so that both import it and neither imports the other's caller.

use std::sync::Arc;

use crate::config::Config;
use crate::failure::Failure;

/// A file attached to a test or a class pseudo-test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// The file name (`traceback`, `reason`, `pythonlogging:''`, ...).
    pub name: String,
    /// Its MIME type.
    pub mime: String,
    /// Its bytes.
    pub content: Vec<u8>,
}

pub(crate) type TestCleanup<'c> = Box<dyn FnOnce() -> Result<(), Failure> + Send + 'c>;

/// The test context: details, the captured log and the cleanups of one test.
pub struct TestCx<'c> {
    id: String,
    pub(crate) config: Arc<Config>,
    pub(crate) details: Vec<Attachment>,
    pub(crate) log: String,
    pub(crate) cleanups: Vec<TestCleanup<'c>>,
}

impl std::fmt::Debug for TestCx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCx")
            .field("id", &self.id)
            .field("cleanups", &self.cleanups.len())
            .finish_non_exhaustive()
    }
}

impl<'c> TestCx<'c> {
    pub(crate) fn new(id: String, config: Arc<Config>) -> Self {
        TestCx {
            id,
            config,
            details: Vec::new(),
            log: String::new(),
            cleanups: Vec::new(),
        }
    }

    /// The full test id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `addDetail`: attaches a file to the test's result.
    pub fn attach(&mut self, name: &str, mime: &str, content: impl Into<Vec<u8>>) {
        self.details.push(Attachment {
            name: name.to_owned(),
            mime: mime.to_owned(),
            content: content.into(),
        });
    }

    /// Writes a line to the test's captured log (the `pythonlogging:''` attachment).
    pub fn log(&mut self, line: &str) {
        self.log.push_str(line);
        self.log.push('\n');
    }

    /// `addCleanup`: runs after `tear_down`, last registered first, even when the test or its
    /// set-up failed.
    pub fn add_cleanup(&mut self, cleanup: impl FnOnce() -> Result<(), Failure> + Send + 'c) {
        self.cleanups.push(Box::new(cleanup));
    }
}
