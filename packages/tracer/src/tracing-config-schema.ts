import { z } from 'zod';
import { DEFAULT_OTLP_ENDPOINT, type SetupTracingOptions } from './setup-tracing.js';

/**
 * The `tracing:` section of `zephyr.config.yaml` (snake_case keys, unknown keys rejected); the
 * config loader composes it with the other packages' sections.
 *
 * @example
 * ```yaml
 * tracing:
 *   enabled: true
 *   service_name: shop
 *   otlp:
 *     endpoint: http://127.0.0.1:4318/v1/traces
 *     headers: { x-api-key: secret }
 *     protocol: http/protobuf
 *   sample_rate: 0.1
 * ```
 */
export const tracingConfigSchema = z.strictObject({
  /** Off by default: a Zephyr app costs one `hasSubscribers` check per seam until this is on. */
  enabled: z.boolean().default(false),
  service_name: z.string().min(1).max(256).default('zephyr-app'),
  otlp: z
    .strictObject({
      endpoint: z.url({ protocol: /^https?$/ }).default(DEFAULT_OTLP_ENDPOINT),
      headers: z
        .record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/), z.string().regex(/^[^\r\n\0]*$/))
        .default({}),
      /** OTLP/HTTP encoding: `http/protobuf` (OTLP's default) or `http/json`. */
      protocol: z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
    })
    .prefault({}),
  /** Share of new traces recorded, 0..1. */
  sample_rate: z.number().min(0).max(1).default(1),
  /** Tag SQL statements with a sqlcommenter `traceparent` comment (they then run unprepared). */
  sqlcommenter: z.boolean().default(false),
  /** Recent traces kept in process for the devtools dashboard. */
  ring_size: z.int().min(1).max(100_000).default(100),
});

/** The parsed `tracing:` section. */
export type TracingConfig = z.output<typeof tracingConfigSchema>;

/** `setupTracing` options from a parsed section, or `undefined` when tracing is disabled. */
export function tracingOptionsFromConfig(config: TracingConfig): SetupTracingOptions | undefined {
  if (!config.enabled) return undefined;
  return {
    serviceName: config.service_name,
    endpoint: config.otlp.endpoint,
    headers: config.otlp.headers,
    protocol: config.otlp.protocol,
    sampleRate: config.sample_rate,
    sqlCommenter: config.sqlcommenter,
    ring: { maxTraces: config.ring_size },
  };
}
