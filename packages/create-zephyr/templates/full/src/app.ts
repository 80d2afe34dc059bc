import { openDatabase, type StartContext, type StartedApp } from '@zephyr/cli';
import type { Database } from '@zephyr/db';
import { type ActorRef, createActorSystem } from '@zephyr/runtime';
import { type App, createApp, HttpError } from '@zephyr/server';
import { z } from 'zod';
import type { CounterMessage } from './request-counter.js';
import { requestCounter } from './request-counter.js';
import { type AppSchema, schema } from './schema.js';

const byId = z.object({ id: z.coerce.number().int().positive() });
const title = z.string().trim().min(1).max(200);

/** What the app is built from; `start` opens them, the tests open their own. */
export interface AppDeps {
  db: Database<AppSchema>;
  counter: ActorRef<CounterMessage, Record<string, number>>;
}

/** Every route of the app. */
export function buildApp({ db, counter }: AppDeps): App {
  const app = createApp();
  app.addHook('onRequest', (ctx) => {
    counter.tell({ type: 'hit', route: `${ctx.req.method} ${ctx.req.path}` });
  });

  app.get('/', (ctx) =>
    ctx.json({
      name: '{{name}}',
      routes: [
        'GET /todos',
        'POST /todos {title}',
        'GET /todos/:id',
        'PATCH /todos/:id {title?, done?}',
        'DELETE /todos/:id',
        'GET /stats',
      ],
    }),
  );

  app.get('/stats', async (ctx) => ctx.json(await counter.ask({ type: 'counts' })));

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
 * What `zephyr start` runs: the database and the actor system from zephyr.config.yaml, both
 * closed after in-flight requests drain on SIGTERM.
 */
export default async function start({ config, root }: StartContext): Promise<StartedApp> {
  const db = openDatabase(schema, config.database, root);
  const system = await createActorSystem({ config: config.runtime });
  const counter = system.spawn(requestCounter, { name: 'request-counter' });
  return {
    app: buildApp({ db, counter }),
    close: async () => {
      await system.shutdown();
      await db.destroy();
    },
  };
}
