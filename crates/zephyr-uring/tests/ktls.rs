//! Kernel TLS: the key export against the layout of `linux/tls.h`, the fallback where the kernel
//! has no `tls` ULP (this machine), and the real offload wherever the kernel offers it.

mod tls_support;

use std::io::{Read, Write};
use std::mem::{offset_of, size_of};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;

use rustls::crypto::ring::cipher_suite as suite;
use rustls::version::{TLS12, TLS13};
use rustls::{ConnectionTrafficSecrets, ProtocolVersion};
use tls_support::{client, client_config, pki, Pair};
use zephyr_uring::tls::ktls::{self, *};
use zephyr_uring::tls::{build_server_config, TlsCounters, TlsSettings, TlsTransport};

#[test]
fn structures_match_the_documented_kernel_layout() {
    // linux/tls.h: struct tls_crypto_info { __u16 version; __u16 cipher_type; } then iv, key,
    // salt, rec_seq as unsigned char arrays of the *_SIZE constants.
    assert_eq!(size_of::<TlsCryptoInfo>(), 4);
    assert_eq!(offset_of!(TlsCryptoInfo, cipher_type), 2);

    assert_eq!(size_of::<Tls12CryptoInfoAesGcm128>(), 40);
    assert_eq!(offset_of!(Tls12CryptoInfoAesGcm128, iv), 4);
    assert_eq!(offset_of!(Tls12CryptoInfoAesGcm128, key), 12);
    assert_eq!(offset_of!(Tls12CryptoInfoAesGcm128, salt), 28);
    assert_eq!(offset_of!(Tls12CryptoInfoAesGcm128, rec_seq), 32);

    assert_eq!(size_of::<Tls12CryptoInfoAesGcm256>(), 56);
    assert_eq!(offset_of!(Tls12CryptoInfoAesGcm256, iv), 4);
    assert_eq!(offset_of!(Tls12CryptoInfoAesGcm256, key), 12);
    assert_eq!(offset_of!(Tls12CryptoInfoAesGcm256, salt), 44);
    assert_eq!(offset_of!(Tls12CryptoInfoAesGcm256, rec_seq), 48);

    assert_eq!(size_of::<Tls12CryptoInfoChacha20Poly1305>(), 56);
    assert_eq!(offset_of!(Tls12CryptoInfoChacha20Poly1305, iv), 4);
    assert_eq!(offset_of!(Tls12CryptoInfoChacha20Poly1305, key), 16);
    assert_eq!(offset_of!(Tls12CryptoInfoChacha20Poly1305, rec_seq), 48);

    assert_eq!((SOL_TLS, TCP_ULP, TLS_TX, TLS_RX), (282, 31, 1, 2));
    assert_eq!((TLS_1_2_VERSION, TLS_1_3_VERSION), (0x0303, 0x0304));
    assert_eq!(
        (
            TLS_CIPHER_AES_GCM_128,
            TLS_CIPHER_AES_GCM_256,
            TLS_CIPHER_CHACHA20_POLY1305
        ),
        (51, 52, 54)
    );
    assert_eq!(SOL_TLS, libc::SOL_TLS);
    assert_eq!(TCP_ULP, libc::TCP_ULP);
}

