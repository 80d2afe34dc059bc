import { describe, expect, it } from 'vitest';
import { sql, UniqueViolationError } from '../src/index.js';
import { DIALECTS, useTestDatabase } from './support/test-databases.js';
import { schema } from './support/test-schema.js';

describe.each(DIALECTS)('transactions and savepoints (%s)', (kind) => {
  const t = useTestDatabase(kind, schema);

  it('commits when the callback resolves and returns its value', async () => {
    const id = await t.db.transaction(async (tx) => {
      expect(tx.inTransaction).toBe(true);
      const u = await tx.models.users.create({ email: 'a@x.io' });
      await tx.models.posts.create({ author_id: u.id, title: 'p' });
      return u.id;
    });
    expect(t.db.inTransaction).toBe(false);
    expect(await t.db.models.posts.count({ author_id: id })).toBe(1);
  });

  it('rolls everything back when the callback throws', async () => {
    await expect(
      t.db.transaction(async (tx) => {
        await tx.models.users.create({ email: 'a@x.io' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await t.db.models.users.count()).toBe(0);
  });

  it('a failed nested transaction rolls back to its savepoint only', async () => {
    await t.db.transaction(async (tx) => {
      await tx.models.users.create({ email: 'outer@x.io' });
      await expect(
        tx.transaction(async (inner) => {
          await inner.models.users.create({ email: 'inner@x.io' });
          await inner.models.users.create({ email: 'outer@x.io' });
        }),
      ).rejects.toBeInstanceOf(UniqueViolationError);
      // The outer transaction is still usable after the inner failure.
      await tx.transaction(async (inner) => {
        await inner.models.users.create({ email: 'second@x.io' });
        await inner.transaction(async (innermost) => {
          await innermost.models.users.create({ email: 'third@x.io' });
        });
      });
    });
    const emails = (await t.db.models.users.findMany({ orderBy: { id: 'asc' } })).map((u) => u.email);
    expect(emails).toEqual(['outer@x.io', 'second@x.io', 'third@x.io']);
  });

  it('an outer failure undoes released savepoints too', async () => {
    await expect(
      t.db.transaction(async (tx) => {
        await tx.transaction(async (inner) => inner.models.users.create({ email: 'inner@x.io' }));
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    expect(await t.db.models.users.count()).toBe(0);
  });

  it('Kysely and sql inside a transaction run on the same connection', async () => {
    await t.db.transaction(
      async (tx) => {
        await tx.models.users.create({ email: 'k@x.io' });
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from users`.execute(tx.kysely);
        expect(rows[0]?.n).toBe(1);
        await tx.kysely.insertInto('tags').values({ label: 'raw' }).execute();
      },
      { isolationLevel: 'serializable' },
    );
    expect(await t.db.models.tags.count()).toBe(1);
  });

  it('a read-only transaction refuses writes', async () => {
    await expect(
      t.db.transaction(async (tx) => tx.models.users.create({ email: 'ro@x.io' }), {
        accessMode: 'read only',
      }),
    ).rejects.toMatchObject({ code: '25006' });
  });

  if (kind === 'pglite') {
    it("two databases on one PGlite instance take turns: no statement lands in the other one's transaction", async () => {
      const other = t.reopen(schema);
      const failing = t.db.transaction(async (tx) => {
        await tx.models.tags.create({ label: 'rolled-back' });
        await new Promise((r) => setTimeout(r, 30));
        throw new Error('undo');
      });
      await new Promise((r) => setTimeout(r, 5));
      const committed = other.models.tags.create({ label: 'kept' });
      await expect(failing).rejects.toThrow('undo');
      await committed;
      expect((await t.db.models.tags.findMany()).map((x) => x.label)).toEqual(['kept']);
    });
  }
});
