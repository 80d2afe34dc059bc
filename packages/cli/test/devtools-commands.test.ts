// `zephyr repl`, `zephyr profile` and `zephyr heap` against a running app (the devtools package's
// fixture: PGlite users, an actor system, an endpoint that leaks and one that spins), as a person
// runs them: the REPL at a real terminal (tmux), the others as commands whose output is read.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningProcess, start, zephyr, zephyrBin } from './running-process.js';

const fixture = new URL('../../devtools/test/fixtures/inspected-app.mjs', import.meta.url).pathname;
/** The flags devtools' own tests start the fixture with (see the fixture). */
const fixtureFlags: string[] = JSON.parse(
  readFileSync(
    new URL('../../devtools/test/fixtures/inspected-app-node-flags.json', import.meta.url),
    'utf8',
  ),
);

let root: string;
let runtimeDir: string;
let app: RunningProcess;
let port: number;
let env: Record<string, string>;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'zephyr-inspected-'));
  writeFileSync(join(root, 'zephyr.config.yaml'), 'server:\n  port: 0\n');
  runtimeDir = mkdtempSync(join(tmpdir(), 'zephyr-run-'));
  env = { XDG_RUNTIME_DIR: runtimeDir, NODE_ENV: 'development' };
  app = start(process.execPath, [...fixtureFlags, fixture], {
    cwd: root,
    env: { ...env, INSPECTED_APP_ROOT: root },
  });
  port = Number((await app.waitFor(/"port":(\d+)/))[1]);
});
afterAll(async () => {
  await app?.stop();
  rmSync(root, { recursive: true, force: true });
  rmSync(runtimeDir, { recursive: true, force: true });
});

async function appAnswers(): Promise<void> {
  expect(await (await fetch(`http://127.0.0.1:${port}/`)).json()).toEqual({ hello: 'world' });
}

/** Runs `zephyr args` without blocking this process (the app's load comes from here). */
async function zephyrAsync(
  args: string[],
  cwd = root,
): Promise<{ code: number | null; output: string; stdout: string }> {
  let stdout = '';
  const run = start(process.execPath, [zephyrBin, ...args], { cwd, env });
  run.child.stdout!.on('data', (d: Buffer) => {
    stdout += d;
  });
  const code = await run.exited;
  return { code, output: run.output(), stdout };
}

describe('zephyr repl at a terminal', () => {
  const socket = `zephyr-repl-test-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  afterAll(() => {
    try {
      tmux('kill-server');
    } catch {
      // no server left
    }
  });

  async function waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = tmux('capture-pane', '-p', '-t', 'repl');
      if (pattern.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`no ${pattern} on screen in ${timeoutMs} ms:\n${text}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('runs queries with top-level await, completes names, keeps history, and leaves the app running', async () => {
    const history = join(root, 'repl-history');
    const command = `env XDG_RUNTIME_DIR='${runtimeDir}' ZEPHYR_REPL_HISTORY='${history}' '${process.execPath}' '${zephyrBin}' repl`;
    tmux(
      'new-session',
      '-d',
      '-s',
      'repl',
      '-x',
      '150',
      '-y',
      '45',
      '-c',
      root,
      `${command}; echo "EXIT=$?"; sleep 600`,
    );
    await waitFor(/in scope: app, db, system, config/);
    await waitFor(/^zephyr>/m);

    tmux('send-keys', '-t', 'repl', 'await db.models.users.findMany()', 'Enter');
    const rows = await waitFor(/Grace Hopper/);
    expect(rows).toMatch(/name: 'Ada Lovelace'/);
    expect(rows).toMatch(/email: 'grace@example.com'/);

    // Tab completes from the app's own objects.
    tmux('send-keys', '-t', 'repl', 'config.ans', 'Tab');
    await waitFor(/zephyr> config\.answer/);
    tmux('send-keys', '-t', 'repl', 'Enter');
    await waitFor(/^42$/m);

    // An error is shown, not fatal; a big value is cut.
    tmux('send-keys', '-t', 'repl', 'null.boom', 'Enter');
    await waitFor(/Uncaught TypeError/);
    tmux('send-keys', '-t', 'repl', '"y".repeat(50000)', 'Enter');
    await waitFor(/more characters/);

    tmux('send-keys', '-t', 'repl', '.exit', 'Enter');
    await waitFor(/EXIT=0/);
    await appAnswers();
    expect(readFileSync(history, 'utf8')).toContain('await db.models.users.findMany()');
  });
});

