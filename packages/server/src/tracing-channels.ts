import { channel, tracingChannel } from 'node:diagnostics_channel';
import type { EngineRequest } from '@zephyr/uring';
import type { Context } from './context.js';

/**
 * Runs the rest of a request inside a subscriber's own context (see {@link requestScopeChannel}).
 * It must call `serve` exactly once, synchronously, and return what `serve` returns.
 */
export type RequestScope = <R>(serve: () => R) => R;

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
  /**
   * Set by a `zephyr:server:request:scope` subscriber that wants this request to run inside its
   * context; left `undefined`, the request runs in no scope of anyone's. A subscriber that finds
   * one already set wraps it (calls it inside its own), so that each scope is entered.
   */
  scope: RequestScope | undefined;
  /**
   * Set `true` by a `zephyr:server:request:scope` subscriber that wants this request's end on
   * {@link requestEndChannel} (a tracer that sampled it). Left `false`, the request publishes no
   * end there, and with nothing subscribed to {@link requestChannel} its payload is reused.
   */
  wantsEnd: boolean;
}

/**
 * The tracing channel around a whole request, from routing to the written response (hooks,
 * middleware, handler, error handler, write). Events follow `TracingChannel` rules: `start`, then
 * `end` when the synchronous part returns; for an asynchronous request `asyncStart`/`asyncEnd`
 * when it completes; `error` (before `end` or `asyncStart`) when the request raised one.
 * `start` runs through `bindStore` stores, so a subscriber can make its context current for the
 * request; one that decides per request whether to do so is cheaper on {@link requestScopeChannel}.
 */
export const requestChannel = tracingChannel<unknown, RequestTraceContext>('zephyr:server:request');

/**
 * `zephyr:server:request:scope`, published with the same payload before `start`, for a subscriber
 * that decides request by request whether the request runs in a context of its own (a tracer
 * that samples): it sets `data.scope`. Node runs `start`'s bound stores through fresh closures on
 * every request, whether or not the store has anything to enter (about 180 ns on Node 20, most
 * of what an unsampled request cost); a scope costs only the requests that set one.
 *
 * A subscriber that declines a request (sets no scope and no `wantsEnd`) must keep nothing of
 * the payload: when nothing subscribes to {@link requestChannel}, the same object carries the
 * next request once this one's synchronous part has returned.
 */
export const requestScopeChannel = channel('zephyr:server:request:scope');

/**
 * `zephyr:server:request:end`, published once a request is over (response written, or failed),
 * with `status` and `error` set, only for a request whose scope subscriber set `data.wantsEnd`:
 * a tracer ending the spans it sampled hears of no other request. A subscriber must keep nothing
 * of the payload once the end is published: when nothing subscribes to {@link requestChannel},
 * the same object carries a later request.
 */
export const requestEndChannel = channel('zephyr:server:request:end');

/** Whether requests are traced (anything subscribed to either channel): one check per channel. */
export function isRequestTraced(): boolean {
  // The scope channel first: one check where a tracer listens (the tracing channel's is five).
  return requestScopeChannel.hasSubscribers || requestChannel.hasSubscribers;
}

/**
 * The payload of the last request nobody wants events of any more (declined, or its end
 * published), reused by the next: a request on a tracer's channels allocates no payload, sampled
 * or not. Taken before the scope publish, so a request served inside another (re-entrancy), or
 * while another is still running, gets an object of its own.
 */
let spare: Payload | undefined;

/** The payload as the server fills it: read-only to subscribers, not to the server. */
type Payload = { -readonly [K in keyof RequestTraceContext]: RequestTraceContext[K] };

/**
 * Opens a traced request (only when {@link isRequestTraced}): its payload, once the scope
 * subscribers have seen it. Then the request is served, through {@link serveWrapped} when
 * {@link isWrapped} says so, and closed by {@link closeRequest}. Split so that a request needing
 * no wrapping is served with no closure made for it.
 */
