//! Just enough TLS record framing to see what rustls does not report: what the first byte of a
//! connection says it is, and where a TLS 1.2 handshake record starts after the handshake
//! (a renegotiation attempt: record headers travel in the clear in 1.2).

use super::ktls_records::CONTENT_HANDSHAKE as HANDSHAKE;

const HEADER_LEN: usize = 5;

/// What the first byte of a connection says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FirstByte {
    /// A TLS handshake record: a ClientHello is coming.
    Tls,
    /// An upper-case ASCII letter: the start of an HTTP method (`GET`, `POST`, ...).
    PlaintextHttp,
    /// Anything else.
    Other,
}

pub(crate) fn classify_first_byte(byte: u8) -> FirstByte {
    match byte {
        HANDSHAKE => FirstByte::Tls,
        b'A'..=b'Z' => FirstByte::PlaintextHttp,
        _ => FirstByte::Other,
    }
}

/// Follows record boundaries across reads of any size.
#[derive(Debug, Default)]
pub(crate) struct RecordScanner {
    header: [u8; HEADER_LEN],
    header_len: usize,
    body_left: usize,
}

impl RecordScanner {
    /// Bytes from here to the end of the current record (a whole header's 5 at a boundary).
    pub(crate) fn to_record_end(&self) -> usize {
        if self.body_left > 0 {
            self.body_left
        } else {
            HEADER_LEN - self.header_len
        }
    }

    /// Body bytes of the current record not walked yet (0 at a record boundary or in a header).
    pub(crate) fn body_left(&self) -> usize {
        self.body_left
    }

    /// Walks at most `available` bytes of the current record's body; returns how many it walked
    /// (0 at a record boundary or in a header).
    pub(crate) fn walk_body(&mut self, available: usize) -> usize {
        let step = self.body_left.min(available);
        self.body_left -= step;
        step
    }

    /// Walks `input` up to and including the end of the first complete record header whose
    /// content type is handshake. Returns the bytes walked and whether it stopped at such a header.
    pub(crate) fn until_handshake_header(&mut self, input: &[u8]) -> (usize, bool) {
        let mut at = 0;
        while at < input.len() {
            if self.body_left > 0 {
                at += self.walk_body(input.len() - at);
                continue;
            }
            self.header[self.header_len] = input[at];
            self.header_len += 1;
            at += 1;
            if self.header_len == HEADER_LEN {
                self.header_len = 0;
                self.body_left = usize::from(u16::from_be_bytes([self.header[3], self.header[4]]));
                if self.header[0] == HANDSHAKE {
                    return (at, true);
                }
            }
        }
        (at, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(content_type: u8, body_len: usize) -> Vec<u8> {
        let mut bytes = vec![content_type, 3, 3];
        bytes.extend_from_slice(&(body_len as u16).to_be_bytes());
        bytes.resize(HEADER_LEN + body_len, 0xaa);
        bytes
    }

    #[test]
    fn finds_a_handshake_header_after_application_records() {
        let mut stream = record(23, 40);
        stream.extend(record(21, 2));
        stream.extend(record(HANDSHAKE, 10));
        let mut scanner = RecordScanner::default();
        assert_eq!(
            scanner.until_handshake_header(&stream),
            (40 + 5 + 2 + 5 + 5, true)
        );
        assert_eq!(scanner.until_handshake_header(&stream[57..]), (10, false));
    }

    #[test]
    fn follows_headers_split_across_reads_byte_by_byte() {
        let mut stream = record(23, 3);
        stream.extend(record(HANDSHAKE, 1));
        let mut scanner = RecordScanner::default();
        let stops: Vec<usize> = (0..stream.len())
            .filter(|&i| scanner.until_handshake_header(&stream[i..=i]) == (1, true))
            .collect();
        assert_eq!(stops, vec![8 + 4]);
    }

    #[test]
    fn classifies_the_first_byte() {
        assert_eq!(classify_first_byte(0x16), FirstByte::Tls);
        assert_eq!(classify_first_byte(b'G'), FirstByte::PlaintextHttp);
        assert_eq!(classify_first_byte(0x80), FirstByte::Other);
        assert_eq!(classify_first_byte(b'g'), FirstByte::Other);
    }
}
