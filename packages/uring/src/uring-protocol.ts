// GENERATED from crates/zephyr-uring/src/protocol/mod.rs: do not edit. Regenerate with
// `ZEPHYR_UPDATE_GENERATED=1 cargo test -p zephyr-uring protocol`.
//
// The wire layout of the two buffers the io_uring engine shares with its native binding.
// Records are little-endian u32 words; byte runs are padded to 4 bytes. Every record starts
// with `[kind | flags << 8, connection index, connection generation, request seq]`.

/** Bumped whenever a record's layout or a constant's meaning changes. */
export const LAYOUT_VERSION = 8;

/** Event kind (native → JS): a request head (and its body when it came along). */
export const EV_REQUEST = 1;

/** A piece of a request body. */
export const EV_BODY = 2;

/** A request body failed; the record carries the status (413, 408, 400). */
export const EV_BODY_ERROR = 3;

/** The connection went away with requests still open. */
export const EV_ABORTED = 4;

/** The output of the request (the head of the line) and all before it has been sent. */
export const EV_DRAINED = 5;

/** A sendFile body finished; the record carries 0 or a negative errno. */
export const EV_FILE_SENT = 6;

/** A piece of a WebSocket message (`EF_LAST` on the last piece, `EF_WS_BINARY` for binary). */
export const EV_WS_MESSAGE = 7;

/** A WebSocket connection ended; the record carries the close code and reason (once per connection; a connection that vanishes without one is reported by EV_ABORTED). */
export const EV_WS_CLOSE = 8;

/** Event flag: the request is HTTP/1.0. */
export const EF_HTTP10 = 1;

/** The connection may be reused after this request. */
export const EF_KEEP_ALIVE = 2;

/** Body records follow this request. */
export const EF_BODY_FOLLOWS = 4;

/** The client sent `Expect: 100-continue` and waits for it. */
export const EF_EXPECT_CONTINUE = 8;

/** The request asks for a protocol upgrade (the seam for WebSocket and h2c). */
export const EF_UPGRADE = 16;

/** The last piece of a body. */
export const EF_LAST = 32;

/** A WebSocket message is binary (else text, valid UTF-8). */
export const EF_WS_BINARY = 64;

/** The request came as an HTTP/2 stream; its seq is the stream id (`req.httpVersion` 2.0). */
export const EF_HTTP2 = 128;

/** EV_ABORTED: only request `seq` (an HTTP/2 stream) is gone; the connection goes on. */
export const EF_STREAM = 256;

/** The request came on an HTTP/3 (QUIC) stream; its seq is the stream id (`req.httpVersion` 3), its connection index is at or past `H3_INDEX_BASE`. */
export const EF_HTTP3 = 512;

/** EV_WS_MESSAGE: a whole message received into a store (a Buffer) handed over with the batch; the record carries `[len, store index]` instead of the bytes. */
export const EF_WS_PLACED = 1024;

/** Command kind (JS → native): body bytes of a started response (inline, or an external buffer by index); the engine frames them. */
export const CMD_WRITE = 1;

/** A response's status and fields, and a file body to splice. */
export const CMD_SEND_FILE = 2;

/** Send `100 Continue` for the request. */
export const CMD_CONTINUE = 3;

/** Stop reading the connection (request-body backpressure); on HTTP/2, stop releasing stream `seq`'s window. */
export const CMD_PAUSE = 4;

/** Read the connection again. */
export const CMD_RESUME = 5;

/** Drop the connection now; on HTTP/2, reset stream `seq` (RST_STREAM CANCEL). */
export const CMD_DESTROY = 6;

/** A response's status and fields, with its first body bytes; the engine writes the head. */
export const CMD_RESPONSE = 7;

/** Accept a WebSocket upgrade: the engine writes the 101 (negotiating permessage-deflate) and the connection becomes a WebSocket session. */
export const CMD_WS_ACCEPT = 8;

/** Send a WebSocket message (inline bytes or an external buffer). */
export const CMD_WS_SEND = 9;

/** Start the WebSocket close handshake with a code and reason. */
export const CMD_WS_CLOSE = 10;

/** Send a WebSocket ping. */
export const CMD_WS_PING = 11;

/** Subscribe the connection to a topic. */
export const CMD_WS_SUBSCRIBE = 12;

/** Unsubscribe the connection from a topic. */
export const CMD_WS_UNSUBSCRIBE = 13;

/** Publish a message to every subscriber of a topic (framed once, fanned out natively). */
export const CMD_WS_PUBLISH = 14;

/** Trailer fields that end a started response: a trailing HEADERS frame on HTTP/2, the chunked body's trailer section on HTTP/1.1. */
export const CMD_TRAILERS = 15;

/** Command flag: the response is complete. */
export const CF_END = 1;

/** Close the connection after this response. */
export const CF_CLOSE = 2;

/** Report EV_DRAINED when the output is sent. */
export const CF_WANT_DRAIN = 4;

/** The payload is the external buffer whose index the length word holds. */
export const CF_EXTERNAL = 8;

/** The file descriptor is the caller's: the engine sends from a duplicate. */
export const CF_BORROWED_FD = 16;

/** CMD_RESPONSE: the length words hold the whole body's length. */
export const CF_LENGTH = 32;

/** CMD_WS_ACCEPT: offer permessage-deflate. */
export const CF_WS_DEFLATE = 64;

/** CMD_WS_ACCEPT: past max backpressure, drop the message (else close the connection). */
export const CF_WS_DROP = 128;

/** CMD_WS_SEND, CMD_WS_PUBLISH: a binary message (else text). */
export const CF_WS_BINARY = 256;

/** Bytes in the header every record starts with. */
export const RECORD_HEADER_BYTES = 16;

/** Byte length rounded up to whole words. */
export function padded(n: number): number {
  return (n + 3) & ~3;
}
