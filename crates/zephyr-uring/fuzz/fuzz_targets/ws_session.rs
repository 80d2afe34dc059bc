//! Fuzzes `ws::WsSession`, the server side of a WebSocket connection, with hostile client bytes.
//!
//! Input: byte 0 picks the session (bit 0: permessage-deflate negotiated, bit 1: a tight
//! 1 KiB message limit, bits 2-3: the server window bits, bit 6: whole messages received into
//! stores of the caller's, as the engine's binding does), byte 1 a cut point; the rest is the
//! wire. Asserted for every input:
//! * no panic, whatever the bytes (bad opcodes, lengths past 2^63, deflate garbage, zip bombs);
//! * every message event is within the message limit, and text is whole UTF-8 (a `String`, or
//!   a placed message that is valid UTF-8; placed messages are compared as the same events);
//! * the connection fails with a close code an endpoint may send (1002, 1007, 1009) and a
//!   close frame is the last thing queued once it is closed;
//! * the same bytes cut anywhere give the same events and the same output (a frame split by
//!   the network reads the same), and so does a byte-by-byte feed of a short input — except
//!   for which failure a compressed message gets when it is bad in two ways: bad deflate and
//!   bad UTF-8 (1007 either way, worded differently), or inflating past the limit and bad UTF-8
//!   (1009 or 1007). Inflate output is checked as it comes, so the cut decides which check sees
//!   its bytes first. A failure's reason is left out of the comparison, and with deflate its
//!   code too (both runs must still fail, at the same point of the output).

#![no_main]

use libfuzzer_sys::fuzz_target;
use zephyr_uring::ws::{DeflateParams, MessageStore, WsConfig, WsEvent, WsSession, WsState};

fn session(mode: u8) -> (WsSession, usize) {
    let max = if mode & 2 != 0 {
        1024
    } else {
        WsConfig::DEFAULT_MAX_MESSAGE_BYTES
    };
    let deflate = (mode & 1 != 0).then(|| DeflateParams {
        server_no_context_takeover: mode & 16 != 0,
        client_no_context_takeover: mode & 32 != 0,
        server_max_window_bits: 9 + ((mode >> 2) & 3) * 2,
    });
    (
        WsSession::new(
            WsConfig {
                max_message_bytes: max,
            },
            deflate,
        ),
        max,
    )
}

/// Feeds `pieces` in order as a connection would (again until each piece is used), answering
/// every message with an echo; returns the events and everything written.
fn run<'a>(mode: u8, pieces: impl Iterator<Item = &'a [u8]>) -> (Vec<WsEvent>, Vec<u8>) {
    let (mut s, max) = session(mode);
    let mut events = Vec::new();
    let mut out = Vec::new();
    for piece in pieces {
        let mut at = 0;
        while at < piece.len() {
            let used = if mode & 64 != 0 {
                s.handle_into(&piece[at..], &mut |len| {
                    Some(Box::new(vec![0u8; len]) as Box<dyn MessageStore>)
                })
            } else {
                s.handle(&piece[at..])
            };
            at += used;
            while let Some(event) = s.poll_event() {
                // A placed message is the same event as one the session assembled.
                let event = match event {
                    WsEvent::Placed { text: true, data } => WsEvent::Text(
                        String::from_utf8(data.bytes().to_vec()).expect("placed text is UTF-8"),
                    ),
                    WsEvent::Placed { text: false, data } => WsEvent::Binary(data.bytes().to_vec()),
                    other => other,
                };
                match &event {
                    WsEvent::Text(t) => {
                        assert!(t.len() <= max);
                        s.send_text(t);
                    }
                    WsEvent::Binary(b) => {
                        assert!(b.len() <= max);
                        s.send_binary(b);
                    }
                    WsEvent::ProtocolError { code, reason } => {
                        assert!(matches!(code, 1002 | 1007 | 1009), "failed with {code}");
                        assert_eq!(s.state(), WsState::Closed);
                        // Its close frame (code + reason, under 126 bytes) is the last output.
                        let pending = s.pending_output();
                        let frame = 4 + reason.len();
                        assert!(pending.len() >= frame);
                        let close = &pending[pending.len() - frame..];
                        assert_eq!(
                            close[..4],
                            [0x88, frame as u8 - 2, (code >> 8) as u8, *code as u8]
                        );
                        out.extend_from_slice(&pending[..pending.len() - frame]);
                        // Its length and reason left out; with deflate, its code too.
                        let code = if mode & 1 != 0 { 0 } else { *code };
                        out.extend_from_slice(&[0x88, (code >> 8) as u8, code as u8]);
                        let n = pending.len();
                        s.consume_output(n);
                        events.push(WsEvent::ProtocolError { code, reason: "" });
                        continue;
                    }
                    WsEvent::Close { .. } => assert_eq!(s.state(), WsState::Closed),
                    WsEvent::Ping(p) | WsEvent::Pong(p) => assert!(p.len() <= 125),
                    WsEvent::Placed { .. } => unreachable!("mapped above"),
                }
                events.push(event);
            }
            let pending = s.pending_output();
            out.extend_from_slice(pending);
            let n = pending.len();
            s.consume_output(n);
            if used == 0 {
                // A session that takes nothing must be closed (it ignores the rest).
                assert_eq!(s.state(), WsState::Closed);
                break;
            }
        }
    }
    (events, out)
}

fuzz_target!(|data: &[u8]| {
    let [mode, cut, wire @ ..] = data else {
        return;
    };
    let whole = run(*mode, std::iter::once(wire));
    let cut = usize::from(*cut).min(wire.len());
    let (a, b) = wire.split_at(cut);
    assert_eq!(whole, run(*mode, [a, b].into_iter()), "cut at {cut}");
    if wire.len() <= 256 {
        assert_eq!(whole, run(*mode, wire.chunks(1)), "byte by byte");
    }
});
