//! Chooses a certificate by the server name the client asked for (SNI), with a default for
//! clients that send none or a name no entry covers.

use std::collections::HashMap;
use std::sync::Arc;

use rustls::pki_types::DnsName;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::error::TlsConfigError;

/// Exact names win over wildcards; a wildcard `*.example.com` covers exactly one more label
/// (`a.example.com`, not `example.com` nor `a.b.example.com`), as certificates do (RFC 6125).
#[derive(Debug)]
pub struct SniResolver {
    default: Arc<CertifiedKey>,
    exact: HashMap<String, Arc<CertifiedKey>>,
    /// Keyed by the part after `*.`.
    wildcard: HashMap<String, Arc<CertifiedKey>>,
}

impl SniResolver {
    /// A resolver that serves `default` to every client.
    pub fn new(default: Arc<CertifiedKey>) -> Self {
        Self {
            default,
            exact: HashMap::new(),
            wildcard: HashMap::new(),
        }
    }

    /// Serves `key` to clients asking for `name` (a DNS name, or `*.name`; case-insensitive).
    pub fn add(&mut self, name: &str, key: Arc<CertifiedKey>) -> Result<(), TlsConfigError> {
        let lower = name.to_ascii_lowercase();
        let (table, base) = match lower.strip_prefix("*.") {
            Some(base) => (&mut self.wildcard, base.to_owned()),
            None => (&mut self.exact, lower.clone()),
        };
        // An IP address is not a server name (RFC 6066 §3), and DnsName accepts only names.
        let valid = !base.is_empty()
            && DnsName::try_from(base.as_str()).is_ok()
            && base.parse::<std::net::IpAddr>().is_err();
        if !valid {
            return Err(TlsConfigError::InvalidServerName {
                name: name.to_owned(),
            });
        }
        if table.insert(base, key).is_some() {
            return Err(TlsConfigError::DuplicateServerName {
                name: name.to_owned(),
            });
        }
        Ok(())
    }

    /// The certificate for `server_name` (`None`: the client sent no SNI).
    pub fn choose(&self, server_name: Option<&str>) -> &Arc<CertifiedKey> {
        let Some(name) = server_name else {
            return &self.default;
        };
        // One allocation per handshake buys independence from how the caller spells the name.
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if let Some(key) = self.exact.get(&name) {
            return key;
        }
        if let Some((_, parent)) = name.split_once('.') {
            if let Some(key) = self.wildcard.get(parent) {
                return key;
            }
        }
        &self.default
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(self.choose(client_hello.server_name())))
    }
}
