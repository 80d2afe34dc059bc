//! HTTPS on the real ring: the loop with a TLS acceptor, driven on its own thread, against a
//! rustls client over a real socket (and raw sockets for hostile input). The JS tests cover
//! curl, openssl and Node's clients through the binding.

mod tls_support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::IntoRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use rustls::StreamOwned;
use tls_support::{client, client_config, pki};
use zephyr_uring::conn::{ConnId, EventSink, RequestEvent};
use zephyr_uring::listener::{resolve, ListenerOptions};
use zephyr_uring::protocol::commands::{
    apply, CommandEncoder, EncodedBody, FileCommand, WriteFlags,
};
use zephyr_uring::server::{FileRange, Server, ServerConfig};
use zephyr_uring::tls::{FailureKind, TlsAcceptor, TlsSettings};

/// Requests as (conn, seq, path); bodies are not used here.
struct Requests(Vec<(ConnId, u32, String)>);

impl EventSink for Requests {
    fn request(&mut self, conn: ConnId, seq: u32, req: &RequestEvent<'_>) -> bool {
        let path = String::from_utf8_lossy(req.head.slice(req.buf, req.head.target)).into();
        self.0.push((conn, seq, path));
        true
    }
    fn has_room(&self, _: usize) -> bool {
        true
    }
    fn body(&mut self, _: ConnId, _: u32, _: &[u8], _: bool) {}
    fn body_error(&mut self, _: ConnId, _: u32, _: u16) {}
    fn aborted(&mut self, _: ConnId) {}
    fn drained(&mut self, _: ConnId, _: u32) {}
    fn file_sent(&mut self, _: ConnId, _: u32, _: i32) {}
}

const DATE: (&[u8], &[u8]) = (b"date", b"D");
const END: WriteFlags = WriteFlags {
    end: true,
    close: false,
    want_drain: false,
};

struct Running {
    port: u16,
    acceptor: Arc<TlsAcceptor>,
    stop: Arc<AtomicBool>,
    open: Arc<AtomicUsize>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Running {
    /// Waits (bounded) until the server has no connection open.
    fn wait_closed(&self) -> bool {
        for _ in 0..200 {
            if self.open.load(Ordering::SeqCst) == 0 {
                return true;
            }
            thread::sleep(Duration::from_millis(25));
        }
        false
    }

    fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        self.thread.take().unwrap().join().unwrap();
    }
}

/// Serves `/file/<n>` with the first n bytes of `file` by sendFile, anything else with its path.
fn start(settings: TlsSettings, file: Option<std::path::PathBuf>) -> Running {
    let acceptor = Arc::new(TlsAcceptor::new(&settings).unwrap());
    let shared = Arc::clone(&acceptor);
    let stop = Arc::new(AtomicBool::new(false));
    let open = Arc::new(AtomicUsize::new(0));
    let (stop2, open2) = (stop.clone(), open.clone());
    let (tx, rx) = mpsc::channel();
    let thread = thread::spawn(move || {
        let mut config = ServerConfig::new(ListenerOptions {
            addr: resolve("127.0.0.1", 0).unwrap(),
            reuse_port: false,
            backlog: 128,
            tcp_fast_open: false,
        });
        config.tls = Some(shared);
        let mut server = Server::bind(config).unwrap();
        tx.send(server.port()).unwrap();
        let mut sink = Requests(Vec::new());
        while !stop2.load(Ordering::SeqCst) {
            server.wait().unwrap();
            loop {
                let progress = server.process(&mut sink);
                for (conn, seq, path) in sink.0.drain(..) {
                    let mut enc = CommandEncoder::default();
                    match (path.strip_prefix("/file/"), &file) {
                        (Some(n), Some(file)) => {
                            let fd = std::fs::File::open(file).unwrap().into_raw_fd();
                            let range = FileRange {
                                offset: 0,
                                length: n.parse().unwrap(),
                            };
                            let command = FileCommand {
                                fd,
                                borrowed: false,
                                range,
                                close: false,
                            };
                            enc.send_file(conn, seq, 200, &[DATE], command);
                        }
                        _ => enc.respond(
                            conn,
                            seq,
                            200,
                            &[DATE],
                            Some(path.len() as u64),
                            EncodedBody::Bytes(path.as_bytes()),
                            END,
                        ),
                    }
                    apply::<Vec<u8>>(&mut server, &enc.buf, &mut []).unwrap();
                }
                server.flush().unwrap();
                if !progress.more {
                    break;
                }
            }
            open2.store(server.connections(), Ordering::SeqCst);
        }
    });
    let port = rx.recv().unwrap();
    Running {
        port,
        acceptor,
        stop,
        open,
        thread: Some(thread),
    }
}

fn settings() -> TlsSettings {
    TlsSettings::new(pki().source("localhost"))
}

type Tls = StreamOwned<rustls::ClientConnection, TcpStream>;

