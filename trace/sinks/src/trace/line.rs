//! The per-test output: the line stestr's `show_outcome` prints when a test ends, the
//! attachment blocks under it, and the names and worker numbers they show.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::{self, Write};

use subunit_emitter::Status;
use subunit_parser::fold::{Attachment, TestRecord};

use super::color::{Color, write_colored};
use super::summary::write_duration;
use crate::python::bytes_repr;
use crate::python::text::{ContentType, TextDecoder};

/// stestr's `cleanup_test_name`: drops the first `[...]` (test attributes such as
/// `[id-1a2b,smoke]`) when the `[` is not the first character and the first `]` follows it.
pub fn cleanup_test_name(name: &str) -> Cow<'_, str> {
    match (name.find('['), name.find(']')) {
        (Some(open), Some(close)) if open > 0 && close > open => {
            Cow::Owned(format!("{}{}", &name[..open], &name[close + 1..]))
        }
        _ => Cow::Borrowed(name),
    }
}

/// The worker number stestr shows in `{N}`: the number in a `worker-N` tag, 0 without one.
///
/// Python takes the first such tag in its set's (hash) order and crashes when the text after
/// `worker-` is not an integer; here the tags are tried in sorted order and one that does not
/// hold an integer is passed over.
pub fn find_worker(tags: &BTreeSet<String>) -> i64 {
    tags.iter()
        .filter_map(|t| t.strip_prefix("worker-"))
        .find_map(python_int)
        .unwrap_or(0)
}

/// Python's `int(text)` for the integers that fit in an `i64`: surrounding whitespace, a
/// sign, ASCII digits with single underscores between them.
fn python_int(text: &str) -> Option<i64> {
    let t = text.trim();
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return None;
    }
    let n: i64 = digits.replace('_', "").parse().ok()?;
    Some(if neg { -n } else { n })
}

/// The sizes of the chunks each attachment arrived in, in the record's attachment order:
/// stestr prints every chunk as its own indented line.
pub(crate) type ChunkSizes = Vec<(String, Vec<usize>)>;

/// Which attachments a block shows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Show {
    /// All of them (`all_channels`), not only `stdout` and `stderr`.
    pub(crate) all: bool,
    /// Binary ones too, as python's `repr` of each chunk.
    pub(crate) binary: bool,
}

/// stestr's `print_attachments`: for each attachment shown, a `Captured <name>:` title with
/// a `~` underline, then each chunk decoded and indented by four spaces on a line of its own.
pub(crate) fn write_attachments(
    out: &mut impl Write,
    record: &TestRecord,
    chunks: &ChunkSizes,
    show: Show,
    scratch: &mut String,
) -> io::Result<()> {
    for (i, att) in record.attachments.iter().enumerate() {
        let name = att.name.split(':').next().unwrap_or("");
        if !(show.all || name == "stdout" || name == "stderr") {
            continue;
        }
        let ct = ContentType::parse(att.mime_type.as_deref());
        let title_len = "Captured :".len() + name.chars().count();
        write!(out, "\nCaptured {name}:\n{}\n", "~".repeat(title_len))?;
        let sizes = chunks
            .get(i)
            .filter(|(n, _)| *n == att.name)
            .map(|(_, s)| s.as_slice());
        if ct.text {
            let mut decoder = TextDecoder::new(ct.charset);
            for chunk in split_chunks(att, sizes) {
                decoder.chunk(chunk, scratch);
                writeln!(out, "    {scratch}")?;
            }
            decoder.finish(scratch);
            if !scratch.is_empty() {
                writeln!(out, "    {scratch}")?;
            }
        } else if show.binary {
            for chunk in split_chunks(att, sizes) {
                scratch.clear();
                bytes_repr(chunk, scratch);
                writeln!(out, "    {scratch}")?;
            }
        }
    }
    Ok(())
}

/// The attachment's content cut back into the chunks it arrived in (one chunk when the sizes
/// are unknown or do not add up).
fn split_chunks<'a>(att: &'a Attachment, sizes: Option<&'a [usize]>) -> Vec<&'a [u8]> {
    let content = att.content.as_slice();
    match sizes {
        Some(sizes) if sizes.iter().sum::<usize>() == content.len() => {
            let mut rest = content;
            sizes
                .iter()
                .map(|&n| {
                    let (chunk, tail) = rest.split_at(n);
                    rest = tail;
                    chunk
                })
                .collect()
        }
        _ => vec![content],
    }
}

/// What to print for one test, from the command line.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LineStyle {
    pub(crate) abbreviate: bool,
    pub(crate) color: bool,
    pub(crate) failonly: bool,
    /// `-n`: no attachments under FAILED and other-status lines.
    pub(crate) no_failure_debug: bool,
    /// `--suppress-attachments`: none under ok lines.
    pub(crate) suppress_attachments: bool,
    /// `--all-attachments`: every text attachment under ok lines, not only stdout/stderr.
    pub(crate) all_attachments: bool,
    pub(crate) show_binary: bool,
}

