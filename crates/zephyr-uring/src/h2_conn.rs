//! An HTTP/2 connection on the ring: the sans-IO [`H2Connection`] (crates/zephyr-h2) behind the
//! [`Session`] trait, mapped onto the engine's request/response contract. Each stream is its own
//! exchange, named by its stream id in the `seq` word of every event and command record, so the
//! JS side serves a stream exactly as it serves an HTTP/1 request: a request head, body pieces,
//! then `respond`/`write`/`send_file` for that seq.
//!
//! What the ring adds around the core: request bodies are released to the peer's windows as the
//! sink takes them (or, while JS paused the stream, once it resumes: a slow reader stops its
//! client); response bytes the windows do not take yet are held per stream and offered again on
//! `WindowOpened` (a `want_drain` is answered once they are all taken); file bodies are read into
//! buffers sized to the window (splice cannot frame); frames go out through the connection's
//! [`ResponseQueue`] (one raw slot), moved there only while that queue is short, so the core's
//! `max_buffered_output` keeps bounding what a peer that does not read can make us hold.

use std::os::fd::RawFd;

use zephyr_h2::{ErrorCode, H2Config, H2Connection, H2Event, StreamMap};

use crate::conn::{ConnId, ConnLimits, EventSink, Payload, RequestEvent, Wants};
use crate::http1::{RequestHead, Version};
use crate::protocol::commands::{Fields, ResponseStart};
use crate::send::{FileBody, ResponseQueue};
use crate::session::Session;
use crate::stream_exchange::{self, payload_bytes, Exchange, FilePump, HeldPump, StreamOut};
use crate::stream_request::{self, StreamRequest};

/// Frames moved from the core to the send queue while it holds less than this: past it they
/// wait inside the core, whose output bound then holds `send_data` back.
const QUEUE_LOW_WATER: usize = 256 * 1024;

/// One stream of the connection, as a file body is pumped into it.
struct H2Stream<'a>(&'a mut H2Connection, u32);

impl StreamOut for H2Stream<'_> {
    fn capacity(&mut self) -> usize {
        self.0.send_capacity(self.1)
    }
    fn send(&mut self, bytes: &[u8], end: bool) -> Option<usize> {
        self.0.send_data(self.1, bytes, end).ok()
    }
    fn send_trailers(&mut self, fields: &[(&[u8], &[u8])]) -> bool {
        self.0.send_trailers(self.1, fields).is_ok()
    }
    fn send_headers(&mut self, status: u16, fields: &[(&[u8], &[u8])], end: bool) -> bool {
        self.0.send_headers(self.1, status, fields, end).is_ok()
    }
}

/// One HTTP/2 connection.
pub struct H2Conn {
    id: ConnId,
    h2: H2Connection,
    out: ResponseQueue,
    /// The queue's one slot: the frames are its raw body.
    out_seq: u32,
    streams: StreamMap<Exchange>,
    /// An event the sink had no room for, offered first next time.
    peeked: Option<H2Event>,
    /// Body bytes of `peeked` already delivered.
    peeked_sent: usize,
    /// `peeked`'s body bytes were counted against the limit.
    peeked_counted: bool,
    stalled: bool,
    /// Drains and stream resets decided outside `process` (commands), delivered on the next one.
    drained: Vec<u32>,
    aborted: Vec<u32>,
    /// The core has events (or notices wait) that need a sink.
    wake: bool,
    idle_timeout_ms: u64,
    /// The request limits HTTP/1 enforces too (URL length, field count, body size).
    limits: ConnLimits,
    /// The engine's date, as of the last input or tick (for its own error answers).
    date: Vec<u8>,
    last_active: u64,
    last_progress: u64,
    /// The time of the last input, tick or output (the session has no clock of its own).
    now: u64,
    /// Drop the connection now (write timeout, internal error).
    doomed: bool,
    /// Reused to build request events.
    head: RequestHead,
    scratch: Vec<u8>,
    file_buf: Vec<u8>,
}

