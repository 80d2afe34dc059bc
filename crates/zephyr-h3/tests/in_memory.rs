//! The endpoint against a quinn-proto client in memory (no socket, virtual time): the client
//! writes raw HTTP/3 bytes on its streams, so each test can break RFC 9114 in one precise way
//! and check the error code the RFC asks for; and raw datagrams (random, truncated Initials,
//! handshake floods) go straight to the endpoint.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use quinn_proto::{ConnectionError, ConnectionHandle, DatagramEvent, Dir, Event, StreamId};
use zephyr_h3::frame::{self, write_frame, write_header};
use zephyr_h3::testing::{headers_frame, read_stream, Pki};
use zephyr_h3::{qpack, H3Config, H3Endpoint, H3Error, H3Event, RequestId, RetryPolicy};

const SERVER: &str = "127.0.0.1:4433";

/// One server endpoint, one client endpoint with any number of connections, in virtual time.
struct Net {
    server: H3Endpoint,
    client: quinn_proto::Endpoint,
    conns: HashMap<ConnectionHandle, (quinn_proto::Connection, SocketAddr)>,
    pki: Pki,
    now: Instant,
    events: Vec<H3Event>,
    next_port: u16,
    /// Loss and reordering, when set: (rng state, percent dropped, percent held back).
    lossy: Option<(u64, u64, u64)>,
    held_to_server: Option<(SocketAddr, Vec<u8>)>,
    held_to_client: Option<Vec<u8>>,
    /// How far virtual time may jump to the next timer when nothing is in flight.
    max_jump: Duration,
    dropped: usize,
    /// Where the server addressed its latest datagram.
    last_destination: Option<SocketAddr>,
}

enum Fate {
    Pass,
    Drop,
    Hold,
}

impl Net {
    fn new(config: H3Config) -> Self {
        let pki = Pki::generate();
        let server = H3Endpoint::new(config, pki.server_tls()).unwrap();
        let client = quinn_proto::Endpoint::new(Default::default(), None, false, None);
        Self {
            server,
            client,
            conns: HashMap::new(),
            pki,
            now: Instant::now(),
            events: Vec::new(),
            next_port: 50000,
            lossy: None,
            held_to_server: None,
            held_to_client: None,
            max_jump: Duration::from_millis(50),
            dropped: 0,
            last_destination: None,
        }
    }

    fn server_addr() -> SocketAddr {
        SERVER.parse().unwrap()
    }

    /// Starts a connection from a new client port; does not drive it.
    fn connect(&mut self) -> ConnectionHandle {
        let (ch, conn) = self
            .client
            .connect(
                self.now,
                self.pki.client_config(),
                Self::server_addr(),
                "localhost",
            )
            .unwrap();
        self.next_port += 1;
        self.conns.insert(
            ch,
            (conn, SocketAddr::from(([127, 0, 0, 1], self.next_port))),
        );
        ch
    }

    fn fate(&mut self) -> Fate {
        let Some((x, drop_pct, hold_pct)) = self.lossy.as_mut() else {
            return Fate::Pass;
        };
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        let roll = *x % 100;
        if roll < *drop_pct {
            self.dropped += 1;
            Fate::Drop
        } else if roll < *drop_pct + *hold_pct {
            Fate::Hold
        } else {
            Fate::Pass
        }
    }

    fn deliver_to_server(&mut self, from: SocketAddr, d: &[u8]) {
        match self.fate() {
            Fate::Drop => {}
            Fate::Hold if self.held_to_server.is_none() => {
                self.held_to_server = Some((from, d.to_vec()))
            }
            _ => {
                self.server.handle_datagram(self.now, from, d);
                // A datagram held back arrives after the one that overtook it.
                if let Some((f, h)) = self.held_to_server.take() {
                    self.server.handle_datagram(self.now, f, &h);
                }
            }
        }
    }

    fn deliver_to_client(&mut self, d: &[u8]) {
        match self.fate() {
            Fate::Drop => {}
            Fate::Hold if self.held_to_client.is_none() => self.held_to_client = Some(d.to_vec()),
            _ => {
                self.client_receive(d);
                if let Some(h) = self.held_to_client.take() {
                    self.client_receive(&h);
                }
            }
        }
    }

    fn client_receive(&mut self, d: &[u8]) {
        let mut resp = Vec::new();
        let event = self.client.handle(
            self.now,
            Self::server_addr(),
            None,
            None,
            BytesMut::from(d),
            &mut resp,
        );
        if let Some(DatagramEvent::ConnectionEvent(ch, ev)) = event {
            if let Some((conn, _)) = self.conns.get_mut(&ch) {
                conn.handle_event(ev);
            }
        }
    }

