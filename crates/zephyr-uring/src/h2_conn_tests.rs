//! The stream ↔ exchange mapping as a specification, without a socket: a scripted client
//! writes frames, the tests read the sink's events and the frames queued for the socket.

use super::*;
use crate::http1::HeadLimits;
use crate::protocol::commands::Fields;
use zephyr_h2::frame::{flag, kind, setting, write_header, write_settings, FrameHeader, PREFACE};
use zephyr_h2::hpack::Encoder;

const ID: ConnId = ConnId { index: 3, gen: 7 };
const LIMITS: ConnLimits = ConnLimits {
    head: HeadLimits {
        max_head_bytes: 16384,
        max_headers: 100,
        max_url_len: 8192,
    },
    max_body_bytes: 1 << 20,
    header_timeout_ms: 1000,
    keep_alive_timeout_ms: 1000,
    request_timeout_ms: 5000,
    max_pipelined: 16,
    max_unsent_bytes: 1 << 20,
    write_timeout_ms: 1000,
};

#[derive(Default)]
struct Sink {
    log: Vec<String>,
    /// Refuse every event while set (a full events buffer).
    full: bool,
}

impl EventSink for Sink {
    fn request(&mut self, _: ConnId, seq: u32, req: &RequestEvent<'_>) -> bool {
        if self.full {
            return false;
        }
        let h = req.head;
        let fields: Vec<String> = h
            .headers
            .iter()
            .map(|&(n, v)| {
                format!(
                    "{}={}",
                    String::from_utf8_lossy(h.slice(req.buf, n)),
                    String::from_utf8_lossy(h.slice(req.buf, v))
                )
            })
            .collect();
        self.log.push(format!(
            "request {seq} {:?} {} {} [{}] body_follows={}",
            h.version,
            String::from_utf8_lossy(h.slice(req.buf, h.method)),
            String::from_utf8_lossy(h.slice(req.buf, h.target)),
            fields.join(" "),
            req.body_follows
        ));
        true
    }
    fn has_room(&self, _: usize) -> bool {
        !self.full
    }
    fn body(&mut self, _: ConnId, seq: u32, chunk: &[u8], last: bool) {
        self.log.push(format!("body {seq} {} {last}", chunk.len()));
    }
    fn body_error(&mut self, _: ConnId, seq: u32, status: u16) {
        self.log.push(format!("body_error {seq} {status}"));
    }
    fn aborted(&mut self, _: ConnId) {
        self.log.push("aborted".into());
    }
    fn stream_aborted(&mut self, _: ConnId, seq: u32) {
        self.log.push(format!("stream_aborted {seq}"));
    }
    fn drained(&mut self, _: ConnId, seq: u32) {
        self.log.push(format!("drained {seq}"));
    }
    fn file_sent(&mut self, _: ConnId, seq: u32, error: i32) {
        self.log.push(format!("file_sent {seq} {error}"));
    }
}

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    write_header(&mut out, payload.len(), kind, flags, stream);
    out.extend_from_slice(payload);
    out
}

struct Client {
    conn: H2Conn,
    sink: Sink,
    enc: Encoder,
}

/// What the server sent, frame by frame: `(kind, flags, stream, payload)`.
type Sent = Vec<(u8, u8, u32, Vec<u8>)>;

impl Client {
    fn new(config: H2Config) -> Client {
        let mut conn = H2Conn::new(ID, config, 1000, &LIMITS, 0).unwrap();
        let mut sink = Sink::default();
        let mut wire = PREFACE.to_vec();
        write_settings(&mut wire, &[]);
        conn.receive(&wire, &mut sink, &LIMITS, b"D", 0);
        let mut client = Client {
            conn,
            sink,
            enc: Encoder::new(),
        };
        let first = client.read();
        assert_eq!(first[0].0, kind::SETTINGS);
        client.send(&frame(kind::SETTINGS, flag::ACK, 0, &[]));
        client
    }

    fn send(&mut self, wire: &[u8]) {
        self.conn.receive(wire, &mut self.sink, &LIMITS, b"D", 0);
    }

