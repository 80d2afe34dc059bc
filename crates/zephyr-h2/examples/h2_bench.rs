//! Micro-benchmark: the protocol work of one typical request/response, HTTP/2 through this core
//! versus HTTP/1.1 through the engine's own parser and response writer (`zephyr-uring`), the
//! baseline every h2 request is compared with in the engine. Also HPACK alone: decoding a first
//! (Huffman-coded, unindexed) browser request block and encoding a response block, each with
//! fresh tables.
//!
//! ```sh
//! cargo run --release -p zephyr-h2 --example h2_bench            # BENCH_ITERS=200000 by default
//! ```
//!
//! A figure taken on a shared machine is not a figure of record: the lead re-runs it idle.

use std::hint::black_box;
use std::time::Instant;

use zephyr_h2::hpack::{Decoder, Encoder};
use zephyr_h2::{H2Config, H2Connection, H2Event};
use zephyr_uring::http1::{
    parse_request_head, write_response_head, HeadLimits, RequestHead, ResponseFraming, Version,
};

const FIELDS: [(&str, &str); 8] = [
    ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"),
    ("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    ("accept-encoding", "gzip, deflate, br"),
    ("accept-language", "en-US,en;q=0.9"),
    ("cache-control", "no-cache"),
    ("sec-fetch-mode", "navigate"),
    ("sec-fetch-site", "none"),
    ("cookie", "session=3f2a9c1e; theme=dark"),
];
const DATE: &[u8] = b"Tue, 01 Dec 2026 18:00:00 GMT";
const BODY: &[u8] = b"Hello, World!";

fn response_fields() -> [(&'static [u8], &'static [u8]); 3] {
    [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"date", DATE),
        (b"content-length", b"13"),
    ]
}

fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    zephyr_h2::frame::write_header(&mut out, payload.len(), kind, flags, stream);
    out.extend_from_slice(payload);
    out
}

fn request_block(enc: &mut Encoder) -> Vec<u8> {
    let mut block = Vec::new();
    enc.begin_block(&mut block);
    for (n, v) in [
        (":method", "GET"),
        (":scheme", "https"),
        (":authority", "example.com"),
        (":path", "/"),
    ]
    .iter()
    .chain(FIELDS.iter())
    {
        enc.encode(n.as_bytes(), v.as_bytes(), &mut block);
    }
    block
}

/// One request per `receive`, answered with a head and a 13-byte body; per request, ns.
fn bench_h2(iters: u32) -> f64 {
    let mut conn = H2Connection::new(H2Config::default()).unwrap();
    let mut start = zephyr_h2::frame::PREFACE.to_vec();
    start.extend(h2_frame(4, 0, 0, &[]));
    conn.receive(&start);
    let n = conn.pending_output().len();
    conn.consume_output(n);
    // The wire for every request, encoded ahead: a client's table makes all but the first
    // request almost fully indexed, as browsers' are.
    let mut enc = Encoder::new();
    let frames: Vec<Vec<u8>> = (0..iters)
        .map(|i| h2_frame(1, 0x5, 2 * i + 1, &request_block(&mut enc)))
        .collect();
    let fields = response_fields();
    let mut written = 0usize;
    let t = Instant::now();
    for f in &frames {
        conn.receive(f);
        while let Some(event) = conn.poll_event() {
            if let H2Event::Request {
                stream, headers, ..
            } = event
            {
                black_box(&headers);
                conn.send_headers(stream, 200, &fields, false).unwrap();
                conn.send_data(stream, BODY, true).unwrap();
            }
        }
        let out = conn.pending_output();
        written += black_box(out).len();
        let n = out.len();
        conn.consume_output(n);
    }
    let ns = t.elapsed().as_nanos() as f64 / f64::from(iters);
    assert!(written > 0);
    ns
}

fn bench_h1(iters: u32) -> f64 {
    let mut req = b"GET / HTTP/1.1\r\nHost: example.com\r\n".to_vec();
    for (n, v) in FIELDS {
        req.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    let limits = HeadLimits::default();
    let mut head = RequestHead::new();
    let fields = response_fields();
    let mut out = Vec::new();
    let t = Instant::now();
    for _ in 0..iters {
        parse_request_head(black_box(&req), &limits, &mut head).unwrap();
        black_box(&head);
        out.clear();
        write_response_head(
            &mut out,
            Version::Http11,
            200,
            &fields[..2],
            ResponseFraming::Length(13),
            true,
            DATE,
        );
        out.extend_from_slice(BODY);
        black_box(&out);
    }
    t.elapsed().as_nanos() as f64 / f64::from(iters)
}

fn bench_hpack_decode_first(iters: u32) -> f64 {
    let block = request_block(&mut Encoder::new());
    let mut fields = Vec::new();
    let t = Instant::now();
    for _ in 0..iters {
        fields.clear();
        let mut d = Decoder::new(4096);
        d.decode(black_box(&block), 1 << 16, &mut fields).unwrap();
        black_box(&fields);
    }
    t.elapsed().as_nanos() as f64 / f64::from(iters)
}

fn bench_hpack_encode_first(iters: u32) -> f64 {
    let fields = response_fields();
    let mut block = Vec::new();
    let t = Instant::now();
    for _ in 0..iters {
        block.clear();
        let mut e = Encoder::new();
        e.encode(b":status", b"200", &mut block);
        for (n, v) in fields {
            e.encode(n, v, &mut block);
        }
        black_box(&block);
    }
    t.elapsed().as_nanos() as f64 / f64::from(iters)
}

fn main() {
    let iters: u32 = std::env::var("BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    // Warm-up, then the measured runs.
    bench_h2(iters / 10);
    bench_h1(iters / 10);
    let h2 = bench_h2(iters);
    let h1 = bench_h1(iters);
    let dec = bench_hpack_decode_first(iters);
    let enc = bench_hpack_encode_first(iters);
    println!("iterations: {iters}");
    println!("h2 request+response (zephyr-h2, one connection): {h2:8.1} ns/req");
    println!("h1 request+response (zephyr-uring http1)        : {h1:8.1} ns/req");
    println!(
        "ratio h2/h1                                     : {:8.2}x",
        h2 / h1
    );
    println!("HPACK decode, first request block (12 fields)   : {dec:8.1} ns");
    println!("HPACK encode, first response block (4 fields)   : {enc:8.1} ns");
}
