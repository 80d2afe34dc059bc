//! TLS 1.3 key updates on a kernel TLS socket (RFC 8446 §4.6.3, §7.2).
//!
//! After a KeyUpdate, each side's next key comes from its current traffic secret:
//! `secret_{N+1} = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length)`, and the record
//! key and IV from that secret (`"key"`, `"iv"`). The kernel needs the new key and IV
//! (`setsockopt(TLS_RX or TLS_TX)`, Linux 6.14+), and someone must know the secret.
//!
//! rustls 0.23 has an API for exactly this, `rustls::kernel::KernelConnection`
//! (`update_rx_secret`, `update_tx_secret`), but only an `UnbufferedServerConnection` turns into
//! one (`dangerous_into_kernel_connection`); the buffered `ServerConnection` this engine drives
//! offers only `dangerous_extract_secrets`, which gives keys and IVs but not the secrets they
//! came from. So a session bound for the kernel records its two application traffic secrets
//! through rustls's `KeyLog` hook ([`TrafficSecretLog`], one per connection, in a copy of the
//! listener's config), and [`KeyUpdater`] derives the next keys with `ring`'s HKDF. At the
//! handover the keys derived from those secrets are checked against the keys rustls exported,
//! so a secret that does not belong to the session is never used.

use std::sync::{Arc, Mutex};

use ring::hkdf;
use rustls::{CipherSuite, KeyLog, ServerConfig};
use zeroize::Zeroizing;

use super::ktls::{
    KernelCryptoInfo, KernelKeys, KtlsError, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128,
    TLS_CIPHER_AES_GCM_256, TLS_CIPHER_CHACHA20_POLY1305,
};

const CLIENT_SECRET: &str = "CLIENT_TRAFFIC_SECRET_0";
const SERVER_SECRET: &str = "SERVER_TRAFFIC_SECRET_0";

/// Secret bytes wiped when dropped.
type Secret = Zeroizing<Vec<u8>>;

/// rustls's `KeyLog` for one connection: keeps the client's and server's first application
/// traffic secrets (TLS 1.3), and nothing else.
#[derive(Default)]
pub struct TrafficSecretLog {
    secrets: Mutex<(Option<Secret>, Option<Secret>)>,
}

impl std::fmt::Debug for TrafficSecretLog {
    // Never print key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrafficSecretLog")
    }
}

impl KeyLog for TrafficSecretLog {
    fn will_log(&self, label: &str) -> bool {
        label == CLIENT_SECRET || label == SERVER_SECRET
    }

    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        let mut secrets = self.secrets.lock().unwrap_or_else(|p| p.into_inner());
        let slot = match label {
            CLIENT_SECRET => &mut secrets.0,
            SERVER_SECRET => &mut secrets.1,
            _ => return,
        };
        *slot = Some(Zeroizing::new(secret.to_vec()));
    }
}

impl TrafficSecretLog {
    /// A copy of `config` whose connections report their traffic secrets to a new log (made per
    /// connection: the log belongs to one session). Costs one config clone per handshake, paid
    /// only by listeners whose sessions go to the kernel.
    pub fn attach(config: &ServerConfig) -> (Arc<ServerConfig>, Arc<Self>) {
        let log = Arc::new(Self::default());
        let mut config = config.clone();
        config.key_log = Arc::clone(&log) as Arc<dyn KeyLog>;
        (Arc::new(config), log)
    }

    fn take(&self) -> Option<(Secret, Secret)> {
        let mut secrets = self.secrets.lock().unwrap_or_else(|p| p.into_inner());
        Some((secrets.0.take()?, secrets.1.take()?))
    }
}

/// What one TLS 1.3 suite needs for the key schedule and the kernel.
#[derive(Debug, Clone, Copy)]
struct Suite {
    hash: hkdf::Algorithm,
    cipher_type: u16,
    key_len: usize,
}