    fn request(&mut self, stream: u32, method: &str, path: &str, end: bool) {
        let mut block = Vec::new();
        self.enc.begin_block(&mut block);
        for (n, v) in [
            (":method", method),
            (":scheme", "https"),
            (":authority", "example.test"),
            (":path", path),
            ("accept", "*/*"),
        ] {
            self.enc.encode(n.as_bytes(), v.as_bytes(), &mut block);
        }
        let flags = flag::END_HEADERS | if end { flag::END_STREAM } else { 0 };
        self.send(&frame(kind::HEADERS, flags, stream, &block));
    }

    /// Everything queued for the socket, as the kernel would take it.
    fn read(&mut self) -> Sent {
        let all = self.conn.output().drain();
        let mut frames = Vec::new();
        let mut at = 0;
        while at < all.len() {
            let h = FrameHeader::parse(all[at..at + 9].try_into().unwrap());
            let end = at + 9 + h.len as usize;
            frames.push((h.kind, h.flags, h.stream, all[at + 9..end].to_vec()));
            at = end;
        }
        frames
    }

    /// Lets the loop hand over what was decided outside `process` (as `service` does).
    fn wake(&mut self) {
        if self.conn.take_unblocked(&LIMITS) {
            self.conn.retry_input(&mut self.sink, &LIMITS, b"D", 0);
        }
    }
}

fn start(status: u16, fields: &(Vec<u8>, Vec<u8>), length: Option<u64>) -> ResponseStart<'_> {
    ResponseStart {
        status,
        fields: Fields::parts(&fields.0, &fields.1),
        length,
    }
}

#[test]
fn each_stream_is_a_request_named_by_its_id_and_answered_on_it() {
    let mut c = Client::new(H2Config::default());
    c.request(1, "GET", "/a?x=1", true);
    c.request(3, "GET", "/b", true);
    assert_eq!(
        c.sink.log,
        [
            "request 1 Http2 GET /a?x=1 [host=example.test accept=*/*] body_follows=false",
            "request 3 Http2 GET /b [host=example.test accept=*/*] body_follows=false",
        ]
    );
    // Answered out of order: streams are independent.
    let fields = Fields::encode(&[(b"Content-Type", b"text/plain"), (b"Connection", b"close")]);
    c.conn.respond(
        3,
        &start(200, &fields, Some(1)),
        Payload::Bytes(b"B"),
        true,
        false,
        b"D",
    );
    c.conn.respond(
        1,
        &start(404, &fields, Some(1)),
        Payload::Bytes(b"A"),
        true,
        false,
        b"D",
    );
    let sent: Vec<(u8, u8, u32)> = c
        .read()
        .into_iter()
        .filter(|f| f.0 != kind::SETTINGS)
        .map(|f| (f.0, f.1, f.2))
        .collect();
    assert_eq!(
        sent,
        [
            (kind::HEADERS, flag::END_HEADERS, 3),
            (kind::DATA, flag::END_STREAM, 3),
            (kind::HEADERS, flag::END_HEADERS, 1),
            (kind::DATA, flag::END_STREAM, 1),
        ]
    );
    assert!(!c.conn.has_open_work(), "both exchanges are over");
}

#[test]
fn a_head_request_gets_the_head_alone() {
    let mut c = Client::new(H2Config::default());
    c.request(1, "HEAD", "/", true);
    c.read();
    let fields = Fields::encode(&[]);
    c.conn.respond(
        1,
        &start(200, &fields, Some(5)),
        Payload::Bytes(b"hello"),
        true,
        false,
        b"D",
    );
    let sent = c.read();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].0, sent[0].1),
        (kind::HEADERS, flag::END_HEADERS | flag::END_STREAM)
    );
}

#[test]
fn a_paused_reader_closes_the_stream_window_and_resuming_opens_it() {
    let mut c = Client::new(H2Config::default());
    c.request(1, "POST", "/upload", false);
    c.conn.set_stream_paused(1, true);
    for _ in 0..3 {
        c.send(&frame(kind::DATA, 0, 1, &[7; 13_000]));
    }
    assert_eq!(c.sink.log.last().unwrap(), "body 1 13000 false");
    let updates = |sent: &Sent, stream: u32| {
        sent.iter()
            .filter(|f| f.0 == kind::WINDOW_UPDATE && f.2 == stream)
            .count()
    };
    let sent = c.read();
    assert_eq!(
        updates(&sent, 1),
        0,
        "JS has not read it: no window for the client"
    );
    c.conn.set_stream_paused(1, false);
    let sent = c.read();
    assert_eq!(updates(&sent, 1), 1, "read now: the stream's window opens");
}

