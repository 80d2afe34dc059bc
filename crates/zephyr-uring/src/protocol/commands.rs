//! Reads the commands JS packed into its output buffer during a batch (responses, pauses,
//! destroys) and applies them to a [`CommandTarget`] (the [`Server`], or a recorder in tests and
//! the `apply_commands` fuzz target). After the record header, per kind:
//! * `CMD_WRITE`: `[len]` then the bytes (padded); with `CF_EXTERNAL`, `len` indexes `externals`.
//! * `CMD_SEND_FILE`: `[head len, fd, offset lo, offset hi, length lo, length hi]` then the head.
//! * `CMD_CONTINUE`, `CMD_PAUSE`, `CMD_RESUME`, `CMD_DESTROY`: the header only.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use super::{
    padded, CF_BORROWED_FD, CF_CLOSE, CF_END, CF_EXTERNAL, CF_WANT_DRAIN, CMD_CONTINUE,
    CMD_DESTROY, CMD_PAUSE, CMD_RESUME, CMD_SEND_FILE, CMD_WRITE,
};
use crate::conn::ConnId;
use crate::send::ExternalBytes;
use crate::server::{FileRange, Server};

/// A malformed command buffer: a bug in the JS side, reported rather than guessed around.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadCommand(pub &'static str);

/// How a write ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteFlags {
    /// The response is complete.
    pub end: bool,
    /// Close the connection after it.
    pub close: bool,
    /// Report `drained` once the connection's output is sent.
    pub want_drain: bool,
}

impl WriteFlags {
    fn from_bits(flags: u32) -> Self {
        WriteFlags {
            end: flags & CF_END != 0,
            close: flags & CF_CLOSE != 0,
            want_drain: flags & CF_WANT_DRAIN != 0,
        }
    }

    fn bits(self) -> u32 {
        (if self.end { CF_END } else { 0 })
            | (if self.close { CF_CLOSE } else { 0 })
            | (if self.want_drain { CF_WANT_DRAIN } else { 0 })
    }
}

/// A file body as a command names it: a descriptor the command hands over (or lends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileCommand {
    pub fd: RawFd,
    /// The descriptor stays the caller's: send from a duplicate.
    pub borrowed: bool,
    pub range: FileRange,
    pub close: bool,
}

/// What the commands act on. `E` is the host's large-payload type (a JS Buffer in the binding).
pub trait CommandTarget<E> {
    fn write(&mut self, id: ConnId, seq: u32, data: &[u8], flags: WriteFlags);
    fn write_external(&mut self, id: ConnId, seq: u32, data: E, flags: WriteFlags);
    fn send_file(&mut self, id: ConnId, seq: u32, head: &[u8], file: FileCommand);
    fn send_continue(&mut self, id: ConnId, seq: u32);
    fn pause(&mut self, id: ConnId, paused: bool);
    fn destroy(&mut self, id: ConnId);
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn word(&mut self) -> Result<u32, BadCommand> {
        let b = self
            .buf
            .get(self.pos..self.pos + 4)
            .ok_or(BadCommand("truncated command"))?;
        self.pos += 4;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], BadCommand> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(BadCommand("truncated command bytes"))?;
        let b = self
            .buf
            .get(self.pos..end)
            .ok_or(BadCommand("truncated command bytes"))?;
        self.pos += padded(n);
        Ok(b)
    }

    fn u64(&mut self) -> Result<u64, BadCommand> {
        Ok(self.word()? as u64 | (self.word()? as u64) << 32)
    }
}

/// Applies every command in `buf` to `target`; `externals` are taken by the writes naming them.
/// Commands before a malformed one have been applied when the error returns.
pub fn apply<E>(
    target: &mut impl CommandTarget<E>,
    buf: &[u8],
    externals: &mut [Option<E>],
) -> Result<(), BadCommand> {
    let mut r = Reader { buf, pos: 0 };
    while r.pos < buf.len() {
        let first = r.word()?;
        let (kind, flags) = (first & 0xff, first >> 8);
        let id = ConnId {
            index: r.word()?,
            gen: r.word()?,
        };
        let seq = r.word()?;
        match kind {
            CMD_WRITE => {
                let len = r.word()? as usize;
                if flags & CF_EXTERNAL != 0 {
                    let data = externals
                        .get_mut(len)
                        .and_then(Option::take)
                        .ok_or(BadCommand("external index out of range or reused"))?;
                    target.write_external(id, seq, data, WriteFlags::from_bits(flags));
                } else {
                    target.write(id, seq, r.bytes(len)?, WriteFlags::from_bits(flags));
                }
            }
            CMD_SEND_FILE => {
                let head_len = r.word()? as usize;
                let fd = r.word()? as i32;
                let offset = r.u64()?;
                let length = r.u64()?;
                let head = r.bytes(head_len)?;
                let file = FileCommand {
                    fd,
                    borrowed: flags & CF_BORROWED_FD != 0,
                    range: FileRange { offset, length },
                    close: flags & CF_CLOSE != 0,
                };
                target.send_file(id, seq, head, file);
            }
            CMD_CONTINUE => target.send_continue(id, seq),
            CMD_PAUSE => target.pause(id, true),
            CMD_RESUME => target.pause(id, false),
            CMD_DESTROY => target.destroy(id),
            _ => return Err(BadCommand("unknown command kind")),
        }
    }
    Ok(())
}

