//! A WebSocket connection on the ring: the sans-IO [`WsSession`] (framing, deflate, close
//! handshake) behind the [`Session`] trait, plus what the ring adds around it: messages handed to
//! the event sink in pieces that fit it, the close reported once, idle pings, the
//! slow-consumer policy, and output queued on the connection's [`ResponseQueue`] (the 101's
//! response slot, whose raw body the frames are).

use std::sync::Arc;

use crate::conn::{ConnId, ConnLimits, EventSink, Payload, Wants};
use crate::send::{ExternalBytes, ResponseQueue};
use crate::session::Session;
use crate::ws::{
    encode_frame_header, Opcode, PlacedMessage, WsEvent, WsSession, WsState, MAX_FRAME_HEADER_BYTES,
};

/// Largest piece of a message in one event (a message up to the payload limit crosses in many).
const MESSAGE_PIECE: usize = 64 * 1024;
/// How long, after our close frame, the peer has to answer with its own before the connection is
/// dropped (RFC 6455 §7.1.1 lets the server close the TCP connection first).
pub const CLOSE_HANDSHAKE_MS: u64 = 1000;
/// Bytes received while a message waits for room in the sink, past which reading stops.
const INPUT_CAP: usize = 1 << 20;
/// Shared frames at least this long are queued by reference rather than copied per subscriber.
const SHARE_MIN: usize = 1024;
/// Code reported for a connection that ended without a close handshake (RFC 6455 §7.1.5).
pub const ABNORMAL_CLOSURE: u16 = 1006;

/// What a WebSocket connection was accepted with (`CMD_WS_ACCEPT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WsPolicy {
    /// Output bytes queued past which a message is dropped or the connection closed.
    pub max_backpressure: usize,
    /// Past `max_backpressure`, drop the message (else close the slow consumer).
    pub drop: bool,
    /// Silence after which the peer is pinged (at half) and closed with 1001; 0: never.
    pub idle_timeout_ms: u64,
}

/// A frame framed once and queued on many connections (a published message).
#[derive(Clone)]
pub struct SharedFrame(pub Arc<[u8]>);

impl ExternalBytes for SharedFrame {
    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Whether a message was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    Yes,
    /// Not open, or over the backpressure limit (the drop policy).
    Dropped,
    /// Over the backpressure limit with the close policy: the connection is being dropped.
    Closed,
}

/// A received message's bytes on their way to the sink.
enum PendingData {
    /// Assembled by the session: handed over in pieces of at most [`MESSAGE_PIECE`].
    Own { data: Vec<u8>, sent: usize },
    /// Already in the sink's own store: handed over whole.
    Placed(PlacedMessage),
}

struct Pending {
    data: PendingData,
    binary: bool,
}

/// One upgraded connection.
pub struct WsConn {
    id: ConnId,
    /// The upgrade request's sequence number: the 101's response slot carries the frames.
    seq: u32,
    ws: WsSession,
    out: ResponseQueue,
    policy: WsPolicy,
    /// Bytes received while `pending` waits for the sink; `input[input_pos..]` are unread.
    input: Vec<u8>,
    /// Read up to here: the front is dropped only once it is most of the buffer, so a backlog
    /// of many messages is not moved down once per message.
    input_pos: usize,
    /// A received message not yet wholly handed to the sink.
    pending: Option<Pending>,
    stalled: bool,
    last_seen: u64,
    pinged: bool,
    /// When the peer must have answered our close frame.
    close_by: Option<u64>,
    /// The close to report, once the messages before it are out.
    report: Option<(u16, String)>,
    reported: bool,
    last_progress: u64,
    /// Drop the TCP connection now (slow consumer, handshake timeout, internal error).
    doomed: bool,
    /// The close frame (and anything after it) that ended the session on the peer's input,
    /// held back one batch so the application's replies to the messages before it go out first
    /// (as a synchronous echo would have them: Autobahn 3.x, 4.x, 5.15).
    held: Option<Vec<u8>>,
    /// Drop it once the next send completes (a slow consumer: what the kernel takes of its
    /// queue, the 101 first, still reaches it; the rest is dropped).
    drop_after_send: bool,
}

