//! The io_uring event loop of one listener: multishot accept, multishot receive into a provided
//! buffer ring, coalesced sends, splice for file bodies, and one multishot timer for every
//! deadline. It never blocks and never waits: whoever owns it (Node's libuv loop through the
//! binding, or a plain thread in tests) polls the ring fd and calls [`Server::process`] when
//! completions are ready, then applies the application's responses and calls [`Server::submit`].

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

use io_uring::{cqueue, opcode, squeue, types, IoUring};

use crate::buffer_ring::BufferRing;
use crate::conn::Payload;
use crate::conn::{Conn, ConnId, ConnLimits, EventSink};
use crate::http1::{DateCache, HeadLimits};
use crate::listener::{local_addr, open_listener, ListenerOptions};
use crate::protocol::commands::{ResponseStart, WriteFlags};
use crate::send::{FileBody, SendPlan};
use crate::session::Session;
use crate::slot_session::SlotSession;
use crate::socket_io::{Phase, Recv, SocketIo};
use crate::tls::TlsAcceptor;
use crate::transport::{InboundEnd, Transport};

/// Server limits (the engine contract's `EngineLimits`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_header_bytes: usize,
    pub max_header_count: usize,
    pub max_url_length: usize,
    pub max_body_bytes: u64,
    pub header_timeout_ms: u64,
    pub keep_alive_timeout_ms: u64,
    pub request_timeout_ms: u64,
    pub max_connections: usize,
    /// Output waiting this long without progress (a peer that does not read): drop the connection.
    pub write_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: 16384,
            max_header_count: 100,
            max_url_length: 8192,
            max_body_bytes: 1 << 20,
            header_timeout_ms: 10_000,
            keep_alive_timeout_ms: 5_000,
            request_timeout_ms: 300_000,
            max_connections: 10_000,
            write_timeout_ms: 30_000,
        }
    }
}

/// Everything needed to start a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listener: ListenerOptions,
    pub limits: Limits,
    /// Kernel-side submission polling with this idle time in ms (`IORING_SETUP_SQPOLL`).
    pub sqpoll_idle_ms: Option<u32>,
    /// Submission queue entries (completion queue: 8x).
    pub ring_entries: u32,
    /// Receive buffers in the provided ring (power of two) and the size of each.
    pub recv_buffers: u16,
    pub recv_buffer_size: u32,
    /// Requests parsed ahead of their responses on one connection (pipelining depth).
    pub max_pipelined: usize,
    /// Unsent response bytes on one connection past which pipelined requests wait unparsed.
    pub max_unsent_bytes: usize,
    /// Sends of at least this many bytes use `SEND_ZC` (the kernel pins our pages instead of
    /// copying them); smaller ones use plain `SEND`, for which the pinning and the extra
    /// notification cost more than the copy saves. See the crate README for the measurement.
    pub send_zc_min: usize,
    /// Serve TLS with this acceptor (shared, so that a reload from outside reaches new handshakes).
    pub tls: Option<Arc<TlsAcceptor>>,
    /// The WebSocket idle timeout (ms, 0: none), so deadlines are checked often enough for it.
    pub ws_idle_timeout_ms: u64,
    /// Serve HTTP/2 (h2c prior knowledge, and `h2` when ALPN picks it) with these settings.
    pub h2: Option<crate::session_choice::H2Settings>,
    /// Serve HTTP/3 on a UDP socket at the listener's address and port (needs `tls`).
    pub h3: Option<zephyr_h3::H3Config>,
}

impl ServerConfig {
    /// Defaults for a listener on `addr`.
    pub fn new(listener: ListenerOptions) -> Self {
        ServerConfig {
            listener,
            limits: Limits::default(),
            sqpoll_idle_ms: None,
            ring_entries: 1024,
            recv_buffers: 512,
            recv_buffer_size: 16 * 1024,
            max_pipelined: 16,
            max_unsent_bytes: 1 << 20,
            send_zc_min: DEFAULT_SEND_ZC_MIN,
            tls: None,
            ws_idle_timeout_ms: 0,
            h2: None,
            h3: None,
        }
    }
}

/// Something that happened outside `process` (while applying the application's commands) and
/// must reach the sink on the next `process`.
enum Notice {
    Aborted(ConnId),
    Drained(ConnId, u32),
    FileSent(ConnId, u32, i32),
}

// user_data layout: kind (8 bits) | generation (24 bits) | slot index (32 bits).
const ACCEPT: u8 = 1;
const RECV: u8 = 2;
const SEND: u8 = 3;
const SPLICE_IN: u8 = 4;
const SPLICE_OUT: u8 = 5;
const TIMER: u8 = 6;
const CANCEL: u8 = 7;
const WAKE: u8 = 8;
const SEND_ZC: u8 = 9;
const HANGUP: u8 = 10;
const FILE_READ: u8 = 11;
/// How long a lingering close waits for the peer's EOF.
const LINGER_MS: u64 = 2000;

/// What a hang-up watch waits for: the peer's FIN or RST, or a socket error.
const HANGUP_EVENTS: u32 = (libc::POLLRDHUP | libc::POLLERR | libc::POLLHUP) as u32;

/// Default `send_zc_min`: zero-copy sends are off, because on the measured paths (loopback, and
/// the copy from JS memory that precedes every send) they never paid off; see the README.
pub const DEFAULT_SEND_ZC_MIN: usize = usize::MAX;

fn token(kind: u8, id: ConnId) -> u64 {
    (kind as u64) << 56 | ((id.gen as u64) & 0xff_ffff) << 32 | id.index as u64
}

fn untoken(data: u64) -> (u8, ConnId) {
    (
        (data >> 56) as u8,
        ConnId {
            index: data as u32,
            gen: ((data >> 32) & 0xff_ffff) as u32,
        },
    )
}

const NO_CONN: ConnId = ConnId {
    index: u32::MAX,
    gen: 0,
};
/// Bytes spliced from a file per round trip (the default pipe capacity).
const SPLICE_CHUNK: u32 = 64 * 1024;

#[path = "server_tls.rs"]
mod tls_io;

#[path = "server_h3.rs"]
mod h3_io;
pub use h3_io::UdpCounters;

