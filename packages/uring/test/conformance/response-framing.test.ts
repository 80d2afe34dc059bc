// How the engines frame what a handler writes: the head, the length or chunk framing, and the
// responses that never carry a body (HEAD, 204, 304). Bytes the framing gets wrong corrupt the
// next response on the connection, so each case is followed by a pipelined request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineServer, RequestHandler } from '../../src/index.js';
import { ENGINES_OVER, parseResponses, raw, start, stop } from './harness.js';

const app: RequestHandler = (req, res) => {
  switch (req.path) {
    case '/stream':
      // No length known up front: chunked on GET, nothing at all on HEAD.
      res.setHeader('content-type', 'text/plain');
      res.write('abc');
      res.write(Buffer.from('def'));
      res.end();
      return;
    case '/no-content':
      res.status(204);
      res.write('dropped');
      res.end();
      return;
    case '/not-modified':
      res.status(304).setHeader('etag', '"v1"').end('dropped');
      return;
    case '/length':
      res.end('sized');
      return;
    default:
      res.end('next');
  }
};

const NEXT = 'GET /next HTTP/1.1\r\nHost: x\r\n\r\n';

/** Sends `first` then a pipelined GET /next, and returns both answers' raw text. */
async function withNext(port: number, first: string): Promise<{ text: string; afterHead: string }> {
  const { text } = await raw(port, `${first}${NEXT}`, { waitMs: 400 });
  const headEnd = text.indexOf('\r\n\r\n');
  return { text, afterHead: text.slice(headEnd + 4) };
}

describe.each(ENGINES_OVER)('%s engine over %s: response framing', (engine, transport) => {
  let server: EngineServer | undefined;
  beforeAll(async () => {
    server = await start(engine, app, {}, transport);
  });
  afterAll(() => stop(server));

  it('frames write() without a length as chunks on HTTP/1.1', async () => {
    const { text } = await withNext(server!.port, 'GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
    const [first, next] = parseResponses(text);
    expect(first?.headers.get('transfer-encoding')).toBe('chunked');
    expect(first?.body).toBe('abcdef');
    expect(next?.body).toBe('next');
  });

  it('sends HEAD answered with write() no body and no last chunk (the next response stays intact)', async () => {
    const { afterHead } = await withNext(server!.port, 'HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(afterHead.startsWith('HTTP/1.1 200 ')).toBe(true);
    expect(parseResponses(afterHead)[0]?.body).toBe('next');
  });

  it('gives HEAD the content-length a GET would get, without the body', async () => {
    const { text, afterHead } = await withNext(server!.port, 'HEAD /length HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(parseResponses(text, new Set([0]))[0]?.headers.get('content-length')).toBe('5');
    expect(afterHead.startsWith('HTTP/1.1 200 ')).toBe(true);
  });

  it('sends 204 and 304 without a body or a length, whatever the handler wrote', async () => {
    for (const path of ['/no-content', '/not-modified']) {
      const { text, afterHead } = await withNext(server!.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const head = text.slice(0, text.indexOf('\r\n\r\n')).toLowerCase();
      expect(head).not.toMatch(/transfer-encoding/);
      if (path === '/no-content') expect(head).not.toMatch(/content-length/);
      expect(afterHead.startsWith('HTTP/1.1 200 ')).toBe(true);
      expect(parseResponses(afterHead)[0]?.body).toBe('next');
    }
  });
});
