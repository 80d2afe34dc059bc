//! The transport stage of a connection slot, between the socket and the protocol session:
//! wire bytes in → plaintext out to the session; the session's plaintext output → wire bytes.
//! `Plain` passes both through untouched (and lets output be sent straight from the response
//! queue, zero-copy, and file bodies be spliced). `Tls` runs rustls in user space
//! ([`TlsStage`]): the ring sends the stage's ciphertext buffer instead of the queue's chunks.
//! See the crate README's "Transport seam" for where each call sits in the ring loop.

use crate::send::SendPlan;
use crate::session::Session;
use crate::session_choice::{names_http1_version, sniff, Protocol, Sniffed};
use crate::tls::ktls_session::KernelSession;
use crate::tls_stage::{RecvLimit, TlsStage};

/// How a connection's bytes are carried.
#[derive(Debug, Default)]
pub enum Transport {
    /// Cleartext TCP.
    #[default]
    Plain,
    /// Cleartext, until the first bytes say which protocol it speaks (hyper-util's
    /// `ReadVersion`): bytes that could still be the start of the HTTP/2 preface are held here.
    /// `decided`: the held bytes were handed over; the next receive turns this into `Plain`.
    /// `h2c`: the listener serves HTTP/2, so bytes that are neither the preface nor an HTTP/1
    /// request line end the connection (an invalid preface) instead of reaching HTTP/1.
    ReadVersion {
        held: Vec<u8>,
        decided: bool,
        h2c: bool,
    },
    /// The first bytes were neither HTTP/1 nor the HTTP/2 preface: close.
    Refused,
    /// TLS, encrypted by rustls in user space.
    Tls(Box<TlsStage>),
    /// TLS whose session keys the kernel holds (kTLS, TX and RX): the socket carries plaintext
    /// for us, so everything is as `Plain` (zero-copy sends, spliced files), except the records
    /// that are not data: a receive fails with `EIO` on them and the ring loop reads them into
    /// the session (alerts, KeyUpdate), and a graceful close sends close_notify through it.
    Kernel(Box<KernelSession>),
}

/// Why input ended at the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundEnd {
    /// The peer will send nothing more (TLS `close_notify`): like a TCP EOF.
    PeerClosed,
    /// The transport failed (bad record, renegotiation, not TLS…): send what it still has to
    /// say (an alert) and close.
    Failed,
}

/// What one receive brought, as the session must see it.
#[derive(Debug)]
pub struct Inbound<'a> {
    /// The handshake just completed: start a session for this protocol before delivering.
    pub started: Option<Protocol>,
    /// Plaintext for the session (possibly empty).
    pub plaintext: &'a [u8],
    pub end: Option<InboundEnd>,
}

impl Inbound<'_> {
    fn nothing() -> Self {
        Inbound {
            started: None,
            plaintext: &[],
            end: None,
        }
    }
}

impl Transport {
    /// A cleartext connection's transport: it starts by reading which protocol it speaks.
    pub fn cleartext() -> Self {
        Transport::ReadVersion {
            held: Vec::new(),
            decided: false,
            h2c: false,
        }
    }

    /// A cleartext connection on a listener that serves h2c by prior knowledge.
    pub fn cleartext_h2c() -> Self {
        Transport::ReadVersion {
            held: Vec::new(),
            decided: false,
            h2c: true,
        }
    }

    /// Takes bytes just received from the socket. `Plain` hands the kernel's buffer itself to
    /// the session, uncopied.
    pub fn receive<'a>(&'a mut self, wire: &'a [u8]) -> Inbound<'a> {
        if let Transport::ReadVersion { held, decided, h2c } = self {
            let plainly_http1 = held.is_empty()
                && sniff(wire) == Sniffed::Is(Protocol::Http1)
                && (!*h2c || names_http1_version(wire) == Some(true));
            if *decided || plainly_http1 {
                // The common case: the first bytes are plainly HTTP/1, delivered uncopied.
                *self = Transport::Plain;
            }
        }
        match self {
            Transport::Plain | Transport::Kernel(_) => Inbound {
                started: None,
                plaintext: wire,
                end: None,
            },
            Transport::Refused => Inbound::nothing(),
            Transport::ReadVersion { held, h2c, .. } => {
                held.extend_from_slice(wire);
                let verdict = match sniff(held) {
                    Sniffed::NeedMore => return Inbound::nothing(),
                    Sniffed::Is(Protocol::Http1) if *h2c => names_http1_version(held),
                    Sniffed::Is(_) => Some(true),
                };
                match verdict {
                    None => return Inbound::nothing(),
                    Some(false) => {
                        *self = Transport::Refused;
                        return Inbound {
                            started: None,
                            plaintext: &[],
                            end: Some(InboundEnd::Failed),
                        };
                    }
                    Some(true) => {}
                }
                let Transport::ReadVersion { held, decided, .. } = self else {
                    unreachable!()
                };
                let started = match sniff(held) {
                    // The HTTP/1 session exists from accept: it takes the held bytes.
                    Sniffed::Is(Protocol::Http1) | Sniffed::NeedMore => None,
                    Sniffed::Is(protocol) => Some(protocol),
                };
                *decided = true;
                Inbound {
                    started,
                    plaintext: held,
                    end: None,
                }
            }
            Transport::Tls(stage) => stage.receive(wire),
        }
    }

    /// The peer's TCP stream ended (counts a handshake cut short).
    pub fn receive_eof(&mut self) {
        if let Transport::Tls(stage) = self {
            stage.receive_eof();
        }
    }

