//! The sans-IO HTTP/2 core on blocking std sockets, one thread per connection: `GET /` (any
//! method without a body) answers `Hello, World!`, a request with a body gets it echoed. For
//! h2spec and real clients; the engine drives the same calls from the ring.
//!
//! ```sh
//! cargo run -p zephyr-h2 --example h2_server -- --port 8443 [--tls [--cert c.pem --key k.pem]]
//! ```
//!
//! `--port 0` picks a free port; `--port-file PATH` writes the chosen one there once listening.
//! `--tls` serves h2 over TLS (ALPN `h2`) with the given PEM pair, or a self-signed one for
//! localhost/127.0.0.1 generated at start.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use zephyr_h2::{ErrorCode, H2Config, H2Connection, H2Event};

/// Request bodies the example echoes are held whole: past this, the stream is reset.
const MAX_ECHO_BODY: usize = 16 << 20;

struct Args {
    port: u16,
    port_file: Option<String>,
    tls: bool,
    cert: Option<String>,
    key: Option<String>,
}

fn parse_args() -> Args {
    let mut args = Args {
        port: 0,
        port_file: None,
        tls: false,
        cert: None,
        key: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--port" => args.port = value().parse().unwrap_or_else(|_| usage("bad --port")),
            "--port-file" => args.port_file = Some(value()),
            "--tls" => args.tls = true,
            "--cert" => args.cert = Some(value()),
            "--key" => args.key = Some(value()),
            _ => usage(&format!("unknown argument {a}")),
        }
    }
    args
}

fn usage(msg: &str) -> ! {
    eprintln!("h2_server: {msg}\nusage: h2_server [--port N] [--port-file PATH] [--tls [--cert PEM --key PEM]]");
    std::process::exit(2);
}

fn tls_config(args: &Args) -> Arc<rustls::ServerConfig> {
    let (certs, key) = match (&args.cert, &args.key) {
        (Some(c), Some(k)) => (
            CertificateDer::pem_file_iter(c)
                .expect("read --cert")
                .collect::<Result<Vec<_>, _>>()
                .expect("parse --cert"),
            PrivateKeyDer::from_pem_file(k).expect("read --key"),
        ),
        (None, None) => {
            let ck =
                rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
                    .expect("generate a self-signed certificate");
            (
                vec![ck.cert.der().clone()],
                PrivateKeyDer::Pkcs8(ck.key_pair.serialize_der().into()),
            )
        }
        _ => usage("--cert and --key go together"),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("certificate and key");
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

fn main() -> io::Result<()> {
    let args = parse_args();
    let tls = args.tls.then(|| tls_config(&args));
    let listener = TcpListener::bind(("127.0.0.1", args.port))?;
    let port = listener.local_addr()?.port();
    if let Some(path) = &args.port_file {
        // Written whole then renamed, so a reader never sees a partial number.
        let tmp = format!("{path}.tmp");
        std::fs::write(&tmp, port.to_string())?;
        std::fs::rename(&tmp, path)?;
    }
    eprintln!(
        "h2_server listening on 127.0.0.1:{port} ({})",
        if tls.is_some() { "h2, TLS" } else { "h2c" }
    );
    for tcp in listener.incoming() {
        let Ok(tcp) = tcp else { continue };
        let tls = tls.clone();
        std::thread::spawn(move || {
            if let Err(e) = serve(tcp, tls) {
                if e.kind() != io::ErrorKind::ConnectionReset
                    && e.kind() != io::ErrorKind::BrokenPipe
                {
                    eprintln!("connection: {e}");
                }
            }
        });
    }
    Ok(())
}

fn serve(tcp: TcpStream, tls: Option<Arc<rustls::ServerConfig>>) -> io::Result<()> {
    tcp.set_nodelay(true)?;
    tcp.set_read_timeout(Some(Duration::from_secs(60)))?;
    match tls {
        None => {
            let mut io = tcp;
            let result = run(&mut io);
            linger_close(&io);
            result
        }
        Some(config) => {
            let conn = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
            let mut io = rustls::StreamOwned::new(conn, tcp);
            let result = run(&mut io);
            io.conn.send_close_notify();
            let _ = io.conn.complete_io(&mut io.sock);
            linger_close(&io.sock);
            result
        }
    }
}

/// Half-closes, then reads what the peer still sends for a moment: closing with unread input
/// makes the kernel send RST, which can destroy the GOAWAY before the peer reads it.
fn linger_close(tcp: &TcpStream) {
    let _ = tcp.shutdown(Shutdown::Write);
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(1)));
    let mut sink = [0u8; 4096];
    let mut t = tcp;
    while matches!(t.read(&mut sink), Ok(n) if n > 0) {}
}

