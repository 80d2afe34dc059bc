//! One server-side HTTP/2 connection as a deterministic state machine: bytes in, events and
//! bytes out (RFC 9113).

use std::collections::VecDeque;

use crate::config::H2Config;
use crate::fields::{check_regular, parse_request, parse_trailers, Field};
use crate::frame::{
    flag, kind, setting, strip_padding, write_goaway, write_header, write_header_block, write_ping,
    write_rst_stream, write_settings, write_settings_ack, write_window_update, ErrorCode,
    FrameHeader, DEFAULT_WINDOW, FRAME_HEADER_LEN, MAX_MAX_FRAME_SIZE, MAX_WINDOW,
    MIN_MAX_FRAME_SIZE, PREFACE,
};
use crate::hpack::{Decoder, Encoder};
use crate::stream::{SendState, Stream, StreamMap};

/// Closed stream ids remembered, so a late frame on one gets STREAM_CLOSED (peer-closed) or is
/// ignored (reset by us), rather than a PROTOCOL_ERROR for a stream never opened.
const CLOSED_MEMORY: usize = 256;
/// CONTINUATION frames one header block may take: a peer that sends endless empty ones is cut
/// off even though their bytes stay under the size bound.
const MAX_CONTINUATIONS: u32 = 128;

/// What the peer did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum H2Event {
    /// A new request. Its body follows as `Data` unless `end_stream`.
    Request {
        stream: u32,
        method: String,
        /// Empty for CONNECT.
        scheme: String,
        authority: Option<String>,
        /// Empty for CONNECT.
        path: String,
        /// Regular fields (lowercase names); cookie crumbs joined.
        headers: Vec<Field>,
        /// No body follows.
        end_stream: bool,
    },
    /// Request body bytes; hand them on, then [`H2Connection::release`] them as the consumer
    /// takes them (that opens the peer's window again).
    Data {
        stream: u32,
        bytes: Vec<u8>,
        end: bool,
    },
    /// Request trailers; the request is complete.
    Trailers { stream: u32, headers: Vec<Field> },
    /// The stream is gone: the peer reset it, or its frames broke the protocol and we reset it.
    /// Stop working on it.
    Reset { stream: u32, code: u32 },
    /// A stream that `send_data` held back may send again.
    WindowOpened { stream: u32 },
    /// The peer will open no more streams; those up to `last_stream` may finish.
    GoAway {
        last_stream: u32,
        code: u32,
        debug: Vec<u8>,
    },
    /// We closed the connection for a protocol error (GOAWAY queued): every open stream is gone.
    ConnectionError {
        code: ErrorCode,
        reason: &'static str,
    },
}

/// Why a call from the application was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// No open stream has this id (never opened, ended, or reset).
    UnknownStream,
    /// Not in this state: a head twice, data or trailers before the head, anything after the end.
    InvalidState,
    /// A status outside 100..=999, or 101 (no upgrades in HTTP/2).
    InvalidStatus,
    /// A field name not lowercase token, a value with CR/LF/NUL, or a connection-specific field.
    InvalidHeader(&'static str),
    /// The connection is closed.
    Closed,
}

/// Counters of hostile or unlucky peer behaviour, for logs and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct H2Counters {
    /// Streams the peer reset before their response ended, or made us reset (net of streams
    /// completed; the rapid-reset budget).
    pub reset_budget_used: u32,
    /// Streams refused past SETTINGS_MAX_CONCURRENT_STREAMS or after GOAWAY.
    pub refused_streams: u32,
    /// Request heads answered 431 (header list past the limit).
    pub oversized_heads: u32,
    /// Stream errors we sent (RST_STREAM for a protocol breach on one stream).
    pub stream_errors: u32,
}

