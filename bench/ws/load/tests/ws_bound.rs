//! ws-bound over real sockets: the handshake, echo of frames split anywhere and of more than the
//! socket buffers hold, fan-out to every subscriber, and closing on what it does not support.
//! Each test runs both send modes (`--sends epoll` and `--sends io_uring`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

/// A running ws-bound, killed when dropped.
struct Bound {
    child: Child,
    port: u16,
}

impl Bound {
    fn start(sends: &str) -> Bound {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ws-bound"))
            .args(["0", "--sends", sends])
            .stdout(Stdio::piped())
            .spawn()
            .expect("ws-bound starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("its listening line");
        let port = line.trim().rsplit(' ').next().and_then(|p| p.parse().ok());
        Bound {
            child,
            port: port.unwrap_or_else(|| panic!("no port in {line:?}")),
        }
    }

    fn connect(&self, path: &str) -> TcpStream {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        // A lost reply fails the test instead of hanging it.
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .expect("request");
        let head = read_head(&mut s);
        assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
        assert!(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
        s
    }
}

impl Drop for Bound {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_head(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).expect("response head");
        head.push(byte[0]);
    }
    String::from_utf8(head).expect("ASCII head")
}

/// A masked client frame.
fn frame(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut f = vec![if fin { 0x80 } else { 0 } | opcode];
    match payload.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n if n < 65536 => {
            f.push(0x80 | 126);
            f.extend((n as u16).to_be_bytes());
        }
        n => {
            f.push(0x80 | 127);
            f.extend((n as u64).to_be_bytes());
        }
    }
    f.extend(mask);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    f
}

/// Reads one server frame: its opcode and payload.
fn read_frame(s: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut h = [0u8; 2];
    s.read_exact(&mut h).expect("frame header");
    assert_eq!(h[0] & 0x70, 0, "no RSV bit");
    assert_eq!(h[1] & 0x80, 0, "server frames are not masked");
    let len = match h[1] & 0x7f {
        126 => {
            let mut l = [0u8; 2];
            s.read_exact(&mut l).unwrap();
            u16::from_be_bytes(l) as usize
        }
        127 => {
            let mut l = [0u8; 8];
            s.read_exact(&mut l).unwrap();
            u64::from_be_bytes(l) as usize
        }
        n => n as usize,
    };
    let mut payload = vec![0u8; len];
    s.read_exact(&mut payload).expect("payload");
    (h[0] & 0x0f, payload)
}

const MODES: [&str; 2] = ["epoll", "io_uring"];

#[test]
fn echoes_every_message_whatever_the_write_boundaries() {
    for mode in MODES {
        let bound = Bound::start(mode);
        let mut s = bound.connect("/echo");
        let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut stream = Vec::new();
        for i in 0..50 {
            stream.extend(frame(1, true, format!("message {i} é").as_bytes()));
        }
        stream.extend(frame(2, true, &big));
        stream.extend(frame(9, true, b"ping"));
        for chunk in stream.chunks(7) {
            s.write_all(chunk).unwrap();
        }
        for i in 0..50 {
            assert_eq!(
                read_frame(&mut s),
                (1, format!("message {i} é").into_bytes())
            );
        }
        assert_eq!(read_frame(&mut s), (2, big.clone()));
        assert_eq!(read_frame(&mut s), (10, b"ping".to_vec()));
    }
}

#[test]
fn buffers_replies_the_kernel_cannot_take_yet() {
    for mode in MODES {
        let bound = Bound::start(mode);
        let mut s = bound.connect("/");
        // 64 MiB out before a byte is read back: far more than loopback's socket buffers.
        let message = vec![0xabu8; 1 << 20];
        let mut writer = s.try_clone().unwrap();
        let one = frame(2, true, &message);
        let sending = std::thread::spawn(move || {
            for _ in 0..64 {
                writer.write_all(&one).unwrap();
            }
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        for _ in 0..64 {
            assert_eq!(read_frame(&mut s), (2, message.clone()));
        }
        sending.join().unwrap();
    }
}

#[test]
fn fans_out_each_message_to_every_subscriber_and_leaves_echo_alone() {
    for mode in MODES {
        let bound = Bound::start(mode);
        let mut subs: Vec<TcpStream> = (0..5).map(|_| bound.connect("/fanout")).collect();
        let mut echo = bound.connect("/echo");
        subs[2].write_all(&frame(1, true, b"one")).unwrap();
        subs[4].write_all(&frame(2, true, &[7; 300])).unwrap();
        for s in &mut subs {
            assert_eq!(read_frame(s), (1, b"one".to_vec()));
            assert_eq!(read_frame(s), (2, vec![7; 300]));
        }
        // A closed subscriber is dropped from the set; the others still get every message.
        drop(subs.remove(0));
        echo.write_all(&frame(1, true, b"mine")).unwrap();
        assert_eq!(read_frame(&mut echo), (1, b"mine".to_vec()));
        subs[0].write_all(&frame(1, true, b"two")).unwrap();
        for s in &mut subs {
            assert_eq!(read_frame(s), (1, b"two".to_vec()));
        }
    }
}

#[test]
fn closes_with_a_code_on_what_it_does_not_support() {
    let bound = Bound::start("epoll");
    for (bad, code) in [
        (frame(1, false, b"fragment"), 1003u16),
        (frame(1, true, &[0xc3, 0x28]), 1007),
        (b"\x81\x02hi".to_vec(), 1002),
        (frame(8, true, &1000u16.to_be_bytes()), 1000),
    ] {
        let mut s = bound.connect("/echo");
        s.write_all(&frame(1, true, b"before")).unwrap();
        s.write_all(&bad).unwrap();
        assert_eq!(read_frame(&mut s), (1, b"before".to_vec()));
        assert_eq!(read_frame(&mut s), (8, code.to_be_bytes().to_vec()));
        assert_eq!(
            s.read(&mut [0u8; 16]).unwrap(),
            0,
            "then the connection closes"
        );
    }
    let mut s = TcpStream::connect(("127.0.0.1", bound.port)).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert!(read_head(&mut s).starts_with("HTTP/1.1 400 "));
}

#[test]
fn fans_out_past_one_io_uring_submission() {
    // More subscribers than one submission holds (1,024): the test needs that many descriptors.
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is valid for the kernel to fill and read.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
    for mode in MODES {
        let bound = Bound::start(mode);
        let mut subs: Vec<TcpStream> = (0..1_100).map(|_| bound.connect("/fanout")).collect();
        subs[1_099].write_all(&frame(1, true, b"to all")).unwrap();
        for s in &mut subs {
            assert_eq!(read_frame(s), (1, b"to all".to_vec()));
        }
    }
}
