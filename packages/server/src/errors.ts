// The error catalogue. Every error Zephyr raises or answers with carries a stable `ZEPHYR_ERR_*`
// code (documented in README.md, "Errors", and docs/errors.md), so callers can branch on
// `err.code` instead of parsing messages, and an HTTP status used when the error reaches the client.
import { InvalidArgumentError, UnsupportedOptionError } from '@zephyr/uring';

// One class for every invalid argument or option across Zephyr (and one for a valid option that
// cannot be honoured here): the engine's, re-exported.
export { InvalidArgumentError, UnsupportedOptionError };

/** The codes of every error in the catalogue. */
export type ZephyrErrorCode =
  | 'ZEPHYR_ERR_HTTP'
  | 'ZEPHYR_ERR_NOT_FOUND'
  | 'ZEPHYR_ERR_METHOD_NOT_ALLOWED'
  | 'ZEPHYR_ERR_VALIDATION'
  | 'ZEPHYR_ERR_BODY_TOO_LARGE'
  | 'ZEPHYR_ERR_BODY_INVALID'
  | 'ZEPHYR_ERR_BODY_CONSUMED'
  | 'ZEPHYR_ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ZEPHYR_ERR_RANGE_NOT_SATISFIABLE'
  | 'ZEPHYR_ERR_PATH_FORBIDDEN'
  | 'ZEPHYR_ERR_INTERNAL'
  | 'ZEPHYR_ERR_ROUTE_CONFLICT'
  | 'ZEPHYR_ERR_ROUTE_INVALID'
  | 'ZEPHYR_ERR_APP_STARTED'
  | 'ZEPHYR_ERR_COOKIE_SECRET_MISSING'
  | 'ZEPHYR_ERR_ACTOR_ROUTE_TIMEOUT'
  | 'ZEPHYR_ERR_ACTOR_ROUTE_REPLY';

/**
 * The shape every Zephyr package's errors follow, and what the server honours in any thrown
 * error: a documented interface, not a class to extend, so packages need not depend on each other
 * (see README.md, "Errors").
 *
 * @example
 * ```ts
 * class QuotaError extends Error {
 *   code = 'MYAPP_QUOTA';
 *   status = 429;
 *   retryAfter = 60; // seconds: sent as `Retry-After`
 * }
 * app.get('/report', () => { throw new QuotaError('daily quota used up'); }); // 429 problem+json
 * ```
 */
export interface ErrorShape extends Error {
  /** A stable code, `ZEPHYR_ERR_*` for Zephyr's own errors. */
  code?: string;
  /** The HTTP status this error should be answered with (Fastify's `statusCode` is read too). */
  status?: number;
  /** Whether the message is safe to show a client; default true below 500, false from 500. */
  expose?: boolean;
  /** Seconds a client should wait before retrying; sent as `Retry-After` on a 429 or 503. */
  retryAfter?: number;
}

/** Options of {@link ZephyrError} and {@link HttpError}. */
export interface ZephyrErrorOptions {
  cause?: unknown;
  /** Headers the error response carries (e.g. `allow` on a 405). */
  headers?: Record<string, string>;
  /** Show the message to clients (default: `status < 500`). */
  expose?: boolean;
  /** Seconds before a retry makes sense; sent as `Retry-After` on a 429 or 503. */
  retryAfter?: number;
}

/** Base class of every Zephyr error: a code from the catalogue and the HTTP status it maps to. */
export class ZephyrError extends Error implements ErrorShape {
  readonly code: ZephyrErrorCode;
  readonly status: number;
  readonly expose: boolean;
  readonly retryAfter?: number;
  /** Headers the error response carries (e.g. `allow` on a 405). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(code: ZephyrErrorCode, status: number, message: string, options?: ZephyrErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.expose = options?.expose ?? status < 500;
    if (options?.retryAfter !== undefined) this.retryAfter = options.retryAfter;
    this.headers = options?.headers ?? {};
  }
}

/**
 * An error with an HTTP status for handlers to throw. Below 500 its message is sent to the
 * client; from 500 only with `expose: true` (any error with a numeric `status` works the same way).
 *
 * @example
 * ```ts
 * app.get('/users/:id', (ctx) => {
 *   const user = users.get(ctx.params.id);
 *   if (!user) throw new HttpError(404, `no user ${ctx.params.id}`);
 *   return ctx.json(user);
 * });
 * ```
 */
export class HttpError extends ZephyrError {
  constructor(status: number, message?: string, options?: ZephyrErrorOptions) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new InvalidArgumentError(
        `HttpError status must be an integer in 400..599, got ${String(status)}`,
      );
    }
    super('ZEPHYR_ERR_HTTP', status, message ?? statusText(status), options);
  }
}

