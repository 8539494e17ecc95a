//! How python-subunit's `_ParserState.lineReceived` reads a line outside a details block:
//! which lines are directives, and where a directive's argument starts.

/// A directive keyword, as python-subunit matches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Directive {
    /// `test` / `testing`.
    Test,
    /// An outcome keyword.
    Outcome(Outcome),
    /// `progress`.
    Progress,
    /// `tags`.
    Tags,
    /// `time`.
    Time,
}

/// The six v1 outcomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Success,
    Failure,
    Error,
    Skip,
    XFail,
    UxSuccess,
}

/// The whitespace of python's `bytes.split()` and `bytes.strip()`.
pub(crate) fn is_py_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// The whitespace of python's `str.split()` (`str.isspace()`), which is wider than Rust's
/// `char::is_whitespace` by the four separators U+001C..U+001F.
pub(crate) fn is_py_str_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1c}'..='\u{20}'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// `bytes.strip()`.
pub(crate) fn py_strip(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if !is_py_space(*first) {
            break;
        }
        b = rest;
    }
    while let [rest @ .., last] = b {
        if !is_py_space(*last) {
            break;
        }
        b = rest;
    }
    b
}

/// The directive of `line` and the offset of its argument, or `None` for a plain line.
///
/// Python splits the line once on whitespace and needs two parts, the first at the very start
/// of the line; the argument then starts one byte after the keyword (so `test:  x` names the
/// test ` x`). Trailing colons of the keyword are ignored (`test:::` is `test`). `skip` is
/// tested as a *substring* of `b"skip"` (python compares against a bytes object, not a tuple),
/// so `s`, `k`, `kip`, `p:` and a bare `:` all mean skip.
pub(crate) fn classify(line: &[u8]) -> Option<(Directive, usize)> {
    let keyword_end = line.iter().position(|&b| is_py_space(b))?;
    if keyword_end == 0 || line[keyword_end..].iter().all(|&b| is_py_space(b)) {
        return None;
    }
    let mut cmd = &line[..keyword_end];
    while let [rest @ .., b':'] = cmd {
        cmd = rest;
    }
    let directive = match cmd {
        b"test" | b"testing" => Directive::Test,
        b"error" => Directive::Outcome(Outcome::Error),
        b"failure" => Directive::Outcome(Outcome::Failure),
        b"progress" => Directive::Progress,
        _ if cmd.is_empty() || b"skip".windows(cmd.len()).any(|w| w == cmd) => {
            Directive::Outcome(Outcome::Skip)
        }
        b"success" | b"successful" => Directive::Outcome(Outcome::Success),
        b"tags" => Directive::Tags,
        b"time" => Directive::Time,
        b"xfail" => Directive::Outcome(Outcome::XFail),
        b"uxsuccess" => Directive::Outcome(Outcome::UxSuccess),
        _ => return None,
    };
    Some((directive, keyword_end + 1))
}

/// `line[offset:-1]`: the argument without the line's last byte (its LF, or whatever byte ends
/// an unterminated last line).
pub(crate) fn argument(line: &[u8], offset: usize) -> &[u8] {
    let end = line.len().saturating_sub(1);
    &line[offset.min(end)..end]
}

/// Whether `text` is an integer python's `int()` accepts (after stripping): an optional sign,
/// then digits with single underscores between them.
pub(crate) fn is_py_int(text: &[u8]) -> bool {
    let digits = match text {
        [b'+' | b'-', rest @ ..] => rest,
        _ => text,
    };
    !digits.is_empty()
        && digits.first().is_some_and(u8::is_ascii_digit)
        && digits.last().is_some_and(u8::is_ascii_digit)
        && digits.iter().all(|&b| b.is_ascii_digit() || b == b'_')
        && !digits.windows(2).any(|w| w == b"__")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(line: &str) -> Option<(Directive, usize)> {
        classify(line.as_bytes())
    }

    #[test]
    fn keywords_and_offsets() {
        assert_eq!(dir("test: foo\n"), Some((Directive::Test, 6)));
        assert_eq!(dir("testing foo\n"), Some((Directive::Test, 8)));
        assert_eq!(dir("test:::\tfoo\n"), Some((Directive::Test, 8)));
        assert_eq!(
            dir("successful: foo\n"),
            Some((Directive::Outcome(Outcome::Success), 12))
        );
        assert_eq!(
            dir("error foo\n"),
            Some((Directive::Outcome(Outcome::Error), 6))
        );
        assert_eq!(dir("tags: a\n"), Some((Directive::Tags, 6)));
        assert_eq!(dir("time: x\n"), Some((Directive::Time, 6)));
        assert_eq!(dir("progress: 1\n"), Some((Directive::Progress, 10)));
        assert_eq!(
            dir("xfail: a\n"),
            Some((Directive::Outcome(Outcome::XFail), 7))
        );
        assert_eq!(
            dir("uxsuccess: a\n"),
            Some((Directive::Outcome(Outcome::UxSuccess), 11))
        );
    }

    #[test]
    fn skip_is_a_substring_test() {
        for kw in [
            "skip", "s", "k", "i", "p", "sk", "ki", "ip", "ski", "kip", "",
        ] {
            let line = format!("{kw}: foo\n");
            assert_eq!(
                dir(&line),
                Some((Directive::Outcome(Outcome::Skip), kw.len() + 2)),
                "{line:?}"
            );
        }
        assert_eq!(dir("skips: foo\n"), None);
        assert_eq!(dir("sp: foo\n"), None);
    }

    #[test]
    fn plain_lines() {
        for line in [
            "test:\n",
            "test: \n",
            " test: foo\n",
            "test:foo\n",
            "hello world\n",
            "Test: foo\n",
            "test\u{a0}foo\n",
            "",
        ] {
            assert_eq!(dir(line), None, "{line:?}");
        }
        // Only the first token must be at the start; a vertical tab separates too.
        assert_eq!(dir("test\u{b}foo\n"), Some((Directive::Test, 5)));
    }

    #[test]
    fn arguments_drop_the_last_byte() {
        assert_eq!(argument(b"test: foo\n", 6), b"foo");
        assert_eq!(argument(b"test: foo", 6), b"fo");
        assert_eq!(argument(b"test x", 5), b"");
        assert_eq!(argument(b"test: foo\r\n", 6), b"foo\r");
    }

    #[test]
    fn python_int_syntax() {
        for ok in ["1", "+3", "-0", "00", "1_000", "-1_2_3"] {
            assert!(is_py_int(ok.as_bytes()), "{ok}");
        }
        for bad in ["", "+", "_1", "1_", "1__0", "+_1", "x", "1.0", "1 2"] {
            assert!(!is_py_int(bad.as_bytes()), "{bad}");
        }
        assert_eq!(py_strip(b" \x0b\t5\x0c\r\n"), b"5");
        assert_eq!(py_strip(b"\x1c5"), b"\x1c5");
    }
}
