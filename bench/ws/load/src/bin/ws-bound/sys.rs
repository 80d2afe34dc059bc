//! The system calls the bound makes, each as thin as a wrapper can be: epoll, accept, read,
//! writev, send. Errors come back as `Err(errno)`.

use std::os::fd::RawFd;

pub type Errno = i32;

fn errno() -> Errno {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn check(r: isize) -> Result<usize, Errno> {
    if r < 0 {
        Err(errno())
    } else {
        Ok(r as usize)
    }
}

pub const IN: u32 = libc::EPOLLIN as u32;
pub const OUT: u32 = libc::EPOLLOUT as u32;

/// A level-triggered epoll set keyed by descriptor.
pub struct Epoll(RawFd);

impl Epoll {
    pub fn new() -> Epoll {
        // SAFETY: plain system call; the result is checked.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        assert!(fd >= 0, "epoll_create1: errno {}", errno());
        Epoll(fd)
    }

    fn ctl(&self, op: i32, fd: RawFd, key: u64, events: u32) {
        let mut ev = libc::epoll_event { events, u64: key };
        // SAFETY: `ev` is valid for the call. Failing here means a descriptor was mislaid, a bug.
        let r = unsafe { libc::epoll_ctl(self.0, op, fd, &mut ev) };
        assert!(r == 0, "epoll_ctl: errno {}", errno());
    }

    pub fn add(&self, fd: RawFd, key: u64, events: u32) {
        self.ctl(libc::EPOLL_CTL_ADD, fd, key, events);
    }

    pub fn modify(&self, fd: RawFd, key: u64, events: u32) {
        self.ctl(libc::EPOLL_CTL_MOD, fd, key, events);
    }

    /// Fills `events` with ready descriptors, waiting as long as it takes; returns how many.
    pub fn wait(&self, events: &mut [libc::epoll_event]) -> usize {
        // SAFETY: `events` has room for `len` entries for the kernel to fill.
        let n = unsafe { libc::epoll_wait(self.0, events.as_mut_ptr(), events.len() as i32, -1) };
        n.max(0) as usize
    }
}

/// A new connection from `listener`, non-blocking with `TCP_NODELAY`; `Ok(None)` when none waits.
pub fn accept(listener: RawFd) -> Result<Option<RawFd>, Errno> {
    let flags = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: null address pointers ask for no peer address.
    let fd = unsafe { libc::accept4(listener, std::ptr::null_mut(), std::ptr::null_mut(), flags) };
    if fd < 0 {
        let e = errno();
        return if e == libc::EAGAIN || e == libc::EINTR {
            Ok(None)
        } else {
            Err(e)
        };
    }
    let on: libc::c_int = 1;
    // SAFETY: `on` is a valid int option value for the length given.
    unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as u32,
        );
    }
    Ok(Some(fd))
}

/// Reads into `buf`'s first `len` bytes (`buf` points at at least `len` writable bytes).
pub fn read(fd: RawFd, buf: *mut u8, len: usize) -> Result<usize, Errno> {
    // SAFETY: the caller hands `len` writable bytes at `buf`.
    check(unsafe { libc::read(fd, buf.cast(), len) })
}

/// Gathers `iov` into one write.
pub fn writev(fd: RawFd, iov: &[libc::iovec]) -> Result<usize, Errno> {
    // SAFETY: every iovec points into memory alive for the call (the caller's buffers).
    check(unsafe { libc::writev(fd, iov.as_ptr(), iov.len() as i32) })
}

/// Sends `buf` without blocking and without SIGPIPE.
pub fn send(fd: RawFd, buf: &[u8]) -> Result<usize, Errno> {
    let flags = libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT;
    // SAFETY: `buf` is valid for its length.
    check(unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), flags) })
}

pub fn close(fd: RawFd) {
    // SAFETY: the caller owns `fd` and forgets it after this.
    unsafe { libc::close(fd) };
}

/// Makes room for the 10,000-subscriber fan-out, and lets a closed peer show up as EPIPE.
pub fn prepare_process() {
    ws_load::raise_fd_limit();
    // SAFETY: SIG_IGN is a valid disposition.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}
