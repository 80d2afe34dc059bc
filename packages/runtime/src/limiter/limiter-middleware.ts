import { LimiterQueueFullError } from '../errors.js';
import type { Limiter } from './limiter.js';

/** Options of {@link limiterMiddleware}. */
export interface LimiterMiddlewareOptions<C> {
  /** The request's abort signal, so a client that goes away leaves the queue (e.g. `(c) => c.req.signal`). */
  readonly signal?: (ctx: C) => AbortSignal | undefined;
  /**
   * Called instead of throwing when the wait queue is full, to answer the request (e.g. set a 503
   * with `Retry-After`). Without it the `LimiterQueueFullError` propagates to the error handler.
   */
  readonly onRejected?: (ctx: C, error: LimiterQueueFullError) => void | Promise<void>;
}

/**
 * Adapts a {@link Limiter} to onion middleware of the `(ctx, next) => Promise<void>` shape used by
 * `@zephyr/server` (and Koa/Hono-style stacks): waits for a permit before `next()`, releases it
 * after `next()` settles, whatever happens. Generic in the context type, so the runtime does not
 * depend on the server.
 *
 * @example
 * app.use(limiterMiddleware(new ConcurrencyLimiter({ max: 64, maxQueue: 256 }), {
 *   signal: (c) => c.req.signal,
 *   onRejected: (c) => { c.status(503); },
 * }));
 */
export function limiterMiddleware<C>(
  limiter: Limiter,
  options: LimiterMiddlewareOptions<C> = {},
): (ctx: C, next: () => Promise<void>) => Promise<void> {
  return async (ctx, next) => {
    try {
      await limiter.acquire(options.signal?.(ctx));
    } catch (err) {
      if (err instanceof LimiterQueueFullError && options.onRejected !== undefined) {
        await options.onRejected(ctx, err);
        return;
      }
      throw err;
    }
    try {
      await next();
    } finally {
      limiter.release();
    }
  };
}
