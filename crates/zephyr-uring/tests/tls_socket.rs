//! The transport behind real sockets, against real clients: curl and `openssl s_client`. A tiny
//! blocking server (a thread per connection) stands in for the ring loop: it moves bytes between
//! the socket and `TlsTransport`, enforces the handshake deadline, and answers one request.

mod tls_support;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tls_support::{client, client_config, pki};
use zephyr_uring::tls::{FailureKind, TlsAcceptor, TlsEvent, TlsSettings, TlsTransport};

const BODY: &str = "hello over rustls";

struct TestServer {
    port: u16,
    acceptor: Arc<TlsAcceptor>,
    /// Every event of each connection, sent when the connection is closed.
    closed: Receiver<Vec<TlsEvent>>,
}

impl TestServer {
    fn start(settings: TlsSettings, handshake_timeout: Duration) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let acceptor = Arc::new(TlsAcceptor::new(&settings).unwrap());
        let (tx, closed) = channel();
        let shared = Arc::clone(&acceptor);
        std::thread::spawn(move || {
            for socket in listener.incoming().flatten() {
                let tls = shared.accept().unwrap();
                let tx = tx.clone();
                std::thread::spawn(move || serve(socket, tls, handshake_timeout, tx));
            }
        });
        Self {
            port,
            acceptor,
            closed,
        }
    }

    /// The events of the next connection to close.
    fn next_closed(&self) -> Vec<TlsEvent> {
        self.closed
            .recv_timeout(Duration::from_secs(20))
            .expect("a connection closed")
    }
}

fn serve(
    mut socket: TcpStream,
    mut tls: TlsTransport,
    handshake_timeout: Duration,
    done: Sender<Vec<TlsEvent>>,
) {
    socket
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let started = Instant::now();
    let (mut events, mut plain, mut answered) = (Vec::new(), Vec::new(), false);
    let mut buf = vec![0u8; 16384];
    loop {
        if tls.is_handshaking() && started.elapsed() > handshake_timeout {
            tls.handshake_timed_out();
        }
        if !tls.should_close() {
            match socket.read(&mut buf) {
                Ok(0) => tls.receive_eof(),
                Ok(n) => tls.receive(&buf[..n], &mut plain),
                Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => break,
            }
        }
        let mut peer_closed = false;
        while let Some(event) = tls.poll_event() {
            peer_closed |= matches!(event, TlsEvent::PeerClosed { .. });
            events.push(event);
        }
        // A request and the client's close_notify can come in one read: TLS allows the half
        // close, so the request is still answered before our close.
        if !answered && plain.windows(4).any(|w| w == b"\r\n\r\n") {
            answered = true;
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{BODY}",
                BODY.len()
            );
            tls.send(response.as_bytes()).unwrap();
            tls.close();
        }
        if peer_closed {
            tls.close();
        }
        let mut out = Vec::new();
        tls.write_ciphertext(&mut out);
        if !out.is_empty() && socket.write_all(&out).is_err() {
            break;
        }
        if tls.should_close() {
            break;
        }
    }
    let _ = socket.shutdown(Shutdown::Both);
    let _ = done.send(events);
}

fn settings() -> TlsSettings {
    TlsSettings::new(pki().source("localhost"))
}

fn curl(port: u16, extra: &[&str], scheme: &str) -> (bool, String) {
    let url = format!("{scheme}://localhost:{port}/x");
    let resolve = format!("localhost:{port}:127.0.0.1");
    let ca = pki().path("ca.pem");
    let out = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "20",
            "--cacert",
            ca.to_str().unwrap(),
            "--resolve",
            &resolve,
        ])
        .args(extra)
        .arg(&url)
        .output()
        .expect("curl is installed");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `openssl s_client` to the test server, trusting the test CA, with pipes for its streams.
fn s_client_spawn(port: u16, extra: &[&str]) -> std::process::Child {
    let connect = format!("127.0.0.1:{port}");
    let ca = pki().path("ca.pem");
    Command::new("openssl")
        .args(["s_client", "-connect", &connect, "-servername", "localhost"])
        .args(["-CAfile", ca.to_str().unwrap()])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl is installed")
}

fn s_client(port: u16, extra: &[&str], stdin: &[u8]) -> String {
    let mut child = s_client_spawn(port, extra);
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Like [`s_client`], but its input stays open until it exits by itself (at most 10 s): what
/// ends the session is the server's answer, not the end of the input.
fn s_client_held(port: u16, extra: &[&str], stdin: &[u8]) -> (std::process::ExitStatus, String) {
    let mut child = s_client_spawn(port, extra);
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status, text)
}

fn failure(events: &[TlsEvent]) -> Option<FailureKind> {
    events.iter().find_map(|event| match event {
        TlsEvent::Failed(failure) => Some(failure.kind),
        _ => None,
    })
}

