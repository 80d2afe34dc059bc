// The shared error shape as the server honours it: any thrown error's `status` (or `statusCode`),
// `expose`, `code` and `retryAfter`, whatever package it comes from; bodies safe in production.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp, type Logger, type Problem, requestId } from '../src/index.js';
import { connect, type TestClient, TRANSPORTS } from './support/transports.js';

/** A logger that keeps what it is given, by level. */
function recorder(): Logger & { lines: Array<{ level: string; fields: Record<string, unknown> }> } {
  const lines: Array<{ level: string; fields: Record<string, unknown> }> = [];
  const at = (level: string) => (fields: Record<string, unknown>) => void lines.push({ level, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** An error of another package, following the shape without depending on @zephyr/server. */
class ForeignError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status?: number,
    readonly extra: { expose?: boolean; retryAfter?: number } = {},
  ) {
    super(message);
    Object.assign(this, extra);
  }
}

describe('any error with a status is answered with it', () => {
  it('maps a db-like constraint error (status 409) to a 409 problem with its message and code', async () => {
    const app = createApp({ production: true, logger: recorder() });
    app.post('/users', () => {
      throw new ForeignError('email already taken', 'ZEPHYR_ERR_DB_UNIQUE_VIOLATION', 409);
    });
    const res = await app.inject({ method: 'POST', url: '/users' });
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.json()).toEqual({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: 'email already taken',
      code: 'ZEPHYR_ERR_DB_UNIQUE_VIOLATION',
    });
  });

  it('reads `statusCode` as Fastify does, and ignores statuses outside 400..599', async () => {
    const app = createApp({ production: true, logger: recorder() });
    app.get('/teapot', () => {
      throw Object.assign(new Error('short and stout'), { statusCode: 418 });
    });
    app.get('/ok-status', () => {
      throw Object.assign(new Error('not an error status'), { status: 200 });
    });
    app.get('/string-status', () => {
      throw Object.assign(new Error('nope'), { status: '404' });
    });
    const teapot = await app.inject({ url: '/teapot' });
    expect([teapot.status, teapot.json<Problem>().detail]).toEqual([418, 'short and stout']);
    expect((await app.inject({ url: '/ok-status' })).status).toBe(500);
    expect((await app.inject({ url: '/string-status' })).status).toBe(500);
  });

  it('sends Retry-After from a retryAfter hint on a 503 (pool overload), rounded up', async () => {
    const app = createApp({ production: true, logger: recorder() });
    app.get('/busy', () => {
      throw new ForeignError('pool saturated', 'ZEPHYR_ERR_DB_POOL_TIMEOUT', 503, { retryAfter: 1.2 });
    });
    const res = await app.inject({ url: '/busy' });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    const body = res.json<Problem>();
    // A 5xx message is not exposed by default; the catalogue code is still useful to the client.
    expect(body.code).toBe('ZEPHYR_ERR_DB_POOL_TIMEOUT');
    expect(body.detail).not.toContain('pool saturated');
  });

  it('lets `expose` decide: a hidden 4xx message, a shown 5xx message', async () => {
    const app = createApp({ production: true, logger: recorder() });
    app.get('/hidden', () => {
      throw new ForeignError('row 17 of table secrets', 'ZEPHYR_ERR_DB_INVALID_QUERY', 400, {
        expose: false,
      });
    });
    app.get('/shown', () => {
      throw new ForeignError('maintenance until 14:00', 'MYAPP_MAINTENANCE', 503, { expose: true });
    });
    const hidden = await app.inject({ url: '/hidden' });
    expect(hidden.status).toBe(400);
    expect(hidden.text()).not.toContain('secrets');
    const shown = await app.inject({ url: '/shown' });
    expect(shown.json()).toMatchObject({
      status: 503,
      detail: 'maintenance until 14:00',
      code: 'MYAPP_MAINTENANCE',
    });
  });

  it('does not leak a driver code of an unexposed error', async () => {
    const app = createApp({ production: true, logger: recorder() });
    app.get('/db-down', () => {
      throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
    });
    const res = await app.inject({ url: '/db-down' });
    expect(res.json()).toMatchObject({ status: 500, code: 'ZEPHYR_ERR_INTERNAL' });
    expect(res.text()).not.toContain('10.0.0.5');
  });
});

