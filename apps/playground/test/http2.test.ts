// The playground serves HTTP/2 when configured (server.http2.enabled, here from the environment),
// on each engine, to the real clients users have: curl (--http2-prior-knowledge over h2c, --http2
// over TLS by ALPN), nghttp (Debian nghttp2-client), Node's http2.connect, and Chromium over TLS
// (nextHopProtocol must be h2). HTTP/1.1 keeps working on the same port; the app is unchanged.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../../scripts/self-signed-cert.mjs';
import { type RunningPlayground, startPlayground } from './support/start-playground.js';

const ENGINES = ['io_uring', 'node'] as const;

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 20_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${command} ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

/** Starts the playground with HTTP/2 on; resolves its port once it says it listens. */
function startHttp2Playground(engine: string, env: Record<string, string>): Promise<RunningPlayground> {
  return startPlayground(
    { ZEPHYR_IO_ENGINE: engine, ZEPHYR_SERVER__HTTP2__ENABLED: 'true', ...env },
    (output) => {
      const match = /listening on https?:\/\/\S+:(\d+)\/ \(engine: (\S+)\)/.exec(output);
      if (!match) return undefined;
      if (match[2] !== engine) throw new Error(`asked for ${engine}, got ${match[2]}`);
      return Number(match[1]);
    },
  );
}

/** GET `path` with node:http2 on one session; resolves the status and body. */
function http2Get(origin: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = connect(origin, { rejectUnauthorized: false });
    session.on('error', reject);
    const stream = session.request({ ':path': path });
    let status = 0;
    let body = '';
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    stream.on('end', () => {
      session.close();
      resolve({ status, body });
    });
    stream.on('error', reject);
  });
}

describe.each(ENGINES)('playground with server.http2.enabled (%s engine)', (engine) => {
  let dir = '';
  let plain: RunningPlayground;
  let secure: RunningPlayground;
  let browser: Browser;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zephyr-playground-h2-tls-'));
    const { cert, key } = selfSignedCertificate({ cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') });
    [plain, secure] = await Promise.all([
      startHttp2Playground(engine, {}),
      startHttp2Playground(engine, { ZEPHYR_SERVER__TLS__CERT: cert, ZEPHYR_SERVER__TLS__KEY: key }),
    ]);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--ignore-certificate-errors'],
    });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    plain?.child.kill('SIGTERM');
    secure?.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('curl: h2c by prior knowledge, h2 over TLS by ALPN, and HTTP/1.1 on the same ports', async () => {
    const h2c = `http://127.0.0.1:${plain.port}/health`;
    const h2 = `https://127.0.0.1:${secure.port}/health`;
    const version = ['-sS', '-w', ' %{http_version}'];
    expect(await run('curl', [...version, '--http2-prior-knowledge', h2c])).toBe('ok 2');
    expect(await run('curl', [...version, h2c])).toBe('ok 1.1');
    expect(await run('curl', [...version, '-k', '--http2', h2])).toBe('ok 2');
    expect(await run('curl', [...version, '-k', '--http1.1', h2])).toBe('ok 1.1');
  });

  it('nghttp: several streams on one connection, over h2c and TLS', async () => {
    for (const base of [`http://127.0.0.1:${plain.port}`, `https://127.0.0.1:${secure.port}`]) {
      const out = await run('nghttp', ['-v', `${base}/health`, `${base}/`]);
      expect(out).toContain('recv SETTINGS frame');
      // Two requests, two streams (1 and 3), each answered 200.
      expect(out.match(/:status: 200/g)).toHaveLength(2);
      expect(out).toMatch(/stream_id=3/);
    }
  });

  it("Node's http2.connect over h2c and TLS", async () => {
    for (const origin of [`http://127.0.0.1:${plain.port}`, `https://127.0.0.1:${secure.port}`]) {
      const health = await http2Get(origin, '/health');
      expect(health).toEqual({ status: 200, body: 'ok' });
      const index = await http2Get(origin, '/');
      expect(index.status).toBe(200);
      expect(JSON.parse(index.body)).toMatchObject({ name: 'Zephyr playground' });
    }
  });

  it('Chromium loads the playground over h2 (TLS, ALPN)', { timeout: 60_000 }, async () => {
    const page = await browser.newPage();
    try {
      const response = await page.goto(`https://localhost:${secure.port}/`);
      expect(response?.status()).toBe(200);
      // An expression string: this package's TypeScript has no DOM types.
      const protocol = await page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol");
      expect(protocol).toBe('h2');
      const health = await page.evaluate("fetch('/health').then((r) => r.text())");
      expect(health).toBe('ok');
    } finally {
      await page.close();
    }
  });
});
