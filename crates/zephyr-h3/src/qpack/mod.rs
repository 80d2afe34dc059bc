//! QPACK (RFC 9204) without a dynamic table: we advertise SETTINGS_QPACK_MAX_TABLE_CAPACITY 0
//! and SETTINGS_QPACK_BLOCKED_STREAMS 0, so a peer may only use the static table and literals
//! (Huffman-coded or not; the Huffman code is HPACK's, shared with `zephyr-h2`). That keeps
//! every field section independent: no encoder/decoder stream state, no blocked streams.

mod table;

pub use table::STATIC;

use crate::error::H3Error;
use zephyr_h2::hpack::{huffman, read_int, write_int, DecodeError};

/// A decoded field line: (name, value).
pub type FieldLine = (Vec<u8>, Vec<u8>);

/// Why a field section was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum QpackError {
    /// Malformed, or it references the dynamic table we never allowed:
    /// QPACK_DECOMPRESSION_FAILED (RFC 9204 §2.2.3).
    Decompression(&'static str),
    /// The decoded list passed the limit (names + values + 32 per field, RFC 9114 §4.2.2).
    TooLarge,
}

/// Decodes one encoded field section, stopping at `max_list_size`.
pub fn decode(mut src: &[u8], max_list_size: usize) -> Result<Vec<FieldLine>, QpackError> {
    let bad = QpackError::Decompression;
    let required_insert_count = read_int(&mut src, 8).map_err(|_| bad("truncated prefix"))?;
    let _delta_base = read_int(&mut src, 7).map_err(|_| bad("truncated prefix"))?;
    if required_insert_count != 0 {
        return Err(bad("dynamic table reference with capacity 0"));
    }
    let mut fields = Vec::new();
    let mut size = 0usize;
    while let Some(&first) = src.first() {
        let (name, value) = if first & 0x80 != 0 {
            // Indexed field line: 1 T index(6).
            if first & 0x40 == 0 {
                return Err(bad("dynamic indexed field line"));
            }
            let index = read_int(&mut src, 6).map_err(|_| bad("truncated index"))?;
            let &(n, v) = STATIC.get(index).ok_or(bad("static index out of range"))?;
            (n.to_vec(), v.to_vec())
        } else if first & 0x40 != 0 {
            // Literal with name reference: 01 N T index(4), then the value.
            if first & 0x10 == 0 {
                return Err(bad("dynamic name reference"));
            }
            let index = read_int(&mut src, 4).map_err(|_| bad("truncated index"))?;
            let &(n, _) = STATIC.get(index).ok_or(bad("static index out of range"))?;
            let value = read_string(&mut src, 7, max_list_size)?;
            (n.to_vec(), value)
        } else if first & 0x20 != 0 {
            // Literal with literal name: 001 N H len(3), name, then the value.
            let name = read_string(&mut src, 3, max_list_size)?;
            let value = read_string(&mut src, 7, max_list_size)?;
            (name, value)
        } else {
            // 0001xxxx post-base indexed, 0000xxxx post-base name reference: dynamic only.
            return Err(bad("post-base reference with capacity 0"));
        };
        size += name.len() + value.len() + 32;
        if size > max_list_size {
            return Err(QpackError::TooLarge);
        }
        fields.push((name, value));
    }
    Ok(fields)
}

/// Reads a string literal whose length has an `n`-bit prefix and whose H flag is the bit just
/// above it.
fn read_string(src: &mut &[u8], n: u32, max: usize) -> Result<Vec<u8>, QpackError> {
    let bad = QpackError::Decompression;
    let huffman_coded = src.first().ok_or(bad("truncated string"))? & (1 << n) != 0;
    let len = read_int(src, n).map_err(|_| bad("truncated string length"))?;
    if len > src.len() {
        return Err(bad("string past the section"));
    }
    if len > max {
        return Err(QpackError::TooLarge);
    }
    let (raw, rest) = src.split_at(len);
    *src = rest;
    if !huffman_coded {
        return Ok(raw.to_vec());
    }
    let mut out = Vec::with_capacity(len * 8 / 5);
    huffman::decode(raw, &mut out).map_err(|_| bad("bad Huffman string"))?;
    if out.len() > max {
        return Err(QpackError::TooLarge);
    }
    Ok(out)
}

