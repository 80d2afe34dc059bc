//! Golden buffers of the JS↔native record protocol. The same scripts are encoded here and in
//! `packages/uring/test/protocol-golden.test.ts`; both must produce (or decode) exactly the
//! committed bytes in `tests/golden/`. `ZEPHYR_UPDATE_GENERATED=1` rewrites them after a
//! deliberate layout change (bump `LAYOUT_VERSION` too).

use std::path::PathBuf;

use zephyr_uring::conn::{ConnId, EventSink, RequestEvent};
use zephyr_uring::http1::{parse_request_head, HeadLimits, RequestHead, Status};
use zephyr_uring::protocol::commands::{
    apply, Applied, CommandEncoder, CommandLog, EncodedBody, FileCommand, LoggedBody,
    OwnedWsAccept, WriteFlags,
};
use zephyr_uring::protocol::events::EventWriter;
use zephyr_uring::server::FileRange;
use zephyr_uring::ws::PlacedMessage;

fn golden(name: &str, bytes: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("ZEPHYR_UPDATE_GENERATED").is_some() {
        std::fs::write(&path, bytes).expect("write golden");
    }
    let have = std::fs::read(&path).expect("read golden");
    assert!(have == bytes, "{name} differs from what this code produces; if the layout changed on purpose, bump LAYOUT_VERSION and regenerate");
}

const A: ConnId = ConnId { index: 3, gen: 7 };
const B: ConnId = ConnId {
    index: 4,
    gen: 0x00ff_ffff,
};

/// The command script (mirrored in the JS test).
fn command_script() -> (Vec<u8>, Vec<Applied<u32>>) {
    let mut enc = CommandEncoder::default();
    let end = WriteFlags {
        end: true,
        ..WriteFlags::default()
    };
    let all = WriteFlags {
        end: true,
        close: true,
        want_drain: true,
    };
    let drain = WriteFlags {
        want_drain: true,
        ..WriteFlags::default()
    };
    let end_close = WriteFlags {
        end: true,
        close: true,
        want_drain: false,
    };
    let file = FileCommand {
        fd: 9,
        borrowed: true,
        range: FileRange {
            offset: (1 << 32) + 5,
            length: 17,
        },
        close: true,
    };
    let fields: &[(&[u8], &[u8])] = &[
        (b"content-type", b"text/plain"),
        (b"set-cookie", b"a=1"),
        (b"set-cookie", b"b=22"),
    ];
    enc.respond(
        A,
        0,
        200,
        fields,
        Some(5),
        EncodedBody::Bytes(b"hello"),
        end,
    );
    enc.respond(A, 1, 404, &[], None, EncodedBody::External(0), drain);
    enc.write(A, 1, EncodedBody::Bytes(b"more"), WriteFlags::default());
    enc.write(A, 1, EncodedBody::External(1), all);
    enc.send_file(B, 2, 206, &[(b"content-range", b"bytes 5-21/100")], file);
    enc.send_continue(B, 3);
    enc.trailers(
        A,
        1,
        &[(b"grpc-status", b"0"), (b"grpc-message", b"ok")],
        end_close,
    );
    enc.pause(B, 3, true);
    enc.pause(B, 3, false);
    enc.destroy(A, 1);
    let accept = OwnedWsAccept {
        max_payload: 1 << 24,
        max_backpressure: 1 << 20,
        idle_timeout_ms: 120_000,
        fields: vec![(b"sec-websocket-protocol".to_vec(), b"chat".to_vec())],
        key: b"dGhlIHNhbXBsZSBub25jZQ==".to_vec(),
        extensions: b"permessage-deflate; client_max_window_bits".to_vec(),
        deflate: true,
        drop_policy: true,
    };
    enc.ws_accept(B, 4, &accept);
    enc.ws_send(B, EncodedBody::Bytes(b"hi!"), false, false);
    enc.ws_send(B, EncodedBody::External(2), true, true);
    enc.ws_close(B, 4000, b"bye", false);
    enc.ws_close(B, 1006, b"", true);
    enc.ws_ping(B, b"p");
    enc.ws_subscribe(B, b"room:1", true);
    enc.ws_subscribe(B, b"room:1", false);
    enc.ws_publish(b"room:1", EncodedBody::Bytes(b"hello all"), false);
    enc.ws_publish(b"t", EncodedBody::External(3), true);
    let owned = |f: &[(&[u8], &[u8])]| {
        f.iter()
            .map(|(n, v)| (n.to_vec(), v.to_vec()))
            .collect::<Vec<_>>()
    };
    let expected = vec![
        Applied::Respond(
            A,
            0,
            200,
            owned(fields),
            Some(5),
            LoggedBody::Bytes(b"hello".to_vec()),
            end,
        ),
        Applied::Respond(A, 1, 404, vec![], None, LoggedBody::External(42), drain),
        Applied::Write(
            A,
            1,
            LoggedBody::Bytes(b"more".to_vec()),
            WriteFlags::default(),
        ),
        Applied::Write(A, 1, LoggedBody::External(43), all),
        Applied::SendFile(
            B,
            2,
            206,
            owned(&[(b"content-range", b"bytes 5-21/100")]),
            file,
        ),
        Applied::Continue(B, 3),
        Applied::Trailers(
            A,
            1,
            owned(&[(b"grpc-status", b"0"), (b"grpc-message", b"ok")]),
            end_close,
        ),
        Applied::Pause(B, 3, true),
        Applied::Pause(B, 3, false),
        Applied::Destroy(A, 1),
        Applied::WsAccept(B, 4, accept),
        Applied::WsSend(B, LoggedBody::Bytes(b"hi!".to_vec()), false, false),
        Applied::WsSend(B, LoggedBody::External(44), true, true),
        Applied::WsClose(B, 4000, b"bye".to_vec(), false),
        Applied::WsClose(B, 1006, vec![], true),
        Applied::WsPing(B, b"p".to_vec()),
        Applied::WsSubscribe(B, b"room:1".to_vec(), true),
        Applied::WsSubscribe(B, b"room:1".to_vec(), false),
        Applied::WsPublish(
            b"room:1".to_vec(),
            LoggedBody::Bytes(b"hello all".to_vec()),
            false,
        ),
        Applied::WsPublish(b"t".to_vec(), LoggedBody::External(45), true),
    ];
    (enc.buf, expected)
}

