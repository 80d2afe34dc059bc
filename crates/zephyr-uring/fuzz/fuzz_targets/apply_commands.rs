//! Fuzzes `protocol::commands::apply`, the reader of the command buffer JS hands the engine.
//!
//! Input: byte 0 is how many external buffers are passed beside the commands (0..=7); the rest
//! is the command buffer. Asserted for every input:
//! * no panic, whatever the bytes (truncated records, lengths past the end, unknown kinds);
//! * every payload handed on lies inside the buffer, and each external is taken at most once;
//! * the commands applied before an error are a prefix of what the same buffer cut at the error
//!   would apply, and re-encoding what was applied reproduces it exactly (encode ∘ apply = id).

#![no_main]

use libfuzzer_sys::fuzz_target;
use zephyr_uring::protocol::commands::{
    apply, Applied, CommandEncoder, CommandLog, EncodedBody, LoggedBody, OwnedFields,
};

fuzz_target!(|data: &[u8]| {
    let Some((&n, buf)) = data.split_first() else {
        return;
    };
    let n = usize::from(n & 7);
    let mut externals: Vec<Option<u32>> = (0..n as u32).map(Some).collect();
    let mut log = CommandLog::default();
    let result = apply(&mut log, buf, &mut externals);

    let mut taken: Vec<u32> = Vec::new();
    let mut check_body = |body: &LoggedBody<u32>| match body {
        LoggedBody::Bytes(bytes) => assert!(bytes.len() <= buf.len()),
        LoggedBody::External(index) => {
            assert!((*index as usize) < n);
            assert!(!taken.contains(index), "external {index} taken twice");
            taken.push(*index);
        }
    };
    let fields_fit = |fields: &OwnedFields| {
        fields.iter().map(|(n, v)| n.len() + v.len()).sum::<usize>() <= buf.len()
    };
    for a in &log.applied {
        match a {
            Applied::Respond(_, _, _, fields, _, body, _) => {
                assert!(fields_fit(fields));
                check_body(body);
            }
            Applied::Write(_, _, body, _) => check_body(body),
            Applied::SendFile(_, _, _, fields, _) => assert!(fields_fit(fields)),
            Applied::WsAccept(_, _, a) => {
                assert!(fields_fit(&a.fields));
                assert!(a.key.len() + a.extensions.len() <= buf.len());
            }
            Applied::WsSend(_, body, _, _) => check_body(body),
            Applied::WsPublish(topic, body, _) => {
                assert!(topic.len() <= buf.len());
                check_body(body);
            }
            _ => {}
        }
    }
    if result.is_ok() {
        assert_eq!(
            externals.iter().filter(|e| e.is_none()).count(),
            taken.len()
        );
    }

    // Whatever was applied re-encodes to a buffer that applies to the same commands.
    let mut enc = CommandEncoder::default();
    for a in &log.applied {
        match a {
            Applied::Respond(id, seq, status, fields, length, body, f) => enc.respond(
                *id,
                *seq,
                *status,
                &borrowed(fields),
                *length,
                encoded(body),
                *f,
            ),
            Applied::Write(id, seq, body, f) => enc.write(*id, *seq, encoded(body), *f),
            Applied::SendFile(id, seq, status, fields, file) => {
                enc.send_file(*id, *seq, *status, &borrowed(fields), *file)
            }
            Applied::Continue(id, seq) => enc.send_continue(*id, *seq),
            Applied::Trailers(id, seq, fields, f) => {
                enc.trailers(*id, *seq, &borrowed(fields), *f)
            }
            Applied::Pause(id, seq, paused) => enc.pause(*id, *seq, *paused),
            Applied::Destroy(id, seq) => enc.destroy(*id, *seq),
            Applied::WsAccept(id, seq, a) => enc.ws_accept(*id, *seq, a),
            Applied::WsSend(id, body, binary, drain) => {
                enc.ws_send(*id, encoded(body), *binary, *drain)
            }
            Applied::WsClose(id, code, reason, drop) => enc.ws_close(*id, *code, reason, *drop),
            Applied::WsPing(id, payload) => enc.ws_ping(*id, payload),
            Applied::WsSubscribe(id, topic, on) => enc.ws_subscribe(*id, topic, *on),
            Applied::WsPublish(topic, body, binary) => {
                enc.ws_publish(topic, encoded(body), *binary)
            }
        }
    }
    let mut again = CommandLog::default();
    let mut fresh: Vec<Option<u32>> = (0..n as u32).map(Some).collect();
    apply(&mut again, &enc.buf, &mut fresh).expect("re-encoded commands apply");
    assert_eq!(again.applied, log.applied);
});

fn borrowed(f: &OwnedFields) -> Vec<(&[u8], &[u8])> {
    f.iter()
        .map(|(n, v)| (n.as_slice(), v.as_slice()))
        .collect()
}

fn encoded(b: &LoggedBody<u32>) -> EncodedBody<'_> {
    match b {
        LoggedBody::Bytes(bytes) => EncodedBody::Bytes(bytes.as_slice()),
        LoggedBody::External(i) => EncodedBody::External(*i),
    }
}
