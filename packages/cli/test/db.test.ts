import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { zephyr } from './running-process.js';

const schema = (version: number) => new URL(`./fixtures/schema-v${version}.js`, import.meta.url).pathname;

/** A fresh PostgreSQL database on the test server, dropped after the suite. */
function createPostgresDatabase(): { url: string; drop: () => void } {
  const admin = process.env.ZEPHYR_TEST_PG_URL;
  if (!admin) throw new Error('ZEPHYR_TEST_PG_URL is not set: run `eval "$(bash .ci/services.sh)"` first');
  const name = `cli_db_${randomBytes(4).toString('hex')}`;
  execFileSync('psql', [admin, '-q', '-c', `create database ${name}`]);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => execFileSync('psql', [admin, '-q', '-c', `drop database ${name} with (force)`]),
  };
}

// Each command opens PGlite (seconds on a loaded machine): the whole flow runs on PGlite, and the
// PostgreSQL suite below runs each command once against a real server.
describe('zephyr db on pglite', () => {
  const kind = 'pglite' as 'pglite' | 'postgres';
  const dir = mkdtempSync(join(tmpdir(), 'zephyr-db-'));
  const postgres = kind === 'postgres' ? createPostgresDatabase() : undefined;
  writeFileSync(
    join(dir, 'zephyr.config.yaml'),
    postgres ? `database:\n  url: ${postgres.url}\n` : 'server:\n  port: 3000\n',
  );
  afterAll(() => postgres?.drop());
  const db = (version: number, ...args: string[]) =>
    zephyr(['db', ...args, '--schema', schema(version)], dir);
  const migrationFiles = () => readdirSync(join(dir, 'migrations')).sort();

  it('status: no migrations yet, and the schema change no migration holds', () => {
    const result = db(1, 'status');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      kind === 'pglite' ? `PGlite in ${join(dir, '.zephyr/pglite')}` : 'PostgreSQL at postgres://',
    );
    expect(result.stdout).toContain('(none)');
    expect(result.stdout).toContain(
      'schema: 1 change not in a migration yet (zephyr db generate <name>):\n  create table todos',
    );
  });

  it('generate: shows the changes and writes the migration', () => {
    const result = db(1, 'generate', 'init');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('  create table todos\n');
    expect(migrationFiles()).toEqual([expect.stringMatching(/^\d{14}_init\.sql$/)]);
  });

  it('migrate: prints the SQL it applies, then applies it; a second run is up to date', () => {
    const result = db(1, 'migrate');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/-- \d{14}_init\ncreate table "todos"/);
    expect(result.stdout).toMatch(/applied: \d{14}_init/);
    expect(db(1, 'migrate').stdout).toContain('up to date: 1 migration applied');
  });

  it('an additive change generates and applies without --allow-destructive', () => {
    expect(db(2, 'generate', 'add_done').code).toBe(0);
    const result = db(2, 'migrate');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('add column');
  });

  it('refuses to generate or apply a dropped column without --allow-destructive, and does both with it', () => {
    const refused = db(3, 'generate', 'drop_title');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('[destructive]');
    expect(refused.stderr).toContain('drops data');
    expect(refused.stderr).toContain('--allow-destructive');
    expect(migrationFiles()).toHaveLength(2);

    expect(db(3, 'generate', 'drop_title', '--allow-destructive').code).toBe(0);
    expect(migrationFiles()).toHaveLength(3);
    const notApplied = db(3, 'migrate');
    expect(notApplied.code).toBe(1);
    expect(notApplied.stderr).toMatch(/migration \d{14}_drop_title is marked destructive/);
    const applied = db(3, 'migrate', '--allow-destructive');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/applied: \d{14}_drop_title/);
  });

  it('rollback: shows the down SQL; runs what keeps data, refuses what drops it without the flag', () => {
    // Undoing drop_title adds the column back: nothing is lost.
    const first = db(3, 'rollback');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/-- undo \d{14}_drop_title\n/);
    expect(first.stdout).toMatch(/rolled back: \d{14}_drop_title/);
    // Undoing add_done drops the column `done`.
    const refused = db(2, 'rollback');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('drop column "done"');
    expect(refused.stderr).toMatch(/undoing \d{14}_add_done drops data/);
    expect(db(2, 'rollback', '--allow-destructive').code).toBe(0);
    const status = db(1, 'status').stdout;
    expect(status).toMatch(/applied +\d{14}_init/);
    expect(status).toMatch(/pending +\d{14}_add_done/);
    expect(status).toMatch(/pending +\d{14}_drop_title/);
  });

  it('seed: runs a seed file in one transaction; a failing seed writes nothing', () => {
    writeFileSync(
      join(dir, 'seed.mjs'),
      "export default async (db) => { await db.models.todos.createMany([{ title: 'a' }, { title: 'b' }]); };\n",
    );
    writeFileSync(
      join(dir, 'bad-seed.mjs'),
      "export default async (db) => { await db.models.todos.create({ title: 'c' }); throw new Error('seed broke'); };\n",
    );
    writeFileSync(
      join(dir, 'count-seed.mjs'),
      'export default async (db) => { const n = await db.models.todos.count(); if (n !== 2) throw new Error(String(n)); };\n',
    );
    const ok = db(1, 'seed', 'seed.mjs');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/seeded from seed\.mjs in \d+ ms/);
    const bad = db(1, 'seed', 'bad-seed.mjs');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('bad-seed.mjs failed, nothing was written: seed broke');
    expect(db(1, 'seed', 'count-seed.mjs').code).toBe(0);
    const missing = db(1, 'seed');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('seed needs a seed file');
  });

  it('refuses an applied migration whose file was edited, naming it', () => {
    const [init] = migrationFiles();
    const file = join(dir, 'migrations', init!);
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n-- edited\n`);
    const result = db(1, 'migrate');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ZEPHYR_ERR_DB_MIGRATION_CHECKSUM');
    expect(result.stderr).toContain(init!.replace('.sql', ''));
  });

  it('says a schema module is missing or is not a schema', () => {
    const missing = zephyr(['db', 'status'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${join(dir, 'dist/schema.js')} does not exist: build the app first`);
    const wrong = zephyr(
      ['db', 'status', '--schema', new URL('./fixtures/app.js', import.meta.url).pathname],
      dir,
    );
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('expected an export named "schema" made by defineSchema()');
  });
});

describe('zephyr db on postgres', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zephyr-db-'));
  const postgres = createPostgresDatabase();
  writeFileSync(join(dir, 'zephyr.config.yaml'), `database:\n  url: ${postgres.url}\n`);
  afterAll(() => postgres.drop());
  const db = (...args: string[]) => zephyr(['db', ...args, '--schema', schema(1)], dir);

  it('generates, migrates, reports and rolls back against a real server', () => {
    expect(db('generate', 'init').code).toBe(0);
    const migrated = db('migrate');
    expect(migrated.stdout).toContain(`database: PostgreSQL at ${postgres.url}`);
    expect(migrated.stdout).toMatch(/applied: \d{14}_init/);
    const tables = execFileSync(
      'psql',
      [postgres.url, '-Atc', "select count(*) from information_schema.tables where table_name = 'todos'"],
      { encoding: 'utf8' },
    );
    expect(tables.trim()).toBe('1');
    expect(db('status').stdout).toMatch(/applied +\d{14}_init[\s\S]*schema: every change is in a migration/);
    const refused = db('rollback');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('drop table "todos"');
    expect(db('rollback', '--allow-destructive').stdout).toMatch(/rolled back: \d{14}_init/);
  });
});
