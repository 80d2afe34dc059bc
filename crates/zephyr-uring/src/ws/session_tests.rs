use super::*;
use crate::ws::deflate::Deflate;
use crate::ws::negotiate_permessage_deflate;

const MASK: [u8; 4] = [0x37, 0xFA, 0x21, 0x3D];

/// A client frame: masked, with the minimal length encoding.
fn frame(fin: bool, rsv1: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | (u8::from(rsv1) << 6) | opcode];
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= 0xFFFF => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&MASK);
    let start = out.len();
    out.extend_from_slice(payload);
    unmask(&mut out[start..], MASK, 0);
    out
}

/// Feeds all of `data`, as an engine does: again after each message until every byte is used.
fn feed(s: &mut WsSession, mut data: &[u8]) {
    while !data.is_empty() {
        let used = s.handle(data);
        assert!(used > 0 || s.state() == WsState::Closed, "no progress");
        data = &data[used..];
    }
}

fn session() -> WsSession {
    WsSession::new(WsConfig::default(), None)
}

fn events(s: &mut WsSession) -> Vec<WsEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn error_code(s: &mut WsSession) -> Option<u16> {
    events(s).into_iter().find_map(|e| match e {
        WsEvent::ProtocolError { code, .. } => Some(code),
        _ => None,
    })
}

/// The close frame the server queued, as (code, whether the session is closed).
fn sent_close(s: &WsSession) -> Option<u16> {
    let out = s.pending_output();
    let at = out.windows(2).position(|w| w[0] == 0x88)?;
    Some(u16::from_be_bytes([out[at + 2], out[at + 3]]))
}

#[test]
fn single_frame_text_and_binary() {
    let mut s = session();
    feed(&mut s, &frame(true, false, 1, b"Hello"));
    feed(&mut s, &frame(true, false, 2, &[0, 1, 2]));
    assert_eq!(
        events(&mut s),
        [
            WsEvent::Text("Hello".into()),
            WsEvent::Binary(vec![0, 1, 2])
        ]
    );
    assert!(s.pending_output().is_empty());
}

#[test]
fn every_split_of_the_input_gives_the_same_events() {
    let mut wire = frame(false, false, 1, "Hé".as_bytes());
    wire.extend(frame(true, false, 9, b"p"));
    wire.extend(frame(true, false, 0, "llo €".as_bytes()));
    wire.extend(frame(true, false, 2, &vec![7u8; 70_000]));
    let mut whole = session();
    feed(&mut whole, &wire);
    let expected = events(&mut whole);
    assert_eq!(expected.len(), 3);
    for step in [1, 2, 3, 5, 13, 64, 1000] {
        let mut s = session();
        for chunk in wire.chunks(step) {
            feed(&mut s, chunk);
        }
        assert_eq!(events(&mut s), expected, "chunks of {step}");
        assert_eq!(s.pending_output(), whole.pending_output());
    }
}

#[test]
fn a_ping_between_fragments_is_answered_with_its_payload() {
    let mut s = session();
    feed(&mut s, &frame(false, false, 1, b"frag"));
    feed(&mut s, &frame(true, false, 9, b"ping!"));
    feed(&mut s, &frame(true, false, 0, b"ment"));
    assert_eq!(
        events(&mut s),
        [
            WsEvent::Ping(b"ping!".to_vec()),
            WsEvent::Text("fragment".into())
        ]
    );
    assert_eq!(s.pending_output(), b"\x8A\x05ping!");
    s.consume_output(7);
    assert!(s.pending_output().is_empty());
}

#[test]
fn fragmentation_rules_are_enforced() {
    for wire in [
        frame(true, false, 0, b"x"), // continuation first
        [frame(false, false, 1, b"a"), frame(true, false, 1, b"b")].concat(), // new message mid-way
        [frame(false, false, 2, b"a"), frame(true, false, 2, b"b")].concat(),
    ] {
        let mut s = session();
        feed(&mut s, &wire);
        assert_eq!(error_code(&mut s), Some(1002));
        assert_eq!(sent_close(&s), Some(1002));
        assert_eq!(s.state(), WsState::Closed);
    }
}

#[test]
fn rsv1_without_deflate_is_a_protocol_error() {
    let mut s = session();
    feed(&mut s, &frame(true, true, 1, b"x"));
    assert_eq!(error_code(&mut s), Some(1002));
}

