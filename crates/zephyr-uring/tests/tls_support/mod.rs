//! Test-only PKI and an in-memory client/server pair for the TLS tests. Keys are made fresh by
//! `openssl` in a temporary folder per test process: no private key is committed.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{
    ClientConfig, ClientConnection, RootCertStore, SupportedCipherSuite, SupportedProtocolVersion,
};
use zephyr_uring::conn::{Conn, ConnLimits};
use zephyr_uring::http1::HeadLimits;
use zephyr_uring::send::SendPlan;
use zephyr_uring::tls::{CertSource, TlsCounters, TlsEvent, TlsTransport};
use zephyr_uring::tls_stage::TlsStage;

/// The test PKI: one CA and leaves signed by it.
pub struct Pki {
    pub dir: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The leaves the PKI holds: (file stem, subjectAltName, key type).
const LEAVES: &[(&str, &str, &str)] = &[
    ("localhost", "DNS:localhost,IP:127.0.0.1", "ec"),
    ("localhost-2", "DNS:localhost,IP:127.0.0.1", "ec"),
    ("a", "DNS:a.example.com", "ec"),
    ("wild", "DNS:*.wild.example.com", "ec"),
    ("rsa", "DNS:rsa.example.com", "rsa"),
];

const DIR_PREFIX: &str = "zephyr-tls-test-";

/// Test processes cannot clean up after themselves (statics are never dropped), so each removes
/// the folders of earlier ones that have exited.
fn remove_stale_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(DIR_PREFIX)) else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        remove_stale_dirs();
        let dir = std::env::temp_dir().join(format!("{DIR_PREFIX}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
        let mut ca = vec!["req", "-x509"];
        ca.extend(ec);
        ca.extend([
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Zephyr Test CA",
        ]);
        openssl(&dir, &ca);
        for (stem, san, kind) in LEAVES {
            let key = format!("{stem}.key");
            let csr = format!("{stem}.csr");
            let pem = format!("{stem}.pem");
            let ext = format!("{stem}.ext");
            std::fs::write(
                dir.join(&ext),
                format!("subjectAltName={san}\nbasicConstraints=CA:FALSE\n"),
            )
            .unwrap();
            let mut req = vec!["req"];
            if *kind == "rsa" {
                req.extend(["-newkey", "rsa:2048"]);
            } else {
                req.extend(ec);
            }
            req.extend([
                "-nodes",
                "-keyout",
                &key,
                "-out",
                &csr,
                "-subj",
                "/CN=zephyr-test",
            ]);
            openssl(&dir, &req);
            openssl(
                &dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    &pem,
                    "-days",
                    "2",
                    "-extfile",
                    &ext,
                ],
            );
        }
        // The same keys in the other PEM encodings rustls must read: SEC1 and PKCS#1.
        openssl(
            &dir,
            &["ec", "-in", "localhost.key", "-out", "localhost.sec1.key"],
        );
        openssl(
            &dir,
            &[
                "rsa",
                "-in",
                "rsa.key",
                "-traditional",
                "-out",
                "rsa.pkcs1.key",
            ],
        );
        Pki { dir }
    })
}

impl Pki {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `stem.pem` + `stem.key`.
    pub fn source(&self, stem: &str) -> CertSource {
        CertSource::files(
            self.path(&format!("{stem}.pem")),
            self.path(&format!("{stem}.key")),
        )
    }

    pub fn cert_der(&self, stem: &str) -> CertificateDer<'static> {
        CertificateDer::from_pem_file(self.path(&format!("{stem}.pem"))).unwrap()
    }

    pub fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_file(self.path("ca.pem")).unwrap())
            .unwrap();
        roots
    }
}

/// A client that trusts the test CA, with the given versions, suites (empty: all) and ALPN.
pub fn client_config(
    versions: &[&'static SupportedProtocolVersion],
    suites: &[SupportedCipherSuite],
    alpn: &[&[u8]],
) -> ClientConfig {
    let mut provider = rustls::crypto::ring::default_provider();
    if !suites.is_empty() {
        provider.cipher_suites = suites.to_vec();
    }
    let mut config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(pki().roots())
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|id| id.to_vec()).collect();
    config
}

pub fn client(config: ClientConfig, name: &str) -> ClientConnection {
    ClientConnection::new(
        Arc::new(config),
        ServerName::try_from(name.to_owned()).unwrap(),
    )
    .unwrap()
}

