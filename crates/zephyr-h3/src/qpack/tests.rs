use super::*;

fn f(n: &str, v: &str) -> FieldLine {
    (n.as_bytes().to_vec(), v.as_bytes().to_vec())
}

#[test]
fn decodes_the_rfc_9204_literal_with_static_name_reference() {
    // RFC 9204 Appendix B.1: ":path /index.html" as a literal with a static name reference.
    let wire = b"\x00\x00\x51\x0b/index.html";
    assert_eq!(decode(wire, 16384), Ok(vec![f(":path", "/index.html")]));
}

#[test]
fn decodes_indexed_literal_name_and_huffman_fields() {
    let mut wire = vec![0, 0, 0xc0 | 17, 0xc0 | 23]; // :method GET, :scheme https
    wire.push(0x50); // :authority, literal value
    let mut huff = Vec::new();
    huffman::encode(b"example.com", &mut huff);
    write_int(&mut wire, 0x80, 7, huff.len());
    wire.extend_from_slice(&huff);
    wire.push(0x23); // literal name, 3 bytes, not Huffman
    wire.extend_from_slice(b"x-a");
    wire.push(0x01);
    wire.extend_from_slice(b"b");
    assert_eq!(
        decode(&wire, 16384),
        Ok(vec![
            f(":method", "GET"),
            f(":scheme", "https"),
            f(":authority", "example.com"),
            f("x-a", "b")
        ])
    );
}

#[test]
fn encode_then_decode_round_trips_and_uses_the_static_table() {
    let fields: Vec<(&[u8], &[u8])> = vec![
        (b":status", b"200"),
        (b"content-type", b"text/plain"),
        (b"content-length", b"13"),
        (b"x-custom-header", b"some value with spaces"),
        (b"set-cookie", b"a=b"),
    ];
    let mut wire = Vec::new();
    encode(fields.iter().copied(), &mut wire);
    assert_eq!(&wire[..4], &[0, 0, 0xc0 | 25, 0xc0 | 53]);
    let back = decode(&wire, 16384).unwrap();
    let want: Vec<FieldLine> = fields
        .iter()
        .map(|(n, v)| (n.to_vec(), v.to_vec()))
        .collect();
    assert_eq!(back, want);
}

#[test]
fn refuses_every_dynamic_table_reference() {
    for wire in [
        &b"\x01\x00"[..],         // Required Insert Count 1
        &b"\x00\x00\x80"[..],     // indexed, dynamic
        &b"\x00\x00\x10"[..],     // indexed post-base
        &b"\x00\x00\x40\x00"[..], // literal with dynamic name reference
        &b"\x00\x00\x00\x00"[..], // literal with post-base name reference
    ] {
        assert!(
            matches!(decode(wire, 16384), Err(QpackError::Decompression(_))),
            "{wire:?}"
        );
    }
}

#[test]
fn refuses_malformed_sections() {
    for wire in [
        &b""[..],
        &b"\x00"[..],
        &b"\x00\x00\xff\x7f"[..], // static index 63 + 127 = 190, out of range
        &b"\x00\x00\x51\x0b/index"[..], // value past the end
        &b"\x00\x00\x51\x81\xff"[..], // Huffman string with bad EOS padding
        &b"\x00\x00\x27\xff\xff\xff\xff\xff\xff\xff\xff\x7f"[..], // length overflow
    ] {
        assert!(
            matches!(decode(wire, 16384), Err(QpackError::Decompression(_))),
            "{wire:?}"
        );
    }
}

#[test]
fn bounds_the_decoded_list() {
    // 100 copies of an indexed 'user-agent: ' (size 10 + 32 each) from 2 bytes each.
    let mut wire = vec![0, 0];
    for _ in 0..100 {
        wire.push(0xc0 | 63);
        wire.push(95 - 63);
    }
    assert_eq!(decode(&wire, 4200), Ok(vec![f("user-agent", ""); 100]));
    assert_eq!(decode(&wire, 4199), Err(QpackError::TooLarge));
    // One long literal value is refused from its declared length, before any copy.
    let mut wire = vec![0, 0, 0x5f, 95 - 15];
    write_int(&mut wire, 0, 7, 1 << 20);
    wire.resize(wire.len() + (1 << 20), b'a');
    assert_eq!(decode(&wire, 16384), Err(QpackError::TooLarge));
}

#[test]
fn static_table_spot_checks() {
    assert_eq!(STATIC.len(), 99);
    assert_eq!(STATIC[0], (&b":authority"[..], &b""[..]));
    assert_eq!(STATIC[17], (&b":method"[..], &b"GET"[..]));
    assert_eq!(STATIC[25], (&b":status"[..], &b"200"[..]));
    assert_eq!(STATIC[63], (&b":status"[..], &b"100"[..]));
    assert_eq!(STATIC[98], (&b"x-frame-options"[..], &b"sameorigin"[..]));
}

#[test]
fn random_sections_never_panic_and_stay_bounded() {
    let mut x: u64 = 0x1234_5678_9abc_def1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..20_000 {
        let len = (next() % 64) as usize;
        let mut wire: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if next() % 2 == 0 && wire.len() >= 2 {
            // A valid prefix so decoding reaches the field lines.
            wire[0] = 0;
            wire[1] = 0;
        }
        if let Ok(fields) = decode(&wire, 512) {
            let size: usize = fields.iter().map(|(n, v)| n.len() + v.len() + 32).sum();
            assert!(size <= 512);
        }
    }
}

#[test]
fn instruction_streams_allow_only_what_a_zero_capacity_table_permits() {
    // Encoder stream: Set Dynamic Table Capacity 0, split anywhere.
    assert_eq!(check_instructions(true, &[0x20, 0x20]), Ok(2));
    assert_eq!(check_instructions(true, &[0x3f]), Ok(0)); // cut inside the integer
    assert_eq!(
        check_instructions(true, &[0x3f, 0x00]),
        Err(H3Error::QPACK_ENCODER_STREAM_ERROR)
    ); // 31
    assert_eq!(
        check_instructions(true, &[0x21]),
        Err(H3Error::QPACK_ENCODER_STREAM_ERROR)
    );
    for insert in [0xc0u8, 0x40, 0x00] {
        assert_eq!(
            check_instructions(true, &[insert]),
            Err(H3Error::QPACK_ENCODER_STREAM_ERROR)
        );
    }
    // Decoder stream: Stream Cancellation is fine; the others refer to a table we never had.
    assert_eq!(check_instructions(false, &[0x44, 0x7f]), Ok(1));
    assert_eq!(check_instructions(false, &[0x7f, 0x81, 0x01]), Ok(3));
    assert_eq!(
        check_instructions(false, &[0x84]),
        Err(H3Error::QPACK_DECODER_STREAM_ERROR)
    );
    assert_eq!(
        check_instructions(false, &[0x01]),
        Err(H3Error::QPACK_DECODER_STREAM_ERROR)
    );
    assert_eq!(
        check_instructions(false, &[0x00]),
        Err(H3Error::QPACK_DECODER_STREAM_ERROR)
    );
    let overflow = [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
    assert_eq!(
        check_instructions(false, &overflow),
        Err(H3Error::QPACK_DECODER_STREAM_ERROR)
    );
}
