//! HTTP/3 on the engine's request/response contract: the sans-IO [`H3Endpoint`]
//! (crates/zephyr-h3) with every request stream mapped to one exchange, as `H2Conn` maps an
//! HTTP/2 stream. One session serves every QUIC connection of a listener's UDP socket; it never
//! sees the socket (the ring loop in `server_h3.rs` hands it datagrams and takes its transmits).
//!
//! Naming: a QUIC connection is a [`ConnId`] whose `index` is `H3_INDEX_BASE + ` the endpoint's
//! connection number and whose `gen` is fresh for each connection (quinn reuses numbers), so a
//! late command for a connection that is gone never reaches its successor. A request's `seq` is
//! its QUIC stream id (client bidirectional ids 0, 4, 8, …).
//!
//! What the session adds around the endpoint, as `H2Conn` does around `zephyr-h2`: request
//! bodies are released as the sink takes them (or, while JS paused the request, once it
//! resumes), response bytes QUIC does not take yet are held per exchange and offered again on
//! `WindowOpened` (a `want_drain` is answered once all are taken), and file bodies are read
//! into pieces sized to `send_capacity`.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::os::fd::RawFd;
use std::time::Instant;

pub use zephyr_h3::{H3Config, H3Counters, RetryPolicy};
use zephyr_h3::{H3Endpoint, H3Error, H3Event, RequestId, Transmit};

use crate::conn::{ConnId, ConnLimits, EventSink, Payload, RequestEvent, BODY_CHUNK_MAX};
use crate::http1::{RequestHead, Version};
use crate::protocol::commands::{Fields, ResponseStart};
use crate::send::FileBody;
use crate::stream_exchange::{self, payload_bytes, Exchange, FilePump, HeldPump, StreamOut};
use crate::stream_request::{self, StreamRequest};

/// Connection indexes from here up name QUIC connections (TCP slots count up from 0).
pub const H3_INDEX_BASE: u32 = 0x8000_0000;

/// What happened outside a sink's reach (while commands were applied), for the next delivery.
enum Notice {
    Drained(ConnId, u32),
    Aborted(ConnId, u32),
    FileSent(ConnId, u32, i32),
}

impl Notice {
    fn deliver(self, sink: &mut dyn EventSink) {
        match self {
            Notice::Drained(id, seq) => sink.drained(id, seq),
            Notice::Aborted(id, seq) => sink.stream_aborted(id, seq),
            Notice::FileSent(id, seq, err) => sink.file_sent(id, seq, err),
        }
    }
}

/// An exchange that ends unanswered (its stream reset, its connection gone, its peer stuck):
/// its file is closed and reported cancelled, then the request reported aborted.
fn cancel(ex: Exchange, conn: Option<ConnId>, seq: u32, mut report: impl FnMut(Notice)) {
    if let Some(file) = ex.file {
        close_fd(file.fd);
        if let Some(conn) = conn {
            report(Notice::FileSent(conn, seq, -libc::ECANCELED));
        }
    }
    if let Some(conn) = conn {
        report(Notice::Aborted(conn, seq));
    }
}

/// Every QUIC connection of one UDP socket, on the engine contract.
pub struct H3Session {
    endpoint: H3Endpoint,
    exchanges: HashMap<RequestId, Exchange>,
    /// The generation of each live QUIC connection (endpoint number → gen).
    gens: HashMap<usize, u32>,
    next_gen: u32,
    /// Events taken from the endpoint and not yet delivered (the sink had no room, or one was
    /// looked at ahead), first to go next time.
    pending: VecDeque<H3Event>,
    /// Body bytes of the front event already delivered, and whether it was counted.
    pending_sent: usize,
    pending_counted: bool,
    notices: Vec<Notice>,
    limits: ConnLimits,
    date: Vec<u8>,
    /// Milliseconds on the engine's clock, as of the last call that had it.
    now_ms: u64,
    head: RequestHead,
    scratch: Vec<u8>,
    file_buf: Vec<u8>,
}

