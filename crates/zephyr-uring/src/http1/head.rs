//! The request-head parser: request line, field lines, and the framing/connection semantics
//! derived from them.
//!
//! It is a single forward pass whose every decision depends only on bytes already seen, which
//! gives the property the tests and the fuzzer check: a buffer cut anywhere either yields
//! `Partial` or the very error the whole buffer yields. Running out of bytes is `Partial`; the
//! caller re-parses from the start when more arrive (heads are small, the limits bound the work).

use super::charset::{field_value_end, is_host, is_ows, is_token, target_end, token_end, trim_ows};
use super::{BodyFraming, HeadLimits, ParseError, RequestHead, Span, Status, Version};

/// Parses the request head at the start of `buf` into `head` (cleared first; its header vector
/// keeps its capacity).
///
/// * `Ok(Status::Complete)`: `head` describes the request; the body or the next pipelined request
///   starts at `head.head_len`.
/// * `Ok(Status::Partial)`: the head is incomplete but valid so far; call again with the same
///   bytes followed by more.
/// * `Err(e)`: the request is malformed or over a limit; answer `e.status()` and close. Errors
///   are reported as early as the bytes allow: a head already longer than
///   `limits.max_head_bytes` is `HeadTooLarge` (431), a target already longer than
///   `limits.max_url_len` is `UriTooLong` (414), even while incomplete.
///
/// After `Partial` or `Err` the contents of `head` are unspecified.
///
/// Each call scans from the start of `buf`, so its cost is linear in the bytes given, and
/// bounded by `limits.max_head_bytes`.
///
/// CR and LF bytes before the request line are skipped, as RFC 9112 §2.2 allows for empty lines
/// and llhttp does for any run of them; they count towards `head_len` and `max_head_bytes`.
pub fn parse_request_head(
    buf: &[u8],
    limits: &HeadLimits,
    head: &mut RequestHead,
) -> Result<Status, ParseError> {
    head.clear();
    // Spans are u32, so never look past u32::MAX bytes whatever the limit says.
    let cap = limits.max_head_bytes.min(u32::MAX as usize);
    let window = &buf[..buf.len().min(cap)];
    let result = Parser {
        buf: window,
        pos: 0,
        limits,
        head,
    }
    .parse();
    match result {
        Ok(Status::Partial) if buf.len() > cap => Err(ParseError::HeadTooLarge),
        other => other,
    }
}

/// What the special field lines said, gathered while scanning and judged at the end of the head.
#[derive(Default)]
struct Fields {
    content_length: Option<u64>,
    host_count: u32,
    te_present: bool,
    te_codings: u32,
    te_chunked: u32,
    te_last_chunked: bool,
    te_unknown: bool,
    conn_close: bool,
    conn_keep_alive: bool,
    conn_upgrade: bool,
    upgrade_field: bool,
    expect_continue: bool,
    expect_unknown: bool,
}

struct Parser<'b, 'h> {
    buf: &'b [u8],
    pos: usize,
    limits: &'h HeadLimits,
    head: &'h mut RequestHead,
}

/// Turns `Option<T>` into `T`, or returns `Ok(Status::Partial)` from the enclosing function when
/// the buffer ran out.
macro_rules! need {
    ($e:expr) => {
        match $e {
            Some(v) => v,
            None => return Ok(Status::Partial),
        }
    };
}

#[inline(always)]
fn span(start: usize, end: usize) -> Span {
    // Positions are bounded by the window, itself capped at u32::MAX.
    (start as u32, end as u32)
}

impl Parser<'_, '_> {
    #[inline(always)]
    fn byte(&self, at: usize) -> Option<u8> {
        self.buf.get(at).copied()
    }

    /// Expects CRLF at `self.pos`; advances past it.
    #[inline(always)]
    fn crlf(&mut self) -> Result<Option<()>, ParseError> {
        match self.byte(self.pos) {
            None => Ok(None),
            Some(b'\r') => match self.byte(self.pos + 1) {
                None => Ok(None),
                Some(b'\n') => {
                    self.pos += 2;
                    Ok(Some(()))
                }
                Some(_) => Err(ParseError::BareCr),
            },
            Some(b'\n') => Err(ParseError::BareLf),
            Some(_) => Err(ParseError::InvalidRequestLine),
        }
    }

