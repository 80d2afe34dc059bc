import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, ZephyrDbError } from '../src/index.js';
import { openTestDatabase, type TestDatabase } from './support/test-databases.js';
import { schema, type TestSchema } from './support/test-schema.js';

/**
 * Restarts the server. `-l` keeps its log in the data directory: without it the new postmaster would
 * inherit this process's stdout and outlive the pipe. stdio is ignored and only the exit is awaited.
 */
function restartPostgres(): Promise<void> {
  const ctl = pgCtl();
  const dataDir = /-D\s+(\S+)/.exec(ctl)?.[1];
  const log = dataDir === undefined ? '/tmp/zephyr-test-pg-restart.log' : `${dataDir}/server.log`;
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `${ctl} restart -m fast -l ${log}`], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`pg_ctl restart exited with ${code}`)),
    );
  });
}

/** `pg_ctl` for the test server, as printed by .ci/services.sh; required, like the URL. */
function pgCtl(): string {
  const ctl = process.env.ZEPHYR_TEST_PG_CTL;
  if (ctl === undefined || ctl === '') {
    throw new Error(
      'ZEPHYR_TEST_PG_CTL is not set: run `eval "$(bash .ci/services.sh)"` from the repository root',
    );
  }
  return ctl;
}

describe('PostgreSQL restarts mid-run', () => {
  let t: TestDatabase<TestSchema>;
  beforeAll(async () => {
    pgCtl();
    t = await openTestDatabase('postgres', schema, { pool: { max: 4, queue: 50, acquireTimeoutMs: 5000 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('in-flight transactions roll back, nothing is half-written, and the pool heals without a process restart', async () => {
    // Warm the pool so idle sessions exist to be killed too.
    await Promise.all(Array.from({ length: 4 }, () => sql`select pg_sleep(0.05)`.execute(t.db.kysely)));
    expect(t.db.poolMetrics()?.idle).toBe(4);

    const inFlight = Array.from({ length: 2 }, (_, i) =>
      t.db.transaction(async (tx) => {
        await tx.models.tags.createMany([{ label: `half-${i}-a` }, { label: `half-${i}-b` }]);
        await sql`select pg_sleep(30)`.execute(tx.kysely);
        await tx.models.tags.create({ label: `never-${i}` });
      }),
    );
    const settled = Promise.allSettled(inFlight);
    await new Promise((r) => setTimeout(r, 300));
    // Queries keep coming while the server goes down and up: every failure must be typed.
    let restarting = true;
    const failures: unknown[] = [];
    const traffic = (async () => {
      while (restarting) {
        await t.db.models.tags.count().catch((error: unknown) => failures.push(error));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // `-m fast` terminates sessions (rolling back their transactions) and reuses the start options.
    await restartPostgres();
    restarting = false;
    await traffic;

    const outcomes = await settled;
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    for (const o of outcomes) {
      expect((o as PromiseRejectedResult).reason).toMatchObject({
        code: 'ZEPHYR_ERR_DB_CONNECTION',
        status: 503,
      });
    }
    for (const f of failures) {
      expect(f).toBeInstanceOf(ZephyrDbError);
      expect(['ZEPHYR_ERR_DB_CONNECTION', 'ZEPHYR_ERR_DB_POOL_TIMEOUT']).toContain((f as ZephyrDbError).code);
    }

    // The pool recovers by itself: dead sessions were discarded, new ones are opened on demand.
    for (let i = 0; i < 20; i++) expect(await t.db.models.tags.count()).toBe(0);
    await Promise.all(Array.from({ length: 8 }, (_, i) => t.db.models.tags.create({ label: `after-${i}` })));
    expect(await t.db.models.tags.count()).toBe(8);
    const m = t.db.poolMetrics()!;
    expect(m.replaced).toBeGreaterThanOrEqual(4);
    expect(m.total).toBeLessThanOrEqual(4);
    expect(m.inUse).toBe(0);
  });
});
