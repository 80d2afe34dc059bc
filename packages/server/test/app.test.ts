import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type Context, createApp, HttpError, type Problem } from '../src/index.js';

describe('routes, params and responses (inject)', () => {
  it('serves static and param routes with typed params', async () => {
    const app = createApp();
    app.get('/users/me', (ctx) => ctx.text('me'));
    app.get('/users/:id', (ctx) => {
      expectTypeOf(ctx.params).toEqualTypeOf<{ id: string }>();
      return ctx.json({ id: ctx.params.id });
    });
    app.get('/files/:bucket/*', (ctx) => {
      expectTypeOf(ctx.params).toEqualTypeOf<{ bucket: string; '*': string }>();
      return ctx.json(ctx.params);
    });
    expect((await app.inject({ url: '/users/me' })).text()).toBe('me');
    const res = await app.inject({ url: '/users/42' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toEqual({ id: '42' });
    expect((await app.inject({ url: '/files/b1/a/b%20c.txt' })).json()).toEqual({
      bucket: 'b1',
      '*': 'a/b c.txt',
    });
  });

  it('answers 404 and 405 with Allow, as problem documents', async () => {
    const app = createApp();
    app.get('/a', (ctx) => ctx.text('a'));
    app.post('/a', (ctx) => ctx.text('posted'));
    const missing = await app.inject({ url: '/nope' });
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(missing.json()).toMatchObject({ status: 404, code: 'ZEPHYR_ERR_NOT_FOUND' });
    const wrong = await app.inject({ method: 'DELETE', url: '/a' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, HEAD, POST');
    expect(wrong.json()).toMatchObject({ code: 'ZEPHYR_ERR_METHOD_NOT_ALLOWED' });
  });

  it('answers HEAD from the GET route with the length and no body', async () => {
    const app = createApp();
    app.get('/hello', (ctx) => ctx.text('hello world'));
    const res = await app.inject({ method: 'HEAD', url: '/hello' });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('11');
    expect(res.body.length).toBe(0);
  });

  it('prefixes routes in groups, nested, with their own middleware and typed prefix params', async () => {
    const app = createApp();
    const seen: string[] = [];
    const orgs = app.group('/orgs/:org');
    orgs.use(async (ctx, next) => {
      seen.push(`org:${ctx.routePath}`);
      await next();
    });
    orgs.get('/users/:id', (ctx) => {
      expectTypeOf(ctx.params).toEqualTypeOf<{ org: string; id: string }>();
      return ctx.json(ctx.params);
    });
    orgs.group('/admin', (admin) => {
      admin.get('/', (ctx) => ctx.text(`admin of ${ctx.params.org}`));
    });
    app.get('/plain', (ctx) => ctx.text('plain'));
    expect((await app.inject({ url: '/orgs/acme/users/7' })).json()).toEqual({ org: 'acme', id: '7' });
    expect((await app.inject({ url: '/orgs/acme/admin' })).text()).toBe('admin of acme');
    expect((await app.inject({ url: '/plain' })).text()).toBe('plain');
    expect(seen).toEqual(['org:/orgs/:org/users/:id', 'org:/orgs/:org/admin']);
  });

  it('sets status, headers, html, redirects; adopts a returned web Response', async () => {
    const app = createApp();
    app.get('/created', (ctx) => ctx.status(201).header('x-a', 'b').html('<p>hi</p>'));
    app.get('/go', (ctx) => ctx.redirect('/there', 301));
    app.get('/web', () => new Response('from fetch', { status: 202, headers: { 'x-web': '1' } }));
    const created = await app.inject({ url: '/created' });
    expect([created.status, created.headers['x-a'], created.headers['content-type'], created.text()]).toEqual(
      [201, 'b', 'text/html; charset=utf-8', '<p>hi</p>'],
    );
    const go = await app.inject({ url: '/go' });
    expect([go.status, go.headers.location]).toEqual([301, '/there']);
    const web = await app.inject({ url: '/web' });
    expect([web.status, web.headers['x-web'], web.text()]).toEqual([202, '1', 'from fetch']);
  });

  it('streams an async iterable body', async () => {
    const app = createApp();
    app.get('/stream', (ctx) =>
      ctx.stream(
        (async function* () {
          yield 'a';
          yield Buffer.from('b');
          yield 'c';
        })(),
        'text/plain',
      ),
    );
    expect((await app.inject({ url: '/stream' })).text()).toBe('abc');
  });

  it('runs onion middleware in order, hooks around it, and lets middleware change the response', async () => {
    const app = createApp();
    const order: string[] = [];
    app.addHook('onRequest', () => {
      order.push('onRequest');
    });
    app.addHook('onResponse', (ctx) => {
      order.push(`onResponse ${ctx.res.status}`);
    });
    app.use(async (ctx, next) => {
      order.push('a in');
      await next();
      order.push('a out');
      ctx.header('x-wrapped', 'yes');
    });
    app.use(async (_ctx, next) => {
      order.push('b in');
      await next();
      order.push('b out');
    });
    app.get('/', (ctx) => {
      order.push('handler');
      return ctx.text('ok');
    });
    const res = await app.inject({ url: '/' });
    expect(res.headers['x-wrapped']).toBe('yes');
    expect(order).toEqual(['onRequest', 'a in', 'b in', 'handler', 'b out', 'a out', 'onResponse 200']);
  });

  it('lets an onRequest hook answer and skip the rest', async () => {
    const app = createApp();
    app.addHook('onRequest', (ctx) => (ctx.req.header('x-block') ? ctx.text('blocked', 403) : undefined));
    app.get('/', (ctx) => ctx.text('ok'));
    expect((await app.inject({ url: '/', headers: { 'x-block': '1' } })).status).toBe(403);
    expect((await app.inject({ url: '/' })).status).toBe(200);
  });

  it('rejects conflicting routes at registration, naming both', () => {
    const app = createApp();
    app.get('/users/:id', (ctx) => ctx.text('x'));
    expect(() => app.get('/users/:id', (ctx) => ctx.text('y'))).toThrow(
      /GET \/users\/:id conflicts with route GET \/users\/:id/,
    );
    expect(() => app.post('/users/:name', (ctx) => ctx.text('y'))).toThrow(
      expect.objectContaining({
        code: 'ZEPHYR_ERR_ROUTE_CONFLICT',
        message: expect.stringMatching(/POST \/users\/:name.*GET \/users\/:id/),
      }),
    );
    expect(() => app.get('/a/*/b', (ctx) => ctx.text('y'))).toThrow(
      expect.objectContaining({ code: 'ZEPHYR_ERR_ROUTE_INVALID' }),
    );
  });

  it('refuses registration after the app started serving', async () => {
    const app = createApp();
    app.get('/', (ctx) => ctx.text('ok'));
    await app.inject({ url: '/' });
    expect(() => app.get('/late', (ctx) => ctx.text('late'))).toThrow(
      expect.objectContaining({ code: 'ZEPHYR_ERR_APP_STARTED' }),
    );
  });
});

describe('errors', () => {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };

  it('gives a 500 without stack in production, logging the error', async () => {
    const logged: unknown[] = [];
    const app = createApp({ production: true, logger: { ...quiet, error: (fields) => logged.push(fields) } });
    app.get('/boom', () => {
      throw new Error('secret internals');
    });
    const res = await app.inject({ url: '/boom' });
    expect(res.status).toBe(500);
    expect(res.text()).not.toContain('secret internals');
    expect(res.text()).not.toContain('at ');
    const requestId = res.headers['x-request-id'];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.json()).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: `The server failed to handle this request; quote request id ${requestId} when reporting it.`,
      code: 'ZEPHYR_ERR_INTERNAL',
      requestId,
    });
    expect(JSON.stringify(logged)).toContain('secret internals');
  });

  it('shows the message and stack outside production, marked as development-only', async () => {
    const app = createApp({ production: false, logger: quiet });
    app.get('/boom', () => {
      throw new Error('visible');
    });
    const body = (await app.inject({ url: '/boom' })).json<Problem>();
    expect(body.detail).toMatch(/^The server failed to handle this request/);
    expect(body.debug?.note).toMatch(/development mode only/);
    expect(body.debug?.message).toBe('visible');
    expect(body.debug?.stack).toContain('Error: visible');
  });

  it('sends HttpError messages and statuses', async () => {
    const app = createApp({ production: true });
    app.get('/gone', () => {
      throw new HttpError(410, 'it left');
    });
    const res = await app.inject({ url: '/gone' });
    expect([res.status, res.json()]).toEqual([
      410,
      expect.objectContaining({ detail: 'it left', code: 'ZEPHYR_ERR_HTTP' }),
    ]);
  });

  it('uses custom error and not-found handlers and calls onError hooks', async () => {
    const app = createApp({ logger: quiet });
    const hooked: string[] = [];
    app.addHook('onError', (err) => {
      hooked.push((err as Error).message);
    });
    app.setErrorHandler((err, ctx: Context) => ctx.json({ oops: (err as Error).message }, 503));
    app.setNotFoundHandler((ctx) => ctx.text(`no ${ctx.req.path}`, 404));
    app.get('/fail', () => {
      throw new Error('bad');
    });
    const failed = await app.inject({ url: '/fail' });
    expect([failed.status, failed.json()]).toEqual([503, { oops: 'bad' }]);
    expect(hooked).toEqual(['bad']);
    const missing = await app.inject({ url: '/x' });
    expect([missing.status, missing.text()]).toEqual([404, 'no /x']);
  });

  it('falls back to the default problem when the error handler throws', async () => {
    const app = createApp({ logger: quiet, production: true });
    app.setErrorHandler(() => {
      throw new Error('handler broke');
    });
    app.get('/', () => {
      throw new Error('first');
    });
    const res = await app.inject({ url: '/' });
    expect(res.status).toBe(500);
    expect(res.json()).toMatchObject({ code: 'ZEPHYR_ERR_INTERNAL' });
  });
});

