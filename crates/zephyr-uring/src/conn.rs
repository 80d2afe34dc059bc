//! One HTTP/1.1 connection as a state machine, apart from the ring: bytes in (`on_data`), events
//! out (an [`EventSink`]), response bytes queued in request order ([`ResponseQueue`]). The server
//! turns its flags into submissions, which keeps everything here testable without a socket.

use crate::http1::{
    keep_alive_hint_secs, parse_request_head, BodyFraming, ChunkedDecoder, Decoded, HeadLimits,
    RequestFacts, RequestHead, ResponseWriter, Status, Version,
};
use crate::protocol::commands::{Fields, ResponseStart, WriteFlags};
use crate::send::{ExternalBytes, ResponseQueue};
use crate::ws::{MessageStore, PlacedMessage};

mod state;
use state::ConnState;

/// Body bytes of a response: copied from a borrowed slice, or sent from their owner's memory.
pub enum Payload<'a> {
    Bytes(&'a [u8]),
    External(Box<dyn ExternalBytes>),
}

impl Payload<'_> {
    fn len(&self) -> usize {
        match self {
            Payload::Bytes(b) => b.len(),
            Payload::External(e) => e.bytes().len(),
        }
    }
}

/// Names a connection across the boundary: the slot index and the slot's generation, so that a
/// command for a connection that has gone is recognised and dropped rather than applied to the
/// connection that reused its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId {
    pub index: u32,
    pub gen: u32,
}

/// A request head as parsed, for the sink to copy out what it needs.
pub struct RequestEvent<'a> {
    /// The buffer the spans in `head` index.
    pub buf: &'a [u8],
    pub head: &'a RequestHead,
    /// The whole body when it was already received (small Content-Length bodies); `None` when
    /// there is no body or it follows in `body` events.
    pub body: Option<&'a [u8]>,
    /// Whether body events follow.
    pub body_follows: bool,
}

/// Where a connection's parsed requests and state changes go (the JS bridge, or a Rust handler).
pub trait EventSink {
    /// A new request. Returns `false` when there is no room now; the connection keeps the bytes
    /// and offers the request again on the next `Server::process`.
    fn request(&mut self, conn: ConnId, seq: u32, req: &RequestEvent<'_>) -> bool;
    /// Whether a body event of `bytes` fits now; when not, the connection keeps the bytes and
    /// offers them again on the next `Server::process`.
    fn has_room(&self, bytes: usize) -> bool;
    /// A piece of the body of request `seq` (`last`: the body is complete, `chunk` may be empty).
    /// Only called after `has_room` said yes.
    fn body(&mut self, conn: ConnId, seq: u32, chunk: &[u8], last: bool);
    /// The body of request `seq` failed (413 too large, 408 too slow, 400 malformed chunking).
    fn body_error(&mut self, conn: ConnId, seq: u32, status: u16);
    /// The connection is gone while requests were still open: they are aborted.
    fn aborted(&mut self, conn: ConnId);
    /// One request of a multiplexed connection (an HTTP/2 stream, `seq` its id) is gone: the
    /// peer reset it, or it failed; the connection and its other requests go on.
    fn stream_aborted(&mut self, _conn: ConnId, _seq: u32) {}
    /// Response `seq`, which asked for it, is at the head of the line and everything queued
    /// before and of it has been sent: its writer may write again.
    fn drained(&mut self, conn: ConnId, seq: u32);
    /// The file body of response `seq` has been sent (`error` 0) or failed (a negative errno).
    fn file_sent(&mut self, conn: ConnId, seq: u32, error: i32);
    /// Whether a WebSocket message piece of `bytes` fits now. A piece is one record of its own
    /// length (no chunked framing to expand), so sinks that can tell say so exactly.
    fn has_room_for_ws(&self, bytes: usize) -> bool {
        self.has_room(bytes)
    }
    /// A piece of a message on WebSocket connection `conn` (upgraded by request `seq`); `last`:
    /// the message is complete. Only called after `has_room_for_ws` said yes.
    fn ws_message(&mut self, _conn: ConnId, _seq: u32, _chunk: &[u8], _binary: bool, _last: bool) {}
    /// WebSocket connection `conn` ended with `code` and `reason` (once per connection).
    fn ws_close(&mut self, _conn: ConnId, _seq: u32, _code: u16, _reason: &[u8]) {}
    /// A store of `len` bytes for a WebSocket message about to be received, when this sink
    /// delivers such messages from memory of its own ([`crate::ws::MessageStore`]); `None`: the
    /// message comes in pieces through [`ws_message`](Self::ws_message).
    fn ws_place(&mut self, _len: usize) -> Option<Box<dyn MessageStore>> {
        None
    }
    /// Whether the record of a message from [`ws_place`](Self::ws_place) fits now.
    fn has_room_for_placed(&self) -> bool {
        self.has_room_for_ws(0)
    }
    /// A whole message received into a store from [`ws_place`](Self::ws_place). Only called
    /// after `has_room_for_placed` said yes.
    fn ws_placed(&mut self, conn: ConnId, seq: u32, message: PlacedMessage, binary: bool) {
        self.ws_message(conn, seq, message.bytes(), binary, true);
    }
}

/// Limits the connection enforces itself (the head limits go to the parser).
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    pub head: HeadLimits,
    pub max_body_bytes: u64,
    pub header_timeout_ms: u64,
    pub keep_alive_timeout_ms: u64,
    pub request_timeout_ms: u64,
    /// Requests parsed and not yet answered before parsing pauses (bounds pipelining memory).
    pub max_pipelined: usize,
    /// Unsent response bytes past which no further pipelined request is parsed.
    pub max_unsent_bytes: usize,
    /// Output waiting this long without a byte accepted by the peer: the connection is dropped.
    pub write_timeout_ms: u64,
}

