//! The real loop on a real ring, driven by a Rust handler on its own thread, against std
//! `TcpStream` clients: what the JS binding relies on, without Node.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::IntoRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use zephyr_uring::conn::{ConnId, EventSink, RequestEvent};
use zephyr_uring::listener::{resolve, ListenerOptions};
use zephyr_uring::protocol::commands::{
    apply, CommandEncoder, EncodedBody, FileCommand, WriteFlags,
};
use zephyr_uring::server::{FileRange, Limits, Server, ServerConfig};

/// What a test handler sees.
#[derive(Debug, Clone)]
#[allow(dead_code)] // every field is recorded so a failing assertion prints the whole event
enum Event {
    Request {
        conn: ConnId,
        seq: u32,
        method: String,
        path: String,
        body: Option<Vec<u8>>,
        follows: bool,
    },
    Body {
        conn: ConnId,
        seq: u32,
        chunk: Vec<u8>,
        last: bool,
    },
    BodyError {
        conn: ConnId,
        seq: u32,
        status: u16,
    },
    Aborted(ConnId),
    FileSent(ConnId, u32, i32),
}

struct Collect(Vec<Event>);

impl EventSink for Collect {
    fn request(&mut self, conn: ConnId, seq: u32, req: &RequestEvent<'_>) -> bool {
        let h = req.head;
        // Stands for a bug anywhere in the loop: the loop must contain it to the connection.
        assert!(
            h.slice(req.buf, h.target) != b"/panic",
            "a bug while handling /panic"
        );
        self.0.push(Event::Request {
            conn,
            seq,
            method: String::from_utf8_lossy(h.slice(req.buf, h.method)).into(),
            path: String::from_utf8_lossy(h.slice(req.buf, h.target)).into(),
            body: req.body.map(<[u8]>::to_vec),
            follows: req.body_follows,
        });
        true
    }
    fn has_room(&self, _: usize) -> bool {
        true
    }
    fn body(&mut self, conn: ConnId, seq: u32, chunk: &[u8], last: bool) {
        self.0.push(Event::Body {
            conn,
            seq,
            chunk: chunk.to_vec(),
            last,
        });
    }
    fn body_error(&mut self, conn: ConnId, seq: u32, status: u16) {
        self.0.push(Event::BodyError { conn, seq, status });
    }
    fn aborted(&mut self, conn: ConnId) {
        self.0.push(Event::Aborted(conn));
    }
    fn drained(&mut self, _: ConnId, _: u32) {}
    fn file_sent(&mut self, conn: ConnId, seq: u32, error: i32) {
        self.0.push(Event::FileSent(conn, seq, error));
    }
}

type Handler = Box<dyn FnMut(&mut Server, Event) + Send>;

struct Running {
    port: u16,
    stop: Arc<AtomicBool>,
    open: Arc<std::sync::atomic::AtomicUsize>,
    /// Times the loop woke up, to catch busy loops.
    wakeups: Arc<std::sync::atomic::AtomicUsize>,
    thread: Option<thread::JoinHandle<usize>>,
}

impl Running {
    /// Stops the loop and returns how many connections were still open before stopping.
    fn stop(mut self) -> usize {
        let open = self.open.load(Ordering::SeqCst);
        self.stop.store(true, Ordering::SeqCst);
        // A connection wakes the loop now rather than at its next timer tick.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        self.thread.take().unwrap().join().unwrap();
        open
    }
}

fn start(limits: Limits, handler: Handler) -> Running {
    start_with(move |config| config.limits = limits, handler)
}

fn start_with(
    configure: impl FnOnce(&mut ServerConfig) + Send + 'static,
    mut handler: Handler,
) -> Running {
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let open2 = open.clone();
    let wakeups = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let wakeups2 = wakeups.clone();
    let thread = thread::spawn(move || {
        let mut config = ServerConfig::new(ListenerOptions {
            addr: resolve("127.0.0.1", 0).unwrap(),
            reuse_port: false,
            backlog: 128,
            tcp_fast_open: false,
        });
        configure(&mut config);
        let mut server = Server::bind(config).unwrap();
        tx.send(server.port()).unwrap();
        let mut sink = Collect(Vec::new());
        while !stop2.load(Ordering::SeqCst) {
            server.wait().unwrap();
            loop {
                wakeups2.fetch_add(1, Ordering::SeqCst);
                let progress = server.process(&mut sink);
                for event in sink.0.drain(..) {
                    handler(&mut server, event);
                }
                server.flush().unwrap();
                if !progress.more {
                    break;
                }
            }
            open2.store(server.connections(), Ordering::SeqCst);
        }
        server.connections()
    });
    let port = rx.recv().unwrap();
    Running {
        port,
        stop,
        open,
        wakeups,
        thread: Some(thread),
    }
}

