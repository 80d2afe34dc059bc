//! One TLS connection, sans-IO: the ring loop hands it the bytes a receive brought and the
//! plaintext a session wants to send, and takes back plaintext, events and ciphertext to send.
//! No socket, no clock: the caller enforces the handshake timeout by asking
//! [`TlsTransport::is_handshaking`] and calling [`TlsTransport::handshake_timed_out`].
//!
//! ```text
//!   recv bytes ──receive()──▶ plaintext (appended to the caller's Vec) + poll_event()
//!   session bytes ──send()──▶ rustls buffer ──write_ciphertext()──▶ bytes to send
//!   close() → close_notify ──write_ciphertext()──▶ then close the socket
//! ```

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::Arc;

use rustls::{CipherSuite, ProtocolVersion, ServerConfig, ServerConnection};

use super::counters::{FailureKind, TlsCounters};
use super::record::{classify_first_byte, FirstByte, RecordScanner};

/// What was agreed in the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeInfo {
    /// The ALPN protocol chosen (`b"http/1.1"`, later `b"h2"`); `None` if the client offered none.
    pub alpn: Option<Vec<u8>>,
    /// The server name the client sent (SNI), lower-case; `None` if it sent none.
    pub server_name: Option<String>,
    /// `TLSv1_2` or `TLSv1_3`.
    pub version: ProtocolVersion,
    /// The negotiated cipher suite.
    pub cipher_suite: CipherSuite,
}

/// A connection-ending failure: its kind (counted) and rustls's or our own description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFailure {
    pub kind: FailureKind,
    pub detail: String,
}

/// Something the session or the ring loop must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsEvent {
    /// The handshake finished: plaintext may flow both ways; pick the session by `alpn`.
    HandshakeComplete(HandshakeInfo),
    /// The peer will send nothing more. `close_notify`: it said so (a clean close); otherwise
    /// the TCP stream ended without it (common from browsers, harmless for HTTP's own framing).
    PeerClosed { close_notify: bool },
    /// The connection cannot go on. Send what [`TlsTransport::write_ciphertext`] still gives
    /// (an alert, when TLS has one for it) and close the socket.
    Failed(TlsFailure),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No byte received yet.
    Fresh,
    Handshaking,
    Established,
    /// We sent close_notify: nothing more goes out.
    Closed,
    /// A failure ended it: input is ignored, only the pending alert goes out.
    Failed,
}

/// One server-side TLS connection (see the module docs for the data flow).
pub struct TlsTransport {
    conn: ServerConnection,
    counters: Arc<TlsCounters>,
    phase: Phase,
    // Record headers are followed only while a TLS 1.2 renegotiation is possible: in the
    // handshake (version unknown) and on 1.2 sessions. 1.3 hides every content type.
    scanner: Option<RecordScanner>,
    // A TLS 1.2 ClientHello came after the handshake: the rest of its record goes to rustls,
    // which answers it with a no_renegotiation alert, and then the connection ends.
    refusing_renegotiation: bool,
    peer_closed: bool,
    handshake: Option<HandshakeInfo>,
    events: VecDeque<TlsEvent>,
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsTransport")
            .field("phase", &self.phase)
            .field("handshake", &self.handshake)
            .finish()
    }
}

impl TlsTransport {
    /// A transport for a new connection, using `config` for its whole life (a later reload does
    /// not touch it). Fails only if rustls rejects the configuration.
    pub fn new(
        config: Arc<ServerConfig>,
        counters: Arc<TlsCounters>,
    ) -> Result<Self, rustls::Error> {
        Ok(Self {
            conn: ServerConnection::new(config)?,
            counters,
            phase: Phase::Fresh,
            scanner: Some(RecordScanner::default()),
            refusing_renegotiation: false,
            peer_closed: false,
            handshake: None,
            events: VecDeque::new(),
        })
    }

    /// Whether the handshake is still running (from accept, before any byte, to Finished): while
    /// true, the ring loop's handshake deadline applies.
    pub fn is_handshaking(&self) -> bool {
        matches!(self.phase, Phase::Fresh | Phase::Handshaking)
    }

    /// While the handshake runs: bytes from here to the end of the record being received, so
    /// that a caller about to hand the session to the kernel reads no byte past the handshake.
    pub fn bytes_to_record_end(&self) -> Option<usize> {
        if !self.is_handshaking() {
            return None;
        }
        self.scanner.as_ref().map(RecordScanner::to_record_end)
    }

    /// What the handshake agreed, once it completed.
    pub fn handshake_info(&self) -> Option<&HandshakeInfo> {
        self.handshake.as_ref()
    }

    /// Whether the socket should be closed once [`Self::write_ciphertext`] returns nothing more:
    /// after a failure, a timeout, or our own close.
    pub fn should_close(&self) -> bool {
        matches!(self.phase, Phase::Closed | Phase::Failed)
    }

    /// The next event, in the order they happened.
    pub fn poll_event(&mut self) -> Option<TlsEvent> {
        self.events.pop_front()
    }

