import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  column,
  createDatabase,
  createMigrator,
  DestructiveChangeError,
  defineSchema,
  MigrationChecksumError,
  MigrationFormatError,
  MigrationPendingError,
  postgres,
  sql,
  table,
} from '../src/index.js';
import {
  adminQuery,
  DIALECTS,
  openTestDatabase,
  postgresUrl,
  type TestDatabase,
} from './support/test-databases.js';
import { schema as fullSchema } from './support/test-schema.js';

const accountsV1 = table('accounts', {
  id: column.serial().primaryKey(),
  email: column.text().unique(),
  balance: column.integer().default(0).check('balance >= 0'),
});
const v1 = defineSchema({ tables: [accountsV1] });

const accountsV2 = table('accounts', {
  ...accountsV1.columns,
  nickname: column.varchar(40).nullable(),
  status: column.text().default('active').index(),
});
const entries = table('entries', {
  id: column.bigserial().primaryKey(),
  account_id: column.integer().references('accounts', 'id', { onDelete: 'cascade' }),
  amount: column.integer(),
});
const v2 = defineSchema({ tables: [accountsV2, entries] });

const { nickname: _dropped, ...withoutNickname } = accountsV2.columns;
const v3 = defineSchema({ tables: [table('accounts', withoutNickname), entries] });