impl H2Conn {
    /// A session for a connection that just proved to speak HTTP/2 (preface or ALPN); our
    /// SETTINGS are queued at once.
    pub fn new(
        id: ConnId,
        config: H2Config,
        idle_timeout_ms: u64,
        limits: &ConnLimits,
        now: u64,
    ) -> Result<H2Conn, &'static str> {
        let h2 = H2Connection::new(config)?;
        let mut out = ResponseQueue::default();
        let out_seq = out.open();
        let mut conn = H2Conn {
            id,
            h2,
            out,
            out_seq,
            streams: StreamMap::default(),
            peeked: None,
            peeked_sent: 0,
            peeked_counted: false,
            stalled: false,
            drained: Vec::new(),
            aborted: Vec::new(),
            wake: false,
            idle_timeout_ms,
            limits: *limits,
            date: Vec::new(),
            last_active: now,
            last_progress: now,
            now,
            doomed: false,
            head: RequestHead::new(),
            scratch: Vec::new(),
            file_buf: Vec::new(),
        };
        conn.move_output();
        Ok(conn)
    }

    /// Moves frames from the core to the send queue while the queue is short. Freed room can
    /// open streams the core held back (`WindowOpened`): those need a sink, so ask for one.
    fn move_output(&mut self) {
        while self.h2.wants_write() && self.out.pending_bytes() < QUEUE_LOW_WATER {
            let out = self.h2.pending_output();
            let n = out.len().min(QUEUE_LOW_WATER);
            self.out.write(self.out_seq, &out[..n], false, false);
            self.h2.consume_output(n);
        }
        if self.h2.has_events() {
            self.wake = true;
        }
    }

    /// Hands core events (and notices) to the sink; stops, stalled, when it has no room.
    fn deliver(&mut self, sink: &mut dyn EventSink) {
        for seq in self.drained.drain(..) {
            sink.drained(self.id, seq);
        }
        for seq in self.aborted.drain(..) {
            sink.stream_aborted(self.id, seq);
        }
        while let Some(event) = self.peeked.take().or_else(|| self.h2.poll_event()) {
            if !self.handle(event, sink) {
                self.stalled = true;
                break;
            }
        }
        self.move_output();
    }

    /// One core event to the sink; false (the event kept in `peeked`) when it had no room.
    fn handle(&mut self, event: H2Event, sink: &mut dyn EventSink) -> bool {
        match event {
            H2Event::Request { .. } => {
                let H2Event::Request {
                    stream, end_stream, ..
                } = &event
                else {
                    unreachable!()
                };
                let (stream, end_stream) = (*stream, *end_stream);
                let head_request = self.build_request(&event);
                if let Some(status) = self.refusal(end_stream) {
                    // Past a request limit: the engine answers, as for HTTP/1.
                    self.answer_error(stream, status);
                    return true;
                }
                let req = RequestEvent {
                    buf: &self.scratch,
                    head: &self.head,
                    body: None,
                    body_follows: !end_stream,
                };
                if !sink.request(self.id, stream, &req) {
                    self.peeked = Some(event);
                    return false;
                }
                self.streams.insert(
                    stream,
                    Exchange {
                        head_request,
                        request_done: end_stream,
                        started: self.now,
                        ..Exchange::default()
                    },
                );
            }
            H2Event::Data { stream, bytes, end } => {
                let n = bytes.len();
                if !self.peeked_counted {
                    // Counted once, even when the event waits for room and comes back.
                    self.peeked_counted = true;
                    if let Some(ex) = self.streams.get_mut(&stream) {
                        if ex.count_body(n, self.limits.max_body_bytes) {
                            sink.body_error(self.id, stream, 413);
                        }
                    }
                }
                // A stream the application does not know (answered by the engine) or whose body
                // failed: its bytes are dropped, their window credited back.
                let wanted = self.streams.get(&stream).is_some_and(|ex| !ex.body_failed);
                let sent = &mut self.peeked_sent;
                if wanted && !stream_request::deliver_body(sink, self.id, stream, &bytes, end, sent)
                {
                    self.peeked = Some(H2Event::Data { stream, bytes, end });
                    return false;
                }
                self.peeked_sent = 0;
                self.peeked_counted = false;
                match self.streams.get_mut(&stream) {
                    Some(ex) => {
                        if ex.body_delivered(n, end, wanted) {
                            self.h2.release(stream, n);
                        }
                        self.forget_if_done(stream);
                    }
                    None => self.h2.release(stream, n),
                }
            }
            H2Event::Trailers { stream, .. } => {
                // Request trailers are not part of the engine's request contract: the body ends.
                if !sink.has_room(0) {
                    self.peeked = Some(H2Event::Trailers {
                        stream,
                        headers: Vec::new(),
                    });
                    return false;
                }
                sink.body(self.id, stream, &[], true);
                if let Some(ex) = self.streams.get_mut(&stream) {
                    ex.request_done = true;
                }
                self.forget_if_done(stream);
            }
            H2Event::Reset { stream, .. } => {
                if let Some(ex) = self.streams.remove(&stream) {
                    if let Some(file) = ex.file {
                        self.out
                            .finished_files
                            .push((stream, file.fd, -libc::ECANCELED));
                    }
                    sink.stream_aborted(self.id, stream);
                }
            }
            H2Event::WindowOpened { stream } => {
                self.pump(stream);
                for seq in self.drained.drain(..) {
                    sink.drained(self.id, seq);
                }
            }
            H2Event::GoAway { .. } => {}
            H2Event::ConnectionError { .. } => {
                let mut files = Vec::new();
                for (stream, ex) in self.streams.drain() {
                    if let Some(file) = ex.file {
                        files.push((stream, file.fd, -libc::ECANCELED));
                    }
                    sink.stream_aborted(self.id, stream);
                }
                self.out.finished_files.extend(files);
            }
        }
        true
    }

    /// Lays a request out as the HTTP/1 parser would have (spans into `scratch`), so the sink
    /// records it the same way; `:authority` becomes `host` when the request has none. Returns
    /// whether it is a HEAD request.
    fn build_request(&mut self, event: &H2Event) -> bool {
        let H2Event::Request {
            method,
            scheme: _,
            authority,
            path,
            headers,
            ..
        } = event
        else {
            unreachable!()
        };
        let request = StreamRequest {
            method,
            authority: authority.as_deref(),
            path,
            headers,
        };
        stream_request::lay_out(&request, Version::Http2, &mut self.head, &mut self.scratch)
    }

    /// The status the engine answers a request laid out in `head`/`scratch` with instead of
    /// the application, when it is past a limit HTTP/1 enforces too.
    fn refusal(&self, end_stream: bool) -> Option<u16> {
        stream_request::refusal(&self.head, &self.scratch, &self.limits, !end_stream)
    }

    /// The engine's own answer on `stream` (the problem document HTTP/1 sends too).
    fn answer_error(&mut self, stream: u32, status: u16) {
        stream_exchange::answer_problem(&mut H2Stream(&mut self.h2, stream), status, &self.date);
    }

    /// Drops a stream's exchange once both sides are over (nothing more can name it).
    fn forget_if_done(&mut self, stream: u32) {
        if self.streams.get(&stream).is_some_and(Exchange::is_over) {
            self.streams.remove(&stream);
        }
    }

    /// Offers a stream's held bytes (then its file) to the core, as far as the windows allow;
    /// ends the stream when all is taken and the end was asked for.
    fn pump(&mut self, stream: u32) {
        let Some(ex) = self.streams.get_mut(&stream) else {
            return;
        };
        if ex.response_done || !ex.responded {
            return;
        }
        match ex.pump_held(&mut H2Stream(&mut self.h2, stream), self.now) {
            // The stream is gone in the core (reset, or the connection failed): its Reset event
            // (or ConnectionError) tells the application.
            HeldPump::Gone | HeldPump::Waiting => return,
            HeldPump::TrailersRefused => {
                let _ = self.h2.reset(stream, ErrorCode::InternalError);
                self.streams.remove(&stream);
                self.aborted.push(stream);
                self.wake = true;
                return;
            }
            HeldPump::Taken => {}
        }
        if ex.file.is_some() {
            self.pump_file(stream);
        }
        let Some(ex) = self.streams.get_mut(&stream) else {
            return;
        };
        if ex.want_drain && ex.held.is_empty() && ex.file.is_none() {
            ex.want_drain = false;
            self.drained.push(stream);
            self.wake = true;
        }
        self.forget_if_done(stream);
    }

    /// Reads the file into DATA frames sized to the window; reports it sent when it is all out.
    fn pump_file(&mut self, stream: u32) {
        let Some(ex) = self.streams.get_mut(&stream) else {
            return;
        };
        let mut out = H2Stream(&mut self.h2, stream);
        match ex.pump_file(&mut out, &mut self.file_buf, self.now) {
            FilePump::Waiting => {}
            // The ring closes the descriptor once the send queue hands it over.
            FilePump::Sent(fd) => self.out.finished_files.push((stream, fd, 0)),
            FilePump::Failed(fd, err) => {
                self.out.finished_files.push((stream, fd, err));
                let _ = self.h2.reset(stream, ErrorCode::InternalError);
                self.streams.remove(&stream);
            }
        }
    }

    /// The response head of `stream` (fields lower-cased, HTTP/1-only ones dropped, a known
    /// length as `content-length`, the engine's `date` unless given); `end`: no body follows.
    fn send_head(
        &mut self,
        stream: u32,
        start: &ResponseStart<'_>,
        end: bool,
        date: &[u8],
    ) -> bool {
        let sent = stream_exchange::with_response_fields(start, date, |fields| {
            self.h2.send_headers(stream, start.status, fields, end)
        });
        match sent {
            Ok(()) => true,
            Err(_) => {
                // A field HTTP/2 cannot carry (or a 101): the stream fails rather than sending
                // something else than the application asked for.
                let _ = self.h2.reset(stream, ErrorCode::InternalError);
                if self.streams.remove(&stream).is_some() {
                    self.aborted.push(stream);
                    self.wake = true;
                }
                false
            }
        }
    }

    /// Starts the response of `stream` with its first body bytes.
    pub fn respond(
        &mut self,
        stream: u32,
        start: &ResponseStart<'_>,
        body: Payload<'_>,
        end: bool,
        want_drain: bool,
        date: &[u8],
    ) {
        let Some(ex) = self.streams.get(&stream) else {
            return;
        };
        if ex.responded {
            return;
        }
        let no_body = ex.bodiless(start.status);
        let bytes = payload_bytes(&body);
        let end_at_head = end && (bytes.is_empty() || no_body);
        if !self.send_head(stream, start, end_at_head, date) {
            return;
        }
        let ex = self.streams.get_mut(&stream).expect("checked above");
        ex.responded = true;
        if end_at_head {
            ex.response_done = true;
        } else {
            ex.end_pending = end;
            ex.want_drain |= want_drain;
            self.offer(stream, if no_body { &[] } else { bytes });
        }
        self.forget_if_done(stream);
        self.move_output();
    }

    /// New body bytes of `stream`: framed straight from the command buffer when nothing waits
    /// before them (the common answer fits the windows and is never copied into `held`); what
    /// the windows do not take is held.
    fn offer(&mut self, stream: u32, bytes: &[u8]) {
        let Some(ex) = self.streams.get_mut(&stream) else {
            return;
        };
        if ex.offer(&mut H2Stream(&mut self.h2, stream), bytes) {
            self.pump(stream);
        }
    }

    /// More body bytes of a started response.
    pub fn write_body(&mut self, stream: u32, body: Payload<'_>, end: bool, want_drain: bool) {
        let Some(ex) = self.streams.get_mut(&stream) else {
            return;
        };
        if !ex.takes_more() {
            return;
        }
        let bytes = ex.next_body(payload_bytes(&body), end, want_drain);
        self.offer(stream, bytes);
        self.forget_if_done(stream);
        self.move_output();
    }

    /// Ends a started response with trailer fields (a trailing HEADERS frame once the body held
    /// so far is all taken).
    pub fn trailers(&mut self, stream: u32, fields: Fields<'_>) {
        let Some(ex) = self.streams.get_mut(&stream) else {
            return;
        };
        if !ex.takes_more() {
            return;
        }
        ex.end_with_trailers(fields);
        self.pump(stream);
        self.move_output();
    }

    /// Starts the response of `stream` with a file as its whole body. Returns the descriptor
    /// when the stream is gone (the caller closes it and reports the file cancelled).
    pub fn send_file(
        &mut self,
        stream: u32,
        start: &ResponseStart<'_>,
        file: FileBody,
        date: &[u8],
    ) -> Result<(), RawFd> {
        let Some(ex) = self.streams.get(&stream) else {
            return Err(file.fd);
        };
        if ex.responded {
            return Err(file.fd);
        }
        let no_body = file.remaining == 0 || ex.bodiless(start.status);
        if !self.send_head(stream, start, no_body, date) {
            return Err(file.fd);
        }
        let ex = self.streams.get_mut(&stream).expect("checked above");
        ex.responded = true;
        if no_body {
            ex.response_done = true;
            self.out.finished_files.push((stream, file.fd, 0));
        } else {
            ex.file = Some(file);
            self.pump(stream);
        }
        self.forget_if_done(stream);
        self.move_output();
        Ok(())
    }

    /// JS stopped (`true`) or resumed reading the body of `stream`: bytes it has not read stay
    /// unreleased, so the client's window closes; resuming releases them.
    pub fn set_stream_paused(&mut self, stream: u32, paused: bool) {
        let Some(ex) = self.streams.get_mut(&stream) else {
            return;
        };
        ex.paused = paused;
        if !paused && ex.unreleased > 0 {
            let n = std::mem::take(&mut ex.unreleased);
            self.h2.release(stream, n);
            self.move_output();
        }
    }

    /// The application gave up on `stream` (destroy): RST_STREAM CANCEL, the rest of the
    /// connection goes on.
    pub fn reset_stream(&mut self, stream: u32) {
        let _ = self.h2.reset(stream, ErrorCode::Cancel);
        if let Some(ex) = self.streams.remove(&stream) {
            if let Some(file) = ex.file {
                self.out
                    .finished_files
                    .push((stream, file.fd, -libc::ECANCELED));
            }
        }
        self.move_output();
    }

    fn set_date(&mut self, date: &[u8]) {
        if self.date != date {
            self.date.clear();
            self.date.extend_from_slice(date);
        }
    }

    /// Whether the application may still answer `stream`.
    pub fn stream_open(&self, stream: u32) -> bool {
        self.streams.get(&stream).is_some_and(|ex| !ex.responded)
    }
}

