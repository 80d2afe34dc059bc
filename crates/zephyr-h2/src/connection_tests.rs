//! The connection as a specification: a scripted peer writes frames, the tests read what the
//! server answers. Each hostile peer gets a counter and a bounded outcome.

use crate::frame::{flag, kind, setting, ErrorCode, FrameHeader, FRAME_HEADER_LEN, PREFACE};
use crate::hpack::Encoder;
use crate::{H2Config, H2Connection, H2Event, SendError};

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    crate::frame::write_header(&mut out, payload.len(), kind, flags, stream);
    out.extend_from_slice(payload);
    out
}

fn settings(params: &[(u16, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    crate::frame::write_settings(&mut out, params);
    out
}

struct Peer {
    conn: H2Connection,
    enc: Encoder,
}

#[derive(Debug)]
struct Frame {
    h: FrameHeader,
    p: Vec<u8>,
}

impl Frame {
    fn code(&self) -> u32 {
        let at = if self.h.kind == kind::GOAWAY { 4 } else { 0 };
        u32::from_be_bytes(self.p[at..at + 4].try_into().unwrap())
    }
}

impl Peer {
    fn new(config: H2Config) -> Self {
        let mut conn = H2Connection::new(config).unwrap();
        let mut wire = PREFACE.to_vec();
        wire.extend(settings(&[]));
        conn.receive(&wire);
        let mut peer = Self {
            conn,
            enc: Encoder::new(),
        };
        let frames = peer.read();
        assert_eq!(frames[0].h.kind, kind::SETTINGS);
        assert!(frames
            .iter()
            .any(|f| f.h.kind == kind::SETTINGS && f.h.has(flag::ACK)));
        peer.send(&frame(kind::SETTINGS, flag::ACK, 0, &[]));
        peer
    }

    fn send(&mut self, wire: &[u8]) {
        self.conn.receive(wire);
    }

    /// Everything the server wrote, as frames; the output is consumed.
    fn read(&mut self) -> Vec<Frame> {
        let out = self.conn.pending_output().to_vec();
        self.conn.consume_output(out.len());
        let mut frames = Vec::new();
        let mut rest = &out[..];
        while !rest.is_empty() {
            let h = FrameHeader::parse(rest[..FRAME_HEADER_LEN].try_into().unwrap());
            let end = FRAME_HEADER_LEN + h.len as usize;
            frames.push(Frame {
                h,
                p: rest[FRAME_HEADER_LEN..end].to_vec(),
            });
            rest = &rest[end..];
        }
        frames
    }

    fn events(&mut self) -> Vec<H2Event> {
        std::iter::from_fn(|| self.conn.poll_event()).collect()
    }

    fn block(&mut self, fields: &[(&str, &str)]) -> Vec<u8> {
        let mut block = Vec::new();
        self.enc.begin_block(&mut block);
        for (n, v) in fields {
            self.enc.encode(n.as_bytes(), v.as_bytes(), &mut block);
        }
        block
    }

    fn request(&mut self, stream: u32, end_stream: bool, extra: &[(&str, &str)]) -> Vec<u8> {
        let mut fields = vec![
            (":method", if end_stream { "GET" } else { "POST" }),
            (":scheme", "https"),
            (":authority", "localhost"),
            (":path", "/"),
        ];
        fields.extend_from_slice(extra);
        let block = self.block(&fields);
        let f = flag::END_HEADERS | if end_stream { flag::END_STREAM } else { 0 };
        frame(kind::HEADERS, f, stream, &block)
    }

    fn goaway(&mut self) -> Option<u32> {
        self.read()
            .iter()
            .find(|f| f.h.kind == kind::GOAWAY)
            .map(Frame::code)
    }
}

fn peer() -> Peer {
    Peer::new(H2Config::default())
}

#[test]
fn a_request_with_a_body_and_trailers_gets_a_response_with_trailers() {
    let mut p = peer();
    let req = p.request(1, false, &[("content-length", "5")]);
    p.send(&req);
    p.send(&frame(kind::DATA, 0, 1, b"hello"));
    let trailers = p.block(&[("x-checksum", "1")]);
    p.send(&frame(
        kind::HEADERS,
        flag::END_HEADERS | flag::END_STREAM,
        1,
        &trailers,
    ));
    let events = p.events();
    assert!(
        matches!(&events[0], H2Event::Request { stream: 1, method, end_stream: false, .. } if method == "POST")
    );
    assert_eq!(
        events[1],
        H2Event::Data {
            stream: 1,
            bytes: b"hello".to_vec(),
            end: false
        }
    );
    assert_eq!(
        events[2],
        H2Event::Trailers {
            stream: 1,
            headers: vec![(b"x-checksum".to_vec(), b"1".to_vec())]
        }
    );
    p.conn
        .send_headers(1, 200, &[(b"content-type", b"text/plain")], false)
        .unwrap();
    assert_eq!(p.conn.send_data(1, b"abc", false), Ok(3));
    p.conn.send_trailers(1, &[(b"grpc-status", b"0")]).unwrap();
    let frames = p.read();
    let kinds: Vec<u8> = frames.iter().map(|f| f.h.kind).collect();
    assert_eq!(kinds, [kind::HEADERS, kind::DATA, kind::HEADERS]);
    assert!(frames[2].h.has(flag::END_STREAM));
    assert_eq!(p.conn.open_streams(), 0);
    assert_eq!(
        p.conn.send_data(1, b"x", true),
        Err(SendError::UnknownStream)
    );
}

#[test]
fn input_split_anywhere_gives_the_same_events() {
    let mut whole = peer();
    let mut wire = whole.request(1, false, &[]);
    wire.extend(frame(
        kind::DATA,
        flag::END_STREAM | flag::PADDED,
        1,
        b"\x02abc\0\0",
    ));
    whole.send(&wire);
    let expected = whole.events();
    assert_eq!(expected.len(), 2);
    let mut bytewise = peer();
    for b in &wire {
        bytewise.send(std::slice::from_ref(b));
    }
    assert_eq!(bytewise.events(), expected);
}

#[test]
fn slow_reader_gets_backpressure_window_updates_follow_release() {
    let mut p = peer();
    let req = p.request(1, false, &[]);
    p.send(&req);
    // The whole stream window (65535) in frames of 16384 and less.
    let chunk = vec![7u8; 16_384];
    for _ in 0..3 {
        p.send(&frame(kind::DATA, 0, 1, &chunk));
    }
    p.send(&frame(kind::DATA, 0, 1, &chunk[..16_383]));
    assert!(
        p.read().iter().all(|f| f.h.kind != kind::WINDOW_UPDATE),
        "no update before release"
    );
    // One byte more than the window: a stream FLOW_CONTROL_ERROR.
    let mut q = peer();
    let req = q.request(1, false, &[]);
    q.send(&req);
    for _ in 0..4 {
        q.send(&frame(kind::DATA, 0, 1, &chunk));
    }
    let rst = q
        .read()
        .into_iter()
        .find(|f| f.h.kind == kind::RST_STREAM)
        .unwrap();
    assert_eq!(rst.code(), ErrorCode::FlowControlError as u32);
    // Releasing half the window earns a stream update.
    p.conn.release(1, 40_000);
    let updates: Vec<_> = p
        .read()
        .into_iter()
        .filter(|f| f.h.kind == kind::WINDOW_UPDATE)
        .collect();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].h.stream, 1);
    assert_eq!(
        u32::from_be_bytes(updates[0].p[..4].try_into().unwrap()),
        40_000
    );
}

