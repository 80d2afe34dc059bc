import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import { checkHttp3, type EngineName, reportEngineFallback, selectEngine } from '@zephyr/uring';
import { UnsupportedOptionError } from '../errors.js';
import type { ResolvedListenOptions, Server } from '../listen.js';
import type { Logger } from '../logger.js';
import { isPublishMessage } from '../websocket/worker-relay.js';
import { isListeningMessage, type ListeningMessage, WORKER_ENV, WORKER_PORT_ENV } from './messages.js';
import { RestartBackoff } from './restart-backoff.js';
import { isTlsAnswer } from './tls-messages.js';
import { TlsQuestions } from './tls-questions.js';

/**
 * The primary side: forks `workers` processes that re-run the entry module (node:cluster's
 * model, so `app.listen({ workers })` is the only change an app needs), restarts a worker that
 * dies with backoff while the others keep serving, and on SIGTERM/SIGINT asks every worker to
 * drain, waits for them, and exits 0. Serving TLS, it passes SIGHUP on to every worker as a
 * certificate reload (each worker's engine reads the files again).
 */
export async function runPrimary(log: Logger, options: ResolvedListenOptions): Promise<Server> {
  const count = options.workers ?? 1;
  // Probe here, once: a fallback to the node engine is printed by the primary, and the workers
  // (which inherit the environment that records it) do not repeat it.
  const selection = selectEngine(options.engine);
  reportEngineFallback(selection);
  // Refused here, before forking, so the error reaches the caller rather than a worker's stderr.
  // Workers bind SO_REUSEPORT sockets: HTTP/3 (UDP, spread by address) is refused with them.
  checkHttp3(options.listen.http3, selection.engine, { tls: options.listen.tls, reusePort: true });
  // Every worker must bind the same port: resolve `0` to a concrete free port once, here.
  const port = options.port === 0 ? await freePort(options.host) : options.port;
  const slots = new Map<Worker, number>();
  const backoffs = Array.from({ length: count }, () => new RestartBackoff());
  let shuttingDown = false;
  let first: ListeningMessage | null = null;
  let resolveReady!: () => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  let listeningCount = 0;
  const tls = new TlsQuestions(options.listen.tls !== undefined, () =>
    [...slots.keys()].filter((worker) => worker.isConnected()),
  );

  const fork = (slot: number): void => {
    const worker = cluster.fork({ [WORKER_ENV]: '1', [WORKER_PORT_ENV]: String(port) });
    slots.set(worker, slot);
    backoffs[slot]!.started();
    let listened = false;
    // IPC errors (a send racing the worker's death) end in its 'exit', handled below.
    worker.on('error', (err) =>
      log.warn({ pid: worker.process.pid, err: err.message }, 'worker channel error'),
    );
    worker.on('message', (message: unknown) => {
      if (isPublishMessage(message)) {
        // app.publish in one worker reaches the subscribers of every other one.
        for (const other of slots.keys()) {
          if (other !== worker && other.isConnected()) other.send(message, undefined, () => {});
        }
        return;
      }
      if (isTlsAnswer(message)) {
        tls.onAnswer(message);
        return;
      }
      if (!isListeningMessage(message)) return;
      tls.onListening(worker, (problem) => log.error({ pid: worker.process.pid }, problem));
      listened = true;
      first ??= message;
      listeningCount++;
      if (listeningCount === count) resolveReady();
    });
    worker.on('exit', (code, signal) => {
      slots.delete(worker);
      tls.onExit(worker);
      if (shuttingDown) {
        if (slots.size === 0) allExited();
        return;
      }
      if (!listened && listeningCount < count) {
        // Dying before listening, during startup, is a startup failure (bad port, bad module):
        // report it rather than restart forever.
        rejectReady(new Error(`worker exited during startup (code ${code}, signal ${signal})`));
        return;
      }
      const delay = backoffs[slot]!.nextDelay();
      log.warn({ pid: worker.process.pid, code, signal, restartInMs: delay }, 'worker died; restarting');
      setTimeout(() => {
        if (!shuttingDown) fork(slot);
      }, delay).unref();
    });
  };

  let allExited: () => void = () => {};
  const exited = new Promise<void>((resolve) => {
    allExited = resolve;
  });

  const close = async (): Promise<void> => {
    if (!shuttingDown) {
      shuttingDown = true;
      if (slots.size === 0) allExited();
      for (const worker of slots.keys()) {
        // A worker that is dying has closed its channel before its 'exit' arrives; it needs no
        // shutdown message, and the failed send must not surface as an unhandled 'error'.
        if (worker.isConnected()) worker.send({ type: 'zephyr:shutdown' }, undefined, () => {});
      }
      // Workers drain for up to the timeout; past it (plus a margin) they are killed.
      setTimeout(() => {
        for (const worker of slots.keys()) worker.process.kill('SIGKILL');
      }, options.shutdownTimeoutMs + 2000).unref();
    }
    await exited;
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGHUP', onHangup);
  };

  const onSignal = (): void => {
    void close().then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // nginx's convention: SIGHUP to the master reloads certificates. Only when serving TLS: a
  // plaintext server keeps SIGHUP's default (a hangup ends it, as before).
  const onHangup = (): void => {
    tls
      .reload()
      .catch((err: unknown) =>
        log.error(
          { err: (err as Error).message },
          'TLS reload on SIGHUP failed; the old certificates stay in force',
        ),
      );
  };
  if (options.listen.tls !== undefined) process.on('SIGHUP', onHangup);

  for (let slot = 0; slot < count; slot++) fork(slot);
  try {
    await ready;
  } catch (err) {
    await close();
    throw err;
  }
  const info = first as ListeningMessage | null;
  return {
    engine: (info?.engine ?? 'node') as EngineName,
    engineReason: info?.engineReason ?? '',
    host: options.host,
    port,
    workers: count,
    role: 'primary',
    close,
    reloadTls: (next) => tls.reload(next),
    tlsCounters: () => tls.counters(),
    stopAccepting: () =>
      Promise.reject(
        new UnsupportedOptionError(
          'stopAccepting: the primary of workers listens on nothing; each worker owns its listener',
        ),
      ),
  };
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
