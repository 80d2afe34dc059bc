import { parse as parseYamlScalar } from 'yaml';

const PREFIX = 'ZEPHYR_';
const SEPARATOR = '__';

/** One setting taken from the environment. */
export interface EnvOverride {
  variable: string;
  path: string[];
  value: unknown;
}

/**
 * Reads `ZEPHYR_<SECTION>__<KEY>[__<KEY>…]=value` variables: `__` separates path segments, the
 * rest is the key lower-cased (`ZEPHYR_RUNTIME__MEMORY_POOL_SIZE=128MB` sets
 * `runtime.memory_pool_size`). Values are read as YAML scalars, so `4` is a number and `true` a
 * boolean, as they would be in the file. Variables without `__` (e.g. `ZEPHYR_IO_ENGINE`) are not
 * config paths and are left to whoever reads them.
 */
export function readEnvOverrides(env: Readonly<Record<string, string | undefined>>): EnvOverride[] {
  const overrides: EnvOverride[] = [];
  for (const [variable, raw] of Object.entries(env)) {
    if (raw === undefined || !variable.startsWith(PREFIX) || !variable.includes(SEPARATOR)) continue;
    const path = variable.slice(PREFIX.length).toLowerCase().split(SEPARATOR);
    if (path.some((segment) => segment === '')) continue;
    let value: unknown;
    try {
      value = parseYamlScalar(raw);
    } catch {
      value = raw;
    }
    overrides.push({ variable, path, value });
  }
  return overrides.sort((a, b) => a.variable.localeCompare(b.variable));
}

/** Writes each override into `target`, creating the objects on its path. */
export function applyEnvOverrides(target: Record<string, unknown>, overrides: readonly EnvOverride[]): void {
  for (const { path, value } of overrides) {
    let node = target;
    for (const segment of path.slice(0, -1)) {
      const next = node[segment];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) node[segment] = {};
      node = node[segment] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
}
