// Runs the README's HTTP/2 example as written (its import pointed at this package's source).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const here = import.meta.dirname;
const readme = readFileSync(join(here, '../README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## HTTP/2'));
const example = /```js\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
const dir = mkdtempSync(join(tmpdir(), 'zephyr-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README: HTTP/2', () => {
  it('runs: one route answers over HTTP/1.1 and over h2c on the same port', async () => {
    expect(example.startsWith('// http2.mjs\n')).toBe(true);
    const file = join(dir, 'http2-example.mjs');
    writeFileSync(
      file,
      example.replace("from '@zephyr/server'", `from ${JSON.stringify(join(here, '../src/index.ts'))}`),
    );
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    // `auto` may fall back to the node engine (no io_uring here) and say so once on stderr.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      await import(file);
      expect(log.mock.calls).toEqual([[{ hello: 'ada', over: '1.1' }], [{ hello: 'grace', over: '2.0' }]]);
    } finally {
      log.mockRestore();
      warn.mockRestore();
    }
  });
});
