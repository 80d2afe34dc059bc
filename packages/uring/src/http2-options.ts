// HTTP/2 listen options, validated once at listen() and shared by both engines: the node engine
// hands them to node:http2; the io_uring engine hands them to its HTTP/2 session on the ring
// (crates/zephyr-h2 behind crates/zephyr-uring/src/h2_conn.rs).

import { InvalidArgumentError } from './errors.js';
import { describeValue, integerIn, isRecord } from './option-values.js';

/** HTTP/2 settings of a listener; each has a default (see {@link defaultHttp2Settings}). */
export interface Http2Settings {
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams a client may have open at once (default 100). */
  maxConcurrentStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: bytes of request body a stream may send unread (default 65535). */
  initialWindowSize: number;
  /** SETTINGS_MAX_FRAME_SIZE: largest frame payload the server accepts (default 16384). */
  maxFrameSize: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE: bytes of a header list, RFC 9113 §6.5.2 counting (default 16384). */
  maxHeaderListSize: number;
  /** A connection with no frame in either direction this long gets GOAWAY and is closed (default 30 s). */
  idleTimeoutMs: number;
}

/**
 * `http2` of {@link ListenOptions}: `true` for the defaults, or any subset of the settings.
 * `false` (or absent) serves HTTP/1.1 only.
 */
export type Http2Options = boolean | Partial<Http2Settings>;

/**
 * The default of every HTTP/2 setting.
 *
 * @example
 * ```ts
 * import { defaultHttp2Settings } from '@zephyr/uring';
 * defaultHttp2Settings.maxConcurrentStreams; // 100
 * ```
 */
export const defaultHttp2Settings: Readonly<Http2Settings> = Object.freeze({
  maxConcurrentStreams: 100,
  initialWindowSize: 65_535,
  maxFrameSize: 16_384,
  maxHeaderListSize: 16_384,
  idleTimeoutMs: 30_000,
});

/**
 * The inclusive range of each setting: RFC 9113 §6.5.2 bounds (the window is a 31-bit value, a
 * frame payload 2^14 to 2^24 - 1 bytes); counts travel as u32; a time must fit a JS timer.
 * `@zephyr/server`'s config schema checks the same ranges.
 */
export const http2SettingRanges: Readonly<Record<keyof Http2Settings, readonly [min: number, max: number]>> =
  {
    maxConcurrentStreams: [1, 0xffff_ffff],
    initialWindowSize: [0, 0x7fff_ffff],
    maxFrameSize: [16_384, 16_777_215],
    maxHeaderListSize: [1, 0xffff_ffff],
    idleTimeoutMs: [1, 0x7fff_ffff],
  };

/**
 * Validates `http2` (a boolean or a settings object with known names and in-range integers) and
 * fills in the defaults; `undefined` when HTTP/2 is off.
 *
 * @example
 * ```ts
 * resolveHttp2Options(true)?.maxConcurrentStreams; // 100
 * resolveHttp2Options({ maxFrameSize: 1 }); // throws InvalidArgumentError (ZEPHYR_ERR_INVALID_ARGUMENT)
 * ```
 */
export function resolveHttp2Options(value: unknown): Http2Settings | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { ...defaultHttp2Settings };
  if (!isRecord(value)) {
    throw new InvalidArgumentError(
      `http2 must be a boolean or an object of settings, got ${describeValue(value)}`,
    );
  }
  const resolved: Http2Settings = { ...defaultHttp2Settings };
  for (const [key, setting] of Object.entries(value)) {
    if (!Object.hasOwn(http2SettingRanges, key)) {
      throw new InvalidArgumentError(
        `unknown HTTP/2 setting http2.${key}; known settings: ${Object.keys(http2SettingRanges).join(', ')}`,
      );
    }
    if (setting === undefined) continue;
    const name = key as keyof Http2Settings;
    const [min, max] = http2SettingRanges[name];
    resolved[name] = integerIn(`http2.${name}`, setting, min, max);
  }
  return resolved;
}
