//! TLS records that are not application data, on a kernel TLS socket (Documentation/networking/
//! tls.rst, "Send/Receive TLS control messages").
//!
//! Once the kernel holds the keys, rustls no longer writes or reads records:
//! - **Sending** an alert or a handshake message is a `sendmsg` whose control message
//!   (`SOL_TLS`, `TLS_SET_RECORD_TYPE`) names the record type; the kernel encrypts the payload
//!   into one record of that type. close_notify is `[1, 0]` (warning, close_notify) as type 21.
//! - **Receiving**: with `TLS_RX` the kernel delivers each non-data record on its own, and only
//!   to a `recvmsg` that has room for a `TLS_GET_RECORD_TYPE` control message. A plain `recv`
//!   (and io_uring's receive, which passes no control buffer) fails with `EIO` and leaves the
//!   record queued, so the engine keeps its fast receive and, on `EIO`, reads that one record
//!   with [`recv_record`] and acts on [`classify`]'s answer.
//!
//! The byte layouts are pure functions, tested byte for byte; the two syscalls are thin.

use std::io;
use std::mem::size_of;
use std::os::fd::RawFd;

use super::ktls::SOL_TLS;

/// `TLS_SET_RECORD_TYPE` (linux/tls.h): the cmsg type naming the record type of a `sendmsg`.
pub const TLS_SET_RECORD_TYPE: libc::c_int = 1;
/// `TLS_GET_RECORD_TYPE` (linux/tls.h): the cmsg type a `recvmsg` gets for a non-data record.
pub const TLS_GET_RECORD_TYPE: libc::c_int = 2;

/// TLS content types (RFC 8446 §5.1).
pub const CONTENT_ALERT: u8 = 21;
pub const CONTENT_HANDSHAKE: u8 = 22;
pub const CONTENT_APPLICATION_DATA: u8 = 23;

/// Handshake message types met after the handshake (RFC 8446 §4).
pub const HANDSHAKE_NEW_SESSION_TICKET: u8 = 4;
pub const HANDSHAKE_KEY_UPDATE: u8 = 24;

/// The alert body of close_notify: level warning (1), description close_notify (0).
pub const CLOSE_NOTIFY: [u8; 2] = [1, 0];
/// Our answer to a KeyUpdate that asked for one: `key_update`, length 1, `update_not_requested`.
pub const KEY_UPDATE_NOT_REQUESTED: [u8; 5] = [HANDSHAKE_KEY_UPDATE, 0, 0, 1, 0];

/// The largest plaintext a record carries (RFC 8446 §5.1): a control record read never needs more.
pub const MAX_RECORD_PLAINTEXT: usize = 16 * 1024;

const HEADER: usize = size_of::<libc::cmsghdr>();
const ALIGN: usize = size_of::<usize>();
/// `CMSG_LEN(1)`: header plus one byte of data.
pub const RECORD_TYPE_CMSG_LEN: usize = HEADER + 1;
/// `CMSG_SPACE(1)`: the same, padded to the alignment of the next header.
pub const RECORD_TYPE_CMSG_SPACE: usize = (HEADER + 1).div_ceil(ALIGN) * ALIGN;

/// A control-message buffer of one `CMSG_SPACE(1)`, aligned as `struct cmsghdr` must be.
#[repr(C, align(8))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordTypeCmsg(pub [u8; RECORD_TYPE_CMSG_SPACE]);

/// The control message of a `sendmsg` that sends one record of `record_type`: `cmsg_len` =
/// `CMSG_LEN(1)`, `cmsg_level` = `SOL_TLS`, `cmsg_type` = `TLS_SET_RECORD_TYPE`, then the type
/// byte and zero padding (native byte order, as the kernel reads it).
pub fn record_type_cmsg(record_type: u8) -> RecordTypeCmsg {
    let mut bytes = [0u8; RECORD_TYPE_CMSG_SPACE];
    let len_end = size_of::<usize>();
    bytes[..len_end].copy_from_slice(&RECORD_TYPE_CMSG_LEN.to_ne_bytes());
    bytes[len_end..len_end + 4].copy_from_slice(&SOL_TLS.to_ne_bytes());
    bytes[len_end + 4..len_end + 8].copy_from_slice(&TLS_SET_RECORD_TYPE.to_ne_bytes());
    bytes[HEADER] = record_type;
    RecordTypeCmsg(bytes)
}