describe('zephyr repl with piped input', () => {
  it('evaluates each complete input in order, multi-line ones too, and exits 0 at the end', () => {
    const result = spawnSync(process.execPath, [zephyrBin, 'repl'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      input: 'const rows = await db.models.users.findMany()\nrows.map((u) =>\n  u.name)\nconfig.answer\n',
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe("undefined\n[ 'Ada Lovelace', 'Grace Hopper' ]\n42\n");
  });
});

describe('zephyr profile and heap', () => {
  it('profile cpu writes a .cpuprofile and lists the busy function first, with progress', async () => {
    let running = true;
    const load = (async () => {
      while (running) await (await fetch(`http://127.0.0.1:${port}/burn?ms=40`)).json();
    })();
    const out = join(root, 'app.cpuprofile');
    const result = await zephyrAsync(['profile', 'cpu', '--seconds', '2', '--out', out]);
    running = false;
    await load;
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('profiling: 1 of 2 s');
    expect(existsSync(out)).toBe(true);
    const firstRow = result.stdout.split('\n')[1]!;
    expect(firstRow).toMatch(/^\s+[\d.]+\s+[\d.]+\s+spinTheWheel\s+\(file:.*inspected-app\.mjs:\d+:\d+\)$/);
  });

  it('heap snapshot and heap diff name the constructor that leaks', async () => {
    const before = join(root, 'before.heapsnapshot');
    const after = join(root, 'after.heapsnapshot');
    const pid = String(app.child.pid);
    const first = await zephyrAsync(['heap', 'snapshot', '--out', before, '--pid', pid], tmpdir());
    expect(first.code, first.output).toBe(0);
    expect(first.output).toContain('walking the heap');
    expect(first.stdout).toMatch(/count\s+shallow\s+retained\s+constructor/);
    expect(await (await fetch(`http://127.0.0.1:${port}/leak?n=20000`, { method: 'POST' })).json()).toEqual({
      leaked: 20_000,
    });
    expect((await zephyrAsync(['heap', 'snapshot', '--out', after])).code).toBe(0);
    const diff = await zephyrAsync(['heap', 'diff', before, after, '--top', '5']);
    expect(diff.code, diff.output).toBe(0);
    expect(diff.stdout.split('\n')[2]).toMatch(
      /^\s+\+20000\s+\+[\d.]+ KiB\s+\+[\d.]+ KiB\s+LeakyRequestContext$/,
    );
    await appAnswers();
  }, 240_000);

  it('says what is wrong when no app runs here or the arguments are bad', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'zephyr-no-app-'));
    const none = zephyr(['repl'], elsewhere, env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /no running app at .* has a control socket .*ZEPHYR_ERR_DEVTOOLS_NOT_RUNNING/,
    );
    expect(zephyr(['profile', 'cpu', '--seconds', 'soon'], root, env)).toMatchObject({ code: 2 });
    expect(zephyr(['profile', 'memory'], root, env).stderr).toContain('zephyr profile cpu --seconds');
    expect(zephyr(['heap', 'diff', 'one.heapsnapshot'], root, env).stderr).toContain('needs two snapshots');
    expect(zephyr(['repl', '--pid', 'abc'], root, env).stderr).toContain('--pid must be a process id');
    rmSync(elsewhere, { recursive: true, force: true });
  });
});
