import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import {
  type EngineLimits,
  type EngineName,
  type EngineServer,
  listen as engineListen,
  type Http2Options,
  type Http3Options,
  type ListenOptions,
  type RequestHandler,
  selectEngine,
  type TlsCounters,
  type TlsOptions,
  type WebSocketLimits,
  type WebSocketServing,
} from '@zephyr/uring';
import { InvalidArgumentError } from './errors.js';
import type { Logger } from './logger.js';
import { WORKER_ENV } from './workers/messages.js';
import { runPrimary } from './workers/primary.js';
import { runWorker } from './workers/worker.js';

/** How long in-flight requests get to finish on shutdown when no timeout is given. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/** Options of `app.listen`. */
export interface AppListenOptions {
  /** TCP port (default 3000; 0 picks a free one, shared by all workers). */
  port?: number;
  /** Address to bind (default `127.0.0.1`). */
  host?: string;
  /** Engine: `auto` (io_uring when available, default), `io_uring` or `node`; `ZEPHYR_IO_ENGINE` also forces one. */
  engine?: EngineName | 'auto';
  /**
   * Worker processes, each running its own engine on the same port: a number, or `'auto'` for
   * one per CPU. When set (even to 1), SIGTERM/SIGINT drain in-flight requests and exit 0, and
   * crashed workers are restarted with backoff. Unset: one engine in this process, no signal
   * handling (the caller owns the process).
   */
  workers?: 'auto' | number;
  /** Time allowed for in-flight requests to finish on shutdown (default 10 000 ms). */
  shutdownTimeoutMs?: number;
  /** Engine limits; `maxBodyBytes` defaults to the largest body limit of the app and its routes. */
  limits?: Partial<EngineLimits>;
  /** TCP_FASTOPEN on the listener. */
  tcpFastOpen?: boolean;
  /** listen(2) backlog. */
  backlog?: number;
  /** SO_REUSEPORT (set automatically in workers). */
  reusePort?: boolean;
  /** Limits of the app's WebSocket routes (`app.ws`); each has a default. */
  websocket?: Partial<WebSocketLimits>;
  /**
   * Serve HTTP/2 beside HTTP/1.1 with the same routes: `true` or settings (see `@zephyr/uring`'s
   * `Http2Options`). h2 by ALPN with `tls`, h2c by prior knowledge without.
   */
  http2?: Http2Options;
  /** Serve HTTPS with these certificates (`@zephyr/uring`'s `TlsOptions`, on either engine). */
  tls?: TlsOptions;
  /**
   * Serve HTTP/3 over QUIC beside HTTPS with the same routes: `true` or settings (see
   * `@zephyr/uring`'s `Http3Options`). Needs `tls` and the io_uring engine (the node engine
   * rejects with `ZEPHYR_ERR_HTTP3_UNAVAILABLE`), in one process (not with `workers` above 1).
   */
  http3?: Http3Options;
}

/** A running server (in a multi-worker setup, the primary's view of all workers). */
export interface Server {
  /** The engine serving requests (in the primary: the one the first worker reported). */
  readonly engine: EngineName;
  /** Why this engine was chosen. */
  readonly engineReason: string;
  readonly host: string;
  readonly port: number;
  /** Worker processes (0 when serving in this process, and in a worker itself). */
  readonly workers: number;
  /**
   * `single`: one engine in this process; `primary`: the process supervising workers (it serves
   * nothing itself); `worker`: one of them. The entry module runs in all of them, so do
   * once-only work (a banner, migrations) where `role !== 'worker'`.
   */
  readonly role: 'single' | 'primary' | 'worker';
  /** Drains in-flight requests (up to the shutdown timeout) and stops. */
  close(): Promise<void>;
  /**
   * HTTPS servers: swaps in new certificates (and SNI, ALPN, versions, handshake timeout) for
   * handshakes from now on; open connections keep theirs. `tls` replaces the options; without
   * it the files of the options in force are read again, which is what SIGHUP does. In the
   * primary, every worker reloads (and a worker restarted later gets the same options). A bad
   * certificate rejects with `ZEPHYR_ERR_INVALID_ARGUMENT` and the old one stays in force; a
   * plaintext server rejects with `ZEPHYR_ERR_UNSUPPORTED_OPTION`.
   *
   * @example
   * ```ts
   * await server.reloadTls({ cert: 'renewed.pem', key: 'renewed.key' });
   * ```
   */
  reloadTls(tls?: TlsOptions): Promise<void>;
  /**
   * HTTPS servers: handshakes completed and failed connections by kind since start (in the
   * primary: the sum over the workers running now); `undefined` for a plaintext server.
   */
  tlsCounters(): Promise<TlsCounters | undefined>;
  /**
   * Stops accepting new connections while the open ones keep being served, idle keep-alive
   * connections included; resolves once the listening socket is closed (see `@zephyr/uring`'s
   * `EngineServer.stopAccepting`). `close` still drains and stops. In the primary of `workers`
   * it rejects with `ZEPHYR_ERR_UNSUPPORTED_OPTION`: each worker owns its listener.
   */
  stopAccepting(): Promise<void>;
}

