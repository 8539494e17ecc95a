//! The v2 decoder, the packet reader and the event reader, lenient and strict, on any bytes.
//!
//! Beyond "no panic, no hang", it checks what must hold for every input:
//! - a packet the decoder accepts re-encodes (when the encoder takes it) to bytes that decode
//!   to the same packet;
//! - the packet reader covers every input byte exactly once, in order, and never needs more
//!   items than there are bytes;
//! - the event reader gives the same events whether it reads the input whole or a byte at a
//!   time (adjacent `stdout` events joined).
#![no_main]

use std::io::{self, Read};

use libfuzzer_sys::fuzz_target;
use subunit_emitter::{Packet, Status, to_vec};
use subunit_parser::decode::{Decoded, Mode, decode};
use subunit_parser::events::{EventReader, NON_SUBUNIT_NAME};
use subunit_parser::reader::PacketReader;

/// Hands out one byte per `read`.
struct OneByte<'a>(&'a [u8]);

impl Read for OneByte<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), out.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

fn is_stdout(p: &Packet) -> bool {
    p.test_id.is_none()
        && p.status == Status::Undefined
        && p.file.as_ref().is_some_and(|f| f.name == NON_SUBUNIT_NAME)
        && p.mime_type.is_none()
        && !p.eof
}

fn events(reader: impl Read, strict: bool, len: usize) -> (Vec<Packet>, Option<String>) {
    let mut r = if strict {
        EventReader::strict(reader)
    } else {
        EventReader::new(reader)
    };
    let mut out: Vec<Packet> = Vec::new();
    for _ in 0..=3 * len + 2 {
        match r.next_event() {
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e.to_string())),
            Ok(Some(e)) => {
                let e = e.to_packet();
                if let Some(prev) = out.last_mut().filter(|p| is_stdout(p) && is_stdout(&e)) {
                    let more = e.file.map(|f| f.content).unwrap_or_default();
                    if let Some(f) = prev.file.as_mut() {
                        f.content.extend(more);
                    }
                } else {
                    out.push(e);
                }
            }
        }
    }
    panic!("the event reader did not finish {len} bytes");
}

fuzz_target!(|data: &[u8]| {
    for mode in [Mode::Lenient, Mode::Strict] {
        if let Ok(Decoded::Packet { packet, .. }) = decode(data, mode) {
            let owned = packet.to_packet();
            if let Ok(bytes) = to_vec(&owned.as_ref()) {
                match decode(&bytes, mode) {
                    Ok(Decoded::Packet { packet: again, .. }) => {
                        assert_eq!(again.to_packet(), owned)
                    }
                    other => panic!("re-encoded packet does not decode: {other:?}"),
                }
            }
        }

        let mut reader = PacketReader::with_mode(data, mode);
        let mut seen = Vec::with_capacity(data.len());
        let mut items = 0;
        while let Some(item) = reader.next_item().expect("reading a slice cannot fail") {
            assert!(!item.raw().is_empty());
            seen.extend_from_slice(item.raw());
            items += 1;
            assert!(items <= data.len());
        }
        assert_eq!(seen, data);
    }

    for strict in [false, true] {
        let whole = events(data, strict, data.len());
        let bytewise = events(OneByte(data), strict, data.len());
        assert_eq!(whole, bytewise);
    }
});