impl Session for H2Conn {
    fn receive(
        &mut self,
        data: &[u8],
        sink: &mut dyn EventSink,
        _limits: &ConnLimits,
        date: &[u8],
        now: u64,
    ) {
        self.last_active = now;
        self.now = now;
        self.set_date(date);
        // Reading stops while an event waits for the sink (`wants_read`), so what still arrives
        // (one multishot batch) is bounded; the core queues its events.
        self.h2.receive(data);
        if !self.stalled {
            self.deliver(sink);
        } else {
            self.move_output();
        }
    }

    fn retry_input(&mut self, sink: &mut dyn EventSink, _: &ConnLimits, date: &[u8], _: u64) {
        self.set_date(date);
        self.stalled = false;
        self.wake = false;
        self.deliver(sink);
    }

    fn input_stalled(&self) -> bool {
        self.stalled
    }

    fn take_unblocked(&mut self, _: &ConnLimits) -> bool {
        // Events decided outside `process` (window updates while commands were applied,
        // drains): the loop retries, which hands them to a real sink.
        if (self.wake || self.h2.has_events()) && !self.stalled {
            self.wake = false;
            self.stalled = true;
            return true;
        }
        false
    }

    fn wants_read(&self, _: &ConnLimits) -> bool {
        !self.doomed
            && self.h2.wants_read()
            && !self.stalled
            && self.peeked.is_none()
            && !self.h2.has_events()
    }

