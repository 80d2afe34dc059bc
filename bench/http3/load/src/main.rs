//! The load client of `bench/http3`: the same client code for HTTP/3, HTTP/2 over TLS and
//! HTTP/1.1 over TLS, so the ratios it gives compare the protocols (and servers), not tools.
//! Debian's `h2load` is built without HTTP/3, and no HTTP/3 load generator installs from a
//! registry here; this one is quinn + h3 for HTTP/3 and hyper + rustls for the other two, all on
//! one thread (a tokio current-thread runtime) so it takes one core of the machine.
//!
//! ```sh
//! zephyr-bench-h3-load --proto h3|h2|h1 --addr 127.0.0.1:4433 [--server-name localhost]
//!     load:     --connections 10 --streams 10 --duration 10 --path /
//!     transfer: --transfer --count 10 --path /bytes/10485760
//! ```
//!
//! Prints one JSON object on stdout. Load: requests, errors, seconds, requests/s, latency p50 and
//! p99 (µs), response bytes. Transfer: the time per transfer (median, min; sequential requests on
//! one connection, after one warm-up transfer) and the bytes of each. Both give the client's own
//! CPU seconds over the measured part (`client_cpu_s`): near 1 per second, the client set the pace.

mod client;
mod stats;
mod tls;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use client::{connect, BoxError, Handle, Proto, Target};
use stats::{median, Latencies};

/// A run still going this long after its duration ends is reported as hung.
const GRACE: Duration = Duration::from_secs(30);

struct Args {
    proto: Proto,
    target: Target,
    path: String,
    connections: usize,
    streams: usize,
    duration: Duration,
    transfer: bool,
    count: usize,
}

fn usage(msg: &str) -> ! {
    eprintln!(
        "zephyr-bench-h3-load: {msg}\n\
         usage: zephyr-bench-h3-load --proto h3|h2|h1 --addr IP:PORT [--server-name NAME] [--path /]\n\
         \x20 [--connections N] [--streams M] [--duration S]   requests/s and latency\n\
         \x20 [--transfer --count K]                          time per response of --path"
    );
    std::process::exit(2);
}

fn positive(name: &str, value: &str) -> usize {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => n,
        _ => usage(&format!(
            "--{name} must be a positive integer, got {value:?}"
        )),
    }
}

fn parse_args() -> Args {
    let mut proto = None;
    let mut addr: Option<SocketAddr> = None;
    let mut server_name = None;
    let mut args = Args {
        proto: Proto::H3,
        target: Target {
            addr: ([127, 0, 0, 1], 0).into(),
            server_name: String::new(),
            authority: String::new(),
        },
        path: "/".into(),
        connections: 10,
        streams: 10,
        duration: Duration::from_secs(10),
        transfer: false,
        count: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--transfer" {
            args.transfer = true;
            continue;
        }
        let value = it
            .next()
            .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--proto" => {
                proto =
                    Some(Proto::parse(&value).unwrap_or_else(|| usage("--proto is h3, h2 or h1")))
            }
            "--addr" => addr = Some(value.parse().unwrap_or_else(|_| usage("--addr is IP:PORT"))),
            "--server-name" => server_name = Some(value),
            "--path" if value.starts_with('/') => args.path = value,
            "--path" => usage("--path starts with /"),
            "--connections" => args.connections = positive("connections", &value),
            "--streams" => args.streams = positive("streams", &value),
            "--duration" => {
                args.duration = Duration::from_secs(positive("duration", &value) as u64)
            }
            "--count" => args.count = positive("count", &value),
            _ => usage(&format!("unknown argument {flag}")),
        }
    }
    args.proto = proto.unwrap_or_else(|| usage("--proto is required"));
    let addr = addr.unwrap_or_else(|| usage("--addr is required"));
    args.target = Target {
        addr,
        server_name: server_name.unwrap_or_else(|| addr.ip().to_string()),
        authority: addr.to_string(),
    };
    if args.transfer {
        args.connections = 1;
        args.streams = 1;
    }
    if args.proto == Proto::H1 && args.streams != 1 {
        usage("HTTP/1.1 has one request in flight per connection: --streams 1");
    }
    args
}

fn main() {
    let args = parse_args();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let outcome = runtime.block_on(async {
        let limit = if args.transfer {
            // Generous: 10 MiB a few times over a slow, loaded loopback.
            Duration::from_secs(30 * (args.count as u64 + 1))
        } else {
            args.duration
        } + GRACE;
        match tokio::time::timeout(limit, run(&args)).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "hung: no result {}s after the run should have ended",
                GRACE.as_secs()
            )
            .into()),
        }
    });
    match outcome {
        Ok(json) => println!("{json}"),
        Err(err) => {
            eprintln!("zephyr-bench-h3-load ({}): {err}", args.proto.name());
            std::process::exit(1);
        }
    }
}

async fn run(args: &Args) -> Result<String, BoxError> {
    if args.transfer {
        transfer(args).await
    } else {
        load(args).await
    }
}

