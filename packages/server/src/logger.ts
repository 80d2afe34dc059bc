import { pino } from 'pino';

/**
 * What Zephyr logs through. pino satisfies it as is; wrap any other logger in these four
 * methods to swap it in. `fields` is a structured record, `message` a short sentence.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message?: string): void;
  info(fields: Record<string, unknown>, message?: string): void;
  warn(fields: Record<string, unknown>, message?: string): void;
  error(fields: Record<string, unknown>, message?: string): void;
}

/** `logger` option of `createApp`: `true` for pino at `info`, pino options, or any {@link Logger}. */
export type LoggerOption = boolean | Logger | { level?: 'debug' | 'info' | 'warn' | 'error' };

const noop = (): void => {};

/**
 * The logger used when logging is off: request logs are dropped, but errors (a handler throwing,
 * a 500) are still written to stderr as one JSON line each, because an error that nobody sees
 * is an error that never gets fixed.
 */
export const errorsOnlyLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error(fields, message) {
    process.stderr.write(
      `${JSON.stringify({ level: 'error', time: Date.now(), ...fields, msg: message })}\n`,
    );
  },
};

/** Resolves the `logger` option; the second value says whether request logs are wanted. */
export function resolveLogger(option: LoggerOption | undefined): { logger: Logger; requestLogs: boolean } {
  if (option === undefined || option === false) return { logger: errorsOnlyLogger, requestLogs: false };
  if (option === true) return { logger: pino({ level: 'info' }), requestLogs: true };
  if (isLogger(option)) return { logger: option, requestLogs: true };
  return { logger: pino({ level: option.level ?? 'info' }), requestLogs: true };
}

function isLogger(value: object): value is Logger {
  const candidate = value as Partial<Logger>;
  return (
    typeof candidate.info === 'function' &&
    typeof candidate.error === 'function' &&
    typeof candidate.warn === 'function' &&
    typeof candidate.debug === 'function'
  );
}

/** Serializes an error for a log record (message, code, stack, cause chain). */
export function errorFields(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { err: String(err) };
  const code = (err as { code?: unknown }).code;
  return {
    err: {
      type: err.name,
      message: err.message,
      ...(code === undefined ? {} : { code }),
      stack: err.stack,
      ...(err.cause === undefined ? {} : { cause: errorFields(err.cause).err }),
    },
  };
}
