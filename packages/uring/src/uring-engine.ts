import type { EngineServer, ListenOptions, RequestHandler } from './engine.js';
import {
  EngineUnavailableError,
  ListenError,
  RequestError,
  ZephyrEngineError,
  type ZephyrEngineErrorCode,
} from './errors.js';
import type { Http3Settings } from './http3-option.js';
import { kernelTlsFallbackReason, reportKernelTlsFallback } from './kernel-tls.js';
import {
  PIPELINE_MAX_REQUESTS,
  PIPELINE_MAX_UNSENT_BYTES,
  type ResolvedListenOptions,
  resolveListenOptions,
} from './limits.js';
import { type Http3Counters, loadNative, type NativeHttp3, type NativeUringServer } from './native.js';
import { originForm } from './request-target.js';
import type { TlsCounters } from './tls-counters.js';
import type { TlsOptions } from './tls-options.js';
import { refuseTlsReload, TlsReloader } from './tls-reload.js';
import { CommandWriter } from './uring-commands.js';
import { decodeEvents, decodeFields, type EventVisitor, findField } from './uring-events.js';
import { type ExchangeHost, type ResponseFields, UringExchange } from './uring-exchange.js';
import {
  CF_END,
  CMD_CONTINUE,
  CMD_DESTROY,
  EF_BODY_FOLLOWS,
  EF_EXPECT_CONTINUE,
  EF_UPGRADE,
} from './uring-protocol.js';
import { nativeTls } from './uring-tls.js';
import { isWebSocketUpgrade, UringWebSocketHub } from './uring-websocket.js';
import { resolveWebSocketLimits, type WebSocketServing } from './websocket.js';

const COMMAND_BUFFER_BYTES = 1 << 20;

/** Event buffer of a listener serving WebSockets (see the constructor). */
const WEBSOCKET_EVENT_BYTES = 4 << 20;
/** Response bytes queued on a connection before `write` asks the caller to wait for drain. */
const HIGH_WATER_MARK = 64 * 1024;

/** The exchanges one connection has open, in request order. */
interface ConnExchanges {
  gen: number;
  list: UringExchange[];
}

const BODY_ERRORS: Record<number, [ZephyrEngineErrorCode, string]> = {
  400: ['ZEPHYR_ERR_REQUEST_ABORTED', 'the request body is malformed (chunked framing)'],
  408: ['ZEPHYR_ERR_REQUEST_ABORTED', 'the request body did not arrive within requestTimeoutMs'],
  413: ['ZEPHYR_ERR_BODY_TOO_LARGE', 'the request body is larger than maxBodyBytes'],
};

/**
 * Bridges the native loop and the handler: decodes each batch of events the native side packed
 * into `events`, runs handlers synchronously, and packs their responses into `commands`, flushed
 * in one native call at the end of the batch (or in a microtask for responses made later).
 */
class UringHost implements ExchangeHost, EngineServer, EventVisitor {
  readonly engine = 'io_uring' as const;
  readonly host: string;
  readonly port: number;
  readonly engineReason: string;
  readonly highWaterMark = HIGH_WATER_MARK;

  private readonly native: NativeUringServer;
  private readonly events: Buffer;
  private readonly ev32: Uint32Array;
  private readonly commands: CommandWriter;
  private readonly conns = new Map<number, ConnExchanges>();
  /** Peer address by connection slot; a slot's next connection has another `gen`. */
  private readonly peers = new Map<number, { gen: number; address: string }>();
  private inBatch = false;
  private batch = 0;
  private flushQueued = false;
  /** Exchanges made in the current batch, whose header fields are still in `events`. */
  private readonly fresh: UringExchange[] = [];
  private closing: Promise<void> | undefined;
  private accepting: Promise<void> | undefined;
  private readonly flushBound = (): void => this.flushCommands();
  private readonly reloader: TlsReloader | undefined;
  private readonly wsHub: UringWebSocketHub | undefined;
  /** The `alt-svc` value HTTPS (TCP) responses carry when HTTP/3 is served. */
  private readonly altSvc: string | undefined;