fn close_fd(fd: RawFd) {
    // SAFETY: the session owns `fd` (handed over by `send_file`) and nothing refers to it after.
    unsafe { libc::close(fd) };
}

/// The engine's name for endpoint connection `conn`, when `gens` knows it (a free function so
/// it can be asked while the exchanges are borrowed).
fn known_id(gens: &HashMap<usize, u32>, conn: usize) -> Option<ConnId> {
    Some(ConnId {
        index: H3_INDEX_BASE + conn as u32,
        gen: *gens.get(&conn)?,
    })
}

/// One request stream of the endpoint, as a file body is pumped into it.
struct H3Stream<'a>(&'a mut H3Endpoint, RequestId);

impl StreamOut for H3Stream<'_> {
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

impl H3Session {
    /// A session over an endpoint built from `config` and the TLS listener's configuration.
    pub fn new(
        config: H3Config,
        tls: rustls::ServerConfig,
        limits: &ConnLimits,
    ) -> Result<Self, zephyr_h3::ConfigError> {
        Ok(H3Session {
            endpoint: H3Endpoint::new(config, tls)?,
            exchanges: HashMap::new(),
            gens: HashMap::new(),
            next_gen: 0,
            pending: VecDeque::new(),
            pending_sent: 0,
            pending_counted: false,
            notices: Vec::new(),
            limits: *limits,
            date: Vec::new(),
            now_ms: 0,
            head: RequestHead::new(),
            scratch: Vec::new(),
            file_buf: Vec::new(),
        })
    }

    /// Whether a connection id names a QUIC connection (rather than a TCP slot).
    pub fn owns(id: ConnId) -> bool {
        id.index >= H3_INDEX_BASE
    }

    // ---- datagrams, timers (the ring loop) -------------------------------------------------

    /// One received datagram.
    pub fn handle_datagram(&mut self, now: Instant, peer: SocketAddr, data: &[u8]) {
        self.endpoint.handle_datagram(now, peer, data);
    }

