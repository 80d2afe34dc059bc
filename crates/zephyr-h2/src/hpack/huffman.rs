//! HPACK's static Huffman code (RFC 7541 §5.2, Appendix B).
//!
//! The code is canonical (codes of one length are consecutive, in symbol order, and each length
//! starts where the shorter ones left off), so decoding needs only, per bit length, the first
//! code and where its symbols start in a length-sorted list: built once, at compile time.

use super::huffman_table::CODES;

const EOS: u16 = 256;
const MAX_BITS: usize = 30;

struct Canonical {
    /// First code of each bit length.
    first: [u32; MAX_BITS + 1],
    /// How many codes have each bit length.
    count: [u16; MAX_BITS + 1],
    /// Where each bit length's symbols start in `symbols`.
    offset: [u16; MAX_BITS + 1],
    /// Symbols sorted by (bit length, symbol).
    symbols: [u16; 257],
}

const fn build() -> Canonical {
    let mut t = Canonical {
        first: [0; MAX_BITS + 1],
        count: [0; MAX_BITS + 1],
        offset: [0; MAX_BITS + 1],
        symbols: [0; 257],
    };
    let mut s = 0;
    while s < 257 {
        t.count[CODES[s].1 as usize] += 1;
        s += 1;
    }
    let mut len = 1;
    let mut next = 0u16;
    while len <= MAX_BITS {
        t.offset[len] = next;
        next += t.count[len];
        len += 1;
    }
    let mut fill = t.offset;
    s = 0;
    while s < 257 {
        let l = CODES[s].1 as usize;
        t.symbols[fill[l] as usize] = s as u16;
        fill[l] += 1;
        if t.count[l] > 0 && fill[l] == t.offset[l] + 1 {
            t.first[l] = CODES[s].0;
        }
        s += 1;
    }
    t
}

static TABLE: Canonical = build();

/// Why a Huffman string is invalid (RFC 7541 §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HuffmanError {
    /// The string holds the EOS symbol.
    Eos,
    /// More than 7 bits of padding, or padding that is not a prefix of EOS (all ones).
    Padding,
}

/// Decodes `src` onto `dst`.
pub fn decode(src: &[u8], dst: &mut Vec<u8>) -> Result<(), HuffmanError> {
    let mut code: u32 = 0;
    let mut len = 0usize;
    for &byte in src {
        for shift in (0..8).rev() {
            code = (code << 1) | u32::from((byte >> shift) & 1);
            len += 1;
            let count = u32::from(TABLE.count[len]);
            if count > 0 && code >= TABLE.first[len] && code - TABLE.first[len] < count {
                let sym = TABLE.symbols
                    [(u32::from(TABLE.offset[len]) + code - TABLE.first[len]) as usize];
                if sym == EOS {
                    return Err(HuffmanError::Eos);
                }
                dst.push(sym as u8);
                code = 0;
                len = 0;
            } else if len == MAX_BITS {
                // Only EOS is 30 bits long and it was matched above: unreachable for valid
                // canonical data, but a stray code must never index past the table.
                return Err(HuffmanError::Eos);
            }
        }
    }
    // Leftover bits are padding: fewer than 8, all ones (the most significant bits of EOS).
    if len > 7 || code != (1u32 << len) - 1 {
        return Err(HuffmanError::Padding);
    }
    Ok(())
}

/// Length in bytes of `src` once encoded.
pub fn encoded_len(src: &[u8]) -> usize {
    let bits: usize = src
        .iter()
        .map(|&b| usize::from(CODES[usize::from(b)].1))
        .sum();
    bits.div_ceil(8)
}

/// Encodes `src` onto `dst`, padded with ones.
pub fn encode(src: &[u8], dst: &mut Vec<u8>) {
    let mut acc: u64 = 0;
    let mut bits = 0u32;
    for &b in src {
        let (code, len) = CODES[usize::from(b)];
        acc = (acc << len) | u64::from(code);
        bits += u32::from(len);
        while bits >= 8 {
            bits -= 8;
            dst.push((acc >> bits) as u8);
        }
        acc &= (1u64 << bits) - 1;
    }
    if bits > 0 {
        let pad = 8 - bits;
        dst.push(((acc << pad) as u8) | ((1u8 << pad) - 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn rfc_7541_c4_examples_round_trip() {
        let cases = [
            ("www.example.com", "f1e3c2e5f23a6ba0ab90f4ff"),
            ("no-cache", "a8eb10649cbf"),
            ("custom-key", "25a849e95ba97d7f"),
            ("custom-value", "25a849e95bb8e8b4bf"),
        ];
        for (plain, wire) in cases {
            let mut enc = Vec::new();
            encode(plain.as_bytes(), &mut enc);
            assert_eq!(enc, hex(wire), "{plain}");
            assert_eq!(encoded_len(plain.as_bytes()), enc.len());
            let mut dec = Vec::new();
            decode(&enc, &mut dec).unwrap();
            assert_eq!(dec, plain.as_bytes());
        }
    }

    #[test]
    fn every_byte_round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        let mut enc = Vec::new();
        encode(&all, &mut enc);
        let mut dec = Vec::new();
        decode(&enc, &mut dec).unwrap();
        assert_eq!(dec, all);
    }

    #[test]
    fn rejects_eos_and_bad_padding() {
        // EOS (30 ones) padded to 32 bits.
        assert_eq!(decode(&[0xff; 4], &mut Vec::new()), Err(HuffmanError::Eos));
        // 'a' is 00011 (5 bits); padding of zeros is not a prefix of EOS.
        assert_eq!(decode(&[0x18], &mut Vec::new()), Err(HuffmanError::Padding));
        // A whole byte of ones as padding is more than 7 bits.
        assert_eq!(
            decode(&[0x1f, 0xff], &mut Vec::new()),
            Err(HuffmanError::Padding)
        );
        assert_eq!(decode(&[0x1f], &mut Vec::new()), Ok(()));
    }
}
