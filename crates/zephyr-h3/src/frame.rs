//! HTTP/3 frame layout (RFC 9114 §7): types, an incremental reader, and writers.

use crate::error::H3Error;
use crate::varint;

pub const DATA: u64 = 0x0;
pub const HEADERS: u64 = 0x1;
pub const CANCEL_PUSH: u64 = 0x3;
pub const SETTINGS: u64 = 0x4;
pub const PUSH_PROMISE: u64 = 0x5;
pub const GOAWAY: u64 = 0x7;
pub const MAX_PUSH_ID: u64 = 0xd;

/// Unidirectional stream types (§6.2, RFC 9204 §4.2).
pub const STREAM_CONTROL: u64 = 0x0;
pub const STREAM_PUSH: u64 = 0x1;
pub const STREAM_QPACK_ENCODER: u64 = 0x2;
pub const STREAM_QPACK_DECODER: u64 = 0x3;

/// Settings identifiers (§7.2.4.1, RFC 9204 §5).
pub const SETTINGS_QPACK_MAX_TABLE_CAPACITY: u64 = 0x1;
pub const SETTINGS_MAX_FIELD_SECTION_SIZE: u64 = 0x6;
pub const SETTINGS_QPACK_BLOCKED_STREAMS: u64 = 0x7;

/// Largest payload of a frame other than DATA and HEADERS we buffer (SETTINGS, GOAWAY, …):
/// real ones are a few dozen bytes.
pub const MAX_CONTROL_FRAME: u64 = 4096;

/// HTTP/2 frame types reserved in HTTP/3: receiving one is H3_FRAME_UNEXPECTED (§7.2.8).
fn is_reserved_h2_type(ty: u64) -> bool {
    matches!(ty, 0x2 | 0x6 | 0x8 | 0x9)
}

/// What the reader produced.
#[derive(Debug, PartialEq, Eq)]
pub enum Item {
    /// Bytes of a DATA frame's payload (a frame may arrive in several pieces).
    Data(Vec<u8>),
    /// A whole non-DATA frame of a known type.
    Frame { ty: u64, payload: Vec<u8> },
}

#[derive(Debug)]
enum State {
    Header,
    Data { remaining: u64 },
    Skip { remaining: u64 },
    Payload { ty: u64, len: usize },
}

/// Reads frames from a stream's bytes as they arrive. Unknown (and grease) frame types are
/// skipped without buffering; DATA is passed through without buffering; other frames are
/// buffered whole, up to `max_headers` for HEADERS and [`MAX_CONTROL_FRAME`] for the rest.
#[derive(Debug)]
pub struct FrameReader {
    buf: Vec<u8>,
    state: State,
    max_headers: u64,
}

/// A frame the reader refuses.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadError {
    /// A frame's declared length is past our bound: for HEADERS, the request is too large.
    TooLarge { ty: u64 },
    /// A connection error with this code.
    Connection(H3Error),
}

impl FrameReader {
    pub fn new(max_headers: u64) -> Self {
        Self {
            buf: Vec::new(),
            state: State::Header,
            max_headers,
        }
    }

    /// True when no frame is partly read: the only place a stream may end (§7.1).
    pub fn at_boundary(&self) -> bool {
        match self.state {
            State::Header => self.buf.is_empty(),
            State::Data { remaining: 0 } | State::Skip { remaining: 0 } => true,
            _ => false,
        }
    }

