//! The Rust-made samples: the emitter sample and the damaged streams. Their bytes are
//! committed under `samples/data/`, and a test checks the committed files equal a fresh
//! generation, so the generators here are the source of truth.

use subunit_emitter::{Delivery, Packet, PacketRef, Status, StreamWriter, Timestamp, to_vec};

/// 2024-01-02T03:04:05Z, the base of every fixed timestamp in these samples.
pub const BASE_SECS: u32 = 1_704_164_645;

fn at(secs: u32, nanos: u32) -> Timestamp {
    Timestamp::new(BASE_SECS + secs, nanos)
}

fn fixed_clock() -> Timestamp {
    at(10, 250_000_000)
}

fn encode(p: &Packet) -> Vec<u8> {
    // The packets below are small and well-formed; the encoder cannot refuse them.
    to_vec(&p.as_ref()).expect("sample packets encode")
}

/// The stream our emitter writes for the `emitter-all` sample: every status, tags (including
/// an empty tag set that clears earlier tags), route codes (`0` and nested `0/1`), a file sent
/// in three chunks with EOF on the last, a binary attachment holding 0xB3 and NUL bytes, files
/// with no test id, and fixed timestamps (one with nanoseconds python cannot keep).
pub fn emitter_sample() -> Vec<u8> {
    let w = StreamWriter::new(Vec::new(), Delivery::Buffered).with_clock(fixed_clock);
    let mut raw: Vec<Packet> = vec![
        // Enumeration, not runnable.
        Packet::status("emitter.listed", Status::Exists)
            .with_runnable(false)
            .with_timestamp(at(0, 0)),
        // A pass with captured stdout.
        Packet::status("emitter.pass", Status::InProgress).with_timestamp(at(1, 0)),
        Packet {
            test_id: Some("emitter.pass".into()),
            ..Packet::default()
        }
        .with_file(
            "stdout",
            Some("text/plain;charset=utf8"),
            b"hello from a test\n".to_vec(),
            true,
        ),
        Packet::status("emitter.pass", Status::Success)
            .with_timestamp(at(1, 123_456_789))
            .with_tags(["worker-0"]),
        // The same id on route 0 and nested route 0/1: two records.
        Packet::status("emitter.routed", Status::InProgress)
            .with_route_code("0")
            .with_timestamp(at(2, 0)),
        Packet::status("emitter.routed", Status::InProgress)
            .with_route_code("0/1")
            .with_timestamp(at(2, 1_500)),
        Packet::status("emitter.routed", Status::Success)
            .with_route_code("0/1")
            .with_timestamp(at(2, 2_500))
            .with_tags(["worker-1"]),
        Packet {
            test_id: Some("emitter.routed".into()),
            route_code: Some("0".into()),
            ..Packet::default()
        }
        .with_file(
            "traceback",
            Some("text/x-traceback;charset=utf8,language=python"),
            b"Traceback (most recent call last):\nAssertionError: 1 != 2\n".to_vec(),
            true,
        ),
        Packet::status("emitter.routed", Status::Fail)
            .with_route_code("0")
            .with_timestamp(at(2, 999_999_999))
            .with_tags(["worker-0"]),
        // A file in three chunks: MIME type on the first, EOF on the last.
        Packet::status("emitter.chunked", Status::InProgress).with_timestamp(at(3, 0)),
    ];
    let chunks: [(&[u8], Option<&str>, bool); 3] = [
        (b"first chunk\n", Some("text/plain"), false),
        (b"second chunk\n", None, false),
        (b"third and last chunk\n", None, true),
    ];
    for (content, mime, eof) in chunks {
        raw.push(
            Packet {
                test_id: Some("emitter.chunked".into()),
                ..Packet::default()
            }
            .with_file("log", mime, content.to_vec(), eof),
        );
    }
    raw.extend([
        Packet::status("emitter.chunked", Status::Success).with_timestamp(at(3, 1_000)),
        // A binary attachment holding signature bytes and NULs.
        Packet {
            test_id: Some("emitter.binary".into()),
            ..Packet::default()
        }
        .with_file(
            "core",
            Some("application/octet-stream"),
            b"\xb3\x00\x00\xb3\x29\x01\x0c\xff\x00".to_vec(),
            true,
        ),
        Packet::status("emitter.binary", Status::XFail).with_timestamp(at(4, 0)),
        // Tags are replaced, not merged: an empty set clears them.
        Packet::status("emitter.tags_cleared", Status::InProgress)
            .with_timestamp(at(5, 0))
            .with_tags(["early", "worker-0"]),
        Packet::status("emitter.tags_cleared", Status::UxSuccess)
            .with_timestamp(at(5, 1_000))
            .with_tags(Vec::<String>::new()),
        // Files sent outside any test.
        Packet::default().with_file(
            "stdout",
            Some("text/plain;charset=utf8"),
            b"output from no test\n".to_vec(),
            false,
        ),
        Packet::default().with_file(
            "run.log",
            Some("text/plain"),
            b"run-wide log\n".to_vec(),
            true,
        ),
        Packet::status("emitter.exists_late", Status::Exists),
    ]);

    for p in &raw {
        // Written one by one, as a runner writes them.
        w.write_packet(&p.as_ref()).expect("sample packets encode");
    }

    // The rest through the runner API (fixed clock).
    let skip = w.test("emitter.skip").route_code("1");
    skip.start().expect("writes to a Vec");
    skip.skip("not on this platform", &["worker-1"])
        .expect("writes to a Vec");
    let open = w.test("emitter.never_finished");
    open.start().expect("writes to a Vec");
    let only_file = w.test("emitter.only_file");
    only_file
        .attach("note", "text/plain", b"a file and no status")
        .expect("writes to a Vec");
    let failing = w.test("emitter.fail_with_status_and_file");
    failing.start().expect("writes to a Vec");
    w.write_packet(&PacketRef {
        status: Status::Fail,
        test_id: Some("emitter.fail_with_status_and_file"),
        timestamp: Some(at(6, 0)),
        mime_type: Some("text/plain"),
        file: Some(subunit_emitter::FileRef {
            name: "log",
            content: b"status and file in one packet\n",
        }),
        eof: true,
        ..PacketRef::default()
    })
    .expect("sample packets encode");
    w.finish().expect("writes to a Vec")
}

