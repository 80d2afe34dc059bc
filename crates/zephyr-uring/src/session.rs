//! What the ring loop asks of a connection's protocol session: HTTP/1 now (`conn::Conn`), h2
//! and WebSocket later. A session is sans-IO, in the manner of quinn-proto and hyper's h1
//! `Conn`: plaintext bytes in, events out to an [`EventSink`], response bytes into its output
//! queue, deadlines checked when asked; it never sees the socket, the ring or the clock. The loop
//! asks it questions through this trait and never reads its fields.

use crate::conn::{ConnLimits, EventSink, Wants};
use crate::send::ResponseQueue;

/// One connection's protocol state machine, as the ring loop drives it.
pub trait Session {
    /// Plaintext bytes received from the peer.
    fn receive(
        &mut self,
        data: &[u8],
        sink: &mut dyn EventSink,
        limits: &ConnLimits,
        date: &[u8],
        now: u64,
    );
    /// Offers buffered input again (the sink had no room, or room was made).
    fn retry_input(&mut self, sink: &mut dyn EventSink, limits: &ConnLimits, date: &[u8], now: u64);
    /// Buffered input waits for the sink to have room: offer it again on the next batch.
    fn input_stalled(&self) -> bool;
    /// Whether input held back by a full pipeline may now go on (then it is stalled, to retry).
    fn take_unblocked(&mut self, limits: &ConnLimits) -> bool;
    /// Whether the socket should be read now.
    fn wants_read(&self, limits: &ConnLimits) -> bool;
    /// The peer closed its side: nothing more will arrive.
    fn peer_closed(&mut self);
    /// Checks deadlines; says whether the connection must close now.
    fn tick(
        &mut self,
        now: u64,
        sink: &mut dyn EventSink,
        date: &[u8],
        limits: &ConnLimits,
    ) -> Wants;
    /// After output or requests changed: re-derives the deadline.
    fn after_output(&mut self, now: u64, limits: &ConnLimits);
    /// The session's work is done: the connection may close (gracefully).
    fn is_done(&self) -> bool;
    /// Close once the work in hand is done (shutdown).
    fn close_when_idle(&mut self);
    /// Something went wrong inside the session: answer `status` after what is queued, then close.
    fn fail(&mut self, status: u16, date: &[u8]);
    /// Requests are in the application's hands (closing now aborts them).
    fn has_open_work(&self) -> bool;
    /// Response bytes waiting for the socket.
    fn output(&mut self) -> &mut ResponseQueue;
    /// The peer took output bytes at `now` (for the write timeout).
    fn output_moved(&mut self, now: u64);
}
