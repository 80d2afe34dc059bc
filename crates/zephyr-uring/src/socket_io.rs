//! The socket half of a connection slot: its descriptor, the kernel operations in flight on it,
//! and where it stands in its life. The ring loop (`server.rs`) owns this; the protocol session
//! (`conn.rs`, HTTP/1) never sees the socket, only bytes, which is what keeps it testable without
//! one. Explicit states instead of flags: a receive is idle, armed or being cancelled, never two
//! of these at once.

use std::os::fd::RawFd;

use crate::conn::ConnId;

/// The multishot receive of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recv {
    /// No receive is armed.
    Idle,
    /// A multishot receive is armed.
    Armed,
    /// A cancel of the armed receive is in flight; it stays armed until its last completion
    /// (arming again before that would put two receives on one socket, racing for its bytes).
    Cancelling,
}

/// Where a connection stands in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Serving.
    Open,
    /// Output is flushed and our side is shut for writing; reading until the peer's EOF (bounded)
    /// so that a final response is not destroyed by a reset (a close with unread input sends RST).
    Lingering,
    /// Being torn down: waiting for the kernel to finish the operations that reference the slot.
    Closing,
}

/// The socket I/O state of one connection slot.
#[derive(Debug)]
pub struct SocketIo {
    /// The slot's name across the boundary (index and generation).
    pub id: ConnId,
    pub fd: RawFd,
    /// Submissions the kernel has not completed yet; the slot is freed only at 0.
    pub inflight: u32,
    pub recv: Recv,
    pub phase: Phase,
    /// The peer shut its side down (a receive returned 0, or a hang-up was seen).
    pub eof: bool,
    /// A poll for the peer's hang-up is armed (while the socket is not being read).
    pub hangup_watch: bool,
    /// `[read, write]` ends of the pipe file bodies are spliced through, made on first use.
    pub pipe: Option<[RawFd; 2]>,
    /// A splice step is in flight.
    pub file_busy: bool,
    /// Result of a zero-copy send whose buffer the kernel still holds (until its notification).
    pub zc_result: Option<i32>,
    /// While lingering: when to give up waiting for the peer's EOF (ms on the server's clock).
    pub linger_until: u64,
}

impl SocketIo {
    pub fn new(fd: RawFd, id: ConnId) -> Self {
        SocketIo {
            id,
            fd,
            inflight: 0,
            recv: Recv::Idle,
            phase: Phase::Open,
            eof: false,
            hangup_watch: false,
            pipe: None,
            file_busy: false,
            zc_result: None,
            linger_until: 0,
        }
    }

    pub fn closing(&self) -> bool {
        self.phase == Phase::Closing
    }

    pub fn lingering(&self) -> bool {
        self.phase == Phase::Lingering
    }
}
