//! `H3Session` against a quinn-proto client in memory (no socket, virtual time), with a sink
//! that records what the JS bridge would get: requests on the engine contract (`Http3`, seq =
//! stream id), bodies paced by pause/resume, responses, drains, trailers, files, aborts, and
//! connection ids that a later connection never answers to.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::os::fd::IntoRawFd;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use quinn_proto::{ConnectionHandle, DatagramEvent, Dir, StreamId};
use zephyr_h3::frame::{self, write_frame};
use zephyr_h3::qpack;
use zephyr_h3::testing::{headers_frame as headers, read_stream, Pki};

use super::*;
use crate::http1::HeadLimits;

fn limits() -> ConnLimits {
    ConnLimits {
        head: HeadLimits::default(),
        max_body_bytes: 1 << 20,
        header_timeout_ms: 10_000,
        keep_alive_timeout_ms: 5_000,
        request_timeout_ms: 300_000,
        max_pipelined: 16,
        max_unsent_bytes: 1 << 20,
        write_timeout_ms: 30_000,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Got {
    Request {
        conn: ConnId,
        seq: u32,
        method: String,
        target: String,
        version: Version,
        host: Option<String>,
        body_follows: bool,
    },
    Body(u32, Vec<u8>, bool),
    BodyError(u32, u16),
    StreamAborted(u32),
    Drained(u32),
    FileSent(u32, i32),
}

/// What the JS bridge would be handed; `room: false` is a full event buffer.
struct Recorder {
    got: Vec<Got>,
    room: bool,
}

impl EventSink for Recorder {
    fn request(&mut self, conn: ConnId, seq: u32, req: &RequestEvent<'_>) -> bool {
        if !self.room {
            return false;
        }
        let head = req.head;
        self.got.push(Got::Request {
            conn,
            seq,
            method: String::from_utf8_lossy(head.slice(req.buf, head.method)).into(),
            target: String::from_utf8_lossy(head.slice(req.buf, head.target)).into(),
            version: head.version,
            host: head
                .header(req.buf, b"host")
                .map(|h| String::from_utf8_lossy(h).into()),
            body_follows: req.body_follows,
        });
        true
    }
    fn has_room(&self, _: usize) -> bool {
        self.room
    }
    fn body(&mut self, _: ConnId, seq: u32, chunk: &[u8], last: bool) {
        self.got.push(Got::Body(seq, chunk.to_vec(), last));
    }
    fn body_error(&mut self, _: ConnId, seq: u32, status: u16) {
        self.got.push(Got::BodyError(seq, status));
    }
    fn aborted(&mut self, _: ConnId) {}
    fn stream_aborted(&mut self, _: ConnId, seq: u32) {
        self.got.push(Got::StreamAborted(seq));
    }
    fn drained(&mut self, _: ConnId, seq: u32) {
        self.got.push(Got::Drained(seq));
    }
    fn file_sent(&mut self, _: ConnId, seq: u32, error: i32) {
        self.got.push(Got::FileSent(seq, error));
    }
}

const SERVER: &str = "127.0.0.1:4433";

struct Net {
    session: H3Session,
    client: quinn_proto::Endpoint,
    conns: HashMap<ConnectionHandle, (quinn_proto::Connection, SocketAddr)>,
    pki: Pki,
    now: Instant,
    sink: Recorder,
    next_port: u16,
}

impl Net {
    fn new(config: H3Config, limits: ConnLimits) -> Net {
        let pki = Pki::generate();
        let tls = pki.server_tls();
        Net {
            session: H3Session::new(config, tls, &limits).unwrap(),
            client: quinn_proto::Endpoint::new(Default::default(), None, false, None),
            conns: HashMap::new(),
            pki,
            now: Instant::now(),
            sink: Recorder {
                got: Vec::new(),
                room: true,
            },
            next_port: 50000,
        }
    }

    fn connect(&mut self) -> ConnectionHandle {
        let config = self.pki.client_config();
        let (ch, conn) = self
            .client
            .connect(self.now, config, SERVER.parse().unwrap(), "localhost")
            .unwrap();
        self.next_port += 1;
        let from = SocketAddr::from(([127, 0, 0, 1], self.next_port));
        self.conns.insert(ch, (conn, from));
        self.run();
        assert!(!self.conns[&ch].0.is_handshaking(), "handshake");
        ch
    }

    /// Moves datagrams both ways (and events to the sink) until nothing moves.
    fn run(&mut self) {
        for _ in 0..100_000 {
            let mut moved = false;
            let handles: Vec<ConnectionHandle> = self.conns.keys().copied().collect();
            let mut buf = Vec::new();
            for ch in handles {
                loop {
                    let (conn, from) = self.conns.get_mut(&ch).unwrap();
                    let from = *from;
                    buf.clear();
                    let Some(t) = conn.poll_transmit(self.now, 1, &mut buf) else {
                        break;
                    };
                    moved = true;
                    self.session.handle_datagram(self.now, from, &buf[..t.size]);
                }
                let (conn, _) = self.conns.get_mut(&ch).unwrap();
                while let Some(ev) = conn.poll_endpoint_events() {
                    if let Some(back) = self.client.handle_event(ch, ev) {
                        conn.handle_event(back);
                    }
                }
            }
            while let Some(t) = self.session.poll_transmit(self.now, 1, &mut buf) {
                moved = true;
                let mut resp = Vec::new();
                let event = self.client.handle(
                    self.now,
                    SERVER.parse().unwrap(),
                    None,
                    None,
                    BytesMut::from(&buf[..t.size]),
                    &mut resp,
                );
                if let Some(DatagramEvent::ConnectionEvent(ch, ev)) = event {
                    if let Some((conn, _)) = self.conns.get_mut(&ch) {
                        conn.handle_event(ev);
                    }
                }
            }
            if self.session.has_news() && self.sink.room {
                moved = true;
            }
            self.session.deliver(&mut self.sink, 0, b"today");
            if !moved {
                let next = self
                    .conns
                    .values_mut()
                    .filter_map(|(c, _)| c.poll_timeout())
                    .chain(self.session.poll_timeout())
                    .min();
                match next {
                    Some(t) if t <= self.now + Duration::from_millis(50) => {
                        self.now = self.now.max(t);
                        for (c, _) in self.conns.values_mut() {
                            c.handle_timeout(self.now);
                        }
                        self.session.handle_timeout(self.now);
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

    /// A request stream with `bytes` (and FIN when `fin`).
    fn open(&mut self, ch: ConnectionHandle, bytes: &[u8], fin: bool) -> StreamId {
        let s = self
            .conn(ch)
            .streams()
            .open(Dir::Bi)
            .expect("stream credit");
        let mut written = 0;
        while written < bytes.len() {
            written += self
                .conn(ch)
                .send_stream(s)
                .write(&bytes[written..])
                .unwrap_or(0);
            if written < bytes.len() {
                self.run();
            }
        }
        let conn = self.conn(ch);
        if fin {
            conn.send_stream(s).finish().unwrap();
        }
        s
    }

    /// What the client read on a stream: (bytes, fin, reset code).
    fn read(&mut self, ch: ConnectionHandle, s: StreamId) -> (Vec<u8>, bool, Option<u64>) {
        read_stream(self.conn(ch), s)
    }

    /// Opens a request stream with `wire` and runs the network: (stream, and the request's
    /// connection id and seq as the sink got them).
    fn send_request(
        &mut self,
        ch: ConnectionHandle,
        wire: &[u8],
        fin: bool,
    ) -> (StreamId, ConnId, u32) {
        let s = self.open(ch, wire, fin);
        self.run();
        let (conn, seq) = last_request(&self.take());
        (s, conn, seq)
    }

    /// Runs the network until the client read the end of `s` (at most `rounds` times), adding
    /// what it read to `read`.
    fn read_to_end(
        &mut self,
        ch: ConnectionHandle,
        s: StreamId,
        read: &mut Vec<u8>,
        rounds: usize,
    ) {
        for _ in 0..rounds {
            self.run();
            let (more, fin, _) = self.read(ch, s);
            read.extend(more);
            if fin {
                break;
            }
        }
    }

    fn take(&mut self) -> Vec<Got> {
        std::mem::take(&mut self.sink.got)
    }
}

fn request(method: &str, path: &str) -> Vec<u8> {
    headers(&[
        (":method", method),
        (":scheme", "https"),
        (":authority", "example.test"),
        (":path", path),
    ])
}

fn data(bytes: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    write_frame(&mut f, frame::DATA, bytes);
    f
}

/// A response as the client read it: status, body, trailers (name/value pairs).
fn parse(bytes: &[u8]) -> (String, Vec<u8>, Vec<(String, String)>) {
    let mut reader = frame::FrameReader::new(1 << 24);
    let mut items = Vec::new();
    reader.push(bytes, &mut items).unwrap();
    let (mut status, mut body, mut trailers) = (String::new(), Vec::new(), Vec::new());
    for item in items {
        match item {
            frame::Item::Frame {
                ty: frame::HEADERS,
                payload,
            } => {
                let fields = qpack::decode(&payload, 1 << 20).unwrap();
                let pairs: Vec<(String, String)> = fields
                    .iter()
                    .map(|(n, v)| {
                        (
                            String::from_utf8_lossy(n).into(),
                            String::from_utf8_lossy(v).into(),
                        )
                    })
                    .collect();
                if status.is_empty() {
                    status = pairs[0].1.clone();
                } else {
                    trailers = pairs;
                }
            }
            frame::Item::Data(d) => body.extend_from_slice(&d),
            other => panic!("{other:?}"),
        }
    }
    (status, body, trailers)
}

fn start(status: u16) -> ResponseStart<'static> {
    ResponseStart {
        status,
        fields: Fields::EMPTY,
        length: None,
    }
}

/// The connection id and seq of the last request the sink got.
fn last_request(got: &[Got]) -> (ConnId, u32) {
    got.iter()
        .rev()
        .find_map(|g| match g {
            Got::Request { conn, seq, .. } => Some((*conn, *seq)),
            _ => None,
        })
        .expect("a request")
}

#[test]
fn a_get_is_one_exchange_on_the_engine_contract() {
    let mut net = Net::new(H3Config::default(), limits());
    let ch = net.connect();
    let s = net.open(ch, &request("GET", "/hello?x=1"), true);
    net.run();
    let got = net.take();
    let (conn, seq) = last_request(&got);
    assert!(H3Session::owns(conn));
    assert_eq!(seq as u64, u64::from(s));
    assert_eq!(
        got,
        vec![Got::Request {
            conn,
            seq,
            method: "GET".into(),
            target: "/hello?x=1".into(),
            version: Version::Http3,
            host: Some("example.test".into()),
            // The empty end of a GET's body is folded into its head.
            body_follows: false,
        }]
    );
    net.session.respond(
        conn,
        seq,
        &start(200),
        Payload::Bytes(b"hi there"),
        true,
        true,
    );
    net.run();
    assert_eq!(net.take(), vec![Got::Drained(seq)]);
    let (bytes, fin, reset) = net.read(ch, s);
    assert_eq!((fin, reset), (true, None));
    let (status, body, _) = parse(&bytes);
    assert_eq!(
        (status.as_str(), body.as_slice()),
        ("200", &b"hi there"[..])
    );
    assert_eq!(net.session.open_exchanges(), 0);
}

#[test]
fn a_paused_body_is_held_in_quic_until_resumed() {
    let config = H3Config {
        stream_receive_window: 16 * 1024,
        connection_receive_window: 64 * 1024,
        ..H3Config::default()
    };
    let mut net = Net::new(config, limits());
    let ch = net.connect();
    let body = vec![7u8; 200 * 1024];
    let mut bytes = request("POST", "/up");
    bytes.extend_from_slice(&data(&body));
    let conn = net.conn(ch);
    let s = conn.streams().open(Dir::Bi).unwrap();
    // The client writes what its credit allows; the rest waits on the stream.
    let mut written = conn.send_stream(s).write(&bytes).unwrap();
    net.run();
    let (c, seq) = last_request(&net.sink.got);
    net.session.set_paused(c, seq, true);
    // While paused, what was delivered stays unreleased: the client's credit runs out.
    for _ in 0..20 {
        written += net
            .conn(ch)
            .send_stream(s)
            .write(&bytes[written..])
            .unwrap_or(0);
        net.run();
    }
    let received = |got: &[Got]| -> usize {
        got.iter()
            .map(|g| match g {
                Got::Body(_, b, _) => b.len(),
                _ => 0,
            })
            .sum()
    };
    let while_paused = received(&net.sink.got);
    assert!(
        while_paused < 64 * 1024,
        "{while_paused} bytes reached a paused reader"
    );
    assert!(written < bytes.len(), "the client was not held back");
    net.session.set_paused(c, seq, false);
    while written < bytes.len() {
        written += net
            .conn(ch)
            .send_stream(s)
            .write(&bytes[written..])
            .unwrap_or(0);
        net.run();
    }
    net.conn(ch).send_stream(s).finish().unwrap();
    net.run();
    assert_eq!(received(&net.sink.got), body.len());
    assert!(matches!(net.sink.got.last(), Some(Got::Body(_, _, true))));
}

#[test]
fn a_large_response_waits_for_room_and_drains_then_ends_with_trailers() {
    let config = H3Config {
        max_stream_buffer: 8 * 1024,
        connection_send_window: 32 * 1024,
        ..H3Config::default()
    };
    let mut net = Net::new(config, limits());
    let ch = net.connect();
    let (s, c, seq) = net.send_request(ch, &request("GET", "/big"), true);
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    net.session
        .respond(c, seq, &start(200), Payload::Bytes(&[]), false, false);
    net.session
        .write_body(c, seq, Payload::Bytes(&body), false, true);
    // The drain comes only once QUIC has taken everything held.
    let mut read = Vec::new();
    for _ in 0..200 {
        net.run();
        read.extend(net.read(ch, s).0);
        if net.sink.got.contains(&Got::Drained(seq)) {
            break;
        }
    }
    assert_eq!(net.take(), vec![Got::Drained(seq)]);
    let trailers = Fields::encode(&[(b"Grpc-Status", b"0")]);
    net.session
        .trailers(c, seq, Fields::parts(&trailers.0, &trailers.1));
    net.read_to_end(ch, s, &mut read, 50);
    let (status, got_body, trailers) = parse(&read);
    assert_eq!(status, "200");
    assert_eq!(got_body, body);
    assert_eq!(trailers, vec![("grpc-status".into(), "0".into())]);
}

#[test]
fn a_file_body_is_read_into_pieces_and_reported_sent() {
    let mut net = Net::new(H3Config::default(), limits());
    let ch = net.connect();
    let (s, c, seq) = net.send_request(ch, &request("GET", "/file"), true);
    let path = std::env::temp_dir().join(format!("zephyr-h3-file-{}", std::process::id()));
    let content: Vec<u8> = (0..700_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::File::create(&path)
        .unwrap()
        .write_all(&content)
        .unwrap();
    let fd = std::fs::File::open(&path).unwrap().into_raw_fd();
    std::fs::remove_file(&path).unwrap();
    let file = FileBody {
        fd,
        offset: 100,
        remaining: 600_000,
        in_pipe: 0,
    };
    let start = ResponseStart {
        status: 200,
        fields: Fields::EMPTY,
        length: Some(600_000),
    };
    net.session.send_file(c, seq, &start, file).unwrap();
    let mut read = Vec::new();
    net.read_to_end(ch, s, &mut read, 200);
    let (status, body, _) = parse(&read);
    assert_eq!(status, "200");
    assert_eq!(body, &content[100..600_100]);
    assert_eq!(net.take(), vec![Got::FileSent(seq, 0)]);
}

#[test]
fn destroy_resets_the_stream_and_a_client_reset_aborts_the_exchange() {
    let mut net = Net::new(H3Config::default(), limits());
    let ch = net.connect();
    let (s1, c, seq1) = net.send_request(ch, &request("GET", "/one"), true);
    net.session.destroy(c, seq1);
    net.run();
    let (_, _, reset) = net.read(ch, s1);
    assert_eq!(reset, Some(H3Error::REQUEST_CANCELLED.0));
    // The client gives up on a request whose body is still coming.
    let (s2, _, seq2) = net.send_request(ch, &request("POST", "/two"), false);
    net.conn(ch)
        .send_stream(s2)
        .reset(quinn_proto::VarInt::from_u32(0x10c))
        .unwrap();
    net.run();
    assert_eq!(net.take(), vec![Got::StreamAborted(seq2)]);
    assert_eq!(net.session.open_exchanges(), 0);
}

#[test]
fn a_full_sink_keeps_the_request_for_the_next_delivery() {
    let mut net = Net::new(H3Config::default(), limits());
    let ch = net.connect();
    net.sink.room = false;
    let mut bytes = request("POST", "/later");
    bytes.extend_from_slice(&data(b"abc"));
    net.open(ch, &bytes, true);
    net.run();
    assert!(net.sink.got.is_empty());
    assert!(net.session.has_news());
    net.sink.room = true;
    net.run();
    let got = net.take();
    assert!(matches!(
        got[0],
        Got::Request {
            body_follows: true,
            ..
        }
    ));
    let bodies: Vec<u8> = got
        .iter()
        .flat_map(|g| match g {
            Got::Body(_, b, _) => b.clone(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(bodies, b"abc");
    assert!(matches!(got.last(), Some(Got::Body(_, _, true))));
}

#[test]
fn a_request_past_the_limits_is_answered_by_the_engine() {
    let mut l = limits();
    l.max_body_bytes = 10;
    let mut net = Net::new(H3Config::default(), l);
    let ch = net.connect();
    let mut bytes = headers(&[
        (":method", "POST"),
        (":scheme", "https"),
        (":authority", "x"),
        (":path", "/"),
        ("content-length", "20"),
    ]);
    bytes.extend_from_slice(&data(&[1; 20]));
    let s = net.open(ch, &bytes, true);
    net.run();
    // Never offered to the application: the engine answered 413 itself.
    assert!(net.take().is_empty());
    let (read, _, _) = net.read(ch, s);
    assert_eq!(parse(&read).0, "413");
    // Past the limit without a declared length: the application is told (413).
    let mut bytes = request("POST", "/stream");
    bytes.extend_from_slice(&data(&[1; 20]));
    net.open(ch, &bytes, true);
    net.run();
    let got = net.take();
    let (_, seq) = last_request(&got);
    assert!(got.contains(&Got::BodyError(seq, 413)));
}

#[test]
fn a_closed_connections_id_never_reaches_the_next_connection() {
    let mut net = Net::new(H3Config::default(), limits());
    let first = net.connect();
    let (_, old, seq) = net.send_request(first, &request("GET", "/a"), true);
    let now = net.now;
    net.conn(first).close(
        now,
        quinn_proto::VarInt::from_u32(0x100),
        bytes::Bytes::new(),
    );
    for _ in 0..10 {
        net.run();
        net.now += Duration::from_millis(200);
        net.session.handle_timeout(net.now);
    }
    assert_eq!(net.take(), vec![Got::StreamAborted(seq)]);
    let second = net.connect();
    let (s, new, seq2) = net.send_request(second, &request("GET", "/b"), true);
    assert_eq!(seq2, seq, "both are the first stream of their connection");
    assert_ne!(new, old);
    // A late answer for the old connection is dropped, not sent on the new one.
    net.session
        .respond(old, seq, &start(500), Payload::Bytes(b"stale"), true, false);
    net.run();
    assert!(net.session.response_open(new, seq2));
    net.session.respond(
        new,
        seq2,
        &start(200),
        Payload::Bytes(b"fresh"),
        true,
        false,
    );
    net.run();
    let (read, fin, _) = net.read(second, s);
    assert!(fin);
    assert_eq!(parse(&read).1, b"fresh");
}

#[test]
fn a_response_the_peer_never_reads_is_reset_after_the_write_timeout() {
    let mut l = limits();
    l.write_timeout_ms = 100;
    let config = H3Config {
        max_stream_buffer: 8 * 1024,
        ..H3Config::default()
    };
    let mut net = Net::new(config, l);
    let ch = net.connect();
    let (s, c, seq) = net.send_request(ch, &request("GET", "/stuck"), true);
    // More than the client's stream window (quinn grants credit only as its application reads).
    let body = vec![1u8; 4 << 20];
    net.session
        .respond(c, seq, &start(200), Payload::Bytes(&body), true, false);
    net.run();
    assert_eq!(
        net.session.open_exchanges(),
        1,
        "held: the client reads nothing"
    );
    net.session.tick(50, &mut net.sink);
    assert!(net.take().is_empty(), "not yet past the write timeout");
    net.session.tick(1_000, &mut net.sink);
    assert_eq!(net.take(), vec![Got::StreamAborted(seq)]);
    assert_eq!(net.session.open_exchanges(), 0);
    net.run();
    assert_eq!(net.read(ch, s).2, Some(H3Error::REQUEST_CANCELLED.0));
}

#[test]
fn close_all_ends_every_connection_and_aborts_what_is_open() {
    let mut net = Net::new(H3Config::default(), limits());
    let ch = net.connect();
    let (_, _, seq) = net.send_request(ch, &request("GET", "/never-answered"), true);
    net.session.shutdown(net.now);
    net.run();
    assert!(
        !net.session.is_idle(),
        "a request in flight holds the connection"
    );
    net.session.close_all(net.now);
    for _ in 0..20 {
        net.run();
        net.now += Duration::from_millis(100);
        net.session.handle_timeout(net.now);
        for (c, _) in net.conns.values_mut() {
            c.handle_timeout(net.now);
        }
    }
    assert_eq!(net.take(), vec![Got::StreamAborted(seq)]);
    assert!(net.session.is_idle());
    let lost = std::iter::from_fn(|| net.conn(ch).poll()).find_map(|ev| match ev {
        quinn_proto::Event::ConnectionLost {
            reason: quinn_proto::ConnectionError::ApplicationClosed(c),
        } => Some(c.error_code.into_inner()),
        _ => None,
    });
    assert_eq!(lost, Some(H3Error::NO_ERROR.0));
}