describe('validation (zod)', () => {
  const app = createApp();
  app.post(
    '/items/:id',
    {
      params: z.object({ id: z.coerce.number().int().positive() }),
      query: z.object({ verbose: z.enum(['yes', 'no']).default('no') }),
      headers: z.object({ 'x-tenant': z.string().min(2) }),
      body: z.object({ name: z.string().min(1), tags: z.array(z.string()).max(3) }),
    },
    (ctx) => {
      expectTypeOf(ctx.params).toEqualTypeOf<{ id: number }>();
      expectTypeOf(ctx.body).toEqualTypeOf<{ name: string; tags: string[] }>();
      return ctx.json({
        id: ctx.params.id,
        verbose: ctx.query.verbose,
        tenant: ctx.headers['x-tenant'],
        ...ctx.body,
      });
    },
  );

  it('gives typed, parsed values to the handler', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/items/3?verbose=yes',
      headers: { 'x-tenant': 'acme' },
      body: { name: 'n', tags: ['a'] },
    });
    expect(res.json()).toEqual({ id: 3, verbose: 'yes', tenant: 'acme', name: 'n', tags: ['a'] });
  });

  it('answers 400 problem+json listing every issue with its path', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/items/-1?verbose=maybe',
      body: { name: '', tags: ['a', 'b', 'c', 'd'] },
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    const problem = res.json<{
      code: string;
      issues: Array<{ in: string; path: string; message: string }>;
    }>();
    expect(problem.code).toBe('ZEPHYR_ERR_VALIDATION');
    expect(problem.issues.map((i) => `${i.in}:${i.path}`)).toEqual([
      'params:id',
      'query:verbose',
      'headers:x-tenant',
      'body:name',
      'body:tags',
    ]);
    for (const issue of problem.issues) expect(issue.message.length).toBeGreaterThan(0);
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/items/1',
      headers: { 'x-tenant': 'acme', 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect([res.status, res.json<{ code: string }>().code]).toEqual([400, 'ZEPHYR_ERR_BODY_INVALID']);
  });

  it('serializes with the compiled response schema, dropping undeclared keys', async () => {
    const api = createApp();
    api.get(
      '/user',
      { response: z.object({ id: z.number(), name: z.string(), nick: z.string().optional() }) },
      (ctx) => ctx.json({ id: 1, name: 'Ada "L"', password: 'hunter2' } as { id: number; name: string }),
    );
    const res = await api.inject({ url: '/user' });
    expect(res.json()).toEqual({ id: 1, name: 'Ada "L"' });
    expect(res.text()).not.toContain('hunter2');
  });
});

