//! The HTTP/1 framing of one response, decided in one place: which framing field the head gets
//! (`content-length`, `transfer-encoding: chunked`, or none), whether a body may follow at all
//! (never for HEAD, 1xx, 204 and 304: RFC 9110 §6.4.1, §9.3.2), and whether the connection
//! closes after it. The application says what it means (status, fields, a length when it knows
//! one, body bytes, end); [`ResponseWriter`] writes the wire format for it.

use super::charset::is_field_value;
use super::response::{is_valid_field, reason_phrase, write_chunk_header, write_decimal};
use super::Version;

/// What the framing of a response depends on from its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestFacts {
    /// The request method was HEAD.
    pub head: bool,
    pub version: Version,
    /// The request allows the connection to stay open after the response.
    pub keep_alive: bool,
    /// The request asked for a protocol upgrade (`Connection: upgrade` and `Upgrade`).
    pub upgrade: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The head is not written yet.
    Unstarted,
    /// No body may be sent: body bytes are dropped.
    NoBody,
    /// `content-length` was sent; this many bytes remain.
    Length(u64),
    Chunked,
    /// HTTP/1.0 without a length: the body ends when the connection does.
    UntilClose,
    Ended,
}

/// The framing state of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseWriter {
    facts: RequestFacts,
    mode: Mode,
    /// The connection must close after this response.
    close: bool,
    /// Seconds advertised in `keep-alive: timeout=N` when the connection stays open; `None`: no hint.
    keep_alive_hint: Option<u64>,
}

/// The idle time a client may count on, in whole seconds, that a response keeping its connection
/// open advertises as `keep-alive: timeout=N`: a second short of the engine's keep-alive timeout,
/// rounded down. A client that honours it (Node's `http.Agent`, undici) stops reusing an idle
/// connection before the engine closes it, instead of sending a request into the close (the
/// keep-alive race: ECONNRESET, and the request lost). The node engine advertises the same.
pub fn keep_alive_hint_secs(keep_alive_timeout_ms: u64) -> u64 {
    keep_alive_timeout_ms.saturating_sub(1000) / 1000
}

/// One field the application set, as it will be considered for the head.
fn classify(name: &[u8]) -> Option<Special> {
    if name.eq_ignore_ascii_case(b"content-length") {
        Some(Special::ContentLength)
    } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
        Some(Special::TransferEncoding)
    } else if name.eq_ignore_ascii_case(b"connection") {
        Some(Special::Connection)
    } else if name.eq_ignore_ascii_case(b"date") {
        Some(Special::Date)
    } else if name.eq_ignore_ascii_case(b"keep-alive") {
        Some(Special::KeepAlive)
    } else {
        None
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Special {
    ContentLength,
    TransferEncoding,
    Connection,
    Date,
    KeepAlive,
}

fn parse_length(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        value
            .iter()
            .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')),
    )
}

fn has_close_token(value: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
}

impl ResponseWriter {
    /// `keep_alive_hint`: the seconds to advertise while the connection stays open (see
    /// [`keep_alive_hint_secs`]), `None` for no `keep-alive` field.
    pub fn new(facts: RequestFacts, keep_alive_hint: Option<u64>) -> Self {
        ResponseWriter {
            facts,
            mode: Mode::Unstarted,
            close: !facts.keep_alive,
            keep_alive_hint,
        }
    }

    /// Whether the head has been written.
    pub fn started(&self) -> bool {
        self.mode != Mode::Unstarted
    }

    /// Makes the connection close after this response (said in its head when not yet written).
    pub fn close_after(&mut self) {
        self.close = true;
    }

    /// Whether the connection must close after this response.
    pub fn closes(&self) -> bool {
        self.close
    }

    /// Whether body bytes written now would be sent (not dropped).
    pub fn sends_body(&self) -> bool {
        matches!(
            self.mode,
            Mode::Length(_) | Mode::Chunked | Mode::UntilClose
        )
    }

