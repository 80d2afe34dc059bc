//! The opening handshake, server side (RFC 6455 §4.2): validate the upgrade request and write
//! the 101 response.

use ring::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY};

/// The GUID appended to `Sec-WebSocket-Key` before hashing (§1.3).
pub const WS_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The parts of an HTTP/1.1 request head the handshake reads. Header names are matched without
/// regard to case; a header may appear several times.
pub struct UpgradeRequest<'a> {
    /// Request method, e.g. `b"GET"`.
    pub method: &'a [u8],
    /// Minor version of HTTP/1.x (1 for HTTP/1.1).
    pub http_minor: u8,
    /// Header fields in arrival order.
    pub headers: &'a [(&'a [u8], &'a [u8])],
}

/// Why an upgrade request is refused, with the HTTP status to answer (§4.2.1, §4.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandshakeError {
    /// Not `GET`: 405.
    Method,
    /// Older than HTTP/1.1: 400.
    HttpVersion,
    /// No `Host`: 400.
    MissingHost,
    /// No `websocket` token in `Upgrade`: 400.
    UpgradeHeader,
    /// No `upgrade` token in `Connection`: 400.
    ConnectionHeader,
    /// `Sec-WebSocket-Key` missing, repeated, or not 16 bytes in base64: 400.
    Key,
    /// `Sec-WebSocket-Version` is not 13: 426 with `Sec-WebSocket-Version: 13`.
    Version,
}

impl HandshakeError {
    /// The HTTP status to answer with.
    pub fn status(self) -> u16 {
        match self {
            Self::Method => 405,
            Self::Version => 426,
            _ => 400,
        }
    }

    /// A short reason for logs and the response body.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Method => "WebSocket upgrade requires GET",
            Self::HttpVersion => "WebSocket upgrade requires HTTP/1.1",
            Self::MissingHost => "missing Host header",
            Self::UpgradeHeader => "Upgrade header must contain websocket",
            Self::ConnectionHeader => "Connection header must contain upgrade",
            Self::Key => "invalid Sec-WebSocket-Key",
            Self::Version => "unsupported Sec-WebSocket-Version (13 is supported)",
        }
    }
}

/// What a valid upgrade request asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidUpgrade {
    /// The `Sec-WebSocket-Accept` value to answer with.
    pub accept: String,
    /// Subprotocols offered, in the client's order.
    pub protocols: Vec<String>,
    /// The `Sec-WebSocket-Extensions` values, joined with `, ` (for
    /// [`negotiate_permessage_deflate`](super::negotiate_permessage_deflate)).
    pub extensions: String,
}

fn header_values<'a>(
    req: &'a UpgradeRequest<'a>,
    name: &'a str,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    req.headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| *v)
}

