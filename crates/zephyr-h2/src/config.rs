//! Limits of one HTTP/2 connection: what we advertise in SETTINGS and what we enforce.

use crate::frame::{MAX_MAX_FRAME_SIZE, MAX_WINDOW, MIN_MAX_FRAME_SIZE};

/// Limits of one connection. Every field has a default (see [`H2Config::default`]) and every
/// one is enforced against hostile peers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct H2Config {
    /// SETTINGS_MAX_CONCURRENT_STREAMS: streams past it are refused (RST_STREAM REFUSED_STREAM).
    pub max_concurrent_streams: u32,
    /// SETTINGS_INITIAL_WINDOW_SIZE: request body bytes a stream may have unreleased. A window
    /// update goes out only as the consumer releases data, so a slow reader stops the sender.
    pub initial_window_size: u32,
    /// Request body bytes all streams together may have unreleased (the connection window).
    pub connection_window_size: u32,
    /// SETTINGS_MAX_FRAME_SIZE: a larger frame is a FRAME_SIZE_ERROR.
    pub max_frame_size: u32,
    /// SETTINGS_MAX_HEADER_LIST_SIZE: a request head past it is answered 431; the compressed
    /// block (HEADERS plus CONTINUATION) may not pass it by more than the frame size, or the
    /// connection is closed with ENHANCE_YOUR_CALM.
    pub max_header_list_size: u32,
    /// SETTINGS_HEADER_TABLE_SIZE: the decoder's dynamic table bound.
    pub header_table_size: u32,
    /// Streams the peer may reset, or make us reset, before their responses end (net of
    /// streams that complete): past it, GOAWAY ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487).
    pub max_reset_streams: u32,
    /// Streams refused past SETTINGS_MAX_CONCURRENT_STREAMS (net of streams served to the end):
    /// past it, GOAWAY ENHANCE_YOUR_CALM (a peer that ignores the limit and its refusals).
    pub max_refused_streams: u32,
    /// Control frames (SETTINGS and PING acks, RST_STREAM) queued while the peer does not read:
    /// past it, the connection is closed with ENHANCE_YOUR_CALM (SETTINGS and PING floods).
    pub max_queued_control_frames: u32,
    /// Output bytes buffered for the socket past which `send_data` accepts nothing more: a peer
    /// that opens its windows but does not read cannot make the server buffer without bound.
    pub max_buffered_output: u32,
}

impl H2Config {
    pub const DEFAULT_MAX_CONCURRENT_STREAMS: u32 = 128;
    pub const DEFAULT_INITIAL_WINDOW_SIZE: u32 = 65_535;
    pub const DEFAULT_CONNECTION_WINDOW_SIZE: u32 = 1 << 20;
    pub const DEFAULT_MAX_FRAME_SIZE: u32 = 16_384;
    pub const DEFAULT_MAX_HEADER_LIST_SIZE: u32 = 32 * 1024;
    pub const DEFAULT_HEADER_TABLE_SIZE: u32 = 4096;
    pub const DEFAULT_MAX_RESET_STREAMS: u32 = 200;
    pub const DEFAULT_MAX_REFUSED_STREAMS: u32 = 100;
    pub const DEFAULT_MAX_QUEUED_CONTROL_FRAMES: u32 = 1024;
    pub const DEFAULT_MAX_BUFFERED_OUTPUT: u32 = 1 << 20;

    /// Checks every limit against the protocol's bounds.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.initial_window_size as i64 > MAX_WINDOW {
            return Err("initial_window_size is above 2^31-1");
        }
        if self.connection_window_size as i64 > MAX_WINDOW
            || self.connection_window_size < crate::frame::DEFAULT_WINDOW
        {
            return Err("connection_window_size is outside 65535..=2^31-1");
        }
        if !(MIN_MAX_FRAME_SIZE..=MAX_MAX_FRAME_SIZE).contains(&self.max_frame_size) {
            return Err("max_frame_size is outside 16384..=16777215");
        }
        if self.max_header_list_size < 1024 {
            return Err("max_header_list_size is below 1024");
        }
        if self.max_reset_streams == 0
            || self.max_queued_control_frames == 0
            || self.max_refused_streams == 0
        {
            return Err(
                "max_reset_streams, max_refused_streams and max_queued_control_frames must be at least 1",
            );
        }
        if self.max_buffered_output < self.max_frame_size {
            return Err("max_buffered_output is below max_frame_size");
        }
        Ok(())
    }
}

impl Default for H2Config {
    fn default() -> Self {
        Self {
            max_concurrent_streams: Self::DEFAULT_MAX_CONCURRENT_STREAMS,
            initial_window_size: Self::DEFAULT_INITIAL_WINDOW_SIZE,
            connection_window_size: Self::DEFAULT_CONNECTION_WINDOW_SIZE,
            max_frame_size: Self::DEFAULT_MAX_FRAME_SIZE,
            max_header_list_size: Self::DEFAULT_MAX_HEADER_LIST_SIZE,
            header_table_size: Self::DEFAULT_HEADER_TABLE_SIZE,
            max_reset_streams: Self::DEFAULT_MAX_RESET_STREAMS,
            max_refused_streams: Self::DEFAULT_MAX_REFUSED_STREAMS,
            max_queued_control_frames: Self::DEFAULT_MAX_QUEUED_CONTROL_FRAMES,
            max_buffered_output: Self::DEFAULT_MAX_BUFFERED_OUTPUT,
        }
    }
}