  constructor(
    options: ResolvedListenOptions,
    private readonly handler: RequestHandler,
    engineReason: string,
    websocket?: WebSocketServing,
  ) {
    const { limits } = options;
    const loaded = loadNative();
    if (!loaded.binding) {
      throw new EngineUnavailableError(
        `io_uring unavailable: the native binding could not be loaded: ${loaded.error.message}`,
      );
    }
    // Room for the largest request record (head fields, an inline body) and a worst-case chunked
    // body window, with slack; see events.rs for how records are sized. WebSocket listeners get
    // more: a batch carries every message that fits, and what does not waits (copied aside) for
    // the next one. Whole messages from 4 KiB take a small record each (their bytes come in
    // Buffers of their own); the room is for compressed and fragmented ones.
    const eventBytes = Math.max(
      websocket ? WEBSOCKET_EVENT_BYTES : 1 << 20,
      2 * limits.maxHeaderBytes + 8 * limits.maxHeaderCount + (512 << 10),
    );
    this.events = Buffer.allocUnsafeSlow(eventBytes);
    this.ev32 = new Uint32Array(this.events.buffer, this.events.byteOffset, eventBytes >>> 2);
    this.commands = new CommandWriter(COMMAND_BUFFER_BYTES, (len, externals) =>
      this.native.flush(len, externals),
    );
    this.host = options.host;
    this.engineReason = engineReason;
    try {
      this.native = new loaded.binding.UringServer(
        {
          host: this.host,
          port: options.port,
          reusePort: options.reusePort,
          backlog: options.backlog,
          tcpFastOpen: options.tcpFastOpen,
          ...limits,
          maxPipelined: PIPELINE_MAX_REQUESTS,
          maxUnsentBytes: PIPELINE_MAX_UNSENT_BYTES,
          ...(websocket ? { wsIdleTimeoutMs: resolveWebSocketLimits(websocket.limits).idleTimeoutMs } : {}),
          ...tuningFromEnv(),
          ...(options.tls ? { tls: nativeTls(options.tls) } : {}),
          ...(options.http2 ? { http2: options.http2 } : {}),
          ...(options.http3 ? { http3: nativeHttp3(options.http3) } : {}),
        },
        this.events,
        this.commands.buffer,
        (len, stores) => this.onBatch(len, stores),
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new ListenError(`cannot listen on ${this.host}:${options.port}: ${message}`, err);
    }
    this.port = this.native.port;
    // Browsers learn of HTTP/3 from this field on an HTTPS response and switch by themselves.
    if (options.http3) this.altSvc = `h3=":${this.port}"; ma=${options.http3.altSvcMaxAgeSec}`;
    if (options.tls) {
      const native = this.native;
      if (options.tls.kernelTls) {
        reportKernelTlsFallback(kernelTlsFallbackReason('io_uring', loaded.binding.kernelTlsUnavailable()));
      }
      this.reloader = new TlsReloader(options.tls.source, (tls) => native.reloadTls(nativeTls(tls)));
    }
    if (websocket) {
      this.wsHub = new UringWebSocketHub(websocket, {
        commands: this.commands,
        schedule: () => this.scheduleFlush(),
        destroy: (to) => {
          this.commands.command(to, CMD_DESTROY, 0);
          this.scheduleFlush();
        },
        peerAddress: (ex) => this.peerAddress(ex),
      });
      websocket.attach?.(this.wsHub);
    }
  }

  reloadTls(tls?: TlsOptions): Promise<void> {
    return this.reloader ? this.reloader.reload(tls) : refuseTlsReload();
  }

  tlsCounters(): TlsCounters | undefined {
    return this.native.tlsCounters() ?? undefined;
  }

  // ===== events ================================================================================

  private onBatch(len: number, stores: Buffer[] | undefined): void {
    this.inBatch = true;
    this.batch++;
    try {
      this.decode(len, stores);
    } finally {
      // Requests still open keep their header fields: decode them before the buffer is reused.
      for (const ex of this.fresh) {
        if (ex.finished) continue;
        if (!ex.names) this.decodeHeaders(ex);
        if (!ex.tracked && ex.open) this.track(ex);
      }
      this.fresh.length = 0;
      this.inBatch = false;
      this.flushCommands();
    }
  }

  private decode(len: number, stores: Buffer[] | undefined): void {
    decodeEvents(this.events, this.ev32, len, this, stores);
  }

  onRequest(
    index: number,
    gen: number,
    seq: number,
    flags: number,
    method: string,
    url: string,
    fieldTable: number,
    fieldBytes: number,
    fieldCount: number,
    inlineBody: Buffer | undefined,
  ): void {
    const ex = new UringExchange(
      this,
      index,
      gen,
      seq,
      flags,
      method,
      originForm(url),
      (flags & EF_BODY_FOLLOWS) !== 0,
    );
    ex.batch = this.batch;
    ex.fieldTable = fieldTable;
    ex.fieldBytes = fieldBytes;
    ex.fieldCount = fieldCount;
    ex.inlineBody = inlineBody;
    // Only an exchange that can still receive events needs finding by connection: one with a
    // body to come now, any other if it is still open when the batch ends (most finish
    // synchronously and are never tracked at all).
    if (flags & EF_BODY_FOLLOWS) this.track(ex);
    this.fresh.push(ex);
    // The client waits for a go-ahead before sending a body it announced with Expect; the
    // head already passed every limit, so give it (as the node engine does).
    if ((flags & (EF_EXPECT_CONTINUE | EF_BODY_FOLLOWS)) === (EF_EXPECT_CONTINUE | EF_BODY_FOLLOWS)) {
      this.command(ex, CMD_CONTINUE, 0);
    }
    if (flags & EF_UPGRADE && this.wsHub && isWebSocketUpgrade(ex)) {
      this.wsHub.handleUpgrade(ex);
      return;
    }
    this.dispatch(ex);
  }

  onBody(index: number, gen: number, seq: number, chunk: Buffer, last: boolean): void {
    this.find(index, gen, seq)?.pushBody(chunk, last);
  }

  onBodyError(index: number, gen: number, seq: number, status: number): void {
    const [code, message] = BODY_ERRORS[status] ?? [
      'ZEPHYR_ERR_REQUEST_ABORTED',
      `the request body failed (${status})`,
    ];
    this.find(index, gen, seq)?.failBody(new RequestError(status, code, message));
  }

  onFileSent(index: number, gen: number, seq: number, errno: number): void {
    this.find(index, gen, seq)?.fileSent(errno);
  }

  onAborted(index: number, gen: number): void {
    this.wsHub?.onAborted(index, gen);
    // Requests of this very batch are not tracked yet.
    for (const ex of this.fresh) if (!ex.tracked && ex.index === index && ex.gen === gen) ex.abort();
    const conn = this.conns.get(index);
    if (conn && conn.gen === gen) {
      this.conns.delete(index);
      for (const ex of conn.list) ex.abort();
    }
  }

  onStreamAborted(index: number, gen: number, seq: number): void {
    for (const ex of this.fresh) {
      if (!ex.tracked && ex.index === index && ex.gen === gen && ex.seq === seq) ex.abort();
    }
    const ex = this.find(index, gen, seq);
    if (ex) {
      ex.abort();
      this.release(ex);
    }
  }

  onDrained(index: number, gen: number, seq: number): void {
    if (this.wsHub?.onDrained(index, gen)) return;
    this.find(index, gen, seq)?.drained();
  }

  findHeader(ex: UringExchange, wanted: string): string | undefined | null {
    if (this.inBatch && ex.batch === this.batch)
      return findField(this.events, this.ev32, ex.fieldTable, ex.fieldBytes, ex.fieldCount, wanted);
    this.decodeHeaders(ex);
    return null;
  }

  onWsMessage(index: number, gen: number, chunk: Buffer, binary: boolean, last: boolean): void {
    this.wsHub?.onMessage(index, gen, chunk, binary, last);
  }

  onWsClose(index: number, gen: number, code: number, reason: string): void {
    this.wsHub?.onClose(index, gen, code, reason);
  }

  decodeHeaders(ex: UringExchange): void {
    if (ex.names) return;
    // Only while the batch that carried the request is being handled are its bytes still there.
    if (this.inBatch && ex.batch === this.batch) {
      const { names, values } = decodeFields(
        this.events,
        this.ev32,
        ex.fieldTable,
        ex.fieldBytes,
        ex.fieldCount,
      );
      ex.names = names;
      ex.values = values;
    } else {
      ex.names = [];
      ex.values = [];
    }
  }

  private track(ex: UringExchange): void {
    ex.tracked = true;
    const conn = this.conns.get(ex.index);
    if (conn && conn.gen === ex.gen) conn.list.push(ex);
    else this.conns.set(ex.index, { gen: ex.gen, list: [ex] });
  }

  private find(index: number, gen: number, seq: number): UringExchange | undefined {
    const conn = this.conns.get(index);
    if (!conn || conn.gen !== gen) return undefined;
    for (const ex of conn.list) if (ex.seq === seq) return ex;
    return undefined;
  }

  release(ex: UringExchange): void {
    if (!ex.tracked) return;
    const conn = this.conns.get(ex.index);
    if (!conn || conn.gen !== ex.gen) return;
    const at = conn.list.indexOf(ex);
    // An exchange whose request body is still arriving stays to receive it (and drop it).
    if (at >= 0 && !ex.open) conn.list.splice(at, 1);
    if (conn.list.length === 0) this.conns.delete(ex.index);
  }

  private dispatch(ex: UringExchange): void {
    try {
      const result = this.handler(ex, ex);
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        (result as Promise<void>).then(undefined, (err: unknown) => this.failed(ex, err));
      }
    } catch (err) {
      this.failed(ex, err);
    }
  }

