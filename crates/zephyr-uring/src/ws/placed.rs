//! Messages received straight into memory the host provides.
//!
//! A host that hands messages to another runtime (a JS Buffer for Node) would otherwise copy each
//! one twice more after the session assembled it: into the event record, then out of it. When
//! the host can provide the destination up front, an unfragmented, uncompressed message is
//! unmasked straight from the received bytes into it: one copy in user space.

use std::any::Any;

/// Host memory one message is received into: exactly the message's length, at a fixed address
/// for as long as the object lives.
pub trait MessageStore {
    /// The message's bytes (those not yet received are unspecified).
    fn bytes(&self) -> &[u8];
    /// The same bytes, for the session to fill.
    fn bytes_mut(&mut self) -> &mut [u8];
    /// The host's own type, for the host to find its handle again.
    fn as_any(&self) -> &dyn Any;
}

/// A plain vector as a store (tests, and hosts without a runtime of their own).
impl MessageStore for Vec<u8> {
    fn bytes(&self) -> &[u8] {
        self
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        self
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Asked for a store of `len` bytes when an unfragmented, uncompressed message starts; `None`:
/// the session assembles it itself.
pub type PlaceMessage<'a> = dyn FnMut(usize) -> Option<Box<dyn MessageStore>> + 'a;

/// A complete message received into a [`MessageStore`]. Compared by content.
pub struct PlacedMessage(pub Box<dyn MessageStore>);

impl PlacedMessage {
    /// The message's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.0.bytes()
    }
}

impl PartialEq for PlacedMessage {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for PlacedMessage {}

impl std::fmt::Debug for PlacedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlacedMessage")
            .field("len", &self.bytes().len())
            .finish()
    }
}
