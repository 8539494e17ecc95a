//! Properties of the v1 reader.
//!
//! - A well-formed v1 run, written from a model (tests with outcomes, bracketed and multipart
//!   details, global and local tags, `time:` lines, plain output, an unfinished last test),
//!   reads back as exactly the events the model predicts.
//! - Any input, damaged or not, gives the same events however the input is split into reads,
//!   never panics, and ends (after at most one error).
//! - Lines that are no directive come back, in order, as the `stdout` text.

use std::collections::BTreeSet;
use std::io::BufReader;

use proptest::prelude::*;
use subunit_emitter::{File, Packet, Status, Timestamp};
use subunit_parser::v1::{Clock, LOST_CONNECTION_MIME, TEXT_MIME, TRACEBACK_MIME, V1Reader};

const NOW: Timestamp = Timestamp::new(1_000_000_000, 0);

#[derive(Clone, Debug)]
enum Details {
    None,
    /// Lines of text (no line break in them).
    Simple(Vec<String>),
    /// Parts: name, MIME type, content, and the chunk sizes to write it in.
    Multipart(Vec<(String, String, Vec<u8>, Vec<usize>)>),
}

#[derive(Clone, Debug)]
enum Item {
    Plain(String),
    Tags(Vec<(bool, String)>),
    Time(u32, u32),
    Test {
        id: String,
        tags: Vec<(bool, String)>,
        /// The outcome keyword, or `None` for a test the stream leaves unfinished.
        outcome: Option<&'static str>,
        details: Details,
        output: Vec<String>,
    },
}

fn tag_ops() -> impl Strategy<Value = Vec<(bool, String)>> {
    prop::collection::vec((any::<bool>(), "[a-e]"), 1..4)
}

