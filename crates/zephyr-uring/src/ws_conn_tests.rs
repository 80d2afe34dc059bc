//! The ring's WebSocket session driven as the ring loop drives it, through [`Session`], with no
//! socket: client frames in, sink events and queued output out.

use super::*;
use crate::http1::HeadLimits;
use crate::send::SendPlan;

const LIMITS: ConnLimits = ConnLimits {
    head: HeadLimits {
        max_head_bytes: 16384,
        max_headers: 100,
        max_url_len: 8192,
    },
    max_body_bytes: 16,
    header_timeout_ms: 1000,
    keep_alive_timeout_ms: 1000,
    request_timeout_ms: 5000,
    max_pipelined: 16,
    max_unsent_bytes: 1 << 20,
    write_timeout_ms: 30_000,
};
const ID: ConnId = ConnId { index: 2, gen: 5 };

#[derive(Default)]
struct Events {
    /// Bytes of event room left (`usize::MAX`: unlimited).
    room: Option<usize>,
    messages: Vec<(Vec<u8>, bool, bool)>,
    closes: Vec<(u16, String)>,
    /// Give messages of at least this many bytes a store of their own (the binding's way).
    place_from: Option<usize>,
    /// Placed records the sink has room for (`None`: unlimited).
    placed_room: Option<usize>,
    /// How many messages arrived placed.
    placed: usize,
}

impl EventSink for Events {
    fn request(&mut self, _: ConnId, _: u32, _: &crate::conn::RequestEvent<'_>) -> bool {
        unreachable!("a WebSocket session parses no HTTP")
    }
    fn has_room(&self, bytes: usize) -> bool {
        self.room.is_none_or(|room| bytes <= room)
    }
    fn body(&mut self, _: ConnId, _: u32, _: &[u8], _: bool) {}
    fn body_error(&mut self, _: ConnId, _: u32, _: u16) {}
    fn aborted(&mut self, _: ConnId) {}
    fn drained(&mut self, _: ConnId, _: u32) {}
    fn file_sent(&mut self, _: ConnId, _: u32, _: i32) {}
    fn ws_message(&mut self, conn: ConnId, seq: u32, chunk: &[u8], binary: bool, last: bool) {
        assert_eq!((conn, seq), (ID, 7));
        if let Some(room) = self.room.as_mut() {
            *room -= chunk.len();
        }
        self.messages.push((chunk.to_vec(), binary, last));
    }
    fn ws_place(&mut self, len: usize) -> Option<Box<dyn crate::ws::MessageStore>> {
        let from = self.place_from?;
        (len >= from).then(|| Box::new(vec![0u8; len]) as Box<dyn crate::ws::MessageStore>)
    }
    fn has_room_for_placed(&self) -> bool {
        self.placed_room.is_none_or(|room| room > 0)
    }
    fn ws_placed(&mut self, conn: ConnId, seq: u32, message: PlacedMessage, binary: bool) {
        assert_eq!((conn, seq), (ID, 7));
        if let Some(room) = self.placed_room.as_mut() {
            *room -= 1;
        }
        self.placed += 1;
        self.messages.push((message.bytes().to_vec(), binary, true));
    }
    fn ws_close(&mut self, conn: ConnId, seq: u32, code: u16, reason: &[u8]) {
        assert_eq!((conn, seq), (ID, 7));
        self.closes
            .push((code, String::from_utf8(reason.to_vec()).unwrap()));
    }
}

fn policy(max_backpressure: usize, drop: bool) -> WsPolicy {
    WsPolicy {
        max_backpressure,
        drop,
        idle_timeout_ms: 1000,
    }
}

fn session(policy: WsPolicy) -> WsConn {
    let mut out = ResponseQueue::default();
    for _ in 0..7 {
        let seq = out.open();
        out.write(seq, b"", true, false);
    }
    assert_eq!(out.open(), 7);
    WsConn::new(
        ID,
        7,
        WsSession::new(crate::ws::WsConfig::default(), None),
        out,
        policy,
        Vec::new(),
        0,
    )
}

/// A masked client frame (mask 1, 2, 3, 4).
fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n < 65536 => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    let mask = [1u8, 2, 3, 4];
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

/// Everything queued for the socket, marked as sent.
fn sent(ws: &mut WsConn) -> Vec<u8> {
    let mut all = Vec::new();
    while let Some(plan) = ws.output().next_send() {
        let n = match plan {
            SendPlan::One(ptr, len) => {
                // SAFETY: the queue keeps the bytes in place until `sent`.
                all.extend_from_slice(unsafe { std::slice::from_raw_parts(ptr, len) });
                len
            }
            SendPlan::Many(msg, total) => {
                // SAFETY: as above, for each iovec of the message.
                unsafe {
                    let msg = &*msg;
                    for i in 0..msg.msg_iovlen {
                        let iov = &*msg.msg_iov.add(i);
                        all.extend_from_slice(std::slice::from_raw_parts(
                            iov.iov_base as *const u8,
                            iov.iov_len,
                        ));
                    }
                }
                total
            }
        };
        ws.output_moved(1);
        ws.output().sent(n);
    }
    all
}

