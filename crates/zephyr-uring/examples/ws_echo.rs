//! A WebSocket echo server on blocking std sockets, driving [`zephyr_uring::ws`] exactly as the
//! io_uring engine will (bytes in, events and bytes out), so the sans-IO core can be checked
//! with real clients before it is wired into the ring: `scripts/autobahn.sh` runs Autobahn's
//! cases against it with `AUTOBAHN_SERVER=rust`.
//!
//! `cargo run --release --example ws_echo -- 127.0.0.1:9001`

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use zephyr_uring::http1::{parse_request_head, HeadLimits, RequestHead, Status, Version};
use zephyr_uring::ws::{
    negotiate_permessage_deflate, validate_upgrade, write_accept_response, UpgradeRequest,
    WsConfig, WsEvent, WsSession, WsState,
};

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    let listener = TcpListener::bind(&addr)?;
    println!(
        "zephyr-uring ws_echo listening on {}",
        listener.local_addr()?
    );
    for stream in listener.incoming() {
        let stream = stream?;
        std::thread::spawn(move || {
            let _ = serve(stream);
        });
    }
    Ok(())
}

fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut head = RequestHead::new();
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        match parse_request_head(&buf, &HeadLimits::default(), &mut head) {
            Ok(Status::Complete) => break,
            Ok(_) => continue,
            Err(_) => {
                return stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            }
        }
    }
    let slice = |(start, end): (u32, u32)| &buf[start as usize..end as usize];
    let headers: Vec<(&[u8], &[u8])> = head
        .headers
        .iter()
        .map(|&(n, v)| (slice(n), slice(v)))
        .collect();
    let request = UpgradeRequest {
        method: slice(head.method),
        http_minor: u8::from(head.version == Version::Http11),
        headers: &headers,
    };
    let valid = match validate_upgrade(&request) {
        Ok(v) => v,
        Err(e) => {
            let answer = format!(
                "HTTP/1.1 {} {}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                e.status(),
                e.reason()
            );
            return stream.write_all(answer.as_bytes());
        }
    };
    let deflate = negotiate_permessage_deflate(&valid.extensions);
    let mut out = Vec::new();
    write_accept_response(
        &valid.accept,
        None,
        deflate.map(|d| d.response_header()).as_deref(),
        &mut out,
    );
    stream.write_all(&out)?;
    let mut session = WsSession::new(WsConfig::default(), deflate);
    let mut input = buf[head.head_len..].to_vec();
    let mut used = 0;
    loop {
        // Each call stops after a message, so its echo is queued before later bytes are read.
        used += session.handle(&input[used..]);
        while let Some(event) = session.poll_event() {
            match event {
                WsEvent::Text(text) => {
                    session.send_text(&text);
                }
                WsEvent::Binary(data) => {
                    session.send_binary(&data);
                }
                _ => {}
            }
        }
        let pending = session.pending_output();
        if !pending.is_empty() {
            let n = pending.len();
            stream.write_all(pending)?;
            session.consume_output(n);
        }
        if session.state() == WsState::Closed {
            // §7.1.1: the server closes the TCP connection first.
            return stream.shutdown(std::net::Shutdown::Both);
        }
        if used == input.len() {
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            input.clear();
            input.extend_from_slice(&chunk[..n]);
            used = 0;
        }
    }
}
