//! Opening a file strictly beneath a directory, following no symlink, in one step.
//!
//! A static-file server that checks a path (`realpath`, `lstat`) and then opens it by name loses
//! to anyone who can swap a directory for a symlink in between. Resolving every component
//! relative to a directory descriptor the server holds, and refusing every symlink on the way,
//! makes the check and the open the same act: whatever the tree looks like at that instant, the
//! file opened is beneath the root. `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` does it in
//! the kernel (Linux 5.6+); elsewhere each component is opened with `O_NOFOLLOW` from the
//! descriptor of the one before.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU8, Ordering};

/// Flags of the final open: read-only, never a controlling tty, and non-blocking so that a FIFO
/// planted in the tree cannot hang the opener waiting for a writer (reads of regular files ignore
/// `O_NONBLOCK`).
const FILE_FLAGS: libc::c_int =
    libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOCTTY | libc::O_NONBLOCK;
/// Flags of each intermediate directory in the component walk.
const DIR_FLAGS: libc::c_int =
    libc::O_RDONLY | libc::O_CLOEXEC | libc::O_DIRECTORY | libc::O_NOFOLLOW;

const UNKNOWN: u8 = 0;
const PRESENT: u8 = 1;
const ABSENT: u8 = 2;
/// Whether `openat2` works here, learnt from the first call.
static OPENAT2: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Opens `relative` beneath the directory `root` for reading, refusing any symlink on the way
/// (`ELOOP`) and any path that is not a plain relative one (`InvalidInput`: absolute, empty
/// segments, `.`/`..`, NUL). An empty `relative` opens `root` itself. The result may be a
/// directory or another non-regular file: the caller `fstat`s it.
///
/// Errors are the kernel's (`ENOENT`, `ENOTDIR`, `ELOOP`, `EACCES`, ...), or `EXDEV` should the
/// kernel find the path leaving `root` (it cannot, given the checks above).
pub fn open_beneath(root: BorrowedFd<'_>, relative: &str) -> io::Result<OwnedFd> {
    check_relative(relative)?;
    if OPENAT2.load(Ordering::Relaxed) != ABSENT {
        match with_openat2(root, relative) {
            Err(err) if openat2_unavailable(&err) => OPENAT2.store(ABSENT, Ordering::Relaxed),
            result => {
                OPENAT2.store(PRESENT, Ordering::Relaxed);
                return result;
            }
        }
    }
    by_components(root, relative)
}

/// `ENOSYS`: a kernel before 5.6; `EPERM`: a seccomp profile that predates the call (no path
/// resolution answers EPERM for a read-only open); `E2BIG`: a kernel that does not know
/// `open_how` at this size.
fn openat2_unavailable(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(libc::ENOSYS | libc::EPERM | libc::E2BIG)
    )
}

fn check_relative(relative: &str) -> io::Result<()> {
    let invalid = |why: &str| {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{why}: {relative:?}"),
        ))
    };
    if relative.is_empty() {
        return Ok(());
    }
    if relative.as_bytes().contains(&0) {
        return invalid("NUL in path");
    }
    if relative.starts_with('/') {
        return invalid("absolute path");
    }
    if relative
        .split('/')
        .any(|segment| matches!(segment, "" | "." | ".."))
    {
        return invalid("empty, `.` or `..` segment");
    }
    Ok(())
}

fn c_path(relative: &str) -> io::Result<CString> {
    // check_relative refused NUL, so this cannot fail; map it anyway rather than unwrap.
    CString::new(if relative.is_empty() { "." } else { relative })
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

fn owned(fd: libc::c_long) -> io::Result<OwnedFd> {
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this descriptor to us and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// The kernel's `struct open_how` (linux/openat2.h); libc's is non-exhaustive, so not buildable.
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

fn with_openat2(root: BorrowedFd<'_>, relative: &str) -> io::Result<OwnedFd> {
    let path = c_path(relative)?;
    let how = OpenHow {
        flags: FILE_FLAGS as u64,
        mode: 0,
        resolve: libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS,
    };
    // SAFETY: `path` is NUL-terminated and `how` is a valid open_how whose size we pass; both
    // outlive the call.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            root.as_raw_fd(),
            path.as_ptr(),
            &how as *const OpenHow,
            std::mem::size_of::<OpenHow>(),
        )
    };
    owned(fd)
}

fn by_components(root: BorrowedFd<'_>, relative: &str) -> io::Result<OwnedFd> {
    if relative.is_empty() {
        return open_at(root.as_raw_fd(), ".", FILE_FLAGS);
    }
    let segments: Vec<&str> = relative.split('/').collect();
    let last = segments.len() - 1;
    let mut dir: Option<OwnedFd> = None;
    for (i, segment) in segments.iter().enumerate() {
        let base = dir.as_ref().map_or(root.as_raw_fd(), |d| d.as_raw_fd());
        let flags = if i == last {
            FILE_FLAGS | libc::O_NOFOLLOW
        } else {
            DIR_FLAGS
        };
        let next =
            open_at(base, segment, flags).map_err(|err| symlink_as_eloop(base, segment, err))?;
        dir = Some(next);
    }
    // The loop ran at least once: `relative` is not empty.
    dir.ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))
}

fn open_at(base: RawFd, segment: &str, flags: libc::c_int) -> io::Result<OwnedFd> {
    let name = c_path(segment)?;
    // SAFETY: `name` is NUL-terminated and outlives the call; `base` is a descriptor we hold.
    owned(unsafe { libc::openat(base, name.as_ptr(), flags) }.into())
}

