import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase, type TestDatabase } from './support/test-databases.js';
import type { TestSchema } from './support/test-schema.js';
import { schema } from './support/test-schema.js';

describe.each(DIALECTS)('smoke (%s)', (kind) => {
  let t: TestDatabase<TestSchema>;
  beforeAll(async () => {
    t = await openTestDatabase(kind, schema);
  });
  afterAll(async () => {
    await t.close();
  });
  it('creates and finds', async () => {
    const u = await t.db.models.users.create({ email: 'a@example.com', settings: { theme: 'dark' } });
    expect(u.id).toBe(1);
    const p = await t.db.models.posts.create({ author_id: u.id, title: 'hello' });
    expect(p.views).toBe(0n);
    const found = await t.db.models.users.find(u.id, { with: { posts: true } });
    expect(found?.posts.map((x) => x.title)).toEqual(['hello']);
    expect(found?.settings).toEqual({ theme: 'dark' });
  });
});
