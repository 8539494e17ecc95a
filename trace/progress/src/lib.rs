//! Progress on stderr (done/total, rate, ETA) for streams that announce their tests with
//! `exists` events first, as `stestr run` and `subunit-ls --exists` listings do.
//!
//! A crate of its own so that the sink library stays free of terminal UI: the trace sink
//! reports to its `Progress` hook, and the binaries that draw a bar (`subunit-trace`,
//! `valet-suite run`) plug this one in.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::io;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use subunit_sinks::trace::Progress as Display;

/// A progress bar that stays hidden until the stream announces a test.
#[derive(Debug)]
pub struct Progress {
    target: Option<ProgressDrawTarget>,
    bar: Option<ProgressBar>,
    announced: u64,
    done: u64,
}

impl Progress {
    /// No progress display.
    pub fn off() -> Self {
        Progress {
            target: None,
            bar: None,
            announced: 0,
            done: 0,
        }
    }

    /// Progress on stderr when stderr is a terminal (redrawn at most 10 times a second),
    /// nothing otherwise.
    pub fn stderr_if_terminal() -> Self {
        use std::io::IsTerminal;
        if std::io::stderr().is_terminal() {
            Self::to(ProgressDrawTarget::stderr_with_hz(10))
        } else {
            Self::off()
        }
    }

    /// Progress drawn to `target`.
    pub fn to(target: ProgressDrawTarget) -> Self {
        Progress {
            target: Some(target),
            ..Self::off()
        }
    }

    /// Tests announced and tests ended so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.done, self.announced)
    }

    /// Whether a bar is showing.
    pub fn is_showing(&self) -> bool {
        self.bar.is_some()
    }
}

impl Display for Progress {
    /// The stream announced one more test.
    fn announce(&mut self) {
        self.announced += 1;
        if self.bar.is_none()
            && let Some(target) = self.target.take()
        {
            let bar = ProgressBar::with_draw_target(Some(0), target);
            bar.set_style(
                ProgressStyle::with_template(
                    "{pos}/{len} tests  {per_sec}  ETA {eta}  [{wide_bar}]",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_position(self.done);
            bar.enable_steady_tick(Duration::from_millis(500));
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            bar.set_length(self.announced);
        }
    }

    /// One more test ended.
    fn done(&mut self) {
        self.done += 1;
        if let Some(bar) = &self.bar {
            bar.set_position(self.done);
        }
    }

    fn suspend(&self, write: &mut dyn FnMut() -> io::Result<()>) -> io::Result<()> {
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    /// Removes the bar for good.
    fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_appears_with_the_first_announced_test() {
        let mut p = Progress::to(ProgressDrawTarget::hidden());
        p.done();
        assert!(!p.is_showing());
        p.announce();
        p.announce();
        assert!(p.is_showing());
        p.done();
        assert_eq!(p.counts(), (2, 2));
        assert_eq!(p.bar.as_ref().unwrap().length(), Some(2));
        assert_eq!(p.bar.as_ref().unwrap().position(), 2);
        p.clear();
        assert!(!p.is_showing());
        let mut off = Progress::off();
        off.announce();
        assert!(!off.is_showing());
    }
}
