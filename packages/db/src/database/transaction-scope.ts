import { AsyncLocalStorage } from 'node:async_hooks';

/** A transaction whose callback is running: on which dialect, and whether it is still open. */
export interface OpenTransaction {
  readonly dialect: object;
  active: boolean;
}

/**
 * The transactions whose callback the current async context runs in. A PGlite dialect has one
 * session: a statement on `db` from inside `db.transaction()`'s callback would wait for the session
 * the transaction holds, forever, so the driver checks here and throws instead. (Work the callback
 * schedules for later inherits the context; `active` turns false when the transaction ends.)
 */
export const transactionScope = new AsyncLocalStorage<readonly OpenTransaction[]>();

/**
 * A statement timeout in milliseconds for the statements of the current async context
 * (`db.withTimeout`); `undefined`: the dialect's default.
 */
export const queryTimeoutScope = new AsyncLocalStorage<number>();
