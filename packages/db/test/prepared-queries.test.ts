import pg from 'pg';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { queryDescribedOnce, type StatementDescriptions } from '../src/dialect/postgres/described-query.js';
import { createDatabase, InvalidQueryError, postgres, sql } from '../src/index.js';
import { DIALECTS, openTestDatabase, postgresUrl, type TestDatabase } from './support/test-databases.js';
import { schema, type TestSchema } from './support/test-schema.js';

describe.each(DIALECTS)('compiled and prepared queries (%s)', (kind) => {
  let t: TestDatabase<TestSchema>;
  beforeAll(async () => {
    t = await openTestDatabase(kind, schema);
    await t.db.models.users.createMany(
      Array.from({ length: 10 }, (_, i) => ({ email: `u${i}@x.io`, age: i })),
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('Kysely stream() delivers every row in chunks (a server-side cursor on PostgreSQL)', async () => {
    const emails: string[] = [];
    for await (const row of t.db.kysely.selectFrom('users').select('email').orderBy('id').stream(3))
      emails.push(row.email);
    expect(emails).toEqual(Array.from({ length: 10 }, (_, i) => `u${i}@x.io`));
    // The connection went back to the pool in a usable state.
    expect(await t.db.models.users.count()).toBe(10);
  });

  it('prepare() compiles once and runs with named parameters', async () => {
    const byAge = t.db.prepare<{ min: number; max: number }, { email: string }>((q, p) =>
      q
        .selectFrom('users')
        .select('email')
        .where('age', '>=', p('min'))
        .where('age', '<', p('max'))
        .orderBy('id'),
    );
    expect(byAge.sql).toMatch(/\$1.*\$2/s);
    expect(await byAge.execute({ min: 2, max: 4 })).toEqual([{ email: 'u2@x.io' }, { email: 'u3@x.io' }]);
    expect(await byAge.execute({ min: 8, max: 100 })).toHaveLength(2);
    const first = await byAge.executeTakeFirst({ min: 100, max: 200 });
    expectTypeOf(first).toEqualTypeOf<{ email: string } | undefined>();
    expect(first).toBeUndefined();
  });

  it('prepared parameters are values, never SQL', async () => {
    const byEmail = t.db.prepare<{ email: string }, { id: number }>((q, p) =>
      q.selectFrom('users').select('id').where('email', '=', p('email')),
    );
    expect(await byEmail.execute({ email: "' or 1=1 --" })).toEqual([]);
    await expect(byEmail.execute({} as { email: string })).rejects.toBeInstanceOf(InvalidQueryError);
  });

  it('a prepared query runs inside a transaction when given one', async () => {
    const insert = t.db.prepare<{ label: string }, { id: number }>((q, p) =>
      q
        .insertInto('tags')
        .values({ label: p('label') })
        .returning('id'),
    );
    await expect(
      t.db.transaction(async (tx) => {
        await insert.execute({ label: 'in-tx' }, tx);
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await t.db.models.tags.count({ label: 'in-tx' })).toBe(0);
  });

  if (kind === 'postgres') {
    it('a prepared select * keeps working after DDL changes its table (re-prepared once)', async () => {
      const db = createDatabase({
        schema,
        dialect: postgres({ connectionString: postgresUrl(), searchPath: t.schemaName, pool: { max: 1 } }),
      });
      try {
        expect((await db.models.users.find(1))?.email).toBe('u0@x.io');
        await sql`alter table users add column nickname text`.execute(db.kysely);
        // Same session, same statement name: PostgreSQL answers "cached plan must not change result type".
        const row = (await db.models.users.find(1)) as Record<string, unknown> | undefined;
        expect(row?.email).toBe('u0@x.io');
        expect(row).toHaveProperty('nickname', null);
        expect((await db.models.users.find(2))?.email).toBe('u1@x.io');
      } finally {
        await sql`alter table users drop column nickname`.execute(db.kysely);
        await db.destroy();
      }
    });

    it('a column whose type changed is read with its new type (the statement is described again)', async () => {
      const db = createDatabase({
        schema,
        dialect: postgres({ connectionString: postgresUrl(), searchPath: t.schemaName, pool: { max: 1 } }),
      });
      try {
        expect((await db.models.users.find(4))?.age).toBe(3);
        await sql`alter table users alter column age type bigint`.execute(db.kysely);
        expect((await db.models.users.find(4))?.age).toBe(3n);
        expect((await db.models.users.find(5))?.age).toBe(4n);
      } finally {
        await sql`alter table users alter column age type integer`.execute(db.kysely);
        await db.destroy();
      }
    });

    it('a named statement is described once per session; a value that cannot be sent fails alone', async () => {
      const client = new pg.Client({ connectionString: postgresUrl() });
      await client.connect();
      try {
        const connection = (client as unknown as { connection: { describe(message: unknown): void } })
          .connection;
        const describe = connection.describe.bind(connection);
        let describes = 0;
        connection.describe = (message) => {
          describes++;
          describe(message);
        };
        const descriptions: StatementDescriptions = new Map();
        const run = (values: unknown[]) =>
          queryDescribedOnce(
            client,
            { name: 'plus_one', text: "select $1::int + 1 as n, 'x'::text as s", values },
            descriptions,
          );
        for (let i = 0; i < 3; i++) expect((await run([i])).rows).toEqual([{ n: i + 1, s: 'x' }]);
        expect(describes).toBe(1);
        const circular: Record<string, unknown> = {};
        circular.self = circular;
        await expect(run([circular])).rejects.toThrow();
        expect((await run([41])).rows).toEqual([{ n: 42, s: 'x' }]);
        const arrays = await queryDescribedOnce(
          client,
          {
            name: 'plus_one',
            text: "select $1::int + 1 as n, 'x'::text as s",
            values: [1],
            rowMode: 'array',
          },
          descriptions,
        );
        expect(arrays.rows).toEqual([[2, 'x']]);
        expect(describes).toBe(1);
      } finally {
        await client.end();
      }
    });

    it('on PostgreSQL, model queries run as named prepared statements, parsed once per session', async () => {
      await t.db.transaction(async (tx) => {
        for (let i = 0; i < 5; i++) await tx.models.users.find(i + 1);
        const { rows } = await sql<{ name: string; statement: string }>`
          select name, statement from pg_prepared_statements`.execute(tx.kysely);
        const findByKey = rows.filter((r) => /from "users" where "users"."id" = \$1/.test(r.statement));
        expect(findByKey).toHaveLength(1);
        expect(findByKey[0]?.name).toMatch(/^zephyr_/);
      });
    });
  }
});
