//! Kernel TLS after the handshake, without the kernel: the `sendmsg`/`recvmsg` control messages
//! byte for byte, what each non-data record means, and TLS 1.3 key updates checked against a
//! real rustls client, with this test playing the kernel's record layer (it seals and opens
//! records with the keys our code would hand to `setsockopt(TLS_TX/TLS_RX)`).

mod tls_support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;

use ring::aead;
use rustls::crypto::ring::cipher_suite as suite;
use rustls::version::{TLS12, TLS13};
use tls_support::{client, client_config, pki, Pair};
use zephyr_uring::tls::ktls::{
    KernelCryptoInfo, KernelKeys, TLS_CIPHER_AES_GCM_128, TLS_CIPHER_AES_GCM_256,
    TLS_CIPHER_CHACHA20_POLY1305,
};
use zephyr_uring::tls::ktls_records::*;
use zephyr_uring::tls::ktls_rekey::{KeyUpdater, TrafficSecretLog};
use zephyr_uring::tls::ktls_session::{ControlStep, KernelSession};
use zephyr_uring::tls::{build_server_config, TlsCounters, TlsSettings, TlsTransport};

#[test]
#[cfg(all(target_pointer_width = "64", target_endian = "little"))]
fn the_close_notify_control_message_is_the_documented_bytes() {
    // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then the data byte:
    // cmsg_len = CMSG_LEN(1) = 17, level SOL_TLS = 282 (0x11a), type TLS_SET_RECORD_TYPE = 1,
    // record type 21 (alert), padded to CMSG_SPACE(1) = 24.
    let expected: [u8; 24] = [
        17, 0, 0, 0, 0, 0, 0, 0, 0x1a, 0x01, 0, 0, 1, 0, 0, 0, 21, 0, 0, 0, 0, 0, 0, 0,
    ];
    assert_eq!(record_type_cmsg(CONTENT_ALERT).0, expected);
    assert_eq!(CLOSE_NOTIFY, [1, 0]);
    assert_eq!((TLS_SET_RECORD_TYPE, TLS_GET_RECORD_TYPE), (1, 2));
    // A KeyUpdate record: the same header, type 22.
    let mut handshake = expected;
    handshake[16] = 22;
    assert_eq!(record_type_cmsg(CONTENT_HANDSHAKE).0, handshake);
    assert_eq!(KEY_UPDATE_NOT_REQUESTED, [24, 0, 0, 1, 0]);
    assert_eq!(std::mem::align_of::<RecordTypeCmsg>(), 8);
}

#[test]
fn the_record_type_is_read_from_received_control_bytes() {
    let mut get = record_type_cmsg(CONTENT_HANDSHAKE).0;
    get[12] = TLS_GET_RECORD_TYPE as u8;
    assert_eq!(parse_record_type(&get), Some(CONTENT_HANDSHAKE));
    assert_eq!(parse_record_type(&get[..RECORD_TYPE_CMSG_LEN]), Some(22));
    // A SET message, nothing, or a truncated or lying header is not a record type.
    assert_eq!(
        parse_record_type(&record_type_cmsg(CONTENT_HANDSHAKE).0),
        None
    );
    assert_eq!(parse_record_type(&[]), None);
    assert_eq!(parse_record_type(&get[..10]), None);
    let mut long = get;
    long[0] = 200;
    assert_eq!(parse_record_type(&long), None);
    let mut short = get;
    short[0] = 3;
    assert_eq!(parse_record_type(&short), None);
    // Found after another (SOL_SOCKET) message.
    let mut two = record_type_cmsg(0).0.to_vec();
    two[8..12].copy_from_slice(&libc::SOL_SOCKET.to_ne_bytes());
    two.extend_from_slice(&get);
    assert_eq!(parse_record_type(&two), Some(22));
}