#[test]
fn rapid_reset_is_bounded_then_goaway_enhance_your_calm() {
    let config = H2Config {
        max_reset_streams: 50,
        ..H2Config::default()
    };
    let mut p = Peer::new(config);
    let mut sent = 0;
    for i in 0..1000u32 {
        let id = 2 * i + 1;
        let req = p.request(id, true, &[]);
        p.send(&req);
        p.send(&frame(
            kind::RST_STREAM,
            0,
            id,
            &(ErrorCode::Cancel as u32).to_be_bytes(),
        ));
        sent += 1;
        if !p.conn.wants_read() {
            break;
        }
    }
    assert_eq!(sent, 51, "cut off at the 51st reset");
    assert_eq!(p.conn.counters().reset_budget_used, 51);
    assert_eq!(p.goaway(), Some(ErrorCode::EnhanceYourCalm as u32));
    assert!(p.conn.is_done());
}

#[test]
fn streams_served_to_the_end_pay_back_the_reset_budget() {
    let config = H2Config {
        max_reset_streams: 5,
        ..H2Config::default()
    };
    let mut p = Peer::new(config);
    for i in 0..100u32 {
        let id = 2 * i + 1;
        let req = p.request(id, true, &[]);
        p.send(&req);
        if i % 2 == 0 {
            p.send(&frame(kind::RST_STREAM, 0, id, &[0, 0, 0, 8]));
        } else {
            p.conn.send_headers(id, 204, &[], true).unwrap();
        }
    }
    assert!(
        p.conn.wants_read(),
        "a client that cancels half its requests is fine"
    );
    assert!(p.conn.counters().reset_budget_used <= 1);
}

