//! Fuzzes the connection (frame layer, stream states, flow control) and the HPACK decoder.
//!
//! Input: byte 0 picks where the wire is cut into reads and whether requests are answered; the
//! rest is the wire after a valid client preface and SETTINGS. Asserted for every input:
//! * no panic;
//! * the output always parses as whole frames, none past the largest frame size;
//! * the output waiting for the socket stays within the configured bounds;
//! * the same rest, given to a bare HPACK decoder, decodes (or fails) without panic, keeps the
//!   list within its limit, and what it decodes re-encodes and decodes back to the same fields.

#![no_main]

use libfuzzer_sys::fuzz_target;
use zephyr_h2::frame::{FrameHeader, FRAME_HEADER_LEN, MAX_MAX_FRAME_SIZE, PREFACE};
use zephyr_h2::hpack::{Decoder, Encoder};
use zephyr_h2::{H2Config, H2Connection, H2Event};

fuzz_target!(|data: &[u8]| {
    let Some((&ctrl, wire)) = data.split_first() else {
        return;
    };
    check_connection(ctrl, wire);
    check_hpack(wire);
});

fn check_connection(ctrl: u8, wire: &[u8]) {
    let config = H2Config {
        max_queued_control_frames: 64,
        max_buffered_output: 64 * 1024,
        ..H2Config::default()
    };
    let mut conn = H2Connection::new(config).unwrap();
    let mut start = PREFACE.to_vec();
    start.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    conn.receive(&start);
    let step = 1 + usize::from(ctrl & 0x3f);
    let answer = ctrl & 0x40 != 0;
    let drain = ctrl & 0x80 != 0;
    for piece in wire.chunks(step) {
        conn.receive(piece);
        while let Some(event) = conn.poll_event() {
            match event {
                H2Event::Request { stream, .. } if answer => {
                    let _ = conn.send_headers(stream, 200, &[(b"x-a", b"b")], false);
                    let _ = conn.send_data(stream, &wire[..wire.len().min(40_000)], true);
                }
                H2Event::Data { stream, bytes, .. } => conn.release(stream, bytes.len()),
                _ => {}
            }
        }
        // Control frames are bounded by their limit; responses by the output bound.
        assert!(conn.pending_output().len() <= 64 * 1024 + 64 * 17 + 64 * 1024);
        check_frames(conn.pending_output());
        if drain {
            let n = conn.pending_output().len();
            conn.consume_output(n);
        }
        if !conn.wants_read() {
            break;
        }
    }
}

fn check_frames(mut out: &[u8]) {
    while !out.is_empty() {
        assert!(
            out.len() >= FRAME_HEADER_LEN,
            "a partial frame header in the output"
        );
        let h = FrameHeader::parse(out[..FRAME_HEADER_LEN].try_into().unwrap());
        assert!(h.len <= MAX_MAX_FRAME_SIZE);
        let end = FRAME_HEADER_LEN + h.len as usize;
        assert!(end <= out.len(), "a partial frame in the output");
        out = &out[end..];
    }
}

fn check_hpack(block: &[u8]) {
    let limit = 4096;
    let mut decoder = Decoder::new(4096);
    let mut fields = Vec::new();
    let Ok(decoded) = decoder.decode(block, limit, &mut fields) else {
        return;
    };
    let kept: usize = fields.iter().map(|(n, v)| n.len() + v.len() + 32).sum();
    assert!(kept <= limit);
    assert_eq!(decoded.over_limit, decoded.list_size > limit);
    let mut encoder = Encoder::new();
    let mut again = Vec::new();
    encoder.begin_block(&mut again);
    for (n, v) in &fields {
        encoder.encode(n, v, &mut again);
    }
    let mut back = Vec::new();
    Decoder::new(4096)
        .decode(&again, usize::MAX, &mut back)
        .expect("own output decodes");
    assert_eq!(back, fields);
}
