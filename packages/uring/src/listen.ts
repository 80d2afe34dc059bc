import type { EngineName, EngineServer, ListenOptions, RequestHandler } from './engine.js';
import { EngineUnavailableError, InvalidArgumentError } from './errors.js';
import { checkHttp3 } from './http3-option.js';
import { resolveListenOptions } from './limits.js';
import { listenNode } from './node-engine.js';
import { ioUringSupported } from './probe.js';
import { startUring } from './uring-engine.js';
import { resolveWebSocketLimits, type WebSocketServing } from './websocket.js';

/** The environment variable that forces an engine when `options.engine` is absent or `auto`. */
export const ENGINE_ENV = 'ZEPHYR_IO_ENGINE';

/** How the reason of an `auto` selection that fell back to the node engine begins. */
const FALLBACK_PREFIX = 'io_uring unavailable ';

/** The engine {@link selectEngine} picked and why, in one sentence. */
export interface EngineSelection {
  engine: EngineName;
  reason: string;
}

/**
 * Decides which engine serves a listener.
 *
 * Order: an explicit `requested` engine (`io_uring` or `node`) wins; else `ZEPHYR_IO_ENGINE`
 * (`io_uring` or `node`; anything else is an error); else `auto`: io_uring when
 * {@link ioUringSupported} can set up a ring, the node engine otherwise. Forcing io_uring where
 * the probe fails throws {@link EngineUnavailableError} with the probe's reason.
 *
 * @example
 * ```ts
 * import { selectEngine } from '@zephyr/uring';
 * const { engine, reason } = selectEngine();
 * console.log(`serving with ${engine}: ${reason}`);
 * ```
 */
export function selectEngine(requested?: EngineName | 'auto'): EngineSelection {
  if (requested !== undefined && requested !== 'auto' && requested !== 'io_uring' && requested !== 'node') {
    throw new InvalidArgumentError(
      `engine must be 'io_uring', 'node' or 'auto', got ${JSON.stringify(requested)}`,
    );
  }
  let forced: EngineName | undefined;
  let source = '';
  if (requested === 'io_uring' || requested === 'node') {
    forced = requested;
    source = 'options.engine';
  } else {
    const env = process.env[ENGINE_ENV];
    if (env !== undefined && env !== '') {
      if (env !== 'io_uring' && env !== 'node') {
        throw new InvalidArgumentError(
          `${ENGINE_ENV} must be 'io_uring' or 'node', got ${JSON.stringify(env)}`,
        );
      }
      forced = env;
      source = ENGINE_ENV;
    }
  }
  if (forced === 'node') return { engine: 'node', reason: `the node engine was forced by ${source}` };
  const probe = ioUringSupported();
  if (forced === 'io_uring') {
    if (!probe.supported) {
      throw new EngineUnavailableError(
        `io_uring was forced by ${source} but cannot run here: ${probe.reason ?? 'io_uring_setup failed'}`,
      );
    }
    return { engine: 'io_uring', reason: `io_uring was forced by ${source} (the probe set up a ring)` };
  }
  return probe.supported
    ? { engine: 'io_uring', reason: 'io_uring is available (the probe set up a ring)' }
    : { engine: 'node', reason: `${FALLBACK_PREFIX}(${probe.reason ?? 'io_uring_setup failed'})` };
}

/**
 * Holds the reason once the fallback line is printed. Processes forked afterwards (cluster
 * workers, their restarts) inherit it and stay quiet: falling back is worth one line in the
 * log, not one per listener, worker or restart.
 */
export const FALLBACK_LOGGED_ENV = 'ZEPHYR_IO_FALLBACK_LOGGED';

/**
 * Prints the line saying why `auto` fell back to the node engine (naming the io_uring call that
 * failed), once per process tree; does nothing for any other selection. {@link listen} calls it;
 * a supervisor that forks workers calls it before forking so that the workers do not repeat it.
 *
 * @example
 * ```ts
 * import { reportEngineFallback, selectEngine } from '@zephyr/uring';
 * reportEngineFallback(selectEngine('auto'));
 * ```
 */
export function reportEngineFallback(selection: EngineSelection): void {
  if (selection.engine !== 'node' || !selection.reason.startsWith(FALLBACK_PREFIX)) return;
  if (process.env[FALLBACK_LOGGED_ENV] === selection.reason) return;
  process.env[FALLBACK_LOGGED_ENV] = selection.reason;
  console.warn(`zephyr: ${selection.reason}; using the node engine`);
}

/**
 * Starts an HTTP/1.1 (and, with `http2`, HTTP/2) server on the engine {@link selectEngine} picks and serves every request
 * with `handler`. All options are validated first; a wrong one throws `InvalidArgumentError`
 * (`ZEPHYR_ERR_INVALID_ARGUMENT`). When `auto` falls back to node:http, one line says why.
 *
 * @example
 * ```ts
 * import { listen } from '@zephyr/uring';
 * const server = await listen({ port: 3000 }, (req, res) => {
 *   res.setHeader('content-type', 'text/plain').end(`hello from ${req.path}`);
 * });
 * console.log(`${server.engine} on http://${server.host}:${server.port}`);
 * await server.close();
 * ```
 */
export async function listen(
  options: ListenOptions,
  handler: RequestHandler,
  websocket?: WebSocketServing,
): Promise<EngineServer> {
  const resolved = resolveListenOptions(options);
  if (typeof handler !== 'function') {
    throw new InvalidArgumentError(
      `handler must be a function, got ${handler === null ? 'null' : typeof handler}`,
    );
  }
  if (websocket !== undefined) {
    if (typeof websocket !== 'object' || websocket === null || typeof websocket.upgrade !== 'function') {
      throw new InvalidArgumentError('websocket must be an object with an upgrade function');
    }
    resolveWebSocketLimits(websocket.limits);
  }
  // HTTPS, HTTP/2 and WebSocket routes are served by both engines.
  const selection = selectEngine(resolved.engine);
  const { engine, reason } = selection;
  checkHttp3(resolved.http3, engine, resolved);
  if (engine === 'node') {
    reportEngineFallback(selection);
    return listenNode(resolved, handler, reason, websocket);
  }
  return startUring(resolved, handler, reason, websocket);
}
