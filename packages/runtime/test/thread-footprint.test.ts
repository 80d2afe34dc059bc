import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as actorEntry from '../src/actor-module.js';
import { defineActor as defineFromActorEntry } from '../src/actor-module.js';
import { defineActor, MailboxFullError } from '../src/index.js';

const dist = new URL('../dist/', import.meta.url);

/**
 * Every module the built `file` loads when imported, by static `import`/`export … from` (the
 * lazy `import()` of the cluster code is left out, as it is at run time): package names for
 * bare specifiers, dist paths for the package's own files.
 */
function staticGraph(file: URL): Set<string> {
  const seen = new Set<string>();
  const walk = (url: URL): void => {
    const key = fileURLToPath(url).slice(fileURLToPath(dist).length);
    if (seen.has(key)) return;
    seen.add(key);
    const source = readFileSync(url, 'utf8');
    for (const m of source.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'|^import\s+'([^']+)'/gms)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('.')) walk(new URL(spec, url));
      else seen.add(spec);
    }
  };
  walk(file);
  return seen;
}

describe('what an actor thread loads', () => {
  it('the worker entry loads no config schema, zod, pools, limiters or cluster client', () => {
    const graph = staticGraph(new URL('threads/worker-entry.js', dist));
    expect(graph.has('threads/link.js')).toBe(true); // the walk follows the entry's imports
    for (const heavy of [
      'zod',
      '@zephyr/config',
      'nats',
      'config/runtime-config-schema.js',
      'create-actor-system.js',
    ])
      expect([...graph], heavy).not.toContain(heavy);
    expect([...graph].filter((m) => m.startsWith('limiter/') || m.startsWith('scheduler/'))).toEqual([]);
  });

  it('@zephyr/runtime/actor loads only the actor definition and the errors', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, { default: string }>;
    };
    const entry = new URL(pkg.exports['./actor']!.default, new URL('../', import.meta.url));
    expect([...staticGraph(entry)].sort()).toEqual([
      'actor-module.js',
      'actor/actor-definition.js',
      'errors.js',
    ]);
  });

  it('gives the same defineActor and error classes as the main entry', () => {
    expect(defineFromActorEntry).toBe(defineActor);
    expect(actorEntry.MailboxFullError).toBe(MailboxFullError);
  });
});