#[test]
fn curl_gets_a_response_over_tls13_and_tls12() {
    let server = TestServer::start(settings(), Duration::from_secs(10));
    let (ok, out) = curl(server.port, &["-w", " %{http_version}"], "https");
    assert!(ok, "{out}");
    assert_eq!(out, format!("{BODY} 1.1"));
    let events = server.next_closed();
    assert!(
        matches!(&events[0], TlsEvent::HandshakeComplete(info) if info.alpn.as_deref() == Some(&b"http/1.1"[..])),
        "{events:?}"
    );

    let (ok, out) = curl(server.port, &["--tlsv1.2", "--tls-max", "1.2"], "https");
    assert!(ok, "{out}");
    assert_eq!(out, BODY);
    let events = server.next_closed();
    assert!(
        matches!(&events[0], TlsEvent::HandshakeComplete(info) if info.version == rustls::ProtocolVersion::TLSv1_2),
        "{events:?}"
    );
    assert_eq!(server.acceptor.counters().snapshot().handshakes, 2);
}

#[test]
fn openssl_s_client_sees_the_versions_suites_and_alpn() {
    let server = TestServer::start(settings(), Duration::from_secs(10));
    let request = b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n";
    let out = s_client(server.port, &["-alpn", "http/1.1", "-ign_eof"], request);
    assert!(
        out.contains("New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384"),
        "{out}"
    );
    assert!(out.contains("ALPN protocol: http/1.1"), "{out}");
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
    assert!(out.contains(BODY), "{out}");
    server.next_closed();

    let out = s_client(server.port, &["-tls1_2", "-ign_eof"], request);
    assert!(
        out.contains("New, TLSv1.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384"),
        "{out}"
    );
    server.next_closed();

    // Only CBC suites on offer: nothing in common.
    let out = s_client(
        server.port,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA",
        ],
        b"",
    );
    assert!(
        out.contains("alert handshake failure") || out.contains("no shared cipher"),
        "{out}"
    );
    assert_eq!(
        failure(&server.next_closed()),
        Some(FailureKind::HandshakeFailed)
    );

    // TLS 1.1 does not exist here.
    let out = s_client(server.port, &["-tls1_1"], b"");
    assert!(!out.contains("New, TLSv1.1"), "{out}");
    server.next_closed();

    // ALPN with no overlap is refused (RFC 7301 §3.2).
    let out = s_client(server.port, &["-alpn", "h2"], b"");
    assert!(out.contains("no application protocol"), "{out}");
    assert_eq!(
        failure(&server.next_closed()),
        Some(FailureKind::HandshakeFailed)
    );
}

#[test]
fn a_renegotiation_from_openssl_is_refused_with_no_renegotiation() {
    let server = TestServer::start(settings(), Duration::from_secs(10));
    // `R` at the start of a line makes s_client renegotiate (TLS 1.2). Its input stays open, so
    // it is our answer that ends it: the no_renegotiation alert, which it takes as a failed
    // renegotiation (testssl's check for CVE-2011-1473 reads that as "not vulnerable").
    let (status, out) = s_client_held(server.port, &["-tls1_2", "-msg"], b"R\n");
    assert!(out.contains("RENEGOTIATING"), "{out}");
    assert!(out.contains("warning no_renegotiation"), "{out}");
    assert!(!status.success(), "{out}");
    let events = server.next_closed();
    assert_eq!(
        failure(&events),
        Some(FailureKind::Renegotiation),
        "{events:?}"
    );
    assert_eq!(
        server
            .acceptor
            .counters()
            .snapshot()
            .failures(FailureKind::Renegotiation),
        1
    );
}

#[test]
fn plaintext_http_from_curl_is_closed_and_counted() {
    let server = TestServer::start(settings(), Duration::from_secs(10));
    let (ok, out) = curl(server.port, &[], "http");
    assert!(!ok, "{out}");
    assert!(!out.contains(BODY));
    assert_eq!(
        failure(&server.next_closed()),
        Some(FailureKind::PlaintextHttp)
    );
}

#[test]
fn truncated_and_stalled_handshakes_are_closed_and_counted() {
    let server = TestServer::start(settings(), Duration::from_millis(300));
    let mut hello = Vec::new();
    client(
        client_config(&[&rustls::version::TLS13], &[], &[]),
        "localhost",
    )
    .write_tls(&mut hello)
    .unwrap();

    let mut socket = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    socket.write_all(&hello[..hello.len() / 2]).unwrap();
    socket.shutdown(Shutdown::Write).unwrap();
    assert_eq!(
        failure(&server.next_closed()),
        Some(FailureKind::TruncatedHandshake)
    );

    let mut socket = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    socket.write_all(&hello[..10]).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    // The server closes on its own: the read ends (EOF or reset) without the client closing.
    let _ = socket.read_to_end(&mut rest);
    assert!(rest.is_empty());
    assert_eq!(
        failure(&server.next_closed()),
        Some(FailureKind::HandshakeTimeout)
    );
    let counts = server.acceptor.counters().snapshot();
    assert_eq!(counts.failures(FailureKind::TruncatedHandshake), 1);
    assert_eq!(counts.failures(FailureKind::HandshakeTimeout), 1);
}
