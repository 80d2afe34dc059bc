import { sizeSchema } from '@zephyr/config';
import {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  defaultHttp2Settings,
  defaultHttp3Settings,
  defaultLimits,
  http2SettingRanges,
  http3RetryPolicies,
  http3SettingRanges,
  type TlsOptions,
} from '@zephyr/uring';
import { z } from 'zod';
import { type AppListenOptions, DEFAULT_SHUTDOWN_TIMEOUT_MS } from './listen.js';

const certificateFiles = z.strictObject({
  /** PEM file with the certificate chain, leaf first. */
  cert: z.string().min(1),
  /** PEM file with the unencrypted private key. */
  key: z.string().min(1),
});

/**
 * `server.tls`: HTTPS on either engine. Paths are read (and each key checked against its
 * certificate) at listen; `server.reloadTls()` or SIGHUP reads them again. `@zephyr/uring`'s
 * `TlsOptions` holds the rules (names, ALPN ids); this is their spelling in the file.
 */
const tlsConfigSchema = z.strictObject({
  ...certificateFiles.shape,
  /** Server name (`api.example.com`, `*.example.com`) → its certificate files (SNI). */
  sni: z.record(z.string(), certificateFiles).default({}),
  /** ALPN ids in preference order; absent: `http/1.1`, with `h2` first when `server.http2` is on. */
  alpn: z.array(z.string().min(1)).min(1).optional(),
  min_version: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
  handshake_timeout_ms: z.number().int().positive().default(DEFAULT_HANDSHAKE_TIMEOUT_MS),
});

/** A setting of `server.http2`: an integer in the engine's range, defaulting to the engine's default. */
function http2Setting(name: keyof typeof http2SettingRanges) {
  const [min, max] = http2SettingRanges[name];
  return z.number().int().min(min).max(max).default(defaultHttp2Settings[name]);
}

/**
 * `server.http2`: HTTP/2 beside HTTP/1.1 (h2c by prior knowledge on plaintext, h2 by ALPN over
 * TLS), off unless `enabled`; the settings are SETTINGS values the server announces.
 */
export const http2ConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    max_concurrent_streams: http2Setting('maxConcurrentStreams'),
    initial_window_size: http2Setting('initialWindowSize'),
    max_frame_size: http2Setting('maxFrameSize'),
    max_header_list_size: http2Setting('maxHeaderListSize'),
    idle_timeout_ms: http2Setting('idleTimeoutMs'),
  })
  .prefault({});

/** A numeric setting of `server.http3`: an integer in the engine's range, defaulting to its default. */
function http3Setting(name: keyof typeof http3SettingRanges) {
  const [min, max] = http3SettingRanges[name];
  return z.number().int().min(min).max(max).default(defaultHttp3Settings[name]);
}

/**
 * `server.http3`: HTTP/3 over QUIC on UDP at the same port as `server.tls` (io_uring engine,
 * one process: not with `workers` above 1), off unless `enabled`; HTTPS responses then carry
 * `alt-svc` so browsers switch by themselves.
 */
export const http3ConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    max_concurrent_streams: http3Setting('maxConcurrentStreams'),
    idle_timeout_ms: http3Setting('idleTimeoutMs'),
    max_udp_payload_size: http3Setting('maxUdpPayloadSize'),
    retry: z.enum(http3RetryPolicies).default(defaultHttp3Settings.retry),
    handshakes_before_retry: http3Setting('handshakesBeforeRetry'),
    alt_svc_max_age_sec: http3Setting('altSvcMaxAgeSec'),
  })
  .prefault({});

/**
 * The `server:` section of `zephyr.config.yaml`. Keys are snake_case like the rest of the file.
 *
 * @example
 * ```yaml
 * server:
 *   workers: auto
 *   io_engine: io_uring
 *   port: 8080
 *   limits: { max_body_size: 10MB }
 * ```
 */
