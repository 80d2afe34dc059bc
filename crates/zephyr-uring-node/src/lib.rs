//! Thin napi wrappers over `zephyr-uring`. Logic belongs in the core crate; this file only
//! converts types at the boundary and bridges the ring into Node's event loop:
//!
//! The ring's fd is watched by a `uv_poll_t` on Node's own libuv loop. When completions are
//! ready, libuv calls [`on_poll`] on the JS thread; we reap them in a batch, pack every resulting
//! event into a buffer shared with JS, and make one JS call per batch inside a callback scope
//! (`napi_make_callback`, so promise jobs run right after). JS answers by packing its responses
//! into a second shared buffer and calling `flush` once. No thread, no hop, no per-request call.
//! Large WebSocket messages skip the event buffer: they are received into Node Buffers
//! ([`js_store`]) handed over beside the batch.

mod js_store;
mod uv;

use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;

use js_store::JsStore;
use napi::bindgen_prelude::{Buffer, JsValue, Unknown};
use napi::{sys, Env, Error, Result, Status};
use napi_derive::napi;
use zephyr_uring::conn::ConnId;
use zephyr_uring::h3_session::{H3Config, RetryPolicy};
use zephyr_uring::listener::{resolve, ListenerOptions};
use zephyr_uring::protocol::{commands, events::EventWriter, LAYOUT_VERSION};
use zephyr_uring::send::ExternalBytes;
use zephyr_uring::server::{Limits, Server, ServerConfig};
use zephyr_uring::session_choice::{H2Config, H2Settings};
use zephyr_uring::tls::{CertSource, FailureKind, TlsAcceptor, TlsSettings};
use zephyr_uring::ws::{MessageStore, PlacedMessage};

/// A JS Buffer sent without copying: the strong reference `Buffer` holds keeps its memory alive
/// and in place until the send completes and the queue drops it (on the JS thread).
struct JsBytes(Buffer);

impl ExternalBytes for JsBytes {
    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Result of probing the kernel for io_uring.
#[napi(object)]
pub struct IoUringSupport {
    pub supported: bool,
    /// Why io_uring cannot be used; absent when it can.
    pub reason: Option<String>,
    /// `IORING_FEAT_*` bits the kernel reported.
    pub features: u32,
}

/// Really calls `io_uring_setup` and reports whether it worked and, if not, why.
#[napi(catch_unwind)]
pub fn io_uring_supported() -> IoUringSupport {
    let support = zephyr_uring::probe::io_uring_supported();
    IoUringSupport {
        supported: support.supported,
        reason: support.reason,
        features: support.features,
    }
}

/// Whether this kernel offers TLS offload (`setsockopt(TCP_ULP, "tls")` on a loopback pair):
/// `null` when it does, else why not, in one sentence.
#[napi(catch_unwind)]
pub fn kernel_tls_unavailable() -> Option<String> {
    match zephyr_uring::tls::ktls::probe() {
        zephyr_uring::tls::ktls::KtlsSupport::Available => None,
        zephyr_uring::tls::ktls::KtlsSupport::Unavailable { reason } => Some(reason),
    }
}

/// The JS↔native record layout this binary speaks; the JS side refuses a different one.
#[napi]
pub fn layout_version() -> u32 {
    LAYOUT_VERSION
}

/// The work of [`open_beneath`], run on libuv's thread pool like `fs.open`.
pub struct OpenBeneath {
    root_fd: i32,
    path: String,
}

impl napi::Task for OpenBeneath {
    type Output = i32;
    type JsValue = i32;

    fn compute(&mut self) -> Result<i32> {
        // SAFETY: the JS caller keeps `root_fd` open until the promise settles (its documented
        // contract); a descriptor closed meanwhile fails with EBADF and is reported as such.
        let root = unsafe { std::os::fd::BorrowedFd::borrow_raw(self.root_fd) };
        Ok(
            match zephyr_uring::open_beneath::open_beneath(root, &self.path) {
                Ok(fd) => std::os::fd::IntoRawFd::into_raw_fd(fd),
                Err(err) => -err.raw_os_error().unwrap_or(libc::EINVAL),
            },
        )
    }

