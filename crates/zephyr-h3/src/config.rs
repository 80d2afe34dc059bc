//! `H3Config`: every limit of the HTTP/3 endpoint, its default, and its validation.

use std::fmt;
use std::time::Duration;

/// When the endpoint answers a new connection attempt with a Retry packet, which proves the
/// client owns its address before any handshake work or amplification (RFC 9000 §8.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryPolicy {
    /// Never: rely on the 3x anti-amplification limit alone.
    Never,
    /// Always validate the address first (one extra round trip for every new connection).
    Always,
    /// Validate only while more than this many handshakes are in progress (a flood).
    WhenHandshakesAbove(usize),
}

/// Limits of an [`crate::H3Endpoint`]. `H3Config::default()` is what the engine uses.
#[derive(Debug, Clone)]
pub struct H3Config {
    /// Concurrent request streams a client may open on one connection (QUIC's
    /// `initial_max_streams_bidi`; a client past it is a STREAM_LIMIT_ERROR).
    pub max_concurrent_bidi_streams: u32,
    /// A connection with no packet for this long is closed silently (QUIC idle timeout).
    pub idle_timeout: Duration,
    /// Largest UDP payload we accept and advertise (`max_udp_payload_size`, 1200..=65527).
    pub max_udp_payload_size: u16,
    /// Largest request field section (SETTINGS_MAX_FIELD_SECTION_SIZE, RFC 9114 §4.2.2):
    /// a larger request head is answered 431.
    pub max_field_section_size: usize,
    /// Request body bytes in flight per stream (QUIC stream receive window).
    pub stream_receive_window: u32,
    /// Request body bytes in flight per connection (QUIC connection receive window).
    pub connection_receive_window: u32,
    /// Response bytes QUIC holds per connection, unsent or unacknowledged (its send window):
    /// with `max_stream_buffer`, the bound on a connection's response memory.
    pub connection_send_window: u64,
    /// Framed response bytes held per stream that QUIC has not taken yet; `send_data` takes
    /// no more than this allows, and `WindowOpened` follows when room comes back.
    pub max_stream_buffer: usize,
    /// Connections at once; a new one past this is refused (CONNECTION_REFUSED).
    pub max_connections: usize,
    /// Address validation with Retry.
    pub retry: RetryPolicy,
}

impl Default for H3Config {
    fn default() -> Self {
        Self {
            max_concurrent_bidi_streams: 100,
            idle_timeout: Duration::from_secs(30),
            max_udp_payload_size: 1472,
            max_field_section_size: 16 << 10,
            stream_receive_window: 1 << 20,
            connection_receive_window: 8 << 20,
            connection_send_window: 2 << 20,
            max_stream_buffer: 256 << 10,
            max_connections: 10_000,
            retry: RetryPolicy::WhenHandshakesAbove(64),
        }
    }
}

/// An `H3Config` field out of its range, or a TLS configuration QUIC cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid HTTP/3 configuration: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

impl H3Config {
    /// Checks every field; the endpoint refuses to start on an error.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |m: &str| Err(ConfigError(m.to_string()));
        if self.max_concurrent_bidi_streams == 0 {
            return err("max_concurrent_bidi_streams must be at least 1");
        }
        if self.idle_timeout < Duration::from_millis(100)
            || self.idle_timeout > Duration::from_secs(3600)
        {
            return err("idle_timeout must be between 100 ms and 1 hour");
        }
        if !(1200..=65527).contains(&self.max_udp_payload_size) {
            return err("max_udp_payload_size must be between 1200 and 65527");
        }
        if !(1024..=1 << 20).contains(&self.max_field_section_size) {
            return err("max_field_section_size must be between 1 KiB and 1 MiB");
        }
        if self.stream_receive_window < 1024
            || self.connection_receive_window < self.stream_receive_window
        {
            return err("stream_receive_window must be at least 1 KiB and at most connection_receive_window");
        }
        if !(16 << 10..=1 << 30).contains(&self.connection_send_window) {
            return err("connection_send_window must be between 16 KiB and 1 GiB");
        }
        if !(1024..=16 << 20).contains(&self.max_stream_buffer) {
            return err("max_stream_buffer must be between 1 KiB and 16 MiB");
        }
        if self.max_connections == 0 {
            return err("max_connections must be at least 1");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_each_bound_is_checked() {
        assert_eq!(H3Config::default().validate(), Ok(()));
        let bad: Vec<H3Config> = vec![
            H3Config {
                max_concurrent_bidi_streams: 0,
                ..Default::default()
            },
            H3Config {
                idle_timeout: Duration::ZERO,
                ..Default::default()
            },
            H3Config {
                max_udp_payload_size: 1199,
                ..Default::default()
            },
            H3Config {
                max_field_section_size: 10,
                ..Default::default()
            },
            H3Config {
                stream_receive_window: 10,
                ..Default::default()
            },
            H3Config {
                connection_receive_window: 1024,
                ..Default::default()
            },
            H3Config {
                max_stream_buffer: 0,
                ..Default::default()
            },
            H3Config {
                connection_send_window: 1024,
                ..Default::default()
            },
            H3Config {
                max_connections: 0,
                ..Default::default()
            },
        ];
        for c in bad {
            assert!(c.validate().is_err(), "{c:?}");
        }
    }
}
