//! Building the TLS configuration: PEM files in every key encoding, typed errors for each way a
//! file can be wrong, SNI names and ALPN lists checked, reload without dropping sessions.

mod tls_support;

use std::io::Write;
use std::sync::Arc;

use tls_support::{client, client_config, pki, Pair};
use zephyr_uring::tls::{
    build_server_config, load_certified_key, CertSource, TlsAcceptor, TlsConfigError, TlsCounters,
    TlsSettings,
};

fn provider() -> rustls::crypto::CryptoProvider {
    zephyr_uring::tls::config::provider()
}

#[test]
fn loads_pkcs8_sec1_and_pkcs1_rsa_keys() {
    let pki = pki();
    for (cert, key) in [
        ("localhost.pem", "localhost.key"),
        ("localhost.pem", "localhost.sec1.key"),
        ("rsa.pem", "rsa.key"),
        ("rsa.pem", "rsa.pkcs1.key"),
    ] {
        let source = CertSource::files(pki.path(cert), pki.path(key));
        let loaded =
            load_certified_key(&source, &provider()).unwrap_or_else(|err| panic!("{key}: {err}"));
        assert_eq!(loaded.cert.len(), 1);
    }
    // The encodings really differ (the tests above would prove nothing otherwise).
    let first_line = |name: &str| {
        std::fs::read_to_string(pki.path(name))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(first_line("localhost.key"), "-----BEGIN PRIVATE KEY-----");
    assert_eq!(
        first_line("localhost.sec1.key"),
        "-----BEGIN EC PRIVATE KEY-----"
    );
    assert_eq!(
        first_line("rsa.pkcs1.key"),
        "-----BEGIN RSA PRIVATE KEY-----"
    );
}

#[test]
fn loads_pem_from_memory_with_the_chain_order_kept() {
    let pki = pki();
    let mut chain = std::fs::read(pki.path("localhost.pem")).unwrap();
    chain.extend(std::fs::read(pki.path("ca.pem")).unwrap());
    let source = CertSource::Pem {
        cert: chain,
        key: std::fs::read(pki.path("localhost.key")).unwrap(),
    };
    let loaded = load_certified_key(&source, &provider()).unwrap();
    assert_eq!(loaded.cert.len(), 2);
    assert_eq!(loaded.cert[0], pki.cert_der("localhost"));
}

#[test]
fn a_missing_file_names_the_path() {
    let source = CertSource::files("/nonexistent/cert.pem", pki().path("localhost.key"));
    let err = load_certified_key(&source, &provider()).unwrap_err();
    assert!(
        matches!(&err, TlsConfigError::Read { path, .. } if path.ends_with("cert.pem")),
        "{err:?}"
    );
    assert!(err.to_string().contains("/nonexistent/cert.pem"), "{err}");
}

fn temp_file(name: &str, contents: &[u8]) -> std::path::PathBuf {
    let path = pki().path(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(contents)
        .unwrap();
    path
}

#[test]
fn bad_pem_is_a_typed_error_for_cert_and_key() {
    let pki = pki();
    let garbage = temp_file("garbage.pem", b"this is not PEM\n");
    let err = load_certified_key(
        &CertSource::files(&garbage, pki.path("localhost.key")),
        &provider(),
    )
    .unwrap_err();
    assert!(
        matches!(err, TlsConfigError::BadCertificatePem { .. }),
        "{err:?}"
    );

    // A certificate where the key should be: no private key block.
    let err = load_certified_key(
        &CertSource::files(pki.path("localhost.pem"), pki.path("localhost.pem")),
        &provider(),
    )
    .unwrap_err();
    assert!(matches!(err, TlsConfigError::BadKeyPem { .. }), "{err:?}");
    assert!(err.to_string().contains("PKCS#8"), "{err}");

    // A PEM block whose base64 is broken.
    let broken = temp_file(
        "broken.pem",
        b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    );
    let err = load_certified_key(
        &CertSource::files(&broken, pki.path("localhost.key")),
        &provider(),
    )
    .unwrap_err();
    assert!(
        matches!(err, TlsConfigError::BadCertificatePem { .. }),
        "{err:?}"
    );
}

#[test]
fn a_key_of_another_certificate_is_a_mismatch() {
    let pki = pki();
    let source = CertSource::files(pki.path("localhost.pem"), pki.path("a.key"));
    let err = load_certified_key(&source, &provider()).unwrap_err();
    assert!(matches!(err, TlsConfigError::KeyMismatch { .. }), "{err:?}");
    assert!(err.to_string().contains("does not match"), "{err}");
}

#[test]
fn only_tls12_and_tls13_with_ecdhe_aead_suites() {
    let config = build_server_config(&TlsSettings::new(pki().source("localhost"))).unwrap();
    for suite in &config.crypto_provider().cipher_suites {
        let name = format!("{:?}", suite.suite());
        let modern = name.starts_with("TLS13_")
            || (name.starts_with("TLS_ECDHE_")
                && (name.contains("_GCM_") || name.contains("CHACHA20_POLY1305")));
        assert!(modern, "weak suite offered: {name}");
    }
    // Both versions are served (rustls has no older ones to refuse).
    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let counters = Arc::new(TlsCounters::default());
        let mut pair = Pair::with(
            &counters,
            Arc::clone(&config),
            client(client_config(&[version], &[], &[]), "localhost"),
        );
        pair.pump();
        assert_eq!(pair.handshake_info().version, version.version);
    }
}

#[test]
fn sni_names_are_validated() {
    let pki = pki();
    for bad in ["", "*.", "exa mple.com", "127.0.0.1", "*"] {
        let mut settings = TlsSettings::new(pki.source("localhost"));
        settings.sni.push((bad.into(), pki.source("a")));
        let err = build_server_config(&settings).unwrap_err();
        assert!(
            matches!(err, TlsConfigError::InvalidServerName { .. }),
            "{bad:?}: {err:?}"
        );
    }
    let mut settings = TlsSettings::new(pki.source("localhost"));
    settings.sni.push(("a.example.com".into(), pki.source("a")));
    settings.sni.push(("A.example.com".into(), pki.source("a")));
    assert!(matches!(
        build_server_config(&settings).unwrap_err(),
        TlsConfigError::DuplicateServerName { .. }
    ));
}

#[test]
fn alpn_lists_are_validated() {
    let cases: [Vec<Vec<u8>>; 4] = [
        vec![],
        vec![b"".to_vec()],
        vec![vec![b'x'; 256]],
        vec![b"h2".to_vec(), b"h2".to_vec()],
    ];
    for alpn in cases {
        let mut settings = TlsSettings::new(pki().source("localhost"));
        settings.alpn = alpn.clone();
        let err = build_server_config(&settings).unwrap_err();
        assert!(
            matches!(err, TlsConfigError::InvalidAlpn { .. }),
            "{alpn:?}: {err:?}"
        );
    }
}

#[test]
fn reload_serves_new_handshakes_the_new_certificate_and_keeps_live_sessions() {
    let pki = pki();
    let acceptor = TlsAcceptor::new(&TlsSettings::new(pki.source("localhost"))).unwrap();
    let config = || client_config(&[&rustls::version::TLS13], &[], &[b"http/1.1"]);

    let mut before = Pair::new(client(config(), "localhost"), acceptor.accept().unwrap());
    before.pump();
    assert_eq!(
        before.client.peer_certificates().unwrap()[0],
        pki.cert_der("localhost")
    );

    // A reload that fails leaves the old configuration serving.
    let broken = CertSource::files(pki.path("missing.pem"), pki.path("localhost-2.key"));
    assert!(matches!(
        acceptor.reload(&TlsSettings::new(broken)),
        Err(TlsConfigError::Read { .. })
    ));
    let mut still = Pair::new(client(config(), "localhost"), acceptor.accept().unwrap());
    still.pump();
    assert_eq!(
        still.client.peer_certificates().unwrap()[0],
        pki.cert_der("localhost")
    );

    acceptor
        .reload(&TlsSettings::new(pki.source("localhost-2")))
        .unwrap();
    let mut after = Pair::new(client(config(), "localhost"), acceptor.accept().unwrap());
    after.pump();
    assert_eq!(
        after.client.peer_certificates().unwrap()[0],
        pki.cert_der("localhost-2")
    );

    // The session opened before the reload goes on, both ways.
    before.client.writer().write_all(b"still here?").unwrap();
    before.pump();
    assert_eq!(before.server_plain, b"still here?");
    before.server.send(b"yes").unwrap();
    before.pump();
    assert_eq!(before.client_read(), b"yes");
    assert_eq!(acceptor.counters().snapshot().handshakes, 3);
}
