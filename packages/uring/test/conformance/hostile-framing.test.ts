// Framing that could desynchronise this server from a proxy in front of it. Both engines are
// exactly as strict as llhttp in strict mode: the answer is the listed status, then a close,
// and the handler never sees the request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineServer } from '../../src/index.js';
import { ENGINES_OVER, raw, start, stop } from './harness.js';

const POST = 'POST /echo HTTP/1.1\r\nHost: a\r\n';

// `body` marks framing errors inside the body: the head was fine, so the handler may have started.
const cases: Array<[name: string, request: string, status: number, where?: 'body']> = [
  [
    'Content-Length with Transfer-Encoding',
    `${POST}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    400,
  ],
  ['duplicate Content-Length, equal values', `${POST}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`, 400],
  [
    'duplicate Content-Length, different values',
    `${POST}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`,
    400,
  ],
  ['Content-Length as a list', `${POST}Content-Length: 3, 3\r\n\r\nabc`, 400],
  ['negative Content-Length', `${POST}Content-Length: -3\r\n\r\nabc`, 400],
  ['signed Content-Length', `${POST}Content-Length: +3\r\n\r\nabc`, 400],
  ['non-digit Content-Length', `${POST}Content-Length: 3a\r\n\r\nabc`, 400],
  [
    'chunk size that is not hex',
    `${POST}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`,
    400,
    'body',
  ],
  [
    'chunk size that overflows',
    `${POST}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\nabc\r\n0\r\n\r\n`,
    400,
    'body',
  ],
  ['chunk size with a space', `${POST}Transfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n`, 400, 'body'],
  [
    'chunk data longer than its size',
    `${POST}Transfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n`,
    400,
    'body',
  ],
  [
    'chunk size line ending in bare LF',
    `${POST}Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n`,
    400,
    'body',
  ],
  [
    'unknown transfer coding before chunked',
    `${POST}Transfer-Encoding: foo, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
    501,
  ],
  [
    'gzip transfer coding (not implemented)',
    `${POST}Transfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
    501,
  ],
  ['transfer coding without chunked last', `${POST}Transfer-Encoding: foo\r\n\r\nabc`, 400],
  [
    'Transfer-Encoding in HTTP/1.0',
    'POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    400,
  ],
  ['obs-fold continuation line', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n', 400],
  ['NUL in a field value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n', 400],
  ['bare CR in a field value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n', 400],
  ['control byte in a field value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x01c\r\n\r\n', 400],
  ['space before the colon', 'GET / HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n', 400],
  ['empty field name', 'GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n', 400],
  ['field line starting with whitespace', 'GET / HTTP/1.1\r\n Host: a\r\n\r\n', 400],
  ['missing Host in HTTP/1.1', 'GET / HTTP/1.1\r\nX-A: b\r\n\r\n', 400],
  ['bare LF line endings in the head', 'GET / HTTP/1.1\nHost: a\n\n', 400],
  ['space inside the request target', 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n', 400],
  ['HTTP/2.0 on an HTTP/1 connection', 'GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505],
  ['HTTP/0.9-style request line without a version', 'GET /\r\n\r\n', 400],
  ['invalid method token', 'G@T / HTTP/1.1\r\nHost: a\r\n\r\n', 400],
];

describe.each(ENGINES_OVER)('%s engine over %s: hostile framing', (engine, transport) => {
  let server: EngineServer | undefined;
  let handled = 0;
  beforeAll(async () => {
    server = await start(
      engine,
      async (req, res) => {
        handled++;
        res.end(await req.body());
      },
      {},
      transport,
    );
  });
  afterAll(() => stop(server));

  it.each(cases)('%s → its status and close', async (_name, request, status, where) => {
    const before = handled;
    const result = await raw(server!.port, request);
    expect(result.status).toBe(status);
    expect(result.closed).toBe(true);
    if (where !== 'body') expect(handled).toBe(before);
  });

  it('still serves well-formed requests after all that', async () => {
    const result = await raw(server!.port, `${POST}Content-Length: 2\r\nConnection: close\r\n\r\nok`);
    expect(result.status).toBe(200);
    expect(result.text.endsWith('ok')).toBe(true);
  });

  it('accepts what llhttp accepts: chunk extensions, trailers, obs-text, leading empty lines', async () => {
    const result = await raw(
      server!.port,
      `\r\n${POST}X-Latin: caf\xe9\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
        '3;name=value\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n',
    );
    expect(result.status).toBe(200);
    expect(result.text.endsWith('abc')).toBe(true);
  });
});
