//! HPACK (RFC 7541): header compression for HTTP/2, our own implementation.
//!
//! The decoder's dynamic table is bounded by the SETTINGS_HEADER_TABLE_SIZE we advertise; a
//! table size update past it, or anywhere but the start of a block, is an error. A header list
//! past the size limit is still decoded to the end (the table must stay in step with the
//! peer's) but its fields are not kept.

mod decoder;
mod encoder;
pub mod huffman;
mod huffman_table;
mod table;

pub use decoder::{read_int, DecodeError, Decoded, Decoder};
pub use encoder::{write_int, write_string, Encoder, ENCODER_TABLE_CAP};
pub use table::{entry_size, STATIC};

#[cfg(test)]
mod tests;