enum Fault {
    Conn(ErrorCode, &'static str),
    Stream(u32, ErrorCode),
}

use Fault::{Conn, Stream as StreamFault};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reading {
    /// Bytes of the client preface matched so far.
    Preface(usize),
    /// The first frame must be SETTINGS (§3.4).
    FirstSettings,
    Frames,
    /// A connection error was sent: input is dropped.
    Closed,
}

struct Continuation {
    stream: u32,
    end_stream: bool,
    self_dependent: bool,
    block: Vec<u8>,
    frames: u32,
}

/// A server-side HTTP/2 connection (sans-IO).
pub struct H2Connection {
    config: H2Config,
    reading: Reading,
    inbuf: Vec<u8>,
    continuation: Option<Continuation>,
    decoder: Decoder,
    encoder: Encoder,
    streams: StreamMap<Stream>,
    last_stream: u32,
    /// Closed by both ends or reset by the peer: late DATA/HEADERS are STREAM_CLOSED.
    peer_closed: VecDeque<u32>,
    /// Reset by us: frames the peer sent before it saw the reset are ignored.
    locally_reset: VecDeque<u32>,
    peer_initial_window: u32,
    peer_max_frame: u32,
    send_window: i64,
    recv_window: i64,
    recv_unannounced: u32,
    settings_acked: bool,
    events: VecDeque<H2Event>,
    out: Vec<u8>,
    out_pos: usize,
    queued_control: u32,
    /// Streams refused past the concurrency limit, net of streams served to the end.
    refused_net: u32,
    counters: H2Counters,
    /// The last stream id of the GOAWAY we sent (graceful or not).
    goaway_sent: Option<u32>,
    peer_goaway: bool,
    /// Scratch for header blocks we encode.
    block: Vec<u8>,
}

impl H2Connection {
    /// A connection that has not yet seen the client preface. Our SETTINGS (the server
    /// preface) and the connection window update are queued as output at once.
    pub fn new(config: H2Config) -> Result<Self, &'static str> {
        config.validate()?;
        let mut conn = Self {
            config,
            reading: Reading::Preface(0),
            inbuf: Vec::new(),
            continuation: None,
            decoder: Decoder::new(config.header_table_size as usize),
            encoder: Encoder::new(),
            streams: StreamMap::default(),
            last_stream: 0,
            peer_closed: VecDeque::new(),
            locally_reset: VecDeque::new(),
            peer_initial_window: DEFAULT_WINDOW,
            peer_max_frame: MIN_MAX_FRAME_SIZE,
            send_window: i64::from(DEFAULT_WINDOW),
            recv_window: i64::from(config.connection_window_size),
            recv_unannounced: 0,
            settings_acked: false,
            events: VecDeque::new(),
            out: Vec::new(),
            out_pos: 0,
            queued_control: 0,
            refused_net: 0,
            counters: H2Counters::default(),
            goaway_sent: None,
            peer_goaway: false,
            block: Vec::new(),
        };
        let c = &conn.config;
        let mut params = vec![
            (setting::MAX_CONCURRENT_STREAMS, c.max_concurrent_streams),
            (setting::INITIAL_WINDOW_SIZE, c.initial_window_size),
            (setting::MAX_FRAME_SIZE, c.max_frame_size),
            (setting::MAX_HEADER_LIST_SIZE, c.max_header_list_size),
        ];
        if c.header_table_size != 4096 {
            params.push((setting::HEADER_TABLE_SIZE, c.header_table_size));
        }
        write_settings(&mut conn.out, &params);
        let grow = c.connection_window_size - DEFAULT_WINDOW;
        if grow > 0 {
            write_window_update(&mut conn.out, 0, grow);
        }
        Ok(conn)
    }

    /// The limits in force.
    pub fn config(&self) -> &H2Config {
        &self.config
    }

    // ----- input -----

    /// Bytes received from the peer (plaintext). Everything is used: a partial frame waits
    /// inside for the rest. Events become available from [`poll_event`](Self::poll_event) and
    /// replies (acks, window updates, errors) are queued as output.
    pub fn receive(&mut self, data: &[u8]) {
        if self.reading == Reading::Closed {
            return;
        }
        // Frames are read in place: from `data` itself when nothing was left over (the common
        // case, no copy), else from the leftover with `data` appended. The buffer is moved out
        // of `self` so the handlers may borrow `self` mutably while reading it.
        let mut buf = std::mem::take(&mut self.inbuf);
        if buf.is_empty() {
            let used = self.consume(data);
            buf.extend_from_slice(&data[used..]);
        } else {
            buf.extend_from_slice(data);
            let used = self.consume(&buf);
            buf.drain(..used);
        }
        if self.reading == Reading::Closed {
            buf = Vec::new();
        }
        self.inbuf = buf;
        self.announce_windows();
    }

    /// Handles every whole frame in `buf`; returns the bytes used.
    fn consume(&mut self, buf: &[u8]) -> usize {
        let mut pos = 0;
        while self.reading != Reading::Closed {
            match self.step(&buf[pos..]) {
                Ok(Some(used)) => pos += used,
                Ok(None) => break,
                // Only connection errors come here (before a frame is whole): reading stops.
                Err(fault) => self.fault(fault),
            }
        }
        pos
    }

    /// Reads one preface part or frame at the start of `buf`: bytes used, or `None` when more
    /// must arrive.
    fn step(&mut self, buf: &[u8]) -> Result<Option<usize>, Fault> {
        if let Reading::Preface(matched) = self.reading {
            let take = (PREFACE.len() - matched).min(buf.len());
            if buf[..take] != PREFACE[matched..matched + take] {
                return Err(Conn(ErrorCode::ProtocolError, "invalid connection preface"));
            }
            self.reading = if matched + take == PREFACE.len() {
                Reading::FirstSettings
            } else {
                Reading::Preface(matched + take)
            };
            return Ok(if take == 0 { None } else { Some(take) });
        }
        if buf.len() < FRAME_HEADER_LEN {
            return Ok(None);
        }
        let header = FrameHeader::parse(buf[..FRAME_HEADER_LEN].try_into().expect("9 bytes"));
        if header.len > self.config.max_frame_size {
            return Err(Conn(
                ErrorCode::FrameSizeError,
                "frame larger than SETTINGS_MAX_FRAME_SIZE",
            ));
        }
        let total = FRAME_HEADER_LEN + header.len as usize;
        if buf.len() < total {
            return Ok(None);
        }
        if self.reading == Reading::FirstSettings {
            if header.kind != kind::SETTINGS || header.has(flag::ACK) {
                return Err(Conn(
                    ErrorCode::ProtocolError,
                    "first frame is not SETTINGS",
                ));
            }
            self.reading = Reading::Frames;
        }
        // A stream error ends with the frame consumed; reading goes on with the next one.
        if let Err(fault) = self.frame(header, &buf[FRAME_HEADER_LEN..total]) {
            self.fault(fault);
        }
        Ok(Some(total))
    }

