// Ordinary HTTP/1.1 behaviour, with real clients (undici, curl) and raw sockets where a client
// library would hide what the engine actually sent.
import { execFile } from 'node:child_process';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { Agent, fetch, request, setGlobalDispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineServer } from '../../src/index.js';
import { ENGINES_OVER, open, parseResponses, raw, sleep, start, stop, testApp } from './harness.js';

const run = promisify(execFile);
// The TLS runs use a self-signed test certificate: the clients here take it without a CA.
const TRUST_TEST_CERTIFICATE = { connect: { rejectUnauthorized: false } };
setGlobalDispatcher(new Agent(TRUST_TEST_CERTIFICATE));

describe.each(ENGINES_OVER)('%s engine over %s: HTTP semantics', (engine, transport) => {
  let server: EngineServer | undefined;
  let base = '';
  beforeAll(async () => {
    server = await start(engine, testApp, {}, transport);
    base = `${transport === 'tls' ? 'https' : 'http'}://127.0.0.1:${server.port}`;
  });
  afterAll(() => stop(server));

  it('reports the engine it runs and why', () => {
    expect(server?.engine).toBe(engine);
    expect(server?.engineReason).toMatch(/forced by options\.engine/);
    expect(server?.port).toBeGreaterThan(0);
  });

  it('answers GET with the handler body and headers', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('Hello, World!');
  });

  it('echoes a POST body and exposes method, version and headers', async () => {
    const res = await fetch(`${base}/echo?x=1`, {
      method: 'POST',
      body: 'ping',
      headers: { 'content-type': 'application/x-test' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-test');
    expect(res.headers.get('x-method')).toBe('POST');
    expect(res.headers.get('x-version')).toBe('1.1');
    expect(await res.text()).toBe('ping');
  });

  it('gives header() every repeat of a field joined with ", " and headers() in arrival order', async () => {
    const { text } = await raw(
      server!.port,
      'GET /headers HTTP/1.1\r\nHost: a\r\nX-Rep: one\r\nX-Other: z\r\nX-Rep: two\r\nConnection: close\r\n\r\n',
    );
    const [res] = parseResponses(text);
    expect(JSON.parse(res!.body)).toEqual([
      ['host', 'a'],
      ['x-rep', 'one'],
      ['x-other', 'z'],
      ['x-rep', 'two'],
      ['connection', 'close'],
    ]);
  });

  it('answers header(name) case-insensitively, repeats joined, the same before and after an await', async () => {
    const ask = async (name: string) => {
      const { text } = await raw(
        server!.port,
        `GET /header/${name} HTTP/1.1\r\nHost: a\r\nX-Rep: one\r\nX-Repeat: no\r\nx-REP: two\r\nConnection: close\r\n\r\n`,
      );
      return JSON.parse(parseResponses(text)[0]!.body) as unknown;
    };
    expect(await ask('X-Rep')).toEqual({ now: 'one, two', later: 'one, two' });
    expect(await ask('x-repeat')).toEqual({ now: 'no', later: 'no' });
    expect(await ask('traceparent')).toEqual({ now: null, later: null });
    expect(await ask('x-re')).toEqual({ now: null, later: null });
  });

  it('serves curl', async () => {
    const { stdout } = await run('curl', ['-sS', '-k', '-i', '--data-binary', 'from curl', `${base}/echo`]);
    expect(stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(stdout.endsWith('from curl')).toBe(true);
  });

  it('keeps a connection alive across requests', async () => {
    const socket = await open(server!.port);
    let text = '';
    socket.setEncoding('latin1').on('data', (d: string) => {
      text += d;
    });
    for (let i = 0; i < 3; i++) {
      socket.write(`GET /delay/0/r${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
      while (parseResponses(text).length <= i) await sleep(5);
    }
    expect(socket.destroyed).toBe(false);
    expect(parseResponses(text).map((r) => r.body)).toEqual(['r0', 'r1', 'r2']);
    socket.destroy();
  });

  it('answers 16 pipelined requests in request order although they complete in reverse', async () => {
    // Earlier requests wait longer, so handlers finish last-first; the wire must still be in order.
    const requests = Array.from(
      { length: 16 },
      (_, i) => `GET /delay/${(16 - i) * 4}/p${i} HTTP/1.1\r\nHost: a\r\n\r\n`,
    ).join('');
    const socket = await open(server!.port);
    let text = '';
    socket.setEncoding('latin1').on('data', (d: string) => {
      text += d;
    });
    socket.write(requests);
    const deadline = Date.now() + 3000;
    while (parseResponses(text).length < 16 && Date.now() < deadline) await sleep(10);
    socket.destroy();
    const responses = parseResponses(text);
    expect(responses.map((r) => r.status)).toEqual(Array(16).fill(200));
    expect(responses.map((r) => r.body)).toEqual(Array.from({ length: 16 }, (_, i) => `p${i}`));
  });

  it('decodes a chunked request body and frames an unsized response as chunked', async () => {
    const { text } = await raw(
      server!.port,
      'POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
        '5\r\nhello\r\n1;ext=1\r\n,\r\n6\r\nworld!\r\n0\r\n\r\n',
    );
    expect(parseResponses(text)[0]?.body).toBe('hello,world!');
    const chunked = await raw(server!.port, 'GET /chunked HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    const [res] = parseResponses(chunked.text);
    expect(res?.headers.get('transfer-encoding')).toBe('chunked');
    expect(res?.body).toBe('alpha,beta,gamma');
  });

  it('streams a chunked request body from undici', async () => {
    async function* parts() {
      for (let i = 0; i < 64; i++) yield Buffer.alloc(1024, i);
    }
    const res = await request(`${base}/count`, { method: 'POST', body: Readable.from(parts()) });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe(String(64 * 1024));
  });

  it('sends 100 Continue for Expect: 100-continue, then the response', async () => {
    const socket = await open(server!.port);
    let text = '';
    socket.setEncoding('latin1').on('data', (d: string) => {
      text += d;
    });
    socket.write('POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    const deadline = Date.now() + 2000;
    while (!text.includes('\r\n\r\n') && Date.now() < deadline) await sleep(5);
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n/);
    socket.write('hello');
    while (parseResponses(text).length < 2 && Date.now() < deadline) await sleep(5);
    socket.destroy();
    const responses = parseResponses(text);
    expect(responses.map((r) => r.status)).toEqual([100, 200]);
    expect(responses[1]?.body).toBe('hello');
  });

  it('answers HEAD with the GET headers, the right content-length and no body', async () => {
    const { text } = await raw(
      server!.port,
      'HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    );
    const [head, get] = parseResponses(text, new Set([0]));
    expect(head?.status).toBe(200);
    expect(head?.headers.get('content-length')).toBe('13');
    // Had the HEAD answer carried a body, it would appear where the second status line belongs.
    expect(get?.status).toBe(200);
    expect(get?.body).toBe('Hello, World!');
  });

  it('closes the connection after answering Connection: close', async () => {
    const result = await raw(server!.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(result.closed).toBe(true);
    expect(parseResponses(result.text)[0]?.body).toBe('Hello, World!');
  });

  it('serves HTTP/1.0 (no Host needed) and closes after the response', async () => {
    const result = await raw(server!.port, 'POST /echo HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi');
    expect(result.status).toBe(200);
    expect(result.closed).toBe(true);
    const [res] = parseResponses(result.text);
    expect(res?.headers.get('x-version')).toBe('1.0');
    expect(res?.body).toBe('hi');
  });

  it('keeps undici connections pooled across many requests', async () => {
    const agent = new Agent({ connections: 1, pipelining: 1, ...TRUST_TEST_CERTIFICATE });
    try {
      const bodies = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const res = await request(`${base}/delay/1/k${i}`, { dispatcher: agent });
          return res.body.text();
        }),
      );
      expect(bodies).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`));
    } finally {
      await agent.close();
    }
  });
});
