import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { column, defineSchema, InvalidQueryError, relation, table } from '../src/index.js';
import { DIALECTS, openTestDatabase, type TestDatabase, useTestDatabase } from './support/test-databases.js';
import { schema, type TestSchema } from './support/test-schema.js';

describe.each(DIALECTS)('relations loaded eagerly, no N+1 (%s)', (kind) => {
  let t: TestDatabase<TestSchema>;
  let queries = 0;
  beforeAll(async () => {
    t = await openTestDatabase(kind, schema, {
      onQuery: () => {
        queries++;
      },
    });
    const m = t.db.models;
    const users = await m.users.createMany(Array.from({ length: 60 }, (_, i) => ({ email: `u${i}@x.io` })));
    const tags = await m.tags.createMany([{ label: 'red' }, { label: 'green' }, { label: 'blue' }]);
    // Users 0..49 have i % 4 posts each; users 50..59 have none.
    const posts = await m.posts.createMany(
      users
        .slice(0, 50)
        .flatMap((u, i) =>
          Array.from({ length: i % 4 }, (_, j) => ({ author_id: u.id, title: `p${i}.${j}` })),
        ),
    );
    await m.post_tags.createMany(
      posts.flatMap((p, i) => tags.slice(0, i % 3).map((tag) => ({ post_id: p.id, tag_id: tag.id }))),
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  async function countQueries(fn: () => Promise<unknown>): Promise<number> {
    queries = 0;
    await fn();
    return queries;
  }

  it('hasMany: one query for the parents and one for all children, whatever the row count', async () => {
    const few = await countQueries(() => t.db.models.users.findMany({ limit: 5, with: { posts: true } }));
    const many = await countQueries(() => t.db.models.users.findMany({ limit: 60, with: { posts: true } }));
    expect(few).toBe(2);
    expect(many).toBe(2);
    const users = await t.db.models.users.findMany({ orderBy: { id: 'asc' }, with: { posts: true } });
    expectTypeOf(users[1]!.posts[0]!.title).toEqualTypeOf<string>();
    users.forEach((u, i) => {
      expect(u.posts).toHaveLength(i < 50 ? i % 4 : 0);
      for (const p of u.posts) expect(p.author_id).toBe(u.id);
    });
  });

  it('belongsTo: the owner or null, joined into the same statement', async () => {
    let posts: Awaited<ReturnType<typeof t.db.models.posts.findMany<{ author: true }>>> = [];
    expect(
      await countQueries(async () => (posts = await t.db.models.posts.findMany({ with: { author: true } }))),
    ).toBe(1);
    expect(posts.length).toBeGreaterThan(50);
    for (const p of posts) expect(p.author?.id).toBe(p.author_id);
    expectTypeOf(posts[0]!.author).toEqualTypeOf<{
      id: number;
      email: string;
      name: string | null;
      age: number | null;
      role: 'admin' | 'member';
      settings: { theme: string } | null;
      created_at: Date;
      updated_at: Date;
    } | null>();
  });

  it('a joined belongsTo keeps order, limit and filters, pages, and loads what is nested below it', async () => {
    const all = await t.db.models.posts.findMany({ orderBy: { id: 'desc' } });
    const some = await t.db.models.posts.findMany({
      where: { title: { like: 'p1%' } },
      orderBy: { id: 'desc' },
      limit: 4,
      offset: 1,
      with: { author: true },
    });
    expect(some.map((p) => p.id)).toEqual(
      all
        .filter((p) => p.title.startsWith('p1'))
        .slice(1, 5)
        .map((p) => p.id),
    );
    for (const p of some) {
      expect(p.author).toEqual(await t.db.models.users.find(p.author_id));
      expect(Object.keys(p).sort()).toEqual([...Object.keys(all[0]!), 'author'].sort());
    }
    let page: Awaited<ReturnType<typeof t.db.models.posts.paginate<{ author: true }>>> | undefined;
    expect(
      await countQueries(async () => {
        page = await t.db.models.posts.paginate({ first: 3, with: { author: true } });
      }),
    ).toBe(1);
    const next = await t.db.models.posts.paginate({
      first: 3,
      with: { author: true },
      after: page!.nextCursor,
    });
    expect(next.rows.map((p) => p.author?.id)).toEqual(next.rows.map((p) => p.author_id));
    expect(next.rows[0]!.id).toBeGreaterThan(page!.rows[2]!.id);
    // Below a joined owner, the owner's own relations load the usual way: one query each.
    let nested: { author: { posts: { author_id: number }[] } | null; author_id: number }[] = [];
    expect(
      await countQueries(async () => {
        nested = await t.db.models.posts.findMany({ limit: 10, with: { author: { with: { posts: true } } } });
      }),
    ).toBe(2);
    for (const p of nested) {
      expect(p.author?.posts.length).toBeGreaterThan(0);
      for (const q of p.author!.posts) expect(q.author_id).toBe(p.author_id);
    }
  });

  it('manyToMany through the join table, and nested relations, each level a fixed number of queries', async () => {
    const run = (limit: number) =>
      t.db.models.users.findMany({
        orderBy: { id: 'asc' },
        limit,
        with: { posts: { with: { tags: true, author: true } } },
      });
    expect(await countQueries(() => run(3))).toBe(4);
    expect(await countQueries(() => run(60))).toBe(4);
    const users = await run(60);
    const allPosts = users.flatMap((u) => u.posts);
    expect(allPosts.length).toBeGreaterThan(50);
    for (const p of allPosts) {
      const index = Number(p.title.split('.')[0]?.slice(1));
      expect(p.author?.id).toBe(users[index]?.id);
      expect(p.tags.every((tag) => ['red', 'green', 'blue'].includes(tag.label))).toBe(true);
    }
    const tagged = await t.db.models.tags.findMany({ orderBy: { id: 'asc' }, with: { posts: true } });
    const links = await t.db.models.post_tags.count();
    expect(tagged.reduce((n, tag) => n + tag.posts.length, 0)).toBe(links);
    expect(tagged[0]?.posts.length).toBeGreaterThan(tagged[1]?.posts.length ?? Number.POSITIVE_INFINITY);
  });

  it('find and paginate load relations too; an empty result costs no relation query', async () => {
    const user = await t.db.models.users.find(2, { with: { posts: true } });
    expect(user?.posts).toHaveLength(1);
    expect(
      await countQueries(() =>
        t.db.models.users.findMany({ where: { email: 'none' }, with: { posts: true } }),
      ),
    ).toBe(1);
    const page = await t.db.models.users.paginate({ first: 10, with: { posts: true } });
    expect(page.rows[3]?.posts).toHaveLength(3);
  });

  it('an unknown relation is a clear error', async () => {
    await expect(t.db.models.users.findMany({ with: { friends: true } as never })).rejects.toBeInstanceOf(
      InvalidQueryError,
    );
  });
});

const nodes = table('nodes', {
  id: column.serial().primaryKey(),
  name: column.text(),
  parent_id: column.integer().nullable().references('nodes', 'id'),
});
const treeSchema = defineSchema({
  tables: [nodes],
  relations: { nodes: { parent: relation.belongsTo('nodes', { foreignKey: 'parent_id' }) } },
});

describe.each(DIALECTS)('a belongsTo joined to its own table (%s)', (kind) => {
  const t = useTestDatabase(kind, treeSchema);

  it('a table joins itself under its own alias, beside a relation filter on the same relation', async () => {
    const root = await t.db.models.nodes.create({ name: 'root' });
    const child = await t.db.models.nodes.create({ name: 'child', parent_id: root.id });
    await t.db.models.nodes.create({ name: 'grandchild', parent_id: child.id });
    const rows = await t.db.models.nodes.findMany({ orderBy: { id: 'asc' }, with: { parent: true } });
    expect(rows.map((r) => [r.name, r.parent?.name ?? null])).toEqual([
      ['root', null],
      ['child', 'root'],
      ['grandchild', 'child'],
    ]);
    const filtered = await t.db.models.nodes.findMany({
      where: { parent: { is: { name: 'child' } } },
      with: { parent: { with: { parent: true } } },
    });
    expect(filtered.map((r) => [r.name, r.parent?.name, r.parent?.parent?.name])).toEqual([
      ['grandchild', 'child', 'root'],
    ]);
    expect(await t.db.models.nodes.find(root.id, { with: { parent: true } })).toEqual({
      ...root,
      parent: null,
    });
  });
});
