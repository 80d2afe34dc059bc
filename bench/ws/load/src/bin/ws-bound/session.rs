//! What an upgraded connection does with the bytes of one read: sans-IO. Replies point into the
//! read buffer (payloads unmasked in place, never copied); published messages are framed once.

use std::ops::Range;

use crate::frames::{self, Frame, OP_CLOSE, OP_PING, OP_PONG, PROTOCOL_ERROR};
use crate::handshake::Role;

/// The largest message the bound takes: the `ws` bench server's `maxPayload`.
pub const MAX_PAYLOAD: u64 = 16 * 1024 * 1024;

/// One frame back to the sender: a header, then a payload that lies in the read buffer.
#[derive(Debug, PartialEq, Eq)]
pub struct Reply {
    pub header: [u8; 10],
    pub header_len: usize,
    pub payload: Range<usize>,
}

/// What one read's complete frames produced, in order.
#[derive(Default)]
pub struct Batch {
    /// Frames to the sender (echoes, pongs).
    pub replies: Vec<Reply>,
    /// Whole frames for every `/fanout` connection, the sender included.
    pub publish: Vec<u8>,
    /// A close frame to send after the replies, then the connection is closed.
    pub close: Option<Vec<u8>>,
}

impl Batch {
    pub fn clear(&mut self) {
        self.replies.clear();
        self.publish.clear();
        self.close = None;
    }
}

/// Handles the complete frames at the start of `buf` (unmasking them in place) into `batch`;
/// returns how many bytes they took: the rest is an incomplete frame, for the next read. Stops at
/// a close, sent or received.
pub fn on_input(buf: &mut [u8], role: Role, batch: &mut Batch) -> usize {
    let mut at = 0;
    while batch.close.is_none() {
        let (frame, used) = match frames::parse(&mut buf[at..], MAX_PAYLOAD) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => break,
            Err(code) => {
                batch.close = Some(close_frame(Some(code)));
                break;
            }
        };
        let Frame { opcode, payload } = frame;
        let payload = at + payload.start..at + payload.end;
        at += used;
        match opcode {
            OP_PONG => {}
            OP_CLOSE => {
                // Echo the status code (RFC 6455 §5.5.1); a 1-byte body is malformed.
                batch.close = Some(match payload.len() {
                    0 => close_frame(None),
                    1 => close_frame(Some(PROTOCOL_ERROR)),
                    _ => close_frame(Some(u16::from_be_bytes([
                        buf[payload.start],
                        buf[payload.start + 1],
                    ]))),
                });
            }
            OP_PING => batch.replies.push(reply(OP_PONG, payload)),
            _ if role == Role::Fanout => {
                let (header, n) = frames::header(opcode, payload.len());
                batch.publish.extend_from_slice(&header[..n]);
                batch.publish.extend_from_slice(&buf[payload]);
            }
            _ => batch.replies.push(reply(opcode, payload)),
        }
    }
    at
}

fn reply(opcode: u8, payload: Range<usize>) -> Reply {
    let (header, header_len) = frames::header(opcode, payload.len());
    Reply {
        header,
        header_len,
        payload,
    }
}

/// A close frame carrying `code`, or no body.
fn close_frame(code: Option<u16>) -> Vec<u8> {
    match code {
        None => frames::header(OP_CLOSE, 0).0[..2].to_vec(),
        Some(code) => {
            let mut f = frames::header(OP_CLOSE, 2).0[..2].to_vec();
            f.extend_from_slice(&code.to_be_bytes());
            f
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::{unmask, OP_BINARY, OP_TEXT, UNSUPPORTED};

    fn client(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let (h, n) = frames::header(opcode, payload.len());
        let mut f = h[..n].to_vec();
        f[1] |= 0x80;
        let mask = [0x11, 0x22, 0x33, 0x44];
        f.extend_from_slice(&mask);
        let mut p = payload.to_vec();
        unmask(&mut p, mask);
        f.extend(p);
        f
    }

    /// The bytes the replies stand for.
    fn wire(buf: &[u8], batch: &Batch) -> Vec<u8> {
        let mut out = Vec::new();
        for r in &batch.replies {
            out.extend_from_slice(&r.header[..r.header_len]);
            out.extend_from_slice(&buf[r.payload.clone()]);
        }
        out
    }

    #[test]
    fn echoes_every_complete_frame_of_a_read_split_anywhere() {
        let big = vec![7u8; 16 * 1024];
        let mut stream = client(OP_TEXT, b"Hello, World!");
        stream.extend(client(OP_BINARY, &big));
        stream.extend(client(OP_PING, b"p"));
        stream.extend(client(OP_PONG, b""));
        let mut expected = vec![0x81, 13];
        expected.extend_from_slice(b"Hello, World!");
        expected.extend([0x82, 126, 0x40, 0]);
        expected.extend(&big);
        expected.extend([0x8a, 1, b'p']);
        for cut in [
            0,
            1,
            5,
            19,
            20,
            21,
            100,
            16_000,
            stream.len() - 1,
            stream.len(),
        ] {
            let mut out = Vec::new();
            // The first read, then the carried-over tail with the rest (as the server does).
            let mut first = stream[..cut].to_vec();
            let mut batch = Batch::default();
            let used = on_input(&mut first, Role::Echo, &mut batch);
            out.extend(wire(&first, &batch));
            let mut second = first[used..].to_vec();
            second.extend_from_slice(&stream[cut..]);
            batch.clear();
            assert_eq!(on_input(&mut second, Role::Echo, &mut batch), second.len());
            out.extend(wire(&second, &batch));
            assert_eq!(out, expected, "cut at {cut}");
            assert!(batch.publish.is_empty() && batch.close.is_none());
        }
    }

    #[test]
    fn fanout_frames_each_message_once_for_everyone_and_pongs_the_sender() {
        let mut stream = client(OP_TEXT, b"123");
        stream.extend(client(OP_PING, b""));
        stream.extend(client(OP_BINARY, &[1, 2]));
        let mut batch = Batch::default();
        assert_eq!(
            on_input(&mut stream, Role::Fanout, &mut batch),
            stream.len()
        );
        assert_eq!(batch.publish, [0x81, 3, b'1', b'2', b'3', 0x82, 2, 1, 2]);
        assert_eq!(wire(&stream, &batch), [0x8a, 0]);
    }

    #[test]
    fn a_close_is_answered_with_its_code_and_ends_the_input() {
        let mut stream = client(OP_CLOSE, &[0x03, 0xe8, b'b', b'y', b'e']);
        stream.extend(client(OP_TEXT, b"after"));
        let mut batch = Batch::default();
        on_input(&mut stream, Role::Echo, &mut batch);
        assert_eq!(batch.close, Some(vec![0x88, 2, 0x03, 0xe8]));
        assert!(batch.replies.is_empty());
        let mut empty = client(OP_CLOSE, b"");
        batch.clear();
        on_input(&mut empty, Role::Echo, &mut batch);
        assert_eq!(batch.close, Some(vec![0x88, 0]));
    }

    #[test]
    fn what_it_does_not_support_closes_after_the_replies_before_it() {
        let mut stream = client(OP_TEXT, b"ok");
        let mut fragment = client(OP_TEXT, b"part");
        fragment[0] &= 0x7f;
        stream.extend(fragment);
        let mut batch = Batch::default();
        on_input(&mut stream, Role::Echo, &mut batch);
        assert_eq!(wire(&stream, &batch), [0x81, 2, b'o', b'k']);
        let code = UNSUPPORTED.to_be_bytes();
        assert_eq!(batch.close, Some(vec![0x88, 2, code[0], code[1]]));
    }
}
