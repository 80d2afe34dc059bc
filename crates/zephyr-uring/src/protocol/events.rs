//! Packs the loop's events into the buffer JS shares with us, so a whole batch crosses into JS
//! in one call (little-endian u32 words, byte runs padded to 4; constants in [`super`]).
//!
//! Every record starts with `[kind | flags << 8, conn index, conn generation, seq]`.
//! * REQUEST: `[method len, target len, header count, body len]`, then `2 * count` words of
//!   `(name len, value len)`, then the method, target, names and values, body; byte runs padded.
//! * BODY: `[len]` then the bytes. BODY_ERROR: `[status]`. FILE_SENT: `[errno or 0]`.
//! * ABORTED, DRAINED: the header only (ABORTED with `EF_STREAM`: only stream `seq` is gone).
//! * WS_MESSAGE: `[len]` then the bytes (`EF_LAST`, `EF_WS_BINARY`); with `EF_WS_PLACED`, a
//!   whole message received into a store of the host's: `[len, store]`, the store's index among
//!   this batch's [`EventWriter::take_placed`].
//!   WS_CLOSE: `[code, reason len]` then the reason. Their seq is the upgrade request's.

use super::{
    padded, EF_BODY_FOLLOWS, EF_EXPECT_CONTINUE, EF_HTTP10, EF_HTTP2, EF_HTTP3, EF_KEEP_ALIVE,
    EF_LAST, EF_STREAM, EF_UPGRADE, EF_WS_BINARY, EF_WS_PLACED, EV_ABORTED, EV_BODY, EV_BODY_ERROR,
    EV_DRAINED, EV_FILE_SENT, EV_REQUEST, EV_WS_CLOSE, EV_WS_MESSAGE, RECORD_HEADER_BYTES,
};
use crate::conn::{ConnId, EventSink, RequestEvent};
use crate::http1::Version;
use crate::ws::{MessageStore, PlacedMessage};

/// Room always kept free for the small records (abort, drain, …), which cannot be refused.
const SMALL_RESERVE: usize = 4096;

/// WebSocket messages at least this long are received into the host's stores (when it gave a
/// [`Placer`]); shorter ones are copied into their record, which costs less than a store each.
pub const PLACED_MIN_BYTES: usize = 4096;

/// Bytes of a placed message's record: the header and `[len, store]`.
const PLACED_RECORD_BYTES: usize = RECORD_HEADER_BYTES + 8;

/// Gives a store of the requested length for a WebSocket message (see
/// [`crate::ws::MessageStore`]), or `None` to have it copied into its record.
pub type Placer = Box<dyn FnMut(usize) -> Option<Box<dyn MessageStore>>>;

/// Writes records into the JS-owned events buffer. A record that does not fit (only small ones
/// can get here, larger ones are refused up front) goes to `overflow` with every record after it,
/// so order is kept, and is replayed at the start of the next batch.
pub struct EventWriter {
    ptr: *mut u8,
    cap: usize,
    pub len: usize,
    pub records: u32,
    /// Records waiting for the next batch, with the end offset of each.
    overflow: Vec<u8>,
    overflow_ends: Vec<usize>,
    /// The record being written goes to `overflow`.
    spilling: bool,
    placer: Option<Placer>,
    /// Messages of this batch's placed records, by their store index.
    placed: Vec<PlacedMessage>,
}

impl EventWriter {
    /// A writer into the `cap` bytes at `ptr`.
    ///
    /// # Safety
    /// `ptr..ptr + cap` must be writable memory, not otherwise accessed while the writer writes,
    /// for as long as the writer lives.
    pub unsafe fn new(ptr: *mut u8, cap: usize) -> Self {
        EventWriter {
            ptr,
            cap,
            len: 0,
            records: 0,
            overflow: Vec::new(),
            overflow_ends: Vec::new(),
            spilling: false,
            placer: None,
            placed: Vec::new(),
        }
    }

    /// Has WebSocket messages of at least [`PLACED_MIN_BYTES`] received into `placer`'s stores.
    pub fn set_placer(&mut self, placer: Placer) {
        self.placer = Some(placer);
    }

