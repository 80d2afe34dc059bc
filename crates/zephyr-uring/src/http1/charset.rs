//! Byte classes of RFC 9110 / RFC 3986 as 256-entry lookup tables, so each byte costs one load.

/// Builds a 256-entry table from a `const fn(u8) -> bool` at compile time.
macro_rules! table {
    ($pred:ident) => {{
        let mut table = [false; 256];
        let mut i = 0;
        while i < 256 {
            table[i] = $pred(i as u8);
            i += 1;
        }
        table
    }};
}

const fn is_tchar_fn(b: u8) -> bool {
    // tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|"
    //       / "~" / DIGIT / ALPHA
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_'
        | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

const fn is_target_fn(b: u8) -> bool {
    // Visible ASCII, as llhttp in strict mode, minus `#`: a fragment is not part of any
    // request-target form (RFC 9112 §3.2). Raw non-ASCII, controls, SP and DEL are refused.
    b >= 0x21 && b <= 0x7e && b != b'#'
}

const fn is_field_value_fn(b: u8) -> bool {
    // field-vchar = VCHAR / obs-text, plus SP and HTAB inside the value.
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

const fn is_host_fn(b: u8) -> bool {
    // uri-host [ ":" port ]: reg-name (unreserved / pct-encoded / sub-delims), IPv4, or an
    // IP-literal in brackets.
    matches!(b,
        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'%'
        | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
        | b':' | b'[' | b']')
}

static TCHAR: [bool; 256] = table!(is_tchar_fn);
static TARGET: [bool; 256] = table!(is_target_fn);
static FIELD_VALUE: [bool; 256] = table!(is_field_value_fn);
static HOST: [bool; 256] = table!(is_host_fn);

/// A `tchar`: the bytes of methods, field names and other tokens.
#[inline(always)]
pub(crate) fn is_tchar(b: u8) -> bool {
    TCHAR[b as usize]
}

/// A byte allowed in a request-target.
#[inline(always)]
pub(crate) fn is_target(b: u8) -> bool {
    TARGET[b as usize]
}

/// A byte allowed inside a field value (HTAB, SP, VCHAR, obs-text).
#[inline(always)]
pub(crate) fn is_field_value(b: u8) -> bool {
    FIELD_VALUE[b as usize]
}

/// A byte allowed in a Host value.
#[inline(always)]
pub(crate) fn is_host(b: u8) -> bool {
    HOST[b as usize]
}

/// Optional whitespace (RFC 9110 §5.6.3).
#[inline(always)]
pub(crate) fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Whether `s` is a non-empty token.
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// `s` without leading and trailing OWS.
pub(crate) fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_ows(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_ows(b)).map_or(start, |i| i + 1);
    &s[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tchar_excludes_delimiters() {
        for b in b"\"(),/:;<=>?@[\\]{} \t\r\n\0\x7f\x80" {
            assert!(!is_tchar(*b), "{b:#x}");
        }
        for b in b"!#$%&'*+-.^_`|~09azAZ" {
            assert!(is_tchar(*b), "{b:#x}");
        }
    }

    #[test]
    fn trim_ows_trims_both_ends_only() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
        assert_eq!(trim_ows(b""), b"");
    }
}
