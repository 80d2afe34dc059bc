import { RequestError } from '@zephyr/uring';
import { statusText, ValidationError, ZephyrError } from './errors.js';

/** An RFC 9457 problem document, the body of every error response Zephyr produces. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** The `ZEPHYR_ERR_*` code. */
  code: string;
  /** For validation failures: each failed check. */
  issues?: Array<{ in: string; path: string; message: string }>;
  /** Outside production mode only: the stack of an unexpected error. */
  stack?: string;
}

/** The media type of problem documents. */
export const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

/**
 * The problem document for an error. Zephyr errors expose their message (they are written for
 * clients); any other error is an internal one, whose message and stack are shown only outside
 * production mode.
 */
export function problemFor(err: unknown, production: boolean): Problem {
  if (err instanceof RequestError && err.status < 500) {
    // The engine refused the request mid-body (e.g. its own body limit or timeout): a client error.
    return {
      type: 'about:blank',
      title: statusText(err.status),
      status: err.status,
      detail: err.message,
      code: err.code,
    };
  }
  if (err instanceof ZephyrError && err.status < 500) {
    const problem: Problem = {
      type: 'about:blank',
      title: statusText(err.status),
      status: err.status,
      detail: err.message,
      code: err.code,
    };
    if (err instanceof ValidationError) problem.issues = err.issues.map((i) => ({ ...i }));
    return problem;
  }
  const status = err instanceof ZephyrError ? err.status : 500;
  const problem: Problem = {
    type: 'about:blank',
    title: statusText(status),
    status,
    code: err instanceof ZephyrError ? err.code : 'ZEPHYR_ERR_INTERNAL',
  };
  if (!production && err instanceof Error) {
    problem.detail = err.message;
    if (err.stack !== undefined) problem.stack = err.stack;
  }
  return problem;
}

/** Whether an error is the client's fault (4xx), so it is answered but not logged as a failure. */
export function isClientError(err: unknown): boolean {
  return (err instanceof ZephyrError || err instanceof RequestError) && err.status < 500;
}
