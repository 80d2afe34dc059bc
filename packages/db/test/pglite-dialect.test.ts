import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { column, createDatabase, createMigrator, defineSchema, pglite, table } from '../src/index.js';
import { pgliteInstance } from './support/test-databases.js';

const notes = table('notes', { id: column.serial().primaryKey(), body: column.text() });
const schema = defineSchema({ tables: [notes] });

describe('PGlite dialect: several databases on one instance', () => {
  let instance: PGlite;
  beforeAll(async () => {
    instance = await pgliteInstance();
    await instance.exec('create schema alpha; create schema beta;');
  });
  afterAll(async () => {
    await instance.exec(
      'drop schema alpha cascade; drop schema beta cascade; drop table if exists public.notes;',
    );
  });

  it('each database sees only its own schema, even when their statements interleave', async () => {
    const alpha = createDatabase({ schema, dialect: pglite({ instance, searchPath: 'alpha' }) });
    const beta = createDatabase({ schema, dialect: pglite({ instance, searchPath: 'beta' }) });
    // Without a searchPath a database gets the search_path the session started with (public).
    const plain = createDatabase({ schema, dialect: pglite({ instance }) });
    await createMigrator(alpha, { directory: '/unused' }).push();
    await createMigrator(beta, { directory: '/unused' }).push();
    await createMigrator(plain, { directory: '/unused' }).push();
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        Promise.all([
          alpha.models.notes.create({ body: `a${i}` }),
          beta.models.notes.create({ body: `b${i}` }),
          alpha.transaction(async (tx) => tx.models.notes.create({ body: `ta${i}` })),
        ]),
      ),
    );
    expect(await alpha.models.notes.count()).toBe(20);
    expect(await beta.models.notes.count()).toBe(10);
    expect(await plain.models.notes.count()).toBe(0);
    expect((await beta.models.notes.findMany()).every((n) => n.body.startsWith('b'))).toBe(true);
    const { rows } = await instance.query<{ n: number }>('select count(*)::int as n from public.notes');
    expect(rows[0]?.n).toBe(0);
    // Destroying a database leaves an instance the application passed in open for the others.
    await alpha.destroy();
    await beta.destroy();
    expect(await plain.models.notes.count()).toBe(0);
    await plain.destroy();
  });

  it('introspection refuses the system catalogue rather than offering to drop it', async () => {
    const db = createDatabase({ schema, dialect: pglite({ instance, searchPath: 'pg_catalog' }) });
    await expect(createMigrator(db, { directory: '/unused' }).diff()).rejects.toThrow(
      /system schema "pg_catalog"/,
    );
    await db.destroy();
  });
});
