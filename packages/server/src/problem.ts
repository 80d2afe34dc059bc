import { statusText, ValidationError, ZephyrError } from './errors.js';

/** An RFC 9457 problem document, the body of every error response Zephyr produces. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  /** The error's message when it is safe to show (`expose`), else a generic sentence. */
  detail: string;
  /** The `ZEPHYR_ERR_*` code (or the error's own code when it is exposed). */
  code: string;
  /** The request's id (`x-request-id`), to quote when reporting a server error. */
  requestId?: string;
  /** For validation failures: each failed check. */
  issues?: Array<{ in: string; path: string; message: string }>;
  /**
   * Outside production mode only, for an error whose message is not exposed: what the server
   * saw. Never present in production.
   */
  debug?: { note: string; message: string; stack?: string; cause?: string };
}

/** The media type of problem documents. */
export const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

/** What the server reads from a thrown value (see `ErrorShape` in errors.ts). */
export interface ErrorView {
  status: number;
  expose: boolean;
  code: string;
  message: string;
  /** Seconds, as sent in `Retry-After` (429 and 503 only). */
  retryAfter: number | undefined;
}

const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * Reads the shared error shape from anything thrown: a numeric `status` (or `statusCode`, as
 * Fastify reads it) from 400 to 599 is the response status, anything else is a 500; `expose`
 * defaults to `status < 500`.
 */
export function viewError(err: unknown): ErrorView {
  const shape = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const status = httpStatus(shape.status) ?? httpStatus(shape.statusCode) ?? 500;
  const expose = typeof shape.expose === 'boolean' ? shape.expose : status < 500;
  const ownCode = typeof shape.code === 'string' && CODE.test(shape.code) ? shape.code : undefined;
  // A code outside the catalogue (a driver's `ECONNREFUSED`, `23505`) says something about the
  // server's insides: shown only with the message, when the error is exposed.
  const code =
    ownCode !== undefined && (expose || ownCode.startsWith('ZEPHYR_ERR_'))
      ? ownCode
      : status >= 500
        ? 'ZEPHYR_ERR_INTERNAL'
        : 'ZEPHYR_ERR_HTTP';
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : String(err);
  const retry = shape.retryAfter;
  const retryAfter =
    (status === 503 || status === 429) && typeof retry === 'number' && Number.isFinite(retry) && retry >= 0
      ? Math.ceil(retry)
      : undefined;
  return { status, expose, code, message, retryAfter };
}

function httpStatus(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599
    ? value
    : undefined;
}

/**
 * The problem document for an error. An exposed error (a 4xx, or `expose: true`) shows its
 * message; any other shows a generic sentence naming the request id, and outside production mode
 * a clearly marked `debug` member with the message and stack.
 */
export function problemFor(err: unknown, production: boolean, requestId: string): Problem {
  const view = viewError(err);
  const problem: Problem = {
    type: 'about:blank',
    title: statusText(view.status),
    status: view.status,
    detail: view.expose ? view.message : genericDetail(view.status, requestId),
    code: view.code,
  };
  if (requestId !== '') problem.requestId = requestId;
  if (err instanceof ValidationError) problem.issues = err.issues.map((i) => ({ ...i }));
  if (!view.expose && !production) {
    problem.debug = {
      note: 'development mode only (production: NODE_ENV=production or createApp({ production: true })): never sent in production',
      message: view.message,
    };
    if (err instanceof Error) {
      if (err.stack !== undefined) problem.debug.stack = err.stack;
      if (err.cause !== undefined) problem.debug.cause = String(err.cause);
    }
  }
  return problem;
}

function genericDetail(status: number, requestId: string): string {
  const what = status >= 500 ? 'The server failed to handle this request' : 'The request was refused';
  return requestId === '' ? `${what}.` : `${what}; quote request id ${requestId} when reporting it.`;
}

/** Headers an error asks its response to carry: its own (`allow` on a 405…) and `Retry-After`. */
export function errorHeaders(err: unknown, view: ErrorView): Record<string, string> {
  const headers: Record<string, string> = err instanceof ZephyrError ? { ...err.headers } : {};
  if (view.retryAfter !== undefined) headers['retry-after'] = String(view.retryAfter);
  return headers;
}
