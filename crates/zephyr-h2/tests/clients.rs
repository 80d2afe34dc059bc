//! Real HTTP/2 clients against the example server (the core on blocking sockets): curl
//! (`--http2-prior-knowledge` and `--http2` over TLS), nghttp (Debian `nghttp2-client`), and
//! Node's `http2.connect`, with bodies large enough that flow control has to work both ways.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zephyr-h2-clients-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn start(tls: bool) -> Server {
    let exe = std::env::current_exe().unwrap();
    let server = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/h2_server");
    assert!(server.exists(), "example not built at {}", server.display());
    // One file per server: the tests run in parallel, each with its own servers.
    static STARTED: AtomicUsize = AtomicUsize::new(0);
    let n = STARTED.fetch_add(1, Ordering::Relaxed);
    let port_file = scratch(&format!("port-{n}"));
    let _ = std::fs::remove_file(&port_file);
    let mut cmd = Command::new(server);
    cmd.args(["--port", "0", "--port-file"]).arg(&port_file);
    if tls {
        cmd.arg("--tls");
    }
    // Owned by a `Server` at once, so its Drop kills and reaps the child on every path.
    let mut server = Server {
        child: cmd.stderr(Stdio::null()).spawn().unwrap(),
        port: 0,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(s) = std::fs::read_to_string(&port_file) {
            if let Ok(port) = s.trim().parse() {
                server.port = port;
                return server;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the example server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn body_file(len: usize) -> (PathBuf, Vec<u8>) {
    let body: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
    let path = scratch(&format!("body-{len}"));
    std::fs::File::create(&path)
        .unwrap()
        .write_all(&body)
        .unwrap();
    (path, body)
}

fn curl(args: &[&str], url: &str) -> Vec<u8> {
    run(Command::new("curl")
        .args(["-sS", "--max-time", "60"])
        .args(args)
        .arg(url))
}

#[test]
fn curl_over_h2c_prior_knowledge_and_tls_alpn() {
    let (path, body) = body_file(3 << 20);
    let data = format!("@{}", path.display());
    for tls in [false, true] {
        let server = start(tls);
        let (flag, url) = if tls {
            ("--http2", format!("https://127.0.0.1:{}", server.port))
        } else {
            (
                "--http2-prior-knowledge",
                format!("http://127.0.0.1:{}", server.port),
            )
        };
        let got = curl(
            &[flag, "-k", "-w", "\n%{http_version} %{response_code}"],
            &format!("{url}/"),
        );
        assert_eq!(String::from_utf8(got).unwrap(), "Hello, World!\n2 200");
        // 3 MiB up and back: past every initial window, both directions.
        let echoed = curl(
            &[flag, "-k", "--data-binary", &data],
            &format!("{url}/echo"),
        );
        assert!(
            echoed == body,
            "echo of {} bytes came back as {}",
            body.len(),
            echoed.len()
        );
    }
}

fn nghttp_available() -> bool {
    Command::new("nghttp").arg("--version").output().is_ok()
}

#[test]
fn nghttp_many_concurrent_streams_h2c_and_tls() {
    assert!(
        nghttp_available(),
        "nghttp is missing: apt-get install nghttp2-client"
    );
    let (path, body) = body_file(200_000);
    for tls in [false, true] {
        let server = start(tls);
        let scheme = if tls { "https" } else { "http" };
        let url = format!("{scheme}://127.0.0.1:{}/echo", server.port);
        // 20 concurrent uploads on one connection, each echoed.
        let out = run(Command::new("nghttp")
            .args(["-t", "60", "-m", "20", "-d"])
            .arg(&path)
            .arg(&url));
        // nghttp prints each stream's data as it arrives, interleaved: compare byte counts.
        assert_eq!(histogram(&out), histogram(&body).map(|n| n * 20));
    }
}

fn histogram(bytes: &[u8]) -> [usize; 256] {
    let mut h = [0; 256];
    for &b in bytes {
        h[usize::from(b)] += 1;
    }
    h
}

const NODE_CLIENT: &str = r#"
const http2 = require('node:http2');
const [url, streams, size] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const client = http2.connect(url, { rejectUnauthorized: false });
client.on('error', (e) => { console.error(e); process.exit(1); });
const body = Buffer.alloc(size, 'z');
let ok = 0;
const one = () => new Promise((resolve, reject) => {
  const req = client.request({ ':method': 'POST', ':path': '/echo' });
  const chunks = [];
  req.on('response', (h) => { if (h[':status'] !== 200) reject(new Error('status ' + h[':status'])); });
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => { Buffer.concat(chunks).equals(body) ? resolve() : reject(new Error('bad echo')); });
  req.on('error', reject);
  req.end(body);
});
Promise.all(Array.from({ length: streams }, one)).then(() => {
  return new Promise((resolve) => {
    const req = client.request({ ':path': '/' });
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { text += c; });
    req.on('end', () => { console.log(text); resolve(); });
  });
}).then(() => client.close(), (e) => { console.error(e); process.exit(1); });
"#;

fn node(url: &str, streams: u32, size: u32) -> String {
    let out = run(Command::new("node")
        .arg("-e")
        .arg(NODE_CLIENT)
        .arg(url)
        .arg(streams.to_string())
        .arg(size.to_string())
        .env("NODE_TLS_REJECT_UNAUTHORIZED", "0"));
    String::from_utf8(out).unwrap()
}

#[test]
fn node_http2_connect_h2c_and_tls() {
    for tls in [false, true] {
        let server = start(tls);
        let scheme = if tls { "https" } else { "http" };
        let url = format!("{scheme}://127.0.0.1:{}", server.port);
        // 100 streams at once (under the 128 limit), 100 KB each way.
        assert_eq!(node(&url, 100, 100_000), "Hello, World!\n");
    }
}
