// HTTP/3 on the io_uring engine: the `http3` option's validation and startup errors, then real
// exchanges through the ring's UDP socket with aioquic (a third-party QUIC + HTTP/3 client,
// installed by `bash scripts/h3-tools.sh`): GET and POST round trips, trailers, sendFile,
// backpressure both ways, a client that gives up mid-response, Alt-Svc on the TCP listener's
// HTTP/1.1 and HTTP/2 responses, and a graceful close with GOAWAY.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EngineServer, ListenOptions, RequestHandler } from '../src/engine.js';
import { defaultHttp3Settings, resolveHttp3Options } from '../src/http3-option.js';
import { listen } from '../src/listen.js';
import { sha256 } from './h3-clients.js';
import { localhostCertificate, TestCertificates } from './tls-fixture.js';

const CLIENT = fileURLToPath(new URL('./fixtures/h3-client.py', import.meta.url));
const VENV = join(homedir(), '.cache', 'zephyr', 'h3-venv');
const PYTHON = join(VENV, 'bin', 'python');

interface H3Result {
  status: number | null;
  headers: Array<[string, string]>;
  trailers: Array<[string, string]> | null;
  bytes: number;
  sha256: string;
  reset: number | string | null;
}
interface H3Plan {
  requests: Array<{
    method?: string;
    path: string;
    body_bytes?: number;
    headers?: Array<[string, string]>;
    reset_after_bytes?: number;
  }>;
  wait_close_ms?: number;
}
interface H3Run {
  results: H3Result[];
  end: { terminated: { error_code: number; reason: string } | null; goaway: boolean };
}

/** Runs the aioquic client on one connection with `plan`; rejects when it fails. */
function h3(port: number, plan: H3Plan, ca = localhostCertificate().cert): Promise<H3Run> {
  const arg = JSON.stringify({ port, ca, ...plan });
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [CLIENT, arg], { timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`h3 client failed: ${err.message}\n${stderr}`));
      const lines = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      resolve({ results: lines.slice(0, -1), end: lines[lines.length - 1] });
    });
  });
}

/** The request body the client sends: byte i is i % 251. */
function patterned(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = i % 251;
  return out;
}

const header = (r: H3Result, name: string): string | undefined => r.headers.find(([n]) => n === name)?.[1];

let servers: EngineServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close({ timeoutMs: 2000 })));
  servers = [];
});

async function serveH3(handler: RequestHandler, options: Partial<ListenOptions> = {}): Promise<EngineServer> {
  const { cert, key } = localhostCertificate();
  const server = await listen(
    { port: 0, engine: 'io_uring', tls: { cert, key }, http3: true, ...options },
    handler,
  );
  servers.push(server);
  return server;
}

