// Docs that run: every example in the READMEs of @zephyr/server, @zephyr/config and zephyr runs
// here as written, against the built packages, and prints what its comments promise.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '@zephyr/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zephyrConfigSections } from '../src/index.js';
import {
  exampleDir,
  readmeBlocks,
  readmeExamples,
  runExample,
  startExample,
  typecheckExamples,
} from './support/readme-examples.js';

const packages = new URL('../../', import.meta.url).pathname;
const dirOf = (name: string) => join(packages, name);

/** A fresh directory inside the package for a suite's runs, made only when the suite runs. */
function useExampleDir(packageDir: string): { readonly dir: string } {
  let current: ReturnType<typeof exampleDir> | undefined;
  beforeAll(() => {
    current = exampleDir(packageDir);
  });
  afterAll(() => current?.dispose());
  return {
    get dir() {
      if (current === undefined) throw new Error('the example directory exists only while its suite runs');
      return current.dir;
    },
  };
}

/** The examples each README has; a new one fails here until a test below runs it. */
const EXPECTED: Record<string, string[]> = {
  // websocket.mjs runs in packages/server/test/readme-websocket.test.ts, http2.mjs in
  // packages/server/test/readme-http2.test.ts, https.mjs in packages/server/test/readme-tls.test.ts.
  server: [
    'app.mjs',
    'inject.mjs',
    'error-shape.ts',
    'openapi.ts',
    'client.ts',
    'actor-route.mjs',
    'websocket.mjs',
    'http2.mjs',
    'https.mjs',
  ],
  config: ['cache-config.ts'],
  zephyr: ['show-config.ts'],
};

describe.each(Object.keys(EXPECTED))('%s README', (pkg) => {
  it('has no ts/js block that is not a named, tested example', () => {
    const blocks = readmeBlocks(readFileSync(join(dirOf(pkg), 'README.md'), 'utf8'));
    const code = blocks.filter((b) => b.lang === 'ts' || b.lang === 'js');
    const unnamed = code.filter((b) => b.name === undefined).map((b) => `README.md:${b.line}`);
    expect(unnamed, 'name each example on its first line (// file.ts) and run it here').toEqual([]);
    expect(code.map((b) => b.name).sort()).toEqual([...EXPECTED[pkg]!].sort());
  });

  it('has yaml blocks that are valid zephyr.config.yaml', () => {
    for (const block of readmeBlocks(readFileSync(join(dirOf(pkg), 'README.md'), 'utf8'))) {
      if (block.lang !== 'yaml') continue;
      expect(() =>
        parseConfig(block.code, { sections: zephyrConfigSections, source: `README.md:${block.line}` }),
      ).not.toThrow();
    }
  });
});

describe('@zephyr/server README', () => {
  const examples = readmeExamples(dirOf('server'));
  const work = useExampleDir(dirOf('server'));

  it('app.mjs: serves users from one process, ids counting up, plus health, static and 404 problems', async () => {
    mkdirSync(join(work.dir, 'public'));
    writeFileSync(join(work.dir, 'public', 'hello.txt'), 'hi');
    const app = await startExample(
      work.dir,
      examples.get('app.mjs')!,
      /listening on :(\d+) \((io_uring|node)\)/,
      {
        PORT: '0',
      },
    );
    try {
      const base = `http://127.0.0.1:${app.match[1]}`;
      const ids: number[] = [];
      for (const name of ['Lin', 'Grace', 'Edsger']) {
        const res = await fetch(`${base}/users`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name }),
        });
        expect(res.status).toBe(201);
        ids.push(((await res.json()) as { id: number }).id);
      }
      expect(ids).toEqual([2, 3, 4]);
      expect(await (await fetch(`${base}/users/3`)).json()).toEqual({ id: 3, name: 'Grace' });
      const missing = await fetch(`${base}/users/99`);
      expect([missing.status, ((await missing.json()) as { detail: string }).detail]).toEqual([
        404,
        'no user 99',
      ]);
      expect(await (await fetch(`${base}/api/v1/health`)).text()).toBe('ok');
      expect(await (await fetch(`${base}/assets/hello.txt`)).text()).toBe('hi');
    } finally {
      await app.stop();
    }
  });

  it('inject.mjs: prints what its comments say', async () => {
    const out = await runExample(work.dir, examples.get('inject.mjs')!);
    expect(out.trim().split('\n')).toEqual(['201 application/json; charset=utf-8 { created: true }', '201']);
  });

  it('error-shape.ts: a foreign error with status and retryAfter becomes a 429 with Retry-After', async () => {
    const out = await runExample(work.dir, examples.get('error-shape.ts')!);
    expect(out.trim()).toBe('429 60 daily quota used up');
  });

  it('actor-route.mjs: a route answered by an actor on a worker thread', async () => {
    const out = await runExample(work.dir, examples.get('actor-route.mjs')!);
    expect(out.trim()).toBe('200 1000 64');
  });
});

