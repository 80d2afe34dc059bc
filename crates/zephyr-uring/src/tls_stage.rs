//! The TLS transport of one connection slot, in user space: a [`TlsTransport`] plus the buffers
//! the ring needs around it. Received ciphertext → plaintext for the session; the session's
//! queued plaintext → one ciphertext buffer the ring sends; file bodies → read into a buffer and
//! encrypted (splice cannot encrypt). Sans-IO like the rest: no socket, no clock.
//!
//! Memory rule: while the ring is sending from `wire`, or reading a file into `file_buf`, that
//! buffer is the kernel's; nothing appends to it (a reallocation would move it). So a file read
//! starts only when `wire` is fully sent, and `wire` is refilled only when no read is running.

use std::io::IoSlice;
use std::sync::Arc;

use crate::send::{FileBody, ResponseQueue, SendPlan};
use crate::session::Session;
use crate::session_choice::by_alpn;
use crate::tls::ktls_rekey::TrafficSecretLog;
use crate::tls::{TlsEvent, TlsTransport};
use crate::transport::{Inbound, InboundEnd};

/// Ciphertext gathered for one send: enough to fill a socket buffer's worth, small enough that
/// `drained` (reported when plaintext leaves the queue) stays close to the truth.
const WIRE_BUDGET: usize = 64 * 1024;
/// Bytes of a file read (and encrypted) per round trip.
pub const FILE_CHUNK: usize = 64 * 1024;

/// Kernel TLS handover of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handover {
    /// rustls keeps the session for its whole life.
    Off,
    /// The keys go to the kernel after the handshake: read the handshake record by record, so
    /// that no byte past it reaches user space.
    Wanted,
    /// The handshake is done and nothing past it was read: install the keys once the last
    /// ciphertext rustls made has been sent.
    Ready,
}

/// How the next receive on a TLS connection may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvLimit {
    /// As much as comes (a multishot receive).
    Any,
    /// One receive of at most this many bytes (to the end of the current record).
    UpTo(u32),
    /// Not at all (the keys are about to move to the kernel).
    Hold,
}

/// One connection's TLS state and buffers.
#[derive(Debug)]
pub struct TlsStage {
    tls: TlsTransport,
    /// Ciphertext to send; `wire[wire_sent..]` is still to go.
    wire: Vec<u8>,
    wire_sent: usize,
    sending: bool,
    /// Plaintext of the last receive (reused).
    plain: Vec<u8>,
    /// When the handshake must be done (ms on the server's clock).
    handshake_until: u64,
    /// Read target for file bodies, made on first use.
    file_buf: Vec<u8>,
    reading: bool,
    /// We queued close_notify (a graceful end).
    closed: bool,
    /// The peer's close_notify or a failure: no more plaintext is taken in.
    input_done: bool,
    handover: Handover,
    /// The session's traffic secrets, kept for TLS 1.3 key updates once the kernel has it.
    secret_log: Option<Arc<TrafficSecretLog>>,
}

impl TlsStage {
    /// A stage for a connection accepted at `now` that has `handshake_ms` to finish its handshake.
    /// `kernel_tls`: hand the session to the kernel after the handshake (the probe found the
    /// `tls` ULP and the config keeps keys exportable).
    pub fn new(mut tls: TlsTransport, now: u64, handshake_ms: u64, kernel_tls: bool) -> Self {
        // The stage bounds its own output (WIRE_BUDGET per send, only when the last is gone).
        tls.set_buffer_limit(None);
        Self {
            tls,
            wire: Vec::new(),
            wire_sent: 0,
            sending: false,
            plain: Vec::new(),
            handshake_until: now.saturating_add(handshake_ms),
            file_buf: Vec::new(),
            reading: false,
            closed: false,
            input_done: false,
            handover: if kernel_tls {
                Handover::Wanted
            } else {
                Handover::Off
            },
            secret_log: None,
        }
    }

    /// Keeps `log` (attached to this session's config by `TlsAcceptor::accept_for_kernel`) for
    /// the key updates of the session once the kernel holds it.
    pub fn with_secret_log(mut self, log: Arc<TrafficSecretLog>) -> Self {
        self.secret_log = Some(log);
        self
    }

    /// How the next receive may read (see [`RecvLimit`]).
    pub fn recv_limit(&self) -> RecvLimit {
        match self.handover {
            Handover::Off => RecvLimit::Any,
            Handover::Ready => RecvLimit::Hold,
            Handover::Wanted => match self.tls.bytes_to_record_end() {
                Some(n) => RecvLimit::UpTo(n.clamp(1, u32::MAX as usize) as u32),
                // Failed or closed during the handshake: reading on only sees the close.
                None => RecvLimit::Any,
            },
        }
    }

    /// The keys may go to the kernel now: handshake done, nothing read past it, no send or
    /// read in flight.
    pub fn handover_ready(&self) -> bool {
        self.handover == Handover::Ready && !self.sending && !self.reading
    }

    /// The kernel refused the ULP: stay in user space for good.
    pub fn handover_refused(&mut self) {
        self.handover = Handover::Off;
    }

    /// Every ciphertext byte not yet sent (the last handshake flight, TLS 1.3 tickets), then the
    /// transport itself, whose keys go to the kernel once those bytes are out, and the secret
    /// log for its key updates (if it was given one).
    pub fn into_handover(mut self) -> (Vec<u8>, TlsTransport, Option<Arc<TrafficSecretLog>>) {
        let mut rest = self.wire.split_off(self.wire_sent);
        self.tls.write_ciphertext(&mut rest);
        (rest, self.tls, self.secret_log.take())
    }

