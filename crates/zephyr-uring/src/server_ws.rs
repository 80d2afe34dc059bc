//! The WebSocket commands of [`Server`]: accepting an upgrade (the 101 and the switch of the
//! slot's session), sends, closes, pings, and topics with native fan-out. A child module of
//! `server`, so that the ring loop itself only gained the session switch's seam.

use super::{Server, Slot};
use crate::conn::{ConnId, EventSink, Payload};
use crate::protocol::commands::{Fields, ResponseStart, WriteFlags, WsAccept};
use crate::pubsub::Topics;
use crate::session::Session;
use crate::slot_session::SlotSession;
use crate::ws::{
    accept_key, is_valid_received_close_code, negotiate_permessage_deflate, Opcode, WsConfig,
    WsSession,
};
use crate::ws_conn::{Queued, SharedFrame, WsConn, WsPolicy};

/// The listener's WebSocket state outside the connections.
#[derive(Debug, Default)]
pub(super) struct WsHub {
    topics: Topics,
    /// Closes decided while applying commands (a slow consumer), for the next `process`.
    closes: Vec<(ConnId, u32, u16, String)>,
}

impl WsHub {
    pub(super) fn has_news(&self) -> bool {
        !self.closes.is_empty()
    }
}

/// A `Sec-WebSocket-Key` is 16 bytes in base64: 22 characters and `==`.
fn valid_key(key: &[u8]) -> bool {
    key.len() == 24
        && key.ends_with(b"==")
        && key[..22]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

fn ws_of(slot: Option<&mut Slot>) -> Option<&mut WsConn> {
    let slot = slot?;
    if slot.io.closing() {
        return None;
    }
    slot.conn.ws()
}

impl Server {
    /// Accepts upgrade request `seq` (answered by the application's upgrade handler): writes
    /// the 101 and makes the connection a WebSocket session. A request that is not a pending
    /// upgrade, or whose key is malformed, is answered 400 instead.
    pub fn ws_accept(&mut self, id: ConnId, seq: u32, a: &WsAccept<'_>) {
        let date = self.date_now();
        let now = self.now;
        let Some(slot) = self.slot_mut(id) else {
            return;
        };
        if slot.io.closing() {
            return;
        }
        let Some(conn) = slot.conn.http() else {
            return;
        };
        if !conn.upgrade_pending(seq) || !valid_key(a.key) {
            slot.conn.fail(400, &date);
            self.touch(id);
            return;
        }
        let deflate = if a.deflate {
            std::str::from_utf8(a.extensions)
                .ok()
                .and_then(negotiate_permessage_deflate)
        } else {
            None
        };
        let accept = accept_key(a.key);
        let extensions = deflate.map(|d| d.response_header());
        let mut pairs: Vec<(&[u8], &[u8])> = vec![
            (b"upgrade", b"websocket"),
            (b"connection", b"Upgrade"),
            (b"sec-websocket-accept", accept.as_bytes()),
        ];
        if let Some(e) = &extensions {
            pairs.push((b"sec-websocket-extensions", e.as_bytes()));
        }
        pairs.extend(a.fields);
        let (table, bytes) = Fields::encode(&pairs);
        let start = ResponseStart {
            status: 101,
            fields: Fields::parts(&table, &bytes),
            length: None,
        };
        // Bytes after the upgrade request are the WebSocket's: taken before the 101 settles the
        // takeover (which drops what HTTP/1 held).
        let input = conn.take_input();
        conn.respond(
            seq,
            &start,
            Payload::Bytes(&[]),
            WriteFlags::default(),
            &date,
        );
        let out = conn.take_output();
        let session = WsSession::new(
            WsConfig {
                max_message_bytes: a.max_payload as usize,
            },
            deflate,
        );
        let policy = WsPolicy {
            max_backpressure: a.max_backpressure as usize,
            drop: a.drop_policy,
            idle_timeout_ms: u64::from(a.idle_timeout_ms),
        };
        let ws = WsConn::new(id, seq, session, out, policy, input, now);
        let stalled = ws.input_stalled();
        slot.conn = SlotSession::Ws(Box::new(ws));
        if stalled {
            self.stalled.push(id.index);
        }
        self.touch(id);
    }

    /// Sends a message on WebSocket connection `id` (dropped per its policy past its
    /// backpressure limit; ignored once it is closing).
    pub fn ws_send(&mut self, id: ConnId, body: Payload<'_>, binary: bool, want_drain: bool) {
        let Some(ws) = ws_of(self.slot_mut(id)) else {
            return;
        };
        ws.send(body, binary, want_drain);
        self.after_ws_command(id);
    }

    /// Starts the close handshake of connection `id` (an invalid code is sent as 1000). `drop`:
    /// no handshake; the connection is dropped once the output queued so far started going out
    /// (the application already counted it closed: a slow consumer).
    pub fn ws_close(&mut self, id: ConnId, code: u16, reason: &[u8], drop: bool) {
        let Some(ws) = ws_of(self.slot_mut(id)) else {
            return;
        };
        if drop {
            ws.drop_quietly();
            self.touch(id);
            return;
        }
        let code = if is_valid_received_close_code(code) {
            code
        } else {
            1000
        };
        ws.close(code, std::str::from_utf8(reason).unwrap_or(""));
        self.after_ws_command(id);
    }

    /// Sends a ping on connection `id`.
    pub fn ws_ping(&mut self, id: ConnId, payload: &[u8]) {
        let Some(ws) = ws_of(self.slot_mut(id)) else {
            return;
        };
        ws.ping(payload);
        self.after_ws_command(id);
    }

    /// Subscribes (`on`) or unsubscribes WebSocket connection `id` to `topic`.
    pub fn ws_subscribe(&mut self, id: ConnId, topic: &[u8], on: bool) {
        if !on {
            self.ws_hub.topics.unsubscribe(topic, id);
            return;
        }
        if ws_of(self.slot_mut(id)).is_some() {
            self.ws_hub.topics.subscribe(topic, id);
        }
    }

    /// Subscribers of `topic` (counting any that went away since the last publish to it).
    pub fn ws_subscribers(&self, topic: &[u8]) -> usize {
        self.ws_hub.topics.count(topic)
    }

    /// Sends a message to every subscriber of `topic`: framed once (and compressed once per
    /// window size for subscribers that negotiated `server_no_context_takeover`; others get it
    /// uncompressed, valid on any connection), queued on each by reference. Returns how many
    /// subscribers it was queued on.
    pub fn ws_publish(&mut self, topic: &[u8], body: Payload<'_>, binary: bool) -> usize {
        let Some(subscribers) = self.ws_hub.topics.take(topic) else {
            return 0;
        };
        let payload: &[u8] = match &body {
            Payload::Bytes(b) => b,
            Payload::External(e) => e.bytes(),
        };
        let opcode = if binary { Opcode::Binary } else { Opcode::Text };
        let plain = SharedFrame(WsSession::frame_message(opcode, payload).into());
        let mut compressed: [Option<SharedFrame>; 16] = Default::default();
        let mut gone = Vec::new();
        let mut delivered = 0;
        for &id in &subscribers {
            let Some(ws) = ws_of(self.slot_mut(id)) else {
                gone.push(id);
                continue;
            };
            let frame = match ws.shared_deflate_window() {
                Some(bits) => compressed[usize::from(bits)].get_or_insert_with(|| {
                    SharedFrame(WsSession::frame_compressed(opcode, payload, bits).into())
                }),
                None => &plain,
            };
            if ws.send_shared(frame) == Queued::Yes {
                delivered += 1;
            }
            self.after_ws_command(id);
        }
        self.ws_hub.topics.put_back(topic, subscribers, &gone);
        delivered
    }

    fn after_ws_command(&mut self, id: ConnId) {
        if let Some(report) = ws_of(self.slot_mut(id)).and_then(WsConn::take_report) {
            let (seq, code, reason) = report;
            self.ws_hub.closes.push((id, seq, code, reason));
        }
        self.touch(id);
    }

    /// Reports the closes decided while commands were applied.
    pub(super) fn deliver_ws_closes(&mut self, sink: &mut dyn EventSink) {
        for (id, seq, code, reason) in self.ws_hub.closes.drain(..) {
            sink.ws_close(id, seq, code, reason.as_bytes());
        }
    }
}
