//! Fuzzes the HTTP/1.1 request-head parser and the chunked decoder.
//!
//! Input: byte 0 picks the limits (default or tight) and byte 1 seeds where the input is cut; the
//! rest is the wire. Asserted for every input:
//! * no panic, and every span of a complete head lies inside the head, which lies inside the buffer;
//! * the limits hold (head length, field count, target length);
//! * parsing into a dirty, reused `RequestHead` gives what a fresh one gives;
//! * every prefix of the buffer parses to `Partial` or to the whole buffer's own result;
//! * the chunked decoder (on the body after a chunked head, and on the raw wire) gives the same
//!   body, end and error whether the input comes in one piece, two, or byte by byte;
//! * a response head written with fuzzed field names and values never contains a stray CR or LF.

#![no_main]

use libfuzzer_sys::fuzz_target;
use zephyr_uring::http1::{
    parse_request_head, write_chunk, write_last_chunk, write_response_head, BodyFraming,
    ChunkedDecoder, HeadLimits, ParseError, RequestHead, ResponseFraming, Span, Status, Version,
};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let (ctrl, buf) = (&data[..2], &data[2..]);
    let limits = if ctrl[0] & 1 == 0 {
        HeadLimits::default()
    } else {
        HeadLimits {
            max_head_bytes: 16 + usize::from(ctrl[0] >> 1),
            max_headers: usize::from(ctrl[0] >> 5),
            max_url_len: 1 + usize::from(ctrl[1] & 0x1f),
        }
    };

    let mut fresh = RequestHead::new();
    let whole = parse_request_head(buf, &limits, &mut fresh);
    if let Ok(Status::Complete) = whole {
        check_head(buf, &limits, &fresh);
    }

    // A reused head left dirty by another parse must give the same result.
    let mut reused = RequestHead::new();
    let _ = parse_request_head(
        b"POST http://x:1/a?b HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 3\r\nX: y\r\n\r\n",
        &HeadLimits::default(),
        &mut reused,
    );
    let again = parse_request_head(buf, &limits, &mut reused);
    assert_eq!(again, whole);
    if let Ok(Status::Complete) = whole {
        assert_eq!(reused, fresh);
    }

    check_prefixes(buf, &limits, &whole, &fresh, ctrl[1]);

    // Chunked decoding: of the body after a chunked head, and of the raw wire.
    if let (Ok(Status::Complete), BodyFraming::Chunked) = (whole, fresh.body) {
        check_chunked(&buf[fresh.head_len..], ctrl[1]);
    }
    check_chunked(buf, ctrl[1]);

    check_response(buf);
});

/// Reference byte classes, written independently of the parser's word-at-a-time scanners.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn bytes(buf: &[u8], span: Span) -> &[u8] {
    &buf[span.0 as usize..span.1 as usize]
}

fn in_bounds(span: Span, end: usize) -> bool {
    span.0 <= span.1 && span.1 as usize <= end
}

fn check_head(buf: &[u8], limits: &HeadLimits, head: &RequestHead) {
    let end = head.head_len;
    assert!(end <= buf.len() && end <= limits.max_head_bytes);
    assert!(buf[..end].ends_with(b"\r\n\r\n"));
    assert!(in_bounds(head.method, end) && head.method.0 < head.method.1);
    assert!(in_bounds(head.target, end) && head.target.0 < head.target.1);
    assert!((head.target.1 - head.target.0) as usize <= limits.max_url_len);
    assert!(head.method.1 < head.target.0);
    assert!(bytes(buf, head.method).iter().all(|&b| is_tchar(b)));
    assert!(bytes(buf, head.target)
        .iter()
        .all(|&b| (0x21..=0x7e).contains(&b) && b != b'#'));
    assert!(in_bounds(head.path, end));
    assert!(head.path.0 >= head.target.0 && head.path.1 <= head.target.1);
    if let Some(q) = head.query {
        assert!(in_bounds(q, end) && q.0 >= head.path.1 && q.1 == head.target.1);
        assert_eq!(buf[q.0 as usize - 1], b'?');
    }
    if let Some(a) = head.authority {
        assert!(a.0 < a.1 && a.0 >= head.target.0 && a.1 <= head.target.1);
        assert!(a.1 <= head.path.0 || head.path == head.target);
    }
    assert!(head.headers.len() <= limits.max_headers);
    let mut last = head.target.1;
    for &(name, value) in &head.headers {
        assert!(in_bounds(name, end) && in_bounds(value, end));
        assert!(name.0 < name.1 && name.1 < value.0 && buf[name.1 as usize] == b':');
        assert!(name.0 > last, "fields come in order after the request line");
        last = value.1;
        let v = &buf[value.0 as usize..value.1 as usize];
        assert!(!v.contains(&b'\r') && !v.contains(&b'\n') && !v.contains(&0));
        assert!(v.first().map_or(true, |&b| b != b' ' && b != b'\t'));
        assert!(v.last().map_or(true, |&b| b != b' ' && b != b'\t'));
        assert!(v.iter().all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f)));
        let n = &buf[name.0 as usize..name.1 as usize];
        assert!(n.iter().all(|&b| is_tchar(b)));
        assert!(head.header(buf, n).is_some());
    }
    match head.body {
        BodyFraming::Length(n) => assert!(n > 0),
        BodyFraming::Chunked => assert_eq!(head.version, Version::Http11),
        BodyFraming::None => {}
    }
    if head.version == Version::Http11 {
        assert!(head.header(buf, b"host").is_some());
    }
}

