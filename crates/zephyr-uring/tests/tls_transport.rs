//! The sans-IO TLS transport against a real rustls client, in memory: every byte that would
//! cross the socket is handed over by the test, so each hostile case is exact and repeatable.

mod tls_support;

use std::io::Write;
use std::sync::Arc;

use rustls::crypto::ring::cipher_suite as suite;
use rustls::version::{TLS12, TLS13};
use rustls::{CipherSuite, ProtocolVersion};
use tls_support::{client, client_config, pki, Pair};
use zephyr_uring::tls::{
    build_server_config, FailureKind, TlsCounters, TlsEvent, TlsSettings, TlsTransport,
};

fn settings() -> TlsSettings {
    let pki = pki();
    let mut settings = TlsSettings::new(pki.source("localhost"));
    settings.sni.push(("a.example.com".into(), pki.source("a")));
    settings
        .sni
        .push(("*.wild.example.com".into(), pki.source("wild")));
    settings
        .sni
        .push(("rsa.example.com".into(), pki.source("rsa")));
    settings
}

fn pair(
    versions: &[&'static rustls::SupportedProtocolVersion],
    alpn: &[&[u8]],
    name: &str,
) -> (Pair, Arc<TlsCounters>) {
    let counters = Arc::new(TlsCounters::default());
    let config = build_server_config(&settings()).unwrap();
    (
        Pair::with(
            &counters,
            config,
            client(client_config(versions, &[], alpn), name),
        ),
        counters,
    )
}

fn established(versions: &[&'static rustls::SupportedProtocolVersion]) -> (Pair, Arc<TlsCounters>) {
    let (mut pair, counters) = pair(versions, &[b"http/1.1"], "localhost");
    pair.pump();
    assert!(!pair.server.is_handshaking(), "{:?}", pair.events);
    (pair, counters)
}

fn exchange_both_ways(pair: &mut Pair) {
    let request = b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n";
    pair.client.writer().write_all(request).unwrap();
    pair.pump();
    assert_eq!(pair.server_plain, request);
    pair.server_plain.clear();
    // More than one record's worth, so the output is several records.
    let body = vec![b'z'; 40_000];
    assert_eq!(pair.server.send(&body).unwrap(), body.len());
    pair.pump();
    let read = pair.client_read();
    assert!(
        read == body,
        "the client read {} bytes of {}",
        read.len(),
        body.len()
    );
}

#[test]
fn handshake_and_data_both_ways_on_tls13_and_tls12() {
    for (version, expected_suite) in [
        (&TLS13, CipherSuite::TLS13_AES_256_GCM_SHA384),
        (&TLS12, CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
    ] {
        let (mut pair, counters) = pair(&[version], &[b"http/1.1"], "localhost");
        assert!(
            pair.server.is_handshaking(),
            "handshaking from the first moment"
        );
        pair.pump();
        let info = pair.handshake_info();
        assert_eq!(info.version, version.version);
        assert_eq!(info.cipher_suite, expected_suite);
        assert_eq!(info.alpn.as_deref(), Some(&b"http/1.1"[..]));
        assert_eq!(info.server_name.as_deref(), Some("localhost"));
        assert_eq!(pair.server.handshake_info(), Some(&info));
        exchange_both_ways(&mut pair);
        assert_eq!(counters.snapshot().handshakes, 1);
        assert_eq!(counters.snapshot().failures, [0; FailureKind::ALL.len()]);
    }
}

#[test]
fn send_takes_what_the_buffer_limit_allows_and_more_after_a_drain() {
    let (mut pair, _) = established(&[&TLS13]);
    pair.server.set_buffer_limit(Some(4096));
    let body = vec![b'q'; 20_000];
    let mut sent = 0;
    while sent < body.len() {
        let took = pair.server.send(&body[sent..]).unwrap();
        assert!(took <= 4096 + 64, "{took}");
        sent += took;
        pair.pump();
    }
    assert!(pair.client_read() == body);
    pair.server.set_buffer_limit(None);
    assert_eq!(pair.server.send(&body).unwrap(), body.len());
}

#[test]
fn tls12_with_an_rsa_certificate_uses_ecdhe_rsa() {
    let (mut pair, _) = pair(&[&TLS12], &[], "rsa.example.com");
    pair.pump();
    assert_eq!(
        pair.handshake_info().cipher_suite,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
    );
    exchange_both_ways(&mut pair);
}

#[test]
fn every_offered_suite_negotiates() {
    for (version, offered) in [
        (&TLS13, suite::TLS13_AES_128_GCM_SHA256),
        (&TLS13, suite::TLS13_CHACHA20_POLY1305_SHA256),
        (&TLS12, suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
        (&TLS12, suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
    ] {
        let counters = Arc::new(TlsCounters::default());
        let config = build_server_config(&settings()).unwrap();
        let mut pair = Pair::with(
            &counters,
            config,
            client(client_config(&[version], &[offered], &[]), "localhost"),
        );
        pair.pump();
        assert_eq!(pair.handshake_info().cipher_suite, offered.suite());
        exchange_both_ways(&mut pair);
    }
}

#[test]
fn sni_picks_the_certificate_by_name_with_a_default() {
    let pki = pki();
    for (name, stem) in [
        ("a.example.com", "a"),
        ("x.wild.example.com", "wild"),
        ("localhost", "localhost"),
    ] {
        let (mut pair, _) = pair(&[&TLS13], &[], name);
        pair.pump();
        assert!(
            pair.client_error.is_none(),
            "{name}: {:?}",
            pair.client_error
        );
        assert_eq!(
            pair.client.peer_certificates().unwrap()[0],
            pki.cert_der(stem),
            "{name}"
        );
        assert_eq!(pair.handshake_info().server_name.as_deref(), Some(name));
    }
    // An unknown name gets the default certificate: signed by the CA, valid, for another name.
    let (mut pair, _) = self::pair(&[&TLS13], &[], "unknown.example.com");
    pair.pump();
    assert!(
        matches!(
            pair.client_error,
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForNameContext { .. }
            )) | Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
            ))
        ),
        "{:?}",
        pair.client_error
    );
    // No SNI at all (an IP address as the name sends none): the default certificate.
    let (mut pair, _) = self::pair(&[&TLS13], &[], "127.0.0.1");
    pair.pump();
    assert_eq!(
        pair.client.peer_certificates().unwrap()[0],
        pki.cert_der("localhost")
    );
    assert_eq!(pair.handshake_info().server_name, None);
}

#[test]
fn alpn_follows_the_server_list_and_refuses_no_overlap() {
    let counters = Arc::new(TlsCounters::default());
    let mut with_h2 = settings();
    with_h2.alpn = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let config = build_server_config(&with_h2).unwrap();
    let mut pair = Pair::with(
        &counters,
        Arc::clone(&config),
        client(
            client_config(&[&TLS13], &[], &[b"http/1.1", b"h2"]),
            "localhost",
        ),
    );
    pair.pump();
    assert_eq!(
        pair.handshake_info().alpn.as_deref(),
        Some(&b"h2"[..]),
        "the server's preference wins"
    );

    let (mut pair, _) = self::pair(&[&TLS13], &[b"http/1.1", b"h2"], "localhost");
    pair.pump();
    assert_eq!(
        pair.handshake_info().alpn.as_deref(),
        Some(&b"http/1.1"[..])
    );

    let (mut pair, _) = self::pair(&[&TLS13], &[], "localhost");
    pair.pump();
    assert_eq!(
        pair.handshake_info().alpn,
        None,
        "a client without ALPN is served"
    );

    let (mut pair, counters) = self::pair(&[&TLS13], &[b"h2"], "localhost");
    pair.pump();
    assert_eq!(pair.failure().unwrap().kind, FailureKind::HandshakeFailed);
    assert!(
        matches!(
            pair.client_error,
            Some(rustls::Error::AlertReceived(
                rustls::AlertDescription::NoApplicationProtocol
            ))
        ),
        "{:?}",
        pair.client_error
    );
    assert_eq!(
        counters.snapshot().failures(FailureKind::HandshakeFailed),
        1
    );
    assert!(pair.server.should_close());
}

#[test]
fn our_close_sends_close_notify() {
    for version in [&TLS13, &TLS12] {
        let (mut pair, _) = established(&[version]);
        pair.server.close();
        assert!(pair.server.should_close());
        pair.pump();
        pair.client_read();
        assert!(
            pair.client.process_new_packets().unwrap().peer_has_closed(),
            "{version:?}"
        );
        assert_eq!(
            pair.server.send(b"late").unwrap_err().kind(),
            std::io::ErrorKind::BrokenPipe
        );
    }
}

#[test]
fn the_peers_close_notify_is_an_event_and_eof_without_it_is_another() {
    let (mut pair, counters) = established(&[&TLS13]);
    pair.client.writer().write_all(b"last words").unwrap();
    pair.client.send_close_notify();
    pair.pump();
    assert_eq!(pair.server_plain, b"last words");
    assert_eq!(
        pair.events.last(),
        Some(&TlsEvent::PeerClosed { close_notify: true })
    );

    // Bytes after close_notify in the same read are dropped, not parsed (and do not stall).
    let (mut pair, _) = established(&[&TLS12]);
    pair.client.writer().write_all(b"bye").unwrap();
    pair.client.send_close_notify();
    let mut wire = Vec::new();
    while pair.client.wants_write() {
        pair.client.write_tls(&mut wire).unwrap();
    }
    wire.extend_from_slice(b"trailing junk after the close");
    pair.server.receive(&wire, &mut pair.server_plain);
    pair.drain_events();
    assert_eq!(pair.server_plain, b"bye");
    assert_eq!(
        pair.events.last(),
        Some(&TlsEvent::PeerClosed { close_notify: true })
    );
    pair.server.receive(b"more junk", &mut pair.server_plain);
    assert_eq!(pair.server_plain, b"bye");

    let (mut pair, _) = established(&[&TLS12]);
    pair.server.receive_eof();
    pair.drain_events();
    assert_eq!(
        pair.events.last(),
        Some(&TlsEvent::PeerClosed {
            close_notify: false
        })
    );
    assert_eq!(
        counters.snapshot().failures,
        [0; FailureKind::ALL.len()],
        "a close is not a failure"
    );
}

#[test]
fn plaintext_http_to_the_tls_port_is_counted_and_closed() {
    let counters = Arc::new(TlsCounters::default());
    let config = build_server_config(&settings()).unwrap();
    let mut server = TlsTransport::new(config, Arc::clone(&counters)).unwrap();
    let mut plain = Vec::new();
    server.receive(b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n", &mut plain);
    let event = server.poll_event().unwrap();
    assert!(
        matches!(&event, TlsEvent::Failed(f) if f.kind == FailureKind::PlaintextHttp),
        "{event:?}"
    );
    assert!(plain.is_empty(), "nothing reaches the application");
    assert!(server.should_close());
    assert_eq!(counters.snapshot().failures(FailureKind::PlaintextHttp), 1);
    // Later bytes are ignored, not parsed.
    server.receive(b"more", &mut plain);
    assert_eq!(server.poll_event(), None);
    assert_eq!(counters.snapshot().failures(FailureKind::PlaintextHttp), 1);

    let mut server = TlsTransport::new(
        build_server_config(&settings()).unwrap(),
        Arc::clone(&counters),
    )
    .unwrap();
    server.receive(&[0x80, 0x2e, 0x01, 0x03, 0x01], &mut plain); // an SSLv2-style hello
    assert!(
        matches!(server.poll_event(), Some(TlsEvent::Failed(f)) if f.kind == FailureKind::NotTls)
    );
}

#[test]
fn a_truncated_handshake_is_counted() {
    let (mut pair, counters) = pair(&[&TLS13], &[], "localhost");
    let mut hello = Vec::new();
    pair.client.write_tls(&mut hello).unwrap();
    pair.server
        .receive(&hello[..hello.len() / 2], &mut pair.server_plain);
    assert!(pair.server.is_handshaking());
    pair.server.receive_eof();
    pair.drain_events();
    assert_eq!(
        pair.failure().unwrap().kind,
        FailureKind::TruncatedHandshake
    );
    assert_eq!(
        counters
            .snapshot()
            .failures(FailureKind::TruncatedHandshake),
        1
    );
    assert!(pair.server.should_close());

    // Connect-and-close with no byte (a TCP health check) is not a truncated handshake.
    let counters = Arc::new(TlsCounters::default());
    let mut server = TlsTransport::new(
        build_server_config(&settings()).unwrap(),
        Arc::clone(&counters),
    )
    .unwrap();
    server.receive_eof();
    assert_eq!(server.poll_event(), None);
    assert!(server.should_close());
    assert_eq!(counters.snapshot().failures, [0; FailureKind::ALL.len()]);
}

#[test]
fn a_stalled_handshake_times_out_when_the_loop_says_so() {
    let (mut pair, counters) = pair(&[&TLS13], &[], "localhost");
    let mut hello = Vec::new();
    pair.client.write_tls(&mut hello).unwrap();
    pair.server.receive(&hello[..10], &mut pair.server_plain);
    assert!(pair.server.is_handshaking());
    assert!(pair.server.handshake_timed_out());
    pair.drain_events();
    assert_eq!(pair.failure().unwrap().kind, FailureKind::HandshakeTimeout);
    assert!(pair.server.should_close());
    assert_eq!(
        counters.snapshot().failures(FailureKind::HandshakeTimeout),
        1
    );

    let (mut pair, counters) = established(&[&TLS13]);
    assert!(
        !pair.server.handshake_timed_out(),
        "an established session has no handshake deadline"
    );
    exchange_both_ways(&mut pair);
    assert_eq!(
        counters.snapshot().failures(FailureKind::HandshakeTimeout),
        0
    );
}

#[test]
fn garbage_records_get_an_alert_and_a_count() {
    // A handshake record whose body is not a ClientHello.
    let counters = Arc::new(TlsCounters::default());
    let mut server = TlsTransport::new(
        build_server_config(&settings()).unwrap(),
        Arc::clone(&counters),
    )
    .unwrap();
    let mut plain = Vec::new();
    server.receive(
        &[
            0x16, 0x03, 0x01, 0x00, 0x06, 0x01, 0x00, 0x00, 0x02, 0xff, 0xff,
        ],
        &mut plain,
    );
    let event = server.poll_event();
    assert!(
        matches!(&event, Some(TlsEvent::Failed(f)) if f.kind == FailureKind::GarbageRecord),
        "{event:?}"
    );
    let mut alert = Vec::new();
    server.write_ciphertext(&mut alert);
    assert_eq!(
        alert.first(),
        Some(&0x15),
        "a fatal alert record goes out: {alert:?}"
    );
    assert_eq!(counters.snapshot().failures(FailureKind::GarbageRecord), 1);

    // An application record with a flipped byte does not decrypt.
    for version in [&TLS13, &TLS12] {
        let (mut pair, counters) = established(&[version]);
        pair.client.writer().write_all(b"hello").unwrap();
        let mut wire = Vec::new();
        pair.client.write_tls(&mut wire).unwrap();
        let last = wire.len() - 1;
        wire[last] ^= 0x01;
        pair.server.receive(&wire, &mut pair.server_plain);
        pair.drain_events();
        assert_eq!(
            pair.failure().unwrap().kind,
            FailureKind::GarbageRecord,
            "{version:?}"
        );
        assert!(pair.server_plain.is_empty());
        pair.server_to_client();
        assert!(
            matches!(
                pair.client_error,
                Some(rustls::Error::AlertReceived(
                    rustls::AlertDescription::BadRecordMac
                ))
            ),
            "{:?}",
            pair.client_error
        );
        assert_eq!(counters.snapshot().failures(FailureKind::GarbageRecord), 1);
    }

    // An oversized record length.
    let (mut pair, _) = established(&[&TLS13]);
    pair.server.receive(
        &[0x17, 0x03, 0x03, 0xff, 0xff, 0x00],
        &mut pair.server_plain,
    );
    pair.drain_events();
    assert_eq!(pair.failure().unwrap().kind, FailureKind::GarbageRecord);
}

#[test]
fn a_fatal_alert_from_the_client_is_counted() {
    let (mut pair, counters) = pair(&[&TLS13], &[], "unknown.example.com");
    // The client rejects the default certificate (wrong name) and sends a fatal alert.
    pair.pump();
    assert!(pair.client_error.is_some());
    assert_eq!(pair.failure().unwrap().kind, FailureKind::AlertReceived);
    assert_eq!(counters.snapshot().failures(FailureKind::AlertReceived), 1);
}

/// One direction's AES-256-GCM key with the nonce and additional data of a TLS 1.2 record
/// (RFC 5288): the IV's 4-byte salt then the record's explicit nonce; the sequence number,
/// content type, version 1.2 and plaintext length.
fn tls12_gcm(
    keys: &rustls::ConnectionTrafficSecrets,
    explicit_nonce: &[u8],
    seq: u64,
    content_type: u8,
    plain_len: usize,
) -> (
    ring::aead::LessSafeKey,
    ring::aead::Nonce,
    ring::aead::Aad<[u8; 13]>,
) {
    use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
    let rustls::ConnectionTrafficSecrets::Aes256Gcm { key, iv } = keys else {
        panic!("the test negotiates AES-256-GCM")
    };
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key.as_ref()).unwrap());
    let mut nonce = [0u8; 12];
    nonce[..4].copy_from_slice(&iv.as_ref()[..4]);
    nonce[4..].copy_from_slice(explicit_nonce);
    let mut aad = [0u8; 13];
    aad[..8].copy_from_slice(&seq.to_be_bytes());
    aad[8] = content_type;
    aad[9..11].copy_from_slice(&[3, 3]);
    aad[11..].copy_from_slice(&(plain_len as u16).to_be_bytes());
    (key, Nonce::assume_unique_for_key(nonce), Aad::from(aad))
}

