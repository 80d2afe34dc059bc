//! Where an HTTP/1 connection stands, as named states and transitions rather than a bag of
//! bools (hyper's `Reading`/`Writing` are the model). [`Conn`](super::Conn) asks this questions
//! (`parses()`, `accepts_requests()`, `wants_recv(…)`) and moves it through named transitions
//! (`last_request()`, `halt()`, `stall()`, …), so every legal move is written down and tested
//! here, without a socket.

/// Whether more requests may be read from the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reading {
    /// Requests may follow.
    Open,
    /// No request follows: the last one had no keep-alive, or the peer closed its side. The
    /// current request's body may still be arriving.
    Last,
    /// A protocol error has been answered (or a request body failed): nothing more is parsed,
    /// and the connection closes once its output is sent. Final.
    Halted,
}

/// Why buffered input is not being parsed right now, when it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InputWait {
    /// Input is parsed as it arrives.
    Ready,
    /// The sink refused an event, or the reason input waited has gone (an unpaused body, a
    /// declined upgrade, a pipeline with room again): the ring loop offers it again on its next
    /// batch.
    Retry,
    /// Too many requests are unanswered, or too many answer bytes unsent: parsing waits until
    /// responses make room.
    PipelineFull,
}

/// The connection's read-side state: how far it reads, why input waits, and the two orders the
/// outside gives it (pause for body backpressure, close when idle for shutdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ConnState {
    reading: Reading,
    input: InputWait,
    /// The application asked to stop reading (request body backpressure).
    paused: bool,
    /// Close once the responses in hand are sent (server shutting down).
    close_when_idle: bool,
}

impl ConnState {
    /// A fresh connection: open, ready, reading, not closing.
    pub(super) const fn new() -> ConnState {
        ConnState {
            reading: Reading::Open,
            input: InputWait::Ready,
            paused: false,
            close_when_idle: false,
        }
    }

    // --- transitions -------------------------------------------------------------------------

    /// A request without keep-alive was dispatched, or the peer closed its side: no further
    /// request is read. A halted connection stays halted.
    pub(super) fn last_request(&mut self) {
        if self.reading == Reading::Open {
            self.reading = Reading::Last;
        }
    }

    /// A protocol error was answered or a body failed: nothing more is parsed, from any state.
    pub(super) fn halt(&mut self) {
        self.reading = Reading::Halted;
    }

    /// The sink had no room (or a reason to wait has gone): offer the input again.
    pub(super) fn stall(&mut self) {
        self.input = InputWait::Retry;
    }

    /// Parsing stopped on a full pipeline.
    pub(super) fn block_pipeline(&mut self) {
        self.input = InputWait::PipelineFull;
    }

    /// The loop offers the buffered input again: whatever it waited for is checked anew by the
    /// parse that follows (a pipeline still full blocks it again).
    pub(super) fn begin_retry(&mut self) {
        self.input = InputWait::Ready;
    }

    /// Responses were answered or sent: when the pipeline was full and `has_room` now, the input
    /// is to be offered again (returns `true`, and the state is [`InputWait::Retry`]).
    pub(super) fn unblock_pipeline(&mut self, has_room: bool) -> bool {
        if self.input == InputWait::PipelineFull && has_room {
            self.input = InputWait::Retry;
            return true;
        }
        false
    }

    /// Stops (`true`) or restarts reading for body backpressure. Restarting with input buffered
    /// asks for a retry (returns `true`).
    pub(super) fn set_paused(&mut self, paused: bool, has_input: bool) -> bool {
        self.paused = paused;
        if !paused && has_input {
            self.input = InputWait::Retry;
            return true;
        }
        false
    }

    /// Close once the work in hand is done.
    pub(super) fn close_when_idle(&mut self) {
        self.close_when_idle = true;
    }

    // --- questions ---------------------------------------------------------------------------

    /// Whether buffered input may be parsed now (not halted, not paused).
    pub(super) fn parses(&self) -> bool {
        self.reading != Reading::Halted && !self.paused
    }

    /// Whether a new request head may be parsed (bytes after the last request are dropped).
    pub(super) fn accepts_requests(&self) -> bool {
        self.reading == Reading::Open
    }

    /// Whether the connection was halted by an error.
    pub(super) fn halted(&self) -> bool {
        self.reading == Reading::Halted
    }

    /// Whether the request in hand is known to be the last, the connection not halted (its
    /// response then ends the connection).
    pub(super) fn on_last_request(&self) -> bool {
        self.reading == Reading::Last
    }

    /// Whether the input waits for a retry from the loop.
    pub(super) fn stalled(&self) -> bool {
        self.input == InputWait::Retry
    }

