//! The frame header (RFC 6455 §5.2): parse (client → server, masked) and encode (server →
//! client, unmasked).

use super::close_code::CloseCode;

/// The longest frame header: 2 bytes, a 64-bit length and a 4-byte mask key.
pub const MAX_FRAME_HEADER_BYTES: usize = 14;

/// Largest payload of a control frame (§5.5).
pub(crate) const MAX_CONTROL_PAYLOAD: usize = 125;

/// Frame opcodes (§5.2); the reserved ones are a protocol error when received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opcode {
    /// Continues a fragmented message.
    Continuation = 0x0,
    /// First frame of a text message.
    Text = 0x1,
    /// First frame of a binary message.
    Binary = 0x2,
    /// Close.
    Close = 0x8,
    /// Ping.
    Ping = 0x9,
    /// Pong.
    Pong = 0xA,
}

impl Opcode {
    fn from_bits(bits: u8) -> Option<Self> {
        Some(match bits {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xA => Self::Pong,
            _ => return None,
        })
    }

    /// Close, ping and pong (opcodes with the high bit set).
    pub fn is_control(self) -> bool {
        (self as u8) & 0x8 != 0
    }
}

/// A parsed client frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    pub fin: bool,
    pub rsv1: bool,
    pub opcode: Opcode,
    pub mask: [u8; 4],
    pub payload_len: u64,
}

/// A header that breaks the protocol, with the close code to fail the connection with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameError {
    pub code: u16,
    pub reason: &'static str,
}

const fn err(code: u16, reason: &'static str) -> FrameError {
    FrameError { code, reason }
}

/// Parses a client frame header from the start of `buf`: `Ok(None)` when more bytes are needed,
/// else the header and its length. Checks what the header alone can tell: RSV2/RSV3 (no
/// extension here defines them), reserved opcodes, the mask bit (§5.1: clients must mask),
/// control frames fragmented or over 125 bytes, and the 64-bit length's high bit. RSV1 is left
/// to the session, which knows whether permessage-deflate was negotiated.
pub(crate) fn parse_frame_header(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, FrameError> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let (b0, b1) = (buf[0], buf[1]);
    if b0 & 0x30 != 0 {
        return Err(err(CloseCode::PROTOCOL_ERROR, "reserved bits set"));
    }
    let opcode =
        Opcode::from_bits(b0 & 0x0F).ok_or(err(CloseCode::PROTOCOL_ERROR, "reserved opcode"))?;
    let fin = b0 & 0x80 != 0;
    if b1 & 0x80 == 0 {
        return Err(err(CloseCode::PROTOCOL_ERROR, "unmasked client frame"));
    }
    let (payload_len, len_bytes) = match b1 & 0x7F {
        126 => {
            if buf.len() < 4 {
                return Ok(None);
            }
            (u64::from(u16::from_be_bytes([buf[2], buf[3]])), 2)
        }
        127 => {
            if buf.len() < 10 {
                return Ok(None);
            }
            let mut be = [0u8; 8];
            be.copy_from_slice(&buf[2..10]);
            let len = u64::from_be_bytes(be);
            if len >> 63 != 0 {
                return Err(err(
                    CloseCode::PROTOCOL_ERROR,
                    "payload length high bit set",
                ));
            }
            (len, 8)
        }
        n => (u64::from(n), 0),
    };
    if opcode.is_control() {
        if !fin {
            return Err(err(CloseCode::PROTOCOL_ERROR, "fragmented control frame"));
        }
        if payload_len > MAX_CONTROL_PAYLOAD as u64 {
            return Err(err(
                CloseCode::PROTOCOL_ERROR,
                "control frame over 125 bytes",
            ));
        }
    }
    let header_len = 2 + len_bytes + 4;
    if buf.len() < header_len {
        return Ok(None);
    }
    let mut mask = [0u8; 4];
    mask.copy_from_slice(&buf[2 + len_bytes..header_len]);
    let header = FrameHeader {
        fin,
        rsv1: b0 & 0x40 != 0,
        opcode,
        mask,
        payload_len,
    };
    Ok(Some((header, header_len)))
}

/// Writes an unmasked server frame header into `out`, returning its length (2, 4 or 10 bytes).
/// The engine can send it with the payload in one vectored write, so large payloads are never
/// copied into a frame buffer.
pub fn encode_frame_header(
    opcode: Opcode,
    fin: bool,
    rsv1: bool,
    payload_len: u64,
    out: &mut [u8; MAX_FRAME_HEADER_BYTES],
) -> usize {
    out[0] = (u8::from(fin) << 7) | (u8::from(rsv1) << 6) | opcode as u8;
    if payload_len < 126 {
        out[1] = payload_len as u8;
        2
    } else if payload_len <= u64::from(u16::MAX) {
        out[1] = 126;
        out[2..4].copy_from_slice(&(payload_len as u16).to_be_bytes());
        4
    } else {
        out[1] = 127;
        out[2..10].copy_from_slice(&payload_len.to_be_bytes());
        10
    }
}

/// The mask key rotated to start `offset` bytes into the payload, repeated over 8 bytes.
fn rotated_key(mask: [u8; 4], offset: u64) -> [u8; 8] {
    let rot = (offset % 4) as usize;
    std::array::from_fn(|i| mask[(rot + i) % 4])
}

