//! What the trace tells a progress display, so that the display (a terminal bar, in the tools)
//! can live outside the sink library.

use std::fmt;
use std::io;

/// A progress display the trace keeps up to date: the stream announces tests with `exists`
/// events ([`Progress::announce`]), tests end ([`Progress::done`]), and every write to the
/// output the display may share goes through [`Progress::suspend`].
///
/// Every method has a default that shows nothing, so [`NoProgress`] is the empty impl.
pub trait Progress: fmt::Debug + Send {
    /// The stream announced one more test.
    fn announce(&mut self) {}

    /// One more test ended.
    fn done(&mut self) {}

    /// Runs `write` (which writes to the terminal the display may share) with the display
    /// cleared meanwhile.
    ///
    /// # Errors
    ///
    /// Those of `write`.
    fn suspend(&self, write: &mut dyn FnMut() -> io::Result<()>) -> io::Result<()> {
        write()
    }

    /// Removes the display for good.
    fn clear(&mut self) {}
}

/// No progress display.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