    pub fn receive(&mut self, wire: &[u8]) -> Inbound<'_> {
        self.plain.clear();
        let mut started = None;
        let mut end = None;
        if !self.input_done {
            self.tls.receive(wire, &mut self.plain);
        }
        while let Some(event) = self.tls.poll_event() {
            match event {
                TlsEvent::HandshakeComplete(info) => {
                    started = Some(by_alpn(info.alpn.as_deref()));
                    if self.handover == Handover::Wanted {
                        self.handover = Handover::Ready;
                    }
                }
                TlsEvent::PeerClosed { .. } => {
                    self.input_done = true;
                    end.get_or_insert(InboundEnd::PeerClosed);
                }
                TlsEvent::Failed(_) => {
                    self.input_done = true;
                    end = Some(InboundEnd::Failed);
                }
            }
        }
        Inbound {
            started,
            plaintext: &self.plain,
            end,
        }
    }

    pub fn receive_eof(&mut self) {
        self.tls.receive_eof();
        // The events (a truncated handshake is counted) need no answer: the socket is closing.
        while self.tls.poll_event().is_some() {}
    }

    pub fn handshaking(&self) -> bool {
        self.tls.is_handshaking()
    }

    pub fn handshake_expired(&mut self, now: u64) -> bool {
        now >= self.handshake_until && self.tls.handshake_timed_out()
    }

    pub fn must_close(&self) -> bool {
        self.tls.should_close() && !self.closed
    }

    pub fn flushed(&self) -> bool {
        !self.sending && self.wire_sent == self.wire.len() && !self.tls.wants_write()
    }

    /// The next ciphertext to send, encrypting what the session queued once the last send is
    /// done. Queues close_notify when the session has finished.
    pub fn next_send(&mut self, session: &mut dyn Session) -> Option<SendPlan> {
        if self.sending || self.reading {
            return None;
        }
        if self.wire_sent == self.wire.len() {
            self.wire.clear();
            self.wire_sent = 0;
            self.fill(session.output());
            if session.is_done() && !self.closed && !self.tls.should_close() {
                self.tls.close();
                self.closed = true;
            }
            self.tls.write_ciphertext(&mut self.wire);
        }
        let pending = &self.wire[self.wire_sent..];
        if pending.is_empty() {
            return None;
        }
        self.sending = true;
        Some(SendPlan::One(pending.as_ptr(), pending.len()))
    }

    /// Encrypts queued plaintext until [`WIRE_BUDGET`] of ciphertext is ready; the plaintext
    /// counts as sent (the queue's memory is free again) once rustls has copied it. All the runs
    /// of one send plan (a response's head, body and framing) go to rustls in one vectored
    /// write, so they share records instead of each being sealed into its own.
    fn fill(&mut self, output: &mut ResponseQueue) {
        while self.wire.len() < WIRE_BUDGET {
            let Some(plan) = output.next_send() else {
                break;
            };
            let runs = plan_runs(plan, WIRE_BUDGET - self.wire.len());
            // Unbounded buffer (set in `new`): rustls takes it all unless closed.
            let taken = self.tls.send_vectored(&runs).unwrap_or(0);
            drop(runs);
            output.sent(taken);
            self.tls.write_ciphertext(&mut self.wire);
            if taken == 0 {
                break;
            }
        }
    }

    pub fn sent(&mut self, n: usize) {
        self.sending = false;
        self.wire_sent = (self.wire_sent + n).min(self.wire.len());
    }

    /// Where to read the next chunk of `file` into, once every ciphertext byte before it is sent.
    pub fn file_read_target(&mut self, file: &FileBody) -> Option<(*mut u8, u32)> {
        if self.sending || self.reading || self.wire_sent < self.wire.len() || file.remaining == 0 {
            return None;
        }
        if self.file_buf.is_empty() {
            self.file_buf = vec![0; FILE_CHUNK];
        }
        self.reading = true;
        let len = file.remaining.min(FILE_CHUNK as u64) as u32;
        Some((self.file_buf.as_mut_ptr(), len))
    }

    /// A file read completed with `n` bytes (> 0): encrypts them for the next send.
    pub fn file_read(&mut self, n: usize) {
        self.reading = false;
        let n = n.min(self.file_buf.len());
        if self.wire_sent == self.wire.len() {
            self.wire.clear();
            self.wire_sent = 0;
        }
        let _ = self.tls.send(&self.file_buf[..n]);
        self.tls.write_ciphertext(&mut self.wire);
    }

    /// A file read failed or ended early.
    pub fn file_read_failed(&mut self) {
        self.reading = false;
    }
}

/// The byte runs a send plan points at, cut to `budget` bytes in all.
fn plan_runs(plan: SendPlan, budget: usize) -> Vec<IoSlice<'static>> {
    let mut left = budget;
    let mut runs = Vec::new();
    let mut take = |run: &'static [u8]| {
        if left > 0 {
            let part = &run[..run.len().min(left)];
            left -= part.len();
            runs.push(IoSlice::new(part));
        }
    };
    // SAFETY: the plan was just made by `ResponseQueue::next_send`, whose memory stays put and
    // unchanged until `sent` is called, which happens only after these slices were used (the
    // 'static is never let out of `fill`, which drops them before calling `sent`).
    unsafe {
        match plan {
            SendPlan::One(ptr, len) => take(std::slice::from_raw_parts(ptr, len)),
            SendPlan::Many(msg, _) => {
                let msg = &*msg;
                // `msg_iovlen` is a usize on glibc and an int on musl.
                #[allow(clippy::unnecessary_cast)]
                for iov in std::slice::from_raw_parts(msg.msg_iov, msg.msg_iovlen as usize) {
                    take(std::slice::from_raw_parts(
                        iov.iov_base as *const u8,
                        iov.iov_len,
                    ));
                }
            }
        }
    }
    runs
}
