// WebSocket over TLS (`wss`) on both engines: rustls on the ring carrying the Rust WebSocket
// session on io_uring, node:https with `ws` on the node engine. A real `ws` client that verifies
// the test certificate (its own CA, no verification switched off): text, a message far larger
// than a TLS record and than the engine's event buffer, permessage-deflate both ways, topics,
// the close handshake in both directions, and a client that vanishes mid-message.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type EngineServer, listen, type WebSocketHandlers, type WebSocketHub } from '../src/index.js';
import { ENGINES } from './conformance/harness.js';
import { localhostCertificate } from './tls-fixture.js';

const servers: EngineServer[] = [];
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close({ timeoutMs: 1000 })));
});

async function serveWss(
  engine: (typeof ENGINES)[number],
  handlers: WebSocketHandlers,
  attach?: (hub: WebSocketHub) => void,
): Promise<EngineServer> {
  const server = await listen(
    { port: 0, host: '127.0.0.1', engine, tls: localhostCertificate() },
    (_req, res) => res.status(404).end(),
    {
      upgrade: () => ({ accept: handlers }),
      limits: { perMessageDeflate: true },
      ...(attach ? { attach } : {}),
    },
  );
  servers.push(server);
  return server;
}

/** A `ws` client over TLS that trusts only the test certificate. */
function openWss(port: number, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://localhost:${port}/any`, {
      ca: readFileSync(localhostCertificate().cert),
      ...options,
    });
    clients.push(ws);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const next = (ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> =>
  new Promise((resolve) => ws.once('message', (data: Buffer, binary: boolean) => resolve({ data, binary })));

const echo: WebSocketHandlers = {
  message: (ws, data, binary) => {
    ws.send(binary ? data : data.toString(), binary);
  },
};

describe.each(ENGINES)('%s engine: wss', (engine) => {
  it('echoes text and a 5 MiB binary message, with and without permessage-deflate', async () => {
    const server = await serveWss(engine, echo);
    for (const perMessageDeflate of [false, true]) {
      const ws = await openWss(server.port, { perMessageDeflate });
      expect(ws.extensions.includes('permessage-deflate')).toBe(perMessageDeflate);
      let got = next(ws);
      ws.send('héllo over tls');
      expect(await got).toEqual({ data: Buffer.from('héllo over tls'), binary: false });
      // Hundreds of TLS records each way; compressible, so deflate really shrinks it on the wire.
      const big = Buffer.concat([randomBytes(1024 * 1024), Buffer.alloc(4 * 1024 * 1024, 'z')]);
      got = next(ws);
      ws.send(big);
      const echoed = await got;
      expect(echoed.binary).toBe(true);
      expect(echoed.data.equals(big)).toBe(true);
      // Many small messages in a row keep their order across records.
      const many = Array.from({ length: 200 }, (_, i) => `m${i}`);
      const received: string[] = [];
      const all = new Promise<void>((resolve) => {
        ws.on('message', (data: Buffer) => {
          received.push(data.toString());
          if (received.length === many.length) resolve();
        });
      });
      for (const m of many) ws.send(m);
      await all;
      expect(received).toEqual(many);
      ws.removeAllListeners('message');
    }
  });

  it('publishes to subscribers over TLS', async () => {
    let hub!: WebSocketHub;
    const server = await serveWss(engine, { open: (ws) => ws.subscribe('news') }, (h) => {
      hub = h;
    });
    const subscribers = await Promise.all([
      openWss(server.port, { perMessageDeflate: false }),
      openWss(server.port, { perMessageDeflate: { serverNoContextTakeover: true } }),
    ]);
    await expect.poll(() => hub.subscribers('news')).toBe(2);
    const text = 'secure news '.repeat(300);
    const got = subscribers.map(next);
    expect(hub.publish('news', text)).toBe(2);
    for (const m of await Promise.all(got)) expect(m.data.toString()).toBe(text);
  });

  it('completes the close handshake either way, with code and reason', async () => {
    const closes: Array<[number, string]> = [];
    const server = await serveWss(engine, {
      message: (ws, data) => {
        if (data.toString() === 'bye') ws.close(4002, 'server says bye');
      },
      close: (_ws, code, reason) => {
        closes.push([code, reason]);
      },
    });
    // Client-initiated.
    const a = await openWss(server.port);
    const aClosed = new Promise<number>((resolve) => a.once('close', (code) => resolve(code)));
    a.close(4001, 'client done');
    expect(await aClosed).toBe(4001);
    await expect.poll(() => closes.length).toBe(1);
    // Server-initiated: the client sees the server's code and reason, and the server reports
    // the echo of its close.
    const b = await openWss(server.port);
    const bClosed = new Promise<[number, string]>((resolve) =>
      b.once('close', (code, reason: Buffer) => resolve([code, reason.toString()])),
    );
    b.send('bye');
    expect(await bClosed).toEqual([4002, 'server says bye']);
    await expect.poll(() => closes.length).toBe(2);
    expect(closes[0]).toEqual([4001, 'client done']);
    expect(closes[1]?.[0]).toBe(4002);
  });

  it('reports 1006 for a client that vanishes mid-message, and keeps serving others', async () => {
    const closes: number[] = [];
    const server = await serveWss(engine, {
      ...echo,
      close: (_ws, code) => {
        closes.push(code);
      },
    });
    const gone = await openWss(server.port, { perMessageDeflate: false });
    // Half of a large frame, then the TCP connection is cut.
    gone.send(randomBytes(2 * 1024 * 1024));
    gone.terminate();
    await expect.poll(() => closes, { timeout: 10_000 }).toEqual([1006]);
    const ws = await openWss(server.port);
    const got = next(ws);
    ws.send('still here');
    expect((await got).data.toString()).toBe('still here');
  });
});
