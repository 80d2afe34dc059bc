//! TLS for the engine, sans-IO: rustls drives the protocol, this module feeds it bytes and never
//! touches a socket, so the ring loop (or a test) decides when bytes move.
//!
//! - [`certificate`]: cert chain + private key from PEM (files or bytes), checked to match.
//! - [`config`]: [`TlsSettings`] → a rustls `ServerConfig` with TLS 1.2/1.3 only, ECDHE + AEAD
//!   suites only, an ALPN list, and an SNI resolver ([`SniResolver`]).
//! - [`reload`]: [`TlsAcceptor`], the atomically swappable config: a reload changes what new
//!   handshakes get, sessions already open keep theirs.
//! - [`transport`]: [`TlsTransport`], one connection: ciphertext in → plaintext + [`TlsEvent`]s
//!   out, plaintext in → ciphertext out.
//! - [`counters`]: [`TlsCounters`], failures by kind, shared by every connection of a listener.
//! - [`ktls`]: kernel TLS: the probe, and the key export into `linux/tls.h`'s structures.
//! - [`ktls_records`]: non-data records on a kernel TLS socket (close_notify out, alerts and
//!   KeyUpdate in), [`ktls_rekey`]: TLS 1.3 key updates, [`ktls_session`]: what a kernel TLS
//!   connection does with each control record.

pub mod certificate;
pub mod config;
pub mod counters;
pub mod error;
pub mod ktls;
pub mod ktls_records;
pub mod ktls_rekey;
pub mod ktls_session;
mod record;
pub mod reload;
pub mod sni;
pub mod transport;

pub use certificate::{load_certified_key, CertSource};
pub use config::{build_server_config, TlsSettings, DEFAULT_ALPN};
pub use counters::{FailureKind, TlsCounters, TlsCountersSnapshot};
pub use error::TlsConfigError;
pub use reload::TlsAcceptor;
pub use sni::SniResolver;
pub use transport::{HandshakeInfo, TlsEvent, TlsFailure, TlsTransport};
