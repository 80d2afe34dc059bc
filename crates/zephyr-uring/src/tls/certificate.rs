//! A certificate chain and its private key, from PEM files or PEM bytes, checked to belong
//! together before any client sees them.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

use super::error::TlsConfigError;

/// Where one certificate chain and its key come from.
#[derive(Debug, Clone)]
pub enum CertSource {
    /// PEM files: `cert` holds the chain (leaf first), `key` an unencrypted private key.
    Files { cert: PathBuf, key: PathBuf },
    /// PEM text already in memory (e.g. from a secret store).
    Pem { cert: Vec<u8>, key: Vec<u8> },
}

impl CertSource {
    /// Shorthand for [`CertSource::Files`].
    pub fn files(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        Self::Files {
            cert: cert.into(),
            key: key.into(),
        }
    }

    /// The PEM bytes of the chain and the key, with a name for each to put in errors.
    fn read(&self) -> Result<(Vec<u8>, String, Vec<u8>, String), TlsConfigError> {
        match self {
            Self::Files { cert, key } => {
                let read = |path: &PathBuf| {
                    std::fs::read(path).map_err(|source| TlsConfigError::Read {
                        path: path.clone(),
                        source,
                    })
                };
                Ok((
                    read(cert)?,
                    cert.display().to_string(),
                    read(key)?,
                    key.display().to_string(),
                ))
            }
            Self::Pem { cert, key } => Ok((
                cert.clone(),
                "the cert PEM".into(),
                key.clone(),
                "the key PEM".into(),
            )),
        }
    }
}

fn describe_pem_error(err: &pem::Error) -> String {
    match err {
        pem::Error::NoItemsFound => "no PEM block of the expected type".into(),
        other => other.to_string(),
    }
}

/// Reads, decodes and checks one chain + key: the chain must hold at least one certificate, the
/// key must be one `provider` can sign with, and its public half must be the leaf's.
pub fn load_certified_key(
    source: &CertSource,
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>, TlsConfigError> {
    let (cert_pem, cert_name, key_pem, key_name) = source.read()?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| TlsConfigError::BadCertificatePem {
            source: cert_name.clone(),
            reason: describe_pem_error(&err),
        })?;
    if chain.is_empty() {
        return Err(TlsConfigError::BadCertificatePem {
            source: cert_name,
            reason: "no CERTIFICATE PEM block".into(),
        });
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|err| TlsConfigError::BadKeyPem {
        source: key_name.clone(),
        reason: describe_pem_error(&err),
    })?;
    let signing_key = provider.key_provider.load_private_key(key).map_err(|err| {
        TlsConfigError::UnsupportedKey {
            source: key_name.clone(),
            reason: err.to_string(),
        }
    })?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        Ok(()) => Ok(Arc::new(certified)),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            Err(TlsConfigError::KeyMismatch {
                cert: cert_name,
                key: key_name,
            })
        }
        // The leaf's public key could not be compared (InconsistentKeys::Unknown) or did not
        // parse: a certificate we cannot check is one we will not serve.
        Err(err) => Err(TlsConfigError::BadCertificatePem {
            source: cert_name,
            reason: err.to_string(),
        }),
    }
}
