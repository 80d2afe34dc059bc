import type { Context } from './context.js';

/** Continues to the next middleware (or the route); resolves when everything after it is done. */
export type Next = () => Promise<void>;

/**
 * Onion middleware, as in Koa and Hono: code before `await next()` runs on the way in, code
 * after it on the way out, when the response (`ctx.res`) is set and can still be changed.
 * Not calling `next` ends the request with whatever response the middleware set.
 *
 * @example
 * ```ts
 * app.use(async (ctx, next) => {
 *   const start = performance.now();
 *   await next();
 *   ctx.header('server-timing', `app;dur=${performance.now() - start}`);
 * });
 * ```
 */
export type Middleware<C extends Context = Context> = (ctx: C, next: Next) => void | Promise<void>;

/**
 * Folds middleware around `last` into one function, built once at startup. With no middleware
 * the result is `last` itself, so an app without middleware pays nothing for the model.
 */
export function compose<C extends Context>(
  middleware: readonly Middleware<C>[],
  last: (ctx: C) => Promise<void> | undefined,
): (ctx: C) => Promise<void> | undefined {
  if (middleware.length === 0) return last;
  return (ctx) => {
    let index = -1;
    const dispatch = (i: number): Promise<void> => {
      if (i <= index) return Promise.reject(new Error('next() called more than once in one middleware'));
      index = i;
      const fn = middleware[i];
      if (fn === undefined) {
        try {
          return Promise.resolve(last(ctx));
        } catch (err) {
          return Promise.reject(err);
        }
      }
      try {
        return Promise.resolve(fn(ctx, () => dispatch(i + 1)));
      } catch (err) {
        return Promise.reject(err);
      }
    };
    return dispatch(0);
  };
}
