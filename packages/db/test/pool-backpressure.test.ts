import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDatabase,
  DatabaseArgumentError,
  PoolClosedError,
  PoolOverloadedError,
  PoolTimeoutError,
  postgres,
  sql,
  ZephyrDbError,
} from '../src/index.js';
import { adminQuery, openTestDatabase, postgresUrl, type TestDatabase } from './support/test-databases.js';
import { schema, type TestSchema } from './support/test-schema.js';

const MAX = 5;
const QUEUE = 10;
const TIMEOUT_MS = 300;

async function sessions(applicationName: string): Promise<number> {
  const rows = await adminQuery<{ n: number }>(
    'select count(*)::int as n from pg_stat_activity where application_name = $1',
    [applicationName],
  );
  return rows[0]?.n ?? -1;
}

describe('connection pool with backpressure (PostgreSQL)', () => {
  let t: TestDatabase<TestSchema>;
  beforeAll(async () => {
    t = await openTestDatabase('postgres', schema, {
      pool: { max: MAX, queue: QUEUE, acquireTimeoutMs: TIMEOUT_MS },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('under 10x overload: fails fast with typed errors, waits bounded by the timeout, no leaked sessions', async () => {
    const load = (MAX + QUEUE) * 10;
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: load }, async () => {
        const t0 = performance.now();
        try {
          await sql`select pg_sleep(0.2)`.execute(t.db.kysely);
          return { ok: true as const, ms: performance.now() - t0 };
        } catch (error) {
          return { ok: false as const, error, ms: performance.now() - t0 };
        }
      }),
    );
    const elapsed = performance.now() - started;
    const failures = outcomes.filter((o) => !o.ok);
    const overloaded = failures.filter((o) => o.error instanceof PoolOverloadedError);
    const timedOut = failures.filter((o) => o.error instanceof PoolTimeoutError);
    // Everything that failed failed with one of the two typed pool errors.
    expect(overloaded.length + timedOut.length).toBe(failures.length);
    // Only MAX + QUEUE callers can ever be admitted; the rest are refused at once.
    expect(overloaded.length).toBeGreaterThanOrEqual(load - MAX - QUEUE);
    for (const o of overloaded) expect(o.ms).toBeLessThan(100);
    // A queued caller waits at most the acquire timeout (plus timer slack), then gets PoolTimeoutError.
    for (const o of timedOut) {
      expect(o.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      expect(o.ms).toBeLessThan(TIMEOUT_MS + 250);
    }
    expect(outcomes.filter((o) => o.ok).length).toBeGreaterThanOrEqual(MAX);
    expect(elapsed).toBeLessThan(3000);
    const error = overloaded[0]?.error as PoolOverloadedError;
    expect(error).toBeInstanceOf(ZephyrDbError);
    expect(error).toMatchObject({
      code: 'ZEPHYR_ERR_DB_POOL_OVERLOADED',
      status: 503,
      expose: false,
      retryAfter: 1,
    });
    if (timedOut[0] !== undefined) {
      expect(timedOut[0].error).toMatchObject({
        code: 'ZEPHYR_ERR_DB_POOL_TIMEOUT',
        status: 503,
        retryAfter: 1,
      });
    }

    const m = t.db.poolMetrics()!;
    expect(m.total).toBeLessThanOrEqual(MAX);
    expect(m.inUse).toBe(0);
    expect(m.waiting).toBe(0);
    expect(m.overloaded).toBe(overloaded.length);
    expect(m.timeouts).toBe(timedOut.length);
    expect(m.waitMs.max).toBeGreaterThan(0);
    expect(m.waitMs.p50).toBeLessThanOrEqual(m.waitMs.p99);
    expect(await sessions(t.applicationName)).toBeLessThanOrEqual(MAX);
    // The pool still works normally afterwards.
    expect(await t.db.models.users.count()).toBe(0);
  });

  it('a transaction holds its connection; the pool never opens more than max sessions', async () => {
    await Promise.all(
      Array.from({ length: MAX + QUEUE }, (_, i) =>
        t.db.transaction(async (tx) => {
          await tx.models.tags.create({ label: `tag-${i}` });
          await sql`select pg_sleep(0.02)`.execute(tx.kysely);
        }),
      ),
    );
    expect(await t.db.models.tags.count()).toBe(MAX + QUEUE);
    expect(await sessions(t.applicationName)).toBeLessThanOrEqual(MAX);
  });

  it('drains gracefully: work in flight finishes, new work is refused, every session closes', async () => {
    const applicationName = `zephyr_drain_${process.pid}`;
    const db = createDatabase({
      schema,
      dialect: postgres({
        connectionString: postgresUrl(),
        applicationName,
        searchPath: t.schemaName,
        pool: { max: 3 },
      }),
    });
    const inFlight = Array.from({ length: 5 }, () =>
      sql<{ v: number }>`select pg_sleep(0.2), 1 as v`.execute(db.kysely),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(await sessions(applicationName)).toBe(3);
    const drained = db.destroy();
    const results = await Promise.all(inFlight);
    expect(results.every((r) => r.rows[0]?.v === 1)).toBe(true);
    await drained;
    await expect(sql`select 1`.execute(db.kysely)).rejects.toBeDefined();
    expect(await sessions(applicationName)).toBe(0);
  });

  it('rejects nonsensical pool limits at construction', () => {
    expect(() => postgres({ connectionString: postgresUrl(), pool: { max: 0 } })).toThrow(
      DatabaseArgumentError,
    );
    expect(() => postgres({ connectionString: postgresUrl(), pool: { queue: -1 } })).toThrow(
      DatabaseArgumentError,
    );
    expect(() => postgres({ connectionString: postgresUrl(), pool: { acquireTimeoutMs: 1.5 } })).toThrow(
      DatabaseArgumentError,
    );
  });

  it('an unreachable server is a typed ConnectionError, not a hang', async () => {
    const db = createDatabase({
      schema,
      dialect: postgres({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutMs: 1000 }),
    });
    try {
      await expect(db.models.users.count()).rejects.toMatchObject({
        code: 'ZEPHYR_ERR_DB_CONNECTION',
        status: 503,
      });
      expect(db.poolMetrics()?.total).toBe(0);
    } finally {
      await db.destroy();
    }
  });
});

describe('pool errors are usable without the rest of Zephyr', () => {
  it('carry code, status, expose and retryAfter (the shared error shape)', () => {
    expect(new PoolTimeoutError(10, 5)).toMatchObject({
      code: 'ZEPHYR_ERR_DB_POOL_TIMEOUT',
      status: 503,
      waitedMs: 10,
    });
    expect(new PoolClosedError()).toMatchObject({ code: 'ZEPHYR_ERR_DB_POOL_CLOSED', status: 503 });
  });
});
