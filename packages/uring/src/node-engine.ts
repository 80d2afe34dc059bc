import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { EngineServer, RequestHandler } from './engine.js';
import { engineProblemResponse, sendEngineProblem } from './engine-problem.js';
import { InvalidOptionError, ListenError, RequestError, UnsupportedOptionError } from './errors.js';
import type { ResolvedListenOptions } from './limits.js';
import { ADMIT_CHUNKED, admissionStatus } from './node-admission.js';
import { NodeExchange } from './node-exchange.js';
import { NodePipeline } from './node-pipeline.js';

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

/** The status node:http's parser or timers ask for; 0 for a transport error with no answer. */
function clientErrorStatus(code: string | undefined): number {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    case 'ECONNRESET':
    case 'EPIPE':
      return 0;
    default:
      return 400;
  }
}

/**
 * Answers a parse error or an expired header/request deadline, unless a response head is already
 * on the wire. node's own handler writes the same answers but destroys the socket at once: with
 * request bytes still unread, the kernel then sends RST and the client may lose the answer (a
 * 413/431 to a client still sending is exactly that case). Ending first lets it arrive.
 */
function onClientError(err: Error & { code?: string }, socket: Socket): void {
  const status = clientErrorStatus(err.code);
  const pending = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (status !== 0 && socket.writable && !pending?.headersSent) {
    socket.end(engineProblemResponse(status));
    // end() flushes the answer; a client that never closes its side must not hold the socket.
    setTimeout(() => socket.destroy(), 1000).unref();
  } else {
    socket.destroy();
  }
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

  constructor(
    private readonly options: ResolvedListenOptions,
    private readonly handler: RequestHandler,
    reason: string,
  ) {
    this.host = options.host;
    this.engineReason = reason;
    const { limits } = options;
    this.server = createServer({
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
    });
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
    this.server.on('clientError', onClientError);
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => this.serve(req, res, false));
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

  close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closing) return this.closing;
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0) {
      return Promise.reject(
        new InvalidOptionError(`close: timeoutMs must be a non-negative integer, got ${timeoutMs}`),
      );
    }
    this.closing = new Promise<void>((resolve) => {
      // A connection goes idle when its last response ends; sweeping often closes each one then,
      // without a listener on every response. Requests that arrive meanwhile are answered with
      // Connection: close (see serve()).
      const sweep = setInterval(() => this.server.closeIdleConnections(), 25);
      const timer = setTimeout(() => {
        this.server.closeAllConnections();
        for (const socket of this.sockets) socket.destroy();
      }, timeoutMs);
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
): Promise<EngineServer> {
  if (options.reusePort && !nodeHasReusePort()) {
    throw new UnsupportedOptionError(
      `reusePort needs node >= 22.12 on the node engine (this is ${process.versions.node}); use the io_uring engine or cluster`,
    );
  }
  // TCP_FASTOPEN has no node:net switch; it only saves a round trip on reconnects, so the node
  // engine serves without it rather than refusing to start (documented in the README).
  const server = new NodeEngineServer(options, handler, reason);
  await server.listen();
  return server;
}
