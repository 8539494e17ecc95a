//! The reader against python-subunit.
//!
//! Every input below that starts with `read(b"...")` was checked against `subunit-1to2` from
//! python-subunit 1.4.6 with testtools 2.9.1: its output, decoded with python's
//! `ByteStreamToStreamResult`, gives the events expected here (python writes plain lines raw, so
//! its reader may cut the `stdout` text into different chunks; the bytes, in order, are the
//! same), and where an error is expected python stops with the exception named in the comment,
//! after writing exactly the events listed. Packets python stamps with the wall clock are
//! stamped with [`NOW`] here ([`Clock::Fixed`]).

use subunit_emitter::{File, Packet, Status, Timestamp};

use super::*;

const NOW: Timestamp = Timestamp::new(1_000_000_000, 0);
/// `time: 2024-01-02 03:04:05.678901Z`.
const T1: Timestamp = Timestamp::new(1_704_164_645, 678_901_000);
const TB: &str = TRACEBACK_MIME;

fn read(input: &[u8]) -> (Vec<Packet>, Option<V1Error>) {
    let mut packets = Vec::new();
    let mut reader = V1Reader::new(input).with_clock(Clock::Fixed(NOW));
    for item in reader.by_ref() {
        match item {
            Ok(p) => packets.push(p),
            Err(e) => {
                assert!(reader.next().is_none(), "the reader ends after an error");
                return (packets, Some(e));
            }
        }
    }
    (packets, None)
}

/// The events of an input python converts without an error.
fn events(input: &[u8]) -> Vec<Packet> {
    let (packets, err) = read(input);
    assert!(err.is_none(), "unexpected error {err:?}");
    packets
}

fn start(id: &str) -> Packet {
    Packet::status(id, Status::InProgress).with_timestamp(NOW)
}

fn end(id: &str, status: Status, tags: &[&str]) -> Packet {
    let p = Packet::status(id, status).with_timestamp(NOW);
    if tags.is_empty() {
        p
    } else {
        p.with_tags(tags.iter().copied())
    }
}

fn file(id: &str, name: &str, mime: &str, content: &[u8]) -> Packet {
    Packet {
        test_id: Some(id.to_owned()),
        timestamp: Some(NOW),
        ..Packet::default()
    }
    .with_file(name, Some(mime), content.to_vec(), true)
}

fn out(text: &[u8]) -> Packet {
    Packet {
        file: Some(File {
            name: "stdout".to_owned(),
            content: text.to_vec(),
        }),
        ..Packet::default()
    }
}

fn lost(id: &str, during: &str) -> Packet {
    let text = format!(
        "testtools.testresult.real._StringException: lost connection during {during}test '{id}'\n"
    );
    file(id, "traceback", LOST_CONNECTION_MIME, text.as_bytes())
}

fn at(mut p: Packet, ts: Timestamp) -> Packet {
    p.timestamp = Some(ts);
    p
}

#[test]
fn plain_lines_are_stdout_without_a_test() {
    assert_eq!(
        events(b"hello\n\nworld"),
        [out(b"hello\n"), out(b"\n"), out(b"world")]
    );
    assert_eq!(events(b""), []);
}

#[test]
fn test_and_success_in_every_spelling() {
    assert_eq!(
        events(b"test: a\nsuccess: a\ntesting b\nsuccessful b\ntest::: c\nsuccess:: c\n"),
        [
            start("a"),
            end("a", Status::Success, &[]),
            start("b"),
            end("b", Status::Success, &[]),
            start("c"),
            end("c", Status::Success, &[]),
        ]
    );
}

#[test]
fn the_name_starts_one_byte_after_the_keyword() {
    // Two spaces: the name keeps one. A tab or vertical tab separates like a space.
    assert_eq!(
        events(b"test:  a\nsuccess:  a\ntest:\x0bb\nsuccess\tb\n"),
        [
            start(" a"),
            end(" a", Status::Success, &[]),
            start("b"),
            end("b", Status::Success, &[]),
        ]
    );
}

#[test]
fn every_outcome_maps_to_its_status() {
    let input = b"test: a\nfailure: a\ntest: b\nerror: b\ntest: c\nskip: c\n\
                  test: d\nxfail: d\ntest: e\nuxsuccess: e\n";
    assert_eq!(
        events(input),
        [
            start("a"),
            end("a", Status::Fail, &[]),
            start("b"),
            end("b", Status::Fail, &[]),
            start("c"),
            end("c", Status::Skip, &[]),
            start("d"),
            end("d", Status::XFail, &[]),
            start("e"),
            end("e", Status::UxSuccess, &[]),
        ]
    );
}

