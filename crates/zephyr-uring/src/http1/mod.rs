//! Strict HTTP/1.1 (RFC 9112 / RFC 9110) request parsing and response writing for the engine.
//!
//! Everything here works on borrowed byte buffers and reports positions as [`Span`]s, so parsing a
//! request allocates nothing in steady state: [`RequestHead`] is reused across requests and keeps
//! the capacity of its header vector.
//!
//! * [`parse_request_head`] parses the request line and field lines; it is restartable: call it
//!   again on the same (grown) buffer after [`Status::Partial`].
//! * [`ChunkedDecoder`] decodes a chunked body incrementally across arbitrary read boundaries.
//! * [`write_response_head`], [`write_chunk`], [`write_last_chunk`] and [`DateCache`] produce the
//!   response side.
//!
//! The parser is as strict as llhttp in strict mode: anything ambiguous that could desynchronise
//! a proxy and this server (CL + TE, duplicate Content-Length, obs-fold, bare LF, …) is rejected
//! with a [`ParseError`] whose [`ParseError::status`] is the status code to answer before closing.
//!
//! Where llhttp and RFC 9112 differ, the choice made here:
//! * Methods: any token is accepted (llhttp only knows a fixed list); routing answers 501/405.
//! * Request line: exactly one SP between parts (llhttp skips extra spaces).
//! * Request-target: visible ASCII (as llhttp strict) without `#`; origin-form, absolute-form
//!   `scheme://authority…`, `*` for OPTIONS only, authority-form `host:port` for CONNECT only.
//! * CONNECT is refused with 400 even when well-formed: there is no tunnel API, and reading on
//!   would parse the tunnel's bytes as requests.
//! * Versions: only HTTP/1.0 and HTTP/1.1 (others are 505; llhttp also parses 0.9 and 2.0).
//! * Transfer-Encoding in an HTTP/1.0 request is refused (RFC 9112 §6.1: framing is faulty);
//!   llhttp would decode it. A coding other than `chunked` is 501 when `chunked` is last, 400
//!   otherwise (RFC 9112 §6.3).
//! * Duplicate Content-Length is refused even with equal values (as llhttp).
//! * CR and LF bytes before the request line are skipped (as llhttp).
//! * Chunk-size lines allow no whitespace at all (as llhttp strict, although RFC 9112 tolerates
//!   BWS around `;` and `=`); extension names and values must be non-empty.
//! * Host must be `uri-host [":" port]` characters; Expect other than `100-continue` is 417.
//!
//! ```
//! use zephyr_uring::http1::{parse_request_head, HeadLimits, RequestHead, Status, BodyFraming};
//!
//! let buf = b"GET /hello?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n";
//! let mut head = RequestHead::new();
//! let status = parse_request_head(buf, &HeadLimits::default(), &mut head).unwrap();
//! assert_eq!(status, Status::Complete);
//! assert_eq!(head.slice(buf, head.path), b"/hello");
//! assert_eq!(head.query.map(|q| head.slice(buf, q)), Some(&b"x=1"[..]));
//! assert_eq!(head.header(buf, b"host"), Some(&b"example.com"[..]));
//! assert_eq!(head.body, BodyFraming::None);
//! assert_eq!(head.head_len, buf.len());
//! ```

mod charset;
mod chunked;
mod date;
mod error;
mod framing;
mod head;
mod response;

pub use chunked::{ChunkedDecoder, Decoded, MAX_CHUNK_LINE_BYTES, MAX_TRAILER_BYTES};
pub use date::DateCache;
pub use error::ParseError;
pub use framing::{keep_alive_hint_secs, RequestFacts, ResponseWriter};
pub use head::parse_request_head;
pub use response::{
    is_valid_field, reason_phrase, write_chunk, write_last_chunk, write_response_head,
    ResponseFraming,
};

/// `[start, end)` byte offsets into the buffer that was parsed.
pub type Span = (u32, u32);

/// Limits applied while parsing a request head. Exceeding one is an error, never a truncation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadLimits {
    /// Longest accepted head: request line, field lines and the final blank line (and any empty
    /// lines skipped before the request line). Default 16384. Longer: 431.
    pub max_head_bytes: usize,
    /// Most field lines accepted. Default 100. More: 431.
    pub max_headers: usize,
    /// Longest accepted request-target. Default 8192. Longer: 414.
    pub max_url_len: usize,
}

impl Default for HeadLimits {
    fn default() -> Self {
        HeadLimits {
            max_head_bytes: 16384,
            max_headers: 100,
            max_url_len: 8192,
        }
    }
}

/// The protocol version of a request. Only these two are accepted; others get 505.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    Http10,
    Http11,
    /// A request that came as an HTTP/2 stream (laid out as a head by the h2 session).
    Http2,
    /// A request that came as an HTTP/3 stream (laid out as a head by the h3 session).
    Http3,
}

impl Version {
    /// The version as it appears on the wire, e.g. `b"HTTP/1.1"`.
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            Version::Http10 => b"HTTP/1.0",
            Version::Http11 => b"HTTP/1.1",
            Version::Http2 => b"HTTP/2",
            Version::Http3 => b"HTTP/3",
        }
    }
}