    fn frame(&mut self, h: FrameHeader, p: &[u8]) -> Result<(), Fault> {
        if let Some(c) = &self.continuation {
            if h.kind != kind::CONTINUATION || h.stream != c.stream {
                return Err(Conn(ErrorCode::ProtocolError, "header block interrupted"));
            }
        }
        match h.kind {
            kind::DATA => self.on_data(h, p),
            kind::HEADERS => self.on_headers(h, p),
            kind::PRIORITY => self.on_priority(h, p),
            kind::RST_STREAM => self.on_rst_stream(h, p),
            kind::SETTINGS => self.on_settings(h, p),
            kind::PUSH_PROMISE => Err(Conn(ErrorCode::ProtocolError, "PUSH_PROMISE from a client")),
            kind::PING => self.on_ping(h, p),
            kind::GOAWAY => self.on_goaway(h, p),
            kind::WINDOW_UPDATE => self.on_window_update(h, p),
            kind::CONTINUATION => self.on_continuation(h, p),
            // Unknown frame types are ignored (§5.5).
            _ => Ok(()),
        }
    }

    fn on_data(&mut self, h: FrameHeader, p: &[u8]) -> Result<(), Fault> {
        if h.stream == 0 {
            return Err(Conn(ErrorCode::ProtocolError, "DATA on stream 0"));
        }
        let (start, end) =
            strip_padding(&h, p).ok_or(Conn(ErrorCode::ProtocolError, "invalid padding"))?;
        let len = p.len() as i64;
        if len > self.recv_window {
            return Err(Conn(
                ErrorCode::FlowControlError,
                "connection window exceeded",
            ));
        }
        self.recv_window -= len;
        let Some(s) = self.streams.get_mut(&h.stream) else {
            self.release_connection(p.len() as u64);
            return self.on_frame_for_missing(h.stream, "DATA");
        };
        if !s.recv_open {
            self.release_connection(p.len() as u64);
            return Err(StreamFault(h.stream, ErrorCode::StreamClosed));
        }
        if len > s.recv_window {
            self.release_connection(p.len() as u64);
            return Err(StreamFault(h.stream, ErrorCode::FlowControlError));
        }
        s.recv_window -= len;
        let data = &p[start..end];
        s.received += data.len() as u64;
        let end_stream = h.has(flag::END_STREAM);
        if let Some(cl) = s.content_length {
            if s.received > cl || (end_stream && s.received != cl) {
                self.release_connection(p.len() as u64);
                return Err(StreamFault(h.stream, ErrorCode::ProtocolError));
            }
        }
        // Padding is flow-controlled but never reaches the consumer: released now.
        let pad = (p.len() - data.len()) as u32;
        s.recv_unannounced += pad;
        s.outstanding += data.len() as u64;
        if end_stream {
            s.recv_open = false;
        }
        self.recv_unannounced += pad;
        if !data.is_empty() || end_stream {
            self.events.push_back(H2Event::Data {
                stream: h.stream,
                bytes: data.to_vec(),
                end: end_stream,
            });
        }
        if end_stream {
            self.maybe_close(h.stream);
        }
        Ok(())
    }

    /// A DATA or HEADERS frame for a stream with no entry.
    fn on_frame_for_missing(&mut self, id: u32, what: &'static str) -> Result<(), Fault> {
        if id > self.last_stream || id % 2 == 0 {
            return Err(Conn(
                ErrorCode::ProtocolError,
                if what == "DATA" {
                    "DATA on an idle stream"
                } else {
                    "frame on an idle stream"
                },
            ));
        }
        if self.locally_reset.contains(&id) {
            return Ok(());
        }
        if self.peer_closed.contains(&id) {
            return Err(Conn(ErrorCode::StreamClosed, "frame on a closed stream"));
        }
        Err(Conn(
            ErrorCode::ProtocolError,
            "frame on a stream closed long ago or never opened",
        ))
    }

    fn on_headers(&mut self, h: FrameHeader, p: &[u8]) -> Result<(), Fault> {
        if h.stream == 0 {
            return Err(Conn(ErrorCode::ProtocolError, "HEADERS on stream 0"));
        }
        if h.stream % 2 == 0 {
            return Err(Conn(
                ErrorCode::ProtocolError,
                "even stream id from a client",
            ));
        }
        let (start, end) =
            strip_padding(&h, p).ok_or(Conn(ErrorCode::ProtocolError, "invalid padding"))?;
        let mut fragment = &p[start..end];
        let mut self_dependent = false;
        if h.has(flag::PRIORITY) {
            if fragment.len() < 5 {
                return Err(Conn(
                    ErrorCode::FrameSizeError,
                    "HEADERS priority truncated",
                ));
            }
            let dep = u32::from_be_bytes(fragment[..4].try_into().expect("4 bytes")) & 0x7fff_ffff;
            self_dependent = dep == h.stream;
            fragment = &fragment[5..];
        }
        let block = Continuation {
            stream: h.stream,
            end_stream: h.has(flag::END_STREAM),
            self_dependent,
            block: fragment.to_vec(),
            frames: 0,
        };
        self.check_block_size(block.block.len())?;
        if h.has(flag::END_HEADERS) {
            self.end_headers(block)
        } else {
            self.continuation = Some(block);
            Ok(())
        }
    }

