import { fileURLToPath } from 'node:url';
import {
  type ActorRef,
  type App,
  type AskablePool,
  actorRoute,
  compress,
  createApp,
  type Database,
  etag,
  ForeignKeyViolationError,
  HttpError,
  limiterMiddleware,
  requestId,
  serveStatic,
  TokenBucketLimiter,
} from 'zephyr';
import { z } from 'zod';
import { type PlaygroundSchema, users } from './schema.js';
import type { VisitMessage } from './visit-counter.js';

/** What the app is built from; `main.ts` opens them, tests may open their own. */
export interface PlaygroundDeps {
  db: Database<PlaygroundSchema>;
  visits: ActorRef<VisitMessage, { count: number; top: Array<[string, number]> }>;
  /** The actor pool that serves `POST /checksum` on the actor threads (`createActorPool`). */
  checksums: AskablePool;
  /** Shown by `GET /`. */
  databaseKind: 'pglite' | 'postgres';
  /** Writes allowed per second per process (token bucket); default 50. */
  writesPerSecond?: number;
  /** Static files through the engine's zero-copy `sendFile` (`performance.zero_copy`); default true. */
  zeroCopy?: boolean;
}

const publicDir = fileURLToPath(new URL('../public', import.meta.url));
const id = z.object({ id: z.coerce.number().int().positive() });

/** The topic note changes are published on (`/live/notes`). */
const LIVE_NOTES = 'notes';

/** The playground: users, their notes, per-client visit counts, static files and live notes. */
export function createPlaygroundApp(deps: PlaygroundDeps): App {
  const { db, visits } = deps;
  const app = createApp();
  app.use(requestId(), compress(), etag());
  app.addHook('onRequest', (ctx) => {
    visits.tell({ type: 'visit', client: ctx.req.remoteAddress });
  });

  const writes = limiterMiddleware(
    new TokenBucketLimiter({ ratePerSecond: deps.writesPerSecond ?? 50, maxQueue: 0 }),
    {
      onRejected: () => {
        throw new HttpError(429, 'too many writes, slow down', { headers: { 'retry-after': '1' } });
      },
    },
  );

  app.get('/', (ctx) =>
    ctx.json({
      name: 'Zephyr playground',
      database: deps.databaseKind,
      routes: [
        'GET /health',
        'POST /users {name, email}',
        'GET /users/:id',
        'GET /users/:id/visits',
        'POST /users/:id/notes {title, body?}',
        'GET /notes?first=&after=',
        'DELETE /notes/:id',
        'WebSocket /live/notes (note changes, pushed)',
        'GET /stats',
        'POST /checksum {text, rounds}',
        'GET /static/hello.txt',
        'GET /openapi.json',
        'GET /docs',
      ],
    }),
  );

  app.get('/health', (ctx) => ctx.text('ok'));

  // The API described from the routes' own schemas, and a reference UI to try it.
  app.openapi({ info: { title: 'Zephyr playground', version: '0.1.0' }, path: '/openapi.json', ui: '/docs' });

  // The table's own insert schema validates the body: one definition, no drift.
  app.post('/users', { body: users.schemas.insert, middleware: [writes] }, async (ctx) =>
    ctx.json(await db.models.users.create(ctx.body), 201),
  );

  app.get('/users/:id', { params: id }, async (ctx) => {
    const user = await db.models.users.find(ctx.params.id, { with: { notes: true } });
    if (!user) throw new HttpError(404, `no user ${ctx.params.id}`);
    return ctx.json(user);
  });

  // One request through every layer: a database read and an actor ask (traced as one tree).
  app.get('/users/:id/visits', { params: id }, async (ctx) => {
    const user = await db.models.users.find(ctx.params.id);
    if (!user) throw new HttpError(404, `no user ${ctx.params.id}`);
    const visitsSoFar = await visits.ask({ type: 'count', client: ctx.req.remoteAddress });
    return ctx.json({ user: { id: user.id, name: user.name }, visits: visitsSoFar });
  });

  app.post(
    '/users/:id/notes',
    {
      params: id,
      body: z.strictObject({ title: z.string().min(1).max(200), body: z.string().max(10_000).default('') }),
      middleware: [writes],
    },
    async (ctx) => {
      // Database errors answer by their own status (a duplicate is 409, a failed check 422); a
      // missing author is 404 here because the path names the user.
      try {
        const note = await db.models.notes.create({ author_id: ctx.params.id, ...ctx.body });
        app.publish(LIVE_NOTES, { type: 'created', note });
        return ctx.json(note, 201);
      } catch (err) {
        if (err instanceof ForeignKeyViolationError)
          throw new HttpError(404, `no user ${ctx.params.id}`, { cause: err });
        throw err;
      }
    },
  );

  app.get(
    '/notes',
    {
      query: z.object({
        first: z.coerce.number().int().min(1).max(100).default(20),
        after: z.string().optional(),
      }),
    },
    async (ctx) => {
      const page = await db.models.notes.paginate({
        first: ctx.query.first,
        after: ctx.query.after ?? null,
        with: { author: true },
      });
      return ctx.json(page);
    },
  );

  app.delete('/notes/:id', { params: id, middleware: [writes] }, async (ctx) => {
    if (!(await db.models.notes.deleteByKey(ctx.params.id)))
      throw new HttpError(404, `no note ${ctx.params.id}`);
    app.publish(LIVE_NOTES, { type: 'deleted', id: ctx.params.id });
    return ctx.send(null, 204);
  });

  // Live note changes: every connection subscribes; creates and deletes are published to all,
  // framed once and fanned out by the engine.
  app.ws('/live/notes', {
    open: (ws) => ws.subscribe(LIVE_NOTES),
  });

  app.get('/stats', async (ctx) =>
    ctx.json({
      you: await visits.ask({ type: 'count', client: ctx.req.remoteAddress }),
      top: await visits.ask({ type: 'top' }),
    }),
  );

  // CPU-heavy: served by actors on the actor threads, so the event loop stays free for the rest.
  app.post(
    '/checksum',
    { body: z.strictObject({ text: z.string().max(10_000), rounds: z.number().int().min(1).max(100_000) }) },
    actorRoute(deps.checksums, { deadlineMs: 1000 }),
  );

  app.get('/static/*', serveStatic({ root: publicDir, maxAge: 60, zeroCopy: deps.zeroCopy ?? true }));
  return app;
}
