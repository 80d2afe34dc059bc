//! QUIC variable-length integers (RFC 9000 §16), as HTTP/3 frames and stream types use them.

/// The largest value a varint holds (2^62 - 1).
pub const MAX: u64 = (1 << 62) - 1;

/// Reads a varint from the front of `src`: `Some((value, bytes used))`, or `None` when `src`
/// does not hold all of it yet.
pub fn read(src: &[u8]) -> Option<(u64, usize)> {
    let first = *src.first()?;
    let len = 1usize << (first >> 6);
    if src.len() < len {
        return None;
    }
    let mut value = u64::from(first & 0x3f);
    for &b in &src[1..len] {
        value = (value << 8) | u64::from(b);
    }
    Some((value, len))
}

/// Appends `value` in its shortest encoding. Values past [`MAX`] are a caller bug.
pub fn write(dst: &mut Vec<u8>, value: u64) {
    debug_assert!(value <= MAX);
    if value < 1 << 6 {
        dst.push(value as u8);
    } else if value < 1 << 14 {
        dst.extend_from_slice(&((value as u16) | 0x4000).to_be_bytes());
    } else if value < 1 << 30 {
        dst.extend_from_slice(&((value as u32) | 0x8000_0000).to_be_bytes());
    } else {
        dst.extend_from_slice(&(value | 0xc000_0000_0000_0000).to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_length_and_the_rfc_examples() {
        for v in [
            0,
            37,
            63,
            64,
            15_293,
            16_383,
            16_384,
            494_878_333,
            (1 << 30) - 1,
            1 << 30,
            MAX,
        ] {
            let mut buf = Vec::new();
            write(&mut buf, v);
            assert_eq!(read(&buf), Some((v, buf.len())), "{v}");
            assert_eq!(read(&buf[..buf.len() - 1]), None, "truncated {v}");
        }
        // RFC 9000 Appendix A.1 samples.
        assert_eq!(
            read(&[0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c]),
            Some((151_288_809_941_952_652, 8))
        );
        assert_eq!(read(&[0x9d, 0x7f, 0x3e, 0x7d]), Some((494_878_333, 4)));
        assert_eq!(read(&[0x7b, 0xbd]), Some((15_293, 2)));
        assert_eq!(read(&[0x25]), Some((37, 1)));
        assert_eq!(read(&[0x40, 0x25]), Some((37, 2)));
        assert_eq!(read(&[]), None);
    }
}