/// How the request body is delimited (RFC 9112 §6.3). A request with neither Content-Length nor
/// Transfer-Encoding has no body; `Content-Length: 0` is also reported as [`BodyFraming::None`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyFraming {
    /// No body: the next request starts right after the head.
    None,
    /// Exactly this many bytes (never 0) follow the head.
    Length(u64),
    /// A chunked body follows: feed it to a [`ChunkedDecoder`].
    Chunked,
}

/// A parsed request head. All spans index the buffer given to [`parse_request_head`].
///
/// Create one per connection with [`RequestHead::new`] and reuse it: parsing clears it but keeps
/// the capacity of `headers`, so steady-state parsing does not allocate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The method, e.g. `GET`. Any token is accepted; routing decides what is implemented.
    pub method: Span,
    /// The whole request-target as sent.
    pub target: Span,
    /// The path: for origin-form the target up to `?`; for absolute-form the path after the
    /// authority (empty when the URI has none, meaning `/`); for asterisk-form the whole target.
    pub path: Span,
    /// The query after `?` (without the `?`), if the target has one.
    pub query: Option<Span>,
    /// The authority (`host[:port]`) of an absolute-form target. When present
    /// it, not the Host field, names the target host (RFC 9112 §3.2.2).
    pub authority: Option<Span>,
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// `(name, value)` per field line in order; names as sent, values without leading and trailing
    /// whitespace.
    pub headers: Vec<(Span, Span)>,
    /// Bytes from the start of the buffer to the end of the blank line ending the head, including
    /// any empty lines skipped before the request line: the body (or next request) starts here.
    pub head_len: usize,
    /// How the body is framed.
    pub body: BodyFraming,
    /// Whether the connection may be reused after this request: HTTP/1.1 unless `Connection:
    /// close`; HTTP/1.0 only with `Connection: keep-alive` (and no `close`).
    pub keep_alive: bool,
    /// The client sent `Expect: 100-continue` on HTTP/1.1 and waits for a `100 Continue` before
    /// sending the body (ignored on HTTP/1.0, as RFC 9110 §10.1.1 requires).
    pub expect_continue: bool,
    /// HTTP/1.1 request with an `upgrade` token in Connection and an Upgrade field: the seam for
    /// WebSocket and h2c. The caller reads the Upgrade value with [`RequestHead::header`].
    pub upgrade: bool,
}

impl Default for RequestHead {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestHead {
    /// An empty head with room for 32 field lines (the vector grows if needed and keeps its
    /// capacity afterwards).
    pub fn new() -> Self {
        RequestHead {
            method: (0, 0),
            target: (0, 0),
            path: (0, 0),
            query: None,
            authority: None,
            version: Version::Http11,
            headers: Vec::with_capacity(32),
            head_len: 0,
            body: BodyFraming::None,
            keep_alive: false,
            expect_continue: false,
            upgrade: false,
        }
    }

    /// Resets every field, keeping the capacity of `headers`.
    pub(crate) fn clear(&mut self) {
        self.method = (0, 0);
        self.target = (0, 0);
        self.path = (0, 0);
        self.query = None;
        self.authority = None;
        self.version = Version::Http11;
        self.headers.clear();
        self.head_len = 0;
        self.body = BodyFraming::None;
        self.keep_alive = false;
        self.expect_continue = false;
        self.upgrade = false;
    }

    /// The value of the first field named `name` (ASCII case-insensitive), sliced from `buf`,
    /// which must be the buffer that was parsed.
    ///
    /// ```
    /// # use zephyr_uring::http1::*;
    /// let buf = b"GET / HTTP/1.1\r\nHost: a\r\nX-Id:  7 \r\n\r\n";
    /// let mut head = RequestHead::new();
    /// parse_request_head(buf, &HeadLimits::default(), &mut head).unwrap();
    /// assert_eq!(head.header(buf, b"x-id"), Some(&b"7"[..]));
    /// assert_eq!(head.header(buf, b"accept"), None);
    /// ```
    pub fn header<'a>(&self, buf: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
        self.headers.iter().find_map(|&(n, v)| {
            let field = buf.get(n.0 as usize..n.1 as usize)?;
            if field.eq_ignore_ascii_case(name) {
                buf.get(v.0 as usize..v.1 as usize)
            } else {
                None
            }
        })
    }

    /// The bytes of `span` in `buf` (empty if the span does not fit `buf`, which only happens when
    /// `buf` is not the buffer that was parsed).
    pub fn slice<'a>(&self, buf: &'a [u8], span: Span) -> &'a [u8] {
        buf.get(span.0 as usize..span.1 as usize).unwrap_or(&[])
    }
}

/// Result of a parse step that can run out of input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// The head is complete; `RequestHead::head_len` bytes were used.
    Complete,
    /// More bytes are needed: call again with the same buffer extended by what arrives next.
    Partial,
}

#[cfg(test)]
mod tests;