#[test]
fn each_control_record_gets_its_meaning() {
    use ControlRecord::*;
    let cases: &[(u8, &[u8], ControlRecord)] = &[
        (21, &[1, 0], CloseNotify),
        // close_notify sent as "fatal" is still a close_notify.
        (21, &[2, 0], CloseNotify),
        (
            21,
            &[2, 40],
            Alert {
                level: 2,
                description: 40,
            },
        ),
        (
            21,
            &[1, 90],
            Alert {
                level: 1,
                description: 90,
            },
        ),
        (
            21,
            &[1, 0, 0],
            Violation("an alert record that is not two bytes"),
        ),
        (21, &[1], Violation("an alert record that is not two bytes")),
        (
            22,
            &[24, 0, 0, 1, 1],
            KeyUpdate {
                update_requested: true,
            },
        ),
        (
            22,
            &[24, 0, 0, 1, 0],
            KeyUpdate {
                update_requested: false,
            },
        ),
        (22, &[24, 0, 0, 1, 2], Violation("a malformed KeyUpdate")),
        (22, &[24, 0, 0, 2, 0, 0], Violation("a malformed KeyUpdate")),
        (
            22,
            &[24, 0, 0, 5, 1],
            Violation("a handshake message split across records"),
        ),
        (
            22,
            &[24, 0, 0, 1, 0, 4, 0, 0, 0],
            Violation("a KeyUpdate that does not end its record"),
        ),
        (22, &[4, 0, 0, 2, 7, 7], Ignore),
        // Two tickets, then a KeyUpdate ending the record.
        (
            22,
            &[4, 0, 0, 0, 4, 0, 0, 1, 9, 24, 0, 0, 1, 0],
            KeyUpdate {
                update_requested: false,
            },
        ),
        (
            22,
            &[20, 0, 0, 0],
            Violation("an unexpected handshake message"),
        ),
        (22, &[], Violation("an empty handshake record")),
        (
            22,
            &[24, 0, 0],
            Violation("a truncated handshake message header"),
        ),
        (
            23,
            b"data",
            Violation("application data reported as a control record"),
        ),
        (20, &[1], Violation("a record of an unknown content type")),
    ];
    for (record_type, payload, expected) in cases {
        assert_eq!(
            classify(*record_type, payload),
            *expected,
            "{record_type} {payload:?}"
        );
    }
}

/// A TCP socket without the `tls` ULP ignores `SOL_TLS` control messages but still checks
/// their framing (`CMSG_OK`: a bad `cmsg_len` is `EINVAL`), so a real `sendmsg` proves the
/// msghdr is well formed; the peer reads the payload as plain bytes.
#[test]
fn the_control_messages_pass_a_real_sendmsg_and_recvmsg() {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    send_record(ours.as_raw_fd(), CONTENT_ALERT, &CLOSE_NOTIFY).unwrap();
    send_record(
        ours.as_raw_fd(),
        CONTENT_HANDSHAKE,
        &KEY_UPDATE_NOT_REQUESTED,
    )
    .unwrap();
    let mut got = [0u8; 7];
    peer.read_exact(&mut got).unwrap();
    assert_eq!(got, [1, 0, 24, 0, 0, 1, 0]);

    // recvmsg with room for the record type: plain TCP reports none (application data).
    peer.write_all(b"plain").unwrap();
    let mut buf = [0u8; 64];
    let mut read = (None, 0);
    for _ in 0..100 {
        match recv_record(ours.as_raw_fd(), &mut buf) {
            Ok(r) => {
                read = r;
                break;
            }
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(err) => panic!("{err}"),
        }
    }
    assert_eq!(read, (None, 5));
    assert_eq!(&buf[..5], b"plain");
    // Nothing queued: the read does not block.
    let err = recv_record(ours.as_raw_fd(), &mut buf).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
}

/// The kernel's record layer for one direction, as `setsockopt` would configure it from the
/// structure our code builds: TLS 1.3 records (RFC 8446 §5.2) sealed and opened with `ring`.
struct KernelSide {
    key: aead::LessSafeKey,
    iv: [u8; 12],
    seq: u64,
}