    /// The messages this batch's placed records name, by store index: the host hands them over
    /// with the batch, before the next [`reset`](Self::reset).
    pub fn take_placed(&mut self) -> Vec<PlacedMessage> {
        std::mem::take(&mut self.placed)
    }

    /// Starts a new batch (JS has decoded the last one), replaying what overflowed.
    pub fn reset(&mut self) {
        // Records that named them are gone with the last batch (placed records never spill).
        self.placed.clear();
        self.len = 0;
        self.records = 0;
        self.spilling = false;
        if self.overflow.is_empty() {
            return;
        }
        let fit = self
            .overflow_ends
            .iter()
            .take_while(|&&end| end + SMALL_RESERVE <= self.cap)
            .count();
        let bytes = if fit == 0 {
            0
        } else {
            self.overflow_ends[fit - 1]
        };
        let replay: Vec<u8> = self.overflow.drain(..bytes).collect();
        // SAFETY: `bytes` fits the buffer (checked above); see `put`.
        unsafe { std::ptr::copy_nonoverlapping(replay.as_ptr(), self.ptr, bytes) };
        self.len = bytes;
        self.records = fit as u32;
        self.overflow_ends.drain(..fit);
        for end in &mut self.overflow_ends {
            *end -= bytes;
        }
        // Whatever is still waiting must stay ahead of new records.
        self.spilling = !self.overflow.is_empty();
    }

    pub fn has_overflow(&self) -> bool {
        !self.overflow.is_empty()
    }

    fn put(&mut self, b: &[u8], pad: usize) {
        if self.spilling {
            self.overflow.extend_from_slice(b);
            self.overflow.resize(self.overflow.len() + pad, 0);
            return;
        }
        assert!(
            self.len + b.len() + pad <= self.cap,
            "event record overran its reserved room"
        );
        // SAFETY: bounds asserted above; ptr..ptr+cap is the JS buffer we hold a reference to, and
        // JS does not touch it while native code runs on this same thread. Sources are Rust memory,
        // so the ranges cannot overlap.
        unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), self.ptr.add(self.len), b.len()) };
        self.len += b.len() + pad;
    }

    fn word(&mut self, w: u32) {
        self.put(&w.to_le_bytes(), 0);
    }

    fn bytes(&mut self, b: &[u8]) {
        self.put(b, padded(b.len()) - b.len());
    }

    /// Starts a record of `size` bytes; it spills (with all after it) when it does not fit.
    fn header(&mut self, kind: u32, flags: u32, conn: ConnId, seq: u32, size: usize) {
        if !self.spilling && self.len + size > self.cap {
            self.spilling = true;
        }
        self.word(kind | flags << 8);
        self.word(conn.index);
        self.word(conn.gen);
        self.word(seq);
        if self.spilling {
            self.overflow_ends
                .push(self.overflow.len() + size - RECORD_HEADER_BYTES);
        } else {
            self.records += 1;
        }
    }

    fn small(&mut self, kind: u32, conn: ConnId, seq: u32, extra: Option<u32>) {
        self.header(kind, 0, conn, seq, 16 + extra.map_or(0, |_| 4));
        if let Some(x) = extra {
            self.word(x);
        }
    }

    fn fits(&self, size: usize) -> bool {
        !self.spilling && self.len + size + SMALL_RESERVE <= self.cap
    }
}

impl EventSink for EventWriter {
    fn request(&mut self, conn: ConnId, seq: u32, req: &RequestEvent<'_>) -> bool {
        let head = req.head;
        let buf = req.buf;
        let method = head.slice(buf, head.method);
        let target = head.slice(buf, head.target);
        let body = req.body.unwrap_or(&[]);
        let mut size = 32
            + padded(method.len())
            + padded(target.len())
            + padded(body.len())
            + 8 * head.headers.len();
        for &(n, v) in &head.headers {
            size += padded((n.1 - n.0) as usize) + padded((v.1 - v.0) as usize);
        }
        if !self.fits(size) {
            return false;
        }
        let mut flags = 0;
        match head.version {
            Version::Http10 => flags |= EF_HTTP10,
            Version::Http2 => flags |= EF_HTTP2,
            Version::Http3 => flags |= EF_HTTP3,
            Version::Http11 => {}
        }
        if head.keep_alive {
            flags |= EF_KEEP_ALIVE;
        }
        if req.body_follows {
            flags |= EF_BODY_FOLLOWS;
        }
        if head.expect_continue {
            flags |= EF_EXPECT_CONTINUE;
        }
        if head.upgrade {
            flags |= EF_UPGRADE;
        }
        self.header(EV_REQUEST, flags, conn, seq, size);
        self.word(method.len() as u32);
        self.word(target.len() as u32);
        self.word(head.headers.len() as u32);
        self.word(body.len() as u32);
        for &(n, v) in &head.headers {
            self.word(n.1 - n.0);
            self.word(v.1 - v.0);
        }
        self.bytes(method);
        self.bytes(target);
        for &(n, v) in &head.headers {
            self.bytes(head.slice(buf, n));
            self.bytes(head.slice(buf, v));
        }
        self.bytes(body);
        true
    }

