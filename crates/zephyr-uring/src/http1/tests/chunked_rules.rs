//! Chunked transfer coding (RFC 9112 §7.1): what is accepted, and one test per rejection.

use super::*;

fn rejected_body(wire: &[u8]) -> ParseError {
    match decode_all(wire) {
        Err(e) => e,
        Ok(r) => panic!(
            "expected {:?} to be rejected, got {r:?}",
            String::from_utf8_lossy(wire)
        ),
    }
}

#[test]
fn decodes_chunks_and_reports_the_end() {
    let (body, d) = decode_all(b"5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n").unwrap();
    assert_eq!(body, b"hello world");
    assert_eq!(
        d,
        Decoded {
            consumed: 31,
            done: true
        }
    );
}

#[test]
fn chunk_sizes_are_case_insensitive_hex_with_leading_zeros() {
    let wire = b"0A\r\n0123456789\r\n00f\r\n0123456789abcde\r\n0000\r\n\r\n";
    let (body, d) = decode_all(wire).unwrap();
    assert_eq!(body.len(), 25);
    assert!(d.done);
}

#[test]
fn an_unfinished_body_consumes_everything_and_is_not_done() {
    let (body, d) = decode_all(b"5\r\nhel").unwrap();
    assert_eq!(body, b"hel");
    assert_eq!(
        d,
        Decoded {
            consumed: 6,
            done: false
        }
    );
}

#[test]
fn chunk_extensions_are_accepted_when_well_formed() {
    for ext in [
        ";a",
        ";a=b",
        ";a=b;c",
        ";a=\"quoted value\"",
        ";a=\"esc\\\"aped\\\\\"",
        ";a=\"\";b=1",
        ";!#$%&'*+-.^_`|~=x",
    ] {
        let wire = format!("3{ext}\r\nabc\r\n0{ext}\r\n\r\n");
        let (body, d) = decode_all(wire.as_bytes()).unwrap_or_else(|e| panic!("{ext}: {e}"));
        assert_eq!((body.as_slice(), d.done), (&b"abc"[..], true), "{ext}");
    }
}

#[test]
fn trailer_fields_are_validated_and_discarded() {
    let (body, d) = decode_all(b"3\r\nabc\r\n0\r\nX-Checksum: 42\r\nX-Empty:\r\n\r\n").unwrap();
    assert_eq!(body, b"abc");
    assert!(d.done);
}

#[test]
fn rejects_an_empty_chunk_size() {
    assert_eq!(rejected_body(b"\r\nabc\r\n"), ParseError::InvalidChunkSize);
    assert_eq!(rejected_body(b";a\r\n"), ParseError::InvalidChunkSize);
}

#[test]
fn rejects_a_non_hex_chunk_size() {
    assert_eq!(rejected_body(b"g\r\n"), ParseError::InvalidChunkSize);
    assert_eq!(rejected_body(b"0x5\r\n"), ParseError::InvalidChunkSize);
    assert_eq!(rejected_body(b"-1\r\n"), ParseError::InvalidChunkSize);
    assert_eq!(rejected_body(b"+1\r\n"), ParseError::InvalidChunkSize);
}

#[test]
fn rejects_whitespace_around_the_chunk_size() {
    // llhttp strict mode: no whitespace anywhere in the chunk-size line.
    assert_eq!(
        rejected_body(b" 5\r\nhello\r\n"),
        ParseError::InvalidChunkSize
    );
    assert_eq!(
        rejected_body(b"5 \r\nhello\r\n"),
        ParseError::InvalidChunkSize
    );
    assert_eq!(
        rejected_body(b"5\t;a\r\nhello\r\n"),
        ParseError::InvalidChunkSize
    );
}