/// A response body waiting for window.
struct Pending {
    body: Vec<u8>,
    sent: usize,
}

fn run<S: Read + Write>(io: &mut S) -> io::Result<()> {
    let mut h2 = H2Connection::new(H2Config::default()).map_err(io::Error::other)?;
    let mut bodies: HashMap<u32, Vec<u8>> = HashMap::new();
    let mut pending: HashMap<u32, Pending> = HashMap::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        handle_events(&mut h2, &mut bodies, &mut pending);
        flush(io, &mut h2)?;
        // Draining the output may have let held-back streams go on (WindowOpened).
        if h2.has_events() {
            continue;
        }
        if h2.is_done() {
            return Ok(());
        }
        let n = match io.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        };
        h2.receive(&buf[..n]);
    }
}

fn handle_events(
    h2: &mut H2Connection,
    bodies: &mut HashMap<u32, Vec<u8>>,
    pending: &mut HashMap<u32, Pending>,
) {
    while let Some(event) = h2.poll_event() {
        match event {
            H2Event::Request {
                stream, end_stream, ..
            } => {
                bodies.insert(stream, Vec::new());
                if end_stream {
                    respond(h2, bodies, pending, stream);
                }
            }
            H2Event::Data { stream, bytes, end } => {
                // The example consumes at once; a slow consumer would release later.
                h2.release(stream, bytes.len());
                let Some(body) = bodies.get_mut(&stream) else {
                    continue;
                };
                if body.len() + bytes.len() > MAX_ECHO_BODY {
                    bodies.remove(&stream);
                    let _ = h2.reset(stream, ErrorCode::EnhanceYourCalm);
                    continue;
                }
                body.extend_from_slice(&bytes);
                if end {
                    respond(h2, bodies, pending, stream);
                }
            }
            H2Event::Trailers { stream, .. } => respond(h2, bodies, pending, stream),
            H2Event::WindowOpened { stream } => send_pending(h2, pending, stream),
            H2Event::Reset { stream, .. } => {
                bodies.remove(&stream);
                pending.remove(&stream);
            }
            H2Event::GoAway { .. } | H2Event::ConnectionError { .. } => {}
        }
    }
}

fn respond(
    h2: &mut H2Connection,
    bodies: &mut HashMap<u32, Vec<u8>>,
    pending: &mut HashMap<u32, Pending>,
    stream: u32,
) {
    let Some(body) = bodies.remove(&stream) else {
        return;
    };
    let body = if body.is_empty() {
        b"Hello, World!".to_vec()
    } else {
        body
    };
    let len = body.len().to_string();
    let head: [(&[u8], &[u8]); 2] = [
        (b"content-type", b"text/plain"),
        (b"content-length", len.as_bytes()),
    ];
    if h2.send_headers(stream, 200, &head, false).is_err() {
        return;
    }
    pending.insert(stream, Pending { body, sent: 0 });
    send_pending(h2, pending, stream);
}

fn send_pending(h2: &mut H2Connection, pending: &mut HashMap<u32, Pending>, stream: u32) {
    let Some(p) = pending.get_mut(&stream) else {
        return;
    };
    match h2.send_data(stream, &p.body[p.sent..], true) {
        Ok(n) => {
            p.sent += n;
            if p.sent == p.body.len() {
                pending.remove(&stream);
            }
        }
        Err(_) => {
            pending.remove(&stream);
        }
    }
}

fn flush<S: Write>(io: &mut S, h2: &mut H2Connection) -> io::Result<()> {
    while h2.wants_write() {
        let out = h2.pending_output();
        io.write_all(out)?;
        let n = out.len();
        h2.consume_output(n);
    }
    io.flush()
}
