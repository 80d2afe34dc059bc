import {
  defaultLimits,
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
  isStoppedAcceptingMessage,
  type ReadyMessage,
  type StoppedAcceptingMessage,
} from './generation-messages.js';

/**
 * How long past the keep-alive timeout a draining generation waits for its connections to go
 * before closing what is left (in-flight requests get `shutdownTimeoutMs` more): a timer tick of
 * the engine, and a busy machine's delay.
 */
export const DRAIN_MARGIN_MS = 1_000;
/** Longest wait for the supervisor's echo of `stopped-accepting` (it answers in a few ms). */
const CATCH_UP_LIMIT_MS = 5_000;
/** How often a draining generation looks at its connection count. */
const DRAIN_CHECK_MS = 20;

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

/**
 * Resolves once `engine` has no connection left, or after `limitMs`. A draining generation's
 * connections only go: each closes after its next response (sent with `Connection: close`) or,
 * idle, at the engine's keep-alive timeout.
 */
async function connectionsGone(engine: EngineServer, limitMs: number): Promise<void> {
  const started = performance.now();
  while (engine.connections > 0 && performance.now() - started < limitMs) {
    await new Promise((resolve) => setTimeout(resolve, DRAIN_CHECK_MS));
  }
}

/**
 * Resolves once the supervisor has echoed `stopped-accepting`: at once without a supervisor, and
 * after {@link CATCH_UP_LIMIT_MS} at most, so a supervisor that cannot answer never holds the exit.
 */
function supervisorCaughtUp(): Promise<void> {
  if (!process.send || !process.connected) return Promise.resolve();
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      if (!isStoppedAcceptingMessage(message)) return;
      done();
    };
    const limit = setTimeout(() => done(), CATCH_UP_LIMIT_MS);
    const done = () => {
      clearTimeout(limit);
      process.off('message', onMessage);
      process.off('disconnect', done);
      resolve();
    };
    process.on('message', onMessage);
    process.once('disconnect', done);
    void send({ type: 'zephyr-dev:stopped-accepting' });
  });
}

function send(message: ReadyMessage | FailedMessage | StoppedAcceptingMessage): Promise<void> {
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
 * drain (or SIGINT/SIGTERM) it stops accepting, answers each request on its open connections
 * with `Connection: close` until they are gone (idle ones time out; see {@link DRAIN_MARGIN_MS}),
 * closes what is left once in-flight requests finish, runs the app's `close` and exits 0.
 */
export async function serveGeneration(load: () => Promise<LoadedGeneration>): Promise<void> {
  const root = process.env[DEV_ROOT_ENV] ?? process.cwd();
  const port = Number(process.env[DEV_PORT_ENV] ?? '3000');
  const host = process.env[DEV_HOST_ENV] ?? '127.0.0.1';
  let loaded: LoadedGeneration;
  let engine: EngineServer;
  let draining = false;
  try {
    // Registered here, in the generation only: the supervisor never loads the app's code.
    const { register } = await import('tsx/esm/api');
    register();
    loaded = await load();
    const { app } = loaded;
    const handler: RequestHandler = (req, res) => {
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
  /** `handover`: a newer generation serves the port; without one (Ctrl-C) there is no one to hand over to. */
  const drain = (handover: boolean): Promise<void> => {
    drained ??= (async () => {
      try {
        // New connections go to the new generation from here on (the port's other SO_REUSEPORT
        // socket, or the cluster primary's other worker); open ones keep being served.
        await engine.stopAccepting();
        // On the node engine the supervisor hands connections over; it may have sent one before
        // it took in the stop. Exiting before that one arrives (and is sent back) would lose it.
        await supervisorCaughtUp();
        // Each connection's next response is its last: its client reconnects, to the new
        // generation. Idle connections are not closed under a client that may be reusing one
        // this very moment; they get that last response, or time out as idle.
        draining = true;
        const keepAliveMs = loaded.listen?.limits?.keepAliveTimeoutMs ?? defaultLimits.keepAliveTimeoutMs;
        if (handover) await connectionsGone(engine, keepAliveMs + DRAIN_MARGIN_MS);
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
    if (isDrainMessage(message)) void drain(true);
  });
  // Ctrl-C reaches the whole process group: a generation drains rather than dying mid-request.
  process.on('SIGINT', () => void drain(false));
  process.on('SIGTERM', () => void drain(false));
  await send({ type: 'zephyr-dev:ready', engine: engine.engine, engineReason: engine.engineReason });
}
