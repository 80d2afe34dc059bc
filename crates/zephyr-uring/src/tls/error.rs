//! The errors of building a TLS configuration. Each names the file (or source) and what is wrong
//! with it, so a typo in `zephyr.config.yaml` reads as one sentence, not a rustls variant.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why certificates, keys or TLS settings could not be turned into a server configuration.
#[derive(Debug)]
pub enum TlsConfigError {
    /// A certificate or key file could not be read (missing, unreadable).
    Read { path: PathBuf, source: io::Error },
    /// The certificate source holds no `CERTIFICATE` PEM block, or one that does not decode.
    BadCertificatePem { source: String, reason: String },
    /// The key source holds no supported private key (PKCS#8, SEC1 or PKCS#1 RSA), or it does
    /// not decode. Encrypted keys are not supported.
    BadKeyPem { source: String, reason: String },
    /// The key decodes but rustls cannot sign with it (unsupported algorithm or curve).
    UnsupportedKey { source: String, reason: String },
    /// The private key does not belong to the first certificate of the chain.
    KeyMismatch { cert: String, key: String },
    /// A server name in the SNI map is not a valid DNS name (or wildcard `*.name`).
    InvalidServerName { name: String },
    /// The same server name appears twice in the SNI map.
    DuplicateServerName { name: String },
    /// An ALPN protocol id is empty, longer than 255 bytes, repeated, or the list is empty.
    InvalidAlpn { reason: String },
    /// rustls refused the assembled configuration (should not happen with validated settings).
    Rustls(rustls::Error),
}

impl fmt::Display for TlsConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Self::BadCertificatePem { source, reason } => {
                write!(f, "no usable certificate in {source}: {reason}")
            }
            Self::BadKeyPem { source, reason } => write!(
                f,
                "no usable private key in {source}: {reason} (expected an unencrypted PKCS#8, SEC1 \
                 or PKCS#1 RSA PEM block)"
            ),
            Self::UnsupportedKey { source, reason } => {
                write!(f, "unsupported private key in {source}: {reason}")
            }
            Self::KeyMismatch { cert, key } => {
                write!(
                    f,
                    "the private key in {key} does not match the certificate in {cert}"
                )
            }
            Self::InvalidServerName { name } => {
                write!(
                    f,
                    "invalid SNI server name {name:?}: expected a DNS name or *.name"
                )
            }
            Self::DuplicateServerName { name } => {
                write!(f, "SNI server name {name:?} is listed twice")
            }
            Self::InvalidAlpn { reason } => write!(f, "invalid ALPN list: {reason}"),
            Self::Rustls(err) => write!(f, "TLS configuration refused: {err}"),
        }
    }
}

impl std::error::Error for TlsConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } => Some(source),
            Self::Rustls(err) => Some(err),
            _ => None,
        }
    }
}
