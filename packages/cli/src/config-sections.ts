import { dirname, resolve } from 'node:path';
import { type ConfigOf, findConfigFile, loadConfig } from '@zephyr/config';
import { dbConfigSchema } from '@zephyr/db';
import { devtoolsConfigSchema } from '@zephyr/devtools';
import { runtimeConfigSchema } from '@zephyr/runtime';
import { performanceConfigSchema, serverConfigSchema } from '@zephyr/server';
import { tracingConfigSchema } from '@zephyr/tracer';

// The same sections as the `zephyr` meta-package's loadConfig (a test holds the two equal). The
// CLI does not depend on `zephyr`: that name on the npm registry belongs to an unrelated package,
// and an install of @zephyr/cli must never pull it in.
const sections = {
  server: serverConfigSchema,
  performance: performanceConfigSchema,
  runtime: runtimeConfigSchema,
  database: dbConfigSchema,
  tracing: tracingConfigSchema,
  devtools: devtoolsConfigSchema,
};

/** The whole validated `zephyr.config.yaml`, typed from each package's section schema. */
export type ZephyrConfig = ConfigOf<typeof sections>;

/** The config file in `cwd` or the nearest directory above it, as a user expects; undefined when none. */
export function findConfigUpward(cwd: string): string | undefined {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const file = findConfigFile(dir);
    if (file) return file;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Where the app lives and what configures it. */
export interface LoadedConfig {
  config: ZephyrConfig;
  /** The file read, or undefined when defaults (and env overrides) are the configuration. */
  file: string | undefined;
  /** The directory of the config file, else `cwd`: relative paths (dist/, migrations/) start here. */
  root: string;
}

/**
 * Loads the configuration the way every command does: `--file`, else `zephyr.config.yaml` searched
 * for from `cwd` upward, with `ZEPHYR_*` environment overrides.
 *
 * @throws ConfigError naming file, line and key path of every problem.
 */
export function loadZephyrConfig(
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
  file?: string,
): LoadedConfig {
  const found = file === undefined ? findConfigUpward(cwd) : undefined;
  const config = loadConfig({ sections, cwd, env, ...(file ? { file } : found ? { file: found } : {}) });
  const resolved = file === undefined ? found : resolve(cwd, file);
  return { config, file: resolved, root: resolved ? dirname(resolved) : cwd };
}
