// Every server limit at its boundary and one past it, with the hostile inputs each one exists to
// stop. Limits are small here so the suite stays fast; the defaults are checked in options.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineLimits, type EngineServer, RequestError } from '../../src/index.js';
import { ENGINES, open, parseResponses, raw, sleep, start, stop, testApp } from './harness.js';

const limits: Partial<EngineLimits> = {
  maxHeaderBytes: 1024,
  maxHeaderCount: 10,
  maxUrlLength: 256,
  maxBodyBytes: 1024,
  headerTimeoutMs: 400,
  requestTimeoutMs: 800,
  keepAliveTimeoutMs: 300,
};

/** A head of exactly `bytes` bytes (request line, fields, final CRLF) padded in one field. */
function headOfSize(bytes: number): string {
  const base = 'GET / HTTP/1.1\r\nHost: a\r\nX-Pad: \r\nConnection: close\r\n\r\n';
  return base.replace('X-Pad: ', `X-Pad: ${'p'.repeat(bytes - base.length)}`);
}

function headWithFields(count: number): string {
  // Host is one of the fields counted; Connection: close is another.
  const extra = Array.from({ length: count - 2 }, (_, i) => `X-F${i}: v\r\n`).join('');
  return `GET / HTTP/1.1\r\nHost: a\r\n${extra}Connection: close\r\n\r\n`;
}

