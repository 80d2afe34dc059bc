import { InvalidArgumentError } from '../errors.js';
import type { Limiter } from './limiter.js';
import { WaiterQueue } from './waiter-queue.js';

/** Options of {@link ConcurrencyLimiter}. */
export interface ConcurrencyLimiterOptions {
  /** Permits held at once. */
  readonly max: number;
  /** Callers allowed to wait; more are rejected with `LimiterQueueFullError` (default 1000). */
  readonly maxQueue?: number;
}

/**
 * At most `max` holders at once; the next ones wait in a bounded FIFO queue.
 *
 * @example
 * const limiter = new ConcurrencyLimiter({ max: 32, maxQueue: 100 });
 * await limiter.acquire(request.signal);
 * try { await handle(request); } finally { limiter.release(); }
 */
export class ConcurrencyLimiter implements Limiter {
  private held = 0;
  private readonly queue: WaiterQueue;

  constructor(private readonly options: ConcurrencyLimiterOptions) {
    if (!Number.isInteger(options.max) || options.max < 1)
      throw new InvalidArgumentError('ConcurrencyLimiter max must be an integer >= 1');
    const maxQueue = options.maxQueue ?? 1000;
    if (!Number.isInteger(maxQueue) || maxQueue < 0)
      throw new InvalidArgumentError('ConcurrencyLimiter maxQueue must be an integer >= 0');
    this.queue = new WaiterQueue(maxQueue);
  }

  /** Permits held now. */
  get active(): number {
    return this.held;
  }

  /** Callers waiting now. */
  get waiting(): number {
    return this.queue.size;
  }

  tryAcquire(): boolean {
    if (this.held >= this.options.max || this.queue.size > 0) return false;
    this.held++;
    return true;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return this.queue.wait(signal);
  }

  release(): void {
    if (this.held === 0) throw new InvalidArgumentError('ConcurrencyLimiter.release() without a held permit');
    // The permit passes straight to the next waiter, so `held` stays the same.
    if (!this.queue.wakeOne()) this.held--;
  }
}
