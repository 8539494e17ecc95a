//! Property tests of the decoder and the readers against the encoder.
//!
//! - Any packet the encoder writes decodes to the same packet, in both modes, and every proper
//!   prefix of it asks for more.
//! - A valid stream (packets with non-subunit text between them) gives the same events however
//!   the reader's input is split: read whole, a few bytes per `read`, or cut at every byte.
//! - Random bytes never panic the decoder; the readers always terminate, lose no byte and give
//!   the same events for every split of the input.

use std::io::{self, Read};

use proptest::prelude::*;
use subunit_emitter::{File, Packet, Status, Timestamp, to_vec};
use subunit_parser::decode::{Decoded, Mode, decode};
use subunit_parser::events::{EventReader, NON_SUBUNIT_NAME};
use subunit_parser::reader::{Item, PacketReader};

/// A reader that returns `sizes[i % sizes.len()]` bytes (at least 1) on its i-th call.
struct Split<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    call: usize,
}

impl<'a> Split<'a> {
    fn new(data: &'a [u8], sizes: Vec<usize>) -> Self {
        Split {
            data,
            sizes,
            call: 0,
        }
    }
}

impl Read for Split<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let want = self.sizes[self.call % self.sizes.len()].max(1);
        self.call += 1;
        let n = want.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn is_stdout(p: &Packet) -> bool {
    p.test_id.is_none()
        && p.status == Status::Undefined
        && p.file.as_ref().is_some_and(|f| f.name == NON_SUBUNIT_NAME)
        && p.mime_type.is_none()
        && !p.eof
}

/// All events of a stream, owned, with adjacent `stdout` events joined (their batching is free
/// to differ). Fails the test rather than loop forever.
fn events<R: Read>(r: R, len: usize, strict: bool) -> (Vec<Packet>, Option<String>) {
    let mut reader = if strict {
        EventReader::strict(r)
    } else {
        EventReader::new(r)
    };
    let mut out: Vec<Packet> = Vec::new();
    // Each byte yields at most two events (a damaged signature), plus stray batches.
    for _ in 0..=3 * len + 2 {
        match reader.next_event() {
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e.to_string())),
            Ok(Some(e)) => {
                let e = e.to_packet();
                if let Some(prev) = out.last_mut().filter(|p| is_stdout(p) && is_stdout(&e)) {
                    let more = e.file.map(|f| f.content).unwrap_or_default();
                    if let Some(f) = prev.file.as_mut() {
                        f.content.extend(more);
                    }
                    continue;
                }
                out.push(e);
            }
        }
    }
    panic!("the reader did not finish a stream of {len} bytes");
}

/// Content of `len` bytes from `seed`, with 0xB3 and NUL bytes sprinkled in.
fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match i % 7 {
                0 => 0xB3,
                3 => 0,
                _ => x as u8,
            }
        })
        .collect()
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z._]{0,12}",
        "[^\u{0}]{0,6}",
        Just("caf\u{f3}".to_owned()),
        "[a-z]{60,80}",
    ]
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (any::<u32>(), 0u32..(1 << 30)).prop_map(|(s, n)| Timestamp::new(s, n))
}

fn file() -> impl Strategy<Value = (String, Option<String>, Vec<u8>)> {
    // Sizes that need 1-, 2- and 3-byte length fields (the packet's and the content's).
    let size = prop_oneof![
        0usize..40,
        40usize..400,
        16_300usize..16_500,
        70_000usize..70_100
    ];
    (text(), proptest::option::of(text()), size, any::<u64>())
        .prop_map(|(name, mime, len, seed)| (name, mime, content(len, seed)))
}

fn packet() -> impl Strategy<Value = Packet> {
    (
        proptest::sample::select(Status::ALL.to_vec()),
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(timestamp()),
        any::<bool>(),
        proptest::option::of(proptest::collection::vec(text(), 0..4)),
        proptest::option::of(file()),
        any::<(bool, bool)>(),
    )
        .prop_map(
            |(status, test_id, route_code, timestamp, runnable, tags, file, (eof, mime))| {
                let (file, mime_type) = match file {
                    Some((name, m, content)) => (Some(File { name, content }), m),
                    None => (None, None),
                };
                Packet {
                    status,
                    test_id,
                    route_code,
                    timestamp,
                    runnable,
                    tags,
                    // A MIME type may come without a file, too.
                    mime_type: mime_type.or_else(|| mime.then(|| "text/plain".to_owned())),
                    file,
                    eof,
                }
            },
        )
}

/// A small packet, for streams cut at every byte.
fn small_packet() -> impl Strategy<Value = Packet> {
    (
        proptest::sample::select(Status::ALL.to_vec()),
        "[a-z.]{1,8}",
        proptest::option::of(timestamp()),
        proptest::option::of(proptest::collection::vec("[a-z0-9-]{1,6}", 0..3)),
        proptest::option::of(0usize..20),
        any::<u64>(),
    )
        .prop_map(|(status, id, ts, tags, file, seed)| {
            let mut p = Packet::status(id, status);
            p.timestamp = ts;
            p.tags = tags;
            if let Some(len) = file {
                p = p.with_file(
                    "f",
                    Some("application/octet-stream"),
                    content(len, seed),
                    true,
                );
            }
            p
        })
}

#[derive(Clone, Debug)]
enum Segment {
    Packet(Packet),
    Text(String),
}

