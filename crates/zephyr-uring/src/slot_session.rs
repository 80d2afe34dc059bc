//! The protocol session a connection slot holds: HTTP/1 from accept, a WebSocket once an upgrade
//! is accepted, HTTP/2 once the preface (or ALPN) says so. The ring loop drives each through
//! [`Session`]; the request/response commands (responses, files, pauses) reach the HTTP/1 and
//! HTTP/2 sessions (for HTTP/2, `seq` is the stream id) and are ignored by a WebSocket, as a
//! command for a connection that has moved on to another protocol must be.

use crate::conn::{Conn, ConnLimits, EventSink, Payload, Wants};
use crate::h2_conn::H2Conn;
use crate::protocol::commands::{Fields, ResponseStart, WriteFlags};
use crate::send::{FileBody, ResponseQueue, WriteOutcome};
use crate::session::Session;
use crate::ws_conn::WsConn;

/// One connection's session.
// Most connections stay HTTP/1: boxing that variant would cost every connection an allocation.
#[allow(clippy::large_enum_variant)]
pub enum SlotSession {
    Http(Conn),
    Ws(Box<WsConn>),
    H2(Box<H2Conn>),
}

impl SlotSession {
    /// The HTTP/1 session, unless the connection was upgraded.
    pub fn http(&mut self) -> Option<&mut Conn> {
        match self {
            SlotSession::Http(conn) => Some(conn),
            _ => None,
        }
    }

    /// The HTTP/2 session.
    pub fn h2(&mut self) -> Option<&mut H2Conn> {
        match self {
            SlotSession::H2(h2) => Some(h2),
            _ => None,
        }
    }

    /// The WebSocket session, once the connection was upgraded.
    pub fn ws(&mut self) -> Option<&mut WsConn> {
        match self {
            SlotSession::Ws(ws) => Some(ws),
            _ => None,
        }
    }

    fn session(&mut self) -> &mut dyn Session {
        match self {
            SlotSession::Http(conn) => conn,
            SlotSession::Ws(ws) => &mut **ws,
            SlotSession::H2(h2) => &mut **h2,
        }
    }

    fn session_ref(&self) -> &dyn Session {
        match self {
            SlotSession::Http(conn) => conn,
            SlotSession::Ws(ws) => &**ws,
            SlotSession::H2(h2) => &**h2,
        }
    }

    pub fn respond(
        &mut self,
        seq: u32,
        start: &ResponseStart<'_>,
        body: Payload<'_>,
        flags: WriteFlags,
        date: &[u8],
    ) {
        match self {
            SlotSession::Http(conn) => conn.respond(seq, start, body, flags, date),
            // `close` is a connection matter in HTTP/1; an HTTP/2 connection outlives a failed
            // stream.
            SlotSession::H2(h2) => h2.respond(seq, start, body, flags.end, flags.want_drain, date),
            SlotSession::Ws(_) => {}
        }
    }

    /// More body bytes; `want_drain` asks for `drained` once they are sent (HTTP/1) or all
    /// taken by the stream's windows (HTTP/2).
    pub fn write_body(
        &mut self,
        seq: u32,
        body: Payload<'_>,
        end: bool,
        close: bool,
        want_drain: bool,
    ) {
        match self {
            SlotSession::Http(conn) => {
                conn.write_body(seq, body, end, close);
                if want_drain {
                    conn.want_drain(seq);
                }
            }
            SlotSession::H2(h2) => h2.write_body(seq, body, end, want_drain),
            SlotSession::Ws(_) => {}
        }
    }

    /// Ends started response `seq` with trailer fields.
    pub fn trailers(&mut self, seq: u32, fields: Fields<'_>, close: bool) {
        match self {
            SlotSession::Http(conn) => conn.trailers(seq, fields, close),
            SlotSession::H2(h2) => h2.trailers(seq, fields),
            SlotSession::Ws(_) => {}
        }
    }

    pub fn want_drain(&mut self, seq: u32) {
        if let Some(conn) = self.http() {
            conn.want_drain(seq);
        }
    }

    pub fn response_open(&mut self, seq: u32) -> bool {
        match self {
            SlotSession::Http(conn) => conn.response_open(seq),
            SlotSession::H2(h2) => h2.stream_open(seq),
            SlotSession::Ws(_) => false,
        }
    }

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
        self.http()?
            .file_head(seq, status, fields, length, close, date)
    }

    pub fn queue_file(
        &mut self,
        seq: u32,
        head: &[u8],
        file: FileBody,
        close: bool,
    ) -> WriteOutcome {
        match self.http() {
            Some(conn) => conn.queue_file(seq, head, file, close),
            None => WriteOutcome::UnknownSeq,
        }
    }

    pub fn send_continue(&mut self, seq: u32) {
        if let Some(conn) = self.http() {
            conn.send_continue(seq);
        }
    }

    /// Stops or restarts reading for request `seq`'s body; `true` when buffered input should
    /// be offered again.
    pub fn set_paused(&mut self, seq: u32, paused: bool) -> bool {
        match self {
            SlotSession::Http(conn) => conn.set_paused(paused),
            SlotSession::H2(h2) => {
                h2.set_stream_paused(seq, paused);
                false
            }
            SlotSession::Ws(_) => false,
        }
    }
}

impl Session for SlotSession {
    fn receive(
        &mut self,
        data: &[u8],
        sink: &mut dyn EventSink,
        limits: &ConnLimits,
        date: &[u8],
        now: u64,
    ) {
        self.session().receive(data, sink, limits, date, now);
    }
    fn retry_input(
        &mut self,
        sink: &mut dyn EventSink,
        limits: &ConnLimits,
        date: &[u8],
        now: u64,
    ) {
        self.session().retry_input(sink, limits, date, now);
    }
    fn input_stalled(&self) -> bool {
        self.session_ref().input_stalled()
    }
    fn take_unblocked(&mut self, limits: &ConnLimits) -> bool {
        self.session().take_unblocked(limits)
    }
    fn wants_read(&self, limits: &ConnLimits) -> bool {
        self.session_ref().wants_read(limits)
    }
    fn peer_closed(&mut self) {
        self.session().peer_closed();
    }
    fn tick(
        &mut self,
        now: u64,
        sink: &mut dyn EventSink,
        date: &[u8],
        limits: &ConnLimits,
    ) -> Wants {
        self.session().tick(now, sink, date, limits)
    }
    fn after_output(&mut self, now: u64, limits: &ConnLimits) {
        self.session().after_output(now, limits);
    }
    fn is_done(&self) -> bool {
        self.session_ref().is_done()
    }
    fn close_when_idle(&mut self) {
        self.session().close_when_idle();
    }
    fn fail(&mut self, status: u16, date: &[u8]) {
        self.session().fail(status, date);
    }
    fn has_open_work(&self) -> bool {
        self.session_ref().has_open_work()
    }
    fn output(&mut self) -> &mut ResponseQueue {
        self.session().output()
    }
    fn output_moved(&mut self, now: u64) {
        self.session().output_moved(now);
    }
}
