//! Reads the commands JS packed into its output buffer during a batch (responses, pauses,
//! destroys) and applies them to a [`CommandTarget`] (the [`Server`], or a recorder in tests and
//! the `apply_commands` fuzz target). JS says what a response means (status, fields, body
//! pieces, end); the engine writes its HTTP/1 framing (`http1::ResponseWriter`). After the record
//! header, per kind:
//! * `CMD_RESPONSE`: `[status, field count, length lo, length hi, body len]`, then `2 * count`
//!   words of `(name len, value len)`, then the names and values, then the body bytes (each run
//!   padded). `CF_LENGTH`: the length words hold the body's whole length. `CF_EXTERNAL`: the
//!   body is `externals[body len]` instead of inline bytes.
//! * `CMD_WRITE`: `[len]` then body bytes; with `CF_EXTERNAL`, `len` indexes `externals`.
//! * `CMD_SEND_FILE`: `[status, field count, fd, offset lo, offset hi, length lo, length hi]`,
//!   then the fields as for `CMD_RESPONSE`.
//! * `CMD_CONTINUE`, `CMD_PAUSE`, `CMD_RESUME`, `CMD_DESTROY`: the header only.
//! * `CMD_TRAILERS`: `[field count]`, then the fields as for `CMD_RESPONSE`; it ends the
//!   response (`CF_CLOSE` as for a write).
//! * `CMD_WS_ACCEPT` (seq: the upgrade request): `[max payload, max backpressure, idle timeout
//!   ms, field count, key len, extensions len]`, then the fields as for `CMD_RESPONSE` (extra
//!   101 headers), the `Sec-WebSocket-Key`, the offered `Sec-WebSocket-Extensions`.
//!   `CF_WS_DEFLATE`: permessage-deflate may be negotiated; `CF_WS_DROP`: the drop policy.
//! * `CMD_WS_SEND`: `[len]` then the message (`CF_EXTERNAL` as for `CMD_WRITE`); `CF_WS_BINARY`,
//!   `CF_WANT_DRAIN` (EV_DRAINED with the upgrade's seq once the output is sent).
//! * `CMD_WS_CLOSE`: `[code, reason len]` then the reason; `CF_CLOSE`: no handshake, drop the
//!   connection once the output queued so far has started going out (a slow consumer). `CMD_WS_PING`: `[len]` then the payload.
//! * `CMD_WS_SUBSCRIBE`, `CMD_WS_UNSUBSCRIBE`: `[topic len]` then the topic.
//! * `CMD_WS_PUBLISH` (no connection: index and generation are ignored): `[topic len, len]`, the
//!   topic, then the message (`CF_EXTERNAL` as for `CMD_WRITE`); `CF_WS_BINARY`.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use super::{
    padded, CF_BORROWED_FD, CF_CLOSE, CF_END, CF_EXTERNAL, CF_LENGTH, CF_WANT_DRAIN, CF_WS_BINARY,
    CF_WS_DEFLATE, CF_WS_DROP, CMD_CONTINUE, CMD_DESTROY, CMD_PAUSE, CMD_RESPONSE, CMD_RESUME,
    CMD_SEND_FILE, CMD_TRAILERS, CMD_WRITE, CMD_WS_ACCEPT, CMD_WS_CLOSE, CMD_WS_PING,
    CMD_WS_PUBLISH, CMD_WS_SEND, CMD_WS_SUBSCRIBE, CMD_WS_UNSUBSCRIBE,
};
use crate::conn::ConnId;
use crate::send::ExternalBytes;
use crate::server::{FileRange, Server};

/// A malformed command buffer: a bug in the JS side, reported rather than guessed around.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadCommand(pub &'static str);

/// How a write ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteFlags {
    /// The response is complete.
    pub end: bool,
    /// Close the connection after it.
    pub close: bool,
    /// Report `drained` once the connection's output is sent.
    pub want_drain: bool,
}

impl WriteFlags {
    fn from_bits(flags: u32) -> Self {
        WriteFlags {
            end: flags & CF_END != 0,
            close: flags & CF_CLOSE != 0,
            want_drain: flags & CF_WANT_DRAIN != 0,
        }
    }

