//! Python's view of values, in one place: how python-subunit and testtools render what a
//! stream holds, so that every sink that prints like python prints the same.
//!
//! - [`bytes_repr`] and [`str_repr`]: python's `repr()` of `bytes` and `str`.
//! - [`content_type_repr`]: a MIME type as testtools normalises it (`repr(ContentType)`).
//! - [`format_time`] and [`python_datetime`]: python's `datetime` texts.
//! - [`write_reencoded`]: an event as python's `StreamResultToBytes` writes it again.
//! - [`text`]: how testtools reads a MIME type to decode an attachment, chunk by chunk.
//!
//! python's rounding of timestamps to microseconds is
//! [`Timestamp::python_rounded`](subunit_emitter::Timestamp::python_rounded), and python's
//! batching of stray bytes is
//! [`python_events`](subunit_parser::events::python_events): each beside what it rounds or
//! batches.
//!
//! This module depends on nothing else of the crate but its [`Error`], so every
//! sink may use it.

pub mod mime;
pub mod text;

use std::fmt::Write as _;
use std::io::Write;

use subunit_emitter::{PacketRef, Timestamp};

use crate::Error;

/// A MIME type as testtools 2.9.1 normalises it when it folds a file:
/// `repr(_make_content_type(mime))`, by the rules of [`mime`].
pub fn content_type_repr(mime: Option<&str>) -> String {
    mime::ContentType::parse(mime).repr()
}

/// python's `repr()` of a `bytes` value.
pub fn bytes_repr(b: &[u8], out: &mut String) {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    out.push('b');
    out.push(quote);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if c as char == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(c as char),
            _ => {
                let _ = write!(out, "\\x{c:02x}");
            }
        }
    }
    out.push(quote);
}

/// python's `repr()` of a `str` value (printable non-ASCII kept, as python 3 keeps it).
pub fn str_repr(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ if c == quote => {
                out.push('\\');
                out.push(quote);
            }
            ' ' => out.push(' '),
            _ if !is_printable(c) => {
                let n = c as u32;
                let _ = match n {
                    0..=0xff => write!(out, "\\x{n:02x}"),
                    0x100..=0xffff => write!(out, "\\u{n:04x}"),
                    _ => write!(out, "\\U{n:08x}"),
                };
            }
            _ => out.push(c),
        }
    }
    out.push(quote);
}

/// An approximation of python's `str.isprintable` for one character: not a control, format,
/// separator or private-use character.
fn is_printable(c: char) -> bool {
    !(c.is_control()
        || c.is_whitespace()
        || matches!(c as u32, 0xad | 0x600..=0x605 | 0x200b..=0x200f | 0x202a..=0x202e
            | 0x2060..=0x2064 | 0xfeff | 0xe000..=0xf8ff))
}

/// A time in microseconds since the epoch as `YYYY-MM-DD HH:MM:SS.ffffff`.
pub fn format_time(micros: u64) -> String {
    Timestamp::from_micros(micros).to_utc().format_micros(' ')
}

/// Formats microseconds since the epoch as python's `str()` of a UTC `datetime`:
/// `2024-01-02 03:04:06+00:00`, with `.ffffff` when there are microseconds. Times before the
/// epoch print as the epoch.
pub fn python_datetime(micros: i64) -> String {
    let text = format_time(micros.max(0) as u64);
    let text = text.strip_suffix(".000000").unwrap_or(&text);
    format!("{text}+00:00")
}

/// Writes `event` re-encoded, as python's `StreamResultToBytes` does (timestamps rounded to
/// microseconds, everything else as read).
pub fn write_reencoded(
    event: &PacketRef<'_>,
    out: &mut dyn Write,
    buf: &mut Vec<u8>,
) -> Result<(), Error> {
    let mut event = *event;
    event.timestamp = event.timestamp.map(Timestamp::python_rounded);
    buf.clear();
    subunit_emitter::encode(&event, buf).map_err(|e| {
        Error::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            e.to_string(),
        ))
    })?;
    out.write_all(buf)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reprs_are_pythons() {
        let mut s = String::new();
        bytes_repr(b"a'b\n\xb3\\", &mut s);
        assert_eq!(s, r#"b"a'b\n\xb3\\""#);
        s.clear();
        str_repr("it's \u{e9}\u{7}", &mut s);
        assert_eq!(s, "\"it's \u{e9}\\x07\"");
        assert_eq!(content_type_repr(None), "application/octet-stream");
        assert_eq!(
            content_type_repr(Some("text/x-traceback;charset=utf8,language=python")),
            "text/x-traceback; charset=\"utf8\""
        );
        assert_eq!(
            content_type_repr(Some("TEXT/Plain; B=2; a=1")),
            "text/plain; a=\"1\"; b=\"2\""
        );
        assert_eq!(content_type_repr(Some("garbage")), "text/plain");
        assert_eq!(
            content_type_repr(Some("text/plain;charset")),
            "text/plain; charset=\"\""
        );
    }

    #[test]
    fn times_are_utc_civil_dates() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00.000000");
        assert_eq!(
            format_time(1_704_164_645_678_901),
            "2024-01-02 03:04:05.678901"
        );
        assert_eq!(
            format_time(951_782_400_000_001),
            "2000-02-29 00:00:00.000001"
        );
        assert_eq!(
            format_time(4_294_967_295_000_000),
            "2106-02-07 06:28:15.000000"
        );
    }

    #[test]
    fn datetimes_print_as_python_str() {
        assert_eq!(python_datetime(0), "1970-01-01 00:00:00+00:00");
        assert_eq!(
            python_datetime(1_704_164_645_000_123),
            "2024-01-02 03:04:05.000123+00:00"
        );
        assert_eq!(
            python_datetime(951_782_400_500_000),
            "2000-02-29 00:00:00.500000+00:00"
        );
        assert_eq!(
            python_datetime(4_102_444_799_000_000),
            "2099-12-31 23:59:59+00:00"
        );
    }
}
