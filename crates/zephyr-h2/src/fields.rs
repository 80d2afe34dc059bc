//! HTTP semantics of header fields in HTTP/2 (RFC 9113 §8.2, §8.3): request pseudo-headers,
//! field name and value rules, connection-specific fields, trailers.

/// A header field as it crossed the wire: lowercase name, value bytes.
pub type Field = (Vec<u8>, Vec<u8>);

/// A request head, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    /// Empty for CONNECT.
    pub scheme: String,
    pub authority: Option<String>,
    /// Empty for CONNECT.
    pub path: String,
    /// Regular fields in order; `cookie` crumbs joined into one field (§8.2.3).
    pub headers: Vec<Field>,
    /// The `content-length` field, when present.
    pub content_length: Option<u64>,
}

/// Why a request or trailer block is malformed (§8.1.1): a stream error, PROTOCOL_ERROR.
pub type Malformed = &'static str;

fn is_token_lower(name: &[u8]) -> bool {
    !name.is_empty()
        && name.iter().all(|&b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
        })
}

/// A value may not hold NUL, CR or LF, nor start or end with whitespace (§8.2.1).
fn is_valid_value(v: &[u8]) -> bool {
    !v.iter().any(|&b| b == 0 || b == b'\r' || b == b'\n')
        && !matches!(v.first(), Some(b' ' | b'\t'))
        && !matches!(v.last(), Some(b' ' | b'\t'))
}

/// Checks a regular (non-pseudo) field name and value, as received or as sent.
pub fn check_regular(name: &[u8], value: &[u8]) -> Result<(), Malformed> {
    if !is_token_lower(name) {
        return Err("invalid field name (uppercase or not a token)");
    }
    if !is_valid_value(value) {
        return Err("invalid field value");
    }
    match name {
        b"connection" | b"keep-alive" | b"proxy-connection" | b"transfer-encoding" | b"upgrade" => {
            Err("connection-specific field")
        }
        b"te" if value != b"trailers" => Err("te other than trailers"),
        _ => Ok(()),
    }
}

fn pseudo_string(v: Vec<u8>) -> Result<String, Malformed> {
    if v.iter().all(|&b| (0x21..0x7f).contains(&b)) {
        Ok(String::from_utf8(v).expect("visible ASCII"))
    } else {
        Err("pseudo-header value is not visible ASCII")
    }
}

/// Validates a request's header block (§8.3.1).
pub fn parse_request(fields: Vec<Field>) -> Result<RequestHead, Malformed> {
    let (mut method, mut scheme, mut authority, mut path) = (None, None, None, None);
    let mut headers = Vec::with_capacity(fields.len());
    let mut cookie: Option<Vec<u8>> = None;
    let mut content_length = None;
    let mut regular_seen = false;
    for (name, value) in fields {
        if name.first() == Some(&b':') {
            if regular_seen {
                return Err("pseudo-header after a regular field");
            }
            let slot = match name.as_slice() {
                b":method" => &mut method,
                b":scheme" => &mut scheme,
                b":authority" => &mut authority,
                b":path" => &mut path,
                _ => return Err("unknown or response pseudo-header"),
            };
            if slot.is_some() {
                return Err("duplicate pseudo-header");
            }
            *slot = Some(pseudo_string(value)?);
            continue;
        }
        regular_seen = true;
        check_regular(&name, &value)?;
        match name.as_slice() {
            b"cookie" => {
                match &mut cookie {
                    Some(c) => {
                        c.extend_from_slice(b"; ");
                        c.extend_from_slice(&value);
                    }
                    None => cookie = Some(value),
                }
                continue;
            }
            b"content-length" => {
                let n = parse_content_length(&value)?;
                if content_length.is_some_and(|c| c != n) {
                    return Err("conflicting content-length");
                }
                content_length = Some(n);
            }
            _ => {}
        }
        headers.push((name, value));
    }
    if let Some(c) = cookie {
        headers.push((b"cookie".to_vec(), c));
    }
    let method = method.ok_or("missing :method")?;
    if method == "CONNECT" {
        if scheme.is_some() || path.is_some() || authority.is_none() {
            return Err("CONNECT needs :authority and no :scheme or :path");
        }
        return Ok(RequestHead {
            method,
            scheme: String::new(),
            authority,
            path: String::new(),
            headers,
            content_length,
        });
    }
    let scheme = scheme.ok_or("missing :scheme")?;
    let path = path.ok_or("missing :path")?;
    if path.is_empty() {
        return Err("empty :path");
    }
    let asterisk = path == "*" && method == "OPTIONS";
    if !path.starts_with('/') && !asterisk {
        return Err(":path is neither origin-form nor * for OPTIONS");
    }
    Ok(RequestHead {
        method,
        scheme,
        authority,
        path,
        headers,
        content_length,
    })
}

