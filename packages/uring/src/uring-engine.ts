import type { EngineServer, ListenOptions, RequestHandler } from './engine.js';
import {
  EngineUnavailableError,
  ListenError,
  RequestError,
  ZephyrEngineError,
  type ZephyrEngineErrorCode,
} from './errors.js';
import { type ResolvedListenOptions, resolveListenOptions } from './limits.js';
import { loadNative, type NativeUringServer } from './native.js';
import { type ExchangeHost, UringExchange } from './uring-exchange.js';
import {
  CF_CLOSE,
  CF_END,
  CF_EXTERNAL,
  CMD_CONTINUE,
  CMD_SEND_FILE,
  CMD_WRITE,
  EF_BODY_FOLLOWS,
  EF_EXPECT_CONTINUE,
  EF_LAST,
  EV_ABORTED,
  EV_BODY,
  EV_BODY_ERROR,
  EV_DRAINED,
  EV_FILE_SENT,
  EV_REQUEST,
  padded,
} from './uring-protocol.js';

/**
 * Payloads at least this large are not copied: they travel beside the command buffer and are
 * sent from their own memory. Below it, two memcpys cost less than pinning the buffer.
 */
const EXTERNAL_MIN = 16 * 1024;
const COMMAND_BUFFER_BYTES = 1 << 20;
/** Response bytes queued on a connection before `write` asks the caller to wait for drain. */
const HIGH_WATER_MARK = 64 * 1024;

/**
 * Node's per-encoding Buffer writers (what `buf.write(s, off, enc)` dispatches to). They skip
 * `write`'s argument normalisation, which showed as a tenth of the engine's JS time under
 * pipelined load. Not in Node's typings, so they are looked up and fall back to `write`.
 */
interface EncodingWriters {
  latin1Write(text: string, offset: number, length: number): number;
  utf8Write(text: string, offset: number, length: number): number;
}
const writers = Buffer.prototype as unknown as Partial<EncodingWriters>;
const writeLatin1: (buf: Buffer, text: string, offset: number) => number =
  typeof writers.latin1Write === 'function'
    ? (buf, text, offset) =>
        (buf as unknown as EncodingWriters).latin1Write(text, offset, buf.length - offset)
    : (buf, text, offset) => buf.write(text, offset, 'latin1');
const writeUtf8: (buf: Buffer, text: string, offset: number) => number =
  typeof writers.utf8Write === 'function'
    ? (buf, text, offset) => (buf as unknown as EncodingWriters).utf8Write(text, offset, buf.length - offset)
    : (buf, text, offset) => buf.write(text, offset, 'utf8');

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
class UringHost implements ExchangeHost, EngineServer {
  readonly engine = 'io_uring' as const;
  readonly host: string;
  readonly port: number;
  readonly engineReason: string;
  readonly highWaterMark = HIGH_WATER_MARK;

  private readonly native: NativeUringServer;
  private readonly events: Buffer;
  private readonly ev32: Uint32Array;
  private readonly cmd: Buffer;
  private readonly cmd32: Uint32Array;
  private cmdLen = 0;
  private externals: Buffer[] = [];
  private readonly conns = new Map<number, ConnExchanges>();
  private inBatch = false;
  private batch = 0;
  private flushQueued = false;
  /** Exchanges made in the current batch, whose header fields are still in `events`. */
  private readonly fresh: UringExchange[] = [];
  private closing: Promise<void> | undefined;
  private readonly flushBound = (): void => this.flushCommands();

