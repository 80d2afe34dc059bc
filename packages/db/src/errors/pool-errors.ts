import { ZephyrDbError } from './zephyr-db-error.js';

/** Seconds a client is told to wait before retrying after a saturation or connection error. */
const RETRY_AFTER_SECONDS = 1;

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
      { status: 503, retryAfter: RETRY_AFTER_SECONDS },
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
      { status: 503, retryAfter: RETRY_AFTER_SECONDS },
    );
  }
}

/** The database was destroyed or is draining (shutdown in progress); no new work is accepted. */
export class PoolClosedError extends ZephyrDbError {
  constructor() {
    super('ZEPHYR_ERR_DB_POOL_CLOSED', 'database is closed or draining', { status: 503 });
  }
}

/**
 * The database could not be reached, or the session broke mid-statement (server down, restarting,
 * network reset). The statement's outcome is unknown unless it ran inside a transaction (rolled back).
 */
export class ConnectionError extends ZephyrDbError {
  constructor(message: string, cause: unknown) {
    super('ZEPHYR_ERR_DB_CONNECTION', `database connection failed: ${message}`, {
      status: 503,
      retryAfter: RETRY_AFTER_SECONDS,
      cause,
    });
  }
}

/** A statement ran longer than its timeout (`timeoutMs` per query, or the database default) and was cancelled. */
export class QueryTimeoutError extends ZephyrDbError {
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMs: number;
  constructor(timeoutMs: number, cause: unknown) {
    super('ZEPHYR_ERR_DB_QUERY_TIMEOUT', `query cancelled after its ${timeoutMs} ms timeout`, {
      status: 503,
      retryAfter: RETRY_AFTER_SECONDS,
      cause,
    });
    this.timeoutMs = timeoutMs;
  }
}
