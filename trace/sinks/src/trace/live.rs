//! Live output without a write per test: the output is flushed only when the tool is about to
//! wait for more input.
//!
//! The stream reader reads its input only when it holds no whole packet, so "before each read of
//! the input" is "when everything at hand has been handled". Flushing there gives a watcher each
//! line as soon as the test's final status has arrived and nothing more is at hand, while a
//! fast stream (whose reads never wait) is written in blocks of the output buffer's size.

use std::io::{self, Read};

/// Input that calls `before` (to flush the output) before each read of the underlying input.
///
/// A failing `before` fails the read with its error, so a reader downstream that went away
/// (`BrokenPipe`) ends the tool as a failed write would.
///
/// # Example
///
/// ```
/// use std::io::Read;
/// use subunit_sinks::trace::FlushBeforeRead;
///
/// let mut flushes = 0;
/// let mut input = FlushBeforeRead::new(&b"abc"[..], || {
///     flushes += 1;
///     Ok(())
/// });
/// let mut all = Vec::new();
/// input.read_to_end(&mut all)?;
/// drop(input);
/// assert_eq!(all, b"abc");
/// assert_eq!(flushes, 2); // the read that got "abc", and the one that found the end
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct FlushBeforeRead<R, F> {
    input: R,
    before: F,
}

impl<R: Read, F: FnMut() -> io::Result<()>> FlushBeforeRead<R, F> {
    /// `input`, calling `before` before each of its reads.
    pub fn new(input: R, before: F) -> Self {
        FlushBeforeRead { input, before }
    }

    /// The underlying input.
    pub fn into_inner(self) -> R {
        self.input
    }
}

impl<R: Read, F: FnMut() -> io::Result<()>> Read for FlushBeforeRead<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (self.before)()?;
        self.input.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out one piece per read.
    struct Pieces<'a> {
        pieces: Vec<&'a [u8]>,
        next: usize,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some(piece) = self.pieces.get(self.next) else {
                return Ok(0);
            };
            self.next += 1;
            buf[..piece.len()].copy_from_slice(piece);
            Ok(piece.len())
        }
    }

    #[test]
    fn before_runs_ahead_of_every_read_and_only_then() {
        let mut calls = 0;
        let pieces = Pieces {
            pieces: vec![b"ab", b"cd", b"e"],
            next: 0,
        };
        let mut input = FlushBeforeRead::new(pieces, || {
            calls += 1;
            Ok(())
        });
        let mut buf = [0u8; 8];
        assert_eq!(input.read(&mut buf).unwrap(), 2);
        assert_eq!(input.read(&mut buf).unwrap(), 2);
        assert_eq!(input.read(&mut buf).unwrap(), 1);
        assert_eq!(input.read(&mut buf).unwrap(), 0);
        let inner = input.into_inner();
        assert_eq!(inner.next, 3);
        assert_eq!(calls, 4);
    }

    #[test]
    fn a_failing_flush_fails_the_read_without_reading() {
        let pieces = Pieces {
            pieces: vec![b"ab"],
            next: 0,
        };
        let mut input = FlushBeforeRead::new(pieces, || Err(io::ErrorKind::BrokenPipe.into()));
        let err = input.read(&mut [0u8; 8]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        assert_eq!(input.into_inner().next, 0);
    }
}
