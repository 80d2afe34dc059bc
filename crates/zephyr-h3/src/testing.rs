//! The parts of a QUIC client (quinn-proto) in memory that the tests and fuzz targets of this
//! endpoint and of the engine's HTTP/3 session share: a self-signed certificate, the TLS 1.3
//! configurations of both sides, HEADERS frames, and what a client read on a stream. Behind the
//! `test-client` feature, which only dev-dependencies and the fuzz crate turn on.

use std::sync::Arc;

use quinn_proto::crypto::rustls::QuicClientConfig;
use quinn_proto::{ClientConfig, Connection, ReadError, StreamId};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::frame::{self, write_frame};
use crate::qpack;

/// A self-signed certificate for `localhost` and its key.
pub struct Pki {
    pub cert: CertificateDer<'static>,
    pub key: PrivateKeyDer<'static>,
}

impl Pki {
    /// A fresh certificate (rcgen).
    pub fn generate() -> Self {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        Pki {
            cert: ck.cert.der().clone(),
            key: PrivateKeyDer::Pkcs8(ck.key_pair.serialize_der().into()),
        }
    }

    /// The server's TLS 1.3 configuration with this certificate.
    pub fn server_tls(&self) -> rustls::ServerConfig {
        rustls::ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![self.cert.clone()], self.key.clone_key())
            .unwrap()
    }

    /// A QUIC client configuration that trusts this certificate and offers ALPN `h3`.
    pub fn client_config(&self) -> ClientConfig {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.cert.clone()).unwrap();
        let mut tls = rustls::ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"h3".to_vec()];
        ClientConfig::new(Arc::new(QuicClientConfig::try_from(tls).unwrap()))
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A HEADERS frame carrying `fields` (QPACK, static table and literals).
pub fn headers_frame(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut block = Vec::new();
    qpack::encode(
        fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())),
        &mut block,
    );
    let mut f = Vec::new();
    write_frame(&mut f, frame::HEADERS, &block);
    f
}

/// What a client reads on stream `s` now: (bytes, whether the stream ended, its reset code).
pub fn read_stream(conn: &mut Connection, s: StreamId) -> (Vec<u8>, bool, Option<u64>) {
    let mut out = Vec::new();
    let (mut fin, mut reset) = (false, None);
    if let Ok(mut chunks) = conn.recv_stream(s).read(true) {
        loop {
            match chunks.next(usize::MAX) {
                Ok(Some(c)) => out.extend_from_slice(&c.bytes),
                Ok(None) => {
                    fin = true;
                    break;
                }
                Err(ReadError::Blocked) => break,
                Err(ReadError::Reset(c)) => {
                    reset = Some(c.into_inner());
                    break;
                }
            }
        }
        let _ = chunks.finalize();
    }
    (out, fin, reset)
}
