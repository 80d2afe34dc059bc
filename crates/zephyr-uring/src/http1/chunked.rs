//! Incremental decoder for `Transfer-Encoding: chunked` request bodies (RFC 9112 §7.1).
//!
//! The decoder keeps its whole state in a few integers, so a body can be fed in pieces cut at any
//! byte; chunk data is handed to the caller as borrowed slices of the input, never copied.
//!
//! Strictness follows llhttp's strict mode: no whitespace anywhere in a chunk-size line (RFC 9112
//! tolerates BWS around `;` and `=`, but peers that disagree on it are a smuggling vector), chunk
//! extensions are `;name` or `;name=token` or `;name="quoted"` with non-empty names and values,
//! and every line ends in CRLF.

use super::charset::{is_field_value, is_tchar};
use super::ParseError;

/// Longest accepted chunk-size line, extensions and CRLF included. Extensions carry nothing the
/// engine uses, so a long line is only a way to make the server burn time.
pub const MAX_CHUNK_LINE_BYTES: u32 = 4096;
/// Longest accepted trailer section (field lines and the final CRLF).
pub const MAX_TRAILER_BYTES: u32 = 16384;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// First byte of a chunk-size line: must be a hex digit.
    SizeStart,
    /// Inside the hex digits.
    Size,
    /// Right after `;`: an extension name must start here.
    ExtNameStart,
    ExtName,
    /// Right after `=`: a token or a quoted string must start here.
    ExtValueStart,
    ExtValueToken,
    ExtValueQuoted,
    ExtValueQuotedEscape,
    /// After a quoted value: `;` or CR.
    ExtValueEnd,
    /// CR of the size line seen, LF expected.
    SizeLf,
    Data,
    DataCr,
    DataLf,
    TrailerLineStart,
    TrailerName,
    TrailerValue,
    TrailerLf,
    /// CR of the final empty line seen, LF expected.
    EndLf,
    Done,
    Failed(ParseError),
}

/// Decodes a chunked body fed in arbitrary pieces.
///
/// ```
/// use zephyr_uring::http1::ChunkedDecoder;
///
/// let mut decoder = ChunkedDecoder::new(1 << 20);
/// let mut body = Vec::new();
/// let wire = b"5\r\nhello\r\n6;lang=en\r\n world\r\n0\r\nX-Sum: 1\r\n\r\nGET /next";
/// let first = decoder.decode(&wire[..9], &mut |data| body.extend_from_slice(data)).unwrap();
/// assert_eq!((first.consumed, first.done), (9, false));
/// let rest = decoder.decode(&wire[9..], &mut |data| body.extend_from_slice(data)).unwrap();
/// assert!(rest.done);
/// assert_eq!(body, b"hello world");
/// assert_eq!(&wire[9 + rest.consumed..], b"GET /next"); // the next pipelined request
/// ```
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    /// Size of the chunk being read (while in the size line) or bytes left of it (in data).
    chunk: u64,
    /// Sum of the chunk sizes so far, including the one being read.
    body: u64,
    max_body: u64,
    /// Bytes of the current size line, or of the trailer section.
    line: u32,
}

/// What one [`ChunkedDecoder::decode`] call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded {
    /// Bytes of the input used. Less than the input only when `done`: the rest belongs to the
    /// next request.
    pub consumed: usize,
    /// The last chunk, the trailer section and its final CRLF have been consumed.
    pub done: bool,
}

impl ChunkedDecoder {
    /// A decoder for one body whose decoded length may not exceed `max_body` bytes: 413 as soon
    /// as a complete chunk size makes the total too large, before its data arrives. A chunk size
    /// that does not fit in 64 bits is a 400 ([`ParseError::ChunkSizeOverflow`]) whatever
    /// `max_body` is.
    pub fn new(max_body: u64) -> Self {
        ChunkedDecoder {
            state: State::SizeStart,
            chunk: 0,
            body: 0,
            max_body,
            line: 0,
        }
    }

    /// Decoded body bytes so far (the sum of the chunk sizes seen, including a chunk whose data
    /// is still arriving).
    pub fn body_len(&self) -> u64 {
        self.body
    }

    /// Whether the whole body, trailers included, has been consumed.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Feeds `input`, calling `out` with each run of chunk data (never empty). Trailer fields are
    /// validated and discarded. Stops right after the body ends, so pipelined bytes are left
    /// unconsumed. After an error, every later call returns the same error; after `done`, later
    /// calls consume nothing.
    pub fn decode(
        &mut self,
        input: &[u8],
        out: &mut impl FnMut(&[u8]),
    ) -> Result<Decoded, ParseError> {
        let mut pos = 0;
        while pos < input.len() {
            match self.state {
                State::Data => {
                    let n =
                        (input.len() - pos).min(usize::try_from(self.chunk).unwrap_or(usize::MAX));
                    out(&input[pos..pos + n]);
                    pos += n;
                    self.chunk -= n as u64;
                    if self.chunk == 0 {
                        self.state = State::DataCr;
                    }
                }
                State::Done => break,
                State::Failed(e) => return Err(e),
                _ => {
                    let b = input[pos];
                    pos += 1;
                    if let Err(e) = self.step(b) {
                        self.state = State::Failed(e);
                        return Err(e);
                    }
                }
            }
        }
        if let State::Failed(e) = self.state {
            return Err(e);
        }
        Ok(Decoded {
            consumed: pos,
            done: self.state == State::Done,
        })
    }

