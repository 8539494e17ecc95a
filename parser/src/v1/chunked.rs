//! The HTTP-style chunked body of a multipart detail, decoded the way python-subunit's
//! `subunit.chunked.Decoder` (strict mode) decodes it when the v1 parser feeds it one line at a
//! time.
//!
//! The decoder is reproduced with its buffering, not replaced by a tidy chunk parser: lines it
//! cannot read as a length are kept and scanned again with the next line, and the length line's
//! bytes are then dropped from the *front* of what is kept. On well-formed input (what
//! `TestProtocolClient` writes: `%X\r\n` + bytes, then `0\r\n`) this is plain chunked decoding;
//! on damaged input it decides which bytes end up in the attachment and whether python gives
//! up, and a tidier parser would disagree with python on exactly those streams.

use std::collections::VecDeque;

/// Why python's decoder raised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkError {
    /// A length line not ending in CR LF (`chunk header invalid`).
    HeaderInvalid,
    /// A CR inside a length line (`too many CRs in chunk header`).
    TooManyCrs,
    /// A length line with no hex digits in it (`int()` failed).
    BadLength,
    /// Bytes after the final `0` length line on the same line (an assertion in python).
    TrailingData,
}

impl std::fmt::Display for ChunkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ChunkError::HeaderInvalid => "chunk header does not end in CR LF",
            ChunkError::TooManyCrs => "too many CRs in chunk header",
            ChunkError::BadLength => "chunk header has no hex length",
            ChunkError::TrailingData => "data after the last chunk",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    ReadLength,
    ReadBody,
    Finished,
}

/// The decoder; see the module docs.
#[derive(Debug)]
pub(crate) struct Decoder {
    buffered: VecDeque<Vec<u8>>,
    state: State,
    /// Saturates: a length beyond `u64` can never be satisfied, like python's.
    body_length: u64,
    output: Vec<u8>,
}

const MATCH: &[u8] = b"0123456789abcdefABCDEF\r\n";

impl Decoder {
    pub(crate) fn new() -> Self {
        Decoder {
            buffered: VecDeque::new(),
            state: State::ReadLength,
            body_length: 0,
            output: Vec::new(),
        }
    }

    /// Feeds one line. `Ok(true)` when the final chunk has been read (the body is complete).
    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<bool, ChunkError> {
        if !bytes.is_empty() {
            self.buffered.push_back(bytes.to_vec());
        }
        loop {
            match self.state {
                State::ReadLength => {
                    // Scan every kept buffer, each from its start, up to the first byte that
                    // cannot be in a length line or up to its LF.
                    let mut count: Vec<u8> = Vec::new();
                    for buf in &self.buffered {
                        for &b in buf {
                            if !MATCH.contains(&b) {
                                break;
                            }
                            count.push(b);
                            if b == b'\n' {
                                break;
                            }
                        }
                    }
                    if count.last() != Some(&b'\n') {
                        return Ok(false);
                    }
                    if !count.ends_with(b"\r\n") {
                        return Err(ChunkError::HeaderInvalid);
                    }
                    if count[..count.len() - 2].contains(&b'\r') {
                        return Err(ChunkError::TooManyCrs);
                    }
                    self.body_length = parse_hex(&count)?;
                    // The length line's bytes come off the front of the kept bytes, wherever
                    // they were actually found.
                    let mut excess = count.len();
                    while excess > 0 {
                        let Some(front) = self.buffered.front_mut() else {
                            break;
                        };
                        if excess >= front.len() {
                            excess -= front.len();
                            self.buffered.pop_front();
                        } else {
                            front.drain(..excess);
                            excess = 0;
                        }
                    }
                    if self.body_length == 0 {
                        self.state = State::Finished;
                        if self.buffered.is_empty() {
                            return Ok(true);
                        }
                    } else {
                        self.state = State::ReadBody;
                    }
                }
                State::ReadBody => {
                    let mut again = false;
                    while self.body_length > 0 {
                        let Some(front) = self.buffered.front_mut() else {
                            break;
                        };
                        let len = front.len() as u64;
                        if self.body_length >= len {
                            self.output.extend_from_slice(front);
                            self.body_length -= len;
                            self.buffered.pop_front();
                            if self.body_length == 0 {
                                self.state = State::ReadLength;
                            }
                        } else {
                            // body_length < len, so it fits in usize.
                            let take = self.body_length as usize;
                            self.output.extend_from_slice(&front[..take]);
                            front.drain(..take);
                            self.body_length = 0;
                            self.state = State::ReadLength;
                            again = true;
                            break;
                        }
                    }
                    if !again {
                        return Ok(false);
                    }
                }
                State::Finished => {
                    // Bytes left over after the last chunk: python returns them as residue and
                    // then asserts there is none.
                    return Err(ChunkError::TrailingData);
                }
            }
        }
    }

