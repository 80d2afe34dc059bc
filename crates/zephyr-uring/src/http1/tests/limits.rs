//! Every limit exactly at its boundary (accepted) and one past it (rejected), and the early
//! rejection of incomplete heads that are already too long.

use super::*;

/// A complete head of exactly `len` bytes (len >= 48), padded with an `X-Pad` field.
fn head_of_len(len: usize) -> Vec<u8> {
    let fixed = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: \r\n\r\n".len();
    let pad = "a".repeat(len - fixed);
    let buf = format!("GET / HTTP/1.1\r\nHost: h\r\nX-Pad: {pad}\r\n\r\n").into_bytes();
    assert_eq!(buf.len(), len);
    buf
}

fn limits(max_head_bytes: usize, max_headers: usize, max_url_len: usize) -> HeadLimits {
    HeadLimits {
        max_head_bytes,
        max_headers,
        max_url_len,
    }
}

#[test]
fn defaults_are_16_kib_head_100_fields_8_kib_target() {
    assert_eq!(HeadLimits::default(), limits(16384, 100, 8192));
}

#[test]
fn a_head_of_exactly_max_head_bytes_is_accepted() {
    let buf = head_of_len(16384);
    let (status, head) = parse(&buf).unwrap();
    assert_eq!(status, Status::Complete);
    assert_eq!(head.head_len, 16384);
}

#[test]
fn a_head_one_byte_over_max_head_bytes_is_rejected_with_431() {
    let e = parse(&head_of_len(16385)).unwrap_err();
    assert_eq!(e, ParseError::HeadTooLarge);
    assert_eq!(e.status(), 431);
}

#[test]
fn a_head_within_the_limit_is_accepted_whatever_follows_it() {
    let mut buf = head_of_len(100);
    buf.extend_from_slice(&[b'x'; 200]);
    let (status, head) = parse_with(&buf, &limits(100, 100, 100)).unwrap();
    assert_eq!((status, head.head_len), (Status::Complete, 100));
}

#[test]
fn an_incomplete_head_of_max_head_bytes_is_partial_and_one_more_byte_is_431() {
    let buf = head_of_len(400);
    let l = limits(300, 100, 100);
    assert_eq!(parse_with(&buf[..300], &l).unwrap().0, Status::Partial);
    assert_eq!(
        parse_with(&buf[..301], &l).unwrap_err(),
        ParseError::HeadTooLarge
    );
}

#[test]
fn leading_empty_lines_count_towards_max_head_bytes() {
    let mut buf = b"\r\n".to_vec();
    buf.extend_from_slice(&head_of_len(100));
    assert_eq!(
        parse_with(&buf, &limits(101, 100, 100)).unwrap_err(),
        ParseError::HeadTooLarge
    );
    assert_eq!(
        parse_with(&buf, &limits(102, 100, 100)).unwrap().0,
        Status::Complete
    );
}

#[test]
fn exactly_max_headers_fields_are_accepted() {
    let fields = vec!["X-A: 1"; 99]; // plus Host
    let (status, head) = parse(&get_with(&fields)).unwrap();
    assert_eq!((status, head.headers.len()), (Status::Complete, 100));
}

#[test]
fn one_field_over_max_headers_is_rejected_with_431() {
    let fields = vec!["X-A: 1"; 100];
    let e = parse(&get_with(&fields)).unwrap_err();
    assert_eq!(e, ParseError::TooManyHeaders);
    assert_eq!(e.status(), 431);
}

fn request_with_target_len(len: usize) -> Vec<u8> {
    let target = format!("/{}", "a".repeat(len - 1));
    format!("GET {target} HTTP/1.1\r\nHost: h\r\n\r\n").into_bytes()
}

#[test]
fn a_target_of_exactly_max_url_len_is_accepted() {
    let buf = request_with_target_len(8192);
    let (status, head) = parse(&buf).unwrap();
    assert_eq!(status, Status::Complete);
    assert_eq!(head.target.1 - head.target.0, 8192);
}

