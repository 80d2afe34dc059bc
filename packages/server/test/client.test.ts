// The typed client: its types come from the app's own type (a wrong body is a compile error,
// checked by `tsc` on this file through the @ts-expect-error lines), and it runs over fetch and
// over inject against the same app.
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type ClientResponse, createApp, createClient, type Server } from '../src/index.js';

const note = z.object({ id: z.number(), title: z.string(), tags: z.array(z.string()) });

function notesApi() {
  const notes: Array<z.input<typeof note>> = [];
  return createApp({ logger: { debug() {}, info() {}, warn() {}, error() {} } })
    .post(
      '/notes',
      { body: z.object({ title: z.string().min(1), tags: z.array(z.string()).default([]) }), response: note },
      (ctx) => {
        const created = { id: notes.length + 1, title: ctx.body.title, tags: ctx.body.tags };
        notes.push(created);
        return ctx.json(created, 201);
      },
    )
    .get('/notes/:id', { params: z.object({ id: z.coerce.number().int() }), response: note }, (ctx) => {
      const found = notes.find((n) => n.id === ctx.params.id);
      if (!found) return ctx.json({ id: 0, title: '', tags: [] }, 404);
      return ctx.json(found);
    })
    .get('/search', { query: z.object({ q: z.string(), limit: z.string().optional() }) }, (ctx) =>
      ctx.json({ q: ctx.query.q, limit: ctx.query.limit ?? null }),
    )
    .get('/files/*', (ctx) => ctx.text(ctx.params['*']));
}
type NotesApi = ReturnType<typeof notesApi>;

describe('types', () => {
  it('types bodies, params and responses from the routes, and rejects wrong ones at compile time', () => {
    const client = createClient<NotesApi>('http://127.0.0.1:1');
    expectTypeOf(client.post<'/notes'>).returns.resolves.toEqualTypeOf<
      ClientResponse<{ id: number; title: string; tags: string[] }>
    >();
    // Compile-time checks only: these calls are never awaited against a server.
    const never = (_: unknown) => {};
    never(() => client.post('/notes', { body: { title: 'ok' } }));
    // @ts-expect-error a number is not a title
    never(() => client.post('/notes', { body: { title: 42 } }));
    // @ts-expect-error the body is required
    never(() => client.post('/notes'));
    // @ts-expect-error no such route
    never(() => client.post('/nope', { body: {} }));
    // @ts-expect-error GET /notes/:id needs params.id
    never(() => client.get('/notes/:id'));
    never(() => client.get('/notes/:id', { params: { id: 1 } }));
    // @ts-expect-error the query needs q
    never(() => client.get('/search', { query: {} }));
    never(() => client.get('/files/*', { params: { '*': 'a/b.txt' } }));
  });
});

describe.each(['inject', 'app.fetch', 'http'] as const)('calls over %s', (how) => {
  let client: ReturnType<typeof createClient<NotesApi>>;
  let server: Server | undefined;
  beforeAll(async () => {
    const api = notesApi();
    if (how === 'inject') client = createClient<NotesApi>(api);
    else if (how === 'app.fetch') client = createClient<NotesApi>({ fetch: api.fetch });
    else {
      server = await api.listen({ port: 0, engine: 'node' });
      client = createClient<NotesApi>(`http://127.0.0.1:${server.port}`);
    }
  });
  afterAll(() => server?.close());

  it('sends a typed body and reads the typed response', async () => {
    const res = await client.post('/notes', { body: { title: 'engines' } });
    expect(res).toMatchObject({ ok: true, status: 201, data: { id: 1, title: 'engines', tags: [] } });
    if (res.ok) expectTypeOf(res.data.title).toEqualTypeOf<string>();
  });

  it('fills path params (encoded) and query strings', async () => {
    const got = await client.get('/notes/:id', { params: { id: 1 } });
    expect(got).toMatchObject({ ok: true, data: { title: 'engines' } });
    const search = await client.get('/search', { query: { q: 'a&b=c' } });
    expect(search.ok && search.data).toEqual({ q: 'a&b=c', limit: null });
    const file = await client.get('/files/*', { params: { '*': 'dir/a b.txt' } });
    expect(file.ok && file.data).toBe('dir/a b.txt');
  });

  it('returns the problem document of an error', async () => {
    // A body the schema refuses at run time (the compiler was told otherwise).
    const res = await client.post('/notes', { body: { title: '' } });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error).toMatchObject({ status: 400, code: 'ZEPHYR_ERR_VALIDATION' });
  });
});

it('refuses a transport it cannot use', () => {
  expect(() => createClient<NotesApi>({} as never)).toThrow(
    expect.objectContaining({ code: 'ZEPHYR_ERR_INVALID_ARGUMENT' }),
  );
});