/// Encrypts a record the way a TLS 1.2 AES-256-GCM client does (RFC 5288), so the test can send
/// what rustls as a client never would: a renegotiating ClientHello under the session's keys.
fn seal_tls12_gcm(
    secrets: &rustls::ExtractedSecrets,
    seq: u64,
    content_type: u8,
    payload: &[u8],
) -> Vec<u8> {
    let explicit_nonce = seq.to_be_bytes();
    let (key, nonce, aad) = tls12_gcm(
        &secrets.tx.1,
        &explicit_nonce,
        seq,
        content_type,
        payload.len(),
    );
    let mut body = payload.to_vec();
    key.seal_in_place_append_tag(nonce, aad, &mut body).unwrap();
    let mut record = vec![content_type, 3, 3];
    record.extend_from_slice(&((8 + body.len()) as u16).to_be_bytes());
    record.extend_from_slice(&explicit_nonce);
    record.extend_from_slice(&body);
    record
}

/// Opens one TLS 1.2 AES-256-GCM record the server sealed (its content type and plaintext), with
/// the keys the client extracted for its receiving side.
fn open_tls12_gcm(secrets: &rustls::ExtractedSecrets, record: &[u8]) -> (u8, Vec<u8>) {
    let mut body = record[13..].to_vec();
    let (key, nonce, aad) = tls12_gcm(
        &secrets.rx.1,
        &record[5..13],
        secrets.rx.0,
        record[0],
        body.len() - 16,
    );
    let plain = key.open_in_place(nonce, aad, &mut body).unwrap();
    (record[0], plain.to_vec())
}