    /// Moves datagrams both ways until nothing moves; then, if asked, lets time pass.
    fn run(&mut self) {
        for _ in 0..100_000 {
            let mut moved = false;
            let handles: Vec<ConnectionHandle> = self.conns.keys().copied().collect();
            for ch in handles {
                let mut buf = Vec::new();
                loop {
                    let (conn, from) = self.conns.get_mut(&ch).unwrap();
                    let from = *from;
                    buf.clear();
                    let Some(t) = conn.poll_transmit(self.now, 1, &mut buf) else {
                        break;
                    };
                    moved = true;
                    let d = buf[..t.size].to_vec();
                    self.deliver_to_server(from, &d);
                }
                let (conn, _) = self.conns.get_mut(&ch).unwrap();
                while let Some(ev) = conn.poll_endpoint_events() {
                    if let Some(back) = self.client.handle_event(ch, ev) {
                        conn.handle_event(back);
                    }
                }
            }
            let mut buf = Vec::new();
            while let Some(t) = self.server.poll_transmit(self.now, &mut buf) {
                moved = true;
                self.last_destination = Some(t.destination);
                let d = buf[..t.size].to_vec();
                self.deliver_to_client(&d);
            }
            while let Some(ev) = self.server.poll_event() {
                self.events.push(ev);
            }
            if !moved {
                if let Some((f, h)) = self.held_to_server.take() {
                    self.server.handle_datagram(self.now, f, &h);
                    continue;
                }
                if let Some(h) = self.held_to_client.take() {
                    self.client_receive(&h);
                    continue;
                }
                // Nothing in flight: let the earliest timer fire (ack delays, loss detection).
                let next = self
                    .conns
                    .values_mut()
                    .filter_map(|(c, _)| c.poll_timeout())
                    .chain(self.server.poll_timeout())
                    .min();
                match next {
                    Some(t) if t <= self.now + self.max_jump => {
                        self.now = self.now.max(t);
                        for (c, _) in self.conns.values_mut() {
                            c.handle_timeout(self.now);
                        }
                        self.server.handle_timeout(self.now);
                    }
                    _ => return,
                }
            }
        }
        panic!("the network never went quiet");
    }

    fn conn(&mut self, ch: ConnectionHandle) -> &mut quinn_proto::Connection {
        &mut self.conns.get_mut(&ch).unwrap().0
    }

    fn handshake(&mut self) -> ConnectionHandle {
        let ch = self.connect();
        self.run();
        assert!(
            !self.conn(ch).is_handshaking(),
            "handshake did not complete"
        );
        ch
    }

    fn open(&mut self, ch: ConnectionHandle, dir: Dir, bytes: &[u8], fin: bool) -> StreamId {
        let conn = self.conn(ch);
        let s = conn.streams().open(dir).expect("stream credit");
        assert_eq!(conn.send_stream(s).write(bytes).unwrap(), bytes.len());
        if fin {
            conn.send_stream(s).finish().unwrap();
        }
        s
    }

    /// A client control stream with an empty SETTINGS frame (and whatever else is passed).
    fn control(&mut self, ch: ConnectionHandle, more: &[u8]) -> StreamId {
        let mut b = vec![frame::STREAM_CONTROL as u8];
        write_frame(&mut b, frame::SETTINGS, &[]);
        b.extend_from_slice(more);
        self.open(ch, Dir::Uni, &b, false)
    }

    /// The application error code the server closed the connection with, if it did.
    fn closed_with(&mut self, ch: ConnectionHandle) -> Option<u64> {
        let conn = self.conn(ch);
        while let Some(ev) = conn.poll() {
            if let Event::ConnectionLost {
                reason: ConnectionError::ApplicationClosed(c),
            } = ev
            {
                return Some(c.error_code.into_inner());
            }
        }
        None
    }

    /// What the client read on a request stream: (bytes, fin, reset code).
    fn read(&mut self, ch: ConnectionHandle, s: StreamId) -> (Vec<u8>, bool, Option<u64>) {
        read_stream(self.conn(ch), s)
    }

    fn requests(&mut self) -> Vec<RequestId> {
        self.events
            .iter()
            .filter_map(|e| {
                if let H3Event::Request { id, .. } = e {
                    Some(*id)
                } else {
                    None
                }
            })
            .collect()
    }
}

fn get(path: &str) -> Vec<u8> {
    headers_frame(&[
        (":method", "GET"),
        (":scheme", "https"),
        (":authority", "localhost"),
        (":path", path),
    ])
}

/// Parses a response (HEADERS, DATA*) read by the client.
fn parse_response(bytes: &[u8]) -> (String, Vec<u8>) {
    let mut reader = frame::FrameReader::new(1 << 20);
    let mut items = Vec::new();
    reader.push(bytes, &mut items).unwrap();
    let mut status = String::new();
    let mut body = Vec::new();
    for item in items {
        match item {
            frame::Item::Frame {
                ty: frame::HEADERS,
                payload,
            } => {
                let fields = qpack::decode(&payload, 1 << 20).unwrap();
                status = String::from_utf8(fields[0].1.clone()).unwrap();
                assert_eq!(fields[0].0, b":status");
            }
            frame::Item::Data(d) => body.extend_from_slice(&d),
            other => panic!("{other:?}"),
        }
    }
    (status, body)
}