/// The record type a `recvmsg` reported in its control bytes (`msg_control[..msg_controllen]`):
/// `None` when there is no `SOL_TLS`/`TLS_GET_RECORD_TYPE` message (an application-data read).
pub fn parse_record_type(control: &[u8]) -> Option<u8> {
    let mut at = 0;
    while control.len() >= at + HEADER {
        let word = |from: usize, len: usize| &control[at + from..at + from + len];
        let len = usize::from_ne_bytes(word(0, ALIGN).try_into().ok()?);
        let level = libc::c_int::from_ne_bytes(word(ALIGN, 4).try_into().ok()?);
        let kind = libc::c_int::from_ne_bytes(word(ALIGN + 4, 4).try_into().ok()?);
        if len < HEADER || at + len > control.len() {
            return None;
        }
        if level == SOL_TLS && kind == TLS_GET_RECORD_TYPE && len > HEADER {
            return Some(control[at + HEADER]);
        }
        at += len.div_ceil(ALIGN) * ALIGN;
    }
    None
}

/// What a non-data record received under kernel TLS asks of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlRecord {
    /// The peer's close_notify: a clean end of its input, like a TCP EOF.
    CloseNotify,
    /// Any other alert (level, description): the session ends (TLS 1.3 makes every alert but
    /// close_notify and user_canceled fatal; a warning from 1.2 is no reason to carry on either).
    Alert { level: u8, description: u8 },
    /// A TLS 1.3 KeyUpdate: the peer's next records use its next key; `update_requested`: it
    /// wants ours updated too.
    KeyUpdate { update_requested: bool },
    /// Handshake messages to ignore: a NewSessionTicket (a server is never sent one that
    /// matters; we keep no client sessions).
    Ignore,
    /// Anything else (an unexpected or malformed message, a KeyUpdate not ending its record as
    /// RFC 8446 §5.1 requires, an unknown content type): a protocol violation, close.
    Violation(&'static str),
}

/// Reads one non-data record's meaning from its type and (decrypted) payload.
pub fn classify(record_type: u8, payload: &[u8]) -> ControlRecord {
    match record_type {
        CONTENT_ALERT => match payload {
            [_, 0] if payload.len() == 2 => ControlRecord::CloseNotify,
            &[level, description] => ControlRecord::Alert { level, description },
            _ => ControlRecord::Violation("an alert record that is not two bytes"),
        },
        CONTENT_HANDSHAKE => classify_handshake(payload),
        CONTENT_APPLICATION_DATA => {
            ControlRecord::Violation("application data reported as a control record")
        }
        _ => ControlRecord::Violation("a record of an unknown content type"),
    }
}

fn classify_handshake(mut payload: &[u8]) -> ControlRecord {
    if payload.is_empty() {
        return ControlRecord::Violation("an empty handshake record");
    }
    let mut verdict = ControlRecord::Ignore;
    while !payload.is_empty() {
        let &[kind, a, b, c, ref rest @ ..] = payload else {
            return ControlRecord::Violation("a truncated handshake message header");
        };
        let len = u32::from_be_bytes([0, a, b, c]) as usize;
        if rest.len() < len {
            // The kernel hands over one record at a time: a message split across records
            // (legal in TLS, unheard of after the handshake) is not reassembled here.
            return ControlRecord::Violation("a handshake message split across records");
        }
        let (body, next) = rest.split_at(len);
        verdict = match (kind, body) {
            (HANDSHAKE_KEY_UPDATE, &[request]) if request <= 1 => {
                if !next.is_empty() {
                    return ControlRecord::Violation("a KeyUpdate that does not end its record");
                }
                ControlRecord::KeyUpdate {
                    update_requested: request == 1,
                }
            }
            (HANDSHAKE_KEY_UPDATE, _) => {
                return ControlRecord::Violation("a malformed KeyUpdate");
            }
            (HANDSHAKE_NEW_SESSION_TICKET, _) => ControlRecord::Ignore,
            _ => return ControlRecord::Violation("an unexpected handshake message"),
        };
        payload = next;
    }
    verdict
}