    fn bits(self) -> u32 {
        (if self.end { CF_END } else { 0 })
            | (if self.close { CF_CLOSE } else { 0 })
            | (if self.want_drain { CF_WANT_DRAIN } else { 0 })
    }
}

/// The response fields of a command, borrowed from the command buffer (sizes already checked).
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    table: &'a [u8],
    bytes: &'a [u8],
}

impl<'a> Fields<'a> {
    /// No fields.
    pub const EMPTY: Fields<'static> = Fields {
        table: &[],
        bytes: &[],
    };

    pub fn len(&self) -> usize {
        self.table.len() / 8
    }

    /// Encodes `pairs` as a command carries them: `(table, bytes)` for [`Fields::parts`].
    pub fn encode(pairs: &[(&[u8], &[u8])]) -> (Vec<u8>, Vec<u8>) {
        let mut enc = CommandEncoder::default();
        enc.fields(pairs);
        let split = pairs.len() * 8;
        let bytes = enc.buf.split_off(split);
        (enc.buf, bytes)
    }

    /// Fields over what [`Fields::encode`] produced.
    pub fn parts(table: &'a [u8], bytes: &'a [u8]) -> Fields<'a> {
        Fields { table, bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

/// Iterates `(name, value)` pairs of [`Fields`].
#[derive(Debug, Clone)]
pub struct FieldIter<'a> {
    table: &'a [u8],
    bytes: &'a [u8],
}

fn le(b: &[u8]) -> usize {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize
}

impl<'a> Iterator for FieldIter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.table.len() < 8 {
            return None;
        }
        let (nl, vl) = (le(&self.table[..4]), le(&self.table[4..8]));
        self.table = &self.table[8..];
        let name = &self.bytes[..nl];
        let value = &self.bytes[padded(nl)..padded(nl) + vl];
        self.bytes = &self.bytes[padded(nl) + padded(vl)..];
        Some((name, value))
    }
}

impl<'a> IntoIterator for Fields<'a> {
    type Item = (&'a [u8], &'a [u8]);
    type IntoIter = FieldIter<'a>;

    fn into_iter(self) -> FieldIter<'a> {
        FieldIter {
            table: self.table,
            bytes: self.bytes,
        }
    }
}

/// The start of a response: status, fields, and the body's length when the application knows it.
#[derive(Debug, Clone, Copy)]
pub struct ResponseStart<'a> {
    pub status: u16,
    pub fields: Fields<'a>,
    pub length: Option<u64>,
}

/// Body bytes of a command: inline in the buffer, or a large payload passed beside it.
#[derive(Debug)]
pub enum Body<'a, E> {
    Bytes(&'a [u8]),
    External(E),
}

/// A file body as a command names it: a descriptor the command hands over (or lends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileCommand {
    pub fd: RawFd,
    /// The descriptor stays the caller's: send from a duplicate.
    pub borrowed: bool,
    pub range: FileRange,
    pub close: bool,
}

/// How a WebSocket upgrade is accepted (`CMD_WS_ACCEPT`).
#[derive(Debug, Clone, Copy)]
pub struct WsAccept<'a> {
    /// Largest message after decompression, over all fragments (1009 past it).
    pub max_payload: u32,
    /// Output bytes queued past which a send is dropped or the connection closed.
    pub max_backpressure: u32,
    /// Silence after which the connection is pinged (at half) and closed with 1001; 0: never.
    pub idle_timeout_ms: u32,
    /// Extra headers of the 101 (e.g. the chosen subprotocol).
    pub fields: Fields<'a>,
    /// The request's `Sec-WebSocket-Key`.
    pub key: &'a [u8],
    /// The request's `Sec-WebSocket-Extensions` offers.
    pub extensions: &'a [u8],
    /// permessage-deflate may be negotiated.
    pub deflate: bool,
    /// Past max backpressure, drop the message (else close the connection).
    pub drop_policy: bool,
}

