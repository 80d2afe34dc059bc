//! Sans-IO HTTP/2 (RFC 9113), server side, with HPACK (RFC 7541).
//!
//! Nothing here owns a socket or a clock, as in quinn-proto and the engine's WebSocket core: the
//! connection layer feeds received bytes to [`H2Connection::receive`], takes events from
//! [`H2Connection::poll_event`], answers through `send_headers` / `send_data` /
//! `send_trailers` / `reset`, and writes what [`H2Connection::pending_output`] holds, then calls
//! [`H2Connection::consume_output`].
//!
//! ```
//! use zephyr_h2::{H2Config, H2Connection, H2Event};
//!
//! let mut conn = H2Connection::new(H2Config::default()).unwrap();
//! let server_preface = conn.pending_output().len();
//! conn.consume_output(server_preface);
//! // Client preface, empty SETTINGS, then HEADERS (stream 1, END_STREAM | END_HEADERS) with
//! // the static-table fields :method GET, :scheme https, :path /.
//! let mut wire = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
//! wire.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
//! wire.extend_from_slice(&[0, 0, 3, 1, 5, 0, 0, 0, 1, 0x82, 0x87, 0x84]);
//! conn.receive(&wire);
//! match conn.poll_event() {
//!     Some(H2Event::Request { stream, method, path, .. }) => {
//!         assert_eq!((stream, method.as_str(), path.as_str()), (1, "GET", "/"));
//!     }
//!     other => panic!("{other:?}"),
//! }
//! conn.send_headers(1, 200, &[(b"content-type", b"text/plain")], false).unwrap();
//! assert_eq!(conn.send_data(1, b"Hello, World!", true), Ok(13));
//! assert!(conn.wants_write()); // SETTINGS ACK, HEADERS, DATA
//! ```

mod config;
mod connection;
mod fields;
pub mod frame;
pub mod hpack;
mod stream;

pub use config::H2Config;
pub use connection::{H2Connection, H2Counters, H2Event, SendError};
pub use fields::Field;
pub use frame::ErrorCode;
pub use stream::{StreamIdHasher, StreamMap};

#[cfg(test)]
mod connection_tests;

/// The README's Rust examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
