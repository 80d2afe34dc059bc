//! What HTTP/2 and HTTP/3 keep per stream on the response side: the exchange's state as the
//! application sees it, and the rules both apply to a response head and body.

use std::os::fd::RawFd;

use crate::conn::Payload;
use crate::protocol::commands::{Fields, ResponseStart};
use crate::send::FileBody;

/// Largest file read for one round of body frames.
pub(crate) const FILE_READ_MAX: usize = 256 * 1024;

/// One request stream as the application sees it.
#[derive(Default)]
pub(crate) struct Exchange {
    /// HEAD: a response body is never sent.
    pub head_request: bool,
    /// The request body ended (or was never there).
    pub request_done: bool,
    /// The response head went out.
    pub responded: bool,
    /// The response's end was handed to the protocol.
    pub response_done: bool,
    /// Response bytes the protocol did not take yet (flow control), from `held_pos`.
    pub held: Vec<u8>,
    pub held_pos: usize,
    /// End the response once `held` (and the file) are all taken.
    pub end_pending: bool,
    /// Report `drained` once everything held is taken.
    pub want_drain: bool,
    /// JS stopped reading the body: bytes delivered stay unreleased (the peer's credit stops).
    pub paused: bool,
    pub unreleased: usize,
    /// Request body bytes received so far (against `max_body_bytes`).
    pub body_bytes: u64,
    /// The body went past `max_body_bytes` (the application was told): the rest is dropped.
    pub body_failed: bool,
    /// A file body: descriptor and what is left of its range.
    pub file: Option<FileBody>,
    /// Trailer fields that end the response once the body is all taken.
    pub trailers: Option<Vec<(Vec<u8>, Vec<u8>)>>,
    /// When the request arrived: its body must be in within `request_timeout_ms`.
    pub started: u64,
    /// Since when response bytes wait for room the protocol does not give (a peer that does
    /// not read).
    pub stalled_since: Option<u64>,
}

/// Response fields HTTP/2 and HTTP/3 forbid (RFC 9113 §8.2.2, RFC 9114 §4.2): the HTTP/1
/// framing the application may set out of habit is dropped rather than failing the response.
fn connection_specific(name: &[u8]) -> bool {
    matches!(
        name,
        b"connection" | b"keep-alive" | b"proxy-connection" | b"transfer-encoding" | b"upgrade"
    )
}

/// A body's bytes, wherever they live.
pub(crate) fn payload_bytes<'a>(body: &'a Payload<'_>) -> &'a [u8] {
    match body {
        Payload::Bytes(b) => b,
        Payload::External(e) => e.bytes(),
    }
}

/// Answers on `out` with the engine's own response for `status`: the problem document HTTP/1
/// sends too. It is small: the stream's initial room takes it whole.
pub(crate) fn answer_problem(out: &mut impl StreamOut, status: u16, date: &[u8]) {
    let body = crate::conn::problem_json(status);
    let length = body.len().to_string();
    let fields: [(&[u8], &[u8]); 3] = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", length.as_bytes()),
        (b"date", date),
    ];
    if out.send_headers(status, &fields, false) {
        let _ = out.send(body.as_bytes(), true);
    }
}

/// Calls `send` with the response head's fields: names lower-cased, HTTP/1-only fields dropped,
/// values trimmed, a known length as `content-length` and `date` unless the application set them.
pub(crate) fn with_response_fields<R>(
    start: &ResponseStart<'_>,
    date: &[u8],
    send: impl FnOnce(&[(&[u8], &[u8])]) -> R,
) -> R {
    // JS lower-cases the names it sends; one that is not is copied lower-cased (rare), so the
    // common head costs no allocation per field.
    let lowered: Vec<Vec<u8>> = start
        .fields
        .into_iter()
        .filter(|(n, _)| n.iter().any(u8::is_ascii_uppercase))
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    let mut lowered_next = lowered.iter();
    let mut fields: Vec<(&[u8], &[u8])> = Vec::with_capacity(start.fields.len() + 2);
    let mut has_date = false;
    let mut has_length = false;
    for (name, value) in start.fields {
        let name: &[u8] = if name.iter().any(u8::is_ascii_uppercase) {
            lowered_next.next().expect("one copy per such name")
        } else {
            name
        };
        if connection_specific(name) {
            continue;
        }
        has_date |= name == b"date";
        has_length |= name == b"content-length";
        fields.push((name, value.trim_ascii()));
    }
    let length;
    if let (Some(n), false) = (start.length, has_length) {
        if !matches!(start.status, 100..=199 | 204 | 304) {
            length = n.to_string();
            fields.push((b"content-length", length.as_bytes()));
        }
    }
    if !has_date {
        fields.push((b"date", date));
    }
    send(&fields)
}

