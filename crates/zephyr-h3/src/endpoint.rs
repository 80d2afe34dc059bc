//! `H3Endpoint`: a sans-IO HTTP/3 server over quinn-proto. Datagrams in (with the peer's
//! address and the time), datagrams and request events out; responses through direct calls.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::ops::Bound;
use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use quinn_proto::crypto::rustls::QuicServerConfig;
use quinn_proto::{
    ConnectionHandle, DatagramEvent, Dir, EndpointConfig, Event, IdleTimeout, ServerConfig,
    StreamEvent, StreamId, TransportConfig, VarInt,
};

use crate::config::{ConfigError, H3Config, RetryPolicy};
use crate::error::H3Error;
use crate::fields::{check_field, check_trailers, request_head};
use crate::frame::{self, FrameReader, Item, ReadError};
use crate::qpack::{self, FieldLine, QpackError};
use crate::varint;

/// A connection, as the endpoint numbers them.
pub type ConnId = usize;

/// One request: its connection and its QUIC stream id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId {
    pub conn: ConnId,
    pub stream: u64,
}

/// What the endpoint tells the engine.
#[derive(Debug, PartialEq, Eq)]
pub enum H3Event {
    /// A request head. Its body follows as `Data` events, ended by `Data { end: true }` or
    /// `Trailers`.
    Request {
        id: RequestId,
        method: String,
        scheme: String,
        authority: String,
        path: String,
        headers: Vec<FieldLine>,
    },
    /// Request body bytes; `end` marks the end of the body.
    Data {
        id: RequestId,
        bytes: Vec<u8>,
        end: bool,
    },
    /// Request trailers; the body has ended.
    Trailers {
        id: RequestId,
        headers: Vec<FieldLine>,
    },
    /// The request is gone (peer reset or stop, or a stream error of ours): abort it.
    Reset { id: RequestId, code: u64 },
    /// `send_data` may take more bytes for this request.
    WindowOpened { id: RequestId },
    /// The connection closed; every request on it is gone.
    ConnectionClosed { conn: ConnId, reason: String },
}

/// A datagram (or, with `segment_size`, a GSO batch of them) to send from `buf[..size]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    pub destination: SocketAddr,
    pub size: usize,
    pub segment_size: Option<usize>,
}

/// Why a response call was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// No such request (never existed, reset, or finished).
    UnknownRequest,
    /// Headers in the wrong order (data before headers, headers after the end).
    InvalidState,
    /// A status outside 100..=999 or an invalid field.
    InvalidHeader(&'static str),
}

/// Counters for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct H3Counters {
    pub connections_accepted: u64,
    pub connections_refused: u64,
    pub retries_sent: u64,
    pub requests: u64,
    pub stream_errors: u64,
    pub connection_errors: u64,
    pub headers_too_large: u64,
}

#[derive(Debug, PartialEq, Eq)]
enum Phase {
    Head,
    Body,
    Done,
}

#[derive(Debug, Default)]
struct SendQueue {
    buf: Vec<u8>,
    fin: bool,
    fin_sent: bool,
    finished: bool,
}

struct RequestStream {
    reader: FrameReader,
    phase: Phase,
    received: u64,
    content_length: Option<u64>,
    emitted: bool,
    out: SendQueue,
    head_sent: bool,
    want_window: bool,
    recv_closed: bool,
    /// Body bytes handed out in `Data` events and not yet `release`d.
    held: usize,
}

enum UniKind {
    Pending(Vec<u8>),
    Control(FrameReader),
    /// The peer's QPACK encoder (`true`) or decoder stream, and an instruction cut by a read.
    Qpack(bool, Vec<u8>),
    Ignored,
}

struct Conn {
    quic: quinn_proto::Connection,
    requests: HashMap<u64, RequestStream>,
    uni: HashMap<u64, UniKind>,
    peer_control: bool,
    peer_qpack_encoder: bool,
    peer_qpack_decoder: bool,
    got_settings: bool,
    /// The peer's SETTINGS_MAX_FIELD_SECTION_SIZE (unlimited until it says).
    peer_max_field_section: u64,
    control: Option<(StreamId, SendQueue)>,
    /// Stream ids at or past this are refused after our GOAWAY.
    goaway_at: Option<u64>,
    next_request_id: u64,
    closing: bool,
    reported_closed: bool,
    /// Counted in `H3Endpoint::handshaking` (until Connected or gone).
    handshaking: bool,
    /// This connection's entry in `H3Endpoint::timers`.
    deadline: Option<Instant>,
}

/// The HTTP/3 server endpoint: one per UDP socket.
pub struct H3Endpoint {
    config: H3Config,
    quic: quinn_proto::Endpoint,
    server_config: Arc<ServerConfig>,
    conns: HashMap<ConnId, Conn>,
    responses: VecDeque<(Transmit, Vec<u8>)>,
    events: VecDeque<H3Event>,
    counters: H3Counters,
    shutting_down: bool,
    /// `stop_accepting` was called: new connections are refused, the open ones served on.
    accept_stopped: bool,
    scratch: Vec<u8>,
    /// The bytes of one stream read, reused from read to read (at most a stream window).
    read_buf: Vec<u8>,
    /// The latest time the caller gave; calls without a `now` of their own (a response call
    /// that closes a drained connection) use it. Set before any connection exists.
    now: Option<Instant>,
    /// The connection whose datagram `poll_transmit` returned last.
    last_sender: ConnId,
    /// Connections accepted whose handshake has not completed (for `RetryPolicy`).
    handshaking: usize,
    /// Connections that may have datagrams to send: every path that changes a connection's
    /// quinn state marks it (`drive`, response calls, closes); pacing delays come back
    /// through `handle_timeout`, which drives.
    dirty: BTreeSet<ConnId>,
    /// Every connection's next quinn deadline, earliest first.
    timers: BTreeSet<(Instant, ConnId)>,
}

fn stream_id(id: u64) -> StreamId {
    // Stream ids from the wire come from quinn's own StreamId, so this round trip is exact.
    StreamId::from(VarInt::from_u64(id).unwrap_or(VarInt::MAX))
}