/// `O_NOFOLLOW | O_DIRECTORY` on a symlink reports `ENOTDIR`; `openat2` reports `ELOOP` for the
/// same tree. Report the symlink the same way on both paths.
fn symlink_as_eloop(base: RawFd, segment: &str, err: io::Error) -> io::Error {
    if err.raw_os_error() != Some(libc::ENOTDIR) {
        return err;
    }
    let Ok(name) = c_path(segment) else {
        return err;
    };
    // SAFETY: `stat` is plain integers, for which all-zero bytes are a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid out-buffer and `name` is NUL-terminated; both outlive the call.
    let rc = unsafe { libc::fstatat(base, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) };
    if rc == 0 && st.st_mode & libc::S_IFMT == libc::S_IFLNK {
        io::Error::from_raw_os_error(libc::ELOOP)
    } else {
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::io::Read;
    use std::os::unix::fs::symlink;
    use std::path::PathBuf;
    use std::sync::atomic::AtomicU32;

    type Opener = fn(BorrowedFd<'_>, &str) -> io::Result<OwnedFd>;
    /// Both resolution paths must behave the same; every test runs on each.
    const OPENERS: [(&str, Opener); 2] = [("openat2", with_openat2), ("components", by_components)];

    /// A fresh tree: root/{a.txt, sub/b.txt, link-file -> a.txt, link-dir -> sub, out -> ../secret}
    /// and secret beside root.
    struct Tree {
        base: PathBuf,
        root: OwnedFd,
    }

    impl Tree {
        fn new() -> Tree {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let base = std::env::temp_dir()
                .join(format!("zephyr-open-beneath-{}-{n}", std::process::id()));
            let _ = fs::remove_dir_all(&base);
            let root = base.join("root");
            fs::create_dir_all(root.join("sub")).unwrap();
            fs::write(root.join("a.txt"), "alpha").unwrap();
            fs::write(root.join("sub/b.txt"), "beta").unwrap();
            fs::write(base.join("secret"), "SECRET").unwrap();
            symlink("a.txt", root.join("link-file")).unwrap();
            symlink("sub", root.join("link-dir")).unwrap();
            symlink("../secret", root.join("out")).unwrap();
            let root = fs::File::open(&root).unwrap().into();
            Tree { base, root }
        }

        fn root(&self) -> BorrowedFd<'_> {
            use std::os::fd::AsFd;
            self.root.as_fd()
        }
    }

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.base);
        }
    }

    fn read(fd: OwnedFd) -> String {
        let mut text = String::new();
        fs::File::from(fd).read_to_string(&mut text).unwrap();
        text
    }

    fn errno(result: io::Result<OwnedFd>) -> i32 {
        result
            .err()
            .and_then(|e| e.raw_os_error())
            .expect("an OS error")
    }

    #[test]
    fn opens_files_beneath_the_root() {
        let tree = Tree::new();
        for (name, open) in OPENERS {
            assert_eq!(read(open(tree.root(), "a.txt").unwrap()), "alpha", "{name}");
            assert_eq!(
                read(open(tree.root(), "sub/b.txt").unwrap()),
                "beta",
                "{name}"
            );
        }
        assert_eq!(
            read(open_beneath(tree.root(), "sub/b.txt").unwrap()),
            "beta"
        );
    }

    #[test]
    fn opens_the_root_itself_for_an_empty_path() {
        let tree = Tree::new();
        for (name, open) in OPENERS {
            let fd = open(tree.root(), "").unwrap();
            let meta = fs::File::from(fd).metadata().unwrap();
            assert!(meta.is_dir(), "{name}");
        }
    }

    #[test]
    fn refuses_every_symlink_with_eloop() {
        let tree = Tree::new();
        for (name, open) in OPENERS {
            assert_eq!(
                errno(open(tree.root(), "link-file")),
                libc::ELOOP,
                "{name}: final link"
            );
            assert_eq!(
                errno(open(tree.root(), "link-dir/b.txt")),
                libc::ELOOP,
                "{name}: link as dir"
            );
            assert_eq!(
                errno(open(tree.root(), "out")),
                libc::ELOOP,
                "{name}: link out of the root"
            );
        }
    }

    #[test]
    fn reports_missing_files_and_files_used_as_directories() {
        let tree = Tree::new();
        for (name, open) in OPENERS {
            assert_eq!(errno(open(tree.root(), "nope")), libc::ENOENT, "{name}");
            assert_eq!(errno(open(tree.root(), "a.txt/x")), libc::ENOTDIR, "{name}");
        }
    }

    #[test]
    fn refuses_paths_that_are_not_plain_relative_ones() {
        let tree = Tree::new();
        for path in [
            "/etc/passwd",
            "../secret",
            "sub/../a.txt",
            "./a.txt",
            "sub//b.txt",
            "a.txt/",
            "a\0b",
        ] {
            let err = open_beneath(tree.root(), path).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{path:?}");
        }
    }

    #[test]
    fn a_fifo_opens_without_waiting_for_a_writer() {
        let tree = Tree::new();
        let fifo = CString::new(tree.base.join("root/pipe").to_str().unwrap()).unwrap();
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        for (name, open) in OPENERS {
            assert!(open(tree.root(), "pipe").is_ok(), "{name}");
        }
    }

    #[test]
    fn a_directory_swapped_for_a_symlink_is_never_followed() {
        let tree = Tree::new();
        let sub = tree.base.join("root/sub");
        fs::remove_dir_all(&sub).unwrap();
        symlink(tree.base.to_str().unwrap(), &sub).unwrap();
        for (name, open) in OPENERS {
            assert_eq!(
                errno(open(tree.root(), "sub/secret")),
                libc::ELOOP,
                "{name}"
            );
        }
    }
}