/// A fixed `date`, so that heads are predictable.
const DATE: (&[u8], &[u8]) = (b"date", b"D");

/// Answers `body` the way the JS side does: a command buffer applied to the server.
fn respond(server: &mut Server, conn: ConnId, seq: u32, body: &str) {
    let mut enc = CommandEncoder::default();
    let end = WriteFlags {
        end: true,
        ..WriteFlags::default()
    };
    enc.respond(
        conn,
        seq,
        200,
        &[DATE],
        Some(body.len() as u64),
        EncodedBody::Bytes(body.as_bytes()),
        end,
    );
    apply::<Vec<u8>>(server, &enc.buf, &mut []).expect("commands apply");
}

/// Answers each request with its path.
fn echo_path() -> Handler {
    Box::new(|server, event| {
        if let Event::Request {
            conn,
            seq,
            path,
            follows: false,
            ..
        } = event
        {
            respond(server, conn, seq, &path);
        }
    })
}

fn client(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

/// Reads until `n` responses (counted by status lines) have arrived or the peer closes.
fn read_responses(s: &mut TcpStream, n: usize) -> String {
    let mut all = Vec::new();
    let mut buf = [0u8; 65536];
    while String::from_utf8_lossy(&all).matches("HTTP/1.1 ").count() < n {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => all.extend_from_slice(&buf[..k]),
        }
    }
    // Bodies are short here: give the last one a moment to arrive in full.
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    while let Ok(k) = s.read(&mut buf) {
        if k == 0 {
            break;
        }
        all.extend_from_slice(&buf[..k]);
    }
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    String::from_utf8_lossy(&all).into_owned()
}

fn read_to_close(s: &mut TcpStream) -> String {
    let mut all = Vec::new();
    let _ = s.read_to_end(&mut all);
    String::from_utf8_lossy(&all).into_owned()
}

