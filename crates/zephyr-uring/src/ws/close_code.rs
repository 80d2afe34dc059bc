//! Close status codes (RFC 6455 §7.4).

/// Close codes this endpoint sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloseCode;

impl CloseCode {
    /// Normal closure.
    pub const NORMAL: u16 = 1000;
    /// The endpoint is going away (server shutdown, idle timeout).
    pub const GOING_AWAY: u16 = 1001;
    /// The peer broke the protocol (bad frame, bad close code, …).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A data type this endpoint cannot accept.
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// Received in a close frame without a code; never sent on the wire.
    pub const NO_STATUS: u16 = 1005;
    /// Text that is not UTF-8 (also a close reason that is not UTF-8).
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// The message broke an application policy (e.g. failed schema validation).
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A frame or message (after decompression) over the configured limit.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// An unexpected condition on the server.
    pub const INTERNAL_ERROR: u16 = 1011;
}

/// Whether `code` may appear in a received close frame: the registered codes that are not
/// reserved for local use (1004, 1005, 1006, 1015), and the 3000–4999 ranges for libraries and
/// applications. Anything else is a protocol error (1002).
pub fn is_valid_received_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_registered_and_private_ranges() {
        for code in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
        ] {
            assert!(is_valid_received_close_code(code), "{code}");
        }
    }

    #[test]
    fn rejects_reserved_and_unassigned_codes() {
        for code in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert!(!is_valid_received_close_code(code), "{code}");
        }
    }
}
