//! The probe against a seccomp filter that blocks one io_uring syscall, as a container runtime
//! may: whichever of `io_uring_setup`, `io_uring_enter` or `io_uring_register` is refused, the
//! probe must report io_uring unsupported and name that call, so the engine falls back instead
//! of failing later with a bare "Operation not permitted".
//!
//! A filter cannot be removed once installed, so each case runs in a child process: this test
//! binary re-runs itself with `ZEPHYR_PROBE_BLOCK` naming the syscall; the child installs the
//! filter on its only working thread, probes, and prints the result.
#![cfg(target_arch = "x86_64")]

use std::process::Command;

const BLOCK_ENV: &str = "ZEPHYR_PROBE_BLOCK";

/// `struct sock_filter` (linux/filter.h).
#[repr(C)]
struct SockFilter {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

/// `struct sock_fprog` (linux/filter.h).
#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

const fn stmt(code: u32, k: u32) -> SockFilter {
    SockFilter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

const fn jump(code: u32, k: u32, jt: u8, jf: u8) -> SockFilter {
    SockFilter {
        code: code as u16,
        jt,
        jf,
        k,
    }
}

/// Refuses syscall `nr` with EPERM (as Docker's default profile does for io_uring) on this
/// thread and every process it starts; allows everything else.
fn block_syscall(nr: u32) {
    const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
    // Offsets in `struct seccomp_data`: nr at 0, arch at 4.
    let program = [
        stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 4),
        jump(
            libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
            AUDIT_ARCH_X86_64,
            1,
            0,
        ),
        stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW),
        stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0),
        jump(libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K, nr, 0, 1),
        stmt(
            libc::BPF_RET | libc::BPF_K,
            libc::SECCOMP_RET_ERRNO | libc::EPERM as u32,
        ),
        stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW),
    ];
    let prog = SockFprog {
        len: program.len() as u16,
        filter: program.as_ptr(),
    };
    // SAFETY: prctl with integer arguments; no_new_privs lets an unprivileged process install a filter.
    assert_eq!(
        unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) },
        0
    );
    // SAFETY: `prog` points at `program`, both alive for the call; the kernel copies the filter.
    let rc = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            &prog as *const SockFprog,
        )
    };
    assert_eq!(
        rc,
        0,
        "installing the seccomp filter: {}",
        std::io::Error::last_os_error()
    );
}

/// Runs the probe in a child with `nr` blocked; returns what it printed.
fn probe_with_blocked(nr: i64) -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_probe", "--nocapture", "--test-threads=1"])
        .env(BLOCK_ENV, nr.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "child failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The harness may print its own "test child_probe ... " on the same line first.
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("PROBE: ").map(|(_, rest)| rest));
    line.expect("the child printed its probe").to_string()
}

/// Not a test of its own: the body the child runs (it does nothing when run normally).
#[test]
fn child_probe() {
    let Ok(nr) = std::env::var(BLOCK_ENV) else {
        return;
    };
    block_syscall(nr.parse().unwrap());
    let support = zephyr_uring::probe::io_uring_supported();
    println!(
        "PROBE: supported={} reason={}",
        support.supported,
        support.reason.unwrap_or_default()
    );
}

fn io_uring_works_here() -> bool {
    zephyr_uring::probe::io_uring_supported().supported
}

#[test]
fn a_blocked_io_uring_setup_is_named() {
    let seen = probe_with_blocked(libc::SYS_io_uring_setup);
    assert!(seen.starts_with("supported=false"), "{seen}");
    assert!(seen.contains("io_uring_setup failed"), "{seen}");
    assert!(seen.contains("seccomp"), "{seen}");
}

#[test]
fn a_blocked_io_uring_enter_is_named() {
    if !io_uring_works_here() {
        return; // setup itself fails here: the case above covers this machine
    }
    let seen = probe_with_blocked(libc::SYS_io_uring_enter);
    assert!(seen.starts_with("supported=false"), "{seen}");
    assert!(seen.contains("io_uring_enter failed"), "{seen}");
}

#[test]
fn a_blocked_io_uring_register_is_named() {
    if !io_uring_works_here() {
        return;
    }
    let seen = probe_with_blocked(libc::SYS_io_uring_register);
    assert!(seen.starts_with("supported=false"), "{seen}");
    assert!(seen.contains("io_uring_register"), "{seen}");
}

#[test]
fn an_unrelated_blocked_syscall_leaves_io_uring_usable() {
    if !io_uring_works_here() {
        return;
    }
    // Blocking a syscall the probe never makes must not change its answer: the filter is not
    // what makes the cases above fail.
    let seen = probe_with_blocked(libc::SYS_reboot);
    assert_eq!(seen.trim_end(), "supported=true reason=");
}
