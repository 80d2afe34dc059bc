import { z } from 'zod';
import { parseSize } from './parse-size.js';

/**
 * Zod schema of the `runtime:` section of `zephyr.config.yaml` (snake_case keys, unknown keys
 * rejected). `@zephyr/config` composes it with the other packages' sections.
 *
 * - `memory_pool_size`: bytes or a size string (`64MB`); parsed to a byte count. Default `64MB`.
 * - `actor_threads`: worker threads hosting actors; `0` keeps every actor on the main thread,
 *   `'auto'` uses one per available core minus one. Default `0`.
 * - `supervisor_mode`: `'local'` or `'distributed'` (supervision across processes over NATS).
 * - `nats_url`: the NATS server for distributed mode; required when `supervisor_mode` is distributed.
 *
 * @example
 * runtimeConfigSchema.parse({ memory_pool_size: '16MB', actor_threads: 2 })
 */
export const runtimeConfigSchema = z
  .strictObject({
    memory_pool_size: z
      .union([z.number(), z.string()])
      .default('64MB')
      .transform((value, ctx) => {
        try {
          return parseSize(value);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
    actor_threads: z.union([z.number().int().min(0).max(256), z.literal('auto')]).default(0),
    supervisor_mode: z.enum(['local', 'distributed']).default('local'),
    nats_url: z.string().url().optional(),
  })
  .refine((c) => c.supervisor_mode !== 'distributed' || c.nats_url !== undefined, {
    message: 'nats_url is required when supervisor_mode is "distributed"',
    path: ['nats_url'],
  });

/** The `runtime:` section as written in YAML (before defaults). */
export type RuntimeConfigInput = z.input<typeof runtimeConfigSchema>;
/** The `runtime:` section after parsing: defaults applied, `memory_pool_size` in bytes. */
export type RuntimeConfig = z.output<typeof runtimeConfigSchema>;