    fn parse(mut self) -> Result<Status, ParseError> {
        // Empty lines before the request line: llhttp skips any run of CR and LF bytes here
        // (stray line ends after a previous body are common), and so do we.
        while let b'\r' | b'\n' = need!(self.byte(self.pos)) {
            self.pos += 1;
        }

        need!(self.request_line()?);

        let mut fields = Fields::default();
        loop {
            match need!(self.byte(self.pos)) {
                b'\r' | b'\n' => {
                    need!(self.crlf()?);
                    break;
                }
                b' ' | b'\t' => return Err(ParseError::ObsFold),
                b':' => return Err(ParseError::EmptyHeaderName),
                _ => {}
            }
            if self.head.headers.len() >= self.limits.max_headers {
                return Err(ParseError::TooManyHeaders);
            }
            let (name, value) = need!(self.field_line()?);
            self.head.headers.push((name, value));
            let name = &self.buf[name.0 as usize..name.1 as usize];
            let value = &self.buf[value.0 as usize..value.1 as usize];
            fields.record(name, value)?;
        }
        self.head.head_len = self.pos;
        self.finish(&fields)?;
        Ok(Status::Complete)
    }

    /// `method SP request-target SP HTTP-version CRLF`. `None` when the buffer ran out first.
    fn request_line(&mut self) -> Result<Option<()>, ParseError> {
        let buf = self.buf;
        // method
        let start = self.pos;
        let len = match token_end(&buf[start..]) {
            Some(len) => len,
            None => return Ok(None),
        };
        if buf[start + len] != b' ' || len == 0 {
            return Err(ParseError::InvalidMethod);
        }
        self.head.method = span(start, start + len);
        self.pos = start + len + 1; // request-target. Only max_url_len + 1 bytes are looked at, so that 414 and a bad byte
                                    // are both reported at the position where they become known, whatever follows.
        let start = self.pos;
        let max = self.limits.max_url_len;
        let window = &buf[start..buf.len().min(start.saturating_add(max).saturating_add(1))];
        let end = match target_end(window) {
            Some(len) if window[len] == b' ' => start + len,
            Some(len) if len >= max => return Err(ParseError::UriTooLong),
            Some(len) => {
                return Err(match window[len] {
                    b'\r' | b'\n' | b'\t' => ParseError::InvalidRequestLine,
                    _ => ParseError::InvalidTarget,
                })
            }
            None if window.len() > max => return Err(ParseError::UriTooLong),
            None => return Ok(None),
        };
        if end == start {
            return Err(ParseError::InvalidRequestLine);
        }
        self.head.target = span(start, end);
        self.target_form(start, end)?;
        self.pos = end + 1;

        // HTTP-version = "HTTP/" DIGIT "." DIGIT
        const PREFIX: &[u8] = b"HTTP/";
        for (i, &want) in PREFIX.iter().enumerate() {
            match buf.get(self.pos + i) {
                None => return Ok(None),
                Some(&b) if b == want => {}
                Some(_) => return Err(ParseError::InvalidVersion),
            }
        }
        let v = self.pos + PREFIX.len();
        let major = match buf.get(v) {
            None => return Ok(None),
            Some(&b) if b.is_ascii_digit() => b,
            Some(_) => return Err(ParseError::InvalidVersion),
        };
        match buf.get(v + 1) {
            None => return Ok(None),
            Some(b'.') => {}
            Some(_) => return Err(ParseError::InvalidVersion),
        }
        let minor = match buf.get(v + 2) {
            None => return Ok(None),
            Some(&b) if b.is_ascii_digit() => b,
            Some(_) => return Err(ParseError::InvalidVersion),
        };
        self.head.version = match (major, minor) {
            (b'1', b'1') => Version::Http11,
            (b'1', b'0') => Version::Http10,
            _ => return Err(ParseError::UnsupportedVersion),
        };
        self.pos = v + 3;
        match self.byte(self.pos) {
            Some(b) if b.is_ascii_digit() => return Err(ParseError::InvalidVersion),
            _ => {}
        }
        self.crlf()
    }