/// A GET that must succeed on connection `ch` (proves the connection is still served).
fn assert_served(net: &mut Net, ch: ConnectionHandle) {
    let s = net.open(ch, Dir::Bi, &get("/ok"), true);
    net.run();
    let id = *net.requests().last().expect("a request event");
    assert_eq!(id.stream, u64::from(s));
    net.server
        .send_headers(id, 200, &[(b"content-type", b"text/plain")], false)
        .unwrap();
    assert_eq!(net.server.send_data(id, b"fine", true), Ok(4));
    net.run();
    let (bytes, fin, reset) = net.read(ch, s);
    assert_eq!((fin, reset), (true, None));
    assert_eq!(
        parse_response(&bytes),
        ("200".to_string(), b"fine".to_vec())
    );
}

#[test]
fn serves_a_request_with_a_body_and_trailers_in_memory() {
    let mut net = Net::new(H3Config::default());
    let ch = net.handshake();
    net.control(ch, &[]);
    let mut req = headers_frame(&[
        (":method", "POST"),
        (":scheme", "https"),
        (":authority", "localhost"),
        (":path", "/up"),
        ("content-length", "5"),
    ]);
    write_frame(&mut req, frame::DATA, b"he");
    write_frame(&mut req, 0x21, b"grease frame"); // skipped
    write_frame(&mut req, frame::DATA, b"llo");
    req.extend_from_slice(&headers_frame(&[("x-sum", "1")]));
    let s = net.open(ch, Dir::Bi, &req, true);
    net.run();
    let id = RequestId {
        conn: net.requests()[0].conn,
        stream: s.into(),
    };
    let body: Vec<u8> = net
        .events
        .iter()
        .filter_map(|e| {
            if let H3Event::Data { bytes, .. } = e {
                Some(bytes.clone())
            } else {
                None
            }
        })
        .flatten()
        .collect();
    assert_eq!(body, b"hello");
    assert!(net
        .events
        .iter()
        .any(|e| matches!(e, H3Event::Trailers { headers, .. } if headers[0].0 == b"x-sum")));
    net.server.send_headers(id, 200, &[], false).unwrap();
    net.server.send_data(id, b"ok", false).unwrap();
    net.server
        .send_trailers(id, &[(b"x-done", b"yes")])
        .unwrap();
    net.run();
    let (bytes, fin, _) = net.read(ch, s);
    assert!(fin);
    assert!(bytes.ends_with(&headers_frame(&[("x-done", "yes")])));
    assert_eq!(
        net.server.open_requests(),
        0,
        "finished both ways and forgotten"
    );
}

/// Each case: what the client sends, and the connection error the RFC asks for.
#[test]
fn rfc_9114_violations_close_the_connection_with_the_rfc_code() {
    let mut data_first = Vec::new();
    write_frame(&mut data_first, frame::DATA, b"x");
    let mut h2_frame = get("/");
    write_frame(&mut h2_frame, 0x2, &[]); // HTTP/2 PRIORITY type, reserved in HTTP/3
    let mut settings_on_request = Vec::new();
    write_frame(&mut settings_on_request, frame::SETTINGS, &[]);
    let mut data_after_trailers = get("/");
    data_after_trailers.extend_from_slice(&headers_frame(&[("x", "1")]));
    write_frame(&mut data_after_trailers, frame::DATA, b"late");
    let mut truncated = get("/");
    write_header(&mut truncated, frame::DATA, 10);
    truncated.extend_from_slice(b"short");
    let mut dynamic = Vec::new();
    write_frame(&mut dynamic, frame::HEADERS, &[0x02, 0x00, 0x80]); // Required Insert Count 1
    let mut bad_huffman = Vec::new();
    write_frame(
        &mut bad_huffman,
        frame::HEADERS,
        &[0x00, 0x00, 0x51, 0x81, 0xff],
    );
    let cases: Vec<(&str, Vec<u8>, H3Error)> = vec![
        ("DATA before HEADERS", data_first, H3Error::FRAME_UNEXPECTED),
        ("HTTP/2 frame type", h2_frame, H3Error::FRAME_UNEXPECTED),
        (
            "SETTINGS on a request stream",
            settings_on_request,
            H3Error::FRAME_UNEXPECTED,
        ),
        (
            "DATA after trailers",
            data_after_trailers,
            H3Error::FRAME_UNEXPECTED,
        ),
        (
            "stream ends inside a frame",
            truncated,
            H3Error::FRAME_ERROR,
        ),
        (
            "dynamic table reference",
            dynamic,
            H3Error::QPACK_DECOMPRESSION_FAILED,
        ),
        (
            "bad Huffman",
            bad_huffman,
            H3Error::QPACK_DECOMPRESSION_FAILED,
        ),
    ];
    for (name, wire, want) in cases {
        let mut net = Net::new(H3Config::default());
        let ch = net.handshake();
        net.control(ch, &[]);
        net.open(ch, Dir::Bi, &wire, true);
        net.run();
        assert_eq!(net.closed_with(ch), Some(want.0), "{name}");
        assert_eq!(net.server.counters().connection_errors, 1, "{name}");
    }
}

