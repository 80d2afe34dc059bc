//! Kernel TLS: after the handshake, the session keys go to the socket (`setsockopt(SOL_TLS,
//! TLS_TX/TLS_RX)`), so the kernel encrypts sends (and `splice`) and decrypts receives.
//!
//! Kept small on purpose: the probe, the key export into the structures of `linux/tls.h`, and
//! the calls that install them. Where the kernel has no `tls` ULP, rustls stays in user space.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};

use rustls::{ConnectionTrafficSecrets, ProtocolVersion};

use super::transport::TlsTransport;

/// `SOL_TLS` (linux/socket.h).
pub const SOL_TLS: libc::c_int = 282;
/// `TCP_ULP` (linux/tcp.h): attaches an upper-layer protocol, here `"tls"`.
pub const TCP_ULP: libc::c_int = 31;
/// `TLS_TX` / `TLS_RX` (linux/tls.h): the setsockopt names for each direction's keys.
pub const TLS_TX: libc::c_int = 1;
pub const TLS_RX: libc::c_int = 2;
/// `TLS_1_2_VERSION` / `TLS_1_3_VERSION`: major << 8 | minor.
pub const TLS_1_2_VERSION: u16 = 0x0303;
pub const TLS_1_3_VERSION: u16 = 0x0304;
/// `TLS_CIPHER_*` (linux/tls.h).
pub const TLS_CIPHER_AES_GCM_128: u16 = 51;
pub const TLS_CIPHER_AES_GCM_256: u16 = 52;
pub const TLS_CIPHER_CHACHA20_POLY1305: u16 = 54;
/// The kernel's counters, present when the `tls` module is loaded.
pub const TLS_STAT_PATH: &str = "/proc/net/tls_stat";

/// `struct tls_crypto_info`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsCryptoInfo {
    pub version: u16,
    pub cipher_type: u16,
}

/// `struct tls12_crypto_info_aes_gcm_128` (used for TLS 1.3 too, despite the name).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Tls12CryptoInfoAesGcm128 {
    pub info: TlsCryptoInfo,
    pub iv: [u8; 8],
    pub key: [u8; 16],
    pub salt: [u8; 4],
    pub rec_seq: [u8; 8],
}

/// `struct tls12_crypto_info_aes_gcm_256`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Tls12CryptoInfoAesGcm256 {
    pub info: TlsCryptoInfo,
    pub iv: [u8; 8],
    pub key: [u8; 32],
    pub salt: [u8; 4],
    pub rec_seq: [u8; 8],
}

/// `struct tls12_crypto_info_chacha20_poly1305` (its salt is zero bytes long: the whole 12-byte
/// IV is `iv`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Tls12CryptoInfoChacha20Poly1305 {
    pub info: TlsCryptoInfo,
    pub iv: [u8; 12],
    pub key: [u8; 32],
    pub salt: [u8; 0],
    pub rec_seq: [u8; 8],
}

/// One direction's keys, in the structure the kernel expects for the negotiated suite.
pub enum KernelCryptoInfo {
    AesGcm128(Tls12CryptoInfoAesGcm128),
    AesGcm256(Tls12CryptoInfoAesGcm256),
    Chacha20Poly1305(Tls12CryptoInfoChacha20Poly1305),
}

impl std::fmt::Debug for KernelCryptoInfo {
    // Never print key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let info = self.info();
        write!(
            f,
            "KernelCryptoInfo {{ version: {:#06x}, cipher_type: {} }}",
            info.version, info.cipher_type
        )
    }
}

/// Why keys could not be exported for the kernel.
#[derive(Debug)]
pub enum KtlsError {
    /// rustls refused (secret extraction off, handshake not complete, records still pending).
    Extract(rustls::Error),
    /// The kernel has no structure for this suite or version.
    Unsupported(String),
}

impl std::fmt::Display for KtlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Extract(err) => write!(f, "cannot export the TLS keys: {err}"),
            Self::Unsupported(what) => write!(f, "kernel TLS does not support {what}"),
        }
    }
}

impl std::error::Error for KtlsError {}

fn split_iv<const SALT: usize, const IV: usize>(iv: &[u8]) -> ([u8; SALT], [u8; IV]) {
    let mut salt = [0; SALT];
    let mut rest = [0; IV];
    salt.copy_from_slice(&iv[..SALT]);
    rest.copy_from_slice(&iv[SALT..SALT + IV]);
    (salt, rest)
}

