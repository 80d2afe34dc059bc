import type { Context } from '../context.js';
import { InvalidArgumentError, ValidationError, type ValidationIssue } from '../errors.js';
import type { HandlerResult } from '../route-schema.js';
import { ActorRouteReplyError, ActorRouteTimeoutError } from './actor-route-errors.js';
import { forbiddenKeyPath } from './message-keys.js';

/**
 * The message an actor route sends: what the route validated, and nothing it did not ask for.
 * It crosses threads as msgpack, so it holds plain data only.
 */
export interface ActorRouteRequest {
  readonly type: 'request';
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  /** Path parameters (the `params` schema's output when the route has one). */
  readonly params: unknown;
  /** Query parameters (the `query` schema's output when the route has one). */
  readonly query: unknown;
  /** The validated body; `null` when the route has no `body` schema. */
  readonly body: unknown;
  /** Only the headers named in the route's `headers` option, lower-case; absent ones are left out. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * What the actor answers. `status` defaults to 200. `body`: a string is sent as text, a
 * `Uint8Array` as bytes (`application/octet-stream`), `null`/absent as no body, anything else as
 * JSON; a `content-type` in `headers` wins.
 */
export interface ActorRouteReply {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/**
 * What `actorRoute` needs: anything with an `ask` (a documented interface, so the server does not
 * depend on `@zephyr/runtime`; its `createActorPool` returns one). Rejections are answered by
 * their `status` as every error is (`MailboxFullError` is a 503 with `Retry-After`).
 */
export interface AskablePool {
  ask(message: ActorRouteRequest, options: { timeoutMs: number }): Promise<unknown>;
}

/** Options of {@link actorRoute}. */
export interface ActorRouteOptions {
  /**
   * Longest wait for the reply, in ms (default 5000); past it the client gets a 504. Keep it below
   * the actor's `handlerDeadlineMs`, so the request is answered before the watchdog replaces the thread.
   */
  readonly deadlineMs?: number;
  /** Request headers the message carries (case-insensitive names); default none. */
  readonly headers?: readonly string[];
}

const DEFAULT_DEADLINE_MS = 5000;
/** The ask outlives the route's deadline by this much, so the pool counts the actor busy until it is free or timed out. */
const ASK_GRACE_MS = 1000;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const UNSAFE_VALUE = /[\r\n\0]/;
/** Framing headers are the engine's to write; an actor setting them could corrupt the response. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function checkOptions(
  pool: AskablePool,
  options: ActorRouteOptions,
): { deadlineMs: number; headers: string[] } {
  if (typeof pool !== 'object' || pool === null || typeof pool.ask !== 'function')
    throw new InvalidArgumentError('actorRoute needs a pool with an ask(message, options) method');
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  if (!Number.isInteger(deadlineMs) || deadlineMs < 1 || deadlineMs > 2_147_483_647 - ASK_GRACE_MS)
    throw new InvalidArgumentError(
      `actorRoute deadlineMs must be a positive integer, got ${String(deadlineMs)}`,
    );
  const headers = [...(options.headers ?? [])].map((name) => {
    if (typeof name !== 'string' || !TOKEN.test(name))
      throw new InvalidArgumentError(`actorRoute headers must be header names, got ${JSON.stringify(name)}`);
    return name.toLowerCase();
  });
  return { deadlineMs, headers };
}

function applyReply(
  ctx: Context<unknown, unknown, unknown, unknown, unknown>,
  reply: unknown,
): HandlerResult {
  if (!isPlainObject(reply))
    throw new ActorRouteReplyError('expected an object { status?, headers?, body? }');
  const status = reply.status ?? 200;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599)
    throw new ActorRouteReplyError(`status must be an integer in 200..599, got ${String(status)}`);
  const headers = reply.headers ?? {};
  if (!isPlainObject(headers)) throw new ActorRouteReplyError('headers must be an object of strings');
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name) || FRAMING.has(name.toLowerCase()))
      throw new ActorRouteReplyError(`header name ${JSON.stringify(name)} is not allowed`);
    if (typeof value !== 'string' || UNSAFE_VALUE.test(value))
      throw new ActorRouteReplyError(`header ${name} must be a string without CR, LF or NUL`);
    ctx.header(name, value);
  }
  const body = reply.body;
  ctx.status(status);
  if (body === undefined || body === null) return ctx.send(null);
  if (typeof body === 'string') return ctx.text(body);
  if (body instanceof Uint8Array) {
    if (ctx.res.headers['content-type'] === undefined) ctx.header('content-type', 'application/octet-stream');
    return ctx.send(body);
  }
  return ctx.json(body);
}

/**
 * A route handler served by a pool of actors: the request (method, path, params, query, validated
 * body, the headers named in `options.headers`) goes to the pool as an {@link ActorRouteRequest};
 * the {@link ActorRouteReply} becomes the response. CPU-heavy work thus runs on the actor threads
 * and the event loop stays free for every other request.
 *
 * - The pool's errors are answered by their `status`: an actor that threw is a 500 problem (and
 *   its supervisor restarts it), a full pool a 503 with `Retry-After`.
 * - No reply within `deadlineMs`: 504 (`ActorRouteTimeoutError`).
 * - A reply that is not a response: 500 (`ActorRouteReplyError`).
 * - A `__proto__` key in the params, query or body (which the runtime refuses in messages): 400.
 *
 * @example
 * ```ts
 * const pool = createActorPool(system, thumbnail); // @zephyr/runtime
 * app.post('/thumbnail', { body: z.object({ size: z.number() }) }, actorRoute(pool, { deadlineMs: 1000 }));
 * ```
 */
export function actorRoute(
  pool: AskablePool,
  options: ActorRouteOptions = {},
): (ctx: Context<unknown, unknown, unknown, unknown, unknown>) => Promise<HandlerResult> {
  const { deadlineMs, headers } = checkOptions(pool, options);
  const askOptions = { timeoutMs: deadlineMs + ASK_GRACE_MS };
  return async (ctx) => {
    const forwarded: Record<string, string> = {};
    for (const name of headers) {
      const value = ctx.req.header(name);
      if (value !== undefined) forwarded[name] = value;
    }
    const message: ActorRouteRequest = {
      type: 'request',
      method: ctx.req.method,
      path: ctx.req.path,
      params: ctx.params,
      query: ctx.query,
      body: ctx.body ?? null,
      headers: forwarded,
    };
    // The runtime refuses a `__proto__` key anywhere in a message; from the wire it is the client's fault.
    const issues: ValidationIssue[] = [];
    for (const part of ['params', 'query', 'body'] as const) {
      const path = forbiddenKeyPath(message[part]);
      if (path !== undefined) issues.push({ in: part, path, message: 'a "__proto__" key is not accepted' });
    }
    if (issues.length > 0) throw new ValidationError(issues);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ActorRouteTimeoutError(deadlineMs)), deadlineMs);
    });
    const reply = pool.ask(message, askOptions);
    // A reply or failure arriving after the deadline has nobody to go to.
    reply.catch(() => {});
    try {
      return applyReply(ctx, await Promise.race([reply, deadline]));
    } finally {
      clearTimeout(timer);
    }
  };
}
