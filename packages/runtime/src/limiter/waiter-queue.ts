import { LimiterQueueFullError, OperationAbortedError } from '../errors.js';
import { RingQueue } from '../mailbox/ring-queue.js';

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
  settled: boolean;
  cleanup(): void;
}

/** A bounded FIFO of callers waiting for a permit, with abort support. Shared by the limiters. */
export class WaiterQueue {
  private readonly waiters = new RingQueue<Waiter>(16);
  private live = 0;

  constructor(private readonly maxQueue: number) {}

  /** Callers waiting (aborted ones excluded). */
  get size(): number {
    return this.live;
  }

  wait(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted === true)
      return Promise.reject(new OperationAbortedError('limiter acquire', signal.reason));
    if (this.live >= this.maxQueue) return Promise.reject(new LimiterQueueFullError(this.maxQueue));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        if (waiter.settled) return;
        waiter.settled = true;
        this.live--;
        reject(new OperationAbortedError('limiter acquire', signal?.reason));
      };
      const waiter: Waiter = {
        resolve,
        reject,
        settled: false,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.live++;
    });
  }

  /** Hands a permit to the oldest live waiter; false if nobody waits. */
  wakeOne(): boolean {
    for (let w = this.waiters.shift(); w !== undefined; w = this.waiters.shift()) {
      if (w.settled) continue;
      w.settled = true;
      this.live--;
      w.cleanup();
      w.resolve();
      return true;
    }
    return false;
  }
}
