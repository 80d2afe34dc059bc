//! Real HTTP/3 clients against the example server (the endpoint on a blocking std UDP
//! socket): ngtcp2's `gtlsclient` (Debian `ngtcp2-client`), aioquic 1.7.2's example client and
//! libcurl's HTTP/3 through curl_cffi. Each fetches a small and a 10 MiB response and POSTs a
//! 1 MiB body to `/echo`; every body is compared byte for byte.
//!
//! The clients come from `scripts/h3-tools.sh` (idempotent). Where it put the Python venv and
//! aioquic's examples is read from `ZEPHYR_H3_VENV` / `ZEPHYR_H3_AIOQUIC_EXAMPLES`, defaulting
//! to the script's defaults under `~/.cache/zephyr`. A missing client fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;

use support::{start, start_with};

const BIG: usize = 10 << 20;
const POST: usize = 1 << 20;

fn home_cache(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        Path::new(&std::env::var_os("HOME").expect("HOME"))
            .join(".cache/zephyr")
            .join(default)
    })
}

fn python() -> PathBuf {
    let p = home_cache("ZEPHYR_H3_VENV", "h3-venv").join("bin/python");
    assert!(
        p.exists(),
        "{} missing: run scripts/h3-tools.sh",
        p.display()
    );
    p
}

fn aioquic_examples() -> PathBuf {
    let p = home_cache(
        "ZEPHYR_H3_AIOQUIC_EXAMPLES",
        "h3-sdist/aioquic-1.7.2/examples",
    );
    assert!(
        p.join("http3_client.py").exists(),
        "{} missing: run scripts/h3-tools.sh",
        p.display()
    );
    p
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}

/// Runs a client under a deadline; its output is shown when it fails.
fn run(cmd: &mut Command) -> String {
    let mut timed = Command::new("timeout");
    timed.arg("180").arg(cmd.get_program()).args(cmd.get_args());
    let out = timed.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}",
        out.status,
        tail(&text)
    );
    text
}

fn tail(text: &str) -> &str {
    let start = text.len().saturating_sub(4000);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    &text[start..]
}

/// What `GET /bytes/<n>` serves.
fn generated(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'a' + (i % 26) as u8).collect()
}

/// An ASCII body (aioquic's client takes its POST body as text), not periodic like `generated`.
fn post_body(dir: &Path) -> (PathBuf, Vec<u8>) {
    let mut x: u32 = 0x9e37_79b9;
    let body: Vec<u8> = (0..POST)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            b'a' + (x % 26) as u8
        })
        .collect();
    let path = dir.join("post.txt");
    std::fs::write(&path, &body).unwrap();
    (path, body)
}

fn assert_file(path: &Path, want: &[u8]) {
    let got = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(got.len(), want.len(), "{}: size", path.display());
    assert!(got == want, "{}: content differs", path.display());
}

#[test]
fn ngtcp2_gtlsclient() {
    let s = start();
    let (post, body) = post_body(&s.dir);
    let port = s.port.to_string();
    for (path, method, want) in [
        ("/", None, b"Hello, World!".to_vec()),
        ("/bytes/10485760", None, generated(BIG)),
        ("/echo", Some(&post), body.clone()),
    ] {
        let dl = s.dir.join(format!("gtls{}", path.replace('/', "_")));
        std::fs::create_dir_all(&dl).unwrap();
        let mut cmd = Command::new("gtlsclient");
        cmd.args(["-q", "--exit-on-all-streams-close"])
            .arg(format!("--download={}", dl.display()));
        if let Some(post) = method {
            cmd.args(["-m", "POST", "-d"]).arg(post);
        }
        cmd.args([
            "127.0.0.1",
            &port,
            &format!("https://127.0.0.1:{port}{path}"),
        ]);
        run(&mut cmd);
        let name = Path::new(path)
            .file_name()
            .map_or("index.html".into(), |n| n.to_owned());
        assert_file(&dl.join(name), &want);
    }
}

#[test]
fn aioquic_example_client() {
    let s = start();
    let (post, body) = post_body(&s.dir);
    let out = s.dir.join("aioquic");
    std::fs::create_dir_all(&out).unwrap();
    for (path, data, file, want) in [
        ("/", None, "index.html", b"Hello, World!".to_vec()),
        ("/bytes/10485760", None, "10485760", generated(BIG)),
        ("/echo", Some(&post), "echo", body.clone()),
    ] {
        let mut cmd = Command::new(python());
        cmd.arg(fixture("aioquic_client.py"))
            .arg(aioquic_examples());
        cmd.arg("--ca-certs")
            .arg(s.dir.join("cert.pem"))
            .arg("--output-dir")
            .arg(&out);
        if let Some(data) = data {
            cmd.arg("--data-file").arg(data);
        }
        cmd.arg(format!("https://127.0.0.1:{}{path}", s.port));
        let log = run(&mut cmd);
        assert!(
            log.contains("ALPN negotiated protocol h3"),
            "{}",
            tail(&log)
        );
        assert_file(&out.join(file), &want);
    }
}