export const serverConfigSchema = z.strictObject({
  /** Worker processes: `auto` (one per CPU) or a count. */
  workers: z.union([z.literal('auto'), z.number().int().positive()]).default(1),
  /** Engine: `auto` picks io_uring when the kernel allows it, else node. */
  io_engine: z.enum(['auto', 'io_uring', 'node']).default('auto'),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(3000),
  /** Time in-flight requests get to finish on SIGTERM/SIGINT. */
  shutdown_timeout_ms: z.number().int().nonnegative().default(DEFAULT_SHUTDOWN_TIMEOUT_MS),
  /** Serve HTTPS (absent: plain HTTP). */
  tls: tlsConfigSchema.optional(),
  http2: http2ConfigSchema,
  http3: http3ConfigSchema,
  limits: z
    .strictObject({
      max_header_bytes: z.number().int().positive().default(defaultLimits.maxHeaderBytes),
      max_header_count: z.number().int().positive().default(defaultLimits.maxHeaderCount),
      max_url_length: z.number().int().positive().default(defaultLimits.maxUrlLength),
      /** Largest request body (`1MB`, `512KB` or bytes); the app's default body limit. */
      max_body_size: sizeSchema.default(defaultLimits.maxBodyBytes),
      header_timeout_ms: z.number().int().positive().default(defaultLimits.headerTimeoutMs),
      keep_alive_timeout_ms: z.number().int().positive().default(defaultLimits.keepAliveTimeoutMs),
      request_timeout_ms: z.number().int().positive().default(defaultLimits.requestTimeoutMs),
      max_connections: z.number().int().positive().default(defaultLimits.maxConnections),
      /** A connection whose unsent response bytes stop moving this long is closed (a peer that never reads). */
      write_timeout_ms: z.number().int().positive().default(defaultLimits.writeTimeoutMs),
    })
    .prefault({})
    .superRefine((limits, ctx) => {
      // Pairs of limits that contradict each other. The engine refuses the first too, but only at
      // listen time and under its own option names; the file should be told in its own words.
      if (limits.header_timeout_ms > limits.request_timeout_ms) {
        ctx.addIssue({
          code: 'custom',
          path: ['header_timeout_ms'],
          message: `header_timeout_ms (${limits.header_timeout_ms}) must not exceed request_timeout_ms (${limits.request_timeout_ms}): a request's headers arrive within the request's own time`,
        });
      }
      // The head limit counts the request line, so a longer URL limit could never be reached:
      // such a URL would get 431 (head too large), never 414.
      if (limits.max_url_length >= limits.max_header_bytes) {
        ctx.addIssue({
          code: 'custom',
          path: ['max_url_length'],
          message: `max_url_length (${limits.max_url_length}) must be below max_header_bytes (${limits.max_header_bytes}): the request line, URL included, counts toward the head's bytes`,
        });
      }
    }),
});

/**
 * The `performance:` section of `zephyr.config.yaml`: kernel features the engine may use.
 * `zero_copy` sends static files with the engine's `sendFile` (splice/sendfile) instead of
 * through JS; `tcp_fastopen` sets TCP_FASTOPEN on the listener; `kernel_tls` asks for kTLS
 * offload of `server.tls`: io_uring hands the session keys to the kernel where it has the `tls`
 * module; elsewhere (and on the node engine) one log line says why and TLS is encrypted in user
 * space.
 */
export const performanceConfigSchema = z.strictObject({
  zero_copy: z.boolean().default(true),
  kernel_tls: z.boolean().default(false),
  tcp_fastopen: z.boolean().default(false),
});

/** The parsed `server:` section. */
export type ServerConfig = z.output<typeof serverConfigSchema>;
/** The parsed `performance:` section. */
export type PerformanceConfig = z.output<typeof performanceConfigSchema>;

/**
 * Turns the parsed `server:` and `performance:` sections into `app.listen` options.
 *
 * @example
 * ```ts
 * const config = await loadConfig({ sections: { server: serverConfigSchema, performance: performanceConfigSchema } });
 * await app.listen(listenOptionsFromConfig(config.server, config.performance));
 * ```
 */
export function listenOptionsFromConfig(
  server: ServerConfig,
  performance?: PerformanceConfig,
): AppListenOptions {
  const { limits, http2, http3 } = server;
  return {
    ...(http3.enabled
      ? {
          http3: {
            maxConcurrentStreams: http3.max_concurrent_streams,
            idleTimeoutMs: http3.idle_timeout_ms,
            maxUdpPayloadSize: http3.max_udp_payload_size,
            retry: http3.retry,
            handshakesBeforeRetry: http3.handshakes_before_retry,
            altSvcMaxAgeSec: http3.alt_svc_max_age_sec,
          },
        }
      : {}),
    ...(http2.enabled
      ? {
          http2: {
            maxConcurrentStreams: http2.max_concurrent_streams,
            initialWindowSize: http2.initial_window_size,
            maxFrameSize: http2.max_frame_size,
            maxHeaderListSize: http2.max_header_list_size,
            idleTimeoutMs: http2.idle_timeout_ms,
          },
        }
      : {}),
    port: server.port,
    host: server.host,
    engine: server.io_engine,
    workers: server.workers,
    shutdownTimeoutMs: server.shutdown_timeout_ms,
    tcpFastOpen: performance?.tcp_fastopen ?? false,
    ...(server.tls === undefined ? {} : { tls: tlsOptionsFromConfig(server.tls, performance) }),
    limits: {
      maxHeaderBytes: limits.max_header_bytes,
      maxHeaderCount: limits.max_header_count,
      maxUrlLength: limits.max_url_length,
      maxBodyBytes: limits.max_body_size,
      headerTimeoutMs: limits.header_timeout_ms,
      keepAliveTimeoutMs: limits.keep_alive_timeout_ms,
      requestTimeoutMs: limits.request_timeout_ms,
      maxConnections: limits.max_connections,
      writeTimeoutMs: limits.write_timeout_ms,
    },
  };
}

/** `server.tls` (and `performance.kernel_tls`) as `listen`'s `tls` option. */
function tlsOptionsFromConfig(
  tls: z.output<typeof tlsConfigSchema>,
  performance: PerformanceConfig | undefined,
): TlsOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    sni: tls.sni,
    ...(tls.alpn === undefined ? {} : { alpn: tls.alpn }),
    minVersion: tls.min_version,
    handshakeTimeoutMs: tls.handshake_timeout_ms,
    kernelTls: performance?.kernel_tls ?? false,
  };
}