#[test]
fn a_tls12_renegotiation_attempt_is_refused_with_no_renegotiation_then_closed() {
    let counters = Arc::new(TlsCounters::default());
    let config = build_server_config(&settings()).unwrap();
    let mut client_cfg = client_config(
        &[&TLS12],
        &[suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384],
        &[],
    );
    client_cfg.enable_secret_extraction = true;
    let mut pair = Pair::with(&counters, config, client(client_cfg, "localhost"));
    pair.pump();
    assert_eq!(pair.handshake_info().version, ProtocolVersion::TLSv1_2);

    // The ClientHello a renegotiating client would send (a fresh one's handshake message), sealed
    // under this session's client keys at the client's next sequence number.
    let mut fresh = client(client_config(&[&TLS12], &[], &[]), "localhost");
    let mut hello = Vec::new();
    fresh.write_tls(&mut hello).unwrap();
    let Pair {
        client,
        mut server,
        mut server_plain,
        ..
    } = pair;
    let secrets = client.dangerous_extract_secrets().unwrap();
    // Application data first, in the same read: it is delivered, then the refusal.
    let data = seal_tls12_gcm(&secrets, secrets.tx.0, 0x17, b"before");
    let renegotiation = seal_tls12_gcm(&secrets, secrets.tx.0 + 1, 0x16, &hello[5..]);
    let mut wire = data;
    wire.extend_from_slice(&renegotiation);
    // The ClientHello's record arrives in two reads: the refusal waits for all of it.
    let cut = wire.len() - renegotiation.len() / 2;
    server.receive(&wire[..cut], &mut server_plain);
    assert_eq!(server_plain, b"before");
    assert!(server.poll_event().is_none());
    assert!(!server.should_close());
    server.receive(&wire[cut..], &mut server_plain);
    let mut events = Vec::new();
    while let Some(event) = server.poll_event() {
        events.push(event);
    }
    assert!(
        matches!(events.last(), Some(TlsEvent::Failed(f)) if f.kind == FailureKind::Renegotiation),
        "{events:?}"
    );
    assert!(server.should_close());
    let mut out = Vec::new();
    server.write_ciphertext(&mut out);
    // rustls's answer: a warning no_renegotiation alert (RFC 5746 §4.2), before the close.
    assert_eq!(open_tls12_gcm(&secrets, &out), (0x15, vec![1, 100]));
    assert_eq!(counters.snapshot().failures(FailureKind::Renegotiation), 1);
}

