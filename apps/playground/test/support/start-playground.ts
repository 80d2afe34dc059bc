// Starts the built playground as a child process, as users run it, and waits until it prints
// where it listens: the HTTP/2 and HTTP/3 tests share this, each with its own environment and
// its own reading of the "listening on" line.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const main = new URL('../../dist/main.js', import.meta.url).pathname;

/** A running playground and the port it listens on. */
export interface RunningPlayground {
  child: ChildProcess;
  port: number;
}

/**
 * Starts the playground with `env` over the test's own environment (a fresh data directory
 * each time). `portFrom` reads the output so far: it returns the port once the "listening on"
 * line is there, `undefined` until then, and throws when that line says something else than
 * the test asked for (the start then fails with its message).
 */
export async function startPlayground(
  env: Record<string, string>,
  portFrom: (output: string) => number | undefined,
): Promise<RunningPlayground> {
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      PORT: '0',
      PLAYGROUND_DATA_DIR: mkdtempSync(join(tmpdir(), 'zephyr-playground-')),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed in 60 s:\n${output}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      let found: number | undefined;
      try {
        found = portFrom(output);
      } catch (err) {
        clearTimeout(timer);
        reject(err);
        return;
      }
      if (found !== undefined) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.on('exit', (code) => reject(new Error(`playground exited with ${code}:\n${output}`)));
  });
  return { child, port };
}