/// XORs `data` with the mask key, starting `offset` bytes into the frame's payload.
pub(crate) fn unmask(data: &mut [u8], mask: [u8; 4], offset: u64) {
    let key = rotated_key(mask, offset);
    let word = u64::from_ne_bytes(key);
    let mut chunks = data.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let v = u64::from_ne_bytes(chunk.try_into().expect("8-byte chunk")) ^ word;
        chunk.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= key[i];
    }
}

/// Copies `src` into `dst` (the same length) unmasked, in one pass: the payload is read once
/// from where it was received and written once where it is delivered.
pub(crate) fn unmask_into(dst: &mut [u8], src: &[u8], mask: [u8; 4], offset: u64) {
    debug_assert_eq!(dst.len(), src.len());
    let key = rotated_key(mask, offset);
    let word = u64::from_ne_bytes(key);
    let mut out = dst.chunks_exact_mut(8);
    let mut input = src.chunks_exact(8);
    for (o, i) in (&mut out).zip(&mut input) {
        let v = u64::from_ne_bytes(i.try_into().expect("8-byte chunk")) ^ word;
        o.copy_from_slice(&v.to_ne_bytes());
    }
    let (o, i) = (out.into_remainder(), input.remainder());
    for (k, (o, i)) in o.iter_mut().zip(i).enumerate() {
        *o = i ^ key[k];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(bytes: &[u8]) -> Result<Option<(FrameHeader, usize)>, FrameError> {
        parse_frame_header(bytes)
    }

    #[test]
    fn parses_7_16_and_64_bit_lengths() {
        let (h, n) = header(&[0x82, 0x80 | 125, 1, 2, 3, 4]).unwrap().unwrap();
        assert_eq!((h.payload_len, n), (125, 6));
        let (h, n) = header(&[0x82, 0x80 | 126, 0x01, 0x00, 1, 2, 3, 4])
            .unwrap()
            .unwrap();
        assert_eq!((h.payload_len, n), (256, 8));
        let (h, n) = header(&[0x82, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0, 9, 9, 9, 9])
            .unwrap()
            .unwrap();
        assert_eq!((h.payload_len, n, h.mask), (1 << 32, 14, [9; 4]));
    }

    #[test]
    fn asks_for_more_until_the_mask_key_is_in() {
        let full = [0x81, 0x80 | 126, 0x01, 0x00, 1, 2, 3, 4];
        for cut in 0..full.len() {
            assert_eq!(header(&full[..cut]), Ok(None), "cut at {cut}");
        }
    }

    #[test]
    fn rejects_what_the_header_alone_shows_is_wrong() {
        let code = |b: &[u8]| header(b).unwrap_err().code;
        assert_eq!(code(&[0x81, 0x00]), 1002, "unmasked");
        assert_eq!(code(&[0xA1, 0x80]), 1002, "rsv2");
        assert_eq!(code(&[0x91, 0x80]), 1002, "rsv3");
        assert_eq!(code(&[0x83, 0x80]), 1002, "reserved data opcode");
        assert_eq!(code(&[0x8B, 0x80]), 1002, "reserved control opcode");
        assert_eq!(code(&[0x09, 0x80]), 1002, "fragmented ping");
        assert_eq!(code(&[0x89, 0x80 | 126, 0, 126]), 1002, "ping over 125");
        assert_eq!(
            code(&[0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0]),
            1002,
            "64-bit high bit"
        );
    }

    #[test]
    fn encodes_server_headers_unmasked_with_minimal_length() {
        let mut out = [0u8; MAX_FRAME_HEADER_BYTES];
        assert_eq!(
            encode_frame_header(Opcode::Text, true, false, 5, &mut out),
            2
        );
        assert_eq!(&out[..2], &[0x81, 5]);
        assert_eq!(
            encode_frame_header(Opcode::Binary, true, true, 126, &mut out),
            4
        );
        assert_eq!(&out[..4], &[0xC2, 126, 0, 126]);
        assert_eq!(
            encode_frame_header(Opcode::Binary, false, false, 65536, &mut out),
            10
        );
        assert_eq!(&out[..10], &[0x02, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    }

    #[test]
    fn unmask_continues_the_key_at_any_offset() {
        let mask = [1, 2, 3, 4];
        let plain: Vec<u8> = (0u8..23).collect();
        let mut masked = plain.clone();
        unmask(&mut masked, mask, 0);
        let mut pieces = masked.clone();
        let (a, rest) = pieces.split_at_mut(5);
        let (b, c) = rest.split_at_mut(9);
        unmask(a, mask, 0);
        unmask(b, mask, 5);
        unmask(c, mask, 14);
        assert_eq!(pieces, plain);
    }

    #[test]
    fn unmask_into_copies_and_unmasks_in_one_pass_at_any_offset() {
        let mask = [0x11, 0x22, 0x33, 0x44];
        let plain: Vec<u8> = (0u8..=250).collect();
        let mut masked = plain.clone();
        unmask(&mut masked, mask, 0);
        for cut in [0, 1, 3, 7, 8, 9, 100, 251] {
            let mut out = vec![0u8; plain.len()];
            unmask_into(&mut out[..cut], &masked[..cut], mask, 0);
            unmask_into(&mut out[cut..], &masked[cut..], mask, cut as u64);
            assert_eq!(out, plain, "cut at {cut}");
        }
    }
}