/// The names of the damaged samples, in the order [`damaged_samples`] makes them.
pub const DAMAGED_NAMES: [&str; 6] = [
    "damaged-bad-crc",
    "damaged-truncated",
    "damaged-garbage-between",
    "damaged-utf8-b3",
    "damaged-length-under-8",
    "damaged-four-byte-length",
];

fn ok(id: &str, secs: u32) -> Vec<u8> {
    encode(&Packet::status(id, Status::Success).with_timestamp(at(secs, 0)))
}

/// A packet whose length field is the non-minimal 4-byte varint python refuses, with a valid
/// CRC. It carries no timestamp (whose seconds are not ASCII) and a tag chosen so that every
/// byte python rescans as text after refusing the header (the length's last byte through the
/// CRC) is ASCII: no 0xB3 among them, and no half-finished UTF-8 character to swallow the next
/// signature.
fn four_byte_length_packet() -> Vec<u8> {
    for n in 0u32..4096 {
        let p = Packet::status("damaged.four_byte_length", Status::Success)
            .with_tags([format!("try-{n}")]);
        let normal = encode(&p);
        debug_assert!(normal[3] < 0x40, "a one-byte length field");
        let total = normal.len() + 3;
        let mut out = vec![normal[0], normal[1], normal[2]];
        out.extend_from_slice(&(0xC000_0000u32 | total as u32).to_be_bytes());
        out.extend_from_slice(&normal[4..normal.len() - 4]);
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_be_bytes());
        // Python consumes the signature and a 5-byte header, then rescans the rest.
        if out[6..].iter().all(|&b| b < 0x80) {
            return out;
        }
    }
    unreachable!("one tag in 4096 gives an ASCII tail (each try succeeds one time in 16)")
}