  /** The handler threw or rejected: its status (500 unless it was a RequestError), then close. */
  private failed(ex: UringExchange, err: unknown): void {
    if (err instanceof RequestError) {
      ex.fail(err.status);
      return;
    }
    // Errors are the application's to log, but one that escaped the handler would otherwise
    // vanish behind a bare 500.
    console.error('zephyr: request handler failed:', err);
    ex.fail(500);
  }

  peerAddress(ex: UringExchange): string {
    // One native lookup per connection, not per request (a tracer reads it on every request).
    const known = this.peers.get(ex.index);
    if (known !== undefined && known.gen === ex.gen) return known.address;
    const address = this.native.peerAddress(ex.index, ex.gen) ?? '';
    if (address !== '') this.peers.set(ex.index, { gen: ex.gen, address });
    return address;
  }

  // ===== commands ==============================================================================

  respond(
    ex: UringExchange,
    flags: number,
    status: number,
    fields: ResponseFields,
    length: number,
    body: Uint8Array | string | undefined,
    bodyBytes: number,
  ): void {
    this.commands.respond(ex, flags, status, this.withAltSvc(ex, fields), length, body, bodyBytes);
    this.scheduleFlush();
  }

  write(ex: UringExchange, flags: number, body: Uint8Array | string | undefined, bodyBytes: number): void {
    this.commands.write(ex, flags, body, bodyBytes);
    this.scheduleFlush();
  }