#[test]
fn continuation_flood_is_cut_off() {
    // Large fragments: the block bound (list limit plus one frame) is reached.
    let mut p = peer();
    let req = p.request(1, true, &[]);
    let block = &req[FRAME_HEADER_LEN..];
    p.send(&frame(kind::HEADERS, flag::END_STREAM, 1, &block[..2]));
    let junk = vec![0x40u8; 16_384];
    let mut frames = 0;
    while p.conn.wants_read() && frames < 1000 {
        p.send(&frame(kind::CONTINUATION, 0, 1, &junk));
        frames += 1;
    }
    assert!(frames <= 4, "cut after {frames} frames");
    assert_eq!(p.goaway(), Some(ErrorCode::EnhanceYourCalm as u32));

    // Empty fragments: the frame count bound.
    let mut p = peer();
    p.send(&frame(kind::HEADERS, flag::END_STREAM, 1, &block[..2]));
    let mut frames = 0;
    while p.conn.wants_read() && frames < 100_000 {
        p.send(&frame(kind::CONTINUATION, 0, 1, &[]));
        frames += 1;
    }
    assert_eq!(frames, 129);
    assert_eq!(p.goaway(), Some(ErrorCode::EnhanceYourCalm as u32));
}

#[test]
fn hpack_bomb_header_list_past_the_limit_is_answered_431_and_counted() {
    let config = H2Config {
        max_header_list_size: 4096,
        ..H2Config::default()
    };
    let mut p = Peer::new(config);
    let big = "b".repeat(200);
    let mut fields: Vec<(&str, &str)> = Vec::new();
    for _ in 0..100 {
        fields.push(("x-bomb", big.as_str()));
    }
    let req = p.request(1, true, &fields);
    // 100 references to one indexed entry: a block far smaller than the list.
    assert!(req.len() < 600, "{}", req.len());
    p.send(&req);
    assert!(p.events().is_empty());
    let frames = p.read();
    assert_eq!(frames[0].h.kind, kind::HEADERS);
    assert!(frames[0].h.has(flag::END_STREAM));
    assert_eq!(p.conn.counters().oversized_heads, 1);
    // The table stayed in step: the next request decodes.
    let req = p.request(3, true, &[("x-bomb", big.as_str())]);
    p.send(&req);
    assert!(matches!(p.events()[0], H2Event::Request { stream: 3, .. }));
}

#[test]
fn hpack_table_size_update_past_our_setting_is_a_compression_error() {
    let mut p = peer();
    let mut block = Vec::new();
    crate::hpack::write_int(&mut block, 0x20, 5, 1 << 20);
    block.extend_from_slice(&[0x82, 0x87, 0x84]);
    p.send(&frame(
        kind::HEADERS,
        flag::END_HEADERS | flag::END_STREAM,
        1,
        &block,
    ));
    assert_eq!(p.goaway(), Some(ErrorCode::CompressionError as u32));
}

#[test]
fn settings_and_ping_floods_from_a_peer_that_does_not_read_are_bounded() {
    for flood in [
        settings(&[(setting::ENABLE_PUSH, 0)]),
        frame(kind::PING, 0, 0, &[1; 8]),
    ] {
        let config = H2Config {
            max_queued_control_frames: 100,
            ..H2Config::default()
        };
        let mut p = Peer::new(config);
        let mut sent = 0;
        while p.conn.wants_read() && sent < 100_000 {
            p.send(&flood);
            sent += 1;
        }
        assert_eq!(sent, 101);
        assert!(p.conn.pending_output().len() < 101 * 17 + 100);
        assert_eq!(p.goaway(), Some(ErrorCode::EnhanceYourCalm as u32));
    }
    // A peer that reads its acks may ping forever.
    let mut p = peer();
    for _ in 0..5000 {
        p.send(&frame(kind::PING, 0, 0, &[2; 8]));
        assert_eq!(p.read().len(), 1);
    }
}

