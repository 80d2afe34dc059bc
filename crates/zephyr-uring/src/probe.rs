//! Runtime detection of io_uring. A kernel can have the syscall and still refuse it (seccomp in a
//! container, `kernel.io_uring_disabled`, an `io_uring_group` the process is not in), so the only
//! honest answer comes from calling `io_uring_setup` and reading why it failed.

use std::io;

/// What the probe found: whether a ring could be set up and, when not, a sentence saying why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Support {
    pub supported: bool,
    /// `None` when supported; otherwise the reason, naming the errno and its likely cause.
    pub reason: Option<String>,
    /// Kernel feature bits (`IORING_FEAT_*`) reported by a successful setup, 0 otherwise.
    pub features: u32,
}

/// Sets up (and immediately tears down) a small ring. Never panics.
pub fn io_uring_supported() -> Support {
    match io_uring::IoUring::new(8) {
        Ok(ring) => {
            let params = ring.params();
            let mut features = 0u32;
            // The crate exposes the feature bits one by one; fold back the ones the engine relies on.
            if params.is_feature_nodrop() {
                features |= 1 << 1;
            }
            if params.is_feature_fast_poll() {
                features |= 1 << 5;
            }
            Support {
                supported: true,
                reason: None,
                features,
            }
        }
        Err(err) => Support {
            supported: false,
            reason: Some(explain(&err)),
            features: 0,
        },
    }
}

/// Turns a failed `io_uring_setup` into a sentence a user can act on.
pub fn explain(err: &io::Error) -> String {
    let cause = match err.raw_os_error() {
        Some(libc::ENOSYS) => "the kernel was built without io_uring (or is older than 5.1)",
        Some(libc::EPERM) => {
            "the call was refused: kernel.io_uring_disabled is set, the process is not in \
             kernel.io_uring_group, or a seccomp filter (e.g. a container runtime) blocks it"
        }
        Some(libc::ENOMEM) => "the kernel could not allocate the ring (RLIMIT_MEMLOCK too low?)",
        Some(libc::EMFILE) | Some(libc::ENFILE) => {
            "the process or system is out of file descriptors"
        }
        Some(libc::EINVAL) => "the kernel rejected the ring parameters (kernel too old for them)",
        _ => "unexpected error",
    };
    format!("io_uring_setup failed: {err}: {cause}")
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
            _ if !support.supported => assert!(support
                .reason
                .as_deref()
                .unwrap()
                .contains("io_uring_setup failed")),
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
