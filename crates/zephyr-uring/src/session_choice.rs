//! Which protocol session a connection gets: the `ReadVersion` start state of hyper-util's auto
//! server, as two pure functions and one factory. Over TLS, ALPN decides once the handshake
//! completes ([`by_alpn`]); in cleartext the first bytes do ([`sniff`]: the HTTP/2 connection
//! preface, RFC 9113 §3.4, or anything else for HTTP/1).
//! HTTP/2 is served when the listener has [`H2Settings`] (the JS `http2` option; the TLS ALPN
//! list then offers `h2` first).

pub use zephyr_h2::H2Config;

use crate::conn::{Conn, ConnId, ConnLimits};
use crate::h2_conn::H2Conn;
use crate::slot_session::SlotSession;

/// How a listener serves HTTP/2: the core's limits and the idle timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct H2Settings {
    pub config: H2Config,
    /// A connection with no open stream and no traffic this long gets GOAWAY and is closed.
    pub idle_timeout_ms: u64,
}

/// The protocol a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http1,
    Http2,
}

/// The client preface every HTTP/2 connection opens with (RFC 9113 §3.4).
pub const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The protocol ALPN agreed on; no ALPN (a client that offered none) means HTTP/1.1.
pub fn by_alpn(alpn: Option<&[u8]>) -> Protocol {
    match alpn {
        Some(b"h2") => Protocol::Http2,
        _ => Protocol::Http1,
    }
}

/// What the first bytes of a cleartext connection say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// Too few bytes to tell (a prefix of the h2 preface).
    NeedMore,
    Is(Protocol),
}

/// Looks at the first bytes of a cleartext connection (prior-knowledge HTTP/2 or HTTP/1).
pub fn sniff(first: &[u8]) -> Sniffed {
    let n = first.len().min(H2_PREFACE.len());
    if first[..n] != H2_PREFACE[..n] {
        Sniffed::Is(Protocol::Http1)
    } else if n < H2_PREFACE.len() {
        Sniffed::NeedMore
    } else {
        Sniffed::Is(Protocol::Http2)
    }
}

/// Bytes of a first line looked at for its HTTP version; a longer line is left to the HTTP/1
/// parser (which answers 414 or 431).
const FIRST_LINE_MAX: usize = 8192;

/// On a listener serving h2c, bytes that are not the preface must still name an HTTP/1 version
/// to be HTTP/1: `Some(false)` when the first line is complete and names none (neither protocol:
/// the connection is closed, as RFC 9113 §3.4 wants for an invalid preface), `None` while the
/// line is incomplete.
pub fn names_http1_version(first: &[u8]) -> Option<bool> {
    let seen = &first[..first.len().min(FIRST_LINE_MAX)];
    let Some(end) = seen.windows(2).position(|w| w == b"\r\n") else {
        return (first.len() >= FIRST_LINE_MAX).then_some(true);
    };
    let line = &seen[..end];
    let version = line.rsplit(|&b| b == b' ').next().unwrap_or(&[]);
    Some(line.contains(&b' ') && version.starts_with(b"HTTP/"))
}

/// The session for `protocol`, or `None` when the listener does not serve it (an h2 preface on
/// a listener without `http2`: the connection is then closed). The one place a new protocol's
/// session plugs in.
pub fn start(
    protocol: Protocol,
    id: ConnId,
    now: u64,
    limits: &ConnLimits,
    h2: Option<&H2Settings>,
) -> Option<SlotSession> {
    match protocol {
        Protocol::Http1 => Some(SlotSession::Http(Conn::new(id, now, limits))),
        Protocol::Http2 => {
            let h2 = h2?;
            let conn = H2Conn::new(id, h2.config, h2.idle_timeout_ms, limits, now).ok()?;
            Some(SlotSession::H2(Box::new(conn)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_line_without_an_http_version_is_neither_protocol() {
        assert_eq!(
            names_http1_version(b"GET / HTTP/1.1\r\nHost: x"),
            Some(true)
        );
        assert_eq!(
            names_http1_version(b"GET / HTTP/9.9\r\n"),
            Some(true),
            "the parser's 505"
        );
        assert_eq!(names_http1_version(b"GET / HTT"), None);
        assert_eq!(
            names_http1_version(b"INVALID CONNECTION PREFACE\r\n\r\n"),
            Some(false)
        );
        assert_eq!(names_http1_version(b"GET /\r\n"), Some(false));
        assert_eq!(names_http1_version(&[b'a'; FIRST_LINE_MAX]), Some(true));
    }

    #[test]
    fn alpn_picks_the_session() {
        assert_eq!(by_alpn(Some(b"http/1.1")), Protocol::Http1);
        assert_eq!(by_alpn(None), Protocol::Http1);
        assert_eq!(by_alpn(Some(b"h2")), Protocol::Http2);
    }

    #[test]
    fn the_h2_preface_is_told_from_http1_by_its_first_bytes() {
        assert_eq!(sniff(b"GET / HTTP/1.1\r\n"), Sniffed::Is(Protocol::Http1));
        assert_eq!(sniff(b"P"), Sniffed::NeedMore);
        assert_eq!(sniff(b"PRI * HTTP/2.0\r\n"), Sniffed::NeedMore);
        assert_eq!(sniff(b"POST / HTTP/1.1\r\n"), Sniffed::Is(Protocol::Http1));
        assert_eq!(sniff(H2_PREFACE), Sniffed::Is(Protocol::Http2));
        let mut more = H2_PREFACE.to_vec();
        more.extend_from_slice(&[0, 0, 0, 4]);
        assert_eq!(sniff(&more), Sniffed::Is(Protocol::Http2));
    }

    #[test]
    fn http2_has_a_session_only_where_the_listener_serves_it() {
        let limits = ConnLimits {
            head: crate::http1::HeadLimits::default(),
            max_body_bytes: 1 << 20,
            header_timeout_ms: 1000,
            keep_alive_timeout_ms: 1000,
            request_timeout_ms: 1000,
            max_pipelined: 16,
            max_unsent_bytes: 1 << 20,
            write_timeout_ms: 1000,
        };
        let id = ConnId { index: 0, gen: 1 };
        assert!(start(Protocol::Http1, id, 0, &limits, None).is_some());
        assert!(start(Protocol::Http2, id, 0, &limits, None).is_none());
        let h2 = H2Settings {
            config: H2Config::default(),
            idle_timeout_ms: 1000,
        };
        assert!(matches!(
            start(Protocol::Http2, id, 0, &limits, Some(&h2)),
            Some(SlotSession::H2(_))
        ));
    }
}