    /// Feeds `bytes`, appending what they complete to `out`.
    pub fn push(&mut self, mut bytes: &[u8], out: &mut Vec<Item>) -> Result<(), ReadError> {
        loop {
            match self.state {
                State::Data { remaining } | State::Skip { remaining } if remaining == 0 => {
                    self.state = State::Header;
                }
                State::Data { remaining } => {
                    if bytes.is_empty() {
                        return Ok(());
                    }
                    let n = bytes
                        .len()
                        .min(usize::try_from(remaining).unwrap_or(usize::MAX));
                    out.push(Item::Data(bytes[..n].to_vec()));
                    bytes = &bytes[n..];
                    self.state = State::Data {
                        remaining: remaining - n as u64,
                    };
                }
                State::Skip { remaining } => {
                    if bytes.is_empty() {
                        return Ok(());
                    }
                    let n = bytes
                        .len()
                        .min(usize::try_from(remaining).unwrap_or(usize::MAX));
                    bytes = &bytes[n..];
                    self.state = State::Skip {
                        remaining: remaining - n as u64,
                    };
                }
                State::Payload { ty, len } => {
                    let take = (len - self.buf.len()).min(bytes.len());
                    self.buf.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    if self.buf.len() < len {
                        return Ok(());
                    }
                    out.push(Item::Frame {
                        ty,
                        payload: std::mem::take(&mut self.buf),
                    });
                    self.state = State::Header;
                }
                State::Header => {
                    if bytes.is_empty() {
                        return Ok(());
                    }
                    // A frame header is at most two 8-byte varints.
                    let take = (16 - self.buf.len()).min(bytes.len());
                    let before = self.buf.len();
                    self.buf.extend_from_slice(&bytes[..take]);
                    let Some((ty, a)) = varint::read(&self.buf) else {
                        bytes = &bytes[take..];
                        continue;
                    };
                    let Some((len, b)) = varint::read(&self.buf[a..]) else {
                        bytes = &bytes[take..];
                        continue;
                    };
                    // Give back what the header did not use.
                    bytes = &bytes[(a + b - before)..];
                    self.buf.clear();
                    if is_reserved_h2_type(ty) {
                        return Err(ReadError::Connection(H3Error::FRAME_UNEXPECTED));
                    }
                    self.state = match ty {
                        DATA => State::Data { remaining: len },
                        HEADERS | PUSH_PROMISE if len > self.max_headers => {
                            return Err(ReadError::TooLarge { ty });
                        }
                        CANCEL_PUSH | SETTINGS | GOAWAY | MAX_PUSH_ID
                            if len > MAX_CONTROL_FRAME =>
                        {
                            return Err(ReadError::Connection(H3Error::EXCESSIVE_LOAD));
                        }
                        HEADERS | PUSH_PROMISE | CANCEL_PUSH | SETTINGS | GOAWAY | MAX_PUSH_ID => {
                            State::Payload {
                                ty,
                                len: len as usize,
                            }
                        }
                        _ => State::Skip { remaining: len },
                    };
                    if let State::Payload { ty, len: 0 } = self.state {
                        out.push(Item::Frame {
                            ty,
                            payload: Vec::new(),
                        });
                        self.state = State::Header;
                    }
                }
            }
        }
    }
}

/// Appends a frame header for a payload of `len` bytes.
pub fn write_header(dst: &mut Vec<u8>, ty: u64, len: usize) {
    varint::write(dst, ty);
    varint::write(dst, len as u64);
}

/// Appends a whole frame.
pub fn write_frame(dst: &mut Vec<u8>, ty: u64, payload: &[u8]) {
    write_header(dst, ty, payload.len());
    dst.extend_from_slice(payload);
}

/// Parses a SETTINGS payload into (identifier, value) pairs; a duplicate identifier or one
/// reserved from HTTP/2 is H3_SETTINGS_ERROR (§7.2.4.1), a truncated pair H3_FRAME_ERROR.
pub fn parse_settings(mut payload: &[u8]) -> Result<Vec<(u64, u64)>, H3Error> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    while !payload.is_empty() {
        let (id, a) = varint::read(payload).ok_or(H3Error::FRAME_ERROR)?;
        let (value, b) = varint::read(&payload[a..]).ok_or(H3Error::FRAME_ERROR)?;
        payload = &payload[a + b..];
        if matches!(id, 0x0 | 0x2 | 0x3 | 0x4 | 0x5) || out.iter().any(|&(i, _)| i == id) {
            return Err(H3Error::SETTINGS_ERROR);
        }
        out.push((id, value));
    }
    Ok(out)
}

