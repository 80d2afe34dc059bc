// Shared pieces of the HTTP/2 tests: which engines serve HTTP/2, a test app, a real client
// (node:http2) for one request, and self-signed certificates.
import { mkdtempSync } from 'node:fs';
import { connect, constants, type IncomingHttpHeaders } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from '../../../scripts/self-signed-cert.mjs';
import { type EngineName, ioUringSupported, type RequestHandler } from '../src/index.js';

/**
 * Engines that serve HTTP/2: node:http2, and the io_uring engine's HTTP/2 session on the ring
 * where io_uring works here. Every test iterating this list runs on each.
 */
export const H2_ENGINES: readonly EngineName[] = ioUringSupported().supported
  ? ['node', 'io_uring']
  : ['node'];

/** A small app: each path exercises one part of the contract. */
export const h2App: RequestHandler = async (req, res) => {
  switch (req.path) {
    case '/':
      res.setHeader('content-type', 'text/plain').end('Hello, World!');
      return;
    case '/echo': {
      const body = await req.body();
      res.setHeader('x-version', req.httpVersion).setHeader('x-method', req.method).end(body);
      return;
    }
    case '/big':
      res.end(Buffer.alloc(1 << 20, 0x61));
      return;
    case '/hang':
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000);
        req.onAbort(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (!res.finished) res.end('late');
      return;
    default:
      res.status(404).end('not found');
  }
};

/** What one request over HTTP/2 got back. */
export interface H2Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  trailers: IncomingHttpHeaders | undefined;
}

/** One request with node:http2 on a fresh connection (h2c, or h2 over TLS). */
export function h2Request(
  port: number,
  path: string,
  options: { method?: string; body?: string | Buffer; headers?: Record<string, string>; tls?: boolean } = {},
): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const session = connect(
      `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
      options.tls ? { rejectUnauthorized: false } : {},
    );
    session.on('error', reject);
    const stream = session.request({
      ':path': path,
      ':method': options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      ...options.headers,
    });
    const chunks: Buffer[] = [];
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | undefined;
    stream.on('response', (h) => {
      headers = h;
    });
    stream.on('trailers', (t) => {
      trailers = t;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', reject);
    stream.on('close', () => {
      session.close();
      if (stream.rstCode !== constants.NGHTTP2_NO_ERROR && headers[':status'] === undefined) {
        reject(new Error(`stream reset with code ${stream.rstCode}`));
        return;
      }
      resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(chunks), trailers });
    });
    stream.end(options.body);
  });
}

/** A directory holding a self-signed P-256 `cert.pem`/`key.pem` for localhost and 127.0.0.1. */
export function makeCertificate(): { dir: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'zephyr-h2-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  selfSignedCertificate({ cert, key });
  return { dir, cert, key };
}
