//! permessage-deflate (RFC 7692): offer negotiation and per-message (de)compression.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The 4 bytes a sync flush ends with; stripped from sent messages and appended to received ones
/// (RFC 7692 §7.2.1, §7.2.2).
const SYNC_TAIL: [u8; 4] = [0x00, 0x00, 0xFF, 0xFF];

/// The negotiated parameters of one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeflateParams {
    /// The server resets its compressor after every message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after every message (so may we, our inflater).
    pub client_no_context_takeover: bool,
    /// LZ77 window of the server's compressor, 9–15.
    pub server_max_window_bits: u8,
}

impl DeflateParams {
    /// The `Sec-WebSocket-Extensions` response value that accepts these parameters.
    pub fn response_header(&self) -> String {
        let mut s = String::from("permessage-deflate");
        if self.server_no_context_takeover {
            s.push_str("; server_no_context_takeover");
        }
        if self.client_no_context_takeover {
            s.push_str("; client_no_context_takeover");
        }
        if self.server_max_window_bits < 15 {
            s.push_str("; server_max_window_bits=");
            s.push_str(&self.server_max_window_bits.to_string());
        }
        s
    }
}

/// Picks the first acceptable permessage-deflate offer in a `Sec-WebSocket-Extensions` value
/// (RFC 7692 §5): an offer with an unknown or repeated parameter, or a bad value, is declined and
/// the next one tried. `None` means no compression. `server_no_context_takeover` is accepted as
/// requested; the client's window is never limited (our inflater's 32 KiB window reads any).
pub fn negotiate_permessage_deflate(extensions: &str) -> Option<DeflateParams> {
    extensions.split(',').find_map(|offer| {
        let mut parts = offer.split(';').map(str::trim);
        if parts.next()? != "permessage-deflate" {
            return None;
        }
        let mut params = DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
        };
        let mut seen: Vec<&str> = Vec::new();
        for part in parts {
            let (name, value) = match part.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
                None => (part, None),
            };
            if seen.contains(&name) {
                return None;
            }
            seen.push(name);
            match (name, value) {
                ("server_no_context_takeover", None) => params.server_no_context_takeover = true,
                ("client_no_context_takeover", None) => params.client_no_context_takeover = true,
                // zlib has no raw-deflate window of 8 bits (9 is its least), so an offer that
                // limits us to 8 is declined (RFC 7692 §7.1.2.1 allows it).
                ("server_max_window_bits", Some(v)) => {
                    params.server_max_window_bits = window_bits(v).filter(|&b| b > 8)?
                }
                ("client_max_window_bits", None) => {}
                ("client_max_window_bits", Some(v)) => {
                    window_bits(v)?;
                }
                _ => return None,
            }
        }
        Some(params)
    })
}

fn window_bits(v: &str) -> Option<u8> {
    if v.len() > 2 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok().filter(|b| (8..=15).contains(b))
}

/// Why inflating a message failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum InflateError {
    /// The inflated message would exceed the limit (1009).
    TooBig,
    /// Not a valid deflate stream (1007, as `ws` and uWebSockets answer).
    Corrupt,
}

/// Compressor and inflater of one connection.
pub(crate) struct Deflate {
    params: DeflateParams,
    compress: Compress,
    decompress: Decompress,
}

impl std::fmt::Debug for Deflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflate")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Deflate {
    pub(crate) fn new(params: DeflateParams) -> Self {
        Self {
            params,
            compress: new_compressor(params.server_max_window_bits),
            decompress: Decompress::new_with_window_bits(false, 15),
        }
    }

    /// The negotiated parameters.
    pub(crate) fn params(&self) -> DeflateParams {
        self.params
    }

    /// Inflates a chunk of a compressed message into `out`, never past `max_len` bytes;
    /// `last` marks the end of the message (the sync tail is fed then).
    pub(crate) fn inflate(
        &mut self,
        input: &[u8],
        last: bool,
        out: &mut Vec<u8>,
        max_len: usize,
    ) -> Result<(), InflateError> {
        self.inflate_part(input, out, max_len)?;
        if last {
            self.inflate_part(&SYNC_TAIL, out, max_len)?;
            if self.params.client_no_context_takeover {
                self.decompress.reset(false);
            }
        }
        Ok(())
    }

    fn inflate_part(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        max_len: usize,
    ) -> Result<(), InflateError> {
        loop {
            // One byte of room past the limit tells "exactly at the limit" from "over it"; output
            // grows by at most 64 KiB a step, so a bomb stops near the limit.
            let room = (max_len + 1).saturating_sub(out.len());
            if room == 0 {
                return Err(InflateError::TooBig);
            }
            out.reserve(room.min(64 * 1024));
            let before_in = self.decompress.total_in();
            let before_out = self.decompress.total_out();
            let spare = (out.capacity() - out.len()).min(room);
            let len = out.len();
            out.resize(len + spare, 0);
            let status = self
                .decompress
                .decompress(input, &mut out[len..], FlushDecompress::Sync);
            let produced = (self.decompress.total_out() - before_out) as usize;
            let consumed = (self.decompress.total_in() - before_in) as usize;
            out.truncate(len + produced);
            input = &input[consumed..];
            match status {
                Err(_) => return Err(InflateError::Corrupt),
                // A final block ends the stream; anything after it cannot be inflated.
                Ok(Status::StreamEnd) if !input.is_empty() => return Err(InflateError::Corrupt),
                Ok(_) => {}
            }
            if out.len() > max_len {
                return Err(InflateError::TooBig);
            }
            if input.is_empty() && produced < spare {
                return Ok(());
            }
            if consumed == 0 && produced == 0 {
                return Err(InflateError::Corrupt);
            }
        }
    }

    /// Compresses a whole message, without the sync tail.
    pub(crate) fn deflate(&mut self, input: &[u8]) -> Vec<u8> {
        if input.is_empty() {
            // RFC 7692 §7.2.3.6. Also keeps zlib-rs (0.6) from a sync flush with no input, after
            // which its next block is misaligned at small windows.
            return vec![0x00];
        }
        // Room for the worst case (stored blocks: 5 bytes per block, plus the flush) up front, so
        // one call does it: zlib-rs garbles stored output resumed across sync-flush calls.
        let mut out = Vec::with_capacity(input.len() + input.len() / 1024 + 64);
        let mut rest = input;
        loop {
            out.reserve(input.len() / 4 + 64);
            let before = self.compress.total_in();
            self.compress
                .compress_vec(rest, &mut out, FlushCompress::Sync)
                .expect("deflate of in-memory data cannot fail");
            rest = &rest[(self.compress.total_in() - before) as usize..];
            // Done once all input is in and the flush fitted (spare room left).
            if rest.is_empty() && out.len() < out.capacity() {
                break;
            }
        }
        if out.ends_with(&SYNC_TAIL) {
            out.truncate(out.len() - SYNC_TAIL.len());
        }
        if self.params.server_no_context_takeover {
            self.compress.reset();
        }
        out
    }
}

