import { InvalidArgumentError, LimiterQueueFullError, OperationAbortedError } from '../errors.js';
import { RingQueue } from '../mailbox/ring-queue.js';

/** Task priorities, most urgent first. */
export type Priority = 'critical' | 'high' | 'normal' | 'low';
const LEVELS: readonly Priority[] = ['critical', 'high', 'normal', 'low'];

/** Options of {@link PriorityScheduler}. */
export interface PrioritySchedulerOptions {
  /** Work done in one event-loop turn before yielding to I/O (default 5 ms). */
  readonly sliceMs?: number;
  /** Async tasks running at once (default 1). */
  readonly concurrency?: number;
  /** Queued tasks beyond which `schedule` rejects with `LimiterQueueFullError` (default 10 000). */
  readonly maxQueue?: number;
  /**
   * Tasks each level may run per round while lower levels wait (default critical 8, high 4,
   * normal 2, low 1): higher priorities go first but a lower one is never starved.
   */
  readonly weights?: Readonly<Record<Priority, number>>;
}

/** Options of one {@link PriorityScheduler.schedule} call. */
export interface TaskOptions {
  /** Default `normal`. */
  readonly priority?: Priority;
  /** Aborting removes the task if it has not started; a started task sees the signal. */
  readonly signal?: AbortSignal;
}

interface Task {
  run(signal: AbortSignal | undefined): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  signal: AbortSignal | undefined;
  done: boolean;
  /** Removes the abort listener once the task starts or is aborted. */
  cleanup(): void;
}

/**
 * Runs tasks by priority with weighted rounds (so low priorities progress under a flood of high
 * ones) and yields to the event loop with `setImmediate` after each time slice, so queued work of
 * any priority never starves timers and I/O.
 *
 * @example
 * const scheduler = new PriorityScheduler({ concurrency: 4 });
 * const report = await scheduler.schedule(() => buildReport(), { priority: 'low' });
 */
export class PriorityScheduler {
  private readonly queues = LEVELS.map(() => new RingQueue<Task>(16));
  private readonly credits: number[];
  private readonly weights: number[];
  private readonly sliceMs: number;
  private readonly concurrency: number;
  private readonly maxQueue: number;
  /** Tasks waiting to start; an aborted task gives its slot back at once. */
  private queued = 0;
  /** Aborted tasks still sitting in a queue (dropped lazily, compacted past a bound). */
  private dead = 0;
  private active = 0;
  private pumping = false;

  constructor(options: PrioritySchedulerOptions = {}) {
    this.sliceMs = options.sliceMs ?? 5;
    this.concurrency = options.concurrency ?? 1;
    this.maxQueue = options.maxQueue ?? 10_000;
    const w = options.weights ?? { critical: 8, high: 4, normal: 2, low: 1 };
    this.weights = LEVELS.map((l) => w[l]);
    if (
      !(this.sliceMs > 0) ||
      !Number.isInteger(this.concurrency) ||
      this.concurrency < 1 ||
      !(this.maxQueue >= 0)
    ) {
      throw new InvalidArgumentError(
        'PriorityScheduler needs sliceMs > 0, an integer concurrency >= 1 and maxQueue >= 0',
      );
    }
    if (this.weights.some((x) => !Number.isInteger(x) || x < 1)) {
      throw new InvalidArgumentError('PriorityScheduler weights must be integers >= 1');
    }
    this.credits = [...this.weights];
  }

  /** Tasks waiting to start. */
  get size(): number {
    return this.queued;
  }

  /** Tasks running now (async ones count until they settle). */
  get running(): number {
    return this.active;
  }

  /** Queues `task`; resolves with its result. */
  schedule<T>(
    task: (signal: AbortSignal | undefined) => T | Promise<T>,
    options: TaskOptions = {},
  ): Promise<T> {
    const level = LEVELS.indexOf(options.priority ?? 'normal');
    if (level < 0)
      return Promise.reject(new InvalidArgumentError(`unknown priority ${String(options.priority)}`));
    if (typeof task !== 'function')
      return Promise.reject(new InvalidArgumentError('schedule() needs a function'));
    const signal = options.signal;
    if (signal?.aborted === true)
      return Promise.reject(new OperationAbortedError('scheduled task', signal.reason));
    if (this.queued >= this.maxQueue) return Promise.reject(new LimiterQueueFullError(this.maxQueue));
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        if (entry.done) return;
        entry.done = true;
        this.queued--;
        this.dead++;
        reject(new OperationAbortedError('scheduled task', signal?.reason));
        if (this.dead > 1024 && this.dead > this.queued) this.compact();
      };
      const entry: Task = {
        run: task,
        resolve: resolve as (value: unknown) => void,
        reject,
        signal,
        done: false,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queues[level]!.push(entry);
      this.queued++;
      this.wake();
    });
  }

  private wake(): void {
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(this.pump);
  }

  /** Picks the next task: highest level with credit left; a new round when all are spent. */
  private next(): Task | undefined {
    for (let pass = 0; pass < 2; pass++) {
      for (let level = 0; level < LEVELS.length; level++) {
        const queue = this.queues[level]!;
        // Aborted tasks gave their slot back already: drop them without spending credit.
        while (queue.peek()?.done === true) {
          queue.shift();
          this.dead--;
        }
        if (queue.size === 0 || this.credits[level]! === 0) continue;
        this.credits[level]!--;
        this.queued--;
        return queue.shift();
      }
      for (let level = 0; level < LEVELS.length; level++) this.credits[level] = this.weights[level]!;
    }
    return undefined;
  }

  private readonly pump = (): void => {
    const start = performance.now();
    while (this.active < this.concurrency && this.queued > 0) {
      const task = this.next();
      if (task === undefined) break;
      this.start(task);
      if (performance.now() - start >= this.sliceMs) break;
    }
    this.pumping = false;
    // More to do and free capacity: continue next turn, after pending I/O callbacks.
    if (this.queued > 0 && this.active < this.concurrency) this.wake();
  };

  /** Drops aborted tasks from every queue. */
  private compact(): void {
    for (const queue of this.queues) {
      for (const task of queue.drainAll()) if (!task.done) queue.push(task);
    }
    this.dead = 0;
  }

  private start(task: Task): void {
    task.done = true;
    task.cleanup();
    this.active++;
    let result: unknown;
    try {
      result = task.run(task.signal);
    } catch (err) {
      this.active--;
      task.reject(err);
      return;
    }
    if (
      result !== null &&
      typeof result === 'object' &&
      typeof (result as PromiseLike<unknown>).then === 'function'
    ) {
      Promise.resolve(result).then(
        (value) => this.finish(task, true, value),
        (err: unknown) => this.finish(task, false, err),
      );
      return;
    }
    this.active--;
    task.resolve(result);
  }

  private finish(task: Task, ok: boolean, value: unknown): void {
    this.active--;
    if (ok) task.resolve(value);
    else task.reject(value);
    if (this.queued > 0) this.wake();
  }
}
