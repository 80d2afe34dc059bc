import {
  type AttachDevtoolsOptions,
  attachDevtools as attachWithSources,
  type Devtools,
} from '@zephyr/devtools';
import { currentTracing } from '@zephyr/tracer';

/**
 * Attaches Zephyr's devtools to an app, with the tracer's ring of recent traces wired in: the
 * control socket for `zephyr repl`, `zephyr profile` and `zephyr heap`, and the dashboard at
 * `/_zephyr`. On in development (`NODE_ENV` not `production`); in production the socket is opt-in
 * (`socket: true`) and the dashboard needs a token (`ZEPHYR_DEVTOOLS_TOKEN`). Call it before
 * `app.listen`.
 *
 * @example
 * ```ts
 * import { attachDevtools } from 'zephyr';
 * const devtools = await attachDevtools({ app, db, system, config });
 * await app.listen({ port: 3000 });
 * ```
 */
export function attachDevtools(options: AttachDevtoolsOptions): Promise<Devtools> {
  return attachWithSources({ traces: () => currentTracing()?.ring?.traces(), ...options });
}