impl WsConn {
    /// A session taking over a connection whose 101 (response `seq`) is in `out`. `input`: bytes
    /// that arrived after the upgrade request; they are offered on the next retry.
    pub fn new(
        id: ConnId,
        seq: u32,
        ws: WsSession,
        out: ResponseQueue,
        policy: WsPolicy,
        input: Vec<u8>,
        now: u64,
    ) -> WsConn {
        WsConn {
            id,
            seq,
            ws,
            out,
            policy,
            stalled: !input.is_empty(),
            input,
            input_pos: 0,
            pending: None,
            last_seen: now,
            pinged: false,
            close_by: None,
            report: None,
            reported: false,
            last_progress: now,
            doomed: false,
            held: None,
            drop_after_send: false,
        }
    }

    /// Received bytes not yet read by the session.
    fn unread(&self) -> usize {
        self.input.len() - self.input_pos
    }

    /// Whether messages may be sent.
    pub fn is_open(&self) -> bool {
        self.ws.state() == WsState::Open && !self.doomed && !self.drop_after_send
    }

    /// Drops the connection once the output queued so far has started going out.
    fn drop_soon(&mut self) {
        if self.out.flushed() {
            self.doomed = true;
        } else {
            self.drop_after_send = true;
        }
    }

    /// [`Self::drop_soon`] for a connection the application already counts as closed: no
    /// close is reported.
    pub fn drop_quietly(&mut self) {
        self.report = None;
        self.reported = true;
        self.drop_soon();
    }

    /// The negotiated permessage-deflate window when the peer expects no history from us (so a
    /// message compressed on its own, once for many connections, is valid here).
    pub fn shared_deflate_window(&self) -> Option<u8> {
        self.ws
            .deflate_params()
            .filter(|p| p.server_no_context_takeover)
            .map(|p| p.server_max_window_bits)
    }

    /// Whether permessage-deflate was negotiated.
    pub fn is_compressed(&self) -> bool {
        self.ws.is_compressed()
    }

    /// Takes the close report when it could not wait for a sink (commands run outside
    /// `process`); the caller delivers it.
    pub fn take_report(&mut self) -> Option<(u32, u16, String)> {
        if self.pending.is_some() {
            return None;
        }
        let (code, reason) = self.report.take()?;
        self.reported = true;
        Some((self.seq, code, reason))
    }

    fn report_once(&mut self, code: u16, reason: &str) {
        if !self.reported && self.report.is_none() {
            self.report = Some((code, reason.to_owned()));
        }
    }

    /// Room left under the backpressure limit for `len` more bytes; applies the policy when not.
    fn admit(&mut self, len: usize) -> Queued {
        if !self.is_open() {
            return Queued::Dropped;
        }
        if self.out.pending_bytes().saturating_add(len) <= self.policy.max_backpressure {
            return Queued::Yes;
        }
        if self.policy.drop {
            return Queued::Dropped;
        }
        // Its queue is full, so a close frame would wait behind it: drop the connection.
        self.report_once(ABNORMAL_CLOSURE, "slow consumer past maxBackpressureBytes");
        self.drop_soon();
        Queued::Closed
    }

    /// Sends a message from the application. Its backpressure limit is the application side's
    /// to apply (it answers `send` synchronously, with what it handed over since the queue was
    /// last seen empty); the limit here bounds what is queued on top by publishes.
    pub fn send(&mut self, payload: Payload<'_>, binary: bool, want_drain: bool) -> Queued {
        let bytes: &[u8] = match &payload {
            Payload::Bytes(b) => b,
            Payload::External(e) => e.bytes(),
        };
        let replying = self.held.is_some() && !self.doomed && !self.drop_after_send;
        if !self.is_open() && !replying {
            return Queued::Dropped;
        }
        let opcode = if binary { Opcode::Binary } else { Opcode::Text };
        // Pongs and close replies the session queued go first.
        self.move_output();
        // A reply while the close is held goes uncompressed (valid on any connection): the
        // session's compressor is done.
        if self.ws.is_compressed() && !replying {
            self.ws.send(opcode, bytes);
            self.move_output();
        } else {
            let mut header = [0u8; MAX_FRAME_HEADER_BYTES];
            let n = encode_frame_header(opcode, true, false, bytes.len() as u64, &mut header);
            self.out.write(self.seq, &header[..n], false, false);
            match payload {
                Payload::Bytes(b) => {
                    self.out.write(self.seq, b, false, false);
                }
                Payload::External(e) => {
                    self.out.write_external(self.seq, e, false, false);
                }
            }
        }
        if want_drain {
            self.out.want_drain(self.seq);
        }
        Queued::Yes
    }