/// What the commands act on. `E` is the host's large-payload type (a JS Buffer in the binding).
pub trait CommandTarget<E> {
    /// Starts response `seq` (writes its head) with its first body bytes.
    fn respond(
        &mut self,
        id: ConnId,
        seq: u32,
        start: &ResponseStart<'_>,
        body: Body<'_, E>,
        flags: WriteFlags,
    );
    /// More body bytes of a started response.
    fn write(&mut self, id: ConnId, seq: u32, body: Body<'_, E>, flags: WriteFlags);
    /// Starts response `seq` with a file as its whole body.
    fn send_file(&mut self, id: ConnId, seq: u32, start: &ResponseStart<'_>, file: FileCommand);
    fn send_continue(&mut self, id: ConnId, seq: u32);
    /// Ends started response `seq` with trailer fields.
    fn trailers(&mut self, id: ConnId, seq: u32, fields: Fields<'_>, flags: WriteFlags);
    /// Stops or restarts reading for request `seq`'s body (HTTP/1: the connection).
    fn pause(&mut self, id: ConnId, seq: u32, paused: bool);
    /// Gives up on request `seq` (HTTP/1: drops the connection; HTTP/2: resets the stream).
    fn destroy(&mut self, id: ConnId, seq: u32);
    // The WebSocket commands are ignored by targets that serve HTTP only (test doubles).
    /// Accepts the upgrade request `seq`: writes the 101 and makes the connection a WebSocket.
    fn ws_accept(&mut self, _id: ConnId, _seq: u32, _accept: &WsAccept<'_>) {}
    /// Sends a message on a WebSocket connection.
    fn ws_send(&mut self, _id: ConnId, _body: Body<'_, E>, _binary: bool, _want_drain: bool) {}
    /// Starts the close handshake (`drop`: drops the connection once its output moved instead).
    fn ws_close(&mut self, _id: ConnId, _code: u16, _reason: &[u8], _drop: bool) {}
    /// Sends a ping.
    fn ws_ping(&mut self, _id: ConnId, _payload: &[u8]) {}
    /// Subscribes (`on`) or unsubscribes the connection to `topic`.
    fn ws_subscribe(&mut self, _id: ConnId, _topic: &[u8], _on: bool) {}
    /// Sends a message to every subscriber of `topic`.
    fn ws_publish(&mut self, _topic: &[u8], _body: Body<'_, E>, _binary: bool) {}
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn word(&mut self) -> Result<u32, BadCommand> {
        let b = self
            .buf
            .get(self.pos..self.pos + 4)
            .ok_or(BadCommand("truncated command"))?;
        self.pos += 4;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// `n` bytes and their padding (which must be there too: a record ends on a word).
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], BadCommand> {
        let end = self
            .pos
            .checked_add(padded(n))
            .filter(|&e| e <= self.buf.len());
        let end = end.ok_or(BadCommand("truncated command bytes"))?;
        let b = &self.buf[self.pos..self.pos + n];
        self.pos = end;
        Ok(b)
    }

    fn u64(&mut self) -> Result<u64, BadCommand> {
        Ok(self.word()? as u64 | (self.word()? as u64) << 32)
    }

    /// `count` fields: the length table, then the padded names and values.
    fn fields(&mut self, count: u32) -> Result<Fields<'a>, BadCommand> {
        let table_len = (count as usize)
            .checked_mul(8)
            .ok_or(BadCommand("field count out of range"))?;
        let table = self.bytes(table_len)?;
        let mut total = 0usize;
        for pair in table.chunks_exact(4) {
            total = total
                .checked_add(padded(le(pair)))
                .ok_or(BadCommand("field lengths out of range"))?;
        }
        let bytes = self.bytes(total)?;
        Ok(Fields { table, bytes })
    }

    fn status(&mut self) -> Result<u16, BadCommand> {
        u16::try_from(self.word()?).map_err(|_| BadCommand("status out of range"))
    }
}

fn body<'a, E>(
    r: &mut Reader<'a>,
    flags: u32,
    len: usize,
    externals: &mut [Option<E>],
) -> Result<Body<'a, E>, BadCommand> {
    if flags & CF_EXTERNAL != 0 {
        let data = externals
            .get_mut(len)
            .and_then(Option::take)
            .ok_or(BadCommand("external index out of range or reused"))?;
        Ok(Body::External(data))
    } else {
        Ok(Body::Bytes(r.bytes(len)?))
    }
}

/// Applies every command in `buf` to `target`; `externals` are taken by the writes naming them.
/// Commands before a malformed one have been applied when the error returns.
pub fn apply<E>(
    target: &mut impl CommandTarget<E>,
    buf: &[u8],
    externals: &mut [Option<E>],
) -> Result<(), BadCommand> {
    let mut r = Reader { buf, pos: 0 };
    while r.pos < buf.len() {
        let first = r.word()?;
        let (kind, flags) = (first & 0xff, first >> 8);
        let id = ConnId {
            index: r.word()?,
            gen: r.word()?,
        };
        let seq = r.word()?;
        match kind {
            CMD_RESPONSE => {
                let status = r.status()?;
                let count = r.word()?;
                let length = r.u64()?;
                let len = r.word()? as usize;
                let fields = r.fields(count)?;
                let start = ResponseStart {
                    status,
                    fields,
                    length: (flags & CF_LENGTH != 0).then_some(length),
                };
                let body = body(&mut r, flags, len, externals)?;
                target.respond(id, seq, &start, body, WriteFlags::from_bits(flags));
            }
            CMD_WRITE => {
                let len = r.word()? as usize;
                let body = body(&mut r, flags, len, externals)?;
                target.write(id, seq, body, WriteFlags::from_bits(flags));
            }
            CMD_SEND_FILE => {
                let status = r.status()?;
                let count = r.word()?;
                let fd = r.word()? as i32;
                let offset = r.u64()?;
                let length = r.u64()?;
                let fields = r.fields(count)?;
                let file = FileCommand {
                    fd,
                    borrowed: flags & CF_BORROWED_FD != 0,
                    range: FileRange { offset, length },
                    close: flags & CF_CLOSE != 0,
                };
                target.send_file(
                    id,
                    seq,
                    &ResponseStart {
                        status,
                        fields,
                        length: Some(length),
                    },
                    file,
                );
            }
            CMD_CONTINUE => target.send_continue(id, seq),
            CMD_TRAILERS => {
                let count = r.word()?;
                let fields = r.fields(count)?;
                target.trailers(id, seq, fields, WriteFlags::from_bits(flags));
            }
            CMD_PAUSE => target.pause(id, seq, true),
            CMD_RESUME => target.pause(id, seq, false),
            CMD_DESTROY => target.destroy(id, seq),
            CMD_WS_ACCEPT => {
                let max_payload = r.word()?;
                let max_backpressure = r.word()?;
                let idle_timeout_ms = r.word()?;
                let count = r.word()?;
                let key_len = r.word()? as usize;
                let ext_len = r.word()? as usize;
                let fields = r.fields(count)?;
                let key = r.bytes(key_len)?;
                let extensions = r.bytes(ext_len)?;
                let accept = WsAccept {
                    max_payload,
                    max_backpressure,
                    idle_timeout_ms,
                    fields,
                    key,
                    extensions,
                    deflate: flags & CF_WS_DEFLATE != 0,
                    drop_policy: flags & CF_WS_DROP != 0,
                };
                target.ws_accept(id, seq, &accept);
            }
            CMD_WS_SEND => {
                let len = r.word()? as usize;
                let body = body(&mut r, flags, len, externals)?;
                target.ws_send(
                    id,
                    body,
                    flags & CF_WS_BINARY != 0,
                    flags & CF_WANT_DRAIN != 0,
                );
            }
            CMD_WS_CLOSE => {
                let code =
                    u16::try_from(r.word()?).map_err(|_| BadCommand("close code out of range"))?;
                let len = r.word()? as usize;
                let reason = r.bytes(len)?;
                target.ws_close(id, code, reason, flags & CF_CLOSE != 0);
            }
            CMD_WS_PING => {
                let len = r.word()? as usize;
                let payload = r.bytes(len)?;
                target.ws_ping(id, payload);
            }
            CMD_WS_SUBSCRIBE | CMD_WS_UNSUBSCRIBE => {
                let len = r.word()? as usize;
                let topic = r.bytes(len)?;
                target.ws_subscribe(id, topic, kind == CMD_WS_SUBSCRIBE);
            }
            CMD_WS_PUBLISH => {
                let topic_len = r.word()? as usize;
                let len = r.word()? as usize;
                let topic = r.bytes(topic_len)?;
                let body = body(&mut r, flags, len, externals)?;
                target.ws_publish(topic, body, flags & CF_WS_BINARY != 0);
            }
            _ => return Err(BadCommand("unknown command kind")),
        }
    }
    Ok(())
}

impl<E: ExternalBytes + 'static> CommandTarget<E> for Server {
    fn respond(
        &mut self,
        id: ConnId,
        seq: u32,
        start: &ResponseStart<'_>,
        body: Body<'_, E>,
        f: WriteFlags,
    ) {
        Server::respond(self, id, seq, start, boxed(body), f);
    }

    fn write(&mut self, id: ConnId, seq: u32, body: Body<'_, E>, f: WriteFlags) {
        Server::write_body(self, id, seq, boxed(body), f);
    }

    fn send_file(&mut self, id: ConnId, seq: u32, start: &ResponseStart<'_>, file: FileCommand) {
        let fd = if file.borrowed {
            // SAFETY: fcntl only reads the caller's descriptor to duplicate it.
            unsafe { libc::fcntl(file.fd, libc::F_DUPFD_CLOEXEC, 0) }
        } else {
            file.fd
        };
        if fd < 0 {
            Server::destroy(self, id, seq);
            return;
        }
        // SAFETY: JS handed this descriptor over (it opened it for us and forgets it), or it is
        // the duplicate made just above: either way nobody else closes it.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        Server::send_file(self, id, seq, start, owned, file.range, file.close);
    }

    fn send_continue(&mut self, id: ConnId, seq: u32) {
        Server::send_continue(self, id, seq);
    }

    fn trailers(&mut self, id: ConnId, seq: u32, fields: Fields<'_>, f: WriteFlags) {
        Server::trailers(self, id, seq, fields, f.close);
    }

    fn pause(&mut self, id: ConnId, seq: u32, paused: bool) {
        Server::pause(self, id, seq, paused);
    }

    fn destroy(&mut self, id: ConnId, seq: u32) {
        Server::destroy(self, id, seq);
    }

    fn ws_accept(&mut self, id: ConnId, seq: u32, accept: &WsAccept<'_>) {
        Server::ws_accept(self, id, seq, accept);
    }

    fn ws_send(&mut self, id: ConnId, body: Body<'_, E>, binary: bool, want_drain: bool) {
        Server::ws_send(self, id, boxed(body), binary, want_drain);
    }

    fn ws_close(&mut self, id: ConnId, code: u16, reason: &[u8], drop: bool) {
        Server::ws_close(self, id, code, reason, drop);
    }

    fn ws_ping(&mut self, id: ConnId, payload: &[u8]) {
        Server::ws_ping(self, id, payload);
    }

    fn ws_subscribe(&mut self, id: ConnId, topic: &[u8], on: bool) {
        Server::ws_subscribe(self, id, topic, on);
    }

    fn ws_publish(&mut self, topic: &[u8], body: Body<'_, E>, binary: bool) {
        Server::ws_publish(self, topic, boxed(body), binary);
    }
}

fn boxed<E: ExternalBytes + 'static>(body: Body<'_, E>) -> crate::conn::Payload<'_> {
    match body {
        Body::Bytes(b) => crate::conn::Payload::Bytes(b),
        Body::External(e) => crate::conn::Payload::External(Box::new(e)),
    }
}

