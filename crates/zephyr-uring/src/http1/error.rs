//! Why a request was rejected. One variant per rule, so a test (or a log line) names the rule that
//! fired, and each maps to the status code the engine answers with before closing the connection.

use std::fmt;

/// A request the parser refuses. After any of these the connection cannot be trusted to be in
/// sync with the peer: answer with [`ParseError::status`] and close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseError {
    // --- request line -------------------------------------------------------------------------
    /// The method is empty or contains a byte that is not a `tchar` (RFC 9110 §5.6.2).
    InvalidMethod,
    /// The request-target is empty or contains a byte outside the URI character set (RFC 3986).
    InvalidTarget,
    /// The request-target's form does not fit the method: `*` is only for OPTIONS, authority-form
    /// only (and always) for CONNECT, otherwise origin-form or absolute-form (RFC 9112 §3.2).
    InvalidTargetForm,
    /// A well-formed CONNECT (authority-form `host:port`): the engine has no tunnel to hand the
    /// connection to, so it refuses and closes rather than read the tunnel's bytes as requests
    /// (400, as nginx answers).
    ConnectNotSupported,
    /// The request-target is longer than [`HeadLimits::max_url_len`](super::HeadLimits).
    UriTooLong,
    /// The version is not `HTTP/` DIGIT `.` DIGIT.
    InvalidVersion,
    /// A well-formed version other than HTTP/1.0 or HTTP/1.1.
    UnsupportedVersion,
    /// The request line is not exactly `method SP target SP version CRLF` (extra spaces, tabs,
    /// missing parts).
    InvalidRequestLine,
    // --- line endings -------------------------------------------------------------------------
    /// A line ends in LF without the CR before it (RFC 9112 §2.2 allows rejecting; llhttp does).
    BareLf,
    /// A CR not followed by LF.
    BareCr,
    // --- field lines --------------------------------------------------------------------------
    /// A field line starts with SP or HTAB: obsolete line folding (RFC 9112 §5.2).
    ObsFold,
    /// A field line starts with `:`.
    EmptyHeaderName,
    /// A field name contains a byte that is not a `tchar`, or the line has no `:`.
    InvalidHeaderName,
    /// SP or HTAB between the field name and the colon (RFC 9112 §5.1 says MUST reject with 400).
    WhitespaceBeforeColon,
    /// A field value contains NUL, a bare CR, DEL or another control character other than HTAB.
    InvalidHeaderValue,
    /// More field lines than [`HeadLimits::max_headers`](super::HeadLimits).
    TooManyHeaders,
    /// The head (request line, field lines and blank line) is longer than
    /// [`HeadLimits::max_head_bytes`](super::HeadLimits).
    HeadTooLarge,
    // --- semantics of specific fields ---------------------------------------------------------
    /// An HTTP/1.1 request without a Host field (RFC 9112 §3.2).
    MissingHost,
    /// More than one Host field line (RFC 9112 §3.2).
    DuplicateHost,
    /// A Host value that is not `uri-host [ ":" port ]`.
    InvalidHost,
    /// Content-Length is not `1*DIGIT` (sign, inner space, comma list, non-digit) or overflows u64.
    InvalidContentLength,
    /// More than one Content-Length field line, even with equal values (as llhttp).
    DuplicateContentLength,
    /// Both Content-Length and Transfer-Encoding: the classic request-smuggling vector
    /// (RFC 9112 §6.3 allows, llhttp strict mode requires, rejecting).
    ContentLengthWithTransferEncoding,
    /// Transfer-Encoding is empty or syntactically broken.
    InvalidTransferEncoding,
    /// Transfer-Encoding whose final coding is not `chunked`, so the body length cannot be known
    /// (RFC 9112 §6.3), or `chunked` applied more than once.
    ChunkedNotFinal,
    /// Transfer-Encoding names a coding other than `chunked` (RFC 9112 §6.1: 501).
    UnsupportedTransferCoding,
    /// Transfer-Encoding in an HTTP/1.0 request: framing must be treated as faulty (RFC 9112 §6.1).
    TransferEncodingInHttp10,
    /// An Expect value other than `100-continue` (RFC 9110 §10.1.1: 417).
    UnsupportedExpectation,
    // --- chunked body -------------------------------------------------------------------------
    /// A chunk size that is empty or not hexadecimal.
    InvalidChunkSize,
    /// A chunk size that does not fit in 64 bits.
    ChunkSizeOverflow,
    /// A malformed chunk extension (RFC 9112 §7.1.1), or a chunk-size line longer than the
    /// decoder accepts.
    InvalidChunkExtension,
    /// Chunk data not followed by CRLF.
    MissingChunkCrlf,
    /// A malformed trailer field line.
    InvalidTrailer,
    /// The trailer section is longer than the decoder accepts.
    TrailersTooLarge,
    /// The decoded body is longer than the decoder's `max_body`.
    BodyTooLarge,
}

