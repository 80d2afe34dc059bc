import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '@zephyr/devtools';
import { describe, expect, it } from 'vitest';
import { type RunningProcess, start, zephyr, zephyrBin } from './running-process.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

function appDir(config: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'zephyr-start-'));
  writeFileSync(join(dir, 'zephyr.config.yaml'), config);
  return dir;
}

async function startApp(dir: string, args: string[] = []): Promise<{ app: RunningProcess; url: string }> {
  const app = start(process.execPath, [zephyrBin, 'start', '--entry', fixture('app.js'), ...args], {
    cwd: dir,
    env: { ZEPHYR_SERVER__PORT: '0' },
  });
  const [, url] = await app.waitFor(/listening on (http:\/\/\S+\/)/);
  return { app, url: url! };
}

describe('zephyr start', () => {
  it('opens the devtools control socket by itself when the devtools section asks for it', async () => {
    const dir = appDir('devtools:\n  socket: true\n  repl_timeout_ms: 1000\n');
    const { app, url } = await startApp(dir);
    try {
      const [, socket] = await app.waitFor(/devtools control socket (\S+) \(pid \d+\)/);
      const client = await ControlClient.connect(socket!);
      try {
        const evaluate = (code: string) => client.request('eval', { code });
        expect(await evaluate('typeof app.listen + " " + config.devtools.socket')).toEqual({
          error: false,
          output: "'function true'",
        });
        // The configured REPL timeout: a runaway input is cut off and the app serves on.
        expect(await evaluate('while (true) {}')).toMatchObject({
          error: true,
          output: expect.stringMatching(/timed out after 1000ms/),
        });
      } finally {
        client.close();
      }
      expect((await fetch(url)).status).toBe(200);
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });

  it('opens no devtools socket without the devtools section', async () => {
    const { app, url } = await startApp(appDir('server:\n  io_engine: node\n'));
    try {
      expect((await fetch(url)).status).toBe(200);
      expect(app.output()).not.toContain('devtools');
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });

  it.each(['io_uring', 'node'])('serves on the %s engine named in zephyr.config.yaml', async (engine) => {
    const dir = appDir(`server:\n  io_engine: ${engine}\n`);
    const { app, url } = await startApp(dir);
    try {
      expect(app.output()).toContain(`(engine ${engine}`);
      expect(app.output()).toContain(`config ${join(dir, 'zephyr.config.yaml')}`);
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ engine });
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });

  it('drains an in-flight request on SIGTERM, then runs the app close, then exits 0', async () => {
    const { app, url } = await startApp(appDir('server:\n  shutdown_timeout_ms: 10000\n'));
    const slow = fetch(`${url}slow`);
    await app.waitFor(/slow request started/);
    const exit = app.stop('SIGTERM');
    const res = await slow;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('finished');
    expect(await exit).toBe(0);
    const out = app.output();
    expect(out.indexOf('draining')).toBeLessThan(out.indexOf('fixture: closed'));
    expect(out).toContain('zephyr start: stopped');
  });

  it('runs the workers of zephyr.config.yaml, each re-running the entry, and drains them on SIGTERM', async () => {
    const dir = appDir('server:\n  workers: 2\n  io_engine: node\n');
    const { app, url } = await startApp(dir);
    try {
      expect(app.output()).toContain('2 workers');
      const pids = new Set<number>();
      for (let i = 0; i < 8; i++) {
        const res = await fetch(url, { headers: { connection: 'close' } });
        expect(res.status).toBe(200);
        pids.add(((await res.json()) as { pid: number }).pid);
      }
      expect(pids.has(app.child.pid!)).toBe(false);
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });

  it('refuses PGlite in several workers, which would share one data directory, naming the fix', async () => {
    const dir = appDir('server:\n  workers: 2\n  io_engine: node\n');
    const app = start(process.execPath, [zephyrBin, 'start', '--entry', fixture('app-with-pglite.js')], {
      cwd: dir,
      env: { ZEPHYR_SERVER__PORT: '0' },
    });
    await app.waitFor(/PGlite is embedded in one process and cannot be shared by several workers/);
    expect(await app.exited).not.toBe(0);
    expect(app.output()).not.toContain('listening on');
    expect(app.output()).toContain('zephyr start: the workers did not start');
  });

  it('finds zephyr.config.yaml above the working directory', async () => {
    const dir = appDir('server:\n  io_engine: node\n');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'sub'));
    const { app } = await startApp(join(dir, 'sub'));
    try {
      expect(app.output()).toContain('(engine node');
    } finally {
      await app.stop();
    }
  });

  it('says what is wrong with a missing entry or one that is not an app', () => {
    const dir = appDir('');
    const missing = zephyr(['start'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${join(dir, 'dist/app.js')} does not exist: build the app first`);
    const wrong = zephyr(['start', '--entry', fixture('not-an-app.js')], dir);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('the default export must be an App');
  });

  it('refuses an invalid configuration before starting anything', () => {
    const dir = appDir('server:\n  workers: many\n');
    const result = zephyr(['start', '--entry', fixture('app.js')], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${join(dir, 'zephyr.config.yaml')}:2:12 server.workers`);
  });
});