impl<E: ExternalBytes + 'static> CommandTarget<E> for Server {
    fn write(&mut self, id: ConnId, seq: u32, data: &[u8], f: WriteFlags) {
        Server::write(self, id, seq, data, f.end, f.close, f.want_drain);
    }

    fn write_external(&mut self, id: ConnId, seq: u32, data: E, f: WriteFlags) {
        Server::write_external(self, id, seq, Box::new(data), f.end, f.close, f.want_drain);
    }

    fn send_file(&mut self, id: ConnId, seq: u32, head: &[u8], file: FileCommand) {
        let fd = if file.borrowed {
            // SAFETY: fcntl only reads the caller's descriptor to duplicate it.
            unsafe { libc::fcntl(file.fd, libc::F_DUPFD_CLOEXEC, 0) }
        } else {
            file.fd
        };
        if fd < 0 {
            Server::write(self, id, seq, &[], true, true, false);
            return;
        }
        // SAFETY: JS handed this descriptor over (it opened it for us and forgets it), or it is
        // the duplicate made just above: either way nobody else closes it.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        Server::send_file(self, id, seq, head, owned, file.range, file.close);
    }

    fn send_continue(&mut self, id: ConnId, seq: u32) {
        Server::send_continue(self, id, seq);
    }

    fn pause(&mut self, id: ConnId, paused: bool) {
        Server::pause(self, id, paused);
    }

    fn destroy(&mut self, id: ConnId) {
        Server::destroy(self, id);
    }
}

/// Packs commands the way the JS side does (`packages/uring/src/uring-commands.ts`), for tests,
/// golden buffers and the fuzz target.
#[derive(Debug, Default, Clone)]
pub struct CommandEncoder {
    pub buf: Vec<u8>,
}

impl CommandEncoder {
    fn word(&mut self, w: u32) {
        self.buf.extend_from_slice(&w.to_le_bytes());
    }

    fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
        self.buf
            .resize(self.buf.len() + padded(b.len()) - b.len(), 0);
    }

    fn header(&mut self, kind: u32, flags: u32, id: ConnId, seq: u32) {
        self.word(kind | flags << 8);
        self.word(id.index);
        self.word(id.gen);
        self.word(seq);
    }

    pub fn write(&mut self, id: ConnId, seq: u32, data: &[u8], flags: WriteFlags) {
        self.header(CMD_WRITE, flags.bits(), id, seq);
        self.word(data.len() as u32);
        self.bytes(data);
    }

    /// A write of the external buffer at `index`.
    pub fn write_external(&mut self, id: ConnId, seq: u32, index: u32, flags: WriteFlags) {
        self.header(CMD_WRITE, flags.bits() | CF_EXTERNAL, id, seq);
        self.word(index);
    }

    pub fn send_file(&mut self, id: ConnId, seq: u32, head: &[u8], file: FileCommand) {
        let flags = (if file.borrowed { CF_BORROWED_FD } else { 0 })
            | (if file.close { CF_CLOSE } else { 0 });
        self.header(CMD_SEND_FILE, flags, id, seq);
        self.word(head.len() as u32);
        self.word(file.fd as u32);
        self.word(file.range.offset as u32);
        self.word((file.range.offset >> 32) as u32);
        self.word(file.range.length as u32);
        self.word((file.range.length >> 32) as u32);
        self.bytes(head);
    }

    pub fn send_continue(&mut self, id: ConnId, seq: u32) {
        self.header(CMD_CONTINUE, 0, id, seq);
    }

    pub fn pause(&mut self, id: ConnId, seq: u32, paused: bool) {
        self.header(if paused { CMD_PAUSE } else { CMD_RESUME }, 0, id, seq);
    }

    pub fn destroy(&mut self, id: ConnId, seq: u32) {
        self.header(CMD_DESTROY, 0, id, seq);
    }
}

/// One applied command, as [`CommandLog`] records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied<E> {
    Write(ConnId, u32, Vec<u8>, WriteFlags),
    WriteExternal(ConnId, u32, E, WriteFlags),
    SendFile(ConnId, u32, Vec<u8>, FileCommand),
    Continue(ConnId, u32),
    Pause(ConnId, bool),
    Destroy(ConnId),
}

/// A [`CommandTarget`] that records what it is told (tests, golden buffers, fuzzing).
#[derive(Debug, Default, Clone)]
pub struct CommandLog<E> {
    pub applied: Vec<Applied<E>>,
}

impl<E> CommandTarget<E> for CommandLog<E> {
    fn write(&mut self, id: ConnId, seq: u32, data: &[u8], flags: WriteFlags) {
        self.applied
            .push(Applied::Write(id, seq, data.to_vec(), flags));
    }
    fn write_external(&mut self, id: ConnId, seq: u32, data: E, flags: WriteFlags) {
        self.applied
            .push(Applied::WriteExternal(id, seq, data, flags));
    }
    fn send_file(&mut self, id: ConnId, seq: u32, head: &[u8], file: FileCommand) {
        self.applied
            .push(Applied::SendFile(id, seq, head.to_vec(), file));
    }
    fn send_continue(&mut self, id: ConnId, seq: u32) {
        self.applied.push(Applied::Continue(id, seq));
    }
    fn pause(&mut self, id: ConnId, paused: bool) {
        self.applied.push(Applied::Pause(id, paused));
    }
    fn destroy(&mut self, id: ConnId) {
        self.applied.push(Applied::Destroy(id));
    }
}
