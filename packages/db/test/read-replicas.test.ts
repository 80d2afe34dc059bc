import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database, postgres, sql } from '../src/index.js';
import { type StreamingReplica, startStreamingReplica } from './support/streaming-replica.js';
import { openTestDatabase, type TestDatabase } from './support/test-databases.js';
import { schema, type TestSchema } from './support/test-schema.js';

/** Polls until `check` holds (replication is asynchronous), failing after a generous deadline. */
async function eventually(check: () => Promise<boolean>, what: string, deadlineMs = 20_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('read replicas: reads go to a real streaming replica, writes and transactions to the primary', () => {
  let replica: StreamingReplica;
  let t: TestDatabase<TestSchema>;
  let db: Database<TestSchema>;
  let replicaAdmin: Database<TestSchema>;

  beforeAll(async () => {
    t = await openTestDatabase('postgres', schema);
    // Cloned after the test schema exists, so the replica has its tables from the start.
    replica = await startStreamingReplica();
    db = createDatabase({
      schema,
      dialect: postgres({ connectionString: process.env.ZEPHYR_TEST_PG_URL!, searchPath: t.schemaName }),
      replicas: [postgres({ connectionString: replica.url, searchPath: t.schemaName })],
    });
    replicaAdmin = createDatabase({
      schema,
      dialect: postgres({ connectionString: replica.url, searchPath: t.schemaName }),
    });
  }, 120_000);
  afterAll(async () => {
    await db?.destroy();
    await replicaAdmin?.destroy();
    await replica?.stop();
    await t?.close();
  }, 60_000);

  it('the replica is a read-only hot standby following the primary', async () => {
    const r = await sql<{ standby: boolean }>`select pg_is_in_recovery() as standby`.execute(
      replicaAdmin.kysely,
    );
    expect(r.rows[0]?.standby).toBe(true);
    await expect(replicaAdmin.models.tags.create({ label: 'nope' })).rejects.toMatchObject({ code: '25006' });
  });

  it('routes model reads to the replica, and writes, transactions and db.kysely to the primary', async () => {
    const first = await db.models.tags.create({ label: 'first' }); // a write: the primary
    await eventually(async () => (await db.models.tags.find(first.id)) !== undefined, 'the row to replicate');

    // Freeze replay on the replica: from now on it lags, which tells the two servers apart.
    await sql`select pg_wal_replay_pause()`.execute(replicaAdmin.kysely);
    try {
      const second = await db.models.tags.create({ label: 'second' });
      expect(await db.models.tags.find(second.id)).toBeUndefined(); // read: the paused replica
      expect(await db.models.tags.count()).toBe(1);
      expect((await db.models.tags.findMany()).map((x) => x.label)).toEqual(['first']);
      // A transaction reads its own writes: it runs on the primary.
      expect(await db.transaction(async (tx) => tx.models.tags.count())).toBe(2);
      // Kysely itself is the primary.
      const direct = await sql<{ n: number }>`select count(*)::int as n from tags`.execute(db.kysely);
      expect(direct.rows[0]?.n).toBe(2);
      // Updates and deletes go to the primary too (the replica would refuse them).
      expect(await db.models.tags.update({ id: second.id }, { label: 'second!' })).toHaveLength(1);
      expect(await db.models.tags.delete({ id: first.id })).toBe(1);
    } finally {
      await sql`select pg_wal_replay_resume()`.execute(replicaAdmin.kysely);
    }
    const labels = async () => (await db.models.tags.findMany()).map((x) => x.label).join(',');
    await eventually(async () => (await labels()) === 'second!', 'replay to resume');
  });
});