impl KernelCryptoInfo {
    /// The structure for one direction: `seq` is the next record's sequence number, `secrets`
    /// what rustls extracted. For AES-GCM the 12-byte IV splits into the 4-byte salt and 8-byte
    /// `iv`; ChaCha20-Poly1305 takes all 12 as `iv`.
    pub fn new(
        version: ProtocolVersion,
        seq: u64,
        secrets: &ConnectionTrafficSecrets,
    ) -> Result<Self, KtlsError> {
        let version = match version {
            ProtocolVersion::TLSv1_2 => TLS_1_2_VERSION,
            ProtocolVersion::TLSv1_3 => TLS_1_3_VERSION,
            other => return Err(KtlsError::Unsupported(format!("{other:?}"))),
        };
        let (cipher_type, key, iv) = match secrets {
            ConnectionTrafficSecrets::Aes128Gcm { key, iv } => (TLS_CIPHER_AES_GCM_128, key, iv),
            ConnectionTrafficSecrets::Aes256Gcm { key, iv } => (TLS_CIPHER_AES_GCM_256, key, iv),
            ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv } => {
                (TLS_CIPHER_CHACHA20_POLY1305, key, iv)
            }
            _ => {
                return Err(KtlsError::Unsupported(
                    "this cipher suite (only AES-GCM and ChaCha20-Poly1305)".into(),
                ))
            }
        };
        Self::from_key_iv(version, cipher_type, key.as_ref(), iv.as_ref(), seq)
    }

    /// The structure from raw parts: `version` and `cipher_type` as `linux/tls.h` numbers, the
    /// AEAD key, the 12-byte IV (nonce base) and the next record's sequence number. A TLS 1.3
    /// key update makes its keys this way ([`super::ktls_rekey`]).
    pub fn from_key_iv(
        version: u16,
        cipher_type: u16,
        key: &[u8],
        iv: &[u8],
        seq: u64,
    ) -> Result<Self, KtlsError> {
        let info = TlsCryptoInfo {
            version,
            cipher_type,
        };
        let rec_seq = seq.to_be_bytes();
        if iv.len() != 12 {
            return Err(KtlsError::Unsupported(format!("a {}-byte IV", iv.len())));
        }
        let bad_key = || KtlsError::Unsupported(format!("a {}-byte key", key.len()));
        Ok(match cipher_type {
            TLS_CIPHER_AES_GCM_128 => {
                let (salt, iv) = split_iv::<4, 8>(iv);
                Self::AesGcm128(Tls12CryptoInfoAesGcm128 {
                    info,
                    iv,
                    key: key.try_into().map_err(|_| bad_key())?,
                    salt,
                    rec_seq,
                })
            }
            TLS_CIPHER_AES_GCM_256 => {
                let (salt, iv) = split_iv::<4, 8>(iv);
                Self::AesGcm256(Tls12CryptoInfoAesGcm256 {
                    info,
                    iv,
                    key: key.try_into().map_err(|_| bad_key())?,
                    salt,
                    rec_seq,
                })
            }
            TLS_CIPHER_CHACHA20_POLY1305 => {
                let (salt, iv) = split_iv::<0, 12>(iv);
                Self::Chacha20Poly1305(Tls12CryptoInfoChacha20Poly1305 {
                    info,
                    iv,
                    key: key.try_into().map_err(|_| bad_key())?,
                    salt,
                    rec_seq,
                })
            }
            other => return Err(KtlsError::Unsupported(format!("cipher type {other}"))),
        })
    }

    /// The common header: version and cipher type.
    pub fn info(&self) -> TlsCryptoInfo {
        match self {
            Self::AesGcm128(c) => c.info,
            Self::AesGcm256(c) => c.info,
            Self::Chacha20Poly1305(c) => c.info,
        }
    }

    /// The `optval` bytes of `setsockopt(fd, SOL_TLS, TLS_TX or TLS_RX, optval, optlen)`.
    pub fn as_bytes(&self) -> &[u8] {
        fn bytes<T>(value: &T) -> &[u8] {
            // SAFETY: T is one of the repr(C) structs above: only u16 and u8 arrays, with no
            // padding (each size is asserted in the tests), so every byte is initialised.
            unsafe {
                std::slice::from_raw_parts(
                    (value as *const T).cast::<u8>(),
                    std::mem::size_of::<T>(),
                )
            }
        }
        match self {
            Self::AesGcm128(c) => bytes(c),
            Self::AesGcm256(c) => bytes(c),
            Self::Chacha20Poly1305(c) => bytes(c),
        }
    }
}

impl Drop for KernelCryptoInfo {
    fn drop(&mut self) {
        let len = self.as_bytes().len();
        let ptr = self.as_bytes().as_ptr().cast_mut();
        for offset in 0..len {
            // SAFETY: within the struct we own; volatile so the wipe of key bytes is not elided.
            unsafe { std::ptr::write_volatile(ptr.add(offset), 0) };
        }
    }
}

/// Both directions' keys of one session, ready for [`install`].
#[derive(Debug)]
pub struct KernelKeys {
    pub tx: KernelCryptoInfo,
    pub rx: KernelCryptoInfo,
}

