/**
 * Base class of every error `@zephyr/db` throws on purpose. `code` is a stable `ZEPHYR_ERR_DB_*`
 * string to branch on; `httpStatus` is a hint for an HTTP layer (this package does not depend on one).
 */
export class ZephyrDbError extends Error {
  /** Stable machine-readable code, `ZEPHYR_ERR_DB_*`. */
  readonly code: string;
  /** The HTTP status a server would most sensibly answer with when this error escapes a handler. */
  readonly httpStatus: number;

  constructor(code: string, message: string, httpStatus: number, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.httpStatus = httpStatus;
  }
}