/** What `listen` needs from an app. */
export interface Listenable {
  readonly handle: RequestHandler;
  readonly maxBodyLimit: number;
  readonly log: Logger;
  /** The engine's side of the app's WebSocket routes; none when it has none. */
  websocketServing?(limits: Partial<WebSocketLimits> | undefined): WebSocketServing | undefined;
}

/** Starts `app` on the engine, in this process or in workers (see {@link AppListenOptions.workers}). */
export async function listenApp(app: Listenable, options: AppListenOptions = {}): Promise<Server> {
  const resolved = validateListenOptions(options);
  if (resolved.workers === null) {
    const engine = await startEngine(app, resolved, resolved.port);
    return {
      engine: engine.engine,
      engineReason: engine.engineReason,
      host: engine.host,
      port: engine.port,
      workers: 0,
      role: 'single',
      close: () => engine.close({ timeoutMs: resolved.shutdownTimeoutMs }),
      reloadTls: (tls) => engine.reloadTls(tls),
      tlsCounters: async () => engine.tlsCounters(),
      stopAccepting: () => engine.stopAccepting(),
    };
  }
  if (cluster.isWorker && process.env[WORKER_ENV] === '1') return runWorker(app, resolved, startEngine);
  return runPrimary(app.log, resolved);
}

/** Options after validation and defaults. */
export interface ResolvedListenOptions {
  port: number;
  host: string;
  engine: EngineName | 'auto';
  workers: number | null;
  shutdownTimeoutMs: number;
  listen: Omit<ListenOptions, 'port' | 'host' | 'engine'>;
  websocket: Partial<WebSocketLimits> | undefined;
}

function validateListenOptions(options: AppListenOptions): ResolvedListenOptions {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('listen options must be an object');
  const port = options.port ?? 3000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(
      `listen: port must be an integer in 0..65535, got ${String(options.port)}`,
    );
  }
  const engine = options.engine ?? 'auto';
  if (!['auto', 'io_uring', 'node'].includes(engine)) {
    throw new InvalidArgumentError(
      `listen: engine must be 'auto', 'io_uring' or 'node', got ${String(engine)}`,
    );
  }
  let workers: number | null = null;
  if (options.workers === 'auto') workers = availableParallelism();
  else if (options.workers !== undefined) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new InvalidArgumentError(
        `listen: workers must be 'auto' or a positive integer, got ${String(options.workers)}`,
      );
    }
    workers = options.workers;
  }
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  if (!Number.isFinite(shutdownTimeoutMs) || shutdownTimeoutMs < 0) {
    throw new InvalidArgumentError('listen: shutdownTimeoutMs must be a non-negative number');
  }
  const listen: ResolvedListenOptions['listen'] = {};
  if (options.limits !== undefined) listen.limits = options.limits;
  if (options.tcpFastOpen !== undefined) listen.tcpFastOpen = options.tcpFastOpen;
  if (options.backlog !== undefined) listen.backlog = options.backlog;
  if (options.reusePort !== undefined) listen.reusePort = options.reusePort;
  // Checked in full by the engine's listen; passed through as given.
  if (options.http2 !== undefined) listen.http2 = options.http2;
  if (options.tls !== undefined) listen.tls = options.tls;
  if (options.http3 !== undefined) listen.http3 = options.http3;
  return {
    port,
    host: options.host ?? '127.0.0.1',
    engine,
    workers,
    shutdownTimeoutMs,
    listen,
    websocket: options.websocket,
  };
}

/** Starts one engine in this process serving `app`. */
export async function startEngine(
  app: Listenable,
  options: ResolvedListenOptions,
  port: number,
  inWorker = false,
): Promise<EngineServer> {
  // In a worker, io_uring binds its own SO_REUSEPORT socket; the node engine listens through
  // node:cluster instead (the primary shares one socket), as node 20 has no reusePort.
  const websocket = app.websocketServing?.(options.websocket);
  // HTTP/2 is served by the node engine for now (see @zephyr/uring's listen).
  const nodeOnly = options.listen.http2 !== undefined && options.listen.http2 !== false;
  const reusePort = inWorker && !nodeOnly && selectEngine(options.engine).engine === 'io_uring';
  const limits = { maxBodyBytes: app.maxBodyLimit, ...options.listen.limits };
  return engineListen(
    {
      ...options.listen,
      port,
      host: options.host,
      engine: options.engine,
      limits,
      ...(reusePort ? { reusePort: true } : {}),
    },
    app.handle,
    websocket,
  );
}