/// A body larger than this is never delivered inline with its head.
pub const INLINE_BODY_MAX: usize = 64 * 1024;
/// How long an application whose request body failed has to answer before the engine does.
pub const ANSWER_GRACE_MS: u64 = 1000;
/// Largest body chunk in one event.
pub const BODY_CHUNK_MAX: usize = 64 * 1024;

enum BodyState {
    None,
    Length { seq: u32, remaining: u64 },
    Chunked { seq: u32, decoder: ChunkedDecoder },
}

/// Where the connection stands after a request that asked for a protocol upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Takeover {
    /// Plain HTTP/1.
    None,
    /// Request `seq` asked to upgrade: nothing after it is parsed until its answer says whether
    /// the connection is handed over (101) or stays HTTP/1 (anything else).
    Pending(u32),
    /// Answered 101: the bytes that follow belong to the new protocol and are never parsed as
    /// HTTP. (No protocol takes them yet, so they are read, to see the peer's close, and dropped;
    /// this is the seam where a WebSocket or h2c session takes the connection over.)
    Upgraded,
}

/// What the deadline, when it passes, does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    None,
    /// Waiting for a head: 408 and close.
    Head(u64),
    /// Waiting for the rest of a body: 408 and close.
    Body(u64),
    /// A body failed and the application has not answered yet: the engine answers.
    Answer(u64),
    /// Idle keep-alive: close silently.
    Idle(u64),
}

/// One accepted connection.
pub struct Conn {
    id: ConnId,
    /// Unparsed bytes kept across receives (a request split over packets, or pipelined requests
    /// the sink had no room for).
    input: Vec<u8>,
    head: RequestHead,
    body: BodyState,
    responses: ResponseQueue,
    /// How far requests are read, why input waits, pause and shutdown orders.
    state: ConnState,
    deadline: Deadline,
    /// When the current request's first byte arrived (or the connection, for the first): the
    /// request timeout counts from here, head and body together.
    request_started: u64,
    /// Whether any request has been seen (the first waits on the header timeout from accept).
    served: bool,
    /// Request `seq` was sent `Expect: 100-continue` and no 100 has gone out yet.
    expecting: Option<u32>,
    /// Reused for response heads and chunk framing.
    scratch: Vec<u8>,
    /// The body of this request failed with this status: its response closes the connection.
    failed: Option<(u32, u16)>,
    /// When output last moved (a send accepted bytes) or was last seen all sent.
    last_progress: u64,
    takeover: Takeover,
}

/// What a connection asks of the server after an event.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Wants {
    pub close_now: bool,
}

