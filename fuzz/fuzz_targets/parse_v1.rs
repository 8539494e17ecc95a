//! The v1 text reader on any bytes: it must end (no hang), never panic, and every packet it
//! yields that the encoder accepts must survive a v2 round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use subunit_emitter::to_vec;
use subunit_parser::decode::{Decoded, Mode, decode};
use subunit_parser::v1::V1Reader;

fuzz_target!(|data: &[u8]| {
    // Each input line yields a bounded number of events; an end-of-stream flush adds a few.
    let limit = 4 * (data.len() + 1) + 16;
    let mut count = 0;
    for item in V1Reader::new(data) {
        count += 1;
        assert!(count <= limit, "the v1 reader does not end");
        let Ok(packet) = item else {
            continue;
        };
        if let Ok(bytes) = to_vec(&packet.as_ref()) {
            match decode(&bytes, Mode::Strict) {
                Ok(Decoded::Packet { packet: back, len }) => {
                    assert_eq!(len, bytes.len());
                    assert_eq!(back.to_packet(), packet);
                }
                other => panic!("an encoded v1 event does not decode: {other:?}"),
            }
        }
    }
});
