//! One WebSocket connection after the handshake, as a deterministic state machine: bytes in,
//! events and bytes out.

use std::collections::VecDeque;

use super::close_code::{is_valid_received_close_code, CloseCode};
use super::deflate::{Deflate, DeflateParams, InflateError};
use super::frame::{
    encode_frame_header, parse_frame_header, unmask, unmask_into, FrameHeader, Opcode,
    MAX_CONTROL_PAYLOAD, MAX_FRAME_HEADER_BYTES,
};
use super::placed::{MessageStore, PlaceMessage, PlacedMessage};
use super::utf8::Utf8Progress;

/// Limits of one session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WsConfig {
    /// Largest message accepted, in bytes, after decompression and summed over fragments. A frame
    /// that would pass it fails the connection with 1009 before its payload is read; an inflating
    /// message stops at the limit (a zip bomb is never buffered).
    pub max_message_bytes: usize,
}

impl WsConfig {
    /// Default [`max_message_bytes`](Self::max_message_bytes): 16 MiB, the largest message in
    /// Autobahn's test cases.
    pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
}

impl Default for WsConfig {
    fn default() -> Self {
        Self {
            max_message_bytes: Self::DEFAULT_MAX_MESSAGE_BYTES,
        }
    }
}

/// What the peer did.
#[derive(Debug, PartialEq, Eq)]
pub enum WsEvent {
    /// A complete, valid UTF-8 text message.
    Text(String),
    /// A complete binary message.
    Binary(Vec<u8>),
    /// A complete message received into the store the caller placed it in (see
    /// [`WsSession::handle_into`]); text is valid UTF-8.
    Placed {
        /// A text message (else binary).
        text: bool,
        /// Its bytes, where the caller asked for them.
        data: PlacedMessage,
    },
    /// A ping; the pong is already queued.
    Ping(Vec<u8>),
    /// A pong.
    Pong(Vec<u8>),
    /// The peer closed (1005 when its close frame had no code). The reply, if owed, is queued;
    /// the state is now [`WsState::Closed`].
    Close {
        /// Status code.
        code: u16,
        /// Reason, valid UTF-8.
        reason: String,
    },
    /// The peer broke the protocol; a close frame with `code` is queued and the state is
    /// [`WsState::Closed`].
    ProtocolError {
        /// 1002, 1007 or 1009.
        code: u16,
        /// What was wrong, for logs.
        reason: &'static str,
    },
}

/// Where the close handshake stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WsState {
    /// Messages flow both ways.
    Open,
    /// We sent a close frame and wait for the peer's.
    Closing,
    /// Done: flush [`WsSession::pending_output`], then close the TCP connection (§7.1.1: the
    /// server closes first).
    Closed,
}

struct Message {
    text: bool,
    compressed: bool,
    data: Vec<u8>,
    /// The caller's store this message is received into instead of `data`, and how much of it
    /// is filled.
    placed: Option<(Box<dyn MessageStore>, usize)>,
    utf8: Utf8Progress,
}

/// A message's bytes received so far (its `data` and `placed`; apart, so that its UTF-8
/// progress can be advanced over them).
fn received_bytes<'a>(
    data: &'a [u8],
    placed: &'a Option<(Box<dyn MessageStore>, usize)>,
) -> &'a [u8] {
    match placed {
        Some((store, filled)) => &store.bytes()[..*filled],
        None => data,
    }
}

/// A server-side WebSocket connection (sans-IO).
pub struct WsSession {
    config: WsConfig,
    deflate: Option<Deflate>,
    header: [u8; MAX_FRAME_HEADER_BYTES],
    header_len: usize,
    frame: Option<(FrameHeader, u64)>,
    control: Vec<u8>,
    message: Option<Message>,
    compressed_bytes: usize,
    scratch: Vec<u8>,
    events: VecDeque<WsEvent>,
    /// A message event was queued during this `handle` call: stop reading there.
    message_ready: bool,
    out: Vec<u8>,
    out_pos: usize,
    state: WsState,
}