/// Body bytes for [`CommandEncoder`]: inline, or the external buffer at an index.
#[derive(Debug, Clone, Copy)]
pub enum EncodedBody<'a> {
    Bytes(&'a [u8]),
    External(u32),
}

/// Packs commands the way the JS side does (`packages/uring/src/uring-commands.ts`), for tests,
/// golden buffers and the fuzz target.
#[derive(Debug, Default, Clone)]
pub struct CommandEncoder {
    pub buf: Vec<u8>,
}

impl CommandEncoder {
    fn word(&mut self, w: u32) {
        self.buf.extend_from_slice(&w.to_le_bytes());
    }

    fn u64(&mut self, n: u64) {
        self.word(n as u32);
        self.word((n >> 32) as u32);
    }

    fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
        self.buf
            .resize(self.buf.len() + padded(b.len()) - b.len(), 0);
    }

    fn header(&mut self, kind: u32, flags: u32, id: ConnId, seq: u32) {
        self.word(kind | flags << 8);
        self.word(id.index);
        self.word(id.gen);
        self.word(seq);
    }

    fn fields(&mut self, fields: &[(&[u8], &[u8])]) {
        for (n, v) in fields {
            self.word(n.len() as u32);
            self.word(v.len() as u32);
        }
        for (n, v) in fields {
            self.bytes(n);
            self.bytes(v);
        }
    }

    fn body_flags(body: EncodedBody<'_>) -> (u32, u32) {
        match body {
            EncodedBody::Bytes(b) => (0, b.len() as u32),
            EncodedBody::External(i) => (CF_EXTERNAL, i),
        }
    }

    // One argument per field of the record it packs.
    #[allow(clippy::too_many_arguments)]
    pub fn respond(
        &mut self,
        id: ConnId,
        seq: u32,
        status: u16,
        fields: &[(&[u8], &[u8])],
        length: Option<u64>,
        body: EncodedBody<'_>,
        flags: WriteFlags,
    ) {
        let (ext, len) = Self::body_flags(body);
        let length_flag = if length.is_some() { CF_LENGTH } else { 0 };
        self.header(CMD_RESPONSE, flags.bits() | ext | length_flag, id, seq);
        self.word(u32::from(status));
        self.word(fields.len() as u32);
        self.u64(length.unwrap_or(0));
        self.word(len);
        self.fields(fields);
        if let EncodedBody::Bytes(b) = body {
            self.bytes(b);
        }
    }

    pub fn write(&mut self, id: ConnId, seq: u32, body: EncodedBody<'_>, flags: WriteFlags) {
        let (ext, len) = Self::body_flags(body);
        self.header(CMD_WRITE, flags.bits() | ext, id, seq);
        self.word(len);
        if let EncodedBody::Bytes(b) = body {
            self.bytes(b);
        }
    }

    pub fn send_file(
        &mut self,
        id: ConnId,
        seq: u32,
        status: u16,
        fields: &[(&[u8], &[u8])],
        file: FileCommand,
    ) {
        let flags = (if file.borrowed { CF_BORROWED_FD } else { 0 })
            | (if file.close { CF_CLOSE } else { 0 });
        self.header(CMD_SEND_FILE, flags, id, seq);
        self.word(u32::from(status));
        self.word(fields.len() as u32);
        self.word(file.fd as u32);
        self.u64(file.range.offset);
        self.u64(file.range.length);
        self.fields(fields);
    }

    pub fn send_continue(&mut self, id: ConnId, seq: u32) {
        self.header(CMD_CONTINUE, 0, id, seq);
    }

    pub fn trailers(&mut self, id: ConnId, seq: u32, fields: &[(&[u8], &[u8])], flags: WriteFlags) {
        self.header(CMD_TRAILERS, flags.bits(), id, seq);
        self.word(fields.len() as u32);
        self.fields(fields);
    }

    pub fn pause(&mut self, id: ConnId, seq: u32, paused: bool) {
        self.header(if paused { CMD_PAUSE } else { CMD_RESUME }, 0, id, seq);
    }

    pub fn destroy(&mut self, id: ConnId, seq: u32) {
        self.header(CMD_DESTROY, 0, id, seq);
    }

    pub fn ws_accept(&mut self, id: ConnId, seq: u32, a: &OwnedWsAccept) {
        let flags = (if a.deflate { CF_WS_DEFLATE } else { 0 })
            | (if a.drop_policy { CF_WS_DROP } else { 0 });
        self.header(CMD_WS_ACCEPT, flags, id, seq);
        self.word(a.max_payload);
        self.word(a.max_backpressure);
        self.word(a.idle_timeout_ms);
        self.word(a.fields.len() as u32);
        self.word(a.key.len() as u32);
        self.word(a.extensions.len() as u32);
        let fields: Vec<(&[u8], &[u8])> = a
            .fields
            .iter()
            .map(|(n, v)| (n.as_slice(), v.as_slice()))
            .collect();
        self.fields(&fields);
        self.bytes(&a.key);
        self.bytes(&a.extensions);
    }

    pub fn ws_send(&mut self, id: ConnId, body: EncodedBody<'_>, binary: bool, want_drain: bool) {
        let (ext, len) = Self::body_flags(body);
        let flags = ext
            | (if binary { CF_WS_BINARY } else { 0 })
            | (if want_drain { CF_WANT_DRAIN } else { 0 });
        self.header(CMD_WS_SEND, flags, id, 0);
        self.word(len);
        if let EncodedBody::Bytes(b) = body {
            self.bytes(b);
        }
    }

    pub fn ws_close(&mut self, id: ConnId, code: u16, reason: &[u8], drop: bool) {
        self.header(CMD_WS_CLOSE, if drop { CF_CLOSE } else { 0 }, id, 0);
        self.word(u32::from(code));
        self.word(reason.len() as u32);
        self.bytes(reason);
    }

    pub fn ws_ping(&mut self, id: ConnId, payload: &[u8]) {
        self.header(CMD_WS_PING, 0, id, 0);
        self.word(payload.len() as u32);
        self.bytes(payload);
    }

    pub fn ws_subscribe(&mut self, id: ConnId, topic: &[u8], on: bool) {
        let kind = if on {
            CMD_WS_SUBSCRIBE
        } else {
            CMD_WS_UNSUBSCRIBE
        };
        self.header(kind, 0, id, 0);
        self.word(topic.len() as u32);
        self.bytes(topic);
    }

    pub fn ws_publish(&mut self, topic: &[u8], body: EncodedBody<'_>, binary: bool) {
        let (ext, len) = Self::body_flags(body);
        let flags = ext | (if binary { CF_WS_BINARY } else { 0 });
        self.header(CMD_WS_PUBLISH, flags, PUBLISH_CONN, 0);
        self.word(topic.len() as u32);
        self.word(len);
        self.bytes(topic);
        if let EncodedBody::Bytes(b) = body {
            self.bytes(b);
        }
    }
}