    /// Feeds bytes received from the socket; decrypted application data is appended to
    /// `plaintext`. Bytes after a failure or after the peer's close_notify are ignored.
    pub fn receive(&mut self, input: &[u8], plaintext: &mut Vec<u8>) {
        if input.is_empty() || matches!(self.phase, Phase::Failed) || self.peer_closed {
            return;
        }
        if self.phase == Phase::Fresh {
            match classify_first_byte(input[0]) {
                FirstByte::Tls => self.phase = Phase::Handshaking,
                FirstByte::PlaintextHttp => {
                    return self.fail(
                        FailureKind::PlaintextHttp,
                        "plain HTTP sent to the TLS port".into(),
                    );
                }
                FirstByte::Other => {
                    return self.fail(
                        FailureKind::NotTls,
                        format!(
                            "first byte {:#04x} does not start a TLS handshake",
                            input[0]
                        ),
                    );
                }
            }
        }
        let mut rest = input;
        while !rest.is_empty() && !matches!(self.phase, Phase::Failed) && !self.peer_closed {
            let (take, at_handshake_header) = match self.scanner.as_mut() {
                Some(scanner) if self.refusing_renegotiation => {
                    (scanner.walk_body(rest.len()), false)
                }
                Some(scanner) => scanner.until_handshake_header(rest),
                None => (rest.len(), false),
            };
            if !self.feed(&rest[..take], plaintext) {
                return;
            }
            rest = &rest[take..];
            // Every record before this header has been processed, so "established" is current.
            if at_handshake_header && self.phase != Phase::Handshaking {
                self.refusing_renegotiation = true;
            }
            if self.refusing_renegotiation
                && self.scanner.as_ref().is_some_and(|s| s.body_left() == 0)
            {
                return self.refuse_renegotiation();
            }
        }
    }

    /// The renegotiating ClientHello's record is all with rustls, which queued its
    /// no_renegotiation alert (a client treats it as the end of its attempt, where a bare
    /// close_notify could read as a renegotiation that merely went quiet); then the connection
    /// ends, so a client cannot make us parse handshakes forever.
    fn refuse_renegotiation(&mut self) {
        self.fail(
            FailureKind::Renegotiation,
            "the client asked to renegotiate (TLS 1.2); renegotiation is not supported".into(),
        );
    }

    /// The peer's end of the TCP stream (a receive of 0 bytes).
    pub fn receive_eof(&mut self) {
        match self.phase {
            // Connect-then-close (a TCP health check) sent nothing to count as a handshake.
            Phase::Fresh => self.phase = Phase::Closed,
            Phase::Handshaking => self.fail(
                FailureKind::TruncatedHandshake,
                "the peer closed during the handshake".into(),
            ),
            Phase::Established | Phase::Closed if !self.peer_closed => {
                self.peer_closed = true;
                self.events.push_back(TlsEvent::PeerClosed {
                    close_notify: false,
                });
            }
            _ => {}
        }
    }

    /// The ring loop's handshake deadline passed. Counts it and ends the connection if the
    /// handshake is still running (returns whether it was).
    pub fn handshake_timed_out(&mut self) -> bool {
        if !self.is_handshaking() {
            return false;
        }
        self.fail(
            FailureKind::HandshakeTimeout,
            "the handshake did not finish in time".into(),
        );
        true
    }