/// The same numbers from the kernel's own header, compiled by the system C compiler: the
/// `linux-libc-dev` header Debian installs with the toolchain.
#[test]
fn structures_match_the_installed_linux_tls_header() {
    let header = std::path::Path::new("/usr/include/linux/tls.h");
    assert!(
        header.exists(),
        "linux/tls.h is missing: apt-get install linux-libc-dev"
    );
    let dir = pki().path("tls-h-check");
    std::fs::create_dir_all(&dir).unwrap();
    let source = r#"
#include <stdio.h>
#include <stddef.h>
#include <linux/tls.h>
#define S(t) printf("%zu ", sizeof(struct t));
#define O(t, f) printf("%zu ", offsetof(struct t, f));
int main(void) {
  S(tls12_crypto_info_aes_gcm_128) O(tls12_crypto_info_aes_gcm_128, iv) O(tls12_crypto_info_aes_gcm_128, key)
  O(tls12_crypto_info_aes_gcm_128, salt) O(tls12_crypto_info_aes_gcm_128, rec_seq)
  S(tls12_crypto_info_aes_gcm_256) O(tls12_crypto_info_aes_gcm_256, iv) O(tls12_crypto_info_aes_gcm_256, key)
  O(tls12_crypto_info_aes_gcm_256, salt) O(tls12_crypto_info_aes_gcm_256, rec_seq)
  S(tls12_crypto_info_chacha20_poly1305) O(tls12_crypto_info_chacha20_poly1305, iv)
  O(tls12_crypto_info_chacha20_poly1305, key) O(tls12_crypto_info_chacha20_poly1305, rec_seq)
  printf("%d %d %d %d %d %d %d", TLS_TX, TLS_RX, TLS_1_2_VERSION, TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128,
         TLS_CIPHER_AES_GCM_256, TLS_CIPHER_CHACHA20_POLY1305);
  return 0;
}
"#;
    std::fs::write(dir.join("layout.c"), source).unwrap();
    let cc = std::process::Command::new("cc")
        .args(["-o", "layout", "layout.c"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        cc.status.success(),
        "{}",
        String::from_utf8_lossy(&cc.stderr)
    );
    let out = std::process::Command::new(dir.join("layout"))
        .output()
        .unwrap();
    let ours = [
        size_of::<Tls12CryptoInfoAesGcm128>(),
        offset_of!(Tls12CryptoInfoAesGcm128, iv),
        offset_of!(Tls12CryptoInfoAesGcm128, key),
        offset_of!(Tls12CryptoInfoAesGcm128, salt),
        offset_of!(Tls12CryptoInfoAesGcm128, rec_seq),
        size_of::<Tls12CryptoInfoAesGcm256>(),
        offset_of!(Tls12CryptoInfoAesGcm256, iv),
        offset_of!(Tls12CryptoInfoAesGcm256, key),
        offset_of!(Tls12CryptoInfoAesGcm256, salt),
        offset_of!(Tls12CryptoInfoAesGcm256, rec_seq),
        size_of::<Tls12CryptoInfoChacha20Poly1305>(),
        offset_of!(Tls12CryptoInfoChacha20Poly1305, iv),
        offset_of!(Tls12CryptoInfoChacha20Poly1305, key),
        offset_of!(Tls12CryptoInfoChacha20Poly1305, rec_seq),
        TLS_TX as usize,
        TLS_RX as usize,
        TLS_1_2_VERSION as usize,
        TLS_1_3_VERSION as usize,
        TLS_CIPHER_AES_GCM_128 as usize,
        TLS_CIPHER_AES_GCM_256 as usize,
        TLS_CIPHER_CHACHA20_POLY1305 as usize,
    ]
    .map(|n| n.to_string())
    .join(" ");
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), ours);
}

fn kernel_tls_settings() -> TlsSettings {
    let mut settings = TlsSettings::new(pki().source("localhost"));
    settings.kernel_tls = true;
    settings
}

fn key_and_iv(secrets: &ConnectionTrafficSecrets) -> (Vec<u8>, Vec<u8>) {
    match secrets {
        ConnectionTrafficSecrets::Aes128Gcm { key, iv }
        | ConnectionTrafficSecrets::Aes256Gcm { key, iv }
        | ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv } => {
            (key.as_ref().to_vec(), iv.as_ref().to_vec())
        }
        _ => panic!("unexpected suite"),
    }
}