    fn check_block_size(&self, len: usize) -> Result<(), Fault> {
        // Compressed fields are never larger than their decoded size plus a few bytes, so a
        // block past the list limit plus one frame can only be a flood (CONTINUATION, 2024).
        let bound = self.config.max_header_list_size as usize + self.config.max_frame_size as usize;
        if len > bound {
            return Err(Conn(ErrorCode::EnhanceYourCalm, "header block too large"));
        }
        Ok(())
    }

    fn on_continuation(&mut self, h: FrameHeader, p: &[u8]) -> Result<(), Fault> {
        let Some(mut c) = self.continuation.take() else {
            return Err(Conn(
                ErrorCode::ProtocolError,
                "CONTINUATION without HEADERS",
            ));
        };
        c.frames += 1;
        if c.frames > MAX_CONTINUATIONS {
            return Err(Conn(
                ErrorCode::EnhanceYourCalm,
                "too many CONTINUATION frames",
            ));
        }
        c.block.extend_from_slice(p);
        self.check_block_size(c.block.len())?;
        if h.has(flag::END_HEADERS) {
            self.end_headers(c)
        } else {
            self.continuation = Some(c);
            Ok(())
        }
    }

    /// A complete header block: decoded first (the table must stay in step whatever becomes
    /// of the stream), then a request, trailers, or an error.
    fn end_headers(&mut self, c: Continuation) -> Result<(), Fault> {
        let mut fields = Vec::new();
        let decoded = self
            .decoder
            .decode(
                &c.block,
                self.config.max_header_list_size as usize,
                &mut fields,
            )
            .map_err(|_| Conn(ErrorCode::CompressionError, "invalid header block"))?;
        let id = c.stream;
        if let Some(s) = self.streams.get_mut(&id) {
            if !s.recv_open {
                return Err(StreamFault(id, ErrorCode::StreamClosed));
            }
            // Trailers: they end the stream, and carry no pseudo-headers.
            if !c.end_stream || decoded.over_limit {
                return Err(StreamFault(id, ErrorCode::ProtocolError));
            }
            let headers =
                parse_trailers(fields).map_err(|_| StreamFault(id, ErrorCode::ProtocolError))?;
            if s.content_length.is_some_and(|cl| cl != s.received) {
                return Err(StreamFault(id, ErrorCode::ProtocolError));
            }
            s.recv_open = false;
            self.events.push_back(H2Event::Trailers {
                stream: id,
                headers,
            });
            self.maybe_close(id);
            return Ok(());
        }
        if id <= self.last_stream {
            return self.on_frame_for_missing(id, "HEADERS");
        }
        self.last_stream = id;
        if c.self_dependent {
            return Err(StreamFault(id, ErrorCode::ProtocolError));
        }
        if self.goaway_sent.is_some() {
            self.counters.refused_streams += 1;
            return Err(StreamFault(id, ErrorCode::RefusedStream));
        }
        if self.streams.len() >= self.config.max_concurrent_streams as usize {
            self.counters.refused_streams += 1;
            self.refused_net += 1;
            if self.refused_net > self.config.max_refused_streams {
                return Err(Conn(ErrorCode::EnhanceYourCalm, "too many streams refused"));
            }
            return Err(StreamFault(id, ErrorCode::RefusedStream));
        }
        if decoded.over_limit {
            return self.answer_431(id, c.end_stream);
        }
        let head = parse_request(fields).map_err(|_| StreamFault(id, ErrorCode::ProtocolError))?;
        if c.end_stream && head.content_length.is_some_and(|cl| cl != 0) {
            return Err(StreamFault(id, ErrorCode::ProtocolError));
        }
        let recv_window = if self.settings_acked {
            self.config.initial_window_size
        } else {
            // Until our SETTINGS is acknowledged the peer may assume the protocol default.
            self.config.initial_window_size.max(DEFAULT_WINDOW)
        };
        let mut stream = Stream::new(
            i64::from(self.peer_initial_window),
            i64::from(recv_window),
            head.content_length,
        );
        stream.recv_open = !c.end_stream;
        self.streams.insert(id, stream);
        self.events.push_back(H2Event::Request {
            stream: id,
            method: head.method,
            scheme: head.scheme,
            authority: head.authority,
            path: head.path,
            headers: head.headers,
            end_stream: c.end_stream,
        });
        Ok(())
    }

    /// A request head past the header list limit: 431, and the stream ends there.
    fn answer_431(&mut self, id: u32, end_stream: bool) -> Result<(), Fault> {
        self.counters.oversized_heads += 1;
        self.charge_reset()?;
        let mut block = Vec::new();
        self.encoder.begin_block(&mut block);
        self.encoder.encode(b":status", b"431", &mut block);
        write_header_block(
            &mut self.out,
            id,
            &block,
            true,
            self.peer_max_frame as usize,
        );
        if !end_stream {
            // The body it would send has nowhere to go.
            write_rst_stream(&mut self.out, id, ErrorCode::NoError);
            self.count_control()?;
            remember(&mut self.locally_reset, id);
        } else {
            remember(&mut self.peer_closed, id);
        }
        Ok(())
    }