/// The connection a `CMD_WS_PUBLISH` record names (none: it goes to a topic).
pub const PUBLISH_CONN: ConnId = ConnId {
    index: u32::MAX,
    gen: 0,
};

/// [`WsAccept`] with owned bytes, as [`CommandLog`] records it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OwnedWsAccept {
    pub max_payload: u32,
    pub max_backpressure: u32,
    pub idle_timeout_ms: u32,
    pub fields: OwnedFields,
    pub key: Vec<u8>,
    pub extensions: Vec<u8>,
    pub deflate: bool,
    pub drop_policy: bool,
}

/// Owned response fields, as [`CommandLog`] records them.
pub type OwnedFields = Vec<(Vec<u8>, Vec<u8>)>;

/// Body bytes as [`CommandLog`] records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoggedBody<E> {
    Bytes(Vec<u8>),
    External(E),
}

/// One applied command, as [`CommandLog`] records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied<E> {
    Respond(
        ConnId,
        u32,
        u16,
        OwnedFields,
        Option<u64>,
        LoggedBody<E>,
        WriteFlags,
    ),
    Write(ConnId, u32, LoggedBody<E>, WriteFlags),
    SendFile(ConnId, u32, u16, OwnedFields, FileCommand),
    Continue(ConnId, u32),
    Trailers(ConnId, u32, OwnedFields, WriteFlags),
    Pause(ConnId, u32, bool),
    Destroy(ConnId, u32),
    WsAccept(ConnId, u32, OwnedWsAccept),
    /// Connection, message, binary, want drain.
    WsSend(ConnId, LoggedBody<E>, bool, bool),
    /// Connection, code, reason, drop (no handshake).
    WsClose(ConnId, u16, Vec<u8>, bool),
    WsPing(ConnId, Vec<u8>),
    /// Connection, topic, subscribe (else unsubscribe).
    WsSubscribe(ConnId, Vec<u8>, bool),
    /// Topic, message, binary.
    WsPublish(Vec<u8>, LoggedBody<E>, bool),
}

