import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseArgumentError, defineSeed, loadSeed, runSeed } from '../src/index.js';
import { DIALECTS, useTestDatabase } from './support/test-databases.js';
import { schema, type TestSchema } from './support/test-schema.js';

describe.each(DIALECTS)('seeds: the API `zephyr db seed` runs (%s)', (kind) => {
  const t = useTestDatabase(kind, schema);

  it('runs a seed in one transaction', async () => {
    const seed = defineSeed<TestSchema>(async (db) => {
      expect(db.inTransaction).toBe(true);
      const ada = await db.models.users.create({ email: 'ada@x.io' });
      await db.models.posts.createMany([{ author_id: ada.id, title: 'one' }]);
    });
    const result = await runSeed(t.db, seed);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(await t.db.models.posts.count()).toBe(1);
  });

  it('a failing seed leaves nothing behind', async () => {
    const seed = defineSeed<TestSchema>(async (db) => {
      await db.models.users.create({ email: 'a@x.io' });
      await db.models.users.create({ email: 'a@x.io' });
    });
    await expect(runSeed(t.db, seed)).rejects.toMatchObject({ code: 'ZEPHYR_ERR_DB_UNIQUE_VIOLATION' });
    expect(await t.db.models.users.count()).toBe(0);
  });

  it('loads a seed file by path and checks its default export', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zephyr-seed-'));
    try {
      await writeFile(
        join(dir, 'seed.mjs'),
        "export default async (db) => { await db.models.tags.createMany([{ label: 'a' }, { label: 'b' }]); };\n",
      );
      await writeFile(join(dir, 'not-a-seed.mjs'), 'export default 42;\n');
      await runSeed(t.db, await loadSeed<TestSchema>('seed.mjs', dir));
      expect(await t.db.models.tags.count()).toBe(2);
      await expect(loadSeed(join(dir, 'not-a-seed.mjs'))).rejects.toBeInstanceOf(DatabaseArgumentError);
      await expect(loadSeed(join(dir, 'missing.mjs'))).rejects.toThrow();
      expect(() => defineSeed(42 as never)).toThrow(DatabaseArgumentError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
