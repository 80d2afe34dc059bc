import { type ConfigOf, type LoadConfigOptions, loadConfig as loadSections } from '@zephyr/config';
import { dbConfigSchema } from '@zephyr/db';
import { devtoolsConfigSchema } from '@zephyr/devtools';
import { runtimeConfigSchema } from '@zephyr/runtime';
import { performanceConfigSchema, serverConfigSchema } from '@zephyr/server';
import { tracingConfigSchema } from '@zephyr/tracer';

/** Every section of `zephyr.config.yaml`, each schema owned by its package. */
export const zephyrConfigSections = {
  server: serverConfigSchema,
  performance: performanceConfigSchema,
  runtime: runtimeConfigSchema,
  database: dbConfigSchema,
  tracing: tracingConfigSchema,
  devtools: devtoolsConfigSchema,
};

/** The whole validated configuration, typed from the packages' schemas. */
export type ZephyrConfig = ConfigOf<typeof zephyrConfigSections>;

/**
 * Loads `zephyr.config.yaml` (or `file`) with every Zephyr section, applying
 * `ZEPHYR_SECTION__KEY` environment overrides.
 *
 * @throws ConfigError naming the file, line, column and key path of every issue.
 * @example
 * ```ts
 * import { loadConfig } from 'zephyr';
 * const config = loadConfig();
 * config.runtime.memory_pool_size; // bytes, from e.g. `64MB`
 * ```
 */
export function loadConfig(
  options: Omit<LoadConfigOptions<typeof zephyrConfigSections>, 'sections'> = {},
): ZephyrConfig {
  return loadSections({ ...options, sections: zephyrConfigSections });
}