describe('@zephyr/server README, OpenAPI and client', () => {
  const examples = readmeExamples(dirOf('server'));
  const work = useExampleDir(dirOf('server'));

  it('openapi.ts: prints the version, paths, responses and the UI page type', async () => {
    const out = await runExample(work.dir, examples.get('openapi.ts')!);
    expect(out.trim().split('\n')).toEqual([
      "3.1.1 [ '/notes' ]",
      '400 413 415 2XX default',
      'text/html; charset=utf-8',
    ]);
  });

  it('the TypeScript examples typecheck, and the client refuses a wrong body at compile time', async () => {
    const ts = [...examples.values()].filter((b) => b.name!.endsWith('.ts'));
    const checked = await typecheckExamples(dirOf('server'), ts);
    expect(checked.output).toBe('');
    expect(checked.ok).toBe(true);
    const client = examples.get('client.ts')!;
    const wrong = {
      ...client,
      code: client.code.replace("{ body: { name: 'Ada' } }", '{ body: { name: 42 } }'),
    };
    expect(wrong.code).not.toBe(client.code);
    const refused = await typecheckExamples(dirOf('server'), [wrong]);
    expect(refused.ok).toBe(false);
    expect(refused.output).toMatch(
      /client\.ts\(\d+,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/,
    );
  }, 240_000);

  it('client.ts: prints the typed success and the problem of a refused body', async () => {
    const out = await runExample(work.dir, examples.get('client.ts')!);
    expect(out.trim().split('\n')).toEqual(['201 Ada', '400 ZEPHYR_ERR_VALIDATION']);
  });
});

describe('@zephyr/config README', () => {
  const examples = readmeExamples(dirOf('config'));
  const work = useExampleDir(dirOf('config'));

  it('cache-config.ts: prints 67108864 for the 64MB default', async () => {
    expect((await runExample(work.dir, examples.get('cache-config.ts')!)).trim()).toBe('67108864');
  });
});

describe('zephyr README', () => {
  const examples = readmeExamples(dirOf('zephyr'));
  const work = useExampleDir(dirOf('zephyr'));

  it('show-config.ts: prints the defaults without a file, and the README config as written', async () => {
    const example = examples.get('show-config.ts')!;
    const defaults = (await runExample(work.dir, example)).trim().split('\n');
    expect(defaults[0]).toBe('1 67108864');
    expect(defaults[1]).toMatch(/^\{ supported: (true|false)/);
    const yaml = readmeBlocks(readFileSync(join(dirOf('zephyr'), 'README.md'), 'utf8')).find(
      (b) => b.lang === 'yaml',
    );
    writeFileSync(join(work.dir, 'zephyr.config.yaml'), yaml!.code);
    expect((await runExample(work.dir, example)).trim().split('\n')[0]).toBe('auto 67108864');
  });
});