/// The damaged streams, by name: each has valid packets before and after its damage, so a
/// reader shows how it recovers.
pub fn damaged_samples() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();

    // A packet whose CRC is wrong, between two good ones.
    let mut s = encode(&Packet::status("damaged.crc", Status::InProgress).with_timestamp(at(0, 0)));
    let mut bad = encode(
        &Packet::status("damaged.crc", Status::Success)
            .with_timestamp(at(1, 0))
            .with_tags(["worker-0"]),
    );
    let last = bad.len() - 1;
    bad[last] ^= 0x01;
    s.extend_from_slice(&bad);
    s.extend_from_slice(&ok("damaged.after_bad_crc", 2));
    out.push((DAMAGED_NAMES[0], s));

    // A packet cut short by the end of the stream.
    let mut s = ok("damaged.before_truncation", 0);
    let cut = encode(
        &Packet::status("damaged.truncated", Status::Fail)
            .with_timestamp(at(1, 0))
            .with_tags(["worker-0"]),
    );
    s.extend_from_slice(&cut[..12]);
    out.push((DAMAGED_NAMES[1], s));

    // Text between packets, and after the last one.
    let mut s = ok("damaged.before_garbage", 0);
    s.extend_from_slice(b"garbage line one\nnot subunit: \x01\x02 tab\there\n");
    s.extend_from_slice(&ok("damaged.after_garbage", 1));
    s.extend_from_slice(b"trailing garbage without a newline");
    out.push((DAMAGED_NAMES[2], s));

    // 0xB3 as the last byte of a UTF-8 character in stray text: not a signature.
    let mut s = ok("damaged.before_utf8", 0);
    s.extend_from_slice(b"caf\xc3\xb3");
    s.extend_from_slice(&ok("damaged.after_utf8", 1));
    s.extend_from_slice(b"\xc3\xb3\xc3\xb3 ol\xc3\xa9\n");
    s.extend_from_slice(&ok("damaged.after_more_utf8", 2));
    out.push((DAMAGED_NAMES[3], s));

    // A declared length of 5, under the 8-byte minimum, followed by good packets.
    let mut s = ok("damaged.before_short_length", 0);
    s.extend_from_slice(&[0xB3, 0x20, 0x01, 0x05]);
    s.extend_from_slice(&ok("damaged.after_short_length", 1));
    s.extend_from_slice(&ok("damaged.last", 2));
    out.push((DAMAGED_NAMES[4], s));

    // A 4-byte length varint, which python refuses.
    let mut s = ok("damaged.before_four_byte_length", 0);
    s.extend_from_slice(&four_byte_length_packet());
    s.extend_from_slice(&ok("damaged.after_four_byte_length", 1));
    out.push((DAMAGED_NAMES[5], s));

    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic() {
        assert_eq!(emitter_sample(), emitter_sample());
        assert_eq!(damaged_samples(), damaged_samples());
    }

    #[test]
    fn damaged_names_match_their_streams() {
        let got: Vec<&str> = damaged_samples().iter().map(|(n, _)| *n).collect();
        assert_eq!(got, DAMAGED_NAMES);
    }

    #[test]
    fn the_four_byte_length_packet_is_what_it_claims() {
        let p = four_byte_length_packet();
        assert_eq!(p[0], 0xB3);
        assert_eq!(p[3] >> 6, 0b11, "a 4-byte length varint");
        let (len, used) = subunit_emitter::varint::decode(&p[3..]).unwrap();
        assert_eq!((len as usize, used), (p.len(), 4));
        let crc = crc32fast::hash(&p[..p.len() - 4]);
        assert_eq!(&p[p.len() - 4..], &crc.to_be_bytes());
        assert!(!p[1..].contains(&0xB3));
    }

    #[test]
    fn the_bad_crc_packet_differs_from_a_good_one_only_in_its_crc() {
        let (_, s) = &damaged_samples()[0];
        let first =
            encode(&Packet::status("damaged.crc", Status::InProgress).with_timestamp(at(0, 0)));
        let good = encode(
            &Packet::status("damaged.crc", Status::Success)
                .with_timestamp(at(1, 0))
                .with_tags(["worker-0"]),
        );
        let bad = &s[first.len()..first.len() + good.len()];
        assert_eq!(bad[..bad.len() - 1], good[..good.len() - 1]);
        assert_ne!(bad[bad.len() - 1], good[good.len() - 1]);
    }
}