type Failure = (u16, &'static str);

impl WsSession {
    /// A session for a connection whose handshake accepted `deflate` (from
    /// [`negotiate_permessage_deflate`](super::negotiate_permessage_deflate)), or none.
    pub fn new(config: WsConfig, deflate: Option<DeflateParams>) -> Self {
        Self {
            config,
            deflate: deflate.map(Deflate::new),
            header: [0; MAX_FRAME_HEADER_BYTES],
            header_len: 0,
            frame: None,
            control: Vec::new(),
            message: None,
            compressed_bytes: 0,
            scratch: Vec::new(),
            events: VecDeque::new(),
            message_ready: false,
            out: Vec::new(),
            out_pos: 0,
            state: WsState::Open,
        }
    }

    /// Feeds bytes received from the socket and returns how many were used. Reading stops after
    /// each complete message, so the caller handles it (and queues any reply) before the bytes
    /// behind it are read: call again with `&data[used..]` until all are used. That keeps replies
    /// in order with a protocol error that follows them in the same read (Autobahn 4.x, 5.15).
    /// Events become available from [`poll_event`](Self::poll_event); pongs and close replies are
    /// queued as output. Bytes after the close handshake ends are used and ignored.
    pub fn handle(&mut self, data: &[u8]) -> usize {
        self.handle_into(data, &mut |_| None)
    }

    /// [`handle`](Self::handle), asking `place` for a store of the payload's length whenever an
    /// unfragmented, uncompressed message starts: its payload is unmasked straight from `data`
    /// into that store (one copy) and reported as [`WsEvent::Placed`]. Where `place` says
    /// `None`, the session assembles the message itself.
    pub fn handle_into(&mut self, data: &[u8], place: &mut PlaceMessage<'_>) -> usize {
        let mut rest = data;
        self.message_ready = false;
        while !rest.is_empty() && self.state != WsState::Closed && !self.message_ready {
            let step = if self.frame.is_none() {
                self.read_header(rest, place)
            } else {
                self.read_payload(rest)
            };
            match step {
                Ok(used) => rest = &rest[used..],
                Err((code, reason)) => self.fail(code, reason),
            }
        }
        if self.state == WsState::Closed {
            return data.len();
        }
        data.len() - rest.len()
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<WsEvent> {
        self.events.pop_front()
    }

    /// Bytes to write to the socket.
    pub fn pending_output(&self) -> &[u8] {
        &self.out[self.out_pos..]
    }

    /// Marks `n` bytes of [`pending_output`](Self::pending_output) as written.
    pub fn consume_output(&mut self, n: usize) {
        self.out_pos = (self.out_pos + n).min(self.out.len());
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        }
    }

    /// Where the close handshake stands.
    pub fn state(&self) -> WsState {
        self.state
    }

    /// Whether permessage-deflate was negotiated.
    pub fn is_compressed(&self) -> bool {
        self.deflate.is_some()
    }

    /// The negotiated permessage-deflate parameters, if any.
    pub fn deflate_params(&self) -> Option<DeflateParams> {
        self.deflate.as_ref().map(Deflate::params)
    }

    /// Queues a message of `opcode` (text or binary; compressed when negotiated). The caller
    /// vouches that a text payload is UTF-8. False once closing.
    pub fn send(&mut self, opcode: Opcode, payload: &[u8]) -> bool {
        self.send_message(opcode, payload)
    }

    /// Frames a message compressed on its own (no history: a fresh compressor with an LZ77 window
    /// of `window_bits`), for [`send_framed`](Self::send_framed) on every session whose
    /// [`deflate_params`](Self::deflate_params) say `server_no_context_takeover` with that
    /// window: such a peer expects no history, so one compressed frame serves them all.
    pub fn frame_compressed(opcode: Opcode, payload: &[u8], window_bits: u8) -> Vec<u8> {
        let compressed = Deflate::new(DeflateParams {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: window_bits,
        })
        .deflate(payload);
        let mut out = Vec::with_capacity(compressed.len() + MAX_FRAME_HEADER_BYTES);
        write_frame(&mut out, opcode, true, &compressed);
        out
    }

    /// Queues a text message (compressed when negotiated). False once closing.
    pub fn send_text(&mut self, text: &str) -> bool {
        self.send_message(Opcode::Text, text.as_bytes())
    }

    /// Queues a binary message (compressed when negotiated). False once closing.
    pub fn send_binary(&mut self, data: &[u8]) -> bool {
        self.send_message(Opcode::Binary, data)
    }

    /// Queues an already framed message, e.g. one framed once by
    /// [`frame_message`](Self::frame_message) for every subscriber of a topic. False once closing.
    pub fn send_framed(&mut self, frame: &[u8]) -> bool {
        if self.state != WsState::Open {
            return false;
        }
        self.out.extend_from_slice(frame);
        true
    }

    /// Frames an uncompressed message once, for [`send_framed`](Self::send_framed) on many
    /// sessions (an uncompressed message is valid on a permessage-deflate connection too).
    pub fn frame_message(opcode: Opcode, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(payload.len() + MAX_FRAME_HEADER_BYTES);
        write_frame(&mut out, opcode, false, payload);
        out
    }

    /// Queues a ping; false when the payload is over 125 bytes or the session is closing.
    pub fn send_ping(&mut self, payload: &[u8]) -> bool {
        if self.state != WsState::Open || payload.len() > MAX_CONTROL_PAYLOAD {
            return false;
        }
        write_frame(&mut self.out, Opcode::Ping, false, payload);
        true
    }

    /// Starts the close handshake with `code` and `reason` (cut to 123 bytes at a character
    /// boundary). Later input is read only for the peer's close frame.
    pub fn close(&mut self, code: u16, reason: &str) {
        if self.state != WsState::Open {
            return;
        }
        self.write_close(code, reason);
        self.state = WsState::Closing;
    }

    fn send_message(&mut self, opcode: Opcode, payload: &[u8]) -> bool {
        if self.state != WsState::Open {
            return false;
        }
        match self.deflate.as_mut() {
            Some(d) => {
                let compressed = d.deflate(payload);
                write_frame(&mut self.out, opcode, true, &compressed);
            }
            None => write_frame(&mut self.out, opcode, false, payload),
        }
        true
    }

    fn write_close(&mut self, code: u16, reason: &str) {
        let mut cut = reason.len().min(MAX_CONTROL_PAYLOAD - 2);
        while !reason.is_char_boundary(cut) {
            cut -= 1;
        }
        let mut payload = [0u8; MAX_CONTROL_PAYLOAD];
        payload[..2].copy_from_slice(&code.to_be_bytes());
        payload[2..2 + cut].copy_from_slice(&reason.as_bytes()[..cut]);
        write_frame(&mut self.out, Opcode::Close, false, &payload[..2 + cut]);
    }

    /// Fails the connection (§7.1.7): close frame with `code`, then nothing more is read.
    fn fail(&mut self, code: u16, reason: &'static str) {
        if self.state == WsState::Open {
            self.write_close(code, reason);
        }
        self.state = WsState::Closed;
        self.message = None;
        self.frame = None;
        self.events
            .push_back(WsEvent::ProtocolError { code, reason });
    }

    /// Parses a header straight from `data` when it holds a whole one, else buffers the piece.
    fn read_header(&mut self, data: &[u8], place: &mut PlaceMessage<'_>) -> Result<usize, Failure> {
        let had = self.header_len;
        let parsed = if had == 0 {
            parse_frame_header(data)
        } else {
            let take = data.len().min(MAX_FRAME_HEADER_BYTES - had);
            self.header[had..had + take].copy_from_slice(&data[..take]);
            parse_frame_header(&self.header[..had + take])
        }
        .map_err(|e| (e.code, e.reason))?;
        match parsed {
            None => {
                let take = data.len().min(MAX_FRAME_HEADER_BYTES - had);
                self.header[had..had + take].copy_from_slice(&data[..take]);
                self.header_len = had + take;
                Ok(take)
            }
            Some((header, len)) => {
                self.header_len = 0;
                self.start_frame(header, place)?;
                if header.payload_len == 0 {
                    self.finish_frame()?;
                }
                Ok(len - had)
            }
        }
    }

    fn start_frame(&mut self, h: FrameHeader, place: &mut PlaceMessage<'_>) -> Result<(), Failure> {
        let max = self.config.max_message_bytes as u64;
        if h.rsv1
            && (self.deflate.is_none() || h.opcode != Opcode::Text && h.opcode != Opcode::Binary)
        {
            return Err((
                CloseCode::PROTOCOL_ERROR,
                "RSV1 set without a compressed message",
            ));
        }
        match h.opcode {
            Opcode::Continuation => {
                let m = self
                    .message
                    .as_ref()
                    .ok_or((CloseCode::PROTOCOL_ERROR, "continuation without a message"))?;
                let so_far = if m.compressed {
                    self.compressed_bytes
                } else {
                    m.data.len()
                } as u64;
                if so_far + h.payload_len > max {
                    return Err((CloseCode::MESSAGE_TOO_BIG, "message too big"));
                }
            }
            Opcode::Text | Opcode::Binary => {
                if self.message.is_some() {
                    return Err((
                        CloseCode::PROTOCOL_ERROR,
                        "new message before the last one ended",
                    ));
                }
                if h.payload_len > max {
                    return Err((CloseCode::MESSAGE_TOO_BIG, "message too big"));
                }
                let len = h.payload_len as usize;
                // Only a whole message of known length can go straight where it is delivered.
                let placed = if h.fin && !h.rsv1 && len > 0 {
                    place(len).filter(|store| store.bytes().len() == len)
                } else {
                    None
                };
                let capacity = if h.rsv1 || placed.is_some() { 0 } else { len };
                self.compressed_bytes = 0;
                self.message = Some(Message {
                    text: h.opcode == Opcode::Text,
                    compressed: h.rsv1,
                    data: Vec::with_capacity(capacity),
                    placed: placed.map(|store| (store, 0)),
                    utf8: Utf8Progress::default(),
                });
            }
            Opcode::Close | Opcode::Ping | Opcode::Pong => self.control.clear(),
        }
        self.frame = Some((h, 0));
        Ok(())
    }

    fn read_payload(&mut self, data: &[u8]) -> Result<usize, Failure> {
        let Some((h, received)) = self.frame.as_mut() else {
            return Ok(0);
        };
        let take = (h.payload_len - *received).min(data.len() as u64) as usize;
        let chunk = &data[..take];
        let (mask, offset) = (h.mask, *received);
        *received += take as u64;
        let done = *received == h.payload_len;
        if h.opcode.is_control() {
            let start = self.control.len();
            self.control.extend_from_slice(chunk);
            unmask(&mut self.control[start..], mask, offset);
        } else if let Some(m) = self.message.as_mut() {
            if m.compressed {
                self.scratch.clear();
                self.scratch.extend_from_slice(chunk);
                unmask(&mut self.scratch, mask, offset);
                self.compressed_bytes += take;
                let deflate = self
                    .deflate
                    .as_mut()
                    .expect("RSV1 is refused without deflate");
                deflate
                    .inflate(
                        &self.scratch,
                        false,
                        &mut m.data,
                        self.config.max_message_bytes,
                    )
                    .map_err(inflate_failure)?;
            } else if let Some((store, filled)) = m.placed.as_mut() {
                let dst = &mut store.bytes_mut()[*filled..*filled + take];
                unmask_into(dst, chunk, mask, offset);
                *filled += take;
            } else {
                let start = m.data.len();
                m.data.extend_from_slice(chunk);
                unmask(&mut m.data[start..], mask, offset);
            }
            if m.text && m.utf8.advance(received_bytes(&m.data, &m.placed)).is_err() {
                return Err((CloseCode::INVALID_PAYLOAD, "invalid UTF-8 in text message"));
            }
        }
        if done {
            self.finish_frame()?;
        }
        Ok(take)
    }

    fn finish_frame(&mut self) -> Result<(), Failure> {
        let Some((h, _)) = self.frame.take() else {
            return Ok(());
        };
        match h.opcode {
            Opcode::Ping => {
                if self.state == WsState::Open {
                    write_frame(&mut self.out, Opcode::Pong, false, &self.control);
                }
                self.events.push_back(WsEvent::Ping(self.control.clone()));
            }
            Opcode::Pong => self.events.push_back(WsEvent::Pong(self.control.clone())),
            Opcode::Close => self.on_close()?,
            Opcode::Text | Opcode::Binary | Opcode::Continuation => {
                if h.fin {
                    self.finish_message()?;
                }
            }
        }
        Ok(())
    }

    fn finish_message(&mut self) -> Result<(), Failure> {
        let Some(mut m) = self.message.take() else {
            return Ok(());
        };
        if m.compressed {
            let deflate = self
                .deflate
                .as_mut()
                .expect("RSV1 is refused without deflate");
            deflate
                .inflate(&[], true, &mut m.data, self.config.max_message_bytes)
                .map_err(inflate_failure)?;
        }
        if m.text {
            m.utf8
                .advance(received_bytes(&m.data, &m.placed))
                .map_err(|()| (CloseCode::INVALID_PAYLOAD, "invalid UTF-8 in text message"))?;
            if !m.utf8.is_complete(received_bytes(&m.data, &m.placed)) {
                return Err((
                    CloseCode::INVALID_PAYLOAD,
                    "text message ends inside a UTF-8 sequence",
                ));
            }
        }
        let event = if let Some((store, _)) = m.placed {
            WsEvent::Placed {
                text: m.text,
                data: PlacedMessage(store),
            }
        } else if m.text {
            // SAFETY: Utf8Progress has validated every byte of m.data and found it complete.
            WsEvent::Text(unsafe { String::from_utf8_unchecked(m.data) })
        } else {
            WsEvent::Binary(m.data)
        };
        if self.state == WsState::Open {
            self.events.push_back(event);
            self.message_ready = true;
        }
        Ok(())
    }

    fn on_close(&mut self) -> Result<(), Failure> {
        let (code, reason) = match self.control.len() {
            0 => (CloseCode::NO_STATUS, String::new()),
            1 => return Err((CloseCode::PROTOCOL_ERROR, "close payload of one byte")),
            _ => {
                let code = u16::from_be_bytes([self.control[0], self.control[1]]);
                if !is_valid_received_close_code(code) {
                    return Err((CloseCode::PROTOCOL_ERROR, "invalid close code"));
                }
                let reason = std::str::from_utf8(&self.control[2..])
                    .map_err(|_| (CloseCode::INVALID_PAYLOAD, "close reason is not UTF-8"))?;
                (code, reason.to_owned())
            }
        };
        if self.state == WsState::Open {
            if code == CloseCode::NO_STATUS {
                write_frame(&mut self.out, Opcode::Close, false, &[]);
            } else {
                self.write_close(code, "");
            }
        }
        self.state = WsState::Closed;
        self.message = None;
        self.events.push_back(WsEvent::Close { code, reason });
        Ok(())
    }
}

impl std::fmt::Debug for WsSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsSession")
            .field("state", &self.state)
            .field("deflate", &self.deflate)
            .finish_non_exhaustive()
    }
}

fn inflate_failure(e: InflateError) -> Failure {
    match e {
        InflateError::TooBig => (
            CloseCode::MESSAGE_TOO_BIG,
            "message too big after decompression",
        ),
        InflateError::Corrupt => (CloseCode::INVALID_PAYLOAD, "invalid compressed data"),
    }
}

fn write_frame(out: &mut Vec<u8>, opcode: Opcode, rsv1: bool, payload: &[u8]) {
    let mut header = [0u8; MAX_FRAME_HEADER_BYTES];
    let n = encode_frame_header(opcode, true, rsv1, payload.len() as u64, &mut header);
    out.reserve(n + payload.len());
    out.extend_from_slice(&header[..n]);
    out.extend_from_slice(payload);
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
