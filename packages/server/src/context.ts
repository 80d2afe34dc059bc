import type { EngineRequest } from '@zephyr/uring';
import { parseUrlEncoded } from './body/parse-form.js';
import {
  type CookieOptions,
  parseCookies,
  serializeCookie,
  signCookieValue,
  unsignCookieValue,
} from './cookie.js';
import { CookieSecretMissingError, InvalidArgumentError } from './errors.js';
import type { Logger } from './logger.js';
import { ZephyrRequest } from './request.js';
import { FileBody, type ResponseBody, type ResponseState, type StreamBody } from './response-state.js';
import { kMatch, type Route } from './route.js';
import type { HeaderRecord, QueryRecord } from './route-schema.js';
import type { Serializer } from './serialize/compile-serializer.js';

/** Per-app settings the context needs; shared by every request of an app. */
export interface ContextShared {
  readonly cookieSecret: string | undefined;
  readonly logger: Logger;
  readonly production: boolean;
}

/** Per-route data the context needs (none for 404/405). */
export interface ContextRoute {
  /** The route pattern, e.g. `/users/:id`. */
  readonly path: string;
  /** The compiled response serializers by status; `0` is the one for every 2xx. */
  readonly serializers: ReadonlyMap<number, Serializer> | null;
}

/**
 * Values middleware attach to a request for later middleware and handlers. Augment it to type
 * your own keys:
 *
 * @example
 * ```ts
 * declare module '@zephyr/server' {
 *   interface ContextState { user?: { id: string } }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: an interface so users can augment it
export interface ContextState {}

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const HTML_TYPE = 'text/html; charset=utf-8';

/**
 * One request and the response being built for it. Handlers read the request through `params`,
 * `query`, `body`, `headers` and `req`, and answer with `text`, `json`, `html`, `stream`,
 * `file`, `redirect` or `send`. Parsing is lazy: what is not read is not parsed.
 *
 * Type parameters are the types of `params`, `query`, `body`, `headers` and the JSON response
 * body, inferred from the route path and schemas.
 */
export class Context<
  P = Record<string, string>,
  Q = QueryRecord,
  B = unknown,
  H = HeaderRecord,
  R = unknown,