    fn resolve(&mut self, _env: Env, output: i32) -> Result<i32> {
        Ok(output)
    }
}

/// Opens `path` beneath the directory `rootFd` for reading without following any symlink;
/// resolves to the new descriptor, or to a negative errno (`-ELOOP` for a symlink, `-EINVAL`
/// for a path that is not plain and relative).
#[napi(ts_return_type = "Promise<number>")]
pub fn open_beneath(root_fd: i32, path: String) -> napi::bindgen_prelude::AsyncTask<OpenBeneath> {
    napi::bindgen_prelude::AsyncTask::new(OpenBeneath { root_fd, path })
}

/// How to open an io_uring listener (validated by the TS adapter; limits already defaulted).
#[napi(object)]
pub struct UringOptions {
    pub host: String,
    pub port: u32,
    pub reuse_port: bool,
    pub backlog: u32,
    pub tcp_fast_open: bool,
    /// Enables kernel-side submission polling with this idle time (ms).
    pub sqpoll_idle_ms: Option<u32>,
    pub max_header_bytes: u32,
    pub max_header_count: u32,
    pub max_url_length: u32,
    pub max_body_bytes: f64,
    pub header_timeout_ms: f64,
    pub keep_alive_timeout_ms: f64,
    pub request_timeout_ms: f64,
    pub max_connections: u32,
    /// Output waiting this long without progress drops the connection (ms).
    pub write_timeout_ms: f64,
    /// Requests parsed ahead of their responses on one connection.
    pub max_pipelined: Option<u32>,
    /// Unsent response bytes on one connection past which pipelined requests wait unparsed.
    pub max_unsent_bytes: Option<u32>,
    /// Sends of at least this many bytes go zero-copy (`SEND_ZC`); absent: never.
    pub send_zc_min_bytes: Option<u32>,
    /// Serve HTTPS (validated and read by the TS side: PEM bytes, not paths).
    pub tls: Option<UringTls>,
    /// The WebSocket idle timeout (ms), so deadlines are checked often enough for it.
    pub ws_idle_timeout_ms: Option<f64>,
    /// Serve HTTP/2 with these settings (validated by `http2-options.ts`).
    pub http2: Option<UringHttp2>,
    /// Serve HTTP/3 on UDP at the same address and port (validated by `http3-option.ts`).
    pub http3: Option<UringHttp3>,
}

/// A listener's HTTP/3 settings, the `http3` listen option resolved (`Http3Settings`).
#[napi(object)]
pub struct UringHttp3 {
    pub max_concurrent_streams: u32,
    pub idle_timeout_ms: f64,
    pub max_udp_payload_size: u32,
    /// `auto` (Retry while more than `handshakes_before_retry` handshakes run), `always`, `never`.
    pub retry: String,
    pub handshakes_before_retry: u32,
}

/// HTTP/3 counters of a listener.
#[napi(object)]
pub struct UringHttp3Counters {
    pub connections_accepted: f64,
    pub connections_refused: f64,
    pub retries_sent: f64,
    pub requests: f64,
    pub stream_errors: f64,
    pub connection_errors: f64,
    pub headers_too_large: f64,
    pub datagrams_received: f64,
    pub datagrams_sent: f64,
    /// `sendmsg` operations: fewer than datagrams where UDP GSO batches them.
    pub send_calls: f64,
    /// Datagrams one `sendmsg` may carry (1 where the kernel has no UDP GSO).
    pub gso_segments: f64,
}

/// The endpoint's configuration from the listen option and the listener's own limits (the
/// largest request head and the connection cap are the listener's, for every protocol).
fn h3_config(h3: &UringHttp3, limits: &Limits) -> Result<H3Config> {
    let retry = match h3.retry.as_str() {
        "always" => RetryPolicy::Always,
        "never" => RetryPolicy::Never,
        "auto" => RetryPolicy::WhenHandshakesAbove(h3.handshakes_before_retry as usize),
        other => {
            return Err(Error::new(
                Status::InvalidArg,
                format!("http3.retry: unknown policy {other:?}"),
            ))
        }
    };
    let config = H3Config {
        max_concurrent_bidi_streams: h3.max_concurrent_streams,
        idle_timeout: std::time::Duration::from_millis(to_ms(h3.idle_timeout_ms).max(1)),
        max_udp_payload_size: u16::try_from(h3.max_udp_payload_size).unwrap_or(u16::MAX),
        // QPACK's advertised bound has its own range (1 KiB to 1 MiB).
        max_field_section_size: limits.max_header_bytes.clamp(1024, 1 << 20),
        // QUIC connections are numbered past the TCP slots (`H3_INDEX_BASE`): a million at most.
        max_connections: limits.max_connections.clamp(1, 1 << 20),
        retry,
        ..H3Config::default()
    };
    config
        .validate()
        .map_err(|e| Error::new(Status::InvalidArg, format!("http3: {e}")))?;
    Ok(config)
}

/// A listener's HTTP/2 settings, the `http2` listen option resolved (`Http2Settings`).
#[napi(object)]
pub struct UringHttp2 {
    pub max_concurrent_streams: u32,
    pub initial_window_size: u32,
    pub max_frame_size: u32,
    pub max_header_list_size: u32,
    pub idle_timeout_ms: f64,
}

/// The core's limits from the listen option; the rest keep the core's defaults.
fn h2_settings(h2: &UringHttp2) -> Result<H2Settings> {
    let config = H2Config {
        max_concurrent_streams: h2.max_concurrent_streams,
        initial_window_size: h2.initial_window_size,
        max_frame_size: h2.max_frame_size,
        max_header_list_size: h2.max_header_list_size,
        // The output bound must hold one whole frame.
        max_buffered_output: H2Config::DEFAULT_MAX_BUFFERED_OUTPUT.max(h2.max_frame_size),
        ..H2Config::default()
    };
    config
        .validate()
        .map_err(|e| Error::new(Status::InvalidArg, format!("http2: {e}")))?;
    Ok(H2Settings {
        config,
        idle_timeout_ms: to_ms(h2.idle_timeout_ms).max(1),
    })
}

/// One certificate chain and its key, as PEM.
#[napi(object)]
pub struct UringTlsCertificate {
    pub cert: Buffer,
    pub key: Buffer,
}

/// A listener's TLS settings, already validated by `tls-options.ts`.
#[napi(object)]
pub struct UringTls {
    pub cert: Buffer,
    pub key: Buffer,
    /// `[server name, certificate]` pairs.
    pub sni: Vec<UringSniEntry>,
    pub alpn: Vec<String>,
    pub tls13_only: bool,
    pub handshake_timeout_ms: f64,
    /// Hand each session to kernel TLS after its handshake, where the kernel offers it.
    pub kernel_tls: bool,
}

/// One SNI entry.
#[napi(object)]
pub struct UringSniEntry {
    pub name: String,
    pub certificate: UringTlsCertificate,
}

/// TLS counters of a listener: completed handshakes and failures by kind.
#[napi(object)]
pub struct UringTlsCounters {
    pub handshakes: f64,
    pub plaintext_http: f64,
    pub not_tls: f64,
    pub truncated_handshake: f64,
    pub handshake_timeout: f64,
    pub garbage_record: f64,
    pub handshake_failed: f64,
    pub alert_received: f64,
    pub renegotiation: f64,
}

fn pem(cert: &Buffer, key: &Buffer) -> CertSource {
    CertSource::Pem {
        cert: cert.to_vec(),
        key: key.to_vec(),
    }
}

fn tls_settings(tls: &UringTls) -> TlsSettings {
    let mut settings = TlsSettings::new(pem(&tls.cert, &tls.key));
    settings.sni = tls
        .sni
        .iter()
        .map(|entry| {
            (
                entry.name.clone(),
                pem(&entry.certificate.cert, &entry.certificate.key),
            )
        })
        .collect();
    settings.alpn = tls.alpn.iter().map(|id| id.as_bytes().to_vec()).collect();
    settings.tls13_only = tls.tls13_only;
    settings.handshake_timeout_ms = to_ms(tls.handshake_timeout_ms).max(1);
    settings.kernel_tls = tls.kernel_tls;
    settings
}

struct LoopState {
    env: sys::napi_env,
    server: RefCell<Option<Server>>,
    writer: RefCell<EventWriter>,
    out_ptr: *const u8,
    out_cap: usize,
    /// Strong references to the JS callback and the two shared buffers (keeping them alive and
    /// their memory in place) and to the async resource of the callback scope.
    callback: sys::napi_ref,
    refs: Vec<sys::napi_ref>,
    async_ctx: sys::napi_async_context,
    poll: RefCell<Option<uv::Poll>>,
    /// The `Rc` lent to the poll handle's data pointer, taken back on dispose.
    lent: Cell<*const LoopState>,
    pumping: Cell<bool>,
}

fn check(status: sys::napi_status, what: &str) -> Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(Error::new(
            Status::GenericFailure,
            format!("{what} failed (napi status {status})"),
        ))
    }
}

