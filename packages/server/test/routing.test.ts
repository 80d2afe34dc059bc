import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp, HttpError } from '../src/index.js';
import { connect, type TestClient, TRANSPORTS } from './support/transports.js';

// The core request path, end to end: the same app through inject and through real sockets on
// both engines, so the engine adapters cannot drift from what inject shows.
describe.each(TRANSPORTS)('routing and responses over %s', (transport) => {
  let client: TestClient;
  const events: string[] = [];
  const logged: unknown[] = [];
  beforeAll(async () => {
    const app = createApp({
      production: true,
      logger: { debug() {}, info() {}, warn() {}, error: (fields) => logged.push(fields) },
    });
    app.addHook('onRequest', (ctx) => {
      events.push(`request ${ctx.req.path}`);
      return ctx.req.header('x-deny') ? ctx.text('denied', 401) : undefined;
    });
    app.addHook('onResponse', (ctx) => {
      events.push(`response ${ctx.res.status}`);
    });
    app.use(async (ctx, next) => {
      await next();
      ctx.header('x-powered-by', 'zephyr');
    });
    app.get('/users/me', (ctx) => ctx.text('me'));
    app.get('/users/:id', (ctx) => ctx.json({ id: ctx.params.id }));
    app.put('/users/:id', (ctx) => ctx.text(`put ${ctx.params.id}`));
    app.group('/api/v1', (api) => {
      api.use(async (ctx, next) => {
        ctx.header('x-api', '1');
        await next();
      });
      api.get('/items/:itemId', (ctx) => ctx.json({ item: ctx.params.itemId }));
    });
    app.get('/html', (ctx) => ctx.html('<b>bold</b>'));
    app.get('/redirect', (ctx) => ctx.redirect('/users/me', 307));
    app.get('/empty', (ctx) => ctx.send(null, 204));
    app.get('/stream', (ctx) =>
      ctx.stream(
        (async function* () {
          for (let i = 0; i < 100; i++) yield `${i},`;
        })(),
        'text/csv',
      ),
    );
    app.get('/boom', () => {
      throw new Error('internal detail');
    });
    app.get('/teapot', () => {
      throw new HttpError(418, 'short and stout');
    });
    app.post(
      '/orders',
      {
        query: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
        body: z.object({ sku: z.string().regex(/^[A-Z]{3}-\d+$/), qty: z.number().int().positive() }),
        response: z.object({ sku: z.string(), qty: z.number() }),
      },
      (ctx) => ctx.json({ ...ctx.body, internal: 'hidden' } as { sku: string; qty: number }, 201),
    );
    client = await connect(app, transport);
  });
  afterAll(() => client?.close());

  it('matches static before param routes and types the JSON', async () => {
    expect((await client.request({ url: '/users/me' })).text()).toBe('me');
    const res = await client.request({ url: '/users/a%20b?x=1' });
    expect(res.json()).toEqual({ id: 'a b' });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['x-powered-by']).toBe('zephyr');
  });

  it('answers 404, and 405 with Allow', async () => {
    const missing = await client.request({ url: '/missing' });
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'ZEPHYR_ERR_NOT_FOUND' });
    const wrong = await client.request({ method: 'DELETE', url: '/users/1' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, HEAD, PUT');
  });

  it('answers HEAD from GET without a body', async () => {
    const res = await client.request({ method: 'HEAD', url: '/users/7' });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(JSON.stringify({ id: '7' }).length));
    expect(res.body.length).toBe(0);
  });

  it('runs group middleware under the prefix only', async () => {
    const item = await client.request({ url: '/api/v1/items/9' });
    expect([item.json(), item.headers['x-api']]).toEqual([{ item: '9' }, '1']);
    expect((await client.request({ url: '/users/me' })).headers['x-api']).toBeUndefined();
  });

  it('sends html, redirects, 204 and streams', async () => {
    expect((await client.request({ url: '/html' })).headers['content-type']).toBe('text/html; charset=utf-8');
    const redirect = await client.request({ url: '/redirect' });
    expect([redirect.status, redirect.headers.location]).toEqual([307, '/users/me']);
    const empty = await client.request({ url: '/empty' });
    expect([empty.status, empty.body.length]).toEqual([204, 0]);
    const stream = await client.request({ url: '/stream' });
    expect(stream.text()).toBe(Array.from({ length: 100 }, (_, i) => `${i},`).join(''));
  });

  it('hides internal errors in production, logs them, and sends HttpErrors as given', async () => {
    logged.length = 0;
    const boom = await client.request({ url: '/boom' });
    expect(boom.status).toBe(500);
    expect(boom.text()).not.toContain('internal detail');
    expect(JSON.stringify(logged)).toContain('internal detail');
    const teapot = await client.request({ url: '/teapot' });
    expect([teapot.status, teapot.json()]).toEqual([
      418,
      expect.objectContaining({ detail: 'short and stout' }),
    ]);
  });

  it('validates and serializes with schemas', async () => {
    const ok = await client.request({
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'ABC-1', qty: 2 }),
    });
    expect([ok.status, ok.json()]).toEqual([201, { sku: 'ABC-1', qty: 2 }]);
    const bad = await client.request({
      method: 'POST',
      url: '/orders?dryRun=maybe',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'abc', qty: 0 }),
    });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(
      bad.json<{ issues: Array<{ in: string; path: string }> }>().issues.map((i) => `${i.in}:${i.path}`),
    ).toEqual(['query:dryRun', 'body:sku', 'body:qty']);
  });

  it('runs hooks around every request, and lets onRequest answer', async () => {
    events.length = 0;
    await client.request({ url: '/users/me' });
    const denied = await client.request({ url: '/users/me', headers: { 'x-deny': '1' } });
    expect([denied.status, denied.text()]).toEqual([401, 'denied']);
    expect(events).toEqual(['request /users/me', 'response 200', 'request /users/me', 'response 401']);
  });
});