    fn on_priority(&mut self, h: FrameHeader, p: &[u8]) -> Result<(), Fault> {
        if h.stream == 0 {
            return Err(Conn(ErrorCode::ProtocolError, "PRIORITY on stream 0"));
        }
        if p.len() != 5 {
            return Err(StreamFault(h.stream, ErrorCode::FrameSizeError));
        }
        let dep = u32::from_be_bytes(p[..4].try_into().expect("4 bytes")) & 0x7fff_ffff;
        if dep == h.stream {
            return Err(StreamFault(h.stream, ErrorCode::ProtocolError));
        }
        // Parsed and validated; no scheduling by priority (deprecated by RFC 9113 §5.3.2).
        Ok(())
    }

    fn on_rst_stream(&mut self, h: FrameHeader, p: &[u8]) -> Result<(), Fault> {
        if h.stream == 0 {
            return Err(Conn(ErrorCode::ProtocolError, "RST_STREAM on stream 0"));
        }
        if p.len() != 4 {
            return Err(Conn(
                ErrorCode::FrameSizeError,
                "RST_STREAM length is not 4",
            ));
        }
        if h.stream > self.last_stream || h.stream % 2 == 0 {
            return Err(Conn(
                ErrorCode::ProtocolError,
                "RST_STREAM on an idle stream",
            ));
        }
        let code = u32::from_be_bytes(p.try_into().expect("4 bytes"));
        if let Some(s) = self.streams.remove(&h.stream) {
            let unfinished = s.send != SendState::Closed;
            self.release_connection(s.outstanding);
            remember(&mut self.peer_closed, h.stream);
            self.events.push_back(H2Event::Reset {
                stream: h.stream,
                code,
            });
            if unfinished {
                self.charge_reset()?;
            }
        }
        Ok(())
    }

    fn on_settings(&mut self, h: FrameHeader, p: &[u8]) -> Result<(), Fault> {
        if h.stream != 0 {
            return Err(Conn(ErrorCode::ProtocolError, "SETTINGS on a stream"));
        }
        if h.has(flag::ACK) {
            if !p.is_empty() {
                return Err(Conn(
                    ErrorCode::FrameSizeError,
                    "SETTINGS ACK with a payload",
                ));
            }
            if !self.settings_acked {
                self.settings_acked = true;
                // Streams opened before the ack got the default window; now ours applies.
                let delta = i64::from(self.config.initial_window_size) - i64::from(DEFAULT_WINDOW);
                if delta < 0 {
                    for s in self.streams.values_mut() {
                        s.recv_window += delta;
                    }
                }
            }
            return Ok(());
        }
        if p.len() % 6 != 0 {
            return Err(Conn(
                ErrorCode::FrameSizeError,
                "SETTINGS length not a multiple of 6",
            ));
        }
        for param in p.chunks_exact(6) {
            let id = u16::from_be_bytes([param[0], param[1]]);
            let value = u32::from_be_bytes([param[2], param[3], param[4], param[5]]);
            match id {
                setting::HEADER_TABLE_SIZE => self.encoder.set_peer_max_table_size(value as usize),
                setting::ENABLE_PUSH if value > 1 => {
                    return Err(Conn(ErrorCode::ProtocolError, "ENABLE_PUSH not 0 or 1"));
                }
                setting::INITIAL_WINDOW_SIZE => {
                    if i64::from(value) > MAX_WINDOW {
                        return Err(Conn(
                            ErrorCode::FlowControlError,
                            "INITIAL_WINDOW_SIZE above 2^31-1",
                        ));
                    }
                    let delta = i64::from(value) - i64::from(self.peer_initial_window);
                    self.peer_initial_window = value;
                    for s in self.streams.values_mut() {
                        s.send_window += delta;
                        if s.send_window > MAX_WINDOW {
                            return Err(Conn(
                                ErrorCode::FlowControlError,
                                "stream window above 2^31-1",
                            ));
                        }
                    }
                }
                setting::MAX_FRAME_SIZE => {
                    if !(MIN_MAX_FRAME_SIZE..=MAX_MAX_FRAME_SIZE).contains(&value) {
                        return Err(Conn(
                            ErrorCode::ProtocolError,
                            "MAX_FRAME_SIZE out of range",
                        ));
                    }
                    self.peer_max_frame = value;
                }
                // MAX_CONCURRENT_STREAMS bounds pushes, which a server here never makes;
                // MAX_HEADER_LIST_SIZE is advisory; unknown settings are ignored (§6.5.2).
                _ => {}
            }
        }
        write_settings_ack(&mut self.out);
        self.count_control()?;
        self.notify_open_windows();
        Ok(())
    }

    fn on_ping(&mut self, h: FrameHeader, p: &[u8]) -> Result<(), Fault> {
        if h.stream != 0 {
            return Err(Conn(ErrorCode::ProtocolError, "PING on a stream"));
        }
        if p.len() != 8 {
            return Err(Conn(ErrorCode::FrameSizeError, "PING length is not 8"));
        }
        if !h.has(flag::ACK) {
            write_ping(&mut self.out, true, p.try_into().expect("8 bytes"));
            self.count_control()?;
        }
        Ok(())
    }

