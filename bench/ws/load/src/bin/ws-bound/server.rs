//! The event loop: one thread, level-triggered epoll, non-blocking sockets. Per read of an echo
//! connection, all its replies go out in one `writev` (header + payload pointing into the read
//! buffer); per read of a `/fanout` connection, its messages are framed once and sent to every
//! subscriber with one `send` each (or one io_uring submission for all, with `--sends io_uring`).
//! What the kernel does not take at once waits in the connection's output buffer.

use std::os::fd::RawFd;

use crate::handshake::{self, Role};
use crate::session::{self, Batch, Reply};
use crate::sys::{self, Epoll, IN, OUT};
use crate::uring::FanoutRing;

/// Bytes asked of the kernel per read.
const READ_SIZE: usize = 256 * 1024;
/// Output a subscriber may have waiting before it is dropped as a slow consumer (echo
/// connections never get near it: they are not read while their output waits).
const MAX_BACKLOG: usize = 64 * 1024 * 1024;
/// iovecs per `writev` (the kernel's IOV_MAX).
const IOV_MAX: usize = 1024;
const LISTENER_KEY: u64 = u64::MAX;

enum State {
    /// Reading the request head.
    Head(Vec<u8>),
    Open(Role),
}

struct Conn {
    state: State,
    /// An incomplete frame carried over to the next read.
    input: Vec<u8>,
    /// Bytes the kernel has not taken yet, from `sent` on.
    output: Vec<u8>,
    sent: usize,
    /// Its place in `subscribers`, for a `/fanout` connection.
    slot: usize,
    /// What epoll watches it for now (so it is told only of changes).
    events: u32,
}

impl Conn {
    fn waiting(&self) -> bool {
        self.sent < self.output.len()
    }

    fn queue(&mut self, bytes: &[u8]) {
        self.output.extend_from_slice(bytes);
    }

    /// Watches for room to write while output waits. An echo connection is not read meanwhile:
    /// that is its backpressure (its client waits for replies before it sends more).
    fn watch(&mut self, epoll: &Epoll, fd: RawFd) {
        let events = match (self.waiting(), &self.state) {
            (false, _) => IN,
            (true, State::Open(Role::Echo)) => OUT,
            (true, _) => IN | OUT,
        };
        if events != self.events {
            self.events = events;
            epoll.modify(fd, fd as u64, events);
        }
    }
}

pub struct Server {
    epoll: Epoll,
    listener: RawFd,
    /// Indexed by descriptor.
    conns: Vec<Option<Conn>>,
    subscribers: Vec<RawFd>,
    read_buf: Vec<u8>,
    batch: Batch,
    iov: Vec<libc::iovec>,
    ring: Option<FanoutRing>,
    results: Vec<i32>,
    /// Subscribers the io_uring path sends to (those with no output waiting).
    ready: Vec<RawFd>,
    doomed: Vec<RawFd>,
}

impl Server {
    pub fn new(listener: RawFd, ring: Option<FanoutRing>) -> Server {
        let epoll = Epoll::new();
        epoll.add(listener, LISTENER_KEY, IN);
        Server {
            epoll,
            listener,
            conns: Vec::new(),
            subscribers: Vec::new(),
            read_buf: vec![0; READ_SIZE],
            batch: Batch::default(),
            iov: Vec::with_capacity(IOV_MAX),
            ring,
            results: Vec::new(),
            ready: Vec::new(),
            doomed: Vec::new(),
        }
    }

    pub fn run(&mut self) -> ! {
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
        loop {
            let n = self.epoll.wait(&mut events);
            for e in &events[..n] {
                let (key, flags) = (e.u64, e.events);
                if key == LISTENER_KEY {
                    self.accept_all();
                    continue;
                }
                let fd = key as RawFd;
                if flags & OUT != 0 && self.conns[fd as usize].is_some() {
                    self.on_writable(fd);
                }
                // EPOLLHUP and EPOLLERR come with no EPOLLIN at times: the read reports them.
                if flags & !OUT != 0 && self.conns[fd as usize].is_some() {
                    self.on_readable(fd);
                }
            }
        }
    }

    fn accept_all(&mut self) {
        loop {
            match sys::accept(self.listener) {
                Ok(Some(fd)) => {
                    let i = fd as usize;
                    if self.conns.len() <= i {
                        self.conns.resize_with(i + 1, || None);
                    }
                    self.conns[i] = Some(Conn {
                        state: State::Head(Vec::new()),
                        input: Vec::new(),
                        output: Vec::new(),
                        sent: 0,
                        slot: 0,
                        events: IN,
                    });
                    self.epoll.add(fd, fd as u64, IN);
                }
                Ok(None) => return,
                Err(e) => {
                    // Out of descriptors, most likely: the pending ones wait in the backlog.
                    eprintln!("ws-bound: accept: errno {e}");
                    return;
                }
            }
        }
    }

    fn conn(&mut self, fd: RawFd) -> &mut Conn {
        self.conns[fd as usize].as_mut().expect("a live connection")
    }

