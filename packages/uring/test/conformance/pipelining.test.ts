// What a connection may hold and for how long: streamed responses with requests pipelined behind
// them, and sockets released as soon as the client has gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineServer, RequestHandler } from '../../src/index.js';
import { ENGINES, open, parseResponses, raw, start, stop } from './harness.js';

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

describe.each(ENGINES)('%s engine: pipelining', (engine) => {
  let server: EngineServer | undefined;
  beforeAll(async () => {
    server = await start(engine, app);
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