    /// Before a graceful `shutdown(SHUT_WR)` on `fd`: a kernel TLS connection's close_notify
    /// goes out as an alert record (rustls no longer writes its records; user-space TLS queues
    /// its own in the stage). Best effort, as with rustls: if the send buffer is full the
    /// connection closes without it (HTTP's own framing has told the peer where the data ends).
    pub fn before_shutdown(&self, fd: std::os::fd::RawFd) {
        if matches!(self, Transport::Kernel(_)) {
            let _ = crate::tls::ktls_records::send_record(
                fd,
                crate::tls::ktls_records::CONTENT_ALERT,
                &crate::tls::ktls_records::CLOSE_NOTIFY,
            );
        }
    }

    /// The next send: the session's queued output itself (`Plain`), or ciphertext made from it.
    /// The memory the plan points at stays put until [`Transport::sent`].
    pub fn next_send(&mut self, session: &mut dyn Session) -> Option<SendPlan> {
        match self {
            Transport::Plain
            | Transport::ReadVersion { .. }
            | Transport::Refused
            | Transport::Kernel(_) => session.output().next_send(),
            Transport::Tls(stage) => stage.next_send(session),
        }
    }

    /// A send planned by [`Transport::next_send`] completed with `n` bytes taken (0 on error).
    pub fn sent(&mut self, n: usize, session: &mut dyn Session) {
        match self {
            Transport::Plain
            | Transport::ReadVersion { .. }
            | Transport::Refused
            | Transport::Kernel(_) => session.output().sent(n),
            Transport::Tls(stage) => stage.sent(n),
        }
    }

    /// Whether every byte the transport produced has gone to the socket (a graceful close may
    /// shut writing down only then).
    pub fn flushed(&self) -> bool {
        match self {
            Transport::Plain
            | Transport::ReadVersion { .. }
            | Transport::Refused
            | Transport::Kernel(_) => true,
            Transport::Tls(stage) => stage.flushed(),
        }
    }

    /// The transport has ended the connection (a failure, a timeout): close once flushed.
    pub fn must_close(&self) -> bool {
        match self {
            Transport::Plain | Transport::ReadVersion { .. } | Transport::Kernel(_) => false,
            Transport::Refused => true,
            Transport::Tls(stage) => stage.must_close(),
        }
    }

    /// Whether no session may run yet (the TLS handshake is in progress).
    pub fn handshaking(&self) -> bool {
        match self {
            Transport::Plain
            | Transport::ReadVersion { .. }
            | Transport::Refused
            | Transport::Kernel(_) => false,
            Transport::Tls(stage) => stage.handshaking(),
        }
    }

    /// Checks the handshake deadline at `now`; true when it passed (counted): close now.
    pub fn handshake_expired(&mut self, now: u64) -> bool {
        match self {
            Transport::Plain
            | Transport::ReadVersion { .. }
            | Transport::Refused
            | Transport::Kernel(_) => false,
            Transport::Tls(stage) => stage.handshake_expired(now),
        }
    }

    /// How the next receive may read: a TLS session bound for the kernel is read record by
    /// record during its handshake, and not at all while its keys move.
    pub fn recv_limit(&self) -> RecvLimit {
        match self {
            Transport::Tls(stage) => stage.recv_limit(),
            _ => RecvLimit::Any,
        }
    }

    /// Whether the session's keys may go to the kernel now.
    pub fn handover_ready(&self) -> bool {
        matches!(self, Transport::Tls(stage) if stage.handover_ready())
    }

    /// Whether file bodies may be spliced to the socket as they are (no user-space encryption).
    pub fn splices_files(&self) -> bool {
        !matches!(self, Transport::Tls(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session_choice::H2_PREFACE;

    #[test]
    fn http1_is_handed_over_uncopied_and_the_transport_becomes_plain() {
        let mut t = Transport::cleartext();
        let wire = b"GET / HTTP/1.1\r\n";
        let inbound = t.receive(wire);
        assert_eq!(inbound.plaintext.as_ptr(), wire.as_ptr());
        assert!(inbound.started.is_none());
        assert!(matches!(t, Transport::Plain));
    }

    #[test]
    fn a_prefix_of_the_h2_preface_is_held_until_it_can_be_told_apart() {
        let mut t = Transport::cleartext();
        assert!(t.receive(b"P").plaintext.is_empty());
        assert!(t.receive(b"RI").plaintext.is_empty());
        // "PRIX": not the preface after all; everything held goes to the HTTP/1 session.
        let inbound = t.receive(b"X / HTTP/1.1\r\n");
        assert_eq!(inbound.plaintext, b"PRIX / HTTP/1.1\r\n");
        assert!(inbound.started.is_none());
        assert_eq!(t.receive(b"more").plaintext, b"more");
        assert!(matches!(t, Transport::Plain));
    }

    #[test]
    fn on_an_h2c_listener_bytes_that_are_neither_protocol_close_the_connection() {
        let mut t = Transport::cleartext_h2c();
        let inbound = t.receive(b"GET / HTTP/1.1\r\n");
        assert!(inbound.started.is_none() && !inbound.plaintext.is_empty());
        assert!(matches!(t, Transport::Plain));
        let mut t = Transport::cleartext_h2c();
        assert!(
            t.receive(b"INVALID CONNECTION").plaintext.is_empty(),
            "held for the line"
        );
        let inbound = t.receive(b" PREFACE\r\n\r\n");
        assert_eq!(inbound.end, Some(InboundEnd::Failed));
        assert!(t.must_close());
    }

    #[test]
    fn the_h2_preface_starts_an_http2_session() {
        let mut t = Transport::cleartext();
        assert!(t.receive(&H2_PREFACE[..10]).plaintext.is_empty());
        let inbound = t.receive(&H2_PREFACE[10..]);
        assert_eq!(inbound.started, Some(Protocol::Http2));
        assert_eq!(inbound.plaintext, H2_PREFACE);
    }
}
