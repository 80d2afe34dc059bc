//! Core of Zephyr's io_uring engine. This crate knows nothing of Node: the napi binding lives in
//! `crates/zephyr-uring-node`, so everything here is tested and fuzzed with cargo alone.

pub mod buffer_ring;
pub mod conn;
pub mod h2_conn;
pub mod h3_session;
pub mod http1;
pub mod listener;
pub mod open_beneath;
pub mod probe;
pub mod protocol;
pub mod pubsub;
pub mod send;
pub mod server;
pub mod session;
pub mod session_choice;
pub mod slot_session;
pub mod socket_io;
mod stream_exchange;
mod stream_request;
pub mod tls;
pub mod tls_stage;
pub mod transport;
pub mod ws;
pub mod ws_conn;