fn buffer_info(env: sys::napi_env, value: sys::napi_value) -> Result<(*mut u8, usize)> {
    let mut data: *mut c_void = std::ptr::null_mut();
    let mut len = 0usize;
    // SAFETY: env and value come from the current call; out pointers are valid.
    check(
        unsafe { sys::napi_get_buffer_info(env, value, &mut data, &mut len) },
        "napi_get_buffer_info",
    )?;
    Ok((data.cast(), len))
}

fn strong_ref(env: sys::napi_env, value: sys::napi_value) -> Result<sys::napi_ref> {
    let mut r = std::ptr::null_mut();
    // SAFETY: as above; a refcount of 1 keeps the value alive until we delete the reference.
    check(
        unsafe { sys::napi_create_reference(env, value, 1, &mut r) },
        "napi_create_reference",
    )?;
    Ok(r)
}

unsafe extern "C" fn on_poll(handle: *mut c_void, _status: i32, _events: i32) {
    // SAFETY: the handle's data is the `Rc<LoopState>` lent in `UringServer::new`, released only
    // after the poll is stopped (so never while this callback can run). Taking a second count
    // keeps the state alive even if JS disposes the server during the batch.
    let state = unsafe {
        let ptr = uv::Poll::data(handle) as *const LoopState;
        Rc::increment_strong_count(ptr);
        Rc::from_raw(ptr)
    };
    // A panic must not unwind into libuv (undefined behaviour); the loop's own guards already
    // turn connection-level panics into 500s, so this only catches bridge bugs.
    let _ = catch_unwind(AssertUnwindSafe(|| state.pump()));
}

