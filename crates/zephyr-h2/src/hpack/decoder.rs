//! Header block decoding (RFC 7541 §6), with the table bounded by our SETTINGS_HEADER_TABLE_SIZE.

use super::huffman;
use super::table::{entry_size, DynamicTable, STATIC};

/// Why a header block cannot be decoded: every one is a COMPRESSION_ERROR (RFC 9113 §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The block ends inside a representation.
    Truncated,
    /// An integer past 2^32 - 1.
    IntegerOverflow,
    /// Index 0, or past the static and dynamic tables.
    InvalidIndex,
    /// A Huffman string with EOS or invalid padding.
    Huffman,
    /// A table size update above the limit we advertised, after the first field, or more than
    /// two in a row.
    TableSizeUpdate,
}

/// One decoded block: the fields, and whether the list passed the size limit (then `fields`
/// stops at the limit; the rest was decoded only to keep the table in step with the peer).
#[derive(Debug, Default)]
pub struct Decoded {
    /// Header list size as RFC 9113 counts it (name + value + 32 per field).
    pub list_size: usize,
    /// The list is larger than the limit.
    pub over_limit: bool,
}

/// An HPACK decoder.
#[derive(Debug)]
pub struct Decoder {
    table: DynamicTable,
    /// SETTINGS_HEADER_TABLE_SIZE as we advertised it: a size update may not exceed it.
    max_table_size: usize,
}

impl Decoder {
    /// A decoder whose table may grow to `max_table_size` bytes.
    pub fn new(max_table_size: usize) -> Self {
        Self {
            table: DynamicTable::new(max_table_size),
            max_table_size,
        }
    }

    /// Decodes a complete header block into `fields` (appended), keeping at most
    /// `max_list_size` bytes of fields.
    pub fn decode(
        &mut self,
        mut block: &[u8],
        max_list_size: usize,
        fields: &mut Vec<(Vec<u8>, Vec<u8>)>,
    ) -> Result<Decoded, DecodeError> {
        let mut out = Decoded::default();
        let mut updates = 0;
        let mut first = true;
        while let Some(&b) = block.first() {
            if b & 0xe0 == 0x20 {
                // Dynamic table size update (§6.3): only at the block's start, at most twice.
                updates += 1;
                if !first || updates > 2 {
                    return Err(DecodeError::TableSizeUpdate);
                }
                let size = read_int(&mut block, 5)?;
                if size > self.max_table_size {
                    return Err(DecodeError::TableSizeUpdate);
                }
                self.table.set_max_size(size);
                continue;
            }
            first = false;
            let (name, value);
            if b & 0x80 != 0 {
                let idx = read_int(&mut block, 7)?;
                let (n, v) = self.lookup(idx)?;
                name = n.to_vec();
                value = v.to_vec();
            } else {
                let (prefix, index) = if b & 0xc0 == 0x40 {
                    (6, true)
                } else {
                    // Without indexing (0000) or never indexed (0001).
                    (4, false)
                };
                let idx = read_int(&mut block, prefix)?;
                name = if idx == 0 {
                    self.read_string(&mut block)?
                } else {
                    self.lookup(idx)?.0.to_vec()
                };
                value = self.read_string(&mut block)?;
                if index {
                    self.table.insert(&name, &value);
                }
            }
            out.list_size = out.list_size.saturating_add(entry_size(&name, &value));
            if out.list_size > max_list_size {
                out.over_limit = true;
            }
            if !out.over_limit {
                fields.push((name, value));
            }
        }
        Ok(out)
    }

    fn lookup(&self, idx: usize) -> Result<(&[u8], &[u8]), DecodeError> {
        match idx {
            0 => Err(DecodeError::InvalidIndex),
            1..=61 => Ok(STATIC[idx - 1]),
            _ => self.table.get(idx - 62).ok_or(DecodeError::InvalidIndex),
        }
    }

    fn read_string(&self, block: &mut &[u8]) -> Result<Vec<u8>, DecodeError> {
        let huff = block.first().ok_or(DecodeError::Truncated)? & 0x80 != 0;
        let len = read_int(block, 7)?;
        if len > block.len() {
            return Err(DecodeError::Truncated);
        }
        let (raw, rest) = block.split_at(len);
        *block = rest;
        if !huff {
            return Ok(raw.to_vec());
        }
        let mut out = Vec::new();
        huffman::decode(raw, &mut out).map_err(|_| DecodeError::Huffman)?;
        Ok(out)
    }

    /// Entries in the dynamic table (for tests and limits).
    pub fn table_len(&self) -> usize {
        self.table.len()
    }
}

/// Reads an integer with an `n`-bit prefix (§5.1).
pub fn read_int(block: &mut &[u8], n: u32) -> Result<usize, DecodeError> {
    let (&first, mut rest) = block.split_first().ok_or(DecodeError::Truncated)?;
    let max_prefix = (1u32 << n) - 1;
    let mut value = u32::from(first) & max_prefix;
    if value < max_prefix {
        *block = rest;
        return Ok(value as usize);
    }
    let mut shift = 0u32;
    loop {
        let (&b, tail) = rest.split_first().ok_or(DecodeError::Truncated)?;
        rest = tail;
        let add = u64::from(b & 0x7f) << shift;
        let sum = u64::from(value) + add;
        if shift > 28 || sum > u64::from(u32::MAX) {
            return Err(DecodeError::IntegerOverflow);
        }
        value = sum as u32;
        shift += 7;
        if b & 0x80 == 0 {
            break;
        }
    }
    *block = rest;
    Ok(value as usize)
}
