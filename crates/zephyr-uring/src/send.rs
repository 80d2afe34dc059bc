//! The output side of one connection: response bytes kept in request order however the handlers
//! finish, coalesced so that all responses ready at once leave in a single send. Small writes
//! are copied into connection-owned chunks; large payloads stay in their owner's memory (a JS
//! Buffer held by reference) and go out in the same vectored send, uncopied.

use std::collections::VecDeque;
use std::os::fd::RawFd;

use crate::http1::ResponseWriter;

/// Bytes owned elsewhere (e.g. a JS Buffer held by a strong reference) that the queue may send
/// from directly. Implementors promise the slice stays at the same address, unchanged, for as
/// long as the object lives: the kernel reads it while a send is in flight.
pub trait ExternalBytes {
    fn bytes(&self) -> &[u8];
}

impl ExternalBytes for Vec<u8> {
    fn bytes(&self) -> &[u8] {
        self
    }
}

enum Chunk {
    Own(Vec<u8>),
    Ext(Box<dyn ExternalBytes>),
}

impl Chunk {
    fn bytes(&self) -> &[u8] {
        match self {
            Chunk::Own(v) => v,
            Chunk::Ext(e) => e.bytes(),
        }
    }
}

/// Most chunks gathered into one vectored send.
const MAX_IOV: usize = 16;

/// How to hand the next bytes to the kernel.
#[derive(Debug, Clone, Copy)]
pub enum SendPlan {
    /// One contiguous run: a plain send.
    One(*const u8, usize),
    /// Several runs: a sendmsg whose header (and iovecs) stay put until `sent` is called.
    Many(*const libc::msghdr, usize),
}

/// A file to send as a response body (zero-copy, via splice through a pipe).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileBody {
    /// An open descriptor the connection owns until the body is sent (then closed).
    pub fd: RawFd,
    pub offset: u64,
    pub remaining: u64,
    /// Bytes moved into the pipe and not yet out of it.
    pub in_pipe: u32,
}

#[derive(Default)]
struct Slot {
    /// The HTTP/1 framing of this response (none for the engine's own error responses).
    writer: Option<ResponseWriter>,
    /// Bytes written while an earlier response was still unfinished.
    held: Vec<Chunk>,
    ended: bool,
    close: bool,
    file: Option<FileBody>,
    /// Its writer waits to hear that its output has been sent.
    want_drain: bool,
}

/// What a write did to the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Accepted,
    /// No open response has this sequence number (already ended, or never existed).
    UnknownSeq,
}

/// Responses of one connection, in request order.
pub struct ResponseQueue {
    /// Sequence number of `slots[0]`.
    base: u32,
    slots: VecDeque<Slot>,
    /// Chunks ready to go, in order. While a send is in flight its first `in_flight` chunks are
    /// the kernel's: nothing may be appended to them or move them.
    out: VecDeque<Chunk>,
    in_flight: usize,
    /// Bytes of `out[0]` already sent.
    front_sent: usize,
    /// iovecs and message header of an in-flight vectored send (boxed: stable addresses).
    iov: Box<[libc::iovec; MAX_IOV]>,
    msg: Box<libc::msghdr>,
    /// Emptied owned chunks, reused for later writes.
    spare: Vec<Vec<u8>>,
    send_in_flight: bool,
    /// Bytes of the head-of-line response have gone into `out`.
    head_written: bool,
    /// A response that asked for the connection to close has gone out: nothing after it.
    close_after_flush: bool,
    /// Files finished (their descriptors to close), as (seq, fd, 0 or -errno).
    pub finished_files: Vec<(u32, RawFd, i32)>,
}