#[test]
fn a_handshake_record_after_a_tls13_handshake_is_garbage() {
    let (mut pair, counters) = established(&[&TLS13]);
    let mut fresh = client(client_config(&[&TLS13], &[], &[]), "localhost");
    let mut hello = Vec::new();
    fresh.write_tls(&mut hello).unwrap();
    pair.server.receive(&hello, &mut pair.server_plain);
    pair.drain_events();
    assert_eq!(pair.failure().unwrap().kind, FailureKind::GarbageRecord);
    assert_eq!(counters.snapshot().failures(FailureKind::Renegotiation), 0);
}

#[test]
fn key_updates_both_ways_keep_the_session() {
    let (mut pair, _) = established(&[&TLS13]);
    for _ in 0..3 {
        pair.client.refresh_traffic_keys().unwrap();
        exchange_both_ways(&mut pair);
        pair.server.refresh_traffic_keys().unwrap();
        exchange_both_ways(&mut pair);
    }
    assert!(pair.failure().is_none(), "{:?}", pair.events);
    let (mut pair, _) = established(&[&TLS12]);
    assert!(
        pair.server.refresh_traffic_keys().is_err(),
        "TLS 1.2 has no key update"
    );
    exchange_both_ways(&mut pair);
}

#[test]
fn input_in_single_bytes_gives_the_same_result() {
    let (mut pair, _) = pair(&[&TLS12], &[b"http/1.1"], "localhost");
    for _ in 0..8 {
        let mut wire = Vec::new();
        while pair.client.wants_write() {
            pair.client.write_tls(&mut wire).unwrap();
        }
        for byte in &wire {
            pair.server
                .receive(std::slice::from_ref(byte), &mut pair.server_plain);
        }
        pair.drain_events();
        pair.server_to_client();
    }
    assert_eq!(pair.handshake_info().version, ProtocolVersion::TLSv1_2);
    exchange_both_ways(&mut pair);
}

