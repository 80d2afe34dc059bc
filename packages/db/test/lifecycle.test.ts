import { describe, expect, it, vi } from 'vitest';
import {
  column,
  createDatabase,
  DatabaseArgumentError,
  DatabaseUnsupportedOptionError,
  defineSchema,
  PoolClosedError,
  pglite,
  postgres,
  QueryTimeoutError,
  sql,
  TransactionMisuseError,
  table,
  UniqueViolationError,
} from '../src/index.js';
import {
  DIALECTS,
  openTestDatabase,
  pgliteInstance,
  postgresUrl,
  useTestDatabase,
} from './support/test-databases.js';
import { schema } from './support/test-schema.js';

describe.each(DIALECTS)('lifecycle, misuse and limits (%s)', (kind) => {
  const t = useTestDatabase(kind, schema);

  it('after destroy(), every call fails with PoolClosedError', async () => {
    const other = await openTestDatabase(kind, schema);
    await other.db.models.users.create({ email: 'a@x.io' });
    await other.db.destroy();
    for (const call of [
      () => other.db.models.users.find(1),
      () => other.db.models.users.findMany(),
      () => other.db.models.users.create({ email: 'b@x.io' }),
      () => other.db.models.users.deleteAll(),
      () => other.db.transaction(async () => 1),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'ZEPHYR_ERR_DB_POOL_CLOSED', status: 503 });
    }
    await expect(other.db.models.users.count()).rejects.toBeInstanceOf(PoolClosedError);
    // Cleanup through a fresh handle: the schema is still there.
    const cleanup = other.reopen(schema);
    await cleanup.destroy().catch(() => undefined);
    if (kind === 'postgres') await other.close().catch(() => undefined);
    else await (await pgliteInstance()).exec(`drop schema ${other.schemaName} cascade`);
  });

  it('two savepoints opened in parallel on one transaction are refused, not silently undone', async () => {
    await t.db.transaction(async (tx) => {
      const first = tx.transaction(async (inner) => inner.models.users.create({ email: 'one@x.io' }));
      const second = tx.transaction(async (inner) => inner.models.users.create({ email: 'two@x.io' }));
      await expect(second).rejects.toBeInstanceOf(TransactionMisuseError);
      await first;
      // In sequence they are fine.
      await tx.transaction(async (inner) => inner.models.users.create({ email: 'three@x.io' }));
    });
    expect((await t.db.models.users.findMany({ orderBy: { id: 'asc' } })).map((u) => u.email)).toEqual([
      'one@x.io',
      'three@x.io',
    ]);
  });

  it('using db instead of tx inside a transaction: PGlite throws at once, PostgreSQL just runs it', async () => {
    const attempt = t.db.transaction(async (tx) => {
      await tx.models.users.create({ email: 'in-tx@x.io' });
      return t.db.models.users.count();
    });
    if (kind === 'pglite') {
      await expect(attempt).rejects.toBeInstanceOf(TransactionMisuseError);
      expect(await t.db.models.users.count()).toBe(0);
    } else {
      expect(await attempt).toBe(0); // the other session does not see the uncommitted row
    }
    // The database is not frozen afterwards.
    expect(await t.db.models.users.count()).toBe(kind === 'pglite' ? 0 : 1);
    // Work a callback schedules for after its transaction runs normally.
    let later: Promise<number> | undefined;
    await t.db.transaction(async () => {
      later = new Promise((resolve) => setTimeout(resolve, 50)).then(() => t.db.models.users.count());
    });
    expect(await later).toBe(kind === 'pglite' ? 0 : 1);
    await expect(
      t.db.transaction(async (tx) => tx.transaction(async () => 1, { isolationLevel: 'serializable' })),
    ).rejects.toBeInstanceOf(DatabaseArgumentError);
  });

  it('createMany is atomic across statements and splits under the 65,535-parameter limit', async () => {
    const m = t.db.models.tags;
    const rows = Array.from({ length: 1500 }, (_, i) => ({ label: i === 1200 ? 'dup' : `t${i}` }));
    rows[1300] = { label: 'dup' };
    await expect(m.createMany(rows)).rejects.toBeInstanceOf(UniqueViolationError);
    expect(await m.count()).toBe(0);
    // 70,000 rows × 1 parameter: more parameters than one statement may carry.
    const many = Array.from({ length: 70_000 }, (_, i) => ({ label: `l${i}` }));
    const created = await m.createMany(many);
    expect(created).toHaveLength(70_000);
    expect(created[69_999]?.label).toBe('l69999');
    expect(await m.count()).toBe(70_000);
    // Inside a transaction it joins that transaction.
    await expect(
      t.db.transaction(async (tx) => {
        await tx.models.tags.createMany(Array.from({ length: 1100 }, (_, i) => ({ label: `x${i}` })));
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await m.count()).toBe(70_000);
  }, 120_000);

  it('createMany of a wide table splits by parameter count, not only by rows', async () => {
    const columns = Object.fromEntries(Array.from({ length: 69 }, (_, i) => [`c${i}`, column.integer()]));
    const wide = defineSchema({ tables: [table('wide', { id: column.serial().primaryKey(), ...columns })] });
    const w = t.reopen(wide);
    try {
      const ddl = Object.keys(columns).map((c) => `${c} integer not null`);
      await sql.raw(`create table wide (id serial primary key, ${ddl.join(', ')})`).execute(w.kysely);
      const row = Object.fromEntries(Object.keys(columns).map((c, i) => [c, i]));
      // 1000 rows × 70 columns = 70,000 parameters: one statement would be refused by the protocol.
      const created = await w.models.wide.createMany(
        Array.from({ length: 1000 }, (_, id) => ({ ...row, id: id + 1 })) as never,
      );
      expect(created).toHaveLength(1000);
      expect(await w.models.wide.count()).toBe(1000);
    } finally {
      await sql`drop table if exists wide`.execute(w.kysely);
    }
  }, 120_000);

  it('a statement past the protocol parameter limit is refused before it is sent, the session kept', async () => {
    const values = Array.from({ length: 70_000 }, (_, i) => i);
    await expect(sql`select 1 where 1 in (${sql.join(values)})`.execute(t.db.kysely)).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_DB_INVALID_QUERY',
      status: 400,
    });
    expect(await t.db.models.users.count()).toBe(0);
  });

  it('query timeouts: per call with withTimeout, PostgreSQL only', async () => {
    if (kind === 'pglite') {
      expect(() => t.db.withTimeout(100, async () => 1)).toThrow(DatabaseUnsupportedOptionError);
      return;
    }
    const started = performance.now();
    await expect(
      t.db.withTimeout(200, () => sql`select pg_sleep(5)`.execute(t.db.kysely)),
    ).rejects.toBeInstanceOf(QueryTimeoutError);
    expect(performance.now() - started).toBeLessThan(4000);
    // The session goes back to the default (no timeout) afterwards.
    await sql`select pg_sleep(0.3)`.execute(t.db.kysely);
    expect(() => t.db.withTimeout(0, async () => 1)).toThrow(DatabaseArgumentError);
  });

  it('options that are not implemented, or misspelled, are refused rather than ignored', () => {
    expect(() => createDatabase({ schema, dialect: pglite(), softDelete: true } as never)).toThrow(
      DatabaseArgumentError,
    );
    expect(() => createDatabase({ schema, dialect: pglite(), timeout: 5 } as never)).toThrow(
      DatabaseArgumentError,
    );
    expect(() => createDatabase({ schema, dialect: pglite(), replicas: [pglite()] })).toThrow(
      DatabaseUnsupportedOptionError,
    );
    expect(() => pglite({ pool: { max: 2 } } as never)).toThrow(/PostgreSQL only/);
    expect(() => postgres({ connectionString: postgresUrl(), poolSize: 3 } as never)).toThrow(
      DatabaseArgumentError,
    );
    expect(() => postgres({ connectionString: postgresUrl(), pool: { min: 1 } } as never)).toThrow(
      DatabaseArgumentError,
    );
    expect(() => postgres({ connectionString: postgresUrl(), queryTimeoutMs: -1 })).toThrow(
      DatabaseArgumentError,
    );
    expect(() => postgres({ connectionString: postgresUrl(), searchPath: 'a; drop' })).toThrow(
      DatabaseArgumentError,
    );
  });

  it('loading relations prints no Kysely deprecation warning', async () => {
    const warn = vi.spyOn(console, 'log');
    const warn2 = vi.spyOn(console, 'warn');
    try {
      const u = await t.db.models.users.create({ email: 'w@x.io' });
      await t.db.models.posts.create({ author_id: u.id, title: 'p' });
      await t.db.models.users.findMany({ with: { posts: true } });
      await t.db.models.posts.findMany({ with: { tags: true } });
      const printed = [...warn.mock.calls, ...warn2.mock.calls].flat().join(' ');
      expect(printed).not.toMatch(/deprecated/i);
    } finally {
      warn.mockRestore();
      warn2.mockRestore();
    }
  });
});

describe('query timeout default (PostgreSQL)', () => {
  it('queryTimeoutMs cancels every statement that runs longer', async () => {
    const db = createDatabase({
      schema,
      dialect: postgres({ connectionString: postgresUrl(), queryTimeoutMs: 200 }),
    });
    try {
      await expect(sql`select pg_sleep(3)`.execute(db.kysely)).rejects.toMatchObject({
        code: 'ZEPHYR_ERR_DB_QUERY_TIMEOUT',
        status: 503,
        retryAfter: 1,
        timeoutMs: 200,
      });
      // A longer timeout for one call.
      await db.withTimeout(5000, () => sql`select pg_sleep(0.4)`.execute(db.kysely));
      await expect(sql`select pg_sleep(3)`.execute(db.kysely)).rejects.toBeInstanceOf(QueryTimeoutError);
    } finally {
      await db.destroy();
    }
  });
});