describe.each(DIALECTS)('schema manager: diff, generate, migrate, roll back (%s)', (kind) => {
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
    dir = await mkdtemp(join(tmpdir(), 'zephyr-migrations-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const tableNames = async (db: TestDatabase<typeof v1>['db']) =>
    (
      await sql<{ name: string }>`select table_name as name from information_schema.tables
        where table_schema = current_schema() order by 1`.execute(db.kysely)
    ).rows.map((r) => r.name);

  it('generates a reviewed SQL file, applies it, and then sees no difference', async () => {
    const migrator = createMigrator(t.db, { directory: dir });
    const generated = await migrator.generate('init');
    expect(generated?.name).toMatch(/^\d{14}_init$/);
    const text = await readFile(generated!.file, 'utf8');
    expect(text).toContain('-- migrate:up\ncreate table "accounts"');
    expect(text).toContain('constraint "accounts_balance_check" check (balance >= 0)');
    expect(text).toContain('-- migrate:down\ndrop table "accounts";');
    expect(await migrator.status()).toEqual([
      { name: generated!.name, state: 'pending', appliedAt: undefined },
    ]);
    await expect(migrator.generate('again')).rejects.toBeInstanceOf(MigrationPendingError);
    expect(await migrator.migrate()).toEqual([generated!.name]);
    expect((await migrator.status())[0]?.state).toBe('applied');
    expect(await migrator.diff()).toEqual([]);
    expect(await migrator.generate('noop')).toBeUndefined();
    expect(await migrator.migrate()).toEqual([]);
    expect(await t.db.models.accounts.create({ email: 'a@x.io' })).toMatchObject({ balance: 0 });
  });

  it('the full test schema (identities, enums, jsonb, numeric, composite keys, indexes) diffs clean after migrating', async () => {
    const db = t.reopen(fullSchema);
    const migrator = createMigrator(db, { directory: dir });
    await migrator.generate('full');
    await migrator.migrate();
    expect(await migrator.diff()).toEqual([]);
    await migrator.rollback();
    expect(await tableNames(t.db)).toEqual(['zephyr_migrations']);
  });

  it('evolves: adds columns, tables, foreign keys and indexes; rolls back exactly', async () => {
    await createMigrator(t.db, { directory: dir }).generate('init');
    await createMigrator(t.db, { directory: dir }).migrate();
    await t.db.models.accounts.create({ email: 'kept@x.io', balance: 5 });
    const db2 = t.reopen(v2);
    const m2 = createMigrator(db2, { directory: dir });
    const descriptions = (await m2.diff()).map((c) => c.description);
    expect(descriptions).toEqual([
      'create table entries',
      'add column accounts.nickname',
      'add column accounts.status',
      'add foreign key entries.entries_account_id_fkey',
      'create index accounts_status_idx on accounts',
    ]);
    const second = await m2.generate('ledger');
    expect(await m2.migrate()).toEqual([second!.name]);
    expect(await m2.diff()).toEqual([]);
    const account = await db2.models.accounts.findFirst({ where: { email: 'kept@x.io' } });
    expect(account).toMatchObject({ balance: 5, status: 'active', nickname: null });
    await db2.models.entries.create({ account_id: account!.id, amount: 3 });

    expect(await m2.rollback()).toEqual([second!.name]);
    expect(await tableNames(t.db)).toEqual(['accounts', 'zephyr_migrations']);
    expect(await createMigrator(t.db, { directory: dir }).diff()).toEqual([]);
    expect((await m2.status()).map((s) => s.state)).toEqual(['applied', 'pending']);
  });

  it('refuses to run when an applied migration file was edited', async () => {
    const migrator = createMigrator(t.db, { directory: dir });
    const init = await migrator.generate('init');
    await migrator.migrate();
    const original = await readFile(init!.file, 'utf8');
    await writeFile(init!.file, original.replace('balance >= 0', 'balance >= -100'));
    await expect(migrator.migrate()).rejects.toBeInstanceOf(MigrationChecksumError);
    await expect(migrator.rollback()).rejects.toMatchObject({ code: 'ZEPHYR_ERR_DB_MIGRATION_CHECKSUM' });
    expect((await migrator.status())[0]?.state).toBe('changed');
    await writeFile(init!.file, original);
    expect((await migrator.status())[0]?.state).toBe('applied');
  });

  it('a destructive change needs allowDestructive to be generated and to be applied', async () => {
    const db2 = t.reopen(v2);
    await createMigrator(db2, { directory: dir }).generate('v2');
    await createMigrator(db2, { directory: dir }).migrate();
    await db2.models.accounts.create({ email: 'n@x.io', nickname: 'nick' });
    const m3 = createMigrator(t.reopen(v3), { directory: dir });
    await expect(m3.generate('drop_nickname')).rejects.toBeInstanceOf(DestructiveChangeError);
    expect(await readdir(dir)).toHaveLength(1);
    const drop = await m3.generate('drop_nickname', { allowDestructive: true });
    expect(await readFile(drop!.file, 'utf8')).toMatch(
      /-- destructive: yes[\s\S]*\[destructive\] drop column accounts\.nickname/,
    );
    await expect(m3.migrate()).rejects.toBeInstanceOf(DestructiveChangeError);
    await expect(m3.push()).rejects.toBeInstanceOf(DestructiveChangeError);
    expect(await m3.migrate({ allowDestructive: true })).toEqual([drop!.name]);
    expect(await m3.diff()).toEqual([]);
    await m3.rollback();
    const { rows } = await sql<{ nickname: string | null }>`select nickname from accounts`.execute(
      t.db.kysely,
    );
    expect(rows).toEqual([{ nickname: null }]);
  });

  it('moves a primary key to other columns, and back on rollback', async () => {
    const keyed = (pk: 'code' | 'id') =>
      defineSchema({
        tables: [
          table(
            'codes',
            { id: column.integer(), code: column.text(), label: column.text().nullable() },
            { primaryKey: [pk] },
          ),
        ],
      });
    const m1 = createMigrator(t.reopen(keyed('id')), { directory: dir });
    await m1.generate('codes');
    await m1.migrate();
    const m2 = createMigrator(t.reopen(keyed('code')), { directory: dir });
    expect((await m2.diff()).map((c) => c.description)).toEqual([
      'drop primary key codes.codes_pkey',
      'add primary key codes.codes_pkey',
    ]);
    await m2.generate('rekey');
    await m2.migrate();
    expect(await m2.diff()).toEqual([]);
    await m2.rollback();
    expect(await m1.diff()).toEqual([]);
  });

  it('a failing migration leaves nothing half-applied', async () => {
    await writeFile(
      join(dir, '20200101000000_broken.sql'),
      '-- migrate:up\ncreate table half (id int);\nselect * from no_such_table;\n\n-- migrate:down\ndrop table half;\n',
    );
    await expect(createMigrator(t.db, { directory: dir }).migrate()).rejects.toThrow(/no_such_table/);
    expect(await tableNames(t.db)).toEqual([]);
    await writeFile(join(dir, '20200101000000_broken.sql'), 'create table x (id int);');
    await expect(createMigrator(t.db, { directory: dir }).migrate()).rejects.toBeInstanceOf(
      MigrationFormatError,
    );
  });
});

describe('schema manager on PostgreSQL: the advisory lock serialises concurrent migrators', () => {
  const schemaName = `zt_lock_${process.pid}`;
  let dir: string;
  afterAll(async () => {
    await adminQuery(`drop schema if exists ${schemaName} cascade`);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('two processes migrating at once apply each migration exactly once', async () => {
    await adminQuery(`create schema ${schemaName}`);
    dir = await mkdtemp(join(tmpdir(), 'zephyr-lock-'));
    const open = () =>
      createDatabase({
        schema: v2,
        dialect: postgres({ connectionString: postgresUrl(), searchPath: schemaName }),
      });
    const a = open();
    const b = open();
    try {
      await createMigrator(a, { directory: dir }).generate('ledger');
      // A slow first statement widens the window in which, without the lock, both would run it.
      const [file] = await readdir(dir);
      const path = join(dir, file!);
      await writeFile(
        path,
        (await readFile(path, 'utf8')).replace('-- migrate:up\n', '-- migrate:up\nselect pg_sleep(0.3);\n'),
      );
      const results = await Promise.all([
        createMigrator(a, { directory: dir }).migrate(),
        createMigrator(b, { directory: dir }).migrate(),
      ]);
      expect(results.map((r) => r.length).sort()).toEqual([0, 1]);
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from zephyr_migrations`.execute(
        a.kysely,
      );
      expect(rows[0]?.n).toBe(1);
    } finally {
      await a.destroy();
      await b.destroy();
    }
  });
});