/// Renders the engine's own error answer, which closes the connection: a small RFC 9457 problem
/// document (`{"type":"about:blank","title":…,"status":…}`), the same bytes the node engine
/// sends (`packages/uring/src/engine-problem.ts`; the conformance suite compares them).
pub fn error_response(status: u16, date: &[u8]) -> Vec<u8> {
    let reason = crate::http1::reason_phrase(status);
    let body = problem_json(status);
    let mut out = Vec::with_capacity(192 + body.len());
    out.extend_from_slice(
        format!(
            "HTTP/1.1 {status} {reason}\r\nconnection: close\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\ndate: ",
            body.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(date);
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body.as_bytes());
    out
}

/// The body of the engine's own error answer (an RFC 9457 problem document), for every protocol.
pub fn problem_json(status: u16) -> String {
    let reason = crate::http1::reason_phrase(status);
    format!(r#"{{"type":"about:blank","title":"{reason}","status":{status}}}"#)
}

impl Conn {
    pub fn new(id: ConnId, now: u64, limits: &ConnLimits) -> Conn {
        Conn {
            id,
            input: Vec::new(),
            head: RequestHead::new(),
            body: BodyState::None,
            responses: ResponseQueue::default(),
            state: ConnState::new(),
            deadline: Deadline::Head(now + limits.header_timeout_ms),
            request_started: now,
            served: false,
            expecting: None,
            scratch: Vec::new(),
            failed: None,
            last_progress: now,
            takeover: Takeover::None,
        }
    }

    /// Whether the connection should keep receiving.
    pub fn wants_recv(&self, limits: &ConnLimits) -> bool {
        // Input waiting for the pipeline to drain is capped (one largest head plus 64 KiB): past
        // that the socket is not read, so a client pipelining faster than the handlers answer
        // is held back by TCP instead of growing our buffer.
        let input_full = self.input.len() >= limits.head.max_head_bytes + 64 * 1024;
        self.state.wants_recv(input_full, self.body_pending())
    }

    /// Whether a request body is still arriving.
    pub fn body_pending(&self) -> bool {
        !matches!(self.body, BodyState::None)
    }

    /// Bytes received from the socket.
    pub fn on_data(
        &mut self,
        data: &[u8],
        sink: &mut dyn EventSink,
        limits: &ConnLimits,
        date: &[u8],
        now: u64,
    ) {
        if self.state.halted() || self.takeover == Takeover::Upgraded {
            return;
        }
        if self.input.is_empty() {
            // The common case: whole requests in one receive are parsed straight from the
            // kernel's buffer, and only an unfinished tail is copied.
            let used = self.drive(data, sink, limits, date, now);
            if !self.state.halted() {
                self.input.extend_from_slice(&data[used..]);
            }
        } else {
            self.input.extend_from_slice(data);
            self.resume(sink, limits, date, now);
        }
    }

    /// Parses what is buffered (after a stall, a resumed read, or answered pipelined requests).
    pub fn resume(&mut self, sink: &mut dyn EventSink, limits: &ConnLimits, date: &[u8], now: u64) {
        self.state.begin_retry();
        if self.state.halted() || self.input.is_empty() {
            return;
        }
        let input = std::mem::take(&mut self.input);
        let used = self.drive(&input, sink, limits, date, now);
        self.input = input;
        self.input.drain(..used);
        if self.input.capacity() > 64 * 1024 && self.input.len() < 4096 {
            self.input.shrink_to(4096);
        }
    }

    /// Whether buffered input waits to be parsed once the pipeline has room.
    pub fn has_input(&self) -> bool {
        !self.input.is_empty()
    }

    /// Answers `status` after the responses already queued, then closes; nothing more is parsed.
    pub fn halt(&mut self, status: u16, date: &[u8]) {
        self.state.halt();
        self.input = Vec::new();
        let seq = self.responses.open();
        self.responses
            .write(seq, &error_response(status, date), true, true);
    }

    /// Parses requests and body bytes from `buf`; returns how many bytes were used.
    fn drive(
        &mut self,
        buf: &[u8],
        sink: &mut dyn EventSink,
        limits: &ConnLimits,
        date: &[u8],
        now: u64,
    ) -> usize {
        let mut pos = 0;
        loop {
            if !self.state.parses() || self.responses.closing() {
                return pos;
            }
            let rest = &buf[pos..];
            match &mut self.body {
                BodyState::None => {
                    if rest.is_empty() {
                        return pos;
                    }
                    if !self.state.accepts_requests() {
                        // The last request (no keep-alive) is in: whatever follows is dropped.
                        return buf.len();
                    }
                    if matches!(self.takeover, Takeover::Pending(_)) {
                        // Not HTTP until the upgrade is answered: hold the bytes unparsed.
                        return pos;
                    }
                    // Pipelining is bounded twice: by requests awaiting an answer, and by answers
                    // the client has not read yet (a client that sends but never reads must not
                    // make us queue response after response).
                    if self.state.stalled() {
                        return pos;
                    }
                    if self.responses.open_count() >= limits.max_pipelined
                        || self.responses.pending_bytes() > limits.max_unsent_bytes
                    {
                        self.state.block_pipeline();
                        return pos;
                    }
                    if matches!(self.deadline, Deadline::Idle(_) | Deadline::None) {
                        self.deadline = Deadline::Head(now + limits.header_timeout_ms);
                        self.request_started = now;
                    }
                    match parse_request_head(rest, &limits.head, &mut self.head) {
                        Ok(Status::Partial) => return pos,
                        Err(err) => {
                            self.halt(err.status(), date);
                            return buf.len();
                        }
                        Ok(Status::Complete) => {
                            if let Some(used) = self.dispatch(rest, sink, limits, date) {
                                pos += used;
                            } else {
                                return pos;
                            }
                        }
                    }
                }
                BodyState::Length { seq, remaining } => {
                    if rest.is_empty() {
                        return pos;
                    }
                    let seq = *seq;
                    let n = (*remaining)
                        .min(rest.len() as u64)
                        .min(BODY_CHUNK_MAX as u64) as usize;
                    if !sink.has_room(n) {
                        self.state.stall();
                        return pos;
                    }
                    let last = n as u64 == *remaining;
                    sink.body(self.id, seq, &rest[..n], last);
                    *remaining -= n as u64;
                    pos += n;
                    if last {
                        self.body_done(seq);
                    }
                }
                BodyState::Chunked { seq, decoder } => {
                    if rest.is_empty() {
                        return pos;
                    }
                    let seq = *seq;
                    let window = &rest[..rest.len().min(BODY_CHUNK_MAX)];
                    // The decoder cannot be rewound, so room for the whole window is asked first.
                    if !sink.has_room(window.len()) {
                        self.state.stall();
                        return pos;
                    }
                    let id = self.id;
                    let result =
                        decoder.decode(window, &mut |run: &[u8]| sink.body(id, seq, run, false));
                    let result = match result {
                        Ok(_) if decoder.body_len() > limits.max_body_bytes => Err(413),
                        other => other.map_err(|e| e.status()),
                    };
                    match result {
                        Err(status) => {
                            sink.body_error(self.id, seq, status);
                            self.fail_body(seq, status, now);
                            return buf.len();
                        }
                        Ok(Decoded { consumed, done }) => {
                            pos += consumed;
                            if done {
                                sink.body(self.id, seq, &[], true);
                                self.body_done(seq);
                            } else if consumed == 0 {
                                return pos;
                            }
                        }
                    }
                }
            }
        }
    }

    /// Hands a complete head to the sink; `None` when the sink had no room.
    fn dispatch(
        &mut self,
        rest: &[u8],
        sink: &mut dyn EventSink,
        limits: &ConnLimits,
        date: &[u8],
    ) -> Option<usize> {
        let head_len = self.head.head_len;
        let seq = self.responses.next_seq();
        let (inline, follows) = match self.head.body {
            BodyFraming::None => (Some(&rest[..0]), false),
            BodyFraming::Length(n) if n > limits.max_body_bytes => {
                self.halt(413, date);
                return Some(rest.len());
            }
            BodyFraming::Length(n)
                if n as usize <= INLINE_BODY_MAX && rest.len() - head_len >= n as usize =>
            {
                (Some(&rest[head_len..head_len + n as usize]), false)
            }
            _ => (None, true),
        };
        if self.head.body == BodyFraming::Chunked && rest.len() > head_len {
            // Chunk framing that arrived with the head is checked before the application sees
            // the request, so a malformed body is refused like a malformed head (handler never
            // runs), as llhttp-based servers do. A throwaway decoder leaves the real decode for later.
            let mut probe = ChunkedDecoder::new(u64::MAX);
            let status = match probe.decode(&rest[head_len..], &mut |_| {}) {
                Err(err) => Some(err.status()),
                Ok(_) if probe.body_len() > limits.max_body_bytes => Some(413),
                Ok(_) => None,
            };
            if let Some(status) = status {
                self.halt(status, date);
                return Some(rest.len());
            }
        }
        let event = RequestEvent {
            buf: rest,
            head: &self.head,
            body: inline.filter(|b| !b.is_empty()),
            body_follows: follows,
        };
        if !sink.request(self.id, seq, &event) {
            self.state.stall();
            return None;
        }
        let facts = RequestFacts {
            head: self.head.slice(rest, self.head.method) == b"HEAD",
            version: self.head.version,
            keep_alive: self.head.keep_alive,
            upgrade: self.head.upgrade,
        };
        if facts.upgrade {
            self.takeover = Takeover::Pending(seq);
        }
        let hint = keep_alive_hint_secs(limits.keep_alive_timeout_ms);
        let opened = self
            .responses
            .open_framed(ResponseWriter::new(facts, Some(hint)));
        debug_assert_eq!(opened, seq);
        self.served = true;
        if !self.head.keep_alive {
            // Nothing after a request that ends the connection is read as a request.
            self.state.last_request();
        }
        if self.head.expect_continue && follows {
            self.expecting = Some(seq);
        }
        let used = head_len + inline.map_or(0, <[u8]>::len);
        self.body = match self.head.body {
            BodyFraming::Length(n) if follows => {
                self.deadline = Deadline::Body(self.request_started + limits.request_timeout_ms);
                BodyState::Length { seq, remaining: n }
            }
            BodyFraming::Chunked => {
                self.deadline = Deadline::Body(self.request_started + limits.request_timeout_ms);
                // The size limit is checked here rather than by the decoder, so that a chunk size
                // too long for 64 bits stays a framing error (400), not a size one (413).
                BodyState::Chunked {
                    seq,
                    decoder: ChunkedDecoder::new(u64::MAX),
                }
            }
            _ => {
                self.deadline = Deadline::None;
                BodyState::None
            }
        };
        if !self.head.keep_alive {
            self.input.clear();
            return Some(if follows { used } else { rest.len() });
        }
        Some(used)
    }

    fn body_done(&mut self, seq: u32) {
        self.body = BodyState::None;
        if self.expecting == Some(seq) {
            self.expecting = None;
        }
        self.deadline = Deadline::None;
    }

    /// The body of `seq` cannot be completed (the sink has been told): nothing more is parsed
    /// and the connection closes after the answer. An application that has not started its
    /// response gets [`ANSWER_GRACE_MS`] to answer (with its own problem body: the body error
    /// reached it as a 413/408/400), after which the engine answers `status` itself. A
    /// `100 Continue` already sent does not count as a start: a final answer may follow it.
    fn fail_body(&mut self, seq: u32, status: u16, now: u64) {
        self.body = BodyState::None;
        self.state.halt();
        self.input = Vec::new();
        self.expecting = None;
        if self.responses.writer_mut(seq).is_some_and(|w| !w.started()) {
            self.failed = Some((seq, status));
            self.deadline = Deadline::Answer(now + ANSWER_GRACE_MS);
        } else {
            self.responses.write(seq, &[], true, true);
        }
    }

    /// A `100 Continue` for request `seq`, when the handler starts reading its body.
    pub fn send_continue(&mut self, seq: u32) {
        if self.expecting == Some(seq) {
            self.expecting = None;
            self.responses
                .write(seq, b"HTTP/1.1 100 Continue\r\n\r\n", false, false);
        }
    }

    /// Starts response `seq`: writes its head for `status` and `fields` (`length`: the body's
    /// length when known), then `body`. Framing is [`ResponseWriter`]'s: HEAD, 1xx, 204 and 304
    /// get no body, an unknown length is chunked (HTTP/1.1) or ends with the connection.
    pub fn respond(
        &mut self,
        seq: u32,
        start: &ResponseStart<'_>,
        body: Payload<'_>,
        flags: WriteFlags,
        date: &[u8],
    ) {
        let (status, fields, length) = (start.status, start.fields, start.length);
        let (end, close) = (flags.end, flags.close);
        let Some(writer) = self.responses.writer_mut(seq) else {
            return;
        };
        if writer.started() {
            return;
        }
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        if self.failed.is_some_and(|f| f.0 == seq) || self.expecting == Some(seq) {
            // The rest of a failed body, or of one never asked for, may still be on the wire.
            writer.close_after();
        }
        writer.write_head(&mut out, status, fields, length, date);
        self.settle_takeover(seq, status);
        self.frame_body(seq, out, body, end, close);
    }

    /// Ends started response `seq` with a trailer section (a chunked body's; any other ends
    /// without them).
    pub fn trailers(&mut self, seq: u32, fields: Fields<'_>, close: bool) {
        let Some(writer) = self.responses.writer_mut(seq) else {
            return;
        };
        if !writer.started() {
            return;
        }
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        writer.end_with_trailers(&mut out, fields);
        let close = close || writer.closes();
        self.write(seq, &out, true, close);
        out.clear();
        self.scratch = out;
    }

    /// More body bytes of started response `seq`; `end` completes it.
    pub fn write_body(&mut self, seq: u32, body: Payload<'_>, end: bool, close: bool) {
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        self.frame_body(seq, out, body, end, close);
    }

    /// The answer to request `seq` has started with `status`: if `seq` asked to upgrade, the
    /// connection is handed over (101) or goes on as HTTP/1, parsing what waited.
    fn settle_takeover(&mut self, seq: u32, status: u16) {
        if self.takeover != Takeover::Pending(seq) {
            return;
        }
        if status == 101 {
            self.takeover = Takeover::Upgraded;
            self.input = Vec::new();
        } else {
            self.takeover = Takeover::None;
            // The caller offers the held bytes to the parser again.
            if !self.input.is_empty() {
                self.state.stall();
            }
        }
    }

    /// Frames `body` after whatever `out` holds (a head) and queues it all.
    fn frame_body(
        &mut self,
        seq: u32,
        mut out: Vec<u8>,
        body: Payload<'_>,
        end: bool,
        close: bool,
    ) {
        let Some(writer) = self.responses.writer_mut(seq) else {
            self.scratch = out;
            return;
        };
        if !writer.started() {
            // Body before head: a bug on the calling side; nothing sane can be sent.
            self.scratch = out;
            self.write(seq, &[], true, true);
            return;
        }
        let n = writer.body(body.len(), &mut out);
        let suffix = writer.body_suffix(n);
        match body {
            Payload::Bytes(b) => out.extend_from_slice(&b[..n]),
            // Large payloads keep their zero-copy path: framing goes around them.
            Payload::External(e) if n > 0 && n == e.bytes().len() => {
                let writer_close = writer.closes();
                self.write(seq, &out, false, close || writer_close);
                out.clear();
                self.write_external(seq, e, false, close || writer_close);
            }
            Payload::External(e) => out.extend_from_slice(&e.bytes()[..n]),
        }
        out.extend_from_slice(suffix);
        let writer = self.responses.writer_mut(seq).expect("response still open");
        if end {
            writer.end(&mut out);
        }
        let close = close || writer.closes();
        self.write(seq, &out, end, close);
        out.clear();
        self.scratch = out;
    }

    /// The head of response `seq` whose body is a file of `length` bytes: `None` when no body may
    /// follow (HEAD, 204, 304…), in which case the response has been completed with its head.
    pub fn file_head<'a, I>(
        &mut self,
        seq: u32,
        status: u16,
        fields: I,
        length: u64,
        close: bool,
        date: &[u8],
    ) -> Option<(Vec<u8>, bool)>
    where
        I: IntoIterator<Item = (&'a [u8], &'a [u8])> + Clone,
    {
        if self.responses.writer_mut(seq)?.started() {
            return None;
        }
        self.settle_takeover(seq, status);
        let writer = self.responses.writer_mut(seq)?;
        let mut head = Vec::with_capacity(256);
        if self.failed.is_some_and(|f| f.0 == seq) || self.expecting == Some(seq) {
            // The rest of a failed body, or of one never asked for, may still be on the wire.
            writer.close_after();
        }
        writer.write_head(&mut head, status, fields, Some(length), date);
        let sent = writer.body(length as usize, &mut head) as u64;
        writer.end(&mut head);
        let close =
            close || writer.closes() || (self.expecting == Some(seq)) || self.is_last_request(seq);
        if sent == 0 || sent != length {
            self.write(seq, &head, true, close);
            return None;
        }
        Some((head, close))
    }

    /// Appends raw bytes to response `seq` (the engine's own answers, and framed output).
    fn write(&mut self, seq: u32, data: &[u8], end: bool, close: bool) {
        // A final response to a request whose client still waits for `100 Continue` means the
        // body will never come (or comes unasked): the connection cannot be reused. Nor can one
        // whose request body failed.
        let close = close
            || (end && self.expecting == Some(seq))
            || self.failed.is_some_and(|f| f.0 == seq);
        let ends_request_without_keepalive = end && self.is_last_request(seq);
        self.responses
            .write(seq, data, end, close || ends_request_without_keepalive);
    }

    /// A large payload for response `seq`, to be sent from its memory.
    fn write_external(&mut self, seq: u32, data: Box<dyn ExternalBytes>, end: bool, close: bool) {
        let close = close
            || (end && self.expecting == Some(seq))
            || self.failed.is_some_and(|f| f.0 == seq);
        let ends_request_without_keepalive = end && self.is_last_request(seq);
        self.responses
            .write_external(seq, data, end, close || ends_request_without_keepalive);
    }

    /// Whether `seq` is a request after which the connection closes (no keep-alive).
    fn is_last_request(&self, seq: u32) -> bool {
        self.state.on_last_request() && seq.wrapping_add(1) == self.responses.next_seq()
    }

    /// Checks the deadline; returns whether the connection must close now.
    pub fn on_tick(
        &mut self,
        now: u64,
        sink: &mut dyn EventSink,
        date: &[u8],
        limits: &ConnLimits,
    ) -> Wants {
        // A peer that stops reading leaves output unsent: past the write timeout without a byte
        // accepted, the connection is dropped (its requests aborted), so it cannot pin memory.
        if self.responses.flushed() {
            self.last_progress = now;
        } else if now.saturating_sub(self.last_progress) >= limits.write_timeout_ms {
            return Wants { close_now: true };
        }
        match self.deadline {
            Deadline::Head(t) if now >= t => {
                self.deadline = Deadline::None;
                if self.served && self.input.is_empty() {
                    // A keep-alive connection that never started another request: just close.
                    return Wants { close_now: true };
                }
                self.halt(408, date);
                Wants::default()
            }
            Deadline::Body(t) if now >= t => {
                self.deadline = Deadline::None;
                let seq = match self.body {
                    BodyState::Length { seq, .. } | BodyState::Chunked { seq, .. } => seq,
                    BodyState::None => return Wants { close_now: true },
                };
                sink.body_error(self.id, seq, 408);
                self.fail_body(seq, 408, now);
                Wants::default()
            }
            Deadline::Answer(t) if now >= t => {
                self.deadline = Deadline::None;
                if let Some((seq, status)) = self.failed.take() {
                    if self.responses.writer_mut(seq).is_some_and(|w| !w.started()) {
                        self.responses
                            .write(seq, &error_response(status, date), true, true);
                    }
                }
                Wants::default()
            }
            Deadline::Idle(t) if now >= t => Wants { close_now: true },
            _ => Wants::default(),
        }
    }

    /// After output or responses changed: sets the idle deadline when there is nothing to do.
    pub fn settle(&mut self, now: u64, limits: &ConnLimits) {
        if self.body_pending() || self.responses.open_count() > 0 || !self.responses.flushed() {
            if !self.body_pending()
                && !matches!(self.deadline, Deadline::Head(_) | Deadline::Answer(_))
            {
                self.deadline = Deadline::None;
            }
            return;
        }
        if self.served && self.input.is_empty() && !matches!(self.deadline, Deadline::Idle(_)) {
            self.deadline = Deadline::Idle(now + limits.keep_alive_timeout_ms);
        }
    }

    /// Whether the connection has finished its work and must close.
    pub fn finished(&self) -> bool {
        let idle = self.responses.open_count() == 0 && self.responses.flushed();
        (self.responses.closing() && self.responses.flushed())
            || self
                .state
                .finished(idle, self.body_pending(), self.input.is_empty())
    }

    /// Whether the application still has requests of this connection in hand.
    pub fn has_open_requests(&self) -> bool {
        self.responses.open_count() > 0
    }

    /// Whether request `seq` asked to upgrade and waits for its answer.
    pub fn upgrade_pending(&self, seq: u32) -> bool {
        self.takeover == Takeover::Pending(seq)
    }

    /// Takes the bytes held unparsed (those after an upgrade request, which belong to the new
    /// protocol once it is accepted).
    pub fn take_input(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.input)
    }

    /// Takes the output queue (the upgraded connection's new session writes to it).
    pub fn take_output(&mut self) -> ResponseQueue {
        std::mem::take(&mut self.responses)
    }

    /// HTTP version of the last request (for callers that need it).
    pub fn last_version(&self) -> Version {
        self.head.version
    }
}