    fn on_readable(&mut self, fd: RawFd) {
        loop {
            let conn = self.conns[fd as usize].as_mut().expect("live");
            let carried = !conn.input.is_empty() && matches!(conn.state, State::Open(_));
            let (result, room) = if carried {
                // Read after the carried bytes: a frame split over reads costs one more copy of
                // its tail only (moved to the front once handled).
                conn.input.reserve(READ_SIZE);
                let len = conn.input.len();
                let room = conn.input.capacity() - len;
                // SAFETY: `reserve` made `room` bytes of capacity past `len`.
                let r = sys::read(fd, unsafe { conn.input.as_mut_ptr().add(len) }, room);
                if let Ok(n) = r {
                    // SAFETY: the kernel wrote those `n` bytes, within the capacity.
                    unsafe { conn.input.set_len(len + n) };
                }
                (r, room)
            } else {
                (
                    sys::read(fd, self.read_buf.as_mut_ptr(), READ_SIZE),
                    READ_SIZE,
                )
            };
            let n = match result {
                Ok(0) => return self.close(fd),
                Ok(n) => n,
                Err(libc::EAGAIN) => return,
                Err(libc::EINTR) => continue,
                Err(_) => return self.close(fd),
            };
            let alive = match self.conn(fd).state {
                State::Head(_) => self.on_head(fd, n),
                State::Open(role) => self.on_frames(fd, role, carried, n),
            };
            // Stop when closed, when output waits, or when the read drained the socket (it did
            // not fill the room it had): epoll says when there is more.
            if !alive || self.conn(fd).waiting() || n < room {
                return;
            }
        }
    }

    /// `n` more bytes of the request head are in `read_buf`; false when the connection closed.
    fn on_head(&mut self, fd: RawFd, n: usize) -> bool {
        let State::Head(head) = &mut self.conns[fd as usize].as_mut().expect("live").state else {
            unreachable!("on_head on an open connection")
        };
        head.extend_from_slice(&self.read_buf[..n]);
        let Some(end) = handshake::head_end(head) else {
            if head.len() > handshake::MAX_HEAD {
                let (response, _) = handshake::respond(b"");
                let _ = sys::send(fd, &response);
                self.close(fd);
                return false;
            }
            return true;
        };
        let (response, role) = handshake::respond(&head[..end]);
        let rest = head[end..].to_vec();
        let Some(role) = role else {
            let _ = sys::send(fd, &response);
            self.close(fd);
            return false;
        };
        let slot = self.subscribers.len();
        let conn = self.conn(fd);
        conn.state = State::Open(role);
        conn.queue(&response);
        conn.input = rest;
        if role == Role::Fanout {
            conn.slot = slot;
            self.subscribers.push(fd);
        }
        if !self.flush(fd) {
            return false;
        }
        let conn = self.conns[fd as usize].as_mut().expect("live");
        conn.watch(&self.epoll, fd);
        // Frames sent right behind the head.
        self.conn(fd).input.is_empty() || self.on_frames(fd, role, true, 0)
    }

    /// Handles the frames now complete: in `conn.input` when `carried`, else the first `n` bytes
    /// of `read_buf`. False when the connection closed.
    fn on_frames(&mut self, fd: RawFd, role: Role, carried: bool, n: usize) -> bool {
        self.batch.clear();
        let conn = self.conns[fd as usize].as_mut().expect("live");
        let mut input = std::mem::take(&mut conn.input);
        let buf: &mut [u8] = if carried {
            &mut input
        } else {
            &mut self.read_buf[..n]
        };
        let used = session::on_input(buf, role, &mut self.batch);
        let ok = write_replies(fd, conn, buf, &self.batch.replies, &mut self.iov);
        if carried {
            input.drain(..used);
        } else {
            input.extend_from_slice(&self.read_buf[used..n]);
        }
        conn.input = input;
        if !ok {
            self.close(fd);
            return false;
        }
        conn.watch(&self.epoll, fd);
        if !self.batch.publish.is_empty() {
            self.publish();
        }
        if let Some(frame) = self.batch.close.take() {
            // Behind what waits, as much as the kernel takes now, then closed.
            if let Some(conn) = self.conns[fd as usize].as_mut() {
                conn.queue(&frame);
                if self.flush(fd) {
                    self.close(fd);
                }
            }
            return false;
        }
        self.conns[fd as usize].is_some()
    }

