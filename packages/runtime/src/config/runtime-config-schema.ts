import { sizeSchema } from '@zephyr/config';
import { z } from 'zod';

/**
 * Zod schema of the `runtime:` section of `zephyr.config.yaml` (snake_case keys, unknown keys
 * rejected). `@zephyr/config` composes it with the other packages' sections.
 *
 * - `memory_pool_size`: bytes or a size string (`64MB`); parsed to a byte count. Default `64MB`.
 * - `actor_threads`: worker threads hosting actors; `0` keeps every actor on the main thread,
 *   `'auto'` uses one per available core minus one. Default `0`.
 * - `supervisor_mode`: `'local'` or `'distributed'` (supervision across processes over NATS).
 * - `nats_url`: the NATS server for distributed mode. Default `nats://127.0.0.1:4222`, NATS's own
 *   default, so `supervisor_mode: distributed` alone works against a local nats-server.
 *
 * @example
 * runtimeConfigSchema.parse({ memory_pool_size: '16MB', actor_threads: 2 })
 */
export const runtimeConfigSchema = z.strictObject({
  memory_pool_size: sizeSchema.default(64 * 1024 * 1024),
  actor_threads: z.union([z.number().int().min(0).max(256), z.literal('auto')]).default(0),
  supervisor_mode: z.enum(['local', 'distributed']).default('local'),
  nats_url: z.url({ protocol: /^(nats|tls|wss?)$/ }).default('nats://127.0.0.1:4222'),
});

/** The `runtime:` section as written in YAML (before defaults). */
export type RuntimeConfigInput = z.input<typeof runtimeConfigSchema>;
/** The `runtime:` section after parsing: defaults applied, `memory_pool_size` in bytes. */
export type RuntimeConfig = z.output<typeof runtimeConfigSchema>;

/** Validates the runtime config (throws the zod error, with paths, on bad input). */
export function parseRuntimeConfig(input: RuntimeConfigInput | undefined): RuntimeConfig {
  return runtimeConfigSchema.parse(input ?? {});
}