impl ParseError {
    /// The HTTP status code to answer with: 400, 413, 414, 417, 431, 501 or 505.
    pub fn status(&self) -> u16 {
        use ParseError::*;
        match self {
            UriTooLong => 414,
            UnsupportedVersion => 505,
            TooManyHeaders | HeadTooLarge | TrailersTooLarge => 431,
            UnsupportedTransferCoding => 501,
            UnsupportedExpectation => 417,
            BodyTooLarge => 413,
            InvalidMethod
            | InvalidTarget
            | InvalidTargetForm
            | ConnectNotSupported
            | InvalidVersion
            | InvalidRequestLine
            | BareLf
            | BareCr
            | ObsFold
            | EmptyHeaderName
            | InvalidHeaderName
            | WhitespaceBeforeColon
            | InvalidHeaderValue
            | MissingHost
            | DuplicateHost
            | InvalidHost
            | InvalidContentLength
            | DuplicateContentLength
            | ContentLengthWithTransferEncoding
            | InvalidTransferEncoding
            | ChunkedNotFinal
            | TransferEncodingInHttp10
            | InvalidChunkSize
            | ChunkSizeOverflow
            | InvalidChunkExtension
            | MissingChunkCrlf
            | InvalidTrailer => 400,
        }
    }

    /// A short English sentence naming the rule, suitable for a log line or an error body.
    pub fn reason(&self) -> &'static str {
        use ParseError::*;
        match self {
            InvalidMethod => "invalid method",
            InvalidTarget => "invalid character in request-target",
            InvalidTargetForm => "request-target form not allowed for this method",
            ConnectNotSupported => "CONNECT is not supported (no tunnel)",
            UriTooLong => "request-target too long",
            InvalidVersion => "malformed HTTP version",
            UnsupportedVersion => "HTTP version not supported",
            InvalidRequestLine => "malformed request line",
            BareLf => "line ends in LF without CR",
            BareCr => "CR not followed by LF",
            ObsFold => "obsolete line folding in field line",
            EmptyHeaderName => "empty field name",
            InvalidHeaderName => "invalid field name",
            WhitespaceBeforeColon => "whitespace between field name and colon",
            InvalidHeaderValue => "invalid character in field value",
            TooManyHeaders => "too many field lines",
            HeadTooLarge => "request head too large",
            MissingHost => "missing Host field",
            DuplicateHost => "more than one Host field",
            InvalidHost => "invalid Host value",
            InvalidContentLength => "invalid Content-Length",
            DuplicateContentLength => "more than one Content-Length field",
            ContentLengthWithTransferEncoding => "both Content-Length and Transfer-Encoding",
            InvalidTransferEncoding => "invalid Transfer-Encoding",
            ChunkedNotFinal => "chunked is not the final transfer coding, or is applied twice",
            UnsupportedTransferCoding => "unsupported transfer coding",
            TransferEncodingInHttp10 => "Transfer-Encoding in an HTTP/1.0 request",
            UnsupportedExpectation => "unsupported expectation",
            InvalidChunkSize => "invalid chunk size",
            ChunkSizeOverflow => "chunk size does not fit in 64 bits",
            InvalidChunkExtension => "invalid chunk extension",
            MissingChunkCrlf => "chunk data not followed by CRLF",
            InvalidTrailer => "invalid trailer field",
            TrailersTooLarge => "trailer section too large",
            BodyTooLarge => "request body too large",
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.reason(), self.status())
    }
}

impl std::error::Error for ParseError {}
