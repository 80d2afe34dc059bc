//! Request line and field lines: what is accepted, and one test per rejection.

use super::*;

fn text(buf: &[u8], span: Span) -> &str {
    std::str::from_utf8(&buf[span.0 as usize..span.1 as usize]).unwrap()
}

// --- accepted requests --------------------------------------------------------------------------

#[test]
fn parses_a_typical_get_with_spans_into_the_buffer() {
    let buf = b"GET /search?q=rust&x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n";
    let head = complete(buf);
    assert_eq!(text(buf, head.method), "GET");
    assert_eq!(text(buf, head.target), "/search?q=rust&x=1");
    assert_eq!(text(buf, head.path), "/search");
    assert_eq!(head.query.map(|q| text(buf, q)), Some("q=rust&x=1"));
    assert_eq!(head.version, Version::Http11);
    assert_eq!(head.headers.len(), 3);
    assert_eq!(text(buf, head.headers[1].0), "User-Agent");
    assert_eq!(text(buf, head.headers[1].1), "curl/8");
    assert_eq!(head.head_len, buf.len());
    assert_eq!(head.body, BodyFraming::None);
    assert!(head.keep_alive);
    assert!(!head.expect_continue);
    assert!(!head.upgrade);
}

#[test]
fn empty_query_is_some_and_empty() {
    let buf = b"GET /a? HTTP/1.1\r\nHost: h\r\n\r\n";
    let head = complete(buf);
    assert_eq!(text(buf, head.path), "/a");
    assert_eq!(head.query, Some((7, 7)));
}

#[test]
fn header_lookup_is_case_insensitive_and_returns_the_first() {
    let buf = b"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\n\r\n";
    let head = complete(buf);
    assert_eq!(head.header(buf, b"X-a"), Some(&b"1"[..]));
    assert_eq!(head.header(buf, b"HOST"), Some(&b"h"[..]));
    assert_eq!(head.header(buf, b"x-b"), None);
}

#[test]
fn field_values_are_trimmed_of_ows_but_keep_inner_whitespace() {
    let buf =
        b"GET / HTTP/1.1\r\nHost: h\r\nX-V: \t a \t b \t\r\nX-Empty:\r\nX-Blank:  \t \r\n\r\n";
    let head = complete(buf);
    assert_eq!(head.header(buf, b"x-v"), Some(&b"a \t b"[..]));
    assert_eq!(head.header(buf, b"x-empty"), Some(&b""[..]));
    assert_eq!(head.header(buf, b"x-blank"), Some(&b""[..]));
}

#[test]
fn field_values_may_carry_obs_text() {
    let buf = b"GET / HTTP/1.1\r\nHost: h\r\nX-Name: caf\xc3\xa9\r\n\r\n";
    assert_eq!(
        complete(buf).header(buf, b"x-name"),
        Some(&b"caf\xc3\xa9"[..])
    );
}

#[test]
fn any_token_is_a_method() {
    for method in ["GET", "PROPFIND", "M-SEARCH", "get", "X!#$%&'*+-.^_`|~1"] {
        let buf = format!("{method} / HTTP/1.1\r\nHost: h\r\n\r\n");
        let head = complete(buf.as_bytes());
        assert_eq!(text(buf.as_bytes(), head.method), method);
    }
}