#[test]
fn invalid_utf8_fails_fast_before_the_frame_ends() {
    let mut s = session();
    let mut payload = b"valid".to_vec();
    payload.extend([
        0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80,
    ]);
    payload.extend([b'x'; 100]);
    let wire = frame(true, false, 1, &payload);
    // Up to and including the surrogate's second byte, but not the frame's end.
    feed(&mut s, &wire[..8 + 5 + 13]);
    assert_eq!(error_code(&mut s), Some(1007));
    assert_eq!(sent_close(&s), Some(1007));
    // Across fragments: the first fragment ends mid-sequence validly, the second breaks it.
    let mut s = session();
    feed(&mut s, &frame(false, false, 1, &[0xF0, 0x90]));
    assert!(events(&mut s).is_empty());
    feed(&mut s, &frame(true, false, 0, &[0x41]));
    assert_eq!(error_code(&mut s), Some(1007));
    // A message that ends inside a sequence.
    let mut s = session();
    feed(&mut s, &frame(true, false, 1, &[0xE2, 0x82]));
    assert_eq!(error_code(&mut s), Some(1007));
}

#[test]
fn close_handshake_echoes_the_code() {
    let mut s = session();
    let mut payload = 1001u16.to_be_bytes().to_vec();
    payload.extend(b"bye");
    feed(&mut s, &frame(true, false, 8, &payload));
    assert_eq!(
        events(&mut s),
        [WsEvent::Close {
            code: 1001,
            reason: "bye".into()
        }]
    );
    assert_eq!(s.pending_output(), b"\x88\x02\x03\xE9");
    assert_eq!(s.state(), WsState::Closed);
    feed(&mut s, &frame(true, false, 1, b"late"));
    assert!(events(&mut s).is_empty(), "nothing is read after close");

    let mut s = session();
    feed(&mut s, &frame(true, false, 8, b""));
    assert_eq!(
        events(&mut s),
        [WsEvent::Close {
            code: 1005,
            reason: String::new()
        }]
    );
    assert_eq!(s.pending_output(), b"\x88\x00");
}

#[test]
fn bad_close_frames_fail_with_the_right_code() {
    let cases: [(Vec<u8>, u16); 5] = [
        (vec![0x03], 1002),
        (1005u16.to_be_bytes().to_vec(), 1002),
        (999u16.to_be_bytes().to_vec(), 1002),
        (5000u16.to_be_bytes().to_vec(), 1002),
        ([&1000u16.to_be_bytes()[..], &[0xFF, 0xFE]].concat(), 1007),
    ];
    for (payload, code) in cases {
        let mut s = session();
        feed(&mut s, &frame(true, false, 8, &payload));
        assert_eq!(error_code(&mut s), Some(code), "{payload:?}");
        assert_eq!(sent_close(&s), Some(code));
    }
}

#[test]
fn server_initiated_close_waits_for_the_reply() {
    let mut s = session();
    s.close(1001, "going away");
    assert_eq!(s.state(), WsState::Closing);
    assert_eq!(&s.pending_output()[..4], b"\x88\x0C\x03\xE9");
    assert!(!s.send_text("too late"));
    feed(&mut s, &frame(true, false, 8, &1001u16.to_be_bytes()));
    assert_eq!(s.state(), WsState::Closed);
    assert_eq!(s.pending_output().len(), 14, "no second close frame");
}

#[test]
fn a_long_close_reason_is_cut_at_a_character_boundary() {
    let mut s = session();
    s.close(1000, &"é".repeat(100));
    let out = s.pending_output();
    assert_eq!(out[1] as usize, out.len() - 2);
    assert!(out.len() - 2 <= 125);
    assert!(std::str::from_utf8(&out[4..]).is_ok());
}

