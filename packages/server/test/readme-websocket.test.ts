// Runs the README's WebSocket example as written (imports pointed at this package and its zod).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closed, nextMessage, openClient } from './support/ws-clients.js';

const here = import.meta.dirname;
const readme = readFileSync(join(here, '../README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## WebSockets'));
const example = /```js\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
const file = join(mkdtempSync(join(tmpdir(), 'zephyr-readme-')), 'websocket-example.mjs');

afterAll(async () => {
  const { server } = (await import(file)) as { server: { close(): Promise<void> } };
  await server.close();
});

describe('README: WebSockets', () => {
  it('runs: refuses without the cookie, validates, and broadcasts to the room', async () => {
    expect(example).toContain("app.ws('/chat/:room'");
    const zod = createRequire(join(here, '../package.json')).resolve('zod');
    const code = example
      .replace("from '@zephyr/server'", `from ${JSON.stringify(join(here, '../src/index.ts'))}`)
      .replace("from 'zod'", `from ${JSON.stringify(zod)}`);
    writeFileSync(file, `${code}\nexport { server };\n`);
    const { server } = (await import(file)) as { server: { port: number } };
    const url = `ws://127.0.0.1:${server.port}/chat/42`;
    await expect(openClient(url)).rejects.toThrow(/401/);
    const a = await openClient(url, { headers: { cookie: 'user=ada' } });
    const b = await openClient(url, { headers: { cookie: 'user=bob' } });
    a.send(JSON.stringify({ text: 'hi' }));
    expect(JSON.parse(String(await nextMessage(b)))).toEqual({ from: 'ada', text: 'hi' });
    const gone = closed(b);
    b.send(JSON.stringify({ text: '' }));
    expect((await gone).code).toBe(1007);
    a.terminate();
  });
});