#[test]
fn exported_keys_fill_the_kernel_structures_and_match_the_peer() {
    for (version, offered, cipher_type, key_len) in [
        (
            &TLS13,
            suite::TLS13_AES_128_GCM_SHA256,
            TLS_CIPHER_AES_GCM_128,
            16,
        ),
        (
            &TLS13,
            suite::TLS13_AES_256_GCM_SHA384,
            TLS_CIPHER_AES_GCM_256,
            32,
        ),
        (
            &TLS13,
            suite::TLS13_CHACHA20_POLY1305_SHA256,
            TLS_CIPHER_CHACHA20_POLY1305,
            32,
        ),
        (
            &TLS12,
            suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            TLS_CIPHER_AES_GCM_128,
            16,
        ),
        (
            &TLS12,
            suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            TLS_CIPHER_AES_GCM_256,
            32,
        ),
        (
            &TLS12,
            suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            TLS_CIPHER_CHACHA20_POLY1305,
            32,
        ),
    ] {
        let counters = Arc::new(TlsCounters::default());
        let mut config = client_config(&[version], &[offered], &[b"http/1.1"]);
        config.enable_secret_extraction = true;
        let mut pair = Pair::with(
            &counters,
            build_server_config(&kernel_tls_settings()).unwrap(),
            client(config, "localhost"),
        );
        pair.pump();
        // Some application data first, so the sequence numbers are not all zero.
        pair.client.writer().write_all(b"one").unwrap();
        pair.client.writer().write_all(b"two").unwrap();
        pair.pump();
        pair.server.send(b"three").unwrap();
        pair.pump();
        assert!(!pair.server.wants_write());
        let Pair { client, server, .. } = pair;
        let keys = KernelKeys::from_transport(server).unwrap();
        let peer = client.dangerous_extract_secrets().unwrap();
        let expected_version = if version.version == ProtocolVersion::TLSv1_3 {
            TLS_1_3_VERSION
        } else {
            TLS_1_2_VERSION
        };

        // What the server sends, the client receives, and the other way round.
        for (ours, (seq, theirs)) in [(&keys.tx, &peer.rx), (&keys.rx, &peer.tx)] {
            let bytes = ours.as_bytes();
            assert_eq!(u16::from_ne_bytes([bytes[0], bytes[1]]), expected_version);
            assert_eq!(u16::from_ne_bytes([bytes[2], bytes[3]]), cipher_type);
            let (key, iv) = key_and_iv(theirs);
            assert_eq!(key.len(), key_len);
            let rec_seq = &bytes[bytes.len() - 8..];
            assert_eq!(rec_seq, seq.to_be_bytes(), "{offered:?}");
            if cipher_type == TLS_CIPHER_CHACHA20_POLY1305 {
                assert_eq!(&bytes[4..16], iv.as_slice());
                assert_eq!(&bytes[16..48], key.as_slice());
            } else {
                // The 12-byte nonce base = salt (4) ‖ iv (8).
                let (iv_at, key_at, salt_at) = (4, 12, 12 + key_len);
                assert_eq!(&bytes[salt_at..salt_at + 4], &iv[..4]);
                assert_eq!(&bytes[iv_at..iv_at + 8], &iv[4..]);
                assert_eq!(&bytes[key_at..key_at + key_len], key.as_slice());
            }
        }
        assert!(
            peer.tx.0 > 0 && peer.rx.0 > 0,
            "{offered:?}: sequence numbers moved"
        );
    }
}

#[test]
fn export_is_refused_without_kernel_tls_or_before_the_handshake() {
    let counters = Arc::new(TlsCounters::default());
    let without = build_server_config(&TlsSettings::new(pki().source("localhost"))).unwrap();
    let mut pair = Pair::with(
        &counters,
        without,
        client(client_config(&[&TLS13], &[], &[]), "localhost"),
    );
    pair.pump();
    assert!(matches!(
        KernelKeys::from_transport(pair.server),
        Err(KtlsError::Extract(_))
    ));

    let early = TlsTransport::new(
        build_server_config(&kernel_tls_settings()).unwrap(),
        counters,
    )
    .unwrap();
    assert!(matches!(
        KernelKeys::from_transport(early),
        Err(KtlsError::Extract(_))
    ));
}