fn suite(cipher_suite: CipherSuite) -> Option<Suite> {
    let (hash, cipher_type, key_len) = match cipher_suite {
        CipherSuite::TLS13_AES_128_GCM_SHA256 => (hkdf::HKDF_SHA256, TLS_CIPHER_AES_GCM_128, 16),
        CipherSuite::TLS13_AES_256_GCM_SHA384 => (hkdf::HKDF_SHA384, TLS_CIPHER_AES_GCM_256, 32),
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256 => {
            (hkdf::HKDF_SHA256, TLS_CIPHER_CHACHA20_POLY1305, 32)
        }
        _ => return None,
    };
    Some(Suite {
        hash,
        cipher_type,
        key_len,
    })
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// `HKDF-Expand-Label(secret, label, "", out.len())` (RFC 8446 §7.1).
fn expand_label(hash: hkdf::Algorithm, secret: &[u8], label: &[u8], out: &mut [u8]) {
    let prk = hkdf::Prk::new_less_safe(hash, secret);
    let length = (out.len() as u16).to_be_bytes();
    let label_len = [(b"tls13 ".len() + label.len()) as u8];
    let context_len = [0u8];
    let info: [&[u8]; 5] = [&length, &label_len, b"tls13 ", label, &context_len];
    // Lengths here (at most 48 bytes) are far below HKDF's limit of 255 hash lengths, the only
    // way `expand` or `fill` can fail.
    if let Ok(okm) = prk.expand(&info, Len(out.len())) {
        let _ = okm.fill(out);
    }
}

/// Keeps a kernel TLS 1.3 session's traffic secrets and makes the next keys on a KeyUpdate.
pub struct KeyUpdater {
    suite: Suite,
    /// The client's secret: what we receive with.
    rx: Secret,
    /// Ours: what we send with.
    tx: Secret,
}

impl std::fmt::Debug for KeyUpdater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeyUpdater {{ cipher_type: {} }}",
            self.suite.cipher_type
        )
    }
}

impl KeyUpdater {
    /// The updater of a TLS 1.3 session that used `log`, once its keys were exported as `keys`
    /// (both at sequence numbers rustls reached). `None` for TLS 1.2 (no key updates), an
    /// unknown suite, or secrets that do not make the exported keys.
    pub fn new(
        cipher_suite: CipherSuite,
        log: &TrafficSecretLog,
        keys: &KernelKeys,
    ) -> Option<Self> {
        let suite = suite(cipher_suite)?;
        let (rx, tx) = log.take()?;
        let updater = Self { suite, rx, tx };
        let same = |derived: Result<KernelCryptoInfo, KtlsError>, exported: &KernelCryptoInfo| {
            // Compare all but the trailing 8-byte rec_seq (ours starts at 0).
            derived.is_ok_and(|d| {
                let (d, e) = (d.as_bytes(), exported.as_bytes());
                d.len() == e.len() && d[..d.len() - 8] == e[..e.len() - 8]
            })
        };
        let consistent = same(updater.keys_for(&updater.rx), &keys.rx)
            && same(updater.keys_for(&updater.tx), &keys.tx);
        consistent.then_some(updater)
    }

    /// The peer sent KeyUpdate: the keys its next records use (sequence 0).
    pub fn next_rx(&mut self) -> Result<KernelCryptoInfo, KtlsError> {
        self.rx = self.next_secret(&self.rx);
        self.keys_for(&self.rx)
    }

    /// We sent KeyUpdate: the keys our next records use (sequence 0).
    pub fn next_tx(&mut self) -> Result<KernelCryptoInfo, KtlsError> {
        self.tx = self.next_secret(&self.tx);
        self.keys_for(&self.tx)
    }

    fn next_secret(&self, secret: &[u8]) -> Secret {
        let mut next = vec![
            0u8;
            self.suite
                .hash
                .hmac_algorithm()
                .digest_algorithm()
                .output_len()
        ];
        expand_label(self.suite.hash, secret, b"traffic upd", &mut next);
        Zeroizing::new(next)
    }

    fn keys_for(&self, secret: &[u8]) -> Result<KernelCryptoInfo, KtlsError> {
        let mut key: Secret = Zeroizing::new(vec![0u8; self.suite.key_len]);
        let mut iv: Secret = Zeroizing::new(vec![0u8; 12]);
        expand_label(self.suite.hash, secret, b"key", &mut key);
        expand_label(self.suite.hash, secret, b"iv", &mut iv);
        KernelCryptoInfo::from_key_iv(TLS_1_3_VERSION, self.suite.cipher_type, &key, &iv, 0)
    }
}
