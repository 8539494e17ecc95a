//! The checks testtools' `StreamSummary` makes on a test's attachments.
//!
//! `subunit-1to2` writes through testtools' `ExtendedToStreamDecorator`, which is also a
//! `StreamSummary`: every event is first folded into a summary and only then written. The
//! summary parses each attachment's MIME type (with the `email` package) when the attachment
//! arrives, and when a test ends in `fail` or `xfail` it decodes every `text/*` attachment in
//! its charset (`skip`: the `reason` attachment). When either step raises, python stops before
//! writing the event. These functions say when that happens, so the reader can stop at the
//! same place.
//!
//! The MIME parsing here covers what the `email` package does with the types v1 streams carry
//! (`type/subtype`, `;`-separated parameters, quoted values, `,`-joined parameters as
//! python-subunit's own writer produces them). Charsets are checked for the UTF-8, ASCII and
//! Latin-1 families by their python names and aliases; another charset is assumed decodable.

use super::error::AttachmentProblem;

/// The boundaries of python's `str.splitlines()`.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\u{b}'
            | '\u{c}'
            | '\u{1c}'
            | '\u{1d}'
            | '\u{1e}'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Whether `email` refuses the type as a header value: more than one line by
/// `str.splitlines()` (a line break anywhere but at the very end).
pub(crate) fn type_problem(mime: &str) -> Option<AttachmentProblem> {
    let (i, c) = mime.char_indices().find(|&(_, c)| is_line_break(c))?;
    let mut end = i + c.len_utf8();
    if c == '\r' && mime[end..].starts_with('\n') {
        end += 1;
    }
    (end < mime.len()).then_some(AttachmentProblem::LineBreakInType)
}

fn is_space(c: char) -> bool {
    super::line::is_py_str_space(c)
}

/// The main type (is it `text`?) and the `charset` parameter as testtools ends up with it.
fn parse(mime: &str) -> (bool, Option<String>) {
    let main = mime.split('/').next().unwrap_or("");
    let is_text = main.trim_matches(is_space).eq_ignore_ascii_case("text");
    let mut charset = None;
    if let Some((_, params)) = mime.split_once(';') {
        for param in split_params(params) {
            let (name, value) = match param.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (param, None),
            };
            if !name.trim_matches(is_space).eq_ignore_ascii_case("charset") {
                continue;
            }
            charset = match value {
                None => Some(String::new()),
                Some(v) => param_value(v),
            };
            break;
        }
    }
    // testtools cuts a charset at the first comma (python-subunit writes `charset=utf8,x=y`).
    let charset = charset.map(|c| match c.find(',') {
        Some(i) => c[..i].to_owned(),
        None => c,
    });
    (is_text, charset)
}

/// Splits parameters on `;` outside quoted strings.
fn split_params(params: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in params.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(&params[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&params[start..]);
    out
}

/// A parameter value: a quoted string (unescaped), or a token up to whitespace; `None` when
/// empty, as `email` drops an empty value.
fn param_value(v: &str) -> Option<String> {
    let v = v.trim_matches(is_space);
    let value = if let Some(rest) = v.strip_prefix('"') {
        let mut s = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => s.extend(chars.next()),
                c => s.push(c),
            }
        }
        s
    } else {
        v.split(|c: char| is_space(c) || c == '(')
            .next()
            .unwrap_or("")
            .to_owned()
    };
    (!value.is_empty() || v.starts_with('"')).then_some(value)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Codec {
    Utf8,
    Ascii,
    Latin1,
    /// A name we cannot judge: assumed to decode.
    Other,
}

/// python's codec lookup for the three families we check: lower-case, then
/// `encodings.normalize_encoding`, then the alias table.
fn codec(name: &str) -> Option<Codec> {
    let mut norm = String::new();
    let mut punct = false;
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_alphanumeric() || c == '.' {
            if punct && !norm.is_empty() {
                norm.push('_');
            }
            if c.is_ascii() {
                norm.push(c);
            }
            punct = false;
        } else {
            punct = true;
        }
    }
    let codec = match norm.as_str() {
        "" => return None, // LookupError
        "utf_8" | "utf8" | "u8" | "utf" | "utf8_ucs2" | "utf8_ucs4" | "cp65001" => Codec::Utf8,
        "ascii" | "646" | "ansi_x3.4_1968" | "ansi_x3_4_1968" | "ansi_x3.4_1986" | "cp367"
        | "csascii" | "ibm367" | "iso646_us" | "iso_646.irv_1991" | "iso_ir_6" | "us"
        | "us_ascii" => Codec::Ascii,
        "latin_1" | "8859" | "cp819" | "csisolatin1" | "ibm819" | "iso8859" | "iso8859_1"
        | "iso_8859_1" | "iso_8859_1_1987" | "iso_ir_100" | "l1" | "latin" | "latin1" => {
            Codec::Latin1
        }
        _ => Codec::Other,
    };
    Some(codec)
}

