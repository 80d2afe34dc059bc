import { fileURLToPath } from 'node:url';
import { createDatabase, createMigrator, type Database, pglite } from '@zephyr/db';
import { type ActorSystem, createActorSystem } from '@zephyr/runtime';
import type { App } from '@zephyr/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { requestCounter } from '../src/request-counter.js';
import { type AppSchema, schema } from '../src/schema.js';

const migrations = fileURLToPath(new URL('../migrations', import.meta.url));

let db: Database<AppSchema>;
let system: ActorSystem;
let app: App;
beforeAll(async () => {
  db = createDatabase({ schema, dialect: pglite() });
  await createMigrator(db, { directory: migrations }).migrate();
  system = await createActorSystem();
  app = buildApp({ db, counter: system.spawn(requestCounter) });
});
afterAll(async () => {
  await system?.shutdown();
  await db?.destroy();
});

describe('migrations', () => {
  it('hold every change of src/schema.ts (run npm run db:generate -- <name> if not)', async () => {
    expect(await createMigrator(db, { directory: migrations }).diff()).toEqual([]);
  });
});

describe('todos', () => {
  it('creates, reads, updates and deletes a todo', async () => {
    const created = await app.inject({ method: 'POST', url: '/todos', body: { title: 'write tests' } });
    expect(created.status).toBe(201);
    const todo = created.json() as { id: number };
    const patched = await app.inject({ method: 'PATCH', url: `/todos/${todo.id}`, body: { done: true } });
    expect(patched.json()).toMatchObject({ id: todo.id, done: true });
    expect((await app.inject({ method: 'DELETE', url: `/todos/${todo.id}` })).status).toBe(204);
    expect((await app.inject({ method: 'GET', url: `/todos/${todo.id}` })).status).toBe(404);
  });

  it('refuses a blank title with 400', async () => {
    expect((await app.inject({ method: 'POST', url: '/todos', body: { title: '' } })).status).toBe(400);
  });
});

describe('the request counter actor', () => {
  it('counts every request by route, including concurrent ones', async () => {
    await Promise.all(Array.from({ length: 20 }, () => app.inject({ method: 'GET', url: '/' })));
    const stats = (await app.inject({ method: 'GET', url: '/stats' })).json() as Record<string, number>;
    expect(stats['GET /']).toBe(20);
  });
});
