// The primary's TLS questions to its workers (reload, counters) and the bookkeeping of their
// answers; the messages themselves are in tls-messages.ts.
import type { Worker } from 'node:cluster';
import {
  resolveTlsOptions,
  type TlsCounters,
  type TlsOptions,
  UnsupportedOptionError,
  ZephyrEngineError,
  type ZephyrEngineErrorCode,
} from '@zephyr/uring';
import { ZephyrError } from '../errors.js';
import { sumTlsCounters, type TlsAnswer, type TlsQuestion, tlsOptionsForTransfer } from './tls-messages.js';

/** How long a worker has to answer a TLS question before the primary gives up on it. */
export const TLS_ANSWER_TIMEOUT_MS = 10_000;

/** What became of one question. */
type Outcome = { answer: TlsAnswer } | { exited: true } | { silent: true };

/**
 * The primary's side of TLS under `workers: N`: asks every running worker to reload or to report
 * its counters and gathers the answers. A worker that exits while asked is not waited for (its
 * replacement starts from the options in force); one that stays silent fails the question.
 */
export class TlsQuestions {
  private nextId = 1;
  private readonly pending = new Map<number, { worker: Worker; settle: (outcome: Outcome) => void }>();
  /** Options given to the last successful `reloadTls(tls)`: a worker forked later gets them too. */
  private override: TlsOptions | undefined;

  constructor(
    /** Whether the listener serves TLS at all. */
    private readonly serving: boolean,
    private readonly workers: () => Iterable<Worker>,
  ) {}

  /** A worker's answer (one to a question already given up on is dropped). */
  onAnswer(answer: TlsAnswer): void {
    const entry = this.pending.get(answer.id);
    if (entry === undefined) return;
    this.pending.delete(answer.id);
    entry.settle({ answer });
  }

  /** `worker` is gone: its open questions end without an answer (not a failure: see above). */
  onExit(worker: Worker): void {
    for (const [id, entry] of this.pending) {
      if (entry.worker !== worker) continue;
      this.pending.delete(id);
      entry.settle({ exited: true });
    }
  }

  /** A worker started listening: one forked after a reload with new options is given them. */
  onListening(worker: Worker, warn: (message: string) => void): void {
    if (this.override === undefined) return;
    void this.ask(worker, 'reload', this.override).then((outcome) => {
      const failure = failureOf(worker, outcome);
      if (failure !== undefined) warn(failure.message);
    });
  }

  /** Reloads every worker (see `Server.reloadTls`). */
  async reload(tls?: TlsOptions): Promise<void> {
    if (!this.serving) throw new UnsupportedOptionError('reloadTls: this server does not serve TLS');
    // Checked here first, so bad options fail with one clear error rather than one per worker.
    if (tls !== undefined) resolveTlsOptions(tls);
    const wire = tls === undefined ? undefined : tlsOptionsForTransfer(tls);
    const workers = [...this.workers()];
    const outcomes = await Promise.all(workers.map((worker) => this.ask(worker, 'reload', wire)));
    const failure = outcomes
      .map((outcome, i) => failureOf(workers[i]!, outcome))
      .find((f) => f !== undefined);
    if (failure !== undefined) throw failure;
    // Workers forked from now on (restarts) get the new options too.
    if (wire !== undefined) this.override = wire;
  }

  /** The workers' counters added up (see `Server.tlsCounters`). */
  async counters(): Promise<TlsCounters | undefined> {
    if (!this.serving) return undefined;
    const outcomes = await Promise.all([...this.workers()].map((worker) => this.ask(worker, 'counters')));
    return sumTlsCounters(outcomes.map((outcome) => ('answer' in outcome ? outcome.answer.counters : null)));
  }

  private ask(worker: Worker, ask: TlsQuestion['ask'], tls?: TlsOptions): Promise<Outcome> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ silent: true });
      }, TLS_ANSWER_TIMEOUT_MS);
      timer.unref();
      const settle = (outcome: Outcome): void => {
        clearTimeout(timer);
        resolve(outcome);
      };
      if (!worker.isConnected()) {
        settle({ exited: true });
        return;
      }
      this.pending.set(id, { worker, settle });
      const question: TlsQuestion = { type: 'zephyr:tls?', id, ask, ...(tls === undefined ? {} : { tls }) };
      // A send racing the worker's death ends in its exit, which settles the question.
      worker.send(question, undefined, () => {});
    });
  }
}

const ENGINE_CODES = new Set<string>(['ZEPHYR_ERR_INVALID_ARGUMENT', 'ZEPHYR_ERR_UNSUPPORTED_OPTION']);

/** The error a question's outcome stands for, if it failed: the worker's own, with its code. */
function failureOf(worker: Worker, outcome: Outcome): Error | undefined {
  const who = `worker ${worker.process.pid}`;
  if ('silent' in outcome) {
    return new ZephyrError(
      'ZEPHYR_ERR_INTERNAL',
      500,
      `reloadTls: ${who} did not answer within ${TLS_ANSWER_TIMEOUT_MS} ms`,
    );
  }
  const error = 'answer' in outcome ? outcome.answer.error : undefined;
  if (error === undefined) return undefined;
  const message = `reloadTls in ${who}: ${error.message}`;
  return ENGINE_CODES.has(error.code)
    ? new ZephyrEngineError(error.code as ZephyrEngineErrorCode, message)
    : new ZephyrError('ZEPHYR_ERR_INTERNAL', 500, message);
}