    /// Whether the socket should be read: not paused or halted, the buffer not full, and either
    /// requests may follow or a body is still arriving.
    pub(super) fn wants_recv(&self, input_full: bool, body_pending: bool) -> bool {
        !self.paused
            && !input_full
            && match self.reading {
                Reading::Open => true,
                Reading::Last => body_pending,
                Reading::Halted => false,
            }
    }

    /// Whether the connection has done its work and closes: `idle` when every response is
    /// answered and sent.
    pub(super) fn finished(&self, idle: bool, body_pending: bool, input_empty: bool) -> bool {
        if !idle {
            return false;
        }
        match self.reading {
            Reading::Halted => true,
            Reading::Last if !body_pending && input_empty => true,
            _ => self.close_when_idle && !body_pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_connection_reads_and_parses() {
        let s = ConnState::new();
        assert!(s.parses() && s.accepts_requests() && !s.halted() && !s.stalled());
        assert!(s.wants_recv(false, false));
        assert!(!s.finished(true, false, true), "idle alone does not close");
    }

    #[test]
    fn the_last_request_stops_new_heads_but_not_its_body() {
        let mut s = ConnState::new();
        s.last_request();
        assert!(!s.accepts_requests() && s.parses() && s.on_last_request());
        assert!(!s.wants_recv(false, false), "no request follows");
        assert!(s.wants_recv(false, true), "its body still arrives");
        assert!(!s.finished(true, true, true), "a body is still coming");
        assert!(!s.finished(true, false, false), "input is still buffered");
        assert!(!s.finished(false, false, true), "a response is unsent");
        assert!(s.finished(true, false, true));
    }

    #[test]
    fn halting_is_final_and_closes_once_output_is_sent() {
        for mut s in [ConnState::new(), {
            let mut last = ConnState::new();
            last.last_request();
            last
        }] {
            s.halt();
            s.last_request();
            assert!(s.halted() && !s.parses() && !s.accepts_requests());
            assert!(
                !s.on_last_request(),
                "a halted connection's answer is the engine's"
            );
            assert!(!s.wants_recv(false, true), "not even a body is read");
            assert!(!s.finished(false, false, true));
            assert!(
                s.finished(true, true, false),
                "pending input or body do not matter"
            );
        }
    }

    #[test]
    fn a_refused_event_is_retried_once_the_loop_offers_the_input_again() {
        let mut s = ConnState::new();
        s.stall();
        assert!(s.stalled());
        s.begin_retry();
        assert!(!s.stalled());
    }

    #[test]
    fn a_full_pipeline_waits_for_room_then_asks_for_a_retry() {
        let mut s = ConnState::new();
        s.block_pipeline();
        assert!(!s.stalled(), "no retry while full");
        assert!(!s.unblock_pipeline(false), "still no room");
        assert!(s.unblock_pipeline(true));
        assert!(s.stalled());
        assert!(!s.unblock_pipeline(true), "unblocked once");
        s.begin_retry();
        assert!(
            !s.unblock_pipeline(true),
            "a pipeline that is not full is not unblocked"
        );
    }

    #[test]
    fn a_retry_pending_is_not_taken_for_an_unblocked_pipeline() {
        let mut s = ConnState::new();
        s.block_pipeline();
        s.stall();
        assert!(
            !s.unblock_pipeline(true),
            "the retry already asked will parse"
        );
        assert!(s.stalled());
    }

    #[test]
    fn pausing_stops_reading_and_resuming_with_input_asks_for_a_retry() {
        let mut s = ConnState::new();
        assert!(!s.set_paused(true, true));
        assert!(!s.parses() && !s.wants_recv(false, false));
        assert!(
            !s.set_paused(false, false),
            "nothing buffered: nothing to retry"
        );
        assert!(s.parses() && !s.stalled());
        s.set_paused(true, true);
        assert!(s.set_paused(false, true));
        assert!(s.stalled() && s.wants_recv(false, false));
    }

    #[test]
    fn a_full_input_buffer_stops_reading() {
        assert!(!ConnState::new().wants_recv(true, true));
    }

    #[test]
    fn close_when_idle_closes_an_open_connection_with_no_body_in_flight() {
        let mut s = ConnState::new();
        s.close_when_idle();
        assert!(
            s.accepts_requests(),
            "pipelined requests in hand are still served"
        );
        assert!(!s.finished(false, false, true));
        assert!(!s.finished(true, true, true), "a body still arrives");
        assert!(
            s.finished(true, false, false),
            "unparsed input is not waited for"
        );
    }
}