#[test]
fn http_1_0_is_accepted_without_host_and_closes_by_default() {
    let head = complete(b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(head.version, Version::Http10);
    assert!(!head.keep_alive);
}

#[test]
fn http_1_0_keeps_alive_only_when_asked() {
    assert!(complete(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
    assert!(!complete(b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").keep_alive);
}

#[test]
fn connection_close_ends_http_1_1_keep_alive_whatever_the_case_and_position() {
    assert!(!complete(&get_with(&["Connection: foo, CLOSE"])).keep_alive);
    assert!(!complete(&get_with(&["Connection: keep-alive", "Connection: close"])).keep_alive);
    assert!(complete(&get_with(&["Connection: closed"])).keep_alive);
}

#[test]
fn upgrade_needs_both_the_connection_token_and_the_upgrade_field() {
    let buf = get_with(&["Connection: keep-alive, Upgrade", "Upgrade: websocket"]);
    let head = complete(&buf);
    assert!(head.upgrade);
    assert_eq!(head.header(&buf, b"upgrade"), Some(&b"websocket"[..]));
    assert!(!complete(&get_with(&["Upgrade: websocket"])).upgrade);
    assert!(!complete(&get_with(&["Connection: upgrade"])).upgrade);
    assert!(!complete(b"GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n").upgrade);
}

#[test]
fn expect_100_continue_is_reported_on_http_1_1_and_ignored_on_http_1_0() {
    assert!(complete(&get_with(&["Expect: 100-Continue", "Content-Length: 3"])).expect_continue);
    assert!(!complete(b"GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expect_continue);
}

#[test]
fn content_length_frames_the_body_and_zero_means_none() {
    assert_eq!(
        complete(&get_with(&["Content-Length: 42"])).body,
        BodyFraming::Length(42)
    );
    assert_eq!(
        complete(&get_with(&["content-length:  007 "])).body,
        BodyFraming::Length(7)
    );
    assert_eq!(
        complete(&get_with(&["Content-Length: 0"])).body,
        BodyFraming::None
    );
    assert_eq!(
        complete(&get_with(&["Content-Length: 18446744073709551615"])).body,
        BodyFraming::Length(u64::MAX)
    );
}

#[test]
fn transfer_encoding_chunked_frames_the_body_case_insensitively() {
    assert_eq!(
        complete(&get_with(&["Transfer-Encoding: chunked"])).body,
        BodyFraming::Chunked
    );
    assert_eq!(
        complete(&get_with(&["transfer-encoding: Chunked "])).body,
        BodyFraming::Chunked
    );
    assert_eq!(
        complete(&get_with(&["Transfer-Encoding: , chunked"])).body,
        BodyFraming::Chunked
    );
}

#[test]
fn leading_empty_lines_are_skipped_and_counted_in_head_len() {
    let buf = b"\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
    let head = complete(buf);
    assert_eq!(text(buf, head.method), "GET");
    assert_eq!(head.head_len, buf.len());
    // llhttp skips any run of CR and LF before a request, so do we.
    let buf = b"\n\r\rGET / HTTP/1.1\r\nHost: h\r\n\r\n";
    assert_eq!(complete(buf).head_len, buf.len());
}

#[test]
fn origin_form_may_start_with_two_slashes() {
    let buf = b"GET //x HTTP/1.1\r\nHost: h\r\n\r\n";
    assert_eq!(text(buf, complete(buf).path), "//x");
}

#[test]
fn absolute_form_is_split_into_path_and_query_after_the_authority() {
    let buf = b"GET http://example.com:8080/a/b?c=d HTTP/1.1\r\nHost: example.com:8080\r\n\r\n";
    let head = complete(buf);
    assert_eq!(text(buf, head.path), "/a/b");
    assert_eq!(head.query.map(|q| text(buf, q)), Some("c=d"));
    assert_eq!(
        head.authority.map(|a| text(buf, a)),
        Some("example.com:8080")
    );

    let buf = b"GET https://example.com?x HTTP/1.1\r\nHost: example.com\r\n\r\n";
    let head = complete(buf);
    assert_eq!(text(buf, head.path), "");
    assert_eq!(head.query.map(|q| text(buf, q)), Some("x"));
}

#[test]
fn asterisk_form_is_accepted_for_options() {
    let buf = b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n";
    assert_eq!(text(buf, complete(buf).path), "*");
}

#[test]
fn well_formed_connect_is_refused_with_400_as_soon_as_its_target_is_read() {
    for target in ["example.com:443", "10.0.0.1:80", "[::1]:8443"] {
        // The error comes from the request line alone, so nothing after it (a tunnelled
        // "request", a second CONNECT) is ever parsed.
        let line = format!("CONNECT {target} HTTP/1.1\r\n");
        assert_eq!(rejected(line.as_bytes()), ParseError::ConnectNotSupported);
        let whole = format!(
            "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\nGET /hidden HTTP/1.1\r\nHost: h\r\n\r\n"
        );
        assert_eq!(rejected(whole.as_bytes()), ParseError::ConnectNotSupported);
        assert_eq!(ParseError::ConnectNotSupported.status(), 400);
    }
}

#[test]
fn a_connect_cut_inside_its_target_is_still_partial() {
    // Only the method and part of the target: still undecided, so still partial.
    assert_eq!(
        parse(b"CONNECT example.com:4").map(|(status, _)| status),
        Ok(Status::Partial)
    );
}

#[test]
fn empty_host_is_allowed() {
    complete(b"GET / HTTP/1.1\r\nHost:\r\n\r\n");
}

#[test]
fn parsing_reuses_the_header_vector_capacity() {
    let mut head = RequestHead::new();
    let big = get_with(&["A: 1"; 60]);
    parse_request_head(&big, &HeadLimits::default(), &mut head).unwrap();
    let cap = head.headers.capacity();
    let small = get_with(&[]);
    parse_request_head(&small, &HeadLimits::default(), &mut head).unwrap();
    assert_eq!(head.headers.len(), 1);
    assert_eq!(head.headers.capacity(), cap);
}

// --- request line rejections ------------------------------------------------------------------

#[test]
fn rejects_a_method_with_a_non_token_byte() {
    assert_eq!(rejected(b"GE(T / HTTP/1.1\r\n"), ParseError::InvalidMethod);
    assert_eq!(
        rejected(b"G\x00T / HTTP/1.1\r\n"),
        ParseError::InvalidMethod
    );
}

#[test]
fn rejects_an_empty_method() {
    assert_eq!(
        rejected(b" / HTTP/1.1\r\nHost: h\r\n\r\n"),
        ParseError::InvalidMethod
    );
}

#[test]
fn rejects_a_tab_as_request_line_separator() {
    assert_eq!(rejected(b"GET\t/ HTTP/1.1\r\n"), ParseError::InvalidMethod);
    assert_eq!(
        rejected(b"GET /\tHTTP/1.1\r\n"),
        ParseError::InvalidRequestLine
    );
}

#[test]
fn rejects_two_spaces_between_method_and_target() {
    assert_eq!(
        rejected(b"GET  / HTTP/1.1\r\n"),
        ParseError::InvalidRequestLine
    );
}

#[test]
fn rejects_two_spaces_between_target_and_version() {
    assert_eq!(rejected(b"GET /  HTTP/1.1\r\n"), ParseError::InvalidVersion);
}

#[test]
fn rejects_a_request_line_without_version() {
    assert_eq!(
        rejected(b"GET /\r\nHost: h\r\n\r\n"),
        ParseError::InvalidRequestLine
    );
}

#[test]
fn rejects_a_space_after_the_version() {
    assert_eq!(
        rejected(b"GET / HTTP/1.1 \r\n"),
        ParseError::InvalidRequestLine
    );
}

#[test]
fn rejects_control_bytes_in_the_target() {
    assert_eq!(
        rejected(b"GET /a\x00b HTTP/1.1\r\n"),
        ParseError::InvalidTarget
    );
    assert_eq!(
        rejected(b"GET /a\x7fb HTTP/1.1\r\n"),
        ParseError::InvalidTarget
    );
    assert_eq!(
        rejected(b"GET /a\x01 HTTP/1.1\r\n"),
        ParseError::InvalidTarget
    );
}

#[test]
fn rejects_raw_non_ascii_in_the_target() {
    assert_eq!(
        rejected(b"GET /caf\xc3\xa9 HTTP/1.1\r\n"),
        ParseError::InvalidTarget
    );
}

#[test]
fn rejects_a_fragment_in_the_target() {
    assert_eq!(
        rejected(b"GET /a#b HTTP/1.1\r\n"),
        ParseError::InvalidTarget
    );
}

#[test]
fn rejects_asterisk_form_for_methods_other_than_options() {
    assert_eq!(
        rejected(b"GET * HTTP/1.1\r\nHost: h\r\n\r\n"),
        ParseError::InvalidTargetForm
    );
}

#[test]
fn rejects_authority_form_for_methods_other_than_connect() {
    assert_eq!(
        rejected(b"GET example.com:80 HTTP/1.1\r\n"),
        ParseError::InvalidTargetForm
    );
    assert_eq!(
        rejected(b"GET example.com HTTP/1.1\r\n"),
        ParseError::InvalidTargetForm
    );
}

#[test]
fn rejects_connect_without_authority_form() {
    assert_eq!(
        rejected(b"CONNECT / HTTP/1.1\r\n"),
        ParseError::InvalidTargetForm
    );
    assert_eq!(
        rejected(b"CONNECT example.com HTTP/1.1\r\n"),
        ParseError::InvalidTargetForm
    );
    assert_eq!(
        rejected(b"CONNECT example.com: HTTP/1.1\r\n"),
        ParseError::InvalidTargetForm
    );
    assert_eq!(
        rejected(b"CONNECT http://a:1/ HTTP/1.1\r\n"),
        ParseError::InvalidTargetForm
    );
    assert_eq!(
        rejected(b"CONNECT []:1 HTTP/1.1\r\n"),
        ParseError::InvalidTargetForm
    );
}

#[test]
fn rejects_absolute_form_without_scheme_or_authority() {
    assert_eq!(
        rejected(b"GET ://a/ HTTP/1.1\r\n"),
        ParseError::InvalidTargetForm
    );
    assert_eq!(
        rejected(b"GET 1http://a/ HTTP/1.1\r\n"),
        ParseError::InvalidTargetForm
    );
    assert_eq!(
        rejected(b"GET http:/// HTTP/1.1\r\n"),
        ParseError::InvalidTargetForm
    );
    assert_eq!(
        rejected(b"GET http:a HTTP/1.1\r\n"),
        ParseError::InvalidTargetForm
    );
}

#[test]
fn rejects_userinfo_in_an_absolute_form_target() {
    assert_eq!(
        rejected(b"GET http://user:pw@a/ HTTP/1.1\r\n"),
        ParseError::InvalidTargetForm
    );
}

#[test]
fn origin_form_has_no_authority() {
    assert_eq!(complete(&get_with(&[])).authority, None);
}

#[test]
fn rejects_a_malformed_version_with_400() {
    for line in [
        "GET / http/1.1",
        "GET / HTTP/11",
        "GET / HTTP/1.x",
        "GET / HTTP/1.10",
        "GET / HTTPS/1.1",
    ] {
        let buf = format!("{line}\r\nHost: h\r\n\r\n");
        let e = rejected(buf.as_bytes());
        assert_eq!(e, ParseError::InvalidVersion, "{line}");
        assert_eq!(e.status(), 400);
    }
}

#[test]
fn rejects_versions_other_than_1_0_and_1_1_with_505() {
    for version in ["HTTP/2.0", "HTTP/0.9", "HTTP/1.2", "HTTP/3.0"] {
        let buf = format!("GET / {version}\r\nHost: h\r\n\r\n");
        let e = rejected(buf.as_bytes());
        assert_eq!(e, ParseError::UnsupportedVersion, "{version}");
        assert_eq!(e.status(), 505);
    }
}

#[test]
fn rejects_the_http2_preface() {
    assert_eq!(
        rejected(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
        ParseError::InvalidTargetForm
    );
}

// --- line endings -----------------------------------------------------------------------------

#[test]
fn rejects_a_bare_lf_after_the_request_line() {
    assert_eq!(
        rejected(b"GET / HTTP/1.1\nHost: h\r\n\r\n"),
        ParseError::BareLf
    );
}

#[test]
fn rejects_a_bare_lf_after_a_field_line() {
    assert_eq!(
        rejected(b"GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n"),
        ParseError::BareLf
    );
}

#[test]
fn rejects_a_bare_lf_as_the_final_blank_line() {
    assert_eq!(
        rejected(b"GET / HTTP/1.1\r\nHost: h\r\n\n"),
        ParseError::BareLf
    );
}

#[test]
fn rejects_a_cr_not_followed_by_lf() {
    assert_eq!(
        rejected(b"GET / HTTP/1.1\rHost: h\r\n\r\n"),
        ParseError::BareCr
    );
    assert_eq!(
        rejected(b"GET / HTTP/1.1\r\nHost: h\rX\r\n\r\n"),
        ParseError::BareCr
    );
    assert_eq!(
        rejected(b"GET / HTTP/1.1\r\nHost: h\r\n\rX"),
        ParseError::BareCr
    );
}

// --- field line rejections --------------------------------------------------------------------

#[test]
fn rejects_obs_fold() {
    assert_eq!(
        rejected(&get_with(&["X-A: 1", " continued"])),
        ParseError::ObsFold
    );
    assert_eq!(
        rejected(&get_with(&["X-A: 1", "\tcontinued"])),
        ParseError::ObsFold
    );
}

#[test]
fn rejects_whitespace_before_the_first_field_line() {
    assert_eq!(
        rejected(b"GET / HTTP/1.1\r\n Host: h\r\n\r\n"),
        ParseError::ObsFold
    );
}

#[test]
fn rejects_an_empty_field_name() {
    assert_eq!(
        rejected(&get_with(&[": value"])),
        ParseError::EmptyHeaderName
    );
}

#[test]
fn rejects_whitespace_between_field_name_and_colon() {
    assert_eq!(
        rejected(&get_with(&["X-A : 1"])),
        ParseError::WhitespaceBeforeColon
    );
    assert_eq!(
        rejected(&get_with(&["X-A\t: 1"])),
        ParseError::WhitespaceBeforeColon
    );
    assert_eq!(
        rejected(b"GET / HTTP/1.1\r\nHost : h\r\n\r\n"),
        ParseError::WhitespaceBeforeColon
    );
}

#[test]
fn rejects_a_non_token_byte_in_a_field_name() {
    for line in [
        "X(A): 1",
        "X/A: 1",
        "X\"A: 1",
        "X\x7fA: 1",
        "\x01X: 1",
        "X\u{e9}: 1",
        "@: 1",
    ] {
        assert_eq!(
            rejected(&get_with(&[line])),
            ParseError::InvalidHeaderName,
            "{line:?}"
        );
    }
}

#[test]
fn rejects_a_field_line_without_colon() {
    assert_eq!(
        rejected(&get_with(&["NoColon"])),
        ParseError::InvalidHeaderName
    );
}

#[test]
fn rejects_nul_in_a_field_value() {
    assert_eq!(
        rejected(&get_with(&["X: a\x00b"])),
        ParseError::InvalidHeaderValue
    );
}

#[test]
fn rejects_control_characters_and_del_in_a_field_value() {
    for c in (0x01u8..0x20)
        .filter(|&c| c != b'\t' && c != b'\r' && c != b'\n')
        .chain([0x7f])
    {
        let line = format!("X: a{}b", c as char);
        assert_eq!(
            rejected(&get_with(&[&line])),
            ParseError::InvalidHeaderValue,
            "{c:#x}"
        );
    }
}

#[test]
fn rejects_a_bare_cr_inside_a_field_value() {
    assert_eq!(rejected(&get_with(&["X: a\rb"])), ParseError::BareCr);
}

// --- Host --------------------------------------------------------------------------------------

#[test]
fn rejects_http_1_1_without_host() {
    let e = rejected(b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n");
    assert_eq!(e, ParseError::MissingHost);
    assert_eq!(e.status(), 400);
}

#[test]
fn rejects_two_host_fields() {
    assert_eq!(rejected(&get_with(&["Host: h"])), ParseError::DuplicateHost);
    assert_eq!(
        rejected(b"GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n"),
        ParseError::DuplicateHost
    );
}

#[test]
fn rejects_an_invalid_host_value() {
    for host in ["a b", "a/b", "a@b", "a?b", "a#b", "a\"b", "caf\u{e9}"] {
        let buf = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        assert_eq!(rejected(buf.as_bytes()), ParseError::InvalidHost, "{host}");
    }
}

// --- Content-Length ----------------------------------------------------------------------------

#[test]
fn rejects_an_invalid_content_length() {
    for value in [
        "+5",
        "-5",
        "5 5",
        "0x5",
        "5,5",
        "5, 5",
        "five",
        "",
        " ",
        "1e3",
        "18446744073709551616",
        "99999999999999999999",
    ] {
        let line = format!("Content-Length: {value}");
        assert_eq!(
            rejected(&get_with(&[&line])),
            ParseError::InvalidContentLength,
            "{value:?}"
        );
    }
}

#[test]
fn rejects_duplicate_content_length_even_with_equal_values() {
    assert_eq!(
        rejected(&get_with(&["Content-Length: 5", "Content-Length: 5"])),
        ParseError::DuplicateContentLength
    );
    assert_eq!(
        rejected(&get_with(&["Content-Length: 5", "content-length: 6"])),
        ParseError::DuplicateContentLength
    );
}

#[test]
fn rejects_content_length_with_transfer_encoding_in_either_order() {
    assert_eq!(
        rejected(&get_with(&[
            "Content-Length: 5",
            "Transfer-Encoding: chunked"
        ])),
        ParseError::ContentLengthWithTransferEncoding
    );
    assert_eq!(
        rejected(&get_with(&[
            "Transfer-Encoding: chunked",
            "Content-Length: 5"
        ])),
        ParseError::ContentLengthWithTransferEncoding
    );
}

// --- Transfer-Encoding -------------------------------------------------------------------------

#[test]
fn rejects_an_unknown_transfer_coding_before_chunked_with_501() {
    let e = rejected(&get_with(&["Transfer-Encoding: gzip, chunked"]));
    assert_eq!(e, ParseError::UnsupportedTransferCoding);
    assert_eq!(e.status(), 501);
    assert_eq!(
        rejected(&get_with(&[
            "Transfer-Encoding: gzip",
            "Transfer-Encoding: chunked"
        ])),
        ParseError::UnsupportedTransferCoding
    );
}

#[test]
fn rejects_transfer_encoding_not_ending_in_chunked() {
    for value in ["chunked, gzip", "gzip", "identity", "gzip;level=1"] {
        let line = format!("Transfer-Encoding: {value}");
        assert_eq!(
            rejected(&get_with(&[&line])),
            ParseError::ChunkedNotFinal,
            "{value}"
        );
    }
    assert_eq!(
        rejected(&get_with(&[
            "Transfer-Encoding: chunked",
            "Transfer-Encoding: gzip"
        ])),
        ParseError::ChunkedNotFinal
    );
}

#[test]
fn rejects_chunked_applied_twice() {
    assert_eq!(
        rejected(&get_with(&["Transfer-Encoding: chunked, chunked"])),
        ParseError::ChunkedNotFinal
    );
    assert_eq!(
        rejected(&get_with(&[
            "Transfer-Encoding: chunked",
            "Transfer-Encoding: chunked"
        ])),
        ParseError::ChunkedNotFinal
    );
}

#[test]
fn rejects_an_empty_or_malformed_transfer_encoding() {
    for value in ["", " , ", "chunked;q=1", "ch\"unked", "chunked x"] {
        let line = format!("Transfer-Encoding: {value}");
        assert_eq!(
            rejected(&get_with(&[&line])),
            ParseError::InvalidTransferEncoding,
            "{value:?}"
        );
    }
}

#[test]
fn rejects_transfer_encoding_in_http_1_0() {
    assert_eq!(
        rejected(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
        ParseError::TransferEncodingInHttp10
    );
}

// --- Expect ------------------------------------------------------------------------------------

#[test]
fn rejects_an_unknown_expectation_with_417() {
    let e = rejected(&get_with(&["Expect: 200-ok"]));
    assert_eq!(e, ParseError::UnsupportedExpectation);
    assert_eq!(e.status(), 417);
    assert_eq!(
        rejected(&get_with(&["Expect: 100-continue, foo"])),
        ParseError::UnsupportedExpectation
    );
}

// --- error catalogue ---------------------------------------------------------------------------

#[test]
fn every_error_maps_to_a_documented_status_and_a_reason() {
    use ParseError::*;
    let all = [
        InvalidMethod,
        InvalidTarget,
        InvalidTargetForm,
        UriTooLong,
        InvalidVersion,
        UnsupportedVersion,
        InvalidRequestLine,
        BareLf,
        BareCr,
        ObsFold,
        EmptyHeaderName,
        InvalidHeaderName,
        WhitespaceBeforeColon,
        InvalidHeaderValue,
        TooManyHeaders,
        HeadTooLarge,
        MissingHost,
        DuplicateHost,
        InvalidHost,
        InvalidContentLength,
        DuplicateContentLength,
        ContentLengthWithTransferEncoding,
        InvalidTransferEncoding,
        ChunkedNotFinal,
        UnsupportedTransferCoding,
        TransferEncodingInHttp10,
        UnsupportedExpectation,
        InvalidChunkSize,
        ChunkSizeOverflow,
        InvalidChunkExtension,
        MissingChunkCrlf,
        InvalidTrailer,
        TrailersTooLarge,
        BodyTooLarge,
    ];
    let mut reasons = std::collections::HashSet::new();
    for e in all {
        assert!(
            [400, 413, 414, 417, 431, 501, 505].contains(&e.status()),
            "{e:?}"
        );
        assert!(!e.reason().is_empty());
        assert!(reasons.insert(e.reason()), "reason of {e:?} is not unique");
        assert!(e.to_string().contains(&e.status().to_string()));
    }
}