#[test]
fn skip_is_matched_as_a_substring_of_skip() {
    assert_eq!(
        events(b"test: a\np: a\ntest: b\n: b\ntest: c\nki:: c\n"),
        [
            start("a"),
            end("a", Status::Skip, &[]),
            start("b"),
            end("b", Status::Skip, &[]),
            start("c"),
            end("c", Status::Skip, &[]),
        ]
    );
}

#[test]
fn bracketed_details_by_outcome() {
    let input = b"test: a\nfailure: a [\ntrace\n ]x\n ]\n]\n\
                  test: b\nerror: b [\n]\n\
                  test: c\nskip: c [\nwhy\n]\n\
                  test: d\nsuccess: d [\nmsg\n]\n\
                  test: e\nxfail: e [\nxf\n]\n\
                  test: f\nuxsuccess: f [\nux\n]\n";
    assert_eq!(
        events(input),
        [
            start("a"),
            file("a", "traceback", TB, b"trace\n]x\n]\n"),
            end("a", Status::Fail, &[]),
            start("b"),
            file("b", "traceback", TB, b""),
            end("b", Status::Fail, &[]),
            start("c"),
            file("c", "reason", TEXT_MIME, b"why\n"),
            end("c", Status::Skip, &[]),
            start("d"),
            file("d", "message", TEXT_MIME, b"msg\n"),
            end("d", Status::Success, &[]),
            start("e"),
            file("e", "traceback", TB, b"xf\n"),
            end("e", Status::XFail, &[]),
            start("f"),
            file("f", "traceback", TB, b"ux\n"),
            end("f", Status::UxSuccess, &[]),
        ]
    );
}

#[test]
fn directives_inside_details_are_details() {
    assert_eq!(
        events(b"test: a\nfailure: a [\ntest: b\ntags: x\ntime: bogus\nprogress: x\n]\n"),
        [
            start("a"),
            file(
                "a",
                "traceback",
                TB,
                b"test: b\ntags: x\ntime: bogus\nprogress: x\n"
            ),
            end("a", Status::Fail, &[]),
        ]
    );
}

#[test]
fn multipart_details_keep_names_and_types() {
    let input = b"test: a\nfailure: a [ multipart\n\
                  Content-Type: text/plain;charset=utf8\nlog\n1A\r\nabcdefghijklmnopqrstuvwxy\n0\r\n\
                  Content-Type: text/x-traceback;charset=utf8,language=python\ntraceback\n\
                  5\r\nhello0\r\n\
                  X: application/octet-stream\nempty\n0\r\n\
                  Content-Type: text/plain\nlog\n2\r\nhi0\r\n\
                  ]\n";
    assert_eq!(
        events(input),
        [
            start("a"),
            // A repeated name keeps its first place and takes the last value and type.
            file("a", "log", "text/plain", b"hi"),
            file(
                "a",
                "traceback",
                "text/x-traceback;charset=utf8,language=python",
                b"hello"
            ),
            file("a", "empty", "application/octet-stream", b""),
            end("a", Status::Fail, &[]),
        ]
    );
}

#[test]
fn multipart_chunk_lengths_are_hex_and_bodies_span_lines() {
    let input = b"test: a\nskip: a [ multipart\nContent-Type: text/plain\nreason\n\
                  d\r\nline one\ntwo\n3\r\nabc0\r\n]\n";
    assert_eq!(
        events(input),
        [
            start("a"),
            file("a", "reason", "text/plain", b"line one\ntwo\nabc"),
            end("a", Status::Skip, &[]),
        ]
    );
    // An empty multipart block: only the status.
    assert_eq!(
        events(b"test: a\nsuccess: a [ multipart\n]\n"),
        [start("a"), end("a", Status::Success, &[])]
    );
}

#[test]
fn tags_go_on_the_final_status_only() {
    let input = b"tags: g1 g2\ntest: a\ntags: local -g2\nsuccess: a\n\
                  test: b\ntags: x -x\nfailure: b\n\
                  tags: -g1\ntest: c\nskip: c\n";
    assert_eq!(
        events(input),
        [
            start("a"),
            end("a", Status::Success, &["g1", "local"]),
            start("b"),
            end("b", Status::Fail, &["g1", "g2"]),
            start("c"),
            end("c", Status::Skip, &["g2"]),
        ]
    );
}

#[test]
fn tags_split_on_python_whitespace() {
    // U+00A0 and U+001C separate tags in python's str.split().
    assert_eq!(
        events("tags: a\u{a0}b c\u{1c}d\ntest: t\nsuccess: t\n".as_bytes()),
        [start("t"), end("t", Status::Success, &["a", "b", "c", "d"])]
    );
}