#[test]
fn control_stream_violations_close_the_connection_with_the_rfc_code() {
    let mut goaway_first = vec![frame::STREAM_CONTROL as u8];
    write_frame(&mut goaway_first, frame::GOAWAY, &[0]);
    let mut dup_setting = vec![frame::STREAM_CONTROL as u8];
    write_frame(&mut dup_setting, frame::SETTINGS, &[0x06, 0x01, 0x06, 0x02]);
    let mut h2_setting = vec![frame::STREAM_CONTROL as u8];
    write_frame(&mut h2_setting, frame::SETTINGS, &[0x02, 0x00]);
    let mut headers_on_control = vec![frame::STREAM_CONTROL as u8];
    write_frame(&mut headers_on_control, frame::SETTINGS, &[]);
    headers_on_control.extend_from_slice(&get("/"));
    let cases: Vec<(&str, Vec<Vec<u8>>, bool, H3Error)> = vec![
        (
            "control stream without SETTINGS first",
            vec![goaway_first],
            false,
            H3Error::MISSING_SETTINGS,
        ),
        (
            "duplicate setting",
            vec![dup_setting],
            false,
            H3Error::SETTINGS_ERROR,
        ),
        (
            "HTTP/2 setting id",
            vec![h2_setting],
            false,
            H3Error::SETTINGS_ERROR,
        ),
        (
            "HEADERS on the control stream",
            vec![headers_on_control],
            false,
            H3Error::FRAME_UNEXPECTED,
        ),
        (
            "second control stream",
            vec![vec![0, 4, 0], vec![0, 4, 0]],
            false,
            H3Error::STREAM_CREATION_ERROR,
        ),
        (
            "client push stream",
            vec![vec![frame::STREAM_PUSH as u8, 0]],
            false,
            H3Error::STREAM_CREATION_ERROR,
        ),
        (
            "control stream closed",
            vec![vec![0, 4, 0]],
            true,
            H3Error::CLOSED_CRITICAL_STREAM,
        ),
        (
            "QPACK encoder stream closed",
            vec![vec![2]],
            true,
            H3Error::CLOSED_CRITICAL_STREAM,
        ),
        (
            "QPACK encoder stream insert",
            vec![vec![2, 0x20, 0xc0 | 17]],
            false,
            H3Error::QPACK_ENCODER_STREAM_ERROR,
        ),
        (
            "QPACK table capacity above 0",
            vec![vec![2, 0x3f, 0x01]],
            false,
            H3Error::QPACK_ENCODER_STREAM_ERROR,
        ),
        (
            "QPACK insert count increment",
            vec![vec![3, 0x01]],
            false,
            H3Error::QPACK_DECODER_STREAM_ERROR,
        ),
        (
            "second QPACK decoder stream",
            vec![vec![3], vec![3]],
            false,
            H3Error::STREAM_CREATION_ERROR,
        ),
    ];
    for (name, streams, fin, want) in cases {
        let mut net = Net::new(H3Config::default());
        let ch = net.handshake();
        for s in streams {
            net.open(ch, Dir::Uni, &s, fin);
        }
        net.run();
        assert_eq!(net.closed_with(ch), Some(want.0), "{name}");
    }
}

#[test]
fn malformed_requests_are_stream_errors_and_the_connection_lives_on() {
    let mut net = Net::new(H3Config::default());
    let ch = net.handshake();
    // Unknown (grease) unidirectional stream types are ignored.
    net.open(ch, Dir::Uni, &[0x21, 1, 2, 3], true);
    net.control(ch, &[]);
    let mut body_too_long = headers_frame(&[
        (":method", "POST"),
        (":scheme", "https"),
        (":authority", "h"),
        (":path", "/"),
        ("content-length", "1"),
    ]);
    write_frame(&mut body_too_long, frame::DATA, b"12");
    let cases: Vec<(&str, Vec<u8>, H3Error)> = vec![
        (
            "no pseudo-headers",
            headers_frame(&[("user-agent", "x")]),
            H3Error::MESSAGE_ERROR,
        ),
        (
            "uppercase name",
            headers_frame(&[
                (":method", "GET"),
                (":scheme", "https"),
                (":authority", "h"),
                (":path", "/"),
                ("X-A", "1"),
            ]),
            H3Error::MESSAGE_ERROR,
        ),
        (
            "connection-specific field",
            headers_frame(&[
                (":method", "GET"),
                (":scheme", "https"),
                (":authority", "h"),
                (":path", "/"),
                ("connection", "close"),
            ]),
            H3Error::MESSAGE_ERROR,
        ),
        (
            "body past content-length",
            body_too_long,
            H3Error::MESSAGE_ERROR,
        ),
        (
            "FIN without HEADERS",
            Vec::new(),
            H3Error::REQUEST_INCOMPLETE,
        ),
    ];
    for (name, wire, want) in cases {
        let s = net.open(ch, Dir::Bi, &wire, true);
        net.run();
        let (_, _, reset) = net.read(ch, s);
        assert_eq!(reset, Some(want.0), "{name}");
    }
    assert_eq!(net.closed_with(ch), None);
    assert_eq!(net.server.counters().stream_errors, 5);
    assert_served(&mut net, ch);
}