#[test]
fn zero_window_stall_pins_no_buffer_and_a_window_update_reopens() {
    let mut p = peer();
    p.send(&settings(&[(setting::INITIAL_WINDOW_SIZE, 0)]));
    let req = p.request(1, true, &[]);
    p.send(&req);
    p.read();
    p.events();
    p.conn.send_headers(1, 200, &[], false).unwrap();
    assert_eq!(p.conn.send_capacity(1), 0);
    let body = vec![1u8; 1 << 20];
    for _ in 0..100 {
        assert_eq!(p.conn.send_data(1, &body, true), Ok(0));
    }
    assert!(
        p.conn.pending_output().len() < 100,
        "only the response head is queued"
    );
    p.send(&frame(kind::WINDOW_UPDATE, 0, 1, &10u32.to_be_bytes()));
    assert_eq!(p.events(), [H2Event::WindowOpened { stream: 1 }]);
    assert_eq!(p.conn.send_data(1, &body, true), Ok(10));
    let data: Vec<_> = p
        .read()
        .into_iter()
        .filter(|f| f.h.kind == kind::DATA)
        .collect();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0].p.len(), 10);
    assert!(!data[0].h.has(flag::END_STREAM));
}

#[test]
fn a_peer_that_opens_windows_but_never_reads_is_held_to_the_output_bound() {
    let config = H2Config {
        max_buffered_output: 64 * 1024,
        ..H2Config::default()
    };
    let mut p = Peer::new(config);
    p.send(&settings(&[(setting::INITIAL_WINDOW_SIZE, 1 << 30)]));
    p.send(&frame(
        kind::WINDOW_UPDATE,
        0,
        0,
        &(1u32 << 30).to_be_bytes(),
    ));
    let req = p.request(1, true, &[]);
    p.send(&req);
    p.events();
    p.conn.send_headers(1, 200, &[], false).unwrap();
    let body = vec![1u8; 1 << 20];
    let mut total = 0;
    for _ in 0..10 {
        total += p.conn.send_data(1, &body, false).unwrap();
    }
    assert!(total < 64 * 1024, "accepted {total}");
    assert!(p.conn.pending_output().len() <= 64 * 1024 + 100);
    // The socket drains: the stream may go on.
    p.read();
    assert_eq!(p.events(), [H2Event::WindowOpened { stream: 1 }]);
}

#[test]
fn a_peer_that_ignores_refusals_loses_the_connection() {
    let config = H2Config {
        max_concurrent_streams: 2,
        max_refused_streams: 5,
        ..H2Config::default()
    };
    let mut p = Peer::new(config);
    let mut id = 1;
    // Two accepted, five refused, and the sixth refusal is one too many.
    for _ in 0..8 {
        let req = p.request(id, true, &[]);
        p.send(&req);
        id += 2;
    }
    let frames = p.read();
    let refused = frames
        .iter()
        .filter(|f| f.h.kind == kind::RST_STREAM && f.code() == ErrorCode::RefusedStream as u32)
        .count();
    assert_eq!(refused, 5, "refused up to the budget");
    let goaway = frames.iter().find(|f| f.h.kind == kind::GOAWAY).unwrap();
    assert_eq!(goaway.code(), ErrorCode::EnhanceYourCalm as u32);
    assert!(p.conn.is_done());
}

#[test]
fn streams_past_the_concurrency_limit_are_refused() {
    let config = H2Config {
        max_concurrent_streams: 3,
        ..H2Config::default()
    };
    let mut p = Peer::new(config);
    for id in [1, 3, 5, 7, 9] {
        let req = p.request(id, true, &[]);
        p.send(&req);
    }
    let rsts: Vec<_> = p
        .read()
        .into_iter()
        .filter(|f| f.h.kind == kind::RST_STREAM)
        .collect();
    assert_eq!(rsts.iter().map(|f| f.h.stream).collect::<Vec<_>>(), [7, 9]);
    assert!(rsts
        .iter()
        .all(|f| f.code() == ErrorCode::RefusedStream as u32));
    assert_eq!(p.conn.counters().refused_streams, 2);
    assert_eq!(p.conn.open_streams(), 3);
    // One ends: a new stream is accepted.
    p.conn.send_headers(1, 204, &[], true).unwrap();
    let req = p.request(11, true, &[]);
    p.send(&req);
    assert_eq!(p.conn.open_streams(), 3);
}

