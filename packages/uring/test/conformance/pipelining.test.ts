// What a connection may hold and for how long: streamed responses with requests pipelined behind
// them, and sockets released as soon as the client has gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineServer, RequestHandler } from '../../src/index.js';
import { ENGINES, ENGINES_OVER, open, parseResponses, raw, sleep, start, stop } from './harness.js';

const STREAM_BYTES = 4 << 20;
const CHUNK = Buffer.alloc(64 << 10, 0x61);

const app: RequestHandler = async (req, res) => {
  if (req.path === '/stream') {
    // A well-behaved streamer: waits for drain whenever write() says so.
    res.setHeader('content-length', String(STREAM_BYTES));
    for (let sent = 0; sent < STREAM_BYTES; sent += CHUNK.length) {
      if (!res.write(CHUNK)) await new Promise<void>((resolve) => res.onDrain(resolve));
    }
    res.end();
    return;
  }
  res.end('next');
};

describe.each(ENGINES_OVER)('%s engine over %s: pipelining', (engine, transport) => {
  let server: EngineServer | undefined;
  beforeAll(async () => {
    server = await start(engine, app, {}, transport);
  });
  afterAll(() => stop(server));

  it('completes a streamed response that waits for drain with a request pipelined behind it', async () => {
    const socket = await open(server!.port);
    let received = 0;
    let text = '';
    const done = new Promise<void>((resolve, reject) => {
      socket.on('data', (d: Buffer) => {
        received += d.length;
        // Keep only the tail: the second response follows the 4 MiB body.
        text = (text + d.toString('latin1')).slice(-4096);
        if (received > STREAM_BYTES && /\r\n\r\nnext$/.test(text)) resolve();
      });
      socket.on('error', reject);
      setTimeout(() => reject(new Error(`stalled after ${received} bytes`)), 20_000).unref();
    });
    socket.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n');
    await done;
    socket.destroy();
    expect(received).toBeGreaterThan(STREAM_BYTES);
  });
});

describe.each(ENGINES)('%s engine: connection lifetime', (engine) => {
  let server: EngineServer | undefined;
  beforeAll(async () => {
    server = await start(engine, app, { maxConnections: 1 });
  });
  afterAll(() => stop(server));

  it('releases a Connection: close connection as soon as the client has read it and gone', async () => {
    // maxConnections is 1: a socket kept lingering after the client left refuses the next one.
    // The response is large, so that it is still being sent when the request's read has ended.
    for (let i = 0; i < 4; i++) {
      const { text, closed } = await raw(
        server!.port,
        'GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        { waitMs: 5000 },
      );
      expect(closed, `round ${i}`).toBe(true);
      expect(parseResponses(text)[0]?.body.length, `round ${i}`).toBe(STREAM_BYTES);
    }
  });
});

describe.each(ENGINES)('%s engine: a client that pipelines and never reads', (engine) => {
  let server: EngineServer | undefined;
  let started = 0;
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const big = Buffer.alloc(256 << 10, 0x62);
  beforeAll(async () => {
    server = await start(
      engine,
      async (req, res) => {
        if (req.path === '/big') {
          started++;
          await gate;
          res.end(big);
          return;
        }
        res.end('ok');
      },
      { writeTimeoutMs: 500, maxConnections: 1 },
    );
  });
  afterAll(() => stop(server));

  it('starts at most 16 handlers, then drops the connection once its output stops moving', async () => {
    const hog = await open(server!.port);
    hog.on('error', () => {});
    hog.pause(); // never reads
    hog.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(200));
    await sleep(500);
    expect(started).toBeGreaterThan(0);
    expect(started).toBeLessThanOrEqual(16);
    release();
    // maxConnections is 1: the next client is served only once the hog has been dropped.
    const deadline = Date.now() + 8000;
    let served = false;
    while (!served && Date.now() < deadline) {
      const { text } = await raw(server!.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', {
        waitMs: 500,
      });
      served = parseResponses(text)[0]?.body === 'ok';
      if (!served) await sleep(100);
    }
    hog.destroy();
    expect(served).toBe(true);
    expect(started).toBeLessThan(200);
  });
});

describe.each(ENGINES)('%s engine: a reset while the socket is not being read', (engine) => {
  let server: EngineServer | undefined;
  let aborted = 0;
  beforeAll(async () => {
    server = await start(engine, async (req, res) => {
      req.onAbort(() => {
        aborted++;
      });
      // The handler is slow: the engine has read the whole (last) request and is not reading.
      await sleep(1500);
      res.end('late');
    });
  });
  afterAll(() => stop(server));

  it('is seen at once: onAbort fires long before the handler would have answered', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => open(server!.port)));
    for (const c of clients) {
      c.on('error', () => {});
      c.write('GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    }
    await sleep(100);
    const resetAt = Date.now();
    for (const c of clients) c.resetAndDestroy();
    while (aborted < 20 && Date.now() - resetAt < 1000) await sleep(10);
    expect(aborted).toBe(20);
  });
});