#[test]
fn an_oversized_request_head_is_answered_431() {
    let mut net = Net::new(H3Config {
        max_field_section_size: 1024,
        ..H3Config::default()
    });
    let ch = net.handshake();
    net.control(ch, &[]);
    let big = "v".repeat(2000);
    let wire = headers_frame(&[
        (":method", "GET"),
        (":scheme", "https"),
        (":authority", "h"),
        (":path", "/"),
        ("x-big", &big),
    ]);
    let s = net.open(ch, Dir::Bi, &wire, true);
    net.run();
    let (bytes, fin, _) = net.read(ch, s);
    assert!(fin);
    assert_eq!(parse_response(&bytes).0, "431");
    assert_eq!(net.server.counters().headers_too_large, 1);
    assert!(net.requests().is_empty());
    assert_served(&mut net, ch);
}

#[test]
fn random_datagrams_and_truncated_initials_create_nothing() {
    let mut net = Net::new(H3Config::default());
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rand = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..2000u32 {
        let len = (rand() % 1500) as usize;
        let mut d: Vec<u8> = (0..len).map(|_| rand() as u8).collect();
        if i % 2 == 0 && d.len() > 5 {
            // A long header with QUIC v1, so parsing goes past the first byte.
            d[0] = 0xc0 | (d[0] & 0x0f);
            d[1..5].copy_from_slice(&1u32.to_be_bytes());
        }
        let from = SocketAddr::from(([10, 0, (i >> 8) as u8, i as u8], 1000 + i as u16));
        net.server.handle_datagram(net.now, from, &d);
    }
    // A real client's first datagram (an Initial), cut at many lengths.
    let ch = net.connect();
    let mut buf = Vec::new();
    let now = net.now;
    let t = net.conn(ch).poll_transmit(now, 1, &mut buf).unwrap();
    net.conns.clear();
    for (i, cut) in (0..t.size).step_by(7).enumerate() {
        let from = SocketAddr::from(([10, 1, 0, 1], 2000 + i as u16));
        net.server.handle_datagram(net.now, from, &buf[..cut]);
    }
    let mut out = Vec::new();
    while net.server.poll_transmit(net.now, &mut out).is_some() {}
    assert_eq!(net.server.counters().connections_accepted, 0);
    assert_eq!(net.server.connection_count(), 0);
    // A normal client is still served.
    let ch = net.handshake();
    net.control(ch, &[]);
    assert_served(&mut net, ch);
}

#[test]
fn a_handshake_flood_gets_retry_and_a_connection_cap() {
    let mut net = Net::new(H3Config {
        retry: RetryPolicy::WhenHandshakesAbove(4),
        max_connections: 20,
        ..H3Config::default()
    });
    // 40 clients send their Initial; none answers (a flood from many source ports).
    let mut initials = Vec::new();
    for _ in 0..40 {
        let ch = net.connect();
        let from = net.conns[&ch].1;
        let mut buf = Vec::new();
        let now = net.now;
        let t = net.conn(ch).poll_transmit(now, 1, &mut buf).unwrap();
        buf.truncate(t.size);
        initials.push((from, buf));
    }
    net.conns.clear();
    for (from, d) in &initials {
        net.server.handle_datagram(net.now, *from, d);
    }
    let c = net.server.counters().clone();
    assert_eq!(c.connections_accepted, 5, "{c:?}");
    assert_eq!(c.retries_sent, 35, "{c:?}");
    assert!(net.server.connection_count() <= 20);
    assert_eq!(net.server.handshakes_in_progress(), 5);
    // A real client goes through Retry and is served.
    let ch = net.handshake();
    net.control(ch, &[]);
    assert_served(&mut net, ch);
    assert!(net.server.counters().retries_sent > 35);
    assert_eq!(
        net.server.handshakes_in_progress(),
        5,
        "the served client's handshake is done"
    );
}

#[test]
fn shutdown_sends_goaway_finishes_requests_in_flight_then_closes() {
    let mut net = Net::new(H3Config::default());
    let ch = net.handshake();
    net.control(ch, &[]);
    let s = net.open(ch, Dir::Bi, &get("/slow"), true);
    net.run();
    let id = net.requests()[0];
    net.server.shutdown(net.now);
    net.run();
    // A request opened after the GOAWAY is rejected, safe to retry.
    let late = net.open(ch, Dir::Bi, &get("/late"), true);
    net.run();
    assert_eq!(net.read(ch, late).2, Some(H3Error::REQUEST_REJECTED.0));
    assert_eq!(
        net.closed_with(ch),
        None,
        "open while a request is in flight"
    );
    net.server.send_headers(id, 200, &[], true).unwrap();
    net.run();
    let (bytes, fin, _) = net.read(ch, s);
    assert!(fin);
    assert_eq!(parse_response(&bytes).0, "200");
    assert_eq!(net.closed_with(ch), Some(H3Error::NO_ERROR.0));
}

fn body_bytes_held(net: &Net) -> usize {
    net.events
        .iter()
        .map(|e| {
            if let H3Event::Data { bytes, .. } = e {
                bytes.len()
            } else {
                0
            }
        })
        .sum()
}

