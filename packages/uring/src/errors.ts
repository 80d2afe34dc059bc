// The error catalogue of @zephyr/uring: every error the package raises carries a stable
// `ZEPHYR_ERR_*` code, so callers branch on `err.code` rather than on message text.

/** Codes of the errors {@link ZephyrEngineError} and its subclasses carry. */
export type ZephyrEngineErrorCode =
  | 'ZEPHYR_ERR_ENGINE_UNAVAILABLE'
  | 'ZEPHYR_ERR_LISTEN_FAILED'
  | 'ZEPHYR_ERR_UNSUPPORTED_OPTION'
  | 'ZEPHYR_ERR_HTTP3_UNAVAILABLE'
  | 'ZEPHYR_ERR_BODY_TOO_LARGE'
  | 'ZEPHYR_ERR_REQUEST_ABORTED'
  | 'ZEPHYR_ERR_BODY_CONSUMED'
  | 'ZEPHYR_ERR_HEADERS_SENT'
  | 'ZEPHYR_ERR_RESPONSE_ENDED'
  | 'ZEPHYR_ERR_INVALID_ARGUMENT'
  | 'ZEPHYR_ERR_FILE_OPEN_FAILED';

/**
 * Base class of every error @zephyr/uring raises.
 *
 * @example
 * ```ts
 * try {
 *   await listen({ port: 70000 }, handler);
 * } catch (err) {
 *   if (err instanceof ZephyrEngineError) console.error(err.code); // ZEPHYR_ERR_INVALID_ARGUMENT
 * }
 * ```
 */
export class ZephyrEngineError extends Error {
  /** A stable `ZEPHYR_ERR_*` code. */
  readonly code: ZephyrEngineErrorCode;
  constructor(code: ZephyrEngineErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ZephyrEngineError';
    this.code = code;
  }
}

/**
 * An argument or option passed by code (a listen option, `ZEPHYR_IO_ENGINE`, a status code) has a
 * wrong type, range or name. The one class for this across Zephyr: `@zephyr/server` re-exports it.
 */
export class InvalidArgumentError extends ZephyrEngineError {
  constructor(message: string) {
    super('ZEPHYR_ERR_INVALID_ARGUMENT', message);
    this.name = 'InvalidArgumentError';
  }
}

/** An option is valid but the chosen engine cannot honour it on this platform. */
export class UnsupportedOptionError extends ZephyrEngineError {
  constructor(message: string) {
    super('ZEPHYR_ERR_UNSUPPORTED_OPTION', message);
    this.name = 'UnsupportedOptionError';
  }
}

/**
 * `http3: true` was asked of an engine that does not serve HTTP/3; `message` says why. A startup
 * error rather than a listener that quietly serves only TCP.
 */
export class Http3UnavailableError extends ZephyrEngineError {
  constructor(message: string) {
    super('ZEPHYR_ERR_HTTP3_UNAVAILABLE', message);
    this.name = 'Http3UnavailableError';
  }
}

/** The io_uring engine was forced but cannot run here; `message` carries the probe's reason. */
export class EngineUnavailableError extends ZephyrEngineError {
  constructor(message: string) {
    super('ZEPHYR_ERR_ENGINE_UNAVAILABLE', message);
    this.name = 'EngineUnavailableError';
  }
}

/** Binding the listening socket failed (address in use, permission denied, ...). */
export class ListenError extends ZephyrEngineError {
  constructor(message: string, cause: unknown) {
    super('ZEPHYR_ERR_LISTEN_FAILED', message, { cause });
    this.name = 'ListenError';
  }
}

/**
 * A request failure that maps to an HTTP status, e.g. `body()` rejecting with 413. A handler that
 * lets it escape gets that status instead of 500.
 */
export class RequestError extends ZephyrEngineError {
  /** The HTTP status the engine answers with when this error escapes the handler. */
  readonly status: number;
  constructor(status: number, code: ZephyrEngineErrorCode, message: string) {
    super(code, message);
    this.name = 'RequestError';
    this.status = status;
  }
}

/**
 * A response method was called in a state that does not allow it: `status`/`setHeader` after the
 * head went out (`ZEPHYR_ERR_HEADERS_SENT`), or `write` after `end` (`ZEPHYR_ERR_RESPONSE_ENDED`).
 */
export class ResponseStateError extends ZephyrEngineError {
  constructor(
    message: string,
    code: 'ZEPHYR_ERR_HEADERS_SENT' | 'ZEPHYR_ERR_RESPONSE_ENDED' = 'ZEPHYR_ERR_HEADERS_SENT',
  ) {
    super(code, message);
    this.name = 'ResponseStateError';
  }
}

/**
 * {@link openBeneath} could not open the file; `errno` is the system's name for why (`ENOENT`,
 * `ENOTDIR`, `ELOOP` for a symlink on the way, `EACCES`, ...), as node:fs errors carry it in `code`.
 */
export class FileOpenError extends ZephyrEngineError {
  /** The errno name, e.g. `ENOENT`. */
  readonly errno: string;
  /** The path that was asked for, relative to the root directory. */
  readonly path: string;
  constructor(errno: string, path: string) {
    super('ZEPHYR_ERR_FILE_OPEN_FAILED', `cannot open ${JSON.stringify(path)} beneath the root: ${errno}`);
    this.name = 'FileOpenError';
    this.errno = errno;
    this.path = path;
  }
}
