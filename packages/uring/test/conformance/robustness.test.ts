// Failures in the application or the client must cost one request, never the process; files go
// out by range; close() drains; a slow body consumer pushes back on the client.
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineServer, RequestHandler } from '../../src/index.js';
import { ENGINES, open, parseResponses, raw, sleep, start, stop, testApp } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'zephyr-conformance-'));
const file = join(dir, 'bytes.bin');
// Byte i is i % 251, so any range is recognisable.
const content = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
writeFileSync(file, content);
const fd = openSync(file, 'r');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Everything of testApp plus routes for files, aborts and slow body consumption. */
function app(events: {
  aborted: number;
  slowRead: number[];
  slowStarted: number;
  hangStarted: number;
}): RequestHandler {
  return async (req, res) => {
    const params = new URLSearchParams(req.query);
    const range = {
      ...(params.has('offset') ? { offset: Number(params.get('offset')) } : {}),
      ...(params.has('length') ? { length: Number(params.get('length')) } : {}),
    };
    switch (req.path) {
      case '/file':
        await res.sendFile(file, range);
        return;
      case '/fd':
        await res.sendFile(fd, range);
        return;
      case '/hang':
        events.hangStarted++;
        req.onAbort(() => {
          events.aborted++;
        });
        return;
      case '/slow-read': {
        // Reads one chunk, stalls, then drains the rest: the client must feel the stall.
        let total = 0;
        let stalled = false;
        for await (const chunk of req.bodyStream()) {
          total += chunk.length;
          if (!stalled) {
            stalled = true;
            events.slowRead.push(total);
            await sleep(600);
          }
        }
        res.end(String(total));
        return;
      }
      case '/write-after-end':
        res.end('done');
        try {
          res.write('late');
        } catch {
          // Either engine may refuse the late write with an error; it must not crash the process.
        }
        return;
      case '/slow':
        events.slowStarted++;
        await sleep(300);
        res.end('finally');
        return;
      default:
        await testApp(req, res);
    }
  };
}

describe.each(ENGINES)('%s engine: robustness', (engine) => {
  let server: EngineServer | undefined;
  let base = '';
  const events = { aborted: 0, slowRead: [] as number[], slowStarted: 0, hangStarted: 0 };
  beforeAll(async () => {
    server = await start(engine, app(events), { maxBodyBytes: 64 * 1024 * 1024 });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => stop(server));

  it.each(['throw', 'reject'])(
    'a handler that %ss gets 500, and the next connection is served',
    async (path) => {
      const res = await fetch(`${base}/${path}`);
      expect(res.status).toBe(500);
      await res.arrayBuffer();
      const next = await raw(server!.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      expect(next.status).toBe(200);
    },
  );

  it('a write after end() is refused without harm: the response stands, the process lives', async () => {
    const res = await fetch(`${base}/write-after-end`);
    expect(await res.text()).toBe('done');
    await sleep(50);
    expect((await fetch(`${base}/`)).status).toBe(200);
  });

  it('sendFile sends a whole file, a range by path, and a range by fd', async () => {
    const whole = await fetch(`${base}/file`);
    expect(whole.headers.get('content-length')).toBe(String(content.length));
    expect(Buffer.from(await whole.arrayBuffer()).equals(content)).toBe(true);
    const byPath = await fetch(`${base}/file?offset=1000&length=5000`);
    expect(byPath.headers.get('content-length')).toBe('5000');
    expect(Buffer.from(await byPath.arrayBuffer()).equals(content.subarray(1000, 6000))).toBe(true);
    const rest = await fetch(`${base}/fd?offset=99990`);
    expect(Buffer.from(await rest.arrayBuffer()).equals(content.subarray(99_990))).toBe(true);
    // A range past the end of the file is the handler's error: 500, nothing half-sent.
    const past = await fetch(`${base}/file?offset=99990&length=20`);
    expect(past.status).toBe(500);
    await past.arrayBuffer();
  });

  it('calls onAbort when the client leaves before the response, and keeps serving', async () => {
    const before = events.aborted;
    const hangs = events.hangStarted;
    const socket = await open(server!.port);
    socket.write('GET /hang HTTP/1.1\r\nHost: a\r\n\r\n');
    while (events.hangStarted === hangs) await sleep(5);
    socket.destroy();
    const deadline = Date.now() + 2000;
    while (events.aborted === before && Date.now() < deadline) await sleep(10);
    expect(events.aborted).toBe(before + 1);
    expect((await fetch(`${base}/`)).status).toBe(200);
  });

  it('survives clients resetting mid-head, mid-body and mid-response', async () => {
    const resets = [
      'GET / HTTP/1.1\r\nHost: a\r\nX-Half: ',
      'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\npartial body',
      'POST /count HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123',
      'GET /file HTTP/1.1\r\nHost: a\r\n\r\n',
    ];
    for (const payload of resets) {
      const socket = await open(server!.port);
      socket.on('error', () => {});
      socket.write(payload);
      await sleep(30);
      socket.resetAndDestroy();
    }
    await sleep(100);
    const next = await raw(server!.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(next.status).toBe(200);
  });

  it('applies backpressure: a stalled bodyStream consumer stops the client writing', async () => {
    const size = 48 * 1024 * 1024;
    const socket = await open(server!.port);
    let text = '';
    socket.setEncoding('latin1').on('data', (d: string) => {
      text += d;
    });
    socket.write(
      `POST /slow-read HTTP/1.1\r\nHost: a\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n`,
    );
    socket.write(Buffer.alloc(size, 7));
    await sleep(300);
    // The engine may buffer some, and the kernel more, but not 48 MiB while the handler sleeps.
    expect(socket.writableLength).toBeGreaterThan(8 * 1024 * 1024);
    const deadline = Date.now() + 10_000;
    while (parseResponses(text).length < 1 && Date.now() < deadline) await sleep(20);
    socket.destroy();
    expect(parseResponses(text)[0]?.body).toBe(String(size));
  }, 15_000);

  it('close() lets an in-flight request finish, then resolves and refuses new connections', async () => {
    const own = await start(engine, app(events));
    const started = events.slowStarted;
    const pending = fetch(`http://127.0.0.1:${own.port}/slow`).then(async (r) => [r.status, await r.text()]);
    // close() only once the request is in flight: before that its connection is idle, and may go.
    while (events.slowStarted === started) await sleep(5);
    const closeStarted = Date.now();
    await own.close({ timeoutMs: 5000 });
    expect(await pending).toEqual([200, 'finally']);
    expect(Date.now() - closeStarted).toBeLessThan(2000);
    await expect(open(own.port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('close() closes idle keep-alive connections at once and destroys hung ones after timeoutMs', async () => {
    const own = await start(engine, app(events));
    const idle = await open(own.port);
    let idleClosed = false;
    idle.on('close', () => {
      idleClosed = true;
    });
    idle.on('error', () => {});
    idle.resume();
    idle.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await sleep(50);
    const hangs = events.hangStarted;
    const hung = await open(own.port);
    hung.on('error', () => {});
    hung.write('GET /hang HTTP/1.1\r\nHost: a\r\n\r\n');
    while (events.hangStarted === hangs) await sleep(5);
    const started = Date.now();
    const closing = own.close({ timeoutMs: 800 });
    // The idle connection goes well before the timeout; the hung one holds close() until it.
    while (!idleClosed && Date.now() - started < 500) await sleep(10);
    expect(idleClosed).toBe(true);
    await closing;
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(750);
    expect(took).toBeLessThan(2000);
    hung.destroy();
    idle.destroy();
  });
});