impl KernelKeys {
    /// Takes the session's keys out of `transport` (which is consumed: from here the kernel
    /// owns the record layer). The config must have had `kernel_tls` on.
    pub fn from_transport(transport: TlsTransport) -> Result<Self, KtlsError> {
        let (version, secrets) = transport.into_secrets().map_err(KtlsError::Extract)?;
        Ok(Self {
            tx: KernelCryptoInfo::new(version, secrets.tx.0, &secrets.tx.1)?,
            rx: KernelCryptoInfo::new(version, secrets.rx.0, &secrets.rx.1)?,
        })
    }
}

/// Whether this kernel offers TLS offload, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KtlsSupport {
    Available,
    Unavailable { reason: String },
}

fn set_option(fd: RawFd, level: libc::c_int, name: libc::c_int, value: &[u8]) -> io::Result<()> {
    // SAFETY: `value` is a live slice; the kernel reads at most `value.len()` bytes from it.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            value.as_ptr().cast(),
            value.len() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Attaches the `tls` ULP to a connected TCP socket (the first step of [`install`]).
pub fn attach_ulp(fd: RawFd) -> io::Result<()> {
    set_option(fd, libc::IPPROTO_TCP, TCP_ULP, b"tls")
}

/// Hands `keys` to the kernel on the connected socket `fd`: the ULP, then TX, then (when `rx`)
/// RX. Call it only after every ciphertext byte rustls produced has been sent and before any
/// more is received; on error the socket is unusable for TLS and must be closed.
pub fn install(fd: RawFd, keys: &KernelKeys, rx: bool) -> io::Result<()> {
    attach_ulp(fd)?;
    install_keys(fd, keys, rx)
}

/// The key half of [`install`], on a socket whose ULP is already attached (attaching first, while
/// rustls still owns the session, lets a refusal fall back to user space).
pub fn install_keys(fd: RawFd, keys: &KernelKeys, rx: bool) -> io::Result<()> {
    install_key(fd, TLS_TX, &keys.tx)?;
    if rx {
        install_key(fd, TLS_RX, &keys.rx)?;
    }
    Ok(())
}

/// Installs one direction's keys (`TLS_TX` or `TLS_RX`) on a socket already in kernel TLS: a
/// TLS 1.3 key update. Linux accepts a second `TLS_TX`/`TLS_RX` only from 6.14 (the "tls1.3
/// key updates" series); older kernels refuse it (`EBUSY`) and the connection must close.
pub fn install_key(fd: RawFd, direction: libc::c_int, info: &KernelCryptoInfo) -> io::Result<()> {
    set_option(fd, SOL_TLS, direction, info.as_bytes())
}

/// Why attaching the ULP failed, as one sentence for the log line.
pub fn explain(err: &io::Error) -> String {
    let cause = match err.raw_os_error() {
        Some(libc::ENOENT) => {
            "the kernel has no tls module (built without CONFIG_TLS, or it cannot be loaded)"
        }
        Some(libc::ENOPROTOOPT) => "the kernel does not know TCP_ULP (older than 4.13)",
        Some(libc::EPERM) => "the call was refused (a seccomp filter?)",
        _ => "unexpected error",
    };
    format!("setsockopt(TCP_ULP, \"tls\") failed: {err}: {cause}; rustls encrypts in user space")
}

/// Tries `setsockopt(TCP_ULP, "tls")` on a connected loopback socket pair: the only answer a
/// kernel gives honestly (the module may be loadable on demand even if `/proc/net/tls_stat` is
/// absent yet). Never panics.
pub fn probe() -> KtlsSupport {
    let pair = || -> io::Result<(TcpStream, TcpStream)> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let client = TcpStream::connect(listener.local_addr()?)?;
        let (server, _) = listener.accept()?;
        Ok((client, server))
    };
    match pair() {
        Err(err) => KtlsSupport::Unavailable {
            reason: format!("could not make a loopback socket pair to probe kernel TLS: {err}"),
        },
        Ok((client, _server)) => match attach_ulp(client.as_raw_fd()) {
            Ok(()) => KtlsSupport::Available,
            Err(err) => KtlsSupport::Unavailable {
                reason: explain(&err),
            },
        },
    }
}

/// The kernel's TLS counters (`TlsTxSw`, `TlsCurrTxSw`, `TlsRxSw`, ...), or `None` where the
/// `tls` module is not loaded.
pub fn tls_stat() -> Option<Vec<(String, u64)>> {
    let text = std::fs::read_to_string(TLS_STAT_PATH).ok()?;
    Some(
        text.lines()
            .filter_map(|line| {
                let mut fields = line.split_whitespace();
                Some((fields.next()?.to_owned(), fields.next()?.parse().ok()?))
            })
            .collect(),
    )
}
