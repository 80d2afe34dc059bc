//! The record protocol between the engine and its JavaScript host: two shared buffers of
//! little-endian u32 words (byte runs padded to 4), events native → JS and commands JS → native.
//!
//! This module is the one source of the layout. The constants below are rendered into
//! `packages/uring/src/uring-protocol.ts` by [`typescript`] (a test fails when the committed file
//! differs; `ZEPHYR_UPDATE_GENERATED=1 cargo test -p zephyr-uring protocol` rewrites it), the
//! binding exports [`LAYOUT_VERSION`] so the JS side refuses a binary built from another layout,
//! and golden buffers in `tests/golden/` are checked by both languages' tests.
//!
//! Every record starts with `[kind | flags << 8, conn index, conn generation, seq]`; see
//! [`events`] and [`commands`] for the rest of each kind.

pub mod commands;
pub mod events;

/// Declares the protocol constants and the table the TypeScript rendering is made from.
macro_rules! constants {
    ($( $(#[doc = $doc:literal])+ $name:ident = $value:expr; )*) => {
        $( $(#[doc = $doc])+ pub const $name: u32 = $value; )*
        /// Every constant as `(name, value, doc)`, in declaration order.
        pub const CONSTANTS: &[(&str, u32, &str)] = &[ $( (stringify!($name), $name, concat!($($doc),+)) ),* ];
    };
}

constants! {
    /// Bumped whenever a record's layout or a constant's meaning changes.
    LAYOUT_VERSION = 8;

    /// Event kind (native → JS): a request head (and its body when it came along).
    EV_REQUEST = 1;
    /// A piece of a request body.
    EV_BODY = 2;
    /// A request body failed; the record carries the status (413, 408, 400).
    EV_BODY_ERROR = 3;
    /// The connection went away with requests still open.
    EV_ABORTED = 4;
    /// The output of the request (the head of the line) and all before it has been sent.
    EV_DRAINED = 5;
    /// A sendFile body finished; the record carries 0 or a negative errno.
    EV_FILE_SENT = 6;
    /// A piece of a WebSocket message (`EF_LAST` on the last piece, `EF_WS_BINARY` for binary).
    EV_WS_MESSAGE = 7;
    /// A WebSocket connection ended; the record carries the close code and reason (once per
    /// connection; a connection that vanishes without one is reported by EV_ABORTED).
    EV_WS_CLOSE = 8;

    /// Event flag: the request is HTTP/1.0.
    EF_HTTP10 = 1;
    /// The connection may be reused after this request.
    EF_KEEP_ALIVE = 2;
    /// Body records follow this request.
    EF_BODY_FOLLOWS = 4;
    /// The client sent `Expect: 100-continue` and waits for it.
    EF_EXPECT_CONTINUE = 8;
    /// The request asks for a protocol upgrade (the seam for WebSocket and h2c).
    EF_UPGRADE = 16;
    /// The last piece of a body.
    EF_LAST = 32;
    /// A WebSocket message is binary (else text, valid UTF-8).
    EF_WS_BINARY = 64;
    /// The request came as an HTTP/2 stream; its seq is the stream id (`req.httpVersion` 2.0).
    EF_HTTP2 = 128;
    /// EV_ABORTED: only request `seq` (an HTTP/2 stream) is gone; the connection goes on.
    EF_STREAM = 256;
    /// The request came on an HTTP/3 (QUIC) stream; its seq is the stream id (`req.httpVersion`
    /// 3), its connection index is at or past `H3_INDEX_BASE`.
    EF_HTTP3 = 512;
    /// EV_WS_MESSAGE: a whole message received into a store (a Buffer) handed over with the
    /// batch; the record carries `[len, store index]` instead of the bytes.
    EF_WS_PLACED = 1024;

    /// Command kind (JS → native): body bytes of a started response (inline, or an external
    /// buffer by index); the engine frames them.
    CMD_WRITE = 1;
    /// A response's status and fields, and a file body to splice.
    CMD_SEND_FILE = 2;
    /// Send `100 Continue` for the request.
    CMD_CONTINUE = 3;
    /// Stop reading the connection (request-body backpressure); on HTTP/2, stop releasing
    /// stream `seq`'s window.
    CMD_PAUSE = 4;
    /// Read the connection again.
    CMD_RESUME = 5;
    /// Drop the connection now; on HTTP/2, reset stream `seq` (RST_STREAM CANCEL).
    CMD_DESTROY = 6;
    /// A response's status and fields, with its first body bytes; the engine writes the head.
    CMD_RESPONSE = 7;
    /// Accept a WebSocket upgrade: the engine writes the 101 (negotiating permessage-deflate)
    /// and the connection becomes a WebSocket session.
    CMD_WS_ACCEPT = 8;
    /// Send a WebSocket message (inline bytes or an external buffer).
    CMD_WS_SEND = 9;
    /// Start the WebSocket close handshake with a code and reason.
    CMD_WS_CLOSE = 10;
    /// Send a WebSocket ping.
    CMD_WS_PING = 11;
    /// Subscribe the connection to a topic.
    CMD_WS_SUBSCRIBE = 12;
    /// Unsubscribe the connection from a topic.
    CMD_WS_UNSUBSCRIBE = 13;
    /// Publish a message to every subscriber of a topic (framed once, fanned out natively).
    CMD_WS_PUBLISH = 14;
    /// Trailer fields that end a started response: a trailing HEADERS frame on HTTP/2, the
    /// chunked body's trailer section on HTTP/1.1.
    CMD_TRAILERS = 15;

    /// Command flag: the response is complete.
    CF_END = 1;
    /// Close the connection after this response.
    CF_CLOSE = 2;
    /// Report EV_DRAINED when the output is sent.
    CF_WANT_DRAIN = 4;
    /// The payload is the external buffer whose index the length word holds.
    CF_EXTERNAL = 8;
    /// The file descriptor is the caller's: the engine sends from a duplicate.
    CF_BORROWED_FD = 16;
    /// CMD_RESPONSE: the length words hold the whole body's length.
    CF_LENGTH = 32;
    /// CMD_WS_ACCEPT: offer permessage-deflate.
    CF_WS_DEFLATE = 64;
    /// CMD_WS_ACCEPT: past max backpressure, drop the message (else close the connection).
    CF_WS_DROP = 128;
    /// CMD_WS_SEND, CMD_WS_PUBLISH: a binary message (else text).
    CF_WS_BINARY = 256;
}

/// Bytes in the header every record starts with.
pub const RECORD_HEADER_BYTES: usize = 16;

/// Byte length rounded up to whole words.
pub const fn padded(n: usize) -> usize {
    (n + 3) & !3
}

/// The TypeScript module holding [`CONSTANTS`] (`packages/uring/src/uring-protocol.ts`).
pub fn typescript() -> String {
    let mut out = String::from(
        "// GENERATED from crates/zephyr-uring/src/protocol/mod.rs: do not edit. Regenerate with\n\
         // `ZEPHYR_UPDATE_GENERATED=1 cargo test -p zephyr-uring protocol`.\n\
         //\n\
         // The wire layout of the two buffers the io_uring engine shares with its native binding.\n\
         // Records are little-endian u32 words; byte runs are padded to 4 bytes. Every record starts\n\
         // with `[kind | flags << 8, connection index, connection generation, request seq]`.\n",
    );
    for (name, value, doc) in CONSTANTS {
        out.push_str(&format!(
            "\n/** {} */\nexport const {name} = {value};\n",
            doc.trim()
        ));
    }
    out.push_str(&format!(
        "\n/** Bytes in the header every record starts with. */\nexport const RECORD_HEADER_BYTES = {RECORD_HEADER_BYTES};\n"
    ));
    out.push_str("\n/** Byte length rounded up to whole words. */\nexport function padded(n: number): number {\n  return (n + 3) & ~3;\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_unique_within_each_group() {
        for prefix in ["EV_", "EF_", "CMD_", "CF_"] {
            let mut seen: Vec<u32> = CONSTANTS
                .iter()
                .filter(|c| c.0.starts_with(prefix))
                .map(|c| c.1)
                .collect();
            let n = seen.len();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), n, "two {prefix}* constants share a value");
        }
        // Kinds share a byte with the flags above them.
        assert!(CONSTANTS
            .iter()
            .filter(|c| c.0.starts_with("EV_") || c.0.starts_with("CMD_"))
            .all(|c| c.1 < 256));
        assert!(CONSTANTS
            .iter()
            .filter(|c| c.0.starts_with("EF_") || c.0.starts_with("CF_"))
            .all(|c| c.1 < 1 << 24));
    }

    #[test]
    fn protocol_typescript_module_is_generated_from_these_constants() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../packages/uring/src/uring-protocol.ts"
        );
        let want = typescript();
        if std::env::var_os("ZEPHYR_UPDATE_GENERATED").is_some() {
            std::fs::write(path, &want).expect("write uring-protocol.ts");
        }
        let have = std::fs::read_to_string(path).expect("read uring-protocol.ts");
        assert!(
            have == want,
            "packages/uring/src/uring-protocol.ts is stale: run `ZEPHYR_UPDATE_GENERATED=1 cargo test -p zephyr-uring protocol`"
        );
    }
}
