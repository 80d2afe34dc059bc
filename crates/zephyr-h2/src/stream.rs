//! One stream's state (RFC 9113 §5.1) and windows, as the connection keeps it.

/// Where our side of a stream stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendState {
    /// No response head yet (informational 1xx heads may have gone).
    Idle,
    /// Response head sent; DATA and trailers may follow.
    Open,
    /// END_STREAM sent.
    Closed,
}

/// An open or half-closed stream. Idle and closed streams have no entry.
#[derive(Debug)]
pub struct Stream {
    /// The peer has not ended its side.
    pub recv_open: bool,
    pub send: SendState,
    /// Bytes we may still send (may go negative after a SETTINGS change, §6.9.2).
    pub send_window: i64,
    /// Bytes the peer may still send.
    pub recv_window: i64,
    /// Bytes released by the consumer, not yet announced in a WINDOW_UPDATE.
    pub recv_unannounced: u32,
    /// Body bytes handed to the consumer and not yet released.
    pub outstanding: u64,
    /// The request's content-length, checked against the DATA received (§8.1.1).
    pub content_length: Option<u64>,
    pub received: u64,
    /// `send_data` accepted less than it was given: a `WindowOpened` is owed.
    pub blocked: bool,
}

impl Stream {
    pub fn new(send_window: i64, recv_window: i64, content_length: Option<u64>) -> Self {
        Self {
            recv_open: true,
            send: SendState::Idle,
            send_window,
            recv_window,
            recv_unannounced: 0,
            outstanding: 0,
            content_length,
            received: 0,
            blocked: false,
        }
    }

    /// Both sides ended: the stream closes.
    pub fn is_done(&self) -> bool {
        !self.recv_open && self.send == SendState::Closed
    }
}

/// Hashes stream ids for the stream maps. Ids are the peer's (odd, increasing) and a map holds
/// at most `max_concurrent_streams` of them, so a keyed hash buys nothing here; a Fibonacci
/// multiply spreads consecutive ids over the table at a fraction of SipHash's cost.
#[derive(Clone, Copy, Debug, Default)]
pub struct StreamIdHasher(u64);

impl std::hash::Hasher for StreamIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, id: u32) {
        self.0 = u64::from(id).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by stream id.
pub type StreamMap<V> =
    std::collections::HashMap<u32, V, std::hash::BuildHasherDefault<StreamIdHasher>>;
