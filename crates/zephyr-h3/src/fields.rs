//! Request pseudo-headers and field rules (RFC 9114 §4.2, §4.3.1).

use crate::qpack::FieldLine;

/// A request head as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    pub scheme: String,
    pub authority: String,
    pub path: String,
    /// Regular fields in arrival order, pseudo-headers removed.
    pub headers: Vec<FieldLine>,
    /// The `content-length` the body must match, when given.
    pub content_length: Option<u64>,
}

fn valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.iter().all(|&c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&c)
        })
}

fn valid_value(value: &[u8]) -> bool {
    !value.iter().any(|&c| c == b'\r' || c == b'\n' || c == 0)
}

/// Connection-specific fields are malformed in HTTP/3 (§4.2); `te` may only say `trailers`.
fn connection_specific(name: &[u8], value: &[u8]) -> bool {
    matches!(
        name,
        b"connection" | b"keep-alive" | b"proxy-connection" | b"transfer-encoding" | b"upgrade"
    ) || (name == b"te" && value != b"trailers")
}

/// Checks a regular field (request, trailer or response).
pub fn check_field(name: &[u8], value: &[u8]) -> Result<(), &'static str> {
    if !valid_name(name) {
        return Err("field name is not a lowercase token");
    }
    if !valid_value(value) {
        return Err("field value holds CR, LF or NUL");
    }
    if connection_specific(name, value) {
        return Err("connection-specific field");
    }
    Ok(())
}

/// Builds a request head, or says why the request is malformed (H3_MESSAGE_ERROR).
pub fn request_head(fields: Vec<FieldLine>) -> Result<RequestHead, &'static str> {
    let (mut method, mut scheme, mut authority, mut path) = (None, None, None, None);
    let mut headers = Vec::with_capacity(fields.len());
    let mut content_length = None;
    let mut host = None;
    for (name, value) in fields {
        if let Some(pseudo) = name.strip_prefix(b":") {
            if !headers.is_empty() {
                return Err("pseudo-header after a regular field");
            }
            let slot = match pseudo {
                b"method" => &mut method,
                b"scheme" => &mut scheme,
                b"authority" => &mut authority,
                b"path" => &mut path,
                _ => return Err("unknown or response pseudo-header"),
            };
            if slot.is_some() {
                return Err("duplicate pseudo-header");
            }
            if !valid_value(&value) {
                return Err("pseudo-header value holds CR, LF or NUL");
            }
            *slot = Some(String::from_utf8(value).map_err(|_| "pseudo-header is not UTF-8")?);
            continue;
        }
        check_field(&name, &value)?;
        if name == b"content-length" {
            let v = std::str::from_utf8(&value)
                .ok()
                .filter(|s| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or("bad content-length")?;
            if content_length.is_some_and(|c| c != v) {
                return Err("conflicting content-length");
            }
            content_length = Some(v);
        }
        if name == b"host" {
            host = Some(value.clone());
        }
        headers.push((name, value));
    }
    let method = method.ok_or("missing :method")?;
    if method.is_empty() || !method.bytes().all(|c| c.is_ascii_graphic()) {
        return Err("bad :method");
    }
    if method == "CONNECT" {
        // §4.4: CONNECT carries :authority only (extended CONNECT is not offered).
        if scheme.is_some() || path.is_some() {
            return Err("CONNECT with :scheme or :path");
        }
        let authority = authority.ok_or("CONNECT without :authority")?;
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
    let path = path
        .filter(|p| !p.is_empty())
        .ok_or("missing or empty :path")?;
    let authority = match (authority, host) {
        (Some(a), Some(h)) if a.as_bytes() != h => return Err(":authority and host differ"),
        (Some(a), _) => a,
        (None, Some(h)) => String::from_utf8(h).map_err(|_| "host is not UTF-8")?,
        (None, None) if scheme == "http" || scheme == "https" => {
            return Err("missing :authority and host")
        }
        (None, None) => String::new(),
    };
    Ok(RequestHead {
        method,
        scheme,
        authority,
        path,
        headers,
        content_length,
    })
}

/// Checks trailers: regular fields only.
pub fn check_trailers(fields: &[FieldLine]) -> Result<(), &'static str> {
    for (name, value) in fields {
        if name.starts_with(b":") {
            return Err("pseudo-header in trailers");
        }
        check_field(name, value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fl(list: &[(&str, &str)]) -> Vec<FieldLine> {
        list.iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn accepts_a_plain_request() {
        let head = request_head(fl(&[
            (":method", "GET"),
            (":scheme", "https"),
            (":authority", "localhost"),
            (":path", "/a?b"),
            ("user-agent", "t"),
            ("content-length", "0"),
        ]))
        .unwrap();
        assert_eq!(
            (
                head.method.as_str(),
                head.path.as_str(),
                head.authority.as_str()
            ),
            ("GET", "/a?b", "localhost")
        );
        assert_eq!(head.headers.len(), 2);
        assert_eq!(head.content_length, Some(0));
    }

    #[test]
    fn refuses_malformed_requests() {
        let base = [
            (":method", "GET"),
            (":scheme", "https"),
            (":authority", "h"),
            (":path", "/"),
        ];
        let cases: Vec<Vec<(&str, &str)>> = vec![
            vec![("user-agent", "no pseudo")],
            vec![
                (":method", "GET"),
                (":scheme", "https"),
                (":authority", "h"),
            ],
            vec![(":method", "GET"), (":scheme", "https"), (":path", "/")],
            vec![
                (":method", "GET"),
                (":scheme", "https"),
                (":authority", "h"),
                (":path", ""),
            ],
            [&base[..], &[(":method", "POST")]].concat(),
            [&base[..], &[(":status", "200")]].concat(),
            [&base[..], &[("x", "1"), (":foo", "1")]].concat(),
            [&base[..], &[("Upper", "1")]].concat(),
            [&base[..], &[("x", "a\r\nb")]].concat(),
            [&base[..], &[("connection", "close")]].concat(),
            [&base[..], &[("te", "gzip")]].concat(),
            [
                &base[..],
                &[("content-length", "1"), ("content-length", "2")],
            ]
            .concat(),
            [&base[..], &[("content-length", "-1")]].concat(),
            [&base[..], &[("host", "other")]].concat(),
            vec![(":method", "CONNECT"), (":authority", "h"), (":path", "/")],
        ];
        for c in cases {
            assert!(request_head(fl(&c)).is_err(), "{c:?}");
        }
        assert!(request_head(fl(&[(":method", "CONNECT"), (":authority", "h:443")])).is_ok());
        assert!(request_head(fl(&[
            (":method", "GET"),
            (":scheme", "https"),
            (":path", "/"),
            ("host", "h")
        ]))
        .is_ok());
        assert!(check_trailers(&fl(&[("x-checksum", "1")])).is_ok());
        assert!(check_trailers(&fl(&[(":path", "/")])).is_err());
    }
}
