import { createServer, type IncomingMessage, type Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EngineLimits, EngineServer, RequestHandler } from './engine.js';
import { engineProblemResponse, sendEngineProblem } from './engine-problem.js';
import { ListenError, RequestError, UnsupportedOptionError, ZephyrEngineError } from './errors.js';
import { kernelTlsFallbackReason, reportKernelTlsFallback } from './kernel-tls.js';
import type { ResolvedListenOptions } from './limits.js';
import { ADMIT_CHUNKED, admissionStatus } from './node-admission.js';
import { NodeExchange } from './node-exchange.js';
import { type Http2GuardCounts, NodeHttp2Front } from './node-http2.js';
import { NodePipeline } from './node-pipeline.js';
import { NodeTls } from './node-tls.js';
import { NodeWebSocketHub } from './node-websocket.js';
import type { TlsCounters } from './tls-counters.js';
import type { TlsOptions } from './tls-options.js';
import { refuseTlsReload, TlsReloader } from './tls-reload.js';
import type { WebSocketServing } from './websocket.js';

/** node:net learnt SO_REUSEPORT in 22.12 / 23.1. */
function nodeHasReusePort(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

/** What node:http adds to keepAliveTimeout before it closes an idle connection (a constant inside node:http). */
const KEEP_ALIVE_BUFFER_MS = 1000;

/** Answers a request with an empty body and closes the connection after it. */
function refuse(res: ServerResponse, status: number): void {
  if (res.headersSent) {
    res.socket?.destroy();
    return;
  }
  sendEngineProblem(res, status);
}

/** What node:http passes to 'clientError': llhttp's code and wording, and the bytes it stopped in. */
type ClientError = Error & { code?: string; reason?: string; rawPacket?: unknown; bytesParsed?: number };

/** A `method SP` prefix (RFC 9110 token) followed by target bytes only: a request line cut in its target. */
const REQUEST_LINE_IN_TARGET = /^[-!#$%&'*+.^_`|~0-9A-Za-z]+ [\x21-\x7e]*$/;
/** Target bytes only: the continuation of a target begun in an earlier read. */
const TARGET_BYTES = /^[\x21-\x7e]*$/;

/**
 * Whether llhttp's header overflow struck inside the request-target. node counts the target
 * against `maxHeaderSize` and calls a long one a header overflow (431), where the io_uring parser
 * meets `maxUrlLength` first and answers 414. The line llhttp stopped in is read back from the
 * buffer it was parsing; when the head began in an earlier read, a run of visible characters
 * without a space is taken for target bytes (a space-free field value split across reads would
 * also match: either way the request is refused and the connection closed).
 */
function overflowInTarget(err: ClientError): boolean {
  const raw = err.rawPacket;
  if (!Buffer.isBuffer(raw)) return false;
  const end = Math.min(err.bytesParsed ?? raw.length, raw.length);
  if (end === 0) return false;
  const lineStart = raw.lastIndexOf(0x0a, end - 1) + 1;
  const line = raw.toString('latin1', lineStart, end);
  return REQUEST_LINE_IN_TARGET.test(line) || (lineStart === 0 && TARGET_BYTES.test(line));
}

/** The status node:http's parser or timers ask for; 0 for a transport error with no answer. */
function clientErrorStatus(err: ClientError, limits: EngineLimits): number {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return limits.maxUrlLength < limits.maxHeaderBytes && overflowInTarget(err) ? 414 : 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      // RFC 9112 §7.1.1 asks for "an appropriate 4xx". The io_uring decoder refuses an over-long
      // chunk-size line as malformed framing (400); both engines answer alike.
      return 400;
    case 'HPE_INVALID_VERSION':
      // llhttp's wording for a well-formed `HTTP/x.y` other than 0.9/1.0/1.1/2.0; a malformed
      // version stays 400, as on the io_uring engine.
      return err.reason === 'Invalid HTTP version' ? 505 : 400;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    case 'ECONNRESET':
    case 'EPIPE':
      return 0;
    default:
      return 400;
  }
}

/** The response node:http is writing on `socket`, if any. */
function pendingResponse(socket: Duplex): ServerResponse | null | undefined {
  return (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
}

/** Writes a bare error answer and closes; a client that never closes its side is cut off after a second. */
function answerAndClose(socket: Duplex, status: number): void {
  socket.end(engineProblemResponse(status));
  setTimeout(() => socket.destroy(), 1000).unref();
}

/**
 * Answers a parse error or an expired header/request deadline, unless a response head is already
 * on the wire. node's own handler writes the same answers but destroys the socket at once: with
 * request bytes still unread, the kernel then sends RST and the client may lose the answer (a
 * 413/431 to a client still sending is exactly that case). Ending first lets it arrive.
 */
function onClientError(err: ClientError, socket: Duplex, limits: EngineLimits): void {
  // Bytes after a request that closes the connection: llhttp (strict) calls them an error, but
  // the request before them is valid and already dispatched. Its response ends the connection
  // (node closes after a `Connection: close` answer); destroying here would lose it.
  if (err.code === 'HPE_CLOSED_CONNECTION') return;
  const status = clientErrorStatus(err, limits);
  if (status !== 0 && socket.writable && !pendingResponse(socket)?.headersSent) {
    answerAndClose(socket, status);
  } else {
    socket.destroy();
  }
}

/**
 * CONNECT asks for a tunnel, which the engine contract has no API for: refuse it with 400 and
 * close, as the io_uring parser does, so no later byte is read as a request. A pipelined CONNECT
 * behind an unanswered request cannot get an answer in order; the connection just closes.
 */
function refuseConnect(socket: Duplex): void {
  if (socket.writable && !pendingResponse(socket)) answerAndClose(socket, 400);
  else socket.destroy();
}

/** The node:http engine: the contract of `engine.ts` on top of `http.createServer`. */
class NodeEngineServer implements EngineServer {
  readonly engine = 'node' as const;
  readonly host: string;
  port = 0;
  readonly engineReason: string;
  private closing: Promise<void> | undefined;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** A keep-alive timeout node's 1 s margin cannot be subtracted from; 0 when not needed. */
  private readonly shortKeepAliveMs: number;
  private readonly pipeline: NodePipeline;

  private readonly hub: NodeWebSocketHub | undefined;
  private readonly tls: NodeTls | undefined;
  private readonly reloader: TlsReloader | undefined;
  private readonly h2: NodeHttp2Front | undefined;

  constructor(
    private readonly options: ResolvedListenOptions,
    private readonly handler: RequestHandler,
    reason: string,
    websocket?: WebSocketServing,
  ) {
    this.host = options.host;
    this.engineReason = reason;
    const { limits } = options;
    const serverOptions = {
      // node counts only target, names and values against this, which is never more than the
      // canonical head size admission checks, so node's own 431 can only fire when ours would.
      maxHeaderSize: limits.maxHeaderBytes,
      insecureHTTPParser: false,
      requireHostHeader: true,
      noDelay: true,
      // node checks header/request deadlines on this interval; a tenth of the shortest keeps a
      // 408 within 10% of its deadline without a timer per connection.
      connectionsCheckingInterval: Math.max(
        10,
        Math.min(1000, Math.floor(Math.min(limits.headerTimeoutMs, limits.requestTimeoutMs) / 10)),
      ),
      headersTimeout: limits.headerTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // node closes an idle keep-alive connection a fixed 1 s after keepAliveTimeout (a margin
      // against racing the client); take that second off so the connection closes on time.
      keepAliveTimeout:
        limits.keepAliveTimeoutMs > KEEP_ALIVE_BUFFER_MS
          ? limits.keepAliveTimeoutMs - KEEP_ALIVE_BUFFER_MS
          : limits.keepAliveTimeoutMs,
    };
    // https.Server is an http.Server with TLS underneath: every listener below applies as is.
    if (options.tls) {
      const tls = new NodeTls(options.tls);
      if (options.tls.kernelTls) reportKernelTlsFallback(kernelTlsFallbackReason('node', null));
      const server = createHttpsServer({ ...serverOptions, ...tls.serverOptions() });
      tls.attach(server);
      this.tls = tls;
      this.reloader = new TlsReloader(options.tls.source, (resolved) => tls.reload(resolved));
      this.server = server;
    } else {
      this.server = createServer(serverOptions);
    }
    // After NodeTls: the front replaces node's own HTTP/1.1 listener, NodeTls's counters stay.
    if (options.http2) {
      this.h2 = new NodeHttp2Front(this.server, options.http2, limits, handler, options.tls !== undefined);
    }
    this.pipeline = new NodePipeline(limits.writeTimeoutMs);
    this.shortKeepAliveMs = limits.keepAliveTimeoutMs <= KEEP_ALIVE_BUFFER_MS ? limits.keepAliveTimeoutMs : 0;
    // node silently drops fields past maxHeadersCount; one spare field lets admission see that
    // the limit was crossed and answer 431 instead.
    this.server.maxHeadersCount = limits.maxHeaderCount + 1;
    this.server.maxConnections = limits.maxConnections;
    this.server.maxRequestsPerSocket = 0;
    this.server.timeout = 0;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (err: ClientError, socket: Duplex) => onClientError(err, socket, limits));
    this.server.on('connect', (_req: IncomingMessage, socket: Duplex) => refuseConnect(socket));
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => this.serve(req, res, false));
    if (websocket) {
      const hub = new NodeWebSocketHub(websocket);
      this.hub = hub;
      websocket.attach?.(hub);
      this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
        if (/(^|,)\s*websocket\s*(,|$)/i.test(req.headers.upgrade ?? ''))
          hub.handleUpgrade(req, socket, head);
        else this.serveUpgradeAsHttp(req, socket);
      });
    }
    // Expect: 100-continue: refuse before the client sends the body when the head already fails.
    this.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) =>
      this.serve(req, res, true),
    );
  }

  listen(): Promise<void> {
    const { host, port, backlog, reusePort } = this.options;
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(new ListenError(`cannot listen on ${host}:${port}: ${err.message}`, err));
      };
      this.server.once('error', onError);
      this.server.listen({ host, port, backlog, ...(reusePort ? { reusePort: true } : {}) }, () => {
        this.server.off('error', onError);
        const address = this.server.address();
        this.port = typeof address === 'object' && address !== null ? address.port : port;
        resolve();
      });
    });
  }

  /** How often each HTTP/2 guard fired; undefined without `http2`. Not part of the engine contract. */
  get http2Guards(): Readonly<Http2GuardCounts> | undefined {
    return this.h2?.counts;
  }

  private serve(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    const status = admissionStatus(req, this.options.limits);
    if (status !== 0 && status !== ADMIT_CHUNKED) {
      refuse(res, status);
      return;
    }
    if (this.closing) res.shouldKeepAlive = false;
    if (expectsContinue) res.writeContinue();
    if (this.shortKeepAliveMs !== 0) this.trimKeepAlive(req.socket, res);
    this.pipeline.admit(req.socket, res, () => this.run(req, res, status === ADMIT_CHUNKED));
  }

  private run(req: IncomingMessage, res: ServerResponse, chunked: boolean): void {
    const exchange = new NodeExchange(req, res, this.options.limits.maxBodyBytes, chunked);
    try {
      const result = this.handler(exchange, exchange);
      if (result !== undefined && typeof result.then === 'function') {
        result.then(undefined, (err: unknown) => this.failed(res, err));
      }
    } catch (err) {
      this.failed(res, err);
    }
  }

  /**
   * With an 'upgrade' listener node hands every Upgrade request to it (h2c too, which curl
   * offers): one that is not a WebSocket is answered as plain HTTP, and the connection closes
   * after it since node stopped parsing it.
   */
  private serveUpgradeAsHttp(req: IncomingMessage, socket: Socket): void {
    const res = new ServerResponse(req);
    res.assignSocket(socket);
    res.shouldKeepAlive = false;
    res.once('finish', () => socket.end());
    this.serve(req, res, false);
  }

  /**
   * For keep-alive timeouts under node's margin: after node armed the idle timer (its 'finish'
   * listener runs before ours), re-arm it with the configured time.
   */
  private trimKeepAlive(socket: Socket, res: ServerResponse): void {
    const ms = this.shortKeepAliveMs;
    res.once('finish', () => {
      if (socket.timeout === ms + KEEP_ALIVE_BUFFER_MS) socket.setTimeout(ms);
    });
  }

  /** The handler threw or rejected: its status (500 unless it was a RequestError), then close. */
  private failed(res: ServerResponse, err: unknown): void {
    if (err instanceof RequestError) {
      refuse(res, err.status);
      return;
    }
    // Errors are the application's to log, but one that escaped the handler would otherwise
    // vanish behind a bare 500.
    console.error('zephyr: request handler failed:', err);
    refuse(res, 500);
  }

  reloadTls(tls?: TlsOptions): Promise<void> {
    return this.reloader ? this.reloader.reload(tls) : refuseTlsReload();
  }

  tlsCounters(): TlsCounters | undefined {
    return this.tls?.snapshot();
  }

  get connections(): number {
    return this.sockets.size;
  }

  stopAccepting(): Promise<void> {
    if (!this.closing && this.server.listening) {
      // node:net's close, not node:http's: that one also closes the idle keep-alive
      // connections (a client reusing one at that moment sees it closed) and stops the header
      // and request deadline checks of the others. In a node:cluster worker it tells the primary
      // to hand this worker no more connections; one already on its way is handed to another.
      NetServer.prototype.close.call(this.server);
    }
    return Promise.resolve();
  }

  close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closing) return this.closing;
    // A wrong argument is the caller's bug: thrown at once, as on the io_uring engine.
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new ZephyrEngineError(
        'ZEPHYR_ERR_INVALID_ARGUMENT',
        `close: timeoutMs must be a non-negative number, got ${timeoutMs}`,
      );
    }
    this.hub?.close();
    this.reloader?.dispose();
    // GOAWAY on each HTTP/2 connection: its open streams finish, then it closes by itself.
    this.h2?.close();
    this.closing = new Promise<void>((resolve) => {
      // A connection goes idle when its last response ends; sweeping often closes each one then,
      // without a listener on every response. Requests that arrive meanwhile are answered with
      // Connection: close (see serve()).
      const sweep = setInterval(() => this.server.closeIdleConnections(), 25);
      const timer = setTimeout(
        () => {
          this.hub?.terminateAll();
          this.h2?.destroyAll();
          this.server.closeAllConnections();
          for (const socket of this.sockets) socket.destroy();
        },
        Math.min(timeoutMs, 0x7fff_ffff),
      );
      this.server.close(() => {
        clearInterval(sweep);
        clearTimeout(timer);
        resolve();
      });
      this.server.closeIdleConnections();
    });
    return this.closing;
  }
}

/**
 * Starts the node:http engine. `options` must already be validated (see `resolveListenOptions`).
 *
 * @example
 * ```ts
 * const server = await listenNode(resolveListenOptions({ port: 0 }), (req, res) => res.end('hi'), 'forced');
 * ```
 */
export async function listenNode(
  options: ResolvedListenOptions,
  handler: RequestHandler,
  reason: string,
  websocket?: WebSocketServing,
): Promise<EngineServer> {
  if (options.reusePort && !nodeHasReusePort()) {
    throw new UnsupportedOptionError(
      `reusePort needs node >= 22.12 on the node engine (this is ${process.versions.node}); use the io_uring engine or cluster`,
    );
  }
  // TCP_FASTOPEN has no node:net switch; it only saves a round trip on reconnects, so the node
  // engine serves without it rather than refusing to start (documented in the README).
  const server = new NodeEngineServer(options, handler, reason, websocket);
  await server.listen();
  return server;
}