/// Every prefix is `Partial` or the whole buffer's result. All prefixes for short inputs, a
/// seeded sample of cut points otherwise, so one run stays fast.
fn check_prefixes(
    buf: &[u8],
    limits: &HeadLimits,
    whole: &Result<Status, ParseError>,
    whole_head: &RequestHead,
    seed: u8,
) {
    let mut head = RequestHead::new();
    let mut check = |cut: usize| {
        let part = parse_request_head(&buf[..cut], limits, &mut head);
        match (whole, &part) {
            (_, Ok(Status::Partial)) => {
                if let Ok(Status::Complete) = whole {
                    assert!(
                        cut < whole_head.head_len,
                        "partial at {cut} after the head ended"
                    );
                }
            }
            (Ok(Status::Complete), Ok(Status::Complete)) => {
                assert_eq!(&head, whole_head, "cut at {cut}");
            }
            (Err(w), Err(p)) => assert_eq!(w, p, "cut at {cut}"),
            _ => panic!("cut at {cut}: prefix gave {part:?}, whole gave {whole:?}"),
        }
    };
    if buf.len() <= 256 {
        (0..=buf.len()).for_each(&mut check);
    } else {
        let step = 1 + usize::from(seed);
        (0..=buf.len()).step_by(step).for_each(&mut check);
        check(buf.len());
    }
}

type Outcome = Result<(Vec<u8>, usize, bool), ParseError>;

fn decode_pieces(pieces: &[&[u8]], max_body: u64) -> Outcome {
    let mut decoder = ChunkedDecoder::new(max_body);
    let mut body = Vec::new();
    let mut consumed = 0;
    for piece in pieces {
        let r = decoder.decode(piece, &mut |run: &[u8]| {
            assert!(!run.is_empty());
            body.extend_from_slice(run);
        })?;
        assert!(r.consumed <= piece.len());
        consumed += r.consumed;
        if r.done {
            assert!(decoder.is_done());
            assert_eq!(body.len() as u64, decoder.body_len());
            return Ok((body, consumed, true));
        }
        assert_eq!(r.consumed, piece.len());
    }
    Ok((body, consumed, false))
}

fn check_chunked(wire: &[u8], seed: u8) {
    let max_body = if seed & 0x80 == 0 {
        1 << 20
    } else {
        u64::from(seed & 0x3f)
    };
    let whole = decode_pieces(&[wire], max_body);
    if let Ok((body, consumed, _)) = &whole {
        assert!(*consumed <= wire.len());
        assert!(body.len() <= *consumed);
    }
    let cut = if wire.is_empty() {
        0
    } else {
        usize::from(seed) % (wire.len() + 1)
    };
    assert_eq!(
        decode_pieces(&[&wire[..cut], &wire[cut..]], max_body),
        whole,
        "cut at {cut}"
    );
    if wire.len() <= 512 {
        let bytes: Vec<&[u8]> = wire.chunks(1).collect();
        assert_eq!(decode_pieces(&bytes, max_body), whole, "byte by byte");
    }
}

fn check_response(buf: &[u8]) {
    // Fuzzed name and value: whatever they hold, the head must not gain a line.
    let mid = buf.len() / 2;
    let (name, value) = buf.split_at(mid);
    let mut out = Vec::new();
    let fields: [(&[u8], &[u8]); 2] = [(name, value), (b"x-ok", b"1")];
    write_response_head(
        &mut out,
        Version::Http11,
        200,
        &fields,
        ResponseFraming::Chunked,
        true,
        b"",
    );
    let lines = out.split(|&b| b == b'\n').count();
    assert!(
        lines <= 6,
        "a fuzzed field added lines: {:?}",
        String::from_utf8_lossy(&out)
    );
    assert_eq!(out.iter().filter(|&&b| b == b'\r').count(), lines - 1);

    // Chunks written from arbitrary data decode back to it.
    out.clear();
    write_chunk(&mut out, name);
    write_chunk(&mut out, value);
    write_last_chunk(&mut out);
    let (body, consumed, done) = decode_pieces(&[&out], u64::MAX).expect("own chunks decode");
    assert!(done && consumed == out.len() && body == buf);
}
