//! Fuzzes what a hostile HTTP/3 client controls on its streams, below QUIC: the frame reader,
//! the QPACK field-section decoder, request and trailer validation, SETTINGS, and the QPACK
//! encoder/decoder stream instruction check.
//!
//! Input: byte 0 picks the stream (bits 0-1: request, control, QPACK encoder or decoder stream;
//! bit 2: a tight 64-byte HEADERS / field-section limit instead of 16 KiB), byte 1 a cut point;
//! the rest is the stream's bytes. Asserted for every input:
//! * no panic, whatever the bytes (varints past 2^62, lengths past the input, bad Huffman);
//! * the stream cut in two reads the same frames (DATA pieces joined) and the same error as whole;
//! * a frame past its limit (HEADERS: the field-section limit) is refused, never buffered; a decoded field section is within
//!   its limit and re-encodes (static table + literals) to bytes that decode to the same fields;
//! * a request head that validates has fields that each pass `check_field`, and a
//!   `content-length` only when it is all digits;
//! * the QPACK instruction check consumes a prefix of the bytes, and the same bytes in two
//!   pieces (the unconsumed tail carried over) give the same verdict.

#![no_main]

use libfuzzer_sys::fuzz_target;
use zephyr_h3::fields::{check_field, check_trailers, request_head};
use zephyr_h3::frame::{self, FrameReader, Item, ReadError};
use zephyr_h3::qpack;

/// Frames of `wire` fed in the pieces `cuts` makes, DATA pieces joined.
fn read(wire: &[u8], max: u64, cut: usize) -> (Vec<Item>, Result<(), ReadError>, bool) {
    let mut reader = FrameReader::new(max);
    let mut items = Vec::new();
    let mut result = reader.push(&wire[..cut], &mut items);
    if result.is_ok() {
        result = reader.push(&wire[cut..], &mut items);
    }
    let mut joined: Vec<Item> = Vec::new();
    for item in items {
        match (joined.last_mut(), item) {
            (Some(Item::Data(prev)), Item::Data(more)) => prev.extend(more),
            (_, item) => joined.push(item),
        }
    }
    (joined, result, reader.at_boundary())
}

fn check_section(block: &[u8], max: usize) {
    let Ok(fields) = qpack::decode(block, max) else {
        return;
    };
    let size: usize = fields.iter().map(|(n, v)| n.len() + v.len() + 32).sum();
    assert!(size <= max, "decoded {size} bytes past the limit {max}");
    let mut again = Vec::new();
    qpack::encode(
        fields.iter().map(|(n, v)| (n.as_slice(), v.as_slice())),
        &mut again,
    );
    assert_eq!(
        qpack::decode(&again, usize::MAX).as_ref(),
        Ok(&fields),
        "re-encoded section decodes differently"
    );
    if check_trailers(&fields).is_ok() {
        assert!(fields.iter().all(|(n, v)| check_field(n, v).is_ok()));
    }
    if let Ok(head) = request_head(fields) {
        for (name, value) in &head.headers {
            assert!(check_field(name, value).is_ok());
        }
        if let Some(len) = head.content_length {
            let given = head
                .headers
                .iter()
                .find(|(n, _)| n == b"content-length")
                .expect("content_length comes from a field");
            assert_eq!(
                std::str::from_utf8(&given.1).unwrap().parse::<u64>(),
                Ok(len)
            );
        }
        assert!(!head.method.is_empty());
        assert!(head.headers.iter().all(|(n, _)| !n.starts_with(b":")));
    }
}

fn frames(wire: &[u8], max: u64, cut: usize, control: bool) {
    let whole = read(wire, max, wire.len());
    let split = read(wire, max, cut);
    assert_eq!(whole, split, "a cut changed what was read");
    let (items, result, _) = whole;
    // A frame declared past its bound (HEADERS: `max`; others: MAX_CONTROL_FRAME) is refused
    // from its header alone: nothing of it was buffered.
    if let Err(ReadError::TooLarge { .. }) = result {
        assert!(items.iter().all(|item| match item {
            Item::Frame { ty, payload } if *ty == frame::HEADERS => payload.len() as u64 <= max,
            Item::Frame { payload, .. } => payload.len() as u64 <= frame::MAX_CONTROL_FRAME,
            Item::Data(_) => true,
        }));
    }
    for item in items {
        let Item::Frame { ty, payload } = item else {
            continue;
        };
        if ty == frame::HEADERS {
            assert!(
                payload.len() as u64 <= max,
                "HEADERS buffered past the limit"
            );
            check_section(&payload, max as usize);
        } else {
            assert!(payload.len() as u64 <= frame::MAX_CONTROL_FRAME);
        }
        if control && ty == frame::SETTINGS {
            if let Ok(settings) = frame::parse_settings(&payload) {
                assert!(settings.len() <= payload.len() / 2);
            }
        }
        if ty == frame::GOAWAY || ty == frame::MAX_PUSH_ID || ty == frame::CANCEL_PUSH {
            let _ = frame::parse_single_varint(&payload);
        }
    }
}

fn instructions(wire: &[u8], cut: usize, encoder: bool) {
    let whole = qpack::check_instructions(encoder, wire);
    if let Ok(n) = whole {
        assert!(n <= wire.len());
    }
    // The reader keeps the unconsumed tail of the first piece and retries it with the rest.
    let split = qpack::check_instructions(encoder, &wire[..cut]).and_then(|n| {
        let rest = &wire[n..];
        qpack::check_instructions(encoder, rest).map(|m| n + m)
    });
    assert_eq!(whole.is_ok(), split.is_ok(), "a cut changed the verdict");
    if let (Ok(a), Ok(b)) = (whole, split) {
        assert_eq!(a, b);
    }
}

fuzz_target!(|data: &[u8]| {
    let [mode, cut, wire @ ..] = data else {
        return;
    };
    let cut = usize::from(*cut).min(wire.len());
    let max = if mode & 4 != 0 { 64 } else { 16 * 1024 };
    match mode & 3 {
        0 => frames(wire, max, cut, false),
        1 => frames(wire, max, cut, true),
        2 => instructions(wire, cut, true),
        _ => instructions(wire, cut, false),
    }
});