fn parse_content_length(v: &[u8]) -> Result<u64, Malformed> {
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return Err("invalid content-length");
    }
    Ok(v.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')))
}

/// Validates a trailer block (§8.1): no pseudo-headers, regular field rules.
pub fn parse_trailers(fields: Vec<Field>) -> Result<Vec<Field>, Malformed> {
    for (name, value) in &fields {
        if name.first() == Some(&b':') {
            return Err("pseudo-header in trailers");
        }
        check_regular(name, value)?;
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(list: &[(&str, &str)]) -> Vec<Field> {
        list.iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    const BASE: [(&str, &str); 4] = [
        (":method", "GET"),
        (":scheme", "https"),
        (":authority", "example.com"),
        (":path", "/a?b"),
    ];

    #[test]
    fn a_valid_request_parses_and_joins_cookies() {
        let mut list = BASE.to_vec();
        list.extend([
            ("cookie", "a=1"),
            ("x", "y"),
            ("cookie", "b=2"),
            ("content-length", "5"),
        ]);
        let head = parse_request(f(&list)).unwrap();
        assert_eq!(head.method, "GET");
        assert_eq!(head.path, "/a?b");
        assert_eq!(head.authority.as_deref(), Some("example.com"));
        assert_eq!(head.content_length, Some(5));
        assert_eq!(
            head.headers,
            f(&[("x", "y"), ("content-length", "5"), ("cookie", "a=1; b=2")])
        );
    }

    #[test]
    fn malformed_requests_are_rejected() {
        let cases: Vec<Vec<(&str, &str)>> = vec![
            vec![(":method", "GET"), (":scheme", "https")],
            vec![(":method", "GET"), (":path", "/")],
            vec![(":scheme", "https"), (":path", "/")],
            vec![(":method", "GET"), (":scheme", "https"), (":path", "")],
            vec![
                (":method", "GET"),
                (":method", "GET"),
                (":scheme", "https"),
                (":path", "/"),
            ],
            vec![
                (":method", "GET"),
                (":scheme", "https"),
                (":path", "/"),
                (":status", "200"),
            ],
            vec![
                (":method", "GET"),
                (":scheme", "https"),
                (":path", "/"),
                (":foo", "x"),
            ],
            vec![
                (":method", "GET"),
                ("x", "y"),
                (":scheme", "https"),
                (":path", "/"),
            ],
            vec![
                (":method", "GET"),
                (":scheme", "https"),
                (":path", "/"),
                ("X-Up", "y"),
            ],
            vec![
                (":method", "GET"),
                (":scheme", "https"),
                (":path", "/"),
                ("connection", "x"),
            ],
            vec![
                (":method", "GET"),
                (":scheme", "https"),
                (":path", "/"),
                ("te", "gzip"),
            ],
            vec![
                (":method", "GET"),
                (":scheme", "https"),
                (":path", "/"),
                ("x", " y"),
            ],
            vec![
                (":method", "GET"),
                (":scheme", "https"),
                (":path", "/"),
                ("x", "a\r\nb"),
            ],
            vec![
                (":method", "GET"),
                (":scheme", "https"),
                (":path", "/"),
                ("content-length", "1x"),
            ],
            vec![
                (":method", "CONNECT"),
                (":authority", "a:1"),
                (":path", "/"),
            ],
        ];
        for case in cases {
            assert!(parse_request(f(&case)).is_err(), "{case:?}");
        }
        assert!(parse_request(f(&[(":method", "CONNECT"), (":authority", "a:443")])).is_ok());
        assert!(parse_request(f(&[
            (":method", "GET"),
            (":scheme", "https"),
            (":path", "/"),
            ("te", "trailers")
        ]))
        .is_ok());
    }

    #[test]
    fn trailers_may_not_hold_pseudo_headers() {
        assert!(parse_trailers(f(&[("grpc-status", "0")])).is_ok());
        assert!(parse_trailers(f(&[(":status", "200")])).is_err());
        assert!(parse_trailers(f(&[("Grpc-Status", "0")])).is_err());
    }
}
