// The dashboard's data on both engines, and its token in production.

import { createApp } from '@zephyr/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachDevtools, type DashboardSnapshot } from '../src/index.js';
import { type InspectedApp, startInspectedApp } from './support/inspected-app.js';

const TOKEN = 'a-long-dashboard-token-for-tests';

describe.each(['io_uring', 'node'])('dashboard data on the %s engine', (engine) => {
  let app: InspectedApp;
  beforeAll(async () => {
    app = await startInspectedApp({ ZEPHYR_IO_ENGINE: engine });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('reports routes, requests, traces, actors, the database and the process', async () => {
    expect(app.engine).toBe(engine);
    const base = `http://127.0.0.1:${app.port}`;
    for (let i = 0; i < 20; i++) await (await fetch(`${base}/users`)).json();
    await (await fetch(`${base}/echo/hi`)).text();
    const page = await fetch(`${base}/_zephyr`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('<section id="traces">');
    const s = (await (await fetch(`${base}/_zephyr/api/stats`)).json()) as DashboardSnapshot;
    expect(s.routes).toEqual(
      expect.arrayContaining([
        { method: 'GET', path: '/users' },
        { method: 'POST', path: '/leak' },
      ]),
    );
    expect(s.requests.total).toBe(21);
    expect(s.requests.statusClasses).toEqual({ '2xx': 21 });
    expect(s.requests.perSecond.reduce((a, b) => a + b, 0)).toBe(21);
    expect(s.requests.latencyMs?.p50).toBeGreaterThan(0);
    expect(s.traces!.length).toBeGreaterThan(0);
    expect(s.traces!.flatMap((t) => t.spans.map((sp) => sp.kind))).toContain('SERVER');
    expect(s.actors!.tree.map((a) => a.id)).toEqual(expect.arrayContaining(['visits']));
    expect(s.actors!.tree.find((a) => a.id === 'visits')).toMatchObject({
      type: 'actor',
      mailboxDepth: 0,
      restarts: 0,
    });
    expect(s.actors!.pools[0]).toMatchObject({ pending: [0, 0], restarts: [0, 0], rejected: 0 });
    const pool = s.actors!.tree.find((a) => a.id === s.actors!.pools[0]!.id);
    expect(pool).toMatchObject({
      type: 'supervisor',
      children: [expect.objectContaining({ type: 'actor' }), expect.anything()],
    });
    expect(s.database!.migrations).toEqual([
      { name: '20261201000000_users', state: 'applied', appliedAt: expect.any(String) },
    ]);
    expect(s.process.at(-1)).toMatchObject({ rss: expect.any(Number), loopP99: expect.any(Number) });
  });
});

describe('dashboard in production', () => {
  it('is off without a token', async () => {
    const app = await startInspectedApp({ NODE_ENV: 'production' });
    try {
      expect(app.socket).toBeUndefined();
      expect((await fetch(`http://127.0.0.1:${app.port}/_zephyr`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${app.port}/_zephyr/api/stats`)).status).toBe(404);
    } finally {
      await app.stop();
    }
  });

  it('with a token, refuses requests without it or with a wrong one, and serves those with it', async () => {
    const app = await startInspectedApp({ NODE_ENV: 'production', ZEPHYR_DEVTOOLS_TOKEN: TOKEN });
    const base = `http://127.0.0.1:${app.port}`;
    try {
      for (const path of ['/_zephyr', '/_zephyr/api/stats']) {
        const refused = await fetch(base + path);
        expect(refused.status).toBe(401);
        expect(await refused.text()).not.toContain('"routes"');
        expect((await fetch(`${base}${path}?token=wrong`)).status).toBe(401);
        expect((await fetch(base + path, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(
          401,
        );
        expect((await fetch(`${base}${path}?token=${TOKEN}`)).status).toBe(200);
        expect((await fetch(base + path, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
          200,
        );
      }
    } finally {
      await app.stop();
    }
  });
});

describe("dashboard routes and the app's OpenAPI document", () => {
  it('are served but left out of /openapi.json', async () => {
    const app = createApp();
    app.get('/users', (ctx) => ctx.json([]));
    const devtools = await attachDevtools({ app, mode: 'development', socket: false });
    app.openapi({ info: { title: 'shop', version: '1.0.0' } });
    try {
      const doc = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths)).toEqual(['/users']);
      expect((await app.inject({ url: '/_zephyr' })).status).toBe(200);
      expect((await app.inject({ url: '/_zephyr/api/stats' })).status).toBe(200);
    } finally {
      await devtools.close();
    }
  });
});
