//! Stopping accepting while the open connections keep being served: how `zephyr dev` hands its
//! port over to a newer generation listening beside this one with `SO_REUSEPORT`.

use std::os::fd::AsRawFd;

use io_uring::opcode;

use super::{token, Server, ACCEPT, CANCEL, NO_CONN};

impl Server {
    /// Cancels the multishot accept; its last completion then says the listener can close.
    pub(super) fn cancel_accept(&mut self) {
        self.push(
            opcode::AsyncCancel::new(token(ACCEPT, NO_CONN))
                .build()
                .user_data(token(CANCEL, NO_CONN)),
        );
    }

    /// Stops accepting new connections; the open ones keep being served, keep-alive included,
    /// until they close or [`Server::shutdown`] closes them. The multishot accept is cancelled
    /// and, once its last completion is in, the listener is closed (see [`Server::is_listening`]).
    /// New QUIC connections are refused too; the UDP socket stays open for the QUIC connections
    /// already served on it. Idempotent; does nothing once shutting down.
    pub fn stop_accepting(&mut self) {
        if self.accept_stopped || self.shutting_down {
            return;
        }
        self.accept_stopped = true;
        if let Some(h3) = self.h3.as_mut() {
            h3.session.stop_accepting();
        }
        if self.accept_armed {
            self.cancel_accept();
        } else {
            self.close_listener();
        }
    }

    /// Whether the listening socket is still open (false once `stop_accepting` or `shutdown`
    /// has taken effect).
    pub fn is_listening(&self) -> bool {
        self.listener.is_some()
    }

    /// Takes in the connections the kernel has queued on the listener, then closes it. Closing a
    /// listener resets what is still queued on it, and with `SO_REUSEPORT` the kernel queues a
    /// share of new connections on each socket of the port until the moment it closes: taking
    /// them in first leaves only the microseconds between the last `accept` and `close`.
    pub(super) fn close_listener(&mut self) {
        let Some(listener) = self.listener.take() else {
            return;
        };
        let fd = listener.as_raw_fd();
        // SAFETY: plain fcntl on our own listening socket; no accept is armed on it any more, so
        // making it non-blocking only changes the accepts below.
        let nonblocking = unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            flags >= 0 && libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) == 0
        };
        // Until the queue is empty (EAGAIN) or accept fails for good; EINTR just retries.
        if nonblocking {
            loop {
                // SAFETY: plain syscall on our own listening socket; null address pointers ask
                // for no peer address.
                let conn = unsafe {
                    libc::accept4(
                        fd,
                        std::ptr::null_mut(),
                        std::ptr::null_mut(),
                        libc::SOCK_CLOEXEC,
                    )
                };
                if conn >= 0 {
                    self.adopt(conn);
                } else if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                    break;
                }
            }
        }
        drop(listener);
    }
}
