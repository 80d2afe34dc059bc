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

/// What a connection saw: per request its method, target and body, or the error that ended it.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Request(Vec<u8>, Vec<u8>, Vec<u8>),
    Error(ParseError),
}

/// A miniature engine: accumulates `pieces` as they "arrive" and parses every request it can,
/// bodies included, exactly as the io_uring loop drives the parser.
fn run_connection(pieces: &[&[u8]]) -> Vec<Seen> {
    enum Phase {
        Head,
        Length(u64),
        Chunked(ChunkedDecoder),
    }
    let limits = HeadLimits::default();
    let mut head = RequestHead::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut seen = Vec::new();
    let mut phase = Phase::Head;
    let (mut method, mut target, mut body) = (Vec::new(), Vec::new(), Vec::new());
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            match &mut phase {
                Phase::Head => match parse_request_head(&buf, &limits, &mut head) {
                    Ok(Status::Partial) => break,
                    Err(e) => {
                        seen.push(Seen::Error(e));
                        return seen;
                    }
                    Ok(Status::Complete) => {
                        method = head.slice(&buf, head.method).to_vec();
                        target = head.slice(&buf, head.target).to_vec();
                        body.clear();
                        buf.drain(..head.head_len);
                        phase = match head.body {
                            BodyFraming::None => {
                                seen.push(Seen::Request(
                                    method.clone(),
                                    target.clone(),
                                    Vec::new(),
                                ));
                                Phase::Head
                            }
                            BodyFraming::Length(n) => Phase::Length(n),
                            BodyFraming::Chunked => Phase::Chunked(ChunkedDecoder::new(1 << 20)),
                        };
                    }
                },
                Phase::Length(left) => {
                    let n = (*left).min(buf.len() as u64) as usize;
                    body.extend(buf.drain(..n));
                    *left -= n as u64;
                    if *left > 0 {
                        break;
                    }
                    seen.push(Seen::Request(method.clone(), target.clone(), body.clone()));
                    phase = Phase::Head;
                }
                Phase::Chunked(decoder) => {
                    match decoder.decode(&buf, &mut |d| body.extend_from_slice(d)) {
                        Err(e) => {
                            seen.push(Seen::Error(e));
                            return seen;
                        }
                        Ok(d) => {
                            buf.drain(..d.consumed);
                            if !d.done {
                                break;
                            }
                            seen.push(Seen::Request(method.clone(), target.clone(), body.clone()));
                            phase = Phase::Head;
                        }
                    }
                }
            }
            if buf.is_empty() {
                break;
            }
        }
    }
    seen
}

const CONNECTIONS: &[&[u8]] = &[
    b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloPUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n\r\nGET /d HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\nGET /c HTTP/1.1\r\n\r\n",
    b"POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\nGET /b HTTP/1.1\r\n",
];

#[test]
fn pipelined_requests_with_bodies_split_anywhere_are_seen_the_same() {
    for wire in CONNECTIONS {
        let whole = run_connection(&[wire]);
        assert!(!whole.is_empty());
        for cut in 0..=wire.len() {
            assert_eq!(
                run_connection(&[&wire[..cut], &wire[cut..]]),
                whole,
                "cut at {cut}"
            );
        }
        let bytes: Vec<&[u8]> = wire.chunks(1).collect();
        assert_eq!(run_connection(&bytes), whole, "byte by byte");
    }
}

#[test]
fn the_miniature_engine_sees_every_request_of_the_first_connection() {
    let seen = run_connection(&[CONNECTIONS[0]]);
    let req = |m: &str, t: &str, b: &str| Seen::Request(m.into(), t.into(), b.into());
    assert_eq!(
        seen,
        [
            req("GET", "/a", ""),
            req("POST", "/b", "hello"),
            req("PUT", "/c", "abcde"),
            req("GET", "/d", "")
        ]
    );
    assert_eq!(
        run_connection(&[CONNECTIONS[1]]),
        [
            req("GET", "/a", ""),
            Seen::Error(ParseError::InvalidHeaderValue)
        ]
    );
    assert_eq!(
        run_connection(&[CONNECTIONS[2]]),
        [Seen::Error(ParseError::MissingChunkCrlf)]
    );
}
