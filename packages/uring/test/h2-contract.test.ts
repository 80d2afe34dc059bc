// The engine contract over HTTP/2, with node:http2 as the client: the same handler serves
// HTTP/1.1 and HTTP/2 (h2c by prior knowledge and h2 by ALPN) on one port; bodies stream both
// ways with backpressure; trailers; sendFile; limits; options; graceful shutdown with GOAWAY.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, constants } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EngineServer, RequestHandler } from '../src/index.js';
import { ioUringSupported, listen } from '../src/index.js';
import { H2_ENGINES, h2App, h2Request, makeCertificate } from './h2-support.js';

const certificate = makeCertificate();
const fileDir = mkdtempSync(join(tmpdir(), 'zephyr-h2-file-'));
const FILE = join(fileDir, 'alphabet.txt');
writeFileSync(FILE, 'abcdefghijklmnopqrstuvwxyz');
afterAll(() => {
  rmSync(certificate.dir, { recursive: true, force: true });
  rmSync(fileDir, { recursive: true, force: true });
});

const app: RequestHandler = async (req, res) => {
  switch (req.path) {
    case '/whoami':
      res.setHeader('content-type', 'application/json').end(
        JSON.stringify({
          version: req.httpVersion,
          method: req.method,
          query: req.query,
          host: req.header('host'),
          cookie: req.header('cookie'),
          headers: req.headers().map(([name]) => name),
        }),
      );
      return;
    case '/slow-count': {
      // Reads nothing for a while: HTTP/2 flow control must hold the client back meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 400));
      let bytes = 0;
      for await (const chunk of req.bodyStream()) bytes += chunk.length;
      res.end(String(bytes));
      return;
    }
    case '/stream': {
      // 1 MB in 16 KB writes, honouring write() === false.
      let waits = 0;
      const chunk = Buffer.alloc(16 * 1024, 0x62);
      for (let i = 0; i < 64; i++) {
        if (!res.write(chunk)) {
          waits++;
          await new Promise<void>((resolve) => res.onDrain(resolve));
        }
      }
      res.setTrailer('x-waits', String(waits));
      res.end();
      return;
    }
    case '/trailers':
      res.setHeader('content-type', 'text/plain');
      res.write('body,');
      res.setTrailer('grpc-status', '0');
      res.setTrailer('grpc-message', 'ok');
      res.end('done');
      return;
    case '/trailers-whole':
      res.setTrailer('x-checksum', 'abc');
      res.end('whole body');
      return;
    case '/trailer-name':
      try {
        res.setTrailer('bad name', 'x');
        res.end('accepted');
      } catch (err) {
        res.end((err as { code: string }).code);
      }
      return;
    case '/trailers-after-length':
      res.setHeader('content-length', '2');
      try {
        res.setTrailer('x-late', '1');
        res.end('no');
      } catch (err) {
        res.end((err as { code: string }).code.slice(-2));
      }
      return;
    case '/file':
      await res.sendFile(FILE, { offset: 2, length: 5 });
      return;
    case '/connection-header':
      res.setHeader('connection', 'close').setHeader('keep-alive', 'timeout=5').end('fine');
      return;
    default:
      return h2App(req, res);
  }
};

