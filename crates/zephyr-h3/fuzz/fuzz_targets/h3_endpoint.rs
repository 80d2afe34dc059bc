//! Fuzzes the whole sans-IO endpoint with a real QUIC client (quinn-proto) in memory, as
//! `tests/in_memory.rs` drives it: after a real handshake, the client writes fuzzed bytes on a
//! request stream and on a unidirectional stream of a fuzzed type, and the network runs until
//! it is quiet.
//!
//! Input: byte 0: bit 0 opens a valid control stream (SETTINGS) first, bit 1 finishes the
//! request stream, bit 2 finishes the uni stream; byte 1 where the rest splits between the
//! request stream and the uni stream (whose first byte is its type). Asserted for every input:
//! * no panic, and the endpoint and client go quiet (no endless exchange);
//! * a connection close from the server carries an HTTP/3 or QPACK error code, and so does any
//!   reset of the request stream;
//! * the endpoint holds at most the one connection;
//! * a connection the server did not close still serves a valid GET on a new stream.

#![no_main]

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use quinn_proto::{ConnectionError, ConnectionHandle, DatagramEvent, Dir, Event};
use zephyr_h3::frame::{self, write_frame};
use zephyr_h3::testing::{headers_frame, read_stream, Pki};
use zephyr_h3::{H3Config, H3Endpoint, H3Event};

const SERVER: &str = "127.0.0.1:4433";
const CLIENT: &str = "127.0.0.1:50000";

/// One certificate for every input: generating it is slower than a whole run.
fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(Pki::generate)
}

struct Net {
    server: H3Endpoint,
    client: quinn_proto::Endpoint,
    ch: ConnectionHandle,
    conn: quinn_proto::Connection,
    now: Instant,
    events: Vec<H3Event>,
}

impl Net {
    fn new() -> Self {
        let now = Instant::now();
        let server = H3Endpoint::new(H3Config::default(), pki().server_tls()).unwrap();
        let mut client = quinn_proto::Endpoint::new(Default::default(), None, false, None);
        let (ch, conn) = client
            .connect(
                now,
                pki().client_config(),
                SERVER.parse().unwrap(),
                "localhost",
            )
            .unwrap();
        Self {
            server,
            client,
            ch,
            conn,
            now,
            events: Vec::new(),
        }
    }

    /// Moves datagrams until nothing moves and no timer is due within 50 ms of virtual time.
    fn run(&mut self) {
        let from: SocketAddr = CLIENT.parse().unwrap();
        for _ in 0..20_000 {
            let mut moved = false;
            let mut buf = Vec::new();
            while let Some(t) = self.conn.poll_transmit(self.now, 1, &mut buf) {
                moved = true;
                let d = buf[..t.size].to_vec();
                buf.clear();
                self.server.handle_datagram(self.now, from, &d);
            }
            while let Some(ev) = self.conn.poll_endpoint_events() {
                if let Some(back) = self.client.handle_event(self.ch, ev) {
                    self.conn.handle_event(back);
                }
            }
            let mut buf = Vec::new();
            while let Some(t) = self.server.poll_transmit(self.now, &mut buf) {
                moved = true;
                let d = BytesMut::from(&buf[..t.size]);
                let mut resp = Vec::new();
                let event =
                    self.client
                        .handle(self.now, SERVER.parse().unwrap(), None, None, d, &mut resp);
                if let Some(DatagramEvent::ConnectionEvent(ch, ev)) = event {
                    if ch == self.ch {
                        self.conn.handle_event(ev);
                    }
                }
            }
            while let Some(ev) = self.server.poll_event() {
                self.events.push(ev);
            }
            if !moved {
                let next = self
                    .conn
                    .poll_timeout()
                    .into_iter()
                    .chain(self.server.poll_timeout())
                    .min();
                match next {
                    Some(t) if t <= self.now + Duration::from_millis(50) => {
                        self.now = self.now.max(t);
                        self.conn.handle_timeout(self.now);
                        self.server.handle_timeout(self.now);
                    }
                    _ => return,
                }
            }
        }
        panic!("the endpoint and the client never went quiet");
    }

    fn open(&mut self, dir: Dir, bytes: &[u8], fin: bool) -> Option<quinn_proto::StreamId> {
        let s = self.conn.streams().open(dir)?;
        let _ = self.conn.send_stream(s).write(bytes);
        if fin {
            let _ = self.conn.send_stream(s).finish();
        }
        Some(s)
    }

    /// The application error code the server closed the connection with, if it did.
    fn closed_with(&mut self) -> Option<u64> {
        while let Some(ev) = self.conn.poll() {
            if let Event::ConnectionLost { reason } = ev {
                return match reason {
                    ConnectionError::ApplicationClosed(c) => Some(c.error_code.into_inner()),
                    // A transport-level close (e.g. a flow-control violation) has no H3 code.
                    _ => Some(0),
                };
            }
        }
        None
    }

    fn reset_code(&mut self, s: quinn_proto::StreamId) -> Option<u64> {
        read_stream(&mut self.conn, s).2
    }
}

fn is_h3_code(code: u64) -> bool {
    (0x100..=0x110).contains(&code) || (0x200..=0x202).contains(&code)
}

fn get() -> Vec<u8> {
    headers_frame(&[
        (":method", "GET"),
        (":scheme", "https"),
        (":authority", "localhost"),
        (":path", "/"),
    ])
}

fuzz_target!(|data: &[u8]| {
    let [mode, split, rest @ ..] = data else {
        return;
    };
    let split = usize::from(*split).min(rest.len());
    let (request, uni) = rest.split_at(split);
    let mut net = Net::new();
    net.run();
    assert!(!net.conn.is_handshaking(), "the handshake completed");
    if mode & 1 != 0 {
        let mut control = vec![frame::STREAM_CONTROL as u8];
        write_frame(&mut control, frame::SETTINGS, &[]);
        net.open(Dir::Uni, &control, false);
    }
    let req = net.open(Dir::Bi, request, mode & 2 != 0);
    if !uni.is_empty() {
        net.open(Dir::Uni, uni, mode & 4 != 0);
    }
    net.run();
    assert!(net.server.connection_count() <= 1);
    if let Some(code) = net.closed_with() {
        assert!(code == 0 || is_h3_code(code), "closed with {code:#x}");
        return;
    }
    if let Some(code) = req.and_then(|s| net.reset_code(s)) {
        assert!(is_h3_code(code), "request stream reset with {code:#x}");
    }
    // Still open: a valid request on a new stream is taken and can be answered.
    let before = net.events.len();
    let Some(s) = net.open(Dir::Bi, &get(), true) else {
        return;
    };
    net.run();
    if net.closed_with().is_some() {
        // The fuzzed bytes left the connection in a state the valid request then broke (e.g.
        // a uni stream whose frame was still incomplete swallowed nothing, but a critical
        // stream ended): a clean close is acceptable.
        return;
    }
    let id = net.events[before..].iter().find_map(|e| match e {
        H3Event::Request { id, .. } if id.stream == u64::from(s) => Some(*id),
        _ => None,
    });
    let id = id.expect("an open connection serves a valid GET");
    net.server
        .send_headers(id, 200, &[], true)
        .expect("the request can be answered");
    net.run();
});
