import {
  type EngineServer,
  type ListenOptions,
  listen,
  type RequestHandler,
  selectEngine,
  type WebSocketLimits,
  type WebSocketServing,
} from '@zephyr/uring';
import { describeStartupError } from './code-frame.js';
import {
  DEV_HOST_ENV,
  DEV_PORT_ENV,
  DEV_ROOT_ENV,
  type FailedMessage,
  isDrainMessage,
  type ReadyMessage,
} from './generation-messages.js';

/**
 * How long the old generation must go without a new request before it stops accepting and closes
 * its idle connections. Until then it answers every request with `Connection: close`, so clients
 * move their connections to the new generation (the kernel or the cluster primary spreads new
 * connections over both). A whole second, because a client process that stalls (a busy machine)
 * looks idle: its connection closed then would fail the request it is about to send.
 */
export const HANDOVER_QUIET_MS = 1_000;
/** The longest handover: past it the old generation stops accepting even under steady traffic. */
export const HANDOVER_MAX_MS = 5_000;

/** What a generation serves: an app's request handler (`@zephyr/server`'s `App` is one). */
export interface GenerationApp {
  readonly handle: RequestHandler;
  /** The engine's body limit unless the listen options set one. */
  readonly maxBodyLimit?: number;
  /** The engine's side of the app's WebSocket routes (served by the node engine). */
  websocketServing?(limits: Partial<WebSocketLimits> | undefined): WebSocketServing | undefined;
}

/** What a generation's loader returns: the app, how to listen, and what to release after draining. */
export interface LoadedGeneration {
  readonly app: GenerationApp;
  /** Engine options; the port and host are the supervisor's, and SO_REUSEPORT is set here. */
  readonly listen?: Omit<ListenOptions, 'port' | 'host' | 'reusePort'>;
  readonly websocket?: Partial<WebSocketLimits>;
  /** How long in-flight requests get to finish once the generation stops accepting (default 10 s). */
  readonly shutdownTimeoutMs?: number;
  /** Runs after the generation has drained (database pools, actor systems). */
  close?(): Promise<void> | void;
}

/** A check of the handover is trusted only when the process ran on time before it. */
const HANDOVER_CHECK_MS = 20;
const STALL_MS = 100;

/**
 * Resolves once no request has arrived for {@link HANDOVER_QUIET_MS} (or after
 * {@link HANDOVER_MAX_MS}). Each check runs after an I/O turn, and one that follows a stall of
 * the process (a busy machine) does not count: requests may then be waiting, unread, in the
 * kernel, and closing their connections as idle would fail them.
 */
async function handedOver(lastRequestAt: () => number): Promise<void> {
  const started = performance.now();
  let previous = started;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, HANDOVER_CHECK_MS));
    await new Promise((resolve) => setImmediate(resolve));
    const now = performance.now();
    const stalled = now - previous > STALL_MS;
    previous = now;
    if (now - started >= HANDOVER_MAX_MS) return;
    if (!stalled && now - lastRequestAt() >= HANDOVER_QUIET_MS) return;
  }
}

function send(message: ReadyMessage | FailedMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/**
 * The body of one generation of `zephyr dev` (a node:cluster worker the supervisor forks):
 * registers tsx so the app's TypeScript runs as it is, runs `load`, listens on the supervisor's
 * port beside the generation still serving (SO_REUSEPORT on io_uring, the cluster primary's
 * socket on the node engine), and reports ready. A load or listen failure is reported with a
 * code frame and the process exits 1, leaving the old generation serving. On the supervisor's
 * drain (or SIGINT/SIGTERM) it hands over (see {@link HANDOVER_QUIET_MS}), stops accepting,
 * drains in-flight requests, runs the app's `close` and exits 0.
 */
export async function serveGeneration(load: () => Promise<LoadedGeneration>): Promise<void> {
  const root = process.env[DEV_ROOT_ENV] ?? process.cwd();
  const port = Number(process.env[DEV_PORT_ENV] ?? '3000');
  const host = process.env[DEV_HOST_ENV] ?? '127.0.0.1';
  let loaded: LoadedGeneration;
  let engine: EngineServer;
  let draining = false;
  let lastRequestAt = 0;
  try {
    // Registered here, in the generation only: the supervisor never loads the app's code.
    const { register } = await import('tsx/esm/api');
    register();
    loaded = await load();
    const { app } = loaded;
    const handler: RequestHandler = (req, res) => {
      lastRequestAt = performance.now();
      if (draining) res.setHeader('connection', 'close');
      return app.handle(req, res);
    };
    const websocket = app.websocketServing?.(loaded.websocket);
    const options = loaded.listen ?? {};
    const reusePort = websocket === undefined && selectEngine(options.engine ?? 'auto').engine === 'io_uring';
    const limits = {
      ...(app.maxBodyLimit === undefined ? {} : { maxBodyBytes: app.maxBodyLimit }),
      ...options.limits,
    };
    engine = await listen(
      { ...options, limits, port, host, ...(reusePort ? { reusePort } : {}) },
      handler,
      websocket,
    );
  } catch (err) {
    await send({ type: 'zephyr-dev:failed', report: describeStartupError(err, root) });
    process.exit(1);
  }

  let drained: Promise<void> | undefined;
  const drain = (): Promise<void> => {
    drained ??= (async () => {
      draining = true;
      await handedOver(() => lastRequestAt);
      try {
        await engine.close({ timeoutMs: loaded.shutdownTimeoutMs ?? 10_000 });
        await loaded.close?.();
      } catch (err) {
        console.error('zephyr dev: closing the old generation failed:', err);
      }
      process.exit(0);
    })();
    return drained;
  };
  process.on('message', (message: unknown) => {
    if (isDrainMessage(message)) void drain();
  });
  // Ctrl-C reaches the whole process group: a generation drains rather than dying mid-request.
  process.on('SIGINT', () => void drain());
  process.on('SIGTERM', () => void drain());
  await send({ type: 'zephyr-dev:ready', engine: engine.engine, engineReason: engine.engineReason });
}
