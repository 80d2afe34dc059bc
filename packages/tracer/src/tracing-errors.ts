/**
 * An invalid option or argument passed by code (the shared `ZEPHYR_ERR_INVALID_ARGUMENT`).
 * Follows the one error model: `code`, no `status` (a programming error, not a request's).
 */
export class InvalidArgumentError extends Error {
  readonly code = 'ZEPHYR_ERR_INVALID_ARGUMENT';
  readonly expose = false;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidArgumentError';
  }
}

/** `setupTracing` was called while an earlier setup is still active (shut that one down first). */
export class TracingAlreadySetUpError extends Error {
  readonly code = 'ZEPHYR_ERR_TRACING_ALREADY_SET_UP';
  readonly expose = false;

  constructor() {
    super('tracing is already set up in this process: call shutdown() on the earlier setup first');
    this.name = 'TracingAlreadySetUpError';
  }
}