#[test]
fn time_stamps_what_follows() {
    let input = b"test: a\ntime: 2024-01-02 03:04:05.678901Z\nfailure: a [\nx\n]\n\
                  time: 2001-09-09 01:46:40+05:30\ntest: b\nsuccess: b\n";
    let t2 = Timestamp::new(999_980_200, 0);
    assert_eq!(
        events(input),
        [
            start("a"),
            at(file("a", "traceback", TB, b"x\n"), T1),
            at(end("a", Status::Fail, &[]), T1),
            at(start("b"), t2),
            at(end("b", Status::Success, &[]), t2),
        ]
    );
}

#[test]
fn the_clock_stamps_packets_before_any_time_line() {
    let input = &b"test: a\nsuccess: a\n"[..];
    let omitted: Vec<_> = V1Reader::new(input)
        .with_clock(Clock::Omit)
        .map(Result::unwrap)
        .collect();
    assert_eq!(omitted[0].timestamp, None);
    assert_eq!(omitted[1].timestamp, None);
    let before = Timestamp::now();
    let now: Vec<_> = V1Reader::new(input).map(Result::unwrap).collect();
    let stamp = now[0].timestamp.expect("python stamps with the wall clock");
    assert!(stamp.secs >= before.secs && stamp.secs <= Timestamp::now().secs);
    assert_eq!(stamp.nanos % 1000, 0, "python keeps microseconds");
}

#[test]
fn progress_is_dropped() {
    assert_eq!(
        events(
            b"progress: 3\ntest: a\nprogress: +1_0\nprogress: push\nprogress: pop\nsuccess: a\n"
        ),
        [start("a"), end("a", Status::Success, &[])]
    );
}

#[test]
fn lines_that_do_not_fit_are_plain_output() {
    let input = b"success: a\ntest: a\ntest: b\nsuccess: b\nsuccess: a \nerror: a\n\
                  test:\nfailure: a\n";
    assert_eq!(
        events(input),
        [
            // An outcome outside a test.
            out(b"success: a\n"),
            start("a"),
            // A second test inside a test, an outcome for another test, a label with a
            // trailing space, a keyword without an argument.
            out(b"test: b\n"),
            out(b"success: b\n"),
            out(b"success: a \n"),
            end("a", Status::Fail, &[]),
            out(b"test:\n"),
            out(b"failure: a\n"),
        ]
    );
}

#[test]
fn crlf_lines_keep_their_cr() {
    assert_eq!(
        events(b"test: a\r\nsuccess: a\r\n"),
        [start("a\r"), end("a\r", Status::Success, &[])]
    );
}

#[test]
fn an_unfinished_test_fails_with_lost_connection() {
    assert_eq!(
        events(b"tags: g\ntest: a\ntags: l\n"),
        [
            start("a"),
            lost("a", ""),
            end("a", Status::Fail, &["g", "l"])
        ]
    );
    // The last line loses its last byte, so its label no longer matches.
    assert_eq!(
        events(b"test: a\nsuccess: a"),
        [
            start("a"),
            out(b"success: a"),
            lost("a", ""),
            end("a", Status::Fail, &[])
        ]
    );
    // Inside a details block, the collected details are dropped.
    assert_eq!(
        events(b"test: a\nfailure: a [\npartial\n"),
        [
            start("a"),
            lost("a", "failure report of "),
            end("a", Status::Fail, &[])
        ]
    );
    assert_eq!(
        events(b"test: a\nsuccess: a [ multipart\nContent-Type: text/plain\nlog\n5\r\nhel"),
        [
            start("a"),
            lost("a", "success report of "),
            end("a", Status::Fail, &[])
        ]
    );
    assert_eq!(
        events("test: ü\nxfail: ü [\n".as_bytes()),
        [
            start("ü"),
            lost("ü", "xfail report of "),
            end("ü", Status::Fail, &[])
        ]
    );
}

