import { InvalidArgumentError } from '../errors.js';
import type { Limiter } from './limiter.js';
import { WaiterQueue } from './waiter-queue.js';

/** Options of {@link TokenBucketLimiter}. */
export interface TokenBucketLimiterOptions {
  /** Tokens added per second. */
  readonly ratePerSecond: number;
  /** Bucket size: the largest burst (default `ratePerSecond`). */
  readonly burst?: number;
  /** Callers allowed to wait for a token (default 1000). */
  readonly maxQueue?: number;
}

/**
 * Rate limiting: each acquire takes a token; tokens refill continuously at `ratePerSecond` up to
 * `burst`. Waiters are served FIFO as tokens arrive. `release()` does nothing (time returns tokens),
 * so it fits the same {@link Limiter} slot as a concurrency limiter.
 */
export class TokenBucketLimiter implements Limiter {
  private tokens: number;
  private last = performance.now();
  private readonly burst: number;
  private readonly queue: WaiterQueue;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: TokenBucketLimiterOptions) {
    if (!(options.ratePerSecond > 0) || !Number.isFinite(options.ratePerSecond)) {
      throw new InvalidArgumentError('TokenBucketLimiter ratePerSecond must be a finite number > 0');
    }
    this.burst = options.burst ?? options.ratePerSecond;
    if (!(this.burst >= 1)) throw new InvalidArgumentError('TokenBucketLimiter burst must be >= 1');
    const maxQueue = options.maxQueue ?? 1000;
    if (!Number.isInteger(maxQueue) || maxQueue < 0)
      throw new InvalidArgumentError('TokenBucketLimiter maxQueue must be an integer >= 0');
    this.queue = new WaiterQueue(maxQueue);
    this.tokens = this.burst;
  }

  /** Callers waiting now. */
  get waiting(): number {
    return this.queue.size;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.options.ratePerSecond);
    this.last = now;
  }

  tryAcquire(): boolean {
    this.refill();
    if (this.tokens < 1 || this.queue.size > 0) return false;
    this.tokens -= 1;
    return true;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    const waiting = this.queue.wait(signal);
    this.arm();
    return waiting;
  }

  release(): void {
    // Tokens come back with time, not with release.
  }

  /** Wakes waiters as tokens arrive; one timer at a time, for the next token. */
  private arm(): void {
    if (this.timer !== undefined) return;
    const ms = Math.max(1, ((1 - this.tokens) / this.options.ratePerSecond) * 1000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.tokens >= 1 && this.queue.size > 0) {
        this.tokens -= 1;
        this.queue.wakeOne();
      }
      if (this.queue.size > 0) this.arm();
    }, ms);
  }
}