/** No route matches the path, or no file does under a static root (404). */
export class NotFoundError extends ZephyrError {
  constructor(method: string, path: string, message = `no route for ${method} ${path}`) {
    super('ZEPHYR_ERR_NOT_FOUND', 404, message);
  }
}

/** A route matches the path but not the method (405); `allow` lists the methods that do. */
export class MethodNotAllowedError extends ZephyrError {
  constructor(method: string, path: string, allow: string) {
    super('ZEPHYR_ERR_METHOD_NOT_ALLOWED', 405, `${method} is not allowed on ${path}; allowed: ${allow}`, {
      headers: { allow },
    });
  }
}

/** One failed check of a request part, as listed in a 400 problem body. */
export interface ValidationIssue {
  /** Which part of the request: `params`, `query`, `headers` or `body`. */
  in: 'params' | 'query' | 'headers' | 'body';
  /** Dotted path inside that part, e.g. `items.0.name`; `''` for the part itself. */
  path: string;
  message: string;
}

/** The request failed its route's schema (400); `issues` lists every failed check. */
export class ValidationError extends ZephyrError {
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[]) {
    super(
      'ZEPHYR_ERR_VALIDATION',
      400,
      `request validation failed: ${issues.map((i) => `${i.in}${i.path ? `.${i.path}` : ''}: ${i.message}`).join('; ')}`,
    );
    this.issues = issues;
  }
}

/** The body is larger than the app's or route's limit (413). */
export class BodyTooLargeError extends ZephyrError {
  constructor(limit: number) {
    super('ZEPHYR_ERR_BODY_TOO_LARGE', 413, `request body exceeds the limit of ${limit} bytes`, {
      headers: { connection: 'close' },
    });
  }
}

/** The body is malformed for its content type (400), e.g. invalid JSON. */
export class InvalidBodyError extends ZephyrError {
  constructor(message: string, cause?: unknown) {
    super('ZEPHYR_ERR_BODY_INVALID', 400, message, cause === undefined ? undefined : { cause });
  }
}

/** The body was already read once; a request body is a stream and can be read only once. */
export class BodyConsumedError extends ZephyrError {
  constructor() {
    super('ZEPHYR_ERR_BODY_CONSUMED', 500, 'the request body was already read');
  }
}

/** The body's content type is not the one the route expects (415). */
export class UnsupportedMediaTypeError extends ZephyrError {
  constructor(contentType: string, expected: string, hint?: string) {
    super(
      'ZEPHYR_ERR_UNSUPPORTED_MEDIA_TYPE',
      415,
      `content-type ${contentType || '(none)'} is not supported here; expected ${expected}${hint ? `: ${hint}` : ''}`,
    );
  }
}

/** The Range header asks for bytes outside the file (416). */
export class RangeNotSatisfiableError extends ZephyrError {
  constructor(size: number) {
    super('ZEPHYR_ERR_RANGE_NOT_SATISFIABLE', 416, `range not satisfiable for a ${size}-byte file`, {
      headers: { 'content-range': `bytes */${size}` },
    });
  }
}

/** A static-file path tries to leave the served root (`..`, encoded slashes, NUL, symlinks) (403). */
export class PathForbiddenError extends ZephyrError {
  constructor(reason: string) {
    super('ZEPHYR_ERR_PATH_FORBIDDEN', 403, `forbidden path: ${reason}`);
  }
}

/** Two routes would match the same requests; the message names both. */
export class RouteConflictError extends ZephyrError {
  constructor(message: string) {
    super('ZEPHYR_ERR_ROUTE_CONFLICT', 500, message);
  }
}

/** A route path is malformed (e.g. a wildcard not at the end, an empty parameter name). */
export class InvalidRouteError extends ZephyrError {
  constructor(message: string) {
    super('ZEPHYR_ERR_ROUTE_INVALID', 500, message);
  }
}

/** Routes, middleware or hooks were added after the app began serving. */
export class AppStartedError extends ZephyrError {
  constructor(what: string) {
    super('ZEPHYR_ERR_APP_STARTED', 500, `cannot add ${what} after the app has started serving requests`);
  }
}

/** A signed cookie was read or written but the app has no `cookieSecret`. */
export class CookieSecretMissingError extends ZephyrError {
  constructor() {
    super('ZEPHYR_ERR_COOKIE_SECRET_MISSING', 500, 'signed cookies need createApp({ cookieSecret })');
  }
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  206: 'Partial Content',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The reason phrase of a status code (`'Error'` for unknown ones). */
export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? (status >= 500 ? 'Server Error' : status >= 400 ? 'Client Error' : 'Unknown');
}