/// The protocol's side of one response stream, as a file body is pumped into it.
pub(crate) trait StreamOut {
    /// Bytes the stream takes now (flow control and buffer room).
    fn capacity(&mut self) -> usize;
    /// Offers `bytes` (and the end): how many were taken; `None` when the stream is gone.
    fn send(&mut self, bytes: &[u8], end: bool) -> Option<usize>;
    /// Sends the response head; `false` when the stream is gone or a field cannot be carried.
    fn send_headers(&mut self, status: u16, fields: &[(&[u8], &[u8])], end: bool) -> bool;
    /// Ends the stream with trailer fields; `false` when the protocol cannot carry one.
    fn send_trailers(&mut self, fields: &[(&[u8], &[u8])]) -> bool;
}

/// What a round of [`Exchange::pump_held`] left for the protocol to do.
pub(crate) enum HeldPump {
    /// The stream is gone in the protocol (reset, connection closed): its own event tells the
    /// application.
    Gone,
    /// Bytes are still held: the stream's room reopening calls again.
    Waiting,
    /// A trailer field the protocol cannot carry: the stream must fail rather than end without it.
    TrailersRefused,
    /// All held bytes (and trailers, if due) were taken: a file body may follow.
    Taken,
}

/// What a round of [`Exchange::pump_file`] left for the protocol to do.
pub(crate) enum FilePump {
    /// The stream takes no more now (or the exchange has no file): its room reopening calls
    /// again.
    Waiting,
    /// All of the file went out: the descriptor is to be closed and the file reported sent.
    Sent(RawFd),
    /// The file shrank or failed (`-errno`): the declared length cannot be honoured, so the
    /// stream must fail; the descriptor is to be closed and the error reported.
    Failed(RawFd, i32),
}

impl Exchange {
    /// Both sides are over (and no file is left to send): nothing more can name the exchange.
    pub(crate) fn is_over(&self) -> bool {
        self.request_done && self.response_done && self.file.is_none()
    }

    /// Whether a response with `status` has no body here (a HEAD's, a 204's, a 304's), so its
    /// head ends the stream.
    pub(crate) fn bodiless(&self, status: u16) -> bool {
        self.head_request || matches!(status, 204 | 304)
    }

    /// Counts `n` more request body bytes against `max_body_bytes`: `true` the first time the
    /// body goes past it (the application is then told 413, and the rest is dropped).
    pub(crate) fn count_body(&mut self, n: usize, max_body_bytes: u64) -> bool {
        self.body_bytes += n as u64;
        if self.body_bytes > max_body_bytes && !self.body_failed {
            self.body_failed = true;
            return true;
        }
        false
    }

    /// Records a piece of `n` request body bytes handed on (`end`: the body's last; `wanted`: it
    /// went to the application): `true` when its flow-control credit goes back to the peer
    /// now, `false` while JS paused the body (the credit waits in `unreleased`).
    pub(crate) fn body_delivered(&mut self, n: usize, end: bool, wanted: bool) -> bool {
        self.request_done |= end;
        if self.paused && wanted {
            self.unreleased += n;
            return false;
        }
        true
    }

    /// Whether the started response still takes body bytes or trailers (it did not end, and
    /// no end is pending).
    pub(crate) fn takes_more(&self) -> bool {
        self.responded && !self.response_done && !self.end_pending
    }