impl Drop for LoopState {
    fn drop(&mut self) {
        // SAFETY: the last owner goes away on the JS thread (the class finalizer or the end of a
        // poll callback); each reference is ours and deleted exactly once, here.
        unsafe {
            sys::napi_delete_reference(self.env, self.callback);
            for &r in &self.refs {
                sys::napi_delete_reference(self.env, r);
            }
            sys::napi_async_destroy(self.env, self.async_ctx);
        }
    }
}

impl LoopState {
    /// Reaps completions and hands their events to JS, batch after batch, until none are left.
    fn pump(&self) {
        if self.pumping.replace(true) {
            return;
        }
        // Bounded, so that a flood on one listener cannot starve the rest of Node's loop.
        for _ in 0..64 {
            let mut scope = std::ptr::null_mut();
            // SAFETY: called on the JS thread from a libuv callback, where a handle scope is
            // needed for the values we create (the placer's Buffers, the batch's arguments); one
            // per batch, so they do not pile up over a long pump.
            unsafe { sys::napi_open_handle_scope(self.env, &mut scope) };
            let progress = {
                let mut server = self.server.borrow_mut();
                let Some(server) = server.as_mut() else {
                    // SAFETY: the scope opened above.
                    unsafe { sys::napi_close_handle_scope(self.env, scope) };
                    break;
                };
                let mut writer = self.writer.borrow_mut();
                writer.reset();
                server.process(&mut *writer)
            };
            let (records, len, overflow) = {
                let w = self.writer.borrow();
                (w.records, w.len, w.has_overflow())
            };
            if records > 0 {
                let placed = self.writer.borrow_mut().take_placed();
                self.call_js(len, &placed);
            }
            // SAFETY: the scope opened above.
            unsafe { sys::napi_close_handle_scope(self.env, scope) };
            if records > 0 {
                // JS has flushed its responses: on loopback and with room in the socket buffer
                // their sends complete during that very submit, so reap them (and whatever else
                // arrived meanwhile) now instead of through another trip round libuv's epoll.
                continue;
            }
            if !progress.more && !overflow {
                break;
            }
        }
        if let Some(server) = self.server.borrow_mut().as_mut() {
            let _ = server.flush();
        }
        self.pumping.set(false);
    }

