//! Counts of TLS failures by kind, shared by every connection of one listener, so an operator can
//! tell a port scanner (plaintext, garbage) from a broken client (alerts, no common suite).

use std::sync::atomic::{AtomicU64, Ordering};

/// Why a TLS connection ended without a clean close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// The first bytes were an HTTP request line (`GET / HTTP/1.1`): plain HTTP to the TLS port.
    PlaintextHttp,
    /// The first bytes were neither a TLS handshake record nor HTTP.
    NotTls,
    /// The peer closed (EOF) before the handshake finished.
    TruncatedHandshake,
    /// The handshake took longer than the listener allows (the ring loop owns the clock).
    HandshakeTimeout,
    /// A record that does not parse, does not decrypt, or breaks the protocol's grammar.
    GarbageRecord,
    /// The handshake could not agree: no common version, suite, group or ALPN protocol.
    HandshakeFailed,
    /// The peer sent a fatal alert.
    AlertReceived,
    /// The peer asked to renegotiate (TLS 1.2); refused with a close.
    Renegotiation,
}

impl FailureKind {
    /// Every kind, in the order [`TlsCountersSnapshot`] lists them.
    pub const ALL: [FailureKind; 8] = [
        Self::PlaintextHttp,
        Self::NotTls,
        Self::TruncatedHandshake,
        Self::HandshakeTimeout,
        Self::GarbageRecord,
        Self::HandshakeFailed,
        Self::AlertReceived,
        Self::Renegotiation,
    ];

    /// A stable snake_case name, for metrics and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::PlaintextHttp => "plaintext_http",
            Self::NotTls => "not_tls",
            Self::TruncatedHandshake => "truncated_handshake",
            Self::HandshakeTimeout => "handshake_timeout",
            Self::GarbageRecord => "garbage_record",
            Self::HandshakeFailed => "handshake_failed",
            Self::AlertReceived => "alert_received",
            Self::Renegotiation => "renegotiation",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Relaxed atomics: each counter is independent and read only for reporting.
#[derive(Debug, Default)]
pub struct TlsCounters {
    handshakes: AtomicU64,
    failures: [AtomicU64; FailureKind::ALL.len()],
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TlsCountersSnapshot {
    /// Handshakes that completed.
    pub handshakes: u64,
    /// Failures, indexed like [`FailureKind::ALL`].
    pub failures: [u64; FailureKind::ALL.len()],
}

impl TlsCountersSnapshot {
    /// The count of one failure kind.
    pub fn failures(&self, kind: FailureKind) -> u64 {
        self.failures[kind.index()]
    }
}

impl TlsCounters {
    pub(crate) fn handshake_completed(&self) {
        self.handshakes.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn failed(&self, kind: FailureKind) {
        self.failures[kind.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Reads every counter.
    pub fn snapshot(&self) -> TlsCountersSnapshot {
        let mut failures = [0; FailureKind::ALL.len()];
        for (slot, counter) in failures.iter_mut().zip(&self.failures) {
            *slot = counter.load(Ordering::Relaxed);
        }
        TlsCountersSnapshot {
            handshakes: self.handshakes.load(Ordering::Relaxed),
            failures,
        }
    }
}
