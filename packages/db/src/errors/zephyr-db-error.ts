/** What a {@link ZephyrDbError} may carry besides its code and message. */
export interface ZephyrDbErrorOptions {
  /** The HTTP status a server should answer with when this error escapes a handler. */
  readonly status?: number;
  /** Whether the message is safe to show a client; default: `true` for 4xx, `false` otherwise. */
  readonly expose?: boolean;
  /** Seconds after which a retry may succeed (pool saturation, a restarting server). */
  readonly retryAfter?: number;
  readonly cause?: unknown;
}

/**
 * Base class of every error `@zephyr/db` throws on purpose, in Zephyr's shared error shape: `code`
 * is a stable `ZEPHYR_ERR_*` string to branch on; `status` is the HTTP status a server maps it to
 * (absent for errors that are a bug or a deployment problem rather than a request's fault);
 * `expose` says whether the message may reach a client. This package depends on no HTTP layer.
 */
export class ZephyrDbError extends Error {
  /** Stable machine-readable code, `ZEPHYR_ERR_*`. */
  readonly code: string;
  /** The HTTP status a server would most sensibly answer with, where one fits. */
  readonly status: number | undefined;
  /** `true` when the message is safe to show a client (it never contains row values). */
  readonly expose: boolean;
  /** Seconds after which retrying may succeed; a server can send it as `Retry-After`. */
  readonly retryAfter: number | undefined;

  constructor(code: string, message: string, options: ZephyrDbErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status;
    this.expose = options.expose ?? (options.status !== undefined && options.status < 500);
    this.retryAfter = options.retryAfter;
  }
}

/**
 * Code passed an unusable argument or option (a negative pool size, an unknown option key): a bug
 * in the calling code, not in a request, so it carries no HTTP status.
 */
export class DatabaseArgumentError extends ZephyrDbError {
  constructor(message: string) {
    super('ZEPHYR_ERR_INVALID_ARGUMENT', message);
  }
}

/** An option that is valid but not supported in this context (e.g. a pool option on PGlite). */
export class DatabaseUnsupportedOptionError extends ZephyrDbError {
  constructor(message: string) {
    super('ZEPHYR_ERR_UNSUPPORTED_OPTION', message);
  }
}