/// A rustls client and our server transport joined in memory, quinn-proto style: `pump` moves
/// bytes until neither side has anything to say.
pub struct Pair {
    pub client: ClientConnection,
    pub server: TlsTransport,
    /// Plaintext the server received.
    pub server_plain: Vec<u8>,
    /// Every event the server raised, in order.
    pub events: Vec<TlsEvent>,
    /// Plaintext the client received and the test has not taken yet.
    pub client_plain: Vec<u8>,
    /// The first error the client hit, if any.
    pub client_error: Option<rustls::Error>,
}

impl Pair {
    pub fn new(client: ClientConnection, server: TlsTransport) -> Self {
        Self {
            client,
            server,
            server_plain: Vec::new(),
            events: Vec::new(),
            client_plain: Vec::new(),
            client_error: None,
        }
    }

    pub fn with(
        counters: &Arc<TlsCounters>,
        config: Arc<rustls::ServerConfig>,
        client: ClientConnection,
    ) -> Self {
        Self::new(
            client,
            TlsTransport::new(config, Arc::clone(counters)).unwrap(),
        )
    }

    /// Client → server bytes as they are; returns them.
    pub fn client_to_server(&mut self) -> Vec<u8> {
        let mut wire = Vec::new();
        while self.client.wants_write() {
            self.client.write_tls(&mut wire).unwrap();
        }
        self.server.receive(&wire, &mut self.server_plain);
        self.drain_events();
        wire
    }

    pub fn drain_events(&mut self) {
        while let Some(event) = self.server.poll_event() {
            self.events.push(event);
        }
    }

    /// Server → client; false once the client failed.
    pub fn server_to_client(&mut self) -> usize {
        let mut wire = Vec::new();
        self.server.write_ciphertext(&mut wire);
        let mut slice = wire.as_slice();
        while !slice.is_empty() && self.client_error.is_none() {
            if self.client.read_tls(&mut slice).is_err() {
                break;
            }
            match self.client.process_new_packets() {
                Ok(state) => {
                    // Drained as it comes: the client buffers only so much plaintext.
                    let start = self.client_plain.len();
                    self.client_plain
                        .resize(start + state.plaintext_bytes_to_read(), 0);
                    std::io::Read::read_exact(
                        &mut self.client.reader(),
                        &mut self.client_plain[start..],
                    )
                    .unwrap();
                }
                Err(err) => self.client_error = Some(err),
            }
        }
        wire.len()
    }

    /// Moves bytes both ways until quiet.
    pub fn pump(&mut self) {
        for _ in 0..32 {
            let sent = self.client_to_server().len();
            let back = self.server_to_client();
            // A client that failed has queued its alert: deliver it, then stop.
            if self.client_error.is_some() {
                self.client_to_server();
                return;
            }
            if sent == 0 && back == 0 {
                return;
            }
        }
        panic!("the pair never went quiet");
    }

    /// Everything the client received since the last call.
    pub fn client_read(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.client_plain)
    }

    pub fn handshake_info(&self) -> zephyr_uring::tls::HandshakeInfo {
        self.events
            .iter()
            .find_map(|event| match event {
                TlsEvent::HandshakeComplete(info) => Some(info.clone()),
                _ => None,
            })
            .expect("the handshake completed")
    }

    pub fn failure(&self) -> Option<&zephyr_uring::tls::TlsFailure> {
        self.events.iter().find_map(|event| match event {
            TlsEvent::Failed(failure) => Some(failure),
            _ => None,
        })
    }
}

/// Connection limits roomy enough that no in-memory TLS test trips one.
pub const LIMITS: ConnLimits = ConnLimits {
    head: HeadLimits {
        max_head_bytes: 16384,
        max_headers: 100,
        max_url_len: 8192,
    },
    max_body_bytes: 1 << 20,
    header_timeout_ms: 10_000,
    keep_alive_timeout_ms: 10_000,
    request_timeout_ms: 10_000,
    max_pipelined: 16,
    max_unsent_bytes: 1 << 20,
    write_timeout_ms: 10_000,
};

/// Takes the stage's next send, as the ring would, and reports it sent.
pub fn take_send(stage: &mut TlsStage, conn: &mut Conn) -> Vec<u8> {
    let Some(plan) = stage.next_send(conn) else {
        return Vec::new();
    };
    let SendPlan::One(ptr, len) = plan else {
        panic!("the TLS stage sends one buffer");
    };
    // SAFETY: the plan points into the stage's buffer, untouched until `sent`.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec();
    stage.sent(len);
    bytes
}
