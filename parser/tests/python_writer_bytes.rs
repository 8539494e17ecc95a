//! Our encoder writes, byte for byte, what python-subunit 1.4.6's `StreamResultToBytes` writes.
//!
//! Each case is one [`Packet`]; the same event is handed to python (`samples/python/
//! write_packets.py`, which calls `StreamResultToBytes.status(...)` once per event) and the
//! packet bytes must be equal. The cases cover the packets of the protocol reference, every
//! status, tags, route codes, the runnable flag, files with and without a test id or a MIME
//! type, timestamps whose nanosecond varint takes 1 to 4 bytes, every boundary of the length
//! and content-length varints, and the largest packet the protocol allows (one byte more is
//! refused by both). The same packets written through a [`StreamWriter`] give python's whole
//! stream. A 5 MiB attachment is compared with `subunit-output --attach-file`, which splits it
//! at 3.5 MiB.
//!
//! Python cannot express two things our model can: an empty tag set and an empty MIME type
//! (it writes neither, `if test_tags:` / `if mime_type:`). Those are the named exceptions
//! below, each checked to be exactly that and nothing more.

use serde_json::{Value, json};
use subunit_emitter::{
    Delivery, FILE_CHUNK_SIZE, MAX_PACKET_LENGTH, Packet, PacketRef, Status, StreamWriter,
    Timestamp, chunk, encoded_len, to_vec,
};
use subunit_parser::decode::{Decoded, Mode, decode};
use subunit_samples::{from_hex, hex, python};

/// 2024-01-02T03:04:05.678901Z, the timestamp of the protocol reference's packets.
const TS: Timestamp = Timestamp::new(1_704_164_645, 678_901_000);

/// The event python is given for `p`, as `write_packets.py` reads it. Tags go as a list, in
/// our order (python's writer iterates whatever it is given; a set would reorder them).
fn python_event(p: &Packet) -> Value {
    let mut e = serde_json::Map::new();
    if let Some(id) = &p.test_id {
        e.insert("test_id".into(), json!(id));
    }
    if p.status != Status::Undefined {
        e.insert("test_status".into(), json!(p.status.as_str()));
    }
    if let Some(tags) = &p.tags {
        e.insert("test_tags".into(), json!(tags));
    }
    e.insert("runnable".into(), json!(p.runnable));
    if let Some(f) = &p.file {
        e.insert("file_name".into(), json!(f.name));
        e.insert("file_bytes".into(), json!(hex(&f.content)));
    }
    e.insert("eof".into(), json!(p.eof));
    if let Some(m) = &p.mime_type {
        e.insert("mime_type".into(), json!(m));
    }
    if let Some(r) = &p.route_code {
        e.insert("route_code".into(), json!(r));
    }
    if let Some(ts) = p.timestamp {
        assert_eq!(ts.nanos % 1000, 0, "python keeps microseconds only");
        let micros = u64::from(ts.secs) * 1_000_000 + u64::from(ts.nanos / 1000);
        e.insert("timestamp".into(), json!(micros));
    }
    Value::Object(e)
}

/// What python writes for each packet: `Ok(bytes)` or `Err("ExceptionType: message")`.
fn python_bytes(packets: &[Packet]) -> Vec<Result<Vec<u8>, String>> {
    let events: Vec<Value> = packets.iter().map(python_event).collect();
    let input = serde_json::to_vec(&events).unwrap();
    let out = python::env().run_script_ok("write_packets.py", std::iter::empty::<&str>(), &input);
    let results: Vec<Value> = serde_json::from_slice(&out).unwrap();
    assert_eq!(results.len(), packets.len());
    results
        .into_iter()
        .map(|r| match r["hex"].as_str() {
            Some(h) => Ok(from_hex(h).unwrap()),
            None => Err(r["error"].as_str().unwrap().to_owned()),
        })
        .collect()
}

fn id(id: &str) -> Packet {
    Packet {
        test_id: Some(id.into()),
        ..Packet::default()
    }
}

fn file(name: &str, content: Vec<u8>) -> Packet {
    Packet::default()
        .with_runnable(false)
        .with_file(name, None, content, false)
}

