// HTTP/1 details both engines must settle alike: absolute-form targets, the problem body of the
// engine's own error answers, and an upload refused after `100 Continue`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineServer, RequestHandler } from '../../src/index.js';
import { ENGINES_OVER, open, parseResponses, raw, sleep, start, stop } from './harness.js';

const LIMIT = 1024;

const app: RequestHandler = async (req, res) => {
  if (req.path === '/upload') {
    try {
      const body = await req.body();
      res.end(`got ${body.length}`);
    } catch (err) {
      // The application's own problem document for a body the engine refused.
      const status = (err as { status?: number }).status ?? 500;
      res
        .status(status)
        .setHeader('content-type', 'application/problem+json')
        .end(JSON.stringify({ title: 'from the app', status }));
    }
    return;
  }
  res.end(`${req.path}|${req.query}|${req.url}`);
};

const problem = (status: number, title: string) =>
  `{"type":"about:blank","title":"${title}","status":${status}}`;

describe.each(ENGINES_OVER)('%s engine over %s: HTTP/1 details', (engine, transport) => {
  let server: EngineServer | undefined;
  beforeAll(async () => {
    server = await start(
      engine,
      app,
      {
        maxBodyBytes: LIMIT,
        maxUrlLength: 64,
        maxHeaderCount: 8,
        headerTimeoutMs: 300,
        requestTimeoutMs: 5000,
      },
      transport,
    );
  });
  afterAll(() => stop(server));

  it('routes an absolute-form target by its path (RFC 9112 §3.2.2)', async () => {
    const { text } = await raw(
      server!.port,
      'GET http://example.com/p/q?x=1 HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n',
    );
    expect(parseResponses(text)[0]?.body).toBe('/p/q|x=1|/p/q?x=1');
    const bare = await raw(
      server!.port,
      'GET http://example.com HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n',
    );
    expect(parseResponses(bare.text)[0]?.body).toBe('/||/');
  });

  it.each([
    [414, 'URI Too Long', `GET /${'a'.repeat(100)} HTTP/1.1\r\nHost: x\r\n\r\n`],
    [431, 'Request Header Fields Too Large', `GET / HTTP/1.1\r\nHost: x\r\n${'X-A: 1\r\n'.repeat(12)}\r\n`],
    [413, 'Content Too Large', `POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${LIMIT + 1}\r\n\r\n`],
    [408, 'Request Timeout', 'GET / HTTP/1.1\r\nHost: x\r\n'],
  ])('answers its own %i with the same small problem document', async (status, title, request) => {
    const { text, closed } = await raw(server!.port, request, { waitMs: 3000 });
    const [res] = parseResponses(text);
    expect(res?.status).toBe(status);
    expect(res?.headers.get('content-type')).toBe('application/problem+json');
    expect(res?.body).toBe(problem(status, title));
    expect(closed).toBe(true);
  });

  it('answers a chunked upload over maxBodyBytes sent after 100 Continue with the app’s 413', async () => {
    const socket = await open(server!.port);
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      text += d;
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.write(
      'POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    for (let i = 0; i < 100 && !text.includes('100 Continue'); i++) await sleep(20);
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    const chunk = 'z'.repeat(LIMIT);
    socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    await Promise.race([closed, sleep(4000)]);
    socket.destroy();
    const final = parseResponses(text).filter((r) => r.status >= 200);
    expect(final[0]?.status).toBe(413);
    expect(JSON.parse(final[0]?.body ?? 'null')).toEqual({ title: 'from the app', status: 413 });
  });
});
