//! Runtime detection of io_uring. A kernel can have the syscalls and still refuse them (seccomp
//! in a container, `kernel.io_uring_disabled`, an `io_uring_group` the process is not in), and a
//! filter may allow `io_uring_setup` yet block `io_uring_enter` or `io_uring_register`. So the
//! only honest answer comes from doing, once, everything the engine will do: set up a ring,
//! probe the operations it submits, register a provided-buffer ring, enter the kernel, and
//! receive into that buffer ring with a multishot receive. The first step that fails names itself.

use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;

use io_uring::{cqueue, opcode, types, IoUring, Probe};

use crate::buffer_ring::BufferRing;

/// What the probe found: whether a ring could be set up and, when not, a sentence saying why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Support {
    pub supported: bool,
    /// `None` when supported; otherwise the reason, naming the errno and its likely cause.
    pub reason: Option<String>,
    /// Kernel feature bits (`IORING_FEAT_*`) reported by a successful setup, 0 otherwise.
    pub features: u32,
}

/// The operations the engine submits on every server (zero-copy sends are optional: they are
/// used only when configured).
const REQUIRED_OPS: [(&str, u8); 8] = [
    ("ACCEPT", opcode::AcceptMulti::CODE),
    ("RECV", opcode::RecvMulti::CODE),
    ("SEND", opcode::Send::CODE),
    ("SENDMSG", opcode::SendMsg::CODE),
    ("SPLICE", opcode::Splice::CODE),
    ("TIMEOUT", opcode::Timeout::CODE),
    ("ASYNC_CANCEL", opcode::AsyncCancel::CODE),
    ("NOP", opcode::Nop::CODE),
];

/// Sets up a small ring and runs every kind of call the engine makes on it, then tears it all
/// down. Never panics.
pub fn io_uring_supported() -> Support {
    match exercise() {
        Ok(features) => Support {
            supported: true,
            reason: None,
            features,
        },
        Err(reason) => Support {
            supported: false,
            reason: Some(reason),
            features: 0,
        },
    }
}

fn exercise() -> Result<u32, String> {
    let mut ring = IoUring::new(8).map_err(|err| explain(&err))?;
    let params = ring.params();
    let mut features = 0u32;
    // The crate exposes the feature bits one by one; fold back the ones the engine relies on.
    if params.is_feature_nodrop() {
        features |= 1 << 1;
    }
    if params.is_feature_fast_poll() {
        features |= 1 << 5;
    }
    let mut probe = Probe::new();
    ring.submitter()
        .register_probe(&mut probe)
        .map_err(|err| explain_call("io_uring_register (IORING_REGISTER_PROBE)", &err))?;
    for (name, code) in REQUIRED_OPS {
        if !probe.is_supported(code) {
            return Err(format!(
                "io_uring lacks the IORING_OP_{name} operation the engine needs: the kernel is too old (Linux 6.0+ is needed)"
            ));
        }
    }
    let bufs = BufferRing::new(&ring.submitter(), 0, 2, 64)
        .map_err(|err| explain_call("io_uring_register (IORING_REGISTER_PBUF_RING)", &err))?;
    let result = enter_and_receive(&mut ring, &bufs);
    // The buffer ring's memory must outlive its registration, which goes with the ring.
    drop(ring);
    drop(bufs);
    result.map(|()| features)
}

/// Submits what was pushed, waits for its one completion and names `what` if it failed.
fn complete_one(ring: &mut IoUring, what: &str) -> Result<cqueue::Entry, String> {
    ring.submit_and_wait(1)
        .map_err(|err| explain_call("io_uring_enter", &err))?;
    let cqe = ring
        .completion()
        .next()
        .ok_or("io_uring_enter returned without a completion")?;
    if cqe.result() < 0 {
        return Err(explain_call(
            what,
            &io::Error::from_raw_os_error(-cqe.result()),
        ));
    }
    Ok(cqe)
}