#[test]
fn commands_golden_buffer_decodes_to_the_script() {
    let (bytes, expected) = command_script();
    golden("commands.bin", &bytes);
    let mut log = CommandLog::default();
    apply(
        &mut log,
        &bytes,
        &mut [Some(42u32), Some(43), Some(44), Some(45)],
    )
    .expect("golden commands apply");
    assert_eq!(log.applied, expected);
}

#[test]
fn malformed_commands_are_refused_not_guessed() {
    let (bytes, _) = command_script();
    for cut in 1..bytes.len() {
        if cut % 4 != 0 {
            let mut log = CommandLog::default();
            assert!(
                apply(&mut log, &bytes[..cut], &mut [Some(1u32)]).is_err(),
                "cut at {cut}"
            );
        }
    }
    let mut log = CommandLog::default();
    assert!(
        apply(&mut log, &bytes, &mut [None::<u32>]).is_err(),
        "a missing external is an error"
    );
    let mut log = CommandLog::<u32>::default();
    assert!(apply(
        &mut log,
        &[99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        &mut []
    )
    .is_err());
}

fn head(wire: &[u8]) -> RequestHead {
    let mut h = RequestHead::new();
    assert_eq!(
        parse_request_head(wire, &HeadLimits::default(), &mut h),
        Ok(Status::Complete)
    );
    h
}

/// The event script (mirrored in the JS test).
#[test]
fn events_golden_buffer() {
    let mut buf = vec![0u8; 64 * 1024];
    // SAFETY: `buf` outlives the writer and is not touched while it writes.
    let mut w = unsafe { EventWriter::new(buf.as_mut_ptr(), buf.len()) };
    let get = b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Long: abcde\r\n\r\n";
    let h = head(get);
    assert!(w.request(
        A,
        0,
        &RequestEvent {
            buf: get,
            head: &h,
            body: None,
            body_follows: false
        }
    ));
    let post = b"POST /p HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc";
    let h = head(post);
    assert!(w.request(
        A,
        1,
        &RequestEvent {
            buf: post,
            head: &h,
            body: Some(b"abc"),
            body_follows: false
        }
    ));
    let up = b"PUT /u HTTP/1.1\r\nHost: y\r\nExpect: 100-continue\r\nConnection: upgrade\r\nUpgrade: websocket\r\nTransfer-Encoding: chunked\r\n\r\n";
    let h = head(up);
    assert!(w.request(
        B,
        2,
        &RequestEvent {
            buf: up,
            head: &h,
            body: None,
            body_follows: true
        }
    ));
    w.body(B, 2, b"hello", false);
    w.body(B, 2, b"", true);
    w.body_error(B, 2, 413);
    w.file_sent(A, 5, -32);
    w.aborted(B);
    w.drained(A, 6);
    w.ws_message(B, 4, b"hel", false, false);
    w.ws_message(B, 4, b"lo", false, true);
    w.ws_message(B, 4, &[0, 1, 2, 3, 4], true, true);
    w.ws_close(B, 4, 1000, b"done");
    // Two whole messages received into stores of the host's: the records name the store, not
    // the bytes.
    w.ws_placed(B, 4, PlacedMessage(Box::new(b"placed".to_vec())), false);
    w.ws_placed(B, 4, PlacedMessage(Box::new(vec![9u8; 5])), true);
    let placed = w.take_placed();
    assert_eq!(placed.len(), 2);
    assert_eq!(placed[1].bytes(), &[9; 5]);
    // An HTTP/2 stream (seq: its id) laid out as a head, and that one stream reset.
    let mut h = head(get);
    h.version = zephyr_uring::http1::Version::Http2;
    assert!(w.request(
        A,
        7,
        &RequestEvent {
            buf: get,
            head: &h,
            body: None,
            body_follows: true
        }
    ));
    w.stream_aborted(A, 7);
    assert_eq!(w.records, 17);
    let len = w.len;
    golden("events.bin", &buf[..len]);
}
