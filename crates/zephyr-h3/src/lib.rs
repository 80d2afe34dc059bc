//! Sans-IO HTTP/3 (RFC 9114) server endpoint with QPACK (RFC 9204), over quinn-proto's QUIC.
//!
//! Nothing here owns a socket or a clock: the engine hands received datagrams to
//! [`H3Endpoint::handle_datagram`], sends what [`H3Endpoint::poll_transmit`] gives, runs
//! [`H3Endpoint::handle_timeout`] at [`H3Endpoint::poll_timeout`], takes requests from
//! [`H3Endpoint::poll_event`], and answers through `send_headers` / `send_data` /
//! `send_trailers` / `reset` — the same shape as `zephyr-h2`'s connection.

mod config;
mod endpoint;
pub mod error;
mod fields;
pub mod frame;
pub mod qpack;
pub mod varint;

pub use config::{ConfigError, H3Config, RetryPolicy};
pub use endpoint::{ConnId, H3Counters, H3Endpoint, H3Event, RequestId, SendError, Transmit};
pub use error::H3Error;
