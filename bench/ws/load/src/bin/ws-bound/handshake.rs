//! The opening handshake (RFC 6455 §4.2): sans-IO, from the request head to the response bytes.
//!
//! No extension is accepted (a `Sec-WebSocket-Extensions` offer such as permessage-deflate is
//! ignored, which the RFC allows: the response names none) and no subprotocol is chosen. The
//! bench's load clients do not offer permessage-deflate anyway.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// The largest request head the bound reads before refusing it.
pub const MAX_HEAD: usize = 8 * 1024;

/// The GUID every accept key is hashed with (RFC 6455 §1.3).
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// What a connection does once upgraded, from its request path.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Role {
    /// Every message comes back to its sender.
    Echo,
    /// `/fanout`: every message goes to every `/fanout` connection.
    Fanout,
}

/// The response to a complete request head (up to and including the blank line): the bytes to
/// send, and the role when it is a 101 (else the connection is closed after sending them).
pub fn respond(head: &[u8]) -> (Vec<u8>, Option<Role>) {
    match upgrade(head) {
        Ok((role, key)) => {
            let response = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {}\r\n\r\n",
                accept_key(key)
            );
            (response.into_bytes(), Some(role))
        }
        Err(Refusal::Version) => (
            b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nConnection: close\r\n\
              Content-Length: 0\r\n\r\n"
                .to_vec(),
            None,
        ),
        Err(Refusal::Bad) => (
            b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".to_vec(),
            None,
        ),
    }
}

enum Refusal {
    Bad,
    Version,
}

/// The role and the `Sec-WebSocket-Key` of a valid upgrade request.
fn upgrade(head: &[u8]) -> Result<(Role, &str), Refusal> {
    let text = std::str::from_utf8(head).map_err(|_| Refusal::Bad)?;
    let mut lines = text.split("\r\n");
    let request = lines.next().ok_or(Refusal::Bad)?;
    let mut parts = request.split(' ');
    let (method, target, version) = (parts.next(), parts.next(), parts.next());
    if method != Some("GET") || version != Some("HTTP/1.1") || parts.next().is_some() {
        return Err(Refusal::Bad);
    }
    let path = target.ok_or(Refusal::Bad)?.split('?').next().unwrap_or("");
    let (mut key, mut upgrade, mut connection, mut ws_version) = (None, false, false, None);
    for line in lines.take_while(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').ok_or(Refusal::Bad)?;
        let value = value.trim();
        let has_token = |token: &str| {
            value
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        match name.to_ascii_lowercase().as_str() {
            "sec-websocket-key" => key = Some(value),
            "upgrade" => upgrade = has_token("websocket"),
            "connection" => connection = has_token("upgrade"),
            "sec-websocket-version" => ws_version = Some(value),
            _ => {}
        }
    }
    let key = key.ok_or(Refusal::Bad)?;
    if !upgrade || !connection || STANDARD.decode(key).map_or(true, |k| k.len() != 16) {
        return Err(Refusal::Bad);
    }
    if ws_version != Some("13") {
        return Err(Refusal::Version);
    }
    let role = if path == "/fanout" {
        Role::Fanout
    } else {
        Role::Echo
    };
    Ok((role, key))
}

/// `Sec-WebSocket-Accept` for `key`: base64(SHA-1(key + GUID)).
pub fn accept_key(key: &str) -> String {
    let mut sha = sha1_smol::Sha1::new();
    sha.update(key.as_bytes());
    sha.update(GUID.as_bytes());
    STANDARD.encode(sha.digest().bytes())
}

/// Where the request head ends (after its blank line), once it is all in `buf`.
pub fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUEST: &str = "GET /fanout?x=1 HTTP/1.1\r\nHost: a\r\nUpgrade: WebSocket\r\n\
        Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";

    #[test]
    fn accept_key_is_the_rfc_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn upgrades_with_no_extension_and_routes_by_path() {
        let (response, role) = respond(REQUEST.as_bytes());
        let response = String::from_utf8(response).unwrap();
        assert!(response.starts_with("HTTP/1.1 101 "));
        assert!(response.contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
        assert!(!response.contains("Extensions"));
        assert_eq!(role, Some(Role::Fanout));
        let echo = REQUEST.replace("/fanout?x=1", "/echo");
        assert_eq!(respond(echo.as_bytes()).1, Some(Role::Echo));
    }

    #[test]
    fn refuses_a_bad_request_and_asks_for_version_13() {
        for bad in [
            REQUEST.replace("GET", "POST"),
            REQUEST.replace("Upgrade: WebSocket", "Upgrade: h2c"),
            REQUEST.replace("keep-alive, Upgrade", "keep-alive"),
            REQUEST.replace("dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ="),
            REQUEST.replace("Host: a", "no colon"),
        ] {
            let (response, role) = respond(bad.as_bytes());
            assert!(response.starts_with(b"HTTP/1.1 400 "), "{bad}");
            assert_eq!(role, None);
        }
        let (response, role) = respond(REQUEST.replace("Version: 13", "Version: 8").as_bytes());
        assert!(response.starts_with(b"HTTP/1.1 426 "));
        assert_eq!(role, None);
    }

    #[test]
    fn finds_the_end_of_the_head() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n"), None);
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r\n\x81"), Some(18));
    }
}