fn has_token(req: &UpgradeRequest<'_>, name: &str, token: &str) -> bool {
    header_values(req, name)
        .flat_map(|v| v.split(|&b| b == b','))
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// Checks an upgrade request against §4.2.1 and computes the accept key.
pub fn validate_upgrade(req: &UpgradeRequest<'_>) -> Result<ValidUpgrade, HandshakeError> {
    if req.method != b"GET" {
        return Err(HandshakeError::Method);
    }
    if req.http_minor < 1 {
        return Err(HandshakeError::HttpVersion);
    }
    if header_values(req, "host").next().is_none() {
        return Err(HandshakeError::MissingHost);
    }
    if !has_token(req, "upgrade", "websocket") {
        return Err(HandshakeError::UpgradeHeader);
    }
    if !has_token(req, "connection", "upgrade") {
        return Err(HandshakeError::ConnectionHeader);
    }
    let mut versions = header_values(req, "sec-websocket-version");
    if versions.next().map(<[u8]>::trim_ascii) != Some(b"13") || versions.next().is_some() {
        return Err(HandshakeError::Version);
    }
    let mut keys = header_values(req, "sec-websocket-key");
    let key = keys
        .next()
        .map(<[u8]>::trim_ascii)
        .ok_or(HandshakeError::Key)?;
    if keys.next().is_some() || !is_base64_of_16_bytes(key) {
        return Err(HandshakeError::Key);
    }
    let protocols = header_values(req, "sec-websocket-protocol")
        .flat_map(|v| v.split(|&b| b == b','))
        .map(|t| String::from_utf8_lossy(t.trim_ascii()).into_owned())
        .filter(|t| !t.is_empty())
        .collect();
    let extensions = header_values(req, "sec-websocket-extensions")
        .map(|v| String::from_utf8_lossy(v.trim_ascii()).into_owned())
        .collect::<Vec<_>>()
        .join(", ");
    Ok(ValidUpgrade {
        accept: accept_key(key),
        protocols,
        extensions,
    })
}

/// `base64(SHA-1(key + GUID))` (§4.2.2 step 5.4).
pub fn accept_key(key: &[u8]) -> String {
    let mut input = Vec::with_capacity(key.len() + WS_GUID.len());
    input.extend_from_slice(key);
    input.extend_from_slice(WS_GUID.as_bytes());
    base64_encode(digest(&SHA1_FOR_LEGACY_USE_ONLY, &input).as_ref())
}

/// Writes the `101 Switching Protocols` response. `protocol` must be one the client offered;
/// `extensions` is the negotiated `Sec-WebSocket-Extensions` value, if any.
pub fn write_accept_response(
    accept: &str,
    protocol: Option<&str>,
    extensions: Option<&str>,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ");
    out.extend_from_slice(accept.as_bytes());
    if let Some(p) = protocol {
        out.extend_from_slice(b"\r\nSec-WebSocket-Protocol: ");
        out.extend_from_slice(p.as_bytes());
    }
    if let Some(e) = extensions {
        out.extend_from_slice(b"\r\nSec-WebSocket-Extensions: ");
        out.extend_from_slice(e.as_bytes());
    }
    out.extend_from_slice(b"\r\n\r\n");
}

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// 16 bytes in base64 are 22 alphabet characters, then `==`; the 22nd character carries only 2
/// data bits, so its low 4 bits must be zero (canonical encoding).
fn is_base64_of_16_bytes(key: &[u8]) -> bool {
    let value = |c: u8| BASE64.iter().position(|&b| b == c);
    key.len() == 24
        && &key[22..] == b"=="
        && key[..22].iter().all(|&c| value(c).is_some())
        && value(key[21]).is_some_and(|v| v & 0x0F == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_KEY: &[u8] = b"dGhlIHNhbXBsZSBub25jZQ==";

    fn request(headers: &[(&[u8], &[u8])]) -> Result<ValidUpgrade, HandshakeError> {
        validate_upgrade(&UpgradeRequest {
            method: b"GET",
            http_minor: 1,
            headers,
        })
    }

    const GOOD: &[(&[u8], &[u8])] = &[
        (b"Host", b"example.com"),
        (b"Upgrade", b"WebSocket"),
        (b"Connection", b"keep-alive, Upgrade"),
        (b"Sec-WebSocket-Key", RFC_KEY),
        (b"Sec-WebSocket-Version", b"13"),
        (b"Sec-WebSocket-Protocol", b"chat, superchat"),
        (
            b"Sec-WebSocket-Extensions",
            b"permessage-deflate; client_max_window_bits",
        ),
    ];

    #[test]
    fn computes_the_rfc_example_accept_key() {
        assert_eq!(accept_key(RFC_KEY), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn accepts_a_valid_request_and_reads_offers() {
        let v = request(GOOD).unwrap();
        assert_eq!(v.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(v.protocols, ["chat", "superchat"]);
        assert_eq!(v.extensions, "permessage-deflate; client_max_window_bits");
    }

    #[test]
    fn refuses_each_missing_or_wrong_part_with_its_status() {
        let without = |name: &[u8]| -> Vec<(&[u8], &[u8])> {
            GOOD.iter().copied().filter(|(n, _)| *n != name).collect()
        };
        assert_eq!(request(&without(b"Host")), Err(HandshakeError::MissingHost));
        assert_eq!(
            request(&without(b"Upgrade")),
            Err(HandshakeError::UpgradeHeader)
        );
        assert_eq!(
            request(&without(b"Connection")),
            Err(HandshakeError::ConnectionHeader)
        );
        assert_eq!(
            request(&without(b"Sec-WebSocket-Key")),
            Err(HandshakeError::Key)
        );
        assert_eq!(
            request(&without(b"Sec-WebSocket-Version")),
            Err(HandshakeError::Version)
        );
        assert_eq!(HandshakeError::Version.status(), 426);

        let with =
            |name: &'static [u8], value: &'static [u8]| -> Vec<(&'static [u8], &'static [u8])> {
                let mut h: Vec<_> = GOOD.iter().copied().filter(|(n, _)| *n != name).collect();
                h.push((name, value));
                h
            };
        assert_eq!(
            request(&with(b"Sec-WebSocket-Version", b"8")),
            Err(HandshakeError::Version)
        );
        for bad in [
            &b"short=="[..],
            b"dGhlIHNhbXBsZSBub25jZQ=",
            b"dGhlIHNhbXBsZSBub25jZR==",
            b"dGhlIHNhbXBsZSBub25j!Q==",
        ] {
            assert_eq!(
                request(&with(b"Sec-WebSocket-Key", bad)),
                Err(HandshakeError::Key)
            );
        }
        let mut twice = GOOD.to_vec();
        twice.push((b"sec-websocket-key", RFC_KEY));
        assert_eq!(request(&twice), Err(HandshakeError::Key));
        let post = validate_upgrade(&UpgradeRequest {
            method: b"POST",
            http_minor: 1,
            headers: GOOD,
        });
        assert_eq!(post.unwrap_err().status(), 405);
        let h10 = validate_upgrade(&UpgradeRequest {
            method: b"GET",
            http_minor: 0,
            headers: GOOD,
        });
        assert_eq!(h10, Err(HandshakeError::HttpVersion));
    }

    #[test]
    fn writes_the_101_response() {
        let mut out = Vec::new();
        write_accept_response("abc=", Some("chat"), Some("permessage-deflate"), &mut out);
        assert_eq!(
            out,
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: abc=\r\nSec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
        );
    }

    #[test]
    fn base64_matches_known_vectors() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foo"), "Zm9v");
        assert_eq!(base64_encode(b"foob"), "Zm9vYg==");
    }
}