#[test]
fn oversized_messages_fail_with_1009_before_the_payload_arrives() {
    let mut s = WsSession::new(
        WsConfig {
            max_message_bytes: 1000,
        },
        None,
    );
    feed(&mut s, &frame(true, false, 2, &[0; 1001])[..8]);
    assert_eq!(error_code(&mut s), Some(1009));
    // Summed over fragments.
    let mut s = WsSession::new(
        WsConfig {
            max_message_bytes: 1000,
        },
        None,
    );
    feed(&mut s, &frame(false, false, 2, &[0; 600]));
    feed(&mut s, &frame(true, false, 0, &[0; 401]));
    assert_eq!(error_code(&mut s), Some(1009));
    // Exactly at the limit is fine.
    let mut s = WsSession::new(
        WsConfig {
            max_message_bytes: 1000,
        },
        None,
    );
    feed(&mut s, &frame(true, false, 2, &[0; 1000]));
    assert_eq!(events(&mut s), [WsEvent::Binary(vec![0; 1000])]);
}

#[test]
fn server_frames_are_unmasked_and_framed_once_for_many() {
    let mut s = session();
    assert!(s.send_binary(&[1; 300]));
    assert_eq!(&s.pending_output()[..4], &[0x82, 126, 1, 44]);
    assert!(s.send_ping(b"p"));
    assert!(!s.send_ping(&[0; 126]));
    let shared = WsSession::frame_message(Opcode::Text, b"news");
    let mut a = session();
    let mut b = session();
    assert!(a.send_framed(&shared) && b.send_framed(&shared));
    assert_eq!(a.pending_output(), b"\x81\x04news");
}

fn deflate_session(offer: &str, max: usize) -> (WsSession, Deflate) {
    let params = negotiate_permessage_deflate(offer).unwrap();
    (
        WsSession::new(
            WsConfig {
                max_message_bytes: max,
            },
            Some(params),
        ),
        Deflate::new(params),
    )
}

#[test]
fn compressed_messages_round_trip_both_ways() {
    let (mut s, mut client) =
        deflate_session("permessage-deflate; server_no_context_takeover", 1 << 20);
    for text in ["Hello, compressed world", "Hello, compressed world", ""] {
        let wire = client.deflate(text.as_bytes());
        // Split across two fragments; RSV1 only on the first.
        let (a, b) = wire.split_at(wire.len() / 2);
        feed(&mut s, &frame(false, true, 1, a));
        feed(&mut s, &frame(true, false, 0, b));
        assert_eq!(events(&mut s), [WsEvent::Text(text.into())]);
    }
    assert!(s.send_text("reply reply reply"));
    let out = s.pending_output().to_vec();
    assert_eq!(out[0], 0xC1, "FIN + RSV1 + text");
    let mut inflated = Vec::new();
    client
        .inflate(&out[2..], true, &mut inflated, 1 << 20)
        .unwrap();
    assert_eq!(inflated, b"reply reply reply");
}

#[test]
fn rsv1_on_a_continuation_or_control_frame_is_a_protocol_error() {
    let (mut s, _) = deflate_session("permessage-deflate", 1 << 20);
    feed(&mut s, &frame(false, false, 2, b"a"));
    feed(&mut s, &frame(true, true, 0, b"b"));
    assert_eq!(error_code(&mut s), Some(1002));
    let (mut s, _) = deflate_session("permessage-deflate", 1 << 20);
    feed(&mut s, &frame(true, true, 9, b""));
    assert_eq!(error_code(&mut s), Some(1002));
}

#[test]
fn a_zip_bomb_is_closed_with_1009_without_buffering_it() {
    let (mut s, mut client) = deflate_session("permessage-deflate", 1 << 20);
    let bomb = client.deflate(&vec![b'a'; 16 << 20]);
    assert!(
        bomb.len() < 1 << 20,
        "the bomb fits under the limit compressed"
    );
    feed(&mut s, &frame(true, true, 1, &bomb));
    assert_eq!(error_code(&mut s), Some(1009));
    assert_eq!(sent_close(&s), Some(1009));
}

#[test]
fn corrupt_compressed_data_fails_the_connection() {
    let (mut s, _) = deflate_session("permessage-deflate", 1 << 20);
    feed(&mut s, &frame(true, true, 2, &[0xFF; 32]));
    assert_eq!(error_code(&mut s), Some(1007));
}