    /// Takes the application's next body bytes (`end`: the last) of a started response:
    /// returns what to offer the protocol (nothing for a HEAD).
    pub(crate) fn next_body<'b>(
        &mut self,
        bytes: &'b [u8],
        end: bool,
        want_drain: bool,
    ) -> &'b [u8] {
        self.end_pending = end;
        self.want_drain |= want_drain;
        if self.head_request {
            &[]
        } else {
            bytes
        }
    }

    /// Ends the started response with trailer `fields` (lower-cased, trimmed, HTTP/1-only ones
    /// dropped), sent once the body held so far is all taken.
    pub(crate) fn end_with_trailers(&mut self, fields: Fields<'_>) {
        let list: Vec<(Vec<u8>, Vec<u8>)> = fields
            .into_iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.trim_ascii().to_vec()))
            .filter(|(n, _)| !connection_specific(n))
            .collect();
        self.end_pending = true;
        // No field (or a HEAD, which has no body to trail): the stream's end says it all.
        self.trailers = (!list.is_empty() && !self.head_request).then_some(list);
    }

    /// New body bytes: straight to the protocol when nothing waits before them (the common
    /// answer is never copied into `held`); what it does not take is held. Returns whether the
    /// stream is still there to pump.
    pub(crate) fn offer(&mut self, out: &mut impl StreamOut, bytes: &[u8]) -> bool {
        let direct = self.held.is_empty() && self.file.is_none() && self.trailers.is_none();
        if !direct {
            self.held.extend_from_slice(bytes);
        } else if !bytes.is_empty() || self.end_pending {
            let end = self.end_pending;
            let Some(n) = out.send(bytes, end) else {
                return false;
            };
            if n < bytes.len() {
                self.held.extend_from_slice(&bytes[n..]);
            } else if end {
                self.response_done = true;
            }
        }
        true
    }

    /// Offers the held bytes to `out`, as far as it takes them, then the trailers when the end
    /// is due; the stall clock counts from `now` (the last byte taken).
    pub(crate) fn pump_held(&mut self, out: &mut impl StreamOut, now: u64) -> HeldPump {
        let end_now = self.end_pending && self.file.is_none();
        let end_data = end_now && self.trailers.is_none();
        let rest = &self.held[self.held_pos..];
        if !rest.is_empty() || end_data {
            let before = self.held_pos;
            let Some(n) = out.send(rest, end_data) else {
                return HeldPump::Gone;
            };
            self.held_pos += n;
            if self.held_pos < self.held.len() {
                // The write timeout counts from the last byte the protocol took.
                if self.held_pos != before || self.stalled_since.is_none() {
                    self.stalled_since = Some(now);
                }
                return HeldPump::Waiting;
            }
            self.stalled_since = None;
            self.held.clear();
            self.held_pos = 0;
            if end_data {
                self.response_done = true;
            }
        }
        if end_now && !self.response_done {
            if let Some(trailers) = self.trailers.take() {
                let fields: Vec<(&[u8], &[u8])> = trailers
                    .iter()
                    .map(|(n, v)| (n.as_slice(), v.as_slice()))
                    .collect();
                if !out.send_trailers(&fields) {
                    return HeldPump::TrailersRefused;
                }
                self.response_done = true;
            }
        }
        HeldPump::Taken
    }

    /// Reads the file body into `out` in pieces sized to what it takes (through `buf`), the
    /// stall clock counting from `now`.
    pub(crate) fn pump_file(
        &mut self,
        out: &mut impl StreamOut,
        buf: &mut Vec<u8>,
        now: u64,
    ) -> FilePump {
        loop {
            let capacity = out.capacity();
            let Some(file) = self.file.as_mut() else {
                return FilePump::Waiting;
            };
            if file.remaining == 0 {
                if out.send(&[], true).is_some() {
                    self.response_done = true;
                }
                let fd = file.fd;
                self.file = None;
                return FilePump::Sent(fd);
            }
            let want = (file.remaining.min(FILE_READ_MAX as u64) as usize).min(capacity);
            if want == 0 {
                // Full: offering a byte the protocol cannot take makes it owe a notice when the
                // room opens again (HTTP/2's WindowOpened, HTTP/3's likewise).
                let _ = out.send(&[0], false);
                self.stalled_since.get_or_insert(now);
                return FilePump::Waiting;
            }
            buf.resize(want, 0);
            // SAFETY: the buffer has `want` writable bytes; the descriptor is the exchange's
            // until the protocol closes it on `Sent`/`Failed`.
            let got = unsafe {
                libc::pread(
                    file.fd,
                    buf.as_mut_ptr().cast(),
                    want,
                    file.offset as libc::off_t,
                )
            };
            if got <= 0 {
                let err = if got < 0 {
                    -std::io::Error::last_os_error()
                        .raw_os_error()
                        .unwrap_or(libc::EIO)
                } else {
                    -libc::EIO
                };
                let fd = file.fd;
                self.file = None;
                return FilePump::Failed(fd, err);
            }
            let got = got as usize;
            let last = got as u64 == file.remaining;
            let taken = out.send(&buf[..got], last).unwrap_or(0);
            file.offset += taken as u64;
            file.remaining -= taken as u64;
            self.stalled_since = (taken < got).then_some(now);
            if last && taken == got {
                let fd = file.fd;
                self.file = None;
                self.response_done = true;
                return FilePump::Sent(fd);
            }
            if taken < got {
                return FilePump::Waiting;
            }
        }
    }
}
