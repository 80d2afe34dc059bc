import {
  ConnectionError,
  PoolClosedError,
  PoolOverloadedError,
  PoolTimeoutError,
} from '../errors/pool-errors.js';
import { DatabaseArgumentError } from '../errors/zephyr-db-error.js';
import { acquireChannel, traceAcquire } from '../tracing-channels.js';
import { WaitTimeHistogram, type WaitTimePercentiles } from './wait-time-histogram.js';

/** Limits of a {@link ConnectionPool}. */
export interface PoolOptions {
  /** Most connections open at once. Default 10. */
  readonly max?: number;
  /** Most callers waiting for a connection; one more gets `PoolOverloadedError` at once. Default 100. */
  readonly queue?: number;
  /** Longest a caller waits in the queue before `PoolTimeoutError`. Default 5000 ms. */
  readonly acquireTimeoutMs?: number;
  /** An idle connection older than this is closed. Default 30000 ms. */
  readonly idleTimeoutMs?: number;
}

/** How the pool opens, checks and closes one connection. */
export interface ConnectionFactory<C> {
  create(): Promise<C>;
  destroy(connection: C): Promise<void>;
  /** `true` once the connection saw a socket error or a fatal server error and must not be reused. */
  isBroken(connection: C): boolean;
}

/** A point-in-time view of the pool, for dashboards and health checks. */
export interface PoolMetrics {
  readonly max: number;
  readonly total: number;
  readonly inUse: number;
  readonly idle: number;
  readonly waiting: number;
  /** Connections being opened right now. */
  readonly opening: number;
  readonly acquired: number;
  readonly timeouts: number;
  readonly overloaded: number;
  /** Broken connections discarded (each is replaced on the next demand). */
  readonly replaced: number;
  readonly waitMs: WaitTimePercentiles;
}

interface Waiter<C> {
  readonly start: number;
  resolve(connection: C): void;
  reject(error: unknown): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * A connection pool with backpressure: at most `max` connections, at most `queue` waiters, each
 * waiting at most `acquireTimeoutMs`. Beyond those bounds it fails fast with typed errors instead of
 * queueing without limit. Broken connections are discarded on release (or at once when idle) and
 * replaced on demand, so the pool heals itself after a database restart.
 */
export class ConnectionPool<C> {
  readonly #factory: ConnectionFactory<C>;
  readonly #max: number;
  readonly #queueLimit: number;
  readonly #acquireTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #idle: { connection: C; since: number }[] = [];
  readonly #inUse = new Set<C>();
  readonly #waiters: Waiter<C>[] = [];
  readonly #histogram = new WaitTimeHistogram();
  readonly #reaper: ReturnType<typeof setInterval>;
  #opening = 0;
  #acquired = 0;
  #timeouts = 0;
  #overloaded = 0;
  #replaced = 0;
  #closing = false;
  #drained: (() => void) | undefined;

  constructor(factory: ConnectionFactory<C>, options: PoolOptions = {}) {
    this.#factory = factory;
    this.#max = positiveInt('max', options.max ?? 10);
    this.#queueLimit = nonNegativeInt('queue', options.queue ?? 100);
    this.#acquireTimeoutMs = positiveInt('acquireTimeoutMs', options.acquireTimeoutMs ?? 5000);
    this.#idleTimeoutMs = positiveInt('idleTimeoutMs', options.idleTimeoutMs ?? 30_000);
    this.#reaper = setInterval(() => this.#reapIdle(), Math.min(this.#idleTimeoutMs, 10_000));
    this.#reaper.unref();
  }