#[test]
fn invalid_stream_ids_are_connection_errors() {
    let mut p = peer();
    let req = p.request(2, true, &[]);
    p.send(&req);
    assert_eq!(p.goaway(), Some(ErrorCode::ProtocolError as u32));

    let mut p = peer();
    let req = p.request(5, true, &[]);
    p.send(&req);
    let req = p.request(3, true, &[]);
    p.send(&req);
    assert_eq!(p.goaway(), Some(ErrorCode::ProtocolError as u32));

    let mut p = peer();
    p.send(&frame(kind::DATA, 0, 1, b"x"));
    assert_eq!(p.goaway(), Some(ErrorCode::ProtocolError as u32));
}

#[test]
fn frames_on_closed_streams() {
    // Closed by both ends: late DATA is STREAM_CLOSED for the connection.
    let mut p = peer();
    let req = p.request(1, true, &[]);
    p.send(&req);
    p.conn.send_headers(1, 204, &[], true).unwrap();
    p.read();
    p.send(&frame(kind::DATA, flag::END_STREAM, 1, b"x"));
    assert_eq!(p.goaway(), Some(ErrorCode::StreamClosed as u32));

    // Reset by us: frames in flight are ignored, and their bytes credited to the connection.
    let mut p = peer();
    let req = p.request(1, false, &[]);
    p.send(&req);
    p.conn.reset(1, ErrorCode::Cancel).unwrap();
    let big = vec![0u8; 16_384];
    for _ in 0..64 {
        p.send(&frame(kind::DATA, 0, 1, &big));
    }
    assert!(p.conn.wants_read());
    let frames = p.read();
    assert!(frames.iter().all(|f| f.h.kind != kind::GOAWAY));
    assert!(frames
        .iter()
        .any(|f| f.h.kind == kind::WINDOW_UPDATE && f.h.stream == 0));

    // Half-closed (remote): DATA is a stream error.
    let mut p = peer();
    let req = p.request(1, true, &[]);
    p.send(&req);
    p.send(&frame(kind::DATA, 0, 1, b"x"));
    let rst = p
        .read()
        .into_iter()
        .find(|f| f.h.kind == kind::RST_STREAM)
        .unwrap();
    assert_eq!(rst.code(), ErrorCode::StreamClosed as u32);
    assert!(matches!(p.events()[1], H2Event::Reset { stream: 1, .. }));
}

#[test]
fn oversized_frames_are_frame_size_errors() {
    let mut p = peer();
    let req = p.request(1, false, &[]);
    p.send(&req);
    p.send(&frame(kind::DATA, 0, 1, &vec![0u8; 16_385]));
    assert_eq!(p.goaway(), Some(ErrorCode::FrameSizeError as u32));
    // Only the header was needed to decide: nothing more is read.
    assert!(!p.conn.wants_read());
}

#[test]
fn malformed_requests_get_stream_errors_and_content_length_is_checked() {
    let mut p = peer();
    let block = p.block(&[(":method", "GET"), (":path", "/")]);
    p.send(&frame(
        kind::HEADERS,
        flag::END_HEADERS | flag::END_STREAM,
        1,
        &block,
    ));
    let req = p.request(3, false, &[("content-length", "2")]);
    p.send(&req);
    p.send(&frame(kind::DATA, flag::END_STREAM, 3, b"abc"));
    let rsts: Vec<_> = p
        .read()
        .into_iter()
        .filter(|f| f.h.kind == kind::RST_STREAM)
        .collect();
    assert_eq!(rsts.len(), 2);
    assert!(rsts
        .iter()
        .all(|f| f.code() == ErrorCode::ProtocolError as u32));
    assert_eq!(p.conn.counters().stream_errors, 2);
    assert!(p.conn.wants_read());
}