    /// Queues a frame framed once for many connections.
    pub fn send_shared(&mut self, frame: &SharedFrame) -> Queued {
        let admitted = self.admit(frame.0.len());
        if admitted != Queued::Yes {
            return admitted;
        }
        self.move_output();
        if frame.0.len() >= SHARE_MIN {
            self.out
                .write_external(self.seq, Box::new(frame.clone()), false, false);
        } else {
            self.out.write(self.seq, &frame.0, false, false);
        }
        Queued::Yes
    }

    /// Starts the close handshake.
    pub fn close(&mut self, code: u16, reason: &str) {
        self.ws.close(code, reason);
        self.move_output();
    }

    /// Sends a ping (ignored past 125 bytes or once closing).
    pub fn ping(&mut self, payload: &[u8]) {
        self.move_output();
        self.ws.send_ping(payload);
        self.move_output();
    }

    fn release_held(&mut self) {
        if let Some(held) = self.held.take() {
            self.out.write(self.seq, &held, false, false);
        }
    }

    fn move_output(&mut self) {
        let out = self.ws.pending_output();
        if out.is_empty() {
            return;
        }
        let n = out.len();
        self.out.write(self.seq, out, false, false);
        self.ws.consume_output(n);
    }

    /// Hands the pending message, then the close report, to the sink; false when it had no room.
    fn deliver(&mut self, sink: &mut dyn EventSink) -> bool {
        while let Some(p) = self.pending.as_mut() {
            match &mut p.data {
                PendingData::Own { data, sent } => {
                    let n = (data.len() - *sent).min(MESSAGE_PIECE);
                    if !sink.has_room_for_ws(n) {
                        return false;
                    }
                    let last = *sent + n == data.len();
                    sink.ws_message(self.id, self.seq, &data[*sent..*sent + n], p.binary, last);
                    *sent += n;
                    if last {
                        self.pending = None;
                    }
                }
                PendingData::Placed(_) => {
                    if !sink.has_room_for_placed() {
                        return false;
                    }
                    let Some(Pending {
                        data: PendingData::Placed(message),
                        binary,
                    }) = self.pending.take()
                    else {
                        unreachable!("matched a placed message");
                    };
                    sink.ws_placed(self.id, self.seq, message, binary);
                }
            }
        }
        if let Some((code, reason)) = self.report.take() {
            sink.ws_close(self.id, self.seq, code, reason.as_bytes());
            self.reported = true;
        }
        true
    }

    fn take_events(&mut self) {
        while let Some(event) = self.ws.poll_event() {
            match event {
                WsEvent::Text(text) => {
                    self.pending = Some(Pending {
                        data: PendingData::Own {
                            data: text.into_bytes(),
                            sent: 0,
                        },
                        binary: false,
                    })
                }
                WsEvent::Binary(data) => {
                    self.pending = Some(Pending {
                        data: PendingData::Own { data, sent: 0 },
                        binary: true,
                    })
                }
                WsEvent::Placed { text, data } => {
                    self.pending = Some(Pending {
                        data: PendingData::Placed(data),
                        binary: !text,
                    })
                }
                WsEvent::Ping(_) | WsEvent::Pong(_) => {}
                WsEvent::Close { code, reason } => self.report_once(code, &reason),
                WsEvent::ProtocolError { code, reason } => self.report_once(code, reason),
            }
        }
    }

    /// Feeds `buf` to the session; returns how much was used (less when the sink filled up).
    fn drive(&mut self, buf: &[u8], sink: &mut dyn EventSink) -> usize {
        let mut pos = 0;
        loop {
            if !self.deliver(sink) {
                self.stalled = true;
                return pos;
            }
            if self.ws.state() == WsState::Closed {
                self.move_output();
                return buf.len();
            }
            if pos == buf.len() {
                return pos;
            }
            pos += self
                .ws
                .handle_into(&buf[pos..], &mut |len| sink.ws_place(len));
            self.take_events();
            if self.ws.state() == WsState::Closed && self.held.is_none() {
                let out = self.ws.pending_output();
                self.held = Some(out.to_vec());
                let n = out.len();
                self.ws.consume_output(n);
                // Offered again on the next batch, after the application had its turn.
                self.stalled = true;
            }
            self.move_output();
        }
    }
}

