import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RunningProcess, start, zephyrBin } from './running-process.js';

const RELOADS = 20;
const cliNodeModules = new URL('../node_modules', import.meta.url).pathname;
const wrkSummary = new URL('./fixtures/wrk-summary.lua', import.meta.url).pathname;

interface WrkTotals {
  requests: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
}

/**
 * Runs wrk against `url` until `stop` is called, then resolves with its totals. wrk is the load
 * generator here because it honours `connection: close` and counts a connection that ends with a
 * request on it as a read error (autocannon writes its next request regardless and reconnects
 * silently, which neither proves nor disproves a graceful handover).
 */
function startWrk(url: string): { stop(): Promise<WrkTotals> } {
  const wrk = spawn('wrk', ['-t1', '-c8', '-d1h', '--timeout', '10s', '-s', wrkSummary, url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  wrk.stdout.on('data', (chunk: Buffer) => {
    out += chunk;
  });
  wrk.stderr.on('data', (chunk: Buffer) => {
    out += chunk;
  });
  const exited = new Promise<void>((resolve, reject) => {
    wrk.once('error', reject);
    wrk.once('exit', () => resolve());
  });
  return {
    async stop() {
      // wrk ends its run on SIGINT and prints its totals (the Lua `done`).
      wrk.kill('SIGINT');
      await exited;
      const line = /^\{"requests".*\}$/m.exec(out);
      if (!line) throw new Error(`wrk printed no totals:\n${out}`);
      return JSON.parse(line[0]) as WrkTotals;
    },
  };
}

/** Rewrites the module the app's response comes from, as an editor's save does. */
function writeVersion(dir: string, source: string): void {
  writeFileSync(join(dir, 'src/version.ts'), source);
}

/** The `// <file>` ts blocks of @zephyr/devtools' README: the app its `zephyr dev` section shows. */
function readmeApp(): Map<string, string> {
  const readme = readFileSync(new URL('../../devtools/README.md', import.meta.url), 'utf8');
  const files = new Map<string, string>();
  for (const [, name, body] of readme.matchAll(/```ts\n\/\/ (\S+)\n([\s\S]*?)```/g)) files.set(name!, body!);
  return files;
}

/** The README's TypeScript app, laid out as `zephyr new` does, serving `{ version }` from src/version.ts. */
function appDir(engine: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'zephyr-dev-'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'zephyr.config.yaml'), `server:\n  io_engine: ${engine}\n`);
  // The app's dependencies, as an install would link them (watched by no one: node_modules is ignored).
  symlinkSync(cliNodeModules, join(dir, 'node_modules'));
  mkdirSync(join(dir, 'src'));
  const files = readmeApp();
  expect([...files.keys()]).toEqual(['src/app.ts', 'src/version.ts']);
  for (const [name, body] of files) writeFileSync(join(dir, name), body);
  return dir;
}

async function startDev(dir: string, engine: string): Promise<{ dev: RunningProcess; url: string }> {
  const dev = start(process.execPath, [zephyrBin, 'dev', '--port', '0'], { cwd: dir });
  const [, url, , served] = await dev.waitFor(/serving on (http:\/\/127\.0\.0\.1:(\d+)\/) \(engine (\S+),/);
  expect(served).toBe(engine);
  return { dev, url: url! };
}

/** Resolves once `count` lines matching `line` have been printed. */
function waitForLines(dev: RunningProcess, line: string, count: number) {
  return dev.waitFor(new RegExp(`(?:[\\s\\S]*?${line}){${count}}`), 120_000);
}

/**
 * The version served, on a new connection: a pooled keep-alive connection to the old generation
 * could be reused at the instant it closes it as idle (the keep-alive race of every server's
 * shutdown, which browsers answer by retrying and fetch does not).
 */
async function servedVersion(url: string): Promise<unknown> {
  const res = await fetch(url, { headers: { connection: 'close' } });
  return res.json();
}

/** Fetches on new connections until the response is `version` (the old generation may still be handing over). */
async function untilServed(url: string, version: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await servedVersion(url);
    if ((last as { version: number }).version === version) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`still serving ${JSON.stringify(last)}, expected version ${version}`);
}

describe.each(['io_uring', 'node'])('zephyr dev on the %s engine', (engine) => {
  it(`reloads ${RELOADS} times under load with 0 failed requests and 0 socket errors`, async () => {
    const dir = appDir(engine);
    const { dev, url } = await startDev(dir, engine);
    try {
      const wrk = startWrk(url);
      let totals: WrkTotals;
      try {
        for (let version = 2; version <= RELOADS + 1; version++) {
          writeVersion(dir, `export const version: number = ${version};\n`);
          await waitForLines(dev, '↻ reloaded in \\d+ ms \\(src/version\\.ts\\)', version - 1);
          await untilServed(url, version);
        }
      } finally {
        totals = await wrk.stop();
      }
      // read: a connection that ended with a request on it; status: a non-2xx/3xx answer.
      const { requests, ...wrkErrors } = totals;
      expect(wrkErrors, dev.output()).toEqual({ connect: 0, read: 0, write: 0, status: 0, timeout: 0 });
      expect(requests).toBeGreaterThan(RELOADS);
      expect(dev.output().match(/↻ reloaded in \d+ ms/g)).toHaveLength(RELOADS);
    } finally {
      expect(await dev.stop('SIGINT')).toBe(0);
    }
    expect(dev.output()).toContain('zephyr dev: stopped');
  }, 900_000);

  it('keeps the old generation serving through a syntax error and a throw at startup, with a code frame', async () => {
    const dir = appDir(engine);
    const { dev, url } = await startDev(dir, engine);
    try {
      writeVersion(dir, 'export const version: number = ;\n');
      await dev.waitFor(
        /✗ reload failed \(src\/version\.ts\); generation 1 keeps serving\n.*Unexpected ";"\n {2}at src\/version\.ts:1:32\n> 1 \| export const version: number = ;\n {4}\| {32}\^/,
      );
      expect(await servedVersion(url)).toEqual({ version: 1 });

      writeVersion(dir, "export const version: number = 2;\nthrow new Error('no database here');\n");
      await dev.waitFor(
        /✗ reload failed \(src\/version\.ts\); generation 1 keeps serving\nError: no database here\n {2}at src\/version\.ts:2:7\n {2}1 \| export const version: number = 2;\n> 2 \| throw new Error\('no database here'\);\n {4}\| {7}\^/,
      );
      expect(await servedVersion(url)).toEqual({ version: 1 });

      writeVersion(dir, 'export const version: number = 4;\n');
      await dev.waitFor(/↻ reloaded in \d+ ms \(src\/version\.ts\)/);
      await untilServed(url, 4);
    } finally {
      expect(await dev.stop('SIGINT')).toBe(0);
    }
  }, 300_000);
});
