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

/// A byte allowed in a request-target; [`target_end`] implements the same set word-wise.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const fn is_target(b: u8) -> bool {
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
static FIELD_VALUE: [bool; 256] = table!(is_field_value_fn);
static HOST: [bool; 256] = table!(is_host_fn);

/// A `tchar`: the bytes of methods, field names and other tokens.
#[inline(always)]
pub(crate) fn is_tchar(b: u8) -> bool {
    TCHAR[b as usize]
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

// --- word-at-a-time scanning ---------------------------------------------------------------------
//
// Targets and field values are most of a head's bytes. Checking them eight at a time with the
// classic "has a byte less than n" / "has a zero byte" bit tricks, and looking at single bytes only
// in a word that may hold a delimiter, is several times faster than a table lookup per byte.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Non-zero iff some byte of `x` is below `n` (exact for n <= 128: borrows only start at a
/// byte that really is below `n`).
#[inline(always)]
const fn has_less(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * n as u64) & !x & HIGHS
}

/// Non-zero iff some byte of `x` equals `b`.
#[inline(always)]
const fn has_byte(x: u64, b: u8) -> u64 {
    has_less(x ^ (ONES * b as u64), 1)
}

/// Index of the first byte of `s` that `flags` marks, eight bytes at a time. `flags(w)` must set
/// the high bit of each byte of `w` it marks, and be exact for the lowest marked byte (the bit
/// tricks above only err above a true mark). The tail is padded with zero bytes, and a mark
/// there is ignored.
#[inline(always)]
fn first_marked(s: &[u8], flags: impl Fn(u64) -> u64) -> Option<usize> {
    let mut words = s.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let mut le = [0u8; 8];
        le.copy_from_slice(word);
        let marks = flags(u64::from_le_bytes(le));
        if marks != 0 {
            return Some(at + (marks.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = words.remainder();
    let mut le = [0u8; 8];
    le[..tail.len()].copy_from_slice(tail);
    let i = (flags(u64::from_le_bytes(le)).trailing_zeros() / 8) as usize;
    (i < tail.len()).then_some(at + i)
}

/// Marks controls, SP, DEL and non-ASCII: the bytes that end a token or a target.
#[inline(always)]
const fn marks_non_visible(w: u64) -> u64 {
    has_less(w, 0x21) | has_byte(w, 0x7f) | (w & HIGHS)
}

/// Index of the first byte of `s` that cannot be in a field value (CR, LF, other controls except
/// HTAB, DEL), or `None` if there is none.
#[inline]
pub(crate) fn field_value_end(s: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let i = from + first_marked(&s[from..], |w| has_less(w, 0x20) | has_byte(w, 0x7f))?;
        if s[i] != b'\t' {
            return Some(i);
        }
        from = i + 1; // HTAB is allowed in values: rare, so simply resume after it
    }
}

/// Index of the first byte of `s` that cannot be in a request-target (SP ends it), or `None`.
#[inline]
pub(crate) fn target_end(s: &[u8]) -> Option<usize> {
    first_marked(s, |w| marks_non_visible(w) | has_byte(w, b'#'))
}

/// High bit set in each byte of `x` within `lo..=hi`. Exact per byte, provided every byte of `x`
/// is below 0x80 (no sum then carries into the next byte).
#[inline(always)]
const fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let above_hi = x.wrapping_add(ONES * (0x7f - hi) as u64);
    let from_lo = x.wrapping_add(ONES * (0x80 - lo) as u64);
    from_lo & !above_hi & HIGHS
}

/// Marks the bytes of `w` that are not ASCII letters, digits or `-`: the bytes of nearly every
/// method and field name. A marked byte may still be one of the rarer `tchar`s.
#[inline(always)]
const fn marks_not_alnum_dash(w: u64) -> u64 {
    let x = w & !HIGHS;
    let letter = in_range(x | (ONES * 0x20), b'a', b'z');
    let digit = in_range(x, b'0', b'9');
    let dash = in_range(x, b'-', b'-');
    !(letter | digit | dash) & HIGHS | (w & HIGHS)
}

/// Index of the first byte of `s` that is not a `tchar`, or `None`.
#[inline]
pub(crate) fn token_end(s: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let i = from + first_marked(&s[from..], marks_not_alnum_dash)?;
        if !is_tchar(s[i]) {
            return Some(i);
        }
        from = i + 1; // `_`, `.`, `!` and the like: rare, so simply resume after it
    }
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
    fn word_scans_agree_with_the_byte_tables_on_every_byte_and_position() {
        for b in 0..=255u8 {
            for len in 1..20 {
                for at in 0..len {
                    let mut s = vec![b'a'; len];
                    s[at] = b;
                    let want = |ok: fn(u8) -> bool| if ok(b) { None } else { Some(at) };
                    assert_eq!(
                        field_value_end(&s),
                        want(is_field_value),
                        "{b:#x} {len} {at}"
                    );
                    assert_eq!(target_end(&s), want(is_target), "{b:#x} {len} {at}");
                    assert_eq!(token_end(&s), want(is_tchar), "{b:#x} {len} {at}");
                }
            }
        }
    }

    #[test]
    fn word_scans_agree_with_the_byte_tables_on_mixed_strings() {
        // Deterministic xorshift over bytes biased towards delimiters, so that several marks and
        // borrows meet in one word.
        let alphabet = b"aZ09-_:;# \t\r\n\x00\x01\x1f\x20\x21\x7e\x7f\x80\xff\"()";
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 24) as usize;
            let s: Vec<u8> = (0..len)
                .map(|i| alphabet[((state >> (i % 8 * 8)) as usize + i) % alphabet.len()])
                .collect();
            let naive = |ok: fn(u8) -> bool| s.iter().position(|&b| !ok(b));
            assert_eq!(field_value_end(&s), naive(is_field_value), "{s:?}");
            assert_eq!(target_end(&s), naive(is_target), "{s:?}");
            assert_eq!(token_end(&s), naive(is_tchar), "{s:?}");
        }
    }

    #[test]
    fn trim_ows_trims_both_ends_only() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
        assert_eq!(trim_ows(b""), b"");
    }
}
