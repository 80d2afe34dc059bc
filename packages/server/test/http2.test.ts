// An app serves HTTP/1.1 and HTTP/2 with no change to a route: through app.listen({ http2 }),
// through the `server.http2` config section, and to a real browser (Debian's chromium, driven by
// playwright-core) over TLS, which must pick h2 by ALPN.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type IncomingHttpHeaders } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '@zephyr/config';
import { ioUringSupported } from '@zephyr/uring';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { selfSignedCertificate } from '../../../scripts/self-signed-cert.mjs';
import {
  type App,
  createApp,
  listenOptionsFromConfig,
  type Server,
  serverConfigSchema,
} from '../src/index.js';

function usersApp(): App {
  const app = createApp();
  app.get('/', (c) => c.html('<!doctype html><title>h2</title><p id="v">loaded</p>'));
  app.get('/users/:id', (c) => c.json({ id: c.params.id, version: c.req.raw.httpVersion }));
  app.post('/users', { body: z.object({ name: z.string().min(1) }) }, (c) =>
    c.json({ created: c.body.name }, 201),
  );
  return app;
}

/** One request over HTTP/2 (h2c, or h2 over TLS). */
async function h2(
  port: number,
  path: string,
  init: { method?: string; body?: string; tls?: boolean } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  const session = connect(`${init.tls ? 'https' : 'http'}://127.0.0.1:${port}`, {
    rejectUnauthorized: false,
  });
  try {
    const stream = session.request({
      ':path': path,
      ':method': init.method ?? 'GET',
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    });
    stream.end(init.body);
    const headers = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
      stream.on('response', resolve);
      stream.on('error', reject);
    });
    let text = '';
    for await (const chunk of stream) text += chunk;
    return { status: Number(headers[':status']), headers, text };
  } finally {
    session.close();
  }
}

/** Both engines serve HTTP/2 (io_uring where the ring works here). */
const ENGINES = ioUringSupported().supported ? (['node', 'io_uring'] as const) : (['node'] as const);

describe.each(ENGINES)('an app over HTTP/1.1 and HTTP/2 (%s engine)', (engine) => {
  let server: Server;
  beforeAll(async () => {
    server = await usersApp().listen({ port: 0, engine, http2: true });
  });
  afterAll(() => server.close());

  it('answers the same routes the same way on both protocols', async () => {
    const overH2 = await h2(server.port, '/users/7');
    expect(overH2.status).toBe(200);
    expect(JSON.parse(overH2.text)).toEqual({ id: '7', version: '2.0' });
    const overH1 = await fetch(`http://127.0.0.1:${server.port}/users/7`);
    expect(await overH1.json()).toEqual({ id: '7', version: '1.1' });

    const created = await h2(server.port, '/users', {
      method: 'POST',
      body: JSON.stringify({ name: 'Ada' }),
    });
    expect(created.status).toBe(201);
    expect(JSON.parse(created.text)).toEqual({ created: 'Ada' });
    const invalid = await h2(server.port, '/users', { method: 'POST', body: JSON.stringify({ name: '' }) });
    expect(invalid.status).toBe(400);
    expect(invalid.headers['content-type']).toMatch(/problem\+json/);
    expect((await h2(server.port, '/nowhere')).status).toBe(404);
  });
});

describe('server.http2 in zephyr.config.yaml', () => {
  it('turns HTTP/2 on with its settings, and validates them', async () => {
    const config = parseConfig(
      'server:\n  port: 0\n  io_engine: node\n  http2:\n    enabled: true\n    max_concurrent_streams: 50\n    idle_timeout_ms: 5000\n',
      { sections: { server: serverConfigSchema } },
    );
    const options = listenOptionsFromConfig(config.server);
    expect(options.http2).toEqual({
      maxConcurrentStreams: 50,
      initialWindowSize: 65_535,
      maxFrameSize: 16_384,
      maxHeaderListSize: 16_384,
      idleTimeoutMs: 5000,
    });
    // In this process: `workers` (default 1) would fork this test file.
    const { workers: _workers, ...inProcess } = options;
    const server = await usersApp().listen(inProcess);
    try {
      expect(JSON.parse((await h2(server.port, '/users/1')).text).version).toBe('2.0');
    } finally {
      await server.close();
    }
    // Off unless enabled; bad values are the file's error, named by key.
    expect(listenOptionsFromConfig(serverConfigSchema.parse({})).http2).toBeUndefined();
    expect(() =>
      parseConfig('server:\n  http2:\n    max_frame_size: 100\n', {
        sections: { server: serverConfigSchema },
      }),
    ).toThrow(ConfigError);
    expect(() =>
      parseConfig('server:\n  http2:\n    max_streams: 10\n', { sections: { server: serverConfigSchema } }),
    ).toThrow(/max_streams/);
  });
});

describe.each(ENGINES)('Chromium over HTTP/2 (%s engine)', (engine) => {
  let browser: Browser;
  let dir = '';
  let server: Server;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zephyr-h2-browser-'));
    selfSignedCertificate({ cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') });
    server = await usersApp().listen({
      port: 0,
      engine,
      http2: true,
      tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') },
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--ignore-certificate-errors'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads a page over h2 (nextHopProtocol) and fetches a route from it', { timeout: 60_000 }, async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`https://localhost:${server.port}/`);
      expect(await page.textContent('#v')).toBe('loaded');
      // An expression string: this package's TypeScript has no DOM types.
      const protocol = await page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol");
      expect(protocol).toBe('h2');
      const user = await page.evaluate(async () => (await fetch('/users/9')).json());
      expect(user).toEqual({ id: '9', version: '2.0' });
    } finally {
      await page.close();
    }
  });
});
