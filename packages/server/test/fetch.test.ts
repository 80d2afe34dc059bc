import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp } from '../src/index.js';

describe('app.fetch(Request) → Response', () => {
  const app = createApp();
  app.get('/users/:id', (ctx) => ctx.json({ id: ctx.params.id, q: ctx.query }));
  app.post('/echo', { body: z.object({ n: z.number() }) }, (ctx) =>
    ctx.json({ doubled: ctx.body.n * 2 }, 201),
  );
  app.get('/stream', (ctx) =>
    ctx.stream(
      (async function* () {
        yield 'one,';
        yield 'two';
      })(),
      'text/plain',
    ),
  );
  app.get('/cookie', (ctx) => ctx.setCookie('a', '1').setCookie('b', '2').text('ok'));

  it('serves a GET with params and query', async () => {
    const res = await app.fetch(new Request('http://localhost/users/9?x=1'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ id: '9', q: { x: '1' } });
  });

  it('reads and validates a body', async () => {
    const ok = await app.fetch(
      new Request('http://localhost/echo', {
        method: 'POST',
        body: '{"n":21}',
        headers: { 'content-type': 'application/json' },
      }),
    );
    expect([ok.status, await ok.json()]).toEqual([201, { doubled: 42 }]);
    const bad = await app.fetch(
      new Request('http://localhost/echo', {
        method: 'POST',
        body: '{"n":"x"}',
        headers: { 'content-type': 'application/json' },
      }),
    );
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
  });

  it('streams a streamed body', async () => {
    const res = await app.fetch(new Request('http://localhost/stream'));
    expect(await res.text()).toBe('one,two');
  });

  it('keeps repeated set-cookie fields apart', async () => {
    const res = await app.fetch(new Request('http://localhost/cookie'));
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/; HttpOnly', 'b=2; Path=/; HttpOnly']);
  });

  it('answers HEAD and 404 like the engine does', async () => {
    const head = await app.fetch(new Request('http://localhost/users/1', { method: 'HEAD' }));
    expect([head.status, head.body]).toEqual([200, null]);
    const missing = await app.fetch(new Request('http://localhost/none'));
    expect(missing.status).toBe(404);
  });
});
