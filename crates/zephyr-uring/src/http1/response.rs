//! Writing response heads and chunked framing into a reusable output buffer.

use super::charset::{is_field_value, is_token};
use super::Version;

/// How the response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseFraming {
    /// `content-length: n` is written.
    Length(u64),
    /// `transfer-encoding: chunked` is written; send the body with [`write_chunk`] and finish with
    /// [`write_last_chunk`]. Only valid for HTTP/1.1 peers.
    Chunked,
    /// No framing field: for 1xx, 204 and 304 responses, and HEAD responses sent without a length.
    None,
}

/// Appends a response head (status line, `date`, the given fields, framing and connection fields,
/// final CRLF) to `out`.
///
/// * `status` outside 100..=999 is written as 500: a status line must carry three digits.
/// * `date` is written as a `date` field unless empty (use [`DateCache::get`](super::DateCache)).
/// * A field whose name is not a token or whose value holds CR, LF, NUL or another control
///   character is skipped, so a value that slipped past validation can never split the response.
///   Callers validate earlier with [`is_valid_field`] to report such values to the user.
/// * `keep_alive == false` writes `connection: close`; for an HTTP/1.0 peer `keep_alive == true`
///   writes `connection: keep-alive`.
///
/// ```
/// use zephyr_uring::http1::{write_response_head, ResponseFraming, Version};
/// let mut out = Vec::new();
/// write_response_head(&mut out, Version::Http11, 200, &[(b"content-type", b"text/plain")],
///     ResponseFraming::Length(5), true, b"Sun, 06 Nov 1994 08:49:37 GMT");
/// assert_eq!(out, b"HTTP/1.1 200 OK\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
///     content-type: text/plain\r\ncontent-length: 5\r\n\r\n");
/// ```
pub fn write_response_head(
    out: &mut Vec<u8>,
    version: Version,
    status: u16,
    headers: &[(&[u8], &[u8])],
    framing: ResponseFraming,
    keep_alive: bool,
    date: &[u8],
) {
    let status = if (100..=999).contains(&status) {
        status
    } else {
        500
    };
    out.extend_from_slice(version.as_bytes());
    out.push(b' ');
    out.extend_from_slice(&[
        b'0' + (status / 100) as u8,
        b'0' + (status / 10 % 10) as u8,
        b'0' + (status % 10) as u8,
        b' ',
    ]);
    out.extend_from_slice(reason_phrase(status).as_bytes());
    out.extend_from_slice(b"\r\n");
    if !date.is_empty() && date.iter().all(|&b| is_field_value(b)) {
        out.extend_from_slice(b"date: ");
        out.extend_from_slice(date);
        out.extend_from_slice(b"\r\n");
    }
    for &(name, value) in headers {
        if !is_valid_field(name, value) {
            continue;
        }
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    match framing {
        ResponseFraming::Length(n) => {
            out.extend_from_slice(b"content-length: ");
            write_decimal(out, n);
            out.extend_from_slice(b"\r\n");
        }
        ResponseFraming::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        ResponseFraming::None => {}
    }
    if !keep_alive {
        out.extend_from_slice(b"connection: close\r\n");
    } else if version == Version::Http10 {
        out.extend_from_slice(b"connection: keep-alive\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// Whether `name: value` can be written as a response field: the name a token, the value made of
/// HTAB, SP, visible ASCII and obs-text only (no CR, LF, NUL or other controls).
pub fn is_valid_field(name: &[u8], value: &[u8]) -> bool {
    is_token(name) && value.iter().all(|&b| is_field_value(b))
}

/// Appends one chunk (`size-in-hex CRLF data CRLF`). Empty `data` writes nothing, since an empty
/// chunk would end the body.
pub fn write_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    write_chunk_header(out, data.len());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Appends the `size-in-hex CRLF` line that opens a chunk of `len` (> 0) bytes.
pub(crate) fn write_chunk_header(out: &mut Vec<u8>, len: usize) {
    let mut hex = [0u8; 16];
    let mut n = len as u64;
    let mut i = hex.len();
    while n > 0 {
        i -= 1;
        hex[i] = b"0123456789abcdef"[(n & 0xf) as usize];
        n >>= 4;
    }
    out.extend_from_slice(&hex[i..]);
    out.extend_from_slice(b"\r\n");
}

/// Appends the last chunk and an empty trailer section: `0 CRLF CRLF`.
pub fn write_last_chunk(out: &mut Vec<u8>) {
    out.extend_from_slice(b"0\r\n\r\n");
}

pub(crate) fn write_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// The reason phrase registered for `status` (RFC 9110 §15 and the IANA registry), or `""` for an
/// unregistered code (a status line may carry an empty reason).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        102 => "Processing",
        103 => "Early Hints",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        208 => "Already Reported",
        226 => "IM Used",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        423 => "Locked",
        424 => "Failed Dependency",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        506 => "Variant Also Negotiates",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        510 => "Not Extended",
        511 => "Network Authentication Required",
        _ => "",
    }
}
