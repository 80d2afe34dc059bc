//! `ws-bound`: the least work any WebSocket server can do per message on this machine, the
//! bound row of the WebSocket benchmark (`bench/ws/run.mjs`). One thread, level-triggered epoll,
//! non-blocking sockets with `TCP_NODELAY`, no framework, no allocation per message.
//!
//! It does what the bench's servers must do and nothing more: the RFC 6455 handshake (no
//! extension: permessage-deflate offers are declined), echo of every message on any path
//! (unmasked in place, a read's replies in one `writev`), and on `/fanout` every message to
//! every `/fanout` connection (framed once, one `send` per subscriber). Text is checked to be
//! UTF-8, as RFC 6455 requires of every server. It closes on what the bench never sends
//! (fragmented messages, bad frames): it is a measuring stick, not a general server.
//!
//! ```text
//! ws-bound <port> [--sends epoll|io_uring]
//! ```
//! `--sends io_uring` submits a fan-out's sends through one io_uring submission instead of one
//! `send` system call each (everything else stays on epoll). It prints one line, `… listening on
//! <port>` (port 0 asks the kernel for a free one).

mod frames;
mod handshake;
mod server;
mod session;
mod sys;
mod uring;

use std::net::TcpListener;
use std::os::fd::IntoRawFd;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port: u16 = args
        .first()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| usage());
    let uring = match args.get(1..).unwrap_or_default() {
        [] => false,
        [flag, value] if flag == "--sends" && value == "epoll" => false,
        [flag, value] if flag == "--sends" && value == "io_uring" => true,
        _ => usage(),
    };
    sys::prepare_process();
    let ring = uring.then(|| {
        uring::FanoutRing::new().unwrap_or_else(|e| {
            eprintln!("ws-bound: io_uring: {e}");
            std::process::exit(1)
        })
    });
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| {
        eprintln!("ws-bound: listen on {port}: {e}");
        std::process::exit(1)
    });
    listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    let sends = if uring { "io_uring" } else { "epoll" };
    // The port bound, which port 0 leaves to the kernel (the tests use that).
    let port = listener.local_addr().expect("bound address").port();
    println!("ws-bound (Rust epoll, sends: {sends}) listening on {port}");
    server::Server::new(listener.into_raw_fd(), ring).run()
}

fn usage() -> ! {
    eprintln!("usage: ws-bound <port> [--sends epoll|io_uring]");
    std::process::exit(2)
}
