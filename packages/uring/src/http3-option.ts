// HTTP/3 listen options, validated once at listen(): the io_uring engine serves HTTP/3 on a UDP
// socket of its own ring (crates/zephyr-h3 behind crates/zephyr-uring/src/h3_session.rs); the
// node engine has no QUIC to build on, so `http3` there is a startup error naming why.
import type { EngineName } from './engine.js';
import { Http3UnavailableError, InvalidArgumentError } from './errors.js';
import { describeValue, integerIn, isRecord } from './option-values.js';

/**
 * The address-validation policies of {@link Http3Settings.retry}, the one list every check and
 * schema reads.
 *
 * @example
 * ```ts
 * import { http3RetryPolicies } from '@zephyr/uring';
 * http3RetryPolicies.includes('auto'); // true
 * ```
 */
export const http3RetryPolicies = ['auto', 'always', 'never'] as const;

/** One of {@link http3RetryPolicies}. */
export type Http3RetryPolicy = (typeof http3RetryPolicies)[number];

/** HTTP/3 settings of a listener; each has a default (see {@link defaultHttp3Settings}). */
export interface Http3Settings {
  /** Request streams a client may have open at once on one connection (default 100). */
  maxConcurrentStreams: number;
  /** A connection with no packet this long is closed (QUIC idle timeout; default 30 s). */
  idleTimeoutMs: number;
  /** Largest UDP payload accepted and advertised (QUIC `max_udp_payload_size`; default 1472). */
  maxUdpPayloadSize: number;
  /**
   * Address validation with a Retry packet before any handshake work: `auto` (default) while
   * more than {@link Http3Settings.handshakesBeforeRetry} handshakes run (a flood), `always`,
   * or `never` (the 3x anti-amplification limit alone).
   */
  retry: Http3RetryPolicy;
  /** Handshakes in progress past which `retry: 'auto'` validates addresses (default 64). */
  handshakesBeforeRetry: number;
  /** `ma` of the `alt-svc: h3=":PORT"` field on HTTPS responses, in seconds (default 86400). */
  altSvcMaxAgeSec: number;
}

/**
 * `http3` of {@link ListenOptions}: `true` for the defaults, or any subset of the settings.
 * `false` (or absent) serves no HTTP/3.
 */
export type Http3Options = boolean | Partial<Http3Settings>;

/**
 * The default of every HTTP/3 setting (those of the endpoint are `H3Config::default()` in
 * crates/zephyr-h3; a test checks they agree).
 *
 * @example
 * ```ts
 * import { defaultHttp3Settings } from '@zephyr/uring';
 * defaultHttp3Settings.altSvcMaxAgeSec; // 86400
 * ```
 */
export const defaultHttp3Settings: Readonly<Http3Settings> = Object.freeze({
  maxConcurrentStreams: 100,
  idleTimeoutMs: 30_000,
  maxUdpPayloadSize: 1472,
  retry: 'auto',
  handshakesBeforeRetry: 64,
  altSvcMaxAgeSec: 86_400,
});

type NumericSetting = Exclude<keyof Http3Settings, 'retry'>;

/**
 * The inclusive range of each numeric setting: QUIC's bounds for the payload size (1200 to
 * 65527, RFC 9000 §18.2), the endpoint's for the idle timeout (100 ms to 1 hour); counts travel
 * as u32.
 */
export const http3SettingRanges: Readonly<Record<NumericSetting, readonly [min: number, max: number]>> = {
  maxConcurrentStreams: [1, 0xffff_ffff],
  idleTimeoutMs: [100, 3_600_000],
  maxUdpPayloadSize: [1200, 65_527],
  handshakesBeforeRetry: [0, 0xffff_ffff],
  altSvcMaxAgeSec: [0, 0x7fff_ffff],
};

/**
 * Validates `http3` (a boolean or a settings object with known names and in-range values) and
 * fills in the defaults; `undefined` when HTTP/3 is off.
 *
 * @example
 * ```ts
 * resolveHttp3Options(true)?.maxConcurrentStreams; // 100
 * resolveHttp3Options({ maxUdpPayloadSize: 100 }); // throws InvalidArgumentError (ZEPHYR_ERR_INVALID_ARGUMENT)
 * ```
 */
export function resolveHttp3Options(value: unknown): Http3Settings | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { ...defaultHttp3Settings };
  if (!isRecord(value)) {
    throw new InvalidArgumentError(
      `http3 must be a boolean or an object of settings, got ${describeValue(value)}`,
    );
  }
  const resolved: Http3Settings = { ...defaultHttp3Settings };
  for (const [key, setting] of Object.entries(value)) {
    if (key !== 'retry' && !Object.hasOwn(http3SettingRanges, key)) {
      throw new InvalidArgumentError(
        `unknown HTTP/3 setting http3.${key}; known settings: ${[...Object.keys(http3SettingRanges), 'retry'].join(', ')}`,
      );
    }
    if (setting === undefined) continue;
    if (key === 'retry') {
      if (!isRetryPolicy(setting)) {
        throw new InvalidArgumentError(
          `http3.retry must be one of ${http3RetryPolicies.map((p) => `'${p}'`).join(', ')}, got ${describeValue(setting)}`,
        );
      }
      resolved.retry = setting;
      continue;
    }
    const name = key as NumericSetting;
    const [min, max] = http3SettingRanges[name];
    resolved[name] = integerIn(`http3.${name}`, setting, min, max);
  }
  return resolved;
}

function isRetryPolicy(value: unknown): value is Http3RetryPolicy {
  return (http3RetryPolicies as readonly unknown[]).includes(value);
}

/** Why the node engine cannot serve HTTP/3. */
const NODE_HAS_NO_QUIC =
  'the node engine has no HTTP/3: node ships no QUIC in its stable releases (node:quic is ' +
  'experimental and absent from node 20 and 22), so there is nothing to serve it with';

/**
 * Throws when `http3` cannot be served as asked: {@link Http3UnavailableError} on the node
 * engine, {@link InvalidArgumentError} without `tls` (QUIC is always TLS 1.3) or with
 * `reusePort` (the kernel spreads UDP datagrams over SO_REUSEPORT sockets by their 4-tuple, so
 * a client that migrates would land on a worker that does not know its connection). Does
 * nothing when `http3` is off. `listen` calls it before binding; a supervisor that forks
 * workers calls it first so that the error reaches its caller rather than a worker's stderr.
 *
 * @example
 * ```ts
 * import { checkHttp3, selectEngine } from '@zephyr/uring';
 * checkHttp3(true, selectEngine('node').engine); // throws ZEPHYR_ERR_HTTP3_UNAVAILABLE
 * ```
 */
export function checkHttp3(
  http3: Http3Options | undefined,
  engine: EngineName,
  serving: { tls?: unknown; reusePort?: boolean } = {},
): void {
  if (http3 === undefined || http3 === false) return;
  if (engine === 'node') {
    throw new Http3UnavailableError(
      `http3: ${NODE_HAS_NO_QUIC}; remove http3 (HTTP/1.1 and HTTP/2 are served over TCP) or use the io_uring engine`,
    );
  }
  if (serving.tls === undefined) {
    throw new InvalidArgumentError(
      "http3 needs tls: QUIC is always TLS 1.3, served with the HTTPS listener's certificates on the same port",
    );
  }
  if (serving.reusePort === true) {
    throw new InvalidArgumentError(
      'http3 cannot be combined with reusePort (workers): SO_REUSEPORT spreads UDP datagrams by address, so a QUIC connection would reach a worker that does not know it; serve HTTP/3 from one process',
    );
  }
}
