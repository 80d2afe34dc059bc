//! The kernel-TLS handover of a ring connection, in memory (no socket, no kernel module needed):
//! a session bound for the kernel reads its handshake record by record, reads nothing past it,
//! and gives up its keys only once every ciphertext byte rustls made has been taken to send.
//! What the kernel then does with the keys is `tests/ktls.rs`'s and `tests/tls_ring.rs`'s part.

mod tls_support;

use std::io::Write;

use rustls::version::{TLS12, TLS13};
use tls_support::{client, client_config, pki, take_send, LIMITS};
use zephyr_uring::conn::{Conn, ConnId};
use zephyr_uring::tls::ktls::KernelKeys;
use zephyr_uring::tls::{TlsAcceptor, TlsSettings};
use zephyr_uring::tls_stage::{RecvLimit, TlsStage};

#[test]
fn a_session_bound_for_the_kernel_reads_no_byte_past_its_handshake() {
    for version in [&TLS13, &TLS12] {
        let mut settings = TlsSettings::new(pki().source("localhost"));
        settings.kernel_tls = true;
        let acceptor = TlsAcceptor::new(&settings).unwrap();
        let mut stage = TlsStage::new(acceptor.accept().unwrap(), 0, 10_000, true);
        let mut conn = Conn::new(ConnId { index: 0, gen: 1 }, 0, &LIMITS);
        let mut client = client(client_config(&[version], &[], &[b"http/1.1"]), "localhost");
        // Bytes in flight from the client to the server (the socket's receive queue).
        let mut queue: Vec<u8> = Vec::new();
        let mut reads = 0;
        let mut request_sent = false;
        loop {
            while client.wants_write() {
                client.write_tls(&mut queue).unwrap();
            }
            if !client.is_handshaking() && !request_sent {
                // A client sends its request at once, often in the same segment as Finished.
                client
                    .writer()
                    .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                    .unwrap();
                client.write_tls(&mut queue).unwrap();
                request_sent = true;
            }
            match stage.recv_limit() {
                RecvLimit::UpTo(n) if !queue.is_empty() => {
                    let take = (n as usize).min(queue.len());
                    let bytes: Vec<u8> = queue.drain(..take).collect();
                    let inbound = stage.receive(&bytes);
                    assert!(
                        inbound.plaintext.is_empty(),
                        "no application data before the handover"
                    );
                    reads += 1;
                }
                RecvLimit::Hold => break,
                RecvLimit::Any => panic!("a session bound for the kernel is never read freely"),
                RecvLimit::UpTo(_) => {}
            }
            let out = take_send(&mut stage, &mut conn);
            if !out.is_empty() {
                client.read_tls(&mut out.as_slice()).unwrap();
                client.process_new_packets().unwrap();
            }
        }
        assert!(
            reads >= 2,
            "{version:?}: read record by record ({reads} reads)"
        );
        assert!(
            request_sent && !queue.is_empty(),
            "the request stays in the socket for the kernel"
        );
        // The ring sends what is left, then hands over: nothing in flight, keys exportable.
        while !stage.handover_ready() {
            let out = take_send(&mut stage, &mut conn);
            assert!(!out.is_empty(), "handover waits only for sends");
            client.read_tls(&mut out.as_slice()).unwrap();
        }
        client.process_new_packets().unwrap();
        let (rest, tls, _) = stage.into_handover();
        client.read_tls(&mut rest.as_slice()).unwrap();
        client.process_new_packets().unwrap();
        let keys = KernelKeys::from_transport(tls).expect("the keys leave rustls");
        // The kernel's receive side starts at the client's first application record: sequence 0
        // under TLS 1.3's application keys; 1 under TLS 1.2's, whose record 0 was Finished.
        let rx_seq = &keys.rx.as_bytes()[keys.rx.as_bytes().len() - 8..];
        let expected = if version == &TLS13 { 0u64 } else { 1 };
        assert_eq!(rx_seq, expected.to_be_bytes(), "{version:?}");
        assert!(!client.is_handshaking());
    }
}
