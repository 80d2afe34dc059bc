import { readFileSync } from 'node:fs';
import { MailboxFullError, defineActor as runtimeDefineActor } from '@zephyr/runtime';
import { describe, expect, it } from 'vitest';
import * as actorEntry from '../src/actor.js';

describe('zephyr/actor', () => {
  it('is @zephyr/runtime/actor: the same defineActor and error classes, for modules actor threads import', () => {
    expect(actorEntry.defineActor).toBe(runtimeDefineActor);
    expect(actorEntry.MailboxFullError).toBe(MailboxFullError);
  });

  it('re-exports the runtime entry alone, never the meta-package (which loads the whole framework)', () => {
    const built = readFileSync(new URL('../dist/actor.js', import.meta.url), 'utf8');
    const imports = [...built.matchAll(/^(?:export|import)\s.*from '([^']+)'/gm)].map((m) => m[1]);
    expect(imports).toEqual(['@zephyr/runtime/actor']);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, { types: string; default: string }>;
    };
    expect(pkg.exports['./actor']).toEqual({ types: './dist/actor.d.ts', default: './dist/actor.js' });
  });
});
