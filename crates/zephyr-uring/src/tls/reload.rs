//! The listener's current TLS configuration, swappable while connections are open.
//!
//! A `TlsTransport` holds its own `Arc` of the `ServerConfig` it started with, so a reload
//! changes what the *next* handshake gets and nothing about sessions already open: no
//! connection is dropped, and a failed reload leaves the old configuration serving.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;

use super::config::{build_server_config, TlsSettings};
use super::counters::TlsCounters;
use super::error::TlsConfigError;
use super::ktls_rekey::TrafficSecretLog;
use super::transport::TlsTransport;

/// Hands out transports for new connections, from the configuration in force at that moment.
#[derive(Debug)]
pub struct TlsAcceptor {
    // A read lock held for one Arc clone per accept: uncontended on the ring's single thread,
    // and a reload (SIGHUP, an API call) from another thread swaps it in one write.
    current: RwLock<Arc<ServerConfig>>,
    counters: Arc<TlsCounters>,
    handshake_timeout_ms: AtomicU64,
}

impl TlsAcceptor {
    /// Builds the first configuration; fails as [`build_server_config`] does.
    pub fn new(settings: &TlsSettings) -> Result<Self, TlsConfigError> {
        let acceptor = Self::from_config(build_server_config(settings)?);
        acceptor.set_handshake_timeout_ms(settings.handshake_timeout_ms);
        Ok(acceptor)
    }

    /// Wraps an already-built configuration.
    pub fn from_config(config: Arc<ServerConfig>) -> Self {
        Self {
            current: RwLock::new(config),
            counters: Arc::new(TlsCounters::default()),
            handshake_timeout_ms: AtomicU64::new(super::config::DEFAULT_HANDSHAKE_TIMEOUT_MS),
        }
    }

    /// How long a new connection has to finish its handshake.
    pub fn handshake_timeout_ms(&self) -> u64 {
        self.handshake_timeout_ms.load(Ordering::Relaxed)
    }

    fn set_handshake_timeout_ms(&self, ms: u64) {
        self.handshake_timeout_ms
            .store(ms.max(1), Ordering::Relaxed);
    }

    /// Rebuilds from `settings` (re-reading every PEM file) and swaps it in. On error the old
    /// configuration stays in force and the error says what was wrong.
    pub fn reload(&self, settings: &TlsSettings) -> Result<(), TlsConfigError> {
        let config = build_server_config(settings)?;
        self.swap(config);
        self.set_handshake_timeout_ms(settings.handshake_timeout_ms);
        Ok(())
    }

    /// Swaps in an already-built configuration.
    pub fn swap(&self, config: Arc<ServerConfig>) {
        // A poisoned lock only means a panic elsewhere while holding it; the Arc inside is whole.
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = config;
    }

    /// The configuration new handshakes get now.
    pub fn current(&self) -> Arc<ServerConfig> {
        Arc::clone(
            &self
                .current
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    /// Whether new sessions keep their keys exportable, for kernel TLS (`TlsSettings::kernel_tls`).
    pub fn kernel_tls(&self) -> bool {
        self.current().enable_secret_extraction
    }

    /// The failure counters every transport of this acceptor adds to.
    pub fn counters(&self) -> &Arc<TlsCounters> {
        &self.counters
    }

    /// A transport for a newly accepted connection (fails only if rustls rejects the config).
    pub fn accept(&self) -> Result<TlsTransport, rustls::Error> {
        TlsTransport::new(self.current(), Arc::clone(&self.counters))
    }

    /// A transport for a connection whose session goes to kernel TLS: its own copy of the
    /// config reports the session's traffic secrets to the returned log, for key updates.
    pub fn accept_for_kernel(
        &self,
    ) -> Result<(TlsTransport, Arc<TrafficSecretLog>), rustls::Error> {
        let (config, log) = TrafficSecretLog::attach(&self.current());
        Ok((TlsTransport::new(config, Arc::clone(&self.counters))?, log))
    }
}