/// Queues `sqe` on `ring` (a free function so the HTTP/3 side can push while it holds its own
/// state, which the entries point into).
fn push_to(ring: &mut IoUring, sqe: squeue::Entry) {
    // SAFETY: every SQE built here points only at memory that outlives its completion: receive
    // buffers owned by `bufs`, the connection's `sending` buffer (which does not move while a
    // send is in flight), the UDP operations' buffers and headers (owned by `h3`, dropped after
    // the ring) and the boxed timespecs; all are freed only after the ring is gone or the op has
    // completed (slots are freed at inflight == 0).
    while unsafe { ring.submission().push(&sqe) }.is_err() {
        // The queue is full: hand what is there to the kernel and make room.
        if ring.submit().is_err() {
            std::thread::yield_now();
        }
    }
}

/// The bytes of a file to send: `length` bytes from `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRange {
    pub offset: u64,
    pub length: u64,
}

/// One connection: socket I/O (descriptor, operations in flight, receive arming, splice pipe,
/// lingering close), the transport stage, and the protocol session (HTTP/1; an upgraded
/// connection stays in its session, which no longer parses it).
struct Slot {
    io: SocketIo,
    transport: Transport,
    conn: SlotSession,
}

/// Outcome of one [`Server::process`] call.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Completions handled.
    pub completions: usize,
    /// Work is left over (the sink was full, or more completions wait): call again.
    pub more: bool,
}

/// One listener and its connections on one ring.
pub struct Server {
    // Field order is drop order: the ring goes first, so the kernel is done with the receive
    // buffers before they are unmapped.
    ring: IoUring,
    /// The UDP socket and HTTP/3 session (after the ring: its buffers outlive the ring's ops).
    h3: Option<h3_io::H3Udp>,
    bufs: BufferRing,
    listener: Option<OwnedFd>,
    accept_armed: bool,
    /// `stop_accepting` was called: the listener closes, the connections stay (server_accept.rs).
    accept_stopped: bool,
    slots: Vec<Option<Slot>>,
    gens: Vec<u32>,
    free: Vec<u32>,
    live: usize,
    config: ServerConfig,
    conn_limits: ConnLimits,
    tick: Box<types::Timespec>,
    timer_armed: bool,
    wake_armed: bool,
    date: DateCache,
    cqes: Vec<(u64, i32, u32)>,
    /// Connections whose buffered input waits for the sink or the pipeline to have room.
    stalled: Vec<u32>,
    /// Connections changed by commands, to service before the next submit.
    touched: Vec<u32>,
    notices: Vec<Notice>,
    shutting_down: bool,
    /// Sessions go to kernel TLS after their handshake (asked for, and the kernel has the ULP).
    kernel_tls: bool,
    start: Instant,
    now: u64,
    port: u16,
    ws_hub: ws::WsHub,
}

#[path = "server_ws.rs"]
mod ws;

#[path = "server_accept.rs"]
mod accept;

fn close_fd(fd: RawFd) {
    // SAFETY: the caller owns `fd` and nothing refers to it after this.
    unsafe { libc::close(fd) };
}

