//! Shared by the tests that run `examples/h3_server.rs` as a child process.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The example server with a fresh certificate (`dir/cert.pem`, `dir/key.pem`).
pub struct Server {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh folder per server: the tests run in parallel.
fn scratch() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("zephyr-h3-clients-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn start() -> Server {
    start_with(&[])
}

/// The example server with extra arguments (e.g. `--retry`).
pub fn start_with(extra: &[&str]) -> Server {
    let exe = std::env::current_exe().unwrap();
    let server = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/h3_server");
    assert!(server.exists(), "example not built at {}", server.display());
    let dir = scratch();
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    std::fs::write(dir.join("cert.pem"), ck.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), ck.key_pair.serialize_pem()).unwrap();
    let port_file = dir.join("port");
    let child = Command::new(server)
        .args(["--port", "0", "--port-file"])
        .arg(&port_file)
        .arg("--cert")
        .arg(dir.join("cert.pem"))
        .arg("--key")
        .arg(dir.join("key.pem"))
        .args(extra)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Owned by a `Server` at once, so its Drop kills and reaps the child on every path.
    let mut server = Server {
        child,
        port: 0,
        dir,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(port) = std::fs::read_to_string(&port_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            server.port = port;
            return server;
        }
        assert!(
            Instant::now() < deadline,
            "the example server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
