// The playground serves HTTP/2 when configured (server.http2.enabled, here from the environment):
// curl by prior knowledge and over HTTP/1.1 on the same port; the app is unchanged.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const main = new URL('../dist/main.js', import.meta.url).pathname;

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', ...args], { timeout: 20_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

describe('playground with server.http2.enabled', () => {
  let child: ChildProcess;
  let url = '';
  beforeAll(async () => {
    child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        PORT: '0',
        ZEPHYR_IO_ENGINE: 'node',
        ZEPHYR_SERVER__HTTP2__ENABLED: 'true',
        PLAYGROUND_DATA_DIR: mkdtempSync(join(tmpdir(), 'zephyr-playground-h2-')),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed in 60 s:\n${output}`)), 60_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk;
        const match = /listening on (http:\/\/\S+\/)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.on('exit', (code) => reject(new Error(`playground exited with ${code}:\n${output}`)));
    });
  }, 90_000);
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('answers over h2c and HTTP/1.1 on one port', async () => {
    expect(await curl(['--http2-prior-knowledge', '-w', ' %{http_version}', `${url}health`])).toBe('ok 2');
    expect(await curl(['-w', ' %{http_version}', `${url}health`])).toBe('ok 1.1');
  });
});
