import { fileURLToPath } from 'node:url';
import { createDatabase, createMigrator, type Database, pglite } from '@zephyr/db';
import type { App } from '@zephyr/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { type AppSchema, schema } from '../src/schema.js';

const migrations = fileURLToPath(new URL('../migrations', import.meta.url));

// A fresh in-memory PGlite per run, built from the same migration files production applies.
let db: Database<AppSchema>;
let app: App;
beforeAll(async () => {
  db = createDatabase({ schema, dialect: pglite() });
  await createMigrator(db, { directory: migrations }).migrate();
  app = buildApp(db);
});
afterAll(() => db?.destroy());

describe('migrations', () => {
  it('hold every change of src/schema.ts (run npm run db:generate -- <name> if not)', async () => {
    expect(await createMigrator(db, { directory: migrations }).diff()).toEqual([]);
  });
});

describe('todos', () => {
  it('creates, reads, updates and deletes a todo', async () => {
    const created = await app.inject({ method: 'POST', url: '/todos', body: { title: 'write tests' } });
    expect(created.status).toBe(201);
    const todo = created.json() as { id: number; title: string; done: boolean };
    expect(todo).toMatchObject({ title: 'write tests', done: false });

    expect((await app.inject({ method: 'GET', url: `/todos/${todo.id}` })).json()).toMatchObject({
      id: todo.id,
    });
    const patched = await app.inject({ method: 'PATCH', url: `/todos/${todo.id}`, body: { done: true } });
    expect(patched.json()).toMatchObject({ id: todo.id, done: true });
    expect((await app.inject({ method: 'DELETE', url: `/todos/${todo.id}` })).status).toBe(204);
    expect((await app.inject({ method: 'GET', url: `/todos/${todo.id}` })).status).toBe(404);
  });

  it('refuses a blank title and unknown fields with 400', async () => {
    expect((await app.inject({ method: 'POST', url: '/todos', body: { title: '  ' } })).status).toBe(400);
    expect(
      (await app.inject({ method: 'POST', url: '/todos', body: { title: 'x', owner: 'me' } })).status,
    ).toBe(400);
  });

  it('answers 404 for a todo that does not exist', async () => {
    expect((await app.inject({ method: 'GET', url: '/todos/999999' })).status).toBe(404);
    expect((await app.inject({ method: 'PATCH', url: '/todos/999999', body: { done: true } })).status).toBe(
      404,
    );
  });
});