/// One test's output (stestr's `show_outcome` after its bookkeeping). `perc` is the
/// percentage to show inside the brackets of an ok line, if any.
pub(crate) fn write_outcome(
    out: &mut impl Write,
    style: LineStyle,
    worker: i64,
    record: &TestRecord,
    chunks: &ChunkSizes,
    perc: Option<f64>,
    scratch: &mut String,
) -> io::Result<()> {
    let name = cleanup_test_name(&record.id);
    let mut duration = String::new();
    if let (Some(s), Some(e)) = (record.start, record.end) {
        write_duration(
            &mut duration,
            e.python_micros() as i64 - s.python_micros() as i64,
        );
    }
    let everything = Show {
        all: true,
        binary: style.show_binary,
    };
    match record.status {
        Some(Status::Fail | Status::UxSuccess) => {
            if style.abbreviate {
                write_colored(out, style.color, Color::Red, "F")?;
            } else {
                write!(out, "{{{worker}}} {name} [{duration}] ... ")?;
                write_colored(out, style.color, Color::Red, "FAILED")?;
                out.write_all(b"\n")?;
                if !style.no_failure_debug {
                    write_attachments(out, record, chunks, everything, scratch)?;
                }
            }
        }
        _ if style.failonly => {}
        Some(Status::Success | Status::XFail) => {
            if style.abbreviate {
                write_colored(out, style.color, Color::Green, ".")?;
            } else {
                write!(out, "{{{worker}}} {name} [{duration}")?;
                match perc {
                    Some(p) if p > 0.0 => write!(out, " +{p:.2}%")?,
                    Some(p) => write!(out, " {p:.2}%")?,
                    None => {}
                }
                out.write_all(b"] ... ")?;
                write_colored(out, style.color, Color::Green, "ok")?;
                out.write_all(b"\n")?;
                if !style.suppress_attachments {
                    let show = Show {
                        all: style.all_attachments,
                        binary: style.show_binary,
                    };
                    write_attachments(out, record, chunks, show, scratch)?;
                }
            }
        }
        Some(Status::Skip) => {
            if style.abbreviate {
                write_colored(out, style.color, Color::Blue, "S")?;
            } else {
                write!(out, "{{{worker}}} {name} ... ")?;
                write_colored(out, style.color, Color::Blue, "SKIPPED")?;
                if let Some(reason) = record.attachment("reason") {
                    write!(out, ": {}", reason_text(reason))?;
                }
                out.write_all(b"\n")?;
            }
        }
        _ => {
            let status = record.status_name();
            if style.abbreviate {
                out.write_all(&status.as_bytes()[..1])?;
            } else {
                writeln!(out, "{{{worker}}} {name} [{duration}] ... {status}")?;
                if !style.no_failure_debug {
                    write_attachments(out, record, chunks, everything, scratch)?;
                }
            }
        }
    }
    Ok(())
}

/// A skip reason as text: decoded as its MIME type says (python's `as_text()` raises on a
/// reason that is not text; here it is read as UTF-8).
fn reason_text(reason: &Attachment) -> String {
    let ct = ContentType::parse(reason.mime_type.as_deref());
    if !ct.text {
        return reason.text().into_owned();
    }
    let mut decoder = TextDecoder::new(ct.charset);
    let (mut all, mut part) = (String::new(), String::new());
    decoder.chunk(&reason.content, &mut part);
    all.push_str(&part);
    decoder.finish(&mut part);
    all.push_str(&part);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_first_attribute_block() {
        assert_eq!(cleanup_test_name("a.test_x[id-1,smoke]"), "a.test_x");
        assert_eq!(cleanup_test_name("a.test_x[id-1](s)[b]"), "a.test_x(s)[b]");
        assert_eq!(cleanup_test_name("[x]a"), "[x]a");
        assert_eq!(cleanup_test_name("a]b[c]"), "a]b[c]");
        assert_eq!(cleanup_test_name("plain"), "plain");
    }

    #[test]
    fn workers_come_from_worker_tags() {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(find_worker(&tags(&[])), 0);
        assert_eq!(find_worker(&tags(&["smoke", "worker-3"])), 3);
        assert_eq!(find_worker(&tags(&["worker-x", "worker-1_0"])), 10);
        assert_eq!(find_worker(&tags(&["worker- 7 "])), 7);
        assert_eq!(find_worker(&tags(&["worker-", "worker-_1"])), 0);
        assert_eq!(python_int("-2"), Some(-2));
        assert_eq!(python_int("1__0"), None);
    }
}
