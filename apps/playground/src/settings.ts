import {
  type AppListenOptions,
  listenOptionsFromConfig,
  type SetupTracingOptions,
  tracingOptionsFromConfig,
  type ZephyrConfig,
} from 'zephyr';

/** What the playground takes from `zephyr.config.yaml`: every setting in its file goes through here. */
export interface PlaygroundSettings {
  listen: AppListenOptions;
  /** `performance.zero_copy`: static files through the engine's `sendFile`. */
  zeroCopy: boolean;
  /** `runtime.actor_threads`: the threads (and so the pool size) of the actor route `POST /checksum`. */
  actorThreads: number | 'auto';
  /** `tracing`: what to set tracing up with, or `undefined` while `tracing.enabled` is false. */
  tracing: SetupTracingOptions | undefined;
}

/**
 * The playground's settings from its configuration, the environment's `PORT` and whether it runs
 * on PostgreSQL (PGlite is one embedded process, so only PostgreSQL may use `server.workers`).
 */
export function playgroundSettings(
  config: Pick<ZephyrConfig, 'server' | 'performance' | 'runtime' | 'tracing'>,
  env: { PORT?: string | undefined; DATABASE_URL?: string | undefined },
): PlaygroundSettings {
  const { workers, ...listen } = listenOptionsFromConfig(config.server, config.performance);
  return {
    listen: {
      ...listen,
      ...(env.PORT ? { port: Number(env.PORT) } : {}),
      ...(env.DATABASE_URL && workers !== undefined ? { workers } : {}),
    },
    zeroCopy: config.performance.zero_copy,
    actorThreads: config.runtime.actor_threads,
    tracing: tracingOptionsFromConfig(config.tracing),
  };
}