  constructor(
    options: ResolvedListenOptions,
    private readonly handler: RequestHandler,
    engineReason: string,
  ) {
    const { limits } = options;
    const loaded = loadNative();
    if (!loaded.binding) {
      throw new EngineUnavailableError(
        `io_uring unavailable: the native binding could not be loaded: ${loaded.error.message}`,
      );
    }
    // Room for the largest request record (head fields, an inline body) and a worst-case chunked
    // body window, with slack; see events.rs for how records are sized.
    const eventBytes = Math.max(1 << 20, 2 * limits.maxHeaderBytes + 8 * limits.maxHeaderCount + (512 << 10));
    this.events = Buffer.allocUnsafeSlow(eventBytes);
    this.ev32 = new Uint32Array(this.events.buffer, this.events.byteOffset, eventBytes >>> 2);
    this.cmd = Buffer.allocUnsafeSlow(COMMAND_BUFFER_BYTES);
    this.cmd32 = new Uint32Array(this.cmd.buffer, this.cmd.byteOffset, COMMAND_BUFFER_BYTES >>> 2);
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
          ...tuningFromEnv(),
        },
        this.events,
        this.cmd,
        (len) => this.onBatch(len),
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new ListenError(`cannot listen on ${this.host}:${options.port}: ${message}`, err);
    }
    this.port = this.native.port;
  }

  // ===== events ================================================================================

  private onBatch(len: number): void {
    this.inBatch = true;
    this.batch++;
    try {
      this.decode(len);
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

  private decode(len: number): void {
    const ev = this.events;
    const w = this.ev32;
    let p = 0;
    const end = len >>> 2;
    while (p < end) {
      const head = w[p] as number;
      const kind = head & 0xff;
      const flags = head >>> 8;
      const index = w[p + 1] as number;
      const gen = w[p + 2] as number;
      const seq = w[p + 3] as number;
      if (kind === EV_REQUEST) {
        const methodLen = w[p + 4] as number;
        const targetLen = w[p + 5] as number;
        const count = w[p + 6] as number;
        const bodyLen = w[p + 7] as number;
        const table = p + 8;
        let b = (table + 2 * count) * 4;
        const method =
          methodLen === 3 && ev[b] === 0x47 && ev[b + 1] === 0x45 && ev[b + 2] === 0x54
            ? 'GET'
            : ev.toString('latin1', b, b + methodLen);
        b += padded(methodLen);
        const url = ev.toString('latin1', b, b + targetLen);
        b += padded(targetLen);
        const ex = new UringExchange(
          this,
          index,
          gen,
          seq,
          flags,
          method,
          url,
          (flags & EF_BODY_FOLLOWS) !== 0,
        );
        ex.batch = this.batch;
        ex.fieldTable = table;
        ex.fieldBytes = b;
        ex.fieldCount = count;
        for (let i = 0; i < count; i++)
          b += padded(w[table + 2 * i] as number) + padded(w[table + 2 * i + 1] as number);
        if (bodyLen > 0) ex.inlineBody = Buffer.from(ev.subarray(b, b + bodyLen));
        b += padded(bodyLen);
        p = b >>> 2;
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
        this.dispatch(ex);
        continue;
      }
      if (kind === EV_BODY) {
        const n = w[p + 4] as number;
        const start = (p + 5) * 4;
        const ex = this.find(index, gen, seq);
        if (ex) ex.pushBody(Buffer.from(ev.subarray(start, start + n)), (flags & EF_LAST) !== 0);
        p += 5 + (padded(n) >>> 2);
        continue;
      }
      if (kind === EV_BODY_ERROR || kind === EV_FILE_SENT) {
        const value = w[p + 4] as number;
        const ex = this.find(index, gen, seq);
        if (ex && kind === EV_FILE_SENT) ex.fileSent(value | 0);
        else if (ex) {
          const [code, message] = BODY_ERRORS[value] ?? [
            'ZEPHYR_ERR_REQUEST_ABORTED',
            `the request body failed (${value})`,
          ];
          ex.failBody(new RequestError(value, code, message));
        }
        p += 5;
        continue;
      }
      if (kind === EV_ABORTED || kind === EV_DRAINED) {
        if (kind === EV_ABORTED) {
          // Requests of this very batch are not tracked yet.
          for (const ex of this.fresh) if (!ex.tracked && ex.index === index && ex.gen === gen) ex.abort();
        }
        const conn = this.conns.get(index);
        if (conn && conn.gen === gen) {
          if (kind === EV_ABORTED) {
            this.conns.delete(index);
            for (const ex of conn.list) ex.abort();
          } else {
            for (const ex of [...conn.list]) ex.drained();
          }
        }
        p += 4;
        continue;
      }
      throw new Error(
        `io_uring engine: unknown event kind ${kind} (protocol mismatch with the native binding)`,
      );
    }
  }

  decodeHeaders(ex: UringExchange): void {
    if (ex.names) return;
    const names: string[] = [];
    const values: string[] = [];
    // Only while the batch that carried the request is being handled are its bytes still there.
    if (this.inBatch && ex.batch === this.batch) {
      const w = this.ev32;
      let b = ex.fieldBytes;
      for (let i = 0; i < ex.fieldCount; i++) {
        const nl = w[ex.fieldTable + 2 * i] as number;
        const vl = w[ex.fieldTable + 2 * i + 1] as number;
        names.push(this.events.toString('latin1', b, b + nl).toLowerCase());
        b += padded(nl);
        values.push(this.events.toString('latin1', b, b + vl));
        b += padded(vl);
      }
    }
    ex.names = names;
    ex.values = values;
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
    return this.native.peerAddress(ex.index, ex.gen) ?? '';
  }

  // ===== commands ==============================================================================

  write(
    ex: UringExchange,
    flags: number,
    head: string,
    body: Uint8Array | string | undefined,
    bodyBytes: number,
  ): void {
    if (body !== undefined && bodyBytes >= EXTERNAL_MIN) {
      if (head.length > 0) this.writeInline(ex, flags & ~(CF_END | CF_CLOSE), head, undefined, 0);
      const bytes =
        typeof body === 'string'
          ? Buffer.from(body)
          : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      // Room first: a flush inside words() would renumber the externals.
      if (this.cmdLen + 20 > this.cmd.length) this.flushCommands();
      this.words(CMD_WRITE | ((flags | CF_EXTERNAL) << 8), ex, this.externals.length);
      this.externals.push(bytes);
      // No copy: the native side holds a reference to the buffer until the kernel has sent it
      // (so, as with node:http, changing the buffer after write() changes what is sent).
      this.scheduleFlush();
      return;
    }
    this.writeInline(ex, flags, head, body, bodyBytes);
  }

  private writeInline(
    ex: UringExchange,
    flags: number,
    head: string,
    body: Uint8Array | string | undefined,
    bodyBytes: number,
  ): void {
    const total = head.length + bodyBytes;
    if (this.cmdLen + 20 + padded(total) > this.cmd.length) this.flushCommands();
    let off = this.words(CMD_WRITE | (flags << 8), ex, total);
    if (head.length > 0) off += writeLatin1(this.cmd, head, off);
    if (body !== undefined) {
      if (typeof body === 'string') writeUtf8(this.cmd, body, off);
      else this.cmd.set(body, off);
    }
    this.cmdLen += padded(total);
    this.scheduleFlush();
  }

  /** Writes a record header plus one word; returns the byte offset after them. */
  private words(first: number, ex: UringExchange, fifth: number): number {
    if (this.cmdLen + 20 > this.cmd.length) this.flushCommands();
    const i = this.cmdLen >>> 2;
    const w = this.cmd32;
    w[i] = first;
    w[i + 1] = ex.index;
    w[i + 2] = ex.gen;
    w[i + 3] = ex.seq;
    w[i + 4] = fifth;
    this.cmdLen += 20;
    return this.cmdLen;
  }

  command(ex: UringExchange, kind: number, flags: number): void {
    if (this.cmdLen + 16 > this.cmd.length) this.flushCommands();
    const i = this.cmdLen >>> 2;
    const w = this.cmd32;
    w[i] = kind | (flags << 8);
    w[i + 1] = ex.index;
    w[i + 2] = ex.gen;
    w[i + 3] = ex.seq;
    this.cmdLen += 16;
    this.scheduleFlush();
  }

  sendFile(ex: UringExchange, flags: number, head: string, fd: number, offset: number, length: number): void {
    const need = 40 + padded(head.length);
    if (this.cmdLen + need > this.cmd.length) this.flushCommands();
    const i = this.cmdLen >>> 2;
    const w = this.cmd32;
    w[i] = CMD_SEND_FILE | (flags << 8);
    w[i + 1] = ex.index;
    w[i + 2] = ex.gen;
    w[i + 3] = ex.seq;
    w[i + 4] = head.length;
    w[i + 5] = fd;
    w[i + 6] = offset % 2 ** 32;
    w[i + 7] = Math.floor(offset / 2 ** 32);
    w[i + 8] = length % 2 ** 32;
    w[i + 9] = Math.floor(length / 2 ** 32);
    writeLatin1(this.cmd, head, this.cmdLen + 40);
    this.cmdLen += need;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.inBatch && !this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushBound);
    }
  }

  private flushCommands(): void {
    this.flushQueued = false;
    if (this.cmdLen === 0 && this.externals.length === 0) return;
    const len = this.cmdLen;
    const externals = this.externals;
    this.cmdLen = 0;
    this.externals = [];
    this.native.flush(len, externals.length > 0 ? externals : undefined);
  }

  // ===== lifecycle =============================================================================

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
export async function listenUring(options: ListenOptions, handler: RequestHandler): Promise<EngineServer> {
  const resolved = resolveListenOptions(options);
  if (typeof handler !== 'function') {
    throw new ZephyrEngineError('ZEPHYR_ERR_INVALID_ARGUMENT', 'listenUring: handler must be a function');
  }
  return new UringHost(resolved, handler, 'io_uring (the probe set up a ring)');
}