/// A small deterministic PRNG (xorshift64*), so the hostile-input test needs no dependency and
/// fails the same way every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Feeds `wire` in random cuts; the transport must neither panic nor loop, and must end either
/// still going or with exactly one failure event.
fn feed_in_pieces(server: &mut TlsTransport, wire: &[u8], rng: &mut Rng) -> Vec<TlsEvent> {
    let mut plain = Vec::new();
    let mut at = 0;
    while at < wire.len() {
        let take = 1 + rng.below((wire.len() - at).min(700));
        server.receive(&wire[at..at + take], &mut plain);
        at += take;
    }
    let mut out = Vec::new();
    server.write_ciphertext(&mut out);
    let events: Vec<TlsEvent> = std::iter::from_fn(|| server.poll_event()).collect();
    let failures = events
        .iter()
        .filter(|e| matches!(e, TlsEvent::Failed(_)))
        .count();
    assert!(failures <= 1, "{events:?}");
    assert_eq!(failures == 1, server.should_close(), "{events:?}");
    events
}

#[test]
fn mutated_and_random_input_never_panics_and_fails_once_at_most() {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let config = build_server_config(&settings()).unwrap();
    let counters = Arc::new(TlsCounters::default());
    // A real ClientHello of each version, to mutate.
    let hellos: Vec<Vec<u8>> = [&TLS13, &TLS12]
        .iter()
        .map(|version| {
            let mut hello = Vec::new();
            client(client_config(&[version], &[], &[b"http/1.1"]), "localhost")
                .write_tls(&mut hello)
                .unwrap();
            hello
        })
        .collect();
    for round in 0..600 {
        let mut server = TlsTransport::new(Arc::clone(&config), Arc::clone(&counters)).unwrap();
        let wire: Vec<u8> = match round % 3 {
            // A ClientHello with a few bytes flipped.
            0 | 1 => {
                let mut hello = hellos[round % 2].clone();
                for _ in 0..1 + rng.below(4) {
                    let at = rng.below(hello.len());
                    hello[at] ^= 1 << rng.below(8);
                }
                hello
            }
            // Random records: a plausible header, then random bytes.
            _ => {
                let len = rng.below(2000);
                let mut bytes = vec![0x16, 0x03, 0x01 + rng.below(3) as u8];
                bytes.extend_from_slice(&(len as u16).to_be_bytes());
                bytes.extend((0..len).map(|_| rng.next() as u8));
                bytes
            }
        };
        feed_in_pieces(&mut server, &wire, &mut rng);
        server.receive_eof();
        server.handshake_timed_out();
    }
    // Established sessions fed random bytes after the handshake.
    for round in 0..100 {
        let version = if round % 2 == 0 { &TLS13 } else { &TLS12 };
        let (mut pair, _) = established(&[version]);
        let garbage: Vec<u8> = (0..1 + rng.below(3000)).map(|_| rng.next() as u8).collect();
        let events = feed_in_pieces(&mut pair.server, &garbage, &mut rng);
        assert!(!events
            .iter()
            .any(|e| matches!(e, TlsEvent::HandshakeComplete(_))));
    }
    let snapshot = counters.snapshot();
    let failed: u64 = snapshot.failures.iter().sum();
    assert!(failed >= 500, "most mutated hellos fail: {snapshot:?}");
}
