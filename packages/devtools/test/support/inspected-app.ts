import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** A running fixture app (test/fixtures/inspected-app.mjs) and the runtime directory it uses. */
export interface InspectedApp {
  readonly port: number;
  readonly socket: string;
  readonly engine: string;
  readonly pid: number;
  /** Its `XDG_RUNTIME_DIR` (the control socket is in `<dir>/zephyr`). */
  readonly runtimeDir: string;
  /** Its app root (names the socket). */
  readonly root: string;
  readonly child: ChildProcess;
  readonly env: Record<string, string>;
  /** Output so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export const fixture = new URL('../fixtures/inspected-app.mjs', import.meta.url).pathname;

/**
 * Node flags the fixture runs with: no inlining and no on-stack replacement, so profiles name
 * `spinTheWheel` (see the fixture). Kept in a JSON file beside it, which the cli's tests read too.
 */
export const INSPECTED_APP_NODE_FLAGS: readonly string[] = JSON.parse(
  readFileSync(new URL('../fixtures/inspected-app-node-flags.json', import.meta.url), 'utf8'),
);

/** Starts the fixture app with its own runtime directory and waits until it listens. */
export async function startInspectedApp(extraEnv: Record<string, string> = {}): Promise<InspectedApp> {
  const runtimeDir = mkdtempSync(join(tmpdir(), 'devtools-run-'));
  const root = mkdtempSync(join(tmpdir(), 'devtools-root-'));
  const env = {
    ...(process.env as Record<string, string>),
    XDG_RUNTIME_DIR: runtimeDir,
    INSPECTED_APP_ROOT: root,
    NODE_ENV: 'development',
    ...extraEnv,
  };
  const child = spawn(process.execPath, [...INSPECTED_APP_NODE_FLAGS, fixture], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<{ port: number; socket: string; engine: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start in 60 s:\n${output}`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the app exited (${code}) before listening:\n${output}`));
    });
    lines.on('line', (line) => {
      output += `${line}\n`;
      if (!line.startsWith('{')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line) as { port: number; socket: string; engine: string });
    });
  });
  return {
    ...ready,
    pid: child.pid!,
    runtimeDir,
    root,
    child,
    env,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(runtimeDir, { recursive: true, force: true });
      rmSync(root, { recursive: true, force: true });
    },
  };
}