    /// Calls `onBatch(len, stores)`: `stores[i]` is the Buffer of the batch's placed message
    /// `i` (undefined when the batch has none).
    fn call_js(&self, len: usize, placed: &[PlacedMessage]) {
        let env = self.env;
        // SAFETY: all calls run on the JS thread inside the handle scope opened by `pump`; the
        // references are alive until dispose.
        unsafe {
            let mut func = std::ptr::null_mut();
            let mut recv = std::ptr::null_mut();
            let mut args = [std::ptr::null_mut(); 2];
            sys::napi_get_reference_value(env, self.callback, &mut func);
            // napi_make_callback converts the receiver to an object: undefined would throw.
            sys::napi_get_global(env, &mut recv);
            sys::napi_create_uint32(env, len as u32, &mut args[0]);
            if placed.is_empty() {
                sys::napi_get_undefined(env, &mut args[1]);
            } else {
                sys::napi_create_array_with_length(env, placed.len(), &mut args[1]);
                for (i, message) in placed.iter().enumerate() {
                    // Only this binding's placer makes stores for its writer.
                    let store = message
                        .0
                        .as_any()
                        .downcast_ref::<JsStore>()
                        .expect("a placed message in a JS store");
                    sys::napi_set_element(env, args[1], i as u32, store.buffer());
                }
            }
            let mut result = std::ptr::null_mut();
            let status = sys::napi_make_callback(
                env,
                self.async_ctx,
                recv,
                func,
                2,
                args.as_ptr(),
                &mut result,
            );
            if status == sys::Status::napi_pending_exception {
                // The adapter catches handler errors itself; anything reaching here is a bug in
                // it, reported like any uncaught exception rather than swallowed.
                let mut err = std::ptr::null_mut();
                sys::napi_get_and_clear_last_exception(env, &mut err);
                sys::napi_fatal_exception(env, err);
            }
        }
    }
}

/// One io_uring HTTP/1.1 listener, driven from Node's event loop.
#[napi]
pub struct UringServer {
    state: Rc<LoopState>,
    /// The listener's TLS configuration (shared with the loop), for reloads and counters.
    tls: Option<Arc<TlsAcceptor>>,
}

fn to_ms(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        v as u64
    } else {
        0
    }
}

