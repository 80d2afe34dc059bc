import { tracingChannel } from 'node:diagnostics_channel';
import type { EngineRequest } from '@zephyr/uring';
import type { Context } from './context.js';

/**
 * What `zephyr:server:request` publishes: one object per request, the same one on every event, so
 * a subscriber may keep its own state on it (a span) from `start` to `end`/`asyncEnd`.
 */
export interface RequestTraceContext {
  /** The request as the engine gave it (method, url, path, headers, peer address). */
  readonly request: EngineRequest;
  /** The matched route's pattern (`/users/:id`), `''` when none matched. */
  readonly route: string;
  /** The path parameters of the matched route. */
  readonly params: Readonly<Record<string, string>>;
  /** The response status, set when the response has been written. */
  status: number;
  /** The error the request raised (rendered by the error handler), set before `error` is published. */
  error?: unknown;
}

/**
 * The tracing channel around a whole request, from routing to the written response (hooks,
 * middleware, handler, error handler, write). Events follow `TracingChannel` rules: `start`, then
 * `end` when the synchronous part returns; for an asynchronous request `asyncStart`/`asyncEnd`
 * when it completes; `error` (before `end` or `asyncStart`) when the request raised one.
 * `start` runs through `bindStore` stores, so a subscriber can make its context current for the
 * request.
 */
export const requestChannel = tracingChannel<unknown, RequestTraceContext>('zephyr:server:request');

/** Runs `serve` for `ctx` inside the request channel; called only when it has subscribers. */
export function traceRequest(
  ctx: Context,
  req: EngineRequest,
  serve: () => Promise<void> | undefined,
): Promise<void> | undefined {
  const data: RequestTraceContext = {
    request: req,
    route: ctx.routePath,
    params: ctx.params as Readonly<Record<string, string>>,
    status: 0,
  };
  const pending = requestChannel.start.runStores(data, serve);
  if (pending === undefined) {
    settle(data, ctx);
    requestChannel.end.publish(data);
    return undefined;
  }
  requestChannel.end.publish(data);
  return pending.then(
    () => {
      settle(data, ctx);
      requestChannel.asyncStart.publish(data);
      requestChannel.asyncEnd.publish(data);
    },
    (err: unknown) => {
      data.status = ctx.res.status;
      data.error = err;
      requestChannel.error.publish(data);
      requestChannel.asyncStart.publish(data);
      requestChannel.asyncEnd.publish(data);
      throw err;
    },
  );
}

function settle(data: RequestTraceContext, ctx: Context): void {
  data.status = ctx.res.status;
  if (ctx.error !== undefined) {
    data.error = ctx.error;
    requestChannel.error.publish(data);
  }
}
