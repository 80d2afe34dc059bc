//! What the TLS stage seals, record by record, in memory: the runs of one send (pipelined
//! answers, a head and its body, chunk framing) share records rather than each being sealed
//! into its own, so a burst of small answers costs one AEAD seal and one 22-byte record
//! overhead, not one per run.

mod tls_support;

use std::io::Write;

use tls_support::{client, client_config, pki, take_send, LIMITS};
use zephyr_uring::conn::{Conn, ConnId, EventSink, Payload, RequestEvent};
use zephyr_uring::protocol::commands::{Fields, ResponseStart, WriteFlags};
use zephyr_uring::session::Session;
use zephyr_uring::tls::{TlsAcceptor, TlsSettings};
use zephyr_uring::tls_stage::TlsStage;

#[derive(Default)]
struct Requests(Vec<u32>);

impl EventSink for Requests {
    fn request(&mut self, _: ConnId, seq: u32, _: &RequestEvent<'_>) -> bool {
        self.0.push(seq);
        true
    }
    fn has_room(&self, _: usize) -> bool {
        true
    }
    fn body(&mut self, _: ConnId, _: u32, _: &[u8], _: bool) {}
    fn body_error(&mut self, _: ConnId, _: u32, _: u16) {}
    fn aborted(&mut self, _: ConnId) {}
    fn drained(&mut self, _: ConnId, _: u32) {}
    fn file_sent(&mut self, _: ConnId, _: u32, _: i32) {}
}

/// The content types of the TLS records in `wire` (0x17: application data).
fn record_types(wire: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    let mut rest = wire;
    while rest.len() >= 5 {
        let len = u16::from_be_bytes([rest[3], rest[4]]) as usize;
        types.push(rest[0]);
        rest = &rest[(5 + len).min(rest.len())..];
    }
    assert!(rest.is_empty(), "whole records only");
    types
}

#[test]
fn a_head_its_large_body_and_pipelined_answers_share_records() {
    let acceptor = TlsAcceptor::new(&TlsSettings::new(pki().source("localhost"))).unwrap();
    let mut stage = TlsStage::new(acceptor.accept().unwrap(), 0, 10_000, false);
    let mut conn = Conn::new(ConnId { index: 0, gen: 1 }, 0, &LIMITS);
    let mut client = client(
        client_config(&[&rustls::version::TLS13], &[], &[b"http/1.1"]),
        "localhost",
    );
    let mut requests = Requests::default();
    // Handshake, then three pipelined requests in one flight.
    let mut sent_requests = false;
    for _ in 0..16 {
        if !client.is_handshaking() && !sent_requests {
            client
                .writer()
                .write_all(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            sent_requests = true;
        }
        let mut wire = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut wire).unwrap();
        }
        let inbound = stage.receive(&wire);
        let plain = inbound.plaintext.to_vec();
        conn.receive(&plain, &mut requests, &LIMITS, b"D", 0);
        let out = take_send(&mut stage, &mut conn);
        client.read_tls(&mut out.as_slice()).unwrap();
        client.process_new_packets().unwrap();
        if requests.0.len() == 3 {
            break;
        }
    }
    assert_eq!(requests.0, [0, 1, 2]);
    // Drain what the handshake left (TLS 1.3 session tickets) before counting.
    loop {
        let out = take_send(&mut stage, &mut conn);
        if out.is_empty() {
            break;
        }
        client.read_tls(&mut out.as_slice()).unwrap();
        client.process_new_packets().unwrap();
    }

    let end = WriteFlags {
        end: true,
        close: false,
        want_drain: false,
    };
    let start = |length| ResponseStart {
        status: 200,
        fields: Fields::EMPTY,
        length,
    };
    // A large body (sent from its owner's memory, apart from its head) and two small answers:
    // the queue holds four runs, which one send plan gathers.
    let large = vec![b'L'; 20_000];
    conn.respond(
        0,
        &start(Some(large.len() as u64)),
        Payload::External(Box::new(large.clone())),
        end,
        b"D",
    );
    conn.respond(1, &start(Some(1)), Payload::Bytes(b"B"), end, b"D");
    conn.respond(2, &start(Some(1)), Payload::Bytes(b"C"), end, b"D");
    let mut wire = Vec::new();
    loop {
        let out = take_send(&mut stage, &mut conn);
        if out.is_empty() {
            break;
        }
        wire.extend_from_slice(&out);
    }
    // About 20 100 bytes of plaintext fill two 16 KiB records; sealing each run on its own
    // would take four (the head, the body's two, the small answers).
    assert_eq!(record_types(&wire), [0x17, 0x17]);
    let mut plain = Vec::new();
    let mut rest = wire.as_slice();
    while !rest.is_empty() {
        client.read_tls(&mut rest).unwrap();
        let state = client.process_new_packets().unwrap();
        let start = plain.len();
        plain.resize(start + state.plaintext_bytes_to_read(), 0);
        std::io::Read::read_exact(&mut client.reader(), &mut plain[start..]).unwrap();
    }
    let text = String::from_utf8(plain).unwrap();
    let answers: Vec<&str> = text.split("HTTP/1.1 200 OK\r\n").skip(1).collect();
    assert_eq!(answers.len(), 3);
    assert!(answers[0].ends_with(&"L".repeat(20_000)));
    assert!(answers[1].ends_with("\r\n\r\nB") && answers[2].ends_with("\r\n\r\nC"));
}
