// Routes served by a supervised pool of actors on worker threads: results, errors, restarts,
// deadlines and overload, through inject and real sockets on both engines.
import { type ActorPool, type ActorSystem, createActorPool, createActorSystem } from '@zephyr/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type ActorRouteOptions,
  ActorRouteReplyError,
  ActorRouteTimeoutError,
  actorRoute,
  createApp,
  InvalidArgumentError,
  type Problem,
  ZephyrError,
} from '../src/index.js';
import { routeWorker } from './fixtures/route-actors.mjs';
import { connect, type TestClient, TRANSPORTS } from './support/transports.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const modules = [new URL('./fixtures/route-actors.mjs', import.meta.url)];

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 15_000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(TRANSPORTS)('actor routes over %s', (transport) => {
  let system: ActorSystem;
  let pool: ActorPool;
  let client: TestClient | undefined;

  beforeEach(async () => {
    system = await createActorSystem({ config: { actor_threads: 1 }, modules, shutdownTimeoutMs: 500 });
    client = undefined;
  });
  afterEach(async () => {
    await client?.close();
    await system.shutdown();
  });

  async function serve(options: ActorRouteOptions = {}, maxPendingPerActor = 16): Promise<TestClient> {
    pool = createActorPool(system, routeWorker, { size: 1, maxPendingPerActor });
    const app = createApp({ production: true, logger: quiet });
    app.post(
      '/work/:action',
      {
        body: z.object({ size: z.number().int().positive() }),
        query: z.object({ ms: z.coerce.number().optional(), tag: z.string().optional() }),
      },
      actorRoute(pool, { headers: ['X-Tenant'], ...options }),
    );
    app.get(
      '/work/:action',
      { query: z.object({ ms: z.coerce.number().optional() }) },
      actorRoute(pool, options),
    );
    app.get('/raw/:action', actorRoute(pool, options)); // no schemas: the query straight from the wire
    app.get('/light', (ctx) => ctx.text('light'));
    client = await connect(app, transport);
    return client;
  }

  const post = (c: TestClient, action: string, query = '', headers: Record<string, string> = {}) =>
    c.request({
      method: 'POST',
      url: `/work/${action}${query}`,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ size: 3 }),
    });

  it('sends the validated request as a message and answers with the reply', async () => {
    const c = await serve();
    const res = await post(c, 'echo', '?tag=a&ms=0', { 'x-tenant': 'acme', 'x-secret': 'not forwarded' });
    expect(res.status).toBe(201);
    expect(Number(res.headers['x-handled-by'])).toBeGreaterThan(0);
    expect(res.json()).toEqual({
      request: {
        type: 'request',
        method: 'POST',
        path: '/work/echo',
        params: { action: 'echo' },
        query: { tag: 'a', ms: 0 },
        body: { size: 3 },
        headers: { 'x-tenant': 'acme' },
      },
      handled: 1,
    });
    const text = await c.request({ url: '/work/text' });
    expect([text.status, text.headers['content-type'], text.text()]).toEqual([
      200,
      'text/plain; charset=utf-8',
      'plain words',
    ]);
    const bytes = await c.request({ url: '/work/bytes' });
    expect([bytes.headers['content-type'], [...bytes.body]]).toEqual(['image/x-test', [1, 2, 3]]);
    const empty = await c.request({ url: '/work/empty' });
    expect([empty.status, empty.body.length]).toEqual([204, 0]);
  });

  it('validates before asking: a bad body is a 400 and the actor never sees it', async () => {
    const c = await serve();
    const res = await c.request({
      method: 'POST',
      url: '/work/echo',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size: -1 }),
    });
    expect(res.status).toBe(400);
    expect(pool.stats().pending).toEqual([0]);
    expect((await post(c, 'echo')).json()).toMatchObject({ handled: 1 });
  });

  it('answers a __proto__ key from the wire with a 400, never a 500, without asking the pool', async () => {
    const c = await serve();
    const query = await c.request({ url: '/raw/text?__proto__=x' });
    expect(query.status).toBe(400);
    expect(query.json<Problem & { issues: unknown[] }>().issues).toEqual([
      { in: 'query', path: '__proto__', message: 'a "__proto__" key is not accepted' },
    ]);
    expect(pool.stats().pending).toEqual([0]);
    expect((await c.request({ url: '/raw/text?ok=1' })).status).toBe(200);
  });

  it('answers a throwing actor with a 500 problem, and its supervisor restarts it', async () => {
    const c = await serve();
    expect((await post(c, 'echo')).json()).toMatchObject({ handled: 1 });
    const failed = await post(c, 'crash');
    expect(failed.status).toBe(500);
    expect(failed.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(failed.json<Problem>().code).toBe('ZEPHYR_ERR_ACTOR_FAILED');
    expect(failed.text()).not.toContain('the actor crashed');
    await until('restarted', () => (pool.stats().restarts[0] === 1 ? true : undefined));
    // The restarted actor starts from fresh state.
    expect((await post(c, 'echo')).json()).toMatchObject({ handled: 1 });
  });

  it('answers 504 past the route deadline; the watchdog replaces the thread and the route recovers', async () => {
    const c = await serve({ deadlineMs: 300 });
    const started = Date.now();
    const res = await c.request({ url: '/work/spin' });
    expect(res.status).toBe(504);
    expect(res.json<Problem>().code).toBe('ZEPHYR_ERR_ACTOR_ROUTE_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
    // The event loop was never blocked: a light route answers while the actor spins.
    expect((await c.request({ url: '/light' })).text()).toBe('light');
    await until('restarted by the watchdog', () => (pool.stats().restarts[0] === 1 ? true : undefined));
    const again = await until('answers again', async () => {
      const r = await c.request({ url: '/work/text' });
      return r.status === 200 ? r : undefined;
    });
    expect(again.text()).toBe('plain words');
  });

  it('answers 503 with Retry-After when the pool is full, without queueing', async () => {
    const c = await serve({ deadlineMs: 10_000 }, 1);
    const busy = c.request({ url: '/work/burn?ms=600' });
    await until('the first request reached the pool', () =>
      pool.stats().pending[0] === 1 ? true : undefined,
    );
    // On a connection of its own: the test client's one connection is busy with the first request.
    const refused =
      c.server === null
        ? await c.request({ url: '/work/text' })
        : await fetch(`http://127.0.0.1:${c.server.port}/work/text`).then(async (r) => ({
            status: r.status,
            headers: { 'retry-after': r.headers.get('retry-after') ?? undefined },
            json: async () => (await r.json()) as Problem,
          }));
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect((await refused.json<Problem>()).code).toBe('ZEPHYR_ERR_MAILBOX_FULL');
    expect((await busy).status).toBe(200);
    expect((await c.request({ url: '/work/text' })).status).toBe(200);
    expect(pool.stats().rejected).toBe(1);
  });

  it('refuses a reply that is not a response, or that sets framing headers, with a 500', async () => {
    const c = await serve();
    for (const action of ['not-a-response', 'bad-header']) {
      const res = await c.request({ url: `/work/${action}` });
      expect(res.status).toBe(500);
      expect(res.json<Problem>().code).toBe('ZEPHYR_ERR_ACTOR_ROUTE_REPLY');
    }
  });
});

describe('actor route errors', () => {
  it('are ZephyrErrors with their code and status, unexposed', () => {
    const timeout = new ActorRouteTimeoutError(300);
    expect(timeout).toBeInstanceOf(ZephyrError);
    expect(timeout).toMatchObject({ code: 'ZEPHYR_ERR_ACTOR_ROUTE_TIMEOUT', status: 504, expose: false });
    expect(new ActorRouteReplyError('no')).toMatchObject({
      code: 'ZEPHYR_ERR_ACTOR_ROUTE_REPLY',
      status: 500,
    });
  });
});

describe('actorRoute options', () => {
  const pool = { ask: async () => ({}) };
  it('refuses what is not a pool, a bad deadline and bad header names', () => {
    // @ts-expect-error: not a pool
    expect(() => actorRoute({})).toThrow(InvalidArgumentError);
    expect(() => actorRoute(pool, { deadlineMs: 0 })).toThrow(/deadlineMs must be a positive integer/);
    expect(() => actorRoute(pool, { deadlineMs: Number.NaN })).toThrow(InvalidArgumentError);
    expect(() => actorRoute(pool, { headers: ['bad header'] })).toThrow(/header names/);
  });
});
