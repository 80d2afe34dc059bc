//! Client frames in (RFC 6455 §5.2), server frame headers out: sans-IO, no sockets.

use std::ops::Range;

/// Close codes the bound sends (RFC 6455 §7.4.1).
pub const PROTOCOL_ERROR: u16 = 1002;
pub const UNSUPPORTED: u16 = 1003;
pub const INVALID_UTF8: u16 = 1007;
pub const TOO_BIG: u16 = 1009;

pub const OP_TEXT: u8 = 1;
pub const OP_BINARY: u8 = 2;
pub const OP_CLOSE: u8 = 8;
pub const OP_PING: u8 = 9;
pub const OP_PONG: u8 = 10;

/// One complete client frame, its payload already unmasked in place.
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    pub opcode: u8,
    /// Where the payload is in the buffer given to [`parse`].
    pub payload: Range<usize>,
}

/// The frame at the start of `buf`: `Ok(None)` while it is incomplete, else the frame and the
/// bytes it took; `Err(code)` for what the bound does not take (the close code to send).
///
/// Only what the bench sends is supported: whole (FIN) text, binary, ping, pong and close frames,
/// masked, no RSV bit (no extension is ever negotiated). A fragmented message is refused with
/// 1003: a general server must reassemble them, the bench never sends one.
pub fn parse(buf: &mut [u8], max_payload: u64) -> Result<Option<(Frame, usize)>, u16> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let (b0, b1) = (buf[0], buf[1]);
    let opcode = b0 & 0x0f;
    if b0 & 0x70 != 0 || b1 & 0x80 == 0 {
        return Err(PROTOCOL_ERROR);
    }
    match opcode {
        OP_TEXT | OP_BINARY | OP_CLOSE | OP_PING | OP_PONG => {}
        0 => return Err(UNSUPPORTED),
        _ => return Err(PROTOCOL_ERROR),
    }
    let fin = b0 & 0x80 != 0;
    let control = opcode >= 8;
    if !fin {
        return Err(if control { PROTOCOL_ERROR } else { UNSUPPORTED });
    }
    let (len, at) = match b1 & 0x7f {
        126 if buf.len() >= 4 => (u64::from(u16::from_be_bytes([buf[2], buf[3]])), 4),
        127 if buf.len() >= 10 => (u64::from_be_bytes(buf[2..10].try_into().expect("8")), 10),
        126 | 127 => return Ok(None),
        n => (u64::from(n), 2),
    };
    if control && len > 125 {
        return Err(PROTOCOL_ERROR);
    }
    if len > max_payload {
        return Err(TOO_BIG);
    }
    let start = at + 4;
    // `len` ≤ max_payload, which fits a usize on the 64-bit machines this runs on.
    let end = start + len as usize;
    if buf.len() < end {
        return Ok(None);
    }
    let mask: [u8; 4] = buf[at..start].try_into().expect("4");
    unmask(&mut buf[start..end], mask);
    if opcode == OP_TEXT && std::str::from_utf8(&buf[start..end]).is_err() {
        return Err(INVALID_UTF8);
    }
    Ok(Some((
        Frame {
            opcode,
            payload: start..end,
        },
        end,
    )))
}

/// XORs `data` with the 4-byte `mask`, eight bytes at a time.
pub fn unmask(data: &mut [u8], mask: [u8; 4]) {
    let wide = u64::from_ne_bytes([
        mask[0], mask[1], mask[2], mask[3], mask[0], mask[1], mask[2], mask[3],
    ]);
    let mut chunks = data.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let v = u64::from_ne_bytes(chunk.try_into().expect("8")) ^ wide;
        chunk.copy_from_slice(&v.to_ne_bytes());
    }
    // The tail starts at a multiple of 8, so at mask offset 0.
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= mask[i % 4];
    }
}