#[test]
fn request_bodies_wait_for_release() {
    let window = 4096;
    let mut net = Net::new(H3Config {
        stream_receive_window: window as u32,
        ..H3Config::default()
    });
    let ch = net.handshake();
    net.control(ch, &[]);
    let total = 40_000;
    let mut wire = headers_frame(&[
        (":method", "POST"),
        (":scheme", "https"),
        (":authority", "h"),
        (":path", "/up"),
    ]);
    for _ in 0..total / 1000 {
        write_frame(&mut wire, frame::DATA, &[b'x'; 1000]);
    }
    // The client cannot write past the flow-control window the server grants.
    let conn = net.conn(ch);
    let s = conn.streams().open(Dir::Bi).unwrap();
    let mut sent = conn.send_stream(s).write(&wire).unwrap();
    net.run();
    let id = net.requests()[0];
    let mut received = body_bytes_held(&net);
    assert!(
        received > 0 && received <= window,
        "held {received} with nothing released"
    );
    let mut rounds = 0;
    while sent < wire.len()
        || !net
            .events
            .iter()
            .any(|e| matches!(e, H3Event::Data { end: true, .. }))
    {
        rounds += 1;
        assert!(
            rounds < 200,
            "the body never finished: {received} of {total}"
        );
        let held = body_bytes_held(&net);
        net.events.clear();
        net.server.release(id, held);
        if sent < wire.len() {
            let conn = net.conn(ch);
            sent += conn.send_stream(s).write(&wire[sent..]).unwrap_or(0);
            if sent == wire.len() {
                conn.send_stream(s).finish().unwrap();
            }
        }
        net.run();
        let now_held = body_bytes_held(&net);
        assert!(now_held <= window, "held {now_held} past the window");
        received += now_held;
    }
    assert_eq!(received, total);
    assert!(
        rounds > 5,
        "the window should have paced the upload ({rounds} rounds)"
    );
}

#[test]
fn a_response_that_ends_early_stops_the_request_body_with_no_error() {
    let mut net = Net::new(H3Config::default());
    let ch = net.handshake();
    net.control(ch, &[]);
    let mut wire = headers_frame(&[
        (":method", "POST"),
        (":scheme", "https"),
        (":authority", "h"),
        (":path", "/"),
    ]);
    write_frame(&mut wire, frame::DATA, b"partial");
    let s = net.open(ch, Dir::Bi, &wire, false); // the body never ends
    net.run();
    let id = net.requests()[0];
    net.server.send_headers(id, 413, &[], true).unwrap();
    net.run();
    assert!(net
        .events
        .iter()
        .any(|e| matches!(e, H3Event::Reset { code, .. } if *code == H3Error::NO_ERROR.0)));
    let (bytes, fin, _) = net.read(ch, s);
    assert!(fin);
    assert_eq!(parse_response(&bytes).0, "413");
    assert_eq!(net.server.open_requests(), 0, "the stream is not pinned");
    // The client learns it may stop sending.
    let conn = net.conn(ch);
    assert!(
        matches!(conn.send_stream(s).write(b"more"), Err(quinn_proto::WriteError::Stopped(c)) if c.into_inner() == H3Error::NO_ERROR.0)
    );
}

#[test]
fn transfers_survive_five_percent_loss_and_reordering() {
    let mut net = Net::new(H3Config::default());
    // 5% of datagrams dropped and 5% held back behind the next one, both ways, handshake included.
    net.lossy = Some((0x9e37_79b9_7f4a_7c15, 5, 5));
    net.max_jump = Duration::from_secs(5);
    let ch = net.handshake();
    net.control(ch, &[]);
    let size = 1 << 20;
    let want: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let s = net.open(ch, Dir::Bi, &get("/big"), true);
    net.run();
    let id = net.requests()[0];
    net.server.send_headers(id, 200, &[], false).unwrap();
    let (mut offered, mut got, mut fin) = (0, Vec::new(), false);
    for _ in 0..10_000 {
        if offered < size {
            offered += net.server.send_data(id, &want[offered..], true).unwrap();
        }
        net.run();
        net.events.clear();
        let (bytes, f, reset) = net.read(ch, s);
        assert_eq!(reset, None);
        got.extend_from_slice(&bytes);
        if f {
            fin = true;
            break;
        }
    }
    assert!(fin, "the response did not finish");
    let (status, body) = parse_response(&got);
    assert_eq!(status, "200");
    assert!(
        body == want,
        "body differs ({} of {} bytes)",
        body.len(),
        want.len()
    );
    assert!(
        net.dropped > 20,
        "the loss model dropped only {} datagrams",
        net.dropped
    );
}

#[test]
fn a_client_that_changes_its_port_keeps_its_connection() {
    let mut net = Net::new(H3Config::default());
    let ch = net.handshake();
    net.control(ch, &[]);
    assert_served(&mut net, ch);
    // NAT rebinding: the same connection now arrives from another port.
    let moved_to = SocketAddr::from(([127, 0, 0, 1], 61000));
    assert_ne!(net.last_destination, Some(moved_to));
    net.conns.get_mut(&ch).unwrap().1 = moved_to;
    assert_served(&mut net, ch);
    assert_eq!(
        net.last_destination,
        Some(moved_to),
        "the server answers the new address"
    );
    assert_eq!(net.server.connection_count(), 1);
    assert_eq!(net.server.counters().connections_accepted, 1);
}