    /// Checks the request-target's form against the method and fills `path` and `query`
    /// (RFC 9112 §3.2).
    fn target_form(&mut self, start: usize, end: usize) -> Result<(), ParseError> {
        let buf = self.buf;
        let target = &buf[start..end];
        let method = &buf[self.head.method.0 as usize..self.head.method.1 as usize];

        if method == b"CONNECT" {
            // authority-form only: host ":" port. Even a well-formed one is refused: the engine has
            // no tunnel to hand the connection to, and reading on would parse the tunnelled bytes
            // as requests.
            if !is_authority_with_port(target) {
                return Err(ParseError::InvalidTargetForm);
            }
            return Err(ParseError::ConnectNotSupported);
        }
        if target[0] == b'/' {
            self.split_path_query(start, end);
            return Ok(());
        }
        if target == b"*" {
            if method != b"OPTIONS" {
                return Err(ParseError::InvalidTargetForm);
            }
            self.head.path = span(start, end);
            return Ok(());
        }
        // absolute-form: scheme "://" authority path-abempty [ "?" query ], where
        // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). The authority is required: without
        // it `host:port` (authority-form, CONNECT only) would pass as scheme `host`.
        let colon = match target.iter().position(|&b| b == b':') {
            Some(i) => i,
            None => return Err(ParseError::InvalidTargetForm),
        };
        let scheme = &target[..colon];
        let scheme_ok = !scheme.is_empty()
            && scheme[0].is_ascii_alphabetic()
            && scheme
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        if !scheme_ok {
            return Err(ParseError::InvalidTargetForm);
        }
        let auth = start + colon + 1;
        if !buf[auth..end].starts_with(b"//") {
            return Err(ParseError::InvalidTargetForm);
        }
        let auth = auth + 2;
        // The authority runs to the first "/" or "?" (or the end).
        let auth_len = buf[auth..end]
            .iter()
            .position(|&b| b == b'/' || b == b'?')
            .unwrap_or(end - auth);
        // Host characters only: no userinfo (RFC 9110 §4.2.4 says to treat it as an error).
        if auth_len == 0 || !buf[auth..auth + auth_len].iter().all(|&b| is_host(b)) {
            return Err(ParseError::InvalidTargetForm);
        }
        self.head.authority = Some(span(auth, auth + auth_len));
        self.split_path_query(auth + auth_len, end);
        Ok(())
    }

    fn split_path_query(&mut self, start: usize, end: usize) {
        match self.buf[start..end].iter().position(|&b| b == b'?') {
            Some(q) => {
                self.head.path = span(start, start + q);
                self.head.query = Some(span(start + q + 1, end));
            }
            None => self.head.path = span(start, end),
        }
    }

    /// `field-name ":" OWS field-value OWS CRLF`, starting at a byte that is not CR, LF, SP,
    /// HTAB or `:`. Returns the name span and the trimmed value span.
    fn field_line(&mut self) -> Result<Option<(Span, Span)>, ParseError> {
        let buf = self.buf;
        let start = self.pos;
        let len = match token_end(&buf[start..]) {
            Some(len) => len,
            None => return Ok(None),
        };
        let name_end = start + len;
        match buf[name_end] {
            b':' => {}
            b' ' | b'\t' => return Err(ParseError::WhitespaceBeforeColon),
            _ => return Err(ParseError::InvalidHeaderName),
        }
        let mut v = name_end + 1;
        while let Some(&b) = buf.get(v) {
            if !is_ows(b) {
                break;
            }
            v += 1;
        }
        let value_start = v;
        let len = match field_value_end(&buf[v..]) {
            Some(len) => len,
            None => return Ok(None),
        };
        let mut value_end = v + len;
        match buf[value_end] {
            b'\r' => match buf.get(value_end + 1) {
                None => return Ok(None),
                Some(b'\n') => {}
                Some(_) => return Err(ParseError::BareCr),
            },
            b'\n' => return Err(ParseError::BareLf),
            _ => return Err(ParseError::InvalidHeaderValue),
        }
        self.pos = value_end + 2;
        while value_end > value_start && is_ows(buf[value_end - 1]) {
            value_end -= 1;
        }
        Ok(Some((span(start, name_end), span(value_start, value_end))))
    }

    /// Judges the gathered fields once the head is complete and fills the derived flags.
    fn finish(&mut self, f: &Fields) -> Result<(), ParseError> {
        let head = &mut *self.head;
        let http11 = head.version == Version::Http11;
        if http11 && f.host_count == 0 {
            return Err(ParseError::MissingHost);
        }
        if f.te_present {
            if f.content_length.is_some() {
                return Err(ParseError::ContentLengthWithTransferEncoding);
            }
            if !http11 {
                return Err(ParseError::TransferEncodingInHttp10);
            }
            if f.te_codings == 0 {
                return Err(ParseError::InvalidTransferEncoding);
            }
            if !f.te_last_chunked {
                return Err(ParseError::ChunkedNotFinal);
            }
            if f.te_unknown {
                return Err(ParseError::UnsupportedTransferCoding);
            }
            if f.te_chunked > 1 {
                return Err(ParseError::ChunkedNotFinal);
            }
            head.body = BodyFraming::Chunked;
        } else {
            head.body = match f.content_length {
                None | Some(0) => BodyFraming::None,
                Some(n) => BodyFraming::Length(n),
            };
        }
        if f.expect_unknown {
            return Err(ParseError::UnsupportedExpectation);
        }
        head.expect_continue = http11 && f.expect_continue;
        head.keep_alive = !f.conn_close && (http11 || f.conn_keep_alive);
        head.upgrade = http11 && f.conn_upgrade && f.upgrade_field;
        Ok(())
    }
}