  trailers(ex: UringExchange, flags: number, fields: ResponseFields): void {
    this.commands.trailers(ex, CF_END | flags, fields);
    this.scheduleFlush();
  }

  command(ex: UringExchange, kind: number, flags: number): void {
    this.commands.command(ex, kind, flags);
    this.scheduleFlush();
  }

  sendFile(
    ex: UringExchange,
    flags: number,
    status: number,
    fields: ResponseFields,
    fd: number,
    offset: number,
    length: number,
  ): void {
    this.commands.sendFile(ex, flags, status, this.withAltSvc(ex, fields), fd, offset, length);
    this.scheduleFlush();
  }

  /**
   * HTTPS responses over TCP name the HTTP/3 endpoint, unless the application set `alt-svc`.
   * The field goes onto `fields` itself rather than a copy: it is the exchange's own array for
   * this one response, which nothing reads once the head is sent.
   */
  private withAltSvc(ex: UringExchange, fields: ResponseFields): ResponseFields {
    if (this.altSvc === undefined || ex.httpVersion === '3') return fields;
    for (let i = 0; i < fields.length; i += 2) if (fields[i] === 'alt-svc') return fields;
    fields.push('alt-svc', this.altSvc);
    return fields;
  }

  /** The listener's HTTP/3 counters (connections, Retry packets, requests, protocol errors). */
  http3Counters(): Http3Counters | undefined {
    return this.native.http3Counters() ?? undefined;
  }