impl Session for WsConn {
    fn receive(
        &mut self,
        data: &[u8],
        sink: &mut dyn EventSink,
        _limits: &ConnLimits,
        _date: &[u8],
        now: u64,
    ) {
        self.last_seen = now;
        self.pinged = false;
        if self.stalled || self.unread() > 0 {
            self.input.extend_from_slice(data);
            return;
        }
        let used = self.drive(data, sink);
        self.input.extend_from_slice(&data[used..]);
    }

    fn retry_input(&mut self, sink: &mut dyn EventSink, _: &ConnLimits, _: &[u8], _: u64) {
        self.stalled = false;
        self.release_held();
        let input = std::mem::take(&mut self.input);
        let used = self.drive(&input[self.input_pos..], sink);
        self.input = input;
        self.input_pos += used;
        if self.input_pos == self.input.len() {
            self.input.clear();
            self.input_pos = 0;
        } else if self.input_pos > self.input.len() / 2 {
            self.input.drain(..self.input_pos);
            self.input_pos = 0;
        }
    }

    fn input_stalled(&self) -> bool {
        self.stalled
    }

    fn take_unblocked(&mut self, _: &ConnLimits) -> bool {
        false
    }

    fn wants_read(&self, _: &ConnLimits) -> bool {
        // A peer that sends faster than it reads (pings whose pongs pile up) is not read past
        // the backpressure limit either.
        !self.doomed
            && !self.drop_after_send
            && !self.stalled
            && self.pending.is_none()
            && self.unread() < INPUT_CAP
            && self.out.pending_bytes() <= self.policy.max_backpressure
    }

    fn peer_closed(&mut self) {}

    fn tick(&mut self, now: u64, sink: &mut dyn EventSink, _: &[u8], limits: &ConnLimits) -> Wants {
        if self.out.flushed() {
            self.last_progress = now;
        } else if now.saturating_sub(self.last_progress) >= limits.write_timeout_ms {
            self.report_once(ABNORMAL_CLOSURE, "write timeout");
            self.doomed = true;
        }
        self.release_held();
        let idle = self.policy.idle_timeout_ms;
        match self.ws.state() {
            WsState::Open if idle > 0 && !self.doomed => {
                let quiet = now.saturating_sub(self.last_seen);
                if quiet >= idle {
                    self.close(crate::ws::CloseCode::GOING_AWAY, "idle timeout");
                    self.close_by = Some(now + CLOSE_HANDSHAKE_MS);
                } else if quiet >= idle / 2 && !self.pinged {
                    self.pinged = true;
                    self.ping(b"");
                }
            }
            WsState::Closing => {
                let by = *self.close_by.get_or_insert(now + CLOSE_HANDSHAKE_MS);
                if now >= by {
                    self.report_once(ABNORMAL_CLOSURE, "close handshake timed out");
                    self.doomed = true;
                }
            }
            _ => {}
        }
        self.deliver(sink);
        Wants {
            close_now: self.doomed,
        }
    }

    fn after_output(&mut self, _: u64, _: &ConnLimits) {}

    fn is_done(&self) -> bool {
        self.doomed
            || (self.ws.state() == WsState::Closed
                && self.held.is_none()
                && self.out.flushed()
                && self.reported
                && self.pending.is_none())
    }

    fn close_when_idle(&mut self) {
        if self.ws.state() == WsState::Open {
            self.close(crate::ws::CloseCode::GOING_AWAY, "server shutting down");
        }
    }

    fn fail(&mut self, _status: u16, _date: &[u8]) {
        self.report_once(1011, "internal error");
        self.doomed = true;
    }

    fn has_open_work(&self) -> bool {
        !self.reported
    }

    fn output(&mut self) -> &mut ResponseQueue {
        &mut self.out
    }

    fn output_moved(&mut self, now: u64) {
        self.last_progress = now;
        if self.drop_after_send {
            self.doomed = true;
        }
    }
}

impl std::fmt::Debug for WsConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsConn")
            .field("id", &self.id)
            .field("ws", &self.ws)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[path = "ws_conn_tests.rs"]
mod tests;
