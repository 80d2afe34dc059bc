import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The dialects whose transaction callback the current async context is running in. A PGlite
 * dialect has one session: a statement on `db` from inside `db.transaction()`'s callback would wait
 * for the session the transaction holds, forever, so the driver checks here and throws instead.
 */
export const transactionScope = new AsyncLocalStorage<readonly object[]>();

/**
 * A statement timeout in milliseconds for the statements of the current async context
 * (`db.withTimeout`); `undefined`: the dialect's default.
 */
export const queryTimeoutScope = new AsyncLocalStorage<number>();
