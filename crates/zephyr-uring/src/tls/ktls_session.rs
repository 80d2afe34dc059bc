//! A session whose record layer the kernel runs (TLS_TX and TLS_RX), sans-IO: it is told what
//! non-data record arrived and answers what the connection must do. The ring loop performs the
//! answer (`server_tls::on_kernel_control_record`): `setsockopt`s and one `sendmsg`.

use super::ktls::KernelCryptoInfo;
use super::ktls_records::{classify, ControlRecord};
use super::ktls_rekey::KeyUpdater;

/// What a control record asks of a kernel TLS connection.
#[derive(Debug)]
pub enum ControlStep {
    /// Nothing (a NewSessionTicket): read on.
    Continue,
    /// The peer changed its sending key: install `rx` (`TLS_RX`). When `tx` is set the peer
    /// asked for ours too: send [`super::ktls_records::KEY_UPDATE_NOT_REQUESTED`] under the old
    /// key, then install `tx` (`TLS_TX`), before any more data goes out.
    Rekey {
        rx: KernelCryptoInfo,
        tx: Option<KernelCryptoInfo>,
    },
    /// The peer's close_notify: its input ended cleanly.
    PeerClosed,
    /// End the connection; the reason says why (tests read it; the ring loop does not yet count
    /// these closes in `TlsCounters`).
    Close(String),
}

/// The state a kernel TLS connection keeps in user space: only what a key update needs.
#[derive(Debug)]
pub struct KernelSession {
    updater: Option<KeyUpdater>,
}

impl KernelSession {
    /// `updater`: `None` for TLS 1.2 (no key updates) or where the secrets could not be kept;
    /// a KeyUpdate then ends the connection (its next records could not be decrypted).
    pub fn new(updater: Option<KeyUpdater>) -> Self {
        Self { updater }
    }

    /// A record of `record_type` with this decrypted `payload` arrived (read with
    /// `ktls_records::recv_record` after a receive failed with `EIO`).
    pub fn on_record(&mut self, record_type: u8, payload: &[u8]) -> ControlStep {
        match classify(record_type, payload) {
            ControlRecord::CloseNotify => ControlStep::PeerClosed,
            ControlRecord::Ignore => ControlStep::Continue,
            ControlRecord::Alert { level, description } => {
                ControlStep::Close(format!("the peer sent alert {description} (level {level})"))
            }
            ControlRecord::Violation(what) => ControlStep::Close(format!("the peer sent {what}")),
            ControlRecord::KeyUpdate { update_requested } => self
                .rekey(update_requested)
                .unwrap_or_else(ControlStep::Close),
        }
    }

    /// The keys after the peer's KeyUpdate: its next receive key, and our next send key when
    /// it asked for that too.
    fn rekey(&mut self, update_requested: bool) -> Result<ControlStep, String> {
        let updater = self
            .updater
            .as_mut()
            .ok_or("a KeyUpdate on a session without its traffic secrets")?;
        let rx = updater.next_rx().map_err(|err| err.to_string())?;
        let tx = update_requested
            .then(|| updater.next_tx())
            .transpose()
            .map_err(|err| err.to_string())?;
        Ok(ControlStep::Rekey { rx, tx })
    }
}
