import { openDatabase, type StartContext, type StartedApp } from '@zephyr/cli';
import type { Database } from '@zephyr/db';
import { type App, createApp, HttpError } from '@zephyr/server';
import { z } from 'zod';
import { type AppSchema, schema } from './schema.js';

const byId = z.object({ id: z.coerce.number().int().positive() });
const title = z.string().trim().min(1).max(200);

/** Every route of the app, given its database: the tests pass an in-memory one. */
export function buildApp(db: Database<AppSchema>): App {
  const app = createApp();

  app.get('/', (ctx) =>
    ctx.json({
      name: '{{name}}',
      routes: [
        'GET /todos',
        'POST /todos {title}',
        'GET /todos/:id',
        'PATCH /todos/:id {title?, done?}',
        'DELETE /todos/:id',
      ],
    }),
  );

  app.get('/todos', async (ctx) =>
    ctx.json(await db.models.todos.findMany({ orderBy: { id: 'asc' }, limit: 100 })),
  );

  app.post('/todos', { body: z.strictObject({ title, done: z.boolean().default(false) }) }, async (ctx) =>
    ctx.json(await db.models.todos.create(ctx.body), 201),
  );

  app.get('/todos/:id', { params: byId }, async (ctx) => {
    const todo = await db.models.todos.find(ctx.params.id);
    if (!todo) throw new HttpError(404, `no todo ${ctx.params.id}`);
    return ctx.json(todo);
  });

  app.patch(
    '/todos/:id',
    {
      params: byId,
      body: z
        .strictObject({ title: title.optional(), done: z.boolean().optional() })
        .refine((patch) => Object.keys(patch).length > 0, 'give title or done'),
    },
    async (ctx) => {
      const todo = await db.models.todos.updateByKey(ctx.params.id, ctx.body);
      if (!todo) throw new HttpError(404, `no todo ${ctx.params.id}`);
      return ctx.json(todo);
    },
  );

  app.delete('/todos/:id', { params: byId }, async (ctx) => {
    if (!(await db.models.todos.deleteByKey(ctx.params.id)))
      throw new HttpError(404, `no todo ${ctx.params.id}`);
    return ctx.send(null, 204);
  });

  return app;
}

/**
 * What `zephyr start` runs: the database from zephyr.config.yaml (`database.url`, else embedded
 * PGlite in .zephyr/pglite), closed after in-flight requests drain on SIGTERM.
 */
export default function start({ config, root }: StartContext): StartedApp {
  const db = openDatabase(schema, config.database, root);
  return { app: buildApp(db), close: () => db.destroy() };
}
