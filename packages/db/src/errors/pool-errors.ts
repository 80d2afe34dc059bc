import { ZephyrDbError } from './zephyr-db-error.js';

/**
 * A connection could not be acquired within `acquireTimeoutMs` while waiting in the pool's queue.
 * Answer 503 and let the client retry: the database is saturated, not broken.
 */
export class PoolTimeoutError extends ZephyrDbError {
  /** How long the caller waited, in milliseconds. */
  readonly waitedMs: number;
  constructor(waitedMs: number, timeoutMs: number) {
    super(
      'ZEPHYR_ERR_DB_POOL_TIMEOUT',
      `no database connection became free within ${timeoutMs} ms (waited ${Math.round(waitedMs)} ms)`,
      503,
    );
    this.waitedMs = waitedMs;
  }
}

/**
 * Every connection is in use and the waiting queue is full: the request is refused at once rather
 * than queued without bound, so latency stays bounded under overload.
 */
export class PoolOverloadedError extends ZephyrDbError {
  constructor(max: number, queue: number) {
    super(
      'ZEPHYR_ERR_DB_POOL_OVERLOADED',
      `database pool overloaded: all ${max} connections busy and ${queue} callers already waiting`,
      503,
    );
  }
}

/** The pool is draining or closed (shutdown in progress); no new work is accepted. */
export class PoolClosedError extends ZephyrDbError {
  constructor() {
    super('ZEPHYR_ERR_DB_POOL_CLOSED', 'database pool is closed or draining', 503);
  }
}

/** A new connection to the database could not be opened (server down, restarting, refused). */
export class ConnectionError extends ZephyrDbError {
  constructor(message: string, cause: unknown) {
    super('ZEPHYR_ERR_DB_CONNECTION', `database connection failed: ${message}`, 503, { cause });
  }
}