/// xorshift64*: deterministic, so a failure reproduces from the printed seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_and_mutated_input_never_panics_and_always_ends_cleanly() {
    let mut seeds = Vec::new();
    let mut valid = Vec::new();
    let mut client = Deflate::new(negotiate_permessage_deflate("permessage-deflate").unwrap());
    valid.extend(frame(false, false, 1, "héllo".as_bytes()));
    valid.extend(frame(true, false, 9, b"ping"));
    valid.extend(frame(true, false, 0, b" world"));
    valid.extend(frame(true, true, 2, &client.deflate(&[5; 3000])));
    valid.extend(frame(true, false, 10, b""));
    valid.extend(frame(true, false, 8, &[0x03, 0xE8, b'o', b'k']));
    seeds.push(valid);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..3000 {
        let mut input = if round % 3 == 0 {
            (0..rng.below(200))
                .map(|_| rng.next() as u8)
                .collect::<Vec<_>>()
        } else {
            let mut m = seeds[0].clone();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(m.len());
                match rng.below(3) {
                    0 => m[at] ^= 1 << rng.below(8),
                    1 => m[at] = rng.next() as u8,
                    _ => m.truncate(at.max(1)),
                }
            }
            m
        };
        if round % 5 == 0 {
            input.extend(frame(true, false, 1, b"tail"));
        }
        let deflate =
            (round % 2 == 0).then(|| negotiate_permessage_deflate("permessage-deflate").unwrap());
        let mut s = WsSession::new(
            WsConfig {
                max_message_bytes: 64 * 1024,
            },
            deflate,
        );
        let mut rest = &input[..];
        while !rest.is_empty() {
            let n = 1 + rng.below(rest.len());
            feed(&mut s, &rest[..n]);
            rest = &rest[n..];
            s.consume_output(rng.below(64));
        }
        for e in events(&mut s) {
            if let WsEvent::ProtocolError { code, .. } = e {
                assert!(matches!(code, 1002 | 1007 | 1009), "round {round}: {code}");
                assert_eq!(s.state(), WsState::Closed);
            }
        }
    }
}

#[test]
fn reading_stops_after_each_message_so_replies_precede_a_later_error() {
    let mut s = session();
    let mut wire = frame(true, false, 1, b"first");
    let first_len = wire.len();
    wire.extend(frame(true, false, 5, b"")); // reserved opcode
    assert_eq!(s.handle(&wire), first_len);
    assert_eq!(events(&mut s), [WsEvent::Text("first".into())]);
    assert!(s.send_text("first"), "the echo goes out before the failure");
    assert_eq!(s.handle(&wire[first_len..]), wire.len() - first_len);
    assert_eq!(error_code(&mut s), Some(1002));
    let out = s.pending_output();
    assert_eq!(&out[..7], b"\x81\x05first");
    assert_eq!(out[7], 0x88);
}

#[test]
fn a_message_compressed_once_for_many_inflates_on_its_own() {
    let text = "the same news for every subscriber ".repeat(40);
    let frame = WsSession::frame_compressed(Opcode::Text, text.as_bytes(), 10);
    assert_eq!(frame[0], 0x80 | 0x40 | 0x01, "FIN, RSV1 (compressed), text");
    let (len, header) = match frame[1] {
        126 => (u16::from_be_bytes([frame[2], frame[3]]) as usize, 4),
        n => (n as usize, 2),
    };
    assert!(len < text.len() / 4, "it is compressed");
    // Any receiver's inflater decodes it, whatever it inflated before (no history is used).
    let params = DeflateParams {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        server_max_window_bits: 15,
    };
    let mut inflater = Deflate::new(params);
    let mut out = Vec::new();
    let mut warm = Deflate::new(params);
    let earlier = warm.deflate(b"something said before");
    inflater.inflate(&earlier, true, &mut out, 1 << 20).unwrap();
    out.clear();
    inflater
        .inflate(&frame[header..header + len], true, &mut out, 1 << 20)
        .unwrap();
    assert_eq!(out, text.as_bytes());
}

/// Feeds `data` split at every `cut`, asking for stores through `place`.
fn feed_placed(s: &mut WsSession, data: &[u8], cut: usize, place: &mut PlaceMessage<'_>) {
    for piece in data.chunks(cut) {
        let mut piece = piece;
        while !piece.is_empty() {
            let used = s.handle_into(piece, place);
            assert!(used > 0 || s.state() == WsState::Closed, "no progress");
            piece = &piece[used..];
        }
    }
}

