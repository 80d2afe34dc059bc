//! h2spec v2.2.1, every case, against the example server: h2c prior knowledge and h2 over TLS,
//! each normal (145 cases) and strict (146). `scripts/h2spec.sh` installs h2spec when missing
//! (Go module proxy) and fails on any failed case; this test runs it on the example binary that
//! `cargo test` built, and checks the four totals itself too.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn h2spec_passes_every_case_h2c_and_tls_normal_and_strict() {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/h2spec-<hash> → target/<profile>/examples/h2_server
    let server = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("examples").join("h2_server"))
        .expect("target layout");
    assert!(server.exists(), "example not built at {}", server.display());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("bash")
        .arg(root.join("scripts/h2spec.sh"))
        .env("H2_SERVER", &server)
        .output()
        .expect("run scripts/h2spec.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "h2spec failed:\n{stdout}\n{stderr}");
    for line in [
        "h2c: 145 tests, 145 passed, 0 skipped, 0 failed",
        "h2c-strict: 146 tests, 146 passed, 0 skipped, 0 failed",
        "tls: 145 tests, 145 passed, 0 skipped, 0 failed",
        "tls-strict: 146 tests, 146 passed, 0 skipped, 0 failed",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "missing {line:?} in:\n{stdout}"
        );
    }
}