describe.each(H2_ENGINES)('%s engine: the contract over HTTP/2', { timeout: 30_000 }, (engine) => {
  let plain: EngineServer;
  let secure: EngineServer;
  beforeAll(async () => {
    plain = await listen({ port: 0, engine, http2: true, limits: { maxBodyBytes: 2 << 20 } }, app);
    secure = await listen(
      { port: 0, engine, http2: true, tls: { cert: certificate.cert, key: certificate.key } },
      app,
    );
  });
  afterAll(async () => {
    await plain.close({ timeoutMs: 1000 });
    await secure.close({ timeoutMs: 1000 });
  });

  it('serves h2c by prior knowledge and HTTP/1.1 on one port, same handler', async () => {
    const h2 = await h2Request(plain.port, '/whoami?x=1', { headers: { cookie: 'a=1' } });
    const whoami = JSON.parse(h2.body.toString());
    expect(whoami).toMatchObject({
      version: '2.0',
      method: 'GET',
      query: 'x=1',
      host: `127.0.0.1:${plain.port}`,
    });
    expect(whoami.headers).not.toContain(':path');
    const h1 = await fetch(`http://127.0.0.1:${plain.port}/whoami?x=1`);
    expect(JSON.parse(await h1.text())).toMatchObject({ version: '1.1', query: 'x=1' });
  });

  it('serves h2 and HTTP/1.1 over TLS on one port, chosen by ALPN', async () => {
    const h2 = await h2Request(secure.port, '/whoami', { tls: true });
    expect(JSON.parse(h2.body.toString()).version).toBe('2.0');
    const h1 = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        { port: secure.port, host: '127.0.0.1', path: '/whoami', rejectUnauthorized: false },
        (res) => {
          let text = '';
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(JSON.parse(h1).version).toBe('1.1');
  });

  it('joins split cookie fields with "; " (RFC 9113 §8.2.3)', async () => {
    const session = connect(`http://127.0.0.1:${plain.port}`);
    const stream = session.request({ ':path': '/whoami', cookie: ['a=1', 'b=2'] });
    let text = '';
    stream.on('data', (chunk) => {
      text += chunk;
    });
    await new Promise((resolve) => stream.on('end', resolve));
    session.close();
    expect(JSON.parse(text).cookie).toBe('a=1; b=2');
  });

  it('echoes a POST body and reports httpVersion 2.0', async () => {
    const answer = await h2Request(plain.port, '/echo', { body: 'posted over h2' });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-version']).toBe('2.0');
    expect(answer.body.toString()).toBe('posted over h2');
  });

  it('a slow reader holds the client back by flow control, then gets the whole body', async () => {
    const session = connect(`http://127.0.0.1:${plain.port}`);
    const stream = session.request({ ':path': '/slow-count', ':method': 'POST' });
    const body = Buffer.alloc(1 << 20, 0x63);
    stream.write(body);
    stream.end();
    await new Promise((resolve) => setTimeout(resolve, 250));
    // At most the initial stream window (64 KB) left the client while the handler did not read.
    expect(stream.writableLength).toBeGreaterThan(body.length - 2 * 65_535);
    let text = '';
    stream.on('data', (chunk) => {
      text += chunk;
    });
    await new Promise((resolve) => stream.on('end', resolve));
    session.close();
    expect(text).toBe(String(body.length));
  });

  it('streams a response: write() returns false, drain follows, all bytes arrive', async () => {
    const answer = await h2Request(plain.port, '/stream');
    expect(answer.body.length).toBe(64 * 16 * 1024);
    expect(Number(answer.trailers?.['x-waits'])).toBeGreaterThan(0);
  });

  it('sends trailers after a streamed body and after a whole one', async () => {
    const streamed = await h2Request(plain.port, '/trailers');
    expect(streamed.body.toString()).toBe('body,done');
    expect(streamed.trailers).toMatchObject({ 'grpc-status': '0', 'grpc-message': 'ok' });
    const whole = await h2Request(secure.port, '/trailers-whole', { tls: true });
    expect(whole.body.toString()).toBe('whole body');
    expect(whole.trailers).toMatchObject({ 'x-checksum': 'abc' });
  });

  it('sends trailers on HTTP/1.1 as the chunked trailer section', async () => {
    const { body, trailers, headers } = await new Promise<{
      body: string;
      trailers: NodeJS.Dict<string>;
      headers: NodeJS.Dict<string | string[]>;
    }>((resolve, reject) => {
      const req = httpRequest({ port: plain.port, host: '127.0.0.1', path: '/trailers-whole' }, (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ body: text, trailers: res.trailers, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(headers['transfer-encoding']).toBe('chunked');
    expect(body).toBe('whole body');
    expect(trailers).toMatchObject({ 'x-checksum': 'abc' });
  });

  it('refuses a trailer whose name is not a token, on both protocols', async () => {
    expect((await h2Request(plain.port, '/trailer-name')).body.toString()).toBe(
      'ZEPHYR_ERR_INVALID_ARGUMENT',
    );
    expect(await (await fetch(`http://127.0.0.1:${plain.port}/trailer-name`)).text()).toBe(
      'ZEPHYR_ERR_INVALID_ARGUMENT',
    );
  });

  it('refuses a trailer on an HTTP/1.1 response with a content-length', async () => {
    const res = await fetch(`http://127.0.0.1:${plain.port}/trailers-after-length`);
    expect(await res.text()).toBe('NT'); // ZEPHYR_ERR_HEADERS_SENT
  });

  it('sendFile sends the range as DATA frames', async () => {
    const answer = await h2Request(secure.port, '/file', { tls: true });
    expect(answer.headers['content-length']).toBe('5');
    expect(answer.body.toString()).toBe('cdefg');
    const head = await h2Request(plain.port, '/file', { method: 'HEAD' });
    expect(head.headers['content-length']).toBe('5');
    expect(head.body.length).toBe(0);
  });

  it('leaves out connection-specific fields an HTTP/1.1 app sets', async () => {
    const answer = await h2Request(plain.port, '/connection-header');
    expect(answer.status).toBe(200);
    expect(answer.headers.connection).toBeUndefined();
    expect(answer.body.toString()).toBe('fine');
  });

  it('applies the request limits: 414, 413 declared, 413 streamed', async () => {
    const server = await listen(
      { port: 0, engine, http2: true, limits: { maxUrlLength: 64, maxBodyBytes: 1024 } },
      app,
    );
    try {
      expect((await h2Request(server.port, `/${'a'.repeat(100)}`)).status).toBe(414);
      const declared = await h2Request(server.port, '/echo', {
        body: 'x'.repeat(2000),
        headers: { 'content-length': '2000' },
      });
      expect(declared.status).toBe(413);
      // No content-length: the body is counted as it arrives.
      const session = connect(`http://127.0.0.1:${server.port}`);
      const stream = session.request({ ':path': '/echo', ':method': 'POST' });
      stream.write('y'.repeat(800));
      setTimeout(() => stream.end('y'.repeat(800)), 50);
      const status = await new Promise((resolve) => stream.on('response', (h) => resolve(h[':status'])));
      stream.resume();
      session.close();
      expect(status).toBe(413);
    } finally {
      await server.close({ timeoutMs: 1000 });
    }
  });

  it('close() sends GOAWAY, lets the open stream finish, and refuses new ones', async () => {
    const server = await listen({ port: 0, engine, http2: true }, async (req, res) => {
      if (req.path === '/slow') await new Promise((resolve) => setTimeout(resolve, 300));
      res.end(`done ${req.path}`);
    });
    const session = connect(`http://127.0.0.1:${server.port}`);
    const goaway = new Promise<number>((resolve) => session.on('goaway', (code) => resolve(code)));
    const slow = session.request({ ':path': '/slow' });
    let text = '';
    slow.on('data', (chunk) => {
      text += chunk;
    });
    const ended = new Promise((resolve) => slow.on('end', resolve));
    await new Promise((resolve) => slow.on('ready', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = server.close({ timeoutMs: 5000 });
    expect(await goaway).toBe(constants.NGHTTP2_NO_ERROR);
    await ended;
    expect(text).toBe('done /slow');
    await closed;
    session.destroy();
    await expect(h2Request(server.port, '/')).rejects.toThrow();
  });
});

describe('HTTP/2 options', () => {
  it('rejects a wrong http2 option with ZEPHYR_ERR_INVALID_ARGUMENT', async () => {
    const handler: RequestHandler = (_req, res) => res.end();
    for (const http2 of [
      'yes',
      1,
      [],
      { maxFrameSize: 100 },
      { maxConcurrentStreams: 0 },
      { windowSize: 1 },
    ]) {
      await expect(listen({ port: 0, engine: 'node', http2 } as never, handler)).rejects.toMatchObject({
        code: 'ZEPHYR_ERR_INVALID_ARGUMENT',
      });
    }
    const tls = { cert: certificate.cert, key: certificate.key };
    await expect(
      listen({ port: 0, engine: 'node', http2: true, tls: { ...tls, alpn: ['http/1.1'] } }, handler),
    ).rejects.toThrow(/must list 'h2'/);
    await expect(listen({ port: 0, engine: 'node', tls: { ...tls, alpn: ['h2'] } }, handler)).rejects.toThrow(
      /http2 is off/,
    );
  });

  it.runIf(ioUringSupported().supported)(
    'auto serves HTTP/2 on io_uring where the ring works, with no fallback line',
    async () => {
      const handler: RequestHandler = (req, res) => res.end(`auto ${req.httpVersion}`);
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const savedEngine = process.env.ZEPHYR_IO_ENGINE;
      delete process.env.ZEPHYR_IO_ENGINE;
      try {
        const server = await listen({ port: 0, http2: true }, handler);
        try {
          expect(server.engine).toBe('io_uring');
          expect(warn).not.toHaveBeenCalled();
          expect((await h2Request(server.port, '/')).body.toString()).toBe('auto 2.0');
        } finally {
          await server.close();
        }
      } finally {
        warn.mockRestore();
        if (savedEngine !== undefined) process.env.ZEPHYR_IO_ENGINE = savedEngine;
      }
    },
  );

  it.runIf(ioUringSupported().supported)(
    'the io_uring engine sends trailers on a plain HTTP/1.1 listener, refuses them on HTTP/1.0',
    async () => {
      const server = await listen({ port: 0, engine: 'io_uring' }, (_req, res) => {
        try {
          res.write('part,');
          res.setTrailer('grpc-status', '0');
          res.end('end');
        } catch (err) {
          res.end((err as { code: string }).code);
        }
      });
      try {
        const answer = await new Promise<{ body: string; trailers: NodeJS.Dict<string> }>(
          (resolve, reject) => {
            const req = httpRequest({ port: server.port, host: '127.0.0.1', path: '/' }, (res) => {
              let body = '';
              res.on('data', (chunk) => {
                body += chunk;
              });
              res.on('end', () => resolve({ body, trailers: res.trailers }));
            });
            req.on('error', reject);
            req.end();
          },
        );
        expect(answer).toEqual({ body: 'part,end', trailers: { 'grpc-status': '0' } });
        const socket = await new Promise<Socket>((resolve) => {
          const s = createConnection(server.port, '127.0.0.1', () => resolve(s));
        });
        socket.write('GET / HTTP/1.0\r\n\r\n');
        let raw = '';
        socket.on('data', (chunk) => {
          raw += chunk;
        });
        await new Promise((resolve) => socket.on('close', resolve));
        expect(raw).toMatch(/part,ZEPHYR_ERR_HEADERS_SENT$/);
      } finally {
        await server.close();
      }
    },
  );
});