    fn on_goaway(&mut self, h: FrameHeader, p: &[u8]) -> Result<(), Fault> {
        if h.stream != 0 {
            return Err(Conn(ErrorCode::ProtocolError, "GOAWAY on a stream"));
        }
        if p.len() < 8 {
            return Err(Conn(ErrorCode::FrameSizeError, "GOAWAY shorter than 8"));
        }
        if self.peer_goaway {
            // A server opens no streams, so a later GOAWAY changes nothing; not queueing an
            // event for each keeps a GOAWAY flood from growing the queue.
            return Ok(());
        }
        self.peer_goaway = true;
        self.events.push_back(H2Event::GoAway {
            last_stream: u32::from_be_bytes(p[..4].try_into().expect("4 bytes")) & 0x7fff_ffff,
            code: u32::from_be_bytes(p[4..8].try_into().expect("4 bytes")),
            // Bounded by the frame size; kept short for logs.
            debug: p[8..].iter().take(256).copied().collect(),
        });
        Ok(())
    }

    fn on_window_update(&mut self, h: FrameHeader, p: &[u8]) -> Result<(), Fault> {
        if p.len() != 4 {
            return Err(Conn(
                ErrorCode::FrameSizeError,
                "WINDOW_UPDATE length is not 4",
            ));
        }
        let inc = i64::from(u32::from_be_bytes(p.try_into().expect("4 bytes")) & 0x7fff_ffff);
        if h.stream == 0 {
            if inc == 0 {
                return Err(Conn(ErrorCode::ProtocolError, "WINDOW_UPDATE of 0"));
            }
            self.send_window += inc;
            if self.send_window > MAX_WINDOW {
                return Err(Conn(
                    ErrorCode::FlowControlError,
                    "connection window above 2^31-1",
                ));
            }
            self.notify_open_windows();
            return Ok(());
        }
        if h.stream > self.last_stream || h.stream % 2 == 0 {
            return Err(Conn(
                ErrorCode::ProtocolError,
                "WINDOW_UPDATE on an idle stream",
            ));
        }
        let Some(s) = self.streams.get_mut(&h.stream) else {
            // A window update may cross our END_STREAM or reset: ignored.
            return Ok(());
        };
        if inc == 0 {
            return Err(StreamFault(h.stream, ErrorCode::ProtocolError));
        }
        s.send_window += inc;
        if s.send_window > MAX_WINDOW {
            return Err(StreamFault(h.stream, ErrorCode::FlowControlError));
        }
        self.notify_open_windows();
        Ok(())
    }

    // ----- faults and bookkeeping -----

    fn fault(&mut self, fault: Fault) {
        match fault {
            Conn(code, reason) => self.connection_error(code, reason),
            StreamFault(id, code) => {
                self.counters.stream_errors += 1;
                self.reset_stream(id, code, true);
                if let Err(Conn(code, reason)) = self.charge_reset() {
                    self.connection_error(code, reason);
                }
            }
        }
    }

    fn connection_error(&mut self, code: ErrorCode, reason: &'static str) {
        if self.reading == Reading::Closed {
            return;
        }
        let last = self
            .goaway_sent
            .map_or(self.last_stream, |l| l.min(self.last_stream));
        write_goaway(&mut self.out, last, code, reason.as_bytes());
        self.goaway_sent = Some(last);
        self.reading = Reading::Closed;
        self.continuation = None;
        self.streams.clear();
        self.events
            .push_back(H2Event::ConnectionError { code, reason });
    }

    /// Sends RST_STREAM and forgets the stream; `tell` queues a Reset event for the consumer
    /// when it knew the stream.
    fn reset_stream(&mut self, id: u32, code: ErrorCode, tell: bool) {
        write_rst_stream(&mut self.out, id, code);
        if let Some(s) = self.streams.remove(&id) {
            self.release_connection(s.outstanding);
            if tell {
                self.events.push_back(H2Event::Reset {
                    stream: id,
                    code: code as u32,
                });
            }
        }
        remember(&mut self.locally_reset, id);
        if let Err(Conn(code, reason)) = self.count_control() {
            self.connection_error(code, reason);
        }
    }

    /// One more stream reset before its end (rapid reset and its kin): past the budget, the
    /// connection is closed with ENHANCE_YOUR_CALM.
    fn charge_reset(&mut self) -> Result<(), Fault> {
        self.counters.reset_budget_used += 1;
        if self.counters.reset_budget_used > self.config.max_reset_streams {
            return Err(Conn(ErrorCode::EnhanceYourCalm, "too many streams reset"));
        }
        Ok(())
    }

    fn count_control(&mut self) -> Result<(), Fault> {
        self.queued_control += 1;
        if self.queued_control > self.config.max_queued_control_frames {
            return Err(Conn(
                ErrorCode::EnhanceYourCalm,
                "control frames queued past the limit",
            ));
        }
        Ok(())
    }

    /// Our side ended. If the request has not, the client is asked to stop sending without
    /// error (RST_STREAM NO_ERROR, §8.1), so a client that never ends cannot pin the stream;
    /// the consumer gets `Reset` to end the request body it was reading.
    fn end_sent(&mut self, id: u32) {
        if self.streams.get(&id).is_some_and(|s| s.recv_open) {
            self.reset_stream(id, ErrorCode::NoError, true);
        } else {
            self.maybe_close(id);
        }
    }