describe('the http3 option', () => {
  it('resolves true and partial settings onto the defaults', () => {
    expect(resolveHttp3Options(true)).toEqual(defaultHttp3Settings);
    expect(resolveHttp3Options(false)).toBeUndefined();
    expect(resolveHttp3Options({ retry: 'always', maxConcurrentStreams: 8 })).toEqual({
      ...defaultHttp3Settings,
      retry: 'always',
      maxConcurrentStreams: 8,
    });
  });

  it.each([
    ['yes', /http3 must be a boolean or an object of settings, got "yes"/],
    [{ maxUdpPayloadSize: 1199 }, /http3.maxUdpPayloadSize must be an integer from 1200 to 65527, got 1199/],
    [{ maxUdpPayloadSize: 65_528 }, /http3.maxUdpPayloadSize must be an integer from 1200 to 65527/],
    [{ idleTimeoutMs: 99 }, /http3.idleTimeoutMs must be an integer from 100 to 3600000, got 99/],
    [{ maxConcurrentStreams: 0 }, /http3.maxConcurrentStreams must be an integer from 1/],
    [{ maxConcurrentStreams: 1.5 }, /http3.maxConcurrentStreams must be an integer/],
    [{ altSvcMaxAgeSec: -1 }, /http3.altSvcMaxAgeSec must be an integer from 0/],
    [
      { handshakesBeforeRetry: '64' },
      /http3.handshakesBeforeRetry must be an integer from 0 to 4294967295, got "64"/,
    ],
    [{ retry: 'sometimes' }, /http3.retry must be one of 'auto', 'always', 'never', got "sometimes"/],
    [{ maxStreams: undefined }, /unknown HTTP\/3 setting http3.maxStreams/],
    [{ maxStreams: 1 }, /unknown HTTP\/3 setting http3.maxStreams; known settings: /],
    [[1], /http3 must be a boolean or an object of settings, got an array/],
  ])('refuses %j', async (value, message) => {
    expect(() => resolveHttp3Options(value)).toThrow(message);
    await expect(listen({ port: 0, http3: value as never }, () => {})).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_INVALID_ARGUMENT',
    });
  });

  it('needs tls, on a clear startup error', async () => {
    await expect(listen({ port: 0, engine: 'io_uring', http3: true }, () => {})).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_INVALID_ARGUMENT',
      message: expect.stringMatching(/http3 needs tls: QUIC is always TLS 1\.3/),
    });
  });

  it('is refused with reusePort (workers), naming why', async () => {
    const { cert, key } = localhostCertificate();
    await expect(
      listen({ port: 0, engine: 'io_uring', tls: { cert, key }, http3: true, reusePort: true }, () => {}),
    ).rejects.toThrow(/http3 cannot be combined with reusePort \(workers\): SO_REUSEPORT spreads UDP/);
  });

  it('fails to listen, naming the UDP port, when another socket holds it', async () => {
    const holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
    const { port } = holder.address();
    const { cert, key } = localhostCertificate();
    try {
      await expect(
        listen({ port, engine: 'io_uring', tls: { cert, key }, http3: true }, () => {}),
      ).rejects.toMatchObject({
        code: 'ZEPHYR_ERR_LISTEN_FAILED',
        message: expect.stringMatching(new RegExp(`http3: UDP port ${port}: .*in use`, 'i')),
      });
      // The TCP listener bound first is released with it: the port serves again.
      const server = await listen({ port, engine: 'io_uring', tls: { cert, key } }, (_req, res) =>
        res.end('tcp'),
      );
      await server.close();
    } finally {
      holder.close();
    }
  });

  it('is ZEPHYR_ERR_HTTP3_UNAVAILABLE on the node engine, with the reason', async () => {
    const { cert, key } = localhostCertificate();
    await expect(
      listen({ port: 0, engine: 'node', tls: { cert, key }, http3: true }, () => {}),
    ).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_HTTP3_UNAVAILABLE',
      message: expect.stringMatching(/the node engine has no HTTP\/3: node ships no QUIC/),
    });
  });
});

