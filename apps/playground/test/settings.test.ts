// Every setting in the playground's zephyr.config.yaml must change what the app does: a key that
// nothing reads (as `runtime.memory_pool_size` once was) is a promise the file cannot keep.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from 'zephyr';
import { playgroundSettings } from '../src/settings.js';

const dir = new URL('..', import.meta.url).pathname;
const file = new URL('../zephyr.config.yaml', import.meta.url);

/** Every leaf key path of the file, e.g. `server.limits.max_body_size`. */
function leaves(node: unknown, prefix: string[] = []): string[][] {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return [prefix];
  return Object.entries(node).flatMap(([key, value]) => leaves(value, [...prefix, key]));
}

/** A different valid value for a setting, of the same kind. */
function changed(value: unknown): unknown {
  if (typeof value === 'boolean') return !value;
  if (typeof value === 'number') return value === 0 ? 1 : value + 1;
  if (value === 'auto') return 'node';
  if (typeof value === 'string' && /^\d+\s*[a-z]*$/i.test(value)) return '1MB';
  throw new Error(`no test value for ${JSON.stringify(value)}: add one to changed()`);
}

describe('zephyr.config.yaml of the playground', () => {
  const keys = leaves(parse(readFileSync(file, 'utf8')));
  const env = { DATABASE_URL: 'postgres://example/db' };

  it.each(keys.map((path) => [path.join('.'), path] as const))('%s changes the app', (_name, path) => {
    const base = loadConfig({ cwd: dir, env: {} });
    const variable = `ZEPHYR_${path.map((p) => p.toUpperCase()).join('__')}`;
    const current = path.reduce<unknown>(
      (node, key) => (node as Record<string, unknown>)[key],
      parse(readFileSync(file, 'utf8')),
    );
    const other = loadConfig({ cwd: dir, env: { [variable]: String(changed(current)) } });
    expect(playgroundSettings(other, env)).not.toEqual(playgroundSettings(base, env));
  });

  it('the file is what the app loads', () => {
    expect(loadConfig({ cwd: dir, env: {} }).server.limits.max_body_size).toBe(64 * 1024);
  });
});
