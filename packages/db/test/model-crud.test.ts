import { describe, expect, expectTypeOf, it } from 'vitest';
import { InvalidQueryError, ValidationError } from '../src/index.js';
import { DIALECTS, useTestDatabase } from './support/test-databases.js';
import { schema } from './support/test-schema.js';

const HOSTILE = [
  "'; drop table users; --",
  'Robert"); DROP TABLE posts;--',
  "\\x00\\\\ $1 $$ E'\\n'",
  '{"a":1}',
  '{1,2,"3"}',
  'ünïcødé 🚀 \u2028',
];

describe.each(DIALECTS)('models: create, find, update, upsert, delete (%s)', (kind) => {
  const t = useTestDatabase(kind, schema);

  it('create returns the stored row with defaults filled in', async () => {
    const user = await t.db.models.users.create({ email: 'ada@example.com', name: 'Ada', age: 36 });
    expect(user).toMatchObject({
      id: 1,
      email: 'ada@example.com',
      name: 'Ada',
      age: 36,
      role: 'member',
      settings: null,
    });
    expect(user.created_at).toBeInstanceOf(Date);
    expectTypeOf(user.id).toEqualTypeOf<number>();
    expectTypeOf(user.name).toEqualTypeOf<string | null>();
    expectTypeOf(user.role).toEqualTypeOf<'admin' | 'member'>();
  });

  it('maps types identically on both dialects: bigint, numeric, date, jsonb, timestamptz', async () => {
    const user = await t.db.models.users.create({ email: 'x@example.com', settings: { theme: 'dark' } });
    const post = await t.db.models.posts.create({
      author_id: user.id,
      title: 't',
      views: 9007199254740993n,
      price: '12.50',
      published_on: '2024-02-29',
    });
    expect(post.views).toBe(9007199254740993n);
    expect(post.price).toBe('12.50');
    expect(post.published_on).toBe('2024-02-29');
    expect(post.created_at).toBeInstanceOf(Date);
    expect((await t.db.models.users.find(user.id))?.settings).toEqual({ theme: 'dark' });
  });

  it('find by key, findFirst and findMany with typed where, orderBy, limit, offset', async () => {
    await t.db.models.users.createMany([
      { email: 'a@x.io', age: 10 },
      { email: 'b@x.io', age: 20, name: 'B' },
      { email: 'c@x.io', age: 30, role: 'admin' },
      { email: 'd@x.io' },
    ]);
    expect((await t.db.models.users.find(2))?.email).toBe('b@x.io');
    expect(await t.db.models.users.find(99)).toBeUndefined();
    const m = t.db.models.users;
    const emails = (rows: { email: string }[]) => rows.map((r) => r.email);
    expect(emails(await m.findMany({ where: { age: { gte: 20 } }, orderBy: { age: 'desc' } }))).toEqual([
      'c@x.io',
      'b@x.io',
    ]);
    expect(emails(await m.findMany({ where: { age: null } }))).toEqual(['d@x.io']);
    expect(
      emails(await m.findMany({ where: { age: { isNull: false, lt: 30 } }, orderBy: { id: 'asc' } })),
    ).toEqual(['a@x.io', 'b@x.io']);
    expect(
      emails(
        await m.findMany({ where: { email: { in: ['a@x.io', 'c@x.io', 'zz'] } }, orderBy: { id: 'asc' } }),
      ),
    ).toEqual(['a@x.io', 'c@x.io']);
    expect(
      emails(
        await m.findMany({ where: { email: { notIn: ['a@x.io'] }, role: 'member' }, orderBy: { id: 'asc' } }),
      ),
    ).toEqual(['b@x.io', 'd@x.io']);
    expect(
      emails(await m.findMany({ where: { OR: [{ age: 10 }, { name: 'B' }] }, orderBy: { id: 'desc' } })),
    ).toEqual(['b@x.io', 'a@x.io']);
    expect(emails(await m.findMany({ where: { NOT: { role: 'member' } } }))).toEqual(['c@x.io']);
    expect(
      emails(
        await m.findMany({
          where: { email: { like: '%@x.io' } },
          orderBy: { id: 'asc' },
          limit: 2,
          offset: 1,
        }),
      ),
    ).toEqual(['b@x.io', 'c@x.io']);
    expect((await m.findFirst({ orderBy: [{ role: 'asc' }, { id: 'desc' }] }))?.email).toBe('c@x.io');
  });

  it('count, update (touching updated_at), updateByKey, delete, deleteByKey', async () => {
    const [a] = await t.db.models.users.createMany([
      { email: 'a@x.io' },
      { email: 'b@x.io' },
      { email: 'c@x.io' },
    ]);
    expect(await t.db.models.users.count()).toBe(3);
    expect(await t.db.models.users.count({ email: { in: ['a@x.io', 'b@x.io'] } })).toBe(2);
    const updated = await t.db.models.users.update({ email: { like: '%x.io' } }, { role: 'admin' });
    expect(updated).toHaveLength(3);
    expect(updated.every((u) => u.role === 'admin')).toBe(true);
    const before = a!.updated_at;
    await new Promise((r) => setTimeout(r, 5));
    const one = await t.db.models.users.updateByKey(a!.id, { name: 'A' });
    expect(one?.name).toBe('A');
    expect(one!.updated_at.getTime()).toBeGreaterThan(before.getTime());
    expect(await t.db.models.users.updateByKey(999, { name: 'nobody' })).toBeUndefined();
    expect(await t.db.models.users.delete({ role: 'admin', name: null })).toBe(2);
    expect(await t.db.models.users.deleteByKey(a!.id)).toBe(true);
    expect(await t.db.models.users.deleteByKey(a!.id)).toBe(false);
    expect(await t.db.models.users.count()).toBe(0);
  });

  it('upsert inserts, then updates the conflicting row atomically', async () => {
    const first = await t.db.models.users.upsert({
      values: { email: 'u@x.io', name: 'one' },
      conflict: ['email'],
    });
    const second = await t.db.models.users.upsert({
      values: { email: 'u@x.io', name: 'two' },
      conflict: ['email'],
    });
    expect(second.id).toBe(first.id);
    expect(second.name).toBe('two');
    const third = await t.db.models.users.upsert({
      values: { email: 'u@x.io', name: 'ignored' },
      conflict: ['email'],
      update: { age: 5 },
    });
    expect(third).toMatchObject({ id: first.id, name: 'two', age: 5 });
    const onlyKey = await t.db.models.tags.upsert({ values: { label: 'x' }, conflict: ['label'] });
    expect(await t.db.models.tags.upsert({ values: { label: 'x' }, conflict: ['label'] })).toEqual(onlyKey);
    expect(await t.db.models.users.count()).toBe(1);
  });

  it('composite keys: find and delete by an object of the key columns', async () => {
    const u = await t.db.models.users.create({ email: 'k@x.io' });
    const p = await t.db.models.posts.create({ author_id: u.id, title: 'p' });
    const tag = await t.db.models.tags.create({ label: 'l' });
    await t.db.models.post_tags.create({ post_id: p.id, tag_id: tag.id });
    expect(await t.db.models.post_tags.find({ post_id: p.id, tag_id: tag.id })).toEqual({
      post_id: p.id,
      tag_id: tag.id,
    });
    await expect(t.db.models.post_tags.find(p.id as never)).rejects.toBeInstanceOf(InvalidQueryError);
    expect(await t.db.models.post_tags.deleteByKey({ post_id: p.id, tag_id: tag.id })).toBe(true);
  });

  it('hostile strings round-trip untouched as parameters, in values, filters and IN lists', async () => {
    for (const [i, s] of HOSTILE.entries()) {
      const u = await t.db.models.users.create({ email: `${i}${s}`, name: s });
      expect(u.name).toBe(s);
      expect((await t.db.models.users.findFirst({ where: { name: s } }))?.id).toBe(u.id);
      expect(await t.db.models.users.count({ name: { in: [s, 'other'] } })).toBe(1);
    }
    expect(await t.db.models.users.count()).toBe(HOSTILE.length);
    expect(await t.db.models.posts.count()).toBe(0);
  });

  it('validates input with the table schema before touching the database', async () => {
    const m = t.db.models.users;
    await expect(m.create({ email: 'x'.repeat(300) })).rejects.toBeInstanceOf(ValidationError);
    await expect(m.create({ email: 'a@x.io', role: 'root' } as never)).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_DB_VALIDATION',
      status: 400,
    });
    await expect(m.create({ email: 'a@x.io', extra: 1 } as never)).rejects.toBeInstanceOf(ValidationError);
    await expect(m.update({ id: 1 }, { age: 1.5 })).rejects.toBeInstanceOf(ValidationError);
    expect(await m.count()).toBe(0);
  });

  it('refuses malformed queries with InvalidQueryError', async () => {
    const m = t.db.models.users;
    await expect(m.findMany({ where: { nope: 1 } as never })).rejects.toBeInstanceOf(InvalidQueryError);
    await expect(m.findMany({ orderBy: { email: 'sideways' } as never })).rejects.toBeInstanceOf(
      InvalidQueryError,
    );
    await expect(m.findMany({ limit: -1 })).rejects.toBeInstanceOf(InvalidQueryError);
    // @ts-expect-error an empty filter does not compile
    await expect(m.delete({})).rejects.toBeInstanceOf(InvalidQueryError);
    // @ts-expect-error an empty filter does not compile
    await expect(m.update({}, { name: 'x' })).rejects.toBeInstanceOf(InvalidQueryError);
    await expect(m.findMany({ where: { id: { in: 3 } } as never })).rejects.toBeInstanceOf(InvalidQueryError);
  });

  it('compiles each query shape once and reuses it', async () => {
    await t.db.models.users.create({ email: 'once@x.io' });
    const before = t.db.compiledQueryStats();
    for (let i = 0; i < 20; i++) await t.db.models.users.find(1);
    for (let i = 0; i < 20; i++)
      await t.db.models.users.findMany({ where: { email: `e${i}` }, limit: i + 1 });
    const after = t.db.compiledQueryStats();
    expect(after.misses - before.misses).toBeLessThanOrEqual(2);
    expect(after.hits - before.hits).toBeGreaterThanOrEqual(38);
  });

  it('keeps Kysely and sql reachable, typed from the schema', async () => {
    await t.db.models.users.create({ email: 'k@x.io', age: 3 });
    const row = await t.db.kysely
      .selectFrom('users')
      .select(['email', 'age'])
      .where('age', '=', 3)
      .executeTakeFirstOrThrow();
    expectTypeOf(row).toEqualTypeOf<{ email: string; age: number | null }>();
    expect(row).toEqual({ email: 'k@x.io', age: 3 });
  });
});
