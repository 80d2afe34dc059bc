//! What the two binaries of this package share: ws-load (src/main.rs) and ws-bound (src/bin/ws-bound).

/// Raises this process's open-descriptor limit to its hard limit, for the 10,000-connection
/// fan-out (on either side).
pub fn raise_fd_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit for the kernel to fill and read.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
