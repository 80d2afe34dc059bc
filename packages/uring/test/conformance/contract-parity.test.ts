// Requests on which the node engine used to part from the io_uring engine (and from the README).
// Each case runs on both engines: the same bytes in must give the same answer out.
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineServer, RequestHandler } from '../../src/index.js';
import { ENGINES, open, parseResponses, raw, sleep, start, statusOf, stop, testApp } from './harness.js';

const GET = (host: string) => `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`;

describe.each(ENGINES)('%s engine: the contract where llhttp differs', (engine) => {
  let server: EngineServer;
  beforeAll(async () => {
    server = await start(engine, testApp);
  });
  afterAll(() => stop(server));

  it.each([
    ['a second Host field', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
    ['a Host value with a space', GET('a b')],
    ['a Host value with a slash', GET('a/b')],
    ['a Host value with userinfo', GET('user@a')],
  ])('refuses %s with 400 and a close', async (_name, request) => {
    const r = await raw(server.port, request);
    expect(r.status).toBe(400);
    expect(r.closed).toBe(true);
  });

  it('accepts a Host of host:port, an IPv6 literal, and an empty Host', async () => {
    for (const host of ['example.com:8080', '[::1]:80', '']) {
      const r = await raw(server.port, GET(host), { waitMs: 300 });
      expect(r.status, host).toBe(200);
    }
  });

  it.each(['1.2', '3.0', '2.0'])('answers HTTP/%s with 505', async (version) => {
    const r = await raw(server.port, `GET / HTTP/${version}\r\nHost: a\r\n\r\n`);
    expect(r.status).toBe(505);
    expect(r.closed).toBe(true);
  });

  it('answers a malformed version with 400', async () => {
    expect((await raw(server.port, 'GET / HTTP/1.x\r\nHost: a\r\n\r\n')).status).toBe(400);
  });

  it.each([',chunked', ', chunked', ' , ,chunked'])(
    'skips the empty list elements of Transfer-Encoding %j (RFC 9110 §5.6.1)',
    async (codings) => {
      const r = await raw(
        server.port,
        `POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ${codings}\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
        { waitMs: 500 },
      );
      const [response] = parseResponses(r.text);
      expect(response?.status).toBe(200);
      expect(response?.body).toBe('abc');
    },
  );

  it('refuses a Transfer-Encoding made only of empty elements with 400', async () => {
    const r = await raw(
      server.port,
      'POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\n\r\n0\r\n\r\n',
    );
    expect(r.status).toBe(400);
  });

  it('keeps an HTTP/1.0 connection that asks for keep-alive', async () => {
    const r = await raw(server.port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', { waitMs: 500 });
    expect(r.closed).toBe(false);
    const [first] = parseResponses(r.text);
    expect(first?.status).toBe(200);
    expect(first?.headers.get('connection')?.toLowerCase()).toBe('keep-alive');
    expect(first?.body).toBe('Hello, World!');
  });

  it('serves a second HTTP/1.0 request on a kept connection, then closes after one without keep-alive', async () => {
    const r = await raw(
      server.port,
      'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /delay/0/two HTTP/1.0\r\n\r\n',
    );
    const responses = parseResponses(r.text);
    expect(responses.map((x) => x.body)).toEqual(['Hello, World!', 'two']);
    expect(r.closed).toBe(true);
  });

  it('answers a pipelined Connection: close request even when more bytes follow it', async () => {
    const r = await raw(
      server.port,
      'GET /delay/20/one HTTP/1.1\r\nHost: a\r\n\r\n' +
        'GET /delay/0/two HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' +
        'GET /delay/0/three HTTP/1.1\r\nHost: a\r\n\r\n',
    );
    const responses = parseResponses(r.text);
    expect(responses.map((x) => [x.status, x.body])).toEqual([
      [200, 'one'],
      [200, 'two'],
    ]);
    expect(responses[1]?.headers.get('connection')).toBe('close');
    expect(r.closed).toBe(true);
  });

  it('answers a 100 KiB request-target with 414', async () => {
    const r = await raw(server.port, `GET /${'a'.repeat(100 * 1024)} HTTP/1.1\r\nHost: a\r\n\r\n`);
    expect(r.status).toBe(414);
    expect(r.closed).toBe(true);
  });

  it('answers a 100 KiB request-target written in small pieces with 414', async () => {
    const parts = [`GET /${'a'.repeat(1000)}`, ...Array.from({ length: 30 }, () => 'a'.repeat(4096))];
    const r = await raw(server.port, parts, { gapMs: 2 });
    expect(r.status).toBe(414);
  });

  it('still answers a head over maxHeaderBytes with 431', async () => {
    const r = await raw(server.port, `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'v'.repeat(20_000)}\r\n\r\n`);
    expect(r.status).toBe(431);
  });

  it('answers a 20 KiB chunk extension with 400', async () => {
    const r = await raw(
      server.port,
      `POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;${'e'.repeat(20 * 1024)}\r\nabc\r\n0\r\n\r\n`,
    );
    expect(r.status).toBe(400);
    expect(r.closed).toBe(true);
  });

  it('refuses CONNECT with 400 and a close, reading nothing after it as a request', async () => {
    const r = await raw(
      server.port,
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\nGET /delay/0/hidden HTTP/1.1\r\nHost: a\r\n\r\n',
    );
    expect(r.status).toBe(400);
    expect(r.closed).toBe(true);
    expect(r.text).not.toContain('hidden');
    expect(r.text.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  });

  it('refuses a CONNECT whose target is not host:port with 400', async () => {
    const r = await raw(server.port, 'CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(r.status).toBe(400);
    expect(r.closed).toBe(true);
  });
});

describe.each(ENGINES)('%s engine: close() arguments', (engine) => {
  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])(
    'throws ZEPHYR_ERR_INVALID_ARGUMENT synchronously for timeoutMs %s, and still closes after',
    async (timeoutMs) => {
      const server = await start(engine, testApp);
      let thrown: unknown;
      let returned: unknown;
      try {
        returned = server.close({ timeoutMs });
      } catch (err) {
        thrown = err;
      }
      expect(returned).toBeUndefined();
      expect(thrown).toMatchObject({ code: 'ZEPHYR_ERR_INVALID_ARGUMENT' });
      expect((thrown as Error).message).toContain('timeoutMs');
      await server.close({ timeoutMs: 1000 });
      expect((await raw(server.port, GET('a'), { waitMs: 200 }).catch(() => null))?.status ?? 0).toBe(0);
    },
  );
});

describe.each(ENGINES)('%s engine: a file that shrinks while sendFile streams it', (engine) => {
  const dir = mkdtempSync(join(tmpdir(), 'zephyr-shrink-'));
  const file = join(dir, 'big.bin');
  // Far more than loopback's socket buffers hold, so the send is still under way when it shrinks.
  const SIZE = 64 * 1024 * 1024;
  let server: EngineServer;
  let started: () => void = () => {};
  const handler: RequestHandler = async (req, res) => {
    if (req.path === '/file') {
      started();
      await res.sendFile(file);
      return;
    }
    await testApp(req, res);
  };
  beforeAll(async () => {
    server = await start(engine, handler, { requestTimeoutMs: 30_000 });
  });
  afterAll(async () => {
    await stop(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes the connection instead of sending a short body and the next response inside it', async () => {
    writeFileSync(file, '');
    truncateSync(file, SIZE);
    const sendStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const socket = await open(server.port);
    socket.on('error', () => {});
    socket.pause();
    socket.write('GET /file HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await sendStarted;
    // Let the head and the first part of the body fill the socket buffers; the outcome does not
    // depend on how much went out before the cut, only on it being less than SIZE.
    await sleep(300);
    truncateSync(file, 1000);
    let received = 0;
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      // Keep only what could hold a status line: the head and whatever follows a short body.
      if (text.length < 4096) text += chunk.toString('latin1').replace(/\0+/g, '');
    });
    const closed = new Promise<boolean>((resolve) => socket.once('close', () => resolve(true)));
    socket.resume();
    const outcome = await Promise.race([closed, sleep(10_000).then(() => false)]);
    socket.destroy();
    expect(statusOf(text)).toBe(200);
    expect(outcome).toBe(true);
    expect(received).toBeLessThan(SIZE);
    // No second status line: the "Hello, World!" response must not land inside the first body.
    expect(text.indexOf('HTTP/1.1', 1)).toBe(-1);
  }, 20_000);
});

// The keep-alive race: a pooled client sends into an idle connection at the instant the server
// closes it (ECONNRESET, request lost). Both engines advertise `keep-alive: timeout=N`, a second
// short of the keep-alive timeout, so clients that honour it (undici, node's http.Agent when it
// has a socket timeout) retire an idle connection first.
describe.each(ENGINES)('%s engine: the keep-alive hint', (engine) => {
  let server: EngineServer;
  beforeAll(async () => {
    server = await start(engine, testApp, { keepAliveTimeoutMs: 3000 });
  });
  afterAll(() => stop(server));

  it('advertises a second short of the keep-alive timeout, and nothing on a closing response', async () => {
    const kept = await raw(server.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { waitMs: 300 });
    expect(parseResponses(kept.text)[0]?.headers.get('keep-alive')).toBe('timeout=2');
    const closing = await raw(server.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(parseResponses(closing.text)[0]?.headers.has('keep-alive')).toBe(false);
  });

  it("lets node's keep-alive agent reuse a connection within the hint and retire it after", async () => {
    // node 20's agent applies a hint only below its own socket timeout (none by default).
    const agent = new Agent({ keepAlive: true, timeout: 60_000 });
    const reused = () =>
      new Promise<boolean>((resolve, reject) => {
        const req = get({ host: '127.0.0.1', port: server.port, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(req.reusedSocket));
        });
        req.on('error', reject);
      });
    try {
      expect(await reused()).toBe(false);
      await sleep(200);
      expect(await reused()).toBe(true);
      // The agent expires an idle socket a second before the advertised 2 s: at 1 s here, while
      // the engine would keep it until 3 s. Without the hint it would send into the close.
      await sleep(1500);
      expect(await reused()).toBe(false);
    } finally {
      agent.destroy();
    }
  });
});