#[test]
fn libcurl_via_curl_cffi() {
    let s = start();
    let (post, body) = post_body(&s.dir);
    for (path, data, want) in [
        ("/", None, b"Hello, World!".to_vec()),
        ("/bytes/10485760", None, generated(BIG)),
        ("/echo", Some(&post), body.clone()),
    ] {
        let out = s.dir.join(format!("curl{}", path.replace('/', "_")));
        let mut cmd = Command::new(python());
        cmd.arg(fixture("curl_h3.py"))
            .arg(format!("https://127.0.0.1:{}{path}", s.port))
            .arg(s.dir.join("cert.pem"))
            .arg(&out);
        if let Some(data) = data {
            cmd.arg(data);
        }
        let log = run(&mut cmd);
        assert!(
            log.contains(&format!("status 200 http_version 30 bytes {}", want.len())),
            "{log}"
        );
        assert_file(&out, &want);
    }
}

/// With `--retry` every new connection first gets a Retry packet (address validation); real
/// clients must come back with the token and be served.
#[test]
fn clients_follow_retry() {
    let s = start_with(&["--retry"]);
    let url = format!("https://127.0.0.1:{}/", s.port);
    let out = s.dir.join("curl-retry");
    let mut curl = Command::new(python());
    curl.arg(fixture("curl_h3.py"))
        .arg(&url)
        .arg(s.dir.join("cert.pem"))
        .arg(&out);
    let log = run(&mut curl);
    assert!(log.contains("status 200 http_version 30 bytes 13"), "{log}");
    assert_file(&out, b"Hello, World!");
    let dl = s.dir.join("gtls-retry");
    std::fs::create_dir_all(&dl).unwrap();
    let port = s.port.to_string();
    let mut gtls = Command::new("gtlsclient");
    gtls.args(["--exit-on-all-streams-close"])
        .arg(format!("--download={}", dl.display()))
        .args(["127.0.0.1", &port, &url]);
    let log = run(&mut gtls);
    // ngtcp2 logs the Retry it received, then the request succeeds on the new connection.
    assert!(
        log.contains("type=Retry"),
        "no Retry seen by gtlsclient:\n{}",
        tail(&log)
    );
    assert!(
        log.contains("retry_source_connection_id="),
        "{}",
        tail(&log)
    );
    assert_file(&dl.join("index.html"), b"Hello, World!");
}

/// aioquic's client runs all its URLs at once on one connection: 50 concurrent streams of
/// about 100 KB each, every one checked.
#[test]
fn aioquic_fifty_concurrent_streams_on_one_connection() {
    let s = start();
    let out = s.dir.join("aioquic-50");
    std::fs::create_dir_all(&out).unwrap();
    let sizes: Vec<usize> = (100_000..100_050).collect();
    let mut cmd = Command::new(python());
    cmd.arg(fixture("aioquic_client.py"))
        .arg(aioquic_examples());
    cmd.arg("--ca-certs")
        .arg(s.dir.join("cert.pem"))
        .arg("--output-dir")
        .arg(&out);
    for n in &sizes {
        cmd.arg(format!("https://127.0.0.1:{}/bytes/{n}", s.port));
    }
    let log = run(&mut cmd);
    assert_eq!(
        log.matches("Response received for GET").count(),
        50,
        "{}",
        tail(&log)
    );
    assert_eq!(
        log.matches("Connection close sent").count(),
        1,
        "one connection: {}",
        tail(&log)
    );
    for n in sizes {
        assert_file(&out.join(n.to_string()), &generated(n));
    }
}

/// HEAD gets the GET's head and no body: nghttp3 (inside gtlsclient) closes the connection
/// with H3_MESSAGE_ERROR when a HEAD response carries one.
#[test]
fn gtlsclient_head() {
    let s = start();
    let port = s.port.to_string();
    let url = format!("https://127.0.0.1:{port}/");
    let mut cmd = Command::new("gtlsclient");
    cmd.args([
        "-m",
        "HEAD",
        "--exit-on-all-streams-close",
        "127.0.0.1",
        &port,
        &url,
    ]);
    let log = run(&mut cmd);
    assert!(
        log.contains("[:status: 200]") && log.contains("[content-length: 13]"),
        "{}",
        tail(&log)
    );
    assert!(!log.contains("MALFORMED"), "{}", tail(&log));
    assert!(
        log.contains("CONNECTION_CLOSE(0x1d) error_code=(unknown)(0x100)"),
        "{}",
        tail(&log)
    );
}
