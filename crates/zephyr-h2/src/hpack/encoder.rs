//! Header block encoding (RFC 7541 §6): static and dynamic table hits are indexed, other fields
//! are added to the dynamic table unless sensitive or large, strings are Huffman-coded when
//! that is shorter.

use super::huffman;
use super::table::{DynamicTable, STATIC};

/// The largest dynamic table the encoder uses, whatever the peer allows: response headers
/// repeat a handful of fields (content-type, server, vary…), so 4 KiB catches them.
pub const ENCODER_TABLE_CAP: usize = 4096;

/// Values longer than this are never added to the table: they would evict many small ones.
const MAX_INDEXED_VALUE: usize = 256;

/// An HPACK encoder.
#[derive(Debug)]
pub struct Encoder {
    table: DynamicTable,
    /// The smallest and the final size since the last block, owed to the peer (§4.2).
    pending_update: Option<(usize, usize)>,
}

impl Default for Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Encoder {
    /// An encoder with the protocol's initial table size (4096).
    pub fn new() -> Self {
        Self {
            table: DynamicTable::new(ENCODER_TABLE_CAP),
            pending_update: None,
        }
    }

    /// The peer's SETTINGS_HEADER_TABLE_SIZE changed.
    pub fn set_peer_max_table_size(&mut self, peer: usize) {
        let size = peer.min(ENCODER_TABLE_CAP);
        if size == self.table.max_size() && self.pending_update.is_none() {
            return;
        }
        let min = self.pending_update.map_or(size, |(m, _)| m.min(size));
        self.pending_update = Some((min, size));
        self.table.set_max_size(size);
    }

    /// Starts a header block: writes any table size update owed.
    pub fn begin_block(&mut self, dst: &mut Vec<u8>) {
        if let Some((min, size)) = self.pending_update.take() {
            if min < size {
                write_int(dst, 0x20, 5, min);
            }
            write_int(dst, 0x20, 5, size);
        }
    }

    /// Encodes one field (name lowercase).
    pub fn encode(&mut self, name: &[u8], value: &[u8], dst: &mut Vec<u8>) {
        let mut name_idx = None;
        for (i, &(n, v)) in STATIC.iter().enumerate() {
            if n == name {
                if v == value {
                    write_int(dst, 0x80, 7, i + 1);
                    return;
                }
                name_idx.get_or_insert(i + 1);
            }
        }
        let (exact, by_name) = self.table.find(name, value);
        if let Some(i) = exact {
            write_int(dst, 0x80, 7, i + 62);
            return;
        }
        let name_idx = name_idx.or(by_name.map(|i| i + 62));
        let sensitive = matches!(name, b"authorization" | b"set-cookie" | b"cookie");
        if sensitive || value.len() > MAX_INDEXED_VALUE {
            // Never indexed (0001) for secrets, so intermediaries do not index them either.
            let flag = if sensitive { 0x10 } else { 0x00 };
            write_int(dst, flag, 4, name_idx.unwrap_or(0));
        } else {
            write_int(dst, 0x40, 6, name_idx.unwrap_or(0));
        }
        if name_idx.is_none() {
            write_string(dst, name);
        }
        write_string(dst, value);
        if !sensitive && value.len() <= MAX_INDEXED_VALUE {
            // The index was written before the insert, as the peer reads it.
            self.table.insert(name, value);
        }
    }
}

/// Writes `value` with an `n`-bit prefix, OR-ed with `flags` in the first byte (§5.1).
pub fn write_int(dst: &mut Vec<u8>, flags: u8, n: u32, mut value: usize) {
    let max_prefix = (1usize << n) - 1;
    if value < max_prefix {
        dst.push(flags | value as u8);
        return;
    }
    dst.push(flags | max_prefix as u8);
    value -= max_prefix;
    while value >= 0x80 {
        dst.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    dst.push(value as u8);
}

/// Writes a string literal, Huffman-coded when shorter (§5.2).
pub fn write_string(dst: &mut Vec<u8>, s: &[u8]) {
    let huff_len = huffman::encoded_len(s);
    if huff_len < s.len() {
        write_int(dst, 0x80, 7, huff_len);
        huffman::encode(s, dst);
    } else {
        write_int(dst, 0x00, 7, s.len());
        dst.extend_from_slice(s);
    }
}