/// Parses a frame payload that is exactly one varint (GOAWAY, MAX_PUSH_ID, CANCEL_PUSH).
pub fn parse_single_varint(payload: &[u8]) -> Result<u64, H3Error> {
    match varint::read(payload) {
        Some((v, n)) if n == payload.len() => Ok(v),
        _ => Err(H3Error::FRAME_ERROR),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(
        reader: &mut FrameReader,
        wire: &[u8],
        step: usize,
    ) -> Result<Vec<Item>, ReadError> {
        let mut out = Vec::new();
        for chunk in wire.chunks(step.max(1)) {
            reader.push(chunk, &mut out)?;
        }
        Ok(out)
    }

    fn merged(items: Vec<Item>) -> Vec<Item> {
        let mut out: Vec<Item> = Vec::new();
        for item in items {
            match (out.last_mut(), item) {
                (Some(Item::Data(prev)), Item::Data(more)) => prev.extend_from_slice(&more),
                (_, item) => out.push(item),
            }
        }
        out
    }

    #[test]
    fn reads_frames_split_at_every_byte_and_skips_unknown_types() {
        let mut wire = Vec::new();
        write_frame(&mut wire, HEADERS, b"\0\0\xd1");
        write_frame(&mut wire, 0x21, b"grease!"); // 0x1f * N + 0x21 is reserved grease
        write_frame(&mut wire, DATA, &[7u8; 300]);
        write_frame(&mut wire, DATA, b"");
        write_frame(&mut wire, HEADERS, b"");
        for step in [1, 2, 3, 7, 1000] {
            let mut r = FrameReader::new(1024);
            let items = merged(read_all(&mut r, &wire, step).unwrap());
            assert_eq!(
                items,
                vec![
                    Item::Frame {
                        ty: HEADERS,
                        payload: b"\0\0\xd1".to_vec()
                    },
                    Item::Data(vec![7u8; 300]),
                    Item::Frame {
                        ty: HEADERS,
                        payload: vec![]
                    },
                ],
                "step {step}"
            );
            assert!(r.at_boundary());
        }
    }

    #[test]
    fn a_partial_frame_is_not_a_boundary() {
        let mut r = FrameReader::new(1024);
        let mut out = Vec::new();
        r.push(&[0x01], &mut out).unwrap();
        assert!(!r.at_boundary());
        r.push(&[0x02, 0x00], &mut out).unwrap();
        assert!(!r.at_boundary());
    }

    #[test]
    fn refuses_http2_frame_types_and_oversized_frames() {
        for ty in [0x2u8, 0x6, 0x8, 0x9] {
            let mut r = FrameReader::new(1024);
            assert_eq!(
                read_all(&mut r, &[ty, 0], 1),
                Err(ReadError::Connection(H3Error::FRAME_UNEXPECTED))
            );
        }
        let mut wire = Vec::new();
        write_header(&mut wire, HEADERS, 1025);
        assert_eq!(
            read_all(&mut FrameReader::new(1024), &wire, 1),
            Err(ReadError::TooLarge { ty: HEADERS })
        );
        let mut wire = Vec::new();
        write_header(&mut wire, SETTINGS, 1 << 40);
        assert_eq!(
            read_all(&mut FrameReader::new(1024), &wire, 1),
            Err(ReadError::Connection(H3Error::EXCESSIVE_LOAD))
        );
        // A huge unknown frame or DATA frame is streamed, never buffered.
        let mut wire = Vec::new();
        write_header(&mut wire, 0x40, 1 << 40);
        wire.extend_from_slice(&[0u8; 100]);
        let mut r = FrameReader::new(1024);
        assert_eq!(read_all(&mut r, &wire, 10), Ok(vec![]));
        assert!(r.buf.is_empty());
    }

    #[test]
    fn settings_reject_duplicates_and_http2_identifiers() {
        let mut p = Vec::new();
        for (id, v) in [
            (SETTINGS_MAX_FIELD_SECTION_SIZE, 16384),
            (0x1f * 3 + 0x21, 5),
        ] {
            varint::write(&mut p, id);
            varint::write(&mut p, v);
        }
        assert_eq!(
            parse_settings(&p),
            Ok(vec![(6, 16384), (0x1f * 3 + 0x21, 5)])
        );
        let mut dup = p.clone();
        dup.extend_from_slice(&[0x06, 0x01]);
        assert_eq!(parse_settings(&dup), Err(H3Error::SETTINGS_ERROR));
        assert_eq!(parse_settings(&[0x02, 0x00]), Err(H3Error::SETTINGS_ERROR));
        assert_eq!(parse_settings(&[0x06]), Err(H3Error::FRAME_ERROR));
        assert_eq!(parse_single_varint(&[0x04]), Ok(4));
        assert_eq!(
            parse_single_varint(&[0x04, 0x00]),
            Err(H3Error::FRAME_ERROR)
        );
    }

    #[test]
    fn random_streams_never_panic_and_buffer_at_most_one_bounded_frame() {
        let mut x: u64 = 0x0f1e_2d3c_4b5a_6978;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..5_000 {
            let mut r = FrameReader::new(256);
            let mut out = Vec::new();
            for _ in 0..8 {
                let len = (next() % 40) as usize;
                let chunk: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                if r.push(&chunk, &mut out).is_err() {
                    break;
                }
                assert!(r.buf.len() as u64 <= MAX_CONTROL_FRAME.max(256).max(16));
            }
        }
    }
}
