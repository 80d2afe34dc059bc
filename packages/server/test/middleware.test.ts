import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compress, cors, createApp, etag, requestId } from '../src/index.js';
import { connect, type TestClient, TRANSPORTS } from './support/transports.js';

const big = 'zephyr '.repeat(1000);

describe.each(TRANSPORTS)('middleware over %s', (transport) => {
  let client: TestClient;
  beforeAll(async () => {
    const app = createApp();
    app.use(requestId());
    app.use(
      cors({
        origin: ['https://ok.example'],
        credentials: true,
        maxAge: 600,
        exposeHeaders: ['x-request-id'],
      }),
    );
    app.use(compress());
    app.use(etag());
    app.get('/big', (ctx) => ctx.text(big));
    app.get('/small', (ctx) => ctx.text('tiny'));
    app.get('/png', (ctx) => ctx.header('content-type', 'image/png').send(Buffer.alloc(4096, 1)));
    app.get('/id', (ctx) => ctx.text(ctx.requestId));
    app.get('/stream', (ctx) =>
      ctx.stream(
        (async function* () {
          for (let i = 0; i < 50; i++) yield `line ${i} ${'x'.repeat(100)}\n`;
        })(),
        'text/plain',
      ),
    );
    client = await connect(app, transport);
  });
  afterAll(() => client?.close());

  it('gzips when only gzip is accepted', async () => {
    const res = await client.request({ url: '/big', headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers.vary).toContain('accept-encoding');
    expect(gunzipSync(res.body).toString()).toBe(big);
  });

  it('picks brotli or gzip by q-value', async () => {
    const br = await client.request({ url: '/big', headers: { 'accept-encoding': 'gzip;q=0.5, br;q=0.9' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).toString()).toBe(big);
    const gz = await client.request({ url: '/big', headers: { 'accept-encoding': 'gzip;q=1, br;q=0.1' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    const none = await client.request({ url: '/big', headers: { 'accept-encoding': 'gzip;q=0, br;q=0' } });
    expect(none.headers['content-encoding']).toBeUndefined();
    expect(none.text()).toBe(big);
  });

  it('skips small bodies and already-compressed types', async () => {
    const small = await client.request({ url: '/small', headers: { 'accept-encoding': 'gzip, br' } });
    expect(small.headers['content-encoding']).toBeUndefined();
    const png = await client.request({ url: '/png', headers: { 'accept-encoding': 'gzip, br' } });
    expect(png.headers['content-encoding']).toBeUndefined();
    expect(png.body.length).toBe(4096);
  });

  it('compresses streams', async () => {
    const res = await client.request({ url: '/stream', headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.body).toString()).toContain('line 49');
  });

  it('sets an ETag and answers If-None-Match with 304', async () => {
    const first = await client.request({ url: '/big' });
    const tag = first.headers.etag as string;
    expect(tag).toMatch(/^W\/"/);
    const again = await client.request({ url: '/big', headers: { 'if-none-match': tag } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const other = await client.request({ url: '/big', headers: { 'if-none-match': '"nope"' } });
    expect(other.status).toBe(200);
  });

  it('answers CORS preflight for allowed origins, even without an OPTIONS route', async () => {
    const res = await client.request({
      method: 'OPTIONS',
      url: '/big',
      headers: {
        origin: 'https://ok.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'x-custom',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://ok.example');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-allow-methods']).toContain('PUT');
    expect(res.headers['access-control-allow-headers']).toBe('x-custom');
    expect(res.headers['access-control-max-age']).toBe('600');
    const denied = await client.request({
      method: 'OPTIONS',
      url: '/big',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'PUT' },
    });
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await client.request({ url: '/small', headers: { origin: 'https://ok.example' } });
    expect(simple.headers['access-control-allow-origin']).toBe('https://ok.example');
    expect(simple.headers['access-control-expose-headers']).toBe('x-request-id');
  });

  it('gives each request an id, reusing a well-formed incoming one', async () => {
    const a = await client.request({ url: '/id' });
    expect(a.text()).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.headers['x-request-id']).toBe(a.text());
    const b = await client.request({ url: '/id', headers: { 'x-request-id': 'abc-123' } });
    expect(b.text()).toBe('abc-123');
    const c = await client.request({ url: '/id', headers: { 'x-request-id': 'bad id\twith<junk>' } });
    expect(c.text()).not.toContain('junk');
  });
});
