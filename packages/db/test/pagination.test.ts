import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidQueryError } from '../src/index.js';
import { DIALECTS, openTestDatabase, type TestDatabase } from './support/test-databases.js';
import { schema, type TestSchema } from './support/test-schema.js';

describe.each(DIALECTS)('cursor pagination (%s)', (kind) => {
  let t: TestDatabase<TestSchema>;
  beforeAll(async () => {
    t = await openTestDatabase(kind, schema);
    const author = await t.db.models.users.create({ email: 'author@x.io' });
    // Duplicate sort keys (views) force the primary-key tie-breaker to do its job.
    await t.db.models.posts.createMany(
      Array.from({ length: 47 }, (_, i) => ({ author_id: author.id, title: `p${i}`, views: BigInt(i % 5) })),
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  async function collect(
    orderBy: Parameters<typeof t.db.models.posts.paginate>[0]['orderBy'],
    first: number,
  ) {
    const seen: { id: number; views: bigint }[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof t.db.models.posts.paginate>> = await t.db.models.posts.paginate({
        ...(orderBy === undefined ? {} : { orderBy }),
        first,
        after,
      });
      expect(page.rows.length).toBeLessThanOrEqual(first);
      seen.push(...page.rows);
      after = page.nextCursor;
      pages++;
    } while (after !== null);
    return { seen, pages };
  }

  it('walks every row exactly once, in order, by primary key by default', async () => {
    const { seen, pages } = await collect(undefined, 10);
    expect(pages).toBe(5);
    expect(seen.map((r) => r.id)).toEqual(Array.from({ length: 47 }, (_, i) => i + 1));
  });

  it('honours mixed directions with duplicate sort values', async () => {
    const { seen } = await collect({ views: 'desc' }, 7);
    expect(seen).toHaveLength(47);
    expect(new Set(seen.map((r) => r.id)).size).toBe(47);
    const sorted = [...seen].sort((a, b) => (a.views === b.views ? a.id - b.id : a.views > b.views ? -1 : 1));
    // Ties break on the primary key in the direction of the last sort column.
    const expected = [...seen].sort((a, b) =>
      a.views === b.views ? b.id - a.id : a.views > b.views ? -1 : 1,
    );
    expect(seen.map((r) => r.id)).toEqual(expected.map((r) => r.id));
    expect(sorted.map((r) => r.views)).toEqual(seen.map((r) => r.views));
  });

  it('filters apply across pages and a timestamp cursor round-trips', async () => {
    const first = await t.db.models.posts.paginate({
      where: { views: 1n },
      orderBy: { created_at: 'asc' },
      first: 3,
    });
    const second = await t.db.models.posts.paginate({
      where: { views: 1n },
      orderBy: { created_at: 'asc' },
      first: 30,
      after: first.nextCursor,
    });
    const all = [...first.rows, ...second.rows];
    expect(all).toHaveLength(10);
    expect(all.every((r) => r.views === 1n)).toBe(true);
    expect(second.nextCursor).toBeNull();
  });

  it('rejects tampered cursors, nullable sort columns and absurd page sizes', async () => {
    const posts = t.db.models.posts;
    await expect(posts.paginate({ first: 5, after: 'not-a-cursor' })).rejects.toBeInstanceOf(
      InvalidQueryError,
    );
    await expect(
      posts.paginate({ first: 5, after: Buffer.from('[{"x":1}]').toString('base64url') }),
    ).rejects.toBeInstanceOf(InvalidQueryError);
    await expect(posts.paginate({ first: 5, orderBy: { price: 'asc' } })).rejects.toBeInstanceOf(
      InvalidQueryError,
    );
    await expect(posts.paginate({ first: 0 })).rejects.toBeInstanceOf(InvalidQueryError);
    await expect(posts.paginate({ first: 1_000_000 })).rejects.toBeInstanceOf(InvalidQueryError);
  });
});
