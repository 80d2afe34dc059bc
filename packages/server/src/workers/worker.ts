import cluster from 'node:cluster';
import type { EngineServer } from '@zephyr/uring';
import type { Listenable, ResolvedListenOptions, Server } from '../listen.js';
import { errorFields } from '../logger.js';
import { isShutdownMessage, type ListeningMessage, WORKER_PORT_ENV } from './messages.js';
import { isTlsQuestion, type TlsAnswer, type TlsQuestion } from './tls-messages.js';

type StartEngine = (
  app: Listenable,
  options: ResolvedListenOptions,
  port: number,
  inWorker: boolean,
) => Promise<EngineServer>;

/**
 * The worker side: one engine on the shared port. With the io_uring engine each worker binds its
 * own socket with SO_REUSEPORT and the kernel spreads connections; with the node engine the
 * listen goes through node:cluster, whose primary owns the socket and hands connections round
 * robin (node 20 has no `reusePort` on `net.Server`), so both engines work on every supported node.
 */
export async function runWorker(
  app: Listenable,
  options: ResolvedListenOptions,
  startEngine: StartEngine,
): Promise<Server> {
  const port = Number(process.env[WORKER_PORT_ENV] ?? options.port);
  const engine = await startEngine(app, options, port, true);
  let closing: Promise<void> | null = null;
  const drain = (): Promise<void> => {
    closing ??= engine
      .close({ timeoutMs: options.shutdownTimeoutMs })
      .catch((err: unknown) => app.log.error(errorFields(err), 'worker: closing the engine failed'))
      .finally(() => process.exit(0));
    return closing;
  };
  process.on('message', (message: unknown) => {
    if (isShutdownMessage(message)) void drain();
    else if (isTlsQuestion(message)) void answerTls(engine, message);
  });
  // A terminal's Ctrl-C reaches the whole process group: workers drain rather than die mid-request.
  process.on('SIGTERM', () => void drain());
  process.on('SIGINT', () => void drain());
  const listening: ListeningMessage = {
    type: 'zephyr:listening',
    engine: engine.engine,
    engineReason: engine.engineReason,
    port: engine.port,
  };
  cluster.worker?.send(listening);
  return {
    engine: engine.engine,
    engineReason: engine.engineReason,
    host: engine.host,
    port: engine.port,
    workers: 0,
    role: 'worker',
    close: drain,
    reloadTls: (tls) => engine.reloadTls(tls),
    tlsCounters: async () => engine.tlsCounters(),
    stopAccepting: () => engine.stopAccepting(),
  };
}

/** Answers the primary's TLS question: reload this worker's listener, or report its counters. */
async function answerTls(engine: EngineServer, question: TlsQuestion): Promise<void> {
  const answer: TlsAnswer = { type: 'zephyr:tls', id: question.id };
  try {
    if (question.ask === 'reload') await engine.reloadTls(question.tls);
    else answer.counters = engine.tlsCounters() ?? null;
  } catch (err) {
    const { code, message } = err as { code?: unknown; message?: unknown };
    answer.error = {
      code: typeof code === 'string' ? code : 'ZEPHYR_ERR_INTERNAL',
      message: String(message),
    };
  }
  // A send racing the primary's exit fails quietly: the process is shutting down.
  const worker = cluster.worker;
  if (worker?.isConnected()) worker.send(answer, undefined, () => {});
}
