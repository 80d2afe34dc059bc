use super::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn decode_all(d: &mut Decoder, block: &[u8]) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    d.decode(block, usize::MAX, &mut fields).unwrap();
    fields
        .into_iter()
        .map(|(n, v)| (String::from_utf8(n).unwrap(), String::from_utf8(v).unwrap()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn rfc_7541_c3_and_c4_request_sequences_decode() {
    for blocks in [
        [
            "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
            "8286 84be 5808 6e6f 2d63 6163 6865",
            "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
        ],
        [
            "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
            "8286 84be 5886 a8eb 1064 9cbf",
            "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
        ],
    ] {
        let mut d = Decoder::new(4096);
        let base = [
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            (":authority", "www.example.com"),
        ];
        assert_eq!(decode_all(&mut d, &hex(blocks[0])), pairs(&base));
        let mut second = base.to_vec();
        second.push(("cache-control", "no-cache"));
        assert_eq!(decode_all(&mut d, &hex(blocks[1])), pairs(&second));
        let third = [
            (":method", "GET"),
            (":scheme", "https"),
            (":path", "/index.html"),
            (":authority", "www.example.com"),
            ("custom-key", "custom-value"),
        ];
        assert_eq!(decode_all(&mut d, &hex(blocks[2])), pairs(&third));
        assert_eq!(d.table_len(), 3);
    }
}

#[test]
fn encoder_output_decodes_back_across_blocks() {
    let mut e = Encoder::new();
    let mut d = Decoder::new(4096);
    let long = "x".repeat(1000);
    let fields = [
        (":status", "200"),
        (":status", "418"),
        ("content-type", "text/plain"),
        ("x-custom", "hello"),
        ("set-cookie", "secret=1"),
        ("x-long", long.as_str()),
    ];
    for round in 0..3 {
        let mut block = Vec::new();
        e.begin_block(&mut block);
        for (n, v) in fields {
            e.encode(n.as_bytes(), v.as_bytes(), &mut block);
        }
        assert_eq!(decode_all(&mut d, &block), pairs(&fields), "round {round}");
        if round == 1 {
            // The peer shrinks the table: the next block starts with the size update.
            e.set_peer_max_table_size(64);
        }
    }
}

#[test]
fn table_size_update_past_the_limit_or_late_is_an_error() {
    let mut d = Decoder::new(4096);
    let mut block = Vec::new();
    write_int(&mut block, 0x20, 5, 4097);
    assert_eq!(
        d.decode(&block, usize::MAX, &mut Vec::new()).unwrap_err(),
        DecodeError::TableSizeUpdate
    );
    // After a field.
    let mut d = Decoder::new(4096);
    assert_eq!(
        d.decode(&[0x82, 0x20], usize::MAX, &mut Vec::new())
            .unwrap_err(),
        DecodeError::TableSizeUpdate
    );
    // Three in a row.
    let mut d = Decoder::new(4096);
    assert_eq!(
        d.decode(&[0x20, 0x20, 0x20, 0x82], usize::MAX, &mut Vec::new())
            .unwrap_err(),
        DecodeError::TableSizeUpdate
    );
    let mut d = Decoder::new(4096);
    assert!(d
        .decode(&[0x20, 0x3f, 0xe1, 0x1f, 0x82], usize::MAX, &mut Vec::new())
        .is_ok());
}

#[test]
fn invalid_indexes_and_truncation_are_errors() {
    let mut d = Decoder::new(4096);
    let mut f = Vec::new();
    assert_eq!(
        d.decode(&[0x80], 1 << 20, &mut f).unwrap_err(),
        DecodeError::InvalidIndex
    );
    assert_eq!(
        d.decode(&[0xbe], 1 << 20, &mut f).unwrap_err(),
        DecodeError::InvalidIndex
    );
    assert_eq!(
        d.decode(&[0x40, 0x05, b'a'], 1 << 20, &mut f).unwrap_err(),
        DecodeError::Truncated
    );
    assert_eq!(
        d.decode(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], 1 << 20, &mut f)
            .unwrap_err(),
        DecodeError::IntegerOverflow
    );
}

#[test]
fn hpack_bomb_a_list_past_the_limit_is_cut_but_the_table_stays_in_step() {
    // One 4000-byte entry inserted, then referenced 1000 times: 4 MB of header list from 4 KB
    // of block. Fields stop at the limit; the table keeps the entry for the next block.
    let mut e = Encoder::new();
    let mut block = Vec::new();
    let big = "v".repeat(200);
    e.encode(b"x-bomb", big.as_bytes(), &mut block);
    for _ in 0..1000 {
        e.encode(b"x-bomb", big.as_bytes(), &mut block);
    }
    assert!(block.len() < 1300, "block is {} bytes", block.len());
    let mut d = Decoder::new(4096);
    let mut fields = Vec::new();
    let out = d.decode(&block, 16 * 1024, &mut fields).unwrap();
    assert!(out.over_limit);
    assert!(out.list_size > 200_000);
    assert!(fields.len() * (200 + 6 + 32) <= 16 * 1024);
    let mut next = Vec::new();
    e.encode(b"x-bomb", big.as_bytes(), &mut next);
    assert_eq!(
        decode_all(&mut d, &next),
        pairs(&[("x-bomb", big.as_str())])
    );
}
