// Shared pieces of the engine-conformance suite: the engines under test, a server per engine
// serving a small test application, and a raw-socket client for framing no real client sends.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import type { EngineLimits, EngineName, EngineServer, RequestHandler } from '../../src/index.js';
import { listen } from '../../src/index.js';
import { localhostCertificate } from '../tls-fixture.js';

/** Every engine the contract is checked against; each describe block runs once per engine. */
export const ENGINES: readonly EngineName[] = ['node', 'io_uring'];

export { sleep };

/** How the suite's clients reach a server: cleartext or HTTPS. */
export type Transport = 'plain' | 'tls';

/**
 * Engine × transport, for the parts of the contract that hold over TLS as well (framing,
 * pipelining, limits): HTTP/1 must not change meaning when rustls or node:tls carries it.
 */
export const ENGINES_OVER: ReadonlyArray<readonly [EngineName, Transport]> = ENGINES.flatMap((engine) =>
  (['plain', 'tls'] as const).map((transport) => [engine, transport] as const),
);

/** Ports of TLS servers started here: `open` and `raw` speak TLS to them. */
const tlsPorts = new Set<number>();

/** Starts `handler` on `engine` on a free loopback port (over TLS when `transport` says so). */
export async function start(
  engine: EngineName,
  handler: RequestHandler,
  limits: Partial<EngineLimits> = {},
  transport: Transport = 'plain',
) {
  const tls = transport === 'tls' ? { tls: localhostCertificate() } : {};
  const server = await listen({ port: 0, host: '127.0.0.1', engine, limits, ...tls }, handler);
  if (transport === 'tls') tlsPorts.add(server.port);
  return server;
}

/** The application most tests talk to; each path exercises one part of the contract. */
export const testApp: RequestHandler = async (req, res) => {
  const [, first = '', ...rest] = req.path.split('/');
  switch (first) {
    case '':
      res.setHeader('content-type', 'text/plain').end('Hello, World!');
      return;
    case 'echo': {
      const body = await req.body();
      const type = req.header('content-type');
      if (type !== undefined) res.setHeader('content-type', type);
      res.setHeader('x-method', req.method).setHeader('x-version', req.httpVersion).end(body);
      return;
    }
    case 'headers':
      res.setHeader('content-type', 'application/json').end(JSON.stringify(req.headers()));
      return;
    case 'header': {
      // /header/<name>: header(name) read at once and again after an await (the engines may
      // answer the two from different places: the request's bytes, then decoded fields).
      const name = decodeURIComponent(rest[0] ?? '');
      const now = req.header(name) ?? null;
      await sleep(1);
      res
        .setHeader('content-type', 'application/json')
        .end(JSON.stringify({ now, later: req.header(name) ?? null }));
      return;
    }
    case 'chunked':
      // No content-length: the engine must frame these writes as chunks.
      res.write('alpha,');
      await sleep(5);
      res.write(Buffer.from('beta,'));
      res.end('gamma');
      return;
    case 'delay': {
      // /delay/<ms>/<tag>: answers <tag> after <ms>, to reorder completions under pipelining.
      await sleep(Number(rest[0] ?? 0));
      res.end(rest[1] ?? '');
      return;
    }
    case 'count': {
      let bytes = 0;
      for await (const chunk of req.bodyStream()) bytes += chunk.length;
      res.end(String(bytes));
      return;
    }
    case 'throw':
      throw new Error('handler threw on purpose');
    case 'reject':
      await sleep(1);
      throw new Error('handler rejected on purpose');
    default:
      res.status(404).end('not found');
  }
};

/** What a raw exchange saw: all bytes the server sent, and whether it closed the connection. */
export interface RawResult {
  text: string;
  closed: boolean;
  /** First status code in `text`, 0 when the server sent nothing. */
  status: number;
}

/**
 * Writes `payload` on a fresh connection and collects the answer until the server closes or
 * `waitMs` passes. `payload` may be a list, written with `gapMs` between parts.
 */
export async function raw(
  port: number,
  payload: string | Buffer | Array<string | Buffer>,
  options: { waitMs?: number; gapMs?: number } = {},
): Promise<RawResult> {
  const { waitMs = 2000, gapMs = 0 } = options;
  const socket = await open(port);
  let text = '';
  let closed = false;
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    text += d;
  });
  const done = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  const parts = Array.isArray(payload) ? payload : [payload];
  for (const part of parts) {
    if (socket.destroyed) break;
    socket.write(part);
    if (gapMs > 0) await sleep(gapMs);
  }
  const timer = sleep(waitMs).then(() => 'timeout' as const);
  if ((await Promise.race([done.then(() => 'closed' as const), timer])) === 'closed') closed = true;
  socket.destroy();
  return { text, closed, status: statusOf(text) };
}

/** Opens a loopback connection (TLS, handshake done, to a server started over TLS). */
export function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tlsPorts.has(port)
      ? tlsConnect({ port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false }, () =>
          resolve(socket),
        )
      : connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The status code of the first status line in `text`, 0 when there is none. */
export function statusOf(text: string): number {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** A parsed response from a raw byte stream. */
export interface ParsedResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/**
 * Splits a byte stream (latin1 text) into responses, framing bodies by content-length or chunked
 * encoding. `bodiless` marks responses (by index) that carry no body, e.g. answers to HEAD.
 */
export function parseResponses(text: string, bodiless: ReadonlySet<number> = new Set()): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let pos = 0;
  while (pos < text.length) {
    const end = text.indexOf('\r\n\r\n', pos);
    if (end === -1) break;
    const lines = text.slice(pos, end).split('\r\n');
    const status = statusOf(lines[0] ?? '');
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    pos = end + 4;
    let body = '';
    if (status >= 200 && status !== 204 && status !== 304 && !bodiless.has(out.length)) {
      if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') {
        for (;;) {
          const lineEnd = text.indexOf('\r\n', pos);
          if (lineEnd === -1) return out;
          const size = Number.parseInt(text.slice(pos, lineEnd), 16);
          pos = lineEnd + 2;
          if (size === 0) {
            const trailerEnd = text.indexOf('\r\n', pos);
            pos = trailerEnd + 2;
            break;
          }
          body += text.slice(pos, pos + size);
          pos += size + 2;
        }
      } else if (headers.has('content-length')) {
        const length = Number(headers.get('content-length'));
        body = text.slice(pos, pos + length);
        pos += length;
      } else {
        body = text.slice(pos);
        pos = text.length;
      }
    }
    // 1xx interim responses are listed too: Expect: 100-continue tests look for them.
    out.push({ status, headers, body });
  }
  return out;
}

/** Closes `server` after a test file, tolerating one that failed to start. */
export async function stop(server: EngineServer | undefined): Promise<void> {
  if (server === undefined) return;
  await server.close({ timeoutMs: 1000 });
  // A later plain server may be given the same port number: it must not be spoken TLS to.
  tlsPorts.delete(server.port);
}