/// The table: (what the case is, the packet).
fn cases() -> Vec<(String, Packet)> {
    let mut c: Vec<(String, Packet)> = Vec::new();
    let mut add = |name: &str, p: Packet| c.push((name.to_owned(), p));

    // The protocol reference's packets.
    add(
        "spec example: exists foo",
        Packet::status("foo", Status::Exists),
    );
    add(
        "reference 1: inprogress with timestamp",
        Packet::status("a.b.c", Status::InProgress).with_timestamp(TS),
    );
    add(
        "reference 2: success tagged worker-0",
        Packet::status("a.b.c", Status::Success)
            .with_timestamp(TS)
            .with_tags(["worker-0"]),
    );
    add(
        "reference 3: stdout file, route 0, EOF, no status",
        id("a.b.c")
            .with_file(
                "stdout",
                Some("text/plain;charset=utf8"),
                b"hello\n".to_vec(),
                true,
            )
            .with_route_code("0"),
    );
    add(
        "reference: 100-byte stdout chunk, not runnable (2-byte length)",
        file("stdout", vec![b'x'; 100]),
    );

    // Every status, with and without a timestamp, runnable or not.
    for s in Status::ALL {
        add(&format!("status {s}"), Packet::status("pkg.Class.test", s));
        add(
            &format!("status {s}, timestamped, not runnable"),
            Packet::status("pkg.Class.test", s)
                .with_timestamp(TS)
                .with_runnable(false),
        );
    }

    // Tags.
    add(
        "three tags, in order",
        Packet::status("t", Status::Success).with_tags(["worker-3", "slow", "a"]),
    );
    add(
        "non-ASCII tags and id",
        Packet::status("t.caf\u{e9}_\u{f3}", Status::Fail)
            .with_tags(["\u{e9}t\u{e9}", "\u{1f600}"]),
    );
    add(
        "70 tags (2-byte tag count)",
        Packet::status("t", Status::Skip).with_tags((0..70).map(|i| format!("tag-{i}"))),
    );

    // Route codes.
    for r in ["0", "0/1", "12/3/456"] {
        add(
            &format!("route code {r}"),
            Packet::status("t", Status::InProgress)
                .with_route_code(r)
                .with_timestamp(TS),
        );
    }

    // Timestamps whose nanosecond varint takes 1, 2, 3 and 4 bytes.
    for micros in [0u32, 16, 4_194, 4_195, 999_999] {
        add(
            &format!("timestamp with {micros} microseconds"),
            Packet::status("t", Status::Success)
                .with_timestamp(Timestamp::new(1_704_164_645, micros * 1000)),
        );
    }
    add(
        "timestamp at the epoch",
        Packet::status("t", Status::Success).with_timestamp(Timestamp::new(0, 0)),
    );
    add(
        "timestamp in 2106",
        Packet::status("t", Status::Success).with_timestamp(Timestamp::new(u32::MAX, 0)),
    );

    // Files.
    add(
        "file with no test id, with a MIME type",
        Packet::default().with_file("run.log", Some("text/plain"), b"log\n".to_vec(), true),
    );
    add(
        "empty file, EOF",
        id("t").with_file("empty", Some("text/plain"), Vec::new(), true),
    );
    add(
        "binary file holding 0xB3 and NULs",
        id("t").with_file(
            "core",
            Some("application/octet-stream"),
            b"\xb3\x00\xb3\x2b\x02\x00\xff".to_vec(),
            false,
        ),
    );
    add(
        "status, tags, file, MIME, EOF, route and timestamp in one packet",
        Packet::status("t", Status::Fail)
            .with_timestamp(TS)
            .with_tags(["worker-0"])
            .with_route_code("0/1")
            .with_file(
                "traceback",
                Some("text/x-traceback;charset=utf8,language=python"),
                b"Traceback\n".to_vec(),
                true,
            ),
    );

    // Every boundary of the length field (1/2/3 bytes: total 63/64 and 16383/16384) and of
    // the content-length varint (63/64 and 16383/16384 bytes of content).
    for n in (45..=70).chain(16_360..=16_390) {
        add(&format!("file of {n} bytes"), file("f", vec![b'.'; n]));
    }
    add("file of 20000 bytes", file("f", vec![0xB3; 20_000]));

    // The largest packet: exactly MAX_PACKET_LENGTH bytes.
    let overhead = encoded_len(&file("f", Vec::new()).as_ref()).unwrap();
    let largest = MAX_PACKET_LENGTH - overhead - 4; // 3-byte length and content varints
    add("the largest packet", file("f", vec![b'L'; largest]));
    c
}