#[test]
fn graceful_shutdown_lets_open_streams_finish() {
    let mut p = peer();
    let req = p.request(1, true, &[]);
    p.send(&req);
    p.conn.shutdown();
    let goaway = p
        .read()
        .into_iter()
        .find(|f| f.h.kind == kind::GOAWAY)
        .unwrap();
    assert_eq!(u32::from_be_bytes(goaway.p[..4].try_into().unwrap()), 1);
    assert_eq!(goaway.code(), 0);
    let req = p.request(3, true, &[]);
    p.send(&req);
    let rst = p
        .read()
        .into_iter()
        .find(|f| f.h.kind == kind::RST_STREAM)
        .unwrap();
    assert_eq!(
        (rst.h.stream, rst.code()),
        (3, ErrorCode::RefusedStream as u32)
    );
    assert!(!p.conn.is_done());
    p.conn.send_headers(1, 200, &[], false).unwrap();
    assert_eq!(p.conn.send_data(1, b"bye", true), Ok(3));
    assert!(p.conn.is_done());
}

#[test]
fn send_calls_validate_their_input() {
    let mut p = peer();
    let req = p.request(1, true, &[]);
    p.send(&req);
    assert_eq!(
        p.conn.send_data(1, b"x", false),
        Err(SendError::InvalidState)
    );
    assert_eq!(
        p.conn.send_headers(1, 101, &[], false),
        Err(SendError::InvalidStatus)
    );
    assert_eq!(
        p.conn.send_headers(1, 99, &[], false),
        Err(SendError::InvalidStatus)
    );
    assert!(matches!(
        p.conn
            .send_headers(1, 200, &[(b"connection", b"close")], false),
        Err(SendError::InvalidHeader(_))
    ));
    assert!(matches!(
        p.conn.send_headers(1, 200, &[(b"x", b"a\r\nb")], false),
        Err(SendError::InvalidHeader(_))
    ));
    p.conn
        .send_headers(1, 103, &[(b"link", b"</a>")], false)
        .unwrap();
    p.conn.send_headers(1, 200, &[], false).unwrap();
    assert_eq!(
        p.conn.send_headers(1, 200, &[], false),
        Err(SendError::InvalidState)
    );
    assert_eq!(
        p.conn.send_headers(9, 200, &[], false),
        Err(SendError::UnknownStream)
    );
    assert!(H2Connection::new(H2Config {
        max_frame_size: 100,
        ..H2Config::default()
    })
    .is_err());
}

#[test]
fn responses_are_framed_to_the_peer_max_frame_size_and_windows() {
    let mut p = peer();
    let req = p.request(1, true, &[]);
    p.send(&req);
    p.conn.send_headers(1, 200, &[], false).unwrap();
    let body = vec![3u8; 100_000];
    // The stream and connection windows are 65535 until the peer opens them.
    assert_eq!(p.conn.send_capacity(1), 65_535);
    assert_eq!(p.conn.send_data(1, &body, true), Ok(65_535));
    let sizes: Vec<usize> = p
        .read()
        .iter()
        .filter(|f| f.h.kind == kind::DATA)
        .map(|f| f.p.len())
        .collect();
    assert_eq!(sizes, [16_384, 16_384, 16_384, 16_383]);
}

#[test]
fn a_response_that_ends_before_the_request_asks_the_client_to_stop_without_error() {
    let mut p = peer();
    let req = p.request(1, false, &[]);
    p.send(&req);
    p.events();
    p.conn.send_headers(1, 413, &[], true).unwrap();
    let frames = p.read();
    let rst = frames
        .iter()
        .find(|f| f.h.kind == kind::RST_STREAM)
        .unwrap();
    assert_eq!((rst.h.stream, rst.code()), (1, ErrorCode::NoError as u32));
    assert_eq!(p.events(), [H2Event::Reset { stream: 1, code: 0 }]);
    assert_eq!(p.conn.open_streams(), 0);
    // The body already in flight is ignored.
    p.send(&frame(kind::DATA, flag::END_STREAM, 1, b"late"));
    assert!(p.conn.wants_read());
    assert!(p.events().is_empty());
}

#[test]
fn a_goaway_flood_queues_one_event() {
    let mut p = peer();
    for _ in 0..10_000 {
        p.send(&frame(kind::GOAWAY, 0, 0, &[0, 0, 0, 0, 0, 0, 0, 0]));
    }
    assert_eq!(p.events().len(), 1);
    assert!(p.conn.is_done(), "no stream open: the connection may close");
}