> {
  /** Path parameters (typed from the route path, or the `params` schema's output). */
  params: P;
  /** The validated body when the route has a `body` schema; otherwise `undefined` (read `ctx.req`). */
  body: B;
  /** The response being built. */
  readonly res: ResponseState = { status: 200, headers: {}, body: null };
  /** The request id (set by the `requestId` middleware; `''` otherwise). */
  requestId = '';
  /** The matched route's pattern, `''` when none matched. */
  readonly routePath: string;
  /** The app's logger (a no-op unless logging is enabled). */
  readonly log: Logger;
  /** When the request began, in `performance.now()` milliseconds (0 unless logging). */
  startTime = 0;
  /** The error being rendered, once the error handler runs. */
  error: unknown = undefined;
  /** @internal What the router found: the route, the `Allow` value of a 405, or `null` (404). */
  [kMatch]: Route | string | null = null;

  readonly #shared: ContextShared;
  readonly #raw: EngineRequest;
  readonly #bodyLimit: number;
  #req: ZephyrRequest | undefined;
  readonly #serializers: ReadonlyMap<number, Serializer> | null;
  #query: Q | undefined;
  #headers: H | undefined;
  #cookies: Record<string, string> | undefined;
  #state: (ContextState & Record<string, unknown>) | undefined;

  constructor(
    shared: ContextShared,
    raw: EngineRequest,
    bodyLimit: number,
    route: ContextRoute | null,
    params: P,
  ) {
    this.#shared = shared;
    this.#raw = raw;
    this.#bodyLimit = bodyLimit;
    this.params = params;
    this.body = undefined as B;
    this.routePath = route?.path ?? '';
    this.#serializers = route?.serializers ?? null;
    this.log = shared.logger;
  }

  /** The request (its view is created on first use: many handlers read only `params`). */
  get req(): ZephyrRequest {
    this.#req ??= new ZephyrRequest(this.#raw, this.#bodyLimit);
    return this.#req;
  }

  /** Request-scoped values set by middleware (created on first use). */
  get state(): ContextState & Record<string, unknown> {
    this.#state ??= {};
    return this.#state;
  }

  /** Query parameters, parsed on first access (or the `query` schema's output). */
  get query(): Q {
    this.#query ??= parseUrlEncoded(this.req.queryString) as Q;
    return this.#query;
  }
  set query(value: Q) {
    this.#query = value;
  }

  /** Request headers as an object with lower-case names (or the `headers` schema's output). */
  get headers(): H {
    this.#headers ??= this.req.headers() as H;
    return this.#headers;
  }
  set headers(value: H) {
    this.#headers = value;
  }

  /** Whether the app runs in production mode (no error details in responses). */
  get production(): boolean {
    return this.#shared.production;
  }

  /** Sets the response status. */
  status(code: number): this {
    if (!Number.isInteger(code) || code < 100 || code > 999) {
      throw new InvalidArgumentError(`status must be an integer in 100..999, got ${String(code)}`);
    }
    this.res.status = code;
    return this;
  }

  /** Sets a response header (replacing one of the same name), or removes it with `undefined`. */
  header(name: string, value: string | readonly string[] | undefined): this {
    const key = name.toLowerCase();
    if (value === undefined) delete this.res.headers[key];
    else this.res.headers[key] = typeof value === 'string' ? value : [...value];
    return this;
  }

  /** Adds a value to a response header, keeping earlier ones (e.g. `vary`, `set-cookie`). */
  appendHeader(name: string, value: string): this {
    const key = name.toLowerCase();
    const existing = this.res.headers[key];
    if (existing === undefined) this.res.headers[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else this.res.headers[key] = [existing, value];
    return this;
  }

  /** Sends text (`text/plain; charset=utf-8` unless a content type is set). */
  text(body: string, status?: number): ResponseState {
    return this.#send(body, TEXT_TYPE, status);
  }

  /** Sends HTML. */
  html(body: string, status?: number): ResponseState {
    return this.#send(body, HTML_TYPE, status);
  }

  /**
   * Sends JSON. With a route `response` schema the value goes through its compiled serializer
   * (fast, and only the schema's keys are sent); otherwise through `JSON.stringify`.
   */
  json(data: R, status?: number): ResponseState {
    const code = status ?? this.res.status;
    const serializer = this.#serializers?.get(code) ?? (code < 300 ? this.#serializers?.get(0) : undefined);
    return this.#send(serializer ? serializer(data) : (JSON.stringify(data) ?? 'null'), JSON_TYPE, status);
  }

  /** Sends a stream: an async iterable (a node `Readable` is one) or a web `ReadableStream`. */
  stream(body: StreamBody, contentType = 'application/octet-stream', status?: number): ResponseState {
    return this.#send(body, contentType, status);
  }

  /**
   * Sends a file (zero-copy through the engine where possible). Prefer `serveStatic`, which adds
   * ranges, caching headers and path checks; this sends exactly the bytes asked for.
   */
  file(path: string, options: { offset?: number; length: number; contentType?: string }): ResponseState {
    return this.#send(
      new FileBody(path, options.offset ?? 0, options.length),
      options.contentType ?? 'application/octet-stream',
      undefined,
    );
  }

  /** Sends any body with the headers already set (no content type added). */
  send(body: ResponseBody, status?: number): ResponseState {
    if (status !== undefined) this.status(status);
    this.res.body = body;
    return this.res;
  }

  /** Redirects (302 by default). */
  redirect(location: string, status: 301 | 302 | 303 | 307 | 308 = 302): ResponseState {
    if (/[\r\n]/.test(location))
      throw new InvalidArgumentError('redirect location must not contain CR or LF');
    this.res.headers.location = location;
    this.res.status = status;
    this.res.body = null;
    return this.res;
  }

  /** A request cookie's value. */
  cookie(name: string): string | undefined {
    this.#cookies ??= parseCookies(this.req.header('cookie'));
    return this.#cookies[name];
  }

  /** A signed request cookie's value if its signature verifies, else `undefined`. */
  signedCookie(name: string): string | undefined {
    const secret = this.#shared.cookieSecret;
    if (secret === undefined) throw new CookieSecretMissingError();
    const raw = this.cookie(name);
    return raw === undefined ? undefined : unsignCookieValue(raw, secret);
  }

  /** Sets a response cookie; `signed: true` signs it with HMAC-SHA256 under the app's `cookieSecret`. */
  setCookie(name: string, value: string, options: CookieOptions = {}): this {
    let stored = value;
    if (options.signed) {
      const secret = this.#shared.cookieSecret;
      if (secret === undefined) throw new CookieSecretMissingError();
      stored = signCookieValue(value, secret);
    }
    return this.appendHeader('set-cookie', serializeCookie(name, stored, options));
  }

  /** Tells the client to drop a cookie (same `path`/`domain` as when it was set). */
  deleteCookie(name: string, options: Pick<CookieOptions, 'path' | 'domain'> = {}): this {
    return this.appendHeader('set-cookie', serializeCookie(name, '', { ...options, maxAge: 0 }));
  }

  #send(body: ResponseBody, contentType: string, status: number | undefined): ResponseState {
    if (status !== undefined) this.status(status);
    const res = this.res;
    if (res.headers['content-type'] === undefined) res.headers['content-type'] = contentType;
    res.body = body;
    return res;
  }
}
