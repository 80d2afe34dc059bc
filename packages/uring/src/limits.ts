import type { EngineLimits, EngineName } from './engine.js';
import { InvalidArgumentError } from './errors.js';
import { type Http2Settings, resolveHttp2Options } from './http2-options.js';
import { type Http3Settings, resolveHttp3Options } from './http3-option.js';
import { describeValue, integerIn, isRecord } from './option-values.js';
import { type ResolvedTlsOptions, resolveTlsOptions } from './tls-options.js';

/**
 * The default of every server limit, as the engine contract documents them.
 *
 * @example
 * ```ts
 * import { defaultLimits } from '@zephyr/uring';
 * defaultLimits.maxBodyBytes; // 1048576
 * ```
 */
export const defaultLimits: Readonly<EngineLimits> = Object.freeze({
  maxHeaderBytes: 16384,
  maxHeaderCount: 100,
  maxUrlLength: 8192,
  maxBodyBytes: 1024 * 1024,
  headerTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  requestTimeoutMs: 300_000,
  maxConnections: 10_000,
  writeTimeoutMs: 30_000,
});

/**
 * What one connection may hold, on both engines: handlers running for requests not yet answered
 * (more pipelined requests wait, unread), and response bytes not yet taken by the client (past
 * them no further request starts). With {@link EngineLimits.writeTimeoutMs} these bound the
 * memory a client that pipelines and never reads can pin.
 */
export const PIPELINE_MAX_REQUESTS = 16;
/** See {@link PIPELINE_MAX_REQUESTS}. */
export const PIPELINE_MAX_UNSENT_BYTES = 1 << 20;
/** Requests waiting to start on one node:http connection past which it is dropped. */
export const PIPELINE_MAX_QUEUED = 1024;

/** Listen options with every default filled in, as the engines receive them. */
export interface ResolvedListenOptions {
  port: number;
  host: string;
  engine: EngineName | 'auto';
  reusePort: boolean;
  backlog: number;
  tcpFastOpen: boolean;
  limits: EngineLimits;
  /** Present when the listener serves HTTPS. */
  tls?: ResolvedTlsOptions;
  /** Present when the listener serves HTTP/2 beside HTTP/1.1. */
  http2?: Http2Settings;
  /** Present when the listener serves HTTP/3 on UDP at the same port (io_uring engine, with `tls`). */
  http3?: Http3Settings;
}

// Sizes and counts travel to the native engine as u32; times fit a JS timer (2^31 - 1 ms).
const MAX_U32 = 0xffff_ffff;
const MAX_TIMER_MS = 0x7fff_ffff;
const LIMIT_MAX: Readonly<Record<keyof EngineLimits, number>> = {
  maxHeaderBytes: MAX_U32,
  maxHeaderCount: MAX_U32,
  maxUrlLength: MAX_U32,
  maxBodyBytes: Number.MAX_SAFE_INTEGER,
  headerTimeoutMs: MAX_TIMER_MS,
  keepAliveTimeoutMs: MAX_TIMER_MS,
  requestTimeoutMs: MAX_TIMER_MS,
  maxConnections: MAX_U32,
  writeTimeoutMs: MAX_TIMER_MS,
};
const OPTION_KEYS = new Set([
  'port',
  'host',
  'engine',
  'reusePort',
  'backlog',
  'tcpFastOpen',
  'limits',
  'tls',
  'http2',
  'http3',
]);
const ENGINE_NAMES = new Set(['io_uring', 'node', 'auto']);

function booleanOption(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean')
    throw new InvalidArgumentError(`${name} must be a boolean, got ${describeValue(value)}`);
  return value;
}

/**
 * Checks every limit (positive integers, known names) and fills in the defaults.
 *
 * @example
 * ```ts
 * resolveLimits({ maxBodyBytes: 1024 }).maxHeaderBytes; // 16384
 * resolveLimits({ maxBodyBytes: -1 }); // throws InvalidArgumentError (ZEPHYR_ERR_INVALID_ARGUMENT)
 * ```
 */