    /// Queues plaintext for the peer. Returns how much was taken: less than `data.len()` when
    /// rustls's outgoing buffer (64 KiB) is full; drain [`Self::write_ciphertext`] and retry.
    /// Before the handshake completes it is buffered and sent right after. After a close or a
    /// failure it is refused with `BrokenPipe`.
    pub fn send(&mut self, data: &[u8]) -> io::Result<usize> {
        if matches!(self.phase, Phase::Closed | Phase::Failed) {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the TLS connection is closed",
            ));
        }
        self.conn.writer().write(data)
    }

    /// Like [`Self::send`] for several runs at once, which rustls seals into the same records
    /// (one record for a response head and a small body, not one each): fewer AEAD seals, fewer
    /// record headers and tags on the wire.
    pub fn send_vectored(&mut self, data: &[io::IoSlice<'_>]) -> io::Result<usize> {
        if matches!(self.phase, Phase::Closed | Phase::Failed) {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the TLS connection is closed",
            ));
        }
        self.conn.writer().write_vectored(data)
    }

    /// Bounds what [`Self::send`] buffers before the handshake and what waits in
    /// [`Self::write_ciphertext`] (rustls's default: 64 KiB); `None` lifts the bound, for a
    /// caller that bounds its own output.
    pub fn set_buffer_limit(&mut self, limit: Option<usize>) {
        self.conn.set_buffer_limit(limit);
    }

    /// Whether there are TLS records waiting to go out.
    pub fn wants_write(&self) -> bool {
        self.conn.wants_write()
    }

    /// Appends every pending TLS record to `out`; returns the bytes appended.
    pub fn write_ciphertext(&mut self, out: &mut Vec<u8>) -> usize {
        let start = out.len();
        while self.conn.wants_write() {
            // Writing into a Vec cannot fail.
            if self.conn.write_tls(out).is_err() {
                break;
            }
        }
        out.len() - start
    }

    /// Ends the session: a close_notify is queued (send it, then close the socket).
    pub fn close(&mut self) {
        if matches!(self.phase, Phase::Closed | Phase::Failed) {
            return;
        }
        self.conn.send_close_notify();
        self.phase = Phase::Closed;
    }

    /// Starts a TLS 1.3 key update of our sending keys (rustls also does this itself before a
    /// key's usage limit, and answers the peer's). An error on TLS 1.2, which has no key update.
    pub fn refresh_traffic_keys(&mut self) -> Result<(), rustls::Error> {
        self.conn.refresh_traffic_keys()
    }

    /// Gives up the connection for kernel TLS: the negotiated version and both directions'
    /// traffic secrets with their sequence numbers. Needs the config's secret extraction on
    /// (`TlsSettings::kernel_tls`), a completed handshake and every pending record written out.
    pub fn into_secrets(
        self,
    ) -> Result<(ProtocolVersion, rustls::ExtractedSecrets), rustls::Error> {
        let version = self
            .conn
            .protocol_version()
            .ok_or(rustls::Error::HandshakeNotComplete)?;
        Ok((version, self.conn.dangerous_extract_secrets()?))
    }

    /// Hands `bytes` to rustls and collects plaintext and events; false once the connection failed.
    fn feed(&mut self, mut bytes: &[u8], plaintext: &mut Vec<u8>) -> bool {
        // After close_notify rustls takes no more bytes (read_tls returns 0): the rest is dropped.
        while !bytes.is_empty() && !self.peer_closed {
            match self.conn.read_tls(&mut bytes) {
                Ok(0) => break,
                Ok(_) => {}
                Err(err) => {
                    // Only a full buffer: processing below drains it, so this is garbage in bulk.
                    self.fail(FailureKind::GarbageRecord, err.to_string());
                    return false;
                }
            }
            let state = match self.conn.process_new_packets() {
                Ok(state) => state,
                Err(err) => {
                    let kind = classify(&err);
                    self.fail(kind, err.to_string());
                    return false;
                }
            };
            let ready = state.plaintext_bytes_to_read();
            if ready > 0 {
                let start = plaintext.len();
                plaintext.resize(start + ready, 0);
                // rustls just said this many bytes are buffered.
                let read = self
                    .conn
                    .reader()
                    .read(&mut plaintext[start..])
                    .unwrap_or(0);
                plaintext.truncate(start + read);
            }
            if self.phase == Phase::Handshaking && !self.conn.is_handshaking() {
                self.handshake_completed();
            }
            if state.peer_has_closed() && !self.peer_closed {
                self.peer_closed = true;
                self.events
                    .push_back(TlsEvent::PeerClosed { close_notify: true });
            }
        }
        true
    }

    fn handshake_completed(&mut self) {
        let version = self
            .conn
            .protocol_version()
            .unwrap_or(ProtocolVersion::Unknown(0));
        let info = HandshakeInfo {
            alpn: self.conn.alpn_protocol().map(<[u8]>::to_vec),
            server_name: self.conn.server_name().map(str::to_owned),
            version,
            cipher_suite: self
                .conn
                .negotiated_cipher_suite()
                .map_or(CipherSuite::Unknown(0), |suite| suite.suite()),
        };
        if version == ProtocolVersion::TLSv1_3 {
            self.scanner = None;
        }
        self.phase = Phase::Established;
        self.counters.handshake_completed();
        self.handshake = Some(info.clone());
        self.events.push_back(TlsEvent::HandshakeComplete(info));
    }

    fn fail(&mut self, kind: FailureKind, detail: String) {
        self.phase = Phase::Failed;
        self.counters.failed(kind);
        self.events
            .push_back(TlsEvent::Failed(TlsFailure { kind, detail }));
    }
}

/// Which counter a rustls error belongs to.
fn classify(err: &rustls::Error) -> FailureKind {
    use rustls::Error;
    match err {
        Error::AlertReceived(_) => FailureKind::AlertReceived,
        Error::PeerIncompatible(_)
        | Error::NoApplicationProtocol
        | Error::NoCertificatesPresented => FailureKind::HandshakeFailed,
        Error::PeerMisbehaved(rustls::PeerMisbehaved::TooManyRenegotiationRequests) => {
            FailureKind::Renegotiation
        }
        Error::InvalidMessage(_)
        | Error::DecryptError
        | Error::InappropriateMessage { .. }
        | Error::InappropriateHandshakeMessage { .. }
        | Error::PeerMisbehaved(_) => FailureKind::GarbageRecord,
        _ => FailureKind::HandshakeFailed,
    }
}