    fn maybe_close(&mut self, id: u32) {
        if self.streams.get(&id).is_some_and(Stream::is_done) {
            let s = self.streams.remove(&id).expect("present");
            self.release_connection(s.outstanding);
            remember(&mut self.peer_closed, id);
            // A stream served to the end pays back one reset and one refusal of the budgets.
            self.counters.reset_budget_used = self.counters.reset_budget_used.saturating_sub(1);
            self.refused_net = self.refused_net.saturating_sub(1);
        }
    }

    fn release_connection(&mut self, n: u64) {
        self.recv_unannounced = self
            .recv_unannounced
            .saturating_add(n.min(u64::from(u32::MAX)) as u32);
    }

    /// Queues the window updates that released bytes have earned: half a window at a time, so
    /// a reader that takes bytes one by one does not cost a frame each.
    fn announce_windows(&mut self) {
        if self.reading == Reading::Closed {
            return;
        }
        let conn_target = i64::from(self.config.connection_window_size);
        if self.recv_unannounced > 0 && i64::from(self.recv_unannounced) >= conn_target / 2 {
            write_window_update(&mut self.out, 0, self.recv_unannounced);
            self.recv_window += i64::from(self.recv_unannounced);
            self.recv_unannounced = 0;
        }
        let stream_target = i64::from(self.config.initial_window_size);
        for (&id, s) in self.streams.iter_mut() {
            if s.recv_open
                && s.recv_unannounced > 0
                && i64::from(s.recv_unannounced) >= stream_target / 2
            {
                write_window_update(&mut self.out, id, s.recv_unannounced);
                s.recv_window += i64::from(s.recv_unannounced);
                s.recv_unannounced = 0;
            }
        }
    }

    fn notify_open_windows(&mut self) {
        let room = self.output_room() as i64;
        if self.send_window <= 0 || room <= 0 {
            return;
        }
        for (&id, s) in self.streams.iter_mut() {
            if s.blocked && s.send_window > 0 {
                s.blocked = false;
                self.events.push_back(H2Event::WindowOpened { stream: id });
            }
        }
    }

    fn output_room(&self) -> usize {
        (self.config.max_buffered_output as usize).saturating_sub(self.out.len() - self.out_pos)
    }

    // ----- output to the application -----

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<H2Event> {
        self.events.pop_front()
    }

    /// Whether [`poll_event`](Self::poll_event) has something.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Bytes to write to the socket.
    pub fn pending_output(&self) -> &[u8] {
        &self.out[self.out_pos..]
    }

    /// Whether there is output to write.
    pub fn wants_write(&self) -> bool {
        self.out_pos < self.out.len()
    }