fn new_compressor(window_bits: u8) -> Compress {
    Compress::new_with_window_bits(Compression::new(6), false, window_bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(offer: &str) -> Option<DeflateParams> {
        negotiate_permessage_deflate(offer)
    }

    #[test]
    fn negotiates_parameters_and_declines_bad_offers() {
        let p = params("permessage-deflate; client_max_window_bits").unwrap();
        assert_eq!(p.response_header(), "permessage-deflate");
        let p = params("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10").unwrap();
        assert_eq!(p.response_header(), "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10");
        assert_eq!(params("x-webkit-deflate-frame"), None);
        assert_eq!(params("permessage-deflate; server_max_window_bits=7"), None);
        assert_eq!(params("permessage-deflate; server_max_window_bits=8"), None);
        assert_eq!(
            params("permessage-deflate; server_max_window_bits=016"),
            None
        );
        assert_eq!(params("permessage-deflate; server_max_window_bits"), None);
        assert_eq!(
            params("permessage-deflate; server_no_context_takeover=1"),
            None
        );
        assert_eq!(params("permessage-deflate; foo"), None);
        assert_eq!(
            params("permessage-deflate; client_no_context_takeover; client_no_context_takeover"),
            None
        );
        // A declined first offer falls through to the next.
        let p = params("permessage-deflate; server_max_window_bits=99, permessage-deflate; server_max_window_bits=9").unwrap();
        assert_eq!(p.server_max_window_bits, 9);
    }

    fn round_trip(p: DeflateParams, messages: &[&[u8]]) {
        let mut server = Deflate::new(p);
        let mut client = Deflate::new(p);
        for &m in messages {
            let wire = server.deflate(m);
            let mut out = Vec::new();
            client
                .inflate(&wire, true, &mut out, 1 << 20)
                .unwrap_or_else(|e| panic!("{p:?} len {}: {e:?}", m.len()));
            assert_eq!(out, m);
        }
    }

    #[test]
    fn round_trips_with_every_window_and_takeover_setting() {
        let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let msgs: [&[u8]; 4] = [b"Hello", b"Hello", b"", &big];
        for bits in 9..=15 {
            for no_takeover in [false, true] {
                round_trip(
                    DeflateParams {
                        server_no_context_takeover: no_takeover,
                        client_no_context_takeover: no_takeover,
                        server_max_window_bits: bits,
                    },
                    &msgs,
                );
            }
        }
    }

    #[test]
    fn stops_inflating_a_zip_bomb_at_the_limit() {
        let p = negotiate_permessage_deflate("permessage-deflate").unwrap();
        let zeros = vec![0u8; 10 << 20];
        let mut best = Compress::new_with_window_bits(Compression::best(), false, 15);
        let mut bomb = Vec::with_capacity(1 << 20);
        best.compress_vec(&zeros, &mut bomb, FlushCompress::Sync)
            .unwrap();
        assert!(bomb.len() < 20_000, "{}", bomb.len());
        let mut out = Vec::new();
        assert_eq!(
            Deflate::new(p).inflate(&bomb, true, &mut out, 64 * 1024),
            Err(InflateError::TooBig)
        );
        assert!(out.len() <= 64 * 1024 + 1, "buffered {}", out.len());
    }

    #[test]
    fn rejects_garbage() {
        let p = negotiate_permessage_deflate("permessage-deflate").unwrap();
        let mut out = Vec::new();
        assert_eq!(
            Deflate::new(p).inflate(&[0xFF; 16], true, &mut out, 1024),
            Err(InflateError::Corrupt)
        );
    }
}