impl crate::session::Session for Conn {
    fn receive(
        &mut self,
        data: &[u8],
        sink: &mut dyn EventSink,
        limits: &ConnLimits,
        date: &[u8],
        now: u64,
    ) {
        self.on_data(data, sink, limits, date, now);
    }

    fn retry_input(
        &mut self,
        sink: &mut dyn EventSink,
        limits: &ConnLimits,
        date: &[u8],
        now: u64,
    ) {
        self.resume(sink, limits, date, now);
    }

    fn input_stalled(&self) -> bool {
        self.state.stalled()
    }

    fn take_unblocked(&mut self, limits: &ConnLimits) -> bool {
        // Answered pipelined requests made room: parse what was waiting. (Only then: input that
        // is merely an unfinished head waits for bytes, not for a wake-up.)
        let room = self.responses.open_count() < limits.max_pipelined
            && self.responses.pending_bytes() <= limits.max_unsent_bytes;
        self.state.unblock_pipeline(room)
    }

    fn wants_read(&self, limits: &ConnLimits) -> bool {
        self.wants_recv(limits)
    }

    fn peer_closed(&mut self) {
        self.state.last_request();
    }

    fn tick(
        &mut self,
        now: u64,
        sink: &mut dyn EventSink,
        date: &[u8],
        limits: &ConnLimits,
    ) -> Wants {
        self.on_tick(now, sink, date, limits)
    }

