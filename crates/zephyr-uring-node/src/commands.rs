//! Applies the commands JS packed into its output buffer during a batch (responses, pauses,
//! destroys) in one native call. Layout mirrored in `packages/uring/src/uring-protocol.ts`:
//! `[kind | flags << 8, conn index, conn generation, seq]`, then per kind:
//! * WRITE: `[len]` then the bytes (padded to 4); with `F_EXTERNAL`, `len` indexes `externals`.
//! * SEND_FILE: `[head len, fd, offset lo, offset hi, length lo, length hi]` then the head bytes.
//! * CONTINUE, PAUSE, RESUME, DESTROY: the header only.

use std::os::fd::{FromRawFd, OwnedFd};

use napi::bindgen_prelude::Buffer;
use zephyr_uring::conn::ConnId;
use zephyr_uring::send::ExternalBytes;
use zephyr_uring::server::{FileRange, Server};

/// A JS Buffer sent without copying: the strong reference `Buffer` holds keeps its memory alive
/// and in place until the send completes and the queue drops it (on the JS thread).
struct JsBytes(Buffer);

impl ExternalBytes for JsBytes {
    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

pub const WRITE: u32 = 1;
pub const SEND_FILE: u32 = 2;
pub const CONTINUE: u32 = 3;
pub const PAUSE: u32 = 4;
pub const RESUME: u32 = 5;
pub const DESTROY: u32 = 6;

pub const F_END: u32 = 1;
pub const F_CLOSE: u32 = 2;
pub const F_WANT_DRAIN: u32 = 4;
pub const F_EXTERNAL: u32 = 8;
/// SEND_FILE: the fd belongs to the caller; send from a duplicate.
pub const F_BORROWED_FD: u32 = 16;

/// A malformed command buffer: a bug in the JS side, reported rather than guessed around.
#[derive(Debug)]
pub struct BadCommand(pub &'static str);

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn word(&mut self) -> Result<u32, BadCommand> {
        let b = self.buf.get(self.pos..self.pos + 4).ok_or(BadCommand("truncated command"))?;
        self.pos += 4;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn bytes(&mut self, n: usize) -> Result<&[u8], BadCommand> {
        let b = self.buf.get(self.pos..self.pos + n).ok_or(BadCommand("truncated command bytes"))?;
        self.pos += (n + 3) & !3;
        Ok(b)
    }
}

/// Applies every command in `buf` to `server`; `externals` are taken by the WRITEs naming them.
pub fn apply(server: &mut Server, buf: &[u8], externals: &mut [Option<Buffer>]) -> Result<(), BadCommand> {
    let mut r = Reader { buf, pos: 0 };
    while r.pos < buf.len() {
        let first = r.word()?;
        let (kind, flags) = (first & 0xff, first >> 8);
        let id = ConnId { index: r.word()?, gen: r.word()? };
        let seq = r.word()?;
        match kind {
            WRITE => {
                let len = r.word()? as usize;
                let (end, close, drain) = (flags & F_END != 0, flags & F_CLOSE != 0, flags & F_WANT_DRAIN != 0);
                if flags & F_EXTERNAL != 0 {
                    let buffer = externals.get_mut(len).and_then(Option::take).ok_or(BadCommand("external index out of range or reused"))?;
                    server.write_external(id, seq, Box::new(JsBytes(buffer)), end, close, drain);
                } else {
                    server.write(id, seq, r.bytes(len)?, end, close, drain);
                }
            }
            SEND_FILE => {
                let head_len = r.word()? as usize;
                let fd = r.word()? as i32;
                let offset = r.word()? as u64 | (r.word()? as u64) << 32;
                let length = r.word()? as u64 | (r.word()? as u64) << 32;
                let head = r.bytes(head_len)?;
                let fd = if flags & F_BORROWED_FD != 0 {
                    // SAFETY: fcntl only reads the caller's descriptor to duplicate it.
                    unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) }
                } else {
                    fd
                };
                if fd < 0 {
                    server.write(id, seq, &[], true, true, false);
                    continue;
                }
                // SAFETY: JS handed this descriptor over (it opened it for us and forgets it), or
                // it is the duplicate made just above: either way nobody else closes it.
                let file = unsafe { OwnedFd::from_raw_fd(fd) };
                server.send_file(id, seq, head, file, FileRange { offset, length }, flags & F_CLOSE != 0);
            }
            CONTINUE => server.send_continue(id, seq),
            PAUSE => server.pause(id, true),
            RESUME => server.pause(id, false),
            DESTROY => server.destroy(id),
            _ => return Err(BadCommand("unknown command kind")),
        }
    }
    Ok(())
}