/// Whether testtools fails to read the attachment as text. `must_be_text`: a non-text type is
/// itself the failure (a skip's `reason`); otherwise non-text attachments are not read.
pub(crate) fn text_problem(
    mime: &str,
    content: &[u8],
    must_be_text: bool,
) -> Option<AttachmentProblem> {
    let (is_text, charset) = parse(mime);
    if !is_text {
        return must_be_text.then_some(AttachmentProblem::NotText);
    }
    // No charset: ISO-8859-1, which decodes anything.
    let charset = charset?;
    let undecodable = || AttachmentProblem::Undecodable {
        charset: charset.clone(),
    };
    match codec(&charset) {
        None => Some(AttachmentProblem::UnknownCharset { charset }),
        Some(Codec::Utf8) => std::str::from_utf8(content).is_err().then(undecodable),
        Some(Codec::Ascii) => (!content.is_ascii()).then(undecodable),
        Some(Codec::Latin1 | Codec::Other) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Main type and charset as testtools' `_make_content_type` gives them (checked with
    // testtools 2.9.1).
    #[test]
    fn types_and_charsets_as_testtools_reads_them() {
        let cs = |m: &str| parse(m);
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(cs("text/plain"), (true, None));
        assert_eq!(cs("text/plain;charset=utf8"), (true, some("utf8")));
        assert_eq!(
            cs("text/x-traceback;charset=utf8,language=python"),
            (true, some("utf8"))
        );
        assert_eq!(
            cs("text/x-traceback; charset=\"utf8\""),
            (true, some("utf8"))
        );
        assert_eq!(cs("Text/Plain; CharSet=UTF-8"), (true, some("UTF-8")));
        assert_eq!(cs("application/octet-stream"), (false, None));
        assert_eq!(cs(" text / plain ;charset = ascii "), (true, some("ascii")));
        assert_eq!(cs("text/plain;charset=\"a;b\""), (true, some("a;b")));
        assert_eq!(
            cs("text/plain;charset=ascii;charset=utf8"),
            (true, some("ascii"))
        );
        assert_eq!(cs("text/plain;foo"), (true, None));
        assert_eq!(cs("text/plain;charset="), (true, None));
        assert_eq!(cs("text/plain;charset"), (true, some("")));
        assert_eq!(cs("text/plain;charset=\"\\\"q\""), (true, some("\"q")));
        assert_eq!(cs("text/plain;;charset=ascii"), (true, some("ascii")));
        assert_eq!(cs("text/plain;charset=as cii"), (true, some("as")));
        assert_eq!(cs("text/plain,charset=ascii"), (true, None));
        assert_eq!(
            cs("text/plain ; charset=\"ascii\" junk"),
            (true, some("ascii"))
        );
    }

    #[test]
    fn header_line_breaks() {
        assert_eq!(type_problem("text/plain"), None);
        assert_eq!(type_problem("text/plain\r"), None);
        assert_eq!(type_problem("text/plain\r\n"), None);
        assert_eq!(type_problem("text/plain;charset=ascii\u{b}"), None);
        assert_eq!(
            type_problem("text/plain\r;charset=ascii"),
            Some(AttachmentProblem::LineBreakInType)
        );
        assert_eq!(
            type_problem("a/b\u{2028}c"),
            Some(AttachmentProblem::LineBreakInType)
        );
    }

    #[test]
    fn decoding() {
        let tb = "text/x-traceback; charset=\"utf8\"";
        assert_eq!(text_problem(tb, "ü".as_bytes(), false), None);
        assert!(text_problem(tb, b"\xff", false).is_some());
        assert!(text_problem("text/plain;charset=US-ASCII", b"\xc3\xbc", false).is_some());
        assert_eq!(text_problem("text/plain", b"\xff", false), None);
        assert_eq!(
            text_problem("text/plain;charset=latin-1", b"\xff", false),
            None
        );
        assert_eq!(text_problem("application/x", b"\xff", false), None);
        assert_eq!(
            text_problem("application/x", b"x", true),
            Some(AttachmentProblem::NotText)
        );
        assert!(matches!(
            text_problem("text/plain;charset", b"x", false),
            Some(AttachmentProblem::UnknownCharset { .. })
        ));
        // A charset python knows but we do not judge: assumed to decode.
        assert_eq!(
            text_problem("text/plain;charset=cp1252", b"\xff", false),
            None
        );
    }
}