    fn after_output(&mut self, now: u64, limits: &ConnLimits) {
        self.settle(now, limits);
    }

    fn is_done(&self) -> bool {
        self.finished()
    }

    fn close_when_idle(&mut self) {
        self.state.close_when_idle();
    }

    fn fail(&mut self, status: u16, date: &[u8]) {
        self.halt(status, date);
    }

    fn has_open_work(&self) -> bool {
        self.has_open_requests() || self.body_pending()
    }

    fn output(&mut self) -> &mut ResponseQueue {
        &mut self.responses
    }

    fn output_moved(&mut self, now: u64) {
        self.last_progress = now;
    }
}

impl Conn {
    /// Stops (`true`) or restarts reading for request-body backpressure; `true` when buffered
    /// input should be offered again.
    pub fn set_paused(&mut self, paused: bool) -> bool {
        let has_input = self.has_input();
        self.state.set_paused(paused, has_input)
    }

    /// Whether response `seq` is still open.
    pub fn response_open(&self, seq: u32) -> bool {
        self.responses.is_open(seq)
    }

    /// Asks for `drained` once response `seq` leads the line and its output is sent.
    pub fn want_drain(&mut self, seq: u32) {
        self.responses.want_drain(seq);
    }

    /// Queues `head` then `file` as the whole of response `seq`.
    pub fn queue_file(
        &mut self,
        seq: u32,
        head: &[u8],
        file: crate::send::FileBody,
        close: bool,
    ) -> crate::send::WriteOutcome {
        self.responses.send_file(seq, head, file, close)
    }
}

