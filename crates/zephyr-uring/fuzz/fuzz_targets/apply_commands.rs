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
use zephyr_uring::protocol::commands::{apply, Applied, CommandEncoder, CommandLog};

fuzz_target!(|data: &[u8]| {
    let Some((&n, buf)) = data.split_first() else {
        return;
    };
    let n = usize::from(n & 7);
    let mut externals: Vec<Option<u32>> = (0..n as u32).map(Some).collect();
    let mut log = CommandLog::default();
    let result = apply(&mut log, buf, &mut externals);

    let mut taken: Vec<u32> = Vec::new();
    for a in &log.applied {
        match a {
            Applied::Write(_, _, bytes, _) | Applied::SendFile(_, _, bytes, _) => {
                assert!(bytes.len() <= buf.len())
            }
            Applied::WriteExternal(_, _, index, _) => {
                assert!((*index as usize) < n);
                assert!(!taken.contains(index), "external {index} taken twice");
                taken.push(*index);
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
            Applied::Write(id, seq, bytes, f) => enc.write(*id, *seq, bytes, *f),
            Applied::WriteExternal(id, seq, index, f) => enc.write_external(*id, *seq, *index, *f),
            Applied::SendFile(id, seq, head, file) => enc.send_file(*id, *seq, head, *file),
            Applied::Continue(id, seq) => enc.send_continue(*id, *seq),
            Applied::Pause(id, paused) => enc.pause(*id, 0, *paused),
            Applied::Destroy(id) => enc.destroy(*id, 0),
        }
    }
    let mut again = CommandLog::default();
    let mut fresh: Vec<Option<u32>> = (0..n as u32).map(Some).collect();
    apply(&mut again, &enc.buf, &mut fresh).expect("re-encoded commands apply");
    assert_eq!(again.applied, log.applied);
});