    /// One byte of framing (everything except chunk data).
    fn step(&mut self, b: u8) -> Result<(), ParseError> {
        use State::*;
        match self.state {
            SizeStart | Size | ExtNameStart | ExtName | ExtValueStart | ExtValueToken
            | ExtValueQuoted | ExtValueQuotedEscape | ExtValueEnd | SizeLf => {
                self.line += 1;
                if self.line > MAX_CHUNK_LINE_BYTES {
                    return Err(ParseError::InvalidChunkExtension);
                }
            }
            TrailerLineStart | TrailerName | TrailerValue | TrailerLf | EndLf => {
                self.line += 1;
                if self.line > MAX_TRAILER_BYTES {
                    return Err(ParseError::TrailersTooLarge);
                }
            }
            _ => {}
        }
        self.state = match self.state {
            SizeStart | Size => match hex_value(b) {
                Some(d) => {
                    self.chunk = self
                        .chunk
                        .checked_mul(16)
                        .and_then(|c| c.checked_add(u64::from(d)))
                        .ok_or(ParseError::ChunkSizeOverflow)?;
                    Size
                }
                None if self.state == SizeStart => return Err(ParseError::InvalidChunkSize),
                None => {
                    let next = match b {
                        b';' => ExtNameStart,
                        b'\r' => SizeLf,
                        b'\n' => return Err(ParseError::BareLf),
                        _ => return Err(ParseError::InvalidChunkSize),
                    };
                    // The size is complete: refuse it now if it is too much, before its data
                    // arrives. Only here, so that a size too long for 64 bits is always the
                    // framing error (400) and never the size one (413).
                    match self.body.checked_add(self.chunk) {
                        Some(total) if total <= self.max_body => next,
                        _ => return Err(ParseError::BodyTooLarge),
                    }
                }
            },
            ExtNameStart => match b {
                _ if is_tchar(b) => ExtName,
                _ => return Err(ParseError::InvalidChunkExtension),
            },
            ExtName => match b {
                _ if is_tchar(b) => ExtName,
                b'=' => ExtValueStart,
                b';' => ExtNameStart,
                b'\r' => SizeLf,
                b'\n' => return Err(ParseError::BareLf),
                _ => return Err(ParseError::InvalidChunkExtension),
            },
            ExtValueStart => match b {
                b'"' => ExtValueQuoted,
                _ if is_tchar(b) => ExtValueToken,
                _ => return Err(ParseError::InvalidChunkExtension),
            },
            ExtValueToken => match b {
                _ if is_tchar(b) => ExtValueToken,
                b';' => ExtNameStart,
                b'\r' => SizeLf,
                b'\n' => return Err(ParseError::BareLf),
                _ => return Err(ParseError::InvalidChunkExtension),
            },
            // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
            ExtValueQuoted => match b {
                b'"' => ExtValueEnd,
                b'\\' => ExtValueQuotedEscape,
                b'\t' | b' ' | 0x21 | 0x23..=0x5b | 0x5d..=0x7e | 0x80..=0xff => ExtValueQuoted,
                _ => return Err(ParseError::InvalidChunkExtension),
            },
            // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
            ExtValueQuotedEscape => match b {
                b'\t' | b' ' | 0x21..=0x7e | 0x80..=0xff => ExtValueQuoted,
                _ => return Err(ParseError::InvalidChunkExtension),
            },
            ExtValueEnd => match b {
                b';' => ExtNameStart,
                b'\r' => SizeLf,
                b'\n' => return Err(ParseError::BareLf),
                _ => return Err(ParseError::InvalidChunkExtension),
            },
            SizeLf => match b {
                b'\n' => {
                    self.line = 0;
                    if self.chunk == 0 {
                        TrailerLineStart
                    } else {
                        self.body += self.chunk; // checked against max_body while parsing
                        Data
                    }
                }
                _ => return Err(ParseError::BareCr),
            },
            DataCr => match b {
                b'\r' => DataLf,
                _ => return Err(ParseError::MissingChunkCrlf),
            },
            DataLf => match b {
                b'\n' => {
                    self.chunk = 0;
                    SizeStart
                }
                _ => return Err(ParseError::MissingChunkCrlf),
            },
            TrailerLineStart => match b {
                b'\r' => EndLf,
                b'\n' => return Err(ParseError::BareLf),
                _ if is_tchar(b) => TrailerName,
                _ => return Err(ParseError::InvalidTrailer),
            },
            TrailerName => match b {
                _ if is_tchar(b) => TrailerName,
                b':' => TrailerValue,
                _ => return Err(ParseError::InvalidTrailer),
            },
            TrailerValue => match b {
                _ if is_field_value(b) => TrailerValue,
                b'\r' => TrailerLf,
                b'\n' => return Err(ParseError::BareLf),
                _ => return Err(ParseError::InvalidTrailer),
            },
            TrailerLf => match b {
                b'\n' => TrailerLineStart,
                _ => return Err(ParseError::BareCr),
            },
            EndLf => match b {
                b'\n' => Done,
                _ => return Err(ParseError::BareCr),
            },
            Data | Done | Failed(_) => unreachable_state(),
        };
        Ok(())
    }
}

/// `step` is never called in these states (`decode` handles them); keep the decoder total
/// without a panic path.
#[inline(always)]
fn unreachable_state() -> State {
    State::Failed(ParseError::InvalidChunkSize)
}

#[inline(always)]
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}