#[test]
fn a_response_past_the_window_is_held_and_drains_when_the_window_opens() {
    let mut c = Client::new(H2Config::default());
    c.request(1, "GET", "/big", true);
    c.read();
    let fields = Fields::encode(&[]);
    let body = vec![1u8; 100_000];
    c.conn.respond(
        1,
        &start(200, &fields, None),
        Payload::Bytes(&body),
        false,
        true,
        b"D",
    );
    c.wake();
    let data: usize = c
        .read()
        .iter()
        .filter(|f| f.0 == kind::DATA)
        .map(|f| f.3.len())
        .sum();
    assert_eq!(data, 65_535, "the peer's initial window, no more");
    assert!(!c.sink.log.iter().any(|l| l.starts_with("drained")));
    let mut inc = Vec::new();
    inc.extend_from_slice(&100_000u32.to_be_bytes());
    c.send(&frame(kind::WINDOW_UPDATE, 0, 0, &inc));
    c.send(&frame(kind::WINDOW_UPDATE, 0, 1, &inc));
    c.wake();
    let data: usize = c
        .read()
        .iter()
        .filter(|f| f.0 == kind::DATA)
        .map(|f| f.3.len())
        .sum();
    assert_eq!(data, 100_000 - 65_535);
    assert_eq!(c.sink.log.last().unwrap(), "drained 1");
    c.conn.write_body(1, Payload::Bytes(b""), true, false);
    let last = c.read();
    assert_eq!((last[0].0, last[0].1), (kind::DATA, flag::END_STREAM));
}

#[test]
fn a_reset_stream_aborts_that_request_alone() {
    let mut c = Client::new(H2Config::default());
    c.request(1, "POST", "/a", false);
    c.request(3, "GET", "/b", true);
    c.send(&frame(kind::RST_STREAM, 0, 1, &8u32.to_be_bytes()));
    assert_eq!(c.sink.log.last().unwrap(), "stream_aborted 1");
    assert!(
        c.conn.has_open_work(),
        "stream 3 still waits for its answer"
    );
    // The application destroys stream 3: RST_STREAM CANCEL, the connection goes on.
    c.conn.reset_stream(3);
    let sent = c.read();
    assert!(sent.iter().any(|f| f.0 == kind::RST_STREAM && f.2 == 3));
    assert!(!c.conn.is_done());
}

#[test]
fn a_body_that_does_not_arrive_in_time_fails_with_408_and_its_bytes_are_dropped() {
    let mut c = Client::new(H2Config::default());
    c.request(1, "POST", "/slow", false);
    c.send(&frame(kind::DATA, 0, 1, b"part"));
    c.conn
        .tick(LIMITS.request_timeout_ms, &mut c.sink, b"D", &LIMITS);
    assert_eq!(c.sink.log.last().unwrap(), "body_error 1 408");
    c.send(&frame(kind::DATA, flag::END_STREAM, 1, b"late"));
    assert_eq!(
        c.sink.log.last().unwrap(),
        "body_error 1 408",
        "nothing more is delivered"
    );
}

#[test]
fn a_body_past_max_body_bytes_fails_with_413() {
    let mut c = Client::new(H2Config::default());
    c.request(1, "POST", "/big", false);
    let limit = LIMITS.max_body_bytes as usize;
    let piece = vec![0u8; 16_000];
    let mut sent = 0;
    while sent <= limit {
        c.send(&frame(kind::DATA, 0, 1, &piece));
        c.read();
        // The sink took them, so the windows reopen (read() takes the WINDOW_UPDATEs).
        sent += piece.len();
    }
    assert!(c.sink.log.contains(&"body_error 1 413".to_string()));
}

