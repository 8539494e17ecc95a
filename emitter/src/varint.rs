//! The subunit varint: big-endian, its top two bits giving the total length (1 to 4 bytes),
//! the remaining 6, 14, 22 or 30 bits the value.

/// The largest value a subunit varint can hold (30 bits).
pub const MAX_VARINT: u32 = (1 << 30) - 1;

/// How many bytes the shortest encoding of `value` takes, or `None` past [`MAX_VARINT`].
#[inline]
pub const fn encoded_len(value: u32) -> Option<usize> {
    match value {
        0..=0x3F => Some(1),
        0x40..=0x3FFF => Some(2),
        0x4000..=0x3F_FFFF => Some(3),
        0x40_0000..=MAX_VARINT => Some(4),
        _ => None,
    }
}

/// Appends the shortest encoding of `value` to `out`, or returns `None` (writing nothing) when
/// the value does not fit in 30 bits.
#[inline]
pub fn encode(value: u32, out: &mut Vec<u8>) -> Option<usize> {
    let len = encoded_len(value)?;
    match len {
        1 => out.push(value as u8),
        2 => out.extend_from_slice(&((value as u16) | 0x4000).to_be_bytes()),
        3 => {
            let v = value | 0x80_0000;
            out.extend_from_slice(&v.to_be_bytes()[1..]);
        }
        _ => out.extend_from_slice(&(value | 0xC000_0000).to_be_bytes()),
    }
    Some(len)
}

/// Reads a varint from the start of `input`: the value and the bytes it took, or `None` when
/// `input` is too short. Non-minimal encodings are accepted, as python-subunit accepts them.
#[inline]
pub fn decode(input: &[u8]) -> Option<(u32, usize)> {
    let first = *input.first()?;
    let len = 1 + (first >> 6) as usize;
    let bytes = input.get(..len)?;
    let mut value = u32::from(first & 0x3F);
    for &b in &bytes[1..] {
        value = (value << 8) | u32::from(b);
    }
    Some((value, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_use_the_shortest_form() {
        let cases: [(u32, &[u8]); 8] = [
            (0, &[0x00]),
            (63, &[0x3F]),
            (64, &[0x40, 0x40]),
            (16383, &[0x7F, 0xFF]),
            (16384, &[0x80, 0x40, 0x00]),
            (4_194_303, &[0xBF, 0xFF, 0xFF]),
            (4_194_304, &[0xC0, 0x40, 0x00, 0x00]),
            (MAX_VARINT, &[0xFF, 0xFF, 0xFF, 0xFF]),
        ];
        for (value, bytes) in cases {
            let mut out = Vec::new();
            assert_eq!(encode(value, &mut out), Some(bytes.len()));
            assert_eq!(out, bytes, "{value}");
            assert_eq!(decode(bytes), Some((value, bytes.len())));
        }
        assert_eq!(encode(MAX_VARINT + 1, &mut Vec::new()), None);
    }

    #[test]
    fn short_input_is_none_and_non_minimal_forms_decode() {
        assert_eq!(decode(&[]), None);
        assert_eq!(decode(&[0x40]), None);
        assert_eq!(decode(&[0xC0, 0, 0]), None);
        assert_eq!(decode(&[0x40, 0x05]), Some((5, 2)));
        assert_eq!(decode(&[0xC0, 0, 0, 0x05]), Some((5, 4)));
    }
}