#[test]
fn a_panic_while_handling_a_connection_costs_that_connection_a_500_not_the_server() {
    let server = start(Limits::default(), echo_path());
    let mut c = client(server.port);
    c.write_all(b"GET /panic HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let text = read_to_close(&mut c);
    assert!(text.starts_with("HTTP/1.1 500 "), "{text}");
    let mut d = client(server.port);
    d.write_all(b"GET /fine HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(read_responses(&mut d, 1).ends_with("/fine"));
    server.stop();
}

#[test]
fn large_responses_go_out_zero_copy_intact() {
    let body: String = (0..400_000u32)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let expected = body.clone();
    let server = start_with(
        |config| config.send_zc_min = 16 * 1024,
        Box::new(move |server, event| {
            if let Event::Request { conn, seq, .. } = event {
                respond(server, conn, seq, &body);
            }
        }),
    );
    let mut c = client(server.port);
    for _ in 0..3 {
        c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let head =
            "HTTP/1.1 200 OK\r\ndate: D\r\ncontent-length: 400000\r\nkeep-alive: timeout=4\r\n\r\n";
        let mut got = vec![0u8; head.len() + expected.len()];
        c.read_exact(&mut got).unwrap();
        assert!(got[head.len()..] == *expected.as_bytes());
    }
    server.stop();
}

#[test]
fn a_client_pipelining_faster_than_the_handler_is_held_back_by_tcp() {
    // The handler never answers: after 128 parsed requests the engine must stop reading, so the
    // client's writes block instead of the server buffering everything it sends.
    let server = start(Limits::default(), Box::new(|_, _| {}));
    let mut c = client(server.port);
    c.set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let request = b"GET /flood HTTP/1.1\r\nHost: x\r\n\r\n";
    let batch: Vec<u8> = request
        .iter()
        .copied()
        .cycle()
        .take(request.len() * 4096)
        .collect();
    let mut written = 0usize;
    let limit = 256 << 20;
    while written < limit {
        match c.write(&batch) {
            Ok(n) => written += n,
            Err(_) => break,
        }
    }
    assert!(
        written < limit,
        "the server read {written} bytes of requests it could not answer"
    );
    server.stop();
}

#[test]
fn an_unfinished_head_waits_for_bytes_without_waking_the_loop() {
    let server = start(Limits::default(), echo_path());
    let mut c = client(server.port);
    c.write_all(b"GET / HTTP/1.1\r\nHo").unwrap();
    thread::sleep(Duration::from_millis(50));
    let before = server.wakeups.load(Ordering::SeqCst);
    thread::sleep(Duration::from_millis(300));
    let woke = server.wakeups.load(Ordering::SeqCst) - before;
    // Only the deadline timer may tick (at most once a second with the default limits).
    assert!(
        woke <= 2,
        "the loop woke {woke} times in 300 ms while waiting for bytes"
    );
    c.write_all(b"st: x\r\n\r\n").unwrap();
    assert!(read_responses(&mut c, 1).ends_with("\r\n\r\n/"));
    server.stop();
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let server = start(Limits::default(), echo_path());
    let mut c = client(server.port);
    for path in ["/a", "/bb", "/ccc"] {
        c.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .unwrap();
        let text = read_responses(&mut c, 1);
        assert!(text.ends_with(path), "{text}");
    }
    drop(c);
    thread::sleep(Duration::from_millis(100));
    assert_eq!(
        server.stop(),
        0,
        "the closed client's connection must be gone"
    );
}

#[test]
fn pipelined_requests_are_answered_in_order_even_when_handled_out_of_order() {
    // Holds every request and answers the batch in reverse, once 16 have arrived.
    let mut held: Vec<(ConnId, u32, String)> = Vec::new();
    let server = start(
        Limits::default(),
        Box::new(move |server, event| {
            if let Event::Request {
                conn, seq, path, ..
            } = event
            {
                held.push((conn, seq, path));
                if held.len() == 16 {
                    for (conn, seq, path) in held.drain(..).rev() {
                        respond(server, conn, seq, &path);
                    }
                }
            }
        }),
    );
    let mut c = client(server.port);
    let batch: String = (0..16)
        .map(|i| format!("GET /{i} HTTP/1.1\r\nHost: x\r\n\r\n"))
        .collect();
    c.write_all(batch.as_bytes()).unwrap();
    let text = read_responses(&mut c, 16);
    let bodies: Vec<&str> = text
        .split("\r\n\r\n")
        .skip(1)
        .map(|b| b.split("HTTP/1.1").next().unwrap())
        .collect();
    let expected: Vec<String> = (0..16).map(|i| format!("/{i}")).collect();
    assert_eq!(bodies, expected);
    server.stop();
}

#[test]
fn http10_without_keep_alive_gets_its_response_then_a_close() {
    let server = start(Limits::default(), echo_path());
    let mut c = client(server.port);
    c.write_all(b"GET /old HTTP/1.0\r\n\r\n").unwrap();
    let text = read_to_close(&mut c);
    assert!(
        text.starts_with("HTTP/1.1 200 OK") && text.ends_with("/old"),
        "{text}"
    );
    server.stop();
}

#[test]
fn connection_close_is_honoured_after_the_response() {
    let server = start(Limits::default(), echo_path());
    let mut c = client(server.port);
    c.write_all(b"GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let text = read_to_close(&mut c);
    assert!(text.ends_with("/bye"), "{text}");
    assert!(!text.contains("/never"));
    server.stop();
}

#[test]
fn limits_are_answered_with_their_status_and_a_close() {
    let limits = Limits {
        max_header_bytes: 1024,
        max_url_length: 64,
        max_body_bytes: 100,
        ..Limits::default()
    };
    let server = start(limits, echo_path());
    let cases = [
        (
            format!(
                "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
                "a".repeat(2000)
            ),
            "431",
        ),
        (
            format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "u".repeat(100)),
            "414",
        ),
        (
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n".to_string(),
            "413",
        ),
        ("GET / HTTP/1.1\r\nHost x\r\n\r\n".to_string(), "400"),
    ];
    for (request, status) in cases {
        let mut c = client(server.port);
        c.write_all(request.as_bytes()).unwrap();
        let text = read_to_close(&mut c);
        assert!(
            text.starts_with(&format!("HTTP/1.1 {status} ")),
            "{status}: {text}"
        );
        assert!(
            text.to_ascii_lowercase().contains("connection: close"),
            "{text}"
        );
    }
    thread::sleep(Duration::from_millis(100));
    assert_eq!(server.stop(), 0);
}

#[test]
fn a_chunked_body_is_decoded_and_streamed() {
    let mut body = Vec::new();
    let server = start(
        Limits::default(),
        Box::new(move |server, event| match event {
            Event::Request {
                body: Some(b),
                conn,
                seq,
                ..
            } => respond(server, conn, seq, &String::from_utf8_lossy(&b)),
            Event::Request { .. } => {}
            Event::Body {
                conn,
                seq,
                chunk,
                last,
            } => {
                body.extend_from_slice(&chunk);
                if last {
                    let text = String::from_utf8(std::mem::take(&mut body)).unwrap();
                    respond(server, conn, seq, &text);
                }
            }
            _ => {}
        }),
    );
    let mut c = client(server.port);
    c.write_all(
        b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    )
    .unwrap();
    thread::sleep(Duration::from_millis(30));
    c.write_all(
        b"6\r\n world\r\n0\r\n\r\nPOST /cl HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
    )
    .unwrap();
    let text = read_responses(&mut c, 2);
    assert!(text.contains("\r\n\r\nhello world"), "{text}");
    assert!(text.ends_with("\r\n\r\nabc"), "{text}");
    server.stop();
}

#[test]
fn the_header_timeout_answers_408_to_a_slow_client() {
    let limits = Limits {
        header_timeout_ms: 150,
        ..Limits::default()
    };
    let server = start(limits, echo_path());
    let mut c = client(server.port);
    c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    let text = read_to_close(&mut c);
    assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
    server.stop();
}

#[test]
fn the_request_timeout_answers_408_to_a_body_that_never_finishes() {
    let limits = Limits {
        header_timeout_ms: 100,
        request_timeout_ms: 200,
        ..Limits::default()
    };
    let server = start(limits, echo_path());
    let mut c = client(server.port);
    let started = std::time::Instant::now();
    c.write_all(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
        .unwrap();
    let text = read_to_close(&mut c);
    assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
    assert!(started.elapsed() < Duration::from_secs(2));
    server.stop();
}

#[test]
fn the_keep_alive_timeout_closes_an_idle_connection() {
    let limits = Limits {
        keep_alive_timeout_ms: 100,
        ..Limits::default()
    };
    let server = start(limits, echo_path());
    let mut c = client(server.port);
    c.write_all(b"GET /k HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let started = std::time::Instant::now();
    let text = read_to_close(&mut c);
    assert!(text.ends_with("/k"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(3));
    server.stop();
}

#[test]
fn connections_beyond_the_limit_are_closed_at_accept() {
    let limits = Limits {
        max_connections: 2,
        ..Limits::default()
    };
    let server = start(limits, echo_path());
    let mut a = client(server.port);
    let mut b = client(server.port);
    a.write_all(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    b.write_all(b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert!(read_responses(&mut a, 1).ends_with("/a"));
    assert!(read_responses(&mut b, 1).ends_with("/b"));
    let mut c = client(server.port);
    let _ = c.write_all(b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(read_to_close(&mut c), "");
    server.stop();
}

#[test]
fn resets_at_any_point_leave_no_connection_behind() {
    // Never answers: requests stay open when the client resets.
    let aborted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = aborted.clone();
    let server = start(
        Limits::default(),
        Box::new(move |_, event| {
            if let Event::Aborted(_) = event {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        }),
    );
    for i in 0..200 {
        let c = client(server.port);
        let mut c2 = c.try_clone().unwrap();
        match i % 3 {
            0 => c2.write_all(b"GET / HTTP/1.1\r\nHo").unwrap(),
            1 => c2.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap(),
            _ => c2
                .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
                .unwrap(),
        }
        // SO_LINGER 0 makes close send RST.
        let fd = std::os::fd::AsRawFd::as_raw_fd(&c);
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: setsockopt on our own socket with a live struct of the stated size.
        unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&linger as *const libc::linger).cast(),
                std::mem::size_of::<libc::linger>() as u32,
            )
        };
        drop(c);
        drop(c2);
    }
    thread::sleep(Duration::from_millis(300));
    assert_eq!(server.stop(), 0);
    assert!(
        aborted.load(Ordering::SeqCst) > 0,
        "open requests must be reported aborted"
    );
}

#[test]
fn a_file_body_is_spliced_after_its_head() {
    let path = std::env::temp_dir().join(format!("zephyr-uring-splice-{}", std::process::id()));
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    let file_path = path.clone();
    let (done_tx, done_rx) = mpsc::channel();
    let server = start(
        Limits::default(),
        Box::new(move |server, event| match event {
            Event::Request { conn, seq, .. } => {
                let file = std::fs::File::open(&file_path).unwrap().into_raw_fd();
                let mut enc = CommandEncoder::default();
                let range = FileRange {
                    offset: 10,
                    length: 299_990,
                };
                enc.send_file(
                    conn,
                    seq,
                    200,
                    &[DATE],
                    FileCommand {
                        fd: file,
                        borrowed: false,
                        range,
                        close: false,
                    },
                );
                apply::<Vec<u8>>(server, &enc.buf, &mut []).expect("commands apply");
            }
            Event::FileSent(_, _, err) => done_tx.send(err).unwrap(),
            _ => {}
        }),
    );
    let mut c = client(server.port);
    c.write_all(b"GET /f HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    let head_len =
        "HTTP/1.1 200 OK\r\ndate: D\r\ncontent-length: 299990\r\nkeep-alive: timeout=4\r\n\r\n"
            .len();
    while got.len() < head_len + 299_990 {
        let n = c.read(&mut buf).unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(&got[head_len..], &content[10..]);
    assert_eq!(done_rx.recv_timeout(Duration::from_secs(5)).unwrap(), 0);
    c.shutdown(Shutdown::Both).unwrap();
    server.stop();
    std::fs::remove_file(path).unwrap();
}

/// The loop as the binding drives it: woken by the ring fd becoming readable (libuv polls it),
/// never blocking in `io_uring_enter` to wait.
fn start_polled(configure: impl FnOnce(&mut ServerConfig) + Send + 'static) -> Running {
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let thread = thread::spawn(move || {
        let mut config = ServerConfig::new(ListenerOptions {
            addr: resolve("127.0.0.1", 0).unwrap(),
            reuse_port: false,
            backlog: 1024,
            tcp_fast_open: false,
        });
        configure(&mut config);
        let mut server = Server::bind(config).unwrap();
        tx.send(server.port()).unwrap();
        let mut sink = Collect(Vec::new());
        let mut handler = echo_path();
        while !stop2.load(Ordering::SeqCst) {
            let mut fd = libc::pollfd {
                fd: server.ring_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd for the duration of the call.
            unsafe { libc::poll(&mut fd, 1, 100) };
            for _ in 0..64 {
                let progress = server.process(&mut sink);
                for event in sink.0.drain(..) {
                    handler(&mut server, event);
                }
                server.flush().unwrap();
                if !progress.more {
                    break;
                }
            }
        }
        server.connections()
    });
    let port = rx.recv().unwrap();
    Running {
        port,
        stop,
        open: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        wakeups: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        thread: Some(thread),
    }
}

#[test]
fn completions_past_the_completion_queue_are_not_stranded_in_the_kernel() {
    // A completion queue of 32 and 100 connections answered at once: most completions overflow
    // (as a publish to 10,000 WebSocket subscribers does at the default size). Every later
    // completion queues behind them, so unless the loop flushes the overflow, the next round of
    // requests is never seen.
    let server = start_polled(|config| {
        config.ring_entries = 4;
        // The clients are read one after another, slowly: no connection may idle out meanwhile.
        config.limits.keep_alive_timeout_ms = 120_000;
        config.limits.header_timeout_ms = 120_000;
    });
    let mut clients: Vec<TcpStream> = (0..100).map(|_| client(server.port)).collect();
    for round in 0..3 {
        for (i, c) in clients.iter_mut().enumerate() {
            write!(c, "GET /r{round}c{i} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        }
        for (i, c) in clients.iter_mut().enumerate() {
            let text = read_responses(c, 1);
            assert!(
                text.ends_with(&format!("/r{round}c{i}")),
                "round {round}, client {i}: {text:?}"
            );
        }
    }
    server.stop();
}

#[test]
fn stop_accepting_closes_the_listener_and_keeps_serving_open_and_queued_connections() {
    let (stopped_tx, stopped_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let server = start(
        Limits::default(),
        Box::new(move |server, event| {
            if let Event::Request {
                conn,
                seq,
                path,
                follows: false,
                ..
            } = event
            {
                if path == "/stop" {
                    server.stop_accepting();
                    // The cancel reaches the kernel now; connections made while this handler
                    // waits queue on the listener with no accept armed.
                    server.flush().unwrap();
                    stopped_tx.send(()).unwrap();
                    go_rx.recv().unwrap();
                }
                respond(server, conn, seq, &path);
            }
        }),
    );
    let mut kept = client(server.port);
    kept.write_all(b"GET /stop HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    stopped_rx.recv().unwrap();
    // The kernel completes this handshake on the listener's queue; closing the listener with it
    // still queued would reset it.
    let mut queued = client(server.port);
    queued
        .write_all(b"GET /queued HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    go_tx.send(()).unwrap();
    assert!(read_responses(&mut kept, 1).ends_with("/stop"));
    assert!(read_responses(&mut queued, 1).ends_with("/queued"));

    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        match TcpStream::connect(("127.0.0.1", server.port)) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
            Err(e) => panic!("unexpected connect error: {e}"),
            Ok(_) => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the listener still accepts 5 s after stop_accepting"
                );
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
    // Both keep-alive connections are still served after the listener closed.
    kept.write_all(b"GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(read_responses(&mut kept, 1).ends_with("/again"));
    queued
        .write_all(b"GET /queued-again HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(read_responses(&mut queued, 1).ends_with("/queued-again"));
    assert_eq!(server.stop(), 2);
}