fn stream_of(segments: &[Segment]) -> (Vec<u8>, Vec<Packet>) {
    let mut bytes = Vec::new();
    let mut expected: Vec<Packet> = Vec::new();
    for s in segments {
        match s {
            Segment::Packet(p) => {
                bytes.extend(to_vec(&p.as_ref()).expect("encodable"));
                expected.push(p.clone());
            }
            Segment::Text(t) if t.is_empty() => {}
            Segment::Text(t) => {
                bytes.extend_from_slice(t.as_bytes());
                match expected.last_mut() {
                    Some(prev) if is_stdout(prev) => {
                        if let Some(f) = prev.file.as_mut() {
                            f.content.extend_from_slice(t.as_bytes());
                        }
                    }
                    _ => expected.push(Packet::default().with_file(
                        NON_SUBUNIT_NAME,
                        None,
                        t.as_bytes().to_vec(),
                        false,
                    )),
                }
            }
        }
    }
    (bytes, expected)
}

fn segments(
    packet: impl Strategy<Value = Packet>,
    n: usize,
) -> impl Strategy<Value = Vec<Segment>> {
    proptest::collection::vec(
        prop_oneof![
            packet.prop_map(Segment::Packet),
            // Valid UTF-8 text, with characters whose encoding holds 0xB3 ("ó", "ĳ", "ⲳ").
            "([a-z \n]|\u{f3}|\u{133}|\u{2cb3}|[^\u{0}]){0,12}".prop_map(Segment::Text),
        ],
        0..n,
    )
}

/// Bytes that look like damaged streams: random bytes, signatures, valid and broken packets.
fn noise() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..16),
        Just(vec![0xB3]),
        (any::<u16>(), any::<u8>()).prop_map(|(f, l)| {
            let [a, b] = f.to_be_bytes();
            vec![0xB3, a, b, l]
        }),
        (small_packet(), any::<usize>(), any::<u8>(), any::<u8>()).prop_map(
            |(p, at, flip, cut)| {
                let mut b = to_vec(&p.as_ref()).expect("encodable");
                let i = at % b.len();
                b[i] ^= flip;
                let keep = b.len() - usize::from(cut) % 3 * (b.len() / 4);
                b.truncate(keep.max(1));
                b
            }
        ),
        small_packet().prop_map(|p| to_vec(&p.as_ref()).expect("encodable")),
        Just(b"caf\xc3".to_vec()),
        Just(b"\xe2A\x82".to_vec()),
        Just(b"\xed\xa0".to_vec()),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn encoded_packets_decode_to_themselves(p in packet()) {
        let bytes = to_vec(&p.as_ref()).expect("encodable");
        for mode in [Mode::Lenient, Mode::Strict] {
            match decode(&bytes, mode) {
                Ok(Decoded::Packet { packet, len }) => {
                    prop_assert_eq!(len, bytes.len());
                    prop_assert_eq!(packet.to_packet(), p.clone());
                }
                other => prop_assert!(false, "{:?}", other.map(|_| ())),
            }
        }
        // Every proper prefix asks for more (all of them for small packets, a sample of big).
        let step = (bytes.len() / 300).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let got = decode(&bytes[..cut], Mode::Strict);
            prop_assert!(matches!(got, Ok(Decoded::NeedMore { .. })), "prefix {}: {:?}", cut, got);
        }
    }

    #[test]
    fn valid_streams_give_the_same_events_however_they_are_read(
        segs in segments(packet(), 6),
        sizes in proptest::collection::vec(1usize..300, 1..8),
    ) {
        let (bytes, expected) = stream_of(&segs);
        let (whole, err) = events(&bytes[..], bytes.len(), true);
        prop_assert!(err.is_none(), "{:?}", err);
        prop_assert_eq!(&whole, &expected);
        let (split, err) = events(Split::new(&bytes, sizes), bytes.len(), true);
        prop_assert!(err.is_none());
        prop_assert_eq!(&split, &expected);
        let (one, _) = events(Split::new(&bytes, vec![1]), bytes.len(), false);
        prop_assert_eq!(&one, &expected);
    }

    #[test]
    fn small_valid_streams_cut_at_every_byte(segs in segments(small_packet(), 5)) {
        let (bytes, expected) = stream_of(&segs);
        for cut in 0..=bytes.len() {
            let (got, err) = events(Split::new(&bytes, vec![cut, usize::MAX]), bytes.len(), true);
            prop_assert!(err.is_none());
            prop_assert_eq!(&got, &expected, "cut at {}", cut);
        }
    }

    #[test]
    fn random_bytes_never_panic_and_every_split_agrees(
        bytes in noise(),
        sizes in proptest::collection::vec(1usize..40, 1..6),
    ) {
        for mode in [Mode::Lenient, Mode::Strict] {
            for start in 0..bytes.len() {
                let _ = decode(&bytes[start..], mode);
            }
            // The packet reader loses no byte and needs no more steps than there are bytes.
            let mut reader = PacketReader::with_mode(Split::new(&bytes, sizes.clone()), mode);
            let mut seen = Vec::new();
            let mut steps = 0;
            while let Some(item) = reader.next_item().expect("no I/O error") {
                seen.extend_from_slice(item.raw());
                prop_assert!(!item.raw().is_empty());
                if let Item::Damaged { offset, error, .. } = item {
                    prop_assert!(offset + error.offset() as u64 <= bytes.len() as u64);
                }
                steps += 1;
                prop_assert!(steps <= bytes.len());
            }
            prop_assert_eq!(&seen, &bytes);
        }
        let whole = events(&bytes[..], bytes.len(), false);
        prop_assert_eq!(&events(Split::new(&bytes, sizes.clone()), bytes.len(), false), &whole);
        prop_assert_eq!(&events(Split::new(&bytes, vec![1]), bytes.len(), false), &whole);
        let strict = events(&bytes[..], bytes.len(), true);
        prop_assert_eq!(&events(Split::new(&bytes, sizes), bytes.len(), true), &strict);
    }
}
