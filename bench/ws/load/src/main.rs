//! The WebSocket benchmark's native load client (`bench/ws/run.mjs --load native`): one epoll
//! thread on raw sockets, so that the client costs far less CPU per message than the servers
//! it measures. Frames are built once and written as they are (masked with a zero key, which
//! leaves the payload as it is: the server still unmasks); replies are counted from frame
//! headers alone.
//!
//! ```text
//! ws-load echo <port> <connections> <depth> <size> <binary 0|1> <seconds>
//! ws-load fanout <port> <subscribers> <seconds>
//! ```
//! Both open their connections, print `ready`, wait for a line on stdin (the runner starts its
//! CPU clocks then), run, and print one result line: `replies <n>` for echo; `rounds <n> p99_us
//! <x>` for fan-out (one message published at a time through the first subscriber, the next
//! once every subscriber got it; latency from the CLOCK_MONOTONIC time the message carries).

mod frames;
mod net;

use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

use frames::{client_frame, FrameReader};
use net::{Conn, Epoll};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = |i: usize| -> u64 {
        args.get(i)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| usage())
    };
    match args.first().map(String::as_str) {
        Some("echo") => echo(
            n(1) as u16,
            n(2) as usize,
            n(3) as usize,
            n(4) as usize,
            n(5) == 1,
            n(6),
        ),
        Some("fanout") => fanout(n(1) as u16, n(2) as usize, n(3)),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!("usage: ws-load echo <port> <connections> <depth> <size> <binary 0|1> <seconds>");
    eprintln!("       ws-load fanout <port> <subscribers> <seconds>");
    std::process::exit(2)
}

/// Says `ready` and waits for the runner's go.
fn ready() {
    println!("ready");
    std::io::stdout().flush().expect("stdout");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).expect("stdin");
}

/// One echo connection: its socket, its reply reader, the bytes it owes the server (the replies'
/// worth of frames) and where in the frame its next write starts.
struct EchoConn {
    conn: Conn,
    reader: FrameReader,
    owed: usize,
    offset: usize,
}

impl EchoConn {
    /// Writes what the connection owes; watches (as `key`) for room when the socket is full.
    fn flush(&mut self, burst: &[u8], frame_len: usize, epoll: &Epoll, key: u64) {
        while self.owed > 0 {
            let n = self.owed.min(burst.len() - self.offset);
            match self.conn.write(&burst[self.offset..self.offset + n]) {
                Some(w) => {
                    self.owed -= w;
                    self.offset = (self.offset + w) % frame_len;
                }
                None => break,
            }
        }
        epoll.watch_writable(self.conn.fd(), key, self.owed > 0);
    }
}

fn echo(port: u16, count: usize, depth: usize, size: usize, binary: bool, seconds: u64) {
    let frame = client_frame(&vec![1u8; size], binary);
    // One frame more than the depth, so a write may start anywhere in a frame.
    let burst = frame.repeat(depth + 1);
    let epoll = Epoll::new();
    let mut conns: Vec<EchoConn> = net::open_many(port, "/echo", count)
        .into_iter()
        .map(|conn| EchoConn {
            conn,
            reader: FrameReader::new(false),
            owed: depth * frame.len(),
            offset: 0,
        })
        .collect();
    for (i, c) in conns.iter().enumerate() {
        epoll.add(c.conn.fd(), i as u64);
    }
    ready();
    for (i, c) in conns.iter_mut().enumerate() {
        c.flush(&burst, frame.len(), &epoll, i as u64);
    }
    let mut buf = vec![0u8; 256 * 1024];
    let mut replies: u64 = 0;
    let end = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < end {
        for (key, writable) in epoll.wait(100) {
            let c = &mut conns[key as usize];
            if writable {
                c.flush(&burst, frame.len(), &epoll, key);
            }
            let mut got = 0;
            while let Some(n) = c.conn.read(&mut buf) {
                got += c.reader.feed(&buf[..n], |_| {});
                if n < buf.len() {
                    break;
                }
            }
            if got > 0 {
                replies += got as u64;
                c.owed += got * frame.len();
                c.flush(&burst, frame.len(), &epoll, key);
            }
        }
    }
    println!("replies {replies}");
}

/// Latency histogram: 10 µs buckets up to 10 s.
const BUCKET_NS: u64 = 10_000;

fn fanout(port: u16, count: usize, seconds: u64) {
    let mut conns = net::open_many(port, "/fanout", count);
    let epoll = Epoll::new();
    for (i, c) in conns.iter().enumerate() {
        epoll.add(c.fd(), i as u64);
    }
    let mut readers: Vec<FrameReader> = (0..count).map(|_| FrameReader::new(true)).collect();
    let mut histogram = vec![0u64; 1_000_000];
    let mut buf = vec![0u8; 64 * 1024];
    ready();
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut rounds: u64 = 0;
    while Instant::now() < end {
        let message = client_frame(net::monotonic_ns().to_string().as_bytes(), false);
        let mut sent = 0;
        while sent < message.len() {
            sent += conns[0].write(&message[sent..]).unwrap_or(0);
        }
        let mut got = 0;
        while got < count {
            for (key, _) in epoll.wait(1000) {
                let i = key as usize;
                while let Some(n) = conns[i].read(&mut buf) {
                    got += readers[i].feed(&buf[..n], |payload| {
                        let at: u64 = std::str::from_utf8(payload)
                            .ok()
                            .and_then(|s| s.parse().ok())
                            .unwrap_or(0);
                        let ns = net::monotonic_ns().saturating_sub(at);
                        let bucket = ((ns / BUCKET_NS) as usize).min(histogram.len() - 1);
                        histogram[bucket] += 1;
                    });
                    if n < buf.len() {
                        break;
                    }
                }
            }
        }
        rounds += 1;
    }
    let total: u64 = histogram.iter().sum();
    let mut seen = 0;
    let mut p99_us = 0;
    for (bucket, &n) in histogram.iter().enumerate() {
        seen += n;
        if seen * 100 >= total * 99 {
            p99_us = bucket as u64 * BUCKET_NS / 1000;
            break;
        }
    }
    println!("rounds {rounds} p99_us {p99_us}");
}