impl KernelSide {
    fn new(info: &KernelCryptoInfo) -> Self {
        let b = info.as_bytes();
        let cipher = u16::from_ne_bytes([b[2], b[3]]);
        let (alg, key, iv): (_, &[u8], Vec<u8>) = match cipher {
            TLS_CIPHER_AES_GCM_128 => (
                &aead::AES_128_GCM,
                &b[12..28],
                [&b[28..32], &b[4..12]].concat(),
            ),
            TLS_CIPHER_AES_GCM_256 => (
                &aead::AES_256_GCM,
                &b[12..44],
                [&b[44..48], &b[4..12]].concat(),
            ),
            TLS_CIPHER_CHACHA20_POLY1305 => {
                (&aead::CHACHA20_POLY1305, &b[16..48], b[4..16].to_vec())
            }
            other => panic!("cipher {other}"),
        };
        Self {
            key: aead::LessSafeKey::new(aead::UnboundKey::new(alg, key).unwrap()),
            iv: iv.try_into().unwrap(),
            seq: u64::from_be_bytes(b[b.len() - 8..].try_into().unwrap()),
        }
    }

    fn nonce(&mut self) -> aead::Nonce {
        let mut nonce = self.iv;
        for (n, s) in nonce[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *n ^= s;
        }
        self.seq += 1;
        aead::Nonce::assume_unique_for_key(nonce)
    }

    /// Opens the next record of `wire`: (content type, plaintext).
    fn open(&mut self, wire: &mut Vec<u8>) -> (u8, Vec<u8>) {
        let len = usize::from(u16::from_be_bytes([wire[3], wire[4]]));
        let record: Vec<u8> = wire.drain(..5 + len).collect();
        let mut body = record[5..].to_vec();
        let nonce = self.nonce();
        let plain = self
            .key
            .open_in_place(nonce, aead::Aad::from(&record[..5]), &mut body)
            .expect("the record opens with these keys");
        let end = plain.iter().rposition(|&b| b != 0).unwrap();
        (plain[end], plain[..end].to_vec())
    }

    fn seal(&mut self, content_type: u8, payload: &[u8]) -> Vec<u8> {
        let mut body = payload.to_vec();
        body.push(content_type);
        let len = (body.len() + self.key.algorithm().tag_len()) as u16;
        let header = [23, 3, 3, (len >> 8) as u8, len as u8];
        let nonce = self.nonce();
        self.key
            .seal_in_place_append_tag(nonce, aead::Aad::from(header), &mut body)
            .unwrap();
        [header.as_slice(), &body].concat()
    }
}

fn kernel_tls_config() -> Arc<rustls::ServerConfig> {
    let mut settings = TlsSettings::new(pki().source("localhost"));
    settings.kernel_tls = true;
    build_server_config(&settings).unwrap()
}

/// A handshake through a transport whose config logs its secrets, then the keys exported as
/// the engine's handover does, and the updater made from them.
fn handed_over(
    offered: rustls::SupportedCipherSuite,
) -> (rustls::ClientConnection, KernelKeys, Option<KeyUpdater>) {
    let (config, log) = TrafficSecretLog::attach(&kernel_tls_config());
    let server = TlsTransport::new(config, Arc::new(TlsCounters::default())).unwrap();
    let version = if offered.tls13().is_some() {
        &TLS13
    } else {
        &TLS12
    };
    let mut pair = Pair::new(
        client(client_config(&[version], &[offered], &[]), "localhost"),
        server,
    );
    pair.pump();
    // Data both ways first, so no sequence number is still zero.
    pair.client.writer().write_all(b"request").unwrap();
    pair.pump();
    pair.server.send(b"response").unwrap();
    pair.pump();
    let cipher_suite = pair.server.handshake_info().unwrap().cipher_suite;
    let Pair { client, server, .. } = pair;
    let keys = KernelKeys::from_transport(server).unwrap();
    let updater = KeyUpdater::new(cipher_suite, &log, &keys);
    (client, keys, updater)
}