#[test]
fn where_python_stops_the_reader_stops() {
    // UnicodeDecodeError on the test name.
    let (p, e) = read(b"hello\ntest: \xff\n");
    assert_eq!(p, [out(b"hello\n")]);
    assert!(matches!(
        e,
        Some(V1Error::NotUtf8 {
            line: 2,
            what: Text::TestName
        })
    ));

    // iso8601.ParseError.
    let (p, e) = read(b"test: a\ntime: yesterday\nsuccess: a\n");
    assert_eq!(p, [start("a")]);
    assert!(matches!(e, Some(V1Error::BadTime { line: 2, ref text }) if text == "yesterday"));

    // struct.error when a packet needs a time before 1970.
    let (p, e) = read(b"test: a\ntime: 1969-12-31 23:59:59Z\nprogress: 1\nsuccess: a\n");
    assert_eq!(p, [start("a")]);
    assert!(matches!(e, Some(V1Error::TimeOutOfRange { line: 2, .. })));

    // ValueError from int().
    let (p, e) = read(b"test: a\nprogress: x\n");
    assert_eq!(p, [start("a")]);
    assert!(matches!(e, Some(V1Error::BadProgress { line: 2, .. })));

    // AttributeError: the parser has no uxsuccess handler outside a test.
    let (p, e) = read(b"hi\nuxsuccess: a\n");
    assert_eq!(p, [out(b"hi\n")]);
    assert!(matches!(e, Some(V1Error::UxSuccessOutsideTest { line: 2 })));

    // ValueError: a part header without one `/`.
    let (p, e) = read(b"test: a\nfailure: a [ multipart\nContent-Type: text\n");
    assert_eq!(p, [start("a")]);
    assert!(matches!(e, Some(V1Error::BadContentType { line: 3, .. })));

    // ValueError from the chunked decoder.
    let (p, e) = read(b"test: a\nfailure: a [ multipart\nContent-Type: a/b\nn\n5\n");
    assert_eq!(p, [start("a")]);
    assert!(matches!(
        e,
        Some(V1Error::BadChunk {
            line: 5,
            reason: ChunkError::HeaderInvalid
        })
    ));
}

#[test]
fn where_the_python_summary_stops_the_reader_stops() {
    // UnicodeDecodeError: the traceback is written, the fail status is not.
    let (p, e) = read(b"test: a\nfailure: a [\n\xff\n]\ntest: b\n");
    assert_eq!(p, [start("a"), file("a", "traceback", TB, b"\xff\n")]);
    assert!(matches!(
        e,
        Some(V1Error::Attachment {
            line: 4,
            ref name,
            problem: AttachmentProblem::Undecodable { .. }
        }) if name == "traceback"
    ));
    // A success or uxsuccess is not decoded, nor is a reason of type text/plain (latin-1).
    assert_eq!(
        events(b"test: a\nuxsuccess: a [\n\xff\n]\ntest: b\nskip: b [\n\xff\n]\n"),
        [
            start("a"),
            file("a", "traceback", TB, b"\xff\n"),
            end("a", Status::UxSuccess, &[]),
            start("b"),
            file("b", "reason", TEXT_MIME, b"\xff\n"),
            end("b", Status::Skip, &[]),
        ]
    );
    // ValueError: a skip reason that is not text.
    let (p, e) = read(b"test: a\nskip: a [ multipart\nContent-Type: a/b\nreason\n1\r\nx0\r\n]\n");
    assert_eq!(p, [start("a"), file("a", "reason", "a/b", b"x")]);
    assert!(matches!(
        e,
        Some(V1Error::Attachment {
            problem: AttachmentProblem::NotText,
            ..
        })
    ));
    // ValueError from the email package: a line break inside the type. The first part is
    // written, the second is not. (A type ending in CR, as in a CRLF stream, is accepted.)
    let input = b"test: a\nsuccess: a [ multipart\nContent-Type: text/plain\r\none\n1\r\nx0\r\n\
                  Content-Type: text/plain\r;charset=utf8\ntwo\n1\r\ny0\r\n]\n";
    let (p, e) = read(input);
    assert_eq!(p, [start("a"), file("a", "one", "text/plain\r", b"x")]);
    assert!(matches!(
        e,
        Some(V1Error::Attachment {
            line: 11,
            problem: AttachmentProblem::LineBreakInType,
            ..
        })
    ));
}

#[test]
fn v1_to_v2_writes_python_s_bytes() {
    let input = b"time: 2024-01-02 03:04:05.678901Z\ntest: a.b.c\ntags: worker-0\n\
                  failure: a.b.c [\nboom\n]\ntest: d\nskip: d [ multipart\n\
                  Content-Type: text/plain;charset=utf8\nreason\n4\r\nwhy\n0\r\n]\n";
    // subunit-1to2's output for this input, byte for byte.
    let python = "b32b021665937d25e877350805612e622e63a85d3454b32b70404865937d25e87735080561\
                  2e622e6320746578742f782d74726163656261636b3b20636861727365743d22757466382209\
                  74726163656261636b05626f6f6d0a12564a98b32b862065937d25e877350805612e622e6301\
                  08776f726b65722d301b7ba930b32b021265937d25e877350801648ea8ab27b32b703665937d\
                  25e8773508016417746578742f706c61696e3b636861727365743d7574663806726561736f6e\
                  047768790aaad7def7b32b051265937d25e87735080164fa3042a8";
    let mut bytes = Vec::new();
    v1_to_v2(&input[..], &mut bytes, PlainLines::Raw).unwrap();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, python);
}

