import { z } from 'zod';

/**
 * The `database:` section of `zephyr.config.yaml` (snake_case keys, unknown keys rejected); the
 * config loader composes it. Defaults match the pool's.
 *
 * @example
 * ```yaml
 * database:
 *   url: postgres://app@localhost:5432/app   # omit for embedded PGlite
 *   pool: { max: 20, queue: 200, acquire_timeout_ms: 2000 }
 * ```
 */
export const dbConfigSchema = z.strictObject({
  /** PostgreSQL URL; when absent the application uses embedded PGlite. */
  url: z.string().min(1).optional(),
  pool: z
    .strictObject({
      max: z.int().min(1).max(10_000).default(10),
      queue: z.int().min(0).max(1_000_000).default(100),
      acquire_timeout_ms: z.int().min(1).max(600_000).default(5000),
    })
    .prefault({}),
});

/** The parsed `database:` section. */
export type DbConfig = z.output<typeof dbConfigSchema>;

/** Pool options for `postgres({ pool })` from a parsed config section. */
export function poolOptionsFromConfig(config: DbConfig): {
  max: number;
  queue: number;
  acquireTimeoutMs: number;
} {
  return { max: config.pool.max, queue: config.pool.queue, acquireTimeoutMs: config.pool.acquire_timeout_ms };
}
