import { context, trace } from '@opentelemetry/api';
import {
  acquireChannel,
  createDatabase,
  postgres,
  queryChannel,
  sql,
  UniqueViolationError,
} from '@zephyr/db';
import { afterEach, describe, expect, it } from 'vitest';
import { TRACER_NAME } from '../src/index.js';
import { inMemoryTracing, only, type TestTracing } from './support/in-memory-tracing.js';
import { pgliteShop, postgresShop, schema } from './support/shop-schema.js';

let t: TestTracing | undefined;
afterEach(async () => {
  await t?.shutdown();
  t = undefined;
});

/** Runs `fn` inside a parent span, as a request handler would. */
function inSpan<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, async (span) => {
    try {
      return await fn();
    } finally {
      span.end();
    }
  });
}

describe('database client spans', () => {
  it('makes a CLIENT span per statement on PGlite, nested in the current span, with DB conventions; none outside a trace', async () => {
    const db = await pgliteShop();
    t = inMemoryTracing();
    try {
      // Outside any trace (a job, or a request nobody samples): no span, no stray trace.
      expect(await db.models.products.findMany({ where: { sku: 'a-1' } })).toHaveLength(1);
      const rows = await inSpan('parent', () => db.models.products.findMany({ where: { sku: 'a-1' } }));
      expect(rows).toHaveLength(1);
      const spans = await t.spans();
      const parent = only(spans, 'parent');
      const query = only(spans, 'SELECT products');
      expect(query.kind).toBe(2); // CLIENT
      expect(query.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(query.spanContext().traceId).toBe(parent.spanContext().traceId);
      expect(query.attributes).toMatchObject({
        'db.system.name': 'postgresql',
        'db.operation.name': 'SELECT',
        'db.collection.name': 'products',
        'db.response.returned_rows': 1,
        'zephyr.db.dialect': 'pglite',
      });
      // Values travel as parameters, never in the recorded text.
      expect(query.attributes['db.query.text']).toMatch(/\$1/);
      expect(String(query.attributes['db.query.text'])).not.toContain('a-1');
    } finally {
      await db.destroy();
    }
  });

  it('records a failed statement with its ZEPHYR_ERR code', async () => {
    const db = await pgliteShop();
    t = inMemoryTracing();
    try {
      await expect(
        inSpan('parent', () => db.models.products.create({ sku: 'a-1', name: 'again' })),
      ).rejects.toBeInstanceOf(UniqueViolationError);
      const insert = only(await t.spans(), 'INSERT products');
      expect(insert.status.code).toBe(2);
      expect(insert.attributes['error.type']).toBe('ZEPHYR_ERR_DB_UNIQUE_VIOLATION');
      expect(insert.events.map((e) => e.name)).toEqual(['exception']);
    } finally {
      await db.destroy();
    }
  });

  it('on PostgreSQL adds the prepared statement name and a pool-acquire span with its wait', async () => {
    const db = await postgresShop();
    t = inMemoryTracing();
    try {
      await inSpan('parent', () => db.models.products.findMany({ where: { sku: 'b-2' } }));
      const spans = await t.spans();
      const query = only(spans, 'SELECT products');
      expect(query.attributes['zephyr.db.dialect']).toBe('postgres');
      expect(query.attributes['zephyr.db.statement_name']).toMatch(/^zephyr_/);
      const acquire = only(spans, 'acquire connection');
      expect(acquire.parentSpanContext?.spanId).toBe(only(spans, 'parent').spanContext().spanId);
      expect(acquire.attributes['db.client.connection.pool.max']).toBe(1);
      expect(typeof acquire.attributes['zephyr.db.pool.wait_ms']).toBe('number');
    } finally {
      await t.shutdown();
      t = undefined;
      await db.drop();
    }
  });

  it('publishes every statement: model queries straight on the pool, reads routed to a replica, transactions, raw SQL', async () => {
    const shop = await postgresShop();
    const options = { connectionString: shop.url, searchPath: shop.searchPath, pool: { max: 1 } };
    const replica = postgres(options);
    const db = createDatabase({ schema, dialect: postgres(options), replicas: [replica] });
    t = inMemoryTracing();
    try {
      await inSpan('parent', async () => {
        // A read: straight on the replica's pool (no Kysely executor on this path).
        expect(await db.models.products.findMany({ where: { sku: 'a-1' } })).toHaveLength(1);
        // A write: straight on the primary's pool.
        expect(await db.models.products.update({ sku: 'b-2' }, { name: 'Bellows!' })).toHaveLength(1);
        // A transaction's statements run through Kysely on the primary.
        expect(await db.transaction((tx) => tx.models.products.count())).toBe(2);
        await sql`select 1 as one`.execute(db.kysely);
      });
      expect(replica.poolMetrics()?.total).toBe(1);
      const spans = await t.spans();
      const parent = only(spans, 'parent').spanContext().spanId;
      const queries = spans.filter((s) => s.attributes['zephyr.db.dialect'] === 'postgres');
      expect(queries.map((s) => s.name)).toEqual([
        'SELECT products',
        'UPDATE products',
        'SELECT products',
        'postgresql',
      ]);
      for (const q of queries) expect(q.parentSpanContext?.spanId).toBe(parent);
      expect(queries[0]!.attributes['db.response.returned_rows']).toBe(1);
      // One checkout each: replica, primary, the transaction, the raw statement.
      expect(spans.filter((s) => s.name === 'acquire connection')).toHaveLength(4);
    } finally {
      await t.shutdown();
      t = undefined;
      await db.destroy();
      await shop.drop();
    }
  });

  it('tags statements with a sqlcommenter traceparent that PostgreSQL sees, when enabled', async () => {
    const db = await postgresShop();
    t = inMemoryTracing({ sqlCommenter: true });
    try {
      const seen = await inSpan('parent', async () => {
        const spanId = trace.getSpan(context.active())!.spanContext().traceId;
        const { rows } = await sql<{
          query: string;
        }>`select query from pg_stat_activity where pid = pg_backend_pid()`.execute(db.kysely);
        return { traceId: spanId, query: rows[0]!.query };
      });
      expect(seen.query).toMatch(new RegExp(`/\\*traceparent='00-${seen.traceId}-[0-9a-f]{16}-01'\\*/$`));
      // Prepared statements keep working beside commented ones.
      const rows = await inSpan('again', () => db.models.products.findMany({ where: { sku: 'a-1' } }));
      expect(rows).toHaveLength(1);
    } finally {
      await t.shutdown();
      t = undefined;
      await db.drop();
    }
  });

  it('costs nothing without a subscriber: no channel has subscribers before setup', () => {
    expect(queryChannel.hasSubscribers).toBe(false);
    expect(acquireChannel.hasSubscribers).toBe(false);
  });
});
