//! The output side of one connection: response bytes kept in request order however the handlers
//! finish, coalesced so that all responses ready at once leave in a single send.

use std::collections::VecDeque;
use std::os::fd::RawFd;

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

#[derive(Debug, Default)]
struct Slot {
    /// Bytes written while an earlier response was still unfinished.
    held: Vec<u8>,
    ended: bool,
    close: bool,
    file: Option<FileBody>,
}

/// What a write did to the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Accepted,
    /// No open response has this sequence number (already ended, or never existed).
    UnknownSeq,
}

/// Responses of one connection, in request order.
#[derive(Debug, Default)]
pub struct ResponseQueue {
    /// Sequence number of `slots[0]`.
    base: u32,
    slots: VecDeque<Slot>,
    /// Bytes ready to go, in order; swapped into `sending` when no send is in flight.
    out: Vec<u8>,
    /// The buffer the kernel is sending from (must not move until the send completes).
    sending: Vec<u8>,
    sent: usize,
    send_in_flight: bool,
    /// Bytes of the head-of-line response have gone into `out`.
    head_written: bool,
    /// A response that asked for the connection to close has gone out: nothing after it.
    close_after_flush: bool,
    /// Files finished (their descriptors to close), as (seq, fd, 0 or -errno).
    pub finished_files: Vec<(u32, RawFd, i32)>,
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

    /// Opens the response slot of a newly parsed request; returns its sequence number.
    pub fn open(&mut self) -> u32 {
        self.slots.push_back(Slot::default());
        self.next_seq().wrapping_sub(1)
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

    /// Appends bytes to response `seq`; `end` completes it, `close` closes the connection after it.
    pub fn write(&mut self, seq: u32, data: &[u8], end: bool, close: bool) -> WriteOutcome {
        let Some(i) = self.index_of(seq) else { return WriteOutcome::UnknownSeq };
        if self.slots[i].ended {
            return WriteOutcome::UnknownSeq;
        }
        if i == 0 && self.slots[0].file.is_none() {
            self.out.extend_from_slice(data);
            if !data.is_empty() {
                self.head_written = true;
            }
        } else {
            self.slots[i].held.extend_from_slice(data);
        }
        let slot = &mut self.slots[i];
        slot.close |= close;
        slot.ended |= end;
        self.advance();
        WriteOutcome::Accepted
    }

    /// Queues `head` then the file as the whole of response `seq`, which ends when the file is sent.
    pub fn send_file(&mut self, seq: u32, head: &[u8], file: FileBody, close: bool) -> WriteOutcome {
        let Some(i) = self.index_of(seq) else { return WriteOutcome::UnknownSeq };
        if self.slots[i].ended || self.slots[i].file.is_some() {
            return WriteOutcome::UnknownSeq;
        }
        if i == 0 {
            self.out.extend_from_slice(head);
            self.head_written = true;
        } else {
            self.slots[i].held.extend_from_slice(head);
        }
        let slot = &mut self.slots[i];
        slot.file = Some(file);
        slot.close |= close;
        slot.ended = true;
        self.advance();
        WriteOutcome::Accepted
    }

    /// Pops finished responses off the front, moving the next one's held bytes into `out`.
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
                let held = std::mem::take(&mut next.held);
                self.out.extend_from_slice(&held);
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

    /// Starts a send if none is in flight and bytes are waiting: returns the bytes to send, which
    /// stay put until `sent` is called.
    pub fn next_send(&mut self) -> Option<&[u8]> {
        if self.send_in_flight {
            return None;
        }
        if self.sent >= self.sending.len() {
            if self.out.is_empty() {
                return None;
            }
            self.sending.clear();
            self.sent = 0;
            std::mem::swap(&mut self.sending, &mut self.out);
        }
        self.send_in_flight = true;
        Some(&self.sending[self.sent..])
    }

    /// Records a completed send of `n` bytes.
    pub fn sent(&mut self, n: usize) {
        self.send_in_flight = false;
        self.sent = (self.sent + n).min(self.sending.len());
        if self.sent == self.sending.len() {
            self.sending.clear();
            self.sent = 0;
            // A burst of large responses must not pin megabytes per idle connection.
            if self.sending.capacity() > 1 << 20 {
                self.sending = Vec::new();
            }
        }
    }

    /// Bytes accepted and not yet handed to the kernel or sent.
    pub fn pending_bytes(&self) -> usize {
        self.out.len() + (self.sending.len() - self.sent) + self.slots.iter().map(|s| s.held.len()).sum::<usize>()
    }

    /// Whether a send is in flight.
    pub fn sending(&self) -> bool {
        self.send_in_flight
    }

    /// Whether every response has been sent in full.
    pub fn idle(&self) -> bool {
        self.slots.is_empty() && !self.send_in_flight && self.out.is_empty() && self.sent >= self.sending.len()
    }

    /// Whether all output is flushed (responses may still be open).
    pub fn flushed(&self) -> bool {
        !self.send_in_flight && self.out.is_empty() && self.sent >= self.sending.len()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(q: &mut ResponseQueue) -> Vec<u8> {
        let mut all = Vec::new();
        while let Some(bytes) = q.next_send() {
            let n = bytes.len();
            all.extend_from_slice(bytes);
            q.sent(n);
        }
        all
    }

    #[test]
    fn responses_leave_in_request_order_when_handlers_finish_out_of_order() {
        let mut q = ResponseQueue::default();
        let (a, b, c) = (q.open(), q.open(), q.open());
        q.write(c, b"C", true, false);
        q.write(b, b"B1", false, false);
        assert!(drain(&mut q).is_empty(), "nothing may pass the unfinished first response");
        q.write(a, b"A", true, false);
        assert_eq!(drain(&mut q), b"AB1");
        q.write(b, b"B2", true, false);
        assert_eq!(drain(&mut q), b"B2C");
        assert!(q.idle());
    }

    #[test]
    fn a_partial_send_resumes_where_it_stopped() {
        let mut q = ResponseQueue::default();
        let a = q.open();
        q.write(a, b"hello world", true, false);
        assert_eq!(q.next_send().unwrap(), b"hello world");
        q.sent(6);
        assert_eq!(q.next_send().unwrap(), b"world");
        q.sent(5);
        assert!(q.idle());
    }

    #[test]
    fn nothing_follows_a_closing_response() {
        let mut q = ResponseQueue::default();
        let (a, b) = (q.open(), q.open());
        q.write(b, b"B", true, false);
        q.write(a, b"A", true, true);
        assert_eq!(drain(&mut q), b"A");
        assert!(q.closing());
        assert_eq!(q.write(b, b"late", true, false), WriteOutcome::UnknownSeq);
    }

    #[test]
    fn a_file_body_waits_for_the_bytes_before_it() {
        let mut q = ResponseQueue::default();
        let (a, b) = (q.open(), q.open());
        q.send_file(b, b"HEAD-B", FileBody { fd: 99, offset: 0, remaining: 10, in_pipe: 0 }, false);
        assert!(q.file_ready().is_none(), "response a is not done");
        q.write(a, b"A", true, false);
        assert!(q.file_ready().is_none(), "A and B's head must be sent first");
        assert_eq!(drain(&mut q), b"AHEAD-B");
        assert_eq!(q.file_ready().map(|f| f.fd), Some(99));
        q.file_done();
        assert!(q.idle());
        assert_eq!(q.take_files(), vec![99]);
    }
}
