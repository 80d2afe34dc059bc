//! Sans-IO HTTP/3 (RFC 9114) server endpoint with QPACK (RFC 9204), over quinn-proto's QUIC.
//!
//! Nothing here owns a socket or a clock: the engine hands received datagrams to
//! [`H3Endpoint::handle_datagram`], sends what [`H3Endpoint::poll_transmit`] gives, runs
//! [`H3Endpoint::handle_timeout`] at [`H3Endpoint::poll_timeout`], takes requests from
//! [`H3Endpoint::poll_event`], and answers through `send_headers` / `send_data` /
//! `send_trailers` / `reset` — the same shape as `zephyr-h2`'s connection.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::{Duration, Instant};
//! use rustls::pki_types::PrivateKeyDer;
//! use zephyr_h3::{H3Config, H3Endpoint};
//!
//! let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
//! let key = PrivateKeyDer::Pkcs8(ck.key_pair.serialize_der().into());
//! let tls = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
//!     .with_protocol_versions(&[&rustls::version::TLS13])
//!     .unwrap()
//!     .with_no_client_auth()
//!     .with_single_cert(vec![ck.cert.der().clone()], key)
//!     .unwrap();
//! // Every limit is checked when the endpoint is built.
//! let bad = H3Config { idle_timeout: Duration::ZERO, ..H3Config::default() };
//! let err = H3Endpoint::new(bad, tls.clone()).err().unwrap();
//! assert!(err.to_string().contains("idle_timeout"));
//!
//! let mut ep = H3Endpoint::new(H3Config::default(), tls).unwrap();
//! // A datagram that is not QUIC creates nothing and asks for nothing to be sent.
//! let now = Instant::now();
//! ep.handle_datagram(now, "127.0.0.1:5000".parse().unwrap(), b"not quic");
//! let mut buf = Vec::new();
//! assert!(ep.poll_transmit(now, &mut buf).is_none());
//! assert_eq!(ep.connection_count(), 0);
//! assert!(ep.poll_event().is_none());
//! ```

mod config;
mod endpoint;
pub mod error;
pub mod fields;
pub mod frame;
pub mod qpack;
#[cfg(feature = "test-client")]
pub mod testing;
pub mod varint;

pub use config::{ConfigError, H3Config, RetryPolicy};
pub use endpoint::{ConnId, H3Counters, H3Endpoint, H3Event, RequestId, SendError, Transmit};
pub use error::H3Error;
