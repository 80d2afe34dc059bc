//! Sockets and epoll, as thin as the load client needs them.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};

/// An upgraded WebSocket connection, non-blocking.
pub struct Conn(TcpStream);

impl Conn {
    pub fn fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }

    /// Bytes read, or `None` when none are waiting. The server closing is fatal: a benchmark
    /// whose connections drop measures nothing.
    pub fn read(&mut self, buf: &mut [u8]) -> Option<usize> {
        match self.0.read(buf) {
            Ok(0) => fail("the server closed a connection"),
            Ok(n) => Some(n),
            Err(e) if e.kind() == ErrorKind::WouldBlock => None,
            Err(e) if e.kind() == ErrorKind::Interrupted => Some(0),
            Err(e) => fail(&format!("read: {e}")),
        }
    }

    /// Bytes written, or `None` when the socket is full.
    pub fn write(&mut self, buf: &[u8]) -> Option<usize> {
        match self.0.write(buf) {
            Ok(n) => Some(n),
            Err(e) if e.kind() == ErrorKind::WouldBlock => None,
            Err(e) if e.kind() == ErrorKind::Interrupted => Some(0),
            Err(e) => fail(&format!("write: {e}")),
        }
    }
}

fn fail(why: &str) -> ! {
    eprintln!("ws-load: {why}");
    std::process::exit(1)
}

/// Opens `count` WebSockets on 127.0.0.1:`port` at `path` (one handshake at a time).
pub fn open_many(port: u16, path: &str, count: usize) -> Vec<Conn> {
    ws_load::raise_fd_limit();
    (0..count).map(|_| open(port, path)).collect()
}

fn open(port: u16, path: &str) -> Conn {
    let mut s =
        TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| fail(&format!("connect: {e}")));
    s.set_nodelay(true).expect("nodelay");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    s.write_all(request.as_bytes())
        .unwrap_or_else(|e| fail(&format!("handshake: {e}")));
    // Read byte by byte up to the blank line: nothing after the 101 may be swallowed (the
    // servers send no frame before the client's first).
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => fail("the server closed the connection during the handshake"),
        }
    }
    if !head.starts_with(b"HTTP/1.1 101") {
        fail(&format!(
            "upgrade refused: {}",
            String::from_utf8_lossy(&head)
        ));
    }
    s.set_nonblocking(true).expect("nonblocking");
    Conn(s)
}

/// CLOCK_MONOTONIC in nanoseconds: the same clock in every process of the machine.
pub fn monotonic_ns() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the kernel to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// A level-triggered epoll set keyed by connection index.
pub struct Epoll {
    fd: RawFd,
    events: std::cell::RefCell<Vec<libc::epoll_event>>,
}

impl Epoll {
    pub fn new() -> Self {
        // SAFETY: plain syscall; the result is checked.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            fail("epoll_create1");
        }
        Epoll {
            fd,
            events: std::cell::RefCell::new(vec![libc::epoll_event { events: 0, u64: 0 }; 1024]),
        }
    }

    fn ctl(&self, op: i32, fd: RawFd, key: u64, events: u32) {
        let mut ev = libc::epoll_event { events, u64: key };
        // SAFETY: `ev` is a valid event for the duration of the call.
        if unsafe { libc::epoll_ctl(self.fd, op, fd, &mut ev) } < 0 {
            fail("epoll_ctl");
        }
    }

    /// Watches `fd` for input.
    pub fn add(&self, fd: RawFd, key: u64) {
        self.ctl(libc::EPOLL_CTL_ADD, fd, key, libc::EPOLLIN as u32);
    }

    /// Watches `fd` for room to write too (`on`), or for input only.
    pub fn watch_writable(&self, fd: RawFd, key: u64, on: bool) {
        let out = if on { libc::EPOLLOUT as u32 } else { 0 };
        self.ctl(libc::EPOLL_CTL_MOD, fd, key, libc::EPOLLIN as u32 | out);
    }

    /// Ready connections as `(key, writable)`, waiting up to `ms`.
    pub fn wait(&self, ms: i32) -> Vec<(u64, bool)> {
        let mut events = self.events.borrow_mut();
        // SAFETY: `events` has room for `len` entries for the kernel to fill.
        let n = unsafe { libc::epoll_wait(self.fd, events.as_mut_ptr(), events.len() as i32, ms) };
        (0..n.max(0) as usize)
            .map(|i| {
                let e = events[i];
                (e.u64, e.events & libc::EPOLLOUT as u32 != 0)
            })
            .collect()
    }
}