impl Default for ResponseQueue {
    fn default() -> Self {
        ResponseQueue {
            base: 0,
            slots: VecDeque::new(),
            out: VecDeque::new(),
            in_flight: 0,
            front_sent: 0,
            iov: Box::new(
                [libc::iovec {
                    iov_base: std::ptr::null_mut(),
                    iov_len: 0,
                }; MAX_IOV],
            ),
            // SAFETY: msghdr is plain data; all-zero is its "no name, no control" value.
            msg: Box::new(unsafe { std::mem::zeroed() }),
            spare: Vec::new(),
            send_in_flight: false,
            head_written: false,
            close_after_flush: false,
            finished_files: Vec::new(),
        }
    }
}

/// Appends `data` to a chunk list, into its last owned chunk unless that one is `frozen`
/// (the kernel is reading it).
fn append(chunks: &mut VecDeque<Chunk>, frozen: usize, spare: &mut Vec<Vec<u8>>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let len = chunks.len();
    if len > frozen {
        if let Some(Chunk::Own(last)) = chunks.back_mut() {
            last.extend_from_slice(data);
            return;
        }
    }
    let mut v = spare.pop().unwrap_or_default();
    v.extend_from_slice(data);
    chunks.push_back(Chunk::Own(v));
}

fn append_held(held: &mut Vec<Chunk>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    if let Some(Chunk::Own(last)) = held.last_mut() {
        last.extend_from_slice(data);
    } else {
        held.push(Chunk::Own(data.to_vec()));
    }
}

impl ResponseQueue {
    /// Requests parsed and not yet answered in full.
    pub fn open_count(&self) -> usize {
        self.slots.len()
    }

    /// Sequence number the next request will get.
    pub fn next_seq(&self) -> u32 {
        self.base.wrapping_add(self.slots.len() as u32)
    }

    /// Opens a response slot the engine fills itself (an error answer); returns its sequence number.
    pub fn open(&mut self) -> u32 {
        self.slots.push_back(Slot::default());
        self.next_seq().wrapping_sub(1)
    }

    /// Opens the response slot of a newly parsed request, framed by `writer`.
    pub fn open_framed(&mut self, writer: ResponseWriter) -> u32 {
        self.slots.push_back(Slot {
            writer: Some(writer),
            ..Slot::default()
        });
        self.next_seq().wrapping_sub(1)
    }

    /// Asks for [`Self::take_drained`] to name response `seq` once it leads the line and all
    /// output before and of it is sent. (Per response: bytes held behind an unfinished earlier
    /// response must not keep that one's writer waiting, nor let this one write more.)
    pub fn want_drain(&mut self, seq: u32) {
        if let Some(i) = self.index_of(seq) {
            let slot = &mut self.slots[i];
            slot.want_drain = !slot.ended;
        }
    }

    /// The response whose drain is due: the head of the line, once every queued byte is sent.
    pub fn take_drained(&mut self) -> Option<u32> {
        if self.send_in_flight || !self.out.is_empty() {
            return None;
        }
        let front = self.slots.front_mut()?;
        if !front.want_drain || front.ended {
            return None;
        }
        front.want_drain = false;
        Some(self.base)
    }

    /// The framing state of open response `seq`.
    pub fn writer_mut(&mut self, seq: u32) -> Option<&mut ResponseWriter> {
        let i = self.index_of(seq)?;
        let slot = &mut self.slots[i];
        if slot.ended {
            return None;
        }
        slot.writer.as_mut()
    }

    fn index_of(&self, seq: u32) -> Option<usize> {
        let i = seq.wrapping_sub(self.base) as usize;
        (i < self.slots.len()).then_some(i)
    }

    /// Whether the response `seq` is still open.
    pub fn is_open(&self, seq: u32) -> bool {
        self.index_of(seq).is_some_and(|i| !self.slots[i].ended)
    }

    /// Whether nothing of response `seq` has been written yet (so an error status can replace it).
    pub fn untouched(&self, seq: u32) -> bool {
        self.index_of(seq).is_some_and(|i| {
            let s = &self.slots[i];
            !s.ended && s.held.is_empty() && s.file.is_none() && (i > 0 || !self.head_written)
        })
    }

