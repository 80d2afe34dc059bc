//! The ring loop's side of the TLS transport (a child of `server`, so it reaches the loop's
//! state): a transport for each accepted connection, and file bodies read into the stage's
//! buffer and encrypted where a plain connection would splice them.

use std::io;
use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types};

use super::{token, ConnId, Server, ServerConfig, Slot, FILE_READ, RECV};
use crate::session::Session;
use crate::tls::ktls::{self, KernelKeys, KtlsSupport};
use crate::tls::ktls_records;
use crate::tls::ktls_rekey::KeyUpdater;
use crate::tls::ktls_session::{ControlStep, KernelSession};
use crate::tls_stage::{RecvLimit, TlsStage};
use crate::transport::Transport;

impl Server {
    /// The transport of a connection accepted now; `None` if TLS cannot start one (rustls
    /// refusing its own configuration, which `build_server_config` already checked).
    pub(super) fn new_transport(&self) -> Option<Transport> {
        let Some(acceptor) = &self.config.tls else {
            return Some(match self.config.h2 {
                Some(_) => Transport::cleartext_h2c(),
                None => Transport::cleartext(),
            });
        };
        let kernel_tls = self.kernel_tls && acceptor.kernel_tls();
        let now = self.now;
        let timeout = acceptor.handshake_timeout_ms();
        let stage = if kernel_tls {
            let (tls, log) = acceptor.accept_for_kernel().ok()?;
            TlsStage::new(tls, now, timeout, true).with_secret_log(log)
        } else {
            TlsStage::new(acceptor.accept().ok()?, now, timeout, false)
        };
        Some(Transport::Tls(Box::new(stage)))
    }

    /// A read of the head-of-line file body completed: encrypt what came, or end the body.
    pub(super) fn on_file_read(&mut self, id: ConnId, res: i32) {
        let now = self.now;
        let Some(slot) = self.slot_mut(id) else {
            return;
        };
        slot.io.inflight -= 1;
        slot.io.file_busy = false;
        let Transport::Tls(stage) = &mut slot.transport else {
            return;
        };
        if slot.io.closing() || res <= 0 {
            stage.file_read_failed();
            if !slot.io.closing() {
                // The file ended early or could not be read: the declared length can't be honoured.
                slot.conn
                    .output()
                    .file_failed(if res < 0 { res } else { -libc::EIO });
            }
            return;
        }
        stage.file_read(res as usize);
        slot.conn.output_moved(now);
        let Some(file) = slot.conn.output().file_ready() else {
            return;
        };
        file.offset += res as u64;
        file.remaining -= (res as u64).min(file.remaining);
        if file.remaining == 0 {
            slot.conn.output().file_done();
        }
    }
}

/// The next read of the head-of-line file body into the TLS stage, once the ciphertext before
/// it has gone out.
pub(super) fn file_read_step(slot: &mut Slot, id: ConnId) -> Option<squeue::Entry> {
    let Transport::Tls(stage) = &mut slot.transport else {
        return None;
    };
    let file = *slot.conn.output().file_ready()?;
    if file.remaining == 0 {
        slot.conn.output().file_done();
        return None;
    }
    let (buf, len) = stage.file_read_target(&file)?;
    slot.io.file_busy = true;
    slot.io.inflight += 1;
    Some(
        opcode::Read::new(types::Fd(file.fd), buf, len)
            .offset(file.offset)
            .build()
            .user_data(token(FILE_READ, id)),
    )
}

/// Whether this listener hands sessions to kernel TLS: asked for (the acceptor keeps keys
/// exportable) and the kernel attaches the `tls` ULP. The JS side logs why not, once.
pub(super) fn kernel_tls_usable(config: &ServerConfig) -> bool {
    config.tls.as_ref().is_some_and(|tls| tls.kernel_tls())
        && ktls::probe() == KtlsSupport::Available
}

/// The receive to arm on a connection: multishot, or (a TLS handshake bound for the kernel) one
/// receive that stops at the end of the current record, or none while the keys move.
pub(super) fn recv_sqe(
    transport: &Transport,
    fd: RawFd,
    group: u16,
    id: ConnId,
) -> Option<squeue::Entry> {
    match transport.recv_limit() {
        RecvLimit::Any => Some(
            opcode::RecvMulti::new(types::Fd(fd), group)
                .build()
                .user_data(token(RECV, id)),
        ),
        RecvLimit::UpTo(len) => Some(
            opcode::Recv::new(types::Fd(fd), std::ptr::null_mut(), len)
                .buf_group(group)
                .build()
                .flags(squeue::Flags::BUFFER_SELECT)
                .user_data(token(RECV, id)),
        ),
        RecvLimit::Hold => None,
    }
}