/// A server frame header (FIN, unmasked) for a `len`-byte payload: the bytes and how many.
pub fn header(opcode: u8, len: usize) -> ([u8; 10], usize) {
    let mut h = [0u8; 10];
    h[0] = 0x80 | opcode;
    if len < 126 {
        h[1] = len as u8;
        (h, 2)
    } else if len < 65536 {
        h[1] = 126;
        h[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        (h, 4)
    } else {
        h[1] = 127;
        h[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        (h, 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A masked client frame, as a browser would send it.
    fn client(opcode: u8, fin: bool, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
        let (h, n) = header(opcode, payload.len());
        let mut f = h[..n].to_vec();
        if !fin {
            f[0] &= 0x7f;
        }
        f[1] |= 0x80;
        f.extend_from_slice(&mask);
        let mut p = payload.to_vec();
        unmask(&mut p, mask);
        f.extend(p);
        f
    }

    #[test]
    fn parses_a_masked_frame_only_once_complete_and_unmasks_it_in_place() {
        let payload: Vec<u8> = (0..70_000u32).map(|i| (i * 7) as u8).collect();
        let whole = client(OP_BINARY, true, &payload, [1, 2, 3, 4]);
        for cut in [0, 1, 2, 9, 13, 14, 1000, whole.len() - 1] {
            let mut part = whole[..cut].to_vec();
            assert_eq!(parse(&mut part, 1 << 24), Ok(None), "cut at {cut}");
        }
        let mut buf = whole.clone();
        buf.extend(client(OP_TEXT, true, b"hi", [9, 9, 9, 9]));
        let (frame, used) = parse(&mut buf, 1 << 24).unwrap().unwrap();
        assert_eq!(frame.opcode, OP_BINARY);
        assert_eq!(&buf[frame.payload.clone()], &payload[..]);
        assert_eq!(used, whole.len());
        let (frame, _) = parse(&mut buf[used..], 1 << 24).unwrap().unwrap();
        assert_eq!(&buf[used..][frame.payload], b"hi");
    }

    #[test]
    fn refuses_what_the_bound_does_not_support_with_its_close_code() {
        let mut unmasked = vec![0x81, 2, b'h', b'i'];
        assert_eq!(parse(&mut unmasked, 100), Err(PROTOCOL_ERROR));
        let mut rsv = client(OP_TEXT, true, b"hi", [0; 4]);
        rsv[0] |= 0x40;
        assert_eq!(parse(&mut rsv, 100), Err(PROTOCOL_ERROR));
        assert_eq!(
            parse(&mut client(3, true, b"", [0; 4]), 100),
            Err(PROTOCOL_ERROR)
        );
        let mut fragment = client(OP_TEXT, false, b"hi", [0; 4]);
        assert_eq!(parse(&mut fragment, 100), Err(UNSUPPORTED));
        assert_eq!(
            parse(&mut client(0, true, b"hi", [0; 4]), 100),
            Err(UNSUPPORTED)
        );
        let mut long_ping = client(OP_PING, true, &[0; 126], [0; 4]);
        assert_eq!(parse(&mut long_ping, 1000), Err(PROTOCOL_ERROR));
        // Refused from the header alone, before the payload arrives.
        let mut big = client(OP_BINARY, true, &[0; 101], [0; 4]);
        assert_eq!(parse(&mut big[..4], 100), Err(TOO_BIG));
        let mut bad_utf8 = client(OP_TEXT, true, &[0xc3, 0x28], [5, 6, 7, 8]);
        assert_eq!(parse(&mut bad_utf8, 100), Err(INVALID_UTF8));
    }

    #[test]
    fn unmask_matches_the_bytewise_definition_at_every_length() {
        let mask = [0xa1, 0xb2, 0xc3, 0xd4];
        for len in 0..40 {
            let data: Vec<u8> = (0..len as u8).collect();
            let mut fast = data.clone();
            unmask(&mut fast, mask);
            let slow: Vec<u8> = data
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ mask[i % 4])
                .collect();
            assert_eq!(fast, slow, "length {len}");
        }
    }

    #[test]
    fn headers_use_the_shortest_length_form() {
        assert_eq!(header(OP_TEXT, 13), ([0x81, 13, 0, 0, 0, 0, 0, 0, 0, 0], 2));
        assert_eq!(header(OP_BINARY, 16_384).0[..4], [0x82, 126, 0x40, 0]);
        assert_eq!(header(OP_BINARY, 16_384).1, 4);
        assert_eq!(
            header(OP_BINARY, 65_536).0[..10],
            [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]
        );
    }
}