    /// Runs the endpoint's timers when due.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.endpoint.poll_timeout().is_some_and(|t| t <= now) {
            self.endpoint.handle_timeout(now);
        }
    }

    /// When the endpoint's next timer is due.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        self.endpoint.poll_timeout()
    }

    /// The next datagram (or GSO batch) to send.
    pub fn poll_transmit(
        &mut self,
        now: Instant,
        max_datagrams: usize,
        buf: &mut Vec<u8>,
    ) -> Option<Transmit> {
        self.endpoint.poll_transmit_batch(now, max_datagrams, buf)
    }

    /// New TLS settings for QUIC handshakes from now on (a certificate reload).
    pub fn set_tls(&mut self, tls: rustls::ServerConfig) -> Result<(), zephyr_h3::ConfigError> {
        self.endpoint.set_tls(tls)
    }

    /// New QUIC connections are refused; the open ones are served on.
    pub fn stop_accepting(&mut self) {
        self.endpoint.stop_accepting();
    }

    /// GOAWAY on every connection; requests in flight finish.
    pub fn shutdown(&mut self, now: Instant) {
        self.endpoint.shutdown(now);
    }

    /// Closes every connection now (after a shutdown that took too long).
    pub fn close_all(&mut self, now: Instant) {
        self.endpoint.close_all(now);
    }

    /// QUIC connections open (handshaking ones included).
    pub fn connections(&self) -> usize {
        self.endpoint.connection_count()
    }

    /// After `shutdown`: every connection has closed.
    pub fn is_idle(&self) -> bool {
        self.endpoint.is_idle()
    }

    /// The endpoint's counters.
    pub fn counters(&self) -> &zephyr_h3::H3Counters {
        self.endpoint.counters()
    }

    /// The peer address of a QUIC connection (its latest, after a migration).
    pub fn peer_addr(&self, id: ConnId) -> Option<SocketAddr> {
        let conn = self.endpoint_conn(id)?;
        self.endpoint.remote_address(conn)
    }

    /// Whether events (or notices) wait for a sink.
    pub fn has_news(&self) -> bool {
        !self.notices.is_empty() || !self.pending.is_empty() || self.endpoint.has_events()
    }

    // ---- ids ------------------------------------------------------------------------------

    fn endpoint_conn(&self, id: ConnId) -> Option<usize> {
        if !Self::owns(id) {
            return None;
        }
        let conn = (id.index - H3_INDEX_BASE) as usize;
        (self.gens.get(&conn) == Some(&id.gen)).then_some(conn)
    }

    fn request_id(&self, id: ConnId, seq: u32) -> Option<RequestId> {
        Some(RequestId {
            conn: self.endpoint_conn(id)?,
            stream: seq as u64,
        })
    }

    /// The exchange of request `seq` of JS connection `conn`, while both are live.
    fn exchange_mut(&mut self, conn: ConnId, seq: u32) -> Option<(RequestId, &mut Exchange)> {
        let id = self.request_id(conn, seq)?;
        Some((id, self.exchanges.get_mut(&id)?))
    }

    /// The engine's name for an endpoint connection, made on first sight.
    fn conn_id(&mut self, conn: usize) -> ConnId {
        let gen = match self.gens.get(&conn) {
            Some(&g) => g,
            None => {
                self.next_gen = (self.next_gen + 1) & 0xff_ffff;
                self.gens.insert(conn, self.next_gen);
                self.next_gen
            }
        };
        ConnId {
            index: H3_INDEX_BASE + conn as u32,
            gen,
        }
    }

    /// The engine's name for an endpoint connection it already knows.
    fn known_id(&self, conn: usize) -> Option<ConnId> {
        known_id(&self.gens, conn)
    }

    // ---- events to the sink ----------------------------------------------------------------

    /// Hands notices and endpoint events to the sink; stops when it has no room (the rest wait).
    /// `now_ms` is the engine's clock, `date` its `date` field value.
    pub fn deliver(&mut self, sink: &mut dyn EventSink, now_ms: u64, date: &[u8]) {
        self.now_ms = now_ms;
        if self.date != date {
            self.date.clear();
            self.date.extend_from_slice(date);
        }
        self.flush_notices(sink);
        while let Some(event) = self
            .pending
            .pop_front()
            .or_else(|| self.endpoint.poll_event())
        {
            let event = self.coalesce(event);
            if let Some(back) = self.handle(event, sink) {
                self.pending.push_front(back);
                break;
            }
        }
    }

    /// Hands the sink what happened while commands were applied (or a window reopened).
    fn flush_notices(&mut self, sink: &mut dyn EventSink) {
        for notice in self.notices.drain(..) {
            notice.deliver(sink);
        }
    }

    /// Joins body pieces of one stream that follow each other (QUIC hands them over about one
    /// packet at a time) into one event of up to `BODY_CHUNK_MAX` bytes: one JS record instead of
    /// fifty. Only an event fresh from the endpoint (nothing pending, nothing of it delivered)
    /// is joined, so order is kept.
    fn coalesce(&mut self, event: H3Event) -> H3Event {
        let H3Event::Data { id, mut bytes, end } = event else {
            return event;
        };
        if end || !self.pending.is_empty() || self.pending_sent > 0 || self.pending_counted {
            return H3Event::Data { id, bytes, end };
        }
        let mut end = false;
        while bytes.len() < BODY_CHUNK_MAX && !end {
            match self.endpoint.poll_event() {
                Some(H3Event::Data {
                    id: next,
                    bytes: more,
                    end: last,
                }) if next == id => {
                    bytes.extend_from_slice(&more);
                    end = last;
                }
                Some(other) => {
                    self.pending.push_back(other);
                    break;
                }
                None => break,
            }
        }
        H3Event::Data { id, bytes, end }
    }

    /// One endpoint event to the sink; gives it back when the sink had no room.
    fn handle(&mut self, event: H3Event, sink: &mut dyn EventSink) -> Option<H3Event> {
        match event {
            H3Event::Request { id, .. } => {
                if id.stream > u32::MAX as u64 {
                    // Past four billion streams on one connection: the engine's seq is 32 bits.
                    let _ = self.endpoint.reset(id, H3Error::REQUEST_REJECTED.0);
                    return None;
                }
                let seq = id.stream as u32;
                let conn = self.conn_id(id.conn);
                // A GET's FIN comes with its HEADERS: its empty end of body is the next event.
                if self.pending.is_empty() {
                    if let Some(next) = self.endpoint.poll_event() {
                        self.pending.push_back(next);
                    }
                }
                let body_follows = !matches!(
                    self.pending.front(),
                    Some(H3Event::Data { id: next, bytes, end: true }) if *next == id && bytes.is_empty()
                );
                let head_request = self.build_request(&event);
                if let Some(status) = self.refusal(body_follows) {
                    self.answer_error(id, status);
                    return None;
                }
                let req = RequestEvent {
                    buf: &self.scratch,
                    head: &self.head,
                    body: None,
                    body_follows,
                };
                if !sink.request(conn, seq, &req) {
                    return Some(event);
                }
                if !body_follows {
                    self.pending.pop_front();
                }
                self.exchanges.insert(
                    id,
                    Exchange {
                        head_request,
                        request_done: !body_follows,
                        started: self.now_ms,
                        ..Exchange::default()
                    },
                );
            }
            H3Event::Data { id, bytes, end } => {
                let n = bytes.len();
                let conn = self.known_id(id.conn);
                let seq = id.stream as u32;
                if !self.pending_counted {
                    // Counted once, even when the event waits for room and comes back.
                    self.pending_counted = true;
                    if let (Some(ex), Some(conn)) = (self.exchanges.get_mut(&id), conn) {
                        if ex.count_body(n, self.limits.max_body_bytes) {
                            sink.body_error(conn, seq, 413);
                        }
                    }
                }
                let wanted = self.exchanges.get(&id).is_some_and(|ex| !ex.body_failed);
                if let (true, Some(conn)) = (wanted, conn) {
                    let sent = &mut self.pending_sent;
                    if !stream_request::deliver_body(sink, conn, seq, &bytes, end, sent) {
                        return Some(H3Event::Data { id, bytes, end });
                    }
                }
                self.pending_sent = 0;
                self.pending_counted = false;
                match self.exchanges.get_mut(&id) {
                    Some(ex) => {
                        if ex.body_delivered(n, end, wanted) {
                            self.endpoint.release(id, n);
                        }
                        self.forget_if_done(id);
                    }
                    None => self.endpoint.release(id, n),
                }
            }
            H3Event::Trailers { id, headers } => {
                // Request trailers are not part of the engine's request contract: the body ends.
                if let Some(conn) = self.known_id(id.conn) {
                    if self.exchanges.contains_key(&id) {
                        if !sink.has_room(0) {
                            return Some(H3Event::Trailers { id, headers });
                        }
                        sink.body(conn, id.stream as u32, &[], true);
                    }
                }
                if let Some(ex) = self.exchanges.get_mut(&id) {
                    ex.request_done = true;
                }
                self.forget_if_done(id);
            }
            H3Event::Reset { id, .. } => {
                if let Some(ex) = self.exchanges.remove(&id) {
                    cancel(ex, self.known_id(id.conn), id.stream as u32, |n| {
                        n.deliver(sink)
                    });
                }
            }
            H3Event::WindowOpened { id } => {
                self.pump(id);
                self.flush_notices(sink);
            }
            H3Event::ConnectionClosed { conn, .. } => {
                // Every request still open got a Reset first; what is left here is exchanges the
                // endpoint had finished with (a file still being read, say).
                let gone: Vec<RequestId> = self
                    .exchanges
                    .keys()
                    .filter(|r| r.conn == conn)
                    .copied()
                    .collect();
                let cid = self.known_id(conn);
                for rid in gone {
                    let ex = self.exchanges.remove(&rid).expect("listed");
                    cancel(ex, cid, rid.stream as u32, |n| n.deliver(sink));
                }
                self.gens.remove(&conn);
            }
        }
        None
    }

    /// Lays a request out as the HTTP/1 parser would have (spans into `scratch`), so the sink
    /// records it the same way; `:authority` becomes `host` when the request has none. Returns
    /// whether it is a HEAD request.
    fn build_request(&mut self, event: &H3Event) -> bool {
        let H3Event::Request {
            method,
            authority,
            path,
            headers,
            ..
        } = event
        else {
            unreachable!("called for requests")
        };
        let request = StreamRequest {
            method,
            authority: (!authority.is_empty()).then_some(authority.as_str()),
            path,
            headers,
        };
        stream_request::lay_out(&request, Version::Http3, &mut self.head, &mut self.scratch)
    }

    /// The status the engine answers instead of the application, for a request past a limit
    /// HTTP/1 enforces too.
    fn refusal(&self, body_follows: bool) -> Option<u16> {
        stream_request::refusal(&self.head, &self.scratch, &self.limits, body_follows)
    }

    /// The engine's own answer (the problem document HTTP/1 sends too).
    fn answer_error(&mut self, id: RequestId, status: u16) {
        stream_exchange::answer_problem(&mut H3Stream(&mut self.endpoint, id), status, &self.date);
    }

    fn forget_if_done(&mut self, id: RequestId) {
        if self.exchanges.get(&id).is_some_and(Exchange::is_over) {
            self.exchanges.remove(&id);
        }
    }

    /// The exchange failed on our side (a field HTTP/3 cannot carry, a file that shrank): the
    /// stream is reset and the application told.
    fn fail(&mut self, id: RequestId) {
        let _ = self.endpoint.reset(id, H3Error::INTERNAL_ERROR.0);
        if let Some(ex) = self.exchanges.remove(&id) {
            let conn = self.known_id(id.conn);
            cancel(ex, conn, id.stream as u32, |n| self.notices.push(n));
        }
    }

    // ---- responses (the application's commands) -------------------------------------------

    /// Offers an exchange's held bytes (then its file) to QUIC, as far as it takes them; ends
    /// the response when all is taken and the end was asked for.
    fn pump(&mut self, id: RequestId) {
        let Some(ex) = self.exchanges.get_mut(&id) else {
            return;
        };
        if !ex.responded {
            return;
        }
        if ex.response_done {
            // Everything was taken (the last bytes ended it): a drain asked for is due now.
            return self.drain_if_asked(id);
        }
        match ex.pump_held(&mut H3Stream(&mut self.endpoint, id), self.now_ms) {
            HeldPump::Gone | HeldPump::Waiting => return,
            HeldPump::TrailersRefused => return self.fail(id),
            HeldPump::Taken => {}
        }
        if ex.file.is_some() {
            self.pump_file(id);
        }
        self.drain_if_asked(id);
    }

    /// Reports `drained` once everything held is taken, if it was asked for.
    fn drain_if_asked(&mut self, id: RequestId) {
        let Some(ex) = self.exchanges.get_mut(&id) else {
            return;
        };
        if ex.want_drain && ex.held.is_empty() && ex.file.is_none() {
            ex.want_drain = false;
            if let Some(conn) = self.known_id(id.conn) {
                self.notices.push(Notice::Drained(conn, id.stream as u32));
            }
        }
        self.forget_if_done(id);
    }

    /// Reads the file into `send_data` pieces sized to what QUIC takes; reports it sent at the end.
    fn pump_file(&mut self, id: RequestId) {
        let Some(ex) = self.exchanges.get_mut(&id) else {
            return;
        };
        let mut out = H3Stream(&mut self.endpoint, id);
        let (fd, result) = match ex.pump_file(&mut out, &mut self.file_buf, self.now_ms) {
            FilePump::Waiting => return,
            FilePump::Sent(fd) => (fd, 0),
            FilePump::Failed(fd, err) => (fd, err),
        };
        close_fd(fd);
        if let Some(conn) = self.known_id(id.conn) {
            self.notices
                .push(Notice::FileSent(conn, id.stream as u32, result));
        }
        if result != 0 {
            self.fail(id);
        }
    }

    /// The response head (names lower-cased, HTTP/1-only fields dropped, a known length as
    /// `content-length`, the engine's `date` unless given).
    fn send_head(&mut self, id: RequestId, start: &ResponseStart<'_>, end: bool) -> bool {
        let sent = stream_exchange::with_response_fields(start, &self.date, |fields| {
            self.endpoint.send_headers(id, start.status, fields, end)
        });
        match sent {
            Ok(()) => true,
            Err(_) => {
                // A field HTTP/3 cannot carry: the stream fails rather than sending something
                // else than the application asked for.
                self.fail(id);
                false
            }
        }
    }

    /// Starts the response of request `seq` with its first body bytes.
    pub fn respond(
        &mut self,
        conn: ConnId,
        seq: u32,
        start: &ResponseStart<'_>,
        body: Payload<'_>,
        end: bool,
        want_drain: bool,
    ) {
        let Some(id) = self.request_id(conn, seq) else {
            return;
        };
        let Some(ex) = self.exchanges.get(&id) else {
            return;
        };
        if ex.responded {
            return;
        }
        let no_body = ex.bodiless(start.status);
        let bytes = payload_bytes(&body);
        let end_at_head = end && (bytes.is_empty() || no_body);
        if !self.send_head(id, start, end_at_head) {
            return;
        }
        let ex = self.exchanges.get_mut(&id).expect("checked above");
        ex.responded = true;
        if end_at_head {
            ex.response_done = true;
            if want_drain {
                self.notices.push(Notice::Drained(conn, seq));
            }
        } else {
            ex.end_pending = end;
            ex.want_drain |= want_drain;
            self.offer(id, if no_body { &[] } else { bytes });
        }
        self.forget_if_done(id);
    }

    /// New body bytes: straight to QUIC when nothing waits before them; what it does not take
    /// is held.
    fn offer(&mut self, id: RequestId, bytes: &[u8]) {
        let Some(ex) = self.exchanges.get_mut(&id) else {
            return;
        };
        if ex.offer(&mut H3Stream(&mut self.endpoint, id), bytes) {
            self.pump(id);
        }
    }

    /// More body bytes of a started response.
    pub fn write_body(
        &mut self,
        conn: ConnId,
        seq: u32,
        body: Payload<'_>,
        end: bool,
        want_drain: bool,
    ) {
        let Some((id, ex)) = self.exchange_mut(conn, seq) else {
            return;
        };
        if !ex.takes_more() {
            return;
        }
        let bytes = ex.next_body(payload_bytes(&body), end, want_drain);
        self.offer(id, bytes);
        self.forget_if_done(id);
    }

    /// Ends a started response with trailer fields (a trailing HEADERS frame once the body held
    /// so far is all taken).
    pub fn trailers(&mut self, conn: ConnId, seq: u32, fields: Fields<'_>) {
        let Some((id, ex)) = self.exchange_mut(conn, seq) else {
            return;
        };
        if !ex.takes_more() {
            return;
        }
        ex.end_with_trailers(fields);
        self.pump(id);
    }

    /// Starts the response with a file as its whole body. Returns the descriptor when the
    /// request is gone (the caller closes it and reports the file cancelled).
    pub fn send_file(
        &mut self,
        conn: ConnId,
        seq: u32,
        start: &ResponseStart<'_>,
        file: FileBody,
    ) -> Result<(), RawFd> {
        let Some(id) = self.request_id(conn, seq) else {
            return Err(file.fd);
        };
        let Some(ex) = self.exchanges.get(&id) else {
            return Err(file.fd);
        };
        if ex.responded {
            return Err(file.fd);
        }
        let no_body = file.remaining == 0 || ex.bodiless(start.status);
        if !self.send_head(id, start, no_body) {
            return Err(file.fd);
        }
        let ex = self.exchanges.get_mut(&id).expect("checked above");
        ex.responded = true;
        if no_body {
            ex.response_done = true;
            close_fd(file.fd);
            self.notices.push(Notice::FileSent(conn, seq, 0));
        } else {
            ex.file = Some(file);
            self.pump(id);
        }
        self.forget_if_done(id);
        Ok(())
    }

    /// Whether the application may still answer request `seq`.
    pub fn response_open(&self, conn: ConnId, seq: u32) -> bool {
        self.request_id(conn, seq)
            .and_then(|id| self.exchanges.get(&id))
            .is_some_and(|ex| !ex.responded)
    }

    /// JS stopped (`true`) or resumed reading the body: bytes it has not read stay unreleased,
    /// so the client's credit stops; resuming releases them.
    pub fn set_paused(&mut self, conn: ConnId, seq: u32, paused: bool) {
        let Some((id, ex)) = self.exchange_mut(conn, seq) else {
            return;
        };
        ex.paused = paused;
        if !paused && ex.unreleased > 0 {
            let n = std::mem::take(&mut ex.unreleased);
            self.endpoint.release(id, n);
        }
    }

    /// The application gave up on request `seq`: the stream is reset both ways
    /// (H3_REQUEST_CANCELLED); the connection goes on.
    pub fn destroy(&mut self, conn: ConnId, seq: u32) {
        let Some(id) = self.request_id(conn, seq) else {
            return;
        };
        let _ = self.endpoint.reset(id, H3Error::REQUEST_CANCELLED.0);
        if let Some(ex) = self.exchanges.remove(&id) {
            if let Some(file) = ex.file {
                close_fd(file.fd);
                self.notices
                    .push(Notice::FileSent(conn, seq, -libc::ECANCELED));
            }
        }
    }

    /// Checks the deadlines: a response QUIC has taken nothing of for `write_timeout_ms` (a
    /// peer that stops reading) is reset and aborted, the connection goes on; a request body
    /// not in within `request_timeout_ms` fails with 408 (as on HTTP/1 and HTTP/2).
    pub fn tick(&mut self, now_ms: u64, sink: &mut dyn EventSink) {
        self.now_ms = now_ms;
        let write_timeout = self.limits.write_timeout_ms;
        let stuck: Vec<RequestId> = self
            .exchanges
            .iter()
            .filter(|(_, ex)| {
                ex.stalled_since
                    .is_some_and(|t| now_ms.saturating_sub(t) >= write_timeout)
            })
            .map(|(&id, _)| id)
            .collect();
        for id in stuck {
            let _ = self.endpoint.reset(id, H3Error::REQUEST_CANCELLED.0);
            if let Some(ex) = self.exchanges.remove(&id) {
                cancel(ex, self.known_id(id.conn), id.stream as u32, |n| {
                    n.deliver(sink)
                });
            }
        }
        let timeout = self.limits.request_timeout_ms;
        for (id, ex) in self.exchanges.iter_mut() {
            let late = now_ms.saturating_sub(ex.started) >= timeout;
            if late && !ex.request_done && !ex.body_failed {
                ex.body_failed = true;
                if let Some(conn) = known_id(&self.gens, id.conn) {
                    sink.body_error(conn, id.stream as u32, 408);
                }
            }
        }
    }

    /// Open exchanges (for tests and shutdown).
    pub fn open_exchanges(&self) -> usize {
        self.exchanges.len()
    }
}

impl Drop for H3Session {
    fn drop(&mut self) {
        for ex in self.exchanges.values() {
            if let Some(file) = ex.file {
                close_fd(file.fd);
            }
        }
    }
}

#[cfg(test)]
#[path = "h3_session_tests.rs"]
mod tests;