#[test]
fn a_client_key_update_gives_the_keys_the_client_then_uses_both_ways() {
    for offered in [
        suite::TLS13_AES_128_GCM_SHA256,
        suite::TLS13_AES_256_GCM_SHA384,
        suite::TLS13_CHACHA20_POLY1305_SHA256,
    ] {
        let (mut client, keys, updater) = handed_over(offered);
        let mut session = KernelSession::new(Some(updater.expect("a TLS 1.3 session")));
        let mut rx = KernelSide::new(&keys.rx);
        let mut tx = KernelSide::new(&keys.tx);
        // The server's session ticket was read before the handover; the client's next record
        // is its KeyUpdate (asking for ours), then data under its new key.
        client.refresh_traffic_keys().unwrap();
        client.writer().write_all(b"after the update").unwrap();
        let mut wire = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut wire).unwrap();
        }
        let (record_type, payload) = rx.open(&mut wire);
        assert_eq!(
            (record_type, payload.as_slice()),
            (22, [24, 0, 0, 1, 1].as_slice())
        );
        let ControlStep::Rekey {
            rx: new_rx,
            tx: Some(new_tx),
        } = session.on_record(record_type, &payload)
        else {
            panic!("{offered:?}: a requested update rekeys both ways");
        };
        // The old key cannot open the client's next record; the new one does, from seq 0.
        let mut rx = KernelSide::new(&new_rx);
        assert_eq!(rx.seq, 0);
        assert_eq!(rx.open(&mut wire), (23, b"after the update".to_vec()));
        assert!(wire.is_empty());

        // Our answer, sealed by the "kernel" with the old key, then data with the new one.
        let mut answer = tx.seal(CONTENT_HANDSHAKE, &KEY_UPDATE_NOT_REQUESTED);
        let mut tx = KernelSide::new(&new_tx);
        assert_eq!(tx.seq, 0);
        answer.extend(tx.seal(23, b"pong"));
        let mut input = answer.as_slice();
        while !input.is_empty() {
            client.read_tls(&mut input).unwrap();
        }
        client
            .process_new_packets()
            .expect("the client accepts both");
        let mut got = Vec::new();
        let _ = client.reader().read_to_end(&mut got);
        assert_eq!(got, b"pong", "{offered:?}");

        // A second update, not requested this time: only the receive key moves.
        assert!(matches!(
            session.on_record(CONTENT_HANDSHAKE, &[24, 0, 0, 1, 0]),
            ControlStep::Rekey { tx: None, .. }
        ));
    }
}

#[test]
fn alerts_tickets_and_updates_without_secrets_end_or_continue_the_session() {
    let mut session = KernelSession::new(None);
    assert!(matches!(
        session.on_record(21, &CLOSE_NOTIFY),
        ControlStep::PeerClosed
    ));
    assert!(matches!(
        session.on_record(21, &[2, 20]),
        ControlStep::Close(_)
    ));
    assert!(matches!(
        session.on_record(22, &[4, 0, 0, 1, 0]),
        ControlStep::Continue
    ));
    let ControlStep::Close(reason) = session.on_record(22, &[24, 0, 0, 1, 0]) else {
        panic!("a KeyUpdate without secrets must close");
    };
    assert!(reason.contains("without its traffic secrets"), "{reason}");
}

#[test]
fn no_updater_for_tls12_or_for_secrets_of_another_session() {
    let (_, _, updater) = handed_over(suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    assert!(updater.is_none(), "TLS 1.2 has no key update");

    // Secrets logged by one session checked against another session's keys: refused.
    let (config, log) = TrafficSecretLog::attach(&kernel_tls_config());
    let mut first = Pair::new(
        client(
            client_config(&[&TLS13], &[suite::TLS13_AES_128_GCM_SHA256], &[]),
            "localhost",
        ),
        TlsTransport::new(config, Arc::new(TlsCounters::default())).unwrap(),
    );
    first.pump();
    let (_, other_keys, _) = handed_over(suite::TLS13_AES_128_GCM_SHA256);
    assert!(KeyUpdater::new(
        rustls::CipherSuite::TLS13_AES_128_GCM_SHA256,
        &log,
        &other_keys
    )
    .is_none());
}