fn code(e: H3Error) -> VarInt {
    VarInt::from_u64(e.0).unwrap_or(VarInt::MAX)
}

impl H3Endpoint {
    /// Builds an endpoint from the limits and the TLS listener's rustls configuration (its
    /// certificates; ALPN is set to `h3` and 0-RTT is off here). Fails with a clear message
    /// when a limit is out of range or the TLS configuration cannot do QUIC (TLS 1.3 only).
    pub fn new(config: H3Config, mut tls: rustls::ServerConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        tls.alpn_protocols = vec![b"h3".to_vec()];
        tls.max_early_data_size = 0;
        let crypto = QuicServerConfig::try_from(tls)
            .map_err(|e| ConfigError(format!("TLS for QUIC: {e}")))?;
        let mut transport = TransportConfig::default();
        transport
            .max_concurrent_bidi_streams(VarInt::from_u32(config.max_concurrent_bidi_streams))
            // The peer's control stream and its two QPACK streams, plus room for grease.
            .max_concurrent_uni_streams(VarInt::from_u32(8))
            .max_idle_timeout(Some(
                IdleTimeout::try_from(config.idle_timeout)
                    .map_err(|_| ConfigError("idle_timeout too large".into()))?,
            ))
            .stream_receive_window(VarInt::from_u32(config.stream_receive_window))
            .send_window(config.connection_send_window)
            .receive_window(VarInt::from_u32(config.connection_receive_window));
        let mut server_config = ServerConfig::with_crypto(Arc::new(crypto));
        server_config.transport_config(Arc::new(transport));
        server_config.migration(true);
        let mut endpoint_config = EndpointConfig::default();
        endpoint_config
            .max_udp_payload_size(config.max_udp_payload_size)
            .map_err(|e| ConfigError(format!("max_udp_payload_size: {e}")))?;
        let server_config = Arc::new(server_config);
        let quic = quinn_proto::Endpoint::new(
            Arc::new(endpoint_config),
            Some(server_config.clone()),
            true,
            None,
        );
        Ok(Self {
            config,
            quic,
            server_config,
            conns: HashMap::new(),
            responses: VecDeque::new(),
            events: VecDeque::new(),
            counters: H3Counters::default(),
            shutting_down: false,
            accept_stopped: false,
            scratch: Vec::new(),
            read_buf: Vec::new(),
            now: None,
            last_sender: 0,
            handshaking: 0,
            dirty: BTreeSet::new(),
            timers: BTreeSet::new(),
        })
    }

    /// New TLS settings (a certificate reload) for handshakes from now on; connections already
    /// open keep theirs. On error the old settings stay.
    pub fn set_tls(&mut self, mut tls: rustls::ServerConfig) -> Result<(), ConfigError> {
        tls.alpn_protocols = vec![b"h3".to_vec()];
        tls.max_early_data_size = 0;
        let crypto = QuicServerConfig::try_from(tls)
            .map_err(|e| ConfigError(format!("TLS for QUIC: {e}")))?;
        let mut server_config = (*self.server_config).clone();
        server_config.crypto = Arc::new(crypto);
        self.server_config = Arc::new(server_config);
        self.quic
            .set_server_config(Some(self.server_config.clone()));
        Ok(())
    }

    /// Hands one received UDP datagram to the endpoint.
    pub fn handle_datagram(&mut self, now: Instant, remote: SocketAddr, data: &[u8]) {
        self.now = Some(now);
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        match self
            .quic
            .handle(now, remote, None, None, BytesMut::from(data), &mut buf)
        {
            Some(DatagramEvent::ConnectionEvent(ch, event)) => {
                if let Some(conn) = self.conns.get_mut(&ch.0) {
                    conn.quic.handle_event(event);
                    self.drive(ch.0, now);
                }
            }
            Some(DatagramEvent::NewConnection(incoming)) => {
                self.on_incoming(now, incoming, &mut buf)
            }
            Some(DatagramEvent::Response(t)) => self.queue_response(t, &buf),
            None => {}
        }
        self.scratch = buf;
    }

    fn queue_response(&mut self, t: quinn_proto::Transmit, buf: &[u8]) {
        let transmit = Transmit {
            destination: t.destination,
            size: t.size,
            segment_size: t.segment_size,
        };
        self.responses.push_back((transmit, buf[..t.size].to_vec()));
    }

    fn on_incoming(&mut self, now: Instant, incoming: quinn_proto::Incoming, buf: &mut Vec<u8>) {
        if self.shutting_down
            || self.accept_stopped
            || self.conns.len() >= self.config.max_connections
        {
            self.counters.connections_refused += 1;
            let t = self.quic.refuse(incoming, buf);
            self.queue_response(t, buf);
            return;
        }
        let want_retry = match self.config.retry {
            RetryPolicy::Never => false,
            RetryPolicy::Always => true,
            RetryPolicy::WhenHandshakesAbove(n) => self.handshaking > n,
        };
        if want_retry && !incoming.remote_address_validated() && incoming.may_retry() {
            match self.quic.retry(incoming, buf) {
                Ok(t) => {
                    self.counters.retries_sent += 1;
                    self.queue_response(t, buf);
                }
                Err(e) => self.quic.ignore(e.into_incoming()),
            }
            return;
        }
        match self
            .quic
            .accept(incoming, now, buf, Some(self.server_config.clone()))
        {
            Ok((ch, quic)) => {
                self.counters.connections_accepted += 1;
                self.handshaking += 1;
                self.conns.insert(
                    ch.0,
                    Conn {
                        quic,
                        requests: HashMap::new(),
                        uni: HashMap::new(),
                        peer_control: false,
                        peer_qpack_encoder: false,
                        peer_qpack_decoder: false,
                        got_settings: false,
                        peer_max_field_section: u64::MAX,
                        control: None,
                        goaway_at: None,
                        next_request_id: 0,
                        closing: false,
                        reported_closed: false,
                        handshaking: true,
                        deadline: None,
                    },
                );
                self.drive(ch.0, now);
            }
            Err(e) => {
                if let Some(t) = e.response {
                    self.queue_response(t, buf);
                }
            }
        }
    }

