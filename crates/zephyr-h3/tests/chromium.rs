//! Headless Chromium (Debian `chromium`) loads a page from the example server over HTTP/3:
//! `--origin-to-force-quic-on` sends it straight to QUIC, and the test certificate is pinned by
//! its SPKI hash (`--ignore-certificate-errors-spki-list`). The page writes its own
//! `PerformanceNavigationTiming.nextHopProtocol` into the DOM, which must say `h3`; Chromium's
//! net-log must also hold an `HTTP3_HEADERS_RECEIVED` event. Chromium comes from
//! `scripts/h3-tools.sh`.

mod support;

use std::process::{Command, Stdio};

fn spki_sha256_base64(cert: &std::path::Path) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(
            "openssl x509 -in \"$1\" -pubkey -noout | openssl pkey -pubin -outform der \
             | openssl dgst -sha256 -binary | base64",
        )
        .arg("sh")
        .arg(cert)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn chromium_loads_a_page_over_h3() {
    let s = support::start();
    let spki = spki_sha256_base64(&s.dir.join("cert.pem"));
    let profile = s.dir.join("chromium-profile");
    let netlog = s.dir.join("netlog.json");
    let origin = format!("127.0.0.1:{}", s.port);
    let out = Command::new("timeout")
        .arg("120")
        .arg("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--origin-to-force-quic-on={origin}"))
        .arg(format!("--ignore-certificate-errors-spki-list={spki}"))
        .arg(format!("--log-net-log={}", netlog.display()))
        .arg("--dump-dom")
        .arg(format!("https://{origin}/page"))
        .stdin(Stdio::null())
        .output()
        .expect("chromium missing: run scripts/h3-tools.sh");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("nextHopProtocol=h3<"),
        "chromium ({}) did not load the page over h3:\n{dom}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // The net-log names event types in its constants and refers to them by number.
    let check = Command::new("python3")
        .arg("-c")
        .arg(
            "import json, sys\n\
             d = json.load(open(sys.argv[1]))\n\
             names = {v: k for k, v in d['constants']['logEventTypes'].items()}\n\
             n = sum(names.get(e['type']) == 'HTTP3_HEADERS_RECEIVED' for e in d['events'])\n\
             print(n)\n\
             sys.exit(0 if n else 1)",
        )
        .arg(&netlog)
        .output()
        .expect("python3");
    assert!(
        check.status.success(),
        "no HTTP3_HEADERS_RECEIVED event in the net-log: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}