describe('error bodies are safe in production and helpful in development', () => {
  const leak = () => {
    // What a real bug looks like: a message naming internals, a stack with file paths.
    throw new TypeError("Cannot read properties of undefined (reading 'rows') in /srv/app/src/db.ts");
  };

  it('production: no stack, path or message; a generic detail and the request id', async () => {
    const app = createApp({ production: true, logger: recorder() });
    app.use(requestId());
    app.get('/bug', leak);
    const res = await app.inject({ url: '/bug', headers: { 'x-request-id': 'req-42' } });
    expect(res.status).toBe(500);
    expect(res.json()).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'The server failed to handle this request; quote request id req-42 when reporting it.',
      code: 'ZEPHYR_ERR_INTERNAL',
      requestId: 'req-42',
    });
    expect(res.text()).not.toMatch(/\/srv|\.ts|at |rows/);
  });

  it('NODE_ENV=production is production mode by default', async () => {
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      const app = createApp({ logger: recorder() });
      app.get('/bug', leak);
      const body = (await app.inject({ url: '/bug' })).json<Problem>();
      expect(body.debug).toBeUndefined();
      expect(JSON.stringify(body)).not.toContain('/srv');
    } finally {
      process.env.NODE_ENV = saved;
    }
  });

  it('development: the message and stack under a `debug` member that says it is development-only', async () => {
    const app = createApp({ production: false, logger: recorder() });
    app.get('/bug', leak);
    const body = (await app.inject({ url: '/bug' })).json<Problem>();
    expect(body.detail).not.toContain('/srv');
    expect(body.debug).toMatchObject({
      note: expect.stringContaining('never sent in production'),
      message: expect.stringContaining("reading 'rows'"),
      stack: expect.stringContaining('TypeError'),
    });
  });

  it('logs 5xx at error with the stack, 4xx at info without one', async () => {
    const log = recorder();
    const app = createApp({ production: true, logger: log });
    app.get('/bug', leak);
    app.get('/gone', () => {
      throw new ForeignError('it left', 'ZEPHYR_ERR_HTTP', 410);
    });
    const bug = await app.inject({ url: '/bug' });
    await app.inject({ url: '/gone' });
    const failed = log.lines.find((l) => l.fields.status === 500);
    expect(failed?.level).toBe('error');
    expect(JSON.stringify(failed?.fields)).toContain('TypeError');
    // The id in the body is the id in the log line.
    expect(failed?.fields.reqId).toBe(bug.json<Problem>().requestId);
    const refused = log.lines.find((l) => l.fields.status === 410);
    expect(refused?.level).toBe('info');
    expect(JSON.stringify(refused?.fields)).not.toContain('stack');
    expect(JSON.stringify(refused?.fields)).toContain('it left');
  });
});

describe.each(TRANSPORTS)('a JSON route answers 415 for other bodies (%s)', (transport) => {
  let client: TestClient;
  beforeAll(async () => {
    const app = createApp({ logger: recorder() });
    app.post('/users', { body: z.object({ name: z.string() }) }, (ctx) => ctx.json(ctx.body, 201));
    app.post('/echo', { body: z.string() }, (ctx) => ctx.text(ctx.body));
    client = await connect(app, transport);
  });
  afterAll(() => client?.close());

  const post = (headers: Record<string, string>, body = '{"name":"Ada"}') =>
    client.request({ method: 'POST', url: '/users', headers, body });

  it('takes application/json', async () => {
    const res = await post({ 'content-type': 'application/json' });
    expect([res.status, res.json()]).toEqual([201, { name: 'Ada' }]);
  });

  it('refuses a body without content-type with a hint to send application/json', async () => {
    const res = await post({});
    expect(res.status).toBe(415);
    expect(res.json()).toMatchObject({
      code: 'ZEPHYR_ERR_UNSUPPORTED_MEDIA_TYPE',
      detail: expect.stringContaining('content-type: application/json'),
    });
  });

  it('refuses text/plain (415, not a 400 from the schema)', async () => {
    const res = await post({ 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.json<Problem>().detail).toContain('content-type: application/json');
  });

  it("refuses JSON sent as a form (curl -d's default) rather than reading one odd key", async () => {
    const res = await post({ 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    expect(res.json<Problem>().detail).toContain('application/json');
  });

  it('still takes a real form, and text on a string route', async () => {
    expect((await post({ 'content-type': 'application/x-www-form-urlencoded' }, 'name=Lin')).status).toBe(
      201,
    );
    const echo = await client.request({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'text/plain' },
      body: 'hi',
    });
    expect([echo.status, echo.text()]).toEqual([200, 'hi']);
  });
});
