//! Cutting the input anywhere changes nothing: a head parsed from any prefix is `Partial` or the
//! very result of the whole buffer, and a chunked body fed in any number of pieces decodes to the
//! same bytes, the same end, or the same error.

use super::*;

/// Heads covering every rule, accepted and rejected.
const HEADS: &[&[u8]] = &[
    b"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /search?q=rust HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\nAccept-Encoding: gzip, br\r\nConnection: keep-alive\r\n\r\n",
    b"\r\n\r\nPOST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n0123456789",
    b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"GET http://a.b:8/x?y HTTP/1.1\r\nHost: a.b:8\r\n\r\n",
    b"CONNECT a.b:443 HTTP/1.1\r\nHost: a.b:443\r\n\r\n",
    b"OPTIONS * HTTP/1.0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nX : y\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n",
    b"GET / HTTP/1.1\nHost: h\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\n\n",
    b"GET / HTTP/2.0\r\nHost: h\r\n\r\n",
    b"GET / HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nExpect: nope\r\n\r\n",
    b"GET * HTTP/1.1\r\nHost: h\r\n\r\n",
    b"G(T / HTTP/1.1\r\n\r\n",
    b"GET /a b HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\rX\r\n\r\n",
];

fn assert_prefixes_agree(buf: &[u8], limits: &HeadLimits) {
    let whole = parse_with(buf, limits);
    for cut in 0..=buf.len() {
        let part = parse_with(&buf[..cut], limits);
        match (&whole, &part) {
            (_, Ok((Status::Partial, _))) => {
                if let Ok((Status::Complete, head)) = &whole {
                    assert!(cut < head.head_len, "partial at {cut} after the head ended");
                }
            }
            (Ok((Status::Complete, w)), Ok((Status::Complete, p))) => {
                assert_eq!(w, p, "cut at {cut}");
                assert!(cut >= w.head_len);
            }
            (Err(w), Err(p)) => assert_eq!(w, p, "cut at {cut}"),
            _ => panic!(
                "cut at {cut} of {:?}: prefix gave {part:?}, whole gave {whole:?}",
                String::from_utf8_lossy(buf)
            ),
        }
    }
}

#[test]
fn every_prefix_of_a_head_is_partial_or_the_result_of_the_whole() {
    for buf in HEADS {
        assert_prefixes_agree(buf, &HeadLimits::default());
    }
}

#[test]
fn every_prefix_agrees_under_tight_limits_too() {
    let tight = HeadLimits {
        max_head_bytes: 40,
        max_headers: 2,
        max_url_len: 5,
    };
    for buf in HEADS {
        assert_prefixes_agree(buf, &tight);
    }
}

/// Chunked bodies covering every rule, accepted and rejected, some followed by another request.
const BODIES: &[&[u8]] = &[
    b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    b"5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n",
    b"A;name=value;flag;q=\"a\\\"b\"\r\n0123456789\r\n0;last\r\nX-Trailer: yes\r\nY: 2\r\n\r\n",
    b"000000000000000000003\r\nabc\r\n0\r\n\r\n",
    b"1f\r\n0123456789012345678901234567890\r\n0\r\n\r\n",
    b"5\r\nhelloX\r\n0\r\n\r\n",
    b"5\r\nhello\n0\r\n\r\n",
    b"5 \r\nhello\r\n0\r\n\r\n",
    b"5;\r\nhello\r\n0\r\n\r\n",
    b"5; a=b\r\nhello\r\n0\r\n\r\n",
    b"g\r\n",
    b"\r\n",
    b"5\nhello\r\n0\r\n\r\n",
    b"0\r\nBad Trailer: x\r\n\r\n",
    b"0\r\n folded: x\r\n\r\n",
    b"0\r\nX: \x01\r\n\r\n",
    b"0\r\n\n",
    b"fffffffffffffffff\r\n",
];

/// Decodes `pieces` one after another with one decoder: the body, the bytes consumed in total and
/// whether it finished, or the error.
fn decode_pieces(pieces: &[&[u8]], max_body: u64) -> Result<(Vec<u8>, usize, bool), ParseError> {
    let mut d = ChunkedDecoder::new(max_body);
    let mut body = Vec::new();
    let mut consumed = 0;
    for piece in pieces {
        let r = d.decode(piece, &mut |x| {
            assert!(!x.is_empty(), "empty data callback");
            body.extend_from_slice(x)
        })?;
        consumed += r.consumed;
        if r.done {
            return Ok((body, consumed, true));
        }
        assert_eq!(
            r.consumed,
            piece.len(),
            "an unfinished decoder must consume everything"
        );
    }
    Ok((body, consumed, false))
}

#[test]
fn a_chunked_body_cut_once_anywhere_decodes_like_the_whole() {
    for wire in BODIES {
        let whole = decode_pieces(&[wire], 1 << 20);
        for cut in 0..=wire.len() {
            let split = decode_pieces(&[&wire[..cut], &wire[cut..]], 1 << 20);
            assert_eq!(
                split,
                whole,
                "cut at {cut} of {:?}",
                String::from_utf8_lossy(wire)
            );
        }
    }
}

#[test]
fn a_chunked_body_cut_twice_anywhere_decodes_like_the_whole() {
    for wire in BODIES {
        let whole = decode_pieces(&[wire], 1 << 20);
        for a in 0..=wire.len() {
            for b in a..=wire.len() {
                let split = decode_pieces(&[&wire[..a], &wire[a..b], &wire[b..]], 1 << 20);
                assert_eq!(
                    split,
                    whole,
                    "cuts at {a},{b} of {:?}",
                    String::from_utf8_lossy(wire)
                );
            }
        }
    }
}

#[test]
fn a_chunked_body_fed_byte_by_byte_decodes_like_the_whole() {
    for wire in BODIES {
        let bytes: Vec<&[u8]> = wire.chunks(1).collect();
        assert_eq!(
            decode_pieces(&bytes, 1 << 20),
            decode_pieces(&[wire], 1 << 20)
        );
        // A tight body limit fails at the same place whatever the cuts.
        assert_eq!(decode_pieces(&bytes, 7), decode_pieces(&[wire], 7));
    }
}