impl Server {
    /// Opens the listener and the ring, registers the receive buffers and starts accepting.
    pub fn bind(config: ServerConfig) -> io::Result<Server> {
        let listener = open_listener(&config.listener)?;
        let port = local_addr(&listener)?.port();
        let mut builder = IoUring::builder();
        builder.setup_cqsize(config.ring_entries * 8);
        if let Some(idle) = config.sqpoll_idle_ms {
            builder.setup_sqpoll(idle);
        }
        // Completions reach this thread at its next entry to the kernel (the loop enters it every
        // batch) rather than by an interrupt to a running thread; a sleeping one is still woken.
        // Linux 5.19+: older kernels refuse the flag, and get the ring without it.
        let ring = {
            let mut coop = builder.clone();
            coop.setup_coop_taskrun();
            coop.build(config.ring_entries)
        }
        .or_else(|_| builder.build(config.ring_entries))?;
        let bufs = BufferRing::new(
            &ring.submitter(),
            0,
            config.recv_buffers,
            config.recv_buffer_size,
        )?;
        let l = config.limits;
        let min_timeout = l
            .header_timeout_ms
            .min(l.keep_alive_timeout_ms)
            .min(l.request_timeout_ms)
            .min(l.write_timeout_ms)
            .min(
                config
                    .tls
                    .as_ref()
                    .map_or(u64::MAX, |t| t.handshake_timeout_ms()),
            )
            .min(match config.ws_idle_timeout_ms {
                0 => u64::MAX,
                // Pinged at half the idle time: that half is the timeout to resolve.
                idle => idle / 2,
            })
            .max(1);
        // Deadlines are checked on a tick: a fifth of the shortest timeout keeps the error under
        // 20%, and 1 s keeps an idle server from waking more than once a second.
        let tick_ms = (min_timeout / 5).clamp(5, 1000);
        let conn_limits = ConnLimits {
            head: HeadLimits {
                max_head_bytes: l.max_header_bytes,
                max_headers: l.max_header_count,
                max_url_len: l.max_url_length,
            },
            max_body_bytes: l.max_body_bytes,
            header_timeout_ms: l.header_timeout_ms,
            keep_alive_timeout_ms: l.keep_alive_timeout_ms,
            request_timeout_ms: l.request_timeout_ms,
            max_pipelined: config.max_pipelined.max(1),
            max_unsent_bytes: config.max_unsent_bytes,
            write_timeout_ms: l.write_timeout_ms.max(1),
        };
        let h3 = match &config.h3 {
            Some(h3) => {
                let tls = config.tls.as_ref().ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "http3 needs tls (QUIC is TLS 1.3)",
                    )
                })?;
                let session = crate::h3_session::H3Session::new(
                    h3.clone(),
                    (*tls.current()).clone(),
                    &conn_limits,
                )
                .map_err(|e| {
                    io::Error::new(io::ErrorKind::InvalidInput, format!("http3: {}", e.0))
                })?;
                let addr = std::net::SocketAddr::new(config.listener.addr.ip(), port);
                Some(
                    h3_io::H3Udp::bind(
                        addr,
                        config.listener.reuse_port,
                        session,
                        h3.max_udp_payload_size as usize,
                    )
                    .map_err(|e| {
                        io::Error::new(e.kind(), format!("http3: UDP port {port}: {e}"))
                    })?,
                )
            }
            None => None,
        };
        let mut server = Server {
            ring,
            h3,
            bufs,
            listener: Some(listener),
            accept_armed: false,
            accept_stopped: false,
            slots: Vec::new(),
            gens: Vec::new(),
            free: Vec::new(),
            live: 0,
            config,
            conn_limits,
            tick: Box::new(
                types::Timespec::new()
                    .sec(tick_ms / 1000)
                    .nsec(((tick_ms % 1000) * 1_000_000) as u32),
            ),
            timer_armed: false,
            wake_armed: false,
            date: DateCache::new(),
            cqes: Vec::with_capacity(1024),
            stalled: Vec::new(),
            touched: Vec::new(),
            notices: Vec::new(),
            shutting_down: false,
            kernel_tls: false,
            start: Instant::now(),
            now: 0,
            port,
            ws_hub: ws::WsHub::default(),
        };
        server.kernel_tls = tls_io::kernel_tls_usable(&server.config);
        server.arm_accept();
        server.arm_timer();
        server.h3_start();
        server.submit()?;
        Ok(server)
    }

    /// The ring's file descriptor: readable when completions are waiting (poll it with epoll).
    pub fn ring_fd(&self) -> RawFd {
        self.ring.as_raw_fd()
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Open connections: TCP ones and QUIC ones.
    pub fn connections(&self) -> usize {
        self.live + self.h3.as_ref().map_or(0, |h3| h3.session.connections())
    }

    /// Whether shutdown has finished: no listener, no connection.
    pub fn is_drained(&self) -> bool {
        self.shutting_down
            && self.live == 0
            && self.listener.is_none()
            && self.h3.as_ref().map_or(true, |h3| h3.session.is_idle())
    }

    fn push(&mut self, sqe: squeue::Entry) {
        push_to(&mut self.ring, sqe);
    }

    /// Hands queued submissions to the kernel.
    pub fn submit(&mut self) -> io::Result<()> {
        if self.ring.submission().is_empty() && self.config.sqpoll_idle_ms.is_none() {
            return Ok(());
        }
        loop {
            match self.ring.submit() {
                Ok(_) => return Ok(()),
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
                // EBUSY: the completion queue is full; reaping (the next process) makes room.
                Err(e)
                    if e.raw_os_error() == Some(libc::EBUSY)
                        || e.raw_os_error() == Some(libc::EAGAIN) =>
                {
                    return Ok(())
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Blocks until at least one completion is ready (for loops that own a thread, e.g. tests).
    pub fn wait(&mut self) -> io::Result<()> {
        match self.ring.submit_and_wait(1) {
            Ok(_) => Ok(()),
            Err(e)
                if e.raw_os_error() == Some(libc::EINTR)
                    || e.raw_os_error() == Some(libc::EBUSY) =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn arm_accept(&mut self) {
        if let Some(l) = &self.listener {
            let sqe = opcode::AcceptMulti::new(types::Fd(l.as_raw_fd()))
                .flags(libc::SOCK_CLOEXEC)
                .build()
                .user_data(token(ACCEPT, NO_CONN));
            self.push(sqe);
            self.accept_armed = true;
        }
    }

    fn arm_timer(&mut self) {
        let ts: *const types::Timespec = &*self.tick;
        let sqe = opcode::Timeout::new(ts)
            .flags(types::TimeoutFlags::MULTISHOT)
            .build()
            .user_data(token(TIMER, NO_CONN));
        self.push(sqe);
        self.timer_armed = true;
    }

    /// Makes the ring fd readable soon, so that work queued outside `process` gets processed.
    fn wake(&mut self) {
        if !self.wake_armed {
            self.wake_armed = true;
            self.push(opcode::Nop::new().build().user_data(token(WAKE, NO_CONN)));
        }
    }

    /// The HTTP/3 session, when `id` names one of its QUIC connections.
    fn h3_for(&mut self, id: ConnId) -> Option<&mut crate::h3_session::H3Session> {
        if !crate::h3_session::H3Session::owns(id) {
            return None;
        }
        self.h3.as_mut().map(|h3| &mut h3.session)
    }

    /// HTTP/3 counters (connections, retries, requests, errors), when HTTP/3 is served.
    pub fn h3_counters(&self) -> Option<zephyr_h3::H3Counters> {
        self.h3.as_ref().map(|h3| h3.session.counters().clone())
    }

    /// Hands the listener's reloaded TLS configuration to QUIC (new handshakes get it).
    pub fn reload_h3_tls(&mut self, tls: &rustls::ServerConfig) -> io::Result<()> {
        match self.h3.as_mut() {
            Some(h3) => h3
                .session
                .set_tls(tls.clone())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.0)),
            None => Ok(()),
        }
    }

    /// The UDP port HTTP/3 is served on, when it is.
    pub fn h3_port(&self) -> Option<u16> {
        self.h3.as_ref().map(|_| self.port)
    }

    fn slot_mut(&mut self, id: ConnId) -> Option<&mut Slot> {
        let i = id.index as usize;
        if self.gens.get(i).copied() != Some(id.gen) {
            return None;
        }
        self.slots.get_mut(i)?.as_mut()
    }

    fn date_now(&mut self) -> [u8; 29] {
        let mut out = [0u8; 29];
        let d = self.date.get();
        out[..d.len().min(29)].copy_from_slice(&d[..d.len().min(29)]);
        out
    }

    /// Reaps completions, drives connections, and reports what happened to `sink`.
    pub fn process(&mut self, sink: &mut dyn EventSink) -> Progress {
        self.now = self.start.elapsed().as_millis() as u64;
        for notice in self.notices.drain(..) {
            match notice {
                Notice::Aborted(id) => sink.aborted(id),
                Notice::Drained(id, seq) => sink.drained(id, seq),
                Notice::FileSent(id, seq, err) => sink.file_sent(id, seq, err),
            }
        }
        self.deliver_ws_closes(sink);
        let date = self.date_now();
        let stalled = std::mem::take(&mut self.stalled);
        for index in stalled {
            let Some(gen) = self.gens.get(index as usize).copied() else {
                continue;
            };
            let id = ConnId { index, gen };
            self.guard(id, sink, |server, sink| {
                let limits = server.conn_limits;
                let now = server.now;
                if let Some(slot) = server.slot_mut(id) {
                    slot.conn.retry_input(sink, &limits, &date, now);
                    if slot.conn.input_stalled() {
                        // Still no room in the sink: keep its place for the next batch.
                        server.stalled.push(id.index);
                    }
                }
            });
            self.service(id, sink);
        }

        self.cqes.clear();
        {
            let mut cq = self.ring.completion();
            cq.sync();
            for cqe in &mut cq {
                self.cqes.push((cqe.user_data(), cqe.result(), cqe.flags()));
                if self.cqes.len() == self.cqes.capacity() {
                    break;
                }
            }
        }
        let cqes = std::mem::take(&mut self.cqes);
        for &(data, res, flags) in &cqes {
            let (kind, id) = untoken(data);
            match kind {
                ACCEPT => self.on_accept(res, flags),
                RECV => self.guard(id, sink, |s, sink| s.on_recv(id, res, flags, sink, &date)),
                SEND => self.guard(id, sink, |s, _| s.on_send(id, res)),
                SEND_ZC => self.guard(id, sink, |s, _| s.on_send_zc(id, res, flags)),
                SPLICE_IN | SPLICE_OUT => self.guard(id, sink, |s, _| s.on_splice(id, kind, res)),
                FILE_READ => self.guard(id, sink, |s, _| s.on_file_read(id, res)),
                HANGUP => self.on_hangup(id, res),
                TIMER => self.on_tick(flags, sink, &date),
                CANCEL => {
                    if let Some(slot) = self.slot_mut(id) {
                        slot.io.inflight -= 1;
                    }
                }
                WAKE => self.wake_armed = false,
                h3_io::UDP_RECV | h3_io::UDP_SEND | h3_io::H3_TIMER | h3_io::H3_TIMER_REMOVE => {
                    // Their id words number UDP operations, not connection slots.
                    self.on_h3_completion(data, res);
                    continue;
                }
                _ => {}
            }
            if id != NO_CONN {
                self.service(id, sink);
            }
        }
        let completions = cqes.len();
        self.cqes = cqes;
        self.h3_process(sink, &date);
        for notice in self.notices.drain(..) {
            match notice {
                Notice::Aborted(id) => sink.aborted(id),
                Notice::Drained(id, seq) => sink.drained(id, seq),
                Notice::FileSent(id, seq, err) => sink.file_sent(id, seq, err),
            }
        }
        // More completions than the CQ holds (a publish to 10,000 subscribers completes 10,000
        // sends) wait in the kernel's overflow list, which only an enter flushes; until then every
        // later completion queues behind them and the ring fd stays quiet. Flush them now.
        let overflow = self.ring.submission().cq_overflow();
        if overflow {
            let _ = self.ring.submit();
        }
        let more = overflow
            || !self.stalled.is_empty()
            || !self.ring.completion().is_empty()
            || self.h3_has_news();
        Progress { completions, more }
    }

    /// Runs `f` for connection `id`; a panic in it closes that connection (after a 500 when no
    /// response had started) instead of unwinding into the caller, which may be Node.
    fn guard(
        &mut self,
        id: ConnId,
        sink: &mut dyn EventSink,
        f: impl FnOnce(&mut Server, &mut dyn EventSink),
    ) {
        let result = catch_unwind(AssertUnwindSafe(|| f(self, sink)));
        if result.is_err() {
            let date = self.date_now();
            let Some(slot) = self.slot_mut(id) else {
                return;
            };
            // The connection's state can't be trusted past a panic: answer 500 after whatever
            // responses are already in flight, parse nothing more, and close.
            slot.conn.fail(500, &date);
        }
    }

    fn on_accept(&mut self, res: i32, flags: u32) {
        if !cqueue::more(flags) {
            self.accept_armed = false;
            if self.shutting_down {
                self.listener = None;
            } else if self.accept_stopped {
                self.close_listener();
            } else if res != -libc::ECANCELED {
                self.arm_accept();
            }
        }
        if res < 0 {
            return;
        }
        self.adopt(res);
    }

    /// Serves a connection just accepted (closed at once when shutting down or at the limit).
    fn adopt(&mut self, fd: RawFd) {
        if self.shutting_down || self.live >= self.config.limits.max_connections {
            close_fd(fd);
            return;
        }
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(None);
                self.gens.push(0);
                (self.slots.len() - 1) as u32
            }
        };
        let gen = (self.gens[index as usize] + 1) & 0xff_ffff;
        self.gens[index as usize] = gen;
        let id = ConnId { index, gen };
        let conn = SlotSession::Http(Conn::new(id, self.now, &self.conn_limits));
        let Some(transport) = self.new_transport() else {
            close_fd(fd);
            return;
        };
        self.slots[index as usize] = Some(Slot {
            io: SocketIo::new(fd, id),
            transport,
            conn,
        });
        self.live += 1;
        self.arm_recv(id);
    }

    fn arm_recv(&mut self, id: ConnId) {
        let group = self.bufs.group();
        let Some(slot) = self.slot_mut(id) else {
            return;
        };
        let Some(sqe) = tls_io::recv_sqe(&slot.transport, slot.io.fd, group, id) else {
            return;
        };
        slot.io.recv = Recv::Armed;
        slot.io.inflight += 1;
        self.push(sqe);
    }

    fn on_recv(&mut self, id: ConnId, res: i32, flags: u32, sink: &mut dyn EventSink, date: &[u8]) {
        let limits = self.conn_limits;
        let now = self.now;
        let bid = cqueue::buffer_select(flags);
        let Some(slot) = self
            .slots
            .get_mut(id.index as usize)
            .and_then(Option::as_mut)
            .filter(|s| s.io.id == id)
        else {
            if let Some(bid) = bid {
                self.bufs.recycle(bid);
            }
            return;
        };
        if !cqueue::more(flags) {
            slot.io.recv = Recv::Idle;
            slot.io.inflight -= 1;
        }
        if res > 0 {
            let bid = bid.expect("a receive with data names its buffer");
            // A lingering or closing connection only waits for the peer's EOF: bytes are dropped.
            let mut end = None;
            let mut refused = false;
            if slot.io.phase == Phase::Open {
                let data = self.bufs.slice(bid, res as usize);
                let inbound = slot.transport.receive(data);
                end = inbound.end;
                if let Some(protocol) = inbound.started {
                    let h2 = self.config.h2.as_ref();
                    match crate::session_choice::start(protocol, id, now, &limits, h2) {
                        Some(conn) => slot.conn = conn,
                        // No session for this protocol in this build: close, answering nothing.
                        None => refused = true,
                    }
                }
                if !inbound.plaintext.is_empty() && !refused {
                    slot.conn
                        .receive(inbound.plaintext, sink, &limits, date, now);
                }
                if slot.conn.input_stalled() {
                    self.stalled.push(id.index);
                }
            }
            self.bufs.recycle(bid);
            if refused {
                self.close_conn(id, false);
                return;
            }
            match end {
                // close_notify: as a TCP EOF, nothing more comes and open requests abort.
                Some(InboundEnd::PeerClosed) => {
                    slot.conn.peer_closed();
                    self.close_conn(id, false);
                }
                // The alert goes out first, then `service` closes (`Transport::must_close`).
                Some(InboundEnd::Failed) | None => {}
            }
            return;
        }
        if let Some(bid) = bid {
            self.bufs.recycle(bid);
        }
        match res {
            // Out of receive buffers: the receive stopped; it is re-armed by `service` once
            // this batch has recycled its buffers.
            r if r == -libc::ENOBUFS => {}
            r if r == -libc::ECANCELED => {}
            // Under kernel TLS, a record that is not data (an alert, a KeyUpdate) fails a plain
            // receive and stays queued: read it with its type and act on it.
            r if r == -libc::EIO && matches!(slot.transport, Transport::Kernel(_)) => {
                match tls_io::on_kernel_control_record(slot) {
                    // `service` re-arms the receive after every completion.
                    tls_io::KernelRead::Continue => {}
                    tls_io::KernelRead::PeerClosed => self.peer_closed(id),
                    tls_io::KernelRead::Close => self.close_conn(id, false),
                }
            }
            0 => self.peer_closed(id),
            _ => self.close_conn(id, false),
        }
    }

    /// The peer closed its side (a receive of 0 bytes, or kernel TLS's close_notify). Like
    /// node:http (allowHalfOpen off), that ends the connection: requests still open are aborted
    /// rather than answered into a socket nobody may be reading.
    fn peer_closed(&mut self, id: ConnId) {
        if let Some(slot) = self.slot_mut(id) {
            slot.io.eof = true;
            slot.transport.receive_eof();
            slot.conn.peer_closed();
        }
        self.close_conn(id, false);
    }

    fn on_send(&mut self, id: ConnId, res: i32) {
        let now = self.now;
        let Some(slot) = self.slot_mut(id) else {
            return;
        };
        slot.io.inflight -= 1;
        if res < 0 {
            slot.transport.sent(0, &mut slot.conn);
            self.close_conn(id, false);
            return;
        }
        slot.conn.output_moved(now);
        slot.transport.sent(res as usize, &mut slot.conn);
    }

    /// A zero-copy send completes in two steps: the result, then (flag `MORE` on the first) a
    /// notification once the kernel no longer needs our buffer; only then may it be reused.
    fn on_send_zc(&mut self, id: ConnId, res: i32, flags: u32) {
        let Some(slot) = self.slot_mut(id) else {
            return;
        };
        let res = if cqueue::notif(flags) {
            slot.io.zc_result.take().unwrap_or(0)
        } else if cqueue::more(flags) {
            slot.io.zc_result = Some(res);
            return;
        } else {
            res
        };
        self.on_send(id, res);
    }

    /// The hang-up watch fired: the peer closed or reset (or the socket failed) while it was
    /// not being read. As with EOF on a receive, the connection ends and open requests abort.
    fn on_hangup(&mut self, id: ConnId, res: i32) {
        let Some(slot) = self.slot_mut(id) else {
            return;
        };
        slot.io.inflight -= 1;
        slot.io.hangup_watch = false;
        if slot.io.closing() || res < 0 || (res as u32) & HANGUP_EVENTS == 0 {
            return;
        }
        slot.io.eof = true;
        self.close_conn(id, false);
    }

    fn on_splice(&mut self, id: ConnId, kind: u8, res: i32) {
        let now = self.now;
        let Some(slot) = self.slot_mut(id) else {
            return;
        };
        slot.io.inflight -= 1;
        slot.io.file_busy = false;
        if slot.io.closing() {
            return;
        }
        if res <= 0 {
            // The file ended early or the socket failed: the declared length can't be honoured.
            slot.conn
                .output()
                .file_failed(if res < 0 { res } else { -libc::EIO });
            return;
        }
        slot.conn.output_moved(now);
        let Some(file) = slot.conn.output().file_ready() else {
            return;
        };
        if kind == SPLICE_IN {
            file.offset += res as u64;
            file.remaining -= res as u64;
            file.in_pipe += res as u32;
        } else {
            file.in_pipe -= res as u32;
        }
    }

    /// The deadline timer fired (its result is always -ETIME): check every connection's deadline.
    fn on_tick(&mut self, flags: u32, sink: &mut dyn EventSink, date: &[u8]) {
        if !cqueue::more(flags) {
            self.timer_armed = false;
            self.arm_timer();
        }
        let limits = self.conn_limits;
        let now = self.now;
        if let Some(h3) = self.h3.as_mut() {
            h3.session.tick(now, sink);
        }
        for index in 0..self.slots.len() {
            let Some(slot) = self.slots[index].as_mut() else {
                continue;
            };
            if slot.io.closing() {
                continue;
            }
            let id = slot.io.id;
            if slot.io.lingering() {
                if now >= slot.io.linger_until {
                    self.close_conn(id, false);
                }
                continue;
            }
            // No session runs before the handshake: its deadline is the only one.
            if slot.transport.handshaking() {
                if slot.transport.handshake_expired(now) {
                    self.close_conn(id, false);
                }
                continue;
            }
            let wants = slot.conn.tick(now, sink, date, &limits);
            if wants.close_now {
                self.close_conn(id, false);
            }
            self.service(id, sink);
        }
    }

    /// Turns a connection's state into submissions: sends, splices, receive re-arm, close.
    fn service(&mut self, id: ConnId, sink: &mut dyn EventSink) {
        let now = self.now;
        let limits = self.conn_limits;
        let group = self.bufs.group();
        let shutting_down = self.shutting_down;
        let zc_min = self.config.send_zc_min;
        let Some(slot) = self.slot_mut(id) else {
            return;
        };
        if slot.io.closing() {
            if slot.io.inflight == 0 {
                self.free_slot(id);
            }
            return;
        }
        if slot.transport.handover_ready() && tls_io::hand_over_to_kernel(slot).is_err() {
            self.close_conn(id, false);
            return;
        }
        let Some(slot) = self.slot_mut(id) else {
            return;
        };
        if shutting_down {
            slot.conn.close_when_idle();
        }
        let fd = slot.io.fd;
        for (seq, file_fd, err) in slot.conn.output().finished_files.drain(..) {
            close_fd(file_fd);
            if seq != u32::MAX {
                sink.file_sent(id, seq, err);
            }
        }
        let mut sqes: [Option<squeue::Entry>; 2] = [None, None];
        if let Some(plan) = slot.transport.next_send(&mut slot.conn) {
            slot.io.inflight += 1;
            let nosig = libc::MSG_NOSIGNAL;
            sqes[0] = Some(match plan {
                SendPlan::One(ptr, len) if len >= zc_min => {
                    opcode::SendZc::new(types::Fd(fd), ptr, len as u32)
                        .flags(nosig)
                        .build()
                        .user_data(token(SEND_ZC, id))
                }
                SendPlan::One(ptr, len) => opcode::Send::new(types::Fd(fd), ptr, len as u32)
                    .flags(nosig)
                    .build()
                    .user_data(token(SEND, id)),
                SendPlan::Many(msg, total) if total >= zc_min => {
                    opcode::SendMsgZc::new(types::Fd(fd), msg)
                        .flags(nosig as u32)
                        .build()
                        .user_data(token(SEND_ZC, id))
                }
                SendPlan::Many(msg, _) => opcode::SendMsg::new(types::Fd(fd), msg)
                    .flags(nosig as u32)
                    .build()
                    .user_data(token(SEND, id)),
            });
        } else if !slot.io.file_busy && !slot.transport.splices_files() {
            sqes[0] = tls_io::file_read_step(slot, id);
        } else if !slot.io.file_busy {
            let pipe = slot.io.pipe;
            if let Some(file) = slot.conn.output().file_ready() {
                let file: FileBody = *file;
                match splice_step(pipe, fd, &file) {
                    Ok((sqe, new_pipe)) => {
                        slot.io.pipe = Some(new_pipe);
                        slot.io.file_busy = true;
                        slot.io.inflight += 1;
                        sqes[0] = Some(sqe.user_data(token(
                            if file.in_pipe > 0 {
                                SPLICE_OUT
                            } else {
                                SPLICE_IN
                            },
                            id,
                        )));
                    }
                    Err(None) => slot.conn.output().file_done(),
                    Err(Some(err)) => slot.conn.output().file_failed(-err),
                }
            }
        }
        if let Some(seq) = slot.conn.output().take_drained() {
            sink.drained(id, seq);
        }
        if slot.conn.take_unblocked(&limits) {
            self.stalled.push(id.index);
        }
        let Some(slot) = self.slot_mut(id) else {
            return;
        };
        let wants_recv = if slot.io.lingering() {
            !slot.io.eof
        } else {
            slot.conn.wants_read(&limits)
        };
        let recv = if wants_recv && slot.io.recv == Recv::Idle {
            tls_io::recv_sqe(&slot.transport, fd, group, id)
        } else {
            None
        };
        if let Some(sqe) = recv {
            slot.io.recv = Recv::Armed;
            slot.io.inflight += 1;
            sqes[1] = Some(sqe);
        } else if !wants_recv && slot.io.recv == Recv::Armed && !slot.io.closing() {
            // Backpressure (JS paused a body, or the pipeline is full): stop the multishot
            // receive; bytes already received stay buffered and are parsed when there is room.
            // The receive stays `armed` until its last completion arrives: re-arming before that
            // would put two multishot receives on one socket, racing for its bytes.
            slot.io.recv = Recv::Cancelling;
            slot.io.inflight += 1;
            sqes[1] = Some(
                opcode::AsyncCancel::new(token(RECV, id))
                    .build()
                    .user_data(token(CANCEL, id)),
            );
        } else if !wants_recv
            && slot.io.recv == Recv::Idle
            && !slot.io.hangup_watch
            && !slot.io.closing()
            && !slot.io.lingering()
        {
            // Not reading (a body paused, the pipeline full, the last request in hand): a reset
            // or close would go unseen until a deadline, leaving the socket open and `onAbort`
            // unfired. A one-shot poll for hang-up events sees it now.
            slot.io.hangup_watch = true;
            slot.io.inflight += 1;
            sqes[1] = Some(
                opcode::PollAdd::new(types::Fd(fd), HANGUP_EVENTS)
                    .build()
                    .user_data(token(HANGUP, id)),
            );
        }
        let finished = (slot.conn.is_done() || slot.transport.must_close())
            && slot.transport.flushed()
            && !slot.io.lingering();
        slot.conn.after_output(now, &limits);
        for sqe in sqes.into_iter().flatten() {
            self.push(sqe);
        }
        if finished {
            self.close_conn(id, true);
        }
    }

    /// Starts closing a connection. `graceful`: our output is complete, so shut down writing and
    /// linger reading until EOF (bounded), so the peer reads our last response before any reset.
    fn close_conn(&mut self, id: ConnId, graceful: bool) {
        let now = self.now;
        let Some(slot) = self.slot_mut(id) else {
            return;
        };
        if slot.io.closing() {
            return;
        }
        if graceful && !slot.io.lingering() && !slot.io.eof {
            slot.io.phase = Phase::Lingering;
            slot.io.linger_until = now + LINGER_MS;
            slot.transport.before_shutdown(slot.io.fd);
            // SAFETY: plain syscall on the connection's own socket.
            unsafe { libc::shutdown(slot.io.fd, libc::SHUT_WR) };
            // Lingering means reading until the peer's EOF: a receive stopped earlier (after the
            // last request of the connection) must run again now, or the close is only noticed
            // when the lingering deadline passes, holding the socket (and any file and pipe).
            if slot.io.recv == Recv::Idle {
                self.arm_recv(id);
            }
            return;
        }
        slot.io.phase = Phase::Closing;
        let aborted = slot.conn.has_open_work();
        // Shutting the socket down completes the armed receive and any send at once; the slot is
        // freed when the last of them has completed.
        // SAFETY: plain syscall on the connection's own socket.
        unsafe { libc::shutdown(slot.io.fd, libc::SHUT_RDWR) };
        let inflight = slot.io.inflight;
        if aborted {
            self.notices.push(Notice::Aborted(id));
        }
        if inflight == 0 {
            self.free_slot(id);
        }
    }

    fn free_slot(&mut self, id: ConnId) {
        let i = id.index as usize;
        let Some(mut slot) = self.slots[i].take() else {
            return;
        };
        close_fd(slot.io.fd);
        if let Some([r, w]) = slot.io.pipe {
            close_fd(r);
            close_fd(w);
        }
        for fd in slot.conn.output().take_files() {
            close_fd(fd);
        }
        self.free.push(id.index);
        self.live -= 1;
    }

    // ---- commands from the application -------------------------------------------------------

    fn touch(&mut self, id: ConnId) {
        self.touched.push(id.index);
    }

    /// Starts response `seq` (its head, from `start`) with its first body bytes; `flags.end`
    /// completes it, `flags.close` ends the connection after it, `flags.want_drain` asks for
    /// `drained` once the connection's output is all sent.
    pub fn respond(
        &mut self,
        id: ConnId,
        seq: u32,
        start: &ResponseStart<'_>,
        body: Payload<'_>,
        flags: WriteFlags,
    ) {
        if let Some(h3) = self.h3_for(id) {
            h3.respond(id, seq, start, body, flags.end, flags.want_drain);
            return;
        }
        let date = self.date_now();
        let Some(slot) = self.slot_mut(id) else {
            return;
        };
        if slot.io.closing() {
            return;
        }
        slot.conn.respond(seq, start, body, flags, &date);
        if flags.want_drain {
            slot.conn.want_drain(seq);
        }
        if slot.conn.input_stalled() {
            // An upgrade was declined: the requests held behind it are parsed next.
            self.stalled.push(id.index);
        }
        self.touch(id);
    }

    /// More body bytes of started response `seq` (large payloads are sent from their owner's
    /// memory and dropped once sent, on this thread).
    pub fn write_body(&mut self, id: ConnId, seq: u32, body: Payload<'_>, flags: WriteFlags) {
        if let Some(h3) = self.h3_for(id) {
            h3.write_body(id, seq, body, flags.end, flags.want_drain);
            return;
        }
        let Some(slot) = self.slot_mut(id) else {
            return;
        };
        if slot.io.closing() {
            return;
        }
        slot.conn
            .write_body(seq, body, flags.end, flags.close, flags.want_drain);
        self.touch(id);
    }

    /// Starts response `seq` with `length` bytes of `file` from `offset` as its whole body.
    /// Takes ownership of `file` (closed when sent, when no body may follow, or when the
    /// connection goes); `file_sent` reports the end either way.
    pub fn send_file(
        &mut self,
        id: ConnId,
        seq: u32,
        start: &ResponseStart<'_>,
        file: OwnedFd,
        range: FileRange,
        close: bool,
    ) {
        use std::os::fd::IntoRawFd;
        let FileRange { offset, length } = range;
        if let Some(h3) = self.h3_for(id) {
            let body = FileBody {
                fd: file.into_raw_fd(),
                offset,
                remaining: length,
                in_pipe: 0,
            };
            if let Err(fd) = h3.send_file(id, seq, start, body) {
                close_fd(fd);
                self.notices
                    .push(Notice::FileSent(id, seq, -libc::ECANCELED));
                self.wake();
            }
            return;
        }
        let date = self.date_now();
        let Some(slot) = self.slot_mut(id) else {
            return;
        };
        if slot.io.closing() {
            return;
        }
        if !slot.conn.response_open(seq) {
            self.notices
                .push(Notice::FileSent(id, seq, -libc::ECANCELED));
            return;
        }
        if let Some(h2) = slot.conn.h2() {
            // HTTP/2 frames the file itself (read into DATA frames sized to the window).
            let body = FileBody {
                fd: file.into_raw_fd(),
                offset,
                remaining: length,
                in_pipe: 0,
            };
            if let Err(fd) = h2.send_file(seq, start, body, &date) {
                close_fd(fd);
                self.notices
                    .push(Notice::FileSent(id, seq, -libc::ECANCELED));
            }
            self.touch(id);
            return;
        }
        let head = slot
            .conn
            .file_head(seq, start.status, start.fields, length, close, &date);
        let resume = slot.conn.input_stalled();
        match head {
            Some((head, close)) => {
                let body = FileBody {
                    fd: file.into_raw_fd(),
                    offset,
                    remaining: length,
                    in_pipe: 0,
                };
                if slot.conn.queue_file(seq, &head, body, close)
                    == crate::send::WriteOutcome::UnknownSeq
                {
                    close_fd(body.fd);
                    self.notices
                        .push(Notice::FileSent(id, seq, -libc::ECANCELED));
                }
            }
            // No body may follow (HEAD, 304, an empty range…): the head alone completed it.
            None => {
                drop(file);
                self.notices.push(Notice::FileSent(id, seq, 0));
            }
        }
        if resume {
            self.stalled.push(id.index);
        }
        self.touch(id);
    }

    /// Ends started response `seq` with trailer fields (HTTP/2: a trailing HEADERS frame;
    /// HTTP/1.1: the chunked body's trailer section).
    pub fn trailers(
        &mut self,
        id: ConnId,
        seq: u32,
        fields: crate::protocol::commands::Fields<'_>,
        close: bool,
    ) {
        if let Some(h3) = self.h3_for(id) {
            h3.trailers(id, seq, fields);
            return;
        }
        let Some(slot) = self.slot_mut(id) else {
            return;
        };
        if slot.io.closing() {
            return;
        }
        slot.conn.trailers(seq, fields, close);
        self.touch(id);
    }

    /// Sends `100 Continue` for request `seq` if its client asked for one.
    pub fn send_continue(&mut self, id: ConnId, seq: u32) {
        if let Some(slot) = self.slot_mut(id) {
            slot.conn.send_continue(seq);
            self.touch(id);
        }
    }

    /// Stops (`true`) or restarts reading request `seq`'s body (HTTP/1: the connection), for
    /// request-body backpressure.
    pub fn pause(&mut self, id: ConnId, seq: u32, paused: bool) {
        if let Some(h3) = self.h3_for(id) {
            h3.set_paused(id, seq, paused);
            return;
        }
        if let Some(slot) = self.slot_mut(id) {
            if slot.conn.set_paused(seq, paused) {
                self.stalled.push(id.index);
            }
            self.touch(id);
        }
    }

    /// Gives up on request `seq`: drops the connection at once, or on HTTP/2 resets the stream.
    pub fn destroy(&mut self, id: ConnId, seq: u32) {
        if let Some(h3) = self.h3_for(id) {
            h3.destroy(id, seq);
            return;
        }
        match self.slot_mut(id).and_then(|slot| slot.conn.h2()) {
            Some(h2) => h2.reset_stream(seq),
            None => self.close_conn(id, false),
        }
        self.touch(id);
    }

    /// The peer address of a connection.
    pub fn peer_addr(&mut self, id: ConnId) -> Option<std::net::SocketAddr> {
        if let Some(h3) = self.h3_for(id) {
            return h3.peer_addr(id);
        }
        let fd = self.slot_mut(id)?.io.fd;
        crate::listener::peer_addr(fd).ok()
    }

    /// Stops accepting and closes each connection once its in-flight responses are sent.
    pub fn shutdown(&mut self) {
        if self.shutting_down {
            return;
        }
        self.shutting_down = true;
        if let Some(h3) = self.h3.as_mut() {
            h3.session.shutdown(Instant::now());
        }
        if self.listener.is_some() {
            if self.accept_armed {
                // The listener closes when the cancelled accept reports its last completion.
                self.cancel_accept();
            } else {
                self.listener = None;
            }
        }
        for index in 0..self.slots.len() {
            if let Some(slot) = &self.slots[index] {
                self.touched.push(slot.io.id.index);
            }
        }
    }

    /// Drops every connection (after a shutdown that took too long).
    pub fn destroy_all(&mut self) {
        if let Some(h3) = self.h3.as_mut() {
            h3.session.close_all(Instant::now());
        }
        for index in 0..self.slots.len() {
            if let Some(slot) = &self.slots[index] {
                let id = slot.io.id;
                self.close_conn(id, false);
                self.touched.push(index as u32);
            }
        }
    }

    /// Applies what the commands changed (sends, receive re-arms, closes) and submits; call after
    /// a batch of commands. Sink events the commands caused are delivered by the next `process`,
    /// which a wake-up completion makes sure happens.
    pub fn flush(&mut self) -> io::Result<()> {
        let mut touched = std::mem::take(&mut self.touched);
        // `service` reports drained/file events to a sink; here they are queued as notices.
        let mut notices = Vec::new();
        let mut deferred = DeferredSink {
            notices: &mut notices,
        };
        for &index in &touched {
            let Some(gen) = self.gens.get(index as usize).copied() else {
                continue;
            };
            self.service(ConnId { index, gen }, &mut deferred);
        }
        self.notices.append(&mut notices);
        touched.clear();
        self.touched = touched;
        self.h3_io();
        if !self.notices.is_empty()
            || !self.stalled.is_empty()
            || self.ws_hub.has_news()
            || self.h3_has_news()
        {
            self.wake();
        }
        self.submit()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Whatever is still open is closed here; the ring itself cancels its in-flight ops.
        for index in 0..self.slots.len() {
            if let Some(slot) = &self.slots[index] {
                let id = slot.io.id;
                self.free_slot(id);
            }
        }
    }
}

/// Collects the events `service` raises while commands are applied (outside `process`).
struct DeferredSink<'a> {
    notices: &'a mut Vec<Notice>,
}

impl EventSink for DeferredSink<'_> {
    fn request(&mut self, _: ConnId, _: u32, _: &crate::conn::RequestEvent<'_>) -> bool {
        false
    }
    fn has_room(&self, _: usize) -> bool {
        false
    }
    fn body(&mut self, _: ConnId, _: u32, _: &[u8], _: bool) {}
    fn body_error(&mut self, _: ConnId, _: u32, _: u16) {}
    fn aborted(&mut self, conn: ConnId) {
        self.notices.push(Notice::Aborted(conn));
    }
    fn drained(&mut self, conn: ConnId, seq: u32) {
        self.notices.push(Notice::Drained(conn, seq));
    }
    fn file_sent(&mut self, conn: ConnId, seq: u32, error: i32) {
        self.notices.push(Notice::FileSent(conn, seq, error));
    }
}

