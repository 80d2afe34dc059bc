//! HPACK's static Huffman code (RFC 7541 §5.2, Appendix B).
//!
//! Decoding reads four bits at a time through a state machine built at compile time from the
//! code's tree (the way nghttp2 does): a state is an internal node of the tree, and each
//! (state, nibble) pair says which node follows and which symbol, if any, was completed. No
//! code is shorter than 5 bits, so a nibble completes at most one symbol.

use super::huffman_table::CODES;

const EOS: usize = 256;
/// 257 leaves make 256 internal nodes.
const NODES: usize = 256;
const LEAF: u16 = 0x8000;

/// One transition: the next node, the completed symbol (`NONE` if none), and whether the
/// nibble completed EOS (an error).
#[derive(Clone, Copy)]
struct Step {
    next: u8,
    sym: u16,
}

const NONE: u16 = 0x100;
const FAIL: u16 = 0x200;

struct Machine {
    steps: [[Step; 16]; NODES],
    /// A string may end in this state: the bits since the last symbol are fewer than 8 and all
    /// ones (a prefix of EOS).
    accepting: [bool; NODES],
}

const fn build() -> Machine {
    // The tree: children of each internal node, LEAF | symbol for leaves.
    let mut tree = [[0u16; 2]; NODES];
    let mut depth = [0u8; NODES];
    let mut ones = [true; NODES];
    let mut count = 1;
    let mut s = 0;
    while s <= EOS {
        let (code, len) = CODES[s];
        let mut node = 0;
        let mut i = len;
        while i > 1 {
            i -= 1;
            let bit = ((code >> i) & 1) as usize;
            if tree[node][bit] == 0 {
                tree[node][bit] = count as u16;
                depth[count] = depth[node] + 1;
                ones[count] = ones[node] && bit == 1;
                count += 1;
            }
            node = tree[node][bit] as usize;
        }
        tree[node][(code & 1) as usize] = LEAF | s as u16;
        s += 1;
    }
    let mut m = Machine {
        steps: [[Step { next: 0, sym: NONE }; 16]; NODES],
        accepting: [false; NODES],
    };
    let mut n = 0;
    while n < NODES {
        m.accepting[n] = ones[n] && depth[n] <= 7;
        let mut nibble = 0;
        while nibble < 16 {
            let mut node = n;
            let mut sym = NONE;
            let mut b = 4;
            while b > 0 {
                b -= 1;
                let child = tree[node][(nibble >> b) & 1];
                if child & LEAF != 0 {
                    let leaf = (child & !LEAF) as usize;
                    sym = if leaf == EOS { FAIL } else { leaf as u16 };
                    node = 0;
                } else {
                    node = child as usize;
                }
            }
            m.steps[n][nibble] = Step {
                next: node as u8,
                sym,
            };
            nibble += 1;
        }
        n += 1;
    }
    m
}

static MACHINE: Machine = build();

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
    dst.reserve(src.len() * 8 / 5);
    let mut state = 0usize;
    for &byte in src {
        for nibble in [byte >> 4, byte & 0xf] {
            let step = MACHINE.steps[state][usize::from(nibble)];
            if step.sym != NONE {
                if step.sym == FAIL {
                    return Err(HuffmanError::Eos);
                }
                dst.push(step.sym as u8);
            }
            state = usize::from(step.next);
        }
    }
    if !MACHINE.accepting[state] {
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

    /// Bit by bit against the RFC table, independent of the state machine.
    fn reference(
        codes: &std::collections::HashMap<(u32, u8), usize>,
        src: &[u8],
    ) -> Result<Vec<u8>, HuffmanError> {
        let (mut code, mut len, mut out) = (0u32, 0u8, Vec::new());
        for &byte in src {
            for shift in (0..8).rev() {
                code = (code << 1) | u32::from((byte >> shift) & 1);
                len += 1;
                if let Some(&sym) = codes.get(&(code, len)) {
                    if sym == EOS {
                        return Err(HuffmanError::Eos);
                    }
                    out.push(sym as u8);
                    code = 0;
                    len = 0;
                }
            }
        }
        if len > 7 || code != (1 << len) - 1 {
            return Err(HuffmanError::Padding);
        }
        Ok(out)
    }

    #[test]
    fn every_two_and_some_four_byte_inputs_match_the_reference() {
        let codes = CODES.iter().enumerate().map(|(s, &c)| (c, s)).collect();
        let mut dst = Vec::new();
        for v in 0..=u16::MAX {
            dst.clear();
            let src = v.to_be_bytes();
            assert_eq!(
                decode(&src, &mut dst).map(|()| dst.clone()),
                reference(&codes, &src),
                "{src:?}"
            );
        }
        let mut x: u32 = 0x9e37_79b9;
        for _ in 0..50_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let src = x.to_be_bytes();
            dst.clear();
            assert_eq!(
                decode(&src, &mut dst).map(|()| dst.clone()),
                reference(&codes, &src),
                "{src:?}"
            );
        }
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