fn connect(port: u16, versions: &[&'static rustls::SupportedProtocolVersion]) -> Tls {
    let socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let conn = client(client_config(versions, &[], &[b"http/1.1"]), "localhost");
    StreamOwned::new(conn, socket)
}

/// Reads one response with a content-length body; returns (head, body).
fn read_response(tls: &mut Tls) -> (String, Vec<u8>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            while got.len() < end + 4 + length {
                let n = tls.read(&mut buf).unwrap();
                assert!(n > 0, "the server closed mid-body");
                got.extend_from_slice(&buf[..n]);
            }
            return (head, got[end + 4..end + 4 + length].to_vec());
        }
        let n = tls.read(&mut buf).unwrap();
        assert!(n > 0, "the server closed before a response");
        got.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn serves_keep_alive_requests_over_tls_1_3_and_1_2() {
    let server = start(settings(), None);
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let mut tls = connect(server.port, &[version]);
        for path in ["/a", "/bb", "/ccc"] {
            write!(tls, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
            let (head, body) = read_response(&mut tls);
            assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
            assert_eq!(body, path.as_bytes());
        }
        assert_eq!(tls.conn.alpn_protocol(), Some(&b"http/1.1"[..]));
        assert_eq!(tls.conn.protocol_version(), Some(version.version));
    }
    assert_eq!(server.acceptor.counters().snapshot().handshakes, 2);
    server.stop();
}

#[test]
fn sends_a_file_body_encrypted_and_closes_with_close_notify() {
    let path = std::env::temp_dir().join(format!("zephyr-tls-ring-{}", std::process::id()));
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    let server = start(settings(), Some(path.clone()));
    let mut tls = connect(server.port, &[&rustls::version::TLS13]);
    write!(tls, "GET /file/300000 HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let (head, body) = read_response(&mut tls);
    assert!(head.contains("content-length: 300000"), "{head}");
    assert!(body == content, "the file arrived intact");
    // Pipelined after a file: the next response follows it in order.
    write!(
        tls,
        "GET /after HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let (_, body) = read_response(&mut tls);
    assert_eq!(body, b"/after");
    // `Connection: close`: the server says close_notify, so the stream ends cleanly (rustls
    // reports an EOF without it as an error).
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest).expect("a clean close_notify");
    assert!(rest.is_empty());
    assert!(server.wait_closed());
    server.stop();
    std::fs::remove_file(path).unwrap();
}

#[test]
fn hostile_clients_are_closed_counted_and_leave_no_connection() {
    let server = start(
        TlsSettings {
            handshake_timeout_ms: 300,
            ..settings()
        },
        None,
    );
    let raw = |bytes: &[u8], shut: bool| {
        let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(bytes).unwrap();
        if shut {
            s.shutdown(Shutdown::Write).unwrap();
        }
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        out
    };
    // Plain HTTP to the TLS port: no HTTP answer, a close.
    let out = raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", false);
    assert!(!out.starts_with(b"HTTP/"));
    // Garbage: an alert at most, then a close.
    raw(&[0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5], false);
    // A handshake cut short by the client's EOF.
    raw(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01], true);
    // A client that stalls mid-handshake: closed by the deadline, not left open.
    raw(&[0x16, 0x03, 0x01], false);
    let counts = server.acceptor.counters().snapshot();
    assert_eq!(counts.failures(FailureKind::PlaintextHttp), 1);
    assert_eq!(counts.failures(FailureKind::GarbageRecord), 1);
    assert_eq!(counts.failures(FailureKind::TruncatedHandshake), 1);
    assert_eq!(counts.failures(FailureKind::HandshakeTimeout), 1);
    assert!(server.wait_closed(), "every hostile connection is gone");
    // And it still serves.
    let mut tls = connect(server.port, &[&rustls::version::TLS13]);
    write!(tls, "GET /ok HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut tls).1, b"/ok");
    server.stop();
}

#[test]
fn a_reload_changes_the_certificate_of_new_handshakes_only() {
    let server = start(settings(), None);
    let mut before = connect(server.port, &[&rustls::version::TLS13]);
    write!(before, "GET /1 HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    read_response(&mut before);
    server
        .acceptor
        .reload(&TlsSettings::new(pki().source("localhost-2")))
        .unwrap();
    let mut after = connect(server.port, &[&rustls::version::TLS13]);
    write!(after, "GET /2 HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    read_response(&mut after);
    let leaf = |tls: &Tls| tls.conn.peer_certificates().unwrap()[0].clone();
    assert_eq!(leaf(&after), pki().cert_der("localhost-2"));
    assert_eq!(leaf(&before), pki().cert_der("localhost"));
    // The connection opened before the reload is still served.
    write!(before, "GET /3 HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut before).1, b"/3");
    server.stop();
}

/// The sum of the kernel's TLS counters whose names start with `prefix` (`TlsTx`, `TlsRx`).
fn tls_stat(prefix: &str) -> u64 {
    zephyr_uring::tls::ktls::tls_stat()
        .unwrap_or_default()
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(_, n)| n)
        .sum()
}

#[test]
fn kernel_tls_carries_the_session_after_the_handshake_where_the_kernel_offers_it() {
    use zephyr_uring::tls::ktls::{probe, KtlsSupport};
    let path = std::env::temp_dir().join(format!("zephyr-tls-ktls-{}", std::process::id()));
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    let server = start(
        TlsSettings {
            kernel_tls: true,
            ..settings()
        },
        Some(path.clone()),
    );
    let (tx_before, rx_before) = (tls_stat("TlsTx"), tls_stat("TlsRx"));
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let mut tls = connect(server.port, &[version]);
        for round in 0..2 {
            write!(tls, "GET /r{round} HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
            assert_eq!(read_response(&mut tls).1, format!("/r{round}").as_bytes());
        }
        write!(tls, "GET /file/200000 HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
        assert!(
            read_response(&mut tls).1 == content,
            "the file arrived intact"
        );
    }
    match probe() {
        KtlsSupport::Available => {
            // Served by the kernel: its counters of TLS sessions rose in both directions.
            assert!(tls_stat("TlsTx") > tx_before, "kernel TX sessions counted");
            assert!(tls_stat("TlsRx") > rx_before, "kernel RX sessions counted");
        }
        KtlsSupport::Unavailable { reason } => {
            println!("kTLS real path did not run: {reason}");
            assert!(reason.contains("no tls module"), "{reason}");
            // And rustls served it all in user space.
            assert!(std::fs::metadata("/proc/net/tls_stat").is_err());
        }
    }
    server.stop();
    std::fs::remove_file(path).unwrap();
}