#[test]
fn a_whole_message_is_received_straight_into_the_store_the_caller_places_it_in() {
    let payload: Vec<u8> = (0..5003u32).map(|i| (i * 7) as u8).collect();
    let wire = [
        frame(true, false, 0x2, &payload),
        frame(true, false, 0x1, b"hello"),
    ]
    .concat();
    for cut in [1, 7, 100, 4096, wire.len()] {
        let mut s = session();
        let mut asked = Vec::new();
        feed_placed(&mut s, &wire, cut, &mut |len| {
            asked.push(len);
            Some(Box::new(vec![0xEEu8; len]) as Box<dyn MessageStore>)
        });
        assert_eq!(
            asked,
            [5003, 5],
            "one store per message, of its length (cut {cut})"
        );
        let got = events(&mut s);
        assert_eq!(got.len(), 2);
        match &got[0] {
            WsEvent::Placed { text: false, data } => assert_eq!(data.bytes(), &payload[..]),
            other => panic!("expected a placed binary message, got {other:?}"),
        }
        match &got[1] {
            WsEvent::Placed { text: true, data } => assert_eq!(data.bytes(), b"hello"),
            other => panic!("expected a placed text message, got {other:?}"),
        }
    }
}

#[test]
fn fragmented_compressed_and_unplaced_messages_are_assembled_by_the_session() {
    let mut s = session();
    let mut asked = 0;
    let mut place = |len: usize| {
        asked += 1;
        Some(Box::new(vec![0u8; len]) as Box<dyn MessageStore>)
    };
    let wire = [
        frame(false, false, 0x2, b"ab"),
        frame(true, false, 0x0, b"cd"),
    ]
    .concat();
    feed_placed(&mut s, &wire, wire.len(), &mut place);
    assert_eq!(events(&mut s), [WsEvent::Binary(b"abcd".to_vec())]);
    // An empty message needs no store.
    feed_placed(&mut s, &frame(true, false, 0x2, b""), 100, &mut place);
    assert_eq!(events(&mut s), [WsEvent::Binary(Vec::new())]);
    assert_eq!(asked, 0, "no store for a message of unknown or no length");

    // The caller declining (or giving a store of the wrong length) is the same as not asking.
    let mut s = session();
    feed_placed(&mut s, &frame(true, false, 0x2, b"xyz"), 2, &mut |_| None);
    feed_placed(&mut s, &frame(true, false, 0x2, b"uvw"), 2, &mut |_| {
        Some(Box::new(vec![0u8; 1]) as Box<dyn MessageStore>)
    });
    assert_eq!(
        events(&mut s),
        [
            WsEvent::Binary(b"xyz".to_vec()),
            WsEvent::Binary(b"uvw".to_vec())
        ]
    );

    let (mut s, mut client) = deflate_session("permessage-deflate", 1 << 20);
    let compressed = client.deflate(b"squeeze me");
    let mut asked = 0;
    feed_placed(
        &mut s,
        &frame(true, true, 0x1, &compressed),
        3,
        &mut |len| {
            asked += 1;
            Some(Box::new(vec![0u8; len]) as Box<dyn MessageStore>)
        },
    );
    assert_eq!(asked, 0, "a compressed message is inflated by the session");
    assert_eq!(events(&mut s), [WsEvent::Text("squeeze me".into())]);
}

#[test]
fn a_placed_text_message_is_still_utf8_checked_as_it_arrives() {
    let mut text = "ok ".repeat(100).into_bytes();
    text[10] = 0xFF;
    let wire = frame(true, false, 0x1, &text);
    let mut s = session();
    // Only the first 20 payload bytes arrive: the invalid byte fails the connection already.
    let mut place = |len: usize| Some(Box::new(vec![0u8; len]) as Box<dyn MessageStore>);
    s.handle_into(&wire[..4 + 4 + 20], &mut place);
    assert_eq!(error_code(&mut s), Some(1007));
    assert_eq!(sent_close(&s), Some(1007));

    // A message ending inside a sequence fails at its end.
    let mut s = session();
    let wire = frame(true, false, 0x1, "abcκ".as_bytes().split_last().unwrap().1);
    feed_placed(&mut s, &wire, 1, &mut place);
    assert_eq!(error_code(&mut s), Some(1007));
}