export function openRequest(ctx: Context, req: EngineRequest): RequestTraceContext {
  let data = spare;
  if (data === undefined) {
    data = {
      request: req,
      route: ctx.routePath,
      params: ctx.params as Readonly<Record<string, string>>,
      status: 0,
      error: undefined,
      scope: undefined,
      wantsEnd: false,
    };
  } else {
    spare = undefined;
    data.request = req;
    data.route = ctx.routePath;
    data.params = ctx.params as Readonly<Record<string, string>>;
  }
  requestScopeChannel.publish(data);
  return data;
}

/** Whether the request must run wrapped: a subscriber set a scope, or something listens to `start`. */
export function isWrapped(data: RequestTraceContext): boolean {
  return data.scope !== undefined || requestChannel.start.hasSubscribers;
}

/** Serves the request inside its scope, and inside `start` (its bound stores) when anyone listens. */
export function serveWrapped(
  data: RequestTraceContext,
  serve: () => Promise<void> | undefined,
): Promise<void> | undefined {
  const scope = data.scope;
  if (!requestChannel.start.hasSubscribers) return scope === undefined ? serve() : scope(serve);
  return scope === undefined
    ? requestChannel.start.runStores(data, serve)
    : scope(() => requestChannel.start.runStores(data, serve));
}

/**
 * Publishes the request's end: on {@link requestChannel} (`end` now, and for a request still
 * running `asyncStart`/`asyncEnd` once it settles) when anything subscribes to it, and on
 * {@link requestEndChannel} once it is over when its scope subscriber asked. With nothing
 * subscribed to {@link requestChannel}, the payload goes back for the next request once nobody
 * is owed an event of it: at once for a request nobody asked about, after the end otherwise.
 */
export function closeRequest(
  data: RequestTraceContext,
  ctx: Context,
  pending: Promise<void> | undefined,
): Promise<void> | undefined {
  const events = requestChannel.hasSubscribers;
  if (!events && !data.wantsEnd) {
    // Nobody settles it, so status and error are still unset: only the scope is cleared.
    data.scope = undefined;
    spare = data;
    return pending;
  }
  return endRequest(data, ctx, pending, events);
}

/**
 * {@link closeRequest} for a request someone is owed events of. Apart, so that the path of a
 * declined request stays small enough to be inlined where it is called.
 */
function endRequest(
  data: RequestTraceContext,
  ctx: Context,
  pending: Promise<void> | undefined,
  events: boolean,
): Promise<void> | undefined {
  if (pending === undefined) {
    settle(data, ctx, events);
    if (events) requestChannel.end.publish(data);
    if (data.wantsEnd) requestEndChannel.publish(data);
    if (!events) recycle(data);
    return undefined;
  }
  if (events) requestChannel.end.publish(data);
  return pending.then(
    () => {
      settle(data, ctx, events);
      if (events) {
        requestChannel.asyncStart.publish(data);
        requestChannel.asyncEnd.publish(data);
      }
      if (data.wantsEnd) requestEndChannel.publish(data);
      if (!events) recycle(data);
    },
    (err: unknown) => {
      data.status = ctx.res.status;
      data.error = err;
      if (events) {
        requestChannel.error.publish(data);
        requestChannel.asyncStart.publish(data);
        requestChannel.asyncEnd.publish(data);
      }
      if (data.wantsEnd) requestEndChannel.publish(data);
      if (!events) recycle(data);
      throw err;
    },
  );
}

/** Gives back a payload whose end was published, its fields reset, for the next request. */
function recycle(data: RequestTraceContext): void {
  const payload = data as Payload;
  payload.scope = undefined;
  payload.wantsEnd = false;
  payload.status = 0;
  payload.error = undefined;
  spare = payload;
}

function settle(data: RequestTraceContext, ctx: Context, events: boolean): void {
  data.status = ctx.res.status;
  if (ctx.error !== undefined) {
    data.error = ctx.error;
    if (events) requestChannel.error.publish(data);
  }
}
