import { describe, expect, it } from 'vitest';
import { InvalidQueryError, sql, ZephyrDbError } from '../src/index.js';
import { DIALECTS, useTestDatabase } from './support/test-databases.js';
import { schema } from './support/test-schema.js';

/** Every bad input is a typed 400 that names no value, never a raw driver error or TypeError. */
async function typed400(attempt: () => Promise<unknown>): Promise<InvalidQueryError> {
  let caught: unknown;
  try {
    await attempt();
  } catch (error) {
    caught = error;
  }
  expect(caught, String(attempt)).toBeInstanceOf(InvalidQueryError);
  expect(caught).toMatchObject({ code: 'ZEPHYR_ERR_DB_INVALID_QUERY', status: 400, expose: true });
  return caught as InvalidQueryError;
}

const cursor = (values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url');

describe.each(DIALECTS)('bad input gets a typed error (%s)', (kind) => {
  const t = useTestDatabase(kind, schema);

  it('keys of the wrong type, in find and every key method', async () => {
    const m = t.db.models.users;
    await m.create({ email: 'a@x.io' });
    // @ts-expect-error a string key on an integer primary key does not compile
    await typed400(() => m.find('abc'));
    await typed400(() => m.find(1.5));
    await typed400(() => m.find(2 ** 40));
    await typed400(() => m.find(Number.NaN));
    await typed400(() => m.find(true as never));
    await typed400(() => m.find(null as never));
    await typed400(() => m.find(undefined as never));
    await typed400(() => m.find({ id: 'abc' } as never));
    await typed400(() => m.find({ id: 1, email: 'x' } as never));
    await typed400(() => m.updateByKey('1' as never, { name: 'x' }));
    await typed400(() => m.deleteByKey({} as never));
    await typed400(() => m.findOrThrow([1] as never));
    expect(await m.count()).toBe(1);
  });

  it('filter values of the wrong type, NUL bytes, and keys such as constructor', async () => {
    const m = t.db.models.users;
    await m.create({ email: 'a@x.io' });
    const bad: unknown[] = [
      { id: 'abc' },
      { id: { in: ['1', 2] } },
      { id: { gt: {} } },
      { email: 'nul\u0000byte' },
      { email: { like: 'a\u0000%' } },
      { email: { like: 5 } },
      { email: 5 },
      { created_at: 'not a date' },
      { created_at: { gt: new Date(Number.NaN) } },
      { age: { isNull: 'yes' } },
      { age: { eq: null } },
      { constructor: 1 },
      { __proto__: { id: 1 } },
      { toString: 'x' },
      { hasOwnProperty: { eq: 1 } },
      { AND: {} },
      { OR: 'x' },
      { NOT: [] },
      { id: [1, 2] },
      { id: 1n << 70n },
      { settings: { eq: () => 1 } },
    ];
    for (const where of bad) await typed400(() => m.findMany({ where: where as never }));
    for (const where of bad.slice(0, 4)) await typed400(() => m.delete(where as never));
    expect(await m.count()).toBe(1);
  });

  it('options: unknown keys, wrong types, unknown relations and columns', async () => {
    const m = t.db.models.users;
    await typed400(() => m.findMany({ limt: 5 } as never));
    await typed400(() => m.findMany({ limit: '5' } as never));
    await typed400(() => m.findMany({ limit: 10_001 }));
    await typed400(() => m.findMany({ offset: -1 }));
    await typed400(() => m.findMany(null as never));
    await typed400(() => m.findMany({ orderBy: { constructor: 'asc' } } as never));
    await typed400(() => m.findMany({ with: { constructor: true } } as never));
    await typed400(() => m.findMany({ with: { posts: 'yes' } } as never));
    await typed400(() => m.findMany({ with: 'posts' } as never));
    await typed400(() => m.findMany({ select: [] as never[] }));
    await typed400(() => m.findMany({ select: ['password'] as never }));
    await typed400(() => m.findMany({ withDeleted: 'yes' } as never));
    await typed400(() => m.find(1, { with: { posts: true }, nope: 1 } as never));
    await typed400(() => m.paginate({ first: 5, after: 42 } as never));
    await typed400(() => m.createMany('rows' as never));
    await typed400(() => m.upsert({ values: { email: 'u@x.io' }, conflict: 'email' } as never));
    // @ts-expect-error an unknown relation next to a valid one does not compile
    await typed400(() => m.findMany({ with: { posts: true, friends: true } }));
  });

  it('tampered cursors: malformed, wrong length, wrong types, bad dates', async () => {
    const posts = t.db.models.posts;
    const u = await t.db.models.users.create({ email: 'a@x.io' });
    await posts.createMany([1, 2, 3].map((i) => ({ author_id: u.id, title: `p${i}` })));
    const byDate = { orderBy: { created_at: 'desc' as const }, first: 1 };
    const good = (await posts.paginate(byDate)).nextCursor;
    expect(good).not.toBeNull();
    for (const after of [
      'not-a-cursor',
      '',
      cursor([1]),
      cursor([{ d: 'yesterday' }, 1]),
      cursor([{ d: new Date().toISOString() }, 'abc']),
      cursor([{ d: new Date().toISOString() }, { b: '1' }]),
      cursor([{ d: new Date().toISOString() }, 1.5]),
      cursor([{ x: 1 }, 1]),
      cursor([null, 1]),
      Buffer.from('{"__proto__":1}').toString('base64url'),
    ]) {
      await typed400(() => posts.paginate({ ...byDate, after }));
    }
  });

  it('raw SQL that fails on bad input is typed too (SQLSTATE class 22), the value not echoed', async () => {
    const e = await typed400(() => sql`select ${'abc'}::int as n`.execute(t.db.kysely));
    expect(e.message).not.toContain('abc');
    expect(e.cause).toBeDefined();
    await typed400(() => sql`select ${'x\u0000y'}::text as s`.execute(t.db.kysely));
    await typed400(() => sql`select ${'99999999999'}::int as n`.execute(t.db.kysely));
    await typed400(() => sql`select ${'2024-13-45'}::date as d`.execute(t.db.kysely));
  });

  it('errors carry the shared shape and survive JSON without leaking values', async () => {
    const e = await typed400(() => t.db.models.users.findMany({ where: { email: 'secret\u0000' } }));
    expect(e).toBeInstanceOf(ZephyrDbError);
    expect(e.message).not.toContain('secret');
  });
});