#[test]
fn a_backlog_of_messages_is_delivered_in_order_over_many_batches_each_once() {
    let mut ws = session(policy(1 << 20, false));
    // 40 messages in one read, a sink with room for three at a time, more arriving meanwhile.
    let message = |i: usize| format!("message {i:03} ").repeat(50).into_bytes();
    let mut wire = Vec::new();
    for i in 0..40 {
        wire.extend(client_frame(2, &message(i)));
    }
    let room = 3 * message(0).len();
    let mut events = Events {
        room: Some(room),
        ..Events::default()
    };
    ws.receive(&wire, &mut events, &LIMITS, b"", 0);
    let mut batches = 1;
    let mut more = Vec::new();
    for i in 40..50 {
        more.extend(client_frame(2, &message(i)));
    }
    ws.receive(&more, &mut events, &LIMITS, b"", 0);
    while ws.input_stalled() {
        events.room = Some(room);
        ws.retry_input(&mut events, &LIMITS, b"", 0);
        batches += 1;
        assert!(batches < 100, "the backlog drains");
    }
    let got: Vec<Vec<u8>> = events.messages.iter().map(|(d, _, _)| d.clone()).collect();
    let want: Vec<Vec<u8>> = (0..50).map(message).collect();
    assert_eq!(got, want);
    assert_eq!(batches, 17, "three per batch");
    assert!(ws.wants_read(&LIMITS));
}

#[test]
fn a_large_message_reaches_the_sink_in_pieces_and_waits_for_room() {
    let mut ws = session(policy(1 << 20, false));
    let payload: Vec<u8> = (0..150_000u32).map(|i| i as u8).collect();
    let mut events = Events {
        room: Some(100_000),
        ..Events::default()
    };
    ws.receive(&client_frame(2, &payload), &mut events, &LIMITS, b"", 0);
    assert_eq!(events.messages.len(), 1, "one piece fits");
    assert!(ws.input_stalled());
    assert!(
        !ws.wants_read(&LIMITS),
        "no more reading while a message waits"
    );
    events.room = None;
    ws.retry_input(&mut events, &LIMITS, b"", 0);
    assert!(!ws.input_stalled());
    let pieces: Vec<(usize, bool, bool)> = events
        .messages
        .iter()
        .map(|(d, b, l)| (d.len(), *b, *l))
        .collect();
    assert_eq!(
        pieces,
        [
            (MESSAGE_PIECE, true, false),
            (MESSAGE_PIECE, true, false),
            (150_000 - 2 * MESSAGE_PIECE, true, true)
        ]
    );
    let joined: Vec<u8> = events.messages.iter().flat_map(|m| m.0.clone()).collect();
    assert_eq!(joined, payload);
}

#[test]
fn messages_before_a_close_are_delivered_first_and_the_close_once() {
    let mut ws = session(policy(1 << 20, false));
    let mut events = Events::default();
    let mut wire = client_frame(1, b"last words");
    wire.extend(client_frame(8, &[0x03, 0xe8, b'o', b'k']));
    ws.receive(&wire, &mut events, &LIMITS, b"", 0);
    assert_eq!(events.messages, [(b"last words".to_vec(), false, true)]);
    assert_eq!(events.closes, [(1000, "ok".to_owned())]);
    assert!(!ws.has_open_work());
    // The application's reply to the last message goes before our close reply, which is held
    // until the next batch.
    assert!(ws.input_stalled());
    assert_eq!(ws.send(Payload::Bytes(b"echo"), false, false), Queued::Yes);
    ws.retry_input(&mut events, &LIMITS, b"", 0);
    assert!(!ws.is_done());
    assert_eq!(sent(&mut ws), b"\x81\x04echo\x88\x02\x03\xe8");
    assert!(ws.is_done());
    ws.tick(10, &mut events, b"", &LIMITS);
    assert_eq!(events.closes.len(), 1, "reported once");
}

#[test]
fn a_protocol_error_is_answered_with_its_code_and_reported() {
    let mut ws = session(policy(1 << 20, false));
    let mut events = Events::default();
    // An unmasked frame from a client (RFC 6455 §5.1): 1002.
    ws.receive(&[0x81, 0x02, b'h', b'i'], &mut events, &LIMITS, b"", 0);
    assert_eq!(events.closes.len(), 1);
    assert_eq!(events.closes[0].0, 1002);
    ws.retry_input(&mut events, &LIMITS, b"", 0);
    let out = sent(&mut ws);
    assert_eq!(
        (out[0], out[2], out[3]),
        (0x88, 0x03, 0xea),
        "close frame with 1002"
    );
}