/// The next splice of a file body: into the pipe when it is empty, out of it to the socket when
/// not. `Err(None)`: nothing left to send; `Err(Some(errno))`: no pipe could be made.
fn splice_step(
    pipe: Option<[RawFd; 2]>,
    sock: RawFd,
    file: &FileBody,
) -> Result<(squeue::Entry, [RawFd; 2]), Option<i32>> {
    if file.in_pipe == 0 && file.remaining == 0 {
        return Err(None);
    }
    let pipe = match pipe {
        Some(p) => p,
        None => {
            let mut fds = [0 as RawFd; 2];
            // SAFETY: `fds` has room for the two descriptors pipe2 writes.
            if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
                return Err(Some(
                    io::Error::last_os_error()
                        .raw_os_error()
                        .unwrap_or(libc::EMFILE),
                ));
            }
            fds
        }
    };
    let sqe = if file.in_pipe > 0 {
        opcode::Splice::new(types::Fd(pipe[0]), -1, types::Fd(sock), -1, file.in_pipe).build()
    } else {
        let len = file.remaining.min(SPLICE_CHUNK as u64) as u32;
        opcode::Splice::new(
            types::Fd(file.fd),
            file.offset as i64,
            types::Fd(pipe[1]),
            -1,
            len,
        )
        .build()
    };
    Ok((sqe, pipe))
}