#[napi]
impl UringServer {
    /// Binds and starts serving. `events` and `commands` are the shared buffers; `onBatch(len,
    /// stores)` is called with the byte length of each batch of events written into `events` and
    /// the Buffers its placed WebSocket messages are in (or undefined).
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: Env,
        options: UringOptions,
        events: Unknown,
        commands: Unknown,
        on_batch: Unknown,
    ) -> Result<Self> {
        let raw_env = env.raw();
        let addr = resolve(&options.host, options.port as u16)
            .map_err(|e| Error::new(Status::InvalidArg, e.to_string()))?;
        let mut config = ServerConfig::new(ListenerOptions {
            addr,
            reuse_port: options.reuse_port,
            backlog: options.backlog as i32,
            tcp_fast_open: options.tcp_fast_open,
        });
        config.limits = Limits {
            max_header_bytes: options.max_header_bytes as usize,
            max_header_count: options.max_header_count as usize,
            max_url_length: options.max_url_length as usize,
            max_body_bytes: to_ms(options.max_body_bytes),
            header_timeout_ms: to_ms(options.header_timeout_ms),
            keep_alive_timeout_ms: to_ms(options.keep_alive_timeout_ms),
            request_timeout_ms: to_ms(options.request_timeout_ms),
            write_timeout_ms: to_ms(options.write_timeout_ms),
            max_connections: options.max_connections as usize,
        };
        config.sqpoll_idle_ms = options.sqpoll_idle_ms;
        if let Some(depth) = options.max_pipelined {
            config.max_pipelined = depth as usize;
        }
        if let Some(bytes) = options.max_unsent_bytes {
            config.max_unsent_bytes = bytes as usize;
        }
        if let Some(min) = options.send_zc_min_bytes {
            config.send_zc_min = min as usize;
        }
        let tls = match &options.tls {
            Some(tls) => Some(Arc::new(
                TlsAcceptor::new(&tls_settings(tls))
                    .map_err(|e| Error::new(Status::InvalidArg, e.to_string()))?,
            )),
            None => None,
        };
        config.tls = tls.clone();
        if let Some(idle) = options.ws_idle_timeout_ms {
            config.ws_idle_timeout_ms = to_ms(idle);
        }
        config.h2 = options.http2.as_ref().map(h2_settings).transpose()?;
        config.h3 = options
            .http3
            .as_ref()
            .map(|h3| h3_config(h3, &config.limits))
            .transpose()?;
        let (events_raw, commands_raw, callback_raw) =
            (events.raw(), commands.raw(), on_batch.raw());
        let (events_ptr, events_len) = buffer_info(raw_env, events_raw)?;
        let (out_ptr, out_cap) = buffer_info(raw_env, commands_raw)?;
        let server = Server::bind(config)
            .map_err(|e| Error::new(Status::GenericFailure, format!("listen on {addr}: {e}")))?;
        let ring_fd = server.ring_fd();

        let mut async_ctx = std::ptr::null_mut();
        // SAFETY: creating plain values on the JS thread during a napi call.
        unsafe {
            let mut resource = std::ptr::null_mut();
            let mut name = std::ptr::null_mut();
            sys::napi_create_object(raw_env, &mut resource);
            sys::napi_create_string_utf8(raw_env, c"zephyr:uring".as_ptr(), 12, &mut name);
            check(
                sys::napi_async_init(raw_env, resource, name, &mut async_ctx),
                "napi_async_init",
            )?;
        }
        let state = Rc::new(LoopState {
            env: raw_env,
            server: RefCell::new(Some(server)),
            writer: RefCell::new({
                // SAFETY: the events buffer is held by a strong reference (`refs`) for as long
                // as the state lives, and JS reads it only between our calls, on this same thread.
                let mut writer = unsafe { EventWriter::new(events_ptr, events_len) };
                writer.set_placer(Box::new(move |len| {
                    // SAFETY: the writer places messages only inside `Server::process`, which
                    // `pump` runs on the JS thread inside a handle scope.
                    let store = unsafe { JsStore::new(raw_env, len) }?;
                    Some(Box::new(store) as Box<dyn MessageStore>)
                }));
                writer
            }),
            out_ptr,
            out_cap,
            callback: strong_ref(raw_env, callback_raw)?,
            refs: vec![
                strong_ref(raw_env, events_raw)?,
                strong_ref(raw_env, commands_raw)?,
            ],
            async_ctx,
            poll: RefCell::new(None),
            lent: Cell::new(std::ptr::null()),
            pumping: Cell::new(false),
        });
        let lent = Rc::into_raw(state.clone());
        state.lent.set(lent);
        match uv::Poll::start(raw_env, ring_fd, lent as *mut c_void, on_poll) {
            Ok(poll) => *state.poll.borrow_mut() = Some(poll),
            Err(e) => {
                // SAFETY: taking back the Rc lent just above; the poll never started.
                drop(unsafe { Rc::from_raw(lent) });
                state.lent.set(std::ptr::null());
                return Err(Error::new(Status::GenericFailure, e));
            }
        }
        Ok(UringServer { state, tls })
    }

    /// Swaps in new certificates (and SNI, ALPN, versions) for handshakes from now on; open
    /// connections keep theirs. On error the old configuration stays in force.
    #[napi(catch_unwind)]
    pub fn reload_tls(&self, tls: UringTls) -> Result<()> {
        let Some(acceptor) = &self.tls else {
            return Err(Error::new(
                Status::InvalidArg,
                "this listener does not serve TLS",
            ));
        };
        acceptor
            .reload(&tls_settings(&tls))
            .map_err(|e| Error::new(Status::InvalidArg, e.to_string()))?;
        // QUIC handshakes take the same certificates.
        if let Some(server) = self.state.server.borrow_mut().as_mut() {
            server
                .reload_h3_tls(&acceptor.current())
                .map_err(|e| Error::new(Status::InvalidArg, format!("http3: {e}")))?;
        }
        Ok(())
    }

    /// The listener's TLS counters; absent for a plaintext listener.
    #[napi(catch_unwind)]
    pub fn tls_counters(&self) -> Option<UringTlsCounters> {
        let counts = self.tls.as_ref()?.counters().snapshot();
        let failures = |kind| counts.failures(kind) as f64;
        Some(UringTlsCounters {
            handshakes: counts.handshakes as f64,
            plaintext_http: failures(FailureKind::PlaintextHttp),
            not_tls: failures(FailureKind::NotTls),
            truncated_handshake: failures(FailureKind::TruncatedHandshake),
            handshake_timeout: failures(FailureKind::HandshakeTimeout),
            garbage_record: failures(FailureKind::GarbageRecord),
            handshake_failed: failures(FailureKind::HandshakeFailed),
            alert_received: failures(FailureKind::AlertReceived),
            renegotiation: failures(FailureKind::Renegotiation),
        })
    }

    /// The listener's HTTP/3 counters; absent when it does not serve HTTP/3.
    #[napi(catch_unwind)]
    pub fn http3_counters(&self) -> Option<UringHttp3Counters> {
        let server = self.state.server.borrow();
        let c = server.as_ref()?.h3_counters()?;
        let udp = server.as_ref()?.h3_udp_counters()?;
        Some(UringHttp3Counters {
            connections_accepted: c.connections_accepted as f64,
            connections_refused: c.connections_refused as f64,
            retries_sent: c.retries_sent as f64,
            requests: c.requests as f64,
            stream_errors: c.stream_errors as f64,
            connection_errors: c.connection_errors as f64,
            headers_too_large: c.headers_too_large as f64,
            datagrams_received: udp.datagrams_received as f64,
            datagrams_sent: udp.datagrams_sent as f64,
            send_calls: udp.send_calls as f64,
            gso_segments: udp.gso_segments as f64,
        })
    }

    /// The bound port.
    #[napi(getter)]
    pub fn port(&self) -> u32 {
        self.state
            .server
            .borrow()
            .as_ref()
            .map_or(0, |s| s.port() as u32)
    }

    /// Open connections.
    #[napi(getter)]
    pub fn connections(&self) -> u32 {
        self.state
            .server
            .borrow()
            .as_ref()
            .map_or(0, |s| s.connections() as u32)
    }

    /// Applies the first `len` bytes of commands JS packed into the shared command buffer (and
    /// the large payloads passed beside them), then submits everything to the kernel.
    #[napi(catch_unwind)]
    pub fn flush(&self, len: u32, externals: Option<Vec<Buffer>>) -> Result<()> {
        let len = len as usize;
        if len > self.state.out_cap {
            return Err(Error::new(
                Status::InvalidArg,
                "command length beyond the command buffer",
            ));
        }
        // SAFETY: out_ptr..out_cap is the JS buffer we hold a strong reference to; JS wrote the
        // first `len` bytes before this call and does not run while we read them.
        let commands = unsafe { std::slice::from_raw_parts(self.state.out_ptr, len) };
        let mut externals: Vec<Option<JsBytes>> = externals
            .unwrap_or_default()
            .into_iter()
            .map(|b| Some(JsBytes(b)))
            .collect();
        let mut server = self.state.server.borrow_mut();
        let Some(server) = server.as_mut() else {
            return Ok(());
        };
        commands::apply(server, commands, &mut externals)
            .map_err(|e| Error::new(Status::InvalidArg, e.0))?;
        server
            .flush()
            .map_err(|e| Error::new(Status::GenericFailure, format!("io_uring_enter: {e}")))
    }

    /// The peer address of a connection, e.g. `127.0.0.1`.
    #[napi(catch_unwind)]
    pub fn peer_address(&self, index: u32, gen: u32) -> Option<String> {
        let mut server = self.state.server.borrow_mut();
        server
            .as_mut()?
            .peer_addr(ConnId { index, gen })
            .map(|a| a.ip().to_string())
    }

    /// Stops accepting; connections close as their responses finish.
    #[napi(catch_unwind)]
    pub fn shutdown(&self) {
        if let Some(server) = self.state.server.borrow_mut().as_mut() {
            server.shutdown();
            let _ = server.flush();
        }
    }

    /// Stops accepting; open connections keep being served (see `listening` for when the
    /// listening socket has closed).
    #[napi(catch_unwind)]
    pub fn stop_accepting(&self) {
        if let Some(server) = self.state.server.borrow_mut().as_mut() {
            server.stop_accepting();
            let _ = server.flush();
        }
    }

    /// Whether the listening socket is still open.
    #[napi(getter)]
    pub fn listening(&self) -> bool {
        self.state
            .server
            .borrow()
            .as_ref()
            .is_some_and(Server::is_listening)
    }

    /// Drops every connection now.
    #[napi(catch_unwind)]
    pub fn destroy_all(&self) {
        if let Some(server) = self.state.server.borrow_mut().as_mut() {
            server.destroy_all();
            let _ = server.flush();
        }
    }

    /// Whether shutdown has completed (no listener, no connection left).
    #[napi(catch_unwind)]
    pub fn is_drained(&self) -> bool {
        self.state
            .server
            .borrow()
            .as_ref()
            .map_or(true, Server::is_drained)
    }

    /// Stops watching the ring and frees it. Call once drained.
    #[napi(catch_unwind)]
    pub fn dispose(&self) {
        let state = &self.state;
        // Stop the poll first: after this no callback can see the state.
        drop(state.poll.borrow_mut().take());
        let lent = state.lent.replace(std::ptr::null());
        if !lent.is_null() {
            // SAFETY: the Rc lent to the poll handle in `new`; the poll is stopped.
            drop(unsafe { Rc::from_raw(lent) });
        }
        drop(state.server.borrow_mut().take());
    }
}
