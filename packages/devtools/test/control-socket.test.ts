// The control socket as a client meets it: where it is, who may open it, what it answers, and
// that nothing sent to it (garbage, huge lines, a client vanishing mid-profile) harms the app.
import { statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { createApp } from '@zephyr/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attachDevtools,
  ControlClient,
  type EvalResult,
  findControlSocket,
  MAX_REPL_OUTPUT,
  MAX_REQUEST_LINE,
} from '../src/index.js';
import { type InspectedApp, startInspectedApp } from './support/inspected-app.js';

let app: InspectedApp;
beforeAll(async () => {
  app = await startInspectedApp();
});
afterAll(async () => {
  await app?.stop();
});

/** Sends raw bytes and collects the reply lines until the app answers `count` of them or closes. */
function raw(payload: string | Buffer, count: number): Promise<{ lines: unknown[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(app.socket);
    let text = '';
    let closed = false;
    const done = () => {
      const lines = text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as unknown);
      if (lines.length >= count || closed) {
        socket.destroy();
        resolve({ lines, closed });
      }
    };
    socket.on('data', (d) => {
      text += d.toString();
      done();
    });
    socket.on('end', () => {
      closed = true;
      done();
    });
    socket.on('error', reject);
    socket.write(payload);
  });
}

async function appAnswers(): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${app.port}/`);
  expect(await response.json()).toEqual({ hello: 'world' });
}

async function evaluate(code: string): Promise<EvalResult> {
  const client = await ControlClient.connect(app.socket);
  try {
    return await client.request<EvalResult>('eval', { code });
  } finally {
    client.close();
  }
}

describe('where the socket is', () => {
  it('lives in a 0700 runtime directory, is itself 0600, and is named for the app root and pid', () => {
    const dir = join(app.runtimeDir, 'zephyr');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(app.socket).mode & 0o777).toBe(0o600);
    expect(app.socket.startsWith(`${dir}/`)).toBe(true);
    expect(app.socket.endsWith(`-${app.pid}.sock`)).toBe(true);
  });

  it('is found from the app root, from the pid, or given outright', () => {
    expect(findControlSocket({ root: app.root, env: app.env })).toBe(app.socket);
    expect(findControlSocket({ root: '/elsewhere', pid: app.pid, env: app.env })).toBe(app.socket);
    expect(findControlSocket({ root: '/elsewhere', socket: app.socket, env: app.env })).toBe(app.socket);
    expect(() => findControlSocket({ root: '/no/such/app', env: app.env })).toThrow(
      expect.objectContaining({ code: 'ZEPHYR_ERR_DEVTOOLS_NOT_RUNNING' }),
    );
    expect(() => findControlSocket({ root: app.root, pid: 1, env: app.env })).toThrow(
      /process 1 has no control socket/,
    );
  });
});

describe('malformed input', () => {
  it('answers garbage, non-objects and missing fields with an error frame, and keeps serving', async () => {
    const { lines } = await raw(
      'this is not json\n[1,2]\n{"id":"x","op":"hello"}\n{"id":1}\n{"id":2,"op":"nope"}\n',
      5,
    );
    expect(lines).toEqual([
      expect.objectContaining({
        id: null,
        type: 'error',
        error: expect.objectContaining({ code: 'ZEPHYR_ERR_DEVTOOLS_PROTOCOL' }),
      }),
      expect.objectContaining({
        id: null,
        type: 'error',
        error: expect.objectContaining({ message: 'a request must be a JSON object' }),
      }),
      expect.objectContaining({
        id: null,
        type: 'error',
        error: expect.objectContaining({ message: 'a request needs an integer "id"' }),
      }),
      expect.objectContaining({
        id: null,
        type: 'error',
        error: expect.objectContaining({ message: 'a request needs a string "op"' }),
      }),
      expect.objectContaining({
        id: 2,
        type: 'error',
        error: expect.objectContaining({ message: expect.stringMatching(/unknown op "nope"/) }),
      }),
    ]);
    await appAnswers();
  });

  it('refuses a line over the limit with an error frame and closes that connection only', async () => {
    const { lines, closed } = await raw(Buffer.alloc(MAX_REQUEST_LINE + 10, 'a'), 1);
    expect(lines[0]).toMatchObject({
      id: null,
      type: 'error',
      error: { code: 'ZEPHYR_ERR_DEVTOOLS_PROTOCOL' },
    });
    expect(closed || lines.length === 1).toBe(true);
    await appAnswers();
  });

  it('answers bad operation arguments with ZEPHYR_ERR_INVALID_ARGUMENT', async () => {
    const client = await ControlClient.connect(app.socket);
    await expect(client.request('eval', { code: 42 })).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_INVALID_ARGUMENT',
    });
    await expect(client.request('cpu-profile', { seconds: -1 })).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_INVALID_ARGUMENT',
    });
    await expect(client.request('cpu-profile', { seconds: 1e9 })).rejects.toThrow(
      /seconds must be a number in/,
    );
    client.close();
  });

  it('survives a client that leaves in the middle of a profile', async () => {
    const client = await ControlClient.connect(app.socket);
    const profiling = client.request('cpu-profile', { seconds: 2 }).catch((err: Error) => err);
    await new Promise((resolve) => setTimeout(resolve, 300));
    client.close();
    expect(await profiling).toBeInstanceOf(Error);
    await appAnswers();
    // The inspector is free again once the abandoned profile ends.
    const next = await ControlClient.connect(app.socket);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const result = await next
        .request('cpu-profile', { seconds: 0.2 })
        .catch((err: { code?: string }) => err);
      if ((result as { code?: string }).code !== 'ZEPHYR_ERR_DEVTOOLS_BUSY' || Date.now() > deadline) {
        expect(result).toMatchObject({ bytes: expect.any(Number) });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    next.close();
  });
});

describe('eval', () => {
  it('has app, db, system and config in scope, with top-level await', async () => {
    const rows = await evaluate('await db.models.users.findMany()');
    expect(rows).toMatchObject({ error: false, output: expect.stringContaining('Ada Lovelace') });
    expect(await evaluate('config.answer')).toEqual({ error: false, output: '42' });
    expect(await evaluate('typeof app.listen + " " + typeof system.spawn')).toEqual({
      error: false,
      output: "'function function'",
    });
  });

  it('keeps top-level declarations, including awaited ones, for later lines', async () => {
    await evaluate('const first = await db.models.users.findMany({ limit: 1 })');
    expect(await evaluate('first.length')).toEqual({ error: false, output: '1' });
    await evaluate('let n = 2');
    expect(await evaluate('n * 21')).toEqual({ error: false, output: '42' });
  });

  it('reports a thrown error as output, asks for more on incomplete input, and truncates big values', async () => {
    expect(await evaluate('null.x')).toMatchObject({
      error: true,
      output: expect.stringMatching(/^Uncaught TypeError/),
    });
    expect(await evaluate('[1, 2,')).toEqual({ recoverable: true });
    const big = await evaluate('"x".repeat(100000).split("").map((c, i) => c + i).join(",")');
    expect('output' in big && big.output.length).toBeLessThan(MAX_REPL_OUTPUT + 200);
    expect('output' in big && big.output).toMatch(/more characters not shown|\.\.\. \d+ more characters/);
  });

  it('interrupts an input that never ends after replTimeoutMs, and the app serves on', async () => {
    const started = performance.now();
    expect(await evaluate('while (true) {}')).toMatchObject({
      error: true,
      output: expect.stringMatching(/^Uncaught Error: Script execution timed out after 2000ms/),
    });
    expect(performance.now() - started).toBeLessThan(30_000);
    const res = await fetch(`http://127.0.0.1:${app.port}/`);
    expect(res.status).toBe(200);
    expect(await evaluate('config.answer')).toEqual({ error: false, output: '42' });
  });

  it('refuses a replTimeoutMs that is not a positive integer', async () => {
    for (const replTimeoutMs of [0, -1, 1.5, Number.NaN]) {
      await expect(attachDevtools({ app: createApp(), replTimeoutMs, socket: false })).rejects.toMatchObject({
        code: 'ZEPHYR_ERR_INVALID_ARGUMENT',
        message: expect.stringMatching(/replTimeoutMs/),
      });
    }
  });

  it('completes names in scope and properties', async () => {
    const client = await ControlClient.connect(app.socket);
    expect(await client.request('complete', { line: 'con' })).toEqual([
      expect.arrayContaining(['config', 'console']),
      'con',
    ]);
    expect(await client.request('complete', { line: 'db.mod' })).toEqual([['db.models'], 'db.mod']);
    expect(await client.request('complete', { line: 'await db.models.us' })).toEqual([
      ['db.models.users'],
      'db.models.us',
    ]);
    client.close();
  });
});