    fn peer_closed(&mut self) {}

    fn tick(
        &mut self,
        now: u64,
        sink: &mut dyn EventSink,
        date: &[u8],
        limits: &ConnLimits,
    ) -> Wants {
        self.set_date(date);
        self.now = now;
        // A stream whose response waits on a window the peer never opens is let go after the
        // write timeout (the connection and its other streams go on).
        let timeout = limits.write_timeout_ms;
        let stuck: Vec<u32> = self
            .streams
            .iter()
            .filter(|(_, ex)| {
                ex.stalled_since
                    .is_some_and(|t| now.saturating_sub(t) >= timeout)
            })
            .map(|(&id, _)| id)
            .collect();
        for stream in stuck {
            self.reset_stream(stream);
            self.aborted.push(stream);
        }
        // A body that does not arrive within the request timeout fails as on HTTP/1 (408).
        for (&stream, ex) in self.streams.iter_mut() {
            let late = now.saturating_sub(ex.started) >= limits.request_timeout_ms;
            if late && !ex.request_done && !ex.body_failed {
                ex.body_failed = true;
                sink.body_error(self.id, stream, 408);
            }
        }
        if self.out.flushed() {
            self.last_progress = now;
        } else if now.saturating_sub(self.last_progress) >= limits.write_timeout_ms {
            self.doomed = true;
        }
        if self.h2.open_streams() == 0
            && self.streams.is_empty()
            && now.saturating_sub(self.last_active) >= self.idle_timeout_ms
        {
            // Idle: GOAWAY, then close once it is sent.
            self.h2.shutdown();
        }
        if !self.stalled {
            self.deliver(sink);
        }
        self.move_output();
        Wants {
            close_now: self.doomed,
        }
    }

    fn after_output(&mut self, now: u64, _: &ConnLimits) {
        self.now = now;
        if !self.streams.is_empty() {
            self.last_active = now;
        }
    }

    fn is_done(&self) -> bool {
        self.doomed || (self.h2.is_done() && !self.h2.wants_write() && self.out.flushed())
    }

    fn close_when_idle(&mut self) {
        self.h2.shutdown();
        self.move_output();
    }

    fn fail(&mut self, _status: u16, _date: &[u8]) {
        self.doomed = true;
    }

    fn has_open_work(&self) -> bool {
        !self.streams.is_empty()
    }

    fn output(&mut self) -> &mut ResponseQueue {
        self.move_output();
        &mut self.out
    }

    fn output_moved(&mut self, now: u64) {
        self.last_progress = now;
        self.last_active = now;
    }
}

#[cfg(test)]
#[path = "h2_conn_tests.rs"]
mod tests;
