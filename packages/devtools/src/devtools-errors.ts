/**
 * The errors of `@zephyr/devtools`, in the shared Zephyr error shape: a stable `ZEPHYR_ERR_*`
 * `code`, an HTTP `status` where one fits, `expose`, and the standard `cause`.
 */
export class DevtoolsError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  /** HTTP status hint, where one fits (the dashboard's token check). */
  readonly status?: number;
  /** Whether the message is safe to show a client. */
  readonly expose: boolean;
  constructor(code: string, message: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
    if (options.status !== undefined) this.status = options.status;
    this.expose = options.status !== undefined && options.status < 500;
  }
}

/** An invalid option or argument passed by code. */
export class InvalidArgumentError extends DevtoolsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ZEPHYR_ERR_INVALID_ARGUMENT', message, options);
  }
}

/** No running app's control socket was found, or it refused the connection. */
export class ControlSocketNotFoundError extends DevtoolsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ZEPHYR_ERR_DEVTOOLS_NOT_RUNNING', message, options);
  }
}

/** A frame on the control socket that is not valid (not JSON, too long, unknown operation). */
export class ControlProtocolError extends DevtoolsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ZEPHYR_ERR_DEVTOOLS_PROTOCOL', message, options);
  }
}

/** A profile or heap snapshot is already being taken in the app; one at a time. */
export class InspectorBusyError extends DevtoolsError {
  constructor(message: string) {
    super('ZEPHYR_ERR_DEVTOOLS_BUSY', message, { status: 409 });
  }
}

/** A dashboard request without the right token (production with a token set). */
export class DashboardUnauthorizedError extends DevtoolsError {
  constructor() {
    super('ZEPHYR_ERR_DEVTOOLS_UNAUTHORIZED', 'the dashboard needs its token', { status: 401 });
  }
}
