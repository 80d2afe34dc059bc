//! Specification tests of the HTTP/1.1 parser: one test per rule, named as the rule.

mod chunked_rules;
mod head_rules;
mod limits;
mod pipelining;
mod response_rules;
mod splits;

use super::*;

/// Parses `buf` with the default limits.
fn parse(buf: &[u8]) -> Result<(Status, RequestHead), ParseError> {
    parse_with(buf, &HeadLimits::default())
}

fn parse_with(buf: &[u8], limits: &HeadLimits) -> Result<(Status, RequestHead), ParseError> {
    let mut head = RequestHead::new();
    let status = parse_request_head(buf, limits, &mut head)?;
    Ok((status, head))
}

/// Parses a complete head, panicking with the error otherwise.
fn complete(buf: &[u8]) -> RequestHead {
    match parse(buf) {
        Ok((Status::Complete, head)) => head,
        other => panic!(
            "expected a complete head for {:?}, got {other:?}",
            String::from_utf8_lossy(buf)
        ),
    }
}

/// The error a head is rejected with, panicking if it is accepted.
fn rejected(buf: &[u8]) -> ParseError {
    match parse(buf) {
        Err(e) => e,
        Ok(other) => panic!(
            "expected {:?} to be rejected, got {other:?}",
            String::from_utf8_lossy(buf)
        ),
    }
}

/// `GET / HTTP/1.1`, `Host: h`, then `fields` (each a full line without CRLF), then the blank line.
fn get_with(fields: &[&str]) -> Vec<u8> {
    let mut s = String::from("GET / HTTP/1.1\r\nHost: h\r\n");
    for f in fields {
        s.push_str(f);
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// Decodes `input` in one call with a generous body limit; returns the body and what was done.
fn decode_all(input: &[u8]) -> Result<(Vec<u8>, Decoded), ParseError> {
    let mut decoder = ChunkedDecoder::new(1 << 20);
    let mut body = Vec::new();
    let done = decoder.decode(input, &mut |d| body.extend_from_slice(d))?;
    Ok((body, done))
}