#[test]
fn a_target_one_byte_over_max_url_len_is_rejected_with_414() {
    let e = parse(&request_with_target_len(8193)).unwrap_err();
    assert_eq!(e, ParseError::UriTooLong);
    assert_eq!(e.status(), 414);
}

#[test]
fn a_too_long_target_is_rejected_before_the_head_is_complete() {
    let buf = request_with_target_len(8193);
    // "GET " + 8193 target bytes, nothing after: 414 already.
    assert_eq!(parse(&buf[..4 + 8193]).unwrap_err(), ParseError::UriTooLong);
    // With only max_url_len target bytes seen it may still fit.
    assert_eq!(parse(&buf[..4 + 8192]).unwrap().0, Status::Partial);
}

#[test]
fn a_head_longer_than_u32_spans_cannot_be_asked_for() {
    // Spans are u32: whatever the limit, the parser never looks past u32::MAX bytes. A limit
    // above that is clamped (checked here on a small buffer, which simply parses).
    let l = limits(usize::MAX, usize::MAX, usize::MAX);
    assert_eq!(parse_with(&get_with(&[]), &l).unwrap().0, Status::Complete);
}

#[test]
fn chunked_body_of_exactly_max_body_is_accepted_and_one_more_byte_is_413() {
    let wire = b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    let mut ok = ChunkedDecoder::new(5);
    assert!(ok.decode(wire, &mut |_| {}).unwrap().done);
    let mut over = ChunkedDecoder::new(4);
    let e = over.decode(wire, &mut |_| {}).unwrap_err();
    assert_eq!(e, ParseError::BodyTooLarge);
    assert_eq!(e.status(), 413);
}

#[test]
fn chunked_body_over_max_body_is_refused_before_its_data_arrives() {
    let mut d = ChunkedDecoder::new(10);
    let mut seen = 0;
    assert!(
        d.decode(b"b", &mut |x| seen += x.len()).is_ok(),
        "more digits could still come"
    );
    assert_eq!(
        d.decode(b";", &mut |x| seen += x.len()).unwrap_err(),
        ParseError::BodyTooLarge
    );
    assert_eq!(seen, 0);
    let mut d = ChunkedDecoder::new(10);
    assert_eq!(
        d.decode(b"b\r", &mut |_| {}).unwrap_err(),
        ParseError::BodyTooLarge
    );
}

#[test]
fn chunk_size_line_of_exactly_the_limit_is_accepted_and_one_more_byte_is_rejected() {
    let line_at = |len: usize| {
        // "1;" + "a" * n + "\r\n" is len bytes
        let mut v = b"1;".to_vec();
        v.extend(std::iter::repeat(b'a').take(len - 4));
        v.extend_from_slice(b"\r\nx\r\n0\r\n\r\n");
        v
    };
    let max = MAX_CHUNK_LINE_BYTES as usize;
    assert!(decode_all(&line_at(max)).unwrap().1.done);
    assert_eq!(
        decode_all(&line_at(max + 1)).unwrap_err(),
        ParseError::InvalidChunkExtension
    );
}

#[test]
fn trailer_section_of_exactly_the_limit_is_accepted_and_one_more_byte_is_431() {
    let trailers_of = |len: usize| {
        // "X: " + value + "\r\n" + "\r\n" is len bytes
        let mut v = b"0\r\nX: ".to_vec();
        v.extend(std::iter::repeat(b'v').take(len - 7));
        v.extend_from_slice(b"\r\n\r\n");
        v
    };
    let max = MAX_TRAILER_BYTES as usize;
    assert!(decode_all(&trailers_of(max)).unwrap().1.done);
    let e = decode_all(&trailers_of(max + 1)).unwrap_err();
    assert_eq!(e, ParseError::TrailersTooLarge);
    assert_eq!(e.status(), 431);
}
