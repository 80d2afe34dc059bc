//! The transport stage of a connection slot, between the socket and the protocol session:
//! wire bytes in → plaintext out to the session; the session's plaintext output → wire bytes.
//! `Plain` passes both through untouched (and lets output be sent straight from the response
//! queue, zero-copy). TLS slots in here as a second variant; see the crate README's
//! "Transport seam" for exactly where it hooks into receive and send.

/// How a connection's bytes are carried.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Cleartext TCP.
    #[default]
    Plain,
}

impl Transport {
    /// Hands the plaintext in `wire` (bytes just received) to `deliver`. `Plain` delivers the
    /// kernel's buffer itself, uncopied.
    pub fn receive(&mut self, wire: &[u8], deliver: impl FnOnce(&[u8])) {
        match self {
            Transport::Plain => deliver(wire),
        }
    }
}
