//! What HTTP/2 and HTTP/3 streams share on the request side: laying a request out from its
//! pseudo-headers as the HTTP/1 parser would have (so the sink records all three the same way),
//! the limits the engine answers itself (414/431/413, as HTTP/1 does), and handing the body to
//! the sink.

use crate::conn::{ConnId, ConnLimits, EventSink, BODY_CHUNK_MAX};
use crate::http1::{BodyFraming, RequestHead, Version};

/// A request's pseudo-headers and fields as both HTTP/2 and HTTP/3 decode them.
pub(crate) struct StreamRequest<'a> {
    pub method: &'a str,
    /// `:authority`, when the request has one.
    pub authority: Option<&'a str>,
    /// `:path`; empty for CONNECT.
    pub path: &'a str,
    pub headers: &'a [(Vec<u8>, Vec<u8>)],
}

/// Lays `request` out in `head` as spans into `scratch` (cleared first); `:authority` becomes
/// `host` when the request has none. Returns whether it is a HEAD request.
pub(crate) fn lay_out(
    request: &StreamRequest<'_>,
    version: Version,
    head: &mut RequestHead,
    scratch: &mut Vec<u8>,
) -> bool {
    let buf = scratch;
    buf.clear();
    head.headers.clear();
    let span = |buf: &mut Vec<u8>, bytes: &[u8]| {
        let start = buf.len() as u32;
        buf.extend_from_slice(bytes);
        (start, buf.len() as u32)
    };
    head.method = span(buf, request.method.as_bytes());
    // CONNECT has no path: its target is the authority (authority-form).
    let target = if request.path.is_empty() {
        request.authority.unwrap_or("")
    } else {
        request.path
    };
    head.target = span(buf, target.as_bytes());
    let (path_part, query) = match target.find('?') {
        Some(q) => (q, Some((head.target.0 + q as u32 + 1, head.target.1))),
        None => (target.len(), None),
    };
    head.path = (head.target.0, head.target.0 + path_part as u32);
    head.query = query;
    head.authority = None;
    head.version = version;
    let has_host = request.headers.iter().any(|(n, _)| n == b"host");
    if let (Some(authority), false) = (request.authority, has_host) {
        let n = span(buf, b"host");
        let v = span(buf, authority.as_bytes());
        head.headers.push((n, v));
    }
    for (name, value) in request.headers {
        let n = span(buf, name);
        let v = span(buf, value);
        head.headers.push((n, v));
    }
    head.head_len = 0;
    head.body = BodyFraming::None;
    head.keep_alive = true;
    head.expect_continue = false;
    head.upgrade = false;
    request.method == "HEAD"
}

/// The status the engine answers a request laid out in `head`/`scratch` with instead of the
/// application, when it is past a limit HTTP/1 enforces too.
pub(crate) fn refusal(
    head: &RequestHead,
    scratch: &[u8],
    limits: &ConnLimits,
    body_follows: bool,
) -> Option<u16> {
    if (head.target.1 - head.target.0) as usize > limits.head.max_url_len {
        return Some(414);
    }
    if head.headers.len() > limits.head.max_headers {
        return Some(431);
    }
    let declared = head
        .header(scratch, b"content-length")
        .and_then(|v| std::str::from_utf8(v).ok()?.parse::<u64>().ok());
    if body_follows && declared.is_some_and(|n| n > limits.max_body_bytes) {
        return Some(413);
    }
    None
}

/// Hands a piece of request body (`end`: the body's last) to the sink in pieces of at most
/// `BODY_CHUNK_MAX`, from `*sent` on: what an earlier call delivered before the sink ran out of
/// room. Returns `false` when the sink has no room (call again later with the same bytes).
pub(crate) fn deliver_body(
    sink: &mut dyn EventSink,
    conn: ConnId,
    seq: u32,
    bytes: &[u8],
    end: bool,
    sent: &mut usize,
) -> bool {
    let n = bytes.len();
    while *sent < n || (end && *sent == n) {
        let from = *sent;
        let piece = (n - from).min(BODY_CHUNK_MAX);
        if !sink.has_room(piece) {
            return false;
        }
        let last = end && from + piece == n;
        sink.body(conn, seq, &bytes[from..from + piece], last);
        *sent += piece;
        if last {
            break;
        }
    }
    true
}