    /// Marks `n` bytes of [`pending_output`](Self::pending_output) as written. Streams held
    /// back by a full output buffer get `WindowOpened` once there is room.
    pub fn consume_output(&mut self, n: usize) {
        self.out_pos = (self.out_pos + n).min(self.out.len());
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
            self.queued_control = 0;
        } else if self.out_pos > self.out.len() / 2 {
            self.out.drain(..self.out_pos);
            self.out_pos = 0;
        }
        self.notify_open_windows();
    }

    /// Whether the socket should still be read (false after a connection error).
    pub fn wants_read(&self) -> bool {
        self.reading != Reading::Closed
    }

    /// The connection's work is over: flush [`pending_output`](Self::pending_output), then
    /// close the socket. True after a connection error, or after a GOAWAY (ours or the peer's)
    /// once every stream has ended.
    pub fn is_done(&self) -> bool {
        self.reading == Reading::Closed
            || ((self.goaway_sent.is_some() || self.peer_goaway)
                && self.streams.is_empty()
                && self.continuation.is_none())
    }

    /// Open streams (open or half-closed).
    pub fn open_streams(&self) -> usize {
        self.streams.len()
    }

    /// Bytes the peer may still send on the connection before a window update (for tests).
    #[cfg(test)]
    pub(crate) fn recv_window_left(&self) -> i64 {
        self.recv_window
    }

    /// Counters of hostile behaviour seen so far.
    pub fn counters(&self) -> H2Counters {
        self.counters
    }

    // ----- calls from the application -----

    /// Sends a response head. `headers` are regular fields, lowercase; a 1xx head may precede
    /// the final one. `end` ends the stream (no body).
    pub fn send_headers(
        &mut self,
        stream: u32,
        status: u16,
        headers: &[(&[u8], &[u8])],
        end: bool,
    ) -> Result<(), SendError> {
        if !(100..=999).contains(&status) || status == 101 {
            return Err(SendError::InvalidStatus);
        }
        let informational = status < 200;
        if informational && end {
            return Err(SendError::InvalidState);
        }
        let s = self.open_stream(stream)?;
        if s.send != SendState::Idle {
            return Err(SendError::InvalidState);
        }
        check_fields(headers)?;
        let mut digits = [0u8; 3];
        digits[0] = b'0' + (status / 100) as u8;
        digits[1] = b'0' + (status / 10 % 10) as u8;
        digits[2] = b'0' + (status % 10) as u8;
        self.write_block(stream, Some(&digits), headers, end);
        let s = self.streams.get_mut(&stream).expect("checked");
        if !informational {
            s.send = if end {
                SendState::Closed
            } else {
                SendState::Open
            };
        }
        if end {
            self.end_sent(stream);
        }
        Ok(())
    }

    /// Sends response trailers; they end the stream.
    pub fn send_trailers(
        &mut self,
        stream: u32,
        headers: &[(&[u8], &[u8])],
    ) -> Result<(), SendError> {
        let s = self.open_stream(stream)?;
        if s.send != SendState::Open {
            return Err(SendError::InvalidState);
        }
        check_fields(headers)?;
        self.write_block(stream, None, headers, true);
        self.streams.get_mut(&stream).expect("checked").send = SendState::Closed;
        self.end_sent(stream);
        Ok(())
    }

    /// Bytes `send_data` would accept on `stream` now: the smaller of the stream's and the
    /// connection's send windows and the room left in the output buffer. `sendFile` reads that
    /// many bytes of the file and hands them to `send_data`.
    pub fn send_capacity(&self, stream: u32) -> usize {
        let Some(s) = self.streams.get(&stream) else {
            return 0;
        };
        if s.send != SendState::Open || self.reading == Reading::Closed {
            return 0;
        }
        let window = s.send_window.min(self.send_window).max(0) as usize;
        window.min(self.output_room())
    }

    /// Sends body bytes and returns how many were taken: as many as the windows and the output
    /// buffer allow, framed at the peer's max frame size. The rest is the caller's to keep;
    /// a [`H2Event::WindowOpened`] tells when to offer it again (the JS `write()` returns false
    /// until then). `end` ends the stream once every byte is taken (an empty `data` with `end`
    /// always goes).
    pub fn send_data(&mut self, stream: u32, data: &[u8], end: bool) -> Result<usize, SendError> {
        let s = self.open_stream(stream)?;
        if s.send != SendState::Open {
            return Err(SendError::InvalidState);
        }
        let take = data.len().min(self.send_capacity(stream));
        let all = take == data.len();
        let max_frame = self.peer_max_frame as usize;
        let mut chunks = data[..take].chunks(max_frame).peekable();
        if take == 0 && all && end {
            write_header(&mut self.out, 0, kind::DATA, flag::END_STREAM, stream);
        }
        while let Some(chunk) = chunks.next() {
            let last = chunks.peek().is_none();
            let f = if last && all && end {
                flag::END_STREAM
            } else {
                0
            };
            write_header(&mut self.out, chunk.len(), kind::DATA, f, stream);
            self.out.extend_from_slice(chunk);
        }
        self.send_window -= take as i64;
        let s = self.streams.get_mut(&stream).expect("checked");
        s.send_window -= take as i64;
        if !all {
            s.blocked = true;
        } else if end {
            s.send = SendState::Closed;
            self.end_sent(stream);
        }
        Ok(take)
    }

    /// The consumer took `n` body bytes of `stream`: they count toward a window update (sent
    /// once half a window is released). Releasing after the stream ended is a no-op.
    pub fn release(&mut self, stream: u32, n: usize) {
        let Some(s) = self.streams.get_mut(&stream) else {
            return;
        };
        let n = (n as u64).min(s.outstanding);
        s.outstanding -= n;
        s.recv_unannounced = s.recv_unannounced.saturating_add(n as u32);
        self.release_connection(n);
        self.announce_windows();
    }

    /// Resets a stream (the application gave up on it: `CANCEL`, `INTERNAL_ERROR`…).
    pub fn reset(&mut self, stream: u32, code: ErrorCode) -> Result<(), SendError> {
        self.open_stream(stream)?;
        self.reset_stream(stream, code, false);
        Ok(())
    }

    /// Graceful shutdown: GOAWAY(NO_ERROR) naming the last stream accepted; later streams are
    /// refused, open ones finish, then [`is_done`](Self::is_done) turns true.
    pub fn shutdown(&mut self) {
        if self.goaway_sent.is_some() || self.reading == Reading::Closed {
            return;
        }
        write_goaway(&mut self.out, self.last_stream, ErrorCode::NoError, b"");
        self.goaway_sent = Some(self.last_stream);
    }

    fn open_stream(&self, stream: u32) -> Result<&Stream, SendError> {
        if self.reading == Reading::Closed {
            return Err(SendError::Closed);
        }
        self.streams.get(&stream).ok_or(SendError::UnknownStream)
    }

    fn write_block(
        &mut self,
        stream: u32,
        status: Option<&[u8; 3]>,
        headers: &[(&[u8], &[u8])],
        end: bool,
    ) {
        let mut block = std::mem::take(&mut self.block);
        block.clear();
        self.encoder.begin_block(&mut block);
        if let Some(status) = status {
            self.encoder.encode(b":status", status, &mut block);
        }
        for (name, value) in headers {
            self.encoder.encode(name, value, &mut block);
        }
        write_header_block(
            &mut self.out,
            stream,
            &block,
            end,
            self.peer_max_frame as usize,
        );
        self.block = block;
    }
}

fn check_fields(headers: &[(&[u8], &[u8])]) -> Result<(), SendError> {
    for (name, value) in headers {
        check_regular(name, value).map_err(SendError::InvalidHeader)?;
    }
    Ok(())
}

fn remember(list: &mut VecDeque<u32>, id: u32) {
    if list.len() == CLOSED_MEMORY {
        list.pop_front();
    }
    list.push_back(id);
}