// Each case starts a Python client (about a second on a loaded machine): more than vitest's 5 s.
describe('HTTP/3 on the io_uring engine (aioquic client)', { timeout: 30_000 }, () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(PYTHON)) throw new Error(`no HTTP/3 client at ${PYTHON}: run bash scripts/h3-tools.sh`);
    dir = mkdtempSync(join(tmpdir(), 'zephyr-h3-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves a GET with httpVersion 3 and the peer address', async () => {
    const server = await serveH3((req, res) => {
      res
        .setHeader('content-type', 'text/plain')
        .setHeader('x-version', req.httpVersion)
        .end(`${req.method} ${req.url} from ${req.remoteAddress} host ${req.header('host')}`);
    });
    const { results } = await h3(server.port, { requests: [{ path: '/hello?x=1' }] });
    const [r] = results as [H3Result];
    expect(r.status).toBe(200);
    expect(header(r, 'x-version')).toBe('3');
    expect(header(r, 'content-type')).toBe('text/plain');
    const body = `GET /hello?x=1 from 127.0.0.1 host localhost:${server.port}`;
    expect(r.bytes).toBe(body.length);
    expect(r.sha256).toBe(sha256(Buffer.from(body)));
    // HTTP/3 responses do not advertise themselves.
    expect(header(r, 'alt-svc')).toBeUndefined();
    expect(server.http3Counters?.()).toMatchObject({ connectionsAccepted: 1, requests: 1 });
    // The client has closed its connection; quinn drains it within a few round trips.
    await expect.poll(() => server.connections, { timeout: 5000 }).toBe(0);
  });

  it('echoes a 1 MiB POST body and serves 20 requests at once on one connection', async () => {
    const server = await serveH3(async (req, res) => {
      const body = await req.body();
      res.setHeader('x-sha256', sha256(body)).end(body);
    });
    const size = 1 << 20;
    const { results } = await h3(server.port, {
      requests: [
        { method: 'POST', path: '/echo', body_bytes: size },
        ...Array.from({ length: 20 }, (_, i) => ({
          method: 'POST',
          path: `/small/${i}`,
          body_bytes: 1000 + i,
        })),
      ],
    });
    const want = sha256(patterned(size));
    expect(results[0]).toMatchObject({ status: 200, bytes: size, sha256: want });
    expect(header(results[0] as H3Result, 'x-sha256')).toBe(want);
    results.slice(1).forEach((r, i) => {
      expect(r).toMatchObject({ status: 200, bytes: 1000 + i, sha256: sha256(patterned(1000 + i)) });
    });
  });

  it('sends trailers after a streamed body', async () => {
    const server = await serveH3((_req, res) => {
      res.setHeader('content-type', 'application/grpc');
      res.write('first ');
      res.setTrailer('grpc-status', '0').setTrailer('x-checksum', 'abc');
      res.end('second');
    });
    const [r] = (await h3(server.port, { requests: [{ path: '/trailers' }] })).results as [H3Result];
    expect(r.status).toBe(200);
    expect(r.bytes).toBe('first second'.length);
    expect(r.trailers).toEqual([
      ['grpc-status', '0'],
      ['x-checksum', 'abc'],
    ]);
  });

  it('sends a file (whole and a range) read into pieces QUIC takes', async () => {
    const file = join(dir, 'data.bin');
    const data = patterned(3 * 1024 * 1024 + 17);
    writeFileSync(file, data);
    const server = await serveH3(async (req, res) => {
      if (req.path === '/range') await res.sendFile(file, { offset: 1000, length: 500_000 });
      else await res.sendFile(file);
    });
    const { results } = await h3(server.port, { requests: [{ path: '/file' }, { path: '/range' }] });
    expect(results[0]).toMatchObject({ status: 200, bytes: data.length, sha256: sha256(data) });
    expect(header(results[0] as H3Result, 'content-length')).toBe(String(data.length));
    expect(results[1]).toMatchObject({
      status: 200,
      bytes: 500_000,
      sha256: sha256(data.subarray(1000, 501_000)),
    });
  });

  it('applies backpressure: write() turns false and drain resumes a 10 MiB response', async () => {
    let refusals = 0;
    let drains = 0;
    const chunk = patterned(64 * 1024);
    const total = 160; // 10 MiB
    const server = await serveH3((_req, res) => {
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          sent++;
          if (!res.write(chunk)) {
            refusals++;
            res.onDrain(() => {
              drains++;
              pump();
            });
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const [r] = (await h3(server.port, { requests: [{ path: '/big' }] })).results as [H3Result];
    const whole = sha256(Buffer.concat(Array.from({ length: total }, () => chunk)));
    expect(r).toMatchObject({ status: 200, bytes: total * chunk.length, sha256: whole });
    // 10 MiB is over 7,000 datagrams; where the kernel has UDP GSO, sendmsg carries several at once.
    const counters = server.http3Counters?.();
    expect(counters?.datagramsSent).toBeGreaterThan(7000);
    if ((counters?.gsoSegments ?? 1) > 1)
      expect(counters?.sendCalls).toBeLessThan((counters?.datagramsSent ?? 0) / 2);
    else expect(counters?.sendCalls).toBe(counters?.datagramsSent);
    expect(refusals).toBeGreaterThan(0);
    expect(drains).toBe(refusals);
  });

  it('reads a 2 MiB request body at the pace of a slow reader', async () => {
    const size = 2 << 20;
    const want = sha256(patterned(size));
    let pieces = 0;
    let got = '';
    const server = await serveH3(
      async (req, res) => {
        const hash = createHash('sha256');
        for await (const piece of req.bodyStream()) {
          hash.update(piece);
          // A reader that falls behind: a pause every 8th piece.
          if (++pieces % 8 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        }
        got = hash.digest('hex');
        res.status(got === want ? 200 : 500).end(got);
      },
      { limits: { maxBodyBytes: 8 << 20 } },
    );
    const [r] = (await h3(server.port, { requests: [{ method: 'POST', path: '/slow', body_bytes: size }] }))
      .results as [H3Result];
    expect(got).toBe(want);
    expect(r.status).toBe(200);
    // Pieces of at most 64 KiB: the reader was offered the body in many steps, not all at once.
    expect(pieces).toBeGreaterThanOrEqual(32);
  });

  it('answers 413 for a body past maxBodyBytes', async () => {
    const server = await serveH3(
      async (req, res) => {
        try {
          res.end(await req.body());
        } catch (err) {
          res.status((err as { status?: number }).status ?? 500).end();
        }
      },
      { limits: { maxBodyBytes: 100_000 } },
    );
    const { results } = await h3(server.port, {
      requests: [
        { method: 'POST', path: '/declared', body_bytes: 200_000, headers: [['content-length', '200000']] },
        { method: 'POST', path: '/streamed', body_bytes: 200_000 },
      ],
    });
    expect(results.map((r) => r.status)).toEqual([413, 413]);
  });

  it('aborts the request when the client resets the stream, and serves on', async () => {
    let aborted = false;
    const server = await serveH3((req, res) => {
      if (req.path === '/after') return res.end('still here');
      req.onAbort(() => {
        aborted = true;
      });
      const chunk = patterned(16 * 1024);
      const timer = setInterval(() => {
        if (aborted) return clearInterval(timer);
        res.write(chunk);
      }, 2);
    });
    const run = await h3(server.port, { requests: [{ path: '/endless', reset_after_bytes: 100_000 }] });
    expect(run.results[0]?.reset).toBe('client');
    await expect.poll(() => aborted, { timeout: 5000 }).toBe(true);
    const [after] = (await h3(server.port, { requests: [{ path: '/after' }] })).results as [H3Result];
    expect(after).toMatchObject({ status: 200, bytes: 'still here'.length });
  });

  it('hands reloaded certificates to QUIC handshakes', async () => {
    const renewed = new TestCertificates();
    try {
      const next = renewed.make('renewed', 'localhost', 'DNS:localhost,IP:127.0.0.1');
      const server = await serveH3((_req, res) => res.end('ok'));
      await server.reloadTls({ cert: next.cert, key: next.key });
      const [r] = (await h3(server.port, { requests: [{ path: '/' }] }, next.cert)).results as [H3Result];
      expect(r.status).toBe(200);
      // The old certificate is no longer what a new handshake gets.
      await expect(h3(server.port, { requests: [{ path: '/' }] })).rejects.toThrow(/h3 client failed/);
    } finally {
      renewed.remove();
    }
  });

  it('refuses new QUIC connections after stopAccepting() and serves the open one on, without GOAWAY', async () => {
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      started = resolve;
    });
    const server = await serveH3(async (req, res) => {
      if (req.path === '/slow') {
        started();
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      res.end('served');
    });
    const client = h3(server.port, { requests: [{ path: '/slow' }] });
    await inFlight;
    await server.stopAccepting();
    const run = await client;
    expect(run.results[0]).toMatchObject({ status: 200, bytes: 'served'.length });
    expect(run.end.goaway).toBe(false);
    await expect(h3(server.port, { requests: [{ path: '/' }] })).rejects.toThrow(/h3 client failed/);
    expect(server.http3Counters?.()?.connectionsRefused).toBe(1);
  });

  it('finishes the request in flight on close, with GOAWAY, then closes with H3_NO_ERROR', async () => {
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      started = resolve;
    });
    const server = await serveH3(async (_req, res) => {
      started();
      await new Promise((resolve) => setTimeout(resolve, 300));
      res.end('finished');
    });
    servers = [];
    const client = h3(server.port, { requests: [{ path: '/slow' }], wait_close_ms: 3000 });
    await inFlight;
    const closed = server.close({ timeoutMs: 5000 });
    const run = await client;
    await closed;
    expect(run.results[0]).toMatchObject({ status: 200, bytes: 'finished'.length });
    expect(run.end.goaway).toBe(true);
    expect(run.end.terminated?.error_code).toBe(0x100);
  });

  it('closes connections whose requests outlast the close timeout, aborting them', async () => {
    let aborted = false;
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      started = resolve;
    });
    const server = await serveH3((req) => {
      req.onAbort(() => {
        aborted = true;
      });
      started(); // and never answered
    });
    servers = [];
    const client = h3(server.port, { requests: [{ path: '/forever' }], wait_close_ms: 5000 });
    await inFlight;
    const began = Date.now();
    await server.close({ timeoutMs: 300 });
    expect(Date.now() - began).toBeLessThan(5000);
    const run = await client;
    expect(aborted).toBe(true);
    expect(run.results[0]?.status).toBeNull();
    expect(run.end.terminated?.error_code).toBe(0x100);
  });
});