/// Writes a string literal with an `n`-bit length prefix under `flags`; the H bit is
/// `1 << n`. Huffman is used when shorter.
fn write_string(dst: &mut Vec<u8>, flags: u8, n: u32, s: &[u8]) {
    let huff_len = huffman::encoded_len(s);
    if huff_len < s.len() {
        write_int(dst, flags | (1 << n), n, huff_len);
        huffman::encode(s, dst);
    } else {
        write_int(dst, flags, n, s.len());
        dst.extend_from_slice(s);
    }
}

/// Encodes a field section with the static table and literals only. Names must be lowercase.
pub fn encode<'a>(fields: impl IntoIterator<Item = (&'a [u8], &'a [u8])>, dst: &mut Vec<u8>) {
    // Required Insert Count 0, Delta Base 0.
    dst.extend_from_slice(&[0, 0]);
    for (name, value) in fields {
        let mut name_index = None;
        let mut full_index = None;
        for (i, &(n, v)) in STATIC.iter().enumerate() {
            if n == name {
                name_index.get_or_insert(i);
                if v == value {
                    full_index = Some(i);
                    break;
                }
            }
        }
        // Fields that carry secrets are never to be indexed by intermediaries (N bit, §4.5.4).
        let never = if is_sensitive(name) { 0x20 } else { 0 };
        if let Some(i) = full_index.filter(|_| never == 0) {
            write_int(dst, 0xc0, 6, i);
        } else if let Some(i) = name_index {
            write_int(dst, 0x50 | never, 4, i);
            write_string(dst, 0, 7, value);
        } else {
            write_string(dst, 0x20 | (never >> 1), 3, name);
            write_string(dst, 0, 7, value);
        }
    }
}

/// Checks the peer's instructions on its QPACK encoder stream (`encoder: true`) or decoder
/// stream against our table capacity of 0 (RFC 9204 §4.3, §4.4). Returns how many bytes were
/// whole instructions; the rest (an instruction cut by the read) waits for more bytes.
///
/// Encoder stream: only Set Dynamic Table Capacity 0 is possible; any insert or duplicate, or a
/// capacity above 0, is QPACK_ENCODER_STREAM_ERROR. Decoder stream: Stream Cancellation is
/// fine; Section Acknowledgment and Insert Count Increment can only refer to dynamic-table
/// state we never created: QPACK_DECODER_STREAM_ERROR.
pub fn check_instructions(encoder: bool, buf: &[u8]) -> Result<usize, H3Error> {
    let err = if encoder {
        H3Error::QPACK_ENCODER_STREAM_ERROR
    } else {
        H3Error::QPACK_DECODER_STREAM_ERROR
    };
    let mut src = buf;
    while let Some(&first) = src.first() {
        let prefix = match (encoder, first) {
            (true, b) if b & 0xe0 == 0x20 => 5,  // Set Dynamic Table Capacity
            (false, b) if b & 0xc0 == 0x40 => 6, // Stream Cancellation
            _ => return Err(err),
        };
        let mut rest = src;
        match read_int(&mut rest, prefix) {
            Ok(v) if encoder && v != 0 => return Err(err),
            Ok(_) => src = rest,
            Err(DecodeError::Truncated) => break,
            Err(_) => return Err(err),
        }
    }
    Ok(buf.len() - src.len())
}

fn is_sensitive(name: &[u8]) -> bool {
    matches!(
        name,
        b"authorization" | b"cookie" | b"set-cookie" | b"proxy-authorization"
    )
}

#[cfg(test)]
mod tests;
