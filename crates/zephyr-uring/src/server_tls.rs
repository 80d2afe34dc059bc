//! The ring loop's side of the TLS transport (a child of `server`, so it reaches the loop's
//! state): a transport for each accepted connection, and file bodies read into the stage's
//! buffer and encrypted where a plain connection would splice them.

use io_uring::{opcode, squeue, types};

use super::{token, ConnId, Server, Slot, FILE_READ};
use crate::session::Session;
use crate::tls_stage::TlsStage;
use crate::transport::Transport;

impl Server {
    /// The transport of a connection accepted now; `None` if TLS cannot start one (rustls
    /// refusing its own configuration, which `build_server_config` already checked).
    pub(super) fn new_transport(&self) -> Option<Transport> {
        let Some(acceptor) = &self.config.tls else {
            return Some(Transport::cleartext());
        };
        let tls = acceptor.accept().ok()?;
        Some(Transport::Tls(Box::new(TlsStage::new(
            tls,
            self.now,
            acceptor.handshake_timeout_ms(),
        ))))
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
