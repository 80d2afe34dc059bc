//! The probe's failure path, provoked for real: with no file descriptor left to give, the kernel
//! refuses `io_uring_setup` and the probe must say so rather than panic or claim support.
//! Its own test binary, because lowering RLIMIT_NOFILE would starve other tests' threads.

#[test]
fn reports_why_when_the_kernel_refuses_the_ring() {
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe { assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut old), 0) };
    // Every descriptor number at or above the limit is refused; 3 leaves only stdio.
    let low = libc::rlimit {
        rlim_cur: 3,
        rlim_max: old.rlim_max,
    };
    // SAFETY: as above.
    unsafe { assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &low), 0) };
    let support = zephyr_uring::probe::io_uring_supported();
    // SAFETY: as above.
    unsafe { assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &old), 0) };

    assert!(!support.supported);
    let reason = support.reason.expect("a refused probe carries its reason");
    assert!(reason.contains("io_uring_setup failed"), "{reason}");
    assert!(reason.contains("file descriptors"), "{reason}");
}