impl Fields {
    /// Notes what a field line means if its name is one the parser cares about. Errors that a
    /// single line proves (a second Host or Content-Length, a bad Content-Length) are raised here.
    fn record(&mut self, name: &[u8], value: &[u8]) -> Result<(), ParseError> {
        match name.len() {
            4 if is_name(name, b"host") => {
                self.host_count += 1;
                if self.host_count > 1 {
                    return Err(ParseError::DuplicateHost);
                }
                if !value.iter().fold(true, |ok, &b| ok & is_host(b)) {
                    return Err(ParseError::InvalidHost);
                }
            }
            14 if is_name(name, b"content-length") => {
                if self.content_length.is_some() {
                    return Err(ParseError::DuplicateContentLength);
                }
                self.content_length = Some(parse_content_length(value)?);
            }
            17 if is_name(name, b"transfer-encoding") => {
                self.te_present = true;
                for element in value.split(|&b| b == b',') {
                    let element = trim_ows(element);
                    if element.is_empty() {
                        continue; // empty list elements are ignored (RFC 9110 §5.6.1)
                    }
                    self.te_codings += 1;
                    let (coding, has_params) = match element.iter().position(|&b| b == b';') {
                        Some(i) => (trim_ows(&element[..i]), true),
                        None => (element, false),
                    };
                    if !is_token(coding) {
                        return Err(ParseError::InvalidTransferEncoding);
                    }
                    if coding.eq_ignore_ascii_case(b"chunked") {
                        if has_params {
                            return Err(ParseError::InvalidTransferEncoding);
                        }
                        self.te_chunked += 1;
                        self.te_last_chunked = true;
                    } else {
                        self.te_unknown = true;
                        self.te_last_chunked = false;
                    }
                }
            }
            10 if is_name(name, b"connection") => {
                for token in value.split(|&b| b == b',') {
                    let token = trim_ows(token);
                    if token.eq_ignore_ascii_case(b"close") {
                        self.conn_close = true;
                    } else if token.eq_ignore_ascii_case(b"keep-alive") {
                        self.conn_keep_alive = true;
                    } else if token.eq_ignore_ascii_case(b"upgrade") {
                        self.conn_upgrade = true;
                    }
                }
            }
            7 if is_name(name, b"upgrade") && !value.is_empty() => {
                self.upgrade_field = true;
            }
            6 if is_name(name, b"expect") => {
                for element in value.split(|&b| b == b',') {
                    let element = trim_ows(element);
                    if element.is_empty() {
                        continue;
                    }
                    if element.eq_ignore_ascii_case(b"100-continue") {
                        self.expect_continue = true;
                    } else {
                        self.expect_unknown = true;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Whether the field name `name` (already known to be a token) is `lower`, ignoring ASCII case.
/// `b | 0x20` lowercases letters and leaves `-` alone; no other `tchar` maps onto a letter or `-`,
/// so the comparison is exact for tokens, and it runs without a branch per byte.
#[inline(always)]
fn is_name(name: &[u8], lower: &[u8]) -> bool {
    name.len() == lower.len()
        && name
            .iter()
            .zip(lower)
            .fold(0, |diff, (&a, &b)| diff | ((a | 0x20) ^ b))
            == 0
}

/// `Content-Length = 1*DIGIT`, fitting in u64. The value is already trimmed of OWS.
fn parse_content_length(value: &[u8]) -> Result<u64, ParseError> {
    if value.is_empty() {
        return Err(ParseError::InvalidContentLength);
    }
    let mut n: u64 = 0;
    for &b in value {
        if !b.is_ascii_digit() {
            return Err(ParseError::InvalidContentLength);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or(ParseError::InvalidContentLength)?;
    }
    Ok(n)
}

/// authority-form with a mandatory port, as CONNECT requires: `host ":" port`, where host is a
/// reg-name / IPv4 or a bracketed IP-literal.
fn is_authority_with_port(target: &[u8]) -> bool {
    let colon = match target.iter().rposition(|&b| b == b':') {
        Some(i) => i,
        None => return false,
    };
    let (host, port) = (&target[..colon], &target[colon + 1..]);
    if host.is_empty() || port.is_empty() || !port.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if host[0] == b'[' {
        host.len() > 2
            && host[host.len() - 1] == b']'
            && host[1..host.len() - 1]
                .iter()
                .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    } else {
        host.iter()
            .all(|&b| is_host(b) && b != b':' && b != b'[' && b != b']')
    }
}