    /// The decoded body.
    pub(crate) fn into_output(self) -> Vec<u8> {
        self.output
    }
}

/// `int(count.rstrip(b"\n\r"), 16)` for a count line made only of hex digits, CR and LF.
fn parse_hex(count: &[u8]) -> Result<u64, ChunkError> {
    let mut end = count.len();
    while end > 0 && matches!(count[end - 1], b'\r' | b'\n') {
        end -= 1;
    }
    // int() also ignores surrounding whitespace; of the bytes that can be here that is LF.
    let digits = count[..end].trim_ascii();
    if digits.is_empty() {
        return Err(ChunkError::BadLength);
    }
    let mut n: u64 = 0;
    for &d in digits {
        let v = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return Err(ChunkError::BadLength),
        };
        n = n.saturating_mul(16).saturating_add(u64::from(v));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds lines until the decoder finishes or fails: whether it finished (or its error) and
    /// the body bytes decoded so far.
    fn feed(lines: &[&[u8]]) -> (Result<bool, ChunkError>, Vec<u8>) {
        let mut d = Decoder::new();
        for (i, line) in lines.iter().enumerate() {
            match d.write(line) {
                Ok(true) => {
                    assert_eq!(i, lines.len() - 1, "finished early");
                    return (Ok(true), d.into_output());
                }
                Ok(false) => {}
                Err(e) => return (Err(e), d.into_output()),
            }
        }
        (Ok(false), d.into_output())
    }

    // Every expectation here was checked by feeding the same lines to
    // subunit.chunked.Decoder from python-subunit 1.4.6.
    #[test]
    fn well_formed_bodies() {
        assert_eq!(feed(&[b"0\r\n"]), (Ok(true), vec![]));
        assert_eq!(
            feed(&[b"6\r\n", b"hello\n", b"0\r\n"]),
            (Ok(true), b"hello\n".to_vec())
        );
        assert_eq!(
            feed(&[b"5\r\n", b"hello0\r\n"]),
            (Ok(true), b"hello".to_vec())
        );
        assert_eq!(
            feed(&[b"a\r\n", b"0123456789", b"3\r\n", b"abc0\r\n"]),
            (Ok(true), b"0123456789abc".to_vec())
        );
        assert_eq!(
            feed(&[b"D\r\n", b"line one\n", b"two\n", b"0\r\n"]),
            (Ok(true), b"line one\ntwo\n".to_vec())
        );
    }

    #[test]
    fn damaged_bodies_follow_python() {
        assert_eq!(feed(&[b"5\n"]), (Err(ChunkError::HeaderInvalid), vec![]));
        assert_eq!(feed(&[b"\r5\r\n"]), (Err(ChunkError::TooManyCrs), vec![]));
        assert_eq!(feed(&[b"\r\n"]), (Err(ChunkError::BadLength), vec![]));
        // One byte short: the LF left over is read as a length line.
        assert_eq!(
            feed(&[b"C\r\n", b"line one\n", b"two\n", b"0\r\n"]),
            (Err(ChunkError::HeaderInvalid), b"line one\ntwo".to_vec())
        );
        assert_eq!(
            feed(&[b"6\r\n", b"hello\n\n"]),
            (Err(ChunkError::HeaderInvalid), b"hello\n".to_vec())
        );
        assert_eq!(
            feed(&[b"5\r\n", b"hello0\r\nx\n"]),
            (Err(ChunkError::TrailingData), b"hello".to_vec())
        );
        // A line that is no length is kept; the next length line is then cut from the front
        // of the kept bytes, so the body python reads starts inside the junk line.
        assert_eq!(
            feed(&[b"xyz\n", b"5\r\n", b"ab0\r\n"]),
            (Ok(false), b"\n5\r\na".to_vec())
        );
        assert_eq!(
            feed(&[b"xyz\n", b"5\r\n", b"ab\n", b"0\r\n"]),
            (Err(ChunkError::HeaderInvalid), b"\n5\r\na".to_vec())
        );
        assert_eq!(
            feed(&[b"Hello\n", b"0\r\n"]),
            (Err(ChunkError::TrailingData), vec![])
        );
        assert_eq!(
            feed(&[b"5z\n", b"\r\n", b"abc\n", b"0\r\n"]),
            (Err(ChunkError::HeaderInvalid), b"\r\nabc".to_vec())
        );
        assert_eq!(
            feed(&[b"zzzz\n", b"3\r\n", b"q\n"]),
            (Err(ChunkError::BadLength), b"z\n3".to_vec())
        );
        assert_eq!(feed(&[b"5\r\n", b"hel"]), (Ok(false), b"hel".to_vec()));
        // A length beyond any integer type is simply never satisfied.
        assert_eq!(
            feed(&[b"FFFFFFFFFFFFFFFFFFFFFFFF\r\n", b"abc\n"]),
            (Ok(false), b"abc\n".to_vec())
        );
    }
}