fn details() -> impl Strategy<Value = Details> {
    // Lines starting with `]` or ` ]` often, as they need escaping.
    let line = prop_oneof!["[ -~]{0,20}", "\\][ -~]{0,5}", " \\][ -~]{0,5}"]
        .prop_filter("a details block ends at `]`", |l| l != "]");
    let part = (
        "[a-q]{1,6}",
        prop::sample::select(vec![
            "application/octet-stream",
            "text/plain",
            "text/x-traceback;charset=utf8,language=python",
        ]),
        prop::collection::vec(any::<u8>(), 0..60),
        prop::collection::vec(1usize..20, 0..4),
    )
        .prop_map(|(name, mime, mut content, sizes)| {
            if mime.contains("utf8") {
                // testtools decodes utf8 attachments of failed tests; keep them decodable.
                content = String::from_utf8_lossy(&content).into_owned().into_bytes();
            }
            (name, mime.to_owned(), content, sizes)
        });
    prop_oneof![
        Just(Details::None),
        prop::collection::vec(line, 0..4).prop_map(Details::Simple),
        prop::collection::vec(part, 0..3).prop_map(|mut parts| {
            // Distinct names (a repeated name is a unit test of its own).
            let mut seen = BTreeSet::new();
            parts.retain(|p| seen.insert(p.0.clone()));
            Details::Multipart(parts)
        }),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    let plain = "# [ -~]{0,20}";
    prop_oneof![
        plain.prop_map(Item::Plain),
        tag_ops().prop_map(Item::Tags),
        (0u32..=u32::MAX, 0u32..1_000_000).prop_map(|(s, us)| Item::Time(s, us)),
        (
            "[a-z][a-z0-9._]{0,10}",
            prop::option::of(tag_ops()),
            prop::option::of(prop::sample::select(vec![
                "success",
                "successful",
                "failure",
                "error",
                "skip",
                "xfail",
                "uxsuccess",
            ])),
            details(),
            prop::collection::vec(plain, 0..2),
        )
            .prop_map(|(id, tags, outcome, details, output)| Item::Test {
                id,
                tags: tags.unwrap_or_default(),
                outcome,
                details,
                output,
            }),
    ]
}

fn civil(secs: u32) -> String {
    let t = Timestamp::new(secs, 0).to_utc();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

fn apply(set: &mut BTreeSet<String>, ops: &[(bool, String)]) {
    for (add, tag) in ops {
        if *add {
            set.insert(tag.clone());
        }
    }
    for (add, tag) in ops {
        if !*add {
            set.remove(tag);
        }
    }
}

fn tags_line(ops: &[(bool, String)]) -> String {
    let words: Vec<String> = ops
        .iter()
        .map(|(add, t)| if *add { t.clone() } else { format!("-{t}") })
        .collect();
    format!("tags: {}\n", words.join(" "))
}

fn stdout(text: &[u8]) -> Packet {
    Packet {
        file: Some(File {
            name: "stdout".into(),
            content: text.to_vec(),
        }),
        ..Packet::default()
    }
}

/// The v1 text of a run and the events it must give.
fn render(items: &[Item]) -> (Vec<u8>, Vec<Packet>) {
    let mut v1 = Vec::new();
    let mut want = Vec::new();
    let mut global = BTreeSet::new();
    let mut now = NOW;
    let mut open = false;
    for item in items {
        assert!(!open, "only the last test may be left open");
        match item {
            Item::Plain(line) => {
                v1.extend_from_slice(format!("{line}\n").as_bytes());
                want.push(stdout(format!("{line}\n").as_bytes()));
            }
            Item::Tags(ops) => {
                v1.extend_from_slice(tags_line(ops).as_bytes());
                apply(&mut global, ops);
            }
            Item::Time(secs, micros) => {
                v1.extend_from_slice(format!("time: {}.{micros:06}Z\n", civil(*secs)).as_bytes());
                now = Timestamp::new(*secs, micros * 1000);
            }
            Item::Test {
                id,
                tags,
                outcome,
                details,
                output,
            } => {
                v1.extend_from_slice(format!("test: {id}\n").as_bytes());
                want.push(Packet::status(id.as_str(), Status::InProgress).with_timestamp(now));
                let mut local = global.clone();
                if !tags.is_empty() {
                    v1.extend_from_slice(tags_line(tags).as_bytes());
                    apply(&mut local, tags);
                }
                for line in output {
                    v1.extend_from_slice(format!("{line}\n").as_bytes());
                    want.push(stdout(format!("{line}\n").as_bytes()));
                }
                let attach = |name: &str, mime: &str, content: Vec<u8>| {
                    Packet {
                        test_id: Some(id.clone()),
                        timestamp: Some(now),
                        ..Packet::default()
                    }
                    .with_file(name, Some(mime), content, true)
                };
                let status = match outcome {
                    None => {
                        open = true;
                        let text = format!(
                            "testtools.testresult.real._StringException: lost connection during test '{id}'\n"
                        );
                        want.push(attach("traceback", LOST_CONNECTION_MIME, text.into_bytes()));
                        Status::Fail
                    }
                    Some(kw) => {
                        let status = match *kw {
                            "success" | "successful" => Status::Success,
                            "failure" | "error" => Status::Fail,
                            "skip" => Status::Skip,
                            "xfail" => Status::XFail,
                            _ => Status::UxSuccess,
                        };
                        match details {
                            Details::None => {
                                v1.extend_from_slice(format!("{kw}: {id}\n").as_bytes());
                            }
                            Details::Simple(lines) => {
                                v1.extend_from_slice(format!("{kw}: {id} [\n").as_bytes());
                                let mut text = Vec::new();
                                for line in lines {
                                    // A leading `]` is escaped with a space.
                                    if line.starts_with(']') || line.starts_with(" ]") {
                                        v1.push(b' ');
                                    }
                                    let line = if line.starts_with(" ]") {
                                        &line[1..]
                                    } else {
                                        line
                                    };
                                    v1.extend_from_slice(format!("{line}\n").as_bytes());
                                    text.extend_from_slice(format!("{line}\n").as_bytes());
                                }
                                v1.extend_from_slice(b"]\n");
                                let (name, mime) = match status {
                                    Status::Skip => ("reason", TEXT_MIME),
                                    Status::Success => ("message", TEXT_MIME),
                                    _ => ("traceback", TRACEBACK_MIME),
                                };
                                want.push(attach(name, mime, text));
                            }
                            Details::Multipart(parts) => {
                                v1.extend_from_slice(
                                    format!("{kw}: {id} [ multipart\n").as_bytes(),
                                );
                                for (name, mime, content, sizes) in parts {
                                    v1.extend_from_slice(
                                        format!("Content-Type: {mime}\n{name}\n").as_bytes(),
                                    );
                                    let mut rest = &content[..];
                                    let mut sizes = sizes.iter().cycle();
                                    while !rest.is_empty() {
                                        let n =
                                            (*sizes.next().unwrap_or(&usize::MAX)).min(rest.len());
                                        let len = if n % 2 == 0 {
                                            format!("{n:X}\r\n")
                                        } else {
                                            format!("{n:x}\r\n")
                                        };
                                        v1.extend_from_slice(len.as_bytes());
                                        v1.extend_from_slice(&rest[..n]);
                                        rest = &rest[n..];
                                    }
                                    v1.extend_from_slice(b"0\r\n");
                                    want.push(attach(name, mime, content.clone()));
                                }
                                v1.extend_from_slice(b"]\n");
                            }
                        }
                        status
                    }
                };
                let mut end = Packet::status(id.as_str(), status).with_timestamp(now);
                if !local.is_empty() {
                    end = end.with_tags(local);
                }
                want.push(end);
            }
        }
    }
    (v1, want)
}

fn read_all(input: impl std::io::BufRead) -> (Vec<Packet>, Option<String>) {
    let mut packets = Vec::new();
    let mut reader = V1Reader::new(input).with_clock(Clock::Fixed(NOW));
    for item in reader.by_ref() {
        match item {
            Ok(p) => packets.push(p),
            Err(e) => {
                assert!(reader.next().is_none(), "fused after an error");
                return (packets, Some(e.to_string()));
            }
        }
    }
    assert!(reader.next().is_none(), "fused at the end");
    (packets, None)
}

/// Lines made of v1 fragments, damaged ones included.
fn fragments() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop::sample::select(vec![
        &b"test: a\n"[..],
        b"test b\n",
        b"success: a\n",
        b"failure: a [\n",
        b"error: a [ multipart\n",
        b"skip: b\n",
        b"p: a\n",
        b"uxsuccess: a\n",
        b"xfail: b [\n",
        b"]\n",
        b" ]\n",
        b"Content-Type: text/plain\n",
        b"Content-Type: a/b/c\n",
        b"log\n",
        b"5\r\n",
        b"hello0\r\n",
        b"0\r\n",
        b"3\n",
        b"tags: x -y\n",
        b"time: 2024-01-02 03:04:05Z\n",
        b"time: 1969-01-01\n",
        b"time: nope\n",
        b"progress: push\n",
        b"progress: ?\n",
        b"\xff\xfe\n",
        b"plain text\n",
        b"\n",
        b"a",
        b"\r",
        b" ",
    ]);
    prop::collection::vec(piece, 0..30).prop_map(|p| p.concat())
}

proptest! {
    #[test]
    fn a_modelled_run_reads_back_as_its_events(
        mut items in prop::collection::vec(item(), 0..12),
    ) {
        // Only the last test may be left unfinished.
        let last_test = items.iter().rposition(|i| matches!(i, Item::Test { .. }));
        for (n, i) in items.iter_mut().enumerate() {
            if let Item::Test { outcome, .. } = i
                && outcome.is_none()
                && Some(n) != last_test
            {
                *outcome = Some("success");
            }
        }
        if let Some(n) = last_test
            && matches!(items[n], Item::Test { outcome: None, .. })
        {
            items.truncate(n + 1);
        }
        let (v1, want) = render(&items);
        let (got, err) = read_all(&v1[..]);
        prop_assert_eq!(err, None);
        prop_assert_eq!(got, want);
    }

    #[test]
    fn any_input_reads_the_same_however_it_is_split(
        input in prop_oneof![fragments(), prop::collection::vec(any::<u8>(), 0..200)],
        capacity in 1usize..16,
    ) {
        let whole = read_all(&input[..]);
        let split = read_all(BufReader::with_capacity(capacity, &input[..]));
        prop_assert_eq!(whole, split);
    }

    #[test]
    fn plain_lines_come_back_as_stdout(lines in prop::collection::vec("[#>=*0-9 ][ -~]{0,30}", 0..20)) {
        let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let (packets, err) = read_all(input.as_bytes());
        prop_assert_eq!(err, None);
        let mut text = Vec::new();
        for p in &packets {
            prop_assert_eq!(p.test_id.as_deref(), None);
            let f = p.file.as_ref().expect("only stdout");
            prop_assert_eq!(f.name.as_str(), "stdout");
            text.extend_from_slice(&f.content);
        }
        prop_assert_eq!(text, input.into_bytes());
    }
}