/// Moves a finished handshake's session into the kernel: the ciphertext rustls still holds goes
/// out first, then the ULP, then the TX and RX keys; from then on the socket carries plaintext
/// (`Transport::Kernel`, which keeps the traffic secrets of a TLS 1.3 session for key updates). If the kernel refuses the ULP, rustls keeps the session; an error after
/// the keys were taken out of rustls leaves nothing to carry on with (`Err`: close).
pub(super) fn hand_over_to_kernel(slot: &mut Slot) -> io::Result<()> {
    let fd = slot.io.fd;
    if ktls::attach_ulp(fd).is_err() {
        // The probe passed, so this is rare (the module unloaded since?): user space goes on.
        if let Transport::Tls(stage) = &mut slot.transport {
            stage.handover_refused();
        }
        return Ok(());
    }
    let Transport::Tls(stage) = std::mem::take(&mut slot.transport) else {
        return Ok(());
    };
    let (rest, tls, log) = stage.into_handover();
    send_all(fd, &rest)?;
    let suite = tls.handshake_info().map(|info| info.cipher_suite);
    let keys =
        KernelKeys::from_transport(tls).map_err(|err| io::Error::other(format!("{err:?}")))?;
    ktls::install_keys(fd, &keys, true)?;
    let updater = suite
        .zip(log)
        .and_then(|(suite, log)| KeyUpdater::new(suite, &log, &keys));
    slot.transport = Transport::Kernel(Box::new(KernelSession::new(updater)));
    Ok(())
}

/// What the ring loop does after reading a kernel TLS connection's control record.
pub(super) enum KernelRead {
    /// Read on (a ticket, or a key update done).
    Continue,
    /// The peer's close_notify: as a TCP EOF.
    PeerClosed,
    /// Close now.
    Close,
}

/// A receive on a kernel TLS connection failed with `EIO`: the record at the head of the socket
/// is not data. Reads it with its type and performs what the session answers (see
/// `tls::ktls_session`). The record is already there, so the non-blocking read does not wait.
pub(super) fn on_kernel_control_record(slot: &mut Slot) -> KernelRead {
    let fd = slot.io.fd;
    let Transport::Kernel(session) = &mut slot.transport else {
        return KernelRead::Close;
    };
    let mut buf = vec![0u8; ktls_records::MAX_RECORD_PLAINTEXT];
    let step = match ktls_records::recv_record(fd, &mut buf) {
        Ok((Some(record_type), n)) => session.on_record(record_type, &buf[..n]),
        // Data after all, or an error: the stream cannot be followed (bytes would be lost).
        Ok((None, _)) | Err(_) => return KernelRead::Close,
    };
    match step {
        ControlStep::Continue => KernelRead::Continue,
        ControlStep::PeerClosed => KernelRead::PeerClosed,
        ControlStep::Close(_) => KernelRead::Close,
        // A kernel before 6.14 refuses a second TLS_RX/TLS_TX: nothing more can be read.
        ControlStep::Rekey { rx, tx } => match rekey(fd, &rx, tx.as_ref()) {
            Ok(()) => KernelRead::Continue,
            Err(_) => KernelRead::Close,
        },
    }
}

/// Installs the peer's next key; when it asked for ours too, sends our KeyUpdate under the old
/// key and then installs `tx`, before any more data goes out.
fn rekey(
    fd: RawFd,
    rx: &ktls::KernelCryptoInfo,
    tx: Option<&ktls::KernelCryptoInfo>,
) -> io::Result<()> {
    ktls::install_key(fd, ktls::TLS_RX, rx)?;
    if let Some(tx) = tx {
        ktls_records::send_record(
            fd,
            ktls_records::CONTENT_HANDSHAKE,
            &ktls_records::KEY_UPDATE_NOT_REQUESTED,
        )?;
        ktls::install_key(fd, ktls::TLS_TX, tx)?;
    }
    Ok(())
}

/// Writes `bytes` to the socket before the keys move (the handshake's last flight, a few hundred
/// bytes into an empty send buffer: the accepted socket is blocking, so this does not spin).
fn send_all(fd: RawFd, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is a live slice; the kernel reads at most its length.
        let n = unsafe { libc::send(fd, bytes.as_ptr().cast(), bytes.len(), libc::MSG_NOSIGNAL) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        bytes = &bytes[n as usize..];
    }
    Ok(())
}
