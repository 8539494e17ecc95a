//! How stestr turns attachments into text: testtools' reading of MIME types and its
//! chunk-by-chunk incremental decoding (binary attachments print as
//! [`bytes_repr`](super::bytes_repr)).

/// A character set testtools can decode attachments with; the ones real streams use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Charset {
    /// UTF-8 (`utf8`, `utf-8`, `UTF8`, ...).
    Utf8,
    /// ISO-8859-1, testtools' default when a text type names no charset.
    Latin1,
    /// ASCII.
    Ascii,
}

/// What testtools' `_make_content_type` makes of a MIME type, as far as printing goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ContentType {
    /// Whether stestr prints it as text: primary type `text` (or `test`, which stestr's
    /// `print_attachments` rewrites to `text`).
    pub(crate) text: bool,
    /// The charset to decode it with.
    pub(crate) charset: Charset,
}

impl ContentType {
    /// Reads a MIME type as testtools does ([`super::mime`]): text when the primary type is
    /// `text` (or `test`), decoded in its `charset` parameter, ISO-8859-1 when there is none.
    pub(crate) fn parse(mime: Option<&str>) -> ContentType {
        let parsed = super::mime::ContentType::parse(mime);
        ContentType {
            text: parsed.type_ == "text" || parsed.type_ == "test",
            charset: parsed
                .param("charset")
                .map_or(Charset::Latin1, charset_named),
        }
    }
}

