import { z } from 'zod';
import type { AttachDevtoolsOptions } from './attach-devtools.js';
import { MIN_TOKEN_LENGTH } from './attach-devtools.js';
import { DEFAULT_REPL_TIMEOUT_MS } from './repl/repl-evaluator.js';

/**
 * The `devtools:` section of `zephyr.config.yaml`: what `zephyr start` attaches by itself.
 * Everything is off by default, as in production; `zephyr dev` and an app calling
 * `attachDevtools` itself do not read it.
 *
 * @example
 * ```yaml
 * devtools:
 *   socket: true          # zephyr repl / profile / heap can attach to this process
 *   repl_timeout_ms: 5000
 * ```
 */
export const devtoolsConfigSchema = z.strictObject({
  /** Open the control socket (0600, the app's user only) for `zephyr repl`, `profile` and `heap`. */
  socket: z.boolean().default(false),
  /** Serve the dashboard at `/_zephyr`, refusing requests without this token (16+ characters). */
  dashboard_token: z.string().min(MIN_TOKEN_LENGTH).optional(),
  /** How long one REPL input may run synchronously before it is interrupted. */
  repl_timeout_ms: z.int().positive().default(DEFAULT_REPL_TIMEOUT_MS),
});

/** The parsed `devtools:` section. */
export type DevtoolsConfig = z.output<typeof devtoolsConfigSchema>;

/**
 * `attachDevtools` options (besides `app`) from a parsed section, or `undefined` when the section
 * turns nothing on.
 */
export function devtoolsOptionsFromConfig(
  config: DevtoolsConfig,
): Omit<AttachDevtoolsOptions, 'app'> | undefined {
  if (!config.socket && config.dashboard_token === undefined) return undefined;
  return {
    mode: 'production',
    socket: config.socket,
    dashboard: config.dashboard_token === undefined ? false : { token: config.dashboard_token },
    replTimeoutMs: config.repl_timeout_ms,
  };
}