#[test]
fn v1_to_v2_writes_plain_lines_raw_or_in_stdout_packets() {
    let input = b"time: 2024-01-02 03:04:05Z\nhello \xb3\ntest: a\nsuccess: a\n";
    let encode = |p: Packet| subunit_emitter::to_vec(&p.as_ref()).unwrap();
    let at = Timestamp::new(1_704_164_645, 0);
    let test_packets = [
        encode(Packet::status("a", Status::InProgress).with_timestamp(at)),
        encode(Packet::status("a", Status::Success).with_timestamp(at)),
    ]
    .concat();

    let mut raw = Vec::new();
    v1_to_v2(&input[..], &mut raw, PlainLines::Raw).unwrap();
    assert_eq!(raw, [&b"hello \xb3\n"[..], &test_packets].concat());

    let mut packets = Vec::new();
    v1_to_v2(&input[..], &mut packets, PlainLines::Packets).unwrap();
    let line = encode(out(b"hello \xb3\n"));
    assert_eq!(packets, [line, test_packets].concat());

    // A line longer than a packet passes through raw, unsplit.
    let mut long = vec![b'x'; subunit_emitter::MAX_PACKET_LENGTH + 10];
    long.push(b'\n');
    let mut raw = Vec::new();
    v1_to_v2(&long[..], &mut raw, PlainLines::Raw).unwrap();
    assert_eq!(raw, long);
}

#[test]
fn v1_to_v2_splits_what_one_packet_cannot_hold() {
    let mut input = vec![b'x'; subunit_emitter::MAX_PACKET_LENGTH + 10];
    input.push(b'\n');
    let mut bytes = Vec::new();
    v1_to_v2(&input[..], &mut bytes, PlainLines::Packets).unwrap();
    // Two stdout packets whose contents make up the line.
    let first = subunit_emitter::FILE_CHUNK_SIZE;
    let rest = input.len() - first;
    let overhead = |n: usize| {
        let p = out(&vec![b'x'; n]);
        subunit_emitter::encoded_len(&p.as_ref()).unwrap()
    };
    assert_eq!(bytes.len(), overhead(first) + overhead(rest));
    assert_eq!(bytes[0], subunit_emitter::SIGNATURE);
    assert_eq!(bytes[overhead(first)], subunit_emitter::SIGNATURE);
}

#[test]
fn v1_to_v2_reports_unencodable_packets_and_write_errors() {
    let mut bytes = Vec::new();
    let e = v1_to_v2(&b"test: a\0b\n"[..], &mut bytes, PlainLines::Raw).unwrap_err();
    assert!(matches!(e, V1Error::Encode(_)));
    assert!(bytes.is_empty());

    struct Broken;
    impl std::io::Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("closed"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let e = v1_to_v2(&b"hello\n"[..], Broken, PlainLines::Raw).unwrap_err();
    assert!(matches!(e, V1Error::Write(_)));
}

/// A reader that hands out its lines one `fill_buf` at a time and then fails, so a test can
/// see what the reader yields before it has read further.
struct Lines {
    lines: Vec<&'static [u8]>,
    pos: usize,
}

impl std::io::Read for Lines {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let data = std::io::BufRead::fill_buf(self)?;
        let n = data.len().min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl std::io::BufRead for Lines {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        match self.lines.first() {
            Some(line) => Ok(&line[self.pos..]),
            None => Err(std::io::Error::other("no more input")),
        }
    }
    fn consume(&mut self, n: usize) {
        self.pos += n;
        if self.lines.first().is_some_and(|l| self.pos == l.len()) {
            self.lines.remove(0);
            self.pos = 0;
        }
    }
}

#[test]
fn the_reader_streams_and_stops_on_read_errors() {
    let input = Lines {
        lines: vec![b"test: a\n", b"success: a\n", b"hello\n"],
        pos: 0,
    };
    let mut reader = V1Reader::new(input).with_clock(Clock::Fixed(NOW));
    assert_eq!(reader.next().unwrap().unwrap(), start("a"));
    assert_eq!(reader.line_number(), 1);
    assert_eq!(
        reader.next().unwrap().unwrap(),
        end("a", Status::Success, &[])
    );
    assert_eq!(reader.next().unwrap().unwrap(), out(b"hello\n"));
    assert!(matches!(reader.next(), Some(Err(V1Error::Read(_)))));
    assert!(reader.next().is_none());
}