/// The charset python's codec registry finds under `name`. Names it would not find (python
/// raises `LookupError`) and charsets not listed here read as UTF-8.
pub(crate) fn charset_named(name: &str) -> Charset {
    let norm: String = name
        .trim()
        .chars()
        .map(|c| match c {
            '-' | ' ' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    match norm.as_str() {
        "latin_1" | "latin1" | "latin" | "l1" | "iso_8859_1" | "iso8859_1" | "iso8859" | "8859"
        | "cp819" | "iso_ir_100" | "csisolatin1" => Charset::Latin1,
        "ascii" | "us_ascii" | "646" | "us" | "cp367" | "csascii" | "ibm367" | "iso646_us"
        | "iso_ir_6" | "ansi_x3.4_1968" | "ansi_x3_4_1968" | "ansi_x3.4_1986" => Charset::Ascii,
        _ => Charset::Utf8,
    }
}

/// testtools' `Content._iter_text`: one incremental decoder fed chunk by chunk, yielding what
/// each chunk decodes to (possibly nothing), then whatever is left at the end.
///
/// Python decodes strictly and crashes on bytes that are not valid in the charset; here they
/// become U+FFFD, as python's `errors="replace"` would have them.
#[derive(Debug)]
pub(crate) struct TextDecoder {
    charset: Charset,
    /// The start of a UTF-8 character cut by the end of a chunk.
    pending: Vec<u8>,
}

impl TextDecoder {
    pub(crate) fn new(charset: Charset) -> Self {
        TextDecoder {
            charset,
            pending: Vec::new(),
        }
    }

    /// Decodes one chunk into `out` (cleared first).
    pub(crate) fn chunk(&mut self, chunk: &[u8], out: &mut String) {
        out.clear();
        match self.charset {
            Charset::Latin1 => out.extend(chunk.iter().map(|&b| char::from(b))),
            Charset::Ascii => out.extend(chunk.iter().map(|&b| {
                if b.is_ascii() {
                    char::from(b)
                } else {
                    char::REPLACEMENT_CHARACTER
                }
            })),
            Charset::Utf8 => {
                if self.pending.is_empty() {
                    self.utf8(chunk, out);
                } else {
                    let mut joined = std::mem::take(&mut self.pending);
                    joined.extend_from_slice(chunk);
                    self.utf8(&joined, out);
                }
            }
        }
    }

    fn utf8(&mut self, mut bytes: &[u8], out: &mut String) {
        loop {
            match std::str::from_utf8(bytes) {
                Ok(s) => {
                    out.push_str(s);
                    return;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    // The prefix was just checked to be UTF-8.
                    out.push_str(std::str::from_utf8(&bytes[..valid]).unwrap_or_default());
                    match e.error_len() {
                        Some(bad) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            bytes = &bytes[valid + bad..];
                        }
                        None => {
                            self.pending = bytes[valid..].to_vec();
                            return;
                        }
                    }
                }
            }
        }
    }

    /// What is left when the content ends: a character cut short (python raises here).
    pub(crate) fn finish(&mut self, out: &mut String) {
        out.clear();
        if !self.pending.is_empty() {
            self.pending.clear();
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }
}

/// A whole content decoded at once, bad bytes as U+FFFD (python's `errors="replace"`).
pub(crate) fn decode_whole(charset: Charset, bytes: &[u8]) -> String {
    let mut decoder = TextDecoder::new(charset);
    let (mut text, mut rest) = (String::new(), String::new());
    decoder.chunk(bytes, &mut text);
    decoder.finish(&mut rest);
    text.push_str(&rest);
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::bytes_repr;

    #[test]
    fn mime_types_read_as_testtools_reads_them() {
        let ct = |m| ContentType::parse(m);
        assert_eq!(
            ct(None),
            ContentType {
                text: false,
                charset: Charset::Latin1
            }
        );
        assert_eq!(
            ct(Some("text/plain;charset=utf8")),
            ContentType {
                text: true,
                charset: Charset::Utf8
            }
        );
        assert_eq!(
            ct(Some("text/x-traceback;charset=utf8,language=python")),
            ContentType {
                text: true,
                charset: Charset::Utf8
            }
        );
        assert_eq!(
            ct(Some("text/plain; charset=\"UTF-8\"")),
            ContentType {
                text: true,
                charset: Charset::Utf8
            }
        );
        assert_eq!(ct(Some("TEXT/plain")).charset, Charset::Latin1);
        assert!(ct(Some("TEXT/plain")).text);
        // No slash, or two: email reads text/plain.
        assert!(ct(Some("garbage")).text);
        assert!(ct(Some("a/b/c")).text);
        assert!(ct(Some("test/plain")).text);
        assert!(!ct(Some("application/json;charset=utf8")).text);
        assert_eq!(
            ct(Some("text/plain;charset=us-ascii")).charset,
            Charset::Ascii
        );
        assert_eq!(
            ct(Some("text/plain;charset=latin-1")).charset,
            Charset::Latin1
        );
    }

    fn decode_all(charset: Charset, chunks: &[&[u8]]) -> Vec<String> {
        let mut d = TextDecoder::new(charset);
        let mut out = Vec::new();
        let mut s = String::new();
        for c in chunks {
            d.chunk(c, &mut s);
            out.push(s.clone());
        }
        d.finish(&mut s);
        if !s.is_empty() {
            out.push(s);
        }
        out
    }

    #[test]
    fn a_character_split_across_chunks_comes_out_whole_in_the_second() {
        let e = "é".as_bytes();
        assert_eq!(
            decode_all(Charset::Utf8, &[b"caf", &e[..1], &e[1..], b"!"]),
            ["caf", "", "é", "!"]
        );
        assert_eq!(decode_all(Charset::Utf8, &[b"a\xffb"]), ["a\u{fffd}b"]);
        assert_eq!(decode_all(Charset::Utf8, &[b"a\xc3"]), ["a", "\u{fffd}"]);
        assert_eq!(decode_all(Charset::Latin1, &[b"caf\xe9"]), ["café"]);
        assert_eq!(decode_all(Charset::Ascii, &[b"ok\x80"]), ["ok\u{fffd}"]);
    }

    #[test]
    fn bytes_repr_is_pythons() {
        let r = |b: &[u8]| {
            let mut s = String::new();
            bytes_repr(b, &mut s);
            s
        };
        assert_eq!(r(b"\x00\x01\xffab\\\n"), r"b'\x00\x01\xffab\\\n'");
        assert_eq!(r(b"it's"), r#"b"it's""#);
        assert_eq!(r(b"it's \"q\""), r#"b'it\'s "q"'"#);
        assert_eq!(r(b"\x7f\t\r"), r"b'\x7f\t\r'");
        assert_eq!(r(b""), "b''");
    }
}