/// Drives a real TCP handshake with the server transport over blocking sockets.
fn serve_handshake(socket: &mut TcpStream, server: &mut TlsTransport) {
    let mut buf = vec![0u8; 16384];
    let mut plain = Vec::new();
    while server.is_handshaking() {
        let n = socket.read(&mut buf).unwrap();
        assert!(n > 0, "the client went away during the handshake");
        server.receive(&buf[..n], &mut plain);
        let mut out = Vec::new();
        server.write_ciphertext(&mut out);
        socket.write_all(&out).unwrap();
        assert!(!server.should_close(), "{:?}", server.poll_event());
    }
}

/// Where the kernel offers the `tls` ULP: keys installed on a real socket, plaintext written
/// with write(2) arrives decrypted at a rustls client, and the kernel's counters rise.
fn real_offload() {
    let before = ktls::tls_stat().expect("the probe loaded the tls module, so its counters exist");
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let client_thread = std::thread::spawn(move || {
        let stream = TcpStream::connect(addr).unwrap();
        let conn = client(
            client_config(&[&TLS13], &[suite::TLS13_AES_128_GCM_SHA256], &[]),
            "localhost",
        );
        let mut tls = rustls::StreamOwned::new(conn, stream);
        let mut got = [0u8; 12];
        tls.read_exact(&mut got).unwrap();
        tls.write_all(b"ping").unwrap();
        tls.flush().unwrap();
        got
    });
    let (mut socket, _) = listener.accept().unwrap();
    let mut server = TlsTransport::new(
        build_server_config(&kernel_tls_settings()).unwrap(),
        Arc::new(TlsCounters::default()),
    )
    .unwrap();
    serve_handshake(&mut socket, &mut server);
    let keys = KernelKeys::from_transport(server).unwrap();
    ktls::install(socket.as_raw_fd(), &keys, true).unwrap();
    socket.write_all(b"from kernel!").unwrap();
    assert_eq!(&client_thread.join().unwrap(), b"from kernel!");
    let mut ping = [0u8; 4];
    socket.read_exact(&mut ping).unwrap();
    assert_eq!(&ping, b"ping");
    let after = ktls::tls_stat().unwrap();
    let count = |stats: &[(String, u64)], name: &str| {
        stats.iter().find(|(n, _)| n == name).map_or(0, |(_, v)| *v)
    };
    assert!(
        count(&after, "TlsTxSw") > count(&before, "TlsTxSw"),
        "{after:?}"
    );
    assert!(
        count(&after, "TlsRxSw") > count(&before, "TlsRxSw"),
        "{after:?}"
    );
    let _ = writeln!(
        std::io::stderr(),
        "kTLS real path ran: TlsTxSw and TlsRxSw rose ({after:?})"
    );
}

#[test]
fn kernel_tls_is_used_where_offered_and_reported_where_not() {
    match ktls::probe() {
        KtlsSupport::Available => real_offload(),
        KtlsSupport::Unavailable { reason } => {
            // Straight to stderr: libtest captures eprintln! of passing tests, and this line must show.
            let _ = writeln!(std::io::stderr(), "kTLS real path did not run: {reason}");
            assert!(
                !std::path::Path::new(TLS_STAT_PATH).exists(),
                "the module is loaded, yet: {reason}"
            );
            assert!(ktls::tls_stat().is_none());
            // The fallback is real: the same call on a real connected socket fails the same way,
            // and the reason names the errno.
            let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
            let mut socket = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (mut peer, _) = listener.accept().unwrap();
            let err = ktls::attach_ulp(socket.as_raw_fd()).unwrap_err();
            assert_eq!(ktls::explain(&err), reason);
            if err.raw_os_error() == Some(libc::ENOENT) {
                assert!(reason.contains("no tls module"), "{reason}");
            }
            // The connection is untouched and still carries bytes (rustls encrypts them instead).
            socket.write_all(b"still plain TCP").unwrap();
            let mut got = [0u8; 15];
            peer.read_exact(&mut got).unwrap();
            assert_eq!(&got, b"still plain TCP");
        }
    }
}
