// The WebSocket contract (src/websocket.ts) on both engines through `listen`: echo, large
// messages, the close handshake, handshake refusals and argument checks. Framing and the
// backpressure/idle/topic behaviour are covered further by @zephyr/server's tests and Autobahn.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  type EngineServer,
  type EngineWebSocket,
  listen,
  MAX_TOPIC_BYTES,
  type WebSocketHandlers,
  type WebSocketHub,
} from '../src/index.js';
import { ENGINES } from './conformance/harness.js';

const servers: EngineServer[] = [];
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close({ timeoutMs: 1000 })));
});

async function serve(engine: (typeof ENGINES)[number], handlers: WebSocketHandlers): Promise<EngineServer> {
  const server = await listen({ port: 0, host: '127.0.0.1', engine }, (_req, res) => res.status(404).end(), {
    upgrade: () => ({ accept: handlers, protocol: 'chat' }),
    limits: { perMessageDeflate: true },
  });
  servers.push(server);
  return server;
}

function open(port: number, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/any`, ['chat'], options);
    clients.push(ws);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const next = (ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> =>
  new Promise((resolve) => ws.once('message', (data: Buffer, binary: boolean) => resolve({ data, binary })));

/** The status line and headers a hand-written upgrade request gets. */
function rawUpgrade(port: number, headers: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(text.slice(0, text.indexOf('\r\n\r\n')));
      }
    });
    socket.on('error', reject);
    socket.write(`GET /x HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${headers}\r\n`);
  });
}

describe.each(ENGINES)('%s engine: WebSocket contract', (engine) => {
  it('echoes text and binary, large messages too, with the chosen subprotocol and deflate', async () => {
    const server = await serve(engine, {
      message: (ws, data, binary) => {
        ws.send(binary ? data : data.toString(), binary);
      },
    });
    for (const perMessageDeflate of [false, true]) {
      const ws = await open(server.port, { perMessageDeflate });
      expect(ws.protocol).toBe('chat');
      expect(ws.extensions.includes('permessage-deflate')).toBe(perMessageDeflate);
      let got = next(ws);
      ws.send('héllo');
      expect(await got).toEqual({ data: Buffer.from('héllo'), binary: false });
      // Larger than the engine's event buffer: it crosses in pieces and is whole again here.
      const big = randomBytes(5 * 1024 * 1024);
      got = next(ws);
      ws.send(big);
      const echoed = await got;
      expect(echoed.binary).toBe(true);
      expect(echoed.data.equals(big)).toBe(true);
    }
  });

  it('echoes a stream of messages around 16 KiB whole, intact and in order, text and binary', async () => {
    // Around the sizes the engines treat apart (on io_uring: 16 KiB sends travel beside the
    // command buffer; uncompressed messages from 4 KiB are received straight into their own
    // Buffers, others reach JS through the event buffer, past 64 KiB in pieces), several per
    // batch, each message the application's to keep after the next arrives, no two sharing bytes.
    const kept: Buffer[] = [];
    const server = await serve(engine, {
      message: (ws, data, binary) => {
        kept.push(data);
        ws.send(binary ? data : data.toString(), binary);
      },
    });
    for (const perMessageDeflate of [false, true]) {
      kept.length = 0;
      const ws = await open(server.port, { perMessageDeflate });
      const sent: { data: Buffer; binary: boolean }[] = [];
      const sizes = [4095, 4096, 5000, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 32 * 1024, 32 * 1024 + 1];
      for (const size of [...sizes, 70_000, 5, 300_000]) {
        sent.push({ data: randomBytes(size), binary: true });
        sent.push({ data: Buffer.from('é'.repeat(size >> 1)), binary: false });
      }
      const received: { data: Buffer; binary: boolean }[] = [];
      const all = new Promise<void>((resolve) =>
        ws.on('message', (data: Buffer, binary: boolean) => {
          received.push({ data, binary });
          if (received.length === sent.length) resolve();
        }),
      );
      for (const m of sent) ws.send(m.binary ? m.data : m.data.toString(), { binary: m.binary });
      await all;
      expect(received.map((m) => [m.data.length, m.binary])).toEqual(
        sent.map((m) => [m.data.length, m.binary]),
      );
      expect(received.every((m, i) => m.data.equals(sent[i]?.data as Buffer))).toBe(true);
      expect(kept.every((data, i) => data.equals(sent[i]?.data as Buffer))).toBe(true);
      // The application may write into its messages: every other one zeroed leaves the rest be.
      for (let i = 0; i < kept.length; i += 2) kept[i]?.fill(0);
      expect(kept.every((data, i) => i % 2 === 0 || data.equals(sent[i]?.data as Buffer))).toBe(true);
    }
  });

  it('publishes to subscribers with and without compression, interleaved with their own sends', async () => {
    let hub!: WebSocketHub;
    const server = await listen(
      { port: 0, host: '127.0.0.1', engine },
      (_req, res) => res.status(404).end(),
      {
        upgrade: () => ({
          protocol: 'chat',
          accept: {
            open: (ws) => ws.subscribe('news'),
            message: (ws, data) => {
              ws.send(data.toString());
            },
          },
        }),
        limits: { perMessageDeflate: true },
        attach: (h) => {
          hub = h;
        },
      },
    );
    servers.push(server);
    // Plain; deflate with the server's context kept across messages; deflate without it (one
    // compressed frame can serve all of those).
    const subscribers = await Promise.all([
      open(server.port, { perMessageDeflate: false }),
      open(server.port, { perMessageDeflate: true }),
      open(server.port, { perMessageDeflate: { serverNoContextTakeover: true } }),
      open(server.port, { perMessageDeflate: { serverNoContextTakeover: true } }),
    ]);
    await expect.poll(() => hub.subscribers('news')).toBe(4);
    const text = 'all the news that fits '.repeat(50);
    for (let round = 0; round < 3; round++) {
      const got = subscribers.map(next);
      expect(hub.publish('news', `${round}: ${text}`)).toBe(4);
      for (const message of await Promise.all(got)) expect(message.data.toString()).toBe(`${round}: ${text}`);
      // Each connection's own compressed stream still decodes after the shared frames.
      const echoes = subscribers.map(next);
      for (const [i, ws] of subscribers.entries()) ws.send(`echo ${i} ${round} ${text}`);
      const echoed = await Promise.all(echoes);
      for (const [i, m] of echoed.entries()) expect(m.data.toString()).toBe(`echo ${i} ${round} ${text}`);
    }
  });

  it('reports the close code and reason of a close handshake, once', async () => {
    const closes: Array<[number, string]> = [];
    let closedOnServer!: () => void;
    const done = new Promise<void>((resolve) => {
      closedOnServer = resolve;
    });
    const server = await serve(engine, {
      close: (_ws, code, reason) => {
        closes.push([code, reason]);
        closedOnServer();
      },
    });
    const ws = await open(server.port);
    const clientClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.close(4001, 'done here');
    await done;
    expect(await clientClosed).toBe(4001);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closes).toEqual([[4001, 'done here']]);
  });

  it('refuses a malformed handshake with 400 and an unknown version with a status naming 13', async () => {
    const server = await serve(engine, {});
    expect(
      await rawUpgrade(server.port, 'Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n'),
    ).toMatch(/^HTTP\/1\.1 400 /);
    const version = await rawUpgrade(
      server.port,
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 12\r\n`,
    );
    // ws (the node engine's framing) answers 400; the io_uring engine 426 with the version it speaks.
    if (engine === 'io_uring') expect(version).toMatch(/^HTTP\/1\.1 426 [\s\S]*sec-websocket-version: 13/i);
    else expect(version).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('checks its arguments: close codes and reasons, topics', async () => {
    let socket!: EngineWebSocket;
    let resolveOpened!: () => void;
    const opened = new Promise<void>((resolve) => {
      resolveOpened = resolve;
    });
    const server = await serve(engine, {
      open: (ws) => {
        socket = ws;
        resolveOpened();
      },
    });
    await open(server.port);
    await opened;
    const invalid = { code: 'ZEPHYR_ERR_INVALID_ARGUMENT' };
    expect(() => socket.close(1005)).toThrow(expect.objectContaining(invalid));
    expect(() => socket.close(2999)).toThrow(expect.objectContaining(invalid));
    expect(() => socket.close(1000, 'x'.repeat(124))).toThrow(expect.objectContaining(invalid));
    expect(() => socket.subscribe('')).toThrow(expect.objectContaining(invalid));
    expect(() => socket.subscribe('t'.repeat(MAX_TOPIC_BYTES + 1))).toThrow(expect.objectContaining(invalid));
    socket.subscribe('t'.repeat(MAX_TOPIC_BYTES));
    expect(socket.isSubscribed('t'.repeat(MAX_TOPIC_BYTES))).toBe(true);
  });
});
