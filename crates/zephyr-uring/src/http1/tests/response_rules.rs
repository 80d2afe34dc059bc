//! Response heads, chunk framing and reason phrases.

use super::*;

const DATE: &[u8] = b"Sun, 06 Nov 1994 08:49:37 GMT";

fn head(
    version: Version,
    status: u16,
    headers: &[(&[u8], &[u8])],
    framing: ResponseFraming,
    keep_alive: bool,
) -> String {
    let mut out = Vec::new();
    write_response_head(
        &mut out, version, status, headers, framing, keep_alive, DATE,
    );
    String::from_utf8(out).unwrap()
}

#[test]
fn writes_status_line_date_fields_and_content_length() {
    assert_eq!(
        head(Version::Http11, 201, &[(b"x-id", b"7")], ResponseFraming::Length(12), true),
        "HTTP/1.1 201 Created\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\nx-id: 7\r\ncontent-length: 12\r\n\r\n"
    );
}

#[test]
fn writes_chunked_framing_and_connection_close() {
    assert_eq!(
        head(Version::Http11, 200, &[], ResponseFraming::Chunked, false),
        "HTTP/1.1 200 OK\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    );
}

#[test]
fn writes_no_framing_for_204_and_keep_alive_for_http_1_0() {
    assert_eq!(
        head(Version::Http10, 204, &[], ResponseFraming::None, true),
        "HTTP/1.0 204 No Content\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\nconnection: keep-alive\r\n\r\n"
    );
}

#[test]
fn writes_content_length_zero_and_u64_max() {
    assert!(
        head(Version::Http11, 200, &[], ResponseFraming::Length(0), true)
            .contains("content-length: 0\r\n")
    );
    assert!(head(
        Version::Http11,
        200,
        &[],
        ResponseFraming::Length(u64::MAX),
        true
    )
    .contains("content-length: 18446744073709551615\r\n"));
}

#[test]
fn never_writes_a_field_that_could_split_the_response() {
    let out = head(
        Version::Http11,
        200,
        &[
            (b"ok", b"fine"),
            (b"x-evil", b"a\r\nSet-Cookie: pwned"),
            (b"bad name", b"v"),
            (b"x-nul", b"a\x00b"),
            (b"", b"v"),
        ],
        ResponseFraming::None,
        true,
    );
    assert!(out.contains("ok: fine\r\n"));
    assert!(!out.contains("pwned") && !out.contains("bad name") && !out.contains("x-nul"));
    assert!(is_valid_field(b"x-a", b"tab\tand obs-text \xff"));
    assert!(!is_valid_field(b"x-a", b"a\nb"));
}

#[test]
fn unknown_status_gets_an_empty_reason_and_out_of_range_becomes_500() {
    assert!(head(Version::Http11, 299, &[], ResponseFraming::None, true)
        .starts_with("HTTP/1.1 299 \r\n"));
    assert!(head(Version::Http11, 42, &[], ResponseFraming::None, true)
        .starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
    assert!(
        head(Version::Http11, 1000, &[], ResponseFraming::None, true).starts_with("HTTP/1.1 500 ")
    );
}

#[test]
fn empty_date_writes_no_date_field() {
    let mut out = Vec::new();
    write_response_head(
        &mut out,
        Version::Http11,
        200,
        &[],
        ResponseFraming::None,
        true,
        b"",
    );
    assert_eq!(out, b"HTTP/1.1 200 OK\r\n\r\n");
}

#[test]
fn reason_phrases_cover_the_parser_statuses() {
    for e in [
        ParseError::HeadTooLarge,
        ParseError::UriTooLong,
        ParseError::UnsupportedExpectation,
        ParseError::BodyTooLarge,
        ParseError::UnsupportedTransferCoding,
        ParseError::UnsupportedVersion,
        ParseError::BareLf,
    ] {
        assert!(!reason_phrase(e.status()).is_empty(), "{}", e.status());
    }
    assert_eq!(reason_phrase(404), "Not Found");
    assert_eq!(reason_phrase(431), "Request Header Fields Too Large");
}

#[test]
fn chunks_round_trip_through_the_decoder() {
    let mut out = Vec::new();
    write_chunk(&mut out, b"hello");
    write_chunk(&mut out, b"");
    write_chunk(&mut out, &[b'x'; 300]);
    write_last_chunk(&mut out);
    assert!(out.starts_with(b"5\r\nhello\r\n12c\r\n"));
    let (body, d) = decode_all(&out).unwrap();
    assert_eq!(body.len(), 305);
    assert_eq!(
        d,
        Decoded {
            consumed: out.len(),
            done: true
        }
    );
}