#[test]
fn an_idle_peer_is_pinged_at_half_the_timeout_then_closed_with_1001_then_dropped() {
    let mut ws = session(policy(1 << 20, false));
    let mut events = Events::default();
    assert!(!ws.tick(400, &mut events, b"", &LIMITS).close_now);
    assert!(sent(&mut ws).is_empty());
    ws.tick(500, &mut events, b"", &LIMITS);
    assert_eq!(sent(&mut ws), [0x89, 0x00], "a ping");
    // A pong (any frame) counts as life.
    ws.receive(&client_frame(10, b""), &mut events, &LIMITS, b"", 600);
    ws.tick(1500, &mut events, b"", &LIMITS);
    assert_eq!(
        sent(&mut ws),
        [0x89, 0x00],
        "pinged again after a quiet half"
    );
    ws.tick(1600, &mut events, b"", &LIMITS);
    let close = sent(&mut ws);
    assert_eq!(&close[..4], [0x88, 0x0e, 0x03, 0xe9]);
    assert_eq!(&close[4..], b"idle timeout");
    assert!(events.closes.is_empty(), "the peer may still answer");
    let wants = ws.tick(1600 + CLOSE_HANDSHAKE_MS, &mut events, b"", &LIMITS);
    assert!(wants.close_now);
    assert_eq!(
        events.closes,
        [(1006, "close handshake timed out".to_owned())]
    );
}

#[test]
fn a_publish_past_the_backpressure_limit_is_dropped_or_drops_the_slow_consumer() {
    let frame = SharedFrame(WsSession::frame_message(Opcode::Binary, &[7; 3000]).into());
    let mut keep = session(policy(8000, true));
    assert_eq!(keep.send_shared(&frame), Queued::Yes);
    assert_eq!(keep.send_shared(&frame), Queued::Yes);
    assert_eq!(keep.send_shared(&frame), Queued::Dropped);
    assert!(keep.is_open());
    assert_eq!(sent(&mut keep).len(), 2 * frame.0.len());
    assert_eq!(
        keep.send_shared(&frame),
        Queued::Yes,
        "room again once sent"
    );

    let mut slow = session(policy(8000, false));
    slow.send_shared(&frame);
    slow.send_shared(&frame);
    assert_eq!(slow.send_shared(&frame), Queued::Closed);
    assert!(!slow.is_open());
    assert!(!slow.is_done(), "what was queued starts going out first");
    assert_eq!(
        slow.take_report(),
        Some((
            7,
            1006,
            "slow consumer past maxBackpressureBytes".to_owned()
        ))
    );
    slow.output().next_send();
    slow.output_moved(5);
    assert!(slow.is_done(), "dropped once a send completed");
    assert!(!slow.has_open_work());
}

#[test]
fn the_application_dropping_a_slow_consumer_reports_nothing_back() {
    let mut ws = session(policy(1 << 20, false));
    assert_eq!(ws.send(Payload::Bytes(&[1; 100]), true, false), Queued::Yes);
    ws.drop_quietly();
    assert_eq!(
        ws.send(Payload::Bytes(&[1; 100]), true, false),
        Queued::Dropped
    );
    assert!(ws.take_report().is_none());
    assert!(!ws.has_open_work());
    assert!(!ws.wants_read(&LIMITS));
    assert_eq!(sent(&mut ws)[..2], [0x82, 100]);
    assert!(ws.is_done());
}

#[test]
fn large_messages_arrive_placed_in_order_with_small_ones_and_wait_for_room() {
    let mut ws = session(policy(1 << 20, false));
    let big = |i: u8| vec![i; 20_000];
    let mut wire = Vec::new();
    for i in 0..4u8 {
        wire.extend(client_frame(2, &big(i)));
        wire.extend(client_frame(1, format!("small {i}").as_bytes()));
    }
    let mut events = Events {
        place_from: Some(4096),
        placed_room: Some(1),
        ..Events::default()
    };
    // Read in pieces that split frames anywhere, as TCP does.
    for piece in wire.chunks(7_001) {
        ws.receive(piece, &mut events, &LIMITS, b"", 0);
    }
    assert_eq!(events.placed, 1, "one placed record fits the first batch");
    assert!(ws.input_stalled());
    while ws.input_stalled() {
        events.placed_room = Some(1);
        ws.retry_input(&mut events, &LIMITS, b"", 0);
    }
    assert_eq!(events.placed, 4);
    let want: Vec<(Vec<u8>, bool, bool)> = (0..4u8)
        .flat_map(|i| {
            [
                (big(i), true, true),
                (format!("small {i}").into_bytes(), false, true),
            ]
        })
        .collect();
    assert_eq!(events.messages, want);
}