/// What one stream's worker did.
#[derive(Default)]
struct Tally {
    ok: u64,
    errors: u64,
    bytes: u64,
    latencies: Latencies,
    first_error: Option<String>,
}

async fn worker(mut handle: Handle, target: Target, path: String, deadline: Instant) -> Tally {
    let mut tally = Tally::default();
    while Instant::now() < deadline {
        let started = Instant::now();
        match handle.get(&target, &path).await {
            Ok(r) if r.status == 200 => {
                tally.ok += 1;
                tally.bytes += r.bytes;
                tally.latencies.record(started.elapsed().as_micros());
            }
            Ok(r) => {
                tally.errors += 1;
                tally
                    .first_error
                    .get_or_insert(format!("status {}", r.status));
            }
            Err(err) => {
                // The stream or its connection failed: this worker stops, the others go on.
                tally.errors += 1;
                tally.first_error.get_or_insert(err.to_string());
                break;
            }
        }
    }
    tally
}

/// Every connection is open before the clock starts; then each stream sends requests back to
/// back until the duration ends (requests in flight then are finished and counted).
async fn load(args: &Args) -> Result<String, BoxError> {
    let mut connections = Vec::with_capacity(args.connections);
    let mut handles = Vec::new();
    for _ in 0..args.connections {
        let (conn, h) = connect(args.proto, &args.target, args.streams).await?;
        connections.push(conn);
        handles.extend(h);
    }
    let started = Instant::now();
    let cpu_before = own_cpu_seconds();
    let deadline = started + args.duration;
    let tasks: Vec<_> = handles
        .into_iter()
        .map(|h| tokio::spawn(worker(h, args.target.clone(), args.path.clone(), deadline)))
        .collect();
    let mut total = Tally::default();
    for task in tasks {
        let t = task.await?;
        total.ok += t.ok;
        total.errors += t.errors;
        total.bytes += t.bytes;
        total.latencies.merge(t.latencies);
        if total.first_error.is_none() {
            total.first_error = t.first_error;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = own_cpu_seconds() - cpu_before;
    for conn in connections {
        conn.close().await;
    }
    debug_assert_eq!(total.latencies.len() as u64, total.ok);
    Ok(format!(
        "{{\"mode\":\"load\",\"proto\":\"{}\",\"connections\":{},\"streams\":{},\"requests\":{},\"errors\":{},\"first_error\":{},\"seconds\":{:.3},\"rps\":{:.1},\"p50_us\":{},\"p99_us\":{},\"bytes\":{},\"client_cpu_s\":{:.2}}}",
        args.proto.name(),
        args.connections,
        args.streams,
        total.ok,
        total.errors,
        json_string(total.first_error.as_deref()),
        seconds,
        total.ok as f64 / seconds,
        total.latencies.quantile(0.5),
        total.latencies.quantile(0.99),
        total.bytes,
        cpu,
    ))
}

/// Sequential GETs of `--path` on one connection: one warm-up, then `--count` timed ones.
async fn transfer(args: &Args) -> Result<String, BoxError> {
    let (conn, mut handles) = connect(args.proto, &args.target, 1).await?;
    let mut handle = handles.pop().expect("one handle");
    let cpu_before = own_cpu_seconds();
    let mut seconds = Vec::with_capacity(args.count);
    let mut bytes = None;
    for i in 0..=args.count {
        let started = Instant::now();
        let r = handle.get(&args.target, &args.path).await?;
        let took = started.elapsed().as_secs_f64();
        if r.status != 200 {
            return Err(format!("{} answered {}", args.path, r.status).into());
        }
        match bytes {
            None => bytes = Some(r.bytes),
            Some(b) if b != r.bytes => {
                return Err(format!("{} was {b} bytes, then {}", args.path, r.bytes).into())
            }
            Some(_) => {}
        }
        if i > 0 {
            seconds.push(took);
        }
    }
    conn.close().await;
    let min = seconds.iter().copied().fold(f64::INFINITY, f64::min);
    let med = median(&mut seconds);
    let bytes = bytes.unwrap_or(0);
    Ok(format!(
        "{{\"mode\":\"transfer\",\"proto\":\"{}\",\"count\":{},\"bytes\":{},\"median_ms\":{:.2},\"min_ms\":{:.2},\"mib_per_s\":{:.1},\"client_cpu_s\":{:.2}}}",
        args.proto.name(),
        args.count,
        bytes,
        med * 1e3,
        min * 1e3,
        bytes as f64 / (1 << 20) as f64 / med,
        own_cpu_seconds() - cpu_before,
    ))
}

/// CPU seconds (user + system) this process has used, from `/proc/self/stat` (0 where absent):
/// a client near 1 CPU-second per second set the pace, not the server.
fn own_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // After the command name (which may hold spaces), utime and stime are fields 12 and 13.
    let fields: Vec<&str> = stat[stat.rfind(") ").map_or(0, |i| i + 2)..]
        .split(' ')
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // USER_HZ is 100 on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

/// `s` as a JSON string literal, or `null`.
fn json_string(s: Option<&str>) -> String {
    let Some(s) = s else {
        return "null".into();
    };
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