    /// The next datagram to send, written into `buf` (cleared first); `None` when nothing is due.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        self.poll_transmit_batch(now, 1, buf)
    }

    /// Like [`Self::poll_transmit`], but one connection may fill `buf` with up to
    /// `max_datagrams` datagrams to the same destination, each `segment_size` long (the last
    /// may be shorter): one `sendmsg` with UDP GSO (`UDP_SEGMENT`), or split by the caller.
    pub fn poll_transmit_batch(
        &mut self,
        now: Instant,
        max_datagrams: usize,
        buf: &mut Vec<u8>,
    ) -> Option<Transmit> {
        let max_datagrams = max_datagrams.max(1);
        self.now = Some(now);
        if let Some((t, bytes)) = self.responses.pop_front() {
            buf.clear();
            buf.extend_from_slice(&bytes);
            return Some(t);
        }
        // Only connections that something happened to since they last had nothing to send
        // (`dirty`) are asked, in turn from the one after the last sender, so one connection
        // with a large response cannot starve the others and idle ones cost nothing. Each one
        // asked either sends (and ends the call) or leaves `dirty`, so walking the set from a
        // cursor (wrapping once to its start) asks each at most once, with no list to build.
        let mut cursor = self.last_sender;
        while let Some(&id) = self
            .dirty
            .range((Bound::Excluded(cursor), Bound::Unbounded))
            .next()
            .or_else(|| self.dirty.first())
        {
            cursor = id;
            let Some(conn) = self.conns.get_mut(&id) else {
                self.dirty.remove(&id);
                continue;
            };
            buf.clear();
            let sent = conn.quic.poll_transmit(now, max_datagrams, buf);
            self.refresh_timer(id);
            if let Some(t) = sent {
                self.last_sender = id;
                return Some(Transmit {
                    destination: t.destination,
                    size: t.size,
                    segment_size: t.segment_size,
                });
            }
            self.dirty.remove(&id);
        }
        None
    }

    /// When `handle_timeout` is next due.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        self.timers.first().map(|&(t, _)| t)
    }

    /// Runs the timers that are due (loss detection, idle timeout, …).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = Some(now);
        let due: Vec<ConnId> = self
            .timers
            .iter()
            .take_while(|&&(t, _)| t <= now)
            .map(|&(_, id)| id)
            .collect();
        for id in due {
            if let Some(conn) = self.conns.get_mut(&id) {
                conn.quic.handle_timeout(now);
            }
            self.drive(id, now);
        }
    }

    /// Re-files connection `id` under its next deadline. Called after everything that can
    /// move a quinn timer (driving it, asking it to transmit, closing it), so `poll_timeout`
    /// and `handle_timeout` never ask every connection.
    fn refresh_timer(&mut self, id: ConnId) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let next = conn.quic.poll_timeout();
        if conn.deadline != next {
            if let Some(old) = conn.deadline {
                self.timers.remove(&(old, id));
            }
            if let Some(t) = next {
                self.timers.insert((t, id));
            }
            conn.deadline = next;
        }
    }

    /// The next event for the engine.
    pub fn poll_event(&mut self) -> Option<H3Event> {
        self.events.pop_front()
    }

    /// Whether `poll_event` has something.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// The peer address of connection `id` (its latest, after a migration).
    pub fn remote_address(&self, id: ConnId) -> Option<SocketAddr> {
        self.conns.get(&id).map(|c| c.quic.remote_address())
    }

    /// Open connections.
    pub fn connection_count(&self) -> usize {
        self.conns.len()
    }

    /// Connections whose handshake is still in progress.
    pub fn handshakes_in_progress(&self) -> usize {
        self.handshaking
    }

    /// Requests not yet finished both ways, over all connections.
    pub fn open_requests(&self) -> usize {
        self.conns.values().map(|c| c.requests.len()).sum()
    }

    /// The hostile-peer counters.
    pub fn counters(&self) -> &H3Counters {
        &self.counters
    }

    /// New connections are refused (CONNECTION_REFUSED) from now on; open connections are
    /// served on, with no GOAWAY (a handover: the process that takes new connections is another).
    pub fn stop_accepting(&mut self) {
        self.accept_stopped = true;
    }

    /// Graceful shutdown: GOAWAY on every connection, new connections refused, requests in
    /// flight finish, then each connection closes with H3_NO_ERROR.
    pub fn shutdown(&mut self, now: Instant) {
        self.now = Some(now);
        self.shutting_down = true;
        let ids: Vec<ConnId> = self.conns.keys().copied().collect();
        for id in ids {
            if let Some(conn) = self.conns.get_mut(&id) {
                if conn.goaway_at.is_none() {
                    conn.goaway_at = Some(conn.next_request_id);
                    let mut payload = Vec::new();
                    varint::write(&mut payload, conn.next_request_id);
                    if let Some((sid, q)) = conn.control.as_mut() {
                        frame::write_frame(&mut q.buf, frame::GOAWAY, &payload);
                        flush(&mut conn.quic, *sid, q);
                    }
                }
            }
            self.drive(id, now);
        }
    }

    /// Closes every connection now, requests in flight or not (a shutdown that took too long):
    /// each gets CONNECTION_CLOSE with H3_NO_ERROR, every open request a `Reset`, and new
    /// connections are refused; `is_idle()` once quinn has drained them.
    pub fn close_all(&mut self, now: Instant) {
        self.now = Some(now);
        self.shutting_down = true;
        let ids: Vec<ConnId> = self.conns.keys().copied().collect();
        for id in ids {
            if let Some(conn) = self.conns.get_mut(&id) {
                if !conn.closing {
                    conn.closing = true;
                    conn.quic.close(
                        now,
                        code(H3Error::NO_ERROR),
                        bytes::Bytes::from_static(b"server closing"),
                    );
                }
            }
            self.close_report(id, "closed by the server".into());
            self.drive(id, now);
        }
    }

    /// True after `shutdown` once every connection has closed.
    pub fn is_idle(&self) -> bool {
        self.conns.is_empty()
    }

    /// Sends a response head (1xx heads may come first). `end` ends the response.
    pub fn send_headers(
        &mut self,
        id: RequestId,
        status: u16,
        headers: &[(&[u8], &[u8])],
        end: bool,
    ) -> Result<(), SendError> {
        if !(100..=999).contains(&status) {
            return Err(SendError::InvalidHeader("status outside 100..=999"));
        }
        for (n, v) in headers {
            check_field(n, v).map_err(SendError::InvalidHeader)?;
        }
        let conn = self
            .conns
            .get_mut(&id.conn)
            .ok_or(SendError::UnknownRequest)?;
        let req = conn
            .requests
            .get_mut(&id.stream)
            .ok_or(SendError::UnknownRequest)?;
        if req.head_sent || req.out.fin {
            return Err(SendError::InvalidState);
        }
        let status_text = status.to_string();
        if section_size(headers) + 7 + status_text.len() as u64 + 32 > conn.peer_max_field_section {
            return Err(SendError::InvalidHeader(
                "head past the peer's SETTINGS_MAX_FIELD_SECTION_SIZE",
            ));
        }
        let mut block = Vec::new();
        let fields = std::iter::once((&b":status"[..], status_text.as_bytes()))
            .chain(headers.iter().copied());
        qpack::encode(fields, &mut block);
        frame::write_frame(&mut req.out.buf, frame::HEADERS, &block);
        if status >= 200 {
            req.head_sent = true;
            req.out.fin = end;
        }
        flush(&mut conn.quic, stream_id(id.stream), &mut req.out);
        self.after_send(id);
        Ok(())
    }

    /// How many body bytes `send_data` takes now at least (it may take more, as far as QUIC's
    /// flow control and send window allow).
    pub fn send_capacity(&self, id: RequestId) -> usize {
        self.conns
            .get(&id.conn)
            .and_then(|c| c.requests.get(&id.stream))
            .filter(|r| r.head_sent && !r.out.fin)
            .map_or(0, |r| {
                self.config
                    .max_stream_buffer
                    .saturating_sub(r.out.buf.len())
            })
    }

    /// The consumer took `n` body bytes of this request (its reader pulled them); more are
    /// read from QUIC (and credit returned to the client) while less than
    /// `stream_receive_window` is held.
    pub fn release(&mut self, id: RequestId, n: usize) {
        let Some(req) = self
            .conns
            .get_mut(&id.conn)
            .and_then(|c| c.requests.get_mut(&id.stream))
        else {
            return;
        };
        req.held = req.held.saturating_sub(n);
        // Reading may have stopped at the budget (quinn does not announce bytes it already
        // holds again), so look now; a stream with nothing buffered answers Blocked at once.
        if !req.recv_closed {
            if let Some(now) = self.now {
                self.read_stream(id.conn, stream_id(id.stream), now);
                self.drive(id.conn, now);
            }
        }
    }

    /// Sends response body bytes; returns how many were taken (the rest waits for
    /// `WindowOpened`). `end` ends the response once every byte was taken.
    pub fn send_data(
        &mut self,
        id: RequestId,
        bytes: &[u8],
        end: bool,
    ) -> Result<usize, SendError> {
        let max_buffer = self.config.max_stream_buffer;
        let conn = self
            .conns
            .get_mut(&id.conn)
            .ok_or(SendError::UnknownRequest)?;
        let req = conn
            .requests
            .get_mut(&id.stream)
            .ok_or(SendError::UnknownRequest)?;
        if !req.head_sent || req.out.fin {
            return Err(SendError::InvalidState);
        }
        // Frame into our buffer and hand it to QUIC until QUIC stops taking (flow control or
        // its send window) and our buffer is full: then, and only then, QUIC will announce
        // room (StreamEvent::Writable → WindowOpened). Stopping earlier would leave a partial
        // write with no event to resume it.
        let s = stream_id(id.stream);
        let mut n = 0;
        while n < bytes.len() {
            let take = max_buffer
                .saturating_sub(req.out.buf.len())
                .min(bytes.len() - n);
            if take == 0 {
                break;
            }
            frame::write_header(&mut req.out.buf, frame::DATA, take);
            req.out.buf.extend_from_slice(&bytes[n..n + take]);
            n += take;
            flush(&mut conn.quic, s, &mut req.out);
        }
        if n < bytes.len() {
            req.want_window = true;
        } else if end {
            req.out.fin = true;
            flush(&mut conn.quic, s, &mut req.out);
        }
        self.after_send(id);
        Ok(n)
    }

    /// Sends trailers and ends the response.
    pub fn send_trailers(
        &mut self,
        id: RequestId,
        headers: &[(&[u8], &[u8])],
    ) -> Result<(), SendError> {
        for (n, v) in headers {
            check_field(n, v).map_err(SendError::InvalidHeader)?;
        }
        let conn = self
            .conns
            .get_mut(&id.conn)
            .ok_or(SendError::UnknownRequest)?;
        let req = conn
            .requests
            .get_mut(&id.stream)
            .ok_or(SendError::UnknownRequest)?;
        if !req.head_sent || req.out.fin {
            return Err(SendError::InvalidState);
        }
        if section_size(headers) > conn.peer_max_field_section {
            return Err(SendError::InvalidHeader(
                "trailers past the peer's SETTINGS_MAX_FIELD_SECTION_SIZE",
            ));
        }
        let mut block = Vec::new();
        qpack::encode(headers.iter().copied(), &mut block);
        frame::write_frame(&mut req.out.buf, frame::HEADERS, &block);
        req.out.fin = true;
        flush(&mut conn.quic, stream_id(id.stream), &mut req.out);
        self.after_send(id);
        Ok(())
    }

    /// Aborts a request both ways with `code` (an H3 error code, e.g. H3_REQUEST_CANCELLED).
    pub fn reset(&mut self, id: RequestId, code_: u64) -> Result<(), SendError> {
        let conn = self
            .conns
            .get_mut(&id.conn)
            .ok_or(SendError::UnknownRequest)?;
        conn.requests
            .remove(&id.stream)
            .ok_or(SendError::UnknownRequest)?;
        let c = VarInt::from_u64(code_).unwrap_or(code(H3Error::INTERNAL_ERROR));
        let _ = conn.quic.send_stream(stream_id(id.stream)).reset(c);
        let _ = conn.quic.recv_stream(stream_id(id.stream)).stop(c);
        if let Some(now) = self.now {
            self.drive(id.conn, now);
        }
        Ok(())
    }

    /// After a response call: forget a request that is done both ways, and close a draining
    /// connection with nothing left.
    fn after_send(&mut self, id: RequestId) {
        if let Some(conn) = self.conns.get_mut(&id.conn) {
            if let Some(req) = conn.requests.get_mut(&id.stream) {
                // A response that ended while the request body still comes: stop reading it
                // with H3_NO_ERROR (RFC 9114 §4.1), so a client that never ends its body cannot
                // pin the stream; the consumer's request gets `Reset { code: H3_NO_ERROR }`.
                if req.out.fin && !req.recv_closed && req.phase != Phase::Head {
                    req.recv_closed = true;
                    req.phase = Phase::Done;
                    let _ = conn
                        .quic
                        .recv_stream(stream_id(id.stream))
                        .stop(code(H3Error::NO_ERROR));
                    self.events.push_back(H3Event::Reset {
                        id,
                        code: H3Error::NO_ERROR.0,
                    });
                }
                if req.out.finished && req.recv_closed {
                    conn.requests.remove(&id.stream);
                }
            }
        }
        self.maybe_close_drained(id.conn);
    }

    fn maybe_close_drained(&mut self, id: ConnId) {
        self.dirty.insert(id);
        if let Some(conn) = self.conns.get_mut(&id) {
            let flushed = conn.requests.values().all(|r| r.out.finished);
            if conn.goaway_at.is_some() && !conn.closing && flushed && conn.requests.is_empty() {
                conn.closing = true;
                if let Some(now) = self.now {
                    conn.quic
                        .close(now, code(H3Error::NO_ERROR), bytes::Bytes::new());
                }
            }
        }
        self.refresh_timer(id);
    }

    /// Moves everything quinn has for connection `id` along: endpoint events, then
    /// application events, then drops the connection once drained.
    fn drive(&mut self, id: ConnId, now: Instant) {
        self.dirty.insert(id);
        loop {
            let Some(conn) = self.conns.get_mut(&id) else {
                return;
            };
            let mut progressed = false;
            while let Some(ev) = conn.quic.poll_endpoint_events() {
                progressed = true;
                if let Some(back) = self.quic.handle_event(ConnectionHandle(id), ev) {
                    conn.quic.handle_event(back);
                }
            }
            let Some(conn) = self.conns.get_mut(&id) else {
                return;
            };
            if let Some(ev) = conn.quic.poll() {
                progressed = true;
                self.on_quic_event(id, ev, now);
            }
            if !progressed {
                break;
            }
        }
        let drained = self.conns.get(&id).is_some_and(|c| c.quic.is_drained());
        if drained {
            self.close_report(id, "drained".into());
            self.end_handshake(id);
            if let Some(conn) = self.conns.remove(&id) {
                if let Some(t) = conn.deadline {
                    self.timers.remove(&(t, id));
                }
            }
            return;
        }
        self.refresh_timer(id);
    }

    /// Kept as a count, not a scan, so a flood of Initials costs O(1) each to judge.
    fn end_handshake(&mut self, id: ConnId) {
        if let Some(conn) = self.conns.get_mut(&id) {
            if std::mem::replace(&mut conn.handshaking, false) {
                self.handshaking -= 1;
            }
        }
    }

    fn close_report(&mut self, id: ConnId, reason: String) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        if conn.reported_closed {
            return;
        }
        conn.reported_closed = true;
        let ids: Vec<u64> = conn.requests.keys().copied().collect();
        for s in ids {
            let req = conn.requests.remove(&s).expect("listed");
            if req.emitted && !(req.out.finished && req.recv_closed) {
                self.events.push_back(H3Event::Reset {
                    id: RequestId {
                        conn: id,
                        stream: s,
                    },
                    code: H3Error::REQUEST_CANCELLED.0,
                });
            }
        }
        self.events
            .push_back(H3Event::ConnectionClosed { conn: id, reason });
    }

    fn connection_error(&mut self, id: ConnId, err: H3Error, reason: &'static str) {
        self.dirty.insert(id);
        self.counters.connection_errors += 1;
        if let (Some(conn), Some(now)) = (self.conns.get_mut(&id), self.now) {
            conn.quic
                .close(now, code(err), bytes::Bytes::from_static(reason.as_bytes()));
        }
        self.refresh_timer(id);
        self.close_report(id, format!("H3 error {:#x}: {reason}", err.0));
    }

    fn on_quic_event(&mut self, id: ConnId, ev: Event, now: Instant) {
        match ev {
            Event::Connected => {
                self.end_handshake(id);
                self.open_control(id);
            }
            Event::ConnectionLost { reason } => {
                self.end_handshake(id);
                self.close_report(id, reason.to_string());
            }
            Event::Stream(StreamEvent::Opened { dir }) => {
                let Some(conn) = self.conns.get_mut(&id) else {
                    return;
                };
                let mut opened = Vec::new();
                while let Some(s) = conn.quic.streams().accept(dir) {
                    opened.push(s);
                }
                for s in opened {
                    self.on_stream_opened(id, s);
                    self.read_stream(id, s, now);
                }
            }
            Event::Stream(StreamEvent::Readable { id: s }) => self.read_stream(id, s, now),
            Event::Stream(StreamEvent::Writable { id: s }) => self.on_writable(id, s),
            Event::Stream(StreamEvent::Finished { id: s }) => {
                let rid = RequestId {
                    conn: id,
                    stream: s.into(),
                };
                if let Some(req) = self
                    .conns
                    .get_mut(&id)
                    .and_then(|c| c.requests.get_mut(&rid.stream))
                {
                    req.out.finished = true;
                }
                self.after_send(rid);
            }
            Event::Stream(StreamEvent::Stopped { id: s, error_code }) => {
                let rid = RequestId {
                    conn: id,
                    stream: s.into(),
                };
                let Some(conn) = self.conns.get_mut(&id) else {
                    return;
                };
                if let Some(req) = conn.requests.remove(&rid.stream) {
                    // The request is abandoned both ways: reading on would keep the stream
                    // (and the client's stream credit) open for a body nobody takes.
                    let _ = conn.quic.send_stream(s).reset(error_code);
                    if !req.recv_closed {
                        let _ = conn.quic.recv_stream(s).stop(error_code);
                    }
                    if req.emitted {
                        self.events.push_back(H3Event::Reset {
                            id: rid,
                            code: error_code.into_inner(),
                        });
                    }
                } else if conn.control.as_ref().is_some_and(|(c, _)| *c == s) {
                    self.connection_error(
                        id,
                        H3Error::CLOSED_CRITICAL_STREAM,
                        "control stream stopped",
                    );
                }
                self.maybe_close_drained(id);
            }
            Event::Stream(StreamEvent::Available { .. }) | Event::HandshakeDataReady => {}
            Event::DatagramReceived | Event::DatagramsUnblocked => {}
        }
    }

    fn open_control(&mut self, id: ConnId) {
        let max_field_section_size = self.config.max_field_section_size as u64;
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let Some(sid) = conn.quic.streams().open(Dir::Uni) else {
            return self.connection_error(
                id,
                H3Error::STREAM_CREATION_ERROR,
                "cannot open the control stream",
            );
        };
        let mut q = SendQueue::default();
        varint::write(&mut q.buf, frame::STREAM_CONTROL);
        let mut settings = Vec::new();
        for (k, v) in [
            (frame::SETTINGS_QPACK_MAX_TABLE_CAPACITY, 0),
            (frame::SETTINGS_QPACK_BLOCKED_STREAMS, 0),
            (
                frame::SETTINGS_MAX_FIELD_SECTION_SIZE,
                max_field_section_size,
            ),
        ] {
            varint::write(&mut settings, k);
            varint::write(&mut settings, v);
        }
        frame::write_frame(&mut q.buf, frame::SETTINGS, &settings);
        if let Some(at) = conn.goaway_at {
            let mut payload = Vec::new();
            varint::write(&mut payload, at);
            frame::write_frame(&mut q.buf, frame::GOAWAY, &payload);
        }
        flush(&mut conn.quic, sid, &mut q);
        conn.control = Some((sid, q));
    }

    fn on_stream_opened(&mut self, id: ConnId, s: StreamId) {
        let max_headers = self.config.max_field_section_size as u64;
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let raw: u64 = s.into();
        if s.dir() == Dir::Uni {
            conn.uni.insert(raw, UniKind::Pending(Vec::new()));
            return;
        }
        conn.next_request_id = conn.next_request_id.max(raw + 4);
        if conn.goaway_at.is_some_and(|at| raw >= at) {
            // After our GOAWAY: not processed, safe to retry elsewhere (§5.2).
            let _ = conn
                .quic
                .send_stream(s)
                .reset(code(H3Error::REQUEST_REJECTED));
            let _ = conn
                .quic
                .recv_stream(s)
                .stop(code(H3Error::REQUEST_REJECTED));
            return;
        }
        conn.requests.insert(
            raw,
            RequestStream {
                reader: FrameReader::new(max_headers),
                phase: Phase::Head,
                received: 0,
                content_length: None,
                emitted: false,
                out: SendQueue::default(),
                head_sent: false,
                want_window: false,
                recv_closed: false,
                held: 0,
            },
        );
    }

    fn read_stream(&mut self, id: ConnId, s: StreamId, _now: Instant) {
        let raw: u64 = s.into();
        let window = self.config.stream_receive_window as usize;
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let known =
            conn.requests.get(&raw).is_some_and(|r| !r.recv_closed) || conn.uni.contains_key(&raw);
        if !known {
            return;
        }
        // Request bodies are read only while the consumer holds less than a stream window:
        // bytes left unread in QUIC earn the client no new credit, so it stops (backpressure).
        // Control and QPACK streams are small and always read.
        let mut budget = match conn.requests.get(&raw) {
            Some(r) => window.saturating_sub(r.held),
            None => usize::MAX,
        };
        if budget == 0 {
            return;
        }
        // Taken, not borrowed: handling the bytes needs `self` (a nested read gets a fresh one).
        let mut data = std::mem::take(&mut self.read_buf);
        data.clear();
        let mut fin = false;
        let mut reset = None;
        let mut rs = conn.quic.recv_stream(s);
        if let Ok(mut chunks) = rs.read(true) {
            while budget > 0 {
                match chunks.next(budget) {
                    Ok(Some(chunk)) => {
                        budget -= chunk.bytes.len();
                        data.extend_from_slice(&chunk.bytes);
                    }
                    Ok(None) => {
                        fin = true;
                        break;
                    }
                    Err(quinn_proto::ReadError::Blocked) => break,
                    Err(quinn_proto::ReadError::Reset(c)) => {
                        reset = Some(c.into_inner());
                        break;
                    }
                }
            }
            let _ = chunks.finalize();
        }
        if s.dir() == Dir::Uni {
            self.on_uni_bytes(id, raw, &data, fin || reset.is_some());
        } else {
            self.on_request_bytes(id, raw, &data, fin, reset);
        }
        self.read_buf = data;
    }

    fn on_uni_bytes(&mut self, id: ConnId, raw: u64, mut data: &[u8], closed: bool) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let Some(kind) = conn.uni.get_mut(&raw) else {
            return;
        };
        if let UniKind::Pending(head) = kind {
            head.extend_from_slice(&data[..data.len().min(8)]);
            let Some((ty, n)) = varint::read(head) else {
                if closed {
                    conn.uni.remove(&raw);
                }
                return;
            };
            let used = n - (head.len() - data.len().min(8));
            data = &data[used..];
            let dup = |seen: &mut bool| std::mem::replace(seen, true);
            let next = match ty {
                frame::STREAM_CONTROL if dup(&mut conn.peer_control) => {
                    return self.connection_error(
                        id,
                        H3Error::STREAM_CREATION_ERROR,
                        "second control stream",
                    );
                }
                frame::STREAM_CONTROL => UniKind::Control(FrameReader::new(0)),
                frame::STREAM_PUSH => {
                    return self.connection_error(
                        id,
                        H3Error::STREAM_CREATION_ERROR,
                        "push stream from a client",
                    );
                }
                frame::STREAM_QPACK_ENCODER if dup(&mut conn.peer_qpack_encoder) => {
                    return self.connection_error(
                        id,
                        H3Error::STREAM_CREATION_ERROR,
                        "second QPACK encoder stream",
                    );
                }
                frame::STREAM_QPACK_DECODER if dup(&mut conn.peer_qpack_decoder) => {
                    return self.connection_error(
                        id,
                        H3Error::STREAM_CREATION_ERROR,
                        "second QPACK decoder stream",
                    );
                }
                frame::STREAM_QPACK_ENCODER => UniKind::Qpack(true, Vec::new()),
                frame::STREAM_QPACK_DECODER => UniKind::Qpack(false, Vec::new()),
                _ => {
                    // Unknown and grease stream types are read no further (§6.2).
                    let _ = conn
                        .quic
                        .recv_stream(stream_id(raw))
                        .stop(code(H3Error::STREAM_CREATION_ERROR));
                    UniKind::Ignored
                }
            };
            *kind = next;
        }
        match kind {
            UniKind::Control(reader) => {
                let mut items = Vec::new();
                if let Err(e) = reader.push(data, &mut items) {
                    let err = match e {
                        ReadError::Connection(c) => c,
                        ReadError::TooLarge { .. } => H3Error::FRAME_UNEXPECTED,
                    };
                    return self.connection_error(id, err, "bad frame on the control stream");
                }
                for item in items {
                    let first = !std::mem::replace(&mut conn.got_settings, true);
                    match item {
                        Item::Frame {
                            ty: frame::SETTINGS,
                            payload,
                        } if first => match frame::parse_settings(&payload) {
                            Ok(settings) => {
                                for (k, v) in settings {
                                    if k == frame::SETTINGS_MAX_FIELD_SECTION_SIZE {
                                        conn.peer_max_field_section = v;
                                    }
                                }
                            }
                            Err(e) => return self.connection_error(id, e, "bad SETTINGS"),
                        },
                        _ if first => {
                            return self.connection_error(
                                id,
                                H3Error::MISSING_SETTINGS,
                                "control stream must start with SETTINGS",
                            );
                        }
                        Item::Frame {
                            ty: frame::GOAWAY | frame::MAX_PUSH_ID | frame::CANCEL_PUSH,
                            payload,
                        } => {
                            // A client's GOAWAY names push ids, which we never use.
                            if let Err(e) = frame::parse_single_varint(&payload) {
                                return self.connection_error(id, e, "bad control frame");
                            }
                        }
                        _ => {
                            return self.connection_error(
                                id,
                                H3Error::FRAME_UNEXPECTED,
                                "frame not allowed on the control stream",
                            )
                        }
                    }
                }
                if closed {
                    self.connection_error(
                        id,
                        H3Error::CLOSED_CRITICAL_STREAM,
                        "control stream closed",
                    );
                }
            }
            UniKind::Qpack(encoder, pending) => {
                // With a table capacity of 0 these streams can carry almost nothing
                // (`qpack::check_instructions`); what is allowed changes no state.
                pending.extend_from_slice(data);
                match qpack::check_instructions(*encoder, pending) {
                    // An integer is at most a few bytes: a longer cut instruction is garbage.
                    Ok(n) if pending.len() - n <= 16 => {
                        pending.drain(..n);
                    }
                    Ok(_) => {
                        let e = if *encoder {
                            H3Error::QPACK_ENCODER_STREAM_ERROR
                        } else {
                            H3Error::QPACK_DECODER_STREAM_ERROR
                        };
                        return self.connection_error(id, e, "QPACK instruction too long");
                    }
                    Err(e) => {
                        return self.connection_error(
                            id,
                            e,
                            "QPACK instruction needs a dynamic table",
                        )
                    }
                }
                if closed {
                    self.connection_error(
                        id,
                        H3Error::CLOSED_CRITICAL_STREAM,
                        "QPACK stream closed",
                    );
                }
            }
            UniKind::Ignored | UniKind::Pending(_) => {
                if closed {
                    conn.uni.remove(&raw);
                }
            }
        }
    }

    fn stream_error(&mut self, id: ConnId, raw: u64, err: H3Error) {
        self.counters.stream_errors += 1;
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let s = stream_id(raw);
        let _ = conn.quic.send_stream(s).reset(code(err));
        let _ = conn.quic.recv_stream(s).stop(code(err));
        if let Some(req) = conn.requests.remove(&raw) {
            if req.emitted {
                self.events.push_back(H3Event::Reset {
                    id: RequestId {
                        conn: id,
                        stream: raw,
                    },
                    code: err.0,
                });
            }
        }
        self.maybe_close_drained(id);
    }

    fn on_request_bytes(
        &mut self,
        id: ConnId,
        raw: u64,
        data: &[u8],
        fin: bool,
        reset: Option<u64>,
    ) {
        let max_list = self.config.max_field_section_size;
        let rid = RequestId {
            conn: id,
            stream: raw,
        };
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let Some(req) = conn.requests.get_mut(&raw) else {
            return;
        };
        let mut items = Vec::new();
        let pushed = req.reader.push(data, &mut items);
        for item in items {
            match (&req.phase, item) {
                (
                    Phase::Head,
                    Item::Frame {
                        ty: frame::HEADERS,
                        payload,
                    },
                ) => {
                    let fields = match qpack::decode(&payload, max_list) {
                        Ok(f) => f,
                        Err(QpackError::TooLarge) => return self.headers_too_large(id, raw),
                        Err(QpackError::Decompression(why)) => {
                            return self.connection_error(
                                id,
                                H3Error::QPACK_DECOMPRESSION_FAILED,
                                why,
                            )
                        }
                    };
                    let head = match request_head(fields) {
                        Ok(h) => h,
                        Err(_) => return self.stream_error(id, raw, H3Error::MESSAGE_ERROR),
                    };
                    req.phase = Phase::Body;
                    req.content_length = head.content_length;
                    req.emitted = true;
                    self.counters.requests += 1;
                    self.events.push_back(H3Event::Request {
                        id: rid,
                        method: head.method,
                        scheme: head.scheme,
                        authority: head.authority,
                        path: head.path,
                        headers: head.headers,
                    });
                }
                (Phase::Body, Item::Data(bytes)) => {
                    req.received += bytes.len() as u64;
                    req.held += bytes.len();
                    if req.content_length.is_some_and(|c| req.received > c) {
                        return self.stream_error(id, raw, H3Error::MESSAGE_ERROR);
                    }
                    self.events.push_back(H3Event::Data {
                        id: rid,
                        bytes,
                        end: false,
                    });
                }
                (
                    Phase::Body,
                    Item::Frame {
                        ty: frame::HEADERS,
                        payload,
                    },
                ) => {
                    let fields = match qpack::decode(&payload, max_list) {
                        Ok(f) => f,
                        Err(QpackError::TooLarge) => {
                            return self.stream_error(id, raw, H3Error::EXCESSIVE_LOAD)
                        }
                        Err(QpackError::Decompression(why)) => {
                            return self.connection_error(
                                id,
                                H3Error::QPACK_DECOMPRESSION_FAILED,
                                why,
                            )
                        }
                    };
                    if check_trailers(&fields).is_err()
                        || req.content_length.is_some_and(|c| req.received != c)
                    {
                        return self.stream_error(id, raw, H3Error::MESSAGE_ERROR);
                    }
                    req.phase = Phase::Done;
                    self.events.push_back(H3Event::Trailers {
                        id: rid,
                        headers: fields,
                    });
                }
                // DATA before HEADERS, anything after trailers, control frames, PUSH_PROMISE.
                _ => {
                    return self.connection_error(
                        id,
                        H3Error::FRAME_UNEXPECTED,
                        "frame not allowed on a request stream",
                    )
                }
            }
        }
        match pushed {
            Ok(()) => {}
            Err(ReadError::TooLarge { ty: frame::HEADERS }) if req.phase == Phase::Head => {
                return self.headers_too_large(id, raw);
            }
            Err(ReadError::TooLarge { .. }) => {
                return self.stream_error(id, raw, H3Error::EXCESSIVE_LOAD)
            }
            Err(ReadError::Connection(e)) => {
                return self.connection_error(id, e, "bad frame on a request stream")
            }
        }
        if let Some(c) = reset {
            conn.requests.remove(&raw);
            let _ = conn
                .quic
                .send_stream(stream_id(raw))
                .reset(code(H3Error::REQUEST_CANCELLED));
            self.events.push_back(H3Event::Reset { id: rid, code: c });
            return self.maybe_close_drained(id);
        }
        if fin {
            if !req.reader.at_boundary() {
                return self.connection_error(
                    id,
                    H3Error::FRAME_ERROR,
                    "stream ended inside a frame",
                );
            }
            match req.phase {
                Phase::Head => return self.stream_error(id, raw, H3Error::REQUEST_INCOMPLETE),
                Phase::Body => {
                    if req.content_length.is_some_and(|c| req.received != c) {
                        return self.stream_error(id, raw, H3Error::MESSAGE_ERROR);
                    }
                    self.events.push_back(H3Event::Data {
                        id: rid,
                        bytes: Vec::new(),
                        end: true,
                    });
                }
                Phase::Done => {}
            }
            req.phase = Phase::Done;
            req.recv_closed = true;
            self.after_send(rid);
        }
    }

    /// A request head past `max_field_section_size`: answered 431, the rest not read (§4.2.2).
    fn headers_too_large(&mut self, id: ConnId, raw: u64) {
        self.counters.headers_too_large += 1;
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let Some(req) = conn.requests.get_mut(&raw) else {
            return;
        };
        let mut block = Vec::new();
        qpack::encode([(&b":status"[..], &b"431"[..])], &mut block);
        frame::write_frame(&mut req.out.buf, frame::HEADERS, &block);
        req.out.fin = true;
        req.head_sent = true;
        req.recv_closed = true;
        req.phase = Phase::Done;
        let s = stream_id(raw);
        let _ = conn.quic.recv_stream(s).stop(code(H3Error::NO_ERROR));
        flush(&mut conn.quic, s, &mut req.out);
    }

    fn on_writable(&mut self, id: ConnId, s: StreamId) {
        let raw: u64 = s.into();
        let half = self.config.max_stream_buffer / 2;
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        if let Some((cs, q)) = conn.control.as_mut() {
            if *cs == s {
                flush(&mut conn.quic, s, q);
                return;
            }
        }
        let Some(req) = conn.requests.get_mut(&raw) else {
            return;
        };
        flush(&mut conn.quic, s, &mut req.out);
        if req.want_window && req.out.buf.len() <= half {
            req.want_window = false;
            self.events.push_back(H3Event::WindowOpened {
                id: RequestId {
                    conn: id,
                    stream: raw,
                },
            });
        }
    }
}

/// A field section's size as RFC 9114 §4.2.2 counts it: names + values + 32 per field.
fn section_size(headers: &[(&[u8], &[u8])]) -> u64 {
    headers
        .iter()
        .map(|(n, v)| (n.len() + v.len() + 32) as u64)
        .sum()
}

/// Hands queued bytes to quinn (which takes what flow control and its send window allow),
/// then the FIN once all is taken. The rest waits for `StreamEvent::Writable`.
fn flush(quic: &mut quinn_proto::Connection, s: StreamId, q: &mut SendQueue) {
    while !q.buf.is_empty() {
        match quic.send_stream(s).write(&q.buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                q.buf.drain(..n);
            }
        }
    }
    if q.buf.is_empty() && q.fin && !q.fin_sent {
        // The peer's acknowledgement of the FIN arrives later as StreamEvent::Finished.
        q.fin_sent = quic.send_stream(s).finish().is_ok();
    }
}