  scheduleFlush(): void {
    if (!this.inBatch && !this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushBound);
    }
  }

  private flushCommands(): void {
    this.flushQueued = false;
    this.commands.flush();
  }

  // ===== lifecycle =============================================================================

  get connections(): number {
    return this.native.connections;
  }

  stopAccepting(): Promise<void> {
    this.accepting ??= (async () => {
      if (this.closing) return;
      this.native.stopAccepting();
      // The listener closes when the cancelled accept's last completion is reaped, on one of
      // the next turns of the loop (see server_accept.rs).
      while (this.native.listening) await new Promise((resolve) => setTimeout(resolve, 2));
    })();
    return this.accepting;
  }

  close(options?: { timeoutMs?: number }): Promise<void> {
    if (this.closing) return this.closing;
    const timeoutMs = options?.timeoutMs ?? 10_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new ZephyrEngineError(
        'ZEPHYR_ERR_INVALID_ARGUMENT',
        `close: timeoutMs must be a non-negative number, got ${timeoutMs}`,
      );
    }
    this.flushCommands();
    this.reloader?.dispose();
    this.native.shutdown();
    const started = Date.now();
    this.closing = new Promise((resolve) => {
      let destroyed = false;
      // Connections finish on their own schedule (their last responses, the kernel's
      // completions); checking often keeps close() prompt without a native callback for it.
      const timer = setInterval(() => {
        if (this.native.isDrained()) {
          clearInterval(timer);
          this.native.dispose();
          resolve();
        } else if (!destroyed && Date.now() - started >= timeoutMs) {
          destroyed = true;
          this.native.destroyAll();
        }
      }, 5);
    });
    return this.closing;
  }
}

/**
 * Kernel-side tunables that trade resources for syscalls or copies. They are opt-in (see the
 * crate README for what each measured) and read from the environment, so benchmarks can switch
 * them without an API change: `ZEPHYR_URING_SQPOLL_IDLE_MS` (a kernel thread polls submissions)
 * and `ZEPHYR_URING_SEND_ZC_MIN` (sends of at least that many bytes go zero-copy).
 */
function tuningFromEnv(): { sqpollIdleMs?: number; sendZcMinBytes?: number } {
  const tuning: { sqpollIdleMs?: number; sendZcMinBytes?: number } = {};
  const idle = Number(process.env.ZEPHYR_URING_SQPOLL_IDLE_MS);
  if (Number.isInteger(idle) && idle > 0) tuning.sqpollIdleMs = idle;
  const zc = Number(process.env.ZEPHYR_URING_SEND_ZC_MIN);
  if (Number.isInteger(zc) && zc > 0 && zc <= 0xffff_ffff) tuning.sendZcMinBytes = zc;
  return tuning;
}

/**
 * Starts an io_uring HTTP/1.1 listener serving `handler`.
 *
 * @example
 * ```ts
 * import { listenUring } from './uring-engine.js';
 * const server = await listenUring({ port: 0 }, (req, res) => res.end(`hello ${req.path}`));
 * console.log(server.port);
 * await server.close();
 * ```
 */
export async function listenUring(
  options: ListenOptions,
  handler: RequestHandler,
  websocket?: WebSocketServing,
): Promise<EngineServer> {
  const resolved = resolveListenOptions(options);
  if (typeof handler !== 'function') {
    throw new ZephyrEngineError('ZEPHYR_ERR_INVALID_ARGUMENT', 'listenUring: handler must be a function');
  }
  return startUring(resolved, handler, 'io_uring (the probe set up a ring)', websocket);
}

/** Starts an io_uring listener from options already validated (and TLS files already read). */
export function startUring(
  resolved: ResolvedListenOptions,
  handler: RequestHandler,
  reason: string,
  websocket?: WebSocketServing,
): EngineServer {
  return new UringHost({ ...resolved, engine: 'io_uring' }, handler, reason, websocket);
}

/** The endpoint's share of the HTTP/3 settings (the Alt-Svc age is the JS side's). */
function nativeHttp3(h3: Http3Settings): NativeHttp3 {
  return {
    maxConcurrentStreams: h3.maxConcurrentStreams,
    idleTimeoutMs: h3.idleTimeoutMs,
    maxUdpPayloadSize: h3.maxUdpPayloadSize,
    retry: h3.retry,
    handshakesBeforeRetry: h3.handshakesBeforeRetry,
  };
}