#[test]
fn a_stream_error_consumes_its_frame_once() {
    // DATA past the stream window: reset once, and the connection window charged once (a
    // frame handled twice would charge it twice and leak the connection window).
    let mut p = peer();
    let req = p.request(1, false, &[]);
    p.send(&req);
    let chunk = vec![1u8; 16_384];
    let mut wire = Vec::new();
    for _ in 0..4 {
        wire.extend(frame(kind::DATA, 0, 1, &chunk));
    }
    p.send(&wire);
    let rsts = p
        .read()
        .into_iter()
        .filter(|f| f.h.kind == kind::RST_STREAM)
        .count();
    assert_eq!(rsts, 1);
    assert_eq!(p.conn.counters().stream_errors, 1);
    // The connection window: 1 MiB minus the 3 frames delivered (the 4th is credited back).
    let events = p.events();
    let delivered: usize = events
        .iter()
        .map(|e| match e {
            H2Event::Data { bytes, .. } => bytes.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(delivered, 3 * 16_384);
    assert_eq!(
        p.conn.recv_window_left(),
        i64::from(H2Config::DEFAULT_CONNECTION_WINDOW_SIZE) - 4 * 16_384
    );
}

#[test]
fn invalid_control_frames_are_connection_errors_with_their_codes() {
    let cases: Vec<(Vec<u8>, ErrorCode)> = vec![
        (
            settings(&[(setting::ENABLE_PUSH, 2)]),
            ErrorCode::ProtocolError,
        ),
        (
            settings(&[(setting::INITIAL_WINDOW_SIZE, 1 << 31)]),
            ErrorCode::FlowControlError,
        ),
        (
            settings(&[(setting::MAX_FRAME_SIZE, 16_383)]),
            ErrorCode::ProtocolError,
        ),
        (
            settings(&[(setting::MAX_FRAME_SIZE, 1 << 24)]),
            ErrorCode::ProtocolError,
        ),
        (
            frame(kind::SETTINGS, 0, 0, &[0; 5]),
            ErrorCode::FrameSizeError,
        ),
        (
            frame(kind::SETTINGS, flag::ACK, 0, &[0; 6]),
            ErrorCode::FrameSizeError,
        ),
        (frame(kind::SETTINGS, 0, 1, &[]), ErrorCode::ProtocolError),
        (frame(kind::PING, 0, 0, &[0; 7]), ErrorCode::FrameSizeError),
        (frame(kind::PING, 0, 1, &[0; 8]), ErrorCode::ProtocolError),
        (frame(kind::GOAWAY, 0, 1, &[0; 8]), ErrorCode::ProtocolError),
        (
            frame(kind::WINDOW_UPDATE, 0, 0, &[0; 4]),
            ErrorCode::ProtocolError,
        ),
        (
            frame(kind::WINDOW_UPDATE, 0, 0, &[0; 3]),
            ErrorCode::FrameSizeError,
        ),
        (
            frame(kind::WINDOW_UPDATE, 0, 0, &0x7fff_ffffu32.to_be_bytes()),
            ErrorCode::FlowControlError,
        ),
        (
            frame(kind::RST_STREAM, 0, 0, &[0; 4]),
            ErrorCode::ProtocolError,
        ),
        (
            frame(kind::RST_STREAM, 0, 1, &[0; 4]),
            ErrorCode::ProtocolError,
        ),
        (
            frame(kind::PRIORITY, 0, 0, &[0; 5]),
            ErrorCode::ProtocolError,
        ),
        (
            frame(kind::PUSH_PROMISE, flag::END_HEADERS, 1, &[0, 0, 0, 2]),
            ErrorCode::ProtocolError,
        ),
        (
            frame(kind::CONTINUATION, flag::END_HEADERS, 1, &[0x82]),
            ErrorCode::ProtocolError,
        ),
        (frame(kind::DATA, 0, 0, b"x"), ErrorCode::ProtocolError),
    ];
    for (wire, code) in cases {
        let mut p = peer();
        p.send(&wire);
        assert_eq!(p.goaway(), Some(code as u32), "{wire:02x?}");
        assert!(p.conn.is_done());
    }
}

#[test]
fn a_preface_that_is_not_http2_is_refused() {
    let mut conn = H2Connection::new(H2Config::default()).unwrap();
    conn.receive(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(!conn.wants_read());
    assert!(matches!(
        conn.poll_event(),
        Some(H2Event::ConnectionError {
            code: ErrorCode::ProtocolError,
            ..
        })
    ));
    // The first frame after the preface must be SETTINGS.
    let mut conn = H2Connection::new(H2Config::default()).unwrap();
    let mut wire = PREFACE.to_vec();
    wire.extend(frame(kind::PING, 0, 0, &[0; 8]));
    conn.receive(&wire);
    assert!(!conn.wants_read());
}

#[test]
fn stream_level_breaches_reset_only_their_stream() {
    let mut p = peer();
    // A PRIORITY frame of the wrong size, a stream depending on itself (PRIORITY and HEADERS),
    // a window update of 0 on an open stream, and one that overflows its window.
    p.send(&frame(kind::PRIORITY, 0, 1, &[0; 4]));
    p.send(&frame(kind::PRIORITY, 0, 3, &[0, 0, 0, 3, 16]));
    let mut block = vec![0, 0, 0, 5, 16];
    block.extend(p.block(&[(":method", "GET"), (":scheme", "https"), (":path", "/")]));
    p.send(&frame(
        kind::HEADERS,
        flag::END_HEADERS | flag::END_STREAM | flag::PRIORITY,
        5,
        &block,
    ));
    let req = p.request(7, true, &[]);
    p.send(&req);
    p.send(&frame(kind::WINDOW_UPDATE, 0, 7, &[0; 4]));
    let req = p.request(9, true, &[]);
    p.send(&req);
    p.send(&frame(
        kind::WINDOW_UPDATE,
        0,
        9,
        &0x7fff_ffffu32.to_be_bytes(),
    ));
    let rsts: Vec<(u32, u32)> = p
        .read()
        .into_iter()
        .filter(|f| f.h.kind == kind::RST_STREAM)
        .map(|f| (f.h.stream, f.code()))
        .collect();
    assert_eq!(
        rsts,
        [
            (1, ErrorCode::FrameSizeError as u32),
            (3, ErrorCode::ProtocolError as u32),
            (5, ErrorCode::ProtocolError as u32),
            (7, ErrorCode::ProtocolError as u32),
            (9, ErrorCode::FlowControlError as u32),
        ]
    );
    assert!(p.conn.wants_read());
}

#[test]
fn a_smaller_initial_window_applies_once_our_settings_are_acknowledged() {
    let config = H2Config {
        initial_window_size: 1000,
        ..H2Config::default()
    };
    let mut conn = H2Connection::new(config).unwrap();
    let mut enc = Encoder::new();
    let mut wire = PREFACE.to_vec();
    wire.extend(settings(&[]));
    let mut block = Vec::new();
    for (n, v) in [(":method", "POST"), (":scheme", "https"), (":path", "/")] {
        enc.encode(n.as_bytes(), v.as_bytes(), &mut block);
    }
    wire.extend(frame(kind::HEADERS, flag::END_HEADERS, 1, &block));
    // Before the ack the peer may still count on 65535: 2000 bytes are fine.
    wire.extend(frame(kind::DATA, 0, 1, &[0; 2000]));
    conn.receive(&wire);
    assert!(conn.wants_read());
    let n = conn.pending_output().len();
    conn.consume_output(n);
    // After the ack, a new stream's window is 1000.
    let mut wire = frame(kind::SETTINGS, flag::ACK, 0, &[]);
    let mut block = Vec::new();
    for (n, v) in [(":method", "POST"), (":scheme", "https"), (":path", "/")] {
        enc.encode(n.as_bytes(), v.as_bytes(), &mut block);
    }
    wire.extend(frame(kind::HEADERS, flag::END_HEADERS, 3, &block));
    wire.extend(frame(kind::DATA, 0, 3, &[0; 1001]));
    conn.receive(&wire);
    let out = conn.pending_output();
    // RST_STREAM(3, FLOW_CONTROL_ERROR).
    assert_eq!(&out[3..9], &[kind::RST_STREAM, 0, 0, 0, 0, 3]);
    assert_eq!(
        &out[9..13],
        &(ErrorCode::FlowControlError as u32).to_be_bytes()
    );
}