/// A [`CommandTarget`] that records what it is told (tests, golden buffers, fuzzing).
#[derive(Debug, Default, Clone)]
pub struct CommandLog<E> {
    pub applied: Vec<Applied<E>>,
}

fn owned(fields: Fields<'_>) -> OwnedFields {
    fields
        .into_iter()
        .map(|(n, v)| (n.to_vec(), v.to_vec()))
        .collect()
}

fn logged<E>(body: Body<'_, E>) -> LoggedBody<E> {
    match body {
        Body::Bytes(b) => LoggedBody::Bytes(b.to_vec()),
        Body::External(e) => LoggedBody::External(e),
    }
}

impl<E> CommandTarget<E> for CommandLog<E> {
    fn respond(
        &mut self,
        id: ConnId,
        seq: u32,
        start: &ResponseStart<'_>,
        body: Body<'_, E>,
        flags: WriteFlags,
    ) {
        self.applied.push(Applied::Respond(
            id,
            seq,
            start.status,
            owned(start.fields),
            start.length,
            logged(body),
            flags,
        ));
    }
    fn write(&mut self, id: ConnId, seq: u32, body: Body<'_, E>, flags: WriteFlags) {
        self.applied
            .push(Applied::Write(id, seq, logged(body), flags));
    }
    fn send_file(&mut self, id: ConnId, seq: u32, start: &ResponseStart<'_>, file: FileCommand) {
        self.applied.push(Applied::SendFile(
            id,
            seq,
            start.status,
            owned(start.fields),
            file,
        ));
    }
    fn send_continue(&mut self, id: ConnId, seq: u32) {
        self.applied.push(Applied::Continue(id, seq));
    }
    fn trailers(&mut self, id: ConnId, seq: u32, fields: Fields<'_>, flags: WriteFlags) {
        self.applied
            .push(Applied::Trailers(id, seq, owned(fields), flags));
    }
    fn pause(&mut self, id: ConnId, seq: u32, paused: bool) {
        self.applied.push(Applied::Pause(id, seq, paused));
    }
    fn destroy(&mut self, id: ConnId, seq: u32) {
        self.applied.push(Applied::Destroy(id, seq));
    }
    fn ws_accept(&mut self, id: ConnId, seq: u32, a: &WsAccept<'_>) {
        self.applied.push(Applied::WsAccept(
            id,
            seq,
            OwnedWsAccept {
                max_payload: a.max_payload,
                max_backpressure: a.max_backpressure,
                idle_timeout_ms: a.idle_timeout_ms,
                fields: owned(a.fields),
                key: a.key.to_vec(),
                extensions: a.extensions.to_vec(),
                deflate: a.deflate,
                drop_policy: a.drop_policy,
            },
        ));
    }
    fn ws_send(&mut self, id: ConnId, body: Body<'_, E>, binary: bool, want_drain: bool) {
        self.applied
            .push(Applied::WsSend(id, logged(body), binary, want_drain));
    }
    fn ws_close(&mut self, id: ConnId, code: u16, reason: &[u8], drop: bool) {
        self.applied
            .push(Applied::WsClose(id, code, reason.to_vec(), drop));
    }
    fn ws_ping(&mut self, id: ConnId, payload: &[u8]) {
        self.applied.push(Applied::WsPing(id, payload.to_vec()));
    }
    fn ws_subscribe(&mut self, id: ConnId, topic: &[u8], on: bool) {
        self.applied
            .push(Applied::WsSubscribe(id, topic.to_vec(), on));
    }
    fn ws_publish(&mut self, topic: &[u8], body: Body<'_, E>, binary: bool) {
        self.applied
            .push(Applied::WsPublish(topic.to_vec(), logged(body), binary));
    }
}