#[test]
fn our_encoder_writes_python_bytes_for_every_case() {
    let cases = cases();
    let packets: Vec<Packet> = cases.iter().map(|(_, p)| p.clone()).collect();
    let python = python_bytes(&packets);
    let mut failures = Vec::new();
    for ((name, p), theirs) in cases.iter().zip(&python) {
        let ours = to_vec(&p.as_ref()).map_err(|e| e.to_string());
        match (&ours, theirs) {
            (Ok(a), Ok(b)) if a == b => {}
            _ => failures.push(format!(
                "{name}:\n  ours   {}\n  python {}",
                ours.as_deref()
                    .map(|b| hex(&b[..b.len().min(64)]))
                    .unwrap_or_else(|e| e.clone()),
                theirs
                    .as_deref()
                    .map(|b| hex(&b[..b.len().min(64)]))
                    .unwrap_or_else(|e| e.clone())
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let largest = python.last().unwrap().as_ref().unwrap();
    assert_eq!(largest.len(), MAX_PACKET_LENGTH);
}

#[test]
fn one_byte_over_the_maximum_is_refused_by_both() {
    let overhead = encoded_len(&file("f", Vec::new()).as_ref()).unwrap();
    let over = file("f", vec![b'L'; MAX_PACKET_LENGTH - overhead - 4 + 1]);
    let ours = to_vec(&over.as_ref());
    assert!(
        matches!(ours, Err(subunit_emitter::EncodeError::PacketTooLarge { len }) if len == MAX_PACKET_LENGTH + 1),
        "{ours:?}"
    );
    let theirs = python_bytes(&[over]).remove(0);
    // python's base length excludes the length field: 4194304 - 3.
    assert_eq!(theirs, Err("ValueError: Length too long: 4194301".into()));
}

#[test]
fn stream_writer_writes_python_stream() {
    let cases: Vec<Packet> = cases()
        .into_iter()
        .map(|(_, p)| p)
        .filter(|p| p.file.as_ref().is_none_or(|f| f.content.len() < 100_000))
        .collect();
    let python: Vec<u8> = python_bytes(&cases)
        .into_iter()
        .flat_map(|r| r.unwrap())
        .collect();
    for delivery in [Delivery::Live, Delivery::Buffered] {
        let w = StreamWriter::new(Vec::new(), delivery);
        for p in &cases {
            w.write_packet(&p.as_ref()).unwrap();
        }
        assert!(w.finish().unwrap() == python, "{delivery:?}");
    }
}

/// The named exceptions: python writes no tag set when it is empty and no MIME type when it
/// is empty; we keep both (an empty tag set clears a test's tags; see the emitter sample).
/// Everything else about those packets is equal.
#[test]
fn python_drops_empty_tag_sets_and_empty_mime_types() {
    let empty_tags = Packet::status("t", Status::Success).with_tags(Vec::<String>::new());
    let empty_mime = id("t").with_file("f", Some(""), b"x".to_vec(), true);
    let python = python_bytes(&[empty_tags.clone(), empty_mime.clone()]);

    let ours = to_vec(&empty_tags.as_ref()).unwrap();
    assert_eq!(
        ours[2] & 0x80,
        0x80,
        "we write the tags flag and a zero count"
    );
    let without = Packet {
        tags: None,
        ..empty_tags
    };
    assert_eq!(
        python[0].as_ref().unwrap(),
        &to_vec(&without.as_ref()).unwrap()
    );

    let ours = to_vec(&empty_mime.as_ref()).unwrap();
    assert_eq!(
        ours[2] & 0x20,
        0x20,
        "we write the MIME flag and an empty string"
    );
    let without = Packet {
        mime_type: None,
        ..empty_mime
    };
    assert_eq!(
        python[1].as_ref().unwrap(),
        &to_vec(&without.as_ref()).unwrap()
    );
}

/// Splits a stream into its packets with our decoder.
fn packets_of(stream: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        match decode(rest, Mode::Strict) {
            Ok(Decoded::Packet { len, .. }) => {
                out.push(&rest[..len]);
                rest = &rest[len..];
            }
            other => panic!(
                "not a packet at offset {}: {other:?}",
                stream.len() - rest.len()
            ),
        }
    }
    out
}

fn decoded(packet: &[u8]) -> PacketRef<'_> {
    match decode(packet, Mode::Strict) {
        Ok(Decoded::Packet { packet, .. }) => packet,
        other => panic!("{other:?}"),
    }
}

/// A 5 MiB attachment: subunit-output (3.5 MiB chunks) against our `chunk()`.
///
/// subunit-output puts the timestamp, the MIME type, the tags (and a non-final status) on the
/// first packet only, the test id and file name on every packet, and the final status and
/// EOF on the last. Our `chunk()` (and so `StreamWriter`) places them the same way: both give
/// python's bytes exactly.
#[test]
fn five_mib_attachment_against_subunit_output() {
    let content: Vec<u8> = (0..5 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    std::fs::write(&path, &content).unwrap();
    let out = python::env().run_tool(
        "subunit-output",
        [
            "--fail".as_ref(),
            "pkg.test_big".as_ref(),
            "--attach-file".as_ref(),
            path.as_os_str(),
            "--file-name".as_ref(),
            "big.bin".as_ref(),
            "--mimetype".as_ref(),
            "application/octet-stream".as_ref(),
            "--tag".as_ref(),
            "worker-0".as_ref(),
        ] as [&std::ffi::OsStr; 10],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = packets_of(&out.stdout);
    assert_eq!(
        theirs.len(),
        2,
        "subunit-output splits 5 MiB into two packets"
    );

    // The timestamp python stamped, used on our side too.
    let first = decoded(theirs[0]);
    let ts = first
        .timestamp
        .expect("subunit-output stamps the first packet");
    assert_eq!(first.file.unwrap().content.len(), FILE_CHUNK_SIZE);

    // python's placement, built field by field: our encoder gives its bytes.
    let (a, b) = content.split_at(FILE_CHUNK_SIZE);
    let python_first = id("pkg.test_big")
        .with_timestamp(ts)
        .with_tags(["worker-0"])
        .with_file(
            "big.bin",
            Some("application/octet-stream"),
            a.to_vec(),
            false,
        );
    let python_last =
        Packet::status("pkg.test_big", Status::Fail).with_file("big.bin", None, b.to_vec(), true);
    assert!(to_vec(&python_first.as_ref()).unwrap() == theirs[0]);
    assert!(to_vec(&python_last.as_ref()).unwrap() == theirs[1]);

    // Our chunk() places the fields as subunit-output does: its packets are python's bytes.
    let whole = Packet::status("pkg.test_big", Status::Fail)
        .with_timestamp(ts)
        .with_tags(["worker-0"])
        .with_file(
            "big.bin",
            Some("application/octet-stream"),
            content.clone(),
            true,
        );
    let ours: Vec<PacketRef<'_>> = chunk(&whole.as_ref()).unwrap().collect();
    assert_eq!(ours.len(), theirs.len());
    for (i, (o, t)) in ours.iter().zip(&theirs).enumerate() {
        assert!(
            to_vec(o).unwrap() == *t,
            "chunk {i} differs from subunit-output's"
        );
    }

    // StreamWriter splits an over-size packet the same way chunk() does.
    let w = StreamWriter::new(Vec::new(), Delivery::Buffered);
    w.write_packet(&whole.as_ref()).unwrap();
    let written = w.finish().unwrap();
    let mut via_chunk = Vec::new();
    for p in &ours {
        subunit_emitter::encode(p, &mut via_chunk).unwrap();
    }
    assert!(written == via_chunk);
}
