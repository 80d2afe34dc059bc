import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { z } from 'zod';
import { type App, type AppListenOptions, createApp, HttpError, type Server } from '../src/index.js';
import { clientFrame, closed, nextMessage, openClient, rawUpgrade } from './support/ws-clients.js';

const servers: Server[] = [];
const clients: WebSocket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const ENGINES = ['node', 'io_uring'] as const;

describe.each(ENGINES)('app.ws on the %s engine', (engine) => {
  async function serve(
    app: App,
    websocket: AppListenOptions['websocket'] = {},
  ): Promise<{ server: Server; url: string }> {
    const server = await app.listen({ port: 0, engine, websocket });
    servers.push(server);
    return { server, url: `ws://127.0.0.1:${server.port}` };
  }

  async function client(url: string, options?: WebSocket.ClientOptions): Promise<WebSocket> {
    const ws = await openClient(url, options);
    clients.push(ws);
    return ws;
  }

  it('echoes text and binary with typed params and the data upgrade returned', async () => {
    const app = createApp();
    app.ws('/echo/:room', {
      upgrade: (c) => ({ user: c.cookie('user') ?? 'guest', room: c.params.room }),
      open: (ws) => {
        ws.send(`hello ${ws.data.user} in ${ws.params.room}`);
      },
      message: (ws, message) => {
        ws.send(message);
      },
    });
    const { url } = await serve(app);
    const ws = await client(`${url}/echo/lobby`, { headers: { cookie: 'user=ada' } });
    // The greeting is sent in open, before any client message.
    expect(await nextMessage(ws)).toBe('hello ada in lobby');
    ws.send('ping me');
    expect(await nextMessage(ws)).toBe('ping me');
    ws.send(Buffer.from([1, 2, 3]));
    expect(await nextMessage(ws)).toEqual(Buffer.from([1, 2, 3]));
  });

  it('refuses an upgrade with the status its route or middleware gives, before accepting', async () => {
    const app = createApp();
    app.use(async (c, next) => {
      if (c.req.header('x-banned') === '1') throw new HttpError(403, 'banned');
      await next();
    });
    app.ws('/private', {
      upgrade: (c) => {
        if (c.req.header('authorization') !== 'Bearer good') throw new HttpError(401, 'who are you?');
        return { ok: true };
      },
    });
    const { server } = await serve(app);
    const denied = await rawUpgrade(server.port, '/private');
    expect(denied.status).toBe(401);
    expect(denied.head).toMatch(/content-type: application\/problem\+json/i);
    denied.socket.destroy();
    const banned = await rawUpgrade(server.port, '/private', {
      authorization: 'Bearer good',
      'x-banned': '1',
    });
    expect(banned.status).toBe(403);
    banned.socket.destroy();
    const missing = await rawUpgrade(server.port, '/nowhere');
    expect(missing.status).toBe(404);
    missing.socket.destroy();
    const ok = await rawUpgrade(server.port, '/private', { authorization: 'Bearer good' });
    expect(ok.status).toBe(101);
    ok.socket.destroy();
  });

  it('answers a plain GET to a WebSocket route with 426, and serves other Upgrade requests as HTTP', async () => {
    const app = createApp();
    app.ws('/live', {});
    app.get('/plain', (c) => c.text('plain'));
    const { server } = await serve(app);
    const res = await fetch(`http://127.0.0.1:${server.port}/live`);
    expect(res.status).toBe(426);
    expect(res.headers.get('upgrade')).toBe('websocket');
    // curl offers h2c this way; with a WebSocket listener installed it must still get its answer.
    const { connect } = await import('node:net');
    const socket = connect(server.port, '127.0.0.1');
    socket.write(
      'GET /plain HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n',
    );
    // The request ignored its Upgrade and is answered as HTTP; the connection may stay open.
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => {
        text += d.toString();
        if (text.endsWith('plain')) resolve(text);
      });
      socket.on('end', () => resolve(text));
    });
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toMatch(/plain$/);
  });

  it('validates JSON messages with the schema: 1007 without an invalid handler, survival with one', async () => {
    const app = createApp();
    const schema = z.object({ type: z.literal('say'), text: z.string().max(10) });
    app.ws('/strict', {
      schema,
      message: (ws, msg) => {
        ws.send({ echoed: msg.text });
      },
    });
    app.ws('/lenient', {
      schema,
      invalid: (ws, error) => {
        ws.send({ error: error.code, issues: error.issues });
      },
      message: (ws, msg) => {
        ws.send({ echoed: msg.text });
      },
    });
    const { url } = await serve(app);
    const strict = await client(`${url}/strict`);
    strict.send(JSON.stringify({ type: 'say', text: 'hi' }));
    expect(JSON.parse(String(await nextMessage(strict)))).toEqual({ echoed: 'hi' });
    const strictClosed = closed(strict);
    strict.send(JSON.stringify({ type: 'say', text: 'far too long for it' }));
    const { code, reason } = await strictClosed;
    expect(code).toBe(1007);
    expect(reason).toMatch(/text/);

    const lenient = await client(`${url}/lenient`);
    lenient.send('not json');
    expect(JSON.parse(String(await nextMessage(lenient)))).toMatchObject({
      error: 'ZEPHYR_ERR_WS_INVALID_MESSAGE',
    });
    lenient.send(Buffer.from([1]));
    expect(JSON.parse(String(await nextMessage(lenient))).issues[0].message).toMatch(/binary/);
    lenient.send(JSON.stringify({ type: 'say', text: 'still here' }));
    expect(JSON.parse(String(await nextMessage(lenient)))).toEqual({ echoed: 'still here' });
  });

  it('publishes to a topic once for every subscriber, and only to them', async () => {
    const app = createApp();
    app.ws('/rooms/:room', {
      open: (ws) => {
        ws.subscribe(`room:${ws.params.room}`);
        ws.send('joined');
      },
      message: (ws, text) => {
        app.publish(`room:${ws.params.room}`, { room: ws.params.room, text: String(text) });
      },
    });
    const { url } = await serve(app);
    const [a, b, other] = await Promise.all([
      client(`${url}/rooms/1`),
      client(`${url}/rooms/1`),
      client(`${url}/rooms/2`),
    ]);
    await Promise.all([nextMessage(a), nextMessage(b), nextMessage(other)]);
    const gotA = nextMessage(a);
    const gotB = nextMessage(b);
    a.send('hi all');
    expect(JSON.parse(String(await gotA))).toEqual({ room: '1', text: 'hi all' });
    expect(JSON.parse(String(await gotB))).toEqual({ room: '1', text: 'hi all' });
    expect(app.publish('room:2', 'direct')).toBe(1);
    // The room-1 broadcast did not reach room 2: the next thing it got is the direct publish.
    expect(await nextMessage(other)).toBe('direct');
    expect(app.publish('room:none', 'x')).toBe(0);
    expect(() => app.publish('', 'x')).toThrow(/topic/);
  });

  it('negotiates permessage-deflate when enabled, and not by default', async () => {
    const app = createApp();
    app.ws('/z', { message: (ws, m) => void ws.send(m) });
    const on = await serve(app, { perMessageDeflate: true });
    const compressed = await client(`${on.url}/z`, { perMessageDeflate: true });
    expect(compressed.extensions).toMatch(/permessage-deflate/);
    compressed.send('squeeze me '.repeat(100));
    expect(await nextMessage(compressed)).toBe('squeeze me '.repeat(100));
    const off = await serve(app);
    const plain = await client(`${off.url}/z`, { perMessageDeflate: true });
    expect(plain.extensions).toBe('');
  });

  it('closes a message over maxPayloadBytes with 1009', async () => {
    const app = createApp();
    app.ws('/small', { message: (ws, m) => void ws.send(m) });
    const { url } = await serve(app, { maxPayloadBytes: 1024 });
    const ws = await client(`${url}/small`);
    const done = closed(ws);
    ws.send('x'.repeat(1025));
    expect((await done).code).toBe(1009);
  });

  it('refuses connections past maxConnections with 503', async () => {
    const app = createApp();
    app.ws('/one', {});
    const { url, server } = await serve(app, { maxConnections: 1 });
    await client(`${url}/one`);
    const second = await rawUpgrade(server.port, '/one');
    expect(second.status).toBe(503);
    second.socket.destroy();
  });

  it('reports sent/buffered/dropped and closes a slow consumer past maxBackpressureBytes', async () => {
    const app = createApp();
    const statuses: string[] = [];
    let closeCode = 0;
    const closedOnServer = new Promise<void>((resolve) => {
      app.ws('/firehose', {
        open: (ws) => {
          const chunk = Buffer.alloc(64 * 1024, 7);
          // The client never reads: the kernel buffers fill, then ours, then the policy acts.
          for (let i = 0; i < 2000; i++) {
            const status = ws.send(chunk);
            statuses.push(status);
            if (status === 'dropped') break;
          }
        },
        close: (_ws, code) => {
          closeCode = code;
          resolve();
        },
      });
    });
    const { server } = await serve(app, { maxBackpressureBytes: 256 * 1024 });
    const slow = await rawUpgrade(server.port, '/firehose');
    expect(slow.status).toBe(101);
    await closedOnServer;
    expect(statuses[0]).toMatch(/sent|buffered/);
    expect(statuses).toContain('buffered');
    expect(statuses.at(-1)).toBe('dropped');
    expect(closeCode).toBe(1006);
    slow.socket.destroy();
  });

  it('drops a subscriber that never reads once publishes pass maxBackpressureBytes, and keeps the others', async () => {
    const app = createApp();
    let slowClosed: number | undefined;
    app.ws('/feed', {
      open: (ws) => ws.subscribe('feed'),
      close: (_ws, code) => {
        slowClosed = code;
      },
    });
    const { server, url } = await serve(app, { maxBackpressureBytes: 1024 * 1024 });
    const slow = await rawUpgrade(server.port, '/feed'); // never reads
    const fast = await client(`${url}/feed`);
    let received = 0;
    fast.on('message', () => {
      received += 1;
    });
    await expect.poll(() => app.publish('feed', 'warm-up'), { timeout: 10_000 }).toBe(2);
    const start = received;
    const chunk = Buffer.alloc(16 * 1024, 1);
    let published = 0;
    // Up to 64 MiB, 8 at a time, each batch read by the fast subscriber before the next.
    while (slowClosed === undefined && published < 4096) {
      for (let i = 0; i < 8; i++) app.publish('feed', chunk);
      published += 8;
      await expect
        .poll(() => received - start >= published || slowClosed !== undefined, { timeout: 10_000 })
        .toBe(true);
    }
    expect(slowClosed).toBe(1006);
    expect(published).toBeLessThan(4096);
    expect(fast.readyState).toBe(WebSocket.OPEN);
    const last = new Promise((resolve) => fast.once('message', (d) => resolve(String(d))));
    expect(app.publish('feed', 'still here')).toBe(1);
    expect(await last).toBe('still here');
    slow.socket.destroy();
  });

  it("with the 'drop' policy keeps the slow consumer, drops messages, and emits drain once it reads", async () => {
    const app = createApp();
    const statuses: string[] = [];
    const drained = new Promise<void>((resolve) => {
      app.ws('/drop', {
        open: (ws) => {
          const chunk = Buffer.alloc(64 * 1024, 7);
          for (let i = 0; i < 2000; i++) {
            const status = ws.send(chunk);
            statuses.push(status);
            if (status === 'dropped') break;
          }
        },
        drain: (ws) => {
          expect(ws.bufferedAmount).toBe(0);
          resolve();
        },
      });
    });
    const { server } = await serve(app, { maxBackpressureBytes: 256 * 1024, backpressurePolicy: 'drop' });
    const slow = await rawUpgrade(server.port, '/drop');
    await expect.poll(() => statuses.at(-1), { timeout: 10_000 }).toBe('dropped');
    slow.socket.resume(); // now read everything
    await drained;
    slow.socket.destroy();
  });

  it('pings an idle connection and closes one that does not answer with 1001', async () => {
    const app = createApp();
    app.ws('/idle', {});
    const { server, url } = await serve(app, { idleTimeoutMs: 400 });
    // A real client answers pings and stays.
    const live = await client(`${url}/idle`);
    let pinged = false;
    live.on('ping', () => {
      pinged = true;
    });
    // A raw client that never answers.
    const dead = await rawUpgrade(server.port, '/idle');
    const frames: Buffer[] = [];
    dead.socket.on('data', (d: Buffer) => frames.push(d));
    dead.socket.resume();
    await new Promise<void>((resolve) => dead.socket.once('end', () => resolve()));
    const all = Buffer.concat(frames);
    expect(all[0]).toBe(0x89); // the ping
    const close = all.indexOf(0x88);
    expect(all.readUInt16BE(close + 2)).toBe(1001);
    expect(pinged).toBe(true);
    expect(live.readyState).toBe(WebSocket.OPEN);
  });

  it('fails the connection on a protocol error from the client (unmasked frame: 1002)', async () => {
    const app = createApp();
    app.ws('/proto', {});
    const { server } = await serve(app);
    const raw = await rawUpgrade(server.port, '/proto');
    const got: Buffer[] = [];
    raw.socket.on('data', (d: Buffer) => got.push(d));
    raw.socket.resume();
    const frame = clientFrame(1, Buffer.from('hi'));
    frame[1]! &= 0x7f; // clear the mask bit, keep the (now unmasked) bytes
    raw.socket.write(frame.subarray(0, 2));
    raw.socket.write(Buffer.from('hi'));
    await new Promise<void>((resolve) => raw.socket.once('close', () => resolve()));
    const all = Buffer.concat(got);
    expect(all[0]).toBe(0x88);
    expect(all.readUInt16BE(2)).toBe(1002);
  });

  it('validates its limits when listening', async () => {
    const app = createApp();
    app.ws('/x', {});
    await expect(app.listen({ port: 0, engine, websocket: { maxPayloadBytes: 0 } })).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_INVALID_ARGUMENT',
    });
    await expect(
      app.listen({ port: 0, engine, websocket: { backpressurePolicy: 'wait' as never } }),
    ).rejects.toMatchObject({ code: 'ZEPHYR_ERR_INVALID_ARGUMENT' });
  });

  it('serves WebSocket routes on the engine asked for', async () => {
    const app = createApp();
    app.ws('/x', {});
    const server = await app.listen({ port: 0, engine });
    servers.push(server);
    expect(server.engine).toBe(engine);
    const ws = await client(`ws://127.0.0.1:${server.port}/x`);
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });
});
