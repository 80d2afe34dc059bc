/**
 * The limiter interface: what `@zephyr/server` middleware (or anything else) needs, so the
 * runtime's limiters plug in without either package depending on the other.
 *
 * Pair every successful `tryAcquire()` / `acquire()` with one `release()`.
 */
export interface Limiter {
  /** Takes a permit if one is free now; never waits. */
  tryAcquire(): boolean;
  /**
   * Waits for a permit in FIFO order.
   * Rejects with `LimiterQueueFullError` when the wait queue is full, `OperationAbortedError` when
   * `signal` aborts first.
   */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Returns a permit. */
  release(): void;
}