    /// Sends `batch.publish` to every subscriber: one `send` each, or one io_uring submission.
    /// A subscriber with output waiting gets the frame queued behind it instead.
    fn publish(&mut self) {
        let frame = &self.batch.publish;
        if let Some(ring) = &mut self.ring {
            self.ready.clear();
            for &fd in &self.subscribers {
                let conn = self.conns[fd as usize].as_mut().expect("live");
                if conn.waiting() {
                    backlog(fd, conn, frame, &mut self.doomed);
                } else {
                    self.ready.push(fd);
                }
            }
            ring.send_all(&self.ready, frame, &mut self.results);
            for (&fd, &r) in self.ready.iter().zip(&self.results) {
                let sent = if r >= 0 { Ok(r as usize) } else { Err(-r) };
                let conn = self.conns[fd as usize].as_mut().expect("live");
                after_send(&self.epoll, fd, conn, frame, sent, &mut self.doomed);
            }
        } else {
            for &fd in &self.subscribers {
                let conn = self.conns[fd as usize].as_mut().expect("live");
                if conn.waiting() {
                    backlog(fd, conn, frame, &mut self.doomed);
                } else {
                    let sent = sys::send(fd, frame);
                    after_send(&self.epoll, fd, conn, frame, sent, &mut self.doomed);
                }
            }
        }
        while let Some(fd) = self.doomed.pop() {
            if self.conns[fd as usize].is_some() {
                self.close(fd);
            }
        }
    }

    fn on_writable(&mut self, fd: RawFd) {
        if self.flush(fd) {
            let conn = self.conns[fd as usize].as_mut().expect("live");
            conn.watch(&self.epoll, fd);
        }
    }

    /// Writes what waits, as much as the kernel takes; false when the connection closed.
    fn flush(&mut self, fd: RawFd) -> bool {
        let conn = self.conn(fd);
        while conn.waiting() {
            match sys::send(fd, &conn.output[conn.sent..]) {
                Ok(n) => conn.sent += n,
                Err(libc::EAGAIN) => {
                    // Drop what was sent once it is most of the buffer, so a subscriber that is
                    // always behind does not grow it for ever.
                    if conn.sent > conn.output.len() / 2 {
                        conn.output.drain(..conn.sent);
                        conn.sent = 0;
                    }
                    return true;
                }
                Err(libc::EINTR) => {}
                Err(_) => {
                    self.close(fd);
                    return false;
                }
            }
        }
        conn.output.clear();
        conn.sent = 0;
        true
    }

    fn close(&mut self, fd: RawFd) {
        let conn = self.conns[fd as usize].take().expect("live");
        if matches!(conn.state, State::Open(Role::Fanout)) {
            self.subscribers.swap_remove(conn.slot);
            if let Some(&moved) = self.subscribers.get(conn.slot) {
                self.conn(moved).slot = conn.slot;
            }
        }
        // Closing the descriptor takes it out of the epoll set.
        sys::close(fd);
    }
}

/// Writes `replies` (payloads in `buf`) to `fd` in one `writev` per IOV_MAX iovecs, queueing what
/// the kernel does not take. False when the connection failed.
fn write_replies(
    fd: RawFd,
    conn: &mut Conn,
    buf: &[u8],
    replies: &[Reply],
    iov: &mut Vec<libc::iovec>,
) -> bool {
    let mut rest = replies;
    while !rest.is_empty() {
        if conn.waiting() {
            for r in rest {
                conn.queue(&r.header[..r.header_len]);
                conn.queue(&buf[r.payload.clone()]);
            }
            return true;
        }
        let (now, later) = rest.split_at(rest.len().min(IOV_MAX / 2));
        iov.clear();
        for r in now {
            iov.push(libc::iovec {
                iov_base: r.header.as_ptr() as *mut _,
                iov_len: r.header_len,
            });
            if !r.payload.is_empty() {
                iov.push(libc::iovec {
                    iov_base: buf[r.payload.clone()].as_ptr() as *mut _,
                    iov_len: r.payload.len(),
                });
            }
        }
        let mut written = match sys::writev(fd, iov) {
            Ok(n) => n,
            Err(libc::EAGAIN | libc::EINTR) => 0,
            Err(_) => return false,
        };
        // Queue whatever of this writev the kernel did not take.
        for v in iov.iter() {
            if written >= v.iov_len {
                written -= v.iov_len;
                continue;
            }
            // SAFETY: each iovec points at `iov_len` live bytes (a reply header or `buf`).
            let bytes = unsafe { std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len) };
            conn.queue(&bytes[written..]);
            written = 0;
        }
        rest = later;
    }
    true
}

/// After a fan-out `send` to `fd` returned `sent`: queue the rest, or doom the subscriber.
fn after_send(
    epoll: &Epoll,
    fd: RawFd,
    conn: &mut Conn,
    frame: &[u8],
    sent: Result<usize, sys::Errno>,
    doomed: &mut Vec<RawFd>,
) {
    let taken = match sent {
        Ok(n) => n,
        Err(libc::EAGAIN | libc::EINTR) => 0,
        Err(_) => return doomed.push(fd),
    };
    if taken < frame.len() {
        conn.queue(&frame[taken..]);
        conn.watch(epoll, fd);
    }
}

/// Queues `frame` behind a subscriber's waiting output, dropping it past MAX_BACKLOG.
fn backlog(fd: RawFd, conn: &mut Conn, frame: &[u8], doomed: &mut Vec<RawFd>) {
    conn.queue(frame);
    if conn.output.len() - conn.sent > MAX_BACKLOG {
        doomed.push(fd);
    }
}