    /// Appends bytes (copied) to response `seq`; `end` completes it, `close` closes the
    /// connection after it.
    pub fn write(&mut self, seq: u32, data: &[u8], end: bool, close: bool) -> WriteOutcome {
        let Some(i) = self.index_of(seq) else {
            return WriteOutcome::UnknownSeq;
        };
        if self.slots[i].ended {
            return WriteOutcome::UnknownSeq;
        }
        if i == 0 && self.slots[0].file.is_none() {
            let frozen = if self.send_in_flight {
                self.in_flight
            } else {
                0
            };
            append(&mut self.out, frozen, &mut self.spare, data);
            self.head_written |= !data.is_empty();
        } else {
            append_held(&mut self.slots[i].held, data);
        }
        self.finish_write(i, end, close)
    }

    /// Appends a large payload to response `seq` without copying it: it is sent from its owner's
    /// memory, and dropped (released) once sent.
    pub fn write_external(
        &mut self,
        seq: u32,
        data: Box<dyn ExternalBytes>,
        end: bool,
        close: bool,
    ) -> WriteOutcome {
        let Some(i) = self.index_of(seq) else {
            return WriteOutcome::UnknownSeq;
        };
        if self.slots[i].ended {
            return WriteOutcome::UnknownSeq;
        }
        if !data.bytes().is_empty() {
            if i == 0 && self.slots[0].file.is_none() {
                self.out.push_back(Chunk::Ext(data));
                self.head_written = true;
            } else {
                self.slots[i].held.push(Chunk::Ext(data));
            }
        }
        self.finish_write(i, end, close)
    }

    fn finish_write(&mut self, i: usize, end: bool, close: bool) -> WriteOutcome {
        let slot = &mut self.slots[i];
        slot.close |= close;
        slot.ended |= end;
        self.advance();
        WriteOutcome::Accepted
    }

    /// Queues `head` then the file as the whole of response `seq`, which ends when the file is sent.
    pub fn send_file(
        &mut self,
        seq: u32,
        head: &[u8],
        file: FileBody,
        close: bool,
    ) -> WriteOutcome {
        let Some(i) = self.index_of(seq) else {
            return WriteOutcome::UnknownSeq;
        };
        if self.slots[i].ended || self.slots[i].file.is_some() {
            return WriteOutcome::UnknownSeq;
        }
        if i == 0 {
            let frozen = if self.send_in_flight {
                self.in_flight
            } else {
                0
            };
            append(&mut self.out, frozen, &mut self.spare, head);
            self.head_written = true;
        } else {
            append_held(&mut self.slots[i].held, head);
        }
        let slot = &mut self.slots[i];
        slot.file = Some(file);
        slot.close |= close;
        slot.ended = true;
        self.advance();
        WriteOutcome::Accepted
    }

    /// Pops finished responses off the front, moving the next one's held chunks into `out`.
    fn advance(&mut self) {
        while let Some(front) = self.slots.front() {
            if !front.ended || front.file.is_some() {
                return;
            }
            let front = self.slots.pop_front().expect("front exists");
            self.base = self.base.wrapping_add(1);
            self.head_written = false;
            if front.close {
                self.close_after_flush = true;
                // Nothing may follow a response that closes the connection.
                for slot in self.slots.drain(..) {
                    if let Some(f) = slot.file {
                        self.finished_files.push((u32::MAX, f.fd, -libc::ECANCELED));
                    }
                }
                return;
            }
            if let Some(next) = self.slots.front_mut() {
                if !next.held.is_empty() {
                    self.head_written = true;
                }
                let frozen = if self.send_in_flight {
                    self.in_flight
                } else {
                    0
                };
                for chunk in std::mem::take(&mut next.held) {
                    match chunk {
                        Chunk::Own(v) => append(&mut self.out, frozen, &mut self.spare, &v),
                        ext => self.out.push_back(ext),
                    }
                }
            }
        }
    }