#[test]
fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let mut net = Net::new(H3Config {
        idle_timeout: Duration::from_secs(2),
        ..H3Config::default()
    });
    let ch = net.handshake();
    net.control(ch, &[]);
    assert_eq!(net.server.connection_count(), 1);
    net.max_jump = Duration::from_secs(10);
    net.run();
    assert!(
        net.events
            .iter()
            .any(|e| matches!(e, H3Event::ConnectionClosed { .. })),
        "{:?}",
        net.events
    );
    assert_eq!(net.server.connection_count(), 0);
}

/// Why the client's connection `ch` was lost, if it was.
fn connection_lost(net: &mut Net, ch: ConnectionHandle) -> Option<ConnectionError> {
    let conn = net.conn(ch);
    let mut lost = None;
    while let Some(ev) = conn.poll() {
        if let Event::ConnectionLost { reason } = ev {
            lost = Some(reason);
        }
    }
    lost
}

#[test]
fn connections_past_max_connections_are_refused() {
    let mut net = Net::new(H3Config {
        max_connections: 2,
        retry: RetryPolicy::Never,
        ..H3Config::default()
    });
    let a = net.handshake();
    let b = net.handshake();
    let c = net.connect();
    net.run();
    assert_eq!(net.server.counters().connections_refused, 1);
    assert_eq!(net.server.connection_count(), 2);
    let lost = connection_lost(&mut net, c);
    assert!(
        matches!(lost, Some(ConnectionError::ConnectionClosed(_))),
        "{lost:?}"
    );
    for ch in [a, b] {
        net.control(ch, &[]);
        assert_served(&mut net, ch);
    }
}

#[test]
fn after_stop_accepting_new_connections_are_refused_and_open_ones_served_on() {
    let mut net = Net::new(H3Config {
        retry: RetryPolicy::Never,
        ..H3Config::default()
    });
    let open = net.handshake();
    net.server.stop_accepting();
    let late = net.connect();
    net.run();
    assert_eq!(net.server.counters().connections_refused, 1);
    assert_eq!(net.server.connection_count(), 1);
    let lost = connection_lost(&mut net, late);
    assert!(
        matches!(lost, Some(ConnectionError::ConnectionClosed(_))),
        "{lost:?}"
    );
    // A handover, not a shutdown: the open connection takes new requests on.
    net.control(open, &[]);
    assert_served(&mut net, open);
    assert_served(&mut net, open);
    assert_eq!(net.closed_with(open), None);
}

#[test]
fn response_heads_respect_the_peers_max_field_section_size() {
    let mut net = Net::new(H3Config::default());
    let ch = net.handshake();
    let mut settings = Vec::new();
    zephyr_h3::varint::write(&mut settings, frame::SETTINGS_MAX_FIELD_SECTION_SIZE);
    zephyr_h3::varint::write(&mut settings, 200);
    let mut control = vec![frame::STREAM_CONTROL as u8];
    write_frame(&mut control, frame::SETTINGS, &settings);
    net.open(ch, Dir::Uni, &control, false);
    net.run();
    net.open(ch, Dir::Bi, &get("/"), true);
    net.run();
    let id = net.requests()[0];
    let big = vec![b'v'; 300];
    assert!(matches!(
        net.server.send_headers(id, 200, &[(b"x-big", &big)], true),
        Err(zephyr_h3::SendError::InvalidHeader(_))
    ));
    net.server
        .send_headers(id, 200, &[(b"x-small", b"1")], true)
        .unwrap();
}

#[test]
fn connections_take_turns_sending() {
    let mut net = Net::new(H3Config::default());
    let a = net.handshake();
    let b = net.handshake();
    let (addr_a, addr_b) = (net.conns[&a].1, net.conns[&b].1);
    for ch in [a, b] {
        net.control(ch, &[]);
        net.open(ch, Dir::Bi, &get("/"), true);
    }
    net.run();
    let ids = net.requests();
    assert_eq!(ids.len(), 2);
    for id in ids {
        net.server.send_headers(id, 200, &[], false).unwrap();
        net.server
            .send_data(id, &vec![b'x'; 200_000], true)
            .unwrap();
    }
    // Both have a congestion window's worth to send: the first datagrams alternate.
    let mut buf = Vec::new();
    let order: Vec<SocketAddr> = (0..6)
        .map(|_| {
            net.server
                .poll_transmit(net.now, &mut buf)
                .unwrap()
                .destination
        })
        .collect();
    for pair in order.windows(2) {
        assert_ne!(pair[0], pair[1], "{order:?}");
    }
    assert!(order.contains(&addr_a) && order.contains(&addr_b));
}