    /// Writes the head. `length`: the body's length when the caller knows it (a whole body
    /// given at once, a file); a valid `content-length` field of the application's wins over it.
    /// The application's `transfer-encoding` is dropped (framing is ours), `connection: close`
    /// makes the connection close, its `date` and `keep-alive` replace ours.
    pub fn write_head<'a, I>(
        &mut self,
        out: &mut Vec<u8>,
        status: u16,
        fields: I,
        length: Option<u64>,
        date: &[u8],
    ) where
        I: IntoIterator<Item = (&'a [u8], &'a [u8])> + Clone,
    {
        let status = if (100..=999).contains(&status) {
            status
        } else {
            500
        };
        let mut app_length = None;
        let mut app_date = false;
        let mut app_keep_alive = false;
        for (name, value) in fields.clone() {
            match classify(name) {
                Some(Special::ContentLength) => app_length = app_length.or(parse_length(value)),
                Some(Special::Connection) if has_close_token(value) => self.close = true,
                Some(Special::Date) => app_date = true,
                Some(Special::KeepAlive) => app_keep_alive = true,
                _ => {}
            }
        }
        // 101 to an upgrade request: the connection is handed over; what follows the head is the
        // new protocol's raw bytes, unframed, and the connection ends with them.
        let switching = status == 101 && self.facts.upgrade;
        let informational = status < 200 && !switching;
        let no_body = informational || status == 204 || status == 304 || self.facts.head;
        let length = app_length.or(length);
        // 1xx and 204 never carry a length (RFC 9110 §8.6); HEAD and 304 carry the length the
        // full response would have, when it is known.
        let (framing_length, mode) = if switching {
            (None, Mode::UntilClose)
        } else if informational || status == 204 {
            (None, Mode::NoBody)
        } else if no_body {
            (length, Mode::NoBody)
        } else if let Some(n) = length {
            (Some(n), Mode::Length(n))
        } else if self.facts.version == Version::Http11 {
            (None, Mode::Chunked)
        } else {
            self.close = true;
            (None, Mode::UntilClose)
        };
        self.mode = mode;

        out.extend_from_slice(b"HTTP/1.1 ");
        write_decimal(out, u64::from(status));
        out.push(b' ');
        out.extend_from_slice(reason_phrase(status).as_bytes());
        out.extend_from_slice(b"\r\n");
        if !app_date && !date.is_empty() && date.iter().all(|&b| is_field_value(b)) {
            out.extend_from_slice(b"date: ");
            out.extend_from_slice(date);
            out.extend_from_slice(b"\r\n");
        }
        let mut app_connection = false;
        for (name, value) in fields {
            match classify(name) {
                Some(Special::ContentLength | Special::TransferEncoding) => continue,
                Some(Special::Connection) => {
                    if self.close {
                        continue;
                    }
                    app_connection = true;
                }
                _ => {}
            }
            if !is_valid_field(name, value) {
                continue;
            }
            out.extend_from_slice(name);
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        if let Some(n) = framing_length {
            out.extend_from_slice(b"content-length: ");
            write_decimal(out, n);
            out.extend_from_slice(b"\r\n");
        } else if mode == Mode::Chunked {
            out.extend_from_slice(b"transfer-encoding: chunked\r\n");
        }
        if self.close {
            out.extend_from_slice(b"connection: close\r\n");
        } else if self.facts.version == Version::Http10 && !app_connection {
            out.extend_from_slice(b"connection: keep-alive\r\n");
        }
        if let Some(secs) = self
            .keep_alive_hint
            .filter(|_| !self.close && !switching && !app_keep_alive)
        {
            out.extend_from_slice(b"keep-alive: timeout=");
            write_decimal(out, secs);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        if switching {
            self.close = true;
        }
    }

    /// A body piece of `n` bytes is about to be written: appends its framing prefix to `out` and
    /// returns how many of the `n` bytes go on the wire (0 when the response has no body; a
    /// `content-length` is never overrun: the excess is dropped and the connection closes).
    /// Follow the bytes with [`Self::body_suffix`].
    pub fn body(&mut self, n: usize, out: &mut Vec<u8>) -> usize {
        match &mut self.mode {
            Mode::Length(remaining) => {
                let take = (*remaining).min(n as u64);
                *remaining -= take;
                if take < n as u64 {
                    self.close = true;
                }
                take as usize
            }
            Mode::Chunked => {
                if n > 0 {
                    write_chunk_header(out, n);
                }
                n
            }
            Mode::UntilClose => n,
            Mode::Unstarted | Mode::NoBody | Mode::Ended => 0,
        }
    }

    /// What follows a body piece of `n` bytes that [`Self::body`] let through.
    pub fn body_suffix(&self, n: usize) -> &'static [u8] {
        if self.mode == Mode::Chunked && n > 0 {
            b"\r\n"
        } else {
            b""
        }
    }

    /// Ends the body: appends the last chunk when chunked. A body shorter than its
    /// `content-length` cannot be honoured, so the connection closes.
    pub fn end(&mut self, out: &mut Vec<u8>) {
        match self.mode {
            Mode::Chunked => out.extend_from_slice(b"0\r\n\r\n"),
            Mode::Length(n) if n > 0 => self.close = true,
            _ => {}
        }
        self.mode = Mode::Ended;
    }

    /// Ends the body with a trailer section (RFC 9112 §7.1.2). Only a chunked body has one: any
    /// other ends as [`Self::end`] does, its trailers dropped (the caller asks for chunked
    /// framing by giving no length). A field with CR, LF or NUL is never written.
    pub fn end_with_trailers<'a, I>(&mut self, out: &mut Vec<u8>, trailers: I)
    where
        I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
    {
        if self.mode != Mode::Chunked {
            self.end(out);
            return;
        }
        out.extend_from_slice(b"0\r\n");
        for (name, value) in trailers {
            let breaks_line = |b: &u8| matches!(b, b'\r' | b'\n' | 0);
            let bad_name =
                name.is_empty() || name.iter().any(|b| breaks_line(b) || b" :".contains(b));
            if bad_name || value.iter().any(breaks_line) {
                continue;
            }
            out.extend_from_slice(name);
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        self.mode = Mode::Ended;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GET11: RequestFacts = RequestFacts {
        head: false,
        version: Version::Http11,
        keep_alive: true,
        upgrade: false,
    };
    const HEAD11: RequestFacts = RequestFacts {
        head: true,
        ..GET11
    };
    const GET10: RequestFacts = RequestFacts {
        head: false,
        version: Version::Http10,
        keep_alive: false,
        upgrade: false,
    };

    /// The head written for `facts` and `fields` with a keep-alive hint of 4 s.
    fn hinted_head(facts: RequestFacts, status: u16, fields: &[(&[u8], &[u8])]) -> String {
        let mut w = ResponseWriter::new(facts, Some(4));
        let mut out = Vec::new();
        w.write_head(&mut out, status, fields.iter().copied(), Some(0), b"D");
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_keep_alive_hint_is_a_second_short_of_the_timeout_rounded_down() {
        assert_eq!(keep_alive_hint_secs(5_000), 4);
        assert_eq!(keep_alive_hint_secs(5_999), 4);
        assert_eq!(keep_alive_hint_secs(1_999), 0);
        assert_eq!(keep_alive_hint_secs(0), 0);
        assert_eq!(keep_alive_hint_secs(u64::MAX), (u64::MAX - 1000) / 1000);
    }

    #[test]
    fn a_response_keeping_its_connection_advertises_the_keep_alive_hint() {
        assert_eq!(
            hinted_head(GET11, 200, &[]),
            "HTTP/1.1 200 OK\r\ndate: D\r\ncontent-length: 0\r\nkeep-alive: timeout=4\r\n\r\n"
        );
        let kept10 = RequestFacts {
            keep_alive: true,
            ..GET10
        };
        assert!(hinted_head(kept10, 200, &[])
            .ends_with("connection: keep-alive\r\nkeep-alive: timeout=4\r\n\r\n"));
    }

    #[test]
    fn no_keep_alive_hint_on_a_closing_or_upgraded_connection_nor_over_the_applications() {
        // The client asked to close; the application closes; HTTP/1.0 without keep-alive.
        let closing = RequestFacts {
            keep_alive: false,
            ..GET11
        };
        assert!(!hinted_head(closing, 200, &[]).contains("keep-alive"));
        assert!(!hinted_head(GET11, 200, &[(b"connection", b"close")]).contains("keep-alive"));
        assert!(!hinted_head(GET10, 200, &[]).contains("keep-alive"));
        // A 101 hands the connection over: no HTTP idle time follows.
        let upgrade = RequestFacts {
            upgrade: true,
            ..GET11
        };
        assert!(!hinted_head(upgrade, 101, &[]).contains("keep-alive"));
        // The application's own field wins, once.
        let own = hinted_head(GET11, 200, &[(b"Keep-Alive", b"timeout=30")]);
        assert_eq!(
            own.to_ascii_lowercase().matches("keep-alive").count(),
            1,
            "{own}"
        );
        assert!(own.contains("Keep-Alive: timeout=30\r\n"));
    }

    #[test]
    fn trailers_end_a_chunked_body_and_are_dropped_from_any_other() {
        let mut w = ResponseWriter::new(GET11, None);
        let mut out = Vec::new();
        w.write_head(&mut out, 200, [], None, b"D");
        let n = w.body(2, &mut out);
        out.extend_from_slice(b"ab");
        out.extend_from_slice(w.body_suffix(n));
        let trailers: [(&[u8], &[u8]); 2] = [(b"grpc-status", b"0"), (b"x-bad", b"a\r\nb")];
        w.end_with_trailers(&mut out, trailers);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 200 OK\r\ndate: D\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n0\r\ngrpc-status: 0\r\n\r\n"
        );
        let mut w = ResponseWriter::new(GET11, None);
        let mut out = Vec::new();
        w.write_head(&mut out, 200, [], Some(0), b"D");
        w.end_with_trailers(&mut out, [(&b"grpc-status"[..], &b"0"[..])]);
        assert!(!String::from_utf8(out).unwrap().contains("grpc-status"));
    }

    /// Runs a response: head with `fields` and `length`, then `pieces`, then end.
    fn run(
        facts: RequestFacts,
        status: u16,
        fields: &[(&[u8], &[u8])],
        length: Option<u64>,
        pieces: &[&[u8]],
    ) -> (String, bool) {
        let mut w = ResponseWriter::new(facts, None);
        let mut out = Vec::new();
        w.write_head(&mut out, status, fields.iter().copied(), length, b"D");
        for p in pieces {
            let n = w.body(p.len(), &mut out);
            out.extend_from_slice(&p[..n]);
            out.extend_from_slice(w.body_suffix(n));
        }
        w.end(&mut out);
        (String::from_utf8(out).unwrap(), w.closes())
    }

    #[test]
    fn a_known_length_is_sent_as_content_length() {
        let (wire, close) = run(
            GET11,
            200,
            &[(b"content-type", b"text/plain")],
            Some(5),
            &[b"hello"],
        );
        assert_eq!(wire, "HTTP/1.1 200 OK\r\ndate: D\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nhello");
        assert!(!close);
    }

    #[test]
    fn an_unknown_length_is_chunked_for_http11_and_read_to_close_for_http10() {
        let (wire, close) = run(GET11, 200, &[], None, &[b"ab", b"", b"c"]);
        assert_eq!(wire, "HTTP/1.1 200 OK\r\ndate: D\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n");
        assert!(!close);
        let (wire, close) = run(GET10, 200, &[], None, &[b"ab"]);
        assert_eq!(
            wire,
            "HTTP/1.1 200 OK\r\ndate: D\r\nconnection: close\r\n\r\nab"
        );
        assert!(close);
    }

    #[test]
    fn head_gets_the_head_a_get_would_get_and_never_a_body_or_chunk_framing() {
        // The defect this replaces: a HEAD answered with write() got `transfer-encoding:
        // chunked` and a `0\r\n\r\n` that corrupted the next response.
        let (wire, close) = run(HEAD11, 200, &[], None, &[b"streamed"]);
        assert_eq!(wire, "HTTP/1.1 200 OK\r\ndate: D\r\n\r\n");
        assert!(!close);
        let (wire, _) = run(HEAD11, 200, &[], Some(5), &[b"hello"]);
        assert_eq!(
            wire,
            "HTTP/1.1 200 OK\r\ndate: D\r\ncontent-length: 5\r\n\r\n"
        );
    }

    #[test]
    fn statuses_without_content_never_carry_a_body() {
        for status in [101, 204] {
            let (wire, _) = run(
                GET11,
                status,
                &[(b"content-length", b"3")],
                Some(3),
                &[b"abc"],
            );
            assert!(
                !wire.contains("content-length") && !wire.ends_with("abc"),
                "{status}: {wire}"
            );
        }
        let (wire, _) = run(GET11, 304, &[(b"etag", b"\"x\"")], None, &[b"abc"]);
        assert_eq!(
            wire,
            "HTTP/1.1 304 Not Modified\r\ndate: D\r\netag: \"x\"\r\n\r\n"
        );
    }

    #[test]
    fn the_applications_length_and_close_are_honoured_and_its_framing_fields_replaced() {
        let fields: &[(&[u8], &[u8])] = &[
            (b"Content-Length", b"3"),
            (b"transfer-encoding", b"gzip"),
            (b"connection", b"Close"),
        ];
        let (wire, close) = run(GET11, 200, fields, None, &[b"abc"]);
        assert_eq!(
            wire,
            "HTTP/1.1 200 OK\r\ndate: D\r\ncontent-length: 3\r\nconnection: close\r\n\r\nabc"
        );
        assert!(close);
    }

    #[test]
    fn a_content_length_is_never_overrun_or_left_short_on_a_kept_connection() {
        let (wire, close) = run(GET11, 200, &[(b"content-length", b"2")], None, &[b"abcd"]);
        assert!(wire.ends_with("\r\n\r\nab"));
        assert!(close, "excess dropped, connection closed");
        let (_, close) = run(GET11, 200, &[(b"content-length", b"9")], None, &[b"abc"]);
        assert!(
            close,
            "a short body cannot be honoured on a kept connection"
        );
    }

    #[test]
    fn http10_keep_alive_is_stated_and_no_keep_alive_closes() {
        let facts = RequestFacts {
            keep_alive: true,
            ..GET10
        };
        let (wire, close) = run(facts, 200, &[], Some(0), &[]);
        assert_eq!(
            wire,
            "HTTP/1.1 200 OK\r\ndate: D\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n"
        );
        assert!(!close);
        let (wire, close) = run(
            RequestFacts {
                keep_alive: false,
                ..GET11
            },
            200,
            &[],
            Some(0),
            &[],
        );
        assert!(wire.contains("connection: close\r\n") && close);
    }

    #[test]
    fn a_101_to_an_upgrade_request_hands_raw_bytes_on_and_ends_the_connection() {
        let facts = RequestFacts {
            upgrade: true,
            ..GET11
        };
        let fields: &[(&[u8], &[u8])] = &[(b"connection", b"upgrade"), (b"upgrade", b"websocket")];
        let (wire, close) = run(facts, 101, fields, None, &[b"\x01\x02hi"]);
        assert_eq!(wire, "HTTP/1.1 101 Switching Protocols\r\ndate: D\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n\x01\x02hi");
        assert!(close);
        // Without an upgrade request, 101 is an interim status like any other.
        let (wire, _) = run(GET11, 101, &[], None, &[b"x"]);
        assert_eq!(wire, "HTTP/1.1 101 Switching Protocols\r\ndate: D\r\n\r\n");
    }

    #[test]
    fn the_applications_date_replaces_ours() {
        let (wire, _) = run(GET11, 200, &[(b"date", b"X")], Some(0), &[]);
        assert_eq!(
            wire,
            "HTTP/1.1 200 OK\r\ndate: X\r\ncontent-length: 0\r\n\r\n"
        );
    }
}