export function resolveLimits(limits: unknown): EngineLimits {
  if (limits === undefined) return { ...defaultLimits };
  if (!isRecord(limits))
    throw new InvalidArgumentError(`limits must be an object, got ${describeValue(limits)}`);
  const resolved: EngineLimits = { ...defaultLimits };
  for (const [key, value] of Object.entries(limits)) {
    if (!Object.hasOwn(LIMIT_MAX, key)) {
      throw new InvalidArgumentError(
        `unknown limit limits.${key}; known limits: ${Object.keys(LIMIT_MAX).join(', ')}`,
      );
    }
    if (value === undefined) continue;
    const name = key as keyof EngineLimits;
    resolved[name] = integerIn(`limits.${name}`, value, 1, LIMIT_MAX[name]);
  }
  // node:http refuses a header timeout longer than the request timeout, and such a setting
  // would mean the header timeout can never fire: reject it on both engines alike.
  if (resolved.headerTimeoutMs > resolved.requestTimeoutMs) {
    throw new InvalidArgumentError(
      `limits.headerTimeoutMs (${resolved.headerTimeoutMs}) must not exceed limits.requestTimeoutMs (${resolved.requestTimeoutMs})`,
    );
  }
  return resolved;
}

/**
 * Validates every field of `options` (unknown names included, to catch typos) and fills in the
 * defaults: host `127.0.0.1`, engine `auto`, backlog 1024, flags off, {@link defaultLimits}.
 */
export function resolveListenOptions(options: unknown): ResolvedListenOptions {
  if (!isRecord(options))
    throw new InvalidArgumentError(`listen options must be an object, got ${describeValue(options)}`);
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new InvalidArgumentError(
        `unknown listen option ${key}; known options: ${[...OPTION_KEYS].join(', ')}`,
      );
    }
  }
  const port = integerIn('port', options.port, 0, 65535);
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0) {
    throw new InvalidArgumentError(`host must be a non-empty string, got ${describeValue(host)}`);
  }
  const engine = options.engine ?? 'auto';
  if (typeof engine !== 'string' || !ENGINE_NAMES.has(engine)) {
    throw new InvalidArgumentError(
      `engine must be 'io_uring', 'node' or 'auto', got ${describeValue(engine)}`,
    );
  }
  const backlog = options.backlog === undefined ? 1024 : integerIn('backlog', options.backlog, 1, 65535);
  const http2 = resolveHttp2Options(options.http2);
  const http3 = resolveHttp3Options(options.http3);
  const tls = options.tls === undefined ? undefined : resolveTlsOptions(options.tls);
  if (tls !== undefined) offerH2(tls, http2, options.tls);
  return {
    port,
    host,
    engine: engine as EngineName | 'auto',
    reusePort: booleanOption('reusePort', options.reusePort),
    backlog,
    tcpFastOpen: booleanOption('tcpFastOpen', options.tcpFastOpen),
    limits: resolveLimits(options.limits),
    ...(tls === undefined ? {} : { tls }),
    ...(http2 === undefined ? {} : { http2 }),
    ...(http3 === undefined ? {} : { http3 }),
  };
}

/**
 * ALPN and HTTP/2 agree: with `http2` on and no `alpn` given, `h2` is offered before
 * `http/1.1`; an explicit list must then name `h2`, and without `http2` it must not (a client
 * that picked `h2` would be answered in HTTP/1.1).
 */
function offerH2(tls: ResolvedTlsOptions, http2: Http2Settings | undefined, given: unknown): void {
  const explicit = isRecord(given) && given.alpn !== undefined;
  const listsH2 = tls.alpn.includes('h2');
  if (http2 !== undefined && !explicit) tls.alpn = ['h2', ...tls.alpn.filter((id) => id !== 'h2')];
  else if (http2 !== undefined && !listsH2) {
    throw new InvalidArgumentError(
      `tls.alpn must list 'h2' when http2 is on, got ${JSON.stringify(tls.alpn)}`,
    );
  } else if (http2 === undefined && listsH2) {
    throw new InvalidArgumentError(`tls.alpn lists 'h2' but http2 is off; set http2: true to serve HTTP/2`);
  }
}
