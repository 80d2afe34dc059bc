import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter, createActorPool, createActorSystem, limiterMiddleware } from '../src/index.js';
import { NatsServer } from './nats-servers.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const dist = new URL('../dist/index.js', import.meta.url).href;

/** The first ```js block after `heading`. */
function example(heading: string): string {
  const at = readme.indexOf(`${heading}\n`);
  expect(at, heading).toBeGreaterThanOrEqual(0);
  const code = /```js\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  expect(code, heading).toBeDefined();
  return code!;
}

describe('README', () => {
  it('runs the example as written and prints what its comments say', () => {
    const script = example('## Example').replace("from '@zephyr/runtime'", `from ${JSON.stringify(dist)}`);
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });
    expect(out.trim().split('\n')).toEqual(['2', 'ZEPHYR_ERR_ACTOR_FAILED', '0']);
  });

  it('runs the distributed-mode example against a real nats-server with a password user', async () => {
    const server = await NatsServer.start({
      config:
        'authorization { users: [ { user: node, password: "pw", permissions: { publish: ["zph.shop.>", "$SRV.>", "_INBOX.>"], subscribe: ["zph.shop.>", "$SRV.>", "_INBOX.>"] } } ] }',
    });
    // Beside the fixture actors, so `./actors.js` can point at them.
    const file = new URL('./fixtures/.readme-distributed.mjs', import.meta.url);
    try {
      const script = example('## Distributed mode (NATS)')
        .replace("from '@zephyr/runtime'", `from ${JSON.stringify(dist)}`)
        .replaceAll("'./actors.js'", "'./thread-actors.js'")
        .replace('nats://127.0.0.1:4222', server.url);
      writeFileSync(file, script);
      const out = execFileSync(process.execPath, [fileURLToPath(file)], {
        encoding: 'utf8',
        env: { ...process.env, NATS_PASS: 'pw' },
      });
      expect(out.trim().split('\n')).toEqual(['3', 'true']);
    } finally {
      rmSync(file, { force: true });
      await server.kill();
    }
  });

  it('runs the thread options example; the same example with a cap below 3 MB is refused', () => {
    const script = example('## Worker threads').replace(
      "from '@zephyr/runtime'",
      `from ${JSON.stringify(dist)}`,
    );
    expect(script).toContain('maxYoungGenerationSizeMb: 6');
    // A file, not `-e`: worker threads inherit the execArgv, and `--input-type` stops them.
    const file = new URL('./fixtures/.readme-threads.mjs', import.meta.url);
    const run = (code: string) => {
      writeFileSync(file, code);
      return execFileSync(process.execPath, [fileURLToPath(file)], { encoding: 'utf8', stdio: 'pipe' });
    };
    try {
      expect(run(script)).toBe('');
      expect(() => run(script.replace('maxYoungGenerationSizeMb: 6', 'maxYoungGenerationSizeMb: 2'))).toThrow(
        /maxYoungGenerationSizeMb must be an integer in 3\.\.1024/,
      );
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('runs the module of actor kinds from @zephyr/runtime/actor on an actor thread', async () => {
    const code = example('### Modules of actor kinds');
    expect(code).toContain("from '@zephyr/runtime/actor'");
    // Beside the fixtures: the worker thread imports it by URL, with the import pointed at dist.
    const file = new URL('./fixtures/.readme-hasher.mjs', import.meta.url);
    writeFileSync(
      file,
      code.replace(
        "from '@zephyr/runtime/actor'",
        `from ${JSON.stringify(new URL('../dist/actor-module.js', import.meta.url).href)}`,
      ),
    );
    const system = await createActorSystem({ config: { actor_threads: 1 }, modules: [file] });
    try {
      const { hasher } = (await import(file.href)) as { hasher: Parameters<typeof createActorPool>[1] };
      const pool = createActorPool(system, hasher);
      await expect(pool.ask({ type: 'hash', text: 'abc' })).resolves.toBe(
        createHash('sha256').update('abc').digest('hex'),
      );
    } finally {
      await system.shutdown();
      rmSync(file, { force: true });
    }
  });

  it('runs the limiter middleware example: past max running and maxQueue waiting, requests get 503', async () => {
    const at = readme.indexOf('### As `@zephyr/server` middleware');
    const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
    expect(code).toBeDefined();
    type Ctx = { req: { signal: AbortSignal }; answered?: number; status(n: number): void };
    const stack: ((c: Ctx, next: () => Promise<void>) => Promise<void>)[] = [];
    // The smallest host with `use`: the snippet runs as written against it.
    const app = { use: (mw: (typeof stack)[number]) => stack.push(mw) };
    new Function('app', 'limiterMiddleware', 'ConcurrencyLimiter', code!)(
      app,
      limiterMiddleware,
      ConcurrencyLimiter,
    );
    expect(stack).toHaveLength(1);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const requests = Array.from({ length: 64 + 256 + 1 }, () => {
      const c: Ctx = {
        req: { signal: new AbortController().signal },
        status(n) {
          this.answered = n;
        },
      };
      return { c, done: stack[0]!(c, () => gate) };
    });
    await requests.at(-1)!.done;
    expect(requests.at(-1)!.c.answered).toBe(503);
    release();
    await Promise.all(requests.map((r) => r.done));
    expect(requests.filter((r) => r.c.answered === 503)).toHaveLength(1);
  });
});
