// A new user's first minutes: clone, run the README's first command, then `npx zephyr --help`.
// The clone is of the committed HEAD. Turbo's cache is the checkout's own (or TURBO_CACHE_DIR),
// so an unchanged Rust engine is replayed rather than compiled again.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { start } from './running-process.js';

const repoRoot = new URL('../../../', import.meta.url).pathname;
const env: Record<string, string> = {
  TURBO_CACHE_DIR: process.env.TURBO_CACHE_DIR ?? join(repoRoot, '.turbo', 'cache'),
  PORT: '0',
  NO_COLOR: '1',
};

describe('from a fresh clone', () => {
  const clone = join(mkdtempSync(join(tmpdir(), 'zephyr-clone-')), 'zephyr');
  execFileSync('git', ['clone', '--quiet', repoRoot, clone]);

  it("the README's first command says what it is doing, builds and starts the playground", async () => {
    const playground = start('npx', ['-y', 'pnpm@12.4.2', 'run', 'playground'], { cwd: clone, env });
    try {
      await playground.waitFor(/==> \[2\/3\] building the Rust io_uring engine/, 240_000);
      const [, url] = await playground.waitFor(/listening on (http:\/\/\S+\/)/, 900_000);
      expect(playground.output()).toContain('==> [3/3] starting the playground');
      expect((await fetch(url!)).status).toBe(200);
    } finally {
      await playground.stop('SIGTERM');
    }
  }, 960_000);

  it('then `npx zephyr --help` works, at the root and below it', () => {
    for (const cwd of [clone, join(clone, 'apps', 'playground')]) {
      const help = execFileSync('npx', ['zephyr', '--help'], { cwd, encoding: 'utf8' });
      expect(help).toMatch(/^Usage: zephyr <command> \[options\]\n\nCommands:\n {2}new /);
    }
  });
});