    /// The file at the head of the line, once every byte before it has been sent.
    pub fn file_ready(&mut self) -> Option<&mut FileBody> {
        if self.send_in_flight || !self.out.is_empty() {
            return None;
        }
        self.slots.front_mut().and_then(|s| s.file.as_mut())
    }

    /// The head-of-line file is fully sent: its response is complete.
    pub fn file_done(&mut self) {
        self.finish_file(0);
    }

    /// Abandons the head-of-line file (`err`, a negative errno, while sending it): the response
    /// is cut short, so the connection must close.
    pub fn file_failed(&mut self, err: i32) {
        if let Some(front) = self.slots.front_mut() {
            front.close = true;
        }
        self.finish_file(err);
    }

    fn finish_file(&mut self, err: i32) {
        if let Some(front) = self.slots.front_mut() {
            if let Some(f) = front.file.take() {
                self.finished_files.push((self.base, f.fd, err));
            }
        }
        self.advance();
    }

    /// Starts a send if none is in flight and bytes are waiting. The memory the plan points at
    /// stays put until `sent` is called.
    pub fn next_send(&mut self) -> Option<SendPlan> {
        if self.send_in_flight || self.out.is_empty() {
            return None;
        }
        let n = self.out.len().min(MAX_IOV);
        self.in_flight = n;
        self.send_in_flight = true;
        let mut total = 0;
        for (k, chunk) in self.out.iter().take(n).enumerate() {
            let bytes = chunk.bytes();
            let skip = if k == 0 { self.front_sent } else { 0 };
            self.iov[k] = libc::iovec {
                iov_base: bytes[skip..].as_ptr() as *mut libc::c_void,
                iov_len: bytes.len() - skip,
            };
            total += bytes.len() - skip;
        }
        if n == 1 {
            return Some(SendPlan::One(self.iov[0].iov_base as *const u8, total));
        }
        self.msg.msg_iov = self.iov.as_mut_ptr();
        self.msg.msg_iovlen = n as _;
        Some(SendPlan::Many(&*self.msg, total))
    }

    /// Everything queued, as the kernel would take it: each send taken and reported complete.
    #[cfg(test)]
    pub(crate) fn drain(&mut self) -> Vec<u8> {
        let mut all = Vec::new();
        while let Some(plan) = self.next_send() {
            let bytes = plan_bytes(plan);
            self.sent(bytes.len());
            all.extend_from_slice(&bytes);
        }
        all
    }

    /// Records a completed send of `n` bytes.
    pub fn sent(&mut self, mut n: usize) {
        self.send_in_flight = false;
        self.in_flight = 0;
        while let Some(front) = self.out.front() {
            let left = front.bytes().len() - self.front_sent;
            if n < left {
                self.front_sent += n;
                return;
            }
            n -= left;
            self.front_sent = 0;
            if let Some(Chunk::Own(mut v)) = self.out.pop_front() {
                // A burst of large responses must not pin megabytes per idle connection.
                if v.capacity() <= 64 * 1024 && self.spare.len() < 4 {
                    v.clear();
                    self.spare.push(v);
                }
            }
        }
    }

    /// Bytes accepted and not yet sent.
    pub fn pending_bytes(&self) -> usize {
        let out: usize = self.out.iter().map(|c| c.bytes().len()).sum::<usize>() - self.front_sent;
        out + self
            .slots
            .iter()
            .flat_map(|s| s.held.iter())
            .map(|c| c.bytes().len())
            .sum::<usize>()
    }

    /// Whether a send is in flight.
    pub fn sending(&self) -> bool {
        self.send_in_flight
    }

    /// Whether every response has been sent in full.
    pub fn idle(&self) -> bool {
        self.slots.is_empty() && self.flushed()
    }

    /// Whether all output is flushed (responses may still be open).
    pub fn flushed(&self) -> bool {
        !self.send_in_flight && self.out.is_empty()
    }

    /// A response asked to close the connection and it has been queued.
    pub fn closing(&self) -> bool {
        self.close_after_flush
    }

