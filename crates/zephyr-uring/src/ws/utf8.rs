//! Incremental UTF-8 validation of a message assembled across frames and reads.

/// Tracks how much of a growing buffer is known-valid UTF-8, so each byte is validated once and
/// an invalid sequence is reported as soon as its first impossible byte arrives.
#[derive(Debug, Default)]
pub(crate) struct Utf8Progress {
    valid_up_to: usize,
}

impl Utf8Progress {
    /// Validates the bytes of `buf` not yet seen. `Err(())` when they can never become UTF-8;
    /// an incomplete sequence at the end is kept for the next call.
    pub(crate) fn advance(&mut self, buf: &[u8]) -> Result<(), ()> {
        match std::str::from_utf8(&buf[self.valid_up_to..]) {
            Ok(_) => {
                self.valid_up_to = buf.len();
                Ok(())
            }
            Err(e) if e.error_len().is_none() => {
                self.valid_up_to += e.valid_up_to();
                Ok(())
            }
            Err(_) => Err(()),
        }
    }

    /// Whether the whole buffer (as of the last [`advance`](Self::advance)) is complete UTF-8.
    pub(crate) fn is_complete(&self, buf: &[u8]) -> bool {
        self.valid_up_to == buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_point_split_across_calls_is_valid() {
        let text = "κόσμε".as_bytes();
        let mut p = Utf8Progress::default();
        let mut buf = Vec::new();
        for &b in text {
            buf.push(b);
            p.advance(&buf).unwrap();
        }
        assert!(p.is_complete(&buf));
    }

    #[test]
    fn fails_on_the_first_impossible_byte() {
        let mut p = Utf8Progress::default();
        // U+110000 would start F4 90: invalid already at the second byte.
        assert!(p.advance(&[b'a', 0xF4]).is_ok());
        assert!(p.advance(&[b'a', 0xF4, 0x90]).is_err());
    }

    #[test]
    fn an_unfinished_sequence_is_incomplete() {
        let mut p = Utf8Progress::default();
        let buf = [0xE2, 0x82];
        p.advance(&buf).unwrap();
        assert!(!p.is_complete(&buf));
    }
}
