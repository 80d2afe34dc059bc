// The wire layout of the two buffers the io_uring engine shares with its native binding, mirrored
// from `crates/zephyr-uring-node/src/events.rs` and `commands.rs`: change both sides together.
// Records are little-endian u32 words; byte runs are padded to 4 bytes. Every record starts with
// `[kind | flags << 8, connection index, connection generation, request seq]`.

/** Event kinds (native → JS). */
export const EV_REQUEST = 1;
export const EV_BODY = 2;
export const EV_BODY_ERROR = 3;
export const EV_ABORTED = 4;
export const EV_DRAINED = 5;
export const EV_FILE_SENT = 6;

/** Event flags. */
export const EF_HTTP10 = 1;
export const EF_KEEP_ALIVE = 2;
export const EF_BODY_FOLLOWS = 4;
export const EF_EXPECT_CONTINUE = 8;
export const EF_UPGRADE = 16;
export const EF_LAST = 32;

/** Command kinds (JS → native). */
export const CMD_WRITE = 1;
export const CMD_SEND_FILE = 2;
export const CMD_CONTINUE = 3;
export const CMD_PAUSE = 4;
export const CMD_RESUME = 5;
export const CMD_DESTROY = 6;

/** Command flags. */
export const CF_END = 1;
export const CF_CLOSE = 2;
export const CF_WANT_DRAIN = 4;
export const CF_EXTERNAL = 8;
export const CF_BORROWED_FD = 16;

/** Byte length rounded up to whole words. */
export function padded(n: number): number {
  return (n + 3) & ~3;
}