/// Sends `payload` as one record of `record_type` on a kernel TLS socket (close_notify, our
/// KeyUpdate). Never blocks: a full send buffer is `WouldBlock`, and the caller decides (a
/// close_notify that cannot go is dropped; a KeyUpdate that cannot go ends the connection).
pub fn send_record(fd: RawFd, record_type: u8, payload: &[u8]) -> io::Result<()> {
    let mut cmsg = record_type_cmsg(record_type);
    let mut iov = libc::iovec {
        iov_base: payload.as_ptr().cast_mut().cast(),
        iov_len: payload.len(),
    };
    let msg = record_msghdr(&mut iov, &mut cmsg, RECORD_TYPE_CMSG_LEN);
    // SAFETY: `msg` points at `iov` (over `payload`) and `cmsg`, live for the call; the kernel
    // only reads them.
    let n = retry_interrupted(|| unsafe {
        libc::sendmsg(fd, &msg, libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL)
    })?;
    if n == payload.len() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "the record was cut short",
        ))
    }
}

/// Reads the record at the head of a kernel TLS socket with room for its type: `(Some(type),
/// length)` for a control record, `(None, length)` for application data. Never blocks.
pub fn recv_record(fd: RawFd, buf: &mut [u8]) -> io::Result<(Option<u8>, usize)> {
    let mut cmsg = RecordTypeCmsg([0; RECORD_TYPE_CMSG_SPACE]);
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut msg = record_msghdr(&mut iov, &mut cmsg, RECORD_TYPE_CMSG_SPACE);
    // SAFETY: `msg` points at `iov` (over `buf`) and `cmsg`, live for the call; the kernel
    // writes at most the lengths given.
    let n = retry_interrupted(|| unsafe { libc::recvmsg(fd, &mut msg, libc::MSG_DONTWAIT) })?;
    // `msg_controllen` is `size_t` on glibc, `socklen_t` on musl.
    let control_len: usize = msg.msg_controllen as _;
    let control = &cmsg.0[..control_len.min(RECORD_TYPE_CMSG_SPACE)];
    Ok((parse_record_type(control), n))
}

/// A `msghdr` of one `iov` and the first `control_len` bytes of `cmsg`.
fn record_msghdr(
    iov: &mut libc::iovec,
    cmsg: &mut RecordTypeCmsg,
    control_len: usize,
) -> libc::msghdr {
    // SAFETY: all-zero is a valid msghdr (null pointers, zero lengths).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cmsg.0.as_mut_ptr().cast();
    msg.msg_controllen = control_len as _;
    msg
}

/// Runs a syscall returning a length or -1 again while it is interrupted by a signal.
fn retry_interrupted(mut call: impl FnMut() -> isize) -> io::Result<usize> {
    loop {
        let n = call();
        if n >= 0 {
            return Ok(n as usize);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_type_cmsg_matches_the_libc_macros() {
        // SAFETY: pure arithmetic macros.
        let (len, space) = unsafe { (libc::CMSG_LEN(1), libc::CMSG_SPACE(1)) };
        assert_eq!(
            (RECORD_TYPE_CMSG_LEN, RECORD_TYPE_CMSG_SPACE),
            (len as usize, space as usize)
        );
    }
}
