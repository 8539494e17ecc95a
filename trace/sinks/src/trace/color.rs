//! Colour: when to use it, and the escape codes stestr's colorizer writes.

use std::io::{self, Write};

/// When to colour the status words (`--color=auto|always|never`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorWhen {
    /// Colour when standard output is a terminal, unless `NO_COLOR` says otherwise
    /// (`CLICOLOR_FORCE` turns it on anywhere, `TERM=dumb` off), as `anstream` decides.
    #[default]
    Auto,
    /// Always colour (what a bare `--color` means).
    Always,
    /// Never colour.
    Never,
}

impl ColorWhen {
    /// Whether to colour output written to standard output: decided once, at start.
    pub fn resolve_for_stdout(self) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                anstream::AutoStream::choice(&io::stdout()) != anstream::ColorChoice::Never
            }
        }
    }
}

/// A colour stestr's `AnsiColorizer` uses for a status word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Color {
    /// Passed and expected failures.
    Green,
    /// Failures and unexpected successes.
    Red,
    /// Skips.
    Blue,
}

impl Color {
    fn code(self) -> u8 {
        match self {
            Color::Green => 32,
            Color::Red => 31,
            Color::Blue => 34,
        }
    }
}

/// Writes `text` in `color` when `enabled`, byte for byte as stestr's colorizer does
/// (`ESC[32;1m` ... `ESC[0m`: the colour, then bold), so logs grepped for its codes still match.
pub(crate) fn write_colored(
    out: &mut impl Write,
    enabled: bool,
    color: Color,
    text: &str,
) -> io::Result<()> {
    if enabled {
        write!(out, "\x1b[{};1m{text}\x1b[0m", color.code())
    } else {
        out.write_all(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stestrs() {
        let mut v = Vec::new();
        write_colored(&mut v, true, Color::Green, "ok").unwrap();
        write_colored(&mut v, true, Color::Red, "F").unwrap();
        write_colored(&mut v, true, Color::Blue, "SKIPPED").unwrap();
        write_colored(&mut v, false, Color::Blue, "S").unwrap();
        assert_eq!(
            v,
            b"\x1b[32;1mok\x1b[0m\x1b[31;1mF\x1b[0m\x1b[34;1mSKIPPED\x1b[0mS"
        );
    }

    #[test]
    fn explicit_choices_ignore_the_terminal() {
        assert!(ColorWhen::Always.resolve_for_stdout());
        assert!(!ColorWhen::Never.resolve_for_stdout());
    }
}