#[test]
fn a_full_sink_stalls_the_connection_and_the_retry_delivers_in_order() {
    let mut c = Client::new(H2Config::default());
    c.sink.full = true;
    c.request(1, "GET", "/a", true);
    c.request(3, "GET", "/b", true);
    assert!(c.conn.input_stalled());
    assert!(
        !c.conn.wants_read(&LIMITS),
        "no more reading while events wait"
    );
    c.sink.full = false;
    c.conn.retry_input(&mut c.sink, &LIMITS, b"D", 0);
    assert_eq!(c.sink.log.len(), 2);
    assert!(c.sink.log[0].starts_with("request 1 ") && c.sink.log[1].starts_with("request 3 "));
}

#[test]
fn shutdown_sends_goaway_and_lets_open_streams_finish() {
    let mut c = Client::new(H2Config::default());
    c.request(1, "GET", "/", true);
    c.read();
    c.conn.close_when_idle();
    let sent = c.read();
    assert!(sent.iter().any(|f| f.0 == kind::GOAWAY));
    assert!(!c.conn.is_done(), "stream 1 is still open");
    let fields = Fields::encode(&[]);
    c.conn.respond(
        1,
        &start(200, &fields, Some(2)),
        Payload::Bytes(b"ok"),
        true,
        false,
        b"D",
    );
    c.read();
    assert!(c.conn.is_done());
}

#[test]
fn a_file_body_goes_as_data_frames_sized_to_the_window() {
    use std::io::Write;
    let mut c = Client::new(H2Config::default());
    // Let the client announce a small frame size so the file spans several frames.
    let mut s = Vec::new();
    write_settings(&mut s, &[(setting::INITIAL_WINDOW_SIZE, 10_000)]);
    c.send(&s);
    c.request(1, "GET", "/file", true);
    c.read();
    let path = std::env::temp_dir().join(format!("h2-conn-file-{}", std::process::id()));
    std::fs::File::create(&path)
        .unwrap()
        .write_all(&[9u8; 25_000])
        .unwrap();
    let file = std::fs::File::open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    use std::os::fd::IntoRawFd;
    let body = FileBody {
        fd: file.into_raw_fd(),
        offset: 1_000,
        remaining: 20_000,
        in_pipe: 0,
    };
    let fields = Fields::encode(&[]);
    c.conn
        .send_file(1, &start(200, &fields, Some(20_000)), body, b"D")
        .unwrap();
    let data = |sent: &Sent| -> usize {
        sent.iter()
            .filter(|f| f.0 == kind::DATA)
            .map(|f| f.3.len())
            .sum()
    };
    assert_eq!(data(&c.read()), 10_000, "the stream window");
    c.send(&frame(kind::WINDOW_UPDATE, 0, 1, &20_000u32.to_be_bytes()));
    c.wake();
    let sent = c.read();
    assert_eq!(data(&sent), 10_000);
    assert_eq!(sent.last().unwrap().1 & flag::END_STREAM, flag::END_STREAM);
    let finished: Vec<(u32, i32)> = c
        .conn
        .output()
        .finished_files
        .drain(..)
        .map(|(seq, fd, err)| {
            // SAFETY: the session handed this descriptor over for closing.
            unsafe { libc::close(fd) };
            (seq, err)
        })
        .collect();
    assert_eq!(finished, [(1, 0)]);
}

#[test]
fn trailers_end_the_stream_as_a_trailing_headers_frame_after_the_body() {
    let mut c = Client::new(H2Config::default());
    c.request(1, "GET", "/grpc", true);
    c.read();
    let fields = Fields::encode(&[]);
    c.conn.respond(
        1,
        &start(200, &fields, None),
        Payload::Bytes(b"body"),
        false,
        false,
        b"D",
    );
    let trailers = Fields::encode(&[(b"Grpc-Status", b"0")]);
    c.conn.trailers(1, Fields::parts(&trailers.0, &trailers.1));
    let sent: Vec<(u8, u8)> = c.read().into_iter().map(|f| (f.0, f.1)).collect();
    assert_eq!(
        sent,
        [
            (kind::HEADERS, flag::END_HEADERS),
            (kind::DATA, 0),
            (kind::HEADERS, flag::END_HEADERS | flag::END_STREAM),
        ]
    );
    assert!(!c.conn.has_open_work());
}
