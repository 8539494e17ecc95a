//! The independent Rust crate `subunit` 0.3.1 (`subunit::io::sync::iter_stream`) reads every
//! valid v2 sample as we do: the same packets, field by field, and the same bytes between
//! them.
//!
//! Both readers' output is brought to one shape: a packet (our owned [`Packet`]) or a run of
//! non-subunit bytes (joined, since the crate hands them out a byte at a time). Known
//! differences are named and tested as what they are, never skipped: the crate does not track
//! UTF-8, so a `0xB3` that ends a character in stray text (`ó` is `C3 B3`) starts a packet for
//! it.

use std::path::Path;

use subunit::io::sync::iter_stream;
use subunit::types::stream::ScannedItem;
use subunit::types::teststatus::TestStatus;
use subunit_emitter::{File, Packet, Status, Timestamp};
use subunit_parser::reader::{Item as ReaderItem, PacketReader};
use subunit_samples::{Format, Sample};

/// One item of a stream, as both readers can give it.
#[derive(Debug, PartialEq, Eq)]
enum Item {
    Packet(Packet),
    Bytes(Vec<u8>),
    /// Bytes the reader could not read as a packet (the crate's `Unknown`), with its reason.
    Damaged(Vec<u8>, String),
}

fn push_joined(out: &mut Vec<Item>, item: Item) {
    if let (Some(Item::Bytes(prev)), Item::Bytes(more)) = (out.last_mut(), &item) {
        prev.extend_from_slice(more);
        return;
    }
    out.push(item);
}

fn status(s: TestStatus) -> Status {
    match s {
        TestStatus::Undefined => Status::Undefined,
        TestStatus::Enumeration => Status::Exists,
        TestStatus::InProgress => Status::InProgress,
        TestStatus::Success => Status::Success,
        TestStatus::UnexpectedSuccess => Status::UxSuccess,
        TestStatus::Skipped => Status::Skip,
        TestStatus::Failed => Status::Fail,
        TestStatus::ExpectedFailure => Status::XFail,
    }
}

/// The crate's reading of the stream at `path`.
fn theirs(path: &Path) -> Vec<Item> {
    let mut out = Vec::new();
    for item in iter_stream(std::fs::File::open(path).unwrap()) {
        let item = item.unwrap_or_else(|e| panic!("{}: subunit crate: {e}", path.display()));
        let item = match item {
            ScannedItem::Bytes(b) => Item::Bytes(b),
            ScannedItem::Unknown(b, e) => Item::Damaged(b, e.to_string()),
            ScannedItem::Event(e) => Item::Packet(Packet {
                status: status(e.status),
                test_id: e.test_id,
                route_code: e.route_code,
                timestamp: e
                    .timestamp
                    .map(|t| Timestamp::new(t.seconds, t.nanoseconds.as_u32())),
                runnable: e.runnable,
                tags: e.tags,
                mime_type: e.file.mime_type,
                file: e.file.file.map(|(name, content)| File { name, content }),
                eof: e.file.eof,
            }),
        };
        push_joined(&mut out, item);
    }
    out
}

/// Our reading: the streaming reader's packets and stray bytes (damage would show up as a
/// difference: the crate calls it `Unknown`, and a valid sample has none).
fn ours(path: &Path) -> Vec<Item> {
    let mut reader = PacketReader::new(std::fs::File::open(path).unwrap());
    let mut out = Vec::new();
    while let Some(item) = reader.next_item().unwrap() {
        let item = match item {
            ReaderItem::Packet { packet, .. } => Item::Packet(packet.to_packet()),
            ReaderItem::Stray(bytes) => Item::Bytes(bytes.to_vec()),
            ReaderItem::Damaged { raw, error, .. } => {
                Item::Damaged(raw.to_vec(), error.to_string())
            }
        };
        push_joined(&mut out, item);
    }
    out
}

fn describe(items: &[Item]) -> String {
    items
        .iter()
        .map(|i| match i {
            Item::Packet(p) => format!(
                "packet {:?} {} file {:?}",
                p.test_id,
                p.status,
                p.file.as_ref().map(|f| (&f.name, f.content.len()))
            ),
            Item::Bytes(b) => format!("bytes {:?}", String::from_utf8_lossy(b)),
            Item::Damaged(b, e) => format!("damaged {} bytes: {e}", b.len()),
        })
        .collect::<Vec<_>>()
        .join("\n    ")
}

/// The stray text of the python-unittest sample holds `canción`, whose `ó` is `C3 B3`.
const UTF8_B3_IN_STRAY_TEXT: &str = "python-unittest";

fn valid_v2() -> Vec<Sample> {
    subunit_samples::v2()
        .into_iter()
        .filter(|s| !s.damaged && s.format == Format::V2)
        .collect()
}

#[test]
fn the_subunit_crate_reads_every_valid_v2_sample_as_we_do() {
    let mut failures = Vec::new();
    let mut compared = 0;
    for s in valid_v2() {
        if s.name == UTF8_B3_IN_STRAY_TEXT {
            continue;
        }
        let (a, b) = (ours(&s.path), theirs(&s.path));
        assert!(a.len() > 5, "{}: too few items", s.name);
        if a != b {
            failures.push(format!(
                "{}:\n  ours:\n    {}\n  subunit crate:\n    {}",
                s.name,
                describe(&a),
                describe(&b)
            ));
        }
        compared += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared >= 3, "only {compared} samples compared");
}

/// The named exception: in the python-unittest sample, the crate takes the `B3` of `ó` in stray
/// text for a signature. Everything before that point is equal; at it, the crate reports
/// damage where we (and python) see text; after it, the two agree again on every packet the
/// crate did not swallow.
#[test]
fn the_subunit_crate_takes_a_utf8_b3_in_stray_text_for_a_signature() {
    let s = subunit_samples::get(UTF8_B3_IN_STRAY_TEXT);
    let (a, b) = (ours(&s.path), theirs(&s.path));
    let split = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .expect("the crate differs from us on this sample");
    // Where they part: our stray text holds the whole character ...
    let Item::Bytes(text) = &a[split] else {
        panic!("we part at {:?}", a[split]);
    };
    assert!(
        String::from_utf8_lossy(text).contains("canci\u{f3}n"),
        "{text:?}"
    );
    // ... the crate's text stops right before the B3, which it then reads as a packet start.
    let Item::Bytes(cut) = &b[split] else {
        panic!("the crate parts at {:?}", b[split]);
    };
    assert!(cut.ends_with(b"canci\xc3"), "{cut:?}");
    assert!(
        matches!(&b[split + 1], Item::Damaged(bytes, _) if bytes[0] == 0xB3),
        "{:?}",
        b[split + 1]
    );
    // Every packet the crate reads after that is one of ours, in order.
    let our_packets: Vec<&Packet> = a[split..]
        .iter()
        .filter_map(|i| match i {
            Item::Packet(p) => Some(p),
            _ => None,
        })
        .collect();
    let mut rest = our_packets.iter();
    for item in &b[split..] {
        if let Item::Packet(p) = item {
            assert!(
                rest.any(|q| *q == p),
                "the crate read a packet we did not: {p:?}"
            );
        }
    }
}