/// A NOP through `io_uring_enter`, then a multishot receive into the buffer ring, as every
/// connection does.
fn enter_and_receive(ring: &mut IoUring, bufs: &BufferRing) -> Result<(), String> {
    let nop = opcode::Nop::new().build().user_data(1);
    // SAFETY: a NOP references no memory, so nothing must outlive the submission.
    unsafe { ring.submission().push(&nop) }
        .map_err(|_| "io_uring submission queue full".to_string())?;
    complete_one(ring, "IORING_OP_NOP")?;

    let (local, mut peer) =
        UnixStream::pair().map_err(|err| format!("io_uring probe: socketpair failed: {err}"))?;
    peer.write_all(b"x")
        .map_err(|err| format!("io_uring probe: write failed: {err}"))?;
    let recv = opcode::RecvMulti::new(types::Fd(local.as_raw_fd()), bufs.group())
        .build()
        .user_data(2);
    // SAFETY: the receive writes only into the registered buffer ring, which outlives the ring
    // (see `exercise`), and reads the socket, which outlives this function's completions: the
    // byte is already queued, so the completion arrives before `submit_and_wait` returns.
    unsafe { ring.submission().push(&recv) }
        .map_err(|_| "io_uring submission queue full".to_string())?;
    let cqe = complete_one(ring, "multishot IORING_OP_RECV into a buffer ring")?;
    if cqe.result() != 1 || cqueue::buffer_select(cqe.flags()).is_none() {
        return Err(format!(
            "io_uring multishot receive did not use the buffer ring (result {}, flags {:#x})",
            cqe.result(),
            cqe.flags()
        ));
    }
    Ok(())
}

/// Turns a failed `io_uring_setup` into a sentence a user can act on.
pub fn explain(err: &io::Error) -> String {
    explain_call("io_uring_setup", err)
}

/// Turns a failed io_uring call (`io_uring_setup`, `io_uring_enter`, `io_uring_register (…)` or
/// an operation) into a sentence naming it and the errno's likely cause.
pub fn explain_call(call: &str, err: &io::Error) -> String {
    let cause = match err.raw_os_error() {
        Some(libc::ENOSYS) => "the kernel was built without io_uring (or is older than 5.1)",
        Some(libc::EPERM) | Some(libc::EACCES) => {
            "the call was refused: kernel.io_uring_disabled is set, the process is not in \
             kernel.io_uring_group, or a seccomp filter (e.g. a container runtime) blocks it"
        }
        Some(libc::ENOMEM) => "the kernel could not allocate the ring (RLIMIT_MEMLOCK too low?)",
        Some(libc::EMFILE) | Some(libc::ENFILE) => {
            "the process or system is out of file descriptors"
        }
        Some(libc::EINVAL) => "the kernel rejected the parameters (kernel too old for them)",
        _ => "unexpected error",
    };
    format!("{call} failed: {err}: {cause}")
}

/// Reads `kernel.io_uring_disabled` (Linux 6.6+): 0 allowed, 1 restricted to a group, 2 disabled.
pub fn sysctl_io_uring_disabled() -> Option<u8> {
    std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled")
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_agrees_with_the_sysctl() {
        let support = io_uring_supported();
        match sysctl_io_uring_disabled() {
            Some(2) => assert!(!support.supported),
            // Where the sysctl allows it, only a seccomp filter could refuse; the reason must say so.
            _ if !support.supported => {
                assert!(support.reason.as_deref().unwrap().contains("io_uring"))
            }
            _ => assert!(support.reason.is_none()),
        }
    }

    #[test]
    fn explains_eperm_with_its_causes() {
        let text = explain(&io::Error::from_raw_os_error(libc::EPERM));
        assert!(text.contains("seccomp"), "{text}");
        assert!(text.contains("io_uring_disabled"), "{text}");
    }

    #[test]
    fn explains_enosys_as_missing_kernel_support() {
        let text = explain(&io::Error::from_raw_os_error(libc::ENOSYS));
        assert!(text.contains("without io_uring"), "{text}");
    }

    #[test]
    fn names_the_failed_call() {
        let text = explain_call("io_uring_enter", &io::Error::from_raw_os_error(libc::EPERM));
        assert!(text.starts_with("io_uring_enter failed:"), "{text}");
        assert!(text.contains("seccomp"), "{text}");
    }

    #[test]
    fn a_supported_probe_reports_the_feature_bits_it_saw() {
        let support = io_uring_supported();
        if support.supported {
            assert_ne!(
                support.features & (1 << 1),
                0,
                "IORING_FEAT_NODROP on any kernel with multishot receive"
            );
        }
    }

    #[test]
    fn a_ring_really_runs_a_nop_where_supported() {
        if !io_uring_supported().supported {
            return;
        }
        let mut ring = io_uring::IoUring::new(8).unwrap();
        let nop = io_uring::opcode::Nop::new().build().user_data(42);
        // SAFETY: a NOP references no memory, so nothing must outlive the submission.
        unsafe { ring.submission().push(&nop).unwrap() };
        ring.submit_and_wait(1).unwrap();
        let cqe = ring.completion().next().unwrap();
        assert_eq!(cqe.user_data(), 42);
        assert_eq!(cqe.result(), 0);
    }
}