#[test]
fn rejects_a_chunk_size_that_overflows_64_bits() {
    let mut d = ChunkedDecoder::new(u64::MAX);
    assert_eq!(
        d.decode(b"10000000000000000\r\n", &mut |_| {}),
        Err(ParseError::ChunkSizeOverflow)
    );
    // Whatever the body limit: an overflow is a framing error, not a size one.
    let mut d = ChunkedDecoder::new(10);
    let e = d.decode(b"fffffffffffffffff\r\n", &mut |_| {}).unwrap_err();
    assert_eq!((e, e.status()), (ParseError::ChunkSizeOverflow, 400));
    // 16 digits fit.
    let mut d = ChunkedDecoder::new(u64::MAX);
    assert!(d.decode(b"ffffffffffffffff\r\n", &mut |_| {}).is_ok());
}

#[test]
fn rejects_a_malformed_chunk_extension() {
    for ext in [
        ";",
        ";=b",
        "; a",
        ";a =b",
        ";a= b",
        ";a=",
        ";a=b c",
        ";a=\"unterminated",
        ";a=\"x\"y",
        ";a=\"\x01\"",
        ";a=\"\\\x01\"",
        ";a@b",
        ";a=b@",
    ] {
        let wire = format!("3{ext}\r\nabc\r\n0\r\n\r\n");
        let e = rejected_body(wire.as_bytes());
        assert!(
            matches!(e, ParseError::InvalidChunkExtension | ParseError::BareLf),
            "{ext:?}: {e:?}"
        );
    }
}

#[test]
fn rejects_chunk_data_not_followed_by_crlf() {
    assert_eq!(
        rejected_body(b"3\r\nabcd\r\n0\r\n\r\n"),
        ParseError::MissingChunkCrlf
    );
    assert_eq!(
        rejected_body(b"3\r\nabc\n0\r\n\r\n"),
        ParseError::MissingChunkCrlf
    );
    assert_eq!(rejected_body(b"3\r\nabc\rX"), ParseError::MissingChunkCrlf);
}

#[test]
fn rejects_a_bare_lf_after_the_chunk_size() {
    assert_eq!(rejected_body(b"3\nabc\r\n"), ParseError::BareLf);
    assert_eq!(rejected_body(b"3;a\nabc\r\n"), ParseError::BareLf);
    assert_eq!(rejected_body(b"3;a=b\nabc\r\n"), ParseError::BareLf);
    assert_eq!(rejected_body(b"3;a=\"b\"\nabc\r\n"), ParseError::BareLf);
}

#[test]
fn rejects_a_cr_not_followed_by_lf_in_the_chunk_size_line() {
    assert_eq!(rejected_body(b"3\rabc\r\n"), ParseError::BareCr);
}

#[test]
fn rejects_a_malformed_trailer_field() {
    for trailer in [
        "Bad Name: x",
        " folded: x",
        "NoColon",
        "X : y",
        ": v",
        "X: a\x00b",
        "X: a\x7f",
    ] {
        let wire = format!("0\r\n{trailer}\r\n\r\n");
        assert_eq!(
            rejected_body(wire.as_bytes()),
            ParseError::InvalidTrailer,
            "{trailer:?}"
        );
    }
}

#[test]
fn rejects_bare_line_ends_in_the_trailer_section() {
    assert_eq!(rejected_body(b"0\r\nX: y\n\r\n"), ParseError::BareLf);
    assert_eq!(rejected_body(b"0\r\n\n"), ParseError::BareLf);
    assert_eq!(rejected_body(b"0\r\n\rX"), ParseError::BareCr);
    assert_eq!(rejected_body(b"0\r\nX: y\rZ"), ParseError::BareCr);
}

#[test]
fn an_error_is_sticky() {
    let mut d = ChunkedDecoder::new(100);
    assert_eq!(
        d.decode(b"z", &mut |_| {}),
        Err(ParseError::InvalidChunkSize)
    );
    assert_eq!(
        d.decode(b"0\r\n\r\n", &mut |_| {}),
        Err(ParseError::InvalidChunkSize)
    );
    assert_eq!(
        d.decode(b"", &mut |_| {}),
        Err(ParseError::InvalidChunkSize)
    );
}

#[test]
fn body_len_counts_the_declared_chunk_sizes() {
    let mut d = ChunkedDecoder::new(100);
    d.decode(b"5\r\nhe", &mut |_| {}).unwrap();
    assert_eq!(d.body_len(), 5);
}
