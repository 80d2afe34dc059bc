import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { column, createMigrator, DatabaseArgumentError, defineSchema, sql, table } from '../src/index.js';
import { DIALECTS, openTestDatabase, type TestDatabase } from './support/test-databases.js';

const peopleV1 = table('people', {
  id: column.serial().primaryKey(),
  name: column.text(),
  kind: column.enum(['user', 'admin']).default('user'),
  score: column.integer().default(0).check('score >= 0', 'people_score_range'),
});
const v1 = defineSchema({ tables: [peopleV1] });

describe.each(DIALECTS)('migrations that keep data and see every change (%s)', (kind) => {
  let t: TestDatabase<typeof v1>;
  let dir: string;
  beforeAll(async () => {
    t = await openTestDatabase(kind, v1, { push: false });
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.reset();
    dir = await mkdtemp(join(tmpdir(), 'zephyr-evolution-'));
    const m = createMigrator(t.db, { directory: dir });
    await m.generate('init');
    await m.migrate();
    await t.db.models.people.createMany([
      { name: 'Ada', score: 3 },
      { name: 'Bob', kind: 'admin' },
    ]);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('renamedFrom renames a NOT NULL column in place, keeping its data, and rolls back', async () => {
    const { name: _name, ...rest } = peopleV1.columns;
    const v2 = defineSchema({
      tables: [table('people', { ...rest, display_name: column.text().renamedFrom('name') })],
    });
    const db2 = t.reopen(v2);
    const m = createMigrator(db2, { directory: dir });
    const changes = await m.diff();
    expect(changes.map((c) => c.description)).toEqual(['rename column people.name to display_name']);
    expect(changes.some((c) => c.destructive)).toBe(false);
    const file = await m.generate('rename_name');
    expect(await readFile(file!.file, 'utf8')).toContain(
      'alter table "people" rename column "name" to "display_name";',
    );
    await m.migrate();
    expect(await m.diff()).toEqual([]);
    const names = (await db2.models.people.findMany({ orderBy: { id: 'asc' } })).map((p) => p.display_name);
    expect(names).toEqual(['Ada', 'Bob']);
    await m.rollback();
    expect((await t.db.models.people.findMany({ orderBy: { id: 'asc' } })).map((p) => p.name)).toEqual([
      'Ada',
      'Bob',
    ]);
    // Without renamedFrom the same change would be a destructive drop + add.
    const blind = defineSchema({ tables: [table('people', { ...rest, display_name: column.text() })] });
    const plain = (await createMigrator(t.reopen(blind), { directory: dir }).diff()).map(
      (c) => c.description,
    );
    expect(plain).toEqual(['add column people.display_name', 'drop column people.name']);
  });

  it('a CHECK changed under the same name and a value added to an enum produce a migration', async () => {
    const v2 = defineSchema({
      tables: [
        table('people', {
          ...peopleV1.columns,
          kind: column.enum(['user', 'admin', 'guest']).default('user'),
          score: column.integer().default(0).check('score between 0 and 100', 'people_score_range'),
        }),
      ],
    });
    const db2 = t.reopen(v2);
    const m = createMigrator(db2, { directory: dir });
    expect((await m.diff()).map((c) => c.description).sort()).toEqual([
      'add check people.people_kind_check',
      'add check people.people_score_range',
      'change check people.people_kind_check',
      'change check people.people_score_range',
    ]);
    await m.generate('widen');
    await m.migrate();
    expect(await m.diff()).toEqual([]);
    expect(await db2.models.people.create({ name: 'Cy', kind: 'guest', score: 50 })).toMatchObject({
      kind: 'guest',
    });
    await expect(db2.models.people.create({ name: 'Dee', score: 101 })).rejects.toMatchObject({
      code: 'ZEPHYR_ERR_DB_CHECK_VIOLATION',
    });
    await m.rollback({ steps: 1 }).catch(() => undefined); // a guest row now violates the old list
  });

  it('jsonb object and timestamp defaults are stable: no change after applying them', async () => {
    const v2 = defineSchema({
      tables: [
        table('people', {
          ...peopleV1.columns,
          prefs: column
            .jsonb(z.object({ theme: z.string(), size: z.number() }))
            .default({ theme: 'dark', size: 2 }),
          since: column.timestamp().default(new Date('2024-02-29T12:34:56.789Z')),
          tags: column.jsonb().default(['a', 'b']),
        }),
      ],
    });
    const db2 = t.reopen(v2);
    const m = createMigrator(db2, { directory: dir });
    await m.generate('defaults');
    await m.migrate();
    expect(await m.diff()).toEqual([]);
    const ada = await db2.models.people.findFirst({ where: { name: 'Ada' } });
    expect(ada?.prefs).toEqual({ theme: 'dark', size: 2 });
    expect(ada?.since.toISOString()).toBe('2024-02-29T12:34:56.789Z');
    expect(ada?.tags).toEqual(['a', 'b']);
  });

  it('adding a NOT NULL column to a table with rows: a default fills them, none stops with a clear message', async () => {
    const withoutDefault = defineSchema({
      tables: [table('people', { ...peopleV1.columns, email: column.text() })],
    });
    const bad = createMigrator(t.reopen(withoutDefault), { directory: dir });
    await bad.generate('email');
    await expect(bad.migrate()).rejects.toThrow(/cannot add NOT NULL column people\.email without a default/);
    // Nothing half-applied: no column, no history entry, the file still pending.
    const columns = await sql<{ n: number }>`select count(*)::int as n from information_schema.columns
      where table_schema = current_schema() and table_name = 'people' and column_name = 'email'`.execute(
      t.db.kysely,
    );
    expect(columns.rows[0]?.n).toBe(0);
    expect((await bad.status()).filter((s) => s.state === 'pending')).toHaveLength(1);
    await rm(dir, { recursive: true, force: true });

    // With a default, existing rows get it.
    const dir2 = await mkdtemp(join(tmpdir(), 'zephyr-evolution-'));
    try {
      await sql`drop table if exists zephyr_migrations`.execute(t.db.kysely);
      const withDefault = defineSchema({
        tables: [table('people', { ...peopleV1.columns, email: column.text().default('unknown') })],
      });
      const db3 = t.reopen(withDefault);
      await createMigrator(db3, { directory: dir2 }).push();
      expect((await db3.models.people.findMany()).map((p) => p.email)).toEqual(['unknown', 'unknown']);
    } finally {
      await rm(dir2, { recursive: true, force: true });
    }
  });

  it('bad arguments from code are DatabaseArgumentError (ZEPHYR_ERR_INVALID_ARGUMENT)', async () => {
    const m = createMigrator(t.db, { directory: dir });
    await expect(m.generate('Bad Name')).rejects.toBeInstanceOf(DatabaseArgumentError);
    await expect(m.rollback({ steps: 0 })).rejects.toMatchObject({ code: 'ZEPHYR_ERR_INVALID_ARGUMENT' });
    expect(() =>
      table('t', { id: column.serial().primaryKey(), b: column.text().renamedFrom('id') }),
    ).toThrow(DatabaseArgumentError);
  });

  it('making a column NOT NULL while rows hold NULL stops with a clear message', async () => {
    const nullable = defineSchema({
      tables: [table('people', { ...peopleV1.columns, nick: column.text().nullable() })],
    });
    await createMigrator(t.reopen(nullable), { directory: dir }).push();
    const required = defineSchema({
      tables: [table('people', { ...peopleV1.columns, nick: column.text() })],
    });
    await expect(createMigrator(t.reopen(required), { directory: dir }).push()).rejects.toThrow(
      /cannot make people\.nick NOT NULL: some rows hold NULL/,
    );
  });
});
