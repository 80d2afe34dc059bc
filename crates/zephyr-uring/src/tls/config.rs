//! From [`TlsSettings`] to a rustls `ServerConfig`: TLS 1.2 and 1.3 only, and only suites with
//! forward secrecy and an AEAD (ECDHE + AES-GCM or ChaCha20-Poly1305 for 1.2; 1.3 has no other).

use std::collections::HashSet;
use std::sync::Arc;

use rustls::crypto::{ring, CryptoProvider};
use rustls::ServerConfig;

use super::certificate::{load_certified_key, CertSource};
use super::error::TlsConfigError;
use super::sni::SniResolver;

/// The ALPN list when none is given: HTTP/1.1 only. The HTTP/2 work prepends `h2`.
pub const DEFAULT_ALPN: &[&[u8]] = &[b"http/1.1"];

/// Everything a TLS listener needs to know.
#[derive(Debug, Clone)]
pub struct TlsSettings {
    /// Served to clients that send no SNI, or a name no `sni` entry covers.
    pub default: CertSource,
    /// Server name (`example.com` or `*.example.com`) → its certificate.
    pub sni: Vec<(String, CertSource)>,
    /// ALPN protocol ids in the server's order of preference, e.g. `[b"h2", b"http/1.1"]`.
    pub alpn: Vec<Vec<u8>>,
    /// Keep the session keys exportable after the handshake, for kernel TLS.
    pub kernel_tls: bool,
    /// Accept TLS 1.3 only (otherwise 1.2 and 1.3).
    pub tls13_only: bool,
    /// Time a client has to finish the handshake; the ring loop closes it after that.
    pub handshake_timeout_ms: u64,
}

/// The handshake deadline when none is given (the same default as the JS options).
pub const DEFAULT_HANDSHAKE_TIMEOUT_MS: u64 = 10_000;

impl TlsSettings {
    /// One certificate for every name, ALPN [`DEFAULT_ALPN`], no kernel TLS.
    pub fn new(default: CertSource) -> Self {
        Self {
            default,
            sni: Vec::new(),
            alpn: DEFAULT_ALPN.iter().map(|id| id.to_vec()).collect(),
            kernel_tls: false,
            tls13_only: false,
            handshake_timeout_ms: DEFAULT_HANDSHAKE_TIMEOUT_MS,
        }
    }
}

/// The crypto provider: *ring* (it builds with a C compiler alone), restricted to modern suites.
/// Every TLS 1.2 suite here is ECDHE (forward secrecy) with an AEAD; no CBC, no RSA key exchange.
pub fn provider() -> CryptoProvider {
    use ring::cipher_suite as suite;
    CryptoProvider {
        cipher_suites: vec![
            suite::TLS13_AES_128_GCM_SHA256,
            suite::TLS13_AES_256_GCM_SHA384,
            suite::TLS13_CHACHA20_POLY1305_SHA256,
            suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
        ..ring::default_provider()
    }
}

fn check_alpn(alpn: &[Vec<u8>]) -> Result<(), TlsConfigError> {
    if alpn.is_empty() {
        return Err(TlsConfigError::InvalidAlpn {
            reason: "the list is empty (HTTP needs at least http/1.1)".into(),
        });
    }
    let mut seen = HashSet::new();
    for id in alpn {
        // RFC 7301 §3.1: a protocol name is 1..=255 bytes.
        if id.is_empty() || id.len() > 255 {
            return Err(TlsConfigError::InvalidAlpn {
                reason: format!("protocol ids are 1 to 255 bytes, got {} bytes", id.len()),
            });
        }
        if !seen.insert(id.as_slice()) {
            return Err(TlsConfigError::InvalidAlpn {
                reason: format!("{:?} is listed twice", String::from_utf8_lossy(id)),
            });
        }
    }
    Ok(())
}

/// Loads every certificate, checks every setting and builds the server configuration.
pub fn build_server_config(settings: &TlsSettings) -> Result<Arc<ServerConfig>, TlsConfigError> {
    check_alpn(&settings.alpn)?;
    let provider = Arc::new(provider());
    let mut resolver = SniResolver::new(load_certified_key(&settings.default, &provider)?);
    for (name, source) in &settings.sni {
        resolver.add(name, load_certified_key(source, &provider)?)?;
    }
    let versions: &[&rustls::SupportedProtocolVersion] = if settings.tls13_only {
        &[&rustls::version::TLS13]
    } else {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(TlsConfigError::Rustls)?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    config.alpn_protocols = settings.alpn.clone();
    config.enable_secret_extraction = settings.kernel_tls;
    Ok(Arc::new(config))
}