    /// Open files, to close when the connection goes away.
    pub fn take_files(&mut self) -> Vec<RawFd> {
        let mut fds: Vec<RawFd> = self.finished_files.drain(..).map(|(_, fd, _)| fd).collect();
        for slot in &mut self.slots {
            if let Some(f) = slot.file.take() {
                fds.push(f.fd);
            }
        }
        fds
    }
}

/// The bytes a plan points at, as the kernel would read them.
#[cfg(test)]
pub(crate) fn plan_bytes(plan: SendPlan) -> Vec<u8> {
    // SAFETY: the plan points into the queue, which is alive and untouched until `sent`.
    unsafe {
        match plan {
            SendPlan::One(p, n) => std::slice::from_raw_parts(p, n).to_vec(),
            SendPlan::Many(msg, _) => {
                let msg = &*msg;
                let iov = std::slice::from_raw_parts(msg.msg_iov, msg.msg_iovlen);
                iov.iter()
                    .flat_map(|v| {
                        std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len).to_vec()
                    })
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_leave_in_request_order_when_handlers_finish_out_of_order() {
        let mut q = ResponseQueue::default();
        let (a, b, c) = (q.open(), q.open(), q.open());
        q.write(c, b"C", true, false);
        q.write(b, b"B1", false, false);
        assert!(
            q.drain().is_empty(),
            "nothing may pass the unfinished first response"
        );
        q.write(a, b"A", true, false);
        assert_eq!(q.drain(), b"AB1");
        q.write(b, b"B2", true, false);
        assert_eq!(q.drain(), b"B2C");
        assert!(q.idle());
    }

    #[test]
    fn a_partial_send_resumes_where_it_stopped() {
        let mut q = ResponseQueue::default();
        let a = q.open();
        q.write(a, b"hello ", false, false);
        q.write_external(a, Box::new(b"big world".to_vec()), true, false);
        assert_eq!(plan_bytes(q.next_send().unwrap()), b"hello big world");
        q.sent(8);
        assert_eq!(plan_bytes(q.next_send().unwrap()), b"g world");
        q.sent(7);
        assert!(q.idle());
    }

    #[test]
    fn bytes_written_during_a_send_never_touch_the_chunks_in_flight() {
        let mut q = ResponseQueue::default();
        let (a, b) = (q.open(), q.open());
        q.write(a, b"first", true, false);
        let plan = q.next_send().unwrap();
        let before = plan_bytes(plan);
        q.write(b, b"second", true, false);
        assert_eq!(
            plan_bytes(plan),
            before,
            "the in-flight chunk must not grow or move"
        );
        q.sent(before.len());
        assert_eq!(q.drain(), b"second");
    }

    #[test]
    fn nothing_follows_a_closing_response() {
        let mut q = ResponseQueue::default();
        let (a, b) = (q.open(), q.open());
        q.write(b, b"B", true, false);
        q.write(a, b"A", true, true);
        assert_eq!(q.drain(), b"A");
        assert!(q.closing());
        assert_eq!(q.write(b, b"late", true, false), WriteOutcome::UnknownSeq);
    }

    #[test]
    fn a_file_body_waits_for_the_bytes_before_it() {
        let mut q = ResponseQueue::default();
        let (a, b) = (q.open(), q.open());
        q.send_file(
            b,
            b"HEAD-B",
            FileBody {
                fd: 99,
                offset: 0,
                remaining: 10,
                in_pipe: 0,
            },
            false,
        );
        assert!(q.file_ready().is_none(), "response a is not done");
        q.write(a, b"A", true, false);
        assert!(
            q.file_ready().is_none(),
            "A and B's head must be sent first"
        );
        assert_eq!(q.drain(), b"AHEAD-B");
        assert_eq!(q.file_ready().map(|f| f.fd), Some(99));
        q.file_done();
        assert!(q.idle());
        assert_eq!(q.take_files(), vec![99]);
    }
}
