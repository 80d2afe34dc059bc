// The README's example runs as written: it starts, the dashboard it prints answers, and the
// control socket it prints evaluates in the app's scope.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect, it } from 'vitest';
import { ControlClient } from '../src/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The js/ts blocks of the README, by the file name on their first line. */
function examples(): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const match of readme.matchAll(/```(?:js|ts)\n\/\/ (\S+)\n([\s\S]*?)```/g))
    blocks.set(match[1]!, match[2]!);
  return blocks;
}

it('has exactly the examples the tests run', () => {
  // attach.mjs runs here; the `zephyr dev` app (src/app.ts, src/version.ts) is served and
  // reloaded by packages/cli/test/dev.test.ts, which reads it from this README.
  expect([...examples().keys()]).toEqual(['attach.mjs', 'src/app.ts', 'src/version.ts']);
  expect(readme.match(/```(?:js|ts)\n/g)).toHaveLength(3);
});

it('attach.mjs: prints the dashboard and the socket, both of which answer', async () => {
  // Beside this package, so its imports resolve as they would in an app that installed it.
  const file = new URL('./readme-attach.tmp.mjs', import.meta.url).pathname;
  writeFileSync(file, examples().get('attach.mjs')!);
  const runtimeDir = mkdtempSync(join(tmpdir(), 'devtools-readme-'));
  const child = spawn(process.execPath, [file], {
    env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir, NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const lines: string[] = [];
    const reader = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${lines.join('\n')}`)));
      reader.on('line', (line) => {
        lines.push(line);
        if (lines.length === 2) resolve();
      });
    });
    const dashboard = /^dashboard: (http:\/\/\S+\/_zephyr)$/.exec(lines[0]!)![1]!;
    const socket = /^control socket: (\S+\.sock)$/.exec(lines[1]!)![1]!;
    expect((await fetch(dashboard)).status).toBe(200);
    const client = await ControlClient.connect(socket);
    expect(await client.request('eval', { code: 'config.greeting' })).toEqual({
      output: "'hello'",
      error: false,
    });
    client.close();
  } finally {
    child.kill('SIGTERM');
    rmSync(file, { force: true });
    rmSync(runtimeDir, { recursive: true, force: true });
  }
});