describe('request logs', () => {
  it('logs one structured record per request through the Logger interface', async () => {
    const records: Array<Record<string, unknown>> = [];
    const logger = {
      debug() {},
      info: (fields: Record<string, unknown>, msg?: string) => records.push({ ...fields, msg }),
      warn() {},
      error() {},
    };
    const app = createApp({ logger });
    app.get('/users/:id', (ctx) => ctx.text('x'));
    await app.inject({ url: '/users/5?x=1' });
    expect(records).toEqual([
      expect.objectContaining({
        method: 'GET',
        url: '/users/5?x=1',
        status: 200,
        route: '/users/:id',
        ms: expect.any(Number),
        msg: 'request completed',
      }),
    ]);
  });

  it('creates a pino logger for logger: true', () => {
    const app = createApp({ logger: { level: 'warn' } });
    expect(typeof app.log.info).toBe('function');
    expect((app.log as unknown as { level: string }).level).toBe('warn');
  });
});

describe('bad options get clear errors', () => {
  it('rejects a bad body limit, handler or group prefix', () => {
    expect(() => createApp({ bodyLimit: 'lots' })).toThrow(
      expect.objectContaining({
        code: 'ZEPHYR_ERR_INVALID_ARGUMENT',
        message: expect.stringContaining('bodyLimit'),
      }),
    );
    const app = createApp();
    expect(() => app.get('/x', { bodyLimit: -1 }, (ctx) => ctx.text('x'))).toThrow(/route \/x bodyLimit/);
    expect(() => app.get('/x', 'nope' as never)).toThrow(/handler must be a function/);
    expect(() => app.group('api')).toThrow(/group prefix/);
    expect(() => app.on('GE T', '/x', (ctx) => ctx.text('x'))).toThrow(/invalid HTTP method/);
    expect(() => app.use('not a function' as never)).toThrow(/middleware must be functions/);
  });

  it('rejects bad listen options before binding anything', async () => {
    const app = createApp();
    await expect(app.listen({ port: 70000 })).rejects.toThrow(/port must be an integer/);
    await expect(app.listen({ port: 0, workers: 0 })).rejects.toThrow(
      /workers must be 'auto' or a positive integer/,
    );
    await expect(app.listen({ port: 0, engine: 'epoll' as never })).rejects.toThrow(/engine must be/);
  });

  it('rejects bad statuses and header-splitting redirects', async () => {
    const app = createApp({ logger: { debug() {}, info() {}, warn() {}, error() {} } });
    app.get('/s', (ctx) => ctx.text('x', 42));
    app.get('/r', (ctx) => ctx.redirect('/a\r\nset-cookie: x=1'));
    expect((await app.inject({ url: '/s' })).json()).toMatchObject({
      status: 500,
      code: 'ZEPHYR_ERR_INVALID_ARGUMENT',
    });
    const r = await app.inject({ url: '/r' });
    expect(r.status).toBe(500);
    expect(r.headers['set-cookie']).toBeUndefined();
  });
});