describe.each(ENGINES)('%s engine: limits', (engine) => {
  let server: EngineServer | undefined;
  let port = 0;
  beforeAll(async () => {
    server = await start(engine, testApp, limits);
    port = server.port;
  });
  afterAll(() => stop(server));

  it('maxHeaderBytes counts the whole head: at the limit 200, one byte past 431', async () => {
    expect(headOfSize(1024)).toHaveLength(1024);
    expect((await raw(port, headOfSize(1024))).status).toBe(200);
    const past = await raw(port, headOfSize(1025));
    expect(past.status).toBe(431);
    expect(past.closed).toBe(true);
  });

  it('answers 431 to an endless head without waiting for its end', async () => {
    const result = await raw(port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(4096)}`);
    expect(result.status).toBe(431);
    expect(result.closed).toBe(true);
  });

  it('maxHeaderCount: at the limit 200, one field past 431', async () => {
    expect((await raw(port, headWithFields(10))).status).toBe(200);
    const past = await raw(port, headWithFields(11));
    expect(past.status).toBe(431);
    expect(past.closed).toBe(true);
  });

  it('maxUrlLength: a target at the limit 200 (404 route), one byte past 414', async () => {
    const at = `/${'u'.repeat(255)}`;
    expect((await raw(port, `GET ${at} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`)).status).toBe(404);
    const past = await raw(port, `GET ${at}u HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
    expect(past.status).toBe(414);
    expect(past.closed).toBe(true);
  });

  it('a refused request in a pipeline is answered in order, then the connection closes', async () => {
    const ok = 'GET /delay/20/first HTTP/1.1\r\nHost: a\r\n\r\n';
    const tooLong = `GET /${'u'.repeat(300)} HTTP/1.1\r\nHost: a\r\n\r\n`;
    const after = 'GET /delay/0/never HTTP/1.1\r\nHost: a\r\n\r\n';
    const result = await raw(port, ok + tooLong + after);
    expect(result.closed).toBe(true);
    const responses = parseResponses(result.text);
    expect(responses.map((r) => r.status)).toEqual([200, 414]);
    expect(responses[0]?.body).toBe('first');
  });

  it('maxBodyBytes with Content-Length: at the limit echoed, one past 413 before the body is sent', async () => {
    const at = await raw(
      port,
      `POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1024\r\nConnection: close\r\n\r\n${'x'.repeat(1024)}`,
    );
    expect(at.status).toBe(200);
    expect(parseResponses(at.text)[0]?.body).toHaveLength(1024);
    // Only the head goes out: the 413 must come without the engine waiting for 1025 bytes.
    const past = await raw(port, 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n', {
      waitMs: 1500,
    });
    expect(past.status).toBe(413);
    expect(past.closed).toBe(true);
  });

  it('maxBodyBytes with Expect: 100-continue refuses with 413 instead of 100', async () => {
    const result = await raw(
      port,
      'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n',
    );
    expect(result.status).toBe(413);
    expect(result.text).not.toContain('100 Continue');
  });

  it('maxBodyBytes with a chunked body: at the limit echoed, one byte past 413', async () => {
    const chunked = (n: number) =>
      `POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
      `200\r\n${'y'.repeat(512)}\r\n${(n - 512).toString(16)}\r\n${'y'.repeat(n - 512)}\r\n0\r\n\r\n`;
    const at = await raw(port, chunked(1024));
    expect(at.status).toBe(200);
    expect(parseResponses(at.text)[0]?.body).toHaveLength(1024);
    const past = await raw(port, chunked(1025));
    expect(past.status).toBe(413);
    expect(past.closed).toBe(true);
  });

  it('maxBodyBytes: a keep-alive body that grows past the limit mid-read gets 413 and a close', async () => {
    // The rest of the body is still on the wire after the 413, so the connection cannot carry
    // another request: it must close even though the client asked for keep-alive, and even when
    // the app renders the 413 itself (as a framework does) rather than letting the engine answer.
    const rendering = await start(
      engine,
      async (req, res) => {
        try {
          res.end(await req.body());
        } catch (err) {
          res.status(err instanceof RequestError ? err.status : 500).end('rendered by the app');
        }
      },
      limits,
    );
    const socket = await open(rendering.port);
    let text = '';
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.setEncoding('latin1').on('data', (d: string) => {
      text += d;
    });
    socket.on('error', () => {});
    socket.write(
      `POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n${'k'.repeat(512)}\r\n`,
    );
    await sleep(50);
    socket.write(`201\r\n${'k'.repeat(513)}\r\n`);
    const closedByServer = await Promise.race([closed.then(() => true), sleep(2000).then(() => false)]);
    socket.destroy();
    const [response] = parseResponses(text);
    expect(response?.status).toBe(413);
    expect(response?.headers.get('connection')).toBe('close');
    expect(closedByServer).toBe(true);
    await stop(rendering);
  });

  it('maxBodyBytes: a chunked body the handler never reads is cut off past the limit', async () => {
    const socket = await open(port);
    let text = '';
    let closed = false;
    socket.setEncoding('latin1').on('data', (d: string) => {
      text += d;
    });
    socket.on('close', () => {
      closed = true;
    });
    socket.on('error', () => {});
    // GET / answers without reading the body; the body keeps coming, 64 KiB against a 1 KiB limit.
    socket.write('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
    let sent = 0;
    for (; sent < 64 * 1024 && !closed; sent += 512) {
      socket.write(`200\r\n${'z'.repeat(512)}\r\n`);
      await sleep(2);
    }
    socket.destroy();
    expect(closed).toBe(true);
    // Cut off soon after the limit, not by requestTimeoutMs much later: a few KiB in flight at most.
    expect(sent).toBeLessThan(16 * 1024);
    expect([200, 413]).toContain(parseResponses(text)[0]?.status ?? 0);
  });

  it('headerTimeoutMs: a slowloris head dribbled byte by byte gets 408 and a close', async () => {
    const bytes = [...'GET / HTTP/1.1\r\nHost: a\r\nX-Slow: '.padEnd(60, 's')];
    const started = Date.now();
    const result = await raw(port, bytes, { gapMs: 20, waitMs: 2000 });
    const elapsed = Date.now() - started;
    expect(result.status).toBe(408);
    expect(result.closed).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(1800);
  });

  it('headerTimeoutMs: a slow second head on a keep-alive connection also gets 408', async () => {
    const first = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
    const slow = [...'GET / HTTP/1.1\r\nHost: a\r\nX-Slow: '.padEnd(50, 's')];
    const result = await raw(port, [first, ...slow], { gapMs: 20, waitMs: 2000 });
    const responses = parseResponses(result.text);
    expect(responses.map((r) => r.status)).toEqual([200, 408]);
    expect(result.closed).toBe(true);
  });

  it('headerTimeoutMs: a connection that sends nothing is closed with 408', async () => {
    const result = await raw(port, [], { waitMs: 2000 });
    expect(result.closed).toBe(true);
    expect([0, 408]).toContain(result.status);
  });

  it('headerTimeoutMs: a slow head that completes in time is served', async () => {
    const head = 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';
    const parts = [head.slice(0, 10), head.slice(10, 25), head.slice(25)];
    const result = await raw(port, parts, { gapMs: 80 });
    expect(result.status).toBe(200);
  });

  it('requestTimeoutMs: a body dribbled past the deadline gets 408 and a close', async () => {
    const head = 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n';
    const started = Date.now();
    const result = await raw(port, [head, ...'a'.repeat(20)], { gapMs: 100, waitMs: 2500 });
    expect(result.status).toBe(408);
    expect(result.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('requestTimeoutMs: a slow body that completes in time is served', async () => {
    const head = 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nConnection: close\r\n\r\n';
    const result = await raw(port, [head, 'ab', 'cd', 'ef'], { gapMs: 120 });
    expect(result.status).toBe(200);
    expect(result.text.endsWith('abcdef')).toBe(true);
  });

  it('keepAliveTimeoutMs: an idle connection is reusable before it and closed after it', async () => {
    const socket = await open(port);
    let text = '';
    let closedAt = 0;
    socket.setEncoding('latin1').on('data', (d: string) => {
      text += d;
    });
    socket.on('close', () => {
      closedAt = Date.now();
    });
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    while (parseResponses(text).length < 1) await sleep(5);
    await sleep(120);
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    while (parseResponses(text).length < 2) await sleep(5);
    const idleFrom = Date.now();
    const deadline = idleFrom + 2000;
    while (closedAt === 0 && Date.now() < deadline) await sleep(10);
    expect(closedAt).toBeGreaterThan(0);
    expect(closedAt - idleFrom).toBeGreaterThanOrEqual(250);
    expect(closedAt - idleFrom).toBeLessThan(1500);
  });
});

describe.each(ENGINES)('%s engine: maxConnections', (engine) => {
  let server: EngineServer | undefined;
  beforeAll(async () => {
    server = await start(engine, testApp, { maxConnections: 4 });
  });
  afterAll(() => stop(server));

  it('closes connections past the limit at accept and accepts again once one leaves', async () => {
    const held = await Promise.all(Array.from({ length: 4 }, () => open(server!.port)));
    // Each held connection has been served once, so the server has certainly accepted it.
    for (const socket of held) {
      let text = '';
      socket.setEncoding('latin1').on('data', (d: string) => {
        text += d;
      });
      socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      while (parseResponses(text).length < 1) await sleep(5);
    }
    const refused = await raw(server!.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { waitMs: 1500 });
    expect(refused.closed).toBe(true);
    expect(refused.text).toBe('');
    held[0]!.destroy();
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      await sleep(50);
      status = (
        await raw(server!.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', { waitMs: 500 })
      ).status;
    }
    expect(status).toBe(200);
    for (const socket of held) socket.destroy();
  });
});