#[cfg(test)]
mod tests {
    //! The HTTP/1 session driven as the ring loop drives it, through [`Session`], with no
    //! socket: bytes in, events and output bytes out.
    use super::*;
    use crate::http1::HeadLimits;
    use crate::protocol::commands::{ResponseStart, WriteFlags};
    use crate::session::Session;

    #[derive(Default)]
    struct Events(Vec<String>);

    impl EventSink for Events {
        fn request(&mut self, _: ConnId, seq: u32, req: &RequestEvent<'_>) -> bool {
            let target =
                String::from_utf8_lossy(req.head.slice(req.buf, req.head.target)).into_owned();
            self.0.push(format!("request {seq} {target}"));
            true
        }
        fn has_room(&self, _: usize) -> bool {
            true
        }
        fn body(&mut self, _: ConnId, seq: u32, chunk: &[u8], last: bool) {
            self.0.push(format!(
                "body {seq} {} {last}",
                String::from_utf8_lossy(chunk)
            ));
        }
        fn body_error(&mut self, _: ConnId, seq: u32, status: u16) {
            self.0.push(format!("body_error {seq} {status}"));
        }
        fn aborted(&mut self, _: ConnId) {}
        fn drained(&mut self, _: ConnId, _: u32) {}
        fn file_sent(&mut self, _: ConnId, _: u32, _: i32) {}
    }

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
        write_timeout_ms: 1000,
    };
    const ID: ConnId = ConnId { index: 0, gen: 1 };
    const END: WriteFlags = WriteFlags {
        end: true,
        close: false,
        want_drain: false,
    };
    const DATE: (&[u8], &[u8]) = (b"date", b"D");

    /// Everything the session has queued for the socket, as the kernel would send it.
    fn sent(conn: &mut Conn) -> String {
        let all = conn.output().drain();
        String::from_utf8_lossy(&all).into_owned()
    }

    fn answer(conn: &mut Conn, seq: u32, status: u16, body: &str) {
        let fields: &[(&[u8], &[u8])] = &[DATE];
        let mut enc = crate::protocol::commands::CommandEncoder::default();
        enc.respond(
            ID,
            seq,
            status,
            fields,
            Some(body.len() as u64),
            crate::protocol::commands::EncodedBody::Bytes(body.as_bytes()),
            END,
        );
        // Decode the fields the way the command reader hands them over.
        struct Apply<'c>(&'c mut Conn);
        impl crate::protocol::commands::CommandTarget<Vec<u8>> for Apply<'_> {
            fn respond(
                &mut self,
                _: ConnId,
                seq: u32,
                start: &ResponseStart<'_>,
                body: crate::protocol::commands::Body<'_, Vec<u8>>,
                f: WriteFlags,
            ) {
                let crate::protocol::commands::Body::Bytes(b) = body else {
                    unreachable!()
                };
                self.0.respond(seq, start, Payload::Bytes(b), f, b"D");
            }
            fn write(
                &mut self,
                _: ConnId,
                _: u32,
                _: crate::protocol::commands::Body<'_, Vec<u8>>,
                _: WriteFlags,
            ) {
            }
            fn send_file(
                &mut self,
                _: ConnId,
                _: u32,
                _: &ResponseStart<'_>,
                _: crate::protocol::commands::FileCommand,
            ) {
            }
            fn send_continue(&mut self, _: ConnId, _: u32) {}
            fn trailers(
                &mut self,
                _: ConnId,
                _: u32,
                _: crate::protocol::commands::Fields<'_>,
                _: WriteFlags,
            ) {
            }
            fn pause(&mut self, _: ConnId, _: u32, _: bool) {}
            fn destroy(&mut self, _: ConnId, _: u32) {}
        }
        crate::protocol::commands::apply(&mut Apply(conn), &enc.buf, &mut []).unwrap();
    }

    #[test]
    fn pipelined_requests_are_answered_in_request_order() {
        let mut conn = Conn::new(ID, 0, &LIMITS);
        let mut events = Events::default();
        conn.receive(
            b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
            &mut events,
            &LIMITS,
            b"D",
            0,
        );
        assert_eq!(events.0, ["request 0 /a", "request 1 /b"]);
        answer(&mut conn, 1, 200, "B");
        assert_eq!(
            sent(&mut conn),
            "",
            "nothing passes the unanswered first request"
        );
        answer(&mut conn, 0, 200, "A");
        assert_eq!(
            sent(&mut conn),
            "HTTP/1.1 200 OK\r\ndate: D\r\ncontent-length: 1\r\nkeep-alive: timeout=0\r\n\r\nA\
             HTTP/1.1 200 OK\r\ndate: D\r\ncontent-length: 1\r\nkeep-alive: timeout=0\r\n\r\nB"
        );
        assert!(!conn.is_done() && conn.wants_read(&LIMITS));
    }

    #[test]
    fn nothing_after_an_accepted_upgrade_is_parsed_as_http() {
        let mut conn = Conn::new(ID, 0, &LIMITS);
        let mut events = Events::default();
        let upgrade = b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: ws\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
        conn.receive(upgrade, &mut events, &LIMITS, b"D", 0);
        assert_eq!(
            events.0,
            ["request 0 /ws"],
            "held until the upgrade is answered"
        );
        answer(&mut conn, 0, 101, "");
        conn.retry_input(&mut events, &LIMITS, b"D", 0);
        conn.receive(
            b"GET /later HTTP/1.1\r\nHost: x\r\n\r\n",
            &mut events,
            &LIMITS,
            b"D",
            0,
        );
        assert_eq!(events.0, ["request 0 /ws"]);
        assert!(sent(&mut conn).starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
    }

    #[test]
    fn a_declined_upgrade_resumes_http_with_what_waited() {
        let mut conn = Conn::new(ID, 0, &LIMITS);
        let mut events = Events::default();
        let upgrade = b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: ws\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n";
        conn.receive(upgrade, &mut events, &LIMITS, b"D", 0);
        answer(&mut conn, 0, 200, "no");
        assert!(
            conn.input_stalled(),
            "the loop is asked to offer the held bytes again"
        );
        conn.retry_input(&mut events, &LIMITS, b"D", 0);
        assert_eq!(events.0, ["request 0 /ws", "request 1 /next"]);
    }

    #[test]
    fn a_full_pipeline_holds_input_until_an_answer_makes_room() {
        let limits = ConnLimits {
            max_pipelined: 1,
            ..LIMITS
        };
        let mut conn = Conn::new(ID, 0, &limits);
        let mut events = Events::default();
        conn.receive(
            b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
            &mut events,
            &limits,
            b"D",
            0,
        );
        assert_eq!(events.0, ["request 0 /a"]);
        assert!(
            !conn.input_stalled() && !conn.take_unblocked(&limits),
            "no room yet"
        );
        answer(&mut conn, 0, 200, "A");
        sent(&mut conn);
        assert!(conn.take_unblocked(&limits) && conn.input_stalled());
        conn.retry_input(&mut events, &limits, b"D", 0);
        assert_eq!(events.0, ["request 0 /a", "request 1 /b"]);
        assert!(!conn.input_stalled() && !conn.take_unblocked(&limits));
    }

    #[test]
    fn a_paused_body_is_held_and_offered_again_on_resume() {
        let mut conn = Conn::new(ID, 0, &LIMITS);
        let mut events = Events::default();
        conn.receive(
            b"POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n",
            &mut events,
            &LIMITS,
            b"D",
            0,
        );
        assert!(!conn.set_paused(true));
        assert!(!conn.wants_read(&LIMITS));
        conn.receive(b"abcd", &mut events, &LIMITS, b"D", 0);
        assert_eq!(events.0, ["request 0 /u"], "nothing delivered while paused");
        assert!(
            conn.set_paused(false),
            "buffered body bytes wait for a retry"
        );
        conn.retry_input(&mut events, &LIMITS, b"D", 0);
        assert_eq!(events.0, ["request 0 /u", "body 0 abcd true"]);
    }

    #[test]
    fn a_request_without_keep_alive_is_the_last_and_its_answer_closes() {
        let mut conn = Conn::new(ID, 0, &LIMITS);
        let mut events = Events::default();
        conn.receive(
            b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n",
            &mut events,
            &LIMITS,
            b"D",
            0,
        );
        assert_eq!(events.0, ["request 0 /a"], "what follows is dropped");
        assert!(!conn.wants_read(&LIMITS) && !conn.is_done());
        answer(&mut conn, 0, 200, "A");
        let out = sent(&mut conn);
        assert!(out.contains("connection: close\r\n"), "{out}");
        assert!(conn.is_done());
    }

    #[test]
    fn a_malformed_head_halts_after_the_answers_in_hand() {
        let mut conn = Conn::new(ID, 0, &LIMITS);
        let mut events = Events::default();
        conn.receive(
            b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nBAD\x01 / HTTP/1.1\r\n\r\n",
            &mut events,
            &LIMITS,
            b"D",
            0,
        );
        assert_eq!(events.0, ["request 0 /a"]);
        assert!(!conn.wants_read(&LIMITS) && !conn.is_done());
        conn.receive(b"GET /c HTTP/1.1\r\n\r\n", &mut events, &LIMITS, b"D", 0);
        assert_eq!(events.0, ["request 0 /a"], "nothing is parsed once halted");
        answer(&mut conn, 0, 200, "A");
        let out = sent(&mut conn);
        assert!(out.contains("HTTP/1.1 400 Bad Request\r\n"), "{out}");
        assert!(conn.is_done());
    }

    #[test]
    fn a_body_over_the_limit_is_reported_and_answered_by_the_engine_only_if_the_app_does_not() {
        let mut conn = Conn::new(ID, 0, &LIMITS);
        let mut events = Events::default();
        let req = b"POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        conn.receive(req, &mut events, &LIMITS, b"D", 0);
        conn.receive(
            b"20\r\n0123456789abcdef0123456789abcdef\r\n",
            &mut events,
            &LIMITS,
            b"D",
            10,
        );
        assert!(events.0.contains(&"body_error 0 413".to_string()));
        assert_eq!(
            sent(&mut conn),
            "",
            "the application gets its chance to answer"
        );
        conn.tick(10 + ANSWER_GRACE_MS, &mut events, b"D", &LIMITS);
        let out = sent(&mut conn);
        assert!(
            out.starts_with("HTTP/1.1 413 Content Too Large\r\n"),
            "{out}"
        );
        assert!(
            out.ends_with(r#"{"type":"about:blank","title":"Content Too Large","status":413}"#),
            "{out}"
        );
    }
}
