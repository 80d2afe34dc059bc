//! Sans-IO WebSocket (RFC 6455) with permessage-deflate (RFC 7692), server side.
//!
//! Nothing here owns a socket or a clock, as in quinn-proto: the connection layer feeds received
//! bytes to [`WsSession::handle`], takes events from [`WsSession::poll_event`] and writes what
//! [`WsSession::pending_output`] holds, then calls [`WsSession::consume_output`]. The handshake
//! ([`validate_upgrade`], [`write_accept_response`]) runs on the parsed HTTP/1.1 request head
//! before the connection becomes a WebSocket.
//!
//! Payload bytes are read straight from the caller's slice: a frame header split across reads is
//! the only thing buffered, and payload is unmasked once, while it is copied into the message
//! being assembled (uncompressed; or straight into a store the caller provides, see
//! [`WsSession::handle_into`]) or through the inflater (compressed). Text is UTF-8 validated as bytes arrive, so an invalid
//! sequence fails the connection (1007) before the rest of the frame is read.
//!
//! ```
//! use zephyr_uring::ws::{WsConfig, WsEvent, WsSession};
//!
//! let mut session = WsSession::new(WsConfig::default(), None);
//! // A masked client text frame "Hi" (mask key 1,2,3,4).
//! session.handle(&[0x81, 0x82, 1, 2, 3, 4, b'H' ^ 1, b'i' ^ 2]);
//! assert_eq!(session.poll_event(), Some(WsEvent::Text("Hi".into())));
//! session.send_text("Hello");
//! assert_eq!(session.pending_output(), b"\x81\x05Hello");
//! ```

mod close_code;
mod deflate;
mod frame;
mod handshake;
mod placed;
mod session;
mod utf8;

pub use close_code::{is_valid_received_close_code, CloseCode};
pub use deflate::{negotiate_permessage_deflate, DeflateParams};
pub use frame::{encode_frame_header, Opcode, MAX_FRAME_HEADER_BYTES};
pub use handshake::{
    accept_key, validate_upgrade, write_accept_response, HandshakeError, UpgradeRequest,
    ValidUpgrade, WS_GUID,
};
pub use placed::{MessageStore, PlaceMessage, PlacedMessage};
pub use session::{WsConfig, WsEvent, WsSession, WsState};