#[test]
fn batches_for_gso_split_into_datagrams_the_client_accepts() {
    let mut net = Net::new(H3Config::default());
    let ch = net.handshake();
    net.control(ch, &[]);
    let s = net.open(ch, Dir::Bi, &get("/"), true);
    net.run();
    let id = net.requests()[0];
    let want = vec![b'g'; 300_000];
    net.server.send_headers(id, 200, &[], false).unwrap();
    let mut offered = net.server.send_data(id, &want, true).unwrap();
    let (mut got, mut batched) = (Vec::new(), 0);
    for _ in 0..10_000 {
        let mut buf = Vec::new();
        while let Some(t) = net.server.poll_transmit_batch(net.now, 10, &mut buf) {
            let seg = t.segment_size.unwrap_or(t.size);
            if t.size > seg {
                batched += 1;
            }
            for d in buf[..t.size].chunks(seg) {
                let d = d.to_vec();
                net.client_receive(&d);
            }
        }
        net.run();
        if offered < want.len() {
            offered += net.server.send_data(id, &want[offered..], true).unwrap();
        }
        let (bytes, fin, _) = net.read(ch, s);
        got.extend_from_slice(&bytes);
        if fin {
            break;
        }
    }
    let (status, body) = parse_response(&got);
    assert_eq!(status, "200");
    assert!(body == want, "{} of {} bytes", body.len(), want.len());
    assert!(batched > 0, "no transmit carried more than one datagram");
}

#[test]
fn a_client_reset_or_stop_aborts_the_request() {
    let mut net = Net::new(H3Config::default());
    let ch = net.handshake();
    net.control(ch, &[]);
    // RESET_STREAM on the request body.
    let post = headers_frame(&[
        (":method", "POST"),
        (":scheme", "https"),
        (":authority", "h"),
        (":path", "/"),
    ]);
    let a = net.open(ch, Dir::Bi, &post, false);
    net.run();
    let id_a = net.requests()[0];
    net.conn(ch)
        .send_stream(a)
        .reset(quinn_proto::VarInt::from_u32(0x10c))
        .unwrap();
    net.run();
    assert!(
        net.events.contains(&H3Event::Reset {
            id: id_a,
            code: 0x10c
        }),
        "{:?}",
        net.events
    );
    assert_eq!(net.read(ch, a).2, Some(H3Error::REQUEST_CANCELLED.0));
    assert_eq!(
        net.server.send_headers(id_a, 200, &[], true),
        Err(zephyr_h3::SendError::UnknownRequest)
    );
    // STOP_SENDING on the response.
    net.events.clear();
    let b = net.open(ch, Dir::Bi, &get("/"), true);
    net.run();
    let id_b = net.requests()[0];
    net.conn(ch)
        .recv_stream(b)
        .stop(quinn_proto::VarInt::from_u32(0x10c))
        .unwrap();
    net.run();
    assert!(
        net.events.contains(&H3Event::Reset {
            id: id_b,
            code: 0x10c
        }),
        "{:?}",
        net.events
    );
    assert_eq!(net.server.open_requests(), 0);
    // STOP_SENDING while the request body is still open: the server stops reading it too.
    net.events.clear();
    let c = net.open(ch, Dir::Bi, &post, false);
    net.run();
    net.conn(ch)
        .recv_stream(c)
        .stop(quinn_proto::VarInt::from_u32(0x10c))
        .unwrap();
    net.run();
    let write = net.conn(ch).send_stream(c).write(b"more body");
    assert!(
        matches!(write, Err(quinn_proto::WriteError::Stopped(code)) if code.into_inner() == 0x10c),
        "{write:?}"
    );
    assert_served(&mut net, ch);
}

#[test]
fn send_data_takes_what_fits_and_says_when_more_fits() {
    let buffer = 8192;
    let mut net = Net::new(H3Config {
        max_stream_buffer: buffer,
        connection_send_window: 32 << 10,
        ..H3Config::default()
    });
    let ch = net.handshake();
    net.control(ch, &[]);
    let s = net.open(ch, Dir::Bi, &get("/"), true);
    net.run();
    let id = net.requests()[0];
    net.server.send_headers(id, 200, &[], false).unwrap();
    let want = vec![b'w'; 1 << 20];
    let mut offered = 0;
    let mut windows = 0;
    let (mut got, mut fin) = (Vec::new(), false);
    while offered < want.len() {
        let n = net.server.send_data(id, &want[offered..], true).unwrap();
        assert!(
            n <= buffer + (32 << 10),
            "took {n}, more than the buffer and the send window"
        );
        offered += n;
        net.events.clear();
        net.run();
        let (bytes, f, _) = net.read(ch, s);
        got.extend_from_slice(&bytes);
        fin |= f;
        if offered < want.len() {
            assert!(
                net.events.contains(&H3Event::WindowOpened { id }),
                "no WindowOpened after a partial send_data ({offered} offered)"
            );
            windows += 1;
        }
    }
    net.run();
    let (rest, f, _) = net.read(ch, s);
    got.extend_from_slice(&rest);
    assert!(fin || f);
    assert_eq!(parse_response(&got).1.len(), want.len());
    assert!(windows > 10);
}