  /** Takes a connection: an idle one, a new one while under `max`, or a place in the bounded queue. */
  acquire(): Promise<C> {
    if (!acquireChannel.hasSubscribers) return this.#acquire();
    return traceAcquire(this.#max, this.#waiters.length, () => this.#acquire());
  }

  /**
   * An idle connection, taken at once, or `undefined` (none idle, closing, or a tracer listening:
   * then use {@link acquire}). Lets the hot path skip a promise when a connection is free.
   */
  takeIdle(): C | undefined {
    if (this.#closing || acquireChannel.hasSubscribers) return undefined;
    const idle = this.#takeIdle();
    if (idle !== undefined) this.#histogram.record(0);
    return idle;
  }

  async #acquire(): Promise<C> {
    if (this.#closing) throw new PoolClosedError();
    const idle = this.#takeIdle();
    if (idle !== undefined) {
      this.#histogram.record(0);
      return idle;
    }
    if (this.#total() < this.#max) {
      const connection = await this.#open();
      this.#inUse.add(connection);
      this.#acquired++;
      this.#histogram.record(0);
      return connection;
    }
    if (this.#waiters.length >= this.#queueLimit) {
      this.#overloaded++;
      throw new PoolOverloadedError(this.#max, this.#waiters.length);
    }
    return new Promise<C>((resolve, reject) => {
      const waiter: Waiter<C> = {
        start: performance.now(),
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          this.#timeouts++;
          reject(new PoolTimeoutError(performance.now() - waiter.start, this.#acquireTimeoutMs));
          this.#checkDrained();
        }, this.#acquireTimeoutMs),
      };
      this.#waiters.push(waiter);
    });
  }

  /** Gives a connection back; a broken one is closed and a waiter, if any, gets a fresh one. */
  release(connection: C): void {
    if (!this.#inUse.delete(connection)) return;
    if (this.#factory.isBroken(connection)) {
      this.#discard(connection);
      this.#serveWaiters();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#handTo(waiter, connection);
      return;
    }
    this.#idle.push({ connection, since: performance.now() });
    this.#checkDrained();
  }

  /** Closes an idle connection that broke while idle (e.g. the server restarted). */
  evictIdle(connection: C): void {
    const i = this.#idle.findIndex((e) => e.connection === connection);
    if (i < 0) return;
    this.#idle.splice(i, 1);
    this.#discard(connection);
  }

  /** Current counts, counters and wait-time percentiles. */
  metrics(): PoolMetrics {
    return {
      max: this.#max,
      total: this.#total(),
      inUse: this.#inUse.size,
      idle: this.#idle.length,
      waiting: this.#waiters.length,
      opening: this.#opening,
      acquired: this.#acquired,
      timeouts: this.#timeouts,
      overloaded: this.#overloaded,
      replaced: this.#replaced,
      waitMs: this.#histogram.percentiles(),
    };
  }

  /**
   * Graceful shutdown: refuses new acquires, lets work in flight and already queued finish (up to
   * `timeoutMs`), then closes every connection. Connections still busy after the timeout are closed too.
   */
  async drain(timeoutMs = 10_000): Promise<void> {
    this.#closing = true;
    clearInterval(this.#reaper);
    if (this.#inUse.size > 0 || this.#waiters.length > 0 || this.#opening > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.#drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    for (const w of this.#waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new PoolClosedError());
    }
    const all = [...this.#idle.splice(0).map((e) => e.connection), ...this.#inUse];
    this.#inUse.clear();
    await Promise.all(all.map((c) => this.#factory.destroy(c).catch(() => undefined)));
  }

  #total(): number {
    return this.#inUse.size + this.#idle.length + this.#opening;
  }

  #takeIdle(): C | undefined {
    // Most recently used first: warm connections stay warm and the rest age out.
    for (let e = this.#idle.pop(); e !== undefined; e = this.#idle.pop()) {
      if (this.#factory.isBroken(e.connection)) {
        this.#discard(e.connection);
        continue;
      }
      this.#inUse.add(e.connection);
      this.#acquired++;
      return e.connection;
    }
    return undefined;
  }

  async #open(): Promise<C> {
    this.#opening++;
    try {
      return await this.#factory.create();
    } catch (error) {
      throw error instanceof ConnectionError
        ? error
        : new ConnectionError(error instanceof Error ? error.message : String(error), error);
    } finally {
      this.#opening--;
    }
  }

  #handTo(waiter: Waiter<C>, connection: C): void {
    clearTimeout(waiter.timer);
    this.#inUse.add(connection);
    this.#acquired++;
    this.#histogram.record(performance.now() - waiter.start);
    waiter.resolve(connection);
  }

  /** Opens connections for queued callers while there is room (after a broken one was discarded). */
  #serveWaiters(): void {
    while (this.#waiters.length > this.#opening && this.#total() < this.#max) {
      this.#open().then(
        (connection) => {
          const waiter = this.#waiters.shift();
          if (waiter === undefined) {
            this.#idle.push({ connection, since: performance.now() });
            this.#checkDrained();
          } else {
            this.#handTo(waiter, connection);
          }
        },
        (error: unknown) => {
          // The database is unreachable: fail the oldest waiter now rather than let it time out.
          const waiter = this.#waiters.shift();
          if (waiter !== undefined) {
            clearTimeout(waiter.timer);
            waiter.reject(error);
          }
          this.#checkDrained();
        },
      );
    }
    this.#checkDrained();
  }

  #discard(connection: C): void {
    this.#replaced++;
    this.#factory.destroy(connection).catch(() => undefined);
  }

  #reapIdle(): void {
    const cutoff = performance.now() - this.#idleTimeoutMs;
    for (let i = this.#idle.length - 1; i >= 0; i--) {
      const e = this.#idle[i];
      if (e !== undefined && e.since < cutoff) {
        this.#idle.splice(i, 1);
        this.#factory.destroy(e.connection).catch(() => undefined);
      }
    }
  }

  #checkDrained(): void {
    if (
      this.#drained !== undefined &&
      this.#inUse.size === 0 &&
      this.#waiters.length === 0 &&
      this.#opening === 0
    ) {
      this.#drained();
      this.#drained = undefined;
    }
  }
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new DatabaseArgumentError(`pool ${name} must be a positive integer, got ${value}`);
  return value;
}

function nonNegativeInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0)
    throw new DatabaseArgumentError(`pool ${name} must be a non-negative integer, got ${value}`);
  return value;
}