describe('Alt-Svc on the TCP listener', () => {
  const hello: RequestHandler = (req, res) => {
    if (req.path === '/own') res.setHeader('alt-svc', 'clear');
    res.end('tcp');
  };

  function h1Get(port: number, path: string): Promise<string | undefined> {
    const { cert } = localhostCertificate();
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port, path, ca: readFileSync(cert), servername: 'localhost' },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.headers['alt-svc'] as string | undefined));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  function h2Get(port: number, path: string): Promise<string | undefined> {
    const { cert } = localhostCertificate();
    return new Promise((resolve, reject) => {
      const session = http2Connect(`https://localhost:${port}`, { ca: readFileSync(cert) });
      session.on('error', reject);
      const stream = session.request({ ':path': path });
      stream.on('response', (headers) => {
        stream.resume();
        stream.on('end', () => {
          session.close();
          resolve(headers['alt-svc'] as string | undefined);
        });
      });
      stream.on('error', reject);
    });
  }

  it('names the HTTP/3 port on HTTP/1.1 and HTTP/2 responses; an app-set alt-svc wins', async () => {
    const server = await serveH3(hello, { http2: true });
    expect(await h1Get(server.port, '/')).toBe(`h3=":${server.port}"; ma=86400`);
    expect(await h2Get(server.port, '/')).toBe(`h3=":${server.port}"; ma=86400`);
    expect(await h1Get(server.port, '/own')).toBe('clear');
    expect(await h2Get(server.port, '/own')).toBe('clear');
  });

  it('uses altSvcMaxAgeSec', async () => {
    const server = await serveH3(hello, { http3: { altSvcMaxAgeSec: 60 } });
    expect(await h1Get(server.port, '/')).toBe(`h3=":${server.port}"; ma=60`);
  });

  it('is absent without http3', async () => {
    const { cert, key } = localhostCertificate();
    const server = await listen({ port: 0, engine: 'io_uring', tls: { cert, key }, http2: true }, hello);
    servers.push(server);
    expect(await h1Get(server.port, '/')).toBeUndefined();
    expect(await h2Get(server.port, '/')).toBeUndefined();
  });
});
