import type { EngineLimits, ListenOptions } from './engine.js';

/** The defaults the engine contract documents for every limit. */
export const URING_DEFAULT_LIMITS: Readonly<EngineLimits> = Object.freeze({
  maxHeaderBytes: 16384,
  maxHeaderCount: 100,
  maxUrlLength: 8192,
  maxBodyBytes: 1 << 20,
  headerTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  requestTimeoutMs: 300_000,
  maxConnections: 10_000,
});

/** Upper bounds the native side can represent (u32 for sizes and counts, u64 ms for times). */
const MAX_U32 = 0xffff_ffff;

/** A listen option the engine cannot honour. */
export class UringOptionsError extends TypeError {
  /** Always `ZEPHYR_ERR_INVALID_OPTIONS`. */
  readonly code = 'ZEPHYR_ERR_INVALID_OPTIONS';
  constructor(message: string) {
    super(message);
    this.name = 'UringOptionsError';
  }
}

function positiveInteger(name: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new UringOptionsError(`${name} must be an integer from 1 to ${max}, got ${String(value)}`);
  }
  return value;
}

/**
 * Validates `options` for the io_uring engine and fills in every limit's default.
 *
 * @example
 * ```ts
 * resolveUringOptions({ port: 0, limits: { maxBodyBytes: 1024 } }).limits.maxHeaderBytes; // 16384
 * ```
 */
export function resolveUringOptions(options: ListenOptions): { limits: EngineLimits; reason: string } {
  if (options === null || typeof options !== 'object')
    throw new UringOptionsError('listen options must be an object');
  const { port, host, backlog, limits = {} } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UringOptionsError(`port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  if (host !== undefined && (typeof host !== 'string' || host.length === 0)) {
    throw new UringOptionsError('host must be a non-empty string');
  }
  if (backlog !== undefined) positiveInteger('backlog', backlog, 65535);
  if (limits === null || typeof limits !== 'object') throw new UringOptionsError('limits must be an object');
  const resolved: EngineLimits = { ...URING_DEFAULT_LIMITS };
  for (const key of Object.keys(limits) as Array<keyof EngineLimits>) {
    if (!(key in URING_DEFAULT_LIMITS)) throw new UringOptionsError(`unknown limit ${key}`);
    const value = limits[key];
    if (value === undefined) continue;
    const max = key.endsWith('Ms') || key === 'maxBodyBytes' ? Number.MAX_SAFE_INTEGER : MAX_U32;
    resolved[key] = positiveInteger(`limits.${key}`, value, max);
  }
  return { limits: resolved, reason: 'io_uring is available (the probe set up a ring)' };
}