    fn has_room(&self, bytes: usize) -> bool {
        // A chunked window can split into many runs (a 1-byte chunk costs 6 input bytes and a
        // 20-byte record), so room is asked for the worst case of 4 record bytes per input byte.
        self.fits(64 + 5 * bytes)
    }

    fn body(&mut self, conn: ConnId, seq: u32, chunk: &[u8], last: bool) {
        self.header(
            EV_BODY,
            if last { EF_LAST } else { 0 },
            conn,
            seq,
            20 + padded(chunk.len()),
        );
        self.word(chunk.len() as u32);
        self.bytes(chunk);
    }

    fn body_error(&mut self, conn: ConnId, seq: u32, status: u16) {
        self.small(EV_BODY_ERROR, conn, seq, Some(status as u32));
    }

    fn aborted(&mut self, conn: ConnId) {
        self.small(EV_ABORTED, conn, 0, None);
    }

    fn stream_aborted(&mut self, conn: ConnId, seq: u32) {
        self.header(EV_ABORTED, EF_STREAM, conn, seq, 16);
    }

    fn drained(&mut self, conn: ConnId, seq: u32) {
        self.small(EV_DRAINED, conn, seq, None);
    }

    fn file_sent(&mut self, conn: ConnId, seq: u32, error: i32) {
        self.small(EV_FILE_SENT, conn, seq, Some(error as u32));
    }

    fn has_room_for_ws(&self, bytes: usize) -> bool {
        // Exactly the record `ws_message` writes: the body check's 5x worst case would let a
        // batch carry a fifth of the 16 KiB messages it can, stalling the rest to later batches.
        self.fits(20 + padded(bytes))
    }

    fn ws_message(&mut self, conn: ConnId, seq: u32, chunk: &[u8], binary: bool, last: bool) {
        let flags = (if last { EF_LAST } else { 0 }) | (if binary { EF_WS_BINARY } else { 0 });
        self.header(EV_WS_MESSAGE, flags, conn, seq, 20 + padded(chunk.len()));
        self.word(chunk.len() as u32);
        self.bytes(chunk);
    }

    fn ws_place(&mut self, len: usize) -> Option<Box<dyn MessageStore>> {
        if len < PLACED_MIN_BYTES {
            return None;
        }
        self.placer.as_mut()?(len)
    }

    fn has_room_for_placed(&self) -> bool {
        self.fits(PLACED_RECORD_BYTES)
    }

    fn ws_placed(&mut self, conn: ConnId, seq: u32, message: PlacedMessage, binary: bool) {
        let flags = EF_LAST | EF_WS_PLACED | (if binary { EF_WS_BINARY } else { 0 });
        self.header(EV_WS_MESSAGE, flags, conn, seq, PLACED_RECORD_BYTES);
        assert!(
            !self.spilling,
            "a placed record spilled: has_room_for_placed was not asked"
        );
        self.word(message.bytes().len() as u32);
        self.word(self.placed.len() as u32);
        self.placed.push(message);
    }

    fn ws_close(&mut self, conn: ConnId, seq: u32, code: u16, reason: &[u8]) {
        // A close reason fits a control frame (123 bytes): the record is a small one.
        let reason = &reason[..reason.len().min(123)];
        self.header(EV_WS_CLOSE, 0, conn, seq, 24 + padded(reason.len()));
        self.word(u32::from(code));
        self.word(reason.len() as u32);
        self.bytes(reason);
    }
}
