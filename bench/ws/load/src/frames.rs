//! RFC 6455 frames as a load generator needs them: client frames built once, server frames
//! counted (and small payloads captured) from their headers.

/// A client frame (FIN, masked with a zero key, so the payload goes as it is) carrying `payload`.
pub fn client_frame(payload: &[u8], binary: bool) -> Vec<u8> {
    let len = payload.len();
    let mut out = Vec::with_capacity(len + 14);
    out.push(0x80 | if binary { 2 } else { 1 });
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if len < 65536 {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(payload);
    out
}

/// Reads server frames (never masked) from a byte stream.
pub struct FrameReader {
    header: [u8; 10],
    have: usize,
    /// Payload bytes still to skip (or capture) of the current frame.
    left: u64,
    /// Capture payloads (fan-out: the timestamp), else only count.
    capture: bool,
    captured: Vec<u8>,
}

impl FrameReader {
    pub fn new(capture: bool) -> Self {
        FrameReader {
            header: [0; 10],
            have: 0,
            left: 0,
            capture,
            captured: Vec::new(),
        }
    }

    /// Feeds a chunk; returns the data messages completed in it, handing each captured payload
    /// to `on_payload`.
    pub fn feed(&mut self, mut chunk: &[u8], mut on_payload: impl FnMut(&[u8])) -> usize {
        let mut messages = 0;
        while !chunk.is_empty() {
            if self.left > 0 {
                let n = (self.left as usize).min(chunk.len());
                if self.capture {
                    self.captured.extend_from_slice(&chunk[..n]);
                }
                self.left -= n as u64;
                chunk = &chunk[n..];
                if self.left == 0 && self.frame_done(&mut on_payload) {
                    messages += 1;
                }
                continue;
            }
            self.header[self.have] = chunk[0];
            self.have += 1;
            chunk = &chunk[1..];
            if self.have < 2 {
                continue;
            }
            let short = self.header[1] & 0x7f;
            let need = match short {
                126 => 4,
                127 => 10,
                _ => 2,
            };
            if self.have < need {
                continue;
            }
            self.left = match short {
                126 => u64::from(u16::from_be_bytes([self.header[2], self.header[3]])),
                127 => u64::from_be_bytes(self.header[2..10].try_into().expect("8 bytes")),
                n => u64::from(n),
            };
            self.have = 0;
            if self.left == 0 && self.frame_done(&mut on_payload) {
                messages += 1;
            }
        }
        messages
    }

    /// The current frame ended; true when it ended a data message (not a control frame).
    fn frame_done(&mut self, on_payload: &mut impl FnMut(&[u8])) -> bool {
        let fin = self.header[0] & 0x80 != 0;
        let opcode = self.header[0] & 0x0f;
        let control = opcode >= 8;
        if fin && !control && self.capture {
            on_payload(&self.captured);
        }
        self.captured.clear();
        fin && !control
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_messages_split_anywhere_and_skips_control_frames() {
        // A 300-byte binary message, a ping, a text "hi", as a server sends them (unmasked).
        let mut stream = vec![0x82, 126, 1, 44];
        stream.extend([7u8; 300]);
        stream.extend([0x89, 0]);
        stream.extend([0x81, 2, b'h', b'i']);
        for cut in 0..stream.len() {
            let mut r = FrameReader::new(true);
            let mut seen = Vec::new();
            let n = r.feed(&stream[..cut], |p| seen.push(p.to_vec()))
                + r.feed(&stream[cut..], |p| seen.push(p.to_vec()));
            assert_eq!(n, 2, "cut at {cut}");
            assert_eq!(seen, [vec![7u8; 300], b"hi".to_vec()]);
        }
    }

    #[test]
    fn client_frames_carry_the_payload_unchanged_under_a_zero_mask() {
        let f = client_frame(&[5; 70_000], true);
        assert_eq!(&f[..2], &[0x82, 0x80 | 127]);
        assert_eq!(u64::from_be_bytes(f[2..10].try_into().unwrap()), 70_000);
        assert_eq!(&f[10..14], &[0; 4]);
        assert!(f[14..].iter().all(|&b| b == 5));
        assert_eq!(
            client_frame(b"hey", false),
            [0x81, 0x83, 0, 0, 0, 0, b'h', b'e', b'y']
        );
    }
}
